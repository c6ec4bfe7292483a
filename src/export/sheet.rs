//! Label sheets: a batch's codes laid out in a grid of labels on pages of a given size,
//! each label holding the symbol as vector rectangles and, under it, the serial and the
//! token in type a person can read, with optional crop marks for the guillotine.

use std::fmt::Write as _;

use super::pdf::{LOGO, number};
use crate::qr::{Colour, LogoPlacement, Matrix, OptionsError, RenderOptions, Scale};

/// ISO A4 and US Letter, in millimetres.
const A4: (f64, f64) = (210.0, 297.0);
const LETTER: (f64, f64) = (215.9, 279.4);
/// Smallest and largest page side we lay out.
const PAGE_MM: std::ops::RangeInclusive<f64> = 20.0..=1200.0;
/// A label when none is asked for: room for a 30 mm symbol and its line of text.
const DEFAULT_LABEL: (f64, f64) = (40.0, 48.0);
/// Space between the label's edge and what is printed on it.
const PADDING_MM: f64 = 2.0;
/// Courier's advance width, in ems: every character is 0.6 em wide.
const COURIER_EM: f64 = 0.6;
/// The largest the serial line is set, in millimetres (about 7 pt).
const MAX_TEXT_MM: f64 = 2.5;
/// A dot of a 300 dpi printer (and two of a 600 dpi one), in millimetres. A symbol fitted
/// to its label gets modules of whole dots and starts on a dot, so at the printer's
/// resolution every module edge falls on a dot edge: no grey seams for a reader to trip on.
const DOT_MM: f64 = 25.4 / 300.0;
/// How far crop marks stand off the grid, and their longest length.
const CROP_OFFSET_MM: f64 = 1.0;
const CROP_LENGTH_MM: f64 = 5.0;

/// The sheet options as text, each `None` when not given.
#[derive(Debug, Default, Clone)]
pub struct SheetText<'a> {
    pub page: Option<&'a str>,
    pub label_mm: Option<&'a str>,
    pub cols: Option<&'a str>,
    pub rows: Option<&'a str>,
    pub sheet_margin_mm: Option<&'a str>,
    pub gap_mm: Option<&'a str>,
    pub crop_marks: Option<&'a str>,
}

/// A page of labels, laid out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sheet {
    pub page: (f64, f64),
    pub label: (f64, f64),
    pub cols: u32,
    pub rows: u32,
    pub margin: f64,
    pub gap: f64,
    pub crop_marks: bool,
}

/// One label's content.
pub struct Label<'a> {
    pub serial: i64,
    pub token: &'a str,
    pub url: &'a str,
}

impl SheetText<'_> {
    /// Reads the options and lays the grid out: 400 for what cannot be read, 422 for
    /// labels that do not fit the page.
    pub fn parse(&self) -> Result<Sheet, OptionsError> {
        let page = match self.page.map(str::trim) {
            None => A4,
            Some(p) if p.eq_ignore_ascii_case("a4") => A4,
            Some(p) if p.eq_ignore_ascii_case("letter") => LETTER,
            Some(p) => dimensions("page", p, PAGE_MM)?,
        };
        let label = self
            .label_mm
            .map(|l| dimensions("label_mm", l, 5.0..=1200.0))
            .transpose()?;
        let count = |name: &str, raw: Option<&str>| {
            raw.map(|r| {
                r.trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| malformed(name, r, "a whole number from 1 to 100"))
            })
            .transpose()
        };
        let cols = count("cols", self.cols)?;
        let rows = count("rows", self.rows)?;
        let margin = millimetres("sheet_margin_mm", self.sheet_margin_mm, 10.0, 0.0..=100.0)?;
        let gap = millimetres("gap_mm", self.gap_mm, 2.0, 0.0..=50.0)?;
        let crop_marks = match self.crop_marks.map(str::trim) {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => return Err(malformed("crop_marks", other, "true or false")),
        };
        if crop_marks && margin < CROP_OFFSET_MM + 2.0 {
            return Err(OptionsError::unscannable(
                "crop_marks",
                format!(
                    "crop marks are drawn in the sheet margin: give sheet_margin_mm of at least {} mm",
                    CROP_OFFSET_MM + 2.0
                ),
            ));
        }
        let room = (page.0 - 2.0 * margin, page.1 - 2.0 * margin);
        // Labels across a length: fixed by the caller, or as many as fit.
        let fit = |room: f64, label: f64| ((room + gap) / (label + gap)).floor().max(0.0) as u32;
        let share = |room: f64, n: u32| (room - gap * f64::from(n - 1)) / f64::from(n);
        let (label, cols, rows) = match (label, cols, rows) {
            (Some(label), cols, rows) => (
                label,
                cols.unwrap_or_else(|| fit(room.0, label.0)),
                rows.unwrap_or_else(|| fit(room.1, label.1)),
            ),
            (None, Some(cols), Some(rows)) => {
                ((share(room.0, cols), share(room.1, rows)), cols, rows)
            }
            (None, Some(cols), None) => {
                let width = share(room.0, cols);
                ((width, DEFAULT_LABEL.1), cols, fit(room.1, DEFAULT_LABEL.1))
            }
            (None, None, Some(rows)) => {
                let height = share(room.1, rows);
                (
                    (DEFAULT_LABEL.0, height),
                    fit(room.0, DEFAULT_LABEL.0),
                    rows,
                )
            }
            (None, None, None) => (
                DEFAULT_LABEL,
                fit(room.0, DEFAULT_LABEL.0),
                fit(room.1, DEFAULT_LABEL.1),
            ),
        };
        let needs =
            |n: u32, label: f64| f64::from(n) * label + f64::from(n.saturating_sub(1)) * gap;
        let fits = cols > 0
            && rows > 0
            && label.0 >= 5.0
            && label.1 >= 5.0
            && needs(cols, label.0) <= room.0 + 1e-6
            && needs(rows, label.1) <= room.1 + 1e-6;
        if !fits {
            return Err(OptionsError::unscannable(
                "label_mm",
                format!(
                    "{cols} x {rows} labels of {} x {} mm with {gap} mm gaps do not fit the \
                     {} x {} mm between the page's {margin} mm margins",
                    number(label.0),
                    number(label.1),
                    number(room.0),
                    number(room.1)
                ),
            ));
        }
        Ok(Sheet {
            page,
            label,
            cols,
            rows,
            margin,
            gap,
            crop_marks,
        })
    }
}

impl Sheet {
    pub fn per_page(&self) -> usize {
        (self.cols * self.rows) as usize
    }

    /// Top-left corner of the label at `index` on its page (row by row), from the page's
    /// bottom-left.
    fn label_corner(&self, index: usize) -> (f64, f64) {
        let (col, row) = (index as u32 % self.cols, index as u32 / self.cols);
        (
            self.margin + f64::from(col) * (self.label.0 + self.gap),
            self.page.1 - self.margin - f64::from(row) * (self.label.1 + self.gap),
        )
    }

    /// The content of one page: its labels in order, then the crop marks.
    pub fn render_page(
        &self,
        labels: &[Label],
        options: &RenderOptions,
        serial_width: usize,
    ) -> Result<Vec<u8>, OptionsError> {
        let mut content = String::with_capacity(labels.len() * 6 * 1024);
        for (index, label) in labels.iter().enumerate() {
            self.render_label(
                &mut content,
                self.label_corner(index),
                label,
                options,
                serial_width,
            )?;
        }
        if self.crop_marks {
            self.render_crop_marks(&mut content);
        }
        Ok(content.into_bytes())
    }

    fn render_label(
        &self,
        out: &mut String,
        (left, top): (f64, f64),
        label: &Label,
        options: &RenderOptions,
        serial_width: usize,
    ) -> Result<(), OptionsError> {
        let text = format!("{:0serial_width$} {}", label.serial, label.token);
        let inner_width = self.label.0 - 2.0 * PADDING_MM;
        let font = (inner_width / (COURIER_EM * text.len() as f64)).min(MAX_TEXT_MM);
        let text_block = font * 1.2 + 1.0;
        let room = inner_width.min(self.label.1 - 2.0 * PADDING_MM - text_block);
        let matrix = Matrix::for_options(label.url, options)
            .map_err(|e| OptionsError::Malformed(e.to_string()))?;
        let modules = f64::from(matrix.width as u32 + 2 * options.margin);
        let side = match options.scale {
            Scale::Units(_) => ((room / modules / DOT_MM).floor() * DOT_MM).max(DOT_MM) * modules,
            Scale::ModuleMm(mm) => mm * modules,
            Scale::SymbolMm(mm) => mm,
        };
        if side > room + 1e-6 {
            return Err(OptionsError::unscannable(
                "label_mm",
                format!(
                    "a {} mm symbol does not fit a {} x {} mm label, which has room for {} mm \
                     beside its padding and text: give larger labels or a smaller size",
                    number(side),
                    number(self.label.0),
                    number(self.label.1),
                    number(room.max(0.0))
                ),
            ));
        }
        let fitted = RenderOptions {
            scale: Scale::SymbolMm(side),
            ..options.clone()
        };
        // Refuses modules under the printable minimum, as for every renderer; a symbol
        // fitted to the label is too small because of the label.
        let layout = match (fitted.layout(matrix.width), options.scale) {
            (Err(_), Scale::Units(_)) => {
                return Err(OptionsError::unscannable(
                    "label_mm",
                    format!(
                        "a {} x {} mm label has room for a {} mm symbol, whose {modules} \
                         modules would be under the 0.25 mm that print needs: use larger \
                         labels, a lower ecc or a narrower margin",
                        number(self.label.0),
                        number(self.label.1),
                        number(side)
                    ),
                ));
            }
            (layout, _) => layout?,
        };
        let module = layout.module_mm.unwrap_or(side / modules);
        let on_dot = |mm: f64| (mm / DOT_MM).round() * DOT_MM;
        let x = on_dot(left + (self.label.0 - side) / 2.0);
        let y = on_dot(top - PADDING_MM);
        let _ = writeln!(
            out,
            "q {} {} 0 0 {} {} {} cm {} rg 0 0 {} {} re f {} rg",
            number(module),
            number(module),
            number(-module),
            number(x),
            number(y),
            rgb(options.bg),
            modules,
            modules,
            rgb(options.fg)
        );
        let quiet = options.margin as usize;
        for row in 0..matrix.width {
            for (col, run) in matrix.dark_runs(row) {
                let _ = write!(out, "{} {} {run} 1 re ", col + quiet, row + quiet);
            }
        }
        out.push('f');
        if let (Some(logo), Some(room)) = (&options.logo, matrix.logo_room) {
            let placed = LogoPlacement::new(room, quiet);
            let (x, y, w, h) = placed.rect(logo.dimensions());
            // Image space is a unit square drawn upward; these axes point down.
            let _ = write!(
                out,
                " q {} 0 0 {} {} {} cm /{LOGO} Do Q",
                number(w),
                number(-h),
                number(x),
                number(y + h)
            );
        }
        let text_width = COURIER_EM * font * text.len() as f64;
        let _ = writeln!(
            out,
            " Q BT /F1 {} Tf {} rg {} {} Td ({}) Tj ET",
            number(font),
            rgb(options.fg),
            number(left + (self.label.0 - text_width) / 2.0),
            number(y - side - 1.0 - font * 0.8),
            escape(&text)
        );
        Ok(())
    }

    /// Hairlines in the margin at every label edge, outside the grid.
    fn render_crop_marks(&self, out: &mut String) {
        let grid_left = self.margin;
        let grid_top = self.page.1 - self.margin;
        let grid_right = grid_left + f64::from(self.cols) * (self.label.0 + self.gap) - self.gap;
        let grid_bottom = grid_top - f64::from(self.rows) * (self.label.1 + self.gap) + self.gap;
        let length = CROP_LENGTH_MM.min(self.margin - CROP_OFFSET_MM - 1.0);
        out.push_str("q 0 0 0 RG 0.1 w\n");
        let mut line = |x1: f64, y1: f64, x2: f64, y2: f64| {
            let _ = writeln!(
                out,
                "{} {} m {} {} l S",
                number(x1),
                number(y1),
                number(x2),
                number(y2)
            );
        };
        for col in 0..self.cols {
            let left = grid_left + f64::from(col) * (self.label.0 + self.gap);
            for x in [left, left + self.label.0] {
                line(
                    x,
                    grid_top + CROP_OFFSET_MM,
                    x,
                    grid_top + CROP_OFFSET_MM + length,
                );
                line(
                    x,
                    grid_bottom - CROP_OFFSET_MM,
                    x,
                    grid_bottom - CROP_OFFSET_MM - length,
                );
            }
        }
        for row in 0..self.rows {
            let top = grid_top - f64::from(row) * (self.label.1 + self.gap);
            for y in [top, top - self.label.1] {
                line(
                    grid_left - CROP_OFFSET_MM,
                    y,
                    grid_left - CROP_OFFSET_MM - length,
                    y,
                );
                line(
                    grid_right + CROP_OFFSET_MM,
                    y,
                    grid_right + CROP_OFFSET_MM + length,
                    y,
                );
            }
        }
        out.push_str("Q\n");
    }
}

fn rgb(colour: Colour) -> String {
    let [r, g, b] = colour.0.map(|c| number(f64::from(c) / 255.0));
    format!("{r} {g} {b}")
}

/// A PDF string literal's special characters escaped.
fn escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)")
}

fn malformed(option: &str, value: &str, expected: &str) -> OptionsError {
    OptionsError::Malformed(format!("{option} must be {expected}, not {value:?}"))
}

/// `WxH` in millimetres, such as `40x30`.
fn dimensions(
    option: &str,
    raw: &str,
    range: std::ops::RangeInclusive<f64>,
) -> Result<(f64, f64), OptionsError> {
    let expected = format!(
        "width x height in millimetres such as 40x30, each from {} to {}",
        range.start(),
        range.end()
    );
    let (w, h) = raw
        .trim()
        .split_once(['x', 'X'])
        .ok_or_else(|| malformed(option, raw, &expected))?;
    let side = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| range.contains(v))
            .ok_or_else(|| malformed(option, raw, &expected))
    };
    Ok((side(w)?, side(h)?))
}

fn millimetres(
    option: &str,
    raw: Option<&str>,
    default: f64,
    range: std::ops::RangeInclusive<f64>,
) -> Result<f64, OptionsError> {
    match raw {
        None => Ok(default),
        Some(r) => r
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| range.contains(v))
            .ok_or_else(|| {
                malformed(
                    option,
                    r,
                    &format!("millimetres from {} to {}", range.start(), range.end()),
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(text: SheetText) -> Result<Sheet, OptionsError> {
        text.parse()
    }

    #[test]
    fn a4_holds_as_many_default_labels_as_fit() {
        let s = sheet(SheetText::default()).unwrap();
        assert_eq!((s.page, s.label, s.cols, s.rows), (A4, DEFAULT_LABEL, 4, 5));
        let s = sheet(SheetText {
            page: Some("letter"),
            label_mm: Some("50x30"),
            sheet_margin_mm: Some("5"),
            gap_mm: Some("0"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((s.cols, s.rows), (4, 8));
    }

    #[test]
    fn rows_and_columns_share_the_page_when_no_label_size_is_given() {
        let s = sheet(SheetText {
            page: Some("100x150"),
            cols: Some("2"),
            rows: Some("3"),
            sheet_margin_mm: Some("5"),
            gap_mm: Some("0"),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.label, (45.0, 140.0 / 3.0));
        assert_eq!(s.label_corner(3), (50.0, 145.0 - 140.0 / 3.0));
    }

    #[test]
    fn what_does_not_fit_or_cannot_be_read_is_refused() {
        let too_many = sheet(SheetText {
            label_mm: Some("60x60"),
            cols: Some("4"),
            ..Default::default()
        });
        assert!(matches!(
            too_many,
            Err(OptionsError::Unscannable {
                option: "label_mm",
                ..
            })
        ));
        for text in [
            SheetText {
                page: Some("A5"),
                ..Default::default()
            },
            SheetText {
                page: Some("10x10"),
                ..Default::default()
            },
            SheetText {
                label_mm: Some("40"),
                ..Default::default()
            },
            SheetText {
                cols: Some("0"),
                ..Default::default()
            },
            SheetText {
                gap_mm: Some("-1"),
                ..Default::default()
            },
            SheetText {
                crop_marks: Some("maybe"),
                ..Default::default()
            },
        ] {
            assert!(matches!(sheet(text), Err(OptionsError::Malformed(_))));
        }
        let no_room = sheet(SheetText {
            crop_marks: Some("true"),
            sheet_margin_mm: Some("1"),
            ..Default::default()
        });
        assert!(matches!(
            no_room,
            Err(OptionsError::Unscannable {
                option: "crop_marks",
                ..
            })
        ));
    }

    #[test]
    fn a_symbol_too_big_for_its_label_is_refused() {
        let s = sheet(SheetText {
            label_mm: Some("20x25"),
            ..Default::default()
        })
        .unwrap();
        let label = Label {
            serial: 1,
            token: "ABCDEFGHJKMNP",
            url: "HTTPS://GO.EXAMPLE.COM/S/ABCDEFGHJKMNP",
        };
        let options = RenderOptions {
            scale: Scale::ModuleMm(1.0),
            ..RenderOptions::default()
        };
        assert!(matches!(
            s.render_page(&[label], &options, 7),
            Err(OptionsError::Unscannable {
                option: "label_mm",
                ..
            })
        ));
    }
}
