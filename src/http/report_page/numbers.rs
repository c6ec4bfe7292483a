//! Numbers as the report page prints them: thousands grouped, fractions only where a count
//! is fractional (shared credit), rates as percentages, money with its currency.

/// `12,345`, or `12,345.5` when the count has a fraction (to two places).
pub fn count(n: f64) -> String {
    let rounded = (n * 100.0).round() / 100.0;
    let whole = rounded.trunc();
    let fraction = (rounded - whole).abs();
    let mut text = grouped(whole as i64);
    if fraction >= 0.005 {
        let digits = format!("{fraction:.2}");
        text.push_str(digits.trim_start_matches('0').trim_end_matches('0'));
    }
    if n < 0.0 && whole == 0.0 && fraction > 0.0 {
        text.insert(0, '-');
    }
    text
}

/// `42%`, `4.2%`, `0.42%`: two significant figures under 10%, whole percent above.
pub fn percent(rate: f64) -> String {
    let p = rate * 100.0;
    if p.abs() >= 10.0 || p == 0.0 {
        format!("{p:.0}%")
    } else if p.abs() >= 1.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

/// `1,234.50 CNY`.
pub fn money(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!(
        "{sign}{}.{:02} {currency}",
        grouped((cents / 100) as i64),
        cents % 100
    )
}

fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_group_thousands_and_keep_shared_credit() {
        assert_eq!(count(0.0), "0");
        assert_eq!(count(1_234_567.0), "1,234,567");
        assert_eq!(count(2.5), "2.5");
        assert_eq!(count(0.333333), "0.33");
        assert_eq!(count(999.999), "1,000");
        assert_eq!(count(-1234.0), "-1,234");
    }

    #[test]
    fn rates_and_money_read_as_people_write_them() {
        assert_eq!(percent(0.421), "42%");
        assert_eq!(percent(0.0421), "4.2%");
        assert_eq!(percent(0.00421), "0.42%");
        assert_eq!(percent(0.0), "0%");
        assert_eq!(money(123_450, "CNY"), "1,234.50 CNY");
        assert_eq!(money(-5, "USD"), "-0.05 USD");
    }
}
