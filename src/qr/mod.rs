//! QR symbols for short links, drawn by our own SVG and PNG renderers so the quiet zone,
//! module size and colours are exactly what the print shop asked for.

mod options;
mod png;
mod svg;

pub use options::{Colour, Layout, OptionsError, OptionsText, RenderOptions, Scale, parse_ecc};
pub use png::render_png;
pub use svg::render_svg;

use qrcode::{Color, EcLevel, QrCode};

/// Largest PNG edge we draw, in pixels: big enough for a billboard file, small enough that
/// a request cannot make the server allocate gigabytes.
pub const MAX_PNG_EDGE: u32 = 8192;

/// The dark/light grid of a symbol.
pub struct Matrix {
    pub width: usize,
    pub version: i16,
    dark: Vec<bool>,
}

impl Matrix {
    /// Encodes `data`; the encoder picks the smallest mix of modes, so an all-uppercase URL
    /// goes in alphanumeric mode.
    pub fn encode(data: &str, ecc: EcLevel) -> Result<Self, qrcode::types::QrError> {
        let code = QrCode::with_error_correction_level(data.as_bytes(), ecc)?;
        let version = match code.version() {
            qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => v,
        };
        Ok(Self {
            width: code.width(),
            version,
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }
}
