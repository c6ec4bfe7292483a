//! QR symbols for short links, drawn by our own SVG and PNG renderers so the quiet zone,
//! module size and colours are exactly what the print shop asked for.

mod logo;
mod logo_room;
mod mask;
mod options;
mod png;
mod svg;

pub use logo::{LOGO_EDGE, Logo, MAX_LOGO_BYTES};
use logo_room::logo_room;
pub use options::{
    Colour, Ecc, Layout, OptionsError, OptionsText, RenderOptions, Scale, parse_ecc,
};
pub use png::render_png;
pub use svg::render_svg;

/// Largest PNG edge we draw, in pixels: big enough for a billboard file, small enough that
/// a request cannot make the server allocate gigabytes.
pub const MAX_PNG_EDGE: u32 = 8192;

/// Why data could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the data does not fit in a QR symbol at this error correction")]
pub struct TooLong;

/// The dark/light grid of a symbol.
pub struct Matrix {
    pub width: usize,
    pub version: i16,
    dark: Vec<bool>,
    /// The square left blank for a logo, if one is drawn.
    pub logo_room: Option<Room>,
}

/// A centred square of modules, quiet zone excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    /// Column (and row) of its top-left module.
    pub start: usize,
    /// Modules across.
    pub side: usize,
}

/// Where a logo is drawn, in modules from the symbol's top-left corner (quiet zone
/// included): a square half a module inside its room, so a light border separates it
/// from the modules around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogoPlacement {
    pub x: f64,
    pub y: f64,
    pub side: f64,
}

impl LogoPlacement {
    pub fn new(room: Room, margin: usize) -> Self {
        let corner = (margin + room.start) as f64 + 0.5;
        Self {
            x: corner,
            y: corner,
            side: room.side as f64 - 1.0,
        }
    }

    /// The rectangle (x, y, width, height) an image of `w` x `h` pixels fills: fitted
    /// into the square, aspect kept, centred.
    pub fn rect(&self, (w, h): (u32, u32)) -> (f64, f64, f64, f64) {
        let scale = self.side / f64::from(w.max(h).max(1));
        let (fw, fh) = (f64::from(w) * scale, f64::from(h) * scale);
        (
            self.x + (self.side - fw) / 2.0,
            self.y + (self.side - fh) / 2.0,
            fw,
            fh,
        )
    }
}

impl Matrix {
    /// Encodes `data` as `options` ask; with a logo, the centre is left blank for it,
    /// as large as error correction H can restore with room to spare (`logo_room`).
    pub fn for_options(data: &str, options: &RenderOptions) -> Result<Self, TooLong> {
        let mut matrix = Self::encode(data, options.ecc)?;
        if options.logo.is_some() {
            let side = logo_room(matrix.version as usize);
            let start = (matrix.width - side) / 2;
            for y in start..start + side {
                matrix.dark[y * matrix.width + start..y * matrix.width + start + side].fill(false);
            }
            matrix.logo_room = Some(Room { start, side });
        }
        Ok(matrix)
    }

    /// Encodes `data` in the mode (or mix of modes) that makes the symbol smallest, so an
    /// all-uppercase URL goes in alphanumeric mode, with the lowest-penalty mask
    /// (`mask::encode`: about 2.7 times fast_qr's rate and 15 times the `qrcode` crate's
    /// on short links; `BENCH_MODE=export`).
    pub fn encode(data: &str, ecc: Ecc) -> Result<Self, TooLong> {
        let (width, dark) = mask::encode(data, ecc)?;
        Ok(Self {
            width,
            version: ((width - 17) / 4) as i16,
            dark,
            logo_room: None,
        })
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// The runs of dark modules in row `y`, as (first column, length): a vector renderer
    /// draws one rectangle per run, which keeps its output short.
    pub fn dark_runs(&self, y: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let row = &self.dark[y * self.width..(y + 1) * self.width];
        let mut x = 0;
        std::iter::from_fn(move || {
            while x < row.len() && !row[x] {
                x += 1;
            }
            let start = x;
            while x < row.len() && row[x] {
                x += 1;
            }
            (x > start).then_some((start, x - start))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Matrix;

    #[test]
    fn dark_runs_cover_each_row_exactly() {
        let rows = ["#.##.", ".....", "#####"];
        let matrix = Matrix {
            width: 5,
            version: 0,
            dark: rows.concat().chars().map(|c| c == '#').collect(),
            logo_room: None,
        };
        let runs: Vec<Vec<(usize, usize)>> =
            (0..3).map(|y| matrix.dark_runs(y).collect()).collect();
        assert_eq!(runs, [vec![(0, 1), (2, 2)], vec![], vec![(0, 5)]]);
    }
}
