//! Owns talking to the servers for one run and nothing else: it returns the
//! plain facts of `observed`, and the judges decide what they mean.
//!
//! The order the network is touched is fixed, and the integration tests prove
//! it (MONITOR for read-only behaviour, the hit-ratio accounting):
//! 1. connect to the seed and read its facts: `INFO` (stats first), `DBSIZE`,
//!    `CONFIG GET` (where the store grants it; else more `INFO`), command
//!    latencies (`INFO latencystats`), the access probes;
//! 2. in a cluster, discover every node from the seed's `CLUSTER NODES`
//!    (repeated addresses dropped, at most [`MAX_NODES`]); outside one, the
//!    replicas the primary lists, or a replica seed's primary and its
//!    replicas (`replicas`); contact only those on hosts the user allowed
//!    (`allow`): the credentials go nowhere else;
//! 3. read the same facts from every other node, a bounded pool of them at
//!    once (silent nodes cost one timeout together, not one each), so every
//!    node's `INFO stats` is read before any key is touched anywhere
//!    (`PTTL`/`TYPE` count as keyspace hits and would skew the hit ratio);
//! 4. read every answering node's `keyspace_hits`/`keyspace_misses` twice,
//!    `--window` apart (`window`): the hit ratio is of that delta, so no
//!    earlier run's reads count in it;
//! 5. scan every reachable primary in parallel, one thread and one connection
//!    each, at most `SCAN_POOL` at once (`keyspace`), each connection first
//!    sending `CLIENT NO-TOUCH ON` where the server has it, so the reads leave
//!    LRU/LFU alone.

use super::classify::Classifier;
use super::conn::{Command, ConnError, Connection};
use super::keyspace::{self, Coverage};
use super::observed::{
    ConfigUnread, NoTouch, NodeFacts, Observed, ObservedNode, ScannedNode, Seed,
};
use super::replicas::{self, Opened};
use super::resp::Reply;
use super::server::{self, ClusterNode, Info};
use super::target::{self, Address};
use super::{Options, Progress, window};
use crate::policy::model::{Policy, Store};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Most nodes one run considers. Redis Cluster is designed for up to 1000
/// nodes; a longer `CLUSTER NODES` is broken or hostile, and contacting
/// every line of it would cost a connection (and a scan thread) each.
pub const MAX_NODES: usize = 1000;

/// Gathers everything a run judges. Never panics and never fails: what could
/// not be read is a reason in `Observed::incomplete` (and the node's `error`).
pub fn gather(
    policy: &Policy,
    options: &Options,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Observed {
    let mut observed = Observed::default();
    let classifier = match Classifier::for_store(policy, &options.store) {
        Ok(c) => c,
        Err(e) => {
            observed.incomplete.push(e);
            return observed;
        }
    };
    observed.owners = classifier.owners.clone();
    let seed = &options.target.seed;
    let mut seed_conn = match open(seed, options) {
        Ok(c) => c,
        Err(e) => {
            observed.incomplete.push(format!("could not connect: {e}"));
            stopped(options, &mut observed);
            return observed;
        }
    };
    // Stats first, before anything else touches a key.
    let store = options.store_of(policy);
    observed.store = store.name.clone();
    let slow_threshold_us = slow_threshold_us(policy, store);
    let seed_facts = match node_facts(&mut seed_conn, options, store, slow_threshold_us) {
        Ok(f) => f,
        Err(e) => {
            observed.incomplete.push(e.to_string());
            stopped(options, &mut observed);
            return observed;
        }
    };
    observed.slow_threshold_us = slow_threshold_us;
    let cluster_enabled = seed_facts
        .info
        .get("cluster_enabled")
        .is_some_and(|v| v == "1");
    observed.seed = Some(Seed {
        flavour: server::flavour(&seed_facts.info),
        cluster_enabled,
    });
    // Outside a cluster, the primary's replicas (or a replica seed's
    // primary, already open here, and its replicas): `replicas`.
    let mut primary_slot = None;
    let mut members: Vec<(Address, Option<ClusterNode>, bool)> = if cluster_enabled {
        discover(&mut seed_conn, seed, &mut observed);
        observed
            .cluster_nodes
            .iter()
            .map(|n| (n.address.clone(), Some(n.clone()), false))
            .collect()
    } else {
        let contact = |a: &Address| contact(a, options, store, slow_threshold_us);
        let found = replicas::discover(seed, &seed_facts.info, &options.allow, &contact);
        primary_slot = found.primary;
        observed.replication = Some(found.replication);
        found
            .members
            .into_iter()
            .map(|(a, r)| (a, None, r))
            .collect()
    };
    if members.is_empty() {
        members.push((seed.clone(), None, false));
    }

    // Facts of every node (stats before any scan starts anywhere). `conns`
    // runs parallel to `observed.nodes`: the open connection of each node
    // that answered, kept for its scan. Nodes are contacted concurrently, a
    // bounded pool at a time, so silent nodes cost one timeout together.
    let mut seed_slot = Some((seed_conn, seed_facts));
    // Claimed while planning: only the first line that is the seed reuses
    // its connection. A second `myself` line (a lying server) is planned
    // like any announced node, not left without a connection or a reason.
    let mut seed_claimed = false;
    let mut planned = Vec::new();
    for (address, cluster, standalone_replica) in members {
        let mut node = ObservedNode {
            address,
            cluster,
            standalone_replica,
            facts: None,
            scan: None,
            error: None,
            window: None,
            no_touch: NoTouch::NotScanned,
        };
        let mut plan = Plan::Skip;
        if let Some(n) = node.cluster.as_ref().filter(|n| !n.trouble().is_empty()) {
            // Failed nodes are reported by the topology judge; connecting
            // would only wait for the timeout. A primary that still holds
            // slots is keys verify did not read: the run is incomplete.
            if node.is_primary() {
                observed.incomplete.push(format!(
                    "{}: a primary flagged {} by the cluster; its keys were not scanned",
                    node.address,
                    n.trouble().join(",")
                ));
            }
            node.error = Some("flagged as failing by the cluster; not contacted".into());
        } else if !seed_claimed && is_seed_address(&node, seed) {
            seed_claimed = true;
            plan = Plan::Seed;
        } else if primary_slot
            .as_ref()
            .is_some_and(|(a, _)| *a == node.address)
        {
            plan = Plan::Primary;
        } else if node.address != *seed && !options.allow.allows(&node.address.host) {
            // Announced by the server, not named by the user: connecting
            // would send the run's credentials to whoever the seed chose.
            if node.is_primary() {
                observed.incomplete.push(format!(
                    "{}: a primary on a host verify may not contact (see --allow-hosts); its keys were not scanned",
                    node.address
                ));
            }
            node.error = Some("not an allowed host (see --allow-hosts); not contacted".into());
            observed.not_allowed.push(node.address.clone());
        } else {
            plan = Plan::Contact;
        }
        planned.push((node, plan));
    }
    let to_contact: Vec<&Address> = planned
        .iter()
        .filter(|(_, p)| matches!(p, Plan::Contact))
        .map(|(n, _)| &n.address)
        .collect();
    let mut contacted = contact_all(&to_contact, options, store, slow_threshold_us).into_iter();
    let mut conns: Vec<Option<Connection>> = Vec::new();
    for (mut node, plan) in planned {
        let opened = match plan {
            Plan::Skip => None,
            Plan::Seed => seed_slot.take().map(Ok),
            Plan::Primary => primary_slot.take().map(|(_, opened)| opened),
            Plan::Contact => contacted.next(),
        };
        let mut conn = None;
        match opened {
            Some(Ok((c, f))) => {
                node.facts = Some(f);
                conn = Some(c);
            }
            Some(Err(e)) => {
                observed.incomplete.push(e.to_string());
                node.error = Some(e.to_string());
            }
            None => {}
        }
        observed.nodes.push(node);
        conns.push(conn);
    }
    if !cluster_enabled {
        // One server read under two spellings (`replicas::repeated`).
        for i in replicas::repeated(&observed.nodes, seed).into_iter().rev() {
            observed.nodes.remove(i);
            conns.remove(i);
        }
    }
    observed.window_asked = options.window;
    if !options.window.is_zero() {
        read_window(options, &mut conns, &mut observed);
    }
    scan_primaries(options, &classifier, conns, &mut observed, progress);
    stopped(options, &mut observed);
    observed
}

/// A run that hit its deadline or was interrupted says so first: the other
/// reasons are its consequences.
fn stopped(options: &Options, observed: &mut Observed) {
    if let Some(why) = options.limits.deadline.stopped() {
        observed.incomplete.insert(
            0,
            format!("{why}; the report shows what was seen until then"),
        );
    }
}

/// What to do with one listed node.
enum Plan {
    /// Not contacted (flagged failing, or not an allowed host).
    Skip,
    /// The seed: its connection and facts are already there.
    Seed,
    /// The primary a replica seed named, already read by `replicas`.
    Primary,
    Contact,
}

/// Reads every answering node's hit-ratio window (`window::read`) and
/// records it on the node. A node whose connection fails meanwhile is lost:
/// its error is recorded and it is not scanned.
fn read_window(options: &Options, conns: &mut [Option<Connection>], observed: &mut Observed) {
    let mut open: Vec<(usize, &mut Connection)> = conns
        .iter_mut()
        .enumerate()
        .filter_map(|(i, c)| c.as_mut().map(|c| (i, c)))
        .collect();
    let mut only: Vec<&mut Connection> = open.iter_mut().map(|(_, c)| &mut **c).collect();
    let readings = window::read(&mut only, options.window, &options.limits.deadline);
    let indices: Vec<usize> = open.iter().map(|(i, _)| *i).collect();
    for (i, reading) in indices.into_iter().zip(readings) {
        let node = &mut observed.nodes[i];
        match reading {
            Ok(w) => node.window = Some(w.map_err(|why| format!("{}: {why}", node.address))),
            Err(e) => {
                node.window = Some(Err(e.to_string()));
                node.error = Some(e.to_string());
                observed.incomplete.push(e.to_string());
                conns[i] = None;
            }
        }
    }
}

/// Most nodes contacted at once while their facts are read.
const POOL: usize = 16;
/// Most primaries scanned at once (each scan is one thread and one
/// connection; a real cluster has far fewer primaries than this).
const SCAN_POOL: usize = 64;

/// Connects to one node and reads its facts.
fn contact(
    address: &Address,
    options: &Options,
    store: &Store,
    slow_threshold_us: Option<u64>,
) -> Opened {
    let mut c = open(address, options)?;
    let f = node_facts(&mut c, options, store, slow_threshold_us)?;
    Ok((c, f))
}

/// Connects to each address and reads its facts, [`POOL`] at a time; the
/// results come back in `addresses` order.
fn contact_all(
    addresses: &[&Address],
    options: &Options,
    store: &Store,
    slow_threshold_us: Option<u64>,
) -> Vec<Opened> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Opened>>> =
        Mutex::new((0..addresses.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..POOL.min(addresses.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(address) = addresses.get(i) else {
                        break;
                    };
                    let opened = contact(address, options, store, slow_threshold_us);
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(opened);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .zip(addresses)
        .map(|(r, a)| {
            r.unwrap_or_else(|| {
                Err(ConnError::Closed(format!(
                    "{a}: reading the node failed unexpectedly (a cachegen bug; please report it)"
                )))
            })
        })
        .collect()
}

/// The seed's own line of `CLUSTER NODES` (or the seed itself outside a
/// cluster, where the primary and replicas are other members): the one
/// node the user named.
fn is_seed_address(node: &ObservedNode, seed: &Address) -> bool {
    node.address == *seed
        || node
            .cluster
            .as_ref()
            .is_some_and(|n| n.flags.iter().any(|f| f == "myself"))
}

/// Drops repeated addresses (keeping the first line of each) and cuts the
/// list at [`MAX_NODES`], counting both for the judges.
fn plausible_nodes(nodes: Vec<ClusterNode>, observed: &mut Observed) -> Vec<ClusterNode> {
    let mut seen = HashSet::new();
    let mut kept = Vec::new();
    for node in nodes {
        if !seen.insert(node.address.clone()) {
            observed.node_list.duplicates += 1;
            continue;
        }
        observed.node_list.listed += 1;
        if kept.len() < MAX_NODES {
            kept.push(node);
        } else {
            observed.node_list.dropped += 1;
        }
    }
    if observed.node_list.dropped > 0 {
        observed.incomplete.push(format!(
            "CLUSTER NODES lists {} distinct nodes; only the first {MAX_NODES} were considered",
            observed.node_list.listed
        ));
    }
    kept
}

/// Reads the cluster's nodes from the seed into `observed.cluster_nodes`.
fn discover(seed_conn: &mut Connection, seed: &Address, observed: &mut Observed) {
    match seed_conn.call(Command::ClusterNodes) {
        Ok(Reply::Bulk(text)) => match server::parse_cluster_nodes(&String::from_utf8_lossy(&text))
        {
            Ok(nodes) => observed.cluster_nodes = plausible_nodes(nodes, observed),
            Err(e) => observed.incomplete.push(format!("{seed}: {e}")),
        },
        Ok(other) => observed.incomplete.push(format!(
            "{seed}: CLUSTER NODES was refused: {}",
            reply_text(&other)
        )),
        Err(e) => observed.incomplete.push(e.to_string()),
    }
}

/// Scans every primary that answered, in parallel, and records each scan
/// on its node. `conns[i]` is the connection of `observed.nodes[i]`.
fn scan_primaries(
    options: &Options,
    classifier: &Classifier,
    conns: Vec<Option<Connection>>,
    observed: &mut Observed,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) {
    let mut scans = Vec::new();
    for (i, (node, conn)) in observed.nodes.iter().zip(conns).enumerate() {
        let (Some(facts), Some(conn)) = (&node.facts, conn) else {
            continue;
        };
        if !node.is_primary() {
            continue;
        }
        let keys = match options.coverage {
            Coverage::Full => facts.dbsize.unwrap_or(0),
            Coverage::Sample(n) => n.min(facts.dbsize.unwrap_or(n)),
        };
        progress(Progress::ScanPlanned {
            node: &node.address,
            keys,
        });
        let no_touch = server::has_no_touch(&server::flavour(&facts.info));
        scans.push((i, conn, no_touch));
    }
    let nodes = &observed.nodes;
    // A bounded pool of scanning threads: a thousand primaries do not get a
    // thousand threads at once.
    let queue = std::sync::Mutex::new(scans.into_iter());
    let done = std::sync::Mutex::new(Vec::new());
    let workers = SCAN_POOL.min(nodes.len()).max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    let Some((i, mut conn, has_no_touch)) = next else {
                        break;
                    };
                    let no_touch = if has_no_touch {
                        no_touch_on(&mut conn)
                    } else {
                        NoTouch::NotAvailable
                    };
                    let node: &Address = &nodes[i].address;
                    let tick = |keys: u64| progress(Progress::Scanned { node, keys });
                    let started = Instant::now();
                    // A scan that panics (a bug) must still leave its node
                    // reported, as unscanned.
                    let scan = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        keyspace::scan(
                            &mut conn,
                            classifier,
                            options.coverage,
                            batch_keys(options),
                            &tick,
                        )
                    }));
                    if let Ok(mut done) = done.lock() {
                        done.push((i, no_touch, scan.ok().map(|s| (s, started.elapsed()))));
                    }
                }
            });
        }
    });
    let mut results: Vec<ScanResult> = done.into_inner().unwrap_or_default();
    results.sort_by_key(|(i, _, _)| *i);
    progress(Progress::ScansDone);
    for (i, no_touch, result) in results {
        let node = &mut observed.nodes[i];
        node.no_touch = no_touch;
        // A scan thread that panicked is a bug, but its node must still be
        // reported as unscanned rather than silently missing.
        let Some((scan, took)) = result else {
            observed.incomplete.push(format!(
                "{}: the scan failed unexpectedly (a cachegen bug; please report it)",
                node.address
            ));
            continue;
        };
        if let Some(e) = &scan.error {
            node.error = Some(e.to_string());
            observed.incomplete.push(format!("scan stopped early: {e}"));
        }
        node.scan = Some(ScannedNode {
            stopped_early: scan.error.is_some(),
            tally: scan.tally,
            took,
        });
    }
}

/// One primary's scan as its thread left it: the node's index, whether its
/// connection said NO-TOUCH, and the scan with its duration (`None`: the
/// thread panicked).
type ScanResult = (usize, NoTouch, Option<(keyspace::NodeScan, Duration)>);

/// Sends `CLIENT NO-TOUCH ON` on a scan connection. A refusal (an ACL from
/// before verify sent it) is recorded, not fatal: the scan still runs, and
/// the report says its reads touched LRU/LFU. A lost connection shows up
/// in the scan that follows.
fn no_touch_on(conn: &mut Connection) -> NoTouch {
    match conn.call(Command::ClientNoTouch) {
        Ok(Reply::Status(_)) => NoTouch::On,
        Ok(other) => NoTouch::Refused(reply_text(&other)),
        Err(e) => NoTouch::Refused(e.to_string()),
    }
}

/// Keys per SCAN batch. With `--rate`, a batch (1 + 3 commands per key) is at
/// most a quarter second of the allowed rate, so the cap holds within each
/// second instead of arriving as one burst after a long pause.
fn batch_keys(options: &Options) -> u32 {
    match options.limits.rate {
        Some(rate) => (rate / 12).clamp(1, options.scan_count),
        None => options.scan_count,
    }
}

fn open(address: &Address, options: &Options) -> Result<Connection, ConnError> {
    Connection::open(
        address,
        &options.target,
        options.tls.as_ref(),
        options.limits,
    )
}

fn reply_text(reply: &Reply) -> String {
    match reply {
        Reply::Error(e) => target::printable(e),
        other => format!("{other:?}").chars().take(80).collect(),
    }
}

/// The INFO sections verify reads, merged. One pipelined round trip (INFO
/// with several sections needs Redis 7, so one command per section); `stats`
/// first, though no INFO counts as a keyspace hit anyway.
const INFO_SECTIONS: &[&str] = &["stats", "server", "replication", "errorstats", "cluster"];

/// The sections that show directives `CONFIG GET` would have (maxmemory,
/// aof_enabled, maxclients, ...): read only when it was not available.
const INFO_CONFIG_SECTIONS: &[&str] = &["memory", "persistence", "clients"];

/// Reads `sections` into `info` (a field already there is kept).
pub(super) fn read_info(
    conn: &mut Connection,
    sections: &[&'static str],
    info: &mut Info,
) -> Result<(), ConnError> {
    for section in sections {
        conn.queue(Command::Info(section));
    }
    conn.flush(sections.len())?;
    for section in sections {
        match conn.recv()? {
            Reply::Bulk(text) if text.len() > server::MAX_INFO_BYTES => {
                return Err(ConnError::Protocol(format!(
                    "{}: INFO {section} sent {} bytes, more than any Redis does ({} at most are read); the node was not judged",
                    conn.address,
                    text.len(),
                    server::MAX_INFO_BYTES
                )));
            }
            // Each section parsed on its own; a field an earlier section
            // gave is not replaced by a later one (`role` comes from
            // replication, not from whatever errorstats claims).
            Reply::Bulk(text) => {
                for (field, value) in server::parse_info(&String::from_utf8_lossy(&text)) {
                    info.entry(field).or_insert(value);
                }
            }
            Reply::Error(e) => {
                return Err(ConnError::Refused(format!(
                    "{}: INFO {section} was refused: {}",
                    conn.address,
                    target::printable(&e)
                )));
            }
            _ => {
                return Err(ConnError::Protocol(format!(
                    "{}: INFO returned an unexpected reply",
                    conn.address
                )));
            }
        }
    }
    Ok(())
}

fn node_facts(
    conn: &mut Connection,
    options: &Options,
    store: &Store,
    slow_threshold_us: Option<u64>,
) -> Result<NodeFacts, ConnError> {
    let mut info = Info::new();
    read_info(conn, INFO_SECTIONS, &mut info)?;
    let dbsize = conn
        .call(Command::Dbsize)?
        .as_int()
        .map(|n| n.max(0) as u64);
    let flavour = server::flavour(&info);
    // CONFIG GET returns secrets (`masterauth`) to whoever may run it, and
    // ACLs cannot limit its parameters: where the store denies it to the
    // verifier, it is not even tried (the ACL refuses it anyway).
    let config = if store.verifier_may_config_get() {
        super::config_get::read_config(conn, store, flavour.redis_compat)?
    } else {
        Err(ConfigUnread::NotAllowed)
    };
    if config.is_err() {
        // What INFO shows of the config stands in for CONFIG GET.
        read_info(conn, INFO_CONFIG_SECTIONS, &mut info)?;
    }
    let all_config = match (&config, options.unmanaged) {
        (_, false) => None,
        // Refused or denied for names, refused for `*` too: not sent.
        (Err(why), true) => Some(Err(why.clone())),
        (Ok(_), true) => Some(super::config_get::read_all_config(conn)?),
    };
    let slow = super::latency::read(conn, slow_threshold_us)?;
    let probes = super::probe::probe(conn, options, store)?;
    Ok(NodeFacts {
        info,
        dbsize,
        config,
        all_config,
        slow,
        probes,
    })
}

/// The latency the policy holds commands to (their p99): `targets.cached_latency`,
/// else its slow log threshold.
fn slow_threshold_us(policy: &Policy, store: &Store) -> Option<u64> {
    policy
        .targets
        .as_ref()
        .and_then(|t| t.cached_latency)
        .or(store.redis.slowlog_log_slower_than)
        .map(|d| d.as_micros())
}
