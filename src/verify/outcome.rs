//! Owns what a verify run reports: the `Report` the output formats print and
//! its exit code. Built by `verify::run` from the observed facts and the
//! judges' findings; nothing here talks to a server or judges anything.

use super::classify::Owner;
use super::judge::config::ConfigRow;
use super::keyspace::{Coverage, Tally};
use super::observed::{NoTouch, SlowEntry};
use super::server::Flavour;
use super::target::Address;
use super::window::HitWindow;
use crate::diag::{Diagnostic, Severity};
use std::time::Duration;

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
    /// Whether its keys were read, and how far.
    pub scan: ScanState,
    /// Whether its reads left the keys' LRU/LFU alone.
    pub no_touch: NoTouch,
    /// A replica's link to its primary, as it reports it; `None` for a
    /// primary or a node not read.
    pub replica_of: Option<ReplicaLink>,
}

/// A replica's link as its `INFO replication` reports it; every text from
/// the server, escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaLink {
    /// `master_host:master_port`.
    pub primary: String,
    /// `master_link_status` (`up`, `down`).
    pub link: String,
    /// `master_last_io_seconds_ago` (`-1` while the link is down).
    pub last_io_seconds: Option<i64>,
}

/// One Sentinel as verify saw it (`verify --sentinel`): what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelRow {
    pub address: Address,
    /// The primary it names (`None`: none, or it did not answer).
    pub primary: Option<Address>,
    /// Its quorum and the other Sentinels it sees, as it reports them.
    pub quorum: Option<String>,
    pub others: Option<String>,
    /// Why it could not be asked, or that it does not know the master.
    pub error: Option<String>,
}

/// How far verify read one node's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanState {
    /// A replica: its keys are read on its primary.
    NotPrimary,
    /// A primary whose keys were not read (it was not reached, or its scan
    /// could not run).
    NotScanned,
    /// Scanned to the end, or to the sample size.
    Complete,
    /// The scan started but ended early (the node died, hung or failed over).
    StoppedEarly,
}

/// Everything a run found.
pub struct Report {
    pub target: String,
    pub flavour: Option<Flavour>,
    pub cluster: bool,
    pub coverage: Coverage,
    pub nodes: Vec<NodeReport>,
    /// The Sentinels asked, in the order given (empty without
    /// `--sentinel`).
    pub sentinels: Vec<SentinelRow>,
    pub owners: Vec<Owner>,
    pub tally: Tally,
    pub config: Vec<ConfigRow>,
    /// Managed directives neither `CONFIG GET` nor `INFO` gave, each with
    /// why (the CG403 note's list); empty when `CONFIG GET` was read.
    pub config_unchecked: Vec<(&'static str, &'static str)>,
    pub runtime: Runtime,
    pub findings: Vec<Diagnostic>,
    /// Why results are partial; empty when the run covered everything asked.
    pub incomplete: Vec<String>,
    pub elapsed: Duration,
}

/// Counters read from `INFO` before the scan, summed over nodes.
#[derive(Debug, Clone, Default)]
pub struct Runtime {
    /// Lookups over the `--window` before the scan, the hit ratio's only
    /// source (lifetime counters include earlier runs' reads).
    pub window: HitWindow,
    /// The window asked for (`--window`).
    pub window_asked: Duration,
    pub evicted_keys: u64,
    pub oom_errors: u64,
    /// Slow log entries over the threshold, slowest first.
    pub slow: Vec<SlowEntry>,
    pub slow_threshold_us: Option<u64>,
    /// Nodes whose latencies were not judged (threshold set, no p99
    /// reported) and why: CG436.
    pub latency_unchecked: Vec<(String, String)>,
    /// Counters a node sent that are not numbers (not counted as zero).
    pub not_numeric: Vec<NotNumeric>,
}

/// One `INFO` counter that is not an unsigned 64-bit number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotNumeric {
    pub node: String,
    pub field: String,
    /// The value, escaped and cut to 40 characters.
    pub value: String,
}

impl Runtime {
    /// Whether every node's hits and misses were numbers when first read:
    /// otherwise no ratio is computed (a missing miss count would read as
    /// 100%), and CG435 says why.
    pub fn hit_ratio_readable(&self) -> bool {
        !self
            .not_numeric
            .iter()
            .any(|n| n.field == "keyspace_hits" || n.field == "keyspace_misses")
    }

    /// The ratio over the window; `None` when not measured or no lookups.
    pub fn hit_ratio(&self) -> Option<f64> {
        if !self.hit_ratio_readable() {
            return None;
        }
        self.window.ratio()
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

    /// Primaries by how far their keys were read: (complete, stopped early,
    /// not scanned).
    pub fn primaries(&self) -> (usize, usize, usize) {
        let count = |state| self.nodes.iter().filter(|n| n.scan == state).count();
        (
            count(ScanState::Complete),
            count(ScanState::StoppedEarly),
            count(ScanState::NotScanned),
        )
    }

    /// Whether the scans' reads left the keys' LRU/LFU alone, for the human
    /// report; `None` when nothing was scanned.
    pub fn no_touch_text(&self) -> Option<String> {
        let scanned: Vec<&NodeReport> = self
            .nodes
            .iter()
            .filter(|n| n.no_touch != NoTouch::NotScanned)
            .collect();
        let on = scanned.iter().filter(|n| n.no_touch == NoTouch::On).count();
        if scanned.is_empty() {
            return None;
        }
        if on == scanned.len() {
            return Some(
                "CLIENT NO-TOUCH on every scanned node: LRU/LFU left as the application set them"
                    .into(),
            );
        }
        let mut parts = Vec::new();
        if on > 0 {
            parts.push(format!(
                "CLIENT NO-TOUCH on {on} of {} scanned nodes",
                scanned.len()
            ));
        }
        let lacking = scanned
            .iter()
            .filter(|n| n.no_touch == NoTouch::NotAvailable)
            .count();
        if lacking > 0 {
            let version = self.flavour.as_ref().map_or(String::new(), |f| {
                format!(" ({} {})", f.engine.name(), f.version)
            });
            parts.push(format!(
                "{lacking} scanned node{} without CLIENT NO-TOUCH{version}, which Redis has from 7.2: the reads updated their keys' LRU/LFU",
                if lacking == 1 { "" } else { "s" }
            ));
        }
        for n in &scanned {
            if let NoTouch::Refused(why) = &n.no_touch {
                parts.push(format!(
                    "{} refused CLIENT NO-TOUCH ({why}; grant +client|no-touch): its reads updated LRU/LFU",
                    n.address
                ));
            }
        }
        Some(parts.join("; "))
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// One store of the policy in a run: its report, or `None` when no URL was
/// given for it (it was not verified, which is no failure).
pub struct StoreReport {
    pub store: String,
    pub report: Option<Report>,
}

/// A whole verify run: every store of the policy, in policy order, verified
/// one after another under one deadline.
pub struct RunReport {
    pub stores: Vec<StoreReport>,
}

impl RunReport {
    /// The worst of the verified stores' exit codes (3 incomplete > 1
    /// violations > 0 conforms); stores not verified do not count.
    pub fn exit_code(&self) -> u8 {
        self.verified().map(Report::exit_code).max().unwrap_or(0)
    }

    /// The reports of the stores that were verified.
    pub fn verified(&self) -> impl Iterator<Item = &Report> {
        self.stores.iter().filter_map(|s| s.report.as_ref())
    }
}
