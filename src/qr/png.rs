//! PNG: a two-colour indexed image, one bit a pixel, `pixels_per_module` pixels a module;
//! drawn for print, it carries its physical resolution so it prints at the size asked for.
//! With a logo the image is RGB, the logo laid over the blank centre.

use png::{BitDepth, ColorType, Encoder, PixelDimensions, Unit};

use super::{Layout, LogoPlacement, Matrix, RenderOptions};

pub fn render_png(
    matrix: &Matrix,
    options: &RenderOptions,
    layout: &Layout,
) -> Result<Vec<u8>, png::EncodingError> {
    let scale = layout.pixels_per_module as usize;
    let margin = options.margin as usize;
    let edge = layout.modules as usize * scale;
    let row_bytes = edge.div_ceil(8);
    let mut pixels = vec![0u8; row_bytes * edge];
    for y in 0..matrix.width {
        let first_row = (y + margin) * scale * row_bytes;
        let row = &mut pixels[first_row..first_row + row_bytes];
        for x in (0..matrix.width).filter(|&x| matrix.is_dark(x, y)) {
            for px in (x + margin) * scale..(x + margin + 1) * scale {
                row[px / 8] |= 0x80 >> (px % 8);
            }
        }
        // The module's other pixel rows repeat its first.
        let (done, rest) = pixels[first_row..].split_at_mut(row_bytes);
        for copy in rest.chunks_exact_mut(row_bytes).take(scale - 1) {
            copy.copy_from_slice(done);
        }
    }
    let mut bytes = Vec::new();
    let mut encoder = Encoder::new(&mut bytes, edge as u32, edge as u32);
    encoder.set_pixel_dims(layout.pixels_per_metre().map(|ppm| PixelDimensions {
        xppu: ppm,
        yppu: ppm,
        unit: Unit::Meter,
    }));
    let image = match (&options.logo, matrix.logo_room) {
        (Some(logo), Some(room)) => {
            encoder.set_color(ColorType::Rgb);
            encoder.set_depth(BitDepth::Eight);
            let mut rgb = Vec::with_capacity(edge * edge * 3);
            for y in 0..edge {
                let row = &pixels[y * row_bytes..(y + 1) * row_bytes];
                for x in 0..edge {
                    let dark = row[x / 8] & (0x80 >> (x % 8)) != 0;
                    rgb.extend_from_slice(&if dark { options.fg.0 } else { options.bg.0 });
                }
            }
            let placed = LogoPlacement::new(room, margin);
            let fitted = logo.fitted(options.bg, (placed.side * scale as f64) as u32);
            let (x, y, _, _) = placed.rect(fitted.image.dimensions());
            let (left, top) = ((x * scale as f64) as usize, (y * scale as f64) as usize);
            for (row, line) in fitted.image.rows().enumerate() {
                let start = ((top + row) * edge + left) * 3;
                for (i, pixel) in line.enumerate() {
                    rgb[start + i * 3..start + i * 3 + 3].copy_from_slice(&pixel.0);
                }
            }
            rgb
        }
        _ => {
            encoder.set_color(ColorType::Indexed);
            encoder.set_depth(BitDepth::One);
            encoder.set_palette([options.bg.0, options.fg.0].concat());
            pixels
        }
    };
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&image)?;
    writer.finish()?;
    Ok(bytes)
}
