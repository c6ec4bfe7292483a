//! Who sent a request: the client address (through trusted proxies only) and the
//! anonymised network that is all a scan keeps of it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// Parses `SCANLOOP_TRUSTED_PROXIES`: comma-separated CIDRs or plain addresses.
pub fn parse_proxies(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not a CIDR such as 10.0.0.0/8 or an address"))
        })
        .collect()
}

/// The client address: the peer, unless the peer is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return canonical(peer);
    }
    let Some(header) = forwarded_for else {
        return canonical(peer);
    };
    let mut client = canonical(peer);
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = canonical(ip);
                if !is_trusted(&client) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// IPv4-mapped IPv6 addresses are the IPv4 clients of a dual-stack socket.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The network a scan stores in place of the address: IPv4 /24, IPv6 /48.
pub fn anonymise(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{}/24", Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/48", Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted = parse_proxies("10.0.0.0/8, 192.168.1.1").unwrap();
        let xff = Some("81.2.69.142, 10.1.1.1");
        assert_eq!(client_ip(ip("10.0.0.5"), xff, &trusted), ip("81.2.69.142"));
        assert_eq!(
            client_ip(ip("203.0.113.9"), xff, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("192.168.1.1"), Some("junk"), &trusted),
            ip("192.168.1.1")
        );
        // A client cannot pose as someone else by adding entries on the left.
        let spoofed = Some("1.2.3.4, 81.2.69.142");
        assert_eq!(
            client_ip(ip("10.0.0.5"), spoofed, &trusted),
            ip("81.2.69.142")
        );
    }

    #[test]
    fn addresses_are_cut_to_their_network() {
        assert_eq!(anonymise(ip("81.2.69.142")), "81.2.69.0/24");
        assert_eq!(anonymise(ip("2001:db8:1234:5678::1")), "2001:db8:1234::/48");
    }

    #[test]
    fn bad_proxy_lists_are_rejected() {
        assert!(parse_proxies("10.0.0.0/33").is_err());
        assert!(parse_proxies("").unwrap().is_empty());
    }
}
