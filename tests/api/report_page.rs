//! The report pages: behind a session, a campaign's page with its numbers,
//! targets, flow and charts, filters that fail with a message, CSV downloads behind the
//! cookie, and the page in headless Chromium at a phone's and a laptop's width.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{API_KEY, PASSWORD, PHONE, TestApp, visitor_cookie};
use crate::webdriver::{Browser, browser_present};

/// A campaign with two channels, scans on both, a landing view, a click and a purchase,
/// and targets it is behind on.
async fn campaign_with_a_purchase(app: &TestApp) -> Value {
    let (campaign, _, batch) = app
        .seed(
            json!({"name": "Jasmine <Tea> & Co", "slug": "tea",
                   "landing": {"cta_url": "https://shop.example.com/tea"}}),
            "unique",
            3,
        )
        .await;
    let metro = app
        .create(
            "/api/v1/channels",
            json!({"name": "Metro line 2", "kind": "poster"}),
        )
        .await;
    let poster = app
        .create(
            "/api/v1/batches",
            json!({"campaign_id": campaign["id"], "channel_id": metro["id"], "name": "posters",
                   "mode": "shared", "cost_cents": 20_000}),
        )
        .await;
    let tokens: Vec<String> = app
        .codes(&batch["id"])
        .await
        .into_iter()
        .map(|c| c.1)
        .collect();
    let visitor = visitor_cookie(&app.scan(&tokens[0], PHONE).await);
    app.scan(&tokens[1], PHONE).await;
    app.scan(&app.codes(&poster["id"]).await[0].1, PHONE).await;
    for path in [
        format!("/c/tea?code={}", tokens[0]),
        format!("/c/tea/go/buy?code={}", tokens[0]),
    ] {
        app.client
            .get(app.url(&path))
            .header("user-agent", PHONE)
            .header("cookie", &visitor)
            .send()
            .await
            .unwrap();
    }
    let bought = app
        .post(
            "/api/v1/conversions",
            json!({"order_id": "T-1", "amount_cents": 12_900, "currency": "CNY",
                   "token": tokens[0]}),
        )
        .await;
    assert_eq!(bought.status(), StatusCode::CREATED);
    let targets = app
        .client
        .put(app.url(&format!("/api/v1/campaigns/{}/targets", campaign["id"])))
        .bearer_auth(API_KEY)
        .json(&json!({"unique_scanners": 1000, "cpa_cents": 100}))
        .send()
        .await
        .unwrap();
    assert_eq!(targets.status(), StatusCode::OK);
    campaign
}

#[tokio::test]
async fn the_report_page_shows_the_campaign_against_its_targets_behind_a_sign_in() {
    let app = TestApp::spawn().await;
    let campaign = campaign_with_a_purchase(&app).await;
    let path = format!("/reports/campaigns/{}", campaign["id"]);

    // Signed out, the page sends people to the sign-in form, which comes back to it.
    let anonymous = app.get(&path).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    let login = anonymous.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        login,
        format!("/login?next=%2Freports%2Fcampaigns%2F{}", campaign["id"])
    );
    let (status, form) = app.page(&login, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains(&format!(r#"name="next" value="{path}""#)),
        "{form}"
    );
    let (status, _) = app.page(&path, "sl_session=not-a-session-at-all").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "a wrong cookie is no session"
    );
    // The old key form's address sends people to signing in.
    let old = app
        .get("/reports/login?next=%2Freports%2Fcampaigns%2F1")
        .await;
    assert_eq!(old.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        old.headers()["location"],
        "/login?next=%2Freports%2Fcampaigns%2F1"
    );

    app.user("brand@tea.example", "analyst", &[]).await;
    let cookie = app.sign_in("brand@tea.example", &path).await;
    let (status, html) = app.page(&path, &cookie).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Jasmine &#60;Tea&#62; &#38; Co")
            || html.contains("Jasmine &lt;Tea&gt; &amp; Co"),
        "the name is escaped"
    );
    assert!(!html.contains("<Tea>"));
    for text in [
        "Metro line 2",
        "129.00 CNY",
        "Behind plan",
        "target 1,000",
        "at most 1.00 CNY",
        r#"aria-label="The campaign&#39;s flow"#,
        "Scans and conversions over time",
        "Repeat purchases",
        "Where people scanned",
        "/reports/campaigns/",
    ] {
        assert!(html.contains(text), "{text} in the page");
    }
    // Three human scans, two of them bottle codes; one landing view, one click.
    assert!(
        html.contains(r#"<tspan class="name">Scans</tspan> <tspan class="num">3</tspan>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<tspan class="name">CTA clicks</tspan> <tspan class="num">1</tspan>"#)
    );

    // Each channel's CPA is judged against the campaign's target: the bottle channel's
    // single purchase cost its whole 1,500-cent print run, above the 100-cent target.
    assert!(
        html.contains(r#"<td class="n leak" title="above the target CPA">15.00 CNY</td>"#),
        "{html}"
    );
    let channels = app.report(&campaign["id"]).await;
    let bottles = channels["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["conversions"] == 1.0)
        .unwrap();
    assert_eq!(bottles["cpa_behind"], true);
    assert_eq!(bottles["roas_behind"], Value::Null, "no ROAS target");

    let (index_status, index) = app.page("/reports", &cookie).await;
    assert_eq!(index_status, StatusCode::OK);
    assert!(index.contains(&format!(r#"href="/reports/campaigns/{}""#, campaign["id"])));

    // A filter that cannot be used says which and why, and keeps what was typed.
    let (status, html) = app
        .page(&format!("{path}?tz=%2B05:30&window=7d"), &cookie)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("tz: ") && html.contains("whole hours"),
        "{html}"
    );
    assert!(html.contains(r#"name="tz" value="+05:30""#));
    assert!(html.contains(r#"name="window" value="7d""#));
    let (status, _) = app.page("/reports/campaigns/999", &cookie).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_s_csv_buttons_download_the_reports_with_its_filters() {
    let app = TestApp::spawn().await;
    let campaign = campaign_with_a_purchase(&app).await;
    let base = format!("/reports/campaigns/{}", campaign["id"]);
    app.user("brand@tea.example", "analyst", &[]).await;
    let cookie = app.sign_in("brand@tea.example", &base).await;
    let (_, html) = app
        .page(&format!("{base}?interval=week&tz=%2B08:00"), &cookie)
        .await;
    let time_link = format!("{base}/time.csv?tz=%2B08%3A00&#38;interval=week");
    assert!(
        html.contains(&time_link),
        "the buttons keep the filters: {html}"
    );

    for (file, header) in [
        ("channels.csv", "channel_id,channel,channel_slug,kind,scans"),
        ("batches.csv", "id,name,channel_id"),
        ("stores.csv", ""),
        (
            "devices.csv",
            "device,scans,unique_visitors,bot_scans,landing_views",
        ),
        ("regions.csv", "country,region,city,scans"),
        ("time.csv?interval=week", "start,label,scans"),
        ("funnel.csv", "channel_id,channel,step,count"),
        (
            "cohorts.csv?interval=hour",
            "cohort,visitors,period,buyers,share",
        ),
        ("suspicious-codes.csv", ""),
    ] {
        let answer = app
            .client
            .get(app.url(&format!("{base}/{file}")))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{file}");
        assert!(
            answer.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv"),
            "{file}"
        );
        let body = answer.text().await.unwrap();
        assert!(body.starts_with(header), "{file}: {body}");
    }
    let unknown = app
        .client
        .get(app.url(&format!("{base}/secrets.csv")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let anonymous = app.get(&format!("{base}/channels.csv")).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

/// Sideways scrolling of the page itself (tables scroll inside their own boxes), and the
/// smallest control a thumb has to hit.
pub const LAYOUT: &str = "return {
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    smallest_tap: Math.min(...[...document.querySelectorAll('main button, main input:not([type=hidden]), main select, a.button')]
        .map(e => e.getBoundingClientRect().height)),
    charts: document.querySelectorAll('figure.chart svg').length,
    text: document.body.innerText
};";

#[tokio::test]
async fn the_report_page_reads_on_a_phone_and_a_laptop() {
    if !browser_present() {
        return;
    }
    let app = TestApp::spawn().await;
    let campaign = campaign_with_a_purchase(&app).await;
    let path = format!("/reports/campaigns/{}", campaign["id"]);
    let email = "brand@tea.example";
    app.user(email, "analyst", &[]).await;
    for (width, name) in [(390, "phone"), (1280, "laptop")] {
        let browser = Browser::phone(width, PHONE, "en-US").await;
        browser.open(&app.url(&path)).await;
        browser
            .wait_for_url(&app.url(&format!(
                "/login?next=%2Freports%2Fcampaigns%2F{}",
                campaign["id"]
            )))
            .await;
        browser.type_into("input[name=email]", email).await;
        browser.type_into("input[name=password]", PASSWORD).await;
        browser.tap("button[type=submit]").await;
        browser.wait_for_url(&app.url(&path)).await;
        let layout = browser.run(LAYOUT, json!([])).await;
        assert!(
            layout["overflow"].as_f64().unwrap() <= 0.0,
            "no sideways scrolling at {width}: {layout}"
        );
        assert!(
            layout["smallest_tap"].as_f64().unwrap() >= 44.0,
            "controls big enough to tap at {width}: {layout}"
        );
        assert_eq!(layout["charts"], 2, "the flow and the time chart");
        let text = layout["text"].as_str().unwrap();
        assert!(text.contains("Behind plan") && text.contains("Metro line 2"));
        browser.screenshot(&format!("report-{name}.png")).await;
        browser.close().await;
    }
}
