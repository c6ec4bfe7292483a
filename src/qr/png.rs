//! PNG: a 1-bit-looking 8-bit grayscale image, `module_size` pixels per module.

use std::io::Cursor;

use image::{GrayImage, ImageFormat, Luma};

use super::{Matrix, RenderOptions};

pub fn render_png(matrix: &Matrix, options: &RenderOptions) -> Result<Vec<u8>, image::ImageError> {
    let scale = options.module_size;
    let margin = options.margin;
    let edge = (matrix.width as u32 + 2 * margin) * scale;
    let image = GrayImage::from_fn(edge, edge, |px, py| {
        let (mx, my) = (px / scale, py / scale);
        let inside = |m: u32| m >= margin && m < margin + matrix.width as u32;
        let dark = inside(mx)
            && inside(my)
            && matrix.is_dark((mx - margin) as usize, (my - margin) as usize);
        Luma([if dark { 0 } else { 255 }])
    });
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)?;
    Ok(bytes)
}
