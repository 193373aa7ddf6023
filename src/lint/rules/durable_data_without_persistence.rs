//! CG102 durable-data-without-persistence: durable data in a Redis that keeps
//! nothing over a restart.

use crate::lint::Findings;
use crate::lint::rules::written_span;
use crate::policy::model::{HostedService, KeyPattern, Policy, Store};

crate::declare_rule! {
    /// ## What it does
    /// Reports a policy that has key patterns marked `durable: true` while
    /// `redis.persistence` neither takes RDB snapshots (`save` is empty) nor
    /// keeps an append-only file (`appendonly: false`), or is left out.
    /// Hosted stores: `aws-memorydb` is durable by design (a Multi-AZ
    /// transaction log), never reported; `aws-elasticache` keeps no
    /// append-only file (CG606), so what keeps its data is replicas with
    /// Multi-AZ failover: reported when `hosted.replicas` is not set.
    ///
    /// ## Why is this bad?
    /// Without persistence Redis starts empty after every restart, crash,
    /// upgrade or pod reschedule. For a cache that is only a cold start, but
    /// durable data has no other copy: sessions are dropped (everyone is
    /// logged out) and a write-behind queue loses every pending database write.
    /// This was reproduced with `save ""` + `appendonly no`: everything was
    /// gone after a restart.
    ///
    /// ## Example
    /// ```yaml
    /// keys:
    ///   patterns:
    ///     answer_write_queue: { pattern: answer_write_queue, type: list, durable: true, ttl: none }
    /// redis:
    ///   persistence:        # CG102
    ///     save: []
    ///     appendonly: false
    /// ```
    /// Use instead:
    /// ```yaml
    /// redis:
    ///   persistence:
    ///     appendonly: true
    ///     appendfsync: everysec   # loses at most about 1 s of writes on a crash
    /// ```
    /// Or keep durable data in a Redis of its own that persists.
    "CG102", "durable-data-without-persistence", Error, "durable keys live in a Redis that keeps nothing over a restart"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "/keys/patterns/*/durable",
    "@store/persistence",
    "/keys/patterns/*/store",
    "/keys/store",
    "@store/hosted",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let service = store.hosted.as_ref().map(|h| h.service);
    let elasticache = service == Some(HostedService::AwsElasticache);
    let persists = match service {
        // MemoryDB writes every change to its Multi-AZ transaction log.
        Some(HostedService::AwsMemorydb) => true,
        // ElastiCache has no append-only file (CG606); a replica in another
        // zone, promoted by Multi-AZ failover, is what keeps the data.
        Some(HostedService::AwsElasticache) => {
            store.hosted.as_ref().and_then(|h| h.replicas).unwrap_or(0) > 0
        }
        _ => store.redis.persists(),
    };
    if persists {
        return;
    }
    let durable: Vec<&KeyPattern> = policy
        .patterns_in(&store.name)
        .filter(|p| p.durable)
        .collect();
    if durable.is_empty() {
        return;
    }
    let names: Vec<&str> = durable.iter().map(|p| p.name.as_str()).collect();
    if elasticache {
        let d = out.report(
            format!(
                "durable keys are lost when the node fails, because ElastiCache keeps no append-only file and this cache has no replica: {}",
                names.join(", ")
            ),
            policy.key_span(&store.at("hosted")),
            "no `replicas`",
        );
        d.add_help("set `hosted.replicas: 1` or more and enable Multi-AZ automatic failover, so a replica in another zone takes over; or use `service: aws-memorydb`, whose transaction log keeps every write");
        for p in durable {
            d.add_related(
                policy.span(&p.pointer, "durable"),
                format!("`{}` is durable", p.name),
            );
        }
        return;
    }
    let (span, label) = match written_span(policy, &store.pointer, "persistence") {
        Some(_) => (
            policy.key_span(&store.at("persistence")),
            "no `save` points and `appendonly: false`",
        ),
        None => (
            policy.key_span(&store.pointer),
            if store.engine == crate::facts::Engine::Valkey {
                "no `persistence`: Valkey starts empty after a restart"
            } else {
                "no `persistence`: Redis starts empty after a restart"
            },
        ),
    };
    let d = out.report(
        format!(
            "durable keys are lost on restart, because {} persists nothing: {}",
            if store.engine == crate::facts::Engine::Valkey {
                "Valkey"
            } else {
                "Redis"
            },
            names.join(", ")
        ),
        span,
        label,
    );
    d.add_help("set `persistence: {appendonly: true, appendfsync: everysec}` (or add `save` points), or move durable data to a store that persists");
    for p in durable {
        d.add_related(
            policy.span(&p.pointer, "durable"),
            format!("`{}` is durable", p.name),
        );
    }
}
