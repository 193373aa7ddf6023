//! Owns which hosts verify may connect to, and so send the run's credentials
//! to. The seed is named by the user; every other node is only *announced*
//! by a server (`CLUSTER NODES`), and a hostile or compromised seed could
//! announce a host it controls to collect the password. So an announced
//! node is contacted only when its address falls in what the user allowed:
//!
//! - by default, the seed's own network where it is private: a loopback seed
//!   allows loopback addresses (and `localhost`); a private IPv4 seed
//!   (RFC 1918, link-local) its /24, a private IPv6 seed (unique or link
//!   local) its /64; a public address only itself, because a public /24 or
//!   /64 is often shared with strangers in a cloud; a host name seed the same
//!   name and, by the same rule, the addresses it resolved to (clusters
//!   announce IPs even when reached by name). No domain is allowed by
//!   default: without a public-suffix list, `redis.fly.dev` would allow every
//!   `*.fly.dev`, names anyone can register with a valid certificate;
//! - `--allow-hosts` adds addresses (`10.1.2.3`), networks (`10.0.0.0/8`,
//!   `fd00::/8`), host names (`redis-7.corp`), domains (`*.corp` or
//!   `.corp`), or `*` (any host: an explicit opt-out).
//!
//! An announced host name is matched as text, never looked up: resolving a
//! name a server chose is already talking to whoever it points at.

use super::target::Address;
use std::net::{IpAddr, ToSocketAddrs};

/// The hosts a run may contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowHosts {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    Any,
    /// An address and the number of leading bits that must match.
    Net(IpAddr, u8),
    /// One host name (lower case).
    Host(String),
    /// A domain suffix with its leading dot (`.corp`).
    Domain(String),
}

impl AllowHosts {
    /// The seed's network, without `--allow-hosts`. A seed host name is
    /// resolved here (the run connects to it anyway).
    pub fn for_seed(seed: &Address) -> AllowHosts {
        let host = canonical_host(&seed.host);
        let mut rules = vec![Rule::Host(host.clone())];
        match host.parse::<IpAddr>() {
            Ok(ip) => rules.push(network_of(ip)),
            Err(_) if host == "localhost" => {}
            Err(_) => {
                if let Ok(found) = (host.as_str(), seed.port).to_socket_addrs() {
                    for addr in found {
                        let rule = network_of(addr.ip());
                        if !rules.contains(&rule) {
                            rules.push(rule);
                        }
                    }
                }
            }
        }
        if host == "localhost"
            || rules
                .iter()
                .any(|r| matches!(r, Rule::Net(ip, _) if ip.is_loopback()))
        {
            for rule in loopback() {
                if !rules.contains(&rule) {
                    rules.push(rule);
                }
            }
        }
        AllowHosts { rules }
    }

    /// Adds `--allow-hosts` entries (comma-separated, any number of flags).
    pub fn extend(&mut self, entries: &[String]) -> Result<(), String> {
        for entry in entries.iter().flat_map(|e| e.split(',')) {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            self.rules.push(parse_rule(entry)?);
        }
        Ok(())
    }

    /// Adds what `other` allows (the network of another host the user
    /// named: each Sentinel given, when no `--redis` seed is).
    pub fn include(&mut self, other: AllowHosts) {
        for rule in other.rules {
            if !self.rules.contains(&rule) {
                self.rules.push(rule);
            }
        }
    }

    /// Whether `host` (an announced node's address) may be contacted.
    pub fn allows(&self, host: &str) -> bool {
        let host = canonical_host(host);
        let ip = host.parse::<IpAddr>().ok();
        self.rules.iter().any(|rule| match (rule, ip) {
            (Rule::Any, _) => true,
            (Rule::Net(net, bits), Some(ip)) => in_network(ip, *net, *bits),
            (Rule::Host(name), _) => *name == host,
            (Rule::Domain(suffix), None) => host.ends_with(suffix.as_str()),
            _ => false,
        })
    }
}

fn loopback() -> [Rule; 3] {
    [
        Rule::Net(IpAddr::from([127, 0, 0, 0]), 8),
        Rule::Net(IpAddr::from(std::net::Ipv6Addr::LOCALHOST), 128),
        Rule::Host("localhost".into()),
    ]
}

/// The default network around one address: loopback, else /24 or /64.
/// One spelling per host: lower case, without the root's trailing dot
/// (`redis.corp.` is `redis.corp`), and an IPv4-mapped IPv6 address
/// (`::ffff:10.1.2.3`) as the IPv4 address it is.
fn canonical_host(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.to_canonical().to_string(),
        Err(_) => host.to_owned(),
    }
}

/// A network rule in the one spelling `allows` compares against: an
/// IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) is the IPv4 network it
/// is, since announced mapped addresses are read as IPv4.
fn net(ip: IpAddr, bits: u8) -> Rule {
    if let IpAddr::V6(v6) = ip
        && bits >= 96
        && let Some(v4) = v6.to_ipv4_mapped()
    {
        return Rule::Net(IpAddr::V4(v4), bits - 96);
    }
    Rule::Net(ip, bits)
}

fn network_of(ip: IpAddr) -> Rule {
    match ip.to_canonical() {
        IpAddr::V4(v4) if v4.is_loopback() => Rule::Net(IpAddr::from([127, 0, 0, 0]), 8),
        IpAddr::V6(v6) if v6.is_loopback() => Rule::Net(IpAddr::V6(v6), 128),
        IpAddr::V4(v4) if v4.is_private() || v4.is_link_local() => Rule::Net(IpAddr::V4(v4), 24),
        IpAddr::V6(v6) if v6.is_unique_local() || v6.is_unicast_link_local() => {
            Rule::Net(IpAddr::V6(v6), 64)
        }
        public @ IpAddr::V4(_) => Rule::Net(public, 32),
        public @ IpAddr::V6(_) => Rule::Net(public, 128),
    }
}

fn parse_rule(entry: &str) -> Result<Rule, String> {
    let bad = || {
        format!(
            "--allow-hosts: `{}` is not an address, network (10.0.0.0/8), host name or domain (*.example.com)",
            super::target::printable(entry)
        )
    };
    if entry == "*" {
        return Ok(Rule::Any);
    }
    if let Some((addr, bits)) = entry.split_once('/') {
        let ip: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| bad())?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let bits: u8 = bits.parse().ok().filter(|b| *b <= max).ok_or_else(bad)?;
        return Ok(net(ip, bits));
    }
    let bare = entry.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(net(ip, if ip.is_ipv4() { 32 } else { 128 }));
    }
    let name = canonical_host(entry);
    let (domain, rest) = match name.strip_prefix("*.").or_else(|| name.strip_prefix('.')) {
        Some(rest) => (true, rest.to_owned()),
        None => (false, name.clone()),
    };
    let valid = !rest.is_empty()
        && rest.split('.').all(|l| {
            !l.is_empty()
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        });
    if !valid {
        return Err(bad());
    }
    Ok(if domain {
        Rule::Domain(format!(".{rest}"))
    } else {
        Rule::Host(rest)
    })
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (a, b, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(a.to_bits()), u128::from(b.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.to_bits(), b.to_bits(), 128),
        _ => return false,
    };
    let bits = u32::from(bits).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(host: &str) -> AllowHosts {
        AllowHosts::for_seed(&Address {
            host: host.into(),
            port: 6379,
        })
    }

    #[test]
    fn a_loopback_seed_allows_loopback_only() {
        let allow = seed("127.0.0.1");
        for ok in ["127.0.0.1", "127.0.0.2", "::1", "localhost"] {
            assert!(allow.allows(ok), "{ok}");
        }
        for no in [
            "192.0.2.1",
            "10.0.0.1",
            "attacker.example",
            "::2",
            "0.0.0.0",
        ] {
            assert!(!allow.allows(no), "{no}");
        }
    }

    #[test]
    fn a_private_ip_seed_allows_its_subnet_and_a_public_one_only_itself() {
        let allow = seed("10.1.2.3");
        assert!(allow.allows("10.1.2.200"));
        assert!(!allow.allows("10.1.3.1"));
        assert!(!allow.allows("127.0.0.1"));
        let allow = seed("fd00:1:2:3::10");
        assert!(allow.allows("fd00:1:2:3:ffff::1"));
        assert!(!allow.allows("fd00:1:2:4::1"));
        // A public /24 or /64 is often shared with strangers.
        let allow = seed("203.0.113.5");
        assert!(allow.allows("203.0.113.5"));
        assert!(!allow.allows("203.0.113.6"));
        let allow = seed("2001:db8:1:2::10");
        assert!(!allow.allows("2001:db8:1:2::11"));
    }

    #[test]
    fn one_spelling_per_host_trailing_dots_and_mapped_addresses() {
        let allow = seed("::ffff:10.1.2.3");
        assert!(allow.allows("10.1.2.9"));
        assert!(allow.allows("::ffff:10.1.2.9"));
        assert!(!allow.allows("::1"));
        assert!(!allow.allows("::ffff:10.9.9.9"));
        assert!(!allow.allows("::2"));
        let allow = seed("redis.com.");
        assert!(allow.allows("redis.com"));
        assert!(allow.allows("REDIS.com."));
        assert!(!allow.allows("x.com."));
        assert!(!allow.allows("x.com"));
        // `--allow-hosts` entries are read in the same spelling.
        let mut allow = seed("127.0.0.1");
        allow
            .extend(&["::ffff:10.1.2.3,[::ffff:10.9.0.0]/112,Redis-7.Corp.".into()])
            .unwrap();
        for ok in ["10.1.2.3", "::ffff:10.1.2.3", "10.9.200.1", "redis-7.corp"] {
            assert!(allow.allows(ok), "{ok}");
        }
        assert!(!allow.allows("10.1.2.4"));
        assert!(!allow.allows("10.8.0.1"));
    }

    #[test]
    fn a_hostname_seed_allows_itself_and_domains_only_when_named() {
        let mut allow = seed("redis-0.cache.invalid");
        assert!(allow.allows("REDIS-0.cache.invalid"));
        // No domain by default: without a public-suffix list a shared
        // suffix (`*.fly.dev`) would be allowed to anyone who registers.
        assert!(!allow.allows("redis-4.cache.invalid"));
        assert!(!allow.allows("cache.invalid.evil.example"));
        allow.extend(&["*.cache.invalid".into()]).unwrap();
        assert!(allow.allows("redis-4.cache.invalid"));
        assert!(!allow.allows("evilcache.invalid"));
    }

    #[test]
    fn allow_hosts_extends_and_rejects_nonsense() {
        let mut allow = seed("127.0.0.1");
        allow
            .extend(&["10.0.0.0/8, fd00::/8".into(), "*.corp,redis-9.lab".into()])
            .unwrap();
        for ok in ["10.200.0.1", "fd00::5", "a.corp", "redis-9.lab"] {
            assert!(allow.allows(ok), "{ok}");
        }
        assert!(!allow.allows("corp"));
        assert!(!allow.allows("11.0.0.1"));
        for bad in ["10.0.0.0/33", "a b", "*.", "x/y", "\u{1b}[31m"] {
            let err = allow.clone().extend(&[bad.into()]).unwrap_err();
            assert!(!err.contains('\u{1b}'), "{err}");
        }
        let mut any = seed("127.0.0.1");
        any.extend(&["*".into()]).unwrap();
        assert!(any.allows("198.51.100.7"));
    }
}
