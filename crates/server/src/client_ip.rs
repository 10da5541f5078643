//! The client address a request is counted against: the TCP peer, or, when the
//! peer is one of the `--trusted-proxies`, the right-most address of
//! `X-Forwarded-For` (or, without that header, of `Forwarded`'s `for=`) that is
//! not itself a trusted proxy. Addresses a client wrote further left are never
//! believed. Rate limits key IPv4 clients by address and IPv6 clients by their
//! /64, the block one subscriber usually holds.

use std::net::{IpAddr, Ipv6Addr};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The networks whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of CIDR blocks or single addresses.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => item
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| format!("{item:?} is not a CIDR block (such as 10.0.0.0/8) or an IP address"))?,
            };
            nets.push(net.trunc());
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client behind a connection from `peer` that sent `headers`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let hops = forwarded_for(headers);
        // Walk from the nearest hop outwards; the first address not ours is the client.
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.contains(*ip) => continue,
                Some(ip) => return *ip,
                // A hop we cannot read: whatever is left of it is the client's word.
                None => break,
            }
        }
        peer
    }
}

/// The key a per-client limit counts under: IPv4 by address, IPv6 by /64.
pub fn rate_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !((1u128 << 64) - 1))),
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, from dual-stack sockets) as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The hops of `X-Forwarded-For` (every header line, in order) or, without it,
/// of `Forwarded`; `None` for a hop that is not an IP address.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<_> = headers.get_all("x-forwarded-for").iter().collect();
    if !xff.is_empty() {
        return xff
            .into_iter()
            .flat_map(|value| value.to_str().unwrap_or("?").split(',').map(parse_hop).collect::<Vec<_>>())
            .collect();
    }
    headers
        .get_all("forwarded")
        .iter()
        .flat_map(|value| {
            value
                .to_str()
                .unwrap_or("for=?")
                .split(',')
                .map(|element| {
                    element
                        .split(';')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                        .and_then(|(_, value)| parse_hop(value))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`, quoted or not.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return inside.parse::<IpAddr>().ok().map(canonical);
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn ipv6_clients_share_a_key_per_64_and_ipv4_per_address() {
        assert_eq!(rate_key(ip("2001:db8:1:2:aaaa::1")), rate_key(ip("2001:db8:1:2:ffff:1:2:3")));
        assert_eq!(rate_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_ne!(rate_key(ip("2001:db8:1:2::1")), rate_key(ip("2001:db8:1:3::1")));
        assert_ne!(rate_key(ip("192.0.2.1")), rate_key(ip("192.0.2.2")));
        assert_eq!(rate_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"), "mapped IPv4 is IPv4");
    }

    #[test]
    fn parses_cidr_lists() {
        let trusted = TrustedProxies::parse(" 10.0.0.0/8, 127.0.0.1 ,fd00::/8,").unwrap();
        assert!(trusted.contains(ip("10.1.2.3")));
        assert!(trusted.contains(ip("127.0.0.1")));
        assert!(trusted.contains(ip("::ffff:127.0.0.1")));
        assert!(trusted.contains(ip("fd12::1")));
        assert!(!trusted.contains(ip("127.0.0.2")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.local").is_err());
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let proxy = ip("10.0.0.5");
        let stranger = ip("203.0.113.9");
        type Case<'a> = (&'a [(&'static str, &'a str)], IpAddr, &'a str);
        let cases: &[Case] = &[
            // Not from a proxy: the header is the client's word, ignored.
            (&[("x-forwarded-for", "198.51.100.1")], stranger, "203.0.113.9"),
            (&[("x-forwarded-for", "198.51.100.1")], proxy, "198.51.100.1"),
            // The client prepended a fake hop: the right-most untrusted one wins.
            (&[("x-forwarded-for", "1.1.1.1, 198.51.100.1")], proxy, "198.51.100.1"),
            // Two proxies of ours in a row.
            (&[("x-forwarded-for", "1.1.1.1, 198.51.100.1, 10.0.0.7")], proxy, "198.51.100.1"),
            // Several header lines are one list.
            (&[("x-forwarded-for", "1.1.1.1"), ("x-forwarded-for", "198.51.100.2")], proxy, "198.51.100.2"),
            // Garbage at the nearest hop: nothing beyond it is believed.
            (&[("x-forwarded-for", "1.1.1.1, nonsense")], proxy, "10.0.0.5"),
            // Only proxies, or no header at all: the peer.
            (&[("x-forwarded-for", "10.0.0.9")], proxy, "10.0.0.5"),
            (&[], proxy, "10.0.0.5"),
            // Ports and IPv6.
            (&[("x-forwarded-for", "198.51.100.1:4711")], proxy, "198.51.100.1"),
            (&[("x-forwarded-for", "[2001:db8::7]:4711")], proxy, "2001:db8::7"),
            // RFC 7239 when there is no X-Forwarded-For.
            (&[("forwarded", "for=1.1.1.1, for=\"[2001:db8::8]:80\";proto=https")], proxy, "2001:db8::8"),
            (&[("forwarded", "proto=http;For=198.51.100.3")], proxy, "198.51.100.3"),
            (&[("forwarded", "for=unknown")], proxy, "10.0.0.5"),
        ];
        for (pairs, peer, expected) in cases {
            assert_eq!(trusted.client_ip(*peer, &headers(pairs)), ip(expected), "{pairs:?} from {peer}");
        }
        let nobody = TrustedProxies::default();
        assert_eq!(nobody.client_ip(proxy, &headers(&[("x-forwarded-for", "198.51.100.1")])), proxy);
    }
}
