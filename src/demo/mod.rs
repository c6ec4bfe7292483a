//! `scanloop demo`: what a brand has after a month, to look at in a minute. A campaign with
//! its landing page, channels, six stores, batches, and 30 days of scans, visits,
//! purchases, refunds, spend and photos (`month.rs`); an admin, an analyst and a store
//! manager. The guide is written to standard error, so standard output carries only log
//! lines (JSON objects with `SCANLOOP_LOG_FORMAT=json`).

mod month;

use crate::db::{
    Batch, Db, DbError, LandingContent, NewBatch, NewCampaign, NewChannel, NewStore, NewUser,
};
use crate::domain::{BatchMode, ChannelKind, Email, Role, Slug, TargetUrl};
use crate::http::AppState;
use crate::jobs::BatchGenerator;
use crate::jobs::batch_generation::Created;
use crate::qr::Matrix;

const SLUG: &str = "demo-jasmine-tea";

/// Seeds the demo once (a second run reuses it) and prints how to try it.
pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let (db, settings) = (&state.db, &state.settings);
    let key = crate::db::generate_key();
    db.ensure_api_key(db.first_admin().await?, "demo", &key)
        .await?;
    let campaign = match db.campaign_by_slug(SLUG).await {
        Ok(c) => c,
        Err(DbError::NotFound) => {
            eprintln!("scanloop demo: writing a month of scans, visits and purchases...");
            let (campaign, spots) = create(db, &state.batches).await?;
            let written = month::write(state, campaign.id, &spots).await?;
            eprintln!(
                "scanloop demo: {} scans and {} purchases over the last {} days",
                written.scans,
                written.purchases,
                month::DAYS
            );
            campaign
        }
        Err(e) => return Err(e.into()),
    };
    let batches = db
        .batches(
            Some(campaign.id),
            crate::db::Page {
                after: 0,
                limit: 10,
            },
            &crate::db::Scope::All,
        )
        .await?;
    eprintln!(
        "\nscanloop demo: campaign {:?} (id {})",
        campaign.name, campaign.id
    );
    eprintln!("API key (shown once): {key}");
    // Each account gets a new password every run, shown once.
    let store = db.store_id(STORE_CODE).await?;
    let accounts = [
        (ADMIN_EMAIL, Role::Admin, None, "/console"),
        (ANALYST_EMAIL, Role::Analyst, None, "/console"),
        (RETAILER_EMAIL, Role::Retailer, store, "/store"),
    ];
    eprintln!("Sign in at {}/login as:", settings.public_url);
    for (email, role, store, home) in accounts {
        let password = demo_user(db, email, role, store).await?;
        eprintln!(
            "  {email:<20} password {password}  ({}, {home})",
            role.as_str()
        );
    }
    eprintln!("Scans as they happen: {}/live\n", settings.public_url);
    let mut first_url = None;
    for batch in &batches {
        let codes = db.codes_page(batch.id, 0, 3).await?;
        eprintln!(
            "batch {} ({} {}):",
            batch.id,
            batch.mode.as_str(),
            batch.name
        );
        for code in codes {
            let url = settings.short_url(&code.token);
            eprintln!("  {url}");
            first_url.get_or_insert(url);
        }
    }
    if let Some(url) = first_url {
        eprintln!("\nScan me ({url}):\n");
        print_terminal_qr(&url);
    }
    eprintln!(
        "\nTry:\n  curl -i {}/s/<token>\n  curl -H 'Authorization: Bearer {key}' '{}/api/v1/reports/channels?campaign_id={}'\n  open {}/reports/campaigns/{} in a browser\n",
        settings.public_url, settings.public_url, campaign.id, settings.public_url, campaign.id
    );
    Ok(())
}

const ADMIN_EMAIL: &str = "demo@localhost";
const ANALYST_EMAIL: &str = "analyst@localhost";
/// The manager of the demo's store.
const RETAILER_EMAIL: &str = "store@localhost";
const STORE_CODE: &str = "DEMO-001";

/// A demo account with `role` (a retailer of `store`), with a new random password (shown
/// once).
async fn demo_user(db: &Db, email: &str, role: Role, store: Option<i64>) -> anyhow::Result<String> {
    let email = Email::parse(email).map_err(|m| anyhow::anyhow!(m))?;
    let (secret, _) = crate::accounts::secret::new_secret();
    let password: String = secret.chars().take(20).collect();
    let hash = crate::accounts::password::hash(password.clone()).await?;
    match db.user_by_email(&email).await {
        Ok(user) => db.set_password_hash(user.id, &hash).await?,
        Err(DbError::NotFound) => {
            db.create_user(NewUser {
                email,
                role,
                password_hash: Some(hash),
                store_ids: store.into_iter().collect(),
            })
            .await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(password)
}

/// The demo's stores: number, name, city, position, and the city's place in the month's
/// list of cities.
const STORES: [(&str, &str, &str, f64, f64, usize); 6] = [
    (STORE_CODE, "Demo corner shop", "Shanghai", 31.23, 121.47, 0),
    ("SH-002", "Jing'an flagship", "Shanghai", 31.22, 121.45, 0),
    ("BJ-001", "Sanlitun store", "Beijing", 39.93, 116.45, 1),
    ("HZ-001", "West Lake kiosk", "Hangzhou", 30.25, 120.16, 2),
    ("GZ-001", "Tianhe mall", "Guangzhou", 23.13, 113.32, 3),
    ("SZ-001", "Nanshan market", "Shenzhen", 22.53, 113.93, 4),
];

async fn create(
    db: &Db,
    batches: &std::sync::Arc<BatchGenerator>,
) -> anyhow::Result<(crate::db::Campaign, month::Spots)> {
    let campaign = db
        .create_campaign(NewCampaign {
            slug: Slug::parse(SLUG).map_err(anyhow::Error::msg)?,
            name: "Jasmine Tea summer launch".into(),
            destination_url: None,
            fallback_url: None,
            starts_at: Some((crate::db::now_ms() / 86_400_000 - month::DAYS) * 86_400_000),
            ends_at: None,
            currency: "CNY".into(),
            rules: Default::default(),
            tracking: Default::default(),
            landing: LandingContent {
                landing_title: Some("Thanks for scanning our Jasmine Tea".into()),
                landing_body: Some(
                    "Brewed cold from **spring jasmine**, no sugar added.\n\nShare a photo \
                     with your bottle and see what people nearby shared."
                        .into(),
                ),
                cta_label: Some("Buy a 6-pack".into()),
                cta_url: Some(
                    TargetUrl::parse("https://shop.example.com/jasmine-tea")
                        .map_err(anyhow::Error::msg)?
                        .into_string(),
                ),
                store_finder_url: Some("https://shop.example.com/stores".into()),
                brand_color: Some("#2e7d32".into()),
                ..LandingContent::default()
            },
        })
        .await?;
    let packaging = channel(
        db,
        "demo-packaging",
        "Bottle labels",
        ChannelKind::Packaging,
    )
    .await?;
    let poster = channel(
        db,
        "demo-metro-poster",
        "Metro posters",
        ChannelKind::Poster,
    )
    .await?;
    let social = channel(db, "demo-wechat", "WeChat moments", ChannelKind::Social).await?;
    let displays = channel(
        db,
        "demo-store-displays",
        "Store displays",
        ChannelKind::Store,
    )
    .await?;
    let mut stores = Vec::new();
    for (code, name, city, latitude, longitude, city_index) in STORES {
        let id = match db
            .create_store(NewStore {
                code: code.into(),
                name: name.into(),
                city: Some(city.into()),
                latitude: Some(latitude),
                longitude: Some(longitude),
            })
            .await
        {
            Ok(s) => s.id,
            Err(DbError::Conflict(_)) => db
                .store_id(code)
                .await?
                .ok_or_else(|| anyhow::anyhow!("store {code} vanished"))?,
            Err(e) => return Err(e.into()),
        };
        stores.push((id, name, city_index));
    }
    let batch = async |channel_id, name: String, mode, quantity, cost_cents, store_id| {
        let created = batches
            .create(NewBatch {
                campaign_id: campaign.id,
                channel_id,
                store_id,
                name,
                mode,
                quantity,
                cost_cents,
                gtin: None,
                lot: None,
            })
            .await?;
        Ok::<Batch, anyhow::Error>(match created {
            Created::Ready(b) | Created::Queued(b) => b,
        })
    };
    let spots = month::Spots {
        poster: batch(
            poster,
            "Line 2 posters".into(),
            BatchMode::Shared,
            40,
            120_000,
            None,
        )
        .await?,
        bottles: batch(
            packaging,
            "Bottles lot A".into(),
            BatchMode::Unique,
            5_000,
            150_000,
            None,
        )
        .await?,
        social: batch(social, "Moments post".into(), BatchMode::Shared, 1, 0, None).await?,
        displays: {
            let mut made = Vec::new();
            for (store_id, name, city) in &stores {
                let b = batch(
                    displays,
                    format!("Shelf talker, {name}"),
                    BatchMode::Shared,
                    4,
                    8_000,
                    Some(*store_id),
                )
                .await?;
                made.push((b, *city));
            }
            made
        },
    };
    Ok((campaign, spots))
}

async fn channel(db: &Db, slug: &str, name: &str, kind: ChannelKind) -> anyhow::Result<i64> {
    let new = NewChannel {
        slug: Slug::parse(slug).map_err(anyhow::Error::msg)?,
        name: name.into(),
        kind,
    };
    match db.create_channel(new).await {
        Ok(c) => Ok(c.id),
        Err(DbError::Conflict(_)) => {
            let all = db
                .channels(crate::db::Page {
                    after: 0,
                    limit: 500,
                })
                .await?;
            all.into_iter()
                .find(|c| c.slug == slug)
                .map(|c| c.id)
                .ok_or_else(|| anyhow::anyhow!("channel {slug} vanished"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Two modules per character with half blocks; light modules are drawn, so the code reads
/// on the usual dark terminal.
fn print_terminal_qr(url: &str) {
    let Ok(matrix) = Matrix::encode(url, crate::qr::Ecc::L) else {
        return;
    };
    let quiet = 2;
    let size = matrix.width as i64;
    let dark = |x: i64, y: i64| {
        x >= 0 && y >= 0 && x < size && y < size && matrix.is_dark(x as usize, y as usize)
    };
    let mut y = -quiet;
    while y < size + quiet {
        let line: String = (-quiet..size + quiet)
            .map(|x| match (dark(x, y), dark(x, y + 1)) {
                (false, false) => '█',
                (false, true) => '▀',
                (true, false) => '▄',
                (true, true) => ' ',
            })
            .collect();
        eprintln!("  {line}");
        y += 2;
    }
}
