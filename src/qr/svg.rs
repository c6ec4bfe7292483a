//! SVG: one path of unit squares in module coordinates, scaled by the viewBox, so the
//! file stays small and prints crisp at any size. A logo is embedded as a PNG (the SVG
//! stays one self-contained file a print shop can open anywhere).

use std::fmt::Write;

use super::{Layout, Matrix, RenderOptions};

/// Fewest pixels across an embedded logo: an SVG is often scaled up after it is made.
const MIN_LOGO_PX: u32 = 128;

pub fn render_svg(matrix: &Matrix, options: &RenderOptions, layout: &Layout) -> String {
    let margin = options.margin as usize;
    let modules = layout.modules;
    // Drawn for print, the size is in millimetres, so it places at the size asked for.
    let edge = match layout.module_mm {
        Some(mm) => format!("{}mm", round_mm(f64::from(modules) * mm)),
        None => (modules * layout.pixels_per_module).to_string(),
    };
    let (fg, bg) = (options.fg.hex(), options.bg.hex());
    let mut svg = String::with_capacity(400 + matrix.width * matrix.width * 4);
    let _ = write!(
        svg,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" \
         version=\"1.1\" width=\"{edge}\" height=\"{edge}\" \
         viewBox=\"0 0 {modules} {modules}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{modules}\" height=\"{modules}\" fill=\"{bg}\"/><path d=\""
    );
    // A rectangle per run of dark modules, `M{x} {y}h{run}v1h-{run}z`: written without
    // the formatting machinery, which took a tenth of a large export's time.
    for y in 0..matrix.width {
        for (x, run) in matrix.dark_runs(y) {
            svg.push('M');
            push_number(&mut svg, x + margin);
            svg.push(' ');
            push_number(&mut svg, y + margin);
            svg.push('h');
            push_number(&mut svg, run);
            svg.push_str("v1h-");
            push_number(&mut svg, run);
            svg.push('z');
        }
    }
    let _ = write!(svg, "\" fill=\"{fg}\"/>");
    if let (Some(logo), Some(room)) = (&options.logo, matrix.logo_room) {
        let placed = super::LogoPlacement::new(room, margin);
        // Twice the PNG's resolution (600 dpi for print by default): sharp when scaled,
        // yet small enough to repeat in every file of a large export.
        let px = (2.0 * placed.side * layout.pixels_per_module as f64) as u32;
        let fitted = logo.fitted(options.bg, px.clamp(MIN_LOGO_PX, super::LOGO_EDGE));
        let (x, y, w, h) = placed.rect(fitted.image.dimensions());
        let _ = write!(
            svg,
            "<image x=\"{x:.4}\" y=\"{y:.4}\" width=\"{w:.4}\" height=\"{h:.4}\" \
             preserveAspectRatio=\"none\" xlink:href=\"{}\"/>",
            fitted.data_uri
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// A module count (under 1,000: a symbol is at most 177 modules and its quiet zone 40).
fn push_number(out: &mut String, n: usize) {
    if n >= 100 {
        out.push(char::from(b'0' + (n / 100 % 10) as u8));
    }
    if n >= 10 {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// Millimetres to a thousandth, without trailing zeros.
fn round_mm(mm: f64) -> String {
    let text = format!("{mm:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::push_number;

    #[test]
    fn numbers_are_written_in_decimal() {
        for n in [0, 7, 10, 42, 99, 100, 177, 257] {
            let mut out = String::new();
            push_number(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
