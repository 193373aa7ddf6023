//! Owns the model of a store's replicated topology (primary, replicas,
//! Sentinels) and of a store a managed service runs, defaults filled in.

use super::HostedService;
use crate::load::units::Duration;

/// Redis's own defaults for what `sentinel:` leaves out, as Redis 7.0's
/// `sentinel.conf` documents them (`sentinel down-after-milliseconds
/// mymaster 30000`, `sentinel failover-timeout mymaster 180000`, `sentinel
/// parallel-syncs mymaster 1`; redis/redis 7.0 `sentinel.conf`).
pub const SENTINEL_DOWN_AFTER_DEFAULT: Duration = Duration::from_secs(30);
pub const SENTINEL_FAILOVER_TIMEOUT_DEFAULT: Duration = Duration::from_secs(180);
pub const SENTINEL_PARALLEL_SYNCS_DEFAULT: u32 = 1;

/// A primary with replicas (`replicated:`).
#[derive(Debug)]
pub struct Replicated {
    pub replicas: u32,
    /// `min-replicas-to-write`, as declared (`None`: Redis's 0).
    pub min_replicas_to_write: Option<u32>,
    /// `min-replicas-max-lag`, as declared (`None`: Redis's 10 s).
    pub min_replicas_max_lag: Option<Duration>,
    pub sentinel: Option<Sentinel>,
    /// Where it runs on Kubernetes (only with `sentinel`, checked by lower).
    pub kubernetes: Option<super::Kubernetes>,
}

/// The Sentinels of a replicated store, every default filled in.
#[derive(Debug)]
pub struct Sentinel {
    pub sentinels: u32,
    pub quorum: u32,
    pub down_after: Duration,
    pub failover_timeout: Duration,
    pub parallel_syncs: u32,
    /// Checked: letters, digits, `.`, `_`, `-` (safe in `sentinel.conf`).
    pub master_name: String,
}

impl Sentinel {
    /// The smallest majority of the Sentinels, which a failover needs to
    /// elect the Sentinel that runs it.
    pub fn majority(&self) -> u32 {
        self.sentinels / 2 + 1
    }
}

/// A store a managed service runs (`hosted:`).
#[derive(Debug)]
pub struct Hosted {
    pub service: HostedService,
    pub node_type: Option<String>,
    /// Read replicas as declared (`None`: the service's default).
    pub replicas: Option<u32>,
}
