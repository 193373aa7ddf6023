//! Owns `cachegen verify`: a live Redis or Redis Cluster checked against the
//! validated policy model. The only module that talks to the network.
//!
//! The run, in order (each step's reasons are in its module):
//! 1. connect to the seed (`conn`, `target`); detect flavour, version, mode;
//!    in a cluster, discover every node from `CLUSTER NODES` (`server`);
//! 2. read `INFO stats` of every node *before* any key is touched, because
//!    `PTTL`/`TYPE` count as keyspace hits and would skew the hit ratio;
//! 3. read every managed directive with `CONFIG GET` on every node (`config`);
//! 4. judge topology and runtime counters;
//! 5. scan every primary in parallel (`keyspace`, `classify`).
//!
//! Every outcome is a `Diagnostic` pointing into the policy, or a reason the
//! run is incomplete. Nothing here panics on what a server sends, and nothing
//! can write to it (`conn::Command` has no writing variant). Nothing here
//! draws either: progress is reported through a callback (`Progress`), and
//! the binary draws it.

pub mod classify;
pub mod config;
pub mod conn;
pub mod keyspace;
pub mod report;
pub mod resp;
pub mod server;
pub mod target;

use crate::diag::{Diagnostic, Severity, codes};
use crate::policy::model::{EvictionPolicy, Policy, Ttl};
use conn::{Command, ConnError, Connection, Limits, Tls};
use keyspace::{Coverage, Tally, Thresholds};
use resp::Reply;
use server::{ClusterNode, Flavour, Info};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use target::{Address, Target};

/// How to run.
pub struct Options {
    pub target: Target,
    pub tls: Option<Tls>,
    pub limits: Limits,
    pub coverage: Coverage,
    /// SCAN COUNT (clamped to 1000).
    pub scan_count: u32,
}

/// What a run is doing, for a caller that shows progress. The library only
/// reports; drawing (and deciding whether a terminal is there to draw on) is
/// the caller's.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A primary is about to be scanned, and about this many keys will be
    /// inspected (its DBSIZE, or the sample size). Sent for every primary, in
    /// node order, before any scan starts.
    ScanPlanned { node: &'a Address, keys: u64 },
    /// `node` inspected `keys` more keys. Sent from the scan threads, so
    /// events of different nodes interleave.
    Scanned { node: &'a Address, keys: u64 },
    /// Every scan has ended (sent once the scan phase is reached, even when
    /// there was nothing to scan).
    ScansDone,
}

/// One node as verify saw it.
#[derive(Debug, Clone)]
pub struct NodeReport {
    pub address: Address,
    pub role: String,
    pub version: String,
    pub dbsize: Option<u64>,
    /// Keys inspected on this node (primaries only).
    pub inspected: u64,
    /// How long this node's scan took (scans of primaries run in parallel,
    /// so the run takes about the longest of these, not their sum).
    pub scan_time: Duration,
    /// Why this node's results are missing or partial.
    pub error: Option<String>,
}

/// Everything a run found.
pub struct Report {
    pub target: String,
    pub flavour: Option<Flavour>,
    pub cluster: bool,
    pub coverage: Coverage,
    pub nodes: Vec<NodeReport>,
    pub owners: Vec<classify::Owner>,
    pub tally: Tally,
    pub config: Vec<config::ConfigRow>,
    pub runtime: Runtime,
    pub findings: Vec<Diagnostic>,
    /// Why results are partial; empty when the run covered everything asked.
    pub incomplete: Vec<String>,
    pub elapsed: Duration,
}

/// Counters read from `INFO` before the scan, summed over nodes.
#[derive(Debug, Clone, Default)]
pub struct Runtime {
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub evicted_keys: u64,
    pub oom_errors: u64,
    /// Slow log entries over the threshold: (command name, µs), slowest first.
    pub slow: Vec<(String, u64)>,
    pub slow_threshold_us: Option<u64>,
}

impl Runtime {
    pub fn hit_ratio(&self) -> Option<f64> {
        let total = self.keyspace_hits.saturating_add(self.keyspace_misses);
        (total > 0).then(|| self.keyspace_hits as f64 / total as f64)
    }
}

impl Report {
    /// 3 when results are incomplete, 1 with error findings, else 0.
    pub fn exit_code(&self) -> u8 {
        if !self.incomplete.is_empty() {
            3
        } else if self.findings.iter().any(|d| d.severity == Severity::Error) {
            1
        } else {
            0
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// Fewest lookups that make a hit ratio worth judging.
const MIN_LOOKUPS: u64 = 1000;

/// Runs every check. Never panics; a connection problem becomes an
/// `incomplete` reason and the report of what was seen. `progress` is
/// called from several threads while primaries are scanned.
pub fn run(policy: &Policy, options: &Options, progress: &(dyn Fn(Progress<'_>) + Sync)) -> Report {
    let started = Instant::now();
    let classifier = classify::Classifier::new(policy);
    let mut report = Report {
        target: options.target.display_url(),
        flavour: None,
        cluster: false,
        coverage: options.coverage,
        nodes: Vec::new(),
        owners: Vec::new(),
        tally: Tally::default(),
        config: Vec::new(),
        runtime: Runtime::default(),
        findings: Vec::new(),
        incomplete: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let classifier = match classifier {
        Ok(c) => c,
        Err(e) => {
            report.incomplete.push(e);
            return report;
        }
    };
    report.owners = classifier.owners.clone();
    report.tally = Tally::new(classifier.owners.len());
    let seed = &options.target.seed;
    let mut seed_conn = match open(seed, options) {
        Ok(c) => c,
        Err(e) => {
            report.incomplete.push(format!("could not connect: {e}"));
            report.elapsed = started.elapsed();
            return report;
        }
    };
    // Stats first, before anything else touches a key.
    let seed_facts = match node_facts(&mut seed_conn, policy) {
        Ok(f) => f,
        Err(e) => {
            report.incomplete.push(e.to_string());
            report.elapsed = started.elapsed();
            return report;
        }
    };
    report.cluster = seed_facts.cluster_enabled;
    report.flavour = Some(server::flavour(&seed_facts.info));
    let mut members: Vec<(Address, Option<ClusterNode>)> = Vec::new();
    let mut cluster_nodes = Vec::new();
    if seed_facts.cluster_enabled {
        match seed_conn.call(Command::ClusterNodes) {
            Ok(Reply::Bulk(text)) => {
                match server::parse_cluster_nodes(&String::from_utf8_lossy(&text)) {
                    Ok(nodes) => cluster_nodes = nodes,
                    Err(e) => report.incomplete.push(format!("{seed}: {e}")),
                }
            }
            Ok(other) => report.incomplete.push(format!(
                "{seed}: CLUSTER NODES was refused: {}",
                reply_text(&other)
            )),
            Err(e) => report.incomplete.push(e.to_string()),
        }
        for node in &cluster_nodes {
            members.push((node.address.clone(), Some(node.clone())));
        }
    }
    if members.is_empty() {
        members.push((seed.clone(), None));
    }
    mode_findings(policy, seed_facts.cluster_enabled, &mut report.findings);

    // Facts of every node (stats before any scan starts anywhere).
    let mut facts: Vec<NodeSlot> = Vec::new();
    let mut seed_slot = Some((seed_conn, seed_facts));
    for (address, node) in members {
        if let Some(n) = node.as_ref().filter(|n| !n.trouble().is_empty()) {
            // Failed nodes are reported by the topology check; connecting
            // would only wait for the timeout. A primary that still holds
            // slots is keys verify did not read: the run is incomplete.
            if n.is_master() && !n.slots.is_empty() {
                report.incomplete.push(format!(
                    "{address}: a primary flagged {} by the cluster; its keys were not scanned",
                    n.trouble().join(",")
                ));
            }
            report.nodes.push(NodeReport {
                address: address.clone(),
                role: role_of(node.as_ref()),
                version: String::new(),
                dbsize: None,
                inspected: 0,
                scan_time: Duration::ZERO,
                error: Some("flagged as failing by the cluster; not contacted".into()),
            });
            facts.push((address, node, None, None));
            continue;
        }
        let is_seed = node
            .as_ref()
            .is_none_or(|n| n.flags.iter().any(|f| f == "myself"))
            || (address == *seed);
        let opened = match (is_seed, seed_slot.take()) {
            (true, Some((conn, f))) => Ok((conn, f)),
            (_, slot) => {
                seed_slot = slot;
                open(&address, options).and_then(|mut c| {
                    let f = node_facts(&mut c, policy)?;
                    Ok((c, f))
                })
            }
        };
        match opened {
            Ok((conn, f)) => facts.push((address, node, Some(f), Some(conn))),
            Err(e) => {
                report.incomplete.push(e.to_string());
                report.nodes.push(NodeReport {
                    address: address.clone(),
                    role: role_of(node.as_ref()),
                    version: String::new(),
                    dbsize: None,
                    inspected: 0,
                    scan_time: Duration::ZERO,
                    error: Some(e.to_string()),
                });
                facts.push((address, node, None, None));
            }
        }
    }

    // Config and runtime, from the facts.
    let mut not_checkable = Vec::new();
    for (address, _, f, _) in &facts {
        let Some(f) = f else { continue };
        // Saturating: these numbers come from the server, which may be
        // hostile or broken; a wrap would turn a huge count into a small one.
        let r = &mut report.runtime;
        let info = |field| server::info_u64(&f.info, field).unwrap_or(0);
        r.keyspace_hits = r.keyspace_hits.saturating_add(info("keyspace_hits"));
        r.keyspace_misses = r.keyspace_misses.saturating_add(info("keyspace_misses"));
        r.evicted_keys = r.evicted_keys.saturating_add(info("evicted_keys"));
        r.oom_errors = r
            .oom_errors
            .saturating_add(server::error_count(&f.info, "OOM"));
        report.runtime.slow.extend(f.slow.iter().cloned());
        match &f.config {
            Ok(values) => report.config.extend(config::compare(
                policy,
                address,
                &server::flavour(&f.info),
                values,
            )),
            Err(why) => not_checkable.push(format!("{address} ({why})")),
        }
    }
    report.runtime.slow_threshold_us = slow_threshold_us(policy);
    report
        .runtime
        .slow
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    config::findings(policy, &report.config, &not_checkable, &mut report.findings);
    if report.cluster {
        topology_findings(policy, &cluster_nodes, &facts, &mut report.findings);
    }
    runtime_findings(policy, &report.runtime, &mut report.findings);

    // The keyspace: every reachable primary, in parallel.
    let thresholds = Thresholds {
        max_value_size: policy.keys.max_value_size.map(|m| m.bytes()),
    };
    let mut scans = Vec::new();
    for (address, node, f, conn) in facts {
        let role = f
            .as_ref()
            .map(|f| f.info.get("role").cloned().unwrap_or_default())
            .unwrap_or_else(|| role_of(node.as_ref()));
        let version = f
            .as_ref()
            .map(|f| server::flavour(&f.info).version)
            .unwrap_or_default();
        let dbsize = f.as_ref().and_then(|f| f.dbsize);
        let is_primary = match &node {
            Some(n) => n.is_master() && !n.slots.is_empty(),
            None => true,
        };
        if f.is_none() {
            continue;
        }
        report.nodes.push(NodeReport {
            address: address.clone(),
            role,
            version,
            dbsize,
            inspected: 0,
            scan_time: Duration::ZERO,
            error: None,
        });
        if is_primary && let Some(conn) = conn {
            let total = match options.coverage {
                Coverage::Full => dbsize.unwrap_or(0),
                Coverage::Sample(n) => n.min(dbsize.unwrap_or(n)),
            };
            progress(Progress::ScanPlanned {
                node: &address,
                keys: total,
            });
            scans.push((address, conn));
        }
    }
    let scanned: Vec<Address> = scans.iter().map(|(a, _)| a.clone()).collect();
    let results: Vec<Option<(Address, keyspace::NodeScan, Duration)>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = scans
                .into_iter()
                .map(|(address, mut conn)| {
                    let classifier = &classifier;
                    scope.spawn(move || {
                        let tick = |keys: u64| {
                            progress(Progress::Scanned {
                                node: &address,
                                keys,
                            })
                        };
                        let started = Instant::now();
                        let scan = keyspace::scan(
                            &mut conn,
                            classifier,
                            thresholds,
                            options.coverage,
                            batch_keys(options),
                            &tick,
                        );
                        (address, scan, started.elapsed())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().ok()).collect()
        });
    progress(Progress::ScansDone);
    for (i, result) in results.into_iter().enumerate() {
        // A scan thread that panicked is a bug, but its node must still be
        // reported as unscanned rather than silently missing.
        let Some((address, scan, took)) = result else {
            report.incomplete.push(format!(
                "{}: the scan failed unexpectedly (a cachegen bug; please report it)",
                scanned[i]
            ));
            continue;
        };
        report.tally.merge(&scan.tally);
        if let Some(node) = report.nodes.iter_mut().find(|n| n.address == address) {
            node.inspected = scan.tally.inspected;
            node.scan_time = took;
            if let Some(e) = &scan.error {
                node.error = Some(e.to_string());
            }
        }
        if let Some(e) = scan.error {
            report.incomplete.push(format!("scan stopped early: {e}"));
        }
    }
    keyspace_findings(policy, &report.owners, &report.tally, &mut report.findings);
    crate::diag::sort(&mut report.findings);
    report.elapsed = started.elapsed();
    report
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

fn role_of(node: Option<&ClusterNode>) -> String {
    match node {
        Some(n) if n.is_master() => "master".into(),
        Some(n) if n.is_replica() => "slave".into(),
        _ => "unknown".into(),
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

/// What one node told verify before the scan.
struct NodeFacts {
    info: Info,
    cluster_enabled: bool,
    dbsize: Option<u64>,
    /// `CONFIG GET` values, or why they could not be read.
    config: Result<BTreeMap<String, String>, String>,
    slow: Vec<(String, u64)>,
}

/// The INFO sections verify reads, merged. One pipelined round trip (INFO
/// with several sections needs Redis 7, so one command per section); `stats`
/// first, though no INFO counts as a keyspace hit anyway.
const INFO_SECTIONS: [&str; 5] = ["stats", "server", "replication", "errorstats", "cluster"];

fn read_info(conn: &mut Connection) -> Result<Info, ConnError> {
    for section in INFO_SECTIONS {
        conn.queue(Command::Info(section));
    }
    conn.flush(INFO_SECTIONS.len())?;
    let mut info = Info::new();
    for section in INFO_SECTIONS {
        match conn.recv()? {
            Reply::Bulk(text) => info.extend(server::parse_info(&String::from_utf8_lossy(&text))),
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
    Ok(info)
}

fn node_facts(conn: &mut Connection, policy: &Policy) -> Result<NodeFacts, ConnError> {
    let info = read_info(conn)?;
    let cluster_enabled = info.get("cluster_enabled").is_some_and(|v| v == "1");
    let dbsize = conn
        .call(Command::Dbsize)?
        .as_int()
        .map(|n| n.max(0) as u64);
    let flavour = server::flavour(&info);
    let config = config::read(conn, policy, flavour.redis_compat)?;
    let slow = slowlog(conn, slow_threshold_us(policy))?;
    Ok(NodeFacts {
        info,
        cluster_enabled,
        dbsize,
        config,
        slow,
    })
}

fn slow_threshold_us(policy: &Policy) -> Option<u64> {
    policy
        .targets
        .as_ref()
        .and_then(|t| t.cached_latency)
        .or(policy.redis.slowlog_log_slower_than)
        .map(|d| d.as_micros())
}

/// Slow log entries over the threshold, as (command name, µs). Arguments are
/// never kept: they may hold values or secrets.
fn slowlog(
    conn: &mut Connection,
    threshold_us: Option<u64>,
) -> Result<Vec<(String, u64)>, ConnError> {
    let Some(threshold) = threshold_us else {
        return Ok(Vec::new());
    };
    let Reply::Array(entries) = conn.call(Command::SlowlogGet(128))? else {
        // Refused by an ACL or a managed service: nothing to judge.
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in entries {
        let Reply::Array(fields) = entry else {
            continue;
        };
        let duration = fields.get(2).and_then(Reply::as_int).unwrap_or(0).max(0) as u64;
        let name = match fields.get(3) {
            Some(Reply::Array(args)) => args
                .first()
                .and_then(Reply::as_text)
                .unwrap_or_default()
                .to_ascii_uppercase(),
            _ => String::new(),
        };
        let client = fields.get(5).and_then(Reply::as_text).unwrap_or_default();
        if duration > threshold && client != "cachegen-verify" {
            out.push((
                target::printable(&name).chars().take(40).collect(),
                duration,
            ));
        }
    }
    Ok(out)
}

fn mode_findings(policy: &Policy, server_cluster: bool, findings: &mut Vec<Diagnostic>) {
    match (policy.is_cluster(), server_cluster) {
        (true, false) => findings.push(
            Diagnostic::new(
                codes::SERVER_MODE_MISMATCH,
                "the policy declares a Redis Cluster, but the server is a single node (cluster_enabled:0)",
            )
            .with_span(policy.key_span("/cluster"), "declared here")
            .with_help("point --redis at a cluster node, or remove `cluster` from the policy"),
        ),
        (false, true) => findings.push(
            Diagnostic::new(
                codes::SERVER_MODE_MISMATCH,
                "the server is a Redis Cluster node, but the policy declares no `cluster`",
            )
            .with_span(policy.key_span("/redis"), "single-node policy")
            .with_help("key shapes differ in a cluster (hash tags); add a `cluster` section"),
        ),
        _ => {}
    }
}

type NodeSlot = (
    Address,
    Option<ClusterNode>,
    Option<NodeFacts>,
    Option<Connection>,
);

fn topology_findings(
    policy: &Policy,
    nodes: &[ClusterNode],
    facts: &[NodeSlot],
    findings: &mut Vec<Diagnostic>,
) {
    let Some(cluster) = &policy.cluster else {
        return;
    };
    let masters: Vec<&ClusterNode> = nodes
        .iter()
        .filter(|n| n.is_master() && !n.slots.is_empty())
        .collect();
    if masters.len() as u32 != cluster.masters {
        findings.push(
            Diagnostic::new(
                codes::MASTER_COUNT_MISMATCH,
                format!(
                    "the cluster has {} masters serving slots; the policy declares {}",
                    masters.len(),
                    cluster.masters
                ),
            )
            .with_span(policy.span("/cluster", "masters"), "declared here"),
        );
    }
    for master in &masters {
        let replicas: Vec<&ClusterNode> = nodes
            .iter()
            .filter(|n| n.is_replica() && n.master_id.as_deref() == Some(master.id.as_str()))
            .collect();
        let healthy = replicas.iter().filter(|r| r.trouble().is_empty()).count() as u32;
        if healthy != cluster.replicas_per_master {
            findings.push(
                Diagnostic::new(
                    codes::REPLICA_COUNT_MISMATCH,
                    format!(
                        "master {} has {healthy} healthy replicas ({} listed); the policy declares {}",
                        master.address,
                        replicas.len(),
                        cluster.replicas_per_master
                    ),
                )
                .with_span(policy.span("/cluster", "replicas_per_master"), "declared here"),
            );
        }
        for replica in replicas {
            if replica.address.host == master.address.host {
                let loopback = server::is_loopback(&master.address.host);
                let mut d = Diagnostic::new(
                    codes::REPLICA_SHARES_HOST,
                    format!(
                        "master {} and its replica {} run on the same host{}",
                        master.address,
                        replica.address,
                        if loopback {
                            " (loopback: a test cluster)"
                        } else {
                            ""
                        }
                    ),
                )
                .with_span(
                    policy.span("/cluster", "replicas_per_master"),
                    "replicas declared here",
                )
                .with_help("schedule replicas away from their master (anti-affinity)");
                if loopback {
                    d = d.with_severity(Severity::Warning);
                }
                findings.push(d);
            }
        }
    }
    let uncovered = server::uncovered_slots(nodes);
    if uncovered > 0 {
        findings.push(
            Diagnostic::new(
                codes::SLOTS_NOT_COVERED,
                format!("{uncovered} of 16384 hash slots are served by no healthy master"),
            )
            .with_span(policy.key_span("/cluster"), "cluster declared here"),
        );
    }
    for node in nodes {
        let trouble = node.trouble();
        if !trouble.is_empty() || !node.link_connected {
            let why = if trouble.is_empty() {
                "its cluster bus link is disconnected".to_owned()
            } else {
                format!("it is flagged {}", trouble.join(","))
            };
            findings.push(
                Diagnostic::new(
                    codes::NODE_UNHEALTHY,
                    format!(
                        "cluster node {} ({}) is unhealthy: {why}",
                        node.address,
                        role_of(Some(node))
                    ),
                )
                .with_span(policy.key_span("/cluster"), "cluster declared here"),
            );
        }
    }
    for (address, node, f, _) in facts {
        let (Some(node), Some(f)) = (node, f) else {
            continue;
        };
        if node.is_replica() {
            let status = f
                .info
                .get("master_link_status")
                .map(String::as_str)
                .unwrap_or("unknown");
            if status != "up" {
                findings.push(
                    Diagnostic::new(
                        codes::REPLICA_LINK_DOWN,
                        format!(
                            "replica {address} reports master_link_status:{}",
                            target::printable(status)
                        ),
                    )
                    .with_span(
                        policy.span("/cluster", "replicas_per_master"),
                        "replicas declared here",
                    ),
                );
            }
        }
    }
}

fn runtime_findings(policy: &Policy, runtime: &Runtime, findings: &mut Vec<Diagnostic>) {
    if let Some(target) = policy.targets.as_ref().and_then(|t| t.redis_hit_ratio) {
        let span = policy.span("/targets", "redis_hit_ratio");
        let lookups = runtime
            .keyspace_hits
            .saturating_add(runtime.keyspace_misses);
        let target_ratio = f64::from(target.basis_points()) / 10_000.0;
        if lookups < MIN_LOOKUPS {
            findings.push(
                Diagnostic::new(
                    codes::HIT_RATIO_NOT_MEASURABLE,
                    format!("only {lookups} lookups since the last restart or CONFIG RESETSTAT; the hit ratio is not judged"),
                )
                .with_span(span, "target"),
            );
        } else if let Some(ratio) = runtime.hit_ratio()
            && ratio < target_ratio
        {
            findings.push(
                Diagnostic::new(
                    codes::HIT_RATIO_BELOW_TARGET,
                    format!(
                        "the keyspace hit ratio is {:.1}% ({} hits, {} misses); the target is {:.1}%",
                        ratio * 100.0,
                        runtime.keyspace_hits,
                        runtime.keyspace_misses,
                        target_ratio * 100.0
                    ),
                )
                .with_span(span, "target")
                .with_help("read before verify touched any key; check TTLs that are too short and warming"),
            );
        }
    }
    if runtime.evicted_keys > 0 {
        let durable = policy.keys.durable_patterns();
        let allkeys = matches!(
            policy.redis.maxmemory_policy,
            EvictionPolicy::AllkeysLru | EvictionPolicy::AllkeysLfu | EvictionPolicy::AllkeysRandom
        );
        let volatile_exposed: Vec<&str> = durable
            .iter()
            .filter(|p| matches!(p.ttl, Ttl::Expires { .. }))
            .map(|p| p.name.as_str())
            .collect();
        let severity = if allkeys && !durable.is_empty() {
            Some(Severity::Error)
        } else if !allkeys
            && policy.redis.maxmemory_policy != EvictionPolicy::Noeviction
            && !volatile_exposed.is_empty()
        {
            Some(Severity::Warning)
        } else {
            None
        };
        if let Some(severity) = severity {
            let names: Vec<&str> = if allkeys {
                durable.iter().map(|p| p.name.as_str()).collect()
            } else {
                volatile_exposed
            };
            findings.push(
                Diagnostic::new(
                    codes::EVICTIONS_WITH_DURABLE_DATA,
                    format!(
                        "{} keys were evicted, and durable patterns can be among them: {}",
                        runtime.evicted_keys,
                        names.join(", ")
                    ),
                )
                .with_severity(severity)
                .with_span(policy.span("/redis", "maxmemory_policy"), "eviction policy")
                .with_help(
                    "raise maxmemory, or keep durable data out of the eviction policy's reach",
                ),
            );
        }
    }
    if runtime.oom_errors > 0 {
        findings.push(
            Diagnostic::new(
                codes::OOM_REJECTIONS,
                format!("{} commands were refused with OOM since the last restart", runtime.oom_errors),
            )
            .with_span(policy.span("/redis", "maxmemory"), "memory limit")
            .with_help("memory is full of keys the eviction policy may not evict: check durable and TTL-less keys"),
        );
    }
    if let (Some(threshold), false) = (runtime.slow_threshold_us, runtime.slow.is_empty()) {
        let mut by_name: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for (name, us) in &runtime.slow {
            let e = by_name.entry(name).or_default();
            e.0 += 1;
            e.1 = e.1.max(*us);
        }
        let mut top: Vec<(&str, (u64, u64))> = by_name.into_iter().collect();
        top.sort_by(|a, b| b.1.1.cmp(&a.1.1).then_with(|| a.0.cmp(b.0)));
        let list: Vec<String> = top
            .iter()
            .take(5)
            .map(|(n, (count, max))| format!("{n} ×{count} (max {})", micros(*max)))
            .collect();
        let span = if policy
            .targets
            .as_ref()
            .and_then(|t| t.cached_latency)
            .is_some()
        {
            policy.span("/targets", "cached_latency")
        } else {
            policy.span("/redis/slowlog", "log_slower_than")
        };
        findings.push(
            Diagnostic::new(
                codes::SLOW_COMMANDS,
                format!(
                    "{} slow log entries are over {}: {}",
                    runtime.slow.len(),
                    micros(threshold),
                    list.join(", ")
                ),
            )
            .with_span(span, "latency threshold"),
        );
    }
}

fn micros(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{:.1}s", us as f64 / 1e6)
    } else if us >= 1000 {
        format!("{:.1}ms", us as f64 / 1e3)
    } else {
        format!("{us}µs")
    }
}

/// `1782000` ms → `29m42s` (the policy's own duration spelling).
pub fn millis(ms: u64) -> String {
    crate::load::units::Duration::from_micros(ms.saturating_mul(1000)).to_string()
}

fn examples(hits: &keyspace::Hits) -> String {
    if hits.examples.is_empty() {
        String::new()
    } else {
        format!("e.g. {}", hits.examples.join(", "))
    }
}

fn keyspace_findings(
    policy: &Policy,
    owners: &[classify::Owner],
    tally: &Tally,
    findings: &mut Vec<Diagnostic>,
) {
    for (owner, t) in owners.iter().zip(&tally.owners) {
        let at = |field: &str| {
            policy
                .written_span(&owner.pointer, field)
                .unwrap_or_else(|| policy.key_span(&owner.pointer))
        };
        let of = |n: u64| format!("{n} of {} `{}` keys", t.keys, owner.label);
        // A lock's TTL is written in its `stampede_lock`, a pattern's in `ttl`.
        let ttl_field = if owner.field == "stampede_lock" {
            "stampede_lock"
        } else {
            "ttl"
        };
        if t.missing_ttl.count > 0 {
            findings.push(
                Diagnostic::new(
                    codes::MISSING_TTL,
                    format!(
                        "{} have no TTL; at most {} is allowed",
                        of(t.missing_ttl.count),
                        millis(t.missing_ttl.worst)
                    ),
                )
                .with_span(at(ttl_field), "TTL required")
                .with_help(examples(&t.missing_ttl)),
            );
        }
        if t.ttl_above_max.count > 0 {
            let max = owner.ttl_max_ms.unwrap_or(0);
            findings.push(
                Diagnostic::new(
                    codes::TTL_ABOVE_MAX,
                    format!(
                        "{} have a TTL above the allowed {} (up to {})",
                        of(t.ttl_above_max.count),
                        millis(max),
                        millis(t.ttl_above_max.worst)
                    ),
                )
                .with_span(at(ttl_field), "allowed TTL")
                .with_help(format!(
                    "{}; the bound includes jitter and the authenticated cap",
                    examples(&t.ttl_above_max)
                )),
            );
        }
        if t.durable_with_ttl.count > 0 {
            findings.push(
                Diagnostic::new(
                    codes::DURABLE_KEY_WITH_TTL,
                    format!(
                        "{} carry a TTL, but the pattern is durable and must not expire",
                        of(t.durable_with_ttl.count)
                    ),
                )
                .with_span(at("durable"), "durable")
                .with_help(examples(&t.durable_with_ttl)),
            );
        }
        let mut wrong: Vec<(&String, &keyspace::Hits)> = t.wrong_type.iter().collect();
        wrong.sort_by(|a, b| a.0.cmp(b.0));
        for (found, hits) in wrong {
            findings.push(
                Diagnostic::new(
                    codes::WRONG_VALUE_TYPE,
                    format!(
                        "{} are a {found}; the policy declares {}",
                        of(hits.count),
                        owner.value_type
                    ),
                )
                .with_span(at("type"), "declared type")
                .with_help(examples(hits)),
            );
        }
        if t.too_large.count > 0 {
            findings.push(
                Diagnostic::new(
                    codes::VALUE_TOO_LARGE,
                    format!(
                        "{} are over keys.max_value_size (largest {} bytes)",
                        of(t.too_large.count),
                        t.too_large.worst
                    ),
                )
                .with_span(policy.span("/keys", "max_value_size"), "size threshold")
                .with_help(examples(&t.too_large)),
            );
        }
        if t.not_compressed.count > 0 {
            findings.push(
                Diagnostic::new(
                    codes::VALUE_NOT_COMPRESSED,
                    format!(
                        "{} are stored uncompressed above compress_above (largest {} bytes)",
                        of(t.not_compressed.count),
                        t.not_compressed.worst
                    ),
                )
                .with_span(at("compress_above"), "compression threshold")
                .with_help(examples(&t.not_compressed)),
            );
        }
    }
    if tally.old_version.count > 0 {
        findings.push(
            Diagnostic::new(
                codes::OLD_VERSION_KEYS,
                format!(
                    "{} keys carry an old version prefix ({} bytes)",
                    tally.old_version.count, tally.old_version_memory
                ),
            )
            .with_span(policy.span("/keys", "previous_prefixes"), "old prefixes")
            .with_help(format!(
                "{}; they are read by nothing",
                examples(&tally.old_version)
            )),
        );
    }
    if tally.unknown > 0 {
        let mut top: Vec<String> = tally
            .top_prefixes(5)
            .into_iter()
            .map(|(p, n)| format!("{p} ({n})"))
            .collect();
        if tally.unknown_other > 0 {
            top.push(format!("other ({})", tally.unknown_other));
        }
        findings.push(
            Diagnostic::new(
                codes::UNKNOWN_KEYS,
                format!(
                    "{} keys ({} bytes) match no declared pattern; most common prefixes: {}",
                    tally.unknown,
                    tally.unknown_memory,
                    top.join(", ")
                ),
            )
            .with_span(policy.key_span("/keys/patterns"), "declared patterns")
            .with_help("declare them, or find the writer and stop it"),
        );
    }
}
