//! One uploaded picture: checked before it is decoded, decoded under limits, made upright
//! by its EXIF orientation, and written back out as plain JPEG pixels. Nothing of the
//! upload's metadata (EXIF with GPS position, XMP, comments, colour profiles) survives,
//! because nothing but the pixels is ever written.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};

/// The largest upload accepted: a phone's full-size photo fits with room to spare.
pub const MAX_UPLOAD_BYTES: usize = 15 * 1024 * 1024;
/// Widest or tallest picture decoded, in pixels.
const MAX_SIDE: u32 = 12_000;
/// Most pixels decoded: a 48-megapixel phone camera's photo.
const MAX_PIXELS: u64 = 48_000_000;
/// Memory a decoder may take; stops a small file that claims a huge picture.
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
const JPEG_QUALITY: u8 = 82;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PictureError {
    /// Not JPEG, PNG or WebP (by content, whatever the name or type says).
    #[error("this file is not a JPEG, PNG or WebP picture")]
    Unsupported,
    #[error(
        "the picture is {0} x {1} pixels; at most {MAX_SIDE} pixels a side and 48 megapixels are accepted"
    )]
    TooLarge(u32, u32),
    /// Broken, cut short, or a decompression bomb the limits stopped.
    #[error("the picture could not be read ({0}); it may be damaged or cut short")]
    Unreadable(String),
}

/// A decoded picture, upright, as RGB pixels (transparency laid on white).
pub struct Picture(RgbImage);

/// One size of a picture, encoded.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl Picture {
    pub fn decode(upload: &[u8]) -> Result<Self, PictureError> {
        let format = image::guess_format(upload)
            .ok()
            .filter(|f| matches!(f, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP))
            .ok_or(PictureError::Unsupported)?;
        let unreadable = |e: image::ImageError| PictureError::Unreadable(e.to_string());
        let mut decoder = ImageReader::with_format(Cursor::new(upload), format)
            .into_decoder()
            .map_err(unreadable)?;
        // The header's claim is checked before a single pixel is allocated.
        let (width, height) = decoder.dimensions();
        if width.max(height) > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
            return Err(PictureError::TooLarge(width, height));
        }
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(MAX_DECODE_BYTES);
        decoder.set_limits(limits).map_err(unreadable)?;
        // A photo whose orientation cannot be read is shown as stored rather than refused.
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        let mut image = DynamicImage::from_decoder(decoder).map_err(unreadable)?;
        if width == 0 || height == 0 {
            return Err(PictureError::Unreadable("it has no pixels".into()));
        }
        image.apply_orientation(orientation);
        Ok(Self(on_white(image)))
    }

    pub fn width(&self) -> u32 {
        self.0.width()
    }

    pub fn height(&self) -> u32 {
        self.0.height()
    }

    /// A picture drawn rather than uploaded (the demo's).
    pub fn from_pixels(pixels: RgbImage) -> Self {
        Picture(pixels)
    }

    /// The picture made to fit in `max_side` x `max_side`, never enlarged.
    pub fn fitted(&self, max_side: u32) -> Picture {
        let (width, height) = fit(self.width(), self.height(), max_side);
        if (width, height) == (self.width(), self.height()) {
            return Picture(self.0.clone());
        }
        // A camera's photo is many times the size wanted: a cheap box pass to twice the
        // size first keeps the filter's working buffers (floats, a row band of the whole
        // width) small, and the last pass still smooths.
        let source = if self.width().max(self.height()) > width.max(height) * 4 {
            &image::imageops::thumbnail(&self.0, width * 2, height * 2)
        } else {
            &self.0
        };
        Picture(image::imageops::resize(
            source,
            width,
            height,
            FilterType::Triangle,
        ))
    }

    /// The pixels as a JPEG, and nothing else.
    pub fn to_jpeg(&self) -> Rendition {
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
            .encode_image(&self.0)
            .expect("encoding RGB pixels into memory cannot fail");
        Rendition {
            jpeg,
            width: self.width(),
            height: self.height(),
        }
    }
}

/// RGB pixels, with anything transparent laid on white (JPEG has no transparency, and
/// dropping the alpha channel would show whatever colour the hidden pixels had).
fn on_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (out, pixel) in rgb.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = pixel.0;
        let blend =
            |c: u8| ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a))) / 255) as u8;
        out.0 = [blend(r), blend(g), blend(b)];
    }
    rgb
}

/// The size that fits `width` x `height` in a square of `max_side`, keeping the shape.
pub fn fit(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max_side {
        return (width, height);
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(max_side) + u64::from(longest) / 2) / u64::from(longest))
            .max(1) as u32
    };
    (scale(width), scale(height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgba, RgbaImage};

    /// A little-endian EXIF block holding only an orientation.
    fn exif(orientation: u16) -> Vec<u8> {
        let mut exif =
            b"II\x2a\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00".to_vec();
        exif.extend_from_slice(&orientation.to_le_bytes());
        exif.extend_from_slice(&[0; 6]);
        exif
    }

    /// A 30 x 20 JPEG: left half red, right half blue, with the EXIF block above.
    fn jpeg_with_exif(orientation: u16) -> Vec<u8> {
        let image = RgbImage::from_fn(30, 20, |x, _| {
            if x < 15 {
                image::Rgb([220, 0, 0])
            } else {
                image::Rgb([0, 0, 220])
            }
        });
        let mut out = Vec::new();
        let mut encoder = JpegEncoder::new_with_quality(&mut out, 95);
        encoder.set_exif_metadata(exif(orientation)).unwrap();
        encoder
            .write_image(image.as_raw(), 30, 20, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn exif_orientation_is_applied_and_no_metadata_survives() {
        let upload = jpeg_with_exif(6); // rotate 90° clockwise to display
        assert!(upload.windows(4).any(|w| w == b"Exif"));
        let picture = Picture::decode(&upload).unwrap();
        assert_eq!((picture.width(), picture.height()), (20, 30));
        // Turned clockwise, the red left half is now on top.
        let top = picture.0.get_pixel(10, 2).0;
        let bottom = picture.0.get_pixel(10, 27).0;
        assert!(top[0] > 150 && top[2] < 80, "{top:?}");
        assert!(bottom[2] > 150 && bottom[0] < 80, "{bottom:?}");

        let out = picture.to_jpeg().jpeg;
        assert!(!out.windows(4).any(|w| w == b"Exif"), "EXIF left in");
        // Only the markers a bare JPEG needs: no APP1 (EXIF/XMP), APP2 (ICC) or COM.
        assert!(
            !out.windows(2)
                .any(|w| w == [0xff, 0xe1] || w == [0xff, 0xe2] || w == [0xff, 0xfe])
        );
        let decoded = image::load_from_memory(&out).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (20, 30));
    }

    #[test]
    fn pictures_fit_the_size_and_are_never_enlarged() {
        let big = RgbImage::from_pixel(1500, 1000, image::Rgb([10, 20, 30]));
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(big.as_raw(), 1500, 1000, image::ExtendedColorType::Rgb8)
            .unwrap();
        let picture = Picture::decode(&png).unwrap();
        let r = picture.fitted(1080).to_jpeg();
        assert_eq!((r.width, r.height), (1080, 720));
        let small = picture.fitted(320);
        assert_eq!((small.width(), small.height()), (320, 213));
        let decoded = image::load_from_memory(&small.to_jpeg().jpeg)
            .unwrap()
            .to_rgb8();
        let [r, g, b] = decoded.get_pixel(100, 100).0;
        assert!(
            r.abs_diff(10) < 6 && g.abs_diff(20) < 6 && b.abs_diff(30) < 6,
            "colour kept"
        );
        assert_eq!(fit(200, 100, 1080), (200, 100));
        assert_eq!(fit(10_000, 1, 100), (100, 1));
    }

    #[test]
    fn transparency_is_laid_on_white() {
        let mut rgba = RgbaImage::from_pixel(4, 4, Rgba([0, 0, 0, 0]));
        rgba.put_pixel(0, 0, Rgba([255, 0, 0, 255]));
        let picture = Picture(on_white(DynamicImage::ImageRgba8(rgba)));
        assert_eq!(picture.0.get_pixel(0, 0).0, [255, 0, 0]);
        assert_eq!(picture.0.get_pixel(3, 3).0, [255, 255, 255]);
    }

    #[test]
    fn what_is_not_a_picture_or_too_big_is_refused_before_decoding() {
        assert_eq!(
            Picture::decode(b"hello").err(),
            Some(PictureError::Unsupported)
        );
        assert_eq!(
            Picture::decode(b"GIF89a....").err(),
            Some(PictureError::Unsupported)
        );
        // A PNG claiming 60000 x 60000 pixels (10 GiB of them), with no pixel data behind it.
        let mut bomb = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
        bomb.extend_from_slice(&60_000u32.to_be_bytes());
        bomb.extend_from_slice(&60_000u32.to_be_bytes());
        bomb.extend_from_slice(&[8, 2, 0, 0, 0]);
        bomb.extend_from_slice(&crc32fast::hash(&bomb[12..]).to_be_bytes());
        bomb.extend_from_slice(b"\x00\x00\x00\x00IDAT");
        bomb.extend_from_slice(&crc32fast::hash(b"IDAT").to_be_bytes());
        assert_eq!(
            Picture::decode(&bomb).err(),
            Some(PictureError::TooLarge(60_000, 60_000))
        );
        // Cut short: the header is fine, the pixels are missing.
        let cut = &jpeg_with_exif(1)[..200];
        assert!(matches!(
            Picture::decode(cut),
            Err(PictureError::Unreadable(_))
        ));
    }
}
