//! How much of a symbol's centre a logo may cover. Every module under the logo is lost,
//! and a lost module spoils the codeword it belongs to; Reed-Solomon error correction
//! restores up to half a block's error-correction codewords, per block. So instead of
//! a rule of thumb ("a logo may cover 20%"), this lays the codewords of a version out
//! exactly as ISO/IEC 18004 places them, counts the codewords a centred square spoils
//! in each block, and keeps the square within a share of what each block can restore:
//! the rest is left for what print and cameras spoil (ink spread, a scratch, a curved
//! bottle).

use std::sync::OnceLock;

/// Share of each block's correction capacity the logo may use.
const LOGO_SHARE_OF_CORRECTION: f64 = 0.5;

/// Error-correction codewords per block at level H, versions 1 to 40 (ISO/IEC 18004
/// table 9).
const H_EC_PER_BLOCK: [u16; 40] = [
    17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30,
    30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
];
/// Blocks at level H, versions 1 to 40.
const H_BLOCKS: [u16; 40] = [
    1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37,
    40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81,
];

/// The side, in modules, of the largest centred square a logo may cover in a symbol of
/// `version` (1 to 40) at error correction H. Odd, so it sits exactly in the middle of
/// a symbol whose width is odd; 0 for a version outside 1 to 40.
pub fn logo_room(version: usize) -> usize {
    static ROOMS: OnceLock<[u8; 40]> = OnceLock::new();
    let rooms = ROOMS.get_or_init(|| std::array::from_fn(|i| largest_square(i + 1) as u8));
    version
        .checked_sub(1)
        .and_then(|i| rooms.get(i))
        .map_or(0, |&side| side.into())
}

/// Where each codeword of one version sits, and which block it belongs to.
struct Layout {
    width: usize,
    /// The codeword (in the order they are placed) each module holds, if any.
    codeword_at: Vec<Option<u32>>,
    /// The block of each placed codeword.
    block_of: Vec<u16>,
    blocks: usize,
    ec_per_block: usize,
}

fn largest_square(version: usize) -> usize {
    let layout = Layout::of(version);
    let correctable = layout.ec_per_block / 2;
    layout.largest_square_spoiling((correctable as f64 * LOGO_SHARE_OF_CORRECTION) as usize)
}

impl Layout {
    /// The largest centred square (odd side) that spoils at most `allowed` codewords of
    /// any block.
    fn largest_square_spoiling(&self, allowed: usize) -> usize {
        let mut best = 0;
        let mut side = 1;
        while side < self.width && self.worst_block_damage(side) <= allowed {
            best = side;
            side += 2;
        }
        best
    }
}

impl Layout {
    fn of(version: usize) -> Self {
        let width = 17 + 4 * version;
        let function = function_modules(version);
        let data_modules = function.iter().filter(|&&f| !f).count();
        let codewords = data_modules / 8;
        // Codewords go in pairs of columns from the right, up then down, skipping the
        // vertical timing column; bits past the last whole codeword are remainder bits.
        let mut codeword_at = vec![None; width * width];
        let mut bit = 0;
        let mut right = width - 1;
        while right >= 1 {
            if right == 6 {
                right = 5;
            }
            let upward = (right + 1) & 2 == 0;
            for step in 0..width {
                let y = if upward { width - 1 - step } else { step };
                for x in [right, right - 1] {
                    if !function[y * width + x] && bit < codewords * 8 {
                        codeword_at[y * width + x] = Some((bit / 8) as u32);
                        bit += 1;
                    }
                }
            }
            if right < 2 {
                break;
            }
            right -= 2;
        }
        let blocks = usize::from(H_BLOCKS[version - 1]);
        let ec_per_block = usize::from(H_EC_PER_BLOCK[version - 1]);
        Self {
            width,
            codeword_at,
            block_of: interleaved_blocks(codewords, blocks, ec_per_block),
            blocks,
            ec_per_block,
        }
    }

    /// The most codewords of any one block that a blank centred square `side` modules
    /// wide spoils.
    fn worst_block_damage(&self, side: usize) -> usize {
        let start = (self.width - side) / 2;
        let mut spoiled: Vec<u32> = (start..start + side)
            .flat_map(|y| (start..start + side).map(move |x| (x, y)))
            .filter_map(|(x, y)| self.codeword_at[y * self.width + x])
            .collect();
        spoiled.sort_unstable();
        spoiled.dedup();
        let mut per_block = vec![0; self.blocks];
        for codeword in spoiled {
            per_block[usize::from(self.block_of[codeword as usize])] += 1;
        }
        per_block.into_iter().max().unwrap_or(0)
    }
}

/// The block each codeword belongs to, in the order they are placed: data codewords
/// first, a column at a time across the blocks (the short blocks, which come first,
/// have one data codeword fewer), then the error-correction codewords the same way.
fn interleaved_blocks(codewords: usize, blocks: usize, ec_per_block: usize) -> Vec<u16> {
    let short_blocks = blocks - codewords % blocks;
    let short_len = codewords / blocks;
    let mut order = Vec::with_capacity(codewords);
    for i in 0..=short_len {
        for block in 0..blocks {
            let past_short_data = i == short_len - ec_per_block;
            if !past_short_data || block >= short_blocks {
                order.push(block as u16);
            }
        }
    }
    debug_assert_eq!(order.len(), codewords);
    order
}

/// Modules that are not data: finder patterns with their separators and format
/// information, timing patterns, alignment patterns and version information.
pub(super) fn function_modules(version: usize) -> Vec<bool> {
    let width = 17 + 4 * version;
    let mut function = vec![false; width * width];
    let mut mark = |x0: usize, y0: usize, w: usize, h: usize| {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                function[y * width + x] = true;
            }
        }
    };
    // Finders, separators and format information (with the dark module).
    mark(0, 0, 9, 9);
    mark(width - 8, 0, 8, 9);
    mark(0, width - 8, 9, 8);
    // Timing.
    mark(6, 0, 1, width);
    mark(0, 6, width, 1);
    let centres = alignment_centres(version);
    for &cy in &centres {
        for &cx in &centres {
            // The three corners with finder patterns have none.
            let far = width - 7;
            let on_finder =
                matches!((cx, cy), (6, 6)) || (cx, cy) == (6, far) || (cx, cy) == (far, 6);
            if !on_finder {
                mark(cx - 2, cy - 2, 5, 5);
            }
        }
    }
    if version >= 7 {
        mark(width - 11, 0, 3, 6);
        mark(0, width - 11, 6, 3);
    }
    function
}

/// Row (and column) centres of the alignment patterns: 6, then evenly spaced up to the
/// far edge (ISO/IEC 18004 annex E).
fn alignment_centres(version: usize) -> Vec<usize> {
    if version == 1 {
        return Vec::new();
    }
    let count = version / 7 + 2;
    let step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2;
    let width = 17 + 4 * version;
    let mut centres = vec![6];
    centres.extend((0..count - 1).rev().map(|i| width - 7 - i * step));
    centres
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qr::{Ecc, Matrix};

    /// The symbol drawn 4 pixels a module with a 4-module quiet zone, read by rqrr.
    fn read(matrix: &Matrix) -> Option<String> {
        let edge = (matrix.width + 8) * 4;
        let image = image::GrayImage::from_fn(edge as u32, edge as u32, |x, y| {
            let (mx, my) = (x as usize / 4, y as usize / 4);
            let inside = (4..matrix.width + 4).contains(&mx) && (4..matrix.width + 4).contains(&my);
            let dark = inside && matrix.is_dark(mx - 4, my - 4);
            image::Luma([if dark { 0 } else { 255 }])
        });
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        grids.first()?.decode().ok().map(|(_, text)| text)
    }

    /// Every data module of the centred square flipped: each codeword it touches is
    /// wrong, the worst a logo can do.
    fn spoiled(data: &str, version: usize, side: usize) -> Matrix {
        let mut matrix = Matrix::encode(data, Ecc::H).unwrap();
        let function = function_modules(version);
        let start = (matrix.width - side) / 2;
        for y in start..start + side {
            for x in start..start + side {
                let i = y * matrix.width + x;
                if !function[i] {
                    matrix.dark[i] = !matrix.dark[i];
                }
            }
        }
        matrix
    }

    /// Lowercase text that fills version `version` at level H in byte mode: as many
    /// bytes as its data codewords hold after the mode and length header. That the encoder
    /// picks exactly this version checks the capacity the model works out.
    fn filling(version: usize) -> String {
        let layout = Layout::of(version);
        let data = layout.block_of.len() - layout.blocks * layout.ec_per_block;
        let length_bits = if version < 10 { 8 } else { 16 };
        let bytes = (data * 8 - 4 - length_bits) / 8;
        let text: String = (0..bytes)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let matrix = Matrix::encode(&text, Ecc::H).unwrap();
        assert_eq!(matrix.version as usize, version, "{bytes} bytes");
        text
    }

    #[test]
    fn the_codeword_model_matches_a_real_decoder() {
        // Near full capacity the model says where decoding stops: a square that spoils
        // one codeword fewer than a block can correct reads, and the next size up from
        // one spoiling all a block can correct does not. A wrong table or placement
        // would move that edge. (One fewer: rqrr fails the long blocks of a version
        // with exactly as many errors as they can correct; and from version 21 its own
        // misreads of large symbols blur the edge, so there zbar's tests stand in.)
        for version in 1..=20 {
            let text = filling(version);
            let layout = Layout::of(version);
            let correctable = layout.ec_per_block / 2;
            let within = layout.largest_square_spoiling(correctable - 1);
            assert_eq!(
                read(&spoiled(&text, version, within)).as_deref(),
                Some(text.as_str()),
                "version {version}: a {within}-module square is within correction"
            );
            let past = layout.largest_square_spoiling(correctable) + 2;
            assert_ne!(
                read(&spoiled(&text, version, past)).as_deref(),
                Some(text.as_str()),
                "version {version}: a {past}-module square is past correction"
            );
            assert!(
                logo_room(version) < within,
                "version {version}: a margin is left"
            );
        }
    }

    #[test]
    fn every_version_reads_with_its_logo_room_spoiled() {
        for version in 1..=40 {
            let text = filling(version);
            assert_eq!(
                read(&spoiled(&text, version, logo_room(version))).as_deref(),
                Some(text.as_str()),
                "version {version}"
            );
        }
    }

    #[test]
    fn data_capacity_at_h_matches_the_standard() {
        // Data codewords at level H (ISO/IEC 18004 table 7).
        for (version, data) in [
            (1, 9),
            (2, 16),
            (3, 26),
            (4, 36),
            (5, 46),
            (7, 66),
            (10, 122),
            (20, 385),
            (40, 1276),
        ] {
            let layout = Layout::of(version);
            let codewords = layout.block_of.len();
            assert_eq!(
                codewords - layout.blocks * layout.ec_per_block,
                data,
                "version {version}"
            );
        }
    }

    #[test]
    fn alignment_patterns_follow_annex_e() {
        assert_eq!(alignment_centres(2), [6, 18]);
        assert_eq!(alignment_centres(7), [6, 22, 38]);
        assert_eq!(alignment_centres(15), [6, 26, 48, 70]);
        assert_eq!(alignment_centres(32), [6, 34, 60, 86, 112, 138]);
        assert_eq!(alignment_centres(36), [6, 24, 50, 76, 102, 128, 154]);
        assert_eq!(alignment_centres(40), [6, 30, 58, 86, 114, 142, 170]);
    }

    #[test]
    fn every_block_gets_its_share_of_codewords() {
        // Version 5 at H: two blocks of 33 codewords, then two of 34.
        let blocks = interleaved_blocks(134, 4, 22);
        let count = |b: u16| blocks.iter().filter(|&&x| x == b).count();
        assert_eq!([count(0), count(1), count(2), count(3)], [33, 33, 34, 34]);
        // The last data column holds only the long blocks' extra codewords.
        assert_eq!(&blocks[40..44], [0, 1, 2, 3]);
        assert_eq!(&blocks[44..46], [2, 3]);
        assert_eq!(&blocks[46..50], [0, 1, 2, 3]);
    }

    #[test]
    fn rooms_are_odd_centred_and_grow_with_the_symbol() {
        for version in 1..=40 {
            let room = logo_room(version);
            let width = 17 + 4 * version;
            assert_eq!(room % 2, 1, "version {version}");
            assert!(room >= 3, "version {version}");
            // Never more than an eighth of the symbol, whatever the tables say.
            assert!(
                room * room * 8 < width * width,
                "version {version}: {room} of {width}"
            );
        }
        assert!(logo_room(10) > logo_room(2));
        assert_eq!(logo_room(0), 0);
        assert_eq!(logo_room(41), 0);
    }
}
