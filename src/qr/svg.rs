//! SVG: one path of unit squares in module coordinates, scaled by the viewBox, so the
//! file stays small and prints crisp at any size.

use std::fmt::Write;

use super::{Layout, Matrix, RenderOptions};

pub fn render_svg(matrix: &Matrix, options: &RenderOptions, layout: &Layout) -> String {
    let margin = options.margin as usize;
    let modules = layout.modules;
    // Drawn for print, the size is in millimetres, so it places at the size asked for.
    let edge = match layout.module_mm {
        Some(mm) => format!("{}mm", round_mm(f64::from(modules) * mm)),
        None => (modules * layout.pixels_per_module).to_string(),
    };
    let (fg, bg) = (options.fg.hex(), options.bg.hex());
    let mut path = String::with_capacity(matrix.width * matrix.width * 4);
    for y in 0..matrix.width {
        for (x, run) in matrix.dark_runs(y) {
            let _ = write!(path, "M{} {}h{run}v1h-{run}z", x + margin, y + margin);
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{edge}\" height=\"{edge}\" \
         viewBox=\"0 0 {modules} {modules}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{modules}\" height=\"{modules}\" fill=\"{bg}\"/>\
         <path d=\"{path}\" fill=\"{fg}\"/></svg>\n"
    )
}

/// Millimetres to a thousandth, without trailing zeros.
fn round_mm(mm: f64) -> String {
    let text = format!("{mm:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
