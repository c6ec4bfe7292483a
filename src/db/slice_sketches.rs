//! Unique scanners per device class, place and batch: a visitor sketch per campaign,
//! family, hour and slice (`slice_sketches`), and per day in the day tier
//! (`day_slice_sketches`). The channels' sketches are written with the scans, on the
//! redirect's path; these are written by the touches fold, a moment later, so the redirect
//! does not pay for them. Merging the sketches of the slices a report row covers counts
//! its people once (a region's cities; a store's batches).

use std::collections::BTreeMap;

use super::edges::{IN_DAYS, IN_HOURS, Span};
use super::{Backend, Db, DbResult, values_list};
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
type ScanSlices = (
    i64,
    i64,
    String,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

impl Slices {
    fn add(&mut self, scan: &ScanSlices) {
        let (campaign_id, scanned_at, device, batch_id, country, region, city, visitor) = scan;
        let hour = scanned_at - scanned_at.rem_euclid(MS_PER_HOUR);
        let known = |v: &Option<String>| v.clone().unwrap_or_default();
        let place = place_slice(&known(country), &known(region), &known(city));
        let visitor = VisitorSketch::hash(visitor);
        for (family, slice) in [
            (Family::Device, device.clone()),
            (Family::Place, place),
            (Family::Batch, batch_id.to_string()),
        ] {
            self.0
                .entry((*campaign_id, family, hour, slice))
                .or_default()
                .insert_hash(visitor);
        }
    }
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
    let select = "SELECT campaign_id, scanned_at, device, batch_id, country, region, city, \
                  visitor_id FROM scans WHERE is_bot = 0 AND visitor_id IS NOT NULL AND";
    let rows: Vec<ScanSlices> = match scans {
        ScanRange::Ids { from, to } => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{select} id > $1 AND id <= $2"
            )))
            .bind(from)
            .bind(to)
            .fetch_all(&mut **tx)
            .await?
        }
        ScanRange::Hours {
            campaign_id,
            start,
            end,
            folded_to,
        } => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{select} campaign_id = $1 AND scanned_at >= $2 AND scanned_at < $3 \
                 AND id <= $4"
            )))
            .bind(campaign_id)
            .bind(start)
            .bind(end)
            .bind(folded_to)
            .fetch_all(&mut **tx)
            .await?
        }
    };
    let mut slices = Slices::default();
    for row in &rows {
        slices.add(row);
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
    fn a_scan_counts_once_in_each_family() {
        let mut slices = Slices::default();
        let scan = |visitor: &str, at: i64| -> ScanSlices {
            let city = Some("Hangzhou".to_owned());
            let region = Some("Zhejiang".to_owned());
            let country = Some("CN".to_owned());
            (
                1,
                at,
                "mobile".into(),
                7,
                country,
                region,
                city,
                visitor.into(),
            )
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
