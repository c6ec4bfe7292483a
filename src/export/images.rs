//! Rendering a page of a batch's codes into ZIP entries, on every core, in serial order.

use std::io;

use crate::qr::{self, Matrix, OptionsError, RenderOptions};

use super::zip::{Method, Prepared};

/// The image format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Svg,
    Png,
}

impl ImageFormat {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "svg" => Some(Self::Svg),
            "png" => Some(Self::Png),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Svg => "svg",
            Self::Png => "png",
        }
    }
}

/// Entry names are serials padded to the batch's largest serial (at least seven digits),
/// so a file listing sorts in print order.
pub fn name_width(largest_serial: i64) -> usize {
    largest_serial.max(1).to_string().len().max(7)
}

/// One code's image, or why it cannot be drawn with these options.
pub fn render(url: &str, format: ImageFormat, options: &RenderOptions) -> io::Result<Vec<u8>> {
    let matrix = Matrix::for_options(url, options).map_err(io::Error::other)?;
    let layout = options.layout(matrix.width).map_err(io::Error::other)?;
    match format {
        ImageFormat::Svg => Ok(qr::render_svg(&matrix, options, &layout).into_bytes()),
        ImageFormat::Png => {
            layout.fit_png().map_err(io::Error::other)?;
            qr::render_png(&matrix, options, &layout).map_err(io::Error::other)
        }
    }
}

/// Refuses options a code with this URL cannot be drawn with in `format`.
pub fn check(url: &str, format: ImageFormat, options: &RenderOptions) -> Result<(), OptionsError> {
    let matrix =
        Matrix::for_options(url, options).map_err(|e| OptionsError::Malformed(e.to_string()))?;
    let layout = options.layout(matrix.width)?;
    if format == ImageFormat::Png {
        layout.fit_png()?;
    }
    Ok(())
}

/// Renders `(serial, url)` pairs on every core and returns their entries in the same order.
pub fn render_page(
    codes: &[(i64, String)],
    format: ImageFormat,
    options: &RenderOptions,
    width: usize,
) -> io::Result<Vec<Prepared>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = codes.len().div_ceil(cores).max(1);
    let method = match format {
        ImageFormat::Svg => Method::Deflated,
        ImageFormat::Png => Method::Stored,
    };
    let parts: Vec<io::Result<Vec<Prepared>>> = std::thread::scope(|scope| {
        let workers: Vec<_> = codes
            .chunks(per_thread)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(serial, url)| {
                            let image = render(url, format, options)?;
                            let name = format!("{serial:0width$}.{}", format.extension());
                            Prepared::new(name, &image, method)
                        })
                        .collect()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|_| Err(io::Error::other("a render thread panicked")))
            })
            .collect()
    });
    let mut entries = Vec::with_capacity(codes.len());
    for part in parts {
        entries.extend(part?);
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_zero_padded_serials_in_order() {
        assert_eq!(name_width(42), 7);
        assert_eq!(name_width(10_000_000), 8);
        let codes: Vec<(i64, String)> = (1..=9)
            .map(|serial| (serial, format!("HTTPS://GO.EXAMPLE.COM/S/CODE{serial}")))
            .collect();
        let entries = render_page(&codes, ImageFormat::Svg, &RenderOptions::default(), 7).unwrap();
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names[0], "0000001.svg");
        assert_eq!(names[8], "0000009.svg");
        assert_eq!(names.len(), 9);
    }

    #[test]
    fn a_png_over_the_edge_limit_is_an_error_not_a_huge_allocation() {
        let options = RenderOptions {
            scale: qr::Scale::Units(100),
            margin: 40,
            ..RenderOptions::default()
        };
        let err = render("HTTPS://GO.EXAMPLE.COM/S/X", ImageFormat::Png, &options).unwrap_err();
        assert!(err.to_string().contains("limit"), "{err}");
    }
}
