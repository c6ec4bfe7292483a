//! GS1 Global Trade Item Numbers.

/// A GTIN-8, -12, -13 or -14 with a correct check digit, held as a GTIN-14 (zeros in
/// front): the form GS1 Digital Link URIs and the `01` application identifier use, so one
/// product has one spelling however it was entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gtin(String);

impl Gtin {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if !matches!(raw.len(), 8 | 12 | 13 | 14) || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be 8, 12, 13 or 14 digits".into());
        }
        let digits: Vec<u32> = raw.bytes().map(|b| u32::from(b - b'0')).collect();
        let (body, check) = digits.split_at(digits.len() - 1);
        // GS1 weights alternate 3,1,... from the digit next to the check digit.
        let sum: u32 = body
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
            .sum();
        let expected = (10 - sum % 10) % 10;
        if expected != check[0] {
            return Err(format!("has a wrong check digit (expected {expected})"));
        }
        Ok(Self(format!("{raw:0>14}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_are_verified() {
        assert!(Gtin::parse("09506000134352").is_ok());
        assert!(Gtin::parse("4006381333931").is_ok());
        assert!(Gtin::parse("4006381333932").is_err());
        assert!(Gtin::parse("12345").is_err());
        assert!(Gtin::parse("40063813339x1").is_err());
    }

    /// `body` with its GS1 check digit appended, whatever its length or characters.
    fn with_check_digit(body: &str) -> String {
        let sum: u32 = body
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| u32::from(b.wrapping_sub(b'0')) * if i % 2 == 0 { 3 } else { 1 })
            .sum();
        format!("{body}{}", (10 - sum % 10) % 10)
    }

    #[test]
    fn every_gtin_length_is_accepted_with_its_check_digit() {
        for body in ["9638507", "61414100003", "400638133393", "0950600013435"] {
            let gtin = with_check_digit(body);
            assert_eq!(
                Gtin::parse(&gtin).unwrap().into_string(),
                format!("{gtin:0>14}")
            );
        }
        assert_eq!(
            Gtin::parse("4006381333931").unwrap().as_str(),
            "04006381333931"
        );
    }

    #[test]
    fn other_lengths_and_non_digits_are_refused_even_with_a_valid_check_digit() {
        for body in ["", "123456", "12345678", "1234567890", "123456789012345"] {
            let err = Gtin::parse(&with_check_digit(body)).unwrap_err();
            assert!(err.contains("digits"), "{body}: {err}");
        }
        for body in ["40063813339 ", "4006381333a3", "400638133+93"] {
            let err = Gtin::parse(&with_check_digit(body)).unwrap_err();
            assert!(err.contains("digits"), "{body}: {err}");
        }
    }
}
