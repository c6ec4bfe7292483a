//! A logo for the centre of a symbol. Whatever is uploaded (PNG or SVG) is decoded and
//! stored as a fresh PNG: SVG is rasterised on upload, so no script, external reference
//! or metadata of the upload ever reaches a printed file or a browser.

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use image::imageops::{self, FilterType};
use image::{ImageFormat, ImageReader, Limits, Rgb, RgbImage, RgbaImage};

use super::Colour;

/// Largest upload accepted.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;
/// Largest PNG edge decoded from an upload.
const MAX_SOURCE_EDGE: u32 = 4096;
/// Longest edge of the stored logo: a logo covers at most about a fifth of a symbol, so
/// 512 px is over 1,200 dpi at the 10 mm a logo has on a 50 mm label.
pub const LOGO_EDGE: u32 = 512;
/// Below this a logo is a smudge, not a mark.
const MIN_EDGE: u32 = 16;

/// Why an upload is not a usable logo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LogoError(pub String);

fn refuse(message: impl Into<String>) -> LogoError {
    LogoError(message.into())
}

/// A stored logo, decoded once and drawn at each size asked for.
pub struct Logo {
    png: Vec<u8>,
    image: RgbaImage,
    /// Fitted copies already made: an export draws every code at one size.
    fitted: Mutex<Vec<Arc<Fitted>>>,
}

/// The logo fitted into a square of pixels and laid on the symbol's background.
pub struct Fitted {
    bg: Colour,
    edge: u32,
    pub image: RgbImage,
    /// `data:image/png;base64,...`, for SVG.
    pub data_uri: String,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Logo({}x{})", self.image.width(), self.image.height())
    }
}

impl PartialEq for Logo {
    fn eq(&self, other: &Self) -> bool {
        self.png == other.png
    }
}

impl Logo {
    /// Reads an upload (PNG or SVG, told apart by content) and returns the PNG to store,
    /// with its width and height: transparent borders trimmed, at most `LOGO_EDGE` pixels
    /// on its longest side.
    pub fn normalise(upload: &[u8]) -> Result<(Vec<u8>, (u32, u32)), LogoError> {
        if upload.len() > MAX_LOGO_BYTES {
            return Err(refuse(format!(
                "the logo is {} bytes; at most {MAX_LOGO_BYTES}",
                upload.len()
            )));
        }
        let image = if upload.starts_with(b"\x89PNG\r\n\x1a\n") {
            decode_png(upload)?
        } else if looks_like_svg(upload) {
            rasterise_svg(upload)?
        } else {
            return Err(refuse(
                "the logo must be a PNG or an SVG image (sent as the request body)",
            ));
        };
        let image = trim_transparent(&image)
            .ok_or_else(|| refuse("the logo is fully transparent: nothing would be drawn"))?;
        let (w, h) = image.dimensions();
        if w.max(h) < MIN_EDGE {
            return Err(refuse(format!(
                "the logo is {w}x{h} px; give at least {MIN_EDGE} px on its longest side"
            )));
        }
        let image = if w.max(h) > LOGO_EDGE {
            let (fw, fh) = fit(w, h, LOGO_EDGE);
            imageops::resize(&image, fw, fh, FilterType::Lanczos3)
        } else {
            image
        };
        let png = encode_png(&image)
            .map_err(|e| refuse(format!("the logo could not be re-encoded: {e}")))?;
        Ok((png, image.dimensions()))
    }

    /// A logo stored by `normalise`.
    pub fn from_png(png: Vec<u8>) -> Result<Self, image::ImageError> {
        let image = image::load_from_memory_with_format(&png, ImageFormat::Png)?.to_rgba8();
        Ok(Self {
            png,
            image,
            fitted: Mutex::new(Vec::new()),
        })
    }

    pub fn dimensions(&self) -> (u32, u32) {
        self.image.dimensions()
    }

    /// The logo fitted (aspect kept) into an `edge`-pixel square, on `bg`.
    pub fn fitted(&self, bg: Colour, edge: u32) -> Arc<Fitted> {
        let mut cache = self.fitted.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = cache.iter().find(|f| f.bg == bg && f.edge == edge) {
            return found.clone();
        }
        let (w, h) = self.image.dimensions();
        let (fw, fh) = fit(w, h, edge.max(1));
        let scaled = if (fw, fh) == (w, h) {
            self.image.clone()
        } else {
            imageops::resize(&self.image, fw, fh, FilterType::Lanczos3)
        };
        let image = flatten(&scaled, bg);
        let png = encode_png(&image).unwrap_or_default();
        let fitted = Arc::new(Fitted {
            bg,
            edge,
            data_uri: format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(png)
            ),
            image,
        });
        // A handful of sizes at most per export; a long-lived logo keeps only the latest.
        if cache.len() >= 8 {
            cache.remove(0);
        }
        cache.push(fitted.clone());
        fitted
    }
}

/// `w` x `h` scaled to fit an `edge` square, aspect kept, never under one pixel.
fn fit(w: u32, h: u32, edge: u32) -> (u32, u32) {
    let scale = f64::from(edge) / f64::from(w.max(h));
    let side = |v: u32| ((f64::from(v) * scale).round() as u32).clamp(1, edge);
    (side(w), side(h))
}

fn decode_png(bytes: &[u8]) -> Result<RgbaImage, LogoError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Png);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_EDGE);
    limits.max_image_height = Some(MAX_SOURCE_EDGE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => refuse(format!(
            "the logo PNG is larger than {MAX_SOURCE_EDGE}x{MAX_SOURCE_EDGE} px"
        )),
        other => refuse(format!("the logo PNG cannot be read: {other}")),
    })?;
    Ok(image.to_rgba8())
}

fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with('<') && text.contains("<svg")
}

/// Draws an SVG at `LOGO_EDGE` pixels on its longest side. Images it references (files or
/// data URLs) are not loaded, and text is not drawn: a logo's lettering must be paths.
fn rasterise_svg(bytes: &[u8]) -> Result<RgbaImage, LogoError> {
    use resvg::{tiny_skia, usvg};
    let options = usvg::Options {
        resources_dir: None,
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_data(bytes, &options)
        .map_err(|e| refuse(format!("the logo SVG cannot be read: {e}")))?;
    let size = tree.size();
    let (w, h) = (size.width(), size.height());
    let scale = LOGO_EDGE as f32 / w.max(h);
    let (pw, ph) = (
        ((w * scale).round() as u32).max(1),
        ((h * scale).round() as u32).max(1),
    );
    let mut pixmap = tiny_skia::Pixmap::new(pw, ph)
        .ok_or_else(|| refuse("the logo SVG has no drawable size"))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let mut image = RgbaImage::new(pw, ph);
    for (pixel, out) in pixmap.pixels().iter().zip(image.pixels_mut()) {
        let c = pixel.demultiply();
        *out = image::Rgba([c.red(), c.green(), c.blue(), c.alpha()]);
    }
    Ok(image)
}

/// The image cropped to its pixels that are not fully transparent, or `None` if all are.
fn trim_transparent(image: &RgbaImage) -> Option<RgbaImage> {
    let (w, h) = image.dimensions();
    let visible = |x: u32, y: u32| image.get_pixel(x, y)[3] > 0;
    let rows: Vec<u32> = (0..h).filter(|&y| (0..w).any(|x| visible(x, y))).collect();
    let cols: Vec<u32> = (0..w).filter(|&x| (0..h).any(|y| visible(x, y))).collect();
    let (top, bottom) = (*rows.first()?, *rows.last()?);
    let (left, right) = (*cols.first()?, *cols.last()?);
    Some(imageops::crop_imm(image, left, top, right - left + 1, bottom - top + 1).to_image())
}

/// Lays the logo on `bg`: transparent parts show the symbol's background.
fn flatten(image: &RgbaImage, bg: Colour) -> RgbImage {
    let mut out = RgbImage::new(image.width(), image.height());
    for (pixel, target) in image.pixels().zip(out.pixels_mut()) {
        let alpha = u16::from(pixel[3]);
        let mix =
            |fg: u8, bg: u8| ((u16::from(fg) * alpha + u16::from(bg) * (255 - alpha)) / 255) as u8;
        *target = Rgb([0, 1, 2].map(|i| mix(pixel[i], bg.0[i])));
    }
    out
}

fn encode_png<P, C>(image: &image::ImageBuffer<P, C>) -> Result<Vec<u8>, image::ImageError>
where
    P: image::Pixel<Subpixel = u8> + image::PixelWithColorType,
    C: std::ops::Deref<Target = [u8]>,
{
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(image: &RgbaImage) -> Vec<u8> {
        encode_png(image).unwrap()
    }

    #[test]
    fn transparent_borders_are_trimmed_and_large_logos_shrunk() {
        let mut image = RgbaImage::new(2000, 1000);
        for y in 100..900 {
            for x in 200..1800 {
                image.put_pixel(x, y, image::Rgba([200, 0, 0, 255]));
            }
        }
        let (png, dimensions) = Logo::normalise(&png_of(&image)).unwrap();
        assert_eq!(dimensions, (512, 256));
        let stored = Logo::from_png(png).unwrap();
        assert_eq!(stored.dimensions(), (512, 256));
    }

    #[test]
    fn svg_is_rasterised_without_loading_what_it_references() {
        let svg = br##"<?xml version="1.0"?>
            <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="50">
              <script>alert(1)</script>
              <image xlink:href="/etc/passwd" width="100" height="50"/>
              <rect x="10" y="10" width="80" height="30" fill="#0a6"/>
            </svg>"##;
        let stored = Logo::from_png(Logo::normalise(svg).unwrap().0).unwrap();
        // The rectangle alone is left after trimming: 80x30 drawn at 512/100.
        assert_eq!(stored.dimensions(), (410, 154));
        assert_eq!(stored.image.get_pixel(200, 77).0, [0x00, 0xaa, 0x66, 0xff]);
    }

    #[test]
    fn what_is_not_a_logo_is_refused_with_the_reason() {
        let tiny = png_of(&RgbaImage::from_pixel(8, 8, image::Rgba([0, 0, 0, 255])));
        let clear = png_of(&RgbaImage::new(64, 64));
        for (upload, says) in [
            (b"GIF89a....".to_vec(), "PNG or an SVG"),
            (b"\x89PNG\r\n\x1a\nbroken".to_vec(), "cannot be read"),
            (b"<svg oops".to_vec(), "SVG cannot be read"),
            (tiny, "at least 16 px"),
            (clear, "transparent"),
            (vec![b' '; MAX_LOGO_BYTES + 1], "at most"),
        ] {
            let err = Logo::normalise(&upload).unwrap_err();
            assert!(err.0.contains(says), "{says}: {err}");
        }
    }

    #[test]
    fn a_fitted_logo_keeps_its_aspect_and_shows_the_background_through() {
        let mut image = RgbaImage::new(40, 20);
        image.put_pixel(0, 0, image::Rgba([0, 0, 0, 255]));
        let logo = Logo::from_png(png_of(&image)).unwrap();
        let fitted = logo.fitted(Colour([250, 240, 230]), 10);
        assert_eq!(fitted.image.dimensions(), (10, 5));
        assert_eq!(fitted.image.get_pixel(9, 4), &Rgb([250, 240, 230]));
        assert!(fitted.data_uri.starts_with("data:image/png;base64,iVBOR"));
        assert!(Arc::ptr_eq(
            &fitted,
            &logo.fitted(Colour([250, 240, 230]), 10)
        ));
    }
}
