//! Owns what verify learns about servers before judging them: `INFO` fields
//! (flavour, version, mode, role, stats), and the cluster's shape from
//! `CLUSTER NODES` (which also lists every node, so one seed is enough).
//! Parsing is tolerant: fields are added across versions (`subexpiry` in 7.4)
//! and forks, and an unknown field is never an error.

use super::target::Address;
use std::collections::BTreeMap;

/// `INFO` as `field → value`, every section merged.
pub type Info = BTreeMap<String, String>;

pub fn parse_info(text: &str) -> Info {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

pub fn info_u64(info: &Info, field: &str) -> Option<u64> {
    info.get(field)?.parse().ok()
}

/// `errorstat_OOM:count=3` → 3.
pub fn error_count(info: &Info, error: &str) -> u64 {
    info.get(&format!("errorstat_{error}"))
        .and_then(|v| v.split(',').find_map(|kv| kv.strip_prefix("count=")))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Which server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flavour {
    /// `Redis` or `Valkey` (or whatever `server_name` says).
    pub name: String,
    /// The flavour's own version (`8.0.1` for Valkey 8).
    pub version: String,
    /// The Redis version it is compatible with, for the directive table
    /// (Valkey reports `redis_version:7.2.4`).
    pub redis_compat: (u32, u32),
}

pub fn flavour(info: &Info) -> Flavour {
    let redis_version = info.get("redis_version").cloned().unwrap_or_default();
    let compat = parse_version(&redis_version);
    match info.get("server_name").map(String::as_str) {
        Some(name) if name.eq_ignore_ascii_case("valkey") => Flavour {
            name: "Valkey".into(),
            version: info.get("valkey_version").cloned().unwrap_or(redis_version),
            redis_compat: compat,
        },
        _ => Flavour {
            name: "Redis".into(),
            version: redis_version,
            redis_compat: compat,
        },
    }
}

pub fn parse_version(text: &str) -> (u32, u32) {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
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
            Some((e, h)) if !h.is_empty() => (e, Some(h.to_owned())),
            Some((e, _)) => (e, None),
            None => (fields[1], None),
        };
        let hostport = endpoint.split('@').next().unwrap_or(endpoint);
        let (host, port) = hostport
            .rsplit_once(':')
            .ok_or_else(|| format!("CLUSTER NODES address `{hostport}` has no port"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("CLUSTER NODES address `{hostport}` has a bad port"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let mut slots = Vec::new();
        for slot in &fields[8..] {
            // `[1234->-node]` marks a migrating slot: not served yet.
            if slot.starts_with('[') {
                continue;
            }
            let (a, b) = slot.split_once('-').unwrap_or((slot, slot));
            let (Ok(a), Ok(b)) = (a.parse::<u16>(), b.parse::<u16>()) else {
                return Err(format!("CLUSTER NODES slot `{slot}` is not a range"));
            };
            if a > b || b >= 16384 {
                return Err(format!("CLUSTER NODES slot `{slot}` is out of range"));
            }
            slots.push((a, b));
        }
        nodes.push(ClusterNode {
            id: fields[0].to_owned(),
            address: Address { host, port },
            hostname,
            flags: fields[2].split(',').map(str::to_owned).collect(),
            master_id: (fields[3] != "-").then(|| fields[3].to_owned()),
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
        assert_eq!(f.name, "Valkey");
        assert_eq!(f.version, "8.0.1");
        assert_eq!(f.redis_compat, (7, 2));
        assert_eq!(error_count(&info, "OOM"), 3);
        assert_eq!(error_count(&info, "NOPERM"), 0);
        assert!(is_loopback("127.0.0.1") && is_loopback("::1") && !is_loopback("10.0.0.1"));
    }
}
