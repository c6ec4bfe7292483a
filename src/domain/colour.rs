//! Colours: of printed codes (whose contrast decides whether they scan) and of a brand's
//! landing page (where text must stay readable on them).

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour(pub [u8; 3]);

impl Colour {
    pub const BLACK: Self = Self([0, 0, 0]);
    pub const WHITE: Self = Self([255, 255, 255]);

    /// Six hex digits, with or without a leading `#`.
    pub fn parse(raw: &str) -> Option<Self> {
        let hex = raw.strip_prefix('#').unwrap_or(raw);
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Self([channel(0)?, channel(2)?, channel(4)?]))
    }

    /// `#rrggbb`.
    pub fn hex(self) -> String {
        let [r, g, b] = self.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }

    /// WCAG 2 relative luminance, 0 (black) to 1 (white).
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0;
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// WCAG 2 contrast ratio between two colours, 1 to 21.
    pub fn contrast(self, other: Self) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// Black or white, whichever reads better on this colour. One of them always reaches
    /// 4.58:1 (WCAG AA for body text is 4.5), whatever colour a brand picks; a softer
    /// black would not (#111 falls to 4.35 on mid grey).
    pub fn readable_text(self) -> Self {
        if self.contrast(Self::BLACK) >= self.contrast(Self::WHITE) {
            Self::BLACK
        } else {
            Self::WHITE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_six_hex_digits_and_written_with_a_hash() {
        assert_eq!(Colour::parse("#C8102E").unwrap().hex(), "#c8102e");
        assert_eq!(Colour::parse("1a1a1a"), Some(Colour([26, 26, 26])));
        for bad in [
            "#c8102",
            "#fa0",
            "#",
            "",
            "#c8102e00",
            "red",
            "#１２３４５６",
        ] {
            assert!(Colour::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn contrast_follows_wcag() {
        assert!((Colour::WHITE.contrast(Colour::BLACK) - 21.0).abs() < 1e-9);
        assert!((Colour::WHITE.contrast(Colour::WHITE) - 1.0).abs() < 1e-9);
        // WebAIM's figure for #767676 on white: 4.54:1.
        let grey = Colour::parse("#767676").unwrap();
        assert!((grey.contrast(Colour::WHITE) - 4.54).abs() < 0.01);
    }

    #[test]
    fn the_text_colour_is_readable_on_any_brand_colour() {
        for r in (0..=255).step_by(15) {
            for g in (0..=255).step_by(15) {
                for b in (0..=255).step_by(15) {
                    let background = Colour([r as u8, g as u8, b as u8]);
                    let text = background.readable_text();
                    assert!(background.contrast(text) >= 4.5, "{background:?} {text:?}");
                }
            }
        }
        assert_eq!(
            Colour::parse("#ffd700").unwrap().readable_text(),
            Colour::BLACK
        );
        assert_eq!(
            Colour::parse("#0b3d91").unwrap().readable_text(),
            Colour::WHITE
        );
    }
}
