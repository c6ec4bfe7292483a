//! PNG: a two-colour indexed image, one bit a pixel, `pixels_per_module` pixels a module;
//! drawn for print, it carries its physical resolution so it prints at the size asked for.

use png::{BitDepth, ColorType, Encoder, PixelDimensions, Unit};

use super::{Layout, Matrix, RenderOptions};

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
    encoder.set_color(ColorType::Indexed);
    encoder.set_depth(BitDepth::One);
    let palette: Vec<u8> = [options.bg.0, options.fg.0].concat();
    encoder.set_palette(palette);
    encoder.set_pixel_dims(layout.pixels_per_metre().map(|ppm| PixelDimensions {
        xppu: ppm,
        yppu: ppm,
        unit: Unit::Meter,
    }));
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&pixels)?;
    writer.finish()?;
    Ok(bytes)
}
