//! Owns the plain facts a verify run observed: what every node answered, the
//! cluster as the seed saw it, and what each primary's scan tallied.
//!
//! `gather` fills these in and is the only part that talks to servers; the
//! judges read them and never do. Keeping the facts plain data (no
//! connections, no diagnostics) is what lets every judge be unit-tested with
//! an `Observed` built by hand.

use super::classify::Owner;
use super::keyspace::Tally;
use super::replicas::Replication;
use super::server::{self, ClusterNode, Flavour, Info};
use super::target::Address;
use super::window::NodeWindow;
use std::collections::BTreeMap;
use std::time::Duration;

/// Everything one run saw, in the order it saw it.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The name of the store verified (a key of `Policy::stores`).
    pub store: String,
    /// What the seed node said about the server. `None` when the run stopped
    /// before the seed answered (no connection, `INFO` refused, or the
    /// policy's keys could not be compiled); then nothing is judged.
    pub seed: Option<Seed>,
    /// `CLUSTER NODES` as the seed reported it; empty outside a cluster or
    /// when it could not be read (then `incomplete` says why).
    pub cluster_nodes: Vec<ClusterNode>,
    /// Every node verify knows of, in discovery order (`CLUSTER NODES`
    /// order, or the seed alone).
    pub nodes: Vec<ObservedNode>,
    /// The key owners the scan tallies are indexed by (the policy's
    /// patterns, tag sets, locks and old prefixes, from `classify`).
    pub owners: Vec<Owner>,
    /// Commands are judged by their p99 against this many µs (the policy's
    /// `targets.cached_latency`, else its slow log threshold); `None`: the
    /// latencies were not read.
    pub slow_threshold_us: Option<u64>,
    /// Why results are partial, in the order it happened; empty when the
    /// run covered everything asked.
    pub incomplete: Vec<String>,
    /// Announced nodes verify did not contact because their host is not
    /// allowed (`allow`): no connection, no credentials sent.
    pub not_allowed: Vec<Address>,
    /// What was wrong with the seed's node list itself.
    pub node_list: NodeList,
    /// The hit-ratio window asked for (`--window`); zero: not measured.
    pub window_asked: Duration,
    /// Outside a cluster: the primary and replicas found from the seed;
    /// `None` in a cluster or before the seed answered.
    pub replication: Option<Replication>,
}

/// Oddities of `CLUSTER NODES` no real cluster has: the same address
/// listed again, or more nodes than a cluster can hold. Duplicates are
/// dropped and the list is cut at `gather::MAX_NODES`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeList {
    /// Lines whose address an earlier line already had.
    pub duplicates: usize,
    /// Distinct nodes listed, before the cut.
    pub listed: usize,
    /// Distinct nodes dropped beyond the cap.
    pub dropped: usize,
}

/// The server as the seed node describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    pub flavour: Flavour,
    /// `INFO cluster` says `cluster_enabled:1`.
    pub cluster_enabled: bool,
}

/// One node and what verify learned from it.
#[derive(Debug, Clone)]
pub struct ObservedNode {
    pub address: Address,
    /// The node's line in `CLUSTER NODES`; `None` for a single node.
    pub cluster: Option<ClusterNode>,
    /// Outside a cluster: a replica of the primary verify read, whose keys
    /// are read there (`replicas`), so it is not scanned.
    pub standalone_replica: bool,
    /// What the node answered before any key was touched anywhere; `None`
    /// when it was not contacted or the connection failed (`error` says why).
    pub facts: Option<NodeFacts>,
    /// This primary's scan; `None` for replicas, unreached nodes, and a scan
    /// that died (the run is then incomplete).
    pub scan: Option<ScannedNode>,
    /// Why this node's results are missing or partial.
    pub error: Option<String>,
    /// Its lookups over the hit-ratio window, or why there are none; `None`
    /// when no window was read (`--window 0s`, or the node never answered).
    pub window: Option<Result<NodeWindow, String>>,
    /// Whether its scan connection said `CLIENT NO-TOUCH ON`.
    pub no_touch: NoTouch,
}

/// Whether a scanned node's LRU/LFU was left alone by verify's reads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NoTouch {
    /// Not scanned, so nothing to leave alone.
    #[default]
    NotScanned,
    /// `CLIENT NO-TOUCH ON` was accepted before the first key was read.
    On,
    /// The server has no `CLIENT NO-TOUCH` (Redis before 7.2): reads update
    /// the keys' access time and frequency.
    NotAvailable,
    /// The server has it but refused it (an ACL without
    /// `+client|no-touch`): the reply, escaped.
    Refused(String),
}
#[derive(Debug, Clone)]
pub struct NodeFacts {
    /// `INFO` stats, server, replication, errorstats and cluster, merged.
    pub info: Info,
    pub dbsize: Option<u64>,
    /// `CONFIG GET` of every managed directive (lower-case names), or why
    /// it was not read (then `info` also holds the sections the judge
    /// falls back on: memory, persistence, clients).
    pub config: Result<BTreeMap<String, String>, ConfigUnread>,
    /// With `--unmanaged`: `CONFIG GET *` (lower-case names), secrets and
    /// directives no release's facts know already dropped, or why it was
    /// not read; `None` when not asked for.
    pub all_config: Option<Result<BTreeMap<String, String>, ConfigUnread>>,
    /// What the access probes saw on this node.
    pub probes: Probes,
    /// Each command's p99 latency (`INFO latencystats`); empty when the
    /// policy sets no threshold, `Err(why)` when one is set and the node
    /// reports no p99 (CG436).
    pub slow: Result<Vec<SlowEntry>, String>,
}

/// Why `CONFIG GET` did not give a node's directives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigUnread {
    /// The store denies `CONFIG GET` to the verifier
    /// (`Store::verifier_may_config_get`): it was never sent.
    NotAllowed,
    /// Sent and refused (NOPERM, or an unknown command where it is renamed
    /// or disabled): the server's reply, escaped.
    Refused(String),
}

/// What one node answered to verify's access probes. `None`: not probed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Probes {
    /// `PING` on a fresh connection that never authenticated.
    pub anonymous: Option<Answer>,
    /// Commands outside the verifier's list (`ECHO`, `GET`, and `CONFIG GET
    /// maxmemory` where the store withholds `config|get`) on verify's own
    /// authenticated connection, each with how a report names it; empty
    /// when verify is `default` (not probed).
    pub outside_list: Vec<(&'static str, Answer)>,
    /// Verify's own connection to this node was plain text though the
    /// store declares `access.tls`: its password crossed the network
    /// unencrypted.
    pub verify_in_plain_text: bool,
    /// A TLS store without a plain port: `PING` in plain text to the node's
    /// host on this port (`--plain-port`).
    pub plain: Option<(u16, Answer)>,
    /// Verify itself authenticated as `default` with a password, so that
    /// user is on (cachegen's ACL file turns it off).
    pub default_user_on: bool,
}

/// Whether an error reply says the command does not exist (renamed away
/// with `rename-command`, or disabled): Redis answers it before any
/// authentication or ACL check, so it proves nothing about either.
pub fn is_unknown_command(error: &str) -> bool {
    error.to_ascii_lowercase().contains("unknown command")
}

/// How a probe was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A RESP reply: its text (`PONG`), or the error's, escaped and cut.
    Reply(Result<String, String>),
    /// No RESP reply: refused, timed out, closed, TLS failed, not RESP.
    NoReply(String),
}

impl Answer {
    /// Whether a connection that never authenticated was served: any reply
    /// but `NOAUTH…` (auth required) or `DENIED…` (protected mode). Redis
    /// checks authentication before the ACL and everything else, so a
    /// NOPERM or any other error means the connection was already logged in
    /// as `default`. Only "unknown command" is answered before the check,
    /// and so proves nothing.
    pub fn served(&self) -> bool {
        match self {
            Answer::Reply(Ok(_)) => true,
            Answer::Reply(Err(e)) => {
                !(e.starts_with("NOAUTH") || e.starts_with("DENIED") || is_unknown_command(e))
            }
            Answer::NoReply(_) => false,
        }
    }
}

/// One command's latency on one node, from `INFO latencystats`: its name
/// and p99, never its arguments (they hold values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowEntry {
    /// The command name, upper case, escaped and cut to 40 characters.
    pub command: String,
    /// The p99 latency since the server's statistics were last reset.
    pub micros: u64,
    /// A command verify sends too (its latency mixes verify's calls in).
    pub by_verifier: bool,
}

/// How one primary's scan ended.
#[derive(Debug, Clone, Default)]
pub struct ScannedNode {
    /// What its keys added up to (up to where the scan stopped).
    pub tally: Tally,
    /// How long the scan took; scans run in parallel, so a run takes about
    /// the longest of these, not their sum.
    pub took: Duration,
    /// The scan ended before it covered what was asked (the node died, hung
    /// or failed over; the node's `error` says why): the tally is partial.
    pub stopped_early: bool,
}

impl NoTouch {
    /// The JSON spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            NoTouch::NotScanned => "not-scanned",
            NoTouch::On => "on",
            NoTouch::NotAvailable => "not-available",
            NoTouch::Refused(_) => "refused",
        }
    }
}

impl Observed {
    /// The store verified, in `policy`.
    pub fn store<'p>(
        &self,
        policy: &'p crate::policy::model::Policy,
    ) -> &'p crate::policy::model::Store {
        policy
            .stores
            .get(&self.store)
            .unwrap_or_else(|| policy.first_store())
    }

    /// Every scan's tally added up, in node order (the order decides which
    /// example keys are kept).
    pub fn tally(&self) -> Tally {
        let mut total = Tally::new(self.owners.len());
        for scan in self.nodes.iter().filter_map(|n| n.scan.as_ref()) {
            total.merge(&scan.tally);
        }
        total
    }

    /// The nodes that answered, with what they said.
    pub fn reached(&self) -> impl Iterator<Item = (&ObservedNode, &NodeFacts)> {
        self.nodes
            .iter()
            .filter_map(|n| n.facts.as_ref().map(|f| (n, f)))
    }
}

impl ObservedNode {
    /// `role` as the node reports it, else as the cluster lists it.
    pub fn role(&self) -> String {
        match &self.facts {
            Some(f) => f.info.get("role").cloned().unwrap_or_default(),
            None => server::role_of(self.cluster.as_ref()),
        }
    }

    /// A node whose keys verify reads: a primary serving slots, or outside
    /// a cluster any node but a replica of a primary verify read.
    pub fn is_primary(&self) -> bool {
        match &self.cluster {
            Some(n) => n.is_master() && !n.slots.is_empty(),
            None => !self.standalone_replica,
        }
    }
}
