//! Print options shared by every renderer: how big a module is (on screen or on paper),
//! the quiet zone, error correction and colours. They are read from text (query
//! parameters now, CLI flags later) and refused when the code they describe would not
//! scan, because a misprinted run of labels cannot be recalled.

use std::sync::Arc;

use super::Logo;

/// ISO/IEC 18004 asks for a quiet zone of 4 modules; many readers still cope with 2, few
/// with less.
pub const MIN_QUIET_ZONE: u32 = 2;
/// Smaller modules blur into each other on ordinary label printers and phone cameras.
pub const MIN_MODULE_MM: f64 = 0.25;
/// WCAG's contrast ratio for normal text; below it phone cameras misread modules.
pub const MIN_CONTRAST: f64 = 4.5;
pub const DEFAULT_DPI: u32 = 300;
const MM_PER_INCH: f64 = 25.4;

/// Error correction: the share of the symbol that can be lost (or covered) and still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ecc {
    /// About 7%.
    L,
    /// About 15%.
    M,
    /// About 25%.
    Q,
    /// About 30%.
    H,
}

/// How large one module is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Pixels (PNG) or SVG user units per module: for screens.
    Units(u32),
    /// Millimetres per module: for print.
    ModuleMm(f64),
    /// Millimetres for the whole symbol, quiet zone included: for print.
    SymbolMm(f64),
}

pub use crate::domain::Colour;

/// Rendering options, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    pub scale: Scale,
    /// Quiet zone in modules on each side.
    pub margin: u32,
    pub ecc: Ecc,
    /// Dark modules.
    pub fg: Colour,
    /// Light modules and the quiet zone.
    pub bg: Colour,
    /// Pixels per inch of a PNG drawn to a size in millimetres.
    pub dpi: u32,
    /// Drawn in the centre, with error correction H.
    pub logo: Option<Arc<Logo>>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            scale: Scale::Units(8),
            margin: 4,
            ecc: Ecc::M,
            fg: Colour::BLACK,
            bg: Colour::WHITE,
            dpi: DEFAULT_DPI,
            logo: None,
        }
    }
}

/// The options as text, each `None` when not given.
#[derive(Debug, Default, Clone)]
pub struct OptionsText<'a> {
    pub size: Option<&'a str>,
    pub module_mm: Option<&'a str>,
    pub size_mm: Option<&'a str>,
    pub dpi: Option<&'a str>,
    pub margin: Option<&'a str>,
    pub ecc: Option<&'a str>,
    pub fg: Option<&'a str>,
    pub bg: Option<&'a str>,
    pub invert: Option<&'a str>,
    /// `none` to leave the logo off.
    pub logo: Option<&'a str>,
}

/// Why options were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionsError {
    /// A value that cannot be read or is out of range; names the option.
    #[error("{0}")]
    Malformed(String),
    /// Readable values that would print a code phones cannot read.
    #[error("{option}: {reason}")]
    Unscannable {
        option: &'static str,
        reason: String,
    },
}

impl OptionsError {
    pub fn unscannable(option: &'static str, reason: String) -> Self {
        Self::Unscannable { option, reason }
    }
}

impl OptionsText<'_> {
    /// Reads the options; `logo` is the code's logo (its batch's, else its campaign's),
    /// drawn unless the options say `logo=none`.
    pub fn parse(&self, logo: Option<Arc<Logo>>) -> Result<RenderOptions, OptionsError> {
        let defaults = RenderOptions::default();
        let scales = [self.size, self.module_mm, self.size_mm];
        if scales.iter().flatten().count() > 1 {
            return Err(OptionsError::Malformed(
                "give one of size, module_mm and size_mm, not several".into(),
            ));
        }
        let scale = if let Some(raw) = self.module_mm {
            Scale::ModuleMm(millimetres("module_mm", raw, 50.0)?)
        } else if let Some(raw) = self.size_mm {
            Scale::SymbolMm(millimetres("size_mm", raw, 2_000.0)?)
        } else {
            Scale::Units(whole("size", self.size, 8, 1..=100)?)
        };
        let logo = match self.logo {
            None | Some("auto") => logo,
            Some("none") => None,
            Some(raw) => {
                return Err(OptionsError::Malformed(format!(
                    "logo must be auto or none, not {raw:?}"
                )));
            }
        };
        let ecc = match self.ecc {
            None if logo.is_some() => Ecc::H,
            None => defaults.ecc,
            Some(raw) => parse_ecc(raw).ok_or_else(|| {
                OptionsError::Malformed(format!("ecc must be L, M, Q or H, not {raw:?}"))
            })?,
        };
        if logo.is_some() && ecc != Ecc::H {
            return Err(OptionsError::unscannable(
                "ecc",
                "this code has a logo, which covers modules only error correction H can \
                 restore: give ecc=H, or logo=none to print it without the logo"
                    .into(),
            ));
        }
        let colour = |name: &str, raw: Option<&str>, default: Colour| match raw {
            None => Ok(default),
            Some(raw) => Colour::parse(raw).ok_or_else(|| {
                OptionsError::Malformed(format!(
                    "{name} must be six hex digits of an RGB colour such as 1a1a1a, not {raw:?}"
                ))
            }),
        };
        let invert_allowed = match self.invert {
            None | Some("refuse") => false,
            Some("allow") => true,
            Some(raw) => {
                return Err(OptionsError::Malformed(format!(
                    "invert must be allow or refuse, not {raw:?}"
                )));
            }
        };
        let options = RenderOptions {
            scale,
            margin: whole("margin", self.margin, defaults.margin, 0..=40)?,
            ecc,
            fg: colour("fg", self.fg, defaults.fg)?,
            bg: colour("bg", self.bg, defaults.bg)?,
            dpi: whole("dpi", self.dpi, DEFAULT_DPI, 72..=2_400)?,
            logo,
        };
        options.check(invert_allowed)?;
        Ok(options)
    }
}

fn whole(
    name: &str,
    raw: Option<&str>,
    default: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<u32, OptionsError> {
    let Some(raw) = raw else { return Ok(default) };
    raw.parse::<u32>()
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| {
            OptionsError::Malformed(format!(
                "{name} must be a whole number from {} to {}, not {raw:?}",
                range.start(),
                range.end()
            ))
        })
}

fn millimetres(name: &str, raw: &str, max: f64) -> Result<f64, OptionsError> {
    raw.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= max)
        .ok_or_else(|| {
            OptionsError::Malformed(format!(
                "{name} must be a number of millimetres above 0 and at most {max}, not {raw:?}"
            ))
        })
}

pub fn parse_ecc(raw: &str) -> Option<Ecc> {
    match raw.to_ascii_uppercase().as_str() {
        "L" => Some(Ecc::L),
        "M" => Some(Ecc::M),
        "Q" => Some(Ecc::Q),
        "H" => Some(Ecc::H),
        _ => None,
    }
}

/// A symbol's size once its width in modules is known.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    /// Modules across, quiet zone included.
    pub modules: u32,
    /// Millimetres per module, when drawn for print.
    pub module_mm: Option<f64>,
    /// Whole pixels per module of a PNG.
    pub pixels_per_module: u32,
}

impl Layout {
    /// Edge of the PNG in pixels.
    pub fn png_edge(&self) -> u64 {
        u64::from(self.modules) * u64::from(self.pixels_per_module)
    }

    /// Refuses a PNG wider than `MAX_PNG_EDGE`, so no request makes the server allocate
    /// gigabytes.
    pub fn fit_png(&self) -> Result<(), OptionsError> {
        let edge = self.png_edge();
        if edge > u64::from(super::MAX_PNG_EDGE) {
            return Err(OptionsError::Malformed(format!(
                "the image would be {edge} px wide; the limit is {}: lower size, module_mm, \
                 size_mm, dpi or margin",
                super::MAX_PNG_EDGE
            )));
        }
        Ok(())
    }

    /// The PNG's physical resolution in pixels per metre, so it prints at exactly the size
    /// asked for even though a module is a whole number of pixels.
    pub fn pixels_per_metre(&self) -> Option<u32> {
        self.module_mm
            .map(|mm| (f64::from(self.pixels_per_module) * 1_000.0 / mm).round() as u32)
    }
}

impl RenderOptions {
    /// What can be refused before the symbol is known.
    fn check(&self, invert_allowed: bool) -> Result<(), OptionsError> {
        let contrast = self.fg.contrast(self.bg);
        if contrast < MIN_CONTRAST {
            return Err(OptionsError::unscannable(
                "fg",
                format!(
                    "the contrast between fg {} and bg {} is {contrast:.2}:1; codes need at \
                     least {MIN_CONTRAST}:1 to scan reliably",
                    self.fg.hex(),
                    self.bg.hex()
                ),
            ));
        }
        if self.fg.luminance() > self.bg.luminance() && !invert_allowed {
            return Err(OptionsError::unscannable(
                "fg",
                format!(
                    "fg {} is lighter than bg {}: many phone readers cannot read light-on-dark \
                     codes; send invert=allow if the printer's readers can",
                    self.fg.hex(),
                    self.bg.hex()
                ),
            ));
        }
        if self.margin < MIN_QUIET_ZONE {
            return Err(OptionsError::unscannable(
                "margin",
                format!(
                    "a quiet zone of {} modules is too narrow: at least {MIN_QUIET_ZONE} \
                     (ISO/IEC 18004 asks for 4)",
                    self.margin
                ),
            ));
        }
        if let Scale::ModuleMm(mm) = self.scale {
            check_module_mm("module_mm", mm)?;
        }
        Ok(())
    }

    /// Sizes for a symbol `width` modules wide (quiet zone excluded); refuses a symbol
    /// whose modules come out too small for print.
    pub fn layout(&self, width: usize) -> Result<Layout, OptionsError> {
        let modules = width as u32 + 2 * self.margin;
        let module_mm = match self.scale {
            Scale::Units(_) => None,
            Scale::ModuleMm(mm) => Some(mm),
            Scale::SymbolMm(mm) => {
                let module = mm / f64::from(modules);
                check_module_mm("size_mm", module).map_err(|_| {
                    OptionsError::unscannable(
                        "size_mm",
                        format!(
                            "at {mm} mm this symbol's {modules} modules would be \
                             {module:.3} mm each; modules need at least {MIN_MODULE_MM} mm: \
                             print it larger, lower ecc, or narrow the margin"
                        ),
                    )
                })?;
                Some(module)
            }
        };
        let pixels_per_module = match (self.scale, module_mm) {
            (Scale::Units(units), _) => units,
            (_, Some(mm)) => ((mm * f64::from(self.dpi) / MM_PER_INCH).round() as u32).max(1),
            (_, None) => unreachable!("a print scale has a module size"),
        };
        Ok(Layout {
            modules,
            module_mm,
            pixels_per_module,
        })
    }
}

fn check_module_mm(option: &'static str, mm: f64) -> Result<(), OptionsError> {
    if mm < MIN_MODULE_MM {
        return Err(OptionsError::unscannable(
            option,
            format!("modules of {mm} mm are too small to print; at least {MIN_MODULE_MM} mm"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &'static str)]) -> Result<RenderOptions, OptionsError> {
        let mut text = OptionsText::default();
        for &(key, value) in pairs {
            let slot = match key {
                "size" => &mut text.size,
                "module_mm" => &mut text.module_mm,
                "size_mm" => &mut text.size_mm,
                "dpi" => &mut text.dpi,
                "margin" => &mut text.margin,
                "ecc" => &mut text.ecc,
                "fg" => &mut text.fg,
                "bg" => &mut text.bg,
                "invert" => &mut text.invert,
                "logo" => &mut text.logo,
                _ => panic!("unknown option {key}"),
            };
            *slot = Some(value);
        }
        text.parse(None)
    }

    fn unscannable(result: Result<RenderOptions, OptionsError>) -> &'static str {
        match result {
            Err(OptionsError::Unscannable { option, .. }) => option,
            other => panic!("expected an unscannable refusal, got {other:?}"),
        }
    }

    #[test]
    fn no_options_give_black_on_white_with_the_standard_quiet_zone() {
        assert_eq!(parse(&[]).unwrap(), RenderOptions::default());
        let layout = RenderOptions::default().layout(25).unwrap();
        assert_eq!(layout.modules, 33);
        assert_eq!(layout.png_edge(), 33 * 8);
        assert_eq!(layout.pixels_per_metre(), None);
    }

    #[test]
    fn colours_read_with_or_without_a_hash() {
        assert_eq!(Colour::parse("1a1a1a"), Some(Colour([26, 26, 26])));
        assert_eq!(Colour::parse("#FFfF00"), Some(Colour([255, 255, 0])));
        for bad in ["", "fff", "12345g", "#1234567", "+1a1a1"] {
            assert_eq!(Colour::parse(bad), None, "{bad}");
        }
        assert_eq!(Colour([26, 0, 255]).hex(), "#1a00ff");
    }

    #[test]
    fn contrast_follows_wcag() {
        assert!((Colour::BLACK.contrast(Colour::WHITE) - 21.0).abs() < 1e-9);
        assert!((Colour::WHITE.contrast(Colour::WHITE) - 1.0).abs() < 1e-9);
        // #767676 on white is the classic just-passing grey (4.54:1).
        let grey = Colour::parse("767676").unwrap();
        assert!((grey.contrast(Colour::WHITE) - 4.54).abs() < 0.01);
        assert!(parse(&[("fg", "767676")]).is_ok());
        assert_eq!(unscannable(parse(&[("fg", "777777")])), "fg");
        assert_eq!(unscannable(parse(&[("fg", "ffff00")])), "fg");
    }

    #[test]
    fn light_on_dark_needs_consent() {
        let inverted = [("fg", "ffffff"), ("bg", "000000")];
        assert_eq!(unscannable(parse(&inverted)), "fg");
        let allowed = parse(&[inverted[0], inverted[1], ("invert", "allow")]).unwrap();
        assert_eq!(allowed.fg, Colour::WHITE);
        assert!(matches!(
            parse(&[("invert", "yes")]),
            Err(OptionsError::Malformed(m)) if m.contains("invert")
        ));
    }

    #[test]
    fn quiet_zones_under_two_modules_are_refused() {
        assert_eq!(unscannable(parse(&[("margin", "1")])), "margin");
        assert_eq!(unscannable(parse(&[("margin", "0")])), "margin");
        assert_eq!(parse(&[("margin", "2")]).unwrap().margin, 2);
        assert!(matches!(
            parse(&[("margin", "41")]),
            Err(OptionsError::Malformed(m)) if m.contains("margin")
        ));
    }

    #[test]
    fn print_sizes_become_whole_pixels_that_print_exactly() {
        let options = parse(&[("module_mm", "0.5"), ("dpi", "600")]).unwrap();
        let layout = options.layout(25).unwrap();
        assert_eq!(layout.module_mm, Some(0.5));
        // 0.5 mm at 600 dpi is 11.8 px: 12 px, printed at 24,000 px per metre.
        assert_eq!(layout.pixels_per_module, 12);
        assert_eq!(layout.pixels_per_metre(), Some(24_000));

        let symbol = parse(&[("size_mm", "33")]).unwrap().layout(25).unwrap();
        assert_eq!(symbol.module_mm, Some(1.0));
        assert_eq!(symbol.pixels_per_module, 12, "1 mm at 300 dpi");
    }

    #[test]
    fn modules_under_a_quarter_millimetre_are_refused() {
        assert_eq!(unscannable(parse(&[("module_mm", "0.2")])), "module_mm");
        assert!(parse(&[("module_mm", "0.25")]).is_ok());
        // 8 mm over 33 modules is 0.24 mm a module.
        let small = parse(&[("size_mm", "8")]).unwrap();
        assert!(matches!(
            small.layout(25),
            Err(OptionsError::Unscannable { option: "size_mm", reason }) if reason.contains("0.242")
        ));
        assert!(small.layout(21).is_ok(), "a smaller symbol fits in 8 mm");
    }

    #[test]
    fn malformed_values_name_their_option() {
        for (pairs, option) in [
            (vec![("size", "0")], "size"),
            (vec![("size", "abc")], "size"),
            (vec![("module_mm", "-1")], "module_mm"),
            (vec![("module_mm", "NaN")], "module_mm"),
            (vec![("size_mm", "inf")], "size_mm"),
            (vec![("dpi", "50")], "dpi"),
            (vec![("ecc", "X")], "ecc"),
            (vec![("bg", "white")], "bg"),
            (vec![("size", "8"), ("module_mm", "1")], "one of"),
        ] {
            match parse(&pairs) {
                Err(OptionsError::Malformed(message)) => {
                    assert!(message.contains(option), "{pairs:?}: {message}")
                }
                other => panic!("{pairs:?}: {other:?}"),
            }
        }
    }
}
