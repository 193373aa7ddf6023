//! Owns `cachegen verify`: a live Redis or Redis Cluster checked against the
//! validated policy model. The only module that talks to the network.
//!
//! A run gathers, then judges:
//! - `gather` talks to the servers, in a fixed order (connect, discover, INFO
//!   stats of every node before any key is touched, CONFIG GET, slow log,
//!   the hit-ratio window, then every primary scanned in parallel), and
//!   returns the plain facts of `observed`. It and the modules it drives
//!   (`conn`, `resp`, `target`, `server`, `window`, `keyspace`, `classify`,
//!   `replicas`, `config_get`) are the only code with sockets;
//! - `judge` turns those facts into `Diagnostic`s with CG4xx codes, one pure
//!   function per concern (mode, config, topology, replicas, runtime,
//!   keyspace, ...);
//! - `run` assembles the `Report` (`outcome`) that `report` prints. With
//!   Sentinels (`sentinel`), it asks them first, verifies the primary they
//!   all name, and asks again at the end to catch a failover.
//!
//! Nothing here panics on what a server sends, and nothing can write to it
//! (`conn::Command` has no writing variant). Nothing here draws either:
//! progress is reported through a callback, and the binary draws it.

pub mod allow;
pub mod classify;
pub mod config_get;
pub mod conn;
pub mod gather;
pub mod judge;
pub mod keyspace;
mod latency;
pub mod observed;
pub mod outcome;
pub mod probe;
pub mod replicas;
pub mod report;
pub mod resp;
pub mod sentinel;
pub mod server;
pub mod stop;
pub mod target;
pub mod tls;
mod via_sentinels;
pub mod window;

pub use outcome::{
    NodeReport, ReplicaLink, Report, RunReport, Runtime, ScanState, SentinelRow, StoreReport,
};

use crate::policy::model::{Policy, Store};
use conn::{Limits, Tls};
use keyspace::Coverage;
use observed::Observed;
use std::time::{Duration, Instant};
use target::{Address, Target};

/// How to run.
pub struct Options {
    /// The store of the policy the target is (a key of `Policy::stores`).
    pub store: String,
    pub target: Target,
    pub tls: Option<Tls>,
    /// The hosts announced nodes may be on (the seed's network and
    /// `--allow-hosts`): no other host is contacted.
    pub allow: allow::AllowHosts,
    pub limits: Limits,
    pub coverage: Coverage,
    /// SCAN COUNT (clamped to 1000).
    pub scan_count: u32,
    /// How long the hit ratio is measured for, before any key is touched;
    /// zero skips it.
    pub window: Duration,
    /// Also read every directive (`CONFIG GET *`) and note the ones the
    /// policy does not set that differ from the release's default.
    pub unmanaged: bool,
    /// The port a TLS store's forgotten plain-text listener would have
    /// (`--plain-port`, default 6379): probed on each node's host when the
    /// store declares TLS without `plain_port`.
    pub plain_port: u16,
    /// The store's Sentinels (`--sentinel`, `redis+sentinel://`): the
    /// primary verified is the one they name, not `target.seed`, whose
    /// login, TLS and database are used.
    pub sentinels: Option<sentinel::Sentinels>,
}

impl Options {
    /// The store verified (the first, for a name the policy lacks: the
    /// caller checks names before it builds options).
    pub fn store_of<'p>(&self, policy: &'p Policy) -> &'p Store {
        policy
            .stores
            .get(&self.store)
            .unwrap_or_else(|| policy.first_store())
    }
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

/// Runs every check. Never panics; a connection problem becomes an
/// `incomplete` reason and the report of what was seen. `progress` is
/// called from several threads while primaries are scanned.
///
/// With Sentinels, they are asked first, the primary they all name is
/// verified as a `--redis` node would be, and they are asked again at the
/// end: a primary that changed meanwhile (a failover) makes the report
/// incomplete, naming both, so no verdict stands on a node that is no
/// longer the primary.
pub fn run(policy: &Policy, options: &Options, progress: &(dyn Fn(Progress<'_>) + Sync)) -> Report {
    let started = Instant::now();
    let Some(sentinels) = &options.sentinels else {
        let observed = gather::gather(policy, options, progress);
        let findings = judge::all(policy, &observed);
        return report(policy, options, observed, findings, Vec::new(), started);
    };
    via_sentinels::run(policy, options, sentinels, progress, started)
}

/// The report of a run: what `gather` observed and the judges found.
fn report(
    policy: &Policy,
    options: &Options,
    observed: Observed,
    mut findings: Vec<crate::diag::Diagnostic>,
    sentinels: Vec<SentinelRow>,
    started: Instant,
) -> Report {
    crate::diag::sort(&mut findings);
    let config = judge::config::rows(policy, &observed);
    let config_unchecked = judge::config::unchecked_directives(policy, &observed, &config);
    Report {
        target: options.target.display_url(),
        flavour: observed.seed.as_ref().map(|s| s.flavour.clone()),
        cluster: observed.seed.as_ref().is_some_and(|s| s.cluster_enabled),
        coverage: options.coverage,
        nodes: node_reports(&observed),
        sentinels,
        tally: observed.tally(),
        config,
        config_unchecked,
        runtime: judge::runtime::counters(&observed),
        findings,
        owners: observed.owners,
        incomplete: observed.incomplete,
        elapsed: started.elapsed(),
    }
}

/// A replica's link from its `INFO replication`; `None` for a primary.
fn replica_link(info: &server::Info) -> Option<ReplicaLink> {
    if !replicas::is_replica(info) {
        return None;
    }
    let field = |name: &str| target::printable(info.get(name).map_or("unknown", String::as_str));
    Some(ReplicaLink {
        primary: format!("{}:{}", field("master_host"), field("master_port")),
        link: field("master_link_status"),
        last_io_seconds: info
            .get("master_last_io_seconds_ago")
            .and_then(|v| v.parse().ok()),
    })
}

/// One row per node: those verify could not read first, then the ones it
/// read, each group in discovery order (the order the report has always
/// listed them in).
fn node_reports(observed: &Observed) -> Vec<NodeReport> {
    let (unread, read): (Vec<_>, Vec<_>) = observed.nodes.iter().partition(|n| n.facts.is_none());
    unread
        .into_iter()
        .chain(read)
        .map(|n| NodeReport {
            address: n.address.clone(),
            role: n.role(),
            version: n
                .facts
                .as_ref()
                .map(|f| server::flavour(&f.info).version)
                .unwrap_or_default(),
            dbsize: n.facts.as_ref().and_then(|f| f.dbsize),
            inspected: n.scan.as_ref().map_or(0, |s| s.tally.inspected),
            scan_time: n.scan.as_ref().map_or(Duration::ZERO, |s| s.took),
            error: n.error.clone(),
            scan: match &n.scan {
                Some(s) if s.stopped_early => ScanState::StoppedEarly,
                Some(_) => ScanState::Complete,
                None if n.is_primary() => ScanState::NotScanned,
                None => ScanState::NotPrimary,
            },
            no_touch: n.no_touch.clone(),
            replica_of: n.facts.as_ref().and_then(|f| replica_link(&f.info)),
        })
        .collect()
}
