//! Owns the model of a store (one Redis deployment): its engine and
//! release, redis.conf settings, `config:` entries, cluster and Kubernetes
//! deployment, and the pointers into the file they came from.

use super::{Appendfsync, EvictionPolicy};
use crate::load::units::{Duration, MemorySize};

/// A Redis version as `(major, minor)`.
pub type Version = (u32, u32);

/// One Redis deployment: its settings and topology. Everything that points
/// into the file goes through `at`/`cluster_at`, because the same store is
/// written either as `stores.<name>` or as the `redis:` + `cluster:`
/// shorthand.
#[derive(Debug)]
pub struct Store {
    pub name: String,
    /// Pointer of the settings: `/stores/<name>`, or `/redis`.
    pub pointer: String,
    /// Pointer of the cluster section: `/stores/<name>/cluster`, or `/cluster`.
    pub cluster_pointer: String,
    pub engine: crate::facts::Engine,
    /// The engine release whose facts checked the store; `None` for a Redis
    /// older than the facts (5.0 to 6.2), which can have no `config:`.
    pub release: Option<crate::facts::Release>,
    pub redis: Redis,
    pub cluster: Option<Cluster>,
    /// A primary with replicas (and Sentinels); never with `cluster`.
    pub replicated: Option<super::Replicated>,
    /// Run by a managed service; never with `cluster` or `replicated`.
    pub hosted: Option<super::Hosted>,
    /// The `config:` entries, in file order, by canonical name.
    pub config: Vec<ConfigSetting>,
    /// Who may connect and how (declared or the secure default).
    pub access: super::Access,
}

/// One `config:` entry, checked against the release's facts.
#[derive(Debug, Clone)]
pub struct ConfigSetting {
    /// The canonical directive name (an alias as written is normalised).
    pub name: &'static str,
    /// `/stores/<name>/config/<as written>`.
    pub pointer: String,
    /// The value as redis.conf takes it.
    pub conf: String,
    /// What `CONFIG GET` reports once loaded; `None` when it cannot be
    /// predicted (multi-word values the server rewrites).
    pub config_get: Option<String>,
    /// Marked `hidden` by the engine (`HIDDEN_CONFIG`: left out of
    /// `CONFIG GET *`, there for its own tests and debugging). Not `debug`:
    /// that flag (`DEBUG_CONFIG`, "useful for debugging") only puts a
    /// setting in the crash report, and production settings such as
    /// `activedefrag` and `lazyfree-lazy-eviction` carry it.
    pub development: bool,
}

impl Store {
    /// Whether the store has replicas, which authenticate as the replication
    /// user with `masteruser`/`masterauth` (so `replication.conf` exists).
    pub fn has_replicas(&self) -> bool {
        self.cluster
            .as_ref()
            .is_some_and(|c| c.replicas_per_master > 0)
            || self.replicated.as_ref().is_some_and(|r| r.replicas > 0)
    }

    /// Whether the store has Sentinels, which log in to its nodes as the
    /// Sentinel user (so it is in users.acl and `sentinel-auth.conf` exists).
    pub fn has_sentinels(&self) -> bool {
        self.replicated
            .as_ref()
            .is_some_and(|r| r.sentinel.is_some())
    }

    /// Whether a secret sits in the store's configuration, readable by anyone
    /// allowed `CONFIG GET`: replicas authenticate with `masterauth`.
    pub fn config_holds_secret(&self) -> bool {
        self.has_replicas()
    }

    /// Whether the verifier user is granted `CONFIG GET` on this store.
    pub fn verifier_may_config_get(&self) -> bool {
        match self.access.verifier.config_get {
            super::ConfigGet::Allow => true,
            super::ConfigGet::Deny => false,
            super::ConfigGet::Auto => !self.config_holds_secret(),
        }
    }

    /// Pointer of a settings field given in `/`-separated form (`persistence/save`).
    pub fn at(&self, field: &str) -> String {
        if field.is_empty() {
            self.pointer.clone()
        } else {
            format!("{}/{field}", self.pointer)
        }
    }

    /// Pointer of a cluster field (`kubernetes/memory_limit`).
    pub fn cluster_at(&self, field: &str) -> String {
        if field.is_empty() {
            self.cluster_pointer.clone()
        } else {
            format!("{}/{field}", self.cluster_pointer)
        }
    }

    /// The store's Kubernetes deployment, a cluster's or a replicated
    /// store's (never both: lower refuses the two topologies together), and
    /// the pointer of its section.
    pub fn kubernetes(&self) -> Option<(&Kubernetes, String)> {
        if let Some(k) = self.cluster.as_ref().and_then(|c| c.kubernetes.as_ref()) {
            return Some((k, self.cluster_at("kubernetes")));
        }
        let k = self.replicated.as_ref()?.kubernetes.as_ref()?;
        Some((k, self.at("replicated/kubernetes")))
    }

    /// The settings' path as users write it, dotted (`stores.cache` or `redis`),
    /// for messages and generated comments.
    pub fn dotted(&self) -> String {
        crate::schema::display_pointer(&self.pointer)
    }
}

#[derive(Debug)]
pub struct Redis {
    pub version: Version,
    pub maxmemory: MemorySize,
    pub maxmemory_policy: EvictionPolicy,
    pub maxmemory_samples: Option<u32>,
    pub save: Vec<(Duration, u64)>,
    pub appendonly: bool,
    pub appendfsync: Option<Appendfsync>,
    pub tcp_backlog: Option<u32>,
    pub timeout: Option<Duration>,
    pub tcp_keepalive: Option<Duration>,
    pub slowlog_log_slower_than: Option<Duration>,
    pub slowlog_max_len: Option<u32>,
    pub maxclients: Option<u32>,
    pub io_threads: Option<u32>,
    pub io_threads_do_reads: Option<bool>,
    pub cores: Option<u32>,
    pub lazyfree_lazy_eviction: Option<bool>,
    pub lazyfree_lazy_expire: Option<bool>,
    pub lazyfree_lazy_server_del: Option<bool>,
    pub lazyfree_lazy_user_del: Option<bool>,
    pub replica_lazy_flush: Option<bool>,
    pub replica_read_only: Option<bool>,
}

impl Redis {
    /// Whether anything survives a restart.
    pub fn persists(&self) -> bool {
        self.appendonly || !self.save.is_empty()
    }
}

/// The cluster bus port of every node a Kubernetes cluster store runs
/// (`cluster-port`, or implied as client port 6379 + 10000 where the
/// release cannot set it): a policy fact, since lowering refuses a TLS or
/// plain port equal to it (CG025) and the manifest opens it.
pub const KUBERNETES_BUS_PORT: u16 = 16379;

#[derive(Debug)]
pub struct Cluster {
    pub masters: u32,
    pub replicas_per_master: u32,
    pub node_timeout: Duration,
    pub require_full_coverage: Option<bool>,
    pub kubernetes: Option<Kubernetes>,
}

#[derive(Debug)]
pub struct Kubernetes {
    pub namespace: String,
    pub name: String,
    pub image: String,
    pub memory_limit: String,
    pub cpu: Option<String>,
    pub storage: String,
    pub storage_class: Option<String>,
}
