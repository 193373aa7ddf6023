//! Owns what verify learns about servers before judging them: `INFO` fields
//! (flavour, version, mode, role, stats), and the cluster's shape from
//! `CLUSTER NODES` (which also lists every node, so one seed is enough).
//! Parsing is tolerant: fields are added across versions (`subexpiry` in 7.4)
//! and forks, and an unknown field is never an error.

use super::target::Address;
use std::collections::BTreeMap;

/// `INFO` as `field → value`, every section merged.
pub type Info = BTreeMap<String, String>;

/// Largest `INFO <section>` reply read: a real one is a few KiB (errorstats
/// with many error kinds stays far below this).
pub const MAX_INFO_BYTES: usize = 1024 * 1024;
/// Most fields kept from one section; a real section has under 100.
pub const MAX_INFO_FIELDS: usize = 1000;
/// Longest field name and value kept (longer values are cut, and a cut
/// counter is then not a number: a finding, not a zero).
pub const MAX_INFO_TEXT: usize = 256;

/// One section's reply, at most [`MAX_INFO_FIELDS`] fields, each name and
/// value cut to [`MAX_INFO_TEXT`].
pub fn parse_info(text: &str) -> Info {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
        .filter(|(k, _)| k.len() <= MAX_INFO_TEXT)
        .take(MAX_INFO_FIELDS)
        .map(|(k, v)| (k.to_owned(), cut(v, MAX_INFO_TEXT)))
        .collect()
}

/// `text` cut to at most `max` bytes on a character boundary, with `…` when
/// cut: every server string that may reach output goes through a cap.
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// A counter: `None` when absent, `Some(Err(value))` when the server sent
/// something that is not an unsigned 64-bit number.
pub fn info_counter<'a>(info: &'a Info, field: &str) -> Option<Result<u64, &'a str>> {
    let value = info.get(field)?;
    Some(value.parse().map_err(|_| value.as_str()))
}

/// `errorstat_OOM:count=3` → 3; `Some(Err(value))` when the count is there
/// but not a number.
pub fn error_count<'a>(info: &'a Info, error: &str) -> Option<Result<u64, &'a str>> {
    let value = info.get(&format!("errorstat_{error}"))?;
    Some(
        value
            .split(',')
            .find_map(|kv| kv.strip_prefix("count="))
            .and_then(|n| n.parse().ok())
            .ok_or(value.as_str()),
    )
}

/// Which server software answers, from `INFO server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    Redis,
    Valkey,
    /// Another `server_name` (a fork verify does not know), escaped and cut.
    Other(String),
}

impl Engine {
    /// The engine as the policy knows it; `None` for a fork it does not.
    pub fn known(&self) -> Option<crate::facts::Engine> {
        match self {
            Engine::Redis => Some(crate::facts::Engine::Redis),
            Engine::Valkey => Some(crate::facts::Engine::Valkey),
            Engine::Other(_) => None,
        }
    }

    /// The name a policy declares an engine by (`redis`, `valkey`).
    pub fn name(&self) -> &str {
        match self {
            Engine::Redis => "redis",
            Engine::Valkey => "valkey",
            Engine::Other(name) => name,
        }
    }
}

/// Which server answers, and which release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flavour {
    pub engine: Engine,
    /// The engine's own release (`8.0.1` for Valkey 8), or `unknown` when it
    /// is not `major.minor[.patch]`.
    pub version: String,
    /// The engine's own (major, minor), from `version`.
    pub release: Option<(u32, u32)>,
    /// The Redis version it is compatible with, for the directive table
    /// (Valkey reports `redis_version:7.2.4`); `None` when unknown, and then
    /// no directive is judged missing from the version alone.
    pub redis_compat: Option<(u32, u32)>,
}

/// The engine and release, never from `redis_version` alone: Valkey reports
/// `redis_version:7.2.4` whatever its release, and says what it is in
/// `server_name:valkey` and `valkey_version:8.0.1` (valkey `src/server.c`,
/// 8.0.1). Redis has no `server_name` field (none in `src/server.c` of 7.0.15,
/// 7.2.6, 7.4.1 or 8.0-m01), so its absence, or `redis`, means Redis.
pub fn flavour(info: &Info) -> Flavour {
    let redis_version = info.get("redis_version").cloned().unwrap_or_default();
    let compat = parse_version(&redis_version);
    let (engine, version) = match info.get("server_name").map(String::as_str) {
        None => (Engine::Redis, redis_version),
        Some(name) if name.eq_ignore_ascii_case("redis") => (Engine::Redis, redis_version),
        Some(name) if name.eq_ignore_ascii_case("valkey") => (
            Engine::Valkey,
            info.get("valkey_version").cloned().unwrap_or(redis_version),
        ),
        Some(other) => (
            Engine::Other(super::target::printable(&cut(other, 32)).to_ascii_lowercase()),
            redis_version,
        ),
    };
    let release = parse_version(&version);
    Flavour {
        engine,
        version: if release.is_some() {
            version
        } else {
            "unknown".to_owned()
        },
        release,
        redis_compat: compat,
    }
}

/// Whether the server has `CLIENT NO-TOUCH`: every Valkey (forked from Redis
/// 7.2.4, which has it), Redis from 7.2. Unknown engines and versions are
/// not tried: an unknown subcommand is an error reply, not a no-op.
pub fn has_no_touch(flavour: &Flavour) -> bool {
    match (flavour.engine.known(), flavour.release) {
        (Some(engine), Some(release)) => crate::facts::has_no_touch(engine, release),
        // A Valkey whose release cannot be read still has it (all do).
        (Some(crate::facts::Engine::Valkey), None) => true,
        _ => false,
    }
}

/// `7.0.15` → (7, 0); anything that does not start with two dot-separated
/// numbers is unknown.
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let rest_ok = parts.all(|p| {
        !p.is_empty() && p.len() <= 10 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    rest_ok.then_some((major, minor))
}

/// One line of `CLUSTER NODES`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    pub id: String,
    pub address: Address,
    /// The announced host name (7.0+). Reported only: connections go to the
    /// address, and TLS checks that host unless `--tls-server-name` is given.
    pub hostname: Option<String>,
    pub flags: Vec<String>,
    /// For a replica, its master's id.
    pub master_id: Option<String>,
    pub link_connected: bool,
    /// Slots served, as inclusive ranges.
    pub slots: Vec<(u16, u16)>,
}

impl ClusterNode {
    pub fn is_master(&self) -> bool {
        self.flags.iter().any(|f| f == "master")
    }

    pub fn is_replica(&self) -> bool {
        self.flags.iter().any(|f| f == "slave" || f == "replica")
    }

    /// Flags that mean the node is not serving: failed, suspected, joining
    /// or without an address.
    pub fn trouble(&self) -> Vec<&str> {
        self.flags
            .iter()
            .map(String::as_str)
            .filter(|f| matches!(*f, "fail" | "fail?" | "handshake" | "noaddr"))
            .collect()
    }
}

/// A node's role as `INFO replication` spells it, from its `CLUSTER NODES`
/// flags (for nodes verify did not read `INFO` from).
pub fn role_of(node: Option<&ClusterNode>) -> String {
    match node {
        Some(n) if n.is_master() => "master".into(),
        Some(n) if n.is_replica() => "slave".into(),
        _ => "unknown".into(),
    }
}

/// Parses `CLUSTER NODES`. Lines that do not parse are returned as errors
/// (the caller reports them), never a panic.
pub fn parse_cluster_nodes(text: &str) -> Result<Vec<ClusterNode>, String> {
    let mut nodes = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 8 {
            return Err(format!("CLUSTER NODES line has {} fields", fields.len()));
        }
        // ip:port@cport[,hostname]
        let (endpoint, hostname) = match fields[1].split_once(',') {
            Some((e, h)) if !h.is_empty() => (e, Some(super::target::printable(h))),
            Some((e, _)) => (e, None),
            None => (fields[1], None),
        };
        let hostport = endpoint.split('@').next().unwrap_or(endpoint);
        let (host, port) = hostport.rsplit_once(':').ok_or_else(|| {
            format!(
                "CLUSTER NODES address `{}` has no port",
                super::target::printable(hostport)
            )
        })?;
        let port: u16 = port.parse().map_err(|_| {
            format!(
                "CLUSTER NODES address `{}` has a bad port",
                super::target::printable(hostport)
            )
        })?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        // The host is connected to and printed: a host name or address,
        // not whatever text a server put there.
        if host.len() > 255
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        {
            return Err(format!(
                "CLUSTER NODES address `{}` is not a host",
                super::target::printable(&host)
            ));
        }
        let mut slots = Vec::new();
        for slot in &fields[8..] {
            // `[1234->-node]` marks a migrating slot: not served yet.
            if slot.starts_with('[') {
                continue;
            }
            let (a, b) = slot.split_once('-').unwrap_or((slot, slot));
            let (Ok(a), Ok(b)) = (a.parse::<u16>(), b.parse::<u16>()) else {
                return Err(format!(
                    "CLUSTER NODES slot `{}` is not a range",
                    super::target::printable(slot)
                ));
            };
            if a > b || b >= 16384 {
                return Err(format!(
                    "CLUSTER NODES slot `{}` is out of range",
                    super::target::printable(slot)
                ));
            }
            slots.push((a, b));
        }
        nodes.push(ClusterNode {
            id: cut(fields[0], 64),
            address: Address { host, port },
            hostname,
            flags: fields[2].split(',').take(16).map(|f| cut(f, 32)).collect(),
            master_id: (fields[3] != "-").then(|| cut(fields[3], 64)),
            link_connected: fields[7] == "connected",
            slots,
        });
    }
    Ok(nodes)
}

/// Number of the 16384 slots no master serves.
pub fn uncovered_slots(nodes: &[ClusterNode]) -> usize {
    let mut covered = vec![false; 16384];
    for node in nodes
        .iter()
        .filter(|n| n.is_master() && n.trouble().is_empty())
    {
        for &(a, b) in &node.slots {
            for slot in a..=b {
                covered[usize::from(slot)] = true;
            }
        }
    }
    covered.iter().filter(|c| !**c).count()
}

/// Whether a host is this machine (a test cluster, not a deployment).
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: &str = "\
07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,redis-4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected
67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922
292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master - 0 1426238318243 3 connected 10923-16383 [16383->-x]
6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 slave,fail 67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 0 1426238316232 5 disconnected
e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460
";

    #[test]
    fn parses_cluster_nodes() {
        let nodes = parse_cluster_nodes(NODES).unwrap();
        assert_eq!(nodes.len(), 5);
        assert_eq!(nodes[0].hostname.as_deref(), Some("redis-4"));
        assert!(nodes[0].is_replica());
        assert_eq!(nodes[2].slots, vec![(10923, 16383)]);
        assert_eq!(nodes[3].trouble(), vec!["fail"]);
        assert!(!nodes[3].link_connected);
        assert_eq!(uncovered_slots(&nodes), 0);
        // Without the master serving 0-5460 (the last line), those slots are uncovered.
        assert_eq!(uncovered_slots(&nodes[..4]), 5461);
        assert!(parse_cluster_nodes("garbage line").is_err());
        assert!(parse_cluster_nodes(&NODES.replace("0-5460", "0-99999")).is_err());
    }

    #[test]
    fn info_and_flavour() {
        let info = parse_info(
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n# Errorstats\r\nerrorstat_OOM:count=3\r\n",
        );
        let f = flavour(&info);
        assert_eq!(f.engine, Engine::Valkey);
        assert_eq!(f.version, "8.0.1");
        assert_eq!(f.release, Some((8, 0)));
        assert_eq!(f.redis_compat, Some((7, 2)));
        assert!(has_no_touch(&f));
        assert_eq!(error_count(&info, "OOM"), Some(Ok(3)));
        assert_eq!(error_count(&info, "NOPERM"), None);
        assert!(is_loopback("127.0.0.1") && is_loopback("::1") && !is_loopback("10.0.0.1"));
    }

    #[test]
    fn engine_and_release_come_from_server_name_not_redis_version() {
        // Redis 7.0.15 and 7.2.6 as they answer (no server_name field).
        let redis70 = flavour(&parse_info(
            "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n",
        ));
        assert_eq!(
            (redis70.engine.name(), redis70.version.as_str()),
            ("redis", "7.0.15")
        );
        assert!(!has_no_touch(&redis70), "7.0 has no CLIENT NO-TOUCH");
        let redis72 = flavour(&parse_info("redis_version:7.2.6\r\n"));
        assert_eq!(redis72.release, Some((7, 2)));
        assert!(has_no_touch(&redis72));
        let named = flavour(&parse_info("redis_version:7.4.1\r\nserver_name:redis\r\n"));
        assert_eq!(named.engine, Engine::Redis);
        // Valkey 8.0.1's own lines, in its order: redis_version first.
        let valkey = flavour(&parse_info(
            "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n",
        ));
        assert_eq!(
            (valkey.engine.name(), valkey.version.as_str()),
            ("valkey", "8.0.1")
        );
        assert_eq!(
            (valkey.release, valkey.redis_compat),
            (Some((8, 0)), Some((7, 2)))
        );
        // A fork verify does not know: named as it says, never sent NO-TOUCH.
        let other = flavour(&parse_info(
            "redis_version:7.2.4\r\nserver_name:Fancy\u{1b}\r\n",
        ));
        assert_eq!(other.engine, Engine::Other("fancy\\u{1b}".into()));
        assert!(!has_no_touch(&other));
    }

    #[test]
    fn lying_info_is_capped_and_unknown_versions_are_unknown() {
        let huge = format!(
            "redis_version:{}\r\nrole:{}\r\n",
            "9".repeat(100_000),
            "x".repeat(100_000)
        );
        let info = parse_info(&huge);
        assert!(
            info.values()
                .all(|v| v.len() <= MAX_INFO_TEXT + '…'.len_utf8())
        );
        let f = flavour(&info);
        assert_eq!((f.version.as_str(), f.redis_compat), ("unknown", None));
        let many: String = (0..5000).map(|i| format!("f{i}:1\r\n")).collect();
        assert_eq!(parse_info(&many).len(), MAX_INFO_FIELDS);
        for bad in ["", "seven", "7", "7.x.1", "7.0.\u{1b}"] {
            assert_eq!(parse_version(bad), None, "{bad:?}");
        }
        assert_eq!(parse_version("7.4.0-rc1"), Some((7, 4)));
        let info = parse_info(
            "keyspace_hits:99999999999999999999999\r\nevicted_keys:many\r\nerrorstat_OOM:count=x\r\n",
        );
        assert_eq!(
            info_counter(&info, "keyspace_hits"),
            Some(Err("99999999999999999999999"))
        );
        assert_eq!(info_counter(&info, "evicted_keys"), Some(Err("many")));
        assert!(matches!(error_count(&info, "OOM"), Some(Err(_))));
        assert_eq!(cut("ééé", 3), "é…");
    }
}
