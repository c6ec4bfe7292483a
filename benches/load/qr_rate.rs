//! Export-benchmark baseline: the bare QR libraries' encode rates on one core, for short
//! links like the ones exports draw: `qrcode`, then `fast_qr`, then scanloop's own
//! (`qrcode`'s parts with the mask chosen as bits). Prints codes per second of each, one
//! line each (name and rate).
//!
//! Usage: scanloop-bench-qr [CODES]

use std::time::Instant;

fn main() {
    let codes: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let links: Vec<String> = (0..codes)
        .map(|i| format!("HTTP://127.0.0.1:18481/S/GFC{i:010}"))
        .collect();
    let rate = |encode: &dyn Fn(&str) -> usize| {
        let started = Instant::now();
        // Summing the widths keeps the encoder's work from being optimised away.
        let modules: usize = links.iter().map(|link| encode(link)).sum();
        eprintln!("{modules} modules across");
        codes as f64 / started.elapsed().as_secs_f64()
    };
    let qrcode = rate(&|link| {
        qrcode::QrCode::with_error_correction_level(link.as_bytes(), qrcode::EcLevel::M)
            .expect("a short link encodes")
            .width()
    });
    let fast_qr = rate(&|link| {
        fast_qr::QRBuilder::new(link)
            .ecl(fast_qr::ECL::M)
            .build()
            .map(|code| code.size)
            .unwrap_or(0)
    });
    let scanloop = rate(&|link| {
        scanloop::qr::Matrix::encode(link, scanloop::qr::Ecc::M)
            .map(|matrix| matrix.width)
            .unwrap_or(0)
    });
    println!("qrcode {qrcode:.0}");
    println!("fast_qr {fast_qr:.0}");
    println!("scanloop {scanloop:.0}");
}
