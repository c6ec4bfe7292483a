//! Unique scanners per device class, place and batch: a visitor sketch per campaign,
//! family, hour and slice (`slice_sketches`), and per day in the day tier
//! (`day_slice_sketches`). The channels' sketches are written with the scans, on the
//! redirect's path; these are written by the touches fold, a moment later, so the redirect
//! does not pay for them. Merging the sketches of the slices a report row covers counts
//! its people once (a region's cities; a store's batches).

use std::collections::BTreeMap;

use super::edges::{IN_DAYS, IN_HOURS, Span};
use super::{Backend, Db, DbResult, packed, values_list};
use crate::domain::VisitorSketch;

const MS_PER_HOUR: i64 = 3_600_000;
/// Keys per statement: five parameters each, far under SQLite's limit.
const KEYS_PER_STATEMENT: usize = 1000;
/// Joins a place's country, region and city into its slice (none of them holds it).
const PLACE_SEPARATOR: char = '\u{1f}';

/// What a campaign's scans are sliced by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// The device class (`mobile`, `tablet`, ...).
    Device,
    /// Country, region and city, `""` where not known.
    Place,
    /// The batch id: a batch belongs to one store, so its sketches answer for batches
    /// and stores (channels keep sketches of their own, written with the scans).
    Batch,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Device => "device",
            Family::Place => "place",
            Family::Batch => "batch",
        }
    }

    const ALL: [Family; 3] = [Family::Device, Family::Place, Family::Batch];

    /// ` AND family IN (...)` naming every family: with the key's first column fixed, a
    /// range of hours is then read in each family, not the campaign's whole history.
    pub(super) fn every_sql() -> String {
        let names: Vec<String> = Self::ALL
            .iter()
            .map(|f| format!("'{}'", f.as_str()))
            .collect();
        format!(" AND family IN ({})", names.join(", "))
    }
}

/// A place as its slice.
pub fn place_slice(country: &str, region: &str, city: &str) -> String {
    format!("{country}{PLACE_SEPARATOR}{region}{PLACE_SEPARATOR}{city}")
}

/// A place slice's country, region and city.
pub fn place_of(slice: &str) -> (&str, &str, &str) {
    let mut parts = slice.splitn(3, PLACE_SEPARATOR);
    let mut next = || parts.next().unwrap_or("");
    (next(), next(), next())
}

/// Visitors of a group of scans, by campaign, family, hour and slice.
#[derive(Debug, Default)]
struct Slices(BTreeMap<(i64, Family, i64, String), VisitorSketch>);

/// A person's scan as the slices count it.
#[derive(Debug, PartialEq)]
struct ScanSlices<'a> {
    campaign_id: i64,
    scanned_at: i64,
    device: &'a str,
    batch_id: i64,
    country: &'a str,
    region: &'a str,
    city: &'a str,
    visitor: &'a str,
}

impl<'a> ScanSlices<'a> {
    /// A row of [`PACKED_FIELDS`]: the visitor last, so that one holding the field
    /// separator still reads back whole.
    fn unpack(line: &'a str) -> Option<Self> {
        let mut fields = line.splitn(8, packed::FIELD);
        let mut next = || fields.next();
        Some(Self {
            campaign_id: next()?.parse().ok()?,
            scanned_at: next()?.parse().ok()?,
            device: next()?,
            batch_id: next()?.parse().ok()?,
            country: next()?,
            region: next()?,
            city: next()?,
            visitor: next()?,
        })
    }
}

impl Slices {
    fn add(&mut self, scan: &ScanSlices) {
        let hour = scan.scanned_at - scan.scanned_at.rem_euclid(MS_PER_HOUR);
        let place = place_slice(scan.country, scan.region, scan.city);
        let visitor = VisitorSketch::hash(scan.visitor);
        for (family, slice) in [
            (Family::Device, scan.device.to_owned()),
            (Family::Place, place),
            (Family::Batch, scan.batch_id.to_string()),
        ] {
            self.0
                .entry((scan.campaign_id, family, hour, slice))
                .or_default()
                .insert_hash(visitor);
        }
    }
}

/// A person's scan as [`ScanSlices::unpack`] reads it.
const PACKED_FIELDS: [&str; 8] = [
    "campaign_id",
    "scanned_at",
    "device",
    "batch_id",
    "COALESCE(country, '')",
    "COALESCE(region, '')",
    "COALESCE(city, '')",
    "visitor_id",
];

/// The people's scans that `condition` picks, packed (see `packed`).
fn packed_scans_sql(backend: Backend, condition: &str) -> String {
    let rest = format!("FROM scans WHERE is_bot = 0 AND visitor_id IS NOT NULL AND {condition}");
    packed::rows_sql(backend, &PACKED_FIELDS, &rest)
}

/// Adds the people of the scans `(from, to]` (of `campaign_id` when given, and in
/// `[start, end)` when given) to the hourly slice sketches: each stored sketch is read,
/// merged and written back. Only one instance folds at a time (the touches fold's lock, or
/// a rebuild's chunk under the write turn), so the read and the write cannot interleave
/// with another's.
pub(super) async fn fold_slices(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    scans: ScanRange,
) -> DbResult<()> {
    let (text,): (Option<String>,) = match scans {
        ScanRange::Ids { from, to } => {
            sqlx::query_as(sqlx::AssertSqlSafe(packed_scans_sql(
                backend,
                "id > $1 AND id <= $2",
            )))
            .bind(from)
            .bind(to)
            .fetch_one(&mut **tx)
            .await?
        }
        ScanRange::Hours {
            campaign_id,
            start,
            end,
            folded_to,
        } => {
            sqlx::query_as(sqlx::AssertSqlSafe(packed_scans_sql(
                backend,
                "campaign_id = $1 AND scanned_at >= $2 AND scanned_at < $3 AND id <= $4",
            )))
            .bind(campaign_id)
            .bind(start)
            .bind(end)
            .bind(folded_to)
            .fetch_one(&mut **tx)
            .await?
        }
    };
    let mut slices = Slices::default();
    for line in packed::rows(text.as_deref()) {
        // Derived data: a row that does not read back (a separator inside a field, which
        // visitor ids, device classes and place names do not hold) is left out rather than
        // stopping the fold for good.
        match ScanSlices::unpack(line) {
            Some(scan) => slices.add(&scan),
            None => tracing::error!(line, "leaving out a scan the slice sketches cannot read"),
        }
    }
    let slices: Vec<_> = slices.0.into_iter().collect();
    for group in slices.chunks(KEYS_PER_STATEMENT) {
        // On PostgreSQL the row lock also waits for a rebuild's chunk (which locks the
        // table) on another instance, so neither overwrites the other's sketches.
        let lock = match backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let mut read =
            sqlx::query_as::<_, (i64, String, i64, String, Vec<u8>)>(sqlx::AssertSqlSafe(format!(
                "SELECT campaign_id, family, hour, slice, sketch FROM slice_sketches \
                 WHERE (campaign_id, family, hour, slice) IN (VALUES {}){lock}",
                values_list(backend, group.len(), 4)
            )));
        for ((campaign_id, family, hour, slice), _) in group {
            read = read
                .bind(*campaign_id)
                .bind(family.as_str())
                .bind(*hour)
                .bind(slice.as_str());
        }
        let mut stored: BTreeMap<(i64, String, i64, String), VisitorSketch> = BTreeMap::new();
        for (campaign_id, family, hour, slice, bytes) in read.fetch_all(&mut **tx).await? {
            match VisitorSketch::from_bytes(&bytes) {
                Ok(sketch) => {
                    stored.insert((campaign_id, family, hour, slice), sketch);
                }
                Err(err) => tracing::error!(%err, campaign_id, family, slice,
                    "replacing a damaged slice sketch"),
            }
        }
        let mut write = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO slice_sketches (campaign_id, family, hour, slice, sketch) VALUES {} \
             ON CONFLICT (campaign_id, family, hour, slice) \
             DO UPDATE SET sketch = excluded.sketch",
            values_list(backend, group.len(), 5)
        )));
        for ((campaign_id, family, hour, slice), sketch) in group {
            let key = (
                *campaign_id,
                family.as_str().to_owned(),
                *hour,
                slice.clone(),
            );
            let mut merged = stored.remove(&key).unwrap_or_default();
            merged.merge(sketch);
            write = write
                .bind(*campaign_id)
                .bind(family.as_str())
                .bind(*hour)
                .bind(slice.as_str())
                .bind(merged.to_bytes());
        }
        write.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Which scans [`fold_slices`] reads.
#[derive(Debug, Clone, Copy)]
pub(super) enum ScanRange {
    /// Every campaign's scans `(from, to]` by id: the touches fold's step.
    Ids { from: i64, to: i64 },
    /// A campaign's scans in `[start, end)` up to the id `folded_to`: a rebuild's chunk.
    Hours {
        campaign_id: i64,
        start: i64,
        end: i64,
        folded_to: i64,
    },
}

/// Folds the hourly slice sketches of `[day, end)` into the day tier, per campaign of
/// the day's scans and family (the sketches' key order).
pub(super) async fn fold_day_slices(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    day: i64,
    end: i64,
) -> DbResult<()> {
    let campaigns: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT campaign_id FROM scan_rollups WHERE hour >= $1 AND hour < $2 \
         AND scans > 0",
    )
    .bind(day)
    .bind(end)
    .fetch_all(&mut **tx)
    .await?;
    for (campaign_id,) in campaigns {
        for family in Family::ALL {
            let hours: Vec<(String, Vec<u8>)> = sqlx::query_as(
                "SELECT slice, sketch FROM slice_sketches WHERE campaign_id = $1 \
                 AND family = $2 AND hour >= $3 AND hour < $4",
            )
            .bind(campaign_id)
            .bind(family.as_str())
            .bind(day)
            .bind(end)
            .fetch_all(&mut **tx)
            .await?;
            let merged: Vec<_> = merge_by_slice(hours, |_| true).into_iter().collect();
            for group in merged.chunks(KEYS_PER_STATEMENT) {
                let mut insert = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO day_slice_sketches (campaign_id, family, day, slice, sketch) \
                     VALUES {}",
                    values_list(backend, group.len(), 5)
                )));
                for (slice, sketch) in group {
                    insert = insert
                        .bind(campaign_id)
                        .bind(family.as_str())
                        .bind(day)
                        .bind(slice.as_str())
                        .bind(sketch.to_bytes());
                }
                insert.execute(&mut **tx).await?;
            }
        }
    }
    Ok(())
}

/// Sketches merged per slice, of the slices `wanted` says.
fn merge_by_slice(
    rows: Vec<(String, Vec<u8>)>,
    wanted: impl Fn(&str) -> bool,
) -> BTreeMap<String, VisitorSketch> {
    let mut merged: BTreeMap<String, VisitorSketch> = BTreeMap::new();
    for (slice, bytes) in rows {
        if !wanted(&slice) {
            continue;
        }
        match VisitorSketch::from_bytes(&bytes) {
            Ok(sketch) => merged.entry(slice).or_default().merge(&sketch),
            Err(err) => tracing::error!(%err, slice, "skipping a damaged slice sketch"),
        }
    }
    merged
}

impl Db {
    /// Adds the people of the scans `(from, to]` to the slice sketches, a chunk of ids per
    /// transaction: the touches fold's work in bulk, for a loader that wrote scans and
    /// derived the rest of that fold itself (the reports benchmark). Scans already folded
    /// would be added twice over nothing (a sketch forgets repeats), so it is harmless but
    /// wasted on them.
    pub async fn add_slice_sketches(&self, from: i64, to: i64) -> DbResult<()> {
        const CHUNK: i64 = 50_000;
        let mut start = from;
        while start < to {
            let end = (start + CHUNK).min(to);
            let _turn = self.write_turn().await;
            let mut tx = self.begin_write().await?;
            let scans = ScanRange::Ids {
                from: start,
                to: end,
            };
            fold_slices(&mut tx, self.backend(), scans).await?;
            tx.commit().await?;
            start = end;
        }
        Ok(())
    }

    /// A campaign's people per slice of `family` over the span's hours and days (the
    /// caller adds the raw scans at its edges), of the slices `wanted` says.
    pub async fn slice_visitors(
        &self,
        campaign_id: i64,
        family: Family,
        span: &Span,
        wanted: impl Fn(&str) -> bool,
    ) -> DbResult<BTreeMap<String, VisitorSketch>> {
        let rows: Vec<(String, Vec<u8>)> = span
            .bind(
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT slice, sketch FROM slice_sketches \
                     WHERE campaign_id = $1 AND family = $8 AND {IN_HOURS} \
                     UNION ALL SELECT slice, sketch FROM day_slice_sketches \
                     WHERE campaign_id = $1 AND family = $8 AND {IN_DAYS}"
                )))
                .bind(campaign_id),
            )
            .bind(family.as_str())
            .fetch_all(self.pool())
            .await?;
        Ok(merge_by_slice(rows, wanted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_slice_reads_back_its_parts() {
        let slice = place_slice("CN", "Shanghai", "Shanghai");
        assert_eq!(place_of(&slice), ("CN", "Shanghai", "Shanghai"));
        assert_eq!(place_of(&place_slice("", "", "")), ("", "", ""));
        assert_eq!(place_of(&place_slice("CN", "", "")), ("CN", "", ""));
    }

    #[test]
    fn a_packed_scan_reads_back_with_its_visitor_whole() {
        let line = [
            "1", "3600000", "mobile", "7", "CN", "", "Hangzhou", "a\u{1f}b",
        ]
        .join("\u{1f}");
        let scan = ScanSlices::unpack(&line).unwrap();
        let expected = ScanSlices {
            campaign_id: 1,
            scanned_at: 3_600_000,
            device: "mobile",
            batch_id: 7,
            country: "CN",
            region: "",
            city: "Hangzhou",
            visitor: "a\u{1f}b",
        };
        assert_eq!(scan, expected);
        assert_eq!(
            ScanSlices::unpack("1\u{1f}2\u{1f}mobile"),
            None,
            "fields missing"
        );
        assert_eq!(
            ScanSlices::unpack(&line.replacen('1', "x", 1)),
            None,
            "not a number"
        );
    }

    #[test]
    fn a_scan_counts_once_in_each_family() {
        let mut slices = Slices::default();
        let scan = |visitor, scanned_at| ScanSlices {
            campaign_id: 1,
            scanned_at,
            device: "mobile",
            batch_id: 7,
            country: "CN",
            region: "Zhejiang",
            city: "Hangzhou",
            visitor,
        };
        slices.add(&scan("a", 10));
        slices.add(&scan("a", 20));
        slices.add(&scan("b", MS_PER_HOUR + 5));
        let count =
            |family, hour, slice: &str| slices.0[&(1, family, hour, slice.to_owned())].estimate();
        assert_eq!(count(Family::Device, 0, "mobile"), 1);
        assert_eq!(count(Family::Batch, 0, "7"), 1);
        let place = place_slice("CN", "Zhejiang", "Hangzhou");
        assert_eq!(count(Family::Place, 0, &place), 1);
        assert_eq!(count(Family::Place, MS_PER_HOUR, &place), 1);
        assert_eq!(slices.0.len(), 6, "three families, two hours");
    }
}
