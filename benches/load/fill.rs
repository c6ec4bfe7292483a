//! The report benchmark's loader: fills a scanloop database (SQLite or PostgreSQL) with
//! many scans over the last 90 days, through the scan writer's own write path
//! (`Db::insert_scans`: the raw scans, their hourly rollups and visitor sketches, a group
//! of 1000 per transaction, drawn on a thread of their own while the one before is
//! written), then derives what the touches fold keeps beside them (in SQL: touches, each
//! campaign's first-seen visitors; scans per place, counted while drawing) and adds the
//! people per batch, device class and place to their sketches as that fold does, in bulk. It writes a CSV of purchases by
//! the timed campaign's visitors for the conversion import, and prints the fill rate and
//! each derivation's time.
//!
//! Five campaigns of their own, four poster channels each (20), 200 stores: each campaign
//! has a shared poster code per channel and a shelf code in each of its 40 stores. Traffic
//! is skewed: the first campaign (the one timed) gets 40% of the scans, then 25, 15, 12
//! and 8%; its poster channels get 40/30/20/10% of its poster scans, and a fifth of its
//! scans are at shelves, most at a few big stores. Every fifth scan of a visitor is the
//! same visitor again; only the timed campaign's visitors have touches (they are the
//! buyers), and each buyer's first purchase comes an hour after their latest scan; a fifth of
//! the purchases are repeat purchases.
//!
//! Usage:
//!   scanloop-bench-fill fill DATABASE_URL SCANS CONVERSIONS CSV_OUT   (prints "timed campaign ID" last)
//!   scanloop-bench-fill wait days|credits DATABASE_URL
//!     waits (up to 5 minutes) until the server has folded every day before today into
//!     the day tier, or credited them with no stale day left

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use scanloop::db::{Backend, Db, ScanRow, WriterConnection, now_ms, values_list};
use sqlx::AnyPool;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
const GROUP: usize = 1000;
const CAMPAIGN_WEIGHTS: [f64; 5] = [40.0, 25.0, 15.0, 12.0, 8.0];
const POSTER_WEIGHTS: [f64; 4] = [40.0, 30.0, 20.0, 10.0];
/// Country, region, city, and the weight of scans from there.
type Place = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    f64,
);
const PLACES: [Place; 8] = [
    (Some("CN"), Some("SH"), Some("Shanghai"), 30.0),
    (Some("CN"), Some("BJ"), Some("Beijing"), 25.0),
    (Some("CN"), Some("GD"), Some("Guangzhou"), 12.0),
    (Some("CN"), Some("GD"), Some("Shenzhen"), 12.0),
    (Some("CN"), Some("ZJ"), Some("Hangzhou"), 8.0),
    (Some("CN"), Some("SC"), Some("Chengdu"), 7.0),
    (Some("US"), Some("CA"), Some("San Francisco"), 3.0),
    (None, None, None, 3.0),
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["fill", url, scans, conversions, csv] => {
            fill(url, scans.parse()?, conversions.parse()?, csv).await
        }
        ["wait", job @ ("days" | "credits"), url] => wait(job, url).await,
        _ => bail!(
            "usage: scanloop-bench-fill fill DATABASE_URL SCANS CONVERSIONS CSV_OUT \
             | wait days|credits DATABASE_URL"
        ),
    }
}

/// A code scans land on: code, batch, channel, store.
#[derive(Clone, Copy)]
struct Spot {
    code: i64,
    batch: i64,
    channel: i64,
    store: Option<i64>,
}

struct Campaign {
    id: i64,
    posters: Vec<Spot>,
    shelves: Vec<Spot>,
}

async fn fill(url: &str, scans: usize, conversions: usize, csv: &str) -> anyhow::Result<()> {
    // A bulk load need not wait for each commit to reach the disk on PostgreSQL (a crash
    // would lose the last moments of the load, not break the database).
    let url = if url.starts_with("postgres") && !url.contains('?') {
        format!("{url}?options=-c%20synchronous_commit%3Doff")
    } else {
        url.to_owned()
    };
    let db = Db::connect(&url).await?;
    let pool = AnyPool::connect(&url).await?;
    let started = Instant::now();
    let now = now_ms();
    let campaigns = create_campaigns(&pool, now).await?;
    let (before,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM scans")
        .fetch_one(&pool)
        .await?;

    // PostgreSQL takes several writers at once (as several instances would write); each
    // writes its own stretch of the 90 days, so they do not wait on each other's sketches.
    let writers = match db.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => 4,
    };
    let visitors = (scans / 5).max(1);
    let plan = Arc::new(Plan {
        db,
        campaigns,
        scans,
        visitors,
        start: now - 90 * DAY_MS,
        span: 90 * DAY_MS - HOUR_MS,
        seen: (0..CAMPAIGN_WEIGHTS.len() * visitors)
            .map(|_| AtomicBool::new(false))
            .collect(),
        last_seen: (0..visitors).map(|_| AtomicI64::new(i64::MIN)).collect(),
    });
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..writers {
        let plan = plan.clone();
        let part = w * scans / writers..(w + 1) * scans / writers;
        tasks.spawn(plan.write(w as u64, part));
    }
    let mut places = PlaceCounts::new();
    while let Some(done) = tasks.join_next().await {
        for (key, scans) in done?? {
            *places.entry(key).or_default() += scans;
        }
    }
    let written = started.elapsed().as_secs_f64();
    let timed = plan.campaigns[0].id;
    derive_folded(&pool, plan.db.backend(), before.unwrap_or(0), timed).await?;
    let step = Instant::now();
    write_place_rollups(&pool, plan.db.backend(), &places).await?;
    println!(
        "  scans per place (counted while drawing) written in {:.1} s",
        step.elapsed().as_secs_f64()
    );
    let (last,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM scans")
        .fetch_one(&pool)
        .await?;
    let step = Instant::now();
    plan.db
        .add_slice_sketches(before.unwrap_or(0), last.unwrap_or(0))
        .await?;
    println!(
        "  people per batch, device class and place added to their sketches in {:.1} s",
        step.elapsed().as_secs_f64()
    );
    let total = started.elapsed().as_secs_f64();
    println!(
        "wrote {scans} scans with their rollups and sketches in {written:.0} s ({:.0} scans/s), \
         and what the folds keep in {:.0} s more: {:.0} scans/s in all",
        scans as f64 / written,
        total - written,
        scans as f64 / total
    );
    write_purchases(csv, conversions, &plan.last_seen, now)?;
    println!("timed campaign {timed}");
    Ok(())
}

/// What every writer shares.
struct Plan {
    db: Db,
    campaigns: Vec<Campaign>,
    scans: usize,
    visitors: usize,
    start: i64,
    span: i64,
    /// Whether each campaign's visitor has scanned yet (campaign-major).
    seen: Vec<AtomicBool>,
    /// The timed campaign's visitors' latest scans: when each one buys.
    last_seen: Vec<AtomicI64>,
}

impl Plan {
    /// Writes scans `part` (of `0..scans`, evenly spread over the 90 days) in groups. The
    /// groups are drawn on a thread of their own while the one before is written: the
    /// loader measures the write path, not the drawing.
    async fn write(self: Arc<Self>, seed: u64, part: Range<usize>) -> anyhow::Result<PlaceCounts> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ScanRow>>(4);
        let plan = self.clone();
        let drawing = tokio::task::spawn_blocking(move || plan.draw(seed, part, &tx));
        let mut writer = WriterConnection::default();
        while let Some(group) = rx.recv().await {
            self.db.insert_scans(&mut writer, &group).await?;
        }
        Ok(drawing.await?)
    }

    /// Draws scans `part` and hands them over in groups of [`GROUP`]; answers their
    /// counts per place, as the touches fold keeps them.
    fn draw(
        &self,
        seed: u64,
        part: Range<usize>,
        out: &tokio::sync::mpsc::Sender<Vec<ScanRow>>,
    ) -> PlaceCounts {
        let mut places = PlaceCounts::new();
        let shelf_weights: Vec<f64> = (0..40).map(|k| 1.0 / (k as f64 + 1.0)).collect();
        let place_weights: Vec<f64> = PLACES.iter().map(|p| p.3).collect();
        let mut rng = StdRng::seed_from_u64(11 + seed);
        let mut group = Vec::with_capacity(GROUP);
        let last = part.end;
        for i in part {
            let c = pick(&mut rng, &CAMPAIGN_WEIGHTS);
            let campaign = &self.campaigns[c];
            let spot = if rng.random::<f64>() < 0.2 {
                campaign.shelves[pick(&mut rng, &shelf_weights)]
            } else {
                campaign.posters[pick(&mut rng, &POSTER_WEIGHTS)]
            };
            let place = pick(&mut rng, &place_weights);
            let (country, region, city, _) = PLACES[place];
            let v = i % self.visitors;
            let scanned_at = self.start + (i as i64) * self.span / self.scans as i64;
            if c == 0 {
                self.last_seen[v].fetch_max(scanned_at, Ordering::Relaxed);
            }
            *places
                .entry((campaign.id, scanned_at - scanned_at % HOUR_MS, place))
                .or_default() += 1;
            let is_new_visitor = !self.seen[c * self.visitors + v].swap(true, Ordering::Relaxed);
            let device = match rng.random_range(0..20) {
                0 => "tablet",
                1 => "desktop",
                2 => "other",
                _ => "mobile",
            };
            group.push(ScanRow {
                scanned_at,
                code_id: spot.code,
                batch_id: spot.batch,
                campaign_id: campaign.id,
                channel_id: spot.channel,
                store_id: spot.store,
                visitor_id: Some(if c == 0 {
                    format!("bv{v}")
                } else {
                    format!("o{c}v{v}")
                }),
                is_new_visitor,
                country: country.map(str::to_owned),
                region: region.map(str::to_owned),
                city: city.map(str::to_owned),
                device,
                outcome: "destination",
                ..ScanRow::default()
            });
            if group.len() == GROUP || i + 1 == last {
                let full = std::mem::replace(&mut group, Vec::with_capacity(GROUP));
                // The writer has stopped (it failed and says why): stop drawing.
                if out.blocking_send(full).is_err() {
                    return places;
                }
            }
        }
        places
    }
}

/// An index drawn with the given weights.
fn pick(rng: &mut StdRng, weights: &[f64]) -> usize {
    let mut left = rng.random::<f64>() * weights.iter().sum::<f64>();
    for (k, w) in weights.iter().enumerate() {
        if left < *w {
            return k;
        }
        left -= w;
    }
    weights.len() - 1
}

/// Scans per campaign, hour and place (an index of [`PLACES`]).
type PlaceCounts = HashMap<(i64, i64, usize), i64>;

/// The scans per place as the touches fold keeps them (`place_rollups`, "" where unknown).
async fn write_place_rollups(
    pool: &AnyPool,
    backend: Backend,
    places: &PlaceCounts,
) -> anyhow::Result<()> {
    let mut rows: Vec<_> = places.iter().collect();
    rows.sort_unstable();
    let mut tx = pool.begin().await?;
    for chunk in rows.chunks(1000) {
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO place_rollups (campaign_id, hour, country, region, city, scans, \
             bot_scans) VALUES {}",
            values_list(backend, chunk.len(), 7)
        )));
        for &(&(campaign_id, hour, place), &scans) in chunk {
            let (country, region, city, _) = PLACES[place];
            insert = insert
                .bind(campaign_id)
                .bind(hour)
                .bind(country.unwrap_or_default())
                .bind(region.unwrap_or_default())
                .bind(city.unwrap_or_default())
                .bind(scans)
                .bind(0_i64);
        }
        insert.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn insert_id(pool: &AnyPool, sql: &str, binds: &[&str], now: i64) -> anyhow::Result<i64> {
    let mut query = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql.to_owned()));
    for b in binds {
        query = query.bind(b.to_string());
    }
    let (id,) = query.bind(now).fetch_one(pool).await?;
    Ok(id)
}

async fn create_campaigns(pool: &AnyPool, now: i64) -> anyhow::Result<Vec<Campaign>> {
    let mut stores = Vec::new();
    for n in 0..200 {
        let (code, name, city) = (
            format!("BS{n:03}"),
            format!("Bench store {n}"),
            format!("City {}", n % 30),
        );
        stores.push(
            insert_id(
                pool,
                "INSERT INTO stores (code, name, city, created_at) VALUES ($1, $2, $3, $4) \
                 RETURNING id",
                &[&code, &name, &city],
                now,
            )
            .await?,
        );
    }
    let mut campaigns = Vec::new();
    for c in 0..5 {
        let id = insert_id(
            pool,
            "INSERT INTO campaigns (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id",
            &[&format!("report-bench-{c}"), &format!("Report bench {c}")],
            now,
        )
        .await?;
        let mut posters = Vec::new();
        for n in 0..4 {
            let channel = insert_id(
                pool,
                "INSERT INTO channels (slug, name, kind, created_at) \
                 VALUES ($1, $2, 'poster', $3) RETURNING id",
                &[&format!("bench-{c}-{n}"), &format!("Bench {c}-{n}")],
                now,
            )
            .await?;
            posters.push(
                shared_code(pool, id, channel, None, &format!("BENCHCODE{c}{n:03}"), now).await?,
            );
        }
        // The store channel: one shelf code per store (its batch names the store).
        let mut shelves = Vec::new();
        for (k, store) in stores[c * 40..(c + 1) * 40].iter().enumerate() {
            let token = format!("BENCHSHELF{c}{k:03}");
            let channel = posters[3].channel;
            shelves.push(shared_code(pool, id, channel, Some(*store), &token, now).await?);
        }
        campaigns.push(Campaign {
            id,
            posters,
            shelves,
        });
    }
    Ok(campaigns)
}

/// A shared batch of one code; spend of 1000 yuan a poster, 20 a shelf.
async fn shared_code(
    pool: &AnyPool,
    campaign: i64,
    channel: i64,
    store: Option<i64>,
    token: &str,
    now: i64,
) -> anyhow::Result<Spot> {
    let (batch,): (i64,) = sqlx::query_as(
        "INSERT INTO batches (campaign_id, channel_id, store_id, name, mode, quantity, \
         cost_cents, created_at, generation, codes_generated) \
         VALUES ($1, $2, $3, $4, 'shared', 1, $5, $6, 'ready', 1) RETURNING id",
    )
    .bind(campaign)
    .bind(channel)
    .bind(store)
    .bind(token.to_lowercase())
    .bind(if store.is_some() { 2000_i64 } else { 100_000 })
    .bind(now)
    .fetch_one(pool)
    .await?;
    let (code,): (i64,) = sqlx::query_as(
        "INSERT INTO codes (token, batch_id, serial) VALUES ($1, $2, 1) RETURNING id",
    )
    .bind(token)
    .bind(batch)
    .fetch_one(pool)
    .await?;
    Ok(Spot {
        code,
        batch,
        channel,
        store,
    })
}

/// What the history and touches folds keep beside the scans, derived in SQL as they would
/// have: the timed campaign's touches, each visitor's first scan of a campaign and the
/// visitors first seen per hour; then both folds' watermarks past the
/// scans, and the day tier left for the server to fold.
async fn derive_folded(
    pool: &AnyPool,
    backend: Backend,
    after: i64,
    timed: i64,
) -> anyhow::Result<()> {
    let statements = [
        (
            "touches",
            "INSERT INTO touches (scan_id, touched_at, visitor_id, code_id, batch_id, campaign_id, \
             channel_id, store_id, device, country, region, city) \
             SELECT id, scanned_at, visitor_id, code_id, batch_id, campaign_id, channel_id, \
             store_id, device, country, region, city FROM scans WHERE id > $1 AND campaign_id = $2",
        ),
        (
            "first scans",
            "INSERT INTO campaign_visitors (campaign_id, visitor_id, first_seen) \
             SELECT campaign_id, visitor_id, MIN(scanned_at) FROM scans \
             WHERE id > $1 AND $2 > 0 GROUP BY 1, 2",
        ),
        (
            "cohorts",
            "INSERT INTO visitor_cohorts (campaign_id, hour, visitors) \
             SELECT campaign_id, first_seen - first_seen % 3600000, COUNT(*) FROM campaign_visitors \
             WHERE campaign_id >= $2 AND $1 >= 0 GROUP BY 1, 2",
        ),
        (
            "history watermark",
            "INSERT INTO job_watermarks (job, value) \
             SELECT 'code_history', MAX(id) FROM scans WHERE $1 >= 0 AND $2 > 0 \
             ON CONFLICT (job) DO UPDATE SET value = excluded.value",
        ),
        (
            "touches watermark",
            "INSERT INTO job_watermarks (job, value) \
             SELECT 'touches', MAX(id) FROM scans WHERE $1 >= 0 AND $2 > 0 \
             ON CONFLICT (job) DO UPDATE SET value = excluded.value",
        ),
    ];
    let mut conn = pool.acquire().await?;
    if backend == Backend::Sqlite {
        // The derivations group and index millions of rows: a page cache that holds them.
        sqlx::query("PRAGMA cache_size = -524288")
            .execute(&mut *conn)
            .await?;
    }
    let mut took = Vec::new();
    for (what, sql) in statements {
        let step = Instant::now();
        sqlx::query(sql)
            .bind(after)
            .bind(timed)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("deriving: {sql}"))?;
        took.push(format!("{what} {:.1} s", step.elapsed().as_secs_f64()));
    }
    println!("  derived in SQL: {}", took.join(", "));
    // The scan writer's groups were not folded into the day tier; the server folds the
    // 90 days when it starts.
    for sql in [
        "DELETE FROM job_watermarks WHERE job = 'days'",
        "DELETE FROM day_batches",
        "DELETE FROM day_devices",
        "DELETE FROM day_places",
        "DELETE FROM hour_totals",
        "DELETE FROM day_sketches",
        "DELETE FROM day_slice_sketches",
    ] {
        sqlx::query(sql).execute(pool).await?;
    }
    Ok(())
}

/// Purchases by visitors of the timed campaign: each buyer's first an hour after their
/// latest scan of it; a fifth of the purchases are a buyer's second (or later), three days
/// after the one before, still inside the default 7-day window of that scan, so the funnel
/// has repeat purchasers and the cohorts buyers in later periods.
fn write_purchases(
    path: &str,
    conversions: usize,
    last_seen: &[AtomicI64],
    now: i64,
) -> anyhow::Result<()> {
    use std::io::Write;
    let buyers: Vec<(usize, i64)> = last_seen
        .iter()
        .enumerate()
        .map(|(v, at)| (v, at.load(Ordering::Relaxed)))
        .filter(|&(_, at)| at != i64::MIN)
        .collect();
    if buyers.is_empty() {
        bail!("the timed campaign has no visitors to buy");
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "order_id,amount_cents,currency,occurred_at,source,visitor_id"
    )?;
    let pool = (conversions * 4 / 5).clamp(1, buyers.len());
    for k in 0..conversions {
        let (v, last) = buyers[k % pool];
        let repeat = (k / pool) as i64;
        let at = (last + HOUR_MS + repeat * 3 * DAY_MS).min(now - 60_000);
        let iso = chrono::DateTime::from_timestamp_millis(at)
            .context("a time in range")?
            .format("%Y-%m-%dT%H:%M:%S%.3fZ");
        writeln!(out, "R-{k},{},CNY,{iso},till,bv{v}", 100 + k % 9900)?;
    }
    out.flush()?;
    Ok(())
}

/// Waits until the day tier (or the credit tier, with no stale day) reaches yesterday.
async fn wait(job: &str, url: &str) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await?;
    let started = Instant::now();
    let yesterday = (now_ms() / DAY_MS - 1) * DAY_MS;
    let done = loop {
        let (value,): (Option<i64>,) =
            sqlx::query_as("SELECT MAX(value) FROM job_watermarks WHERE job = $1")
                .bind(job)
                .fetch_one(&pool)
                .await?;
        let reached = value.is_some_and(|v| v >= yesterday);
        let (stale,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM stale_credit_days WHERE day < $1 AND $2 = 'credits'",
        )
        .bind(value.unwrap_or(0))
        .bind(job)
        .fetch_one(&pool)
        .await?;
        if reached && stale == 0 {
            break true;
        }
        if started.elapsed() > Duration::from_secs(300) {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let tier = if job == "days" { "day" } else { "credit" };
    let what = if done { "reached" } else { "had NOT reached" };
    println!(
        "the {tier} tier {what} yesterday after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
