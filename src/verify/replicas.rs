//! Owns finding a standalone primary's replicas (outside a cluster): what
//! `INFO replication` says about them, read on the seed, and, when the seed
//! is itself a replica, following its `master_host` to the primary. Only
//! hosts the user allowed (`allow`) are contacted, as with cluster nodes:
//! an address a server announces never receives the run's credentials
//! otherwise.
//!
//! The facts (`Replication`, `Listed`) are plain data the replicas judge
//! reads; the parsing functions are pure, so the judge and `gather` read
//! `INFO` the same way.

use super::allow::AllowHosts;
use super::conn::{ConnError, Connection};
use super::observed::{NodeFacts, ObservedNode};
use super::server::{self, Info};
use super::target::Address;
use std::collections::HashSet;

/// Most replicas one primary's list is read for: a real primary has a
/// handful; a longer list is broken or hostile, and each entry would cost
/// a connection.
pub const MAX_REPLICAS: usize = 100;

/// The standalone group as verify found it from the seed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replication {
    /// The seed reports `role:slave`: the primary it names, and whether
    /// verify read it.
    pub seed_follows: Option<Follow>,
    /// The primary verify read (the seed, or the one it followed to);
    /// `None` when the seed is a replica whose primary was not read.
    pub primary: Option<Address>,
    /// The replicas the primary lists (`slaveN:` fields), at most
    /// [`MAX_REPLICAS`], in its order.
    pub listed: Vec<Listed>,
}

/// Where a replica seed's `master_host`/`master_port` led.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    /// The primary it names; `None` when its INFO names none readable.
    pub master: Option<Address>,
    pub outcome: Followed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    /// Contacted and read: it is the group's primary.
    Read,
    /// Not on a host verify may contact (`--allow-hosts`): not contacted.
    NotAllowed,
    /// Contacted, but it could not be read (the error, or that it is no
    /// primary itself).
    Failed(String),
}

/// One replica as its primary lists it: `slave0:ip=..,port=..,state=online,
/// offset=..,lag=..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub address: Address,
    /// `online` once synchronised; `wait_bgsave`, `send_bulk` before.
    pub state: String,
    pub offset: Option<u64>,
    /// Seconds since the replica's last acknowledgement (sent every second).
    pub lag: Option<u64>,
}

/// Whether a node reports itself a replica (`role:slave`).
pub fn is_replica(info: &Info) -> bool {
    info.get("role").is_some_and(|r| r == "slave")
}

/// The primary a replica names (`master_host`, `master_port`).
pub fn master_of(info: &Info) -> Option<Address> {
    let host = info.get("master_host")?;
    let port = info.get("master_port")?.parse().ok()?;
    address(host, port)
}

fn address(host: &str, port: u16) -> Option<Address> {
    // A host name or an IP text; anything longer or stranger is not an
    // address any server could be reached at, and is not followed.
    let plausible = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
    (plausible && port != 0).then(|| Address {
        host: host.to_owned(),
        port,
    })
}

/// The replicas a primary's `INFO replication` lists, in index order,
/// at most [`MAX_REPLICAS`]; an entry without a usable address is skipped.
pub fn listed_replicas(info: &Info) -> Vec<Listed> {
    let mut entries: Vec<(u32, &String)> = info
        .iter()
        .filter_map(|(field, value)| {
            let n = field.strip_prefix("slave")?.parse::<u32>().ok()?;
            Some((n, value))
        })
        .collect();
    entries.sort_by_key(|(n, _)| *n);
    entries
        .into_iter()
        .filter_map(|(_, value)| {
            let field = |name: &str| {
                value.split(',').find_map(|kv| {
                    kv.split_once('=')
                        .filter(|(k, _)| *k == name)
                        .map(|(_, v)| v)
                })
            };
            Some(Listed {
                address: address(field("ip")?, field("port")?.parse().ok()?)?,
                state: server::cut(field("state").unwrap_or("unknown"), 40),
                offset: field("offset").and_then(|v| v.parse().ok()),
                lag: field("lag").and_then(|v| v.parse().ok()),
            })
        })
        .take(MAX_REPLICAS)
        .collect()
}

/// Whether two addresses name the same server as far as text tells:
/// equal, or the same port on two loopback spellings (`localhost`,
/// `127.0.0.1`, `::1`).
pub fn same_server(a: &Address, b: &Address) -> bool {
    a == b || (a.port == b.port && server::is_loopback(&a.host) && server::is_loopback(&b.host))
}

/// Whether a replica verify read follows the primary it read: it names
/// the primary's address (as text, `same_server`), the primary lists it
/// online, or it holds the primary's replication ID (`master_replid`, the
/// same on a primary and every replica in sync with it). The last two
/// decide by identity, so a primary the URL names by host name and the
/// replicas by IP (or the reverse) is still theirs.
pub fn follows(
    node: &ObservedNode,
    info: &Info,
    primary_info: Option<&Info>,
    group: &Replication,
) -> bool {
    let names_it = match (master_of(info), &group.primary) {
        (Some(master), Some(primary)) => same_server(&master, primary),
        _ => false,
    };
    let listed_online = group
        .listed
        .iter()
        .any(|r| r.state == "online" && same_server(&r.address, &node.address));
    let replid = |i: &Info| i.get("master_replid").filter(|id| !id.is_empty()).cloned();
    let same_history = primary_info
        .and_then(replid)
        .is_some_and(|id| replid(info) == Some(id));
    names_it || listed_online || same_history
}

/// The rows of `nodes` to drop because they are a server an earlier row,
/// or the seed's row, already read (the same `run_id` in `INFO server`): a
/// seed named by host name is listed by its primary by IP, and would
/// otherwise be read, counted and judged twice. The seed's row is kept
/// (it is the spelling the user gave); otherwise the first. In ascending
/// order.
pub fn repeated(nodes: &[ObservedNode], seed: &Address) -> Vec<usize> {
    fn run_id(n: &ObservedNode) -> Option<&String> {
        n.facts
            .as_ref()
            .and_then(|f| f.info.get("run_id"))
            .filter(|id| !id.is_empty())
    }
    let mut kept: Vec<(&String, usize)> = Vec::new();
    let mut drop = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let Some(id) = run_id(node) else { continue };
        match kept.iter_mut().find(|(k, _)| *k == id) {
            None => kept.push((id, i)),
            Some((_, first)) if node.address == *seed => {
                drop.push(*first);
                *first = i;
            }
            Some(_) => drop.push(i),
        }
    }
    drop.sort_unstable();
    drop
}

/// A connection and what its node answered, or why not.
pub type Opened = Result<(Connection, NodeFacts), ConnError>;

/// What discovery decided: the group's facts, the members to read in
/// order (each with whether it is a replica, whose keys are read on the
/// primary), and the primary when verify followed a replica seed to it
/// (already open, for `gather` to reuse).
pub struct Found {
    pub replication: Replication,
    pub members: Vec<(Address, bool)>,
    pub primary: Option<(Address, Opened)>,
}

/// Finds the group of a standalone seed: a primary's listed replicas, or a
/// replica's primary (contacted with `contact` where `allow` allows its
/// host) and that primary's replicas. A replica seed whose primary is not
/// read stays the one member, and its keys are read there.
pub fn discover(
    seed: &Address,
    seed_info: &Info,
    allow: &AllowHosts,
    contact: &dyn Fn(&Address) -> Opened,
) -> Found {
    let mut replication = Replication::default();
    let mut opened = None;
    let primary_info: Option<Info> = if is_replica(seed_info) {
        let master = master_of(seed_info);
        let outcome = match &master {
            None => Followed::Failed("its INFO names no primary address".into()),
            Some(m) if !allow.allows(&m.host) => Followed::NotAllowed,
            Some(m) => match contact(m) {
                Ok((conn, facts)) if !is_replica(&facts.info) => {
                    let info = facts.info.clone();
                    opened = Some((m.clone(), Ok((conn, facts))));
                    replication.seed_follows = Some(Follow {
                        master: master.clone(),
                        outcome: Followed::Read,
                    });
                    replication.primary = Some(m.clone());
                    replication.listed = listed_replicas(&info);
                    return members_of(seed, replication, opened);
                }
                Ok(_) => Followed::Failed("it reports role:slave itself".into()),
                Err(e) => Followed::Failed(e.to_string()),
            },
        };
        replication.seed_follows = Some(Follow { master, outcome });
        None
    } else {
        Some(seed_info.clone())
    };
    if let Some(info) = primary_info {
        replication.primary = Some(seed.clone());
        replication.listed = listed_replicas(&info);
    }
    members_of(seed, replication, opened)
}

/// The members in order: the primary (when read), its listed replicas, and
/// the seed wherever it is not among them.
fn members_of(
    seed: &Address,
    replication: Replication,
    primary: Option<(Address, Opened)>,
) -> Found {
    let mut members = Vec::new();
    let mut seen = HashSet::new();
    if let Some(p) = &replication.primary {
        seen.insert(p.clone());
        members.push((p.clone(), false));
        for r in &replication.listed {
            let is_seed = same_server(&r.address, seed);
            let address = if is_seed {
                seed.clone()
            } else {
                r.address.clone()
            };
            if seen.insert(address.clone()) {
                members.push((address, true));
            }
        }
    }
    if !seen.contains(seed) {
        // A replica seed: read as a replica when its primary was read, else
        // the one node verify has (and reads keys on).
        members.push((seed.clone(), replication.primary.is_some()));
    }
    Found {
        replication,
        members,
        primary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::target::parse_host_port;

    fn info(fields: &[(&str, &str)]) -> Info {
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn at(text: &str) -> Address {
        parse_host_port(text).unwrap()
    }

    #[test]
    fn a_primary_lists_its_replicas_in_index_order() {
        let primary = info(&[
            ("role", "master"),
            ("connected_slaves", "3"),
            (
                "slave10",
                "ip=10.0.0.3,port=6379,state=online,offset=9,lag=0",
            ),
            (
                "slave2",
                "ip=10.0.0.2,port=6380,state=wait_bgsave,offset=0,lag=12",
            ),
            ("slave_read_repl_offset", "5"),
            ("slave3", "ip=,port=1,state=online"),
        ]);
        let listed = listed_replicas(&primary);
        assert_eq!(
            listed,
            [
                Listed {
                    address: at("10.0.0.2:6380"),
                    state: "wait_bgsave".into(),
                    offset: Some(0),
                    lag: Some(12),
                },
                Listed {
                    address: at("10.0.0.3:6379"),
                    state: "online".into(),
                    offset: Some(9),
                    lag: Some(0),
                },
            ]
        );
    }

    #[test]
    fn a_primary_seed_reads_its_replicas_and_contacts_no_other_primary() {
        let seed = at("127.0.0.1:7000");
        let primary = info(&[
            ("role", "master"),
            (
                "slave0",
                "ip=127.0.0.1,port=7001,state=online,offset=1,lag=0",
            ),
            (
                "slave1",
                "ip=127.0.0.1,port=7000,state=online,offset=1,lag=0",
            ),
        ]);
        let contact = |_: &Address| -> Opened { panic!("a primary seed follows nothing") };
        let found = discover(&seed, &primary, &AllowHosts::for_seed(&seed), &contact);
        assert_eq!(found.replication.primary, Some(seed.clone()));
        assert_eq!(found.replication.seed_follows, None);
        // A replica listed at the seed's own address is not read twice.
        assert_eq!(found.members, [(seed, false), (at("127.0.0.1:7001"), true)]);
    }

    #[test]
    fn a_replica_seed_is_followed_only_to_an_allowed_host() {
        let seed = at("127.0.0.1:7001");
        let replica = info(&[
            ("role", "slave"),
            ("master_host", "10.9.9.9"),
            ("master_port", "7000"),
        ]);
        let contacted = std::sync::Mutex::new(Vec::new());
        let contact = |a: &Address| -> Opened {
            contacted.lock().unwrap().push(a.clone());
            Err(ConnError::Closed("refused".into()))
        };
        let found = discover(&seed, &replica, &AllowHosts::for_seed(&seed), &contact);
        assert!(contacted.lock().unwrap().is_empty());
        assert_eq!(
            found.replication.seed_follows,
            Some(Follow {
                master: Some(at("10.9.9.9:7000")),
                outcome: Followed::NotAllowed
            })
        );
        assert_eq!(found.replication.primary, None);
        // The seed alone, read as the node whose keys are read.
        assert_eq!(found.members, [(seed.clone(), false)]);

        let mut allow = AllowHosts::for_seed(&seed);
        allow.extend(&["10.0.0.0/8".to_owned()]).unwrap();
        let found = discover(&seed, &replica, &allow, &contact);
        assert_eq!(*contacted.lock().unwrap(), [at("10.9.9.9:7000")]);
        assert!(matches!(
            found.replication.seed_follows,
            Some(Follow {
                outcome: Followed::Failed(_),
                ..
            })
        ));
        assert_eq!(found.members, [(seed, false)]);
    }

    #[test]
    fn a_server_read_under_two_spellings_is_kept_once_as_the_seed_spelt_it() {
        use crate::verify::observed::ObservedNode;
        let row = |address: &str, run_id: Option<&str>| {
            let mut n = crate::verify::judge::fixture::node(
                address,
                None,
                run_id.map(|id| crate::verify::judge::fixture::facts(&[("run_id", id)])),
            );
            n.standalone_replica = true;
            n
        };
        let nodes: Vec<ObservedNode> = vec![
            row("127.0.0.1:7000", Some("a")),
            row("127.0.0.1:7001", Some("b")),
            row("127.0.0.1:7002", None),
            row("127.0.0.1:7003", Some("c")),
            row("127.0.0.1:7004", None),
            row("LOCALHOST:7001", Some("b")),
            row("db.example:7003", Some("c")),
        ];
        // The seed's row replaces the earlier one; a repeat that is not the
        // seed is dropped; a node without facts is never a repeat.
        assert_eq!(repeated(&nodes, &at("LOCALHOST:7001")), [1, 6]);
        assert_eq!(repeated(&nodes[..5], &at("LOCALHOST:7001")), [0usize; 0]);
    }

    #[test]
    fn a_hostile_list_is_cut() {
        let many: Vec<(String, String)> = (0..5000)
            .map(|i| {
                (
                    format!("slave{i}"),
                    format!("ip=10.0.0.1,port={},state=online", 1 + i % 60000),
                )
            })
            .collect();
        let primary: Info = many.into_iter().collect();
        assert_eq!(listed_replicas(&primary).len(), MAX_REPLICAS);
    }

    #[test]
    fn loopback_spellings_of_one_port_are_one_server() {
        assert!(same_server(&at("localhost:1"), &at("127.0.0.1:1")));
        assert!(!same_server(&at("localhost:1"), &at("127.0.0.1:2")));
        assert!(!same_server(&at("10.0.0.1:1"), &at("10.0.0.2:1")));
    }

    #[test]
    fn an_implausible_master_address_is_not_followed() {
        let strange = info(&[
            ("role", "slave"),
            ("master_host", "a b\u{1b}"),
            ("master_port", "1"),
        ]);
        assert_eq!(master_of(&strange), None);
    }
}
