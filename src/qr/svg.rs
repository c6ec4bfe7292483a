//! SVG: one path of unit squares in module coordinates, scaled by the viewBox, so the
//! file stays small and prints crisp at any size.

use std::fmt::Write;

use super::{Matrix, RenderOptions};

pub fn render_svg(matrix: &Matrix, options: &RenderOptions) -> String {
    let margin = options.margin as usize;
    let modules = matrix.width + 2 * margin;
    let edge = modules * options.module_size as usize;
    let mut path = String::with_capacity(matrix.width * matrix.width * 4);
    for y in 0..matrix.width {
        let mut x = 0;
        while x < matrix.width {
            if !matrix.is_dark(x, y) {
                x += 1;
                continue;
            }
            // One horizontal run of dark modules per rectangle keeps the path short.
            let start = x;
            while x < matrix.width && matrix.is_dark(x, y) {
                x += 1;
            }
            let _ = write!(
                path,
                "M{} {}h{}v1h-{}z",
                start + margin,
                y + margin,
                x - start,
                x - start
            );
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{edge}\" height=\"{edge}\" \
         viewBox=\"0 0 {modules} {modules}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{modules}\" height=\"{modules}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>\n"
    )
}
