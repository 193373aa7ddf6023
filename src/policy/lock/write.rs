//! Owns building the lock types from the validated model: every value
//! resolved to seconds, bytes and plain numbers, defaults filled in. Every
//! value is a function of the model, because reading a lock compares what it
//! holds with what this builds from the model read back.

use super::*;
use crate::keys::Segment;
use crate::load::units::{Duration, MemorySize};
use crate::policy::model::{self, LintLevel, Ttl};
use crate::policy::raw;

/// What the lock records that later stages derive from the model: every
/// managed directive with its `CONFIG GET` string (`redis_directives`) and
/// the level of each rule the `lint:` section names (`lint::levels`).
pub struct Derived {
    /// Per store, by store name.
    pub config: IndexMap<String, IndexMap<String, String>>,
    pub lint_levels: IndexMap<&'static str, LintLevel>,
}

/// The lock of `policy` built from `source`, with what later stages derived,
/// and its model hash (`model_sha256`).
pub fn lock(policy: &Policy, source: &Provenance, derived: Derived) -> Lock {
    let mut lock = unnamed(policy, derived);
    lock.policy.sha256 = model_sha256(&lock);
    lock.generated_by = format!(
        "cachegen from policy `{}` ({}); do not edit",
        policy.name, source.file_name
    );
    lock.policy.source = source.file_name.clone();
    lock
}

/// The model hash of an `unnamed` lock: the sha256 of it as compact JSON
/// (fields in file order), lowercase hex, which a reader of the written lock
/// recomputes by emptying `generated_by`, `policy.source` and
/// `policy.sha256`. A function of the model alone: the lock records every
/// value the renderers read (lock → model → files is byte-identical,
/// `tests/lock_roundtrip.rs`), so with the same templates and file name,
/// equal hashes mean equal output; the policy file's comments, layout,
/// field order and file name do not reach it (`tests/comment_edits.rs`).
fn model_sha256(unnamed: &Lock) -> String {
    use sha2::{Digest, Sha256};
    debug_assert!(
        unnamed.generated_by.is_empty()
            && unnamed.policy.source.is_empty()
            && unnamed.policy.sha256.is_empty()
    );
    // Cannot fail: string keys only, numbers are `u64` or `Number`.
    let json = serde_json::to_vec(unnamed).expect("a lock serializes");
    Sha256::digest(json)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The lock of `policy` without the fields that name its file or hash it
/// (empty strings): what `model_sha256` hashes.
fn unnamed(policy: &Policy, derived: Derived) -> Lock {
    let Derived {
        mut config,
        lint_levels,
    } = derived;
    Lock {
        format: LOCK_FORMAT.into(),
        version: LOCK_VERSION,
        generated_by: String::new(),
        policy: PolicySource {
            name: policy.name.clone(),
            source: String::new(),
            sha256: String::new(),
        },
        ttl: TtlRules {
            default_secs: secs(policy.ttl.default),
            jitter_percent: percent(policy.ttl.jitter),
            authenticated_cap_secs: policy.ttl.authenticated_cap.map(secs),
            classes: policy
                .ttl
                .classes
                .iter()
                .map(|(k, v)| (k.clone(), secs(*v)))
                .collect(),
            max_staleness_secs: policy.ttl.max_staleness.and_then(exact_secs),
        },
        keys: Keys {
            version_prefix: policy.keys.version_prefix.clone(),
            previous_prefixes: policy.keys.previous_prefixes.clone(),
            max_value_size_bytes: bytes(policy.keys.max_value_size),
            placeholders: policy
                .keys
                .placeholders
                .iter()
                .map(|(k, v)| (k.clone(), placeholder_spelling(v)))
                .collect(),
            patterns: policy
                .keys
                .patterns
                .values()
                .map(|p| (p.name.clone(), pattern(policy, p)))
                .collect(),
        },
        tags: policy
            .tags
            .values()
            .map(|t| {
                let tag = Tag {
                    key: policy.stored_shape(&t.store, "", &t.key, None),
                    ttl: ttl(t.ttl),
                    members: t.members.clone(),
                };
                (t.name.clone(), tag)
            })
            .collect(),
        invalidation: Invalidation {
            cascade: policy.cascade.clone(),
            events: policy
                .events
                .values()
                .map(|e| {
                    let event = Event {
                        params: e.params.clone(),
                        invalidate: e.invalidate.clone(),
                        invalidate_tags: e.invalidate_tags.clone(),
                        when_changed: e.when_changed.clone(),
                    };
                    (e.name.clone(), event)
                })
                .collect(),
        },
        edge: policy.edge.as_ref().map(|edge| Edge {
            provider: spelling(edge.provider).into(),
            zone: edge.zone.clone(),
            routes: edge
                .routes
                .values()
                .map(|r| (r.name.clone(), route(r)))
                .collect(),
            credentials: Credentials {
                headers: edge.credentials.headers.clone(),
                cookies: edge.credentials.cookies.clone(),
            },
        }),
        stores: policy
            .stores
            .values()
            .map(|s| {
                (
                    s.name.clone(),
                    store(s, config.shift_remove(&s.name).unwrap_or_default()),
                )
            })
            .collect(),
        client: policy.client.as_ref().map(client),
        targets: policy.targets.as_ref().map(|t| Targets {
            overall_hit_ratio_percent: t.overall_hit_ratio.map(percent),
            cdn_hit_ratio_percent: t.cdn_hit_ratio.map(percent),
            redis_hit_ratio_percent: t.redis_hit_ratio.map(percent),
            cached_latency_us: t.cached_latency.map(|d| Micros(d.as_micros())),
            availability_percent: t.availability.map(percent),
        }),
        warming: policy
            .warming
            .values()
            .map(|w| {
                let task = WarmTask {
                    keys: w.keys.clone(),
                    on_startup: w.on_startup,
                    schedule: w.schedule.clone(),
                    limit: w.limit.map(u64::from),
                    description: w.description.clone(),
                };
                (w.name.clone(), task)
            })
            .collect(),
        lint: Lint {
            allow: lint_level(&lint_levels, LintLevel::Allow),
            warn: lint_level(&lint_levels, LintLevel::Warn),
            deny: lint_level(&lint_levels, LintLevel::Deny),
        },
    }
}

fn store(s: &model::Store, config: IndexMap<String, String>) -> Store {
    let redis = &s.redis;
    Store {
        engine: s.engine.name().to_owned(),
        version: format!("{}.{}", redis.version.0, redis.version.1),
        config,
        cores: redis.cores.map(u64::from),
        cluster: s.cluster.as_ref().map(|c| Cluster {
            masters: c.masters.into(),
            replicas_per_master: c.replicas_per_master.into(),
            node_timeout_ms: millis(c.node_timeout),
            require_full_coverage: c.require_full_coverage,
            kubernetes: c.kubernetes.as_ref().map(kubernetes),
        }),
        replicated: s.replicated.as_ref().map(|r| Replicated {
            replicas: r.replicas.into(),
            min_replicas_to_write: r.min_replicas_to_write.map(u64::from),
            min_replicas_max_lag_secs: r.min_replicas_max_lag.map(secs),
            sentinel: r.sentinel.as_ref().map(|t| Sentinel {
                sentinels: t.sentinels.into(),
                quorum: t.quorum.into(),
                down_after_ms: millis(t.down_after),
                failover_timeout_ms: millis(t.failover_timeout),
                parallel_syncs: t.parallel_syncs.into(),
                master_name: t.master_name.clone(),
            }),
            kubernetes: r.kubernetes.as_ref().map(kubernetes),
        }),
        hosted: s.hosted.as_ref().map(|h| Hosted {
            service: h.service.name().to_owned(),
            node_type: h.node_type.clone(),
            replicas: h.replicas.map(u64::from),
        }),
        access: s.access.declared.then(|| access(&s.access)),
    }
}

fn kubernetes(k: &model::Kubernetes) -> Kubernetes {
    Kubernetes {
        namespace: k.namespace.clone(),
        name: k.name.clone(),
        image: k.image.clone(),
        memory_limit: k.memory_limit.clone(),
        cpu: k.cpu.clone(),
        storage: k.storage.clone(),
        storage_class: k.storage_class.clone(),
    }
}

fn access(a: &model::Access) -> Access {
    let credential = |c: &model::Credential| UserCredential {
        user: c.user.clone(),
        password: secret(&c.password),
    };
    Access {
        admin: credential(&a.admin),
        verifier: Verifier {
            password: secret(&a.verifier.password),
            config_get: match a.verifier.config_get {
                model::ConfigGet::Auto => "auto",
                model::ConfigGet::Allow => "allow",
                model::ConfigGet::Deny => "deny",
            }
            .into(),
        },
        replication: credential(&a.replication),
        sentinel: a.sentinel.as_ref().map(credential),
        services: a
            .services
            .values()
            .map(|s| {
                let service = Service {
                    password: secret(&s.password),
                    reads: s.reads.clone(),
                    writes: s.writes.clone(),
                    owns: s.owns.clone(),
                    events: s.events.clone(),
                    scan: s.scan,
                    scripting: s.scripting,
                    channels: s.channels.clone(),
                };
                (s.name.clone(), service)
            })
            .collect(),
        tls: a.tls.as_ref().map(|t| {
            let file = |path: &str| secret(&model::SecretRef::File(path.to_owned()));
            Tls {
                port: t.port.into(),
                plain_port: t.plain_port.map(u64::from),
                cert: file(&t.cert_file),
                key: file(&t.key_file),
                ca: file(&t.ca_file),
                client_certs: match t.client_certs {
                    model::ClientCerts::Required => "required",
                    model::ClientCerts::Optional => "optional",
                    model::ClientCerts::None => "none",
                }
                .into(),
            }
        }),
        clients_from: ClientsFrom {
            cidrs: a.clients_from.cidrs.clone(),
            kubernetes: a
                .clients_from
                .kubernetes
                .iter()
                .map(|w| Workload {
                    namespace: w.namespace.clone(),
                    labels: w.labels.clone(),
                })
                .collect(),
        },
    }
}

fn secret(r: &model::SecretRef) -> SecretRef {
    let mut out = SecretRef {
        env: None,
        file: None,
        secret: None,
    };
    match r {
        model::SecretRef::Env(name) => out.env = Some(name.clone()),
        model::SecretRef::File(path) => out.file = Some(path.clone()),
        model::SecretRef::Kubernetes { name, key } => {
            out.secret = Some(KubernetesSecret {
                name: name.clone(),
                key: key.clone(),
            })
        }
    }
    out
}

fn pattern(policy: &Policy, p: &model::KeyPattern) -> Pattern {
    Pattern {
        pattern: p.text.clone(),
        store: p.store.clone(),
        description: p.description.clone(),
        key: policy.stored_shape(&p.store, "", &p.segments, p.hash_tag),
        placeholders: p
            .segments
            .iter()
            .filter_map(|s| match s {
                Segment::Placeholder { name, ty } => Some(Placeholder {
                    name: name.clone(),
                    ty: placeholder_type_name(ty).into(),
                }),
                Segment::Literal(_) => None,
            })
            .collect(),
        hash_tag: p.hash_tag_text(),
        value_type: spelling(p.value_type).into(),
        strategy: spelling(p.strategy).into(),
        ttl: ttl(p.ttl),
        ttl_class: p.ttl_class.clone(),
        ttl_capped_from_secs: p.ttl_capped_from.map(secs),
        ttl_from_default: policy.written_span(&p.pointer, "ttl").is_none(),
        jitter_percent: percent(p.jitter),
        authenticated: p.authenticated,
        durable: p.durable,
        queue: p.queue.clone(),
        refresh_when_remaining_percent: p.refresh_when_remaining.map(percent),
        tags: p.tags.clone(),
        compress_above_bytes: bytes(p.compress_above),
        max_value_size_bytes: bytes(p.max_value_size),
        stampede_lock: p.stampede_lock.as_ref().map(|l| StampedeLock {
            prefix: l.prefix.clone(),
            ttl_secs: secs(l.ttl),
        }),
        app_ttl_secs: p.app_ttl.and_then(exact_secs),
        max_staleness_secs: p.max_staleness.and_then(exact_secs),
        cardinality: p.cardinality,
        value_size_bytes: bytes(p.value_size),
    }
}

fn route(r: &model::Route) -> Route {
    Route {
        path: r.path.clone(),
        extensions: r.extensions.clone(),
        cache: spelling(r.cache).into(),
        edge_ttl_secs: r.edge_ttl.map(secs),
        browser_ttl_secs: r.browser_ttl.map(secs),
        stale_while_revalidate_secs: r.stale_while_revalidate.map(secs),
        stale_if_error_secs: r.stale_if_error.map(secs),
        vary: r.vary.clone(),
        authenticated: r.authenticated,
        visibility: spelling(r.visibility).into(),
        immutable: r.immutable,
        headers: r.headers.clone(),
        serves: r.serves.clone(),
        max_staleness_secs: r.max_staleness.and_then(exact_secs),
    }
}

fn client(c: &raw::Client) -> Client {
    let backoff = |b: &Option<raw::Backoff>| {
        b.as_ref().map(|b| Backoff {
            step_ms: millis(b.step),
            max_ms: millis(b.max),
        })
    };
    Client {
        max_retries_per_request: c.max_retries_per_request.map(u64::from),
        retry_backoff: backoff(&c.retry_backoff),
        cluster_retry_backoff: backoff(&c.cluster_retry_backoff),
        connect_timeout_ms: c.connect_timeout.map(millis),
        command_timeout_ms: c.command_timeout.map(millis),
        keepalive_ms: c.keepalive.map(millis),
        offline_queue: c.offline_queue,
        ready_check: c.ready_check,
        reconnect_on_errors: c.reconnect_on_errors.clone(),
    }
}

/// Rule codes at `level`, in the policy's order.
fn lint_level(levels: &IndexMap<&'static str, LintLevel>, level: LintLevel) -> Vec<String> {
    levels
        .iter()
        .filter(|(_, l)| **l == level)
        .map(|(code, _)| (*code).to_owned())
        .collect()
}

fn secs(d: Duration) -> Secs {
    Secs(d.as_secs())
}

fn millis(d: Duration) -> Millis {
    Millis(d.as_millis())
}

fn bytes(m: Option<MemorySize>) -> Option<u64> {
    m.map(MemorySize::bytes)
}

fn ttl(t: Ttl) -> Option<TtlValue> {
    match t {
        Ttl::Expires { base, max } => Some(TtlValue {
            base_secs: base.as_secs(),
            max_secs: max.as_secs(),
        }),
        Ttl::Never => None,
    }
}

/// A fraction of a second is written as decimals of the microseconds
/// (`1500ms` → `1.5`), which reads back exactly (`read`) for anything
/// shorter than 31 years.
fn exact_secs(d: Duration) -> Option<ExactSecs> {
    if d.is_whole_seconds() {
        return Some(ExactSecs(d.as_secs().into()));
    }
    let micros = d.as_micros();
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    let number = text.trim_end_matches('0').parse::<f64>().ok()?;
    Number::from_f64(number).map(ExactSecs)
}

fn percent(p: crate::load::units::Percent) -> Percent {
    let bp = p.basis_points();
    Percent(if bp.is_multiple_of(100) {
        (bp / 100).into()
    } else {
        Number::from_f64(f64::from(bp) / 100.0).expect("a finite ratio")
    })
}
