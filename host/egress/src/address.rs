//! Which IP addresses a plugin may reach: public unicast only, unless the operator allows
//! private ones. IPv6 forms that embed an IPv4 address are folded to it first.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not public, as shown to plugins (never includes the address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NonPublic {
    kind: &'static str,
    via: Option<&'static str>,
}

impl fmt::Display for NonPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.via {
            Some(via) => write!(f, "{} address embedded in {via}", self.kind),
            None => write!(f, "{} address", self.kind),
        }
    }
}

const V4_BLOCKS: &[(Ipv4Addr, u8, &str)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8, "this-network (0.0.0.0/8)"),
    (Ipv4Addr::new(10, 0, 0, 0), 8, "private (10.0.0.0/8)"),
    (
        Ipv4Addr::new(100, 64, 0, 0),
        10,
        "shared/CGNAT (100.64.0.0/10)",
    ),
    (Ipv4Addr::new(127, 0, 0, 0), 8, "loopback"),
    (
        Ipv4Addr::new(169, 254, 0, 0),
        16,
        "link-local/metadata (169.254.0.0/16)",
    ),
    (Ipv4Addr::new(172, 16, 0, 0), 12, "private (172.16.0.0/12)"),
    (
        Ipv4Addr::new(192, 0, 0, 0),
        24,
        "IETF protocol assignment (192.0.0.0/24)",
    ),
    (
        Ipv4Addr::new(192, 0, 2, 0),
        24,
        "documentation (192.0.2.0/24)",
    ),
    (
        Ipv4Addr::new(192, 88, 99, 0),
        24,
        "6to4 relay (192.88.99.0/24)",
    ),
    (
        Ipv4Addr::new(192, 168, 0, 0),
        16,
        "private (192.168.0.0/16)",
    ),
    (
        Ipv4Addr::new(198, 18, 0, 0),
        15,
        "benchmarking (198.18.0.0/15)",
    ),
    (
        Ipv4Addr::new(198, 51, 100, 0),
        24,
        "documentation (198.51.100.0/24)",
    ),
    (
        Ipv4Addr::new(203, 0, 113, 0),
        24,
        "documentation (203.0.113.0/24)",
    ),
    (Ipv4Addr::new(224, 0, 0, 0), 4, "multicast"),
    (Ipv4Addr::new(255, 255, 255, 255), 32, "broadcast"),
    (Ipv4Addr::new(240, 0, 0, 0), 4, "reserved (240.0.0.0/4)"),
];

/// Blocks inside 2000::/3 (global unicast); everything outside 2000::/3 is refused anyway.
const V6_BLOCKS: &[(Ipv6Addr, u8, &str)] = &[
    (
        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
        32,
        "documentation (2001:db8::/32)",
    ),
    (
        Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0),
        23,
        "IETF special-purpose (2001::/23, incl. Teredo)",
    ),
    (
        Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0),
        20,
        "documentation (3fff::/20)",
    ),
];

/// Addresses outside 2000::/3 that deserve a precise name in the message.
const V6_NAMED: &[(Ipv6Addr, u8, &str)] = &[
    (
        Ipv6Addr::new(0x64, 0xff9b, 1, 0, 0, 0, 0, 0),
        48,
        "local-use NAT64 (64:ff9b:1::/48)",
    ),
    (
        Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0),
        64,
        "discard-only (100::/64)",
    ),
    (
        Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0),
        7,
        "unique-local (fc00::/7)",
    ),
    (
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0),
        10,
        "link-local (fe80::/10)",
    ),
    (
        Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0),
        10,
        "site-local (fec0::/10)",
    ),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, "multicast"),
];

fn in_v4(ip: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let shift = 32 - u32::from(len);
    u32::from(ip).checked_shr(shift).unwrap_or(0) == u32::from(net).checked_shr(shift).unwrap_or(0)
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, len: u8) -> bool {
    let shift = 128 - u32::from(len);
    u128::from(ip).checked_shr(shift).unwrap_or(0)
        == u128::from(net).checked_shr(shift).unwrap_or(0)
}

fn v4(ip: Ipv4Addr) -> Option<NonPublic> {
    V4_BLOCKS
        .iter()
        .find(|(net, len, _)| in_v4(ip, *net, *len))
        .map(|(_, _, kind)| NonPublic { kind, via: None })
}

fn embedded(ip: Ipv4Addr, via: &'static str) -> Option<NonPublic> {
    v4(ip).map(|n| NonPublic {
        kind: n.kind,
        via: Some(via),
    })
}

fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    let [.., a, b, c, d] = ip.octets();
    Ipv4Addr::new(a, b, c, d)
}

fn v6(ip: Ipv6Addr) -> Option<NonPublic> {
    let seg = ip.segments();
    if ip.is_unspecified() {
        return Some(NonPublic {
            kind: "unspecified",
            via: None,
        });
    }
    if ip.is_loopback() {
        return Some(NonPublic {
            kind: "loopback",
            via: None,
        });
    }
    if let Some(mapped) = ip.to_ipv4_mapped() {
        return embedded(mapped, "an IPv4-mapped IPv6 address");
    }
    if seg[..6] == [0; 6] {
        return embedded(low_v4(ip), "an IPv4-compatible IPv6 address");
    }
    if seg[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return embedded(low_v4(ip), "an IPv4-translated IPv6 address");
    }
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return embedded(low_v4(ip), "a NAT64 address");
    }
    if seg[0] == 0x2002 {
        let [_, _, a, b, c, d, ..] = ip.octets();
        return embedded(Ipv4Addr::new(a, b, c, d), "a 6to4 address");
    }
    if let Some((_, _, kind)) = V6_NAMED.iter().find(|(n, l, _)| in_v6(ip, *n, *l)) {
        return Some(NonPublic { kind, via: None });
    }
    if !in_v6(ip, Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3) {
        return Some(NonPublic {
            kind: "non-global (outside 2000::/3)",
            via: None,
        });
    }
    V6_BLOCKS
        .iter()
        .find(|(n, l, _)| in_v6(ip, *n, *l))
        .map(|(_, _, kind)| NonPublic { kind, via: None })
}

/// `Some(reason)` when `ip` is not a public unicast address a plugin may reach.
pub fn non_public(ip: IpAddr) -> Option<NonPublic> {
    match ip {
        IpAddr::V4(a) => v4(a),
        IpAddr::V6(a) => v6(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocked(s: &str) -> bool {
        non_public(s.parse().unwrap()).is_some()
    }

    #[test]
    fn public_addresses_pass() {
        for s in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "198.17.255.255",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "2001:4860:4860::8888",
            "64:ff9b::808:808",
            "2002:0808:0808::1",
        ] {
            assert!(!blocked(s), "{s} should be public");
        }
    }

    #[test]
    fn non_public_v4_is_refused() {
        for s in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.170",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(blocked(s), "{s} should be refused");
        }
    }

    #[test]
    fn non_public_v6_is_refused() {
        for s in [
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "2001:db8::1",
            "2001::1",
            "2001:2::1",
            "3fff::1",
            "64:ff9b:1::1",
            "4000::1",
            "::2",
        ] {
            assert!(blocked(s), "{s} should be refused");
        }
    }

    #[test]
    fn embedded_ipv4_is_folded_first() {
        for s in [
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::ffff:0:127.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:0001::",
            "2002:c0a8:0101::1",
            "2002:a9fe:a9fe::",
        ] {
            assert!(blocked(s), "{s} should be refused");
        }
        assert!(!blocked("::ffff:8.8.8.8"));
        let why = non_public("::ffff:127.0.0.1".parse().unwrap()).unwrap();
        assert_eq!(
            why.to_string(),
            "loopback address embedded in an IPv4-mapped IPv6 address"
        );
    }

    #[test]
    fn metadata_address_message_is_explicit() {
        let why = non_public("169.254.169.254".parse().unwrap()).unwrap();
        assert!(why.to_string().contains("metadata"));
    }
}
