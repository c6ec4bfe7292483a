//! GeoIP with a small City database that the test writes itself.

use mmdb_writer::Writer;
use mmdb_writer::ipnet::IpNet;
use serde_json::json;

use crate::helpers::{PHONE, TempDir, TestApp};

/// ip_prefix, country, region, city, latitude, longitude
type StoredLocation = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
);

/// London (81.2.69.0/24), Changchun (175.16.199.0/24), and Sweden without a city
/// (89.160.0.0/16).
pub fn write_city_db(dir: &TempDir) -> std::path::PathBuf {
    let mut writer = Writer::new("GeoIP2-City");
    let london = json!({
        "country": {"iso_code": "GB", "names": {"en": "United Kingdom"}},
        "subdivisions": [{"iso_code": "ENG"}],
        "city": {"names": {"en": "London"}},
        "location": {"latitude": 51.5142, "longitude": -0.0931}
    });
    writer
        .insert("81.2.69.0/24".parse::<IpNet>().unwrap(), &london)
        .unwrap();
    let changchun = json!({
        "country": {"iso_code": "CN"},
        "subdivisions": [{"iso_code": "JL"}],
        "city": {"names": {"en": "Changchun"}},
        "location": {"latitude": 43.88, "longitude": 125.3228}
    });
    writer
        .insert("175.16.199.0/24".parse::<IpNet>().unwrap(), &changchun)
        .unwrap();
    let country_only = json!({"country": {"iso_code": "SE"}});
    writer
        .insert("89.160.0.0/16".parse::<IpNet>().unwrap(), &country_only)
        .unwrap();
    let path = dir.0.join("city.mmdb");
    std::fs::write(&path, writer.to_bytes().unwrap()).unwrap();
    path
}

/// A server that locates addresses with the City database above and believes the test
/// client's `X-Forwarded-For`; the directory holds the database.
pub async fn spawn_with_cities() -> (TestApp, TempDir) {
    let dir = TempDir::new();
    let db = write_city_db(&dir);
    let app = TestApp::spawn_with(|c| {
        c.geoip_db = Some(db);
        c.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    (app, dir)
}

#[tokio::test]
async fn scans_get_a_coarse_location_and_never_the_raw_address() {
    let (app, _cities) = spawn_with_cities().await;
    let (_, _, batch) = app.seed(json!({"name": "Geo"}), "shared", 1).await;
    let token = app.codes(&batch["id"]).await[0].1.clone();
    for ip in ["81.2.69.142", "89.160.20.128", "8.8.8.8"] {
        app.client
            .get(app.url(&format!("/s/{token}")))
            .header("user-agent", PHONE)
            .header("x-forwarded-for", ip)
            .send()
            .await
            .unwrap();
    }
    let db = app.db().await;
    let rows: Vec<StoredLocation> = sqlx::query_as(
        "SELECT ip_prefix, country, region, city, latitude, longitude FROM scans ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        rows[0],
        (
            "81.2.69.0/24".into(),
            Some("GB".into()),
            Some("ENG".into()),
            Some("London".into()),
            Some(51.5),
            Some(-0.1)
        )
    );
    assert_eq!(
        rows[1],
        (
            "89.160.20.0/24".into(),
            Some("SE".into()),
            None,
            None,
            None,
            None
        )
    );
    assert_eq!(rows[2], ("8.8.8.0/24".into(), None, None, None, None, None));
}
