//! Export-benchmark baseline: the bare `qrcode` library's encode rate on one core, for
//! short links like the ones exports draw. Prints codes per second.
//!
//! Usage: scanloop-bench-qr [CODES]

use std::time::Instant;

use qrcode::{EcLevel, QrCode};

fn main() {
    let codes: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let links: Vec<String> = (0..codes)
        .map(|i| format!("HTTP://127.0.0.1:18481/S/GFC{i:010}"))
        .collect();
    let started = Instant::now();
    let mut modules = 0;
    for link in &links {
        let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M)
            .expect("a short link encodes");
        modules += code.width();
    }
    let seconds = started.elapsed().as_secs_f64();
    // Printing the sum keeps the encoder's work from being optimised away.
    eprintln!("{modules} modules across");
    println!("{:.0}", codes as f64 / seconds);
}
