//! A month of a brand's life for the demo: scans over the last 30 days (a weekly rhythm,
//! busier evenings, a launch that grows, cities and devices as a Chinese campaign sees
//! them, one bottle code copied across cities), landing views and clicks, purchases online
//! and at store tills with a few refunds, channel spend, and shared photos. Everything
//! goes through the writers the server uses (scans, events, conversions), so the folds,
//! tiers and reports treat it as they treat real traffic.

use futures_util::{StreamExt, stream};
use image::{Rgb, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::{
    Batch, ConversionKey, EventRow, NewConversion, NewPhoto, NewRefund, NewSpend, PhotoStatus,
    Recorded, ScanRow, now_ms,
};
use crate::http::AppState;
use crate::media::Picture;

const DAY_MS: i64 = 86_400_000;
const HOUR_MS: i64 = 3_600_000;
pub const DAYS: i64 = 30;
/// People who scan; some come back.
const PEOPLE: usize = 9000;
/// Writes in flight at once: the writers group them into few transactions.
const IN_FLIGHT: usize = 256;

/// City, region, country, latitude, longitude, weight.
type City = (&'static str, &'static str, &'static str, f64, f64, f64);
const CITIES: [City; 8] = [
    ("Shanghai", "SH", "CN", 31.23, 121.47, 34.0),
    ("Beijing", "BJ", "CN", 39.90, 116.40, 22.0),
    ("Hangzhou", "ZJ", "CN", 30.27, 120.15, 12.0),
    ("Guangzhou", "GD", "CN", 23.13, 113.26, 10.0),
    ("Shenzhen", "GD", "CN", 22.54, 114.06, 9.0),
    ("Chengdu", "SC", "CN", 30.66, 104.07, 7.0),
    ("Suzhou", "JS", "CN", 31.30, 120.58, 5.0),
    ("Singapore", "", "SG", 1.35, 103.82, 1.0),
];

/// What the month's scans land on: the campaign's batches and their codes.
pub struct Spots {
    pub poster: Batch,
    pub bottles: Batch,
    pub social: Batch,
    /// Each store's display batch, with the store's city index.
    pub displays: Vec<(Batch, usize)>,
}

struct Scan {
    row: ScanRow,
    token: Option<String>,
}

/// What the month wrote, for the demo's summary.
pub struct Written {
    pub scans: usize,
    pub purchases: usize,
}

pub async fn write(state: &AppState, campaign_id: i64, spots: &Spots) -> anyhow::Result<Written> {
    let db = &state.db;
    let mut rng = StdRng::seed_from_u64(2026);
    let now = now_ms();
    let start = (now / DAY_MS - DAYS) * DAY_MS;
    let bottle_codes = db.codes_page(spots.bottles.id, 0, 100_000).await?;
    let poster = first_code(state, &spots.poster).await?;
    let social = first_code(state, &spots.social).await?;
    let mut displays = Vec::new();
    for (batch, city) in &spots.displays {
        displays.push((batch.clone(), *city, first_code(state, batch).await?));
    }

    let city_weights: Vec<f64> = CITIES.iter().map(|c| c.5).collect();
    let people: Vec<(String, usize, &'static str)> = (0..PEOPLE)
        .map(|_| {
            let device = match rng.random_range(0..40) {
                0 => "tablet",
                1 => "desktop",
                _ => "mobile",
            };
            (
                crate::scans::visitor::new_id(),
                pick(&mut rng, &city_weights),
                device,
            )
        })
        .collect();
    let mut seen = vec![false; PEOPLE];
    let mut scans = Vec::new();
    let mut bottle = 0;
    for day in 0..DAYS {
        let day_start = start + day * DAY_MS;
        // A launch that grows over the month, and weekends busier than weekdays.
        let weekday = (day_start / DAY_MS + 4) % 7; // 0 is Monday
        let weekend = if weekday >= 5 { 1.6 } else { 1.0 };
        let count = ((180.0 + 9.0 * day as f64) * weekend * rng.random_range(0.85..1.15)) as usize;
        for _ in 0..count {
            let at = day_start + hour_of_day(&mut rng) * HOUR_MS + rng.random_range(0..HOUR_MS);
            if at >= now - 60_000 {
                continue;
            }
            // A few come back: a tenth of the scans are by a core of regulars.
            let person = if rng.random::<f64>() < 0.1 {
                rng.random_range(0..PEOPLE / 10)
            } else {
                rng.random_range(0..PEOPLE)
            };
            let (visitor, city, device) = &people[person];
            let (batch, code, token, store_city) = match rng.random_range(0..100) {
                0..35 => (&spots.poster, poster, None, None),
                35..70 => {
                    let code = &bottle_codes[bottle % bottle_codes.len()];
                    bottle += 1;
                    (&spots.bottles, code.id, Some(code.token.clone()), None)
                }
                70..80 => (&spots.social, social, None, None),
                _ => {
                    let (batch, store_city, code) = &displays[rng.random_range(0..displays.len())];
                    (batch, *code, None, Some(*store_city))
                }
            };
            // Shelf codes are scanned in the store's city.
            let city = store_city.unwrap_or(*city);
            let place = CITIES[city];
            scans.push(Scan {
                row: ScanRow {
                    scanned_at: at,
                    code_id: code,
                    batch_id: batch.id,
                    campaign_id,
                    channel_id: batch.channel_id,
                    store_id: batch.store_id,
                    visitor_id: Some(visitor.clone()),
                    is_new_visitor: !std::mem::replace(&mut seen[person], true),
                    country: Some(place.2.into()),
                    region: (!place.1.is_empty()).then(|| place.1.into()),
                    city: Some(place.0.into()),
                    latitude: Some(place.3),
                    longitude: Some(place.4),
                    device,
                    os: Some(
                        if rng.random_bool(0.6) {
                            "Android"
                        } else {
                            "iOS"
                        }
                        .into(),
                    ),
                    outcome: "landing",
                    language: Some("zh".into()),
                    ..ScanRow::default()
                },
                token,
            });
        }
    }
    scans.sort_by_key(|s| s.row.scanned_at);
    copied_bottle(
        &mut scans,
        &bottle_codes,
        &people,
        campaign_id,
        &spots.bottles,
        now,
    );

    // Scans first, so the touches a purchase is matched with exist.
    let stored = stream::iter(scans.iter().map(|s| state.writer.record(s.row.clone())))
        .buffer_unordered(IN_FLIGHT)
        .filter(|r| std::future::ready(r.is_ok()))
        .count()
        .await;

    // A purchase is matched with the touches folded from the scans before it: let the
    // fold take in the month first (it runs on its own budget beside live traffic).
    let last = db.last_scan_id().await?;
    let folding = tokio::time::Instant::now();
    while db.watermark("touches").await? < last {
        if folding.elapsed() > std::time::Duration::from_secs(300) {
            anyhow::bail!("the touches fold did not take in the month's scans in 5 minutes");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // Landing views, clicks, and the purchases the buy clicks and tills led to.
    let mut events = Vec::new();
    let mut purchases = Vec::new();
    for (i, scan) in scans.iter().enumerate() {
        let row = &scan.row;
        if rng.random::<f64>() > 0.9 {
            continue;
        }
        let event = |kind, action, at| EventRow {
            occurred_at: at,
            kind,
            action,
            campaign_id,
            channel_id: Some(row.channel_id),
            batch_id: Some(row.batch_id),
            store_id: row.store_id,
            code_id: Some(row.code_id),
            visitor_id: row.visitor_id.clone(),
            is_bot: false,
            click_id: None,
            country: row.country.clone(),
            city: row.city.clone(),
            device: row.device,
            variant_id: None,
        };
        let viewed = row.scanned_at + 2_000;
        events.push(event("view", None, viewed));
        let roll = rng.random::<f64>();
        let clicked = viewed + rng.random_range(5_000..60_000);
        if roll < 0.16 {
            let mut click = event("click", Some("buy"), clicked);
            let click_id = crate::scans::visitor::new_id();
            click.click_id = Some(click_id.clone());
            events.push(click);
            if rng.random::<f64>() < 0.35 {
                let at = (clicked + rng.random_range(60_000..20 * HOUR_MS)).min(now - 60_000);
                let packs = rng.random_range(1..4);
                purchases.push(NewConversion {
                    source: if rng.random_bool(0.6) { "tmall" } else { "jd" }.into(),
                    order_id: format!("TM{:08}", 20_000_000 + i),
                    amount_cents: 5_940 * packs,
                    currency: "CNY".into(),
                    items: Some(6 * packs),
                    occurred_at: at,
                    key: ConversionKey::Click(click_id),
                });
            }
        } else if roll < 0.20 {
            events.push(event("click", Some("photos"), clicked));
        } else if roll < 0.23 {
            events.push(event("click", Some("stores"), clicked));
        }
        // A scan at a store display is often followed by a purchase at its till.
        if let (Some(store_id), true) = (row.store_id, rng.random::<f64>() < 0.12) {
            let code = db.store(store_id).await?.code;
            let order_id = format!("{code}-{i:06}");
            let at = (row.scanned_at + rng.random_range(120_000..1_800_000)).min(now - 60_000);
            purchases.push(NewConversion {
                source: "pos".into(),
                order_id,
                amount_cents: rng.random_range(12..60) * 100 + 90,
                currency: "CNY".into(),
                items: Some(rng.random_range(1..4)),
                occurred_at: at,
                key: ConversionKey::Store(code),
            });
        }
        // Bought because of the code on the bottle in hand.
        if let (Some(token), true) = (&scan.token, rng.random::<f64>() < 0.03) {
            purchases.push(NewConversion {
                source: "tmall".into(),
                order_id: format!("TM{:08}", 30_000_000 + i),
                amount_cents: 11_880,
                currency: "CNY".into(),
                items: Some(12),
                occurred_at: (row.scanned_at + DAY_MS).min(now - 60_000),
                key: ConversionKey::Token(token.clone()),
            });
        }
    }
    stream::iter(events.into_iter().map(|e| state.events.record(e)))
        .buffer_unordered(IN_FLIGHT)
        .for_each(|_| std::future::ready(()))
        .await;
    let recorded: Vec<Recorded> =
        stream::iter(purchases.into_iter().map(|p| state.conversions.record(p)))
            .buffer_unordered(64)
            .filter_map(|r| std::future::ready(r.ok()))
            .collect()
            .await;
    // A few are sent back, some in part.
    for (k, recorded) in recorded.iter().enumerate() {
        let Recorded::New(conversion, _) = recorded else {
            continue;
        };
        if k % 29 == 3 {
            let amount_cents = if k % 2 == 0 {
                conversion.amount_cents
            } else {
                conversion.amount_cents / 2
            };
            db.refund(
                conversion.id,
                NewRefund {
                    amount_cents,
                    refund_id: Some(format!("RF-{}", conversion.id)),
                    reason: Some("damaged in delivery".into()),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    spend(state, campaign_id, spots, start, now).await?;
    photos(state, campaign_id, spots, &mut rng).await?;
    // The history's days are folded again from the start, scans, events and all.
    db.unfold_days_from(start).await?;
    Ok(Written {
        scans: stored,
        purchases: recorded.len(),
    })
}

/// A batch's first code: the one every scan of a shared code is of.
async fn first_code(state: &AppState, batch: &Batch) -> anyhow::Result<i64> {
    let codes = state.db.codes_page(batch.id, 0, 1).await?;
    codes
        .first()
        .map(|c| c.id)
        .ok_or_else(|| anyhow::anyhow!("batch {} has no code", batch.id))
}

/// The hour of the day a scan is made at: little at night, lunch and evenings busiest.
fn hour_of_day(rng: &mut StdRng) -> i64 {
    // China time (UTC+8) hours 0..24, weighted; stored as UTC.
    const WEIGHTS: [f64; 24] = [
        1.0, 0.5, 0.3, 0.2, 0.2, 0.4, 1.0, 2.5, 4.0, 4.0, 4.5, 5.5, 7.0, 6.0, 4.5, 4.5, 5.0, 6.0,
        7.5, 9.0, 9.5, 8.0, 5.0, 2.5,
    ];
    (pick(rng, &WEIGHTS) as i64 + 24 - 8) % 24
}

/// An index drawn with the given weights.
fn pick(rng: &mut StdRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut at = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if at < *w {
            return i;
        }
        at -= w;
    }
    weights.len() - 1
}

/// One bottle's code copied onto fakes: scanned again and again from six cities in the
/// last days, which the suspicious-codes report finds.
fn copied_bottle(
    scans: &mut Vec<Scan>,
    bottles: &[crate::db::CodeRecord],
    people: &[(String, usize, &'static str)],
    campaign_id: i64,
    batch: &Batch,
    now: i64,
) {
    let Some(code) = bottles.last() else {
        return;
    };
    for k in 0..36usize {
        let place = CITIES[k % 6];
        scans.push(Scan {
            row: ScanRow {
                scanned_at: now - 3 * DAY_MS + (k as i64) * 1_800_000,
                code_id: code.id,
                batch_id: batch.id,
                campaign_id,
                channel_id: batch.channel_id,
                store_id: batch.store_id,
                visitor_id: Some(people[PEOPLE - 1 - k].0.clone()),
                is_new_visitor: true,
                country: Some(place.2.into()),
                region: Some(place.1.into()),
                city: Some(place.0.into()),
                device: "mobile",
                outcome: "landing",
                ..ScanRow::default()
            },
            token: Some(code.token.clone()),
        });
    }
    scans.sort_by_key(|s| s.row.scanned_at);
}

/// What the posters and the social post cost over the month.
async fn spend(
    state: &AppState,
    campaign_id: i64,
    spots: &Spots,
    start: i64,
    now: i64,
) -> anyhow::Result<()> {
    for (batch, amount_cents, note) in [
        (&spots.poster, 800_000, "Metro line 2, 4 weeks"),
        (&spots.social, 300_000, "WeChat moments post"),
    ] {
        state
            .db
            .create_spend(NewSpend {
                campaign_id,
                channel_id: batch.channel_id,
                starts_at: start,
                ends_at: now - now % HOUR_MS + HOUR_MS,
                amount_cents,
                currency: "CNY".into(),
                note: Some(note.into()),
            })
            .await?;
    }
    Ok(())
}

/// Photos people shared with their bottle: drawn here (a bottle on a coloured table), so
/// the demo ships no pictures; most approved, two waiting for review.
async fn photos(
    state: &AppState,
    campaign_id: i64,
    spots: &Spots,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let captions = [
        "Picnic by the river with jasmine tea",
        "Office afternoon pick-me-up",
        "Found it at the corner shop!",
        "Best with dumplings",
        "Road trip supplies",
        "Cold from the fridge",
        "Is this the new bottle?",
        "Tea time",
    ];
    for (k, caption) in captions.iter().enumerate() {
        let place = CITIES[k % 6];
        let background = Rgb([
            rng.random_range(120..230),
            rng.random_range(120..230),
            rng.random_range(120..230),
        ]);
        let picture = bottle_picture(background);
        let media = state.media.clone();
        let (image, thumb, width, height) = tokio::task::spawn_blocking(move || {
            let large = picture.fitted(1280);
            let small = large.fitted(360).to_jpeg();
            let large = large.to_jpeg();
            Ok::<_, anyhow::Error>((
                media.put(&large.jpeg)?,
                media.put(&small.jpeg)?,
                large.width,
                large.height,
            ))
        })
        .await??;
        state
            .db
            .create_photo(NewPhoto {
                campaign_id,
                visitor_id: crate::scans::visitor::new_id(),
                status: if k < 6 {
                    PhotoStatus::Approved
                } else {
                    PhotoStatus::Pending
                },
                caption: Some((*caption).into()),
                image,
                thumb,
                width: width.into(),
                height: height.into(),
                country: Some(place.2.into()),
                city: Some(place.0.into()),
                latitude: Some(place.3),
                longitude: Some(place.4),
                code_id: None,
                channel_id: Some(spots.bottles.channel_id),
            })
            .await?;
    }
    Ok(())
}

/// A green bottle with a label on a table of `background`.
fn bottle_picture(background: Rgb<u8>) -> Picture {
    let (w, h) = (720u32, 720u32);
    let image = RgbImage::from_fn(w, h, |x, y| {
        let bottle = (300..420).contains(&x) && (180..620).contains(&y)
            || (335..385).contains(&x) && (110..180).contains(&y);
        let label = (300..420).contains(&x) && (360..460).contains(&y);
        if label {
            Rgb([250, 248, 235])
        } else if bottle {
            Rgb([46, 125, 50])
        } else if y > 560 {
            Rgb([
                background[0] / 2 + 60,
                background[1] / 2 + 50,
                background[2] / 2 + 40,
            ])
        } else {
            background
        }
    });
    Picture::from_pixels(image)
}
