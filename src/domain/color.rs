//! Brand colours for the landing page, and the text colour that stays readable on them.

use std::fmt;

/// An sRGB colour, written `#rrggbb` (or `#rgb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color([u8; 3]);

impl Color {
    pub const BLACK: Color = Color([0, 0, 0]);
    pub const WHITE: Color = Color([0xff, 0xff, 0xff]);

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        const FORMAT: &str = "must be a colour written #rrggbb or #rgb, such as #c8102e";
        let hex = raw.trim().strip_prefix('#').ok_or(FORMAT)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(FORMAT);
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).unwrap_or(0);
        match hex.len() {
            3 => Ok(Self([digit(0) * 17, digit(1) * 17, digit(2) * 17])),
            6 => Ok(Self([
                digit(0) * 16 + digit(1),
                digit(2) * 16 + digit(3),
                digit(4) * 16 + digit(5),
            ])),
            _ => Err(FORMAT),
        }
    }

    /// Relative luminance as WCAG 2 defines it, 0 (black) to 1 (white).
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0;
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    /// WCAG 2 contrast ratio, 1 to 21.
    pub fn contrast(self, other: Color) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// Black or white, whichever reads better on this colour. One of them always reaches
    /// 4.58:1 (WCAG AA for body text is 4.5), whatever colour a brand picks; a softer
    /// black would not (#111 falls to 4.35 on mid grey).
    pub fn readable_text(self) -> Color {
        if self.contrast(Self::BLACK) >= self.contrast(Self::WHITE) {
            Self::BLACK
        } else {
            Self::WHITE
        }
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_read_in_both_forms_and_written_in_the_long_one() {
        assert_eq!(Color::parse("#C8102E").unwrap().to_string(), "#c8102e");
        assert_eq!(Color::parse(" #fa0 ").unwrap().to_string(), "#ffaa00");
        for bad in [
            "c8102e",
            "#c8102",
            "#ggg",
            "#",
            "",
            "#c8102e00",
            "red",
            "#１２３",
        ] {
            assert!(Color::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn contrast_follows_wcag() {
        let white = Color::parse("#fff").unwrap();
        let black = Color::parse("#000").unwrap();
        assert!((white.contrast(black) - 21.0).abs() < 1e-9);
        assert!((white.contrast(white) - 1.0).abs() < 1e-9);
        // WebAIM's figure for #767676 on white: 4.54:1.
        let grey = Color::parse("#767676").unwrap();
        assert!((grey.contrast(white) - 4.54).abs() < 0.01);
    }

    #[test]
    fn the_text_colour_is_readable_on_any_brand_colour() {
        for r in (0..=255).step_by(15) {
            for g in (0..=255).step_by(15) {
                for b in (0..=255).step_by(15) {
                    let background = Color([r as u8, g as u8, b as u8]);
                    let text = background.readable_text();
                    assert!(background.contrast(text) >= 4.5, "{background} {text}");
                }
            }
        }
        assert_eq!(
            Color::parse("#ffd700").unwrap().readable_text(),
            Color::BLACK
        );
        assert_eq!(
            Color::parse("#0b3d91").unwrap().readable_text(),
            Color::WHITE
        );
    }
}
