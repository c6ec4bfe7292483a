//! A PDF written front to back, a page at a time, so a sheet of a million labels streams
//! with memory bounded by one page: every object's offset is known as it is written, and
//! the page tree and cross-reference table come last. Page contents are compressed
//! (FlateDecode); text is set in Courier, one of the fonts every PDF reader has. A logo
//! is one image in the file, drawn on every label that shows it.

use std::fmt::Write as _;
use std::io::{self, Write as _};

use flate2::Compression;
use flate2::write::ZlibEncoder;

/// Points per millimetre: PDF's unit is 1/72 inch.
pub const POINTS_PER_MM: f64 = 72.0 / 25.4;

const CATALOG: usize = 1;
const PAGES: usize = 2;
const FONT: usize = 3;
/// The name page content draws the logo by: `/Logo Do`.
pub const LOGO: &str = "Logo";

pub struct PdfStream {
    /// Bytes not yet taken.
    out: Vec<u8>,
    /// Bytes written before `out`.
    written: u64,
    /// Offset of each object by number (index 0 unused).
    offsets: Vec<u64>,
    pages: Vec<usize>,
    /// The logo's object, once added.
    logo: Option<usize>,
}

impl PdfStream {
    /// Starts the file: header, catalog and font.
    pub fn new() -> Self {
        let mut pdf = Self {
            out: Vec::with_capacity(64 * 1024),
            written: 0,
            offsets: vec![0; FONT + 1],
            pages: Vec::new(),
            logo: None,
        };
        // The second line's high bytes mark the file as binary for tools that guess.
        pdf.out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
        pdf.object(
            CATALOG,
            format!("<< /Type /Catalog /Pages {PAGES} 0 R >>").as_bytes(),
        );
        pdf.object(
            FONT,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
        );
        pdf
    }

    /// Adds the logo, an RGB image, for the pages after it to draw as `/Logo Do`.
    pub fn add_logo(&mut self, image: &image::RgbImage) -> io::Result<()> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(image.as_raw())?;
        let compressed = encoder.finish()?;
        let logo = self.next_number();
        let mut stream = format!(
            "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceRGB \
             /BitsPerComponent 8 /Filter /FlateDecode /Length {} >>\nstream\n",
            image.width(),
            image.height(),
            compressed.len()
        )
        .into_bytes();
        stream.extend_from_slice(&compressed);
        stream.extend_from_slice(b"\nendstream");
        self.object(logo, &stream);
        self.logo = Some(logo);
        Ok(())
    }

    /// Adds a page `width_mm` x `height_mm` with content from `compress_content`.
    pub fn add_page(&mut self, width_mm: f64, height_mm: f64, compressed: &[u8]) {
        let contents = self.next_number();
        let mut stream = format!(
            "<< /Length {} /Filter /FlateDecode >>\nstream\n",
            compressed.len()
        )
        .into_bytes();
        stream.extend_from_slice(compressed);
        stream.extend_from_slice(b"\nendstream");
        self.object(contents, &stream);
        let page = self.next_number();
        let images = self
            .logo
            .map(|logo| format!(" /XObject << /{LOGO} {logo} 0 R >>"))
            .unwrap_or_default();
        let dictionary = format!(
            "<< /Type /Page /Parent {PAGES} 0 R /MediaBox [0 0 {} {}] \
             /Resources << /Font << /F1 {FONT} 0 R >>{images} >> /Contents {contents} 0 R >>",
            points(width_mm),
            points(height_mm)
        );
        self.object(page, dictionary.as_bytes());
        self.pages.push(page);
    }

    /// The bytes written since the last call.
    pub fn take(&mut self) -> Vec<u8> {
        self.written += self.out.len() as u64;
        std::mem::take(&mut self.out)
    }

    /// Ends the file: the page tree, the cross-reference table and the trailer.
    pub fn finish(&mut self) {
        let mut kids = String::with_capacity(self.pages.len() * 8);
        for page in &self.pages {
            let _ = write!(kids, "{page} 0 R ");
        }
        let tree = format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.trim_end(),
            self.pages.len()
        );
        self.object(PAGES, tree.as_bytes());
        let xref_at = self.position();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", self.offsets.len());
        for offset in &self.offsets[1..] {
            let _ = writeln!(table, "{offset:010} 00000 n ");
        }
        let _ = write!(
            table,
            "trailer\n<< /Size {} /Root {CATALOG} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
            self.offsets.len()
        );
        self.out.extend_from_slice(table.as_bytes());
    }

    fn next_number(&mut self) -> usize {
        self.offsets.push(0);
        self.offsets.len() - 1
    }

    fn position(&self) -> u64 {
        self.written + self.out.len() as u64
    }

    fn object(&mut self, number: usize, body: &[u8]) {
        self.offsets[number] = self.position();
        self.out
            .extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }
}

/// A page's content drawn in millimetres from the bottom-left corner, compressed for
/// `add_page` (on any thread: this is most of a sheet's work beside drawing).
pub fn compress_content(content: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = ZlibEncoder::new(Vec::with_capacity(content.len() / 3), Compression::fast());
    // Scaled once, so every number after it is in millimetres.
    writeln!(encoder, "{POINTS_PER_MM:.6} 0 0 {POINTS_PER_MM:.6} 0 0 cm")?;
    encoder.write_all(content)?;
    encoder.finish()
}

impl Default for PdfStream {
    fn default() -> Self {
        Self::new()
    }
}

/// Millimetres as points, to a thousandth.
fn points(mm: f64) -> String {
    number(mm * POINTS_PER_MM)
}

/// A number as PDF content writes it: at most three decimals, no trailing zeros.
pub fn number(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_in_the_table_point_at_their_objects() {
        let mut pdf = PdfStream::new();
        let mut file = pdf.take();
        pdf.add_page(
            210.0,
            297.0,
            &compress_content(b"0 0 10 10 re f\n").unwrap(),
        );
        file.extend(pdf.take());
        pdf.add_page(100.0, 150.0, &compress_content(b"").unwrap());
        pdf.finish();
        file.extend(pdf.take());
        // Compressed streams are not text: find the trailer by its bytes.
        let marker = b"startxref\n";
        let at = file
            .windows(marker.len())
            .rposition(|w| w == marker)
            .unwrap();
        let tail = std::str::from_utf8(&file[at + marker.len()..]).unwrap();
        let xref_at: usize = tail.lines().next().unwrap().parse().unwrap();
        let table = std::str::from_utf8(&file[xref_at..]).unwrap();
        assert!(table.starts_with("xref\n0 8\n"));
        for (number, line) in table.lines().skip(3).take(7).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            let expected = format!("{} 0 obj", number + 1);
            assert!(
                file[offset..].starts_with(expected.as_bytes()),
                "object {}",
                number + 1
            );
        }
        let text = String::from_utf8_lossy(&file);
        assert!(text.contains("/Kids [5 0 R 7 0 R] /Count 2"));
        assert!(text.contains("/MediaBox [0 0 595.276 841.89]"));
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(1.0), "1");
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(1.23456), "1.235");
        assert_eq!(number(-0.0001), "0");
    }
}
