//! Owns the format's replicated and hosted topologies of a store: a primary
//! with replicas under Redis Sentinel (`replicated:`), or a managed service
//! (`hosted:`).

use crate::load::units::Duration;
use schemars::JsonSchema;
use serde::Deserialize;

/// A primary with replicas (`replicaof`), optionally watched by Redis
/// Sentinel, which promotes a replica when the primary fails.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Replicated {
    /// Replicas of the primary (at least 1). They authenticate as the
    /// access section's replication user.
    pub replicas: u32,
    /// `min-replicas-to-write`: the primary refuses writes (`NOREPLICAS`)
    /// unless at least this many replicas are connected with a lag of at
    /// most `min_replicas_max_lag`. At most `replicas`. Omitted, writes
    /// never wait for replicas (Redis's default, 0), so a write acknowledged
    /// just before a failover can be lost.
    #[serde(default)]
    pub min_replicas_to_write: Option<u32>,
    /// `min-replicas-max-lag`: how old (whole seconds) a replica's last
    /// acknowledgement may be for it to count. Redis's default is 10s.
    #[serde(default)]
    pub min_replicas_max_lag: Option<Duration>,
    /// Redis Sentinel: the processes that watch the primary, agree that it
    /// is down and promote a replica. Omit to fail over by hand.
    #[serde(default)]
    pub sentinel: Option<Sentinel>,
    /// Kubernetes deployment: the primary and replicas as one StatefulSet,
    /// the Sentinels as another (`kubernetes/redis-replicated.yaml`). The
    /// same fields as a cluster's; needs `sentinel`. Omit to render only VM
    /// configs.
    #[serde(default)]
    pub kubernetes: Option<super::Kubernetes>,
}

/// The Sentinels watching a replicated store (`sentinel.conf`).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sentinel {
    /// How many Sentinel processes run (3 or more, an odd number, each on
    /// its own machine: a failover needs a majority of them).
    pub sentinels: u32,
    /// `sentinel monitor … <quorum>`: how many Sentinels must agree that the
    /// primary is down before a failover starts (at least 1; at most a
    /// majority, or no failover can be authorised).
    pub quorum: u32,
    /// `down-after-milliseconds`: how long the primary may not answer before
    /// a Sentinel considers it down. Redis's default is 30s.
    #[serde(default)]
    pub down_after: Option<Duration>,
    /// `failover-timeout`. Redis's default is 3m.
    #[serde(default)]
    pub failover_timeout: Option<Duration>,
    /// `parallel-syncs`: replicas that resynchronise with a new primary at
    /// the same time after a failover (and cannot serve reads meanwhile).
    /// Redis's default is 1.
    #[serde(default)]
    pub parallel_syncs: Option<u32>,
    /// The name the Sentinels monitor the primary under, which clients ask
    /// them for (`SENTINEL GET-MASTER-ADDR-BY-NAME <name>`). Defaults to the
    /// store's name. Letters, digits, `.`, `_` and `-`.
    #[serde(default)]
    pub master_name: Option<String>,
}

/// A store run by a managed service.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Hosted {
    /// The service. It sets `maxmemory` from the node type, runs failover
    /// itself and refuses `CONFIG`: settings live in its parameter group.
    pub service: HostedService,
    /// The service's node type or tier (`cache.r7g.large`,
    /// `db.r7g.large`), which decides `maxmemory`.
    #[serde(default)]
    pub node_type: Option<String>,
    /// Read replicas of the primary, as the service counts them (AWS
    /// ElastiCache and MemoryDB: 0 to 5 per shard; Google Memorystore: 0 on
    /// the Basic tier, 1 to 5 on the Standard tier). Azure decides replicas
    /// by tier: leave it out.
    #[serde(default)]
    pub replicas: Option<u32>,
}

/// A managed Redis service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum HostedService {
    #[serde(rename = "aws-elasticache")]
    AwsElasticache,
    #[serde(rename = "aws-memorydb")]
    AwsMemorydb,
    #[serde(rename = "gcp-memorystore")]
    GcpMemorystore,
    #[serde(rename = "azure")]
    Azure,
}

impl HostedService {
    /// The name as the policy writes it.
    pub fn name(self) -> &'static str {
        match self {
            HostedService::AwsElasticache => "aws-elasticache",
            HostedService::AwsMemorydb => "aws-memorydb",
            HostedService::GcpMemorystore => "gcp-memorystore",
            HostedService::Azure => "azure",
        }
    }

    /// The most read replicas the service runs per primary; `None` where
    /// the service decides them itself (Azure: by tier).
    // ElastiCache: "0 to 5 read replicas" per shard
    // (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Replication.html);
    // MemoryDB: up to 5 replicas per shard
    // (https://docs.aws.amazon.com/memorydb/latest/devguide/shards.html);
    // Memorystore for Redis: none on the Basic tier, 1 to 5 on the Standard
    // tier (so at most 5 either way)
    // (https://cloud.google.com/memorystore/docs/redis/about-read-replicas);
    // Azure Cache for Redis sets replicas by tier
    // (https://learn.microsoft.com/azure/azure-cache-for-redis/cache-overview).
    pub fn max_replicas(self) -> Option<u32> {
        match self {
            HostedService::AwsElasticache
            | HostedService::AwsMemorydb
            | HostedService::GcpMemorystore => Some(5),
            HostedService::Azure => None,
        }
    }
}
