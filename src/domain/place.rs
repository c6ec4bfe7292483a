//! Places on the photo page: how far apart two points are, and the position a browser
//! shares, coarsened before it is used.

/// A point on Earth in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

impl Point {
    pub fn new(latitude: f64, longitude: f64) -> Option<Self> {
        let valid = latitude.is_finite()
            && longitude.is_finite()
            && (-90.0..=90.0).contains(&latitude)
            && (-180.0..=180.0).contains(&longitude);
        valid.then_some(Self {
            latitude,
            longitude,
        })
    }

    /// `lat,lon` as the page's "use my location" sends it, rounded to 0.01° (about a
    /// kilometre): finer than that is never needed to order photos by city.
    pub fn parse_shared(raw: &str) -> Option<Self> {
        let (lat, lon) = raw.split_once(',')?;
        let round = |v: f64| (v * 100.0).round() / 100.0;
        Self::new(
            round(lat.trim().parse().ok()?),
            round(lon.trim().parse().ok()?),
        )
    }

    /// Great-circle distance in kilometres (haversine, mean Earth radius).
    pub fn distance_km(self, other: Point) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0;
        let (a, b) = (self.latitude.to_radians(), other.latitude.to_radians());
        let d_lat = b - a;
        let d_lon = (other.longitude - self.longitude).to_radians();
        let h = (d_lat / 2.0).sin().powi(2) + a.cos() * b.cos() * (d_lon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
    }
}

/// A country as the location database names it: an ISO 3166-1 alpha-2 code, upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    /// `cn` or `CN`; anything but two ASCII letters is refused.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Self(code.to_ascii_uppercase()))
        } else {
            Err(format!(
                "{raw:?} is not a country code: use the two letters of ISO 3166-1, such as CN"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_country_is_two_letters() {
        assert_eq!(CountryCode::parse(" cn").unwrap().as_str(), "CN");
        for bad in ["", "C", "CHN", "C1", "'X", "中国"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn distances_match_known_ones() {
        let shanghai = Point::new(31.23, 121.47).unwrap();
        let beijing = Point::new(39.90, 116.40).unwrap();
        let d = shanghai.distance_km(beijing);
        assert!((1060.0..1075.0).contains(&d), "{d}");
        assert_eq!(shanghai.distance_km(shanghai), 0.0);
    }

    #[test]
    fn a_shared_position_is_coarsened_and_checked() {
        let p = Point::parse_shared("31.230416, 121.473701").unwrap();
        assert_eq!((p.latitude, p.longitude), (31.23, 121.47));
        for bad in ["", "31.2", "91,0", "0,181", "NaN,1", "a,b", "1,2,3"] {
            assert!(Point::parse_shared(bad).is_none(), "{bad}");
        }
    }
}
