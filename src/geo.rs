//! Coarse location from a MaxMind-format database (GeoIP2, GeoLite2 or DB-IP; City or
//! Country schema). Lookups are cached per address: decoding a City record costs more
//! than the rest of a scan.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};

use serde::Deserialize;

/// Cached addresses before the cache starts over; a clear is cheaper than an LRU here.
const CACHE_CAPACITY: usize = 50_000;

/// What a scan keeps of where it came from: city-level at most, coordinates rounded to
/// one decimal (about 10 km).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Location {
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Deserialize)]
struct Record {
    country: Option<IsoCoded>,
    subdivisions: Option<Vec<IsoCoded>>,
    city: Option<Named>,
    location: Option<Coordinates>,
}

#[derive(Deserialize)]
struct IsoCoded {
    iso_code: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    names: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
struct Coordinates {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

pub struct Geo {
    reader: Option<maxminddb::Reader<Vec<u8>>>,
    cache: RwLock<HashMap<IpAddr, Arc<Location>>>,
}

impl Geo {
    /// Without a database every location is unknown.
    pub fn disabled() -> Self {
        Self {
            reader: None,
            cache: RwLock::default(),
        }
    }

    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let reader = maxminddb::Reader::open_readfile(path)
            .map_err(|e| anyhow::anyhow!("cannot open GeoIP database {}: {e}", path.display()))?;
        Ok(Self {
            reader: Some(reader),
            cache: RwLock::default(),
        })
    }

    pub fn is_enabled(&self) -> bool {
        self.reader.is_some()
    }

    pub fn locate(&self, ip: IpAddr) -> Arc<Location> {
        let Some(reader) = &self.reader else {
            return Arc::default();
        };
        if let Some(hit) = self.cache.read().ok().and_then(|c| c.get(&ip).cloned()) {
            return hit;
        }
        let location = Arc::new(lookup(reader, ip).unwrap_or_default());
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(ip, location.clone());
        }
        location
    }
}

fn lookup(reader: &maxminddb::Reader<Vec<u8>>, ip: IpAddr) -> Option<Location> {
    let record: Record = reader.lookup(ip).ok()?.decode().ok()??;
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let coordinates = record.location.as_ref();
    Some(Location {
        country: record.country.and_then(|c| c.iso_code),
        region: record
            .subdivisions
            .and_then(|s| s.into_iter().next())
            .and_then(|s| s.iso_code),
        city: record
            .city
            .and_then(|c| c.names)
            .and_then(|mut names| names.remove("en")),
        latitude: coordinates.and_then(|c| c.latitude).map(round),
        longitude: coordinates.and_then(|c| c.longitude).map(round),
    })
}
