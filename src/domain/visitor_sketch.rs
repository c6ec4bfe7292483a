//! Counting distinct visitors without keeping them: a HyperLogLog sketch per campaign,
//! channel and hour. Sketches merge by taking the larger register, so "unique visitors
//! from March 3 to March 9" is the union of the hours' sketches. A sketch holds the
//! visitors' 32-bit hashes while there are at most 1024 of them (exact unless two hashes
//! collide: about one chance in 8,000 at 1024 visitors), then 4096 registers: about 1.6%
//! standard error, up to some hundred million visitors per sketch.
//!
//! Keeping the visitors themselves (one index entry per visitor and hour) cost a random
//! B-tree write per scan and cut recorded redirects to a third; a sketch is one small row
//! per channel-hour, rewritten once per group commit.

use sha2::{Digest, Sha256};

/// 2^12 registers: a dense sketch is 4 KiB, one database page.
const PRECISION: u32 = 12;
const REGISTERS: usize = 1 << PRECISION;
/// Past this many hashes (4 bytes each) the dense form is smaller.
const SPARSE_LIMIT: usize = REGISTERS / 4;
const SPARSE: u8 = 1;
const DENSE: u8 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitorSketch {
    /// The distinct hashes, sorted.
    Sparse(Vec<u32>),
    Dense(Box<[u8; REGISTERS]>),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("stored visitor sketch is malformed")]
pub struct MalformedSketch;

impl Default for VisitorSketch {
    fn default() -> Self {
        Self::Sparse(Vec::new())
    }
}

impl VisitorSketch {
    /// Adds a visitor id. The id is hashed with SHA-256 so every instance and version
    /// agrees, and chosen cookie values cannot aim at particular registers.
    pub fn insert(&mut self, visitor_id: &str) {
        self.insert_hash(Self::hash(visitor_id));
    }

    /// A visitor id's hash as sketches keep it: for adding one visitor to several
    /// sketches with one hashing.
    pub fn hash(visitor_id: &str) -> u32 {
        let digest = Sha256::digest(visitor_id.as_bytes());
        u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
    }

    pub fn merge(&mut self, other: &VisitorSketch) {
        match other {
            Self::Sparse(hashes) => {
                for &hash in hashes {
                    self.insert_hash(hash);
                }
            }
            Self::Dense(theirs) => {
                let ours = self.densify();
                for (mine, &their) in ours.iter_mut().zip(theirs.iter()) {
                    *mine = (*mine).max(their);
                }
            }
        }
    }

    /// The number of distinct visitors: exact while sparse, estimated once dense.
    pub fn estimate(&self) -> i64 {
        let registers = match self {
            Self::Sparse(hashes) => return hashes.len() as i64,
            Self::Dense(registers) => registers,
        };
        let m = REGISTERS as f64;
        let zeros = registers.iter().filter(|&&r| r == 0).count();
        let harmonic: f64 = registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / harmonic;
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            // Linear counting: better than the raw estimate while registers are still empty.
            m * (m / zeros as f64).ln()
        } else {
            raw
        };
        estimate.round() as i64
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Sparse(hashes) => {
                let mut bytes = Vec::with_capacity(1 + hashes.len() * 4);
                bytes.push(SPARSE);
                for hash in hashes {
                    bytes.extend_from_slice(&hash.to_le_bytes());
                }
                bytes
            }
            Self::Dense(registers) => {
                let mut bytes = Vec::with_capacity(1 + REGISTERS);
                bytes.push(DENSE);
                bytes.extend_from_slice(&registers[..]);
                bytes
            }
        }
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MalformedSketch> {
        match bytes.split_first() {
            Some((&SPARSE, body)) if body.len() % 4 == 0 && body.len() / 4 <= SPARSE_LIMIT => {
                let hashes: Vec<u32> = body
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                let sorted = hashes.windows(2).all(|pair| pair[0] < pair[1]);
                sorted
                    .then_some(Self::Sparse(hashes))
                    .ok_or(MalformedSketch)
            }
            Some((&DENSE, body)) => {
                let registers: [u8; REGISTERS] = body.try_into().map_err(|_| MalformedSketch)?;
                Ok(Self::Dense(Box::new(registers)))
            }
            _ => Err(MalformedSketch),
        }
    }

    /// Adds a visitor by its [`VisitorSketch::hash`].
    pub fn insert_hash(&mut self, hash: u32) {
        match self {
            Self::Sparse(hashes) => {
                if let Err(at) = hashes.binary_search(&hash) {
                    hashes.insert(at, hash);
                }
                if hashes.len() > SPARSE_LIMIT {
                    self.densify();
                }
            }
            Self::Dense(registers) => raise(registers, hash),
        }
    }

    fn densify(&mut self) -> &mut [u8; REGISTERS] {
        if let Self::Sparse(hashes) = self {
            let mut registers = Box::new([0u8; REGISTERS]);
            for &hash in hashes.iter() {
                raise(&mut registers, hash);
            }
            *self = Self::Dense(registers);
        }
        match self {
            Self::Dense(registers) => registers,
            Self::Sparse(_) => unreachable!("densified above"),
        }
    }
}

/// The top bits pick the register; it keeps the longest run of leading zeros (plus one)
/// seen in the remaining bits.
fn raise(registers: &mut [u8; REGISTERS], hash: u32) {
    let register = (hash >> (32 - PRECISION)) as usize;
    let rank = ((hash << PRECISION) | (1 << (PRECISION - 1))).leading_zeros() as u8 + 1;
    registers[register] = registers[register].max(rank);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch_of(ids: impl IntoIterator<Item = String>) -> VisitorSketch {
        let mut sketch = VisitorSketch::default();
        for id in ids {
            sketch.insert(&id);
        }
        sketch
    }

    #[test]
    fn small_counts_are_exact_and_repeats_do_not_count() {
        let sketch = sketch_of((0..1000).chain(0..1000).map(|i| format!("visitor-{i}")));
        assert_eq!(sketch.estimate(), 1000);
        assert!(matches!(sketch, VisitorSketch::Sparse(_)));
    }

    #[test]
    fn large_counts_stay_within_a_few_percent() {
        for n in [5_000, 50_000, 400_000] {
            let sketch = sketch_of((0..n).map(|i| format!("v{i}")));
            let error = (sketch.estimate() - n).abs() as f64 / n as f64;
            assert!(
                error < 0.05,
                "{n} visitors estimated as {}",
                sketch.estimate()
            );
        }
    }

    #[test]
    fn merging_is_the_union() {
        let mut monday = sketch_of((0..2_000).map(|i| format!("v{i}")));
        let tuesday = sketch_of((1_000..3_000).map(|i| format!("v{i}")));
        monday.merge(&tuesday);
        let whole = sketch_of((0..3_000).map(|i| format!("v{i}")));
        assert_eq!(monday, whole);
    }

    #[test]
    fn bytes_round_trip_in_both_forms() {
        for n in [0, 10, 5_000] {
            let sketch = sketch_of((0..n).map(|i| format!("v{i}")));
            assert_eq!(VisitorSketch::from_bytes(&sketch.to_bytes()), Ok(sketch));
        }
        assert_eq!(VisitorSketch::from_bytes(&[]), Err(MalformedSketch));
        assert_eq!(
            VisitorSketch::from_bytes(&[SPARSE, 1]),
            Err(MalformedSketch)
        );
        assert_eq!(
            VisitorSketch::from_bytes(&[DENSE, 0, 0]),
            Err(MalformedSketch)
        );
        assert_eq!(
            VisitorSketch::from_bytes(&[SPARSE, 5, 0, 1, 4, 0, 1]),
            Err(MalformedSketch)
        );
    }

    fn sparse_bytes(hashes: &[u32]) -> Vec<u8> {
        let mut bytes = vec![SPARSE];
        for hash in hashes {
            bytes.extend_from_slice(&hash.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn exact_up_to_the_sparse_limit_then_dense() {
        let mut sketch = sketch_of((0..SPARSE_LIMIT).map(|i| format!("visitor-{i}")));
        assert!(matches!(sketch, VisitorSketch::Sparse(_)));
        assert_eq!(sketch.estimate(), 1024);
        sketch.insert("visitor-1024");
        assert!(matches!(sketch, VisitorSketch::Dense(_)));
        let error = (sketch.estimate() - 1025).abs();
        assert!(
            error < 50,
            "1025 visitors estimated as {}",
            sketch.estimate()
        );
    }

    #[test]
    fn estimates_hold_across_the_switch_from_linear_counting() {
        // Linear counting gives way to the raw estimate near 2.5 x 4096 = 10,240 visitors.
        for n in [10_000, 12_000, 20_000, 35_000, 50_000] {
            let sketch = sketch_of((0..n).map(|i| format!("visitor-{i}")));
            let error = (sketch.estimate() - n).abs() as f64 / n as f64;
            assert!(error < 0.04, "{n} estimated as {}", sketch.estimate());
        }
    }

    #[test]
    fn a_register_keeps_the_longest_run_of_leading_zeros() {
        let mut registers = Box::new([0u8; REGISTERS]);
        raise(&mut registers, (5 << 20) | (1 << 19));
        assert_eq!(registers[5], 1);
        raise(&mut registers, (5 << 20) | (1 << 10));
        assert_eq!(registers[5], 10);
        raise(&mut registers, (5 << 20) | (1 << 15));
        assert_eq!(registers[5], 10, "a shorter run never lowers it");
        raise(&mut registers, 4095 << 20);
        assert_eq!(
            registers[4095], 21,
            "the guard bit caps an all-zero remainder"
        );
        assert_eq!(registers.iter().filter(|&&r| r > 0).count(), 2);
    }

    #[test]
    fn merging_mixes_forms() {
        let big = sketch_of((0..5_000).map(|i| format!("v{i}")));
        let small = sketch_of((4_000..6_000).map(|i| format!("v{i}")));
        let whole = sketch_of((0..6_000).map(|i| format!("v{i}")));
        let mut sparse_first = small.clone();
        sparse_first.merge(&big);
        let mut dense_first = big.clone();
        dense_first.merge(&small);
        assert_eq!(sparse_first, whole);
        assert_eq!(dense_first, whole);
    }

    #[test]
    fn stored_sparse_sketches_must_be_sorted_distinct_and_small() {
        assert!(VisitorSketch::from_bytes(&sparse_bytes(&[1, 2, 300])).is_ok());
        assert_eq!(
            VisitorSketch::from_bytes(&sparse_bytes(&[2, 1])),
            Err(MalformedSketch)
        );
        assert_eq!(
            VisitorSketch::from_bytes(&sparse_bytes(&[1, 1])),
            Err(MalformedSketch)
        );
        let limit: Vec<u32> = (0..SPARSE_LIMIT as u32).collect();
        assert!(VisitorSketch::from_bytes(&sparse_bytes(&limit)).is_ok());
        let over: Vec<u32> = (0..=SPARSE_LIMIT as u32).collect();
        assert_eq!(
            VisitorSketch::from_bytes(&sparse_bytes(&over)),
            Err(MalformedSketch)
        );
        let mut dense = vec![DENSE];
        dense.extend(std::iter::repeat_n(0, REGISTERS + 1));
        assert_eq!(VisitorSketch::from_bytes(&dense), Err(MalformedSketch));
        dense.pop();
        assert!(VisitorSketch::from_bytes(&dense).is_ok());
        assert_eq!(VisitorSketch::from_bytes(&[9]), Err(MalformedSketch));
    }

    #[test]
    fn estimates_are_pinned_so_stored_sketches_read_the_same_in_every_version() {
        // Reports merge sketches stored by earlier versions: the formula must not drift.
        let sketch = sketch_of((0..50_000).map(|i| format!("visitor-{i}")));
        assert_eq!(sketch.estimate(), 49_225);
    }

    #[test]
    fn full_registers_use_the_raw_estimate_even_when_it_is_small() {
        // Every register at rank 1: no empty register, so linear counting cannot apply.
        let mut bytes = vec![DENSE];
        bytes.extend(std::iter::repeat_n(1, REGISTERS));
        let sketch = VisitorSketch::from_bytes(&bytes).unwrap();
        assert_eq!(sketch.estimate(), 5_907);
    }
}
