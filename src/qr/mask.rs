//! Encoding a symbol and choosing its mask. ISO/IEC 18004 has the encoder try all eight
//! masks and keep the one with the lowest penalty (long runs, 2x2 blocks, finder
//! look-alikes, an uneven share of dark modules), so phones read it easily. Both QR
//! crates score each mask module by module, which was most of their time on the short
//! links exports draw (fast_qr, the faster, scores all eight even when told which to
//! use). Here the `qrcode` crate's parts encode the data, place it and mask it once;
//! the other seven masks are derived from that (a mask flips data modules and rewrites
//! the format information) and each is scored a whole line at a time, as bits.

use std::sync::OnceLock;

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel};

use super::logo_room::function_modules;
use super::{Ecc, TooLong};

/// Widest symbol scored as bits: a line plus four light modules each side fits 128 bits.
const MAX_WIDTH: usize = 120;

const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The symbol for `data` at `ecc`, in the mode (or mix of modes) that makes it smallest,
/// masked with the lowest-penalty mask: its width and modules, row by row.
pub fn encode(data: &str, ecc: Ecc) -> Result<(usize, Vec<bool>), TooLong> {
    let level = level(ecc);
    let bits = qrcode::bits::encode_auto(data.as_bytes(), level).map_err(|_| TooLong)?;
    let version = bits.version();
    let (codewords, correction) =
        qrcode::ec::construct_codewords(&bits.into_bytes(), version, level).map_err(|_| TooLong)?;
    let mut canvas = Canvas::new(version, level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&codewords, &correction);
    let width = version.width() as usize;
    if width > MAX_WIDTH {
        // Large symbols are rare on packaging: the qrcode crate chooses for them.
        let dark = canvas.apply_best_mask().into_colors();
        return Ok((width, dark.into_iter().map(|c| c == Color::Dark).collect()));
    }
    canvas.apply_mask(MASKS[0]);
    let dark: Vec<bool> = canvas
        .into_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    let symbol = Lines::new(width, &dark);
    let flips = Flips::of((width - 17) / 4);
    let best = (0..8)
        .map(|mask| symbol.remasked(flips, mask, ecc))
        .enumerate()
        .min_by_key(|(_, lines)| lines.penalty())
        .map(|(mask, lines)| (mask, lines.rows));
    let Some((_, rows)) = best else {
        unreachable!("eight masks were scored")
    };
    let modules = (0..width * width)
        .map(|i| rows[i / width] >> (i % width) & 1 == 1)
        .collect();
    Ok((width, modules))
}

fn level(ecc: Ecc) -> EcLevel {
    match ecc {
        Ecc::L => EcLevel::L,
        Ecc::M => EcLevel::M,
        Ecc::Q => EcLevel::Q,
        Ecc::H => EcLevel::H,
    }
}

/// Whether mask `mask` flips the module at column `x`, row `y`.
// The formulas as ISO/IEC 18004 writes them.
#[allow(clippy::manual_is_multiple_of)]
fn flips(mask: usize, x: usize, y: usize) -> bool {
    match mask {
        0 => (x + y) % 2 == 0,
        1 => y % 2 == 0,
        2 => x % 3 == 0,
        3 => (x + y) % 3 == 0,
        4 => (x / 3 + y / 2) % 2 == 0,
        5 => x * y % 2 + x * y % 3 == 0,
        6 => (x * y % 2 + x * y % 3) % 2 == 0,
        _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
    }
}

/// The data modules each mask flips, of one version, as bit lines.
struct Flips {
    rows: [Vec<u128>; 8],
    cols: [Vec<u128>; 8],
}

impl Flips {
    /// Worked out once per version.
    fn of(version: usize) -> &'static Self {
        static VERSIONS: [OnceLock<Flips>; 26] = [const { OnceLock::new() }; 26];
        VERSIONS[version].get_or_init(|| {
            let width = 17 + 4 * version;
            let function = function_modules(version);
            let lines = |mask: usize, by_row: bool| {
                (0..width)
                    .map(|line| {
                        (0..width)
                            .filter(|&along| {
                                let (x, y) = if by_row { (along, line) } else { (line, along) };
                                !function[y * width + x] && flips(mask, x, y)
                            })
                            .fold(0u128, |bits, along| bits | 1 << along)
                    })
                    .collect()
            };
            Self {
                rows: std::array::from_fn(|mask| lines(mask, true)),
                cols: std::array::from_fn(|mask| lines(mask, false)),
            }
        })
    }
}

/// The 15 format information bits for a level and mask (BCH(15,5), then XOR 0x5412).
fn format_bits(ecc: Ecc, mask: usize) -> u32 {
    let level = match ecc {
        Ecc::L => 1,
        Ecc::M => 0,
        Ecc::Q => 3,
        Ecc::H => 2,
    };
    let data = (level << 3 | mask) as u32;
    let mut remainder = data;
    for _ in 0..10 {
        remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537);
    }
    (data << 10 | remainder) ^ 0x5412
}

/// Where the format information's bit `i` (0 to 14) sits, in both copies, as (x, y).
fn format_positions(width: usize, i: usize) -> [(usize, usize); 2] {
    let first = match i {
        0..=5 => (8, i),
        6 => (8, 7),
        7 => (8, 8),
        8 => (7, 8),
        _ => (14 - i, 8),
    };
    let second = if i < 8 {
        (width - 1 - i, 8)
    } else {
        (8, width - 15 + i)
    };
    [first, second]
}

/// A symbol as bit lines: bit `x` of `rows[y]` and bit `y` of `cols[x]` are the module
/// at column `x`, row `y`, 1 for dark.
struct Lines {
    width: usize,
    rows: Vec<u128>,
    cols: Vec<u128>,
}

impl Lines {
    fn new(width: usize, dark: &[bool]) -> Self {
        let mut lines = Self {
            width,
            rows: vec![0; width],
            cols: vec![0; width],
        };
        for i in (0..dark.len()).filter(|&i| dark[i]) {
            lines.set(i % width, i / width, true);
        }
        lines
    }

    fn set(&mut self, x: usize, y: usize, dark: bool) {
        let (row_bit, col_bit) = (1u128 << x, 1u128 << y);
        if dark {
            self.rows[y] |= row_bit;
            self.cols[x] |= col_bit;
        } else {
            self.rows[y] &= !row_bit;
            self.cols[x] &= !col_bit;
        }
    }

    /// This symbol, masked with mask 0, as it would be masked with `to` instead.
    fn remasked(&self, flips: &Flips, to: usize, ecc: Ecc) -> Self {
        let width = self.width;
        let change = |lines: &[u128], old: &[u128], new: &[u128]| {
            (0..width).map(|i| lines[i] ^ old[i] ^ new[i]).collect()
        };
        let mut lines = Self {
            width,
            rows: change(&self.rows, &flips.rows[0], &flips.rows[to]),
            cols: change(&self.cols, &flips.cols[0], &flips.cols[to]),
        };
        let format = format_bits(ecc, to);
        for i in 0..15 {
            for (x, y) in format_positions(width, i) {
                lines.set(x, y, format >> i & 1 == 1);
            }
        }
        lines
    }

    /// The ISO/IEC 18004 penalty: rules N1 to N4.
    fn penalty(&self) -> u32 {
        // Narrow symbols (most short links) score in 64-bit words, twice as fast.
        let lines = if self.width + 8 <= 64 {
            let word = |line: &u128| *line as u64;
            lines_penalty(
                self.width,
                self.rows.iter().map(word),
                self.cols.iter().map(word),
            )
        } else {
            lines_penalty(
                self.width,
                self.rows.iter().copied(),
                self.cols.iter().copied(),
            )
        };
        let total = (self.width * self.width) as u32;
        let dark: u32 = self.rows.iter().map(|r| r.count_ones()).sum();
        // 10 points for each full 5% the dark share is away from half.
        let k = (dark * 20)
            .abs_diff(total * 10)
            .div_ceil(total)
            .saturating_sub(1);
        lines + 10 * k
    }
}

/// A line of modules as bits: `u64` or `u128`.
trait Word:
    Copy
    + std::ops::BitAnd<Output = Self>
    + std::ops::BitOr<Output = Self>
    + std::ops::Not<Output = Self>
    + std::ops::Shl<u32, Output = Self>
    + std::ops::Shr<u32, Output = Self>
{
    /// The lowest `n` bits set.
    fn low_bits(n: usize) -> Self;
    fn ones(self) -> u32;
}

impl Word for u64 {
    fn low_bits(n: usize) -> Self {
        (1 << n) - 1
    }
    fn ones(self) -> u32 {
        self.count_ones()
    }
}

impl Word for u128 {
    fn low_bits(n: usize) -> Self {
        (1 << n) - 1
    }
    fn ones(self) -> u32 {
        self.count_ones()
    }
}

/// Rules N1 to N3 over every row and column.
fn lines_penalty<W: Word>(
    width: usize,
    rows: impl Iterator<Item = W>,
    cols: impl Iterator<Item = W>,
) -> u32 {
    let full = W::low_bits(width);
    let pairs = full >> 1;
    let line = |line: W| runs(line & full) + runs(!line & full) + finder_lookalikes(line);
    let mut score = cols.map(line).sum::<u32>();
    let mut above: Option<W> = None;
    for row in rows {
        score += line(row);
        if let Some(a) = above {
            // N2: 3 for each 2x2 block of one colour.
            let b = row;
            let dark = a & (a >> 1) & b & (b >> 1);
            let light = !a & !(a >> 1) & !b & !(b >> 1);
            score += 3 * ((dark | light) & pairs).ones();
        }
        above = Some(row);
    }
    score
}

/// N1 for the set bits of `bits`: a run of n >= 5 scores n - 2.
fn runs<W: Word>(bits: W) -> u32 {
    // One bit per five-long window inside a run: n - 4 for a run of n.
    let windows = bits & (bits >> 1) & (bits >> 2) & (bits >> 3) & (bits >> 4);
    let long_runs = (windows & !(windows << 1)).ones();
    windows.ones() + 2 * long_runs
}

/// N3: 40 for each dark-light-dark-dark-dark-light-dark with four light modules before
/// or after it (both sides count twice), the quiet zone beyond the edge being light.
fn finder_lookalikes<W: Word>(line: W) -> u32 {
    // Four light modules of quiet zone before the line; those after are the zeros above
    // it. Bit i of `core` is set where modules i to i + 6 are 1011101; bit i of `light`
    // where modules i to i + 3 are light.
    let p = line << 4;
    let (q, r) = (!p, !p >> 1);
    let core = p & (q >> 1) & (p >> 2) & (p >> 3) & (p >> 4) & (r >> 4) & (p >> 6);
    let light = q & r & (q >> 2) & (q >> 3);
    let light_before = light & (core >> 4);
    let light_after = core & (light >> 7);
    40 * (light_before.ones() + light_after.ones())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The penalty of ISO/IEC 18004, module by module, to check the bit version against.
    fn reference_penalty(width: usize, dark: &[bool]) -> u32 {
        let at = |x: usize, y: usize| dark[y * width + x];
        let mut score = 0;
        let line = |get: &dyn Fn(usize) -> bool| {
            let mut score = 0;
            let mut run = 1;
            for i in 1..=width {
                if i < width && get(i) == get(i - 1) {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += run - 2;
                    }
                    run = 1;
                }
            }
            // Light beyond the edges, as the quiet zone is.
            let module = |i: isize| i >= 0 && (i as usize) < width && get(i as usize);
            let core = [true, false, true, true, true, false, true];
            for start in -4..width as isize {
                let core_at = |s: isize| (0..7).all(|j| module(s + j) == core[j as usize]);
                let light = |s: isize| (0..4).all(|j| !module(s + j));
                if core_at(start) && light(start - 4) {
                    score += 40;
                }
                if core_at(start) && light(start + 7) {
                    score += 40;
                }
            }
            score
        };
        for y in 0..width {
            score += line(&|x| at(x, y));
        }
        for x in 0..width {
            score += line(&|y| at(x, y));
        }
        for y in 0..width - 1 {
            for x in 0..width - 1 {
                let c = at(x, y);
                if at(x + 1, y) == c && at(x, y + 1) == c && at(x + 1, y + 1) == c {
                    score += 3;
                }
            }
        }
        let dark_count = dark.iter().filter(|&&d| d).count() as u32;
        let total = (width * width) as u32;
        let k = (dark_count * 20)
            .abs_diff(total * 10)
            .div_ceil(total)
            .saturating_sub(1);
        score + 10 * k
    }

    /// The symbol as the qrcode crate draws it with mask `mask`.
    fn built(data: &str, ecc: Ecc, mask: usize) -> (usize, Vec<bool>) {
        let bits = qrcode::bits::encode_auto(data.as_bytes(), level(ecc)).unwrap();
        let version = bits.version();
        let (codewords, correction) =
            qrcode::ec::construct_codewords(&bits.into_bytes(), version, level(ecc)).unwrap();
        let mut canvas = Canvas::new(version, level(ecc));
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&codewords, &correction);
        canvas.apply_mask(MASKS[mask]);
        let dark = canvas.into_colors().into_iter().map(|c| c == Color::Dark);
        (version.width() as usize, dark.collect())
    }

    fn samples() -> Vec<(String, Ecc)> {
        let mut samples = Vec::new();
        for (i, ecc) in [Ecc::L, Ecc::M, Ecc::Q, Ecc::H].into_iter().enumerate() {
            // Up to version 14 (73 modules): both word widths are scored.
            for n in [1, 17, 40, 90, 200, 300] {
                let text: String = (0..n)
                    .map(|j| char::from(b"HTTPS://GO.EXAMPLE.COM/S/ABCDEF0123"[(j * 7 + i) % 35]))
                    .collect();
                samples.push((text, ecc));
            }
            samples.push(("https://go.example.com/s/a48ybyzgme47r".into(), ecc));
        }
        samples
    }

    #[test]
    fn each_mask_derived_from_one_build_equals_the_mask_drawn_whole() {
        for (text, ecc) in samples() {
            let (width, base) = built(&text, ecc, 0);
            let flips = Flips::of((width - 17) / 4);
            let lines = Lines::new(width, &base);
            for mask in 0..8 {
                let derived = lines.remasked(flips, mask, ecc);
                let (_, expected) = built(&text, ecc, mask);
                assert_eq!(
                    derived.rows,
                    Lines::new(width, &expected).rows,
                    "{text:?} at {ecc:?}, mask {mask}"
                );
            }
        }
    }

    #[test]
    fn the_bit_penalty_equals_the_standard_rules() {
        for (text, ecc) in samples() {
            for mask in 0..8 {
                let (width, dark) = built(&text, ecc, mask);
                assert_eq!(
                    Lines::new(width, &dark).penalty(),
                    reference_penalty(width, &dark),
                    "{text:?} at {ecc:?}, mask {mask}"
                );
            }
        }
    }

    #[test]
    fn symbols_read_as_their_data() {
        for (text, ecc) in samples() {
            let (width, dark) = encode(&text, ecc).unwrap();
            let edge = (width + 8) * 4;
            let image = image::GrayImage::from_fn(edge as u32, edge as u32, |x, y| {
                let (mx, my) = (x as usize / 4, y as usize / 4);
                let inside = (4..width + 4).contains(&mx) && (4..width + 4).contains(&my);
                let on = inside && dark[(my - 4) * width + mx - 4];
                image::Luma([if on { 0 } else { 255 }])
            });
            let mut prepared = rqrr::PreparedImage::prepare(image);
            let grids = prepared.detect_grids();
            assert_eq!(grids[0].decode().unwrap().1, text, "{ecc:?}");
        }
    }

    #[test]
    fn the_chosen_mask_has_the_lowest_penalty() {
        for (text, ecc) in samples() {
            let (width, chosen) = encode(&text, ecc).unwrap();
            let lowest = (0..8)
                .map(|mask| {
                    let (_, dark) = built(&text, ecc, mask);
                    reference_penalty(width, &dark)
                })
                .min()
                .unwrap();
            assert_eq!(reference_penalty(width, &chosen), lowest, "{text:?}");
        }
    }
}
