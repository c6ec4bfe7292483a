//! Where a webhook may send: https to a public address. Names are checked after they are
//! resolved (the client connects only to the public addresses a name resolves to), and
//! every redirect is checked again, so a webhook cannot be aimed at the brand's own
//! network, the cloud's metadata service or this machine. `SCANLOOP_WEBHOOK_ALLOW_PRIVATE`
//! lifts both rules for development and tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// Checks a webhook URL as written: its scheme, and its host when it is an address.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("is not a URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err("must be https".into()),
        other => return Err(format!("must be https, not {other}")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    let address = match url.host() {
        None => return Err("has no host".into()),
        Some(Host::Domain(name)) => {
            if !allow_private && is_local_name(name) {
                return Err(format!(
                    "{name} is this machine or its network, not a public host"
                ));
            }
            None
        }
        Some(Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
    };
    if let Some(ip) = address
        && !allow_private
        && !is_public(ip)
    {
        return Err(format!("{ip} is not a public address"));
    }
    Ok(url)
}

/// Names that never leave the machine or its network.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.ends_with(".local")
        || name.ends_with(".internal")
}

/// The public addresses of `addresses`; an error when none is public.
pub fn public_only(
    host: &str,
    addresses: impl IntoIterator<Item = SocketAddr>,
) -> Result<Vec<SocketAddr>, String> {
    let public: Vec<SocketAddr> = addresses
        .into_iter()
        .filter(|a| is_public(a.ip()))
        .collect();
    if public.is_empty() {
        return Err(format!("{host} resolves to no public address"));
    }
    Ok(public)
}

/// Whether `ip` is reachable on the public internet: not loopback, private, link-local,
/// shared (carrier NAT), documentation, benchmarking, multicast, reserved or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local fc00::/7 and link-local fe80::/10.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        // Documentation 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        // NAT64 64:ff9b::/96 reaches IPv4 addresses: judged as those.
        || (first == 0x0064 && ip.segments()[1] == 0xff9b && {
            let [.., a, b, c, d] = ip.octets();
            !is_public_v4(Ipv4Addr::new(a, b, c, d))
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_to_public_hosts_passes() {
        assert!(check_url("https://hooks.brand.example/scanloop", false).is_ok());
        for (url, says) in [
            ("http://hooks.brand.example/", "https"),
            ("ftp://hooks.brand.example/", "https"),
            ("https://127.0.0.1/", "not a public address"),
            ("https://10.1.2.3/", "not a public address"),
            (
                "https://169.254.169.254/latest/meta-data",
                "not a public address",
            ),
            ("https://[::1]/", "not a public address"),
            ("https://[fd00::1]/", "not a public address"),
            ("https://[::ffff:192.168.1.1]/", "not a public address"),
            ("https://localhost:8080/", "not a public host"),
            ("https://crm.internal/", "not a public host"),
            ("https://user:pw@hooks.brand.example/", "user name"),
            ("not a url", "not a URL"),
        ] {
            let err = check_url(url, false).unwrap_err();
            assert!(err.contains(says), "{url}: {err}");
        }
        assert!(check_url("http://127.0.0.1:9/", true).is_ok());
    }

    #[test]
    fn addresses_are_judged_by_their_range() {
        for public in ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "64:ff9b::808:808"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        for private in [
            "0.0.0.0",
            "100.64.0.1",
            "172.16.0.1",
            "192.0.0.8",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "fe80::1",
            "2001:db8::1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_only_to_this_machine_is_refused_after_resolving() {
        let found: Vec<SocketAddr> = tokio::net::lookup_host(("localhost", 443))
            .await
            .unwrap()
            .collect();
        assert!(!found.is_empty());
        let err = public_only("localhost", found).unwrap_err();
        assert!(err.contains("no public address"), "{err}");
        let mixed = ["10.0.0.1:443", "93.184.215.14:443"].map(|a| a.parse().unwrap());
        assert_eq!(public_only("x", mixed).unwrap().len(), 1);
    }
}
