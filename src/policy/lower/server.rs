//! Owns lowering the stores: `stores:` or the `redis:` + `cluster:`
//! shorthand, each store's settings (version, persistence, network, slowlog
//! and the rest of what becomes redis.conf) and cluster (masters, timeouts,
//! and the Kubernetes names, image and quantities).

use super::Cx;
use super::names::{is_dns_label, is_dns_subdomain};
use crate::diag::codes;
use crate::facts::{Engine, Release};
use crate::load::units::{self, MemorySize};
use crate::policy::model::*;
use crate::policy::raw;
use crate::source::Span;
use indexmap::IndexMap;

impl Cx<'_> {
    /// Every store, in file order. A policy that declares none is an error
    /// and gets a stand-in store (marked unknown) so later stages still run.
    pub(super) fn stores(
        &mut self,
        stores: IndexMap<String, raw::Store>,
        shorthand: Option<raw::Store>,
        shorthand_cluster: Option<raw::Cluster>,
        policy_name: &str,
    ) -> IndexMap<String, Store> {
        let mut out = IndexMap::new();
        let declared_any = !stores.is_empty() || shorthand.is_some();
        if !stores.is_empty() {
            if shorthand.is_some() {
                self.report(
                    codes::INCONSISTENT,
                    "`redis:` and `stores:` both declare stores".into(),
                    self.key_span("/redis"),
                    "shorthand for one store",
                    Some("move these settings under `stores:` as a store of their own, e.g. `stores: {cache: {…}}`".into()),
                );
            }
            if shorthand_cluster.is_some() {
                self.report(
                    codes::INCONSISTENT,
                    "a top-level `cluster:` belongs to the `redis:` shorthand; with `stores:` each store has its own".into(),
                    self.key_span("/cluster"),
                    "not attached to a store",
                    Some("move it into the store it describes, as `stores.<name>.cluster`".into()),
                );
            }
            for (name, raw) in stores {
                let pointer = format!("/stores/{}", crate::load::escape_pointer_token(&name));
                if !is_dns_label(&name)
                    || name.len() > 30
                    || !name.starts_with(|c: char| c.is_ascii_lowercase())
                {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("store name `{}` is not a lowercase label", name.escape_debug()),
                        self.key_span(&pointer),
                        "invalid store name",
                        Some("lowercase letters, digits and `-`, starting with a letter, at most 30 characters: it names files, Kubernetes objects and `verify --redis NAME=URL`".into()),
                    );
                    // Reported: patterns naming it are not checked against
                    // a stand-in.
                    self.mark_unknown(&pointer);
                    continue;
                }
                let cluster_pointer = format!("{pointer}/cluster");
                let store = self.store(
                    name.clone(),
                    raw,
                    None,
                    pointer,
                    cluster_pointer,
                    policy_name,
                );
                out.insert(name, store);
            }
        } else if let Some(raw) = shorthand {
            if shorthand_cluster.is_some() && raw.cluster.is_some() {
                self.report(
                    codes::INCONSISTENT,
                    "the cluster is declared twice, as `cluster:` and as `redis.cluster`".into(),
                    self.key_span("/redis/cluster"),
                    "second declaration",
                    Some("keep one of them".into()),
                );
            }
            // `redis.cluster` is accepted too (the store's own field); the
            // top-level `cluster:` is the shorthand's usual spelling, and
            // where a removed (unreadable) cluster section was.
            let cluster_pointer = if shorthand_cluster.is_none() && raw.cluster.is_some() {
                "/redis/cluster"
            } else {
                "/cluster"
            };
            let (cluster_pointer, cluster) = (cluster_pointer.to_owned(), shorthand_cluster);
            let store = self.store(
                SHORTHAND_STORE.into(),
                raw,
                cluster,
                "/redis".into(),
                cluster_pointer,
                policy_name,
            );
            out.insert(SHORTHAND_STORE.to_owned(), store);
        }
        if out.is_empty() {
            if !declared_any && self.unknown.iter().all(|p| p != "/stores" && p != "/redis") {
                self.report(
                    codes::SCHEMA,
                    "the policy declares no Redis store".into(),
                    Span::default(),
                    "no `stores:`",
                    Some("add `stores: {cache: {version: \"7.2\", maxmemory: 1gb, maxmemory_policy: allkeys-lru}}`, or the one-store shorthand `redis:`".into()),
                );
            }
            self.mark_unknown("/stores");
            out.insert(SHORTHAND_STORE.to_owned(), stand_in_store());
        }
        out
    }

    fn store(
        &mut self,
        name: String,
        mut raw: raw::Store,
        shorthand_cluster: Option<raw::Cluster>,
        pointer: String,
        cluster_pointer: String,
        policy_name: &str,
    ) -> Store {
        let cluster = shorthand_cluster.or(raw.cluster.take());
        let replicated_k8s = raw.replicated.as_mut().and_then(|r| r.kubernetes.take());
        let (mut replicated, hosted) = self.topology(
            &pointer,
            &name,
            cluster.is_some(),
            raw.replicated.take(),
            raw.hosted.take(),
        );
        let engine = raw.engine.unwrap_or(crate::facts::Engine::Redis);
        let mut config = std::mem::take(&mut raw.config);
        let redis = self.redis(raw, &pointer);
        // A hosted store's `config:` would reach the service only through
        // its parameter group, and every parameter `policy::hosted` confirms
        // a service accepts has a field of its own (which `config:` refuses
        // with CG025), so no `config:` entry could ever be applied: refuse
        // it (a test in `policy::hosted` fails once a confirmed parameter
        // has no field, the day this can be lifted for it). The refused
        // entries stay out of the model, so no later stage reports them again.
        if hosted.is_some() && !config.is_empty() {
            self.hosted_not_supported_yet(&pointer, "config");
            config.clear();
        }
        let release = self.release(engine, redis.version, &pointer);
        let config = self.store_config(&pointer, release, config);
        let default_k8s_name = format!("{policy_name}-{name}");
        let image = ImageDefault {
            engine,
            release,
            version: redis.version,
        };
        let cluster = cluster.map(|c| self.cluster(c, &cluster_pointer, &default_k8s_name, image));
        if let (Some(r), Some(k)) = (replicated.as_mut(), replicated_k8s) {
            r.kubernetes = self.replicated_kubernetes(r, k, &pointer, &default_k8s_name, image);
        }
        let mut access = crate::policy::model::Access::undeclared(&pointer);
        if replicated.as_ref().is_some_and(|r| r.sentinel.is_some()) {
            access.sentinel = Some(access.default_sentinel());
        }
        Store {
            name,
            pointer,
            cluster_pointer,
            engine,
            release,
            redis,
            cluster,
            replicated,
            hosted,
            config,
            access,
        }
    }

    fn redis(&mut self, raw: raw::Store, base: &str) -> Redis {
        let version = match parse_version(&raw.version) {
            Some(v) if (5..=8).contains(&v.0) => v,
            Some(_) => {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!(
                        "Redis {} is outside the versions cachegen knows (5.0 to 8.x)",
                        raw.version
                    ),
                    self.span(&format!("{base}/version")),
                    "unknown version",
                    None,
                );
                self.mark_unknown(&format!("{base}/version"));
                (7, 0)
            }
            None => {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!("`{}` is not a Redis version", raw.version.escape_debug()),
                    self.span(&format!("{base}/version")),
                    "expected `major.minor`",
                    Some("write it quoted, e.g. `version: \"7.0\"`".into()),
                );
                self.mark_unknown(&format!("{base}/version"));
                (7, 0)
            }
        };
        for (i, point) in raw.persistence.save.iter().enumerate() {
            self.positive_seconds(
                point.after,
                &format!("{base}/persistence/save/{i}/after"),
                "a save interval",
            );
        }
        let network = raw.network.unwrap_or(raw::Network {
            tcp_backlog: None,
            timeout: None,
            tcp_keepalive: None,
        });
        for (field, value) in [
            ("timeout", network.timeout),
            ("tcp_keepalive", network.tcp_keepalive),
        ] {
            if let Some(d) = value
                && !d.is_whole_seconds()
            {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!("`{field}` `{d}` is not a whole number of seconds"),
                    self.span(&format!("{base}/network/{field}")),
                    "sub-second",
                    Some("redis.conf takes this in seconds".into()),
                );
            }
        }
        if let Some(slowlog) = &raw.slowlog
            && slowlog.log_slower_than.as_micros() > i64::MAX as u64
        {
            self.report(
                codes::OUT_OF_RANGE,
                "slowlog threshold is too large".into(),
                self.span(&format!("{base}/slowlog/log_slower_than")),
                "too large",
                None,
            );
        }
        let threads = raw.threads;
        let lazy = raw.lazyfree;
        let repl = raw.replication;
        Redis {
            version,
            maxmemory: raw.maxmemory,
            maxmemory_policy: raw.maxmemory_policy,
            maxmemory_samples: raw.maxmemory_samples,
            save: raw
                .persistence
                .save
                .iter()
                .map(|p| (p.after, p.changes))
                .collect(),
            appendonly: raw.persistence.appendonly,
            appendfsync: raw.persistence.appendfsync,
            tcp_backlog: network.tcp_backlog,
            timeout: network.timeout,
            tcp_keepalive: network.tcp_keepalive,
            slowlog_log_slower_than: raw.slowlog.as_ref().map(|s| s.log_slower_than),
            slowlog_max_len: raw.slowlog.as_ref().map(|s| s.max_len),
            maxclients: raw.maxclients,
            io_threads: threads.as_ref().map(|t| t.io_threads),
            io_threads_do_reads: threads.as_ref().and_then(|t| t.io_threads_do_reads),
            cores: threads.as_ref().and_then(|t| t.cores),
            lazyfree_lazy_eviction: lazy.as_ref().and_then(|l| l.lazy_eviction),
            lazyfree_lazy_expire: lazy.as_ref().and_then(|l| l.lazy_expire),
            lazyfree_lazy_server_del: lazy.as_ref().and_then(|l| l.lazy_server_del),
            lazyfree_lazy_user_del: lazy.as_ref().and_then(|l| l.lazy_user_del),
            replica_lazy_flush: repl.as_ref().and_then(|r| r.replica_lazy_flush),
            replica_read_only: repl.as_ref().and_then(|r| r.replica_read_only),
        }
    }

    fn cluster(
        &mut self,
        raw: raw::Cluster,
        base: &str,
        default_name: &str,
        store: ImageDefault,
    ) -> Cluster {
        if raw.masters < 3 {
            self.report(
                codes::OUT_OF_RANGE,
                format!(
                    "a Redis Cluster needs at least 3 masters, not {}",
                    raw.masters
                ),
                self.span(&format!("{base}/masters")),
                "too few",
                Some(
                    "with fewer than 3 masters the cluster cannot reach a failover majority".into(),
                ),
            );
        }
        if raw.node_timeout.is_zero() || !raw.node_timeout.as_micros().is_multiple_of(1000) {
            self.report(
                codes::OUT_OF_RANGE,
                "`node_timeout` must be a positive whole number of milliseconds".into(),
                self.span(&format!("{base}/node_timeout")),
                "invalid timeout",
                None,
            );
        }
        let kubernetes = raw
            .kubernetes
            .map(|k| self.kubernetes(k, base, default_name, store, KubernetesNameMax::CLUSTER));
        Cluster {
            masters: raw.masters,
            replicas_per_master: raw.replicas_per_master,
            node_timeout: raw.node_timeout,
            require_full_coverage: raw.require_full_coverage,
            kubernetes,
        }
    }

    /// A `kubernetes:` section under `base` (a cluster's or a replicated
    /// store's): names, image and quantities checked where written. `max`
    /// is the longest base name the section's objects leave room for.
    #[rustfmt::skip]
    pub(super) fn kubernetes(
        &mut self,
        k: raw::Kubernetes,
        base: &str,
        default_name: &str,
        store: ImageDefault,
        max: KubernetesNameMax,
    ) -> Kubernetes {
            let name = k.name.clone().unwrap_or_else(|| default_name.to_owned());
            if !is_dns_label(&k.namespace) {
                self.report(codes::INVALID_SYNTAX, format!("namespace `{}` is not a DNS-1123 label", k.namespace.escape_debug()), self.span(&format!("{base}/kubernetes/namespace")), "invalid namespace", Some("lowercase letters, digits and `-`, at most 63 characters".into()));
            }
            // Services need a DNS-1035 label: it must also start with a letter.
            if !is_dns_label(&name) || name.len() > max.chars || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
                let pointer = if k.name.is_some() { format!("{base}/kubernetes/name") } else { "/name".to_owned() };
                self.report(codes::INVALID_SYNTAX, format!("Kubernetes name `{}` is not a DNS-1035 label of at most {} characters", name.escape_debug(), max.chars), self.span(&pointer), "invalid name", Some(format!("lowercase letters, digits and `-`, starting with a letter (Service names); {}{}", max.why, if k.name.is_some() { "" } else { "; the default is `<policy>-<store>`: set `kubernetes.name` to choose a shorter one" })));
            }
            let image = self.image(k.image, &format!("{base}/kubernetes"), store);
            for (field, value) in [("memory_limit", Some(&k.memory_limit)), ("storage", Some(&k.storage)), ("cpu", k.cpu.as_ref())] {
                if let Some(v) = value
                    && units::quantity_bytes(v).is_none()
                {
                    self.report(codes::INVALID_SYNTAX, format!("`{}` is not a Kubernetes quantity", v.escape_debug()), self.span(&format!("{base}/kubernetes/{field}")), "invalid quantity", Some("e.g. `3Gi`, `512Mi`, `2`, `500m`".into()));
                }
            }
            if let Some(sc) = &k.storage_class
                && !is_dns_subdomain(sc)
            {
                self.report(codes::INVALID_SYNTAX, format!("storage class `{}` is not a DNS-1123 subdomain", sc.escape_debug()), self.span(&format!("{base}/kubernetes/storage_class")), "invalid name", None);
            }
            Kubernetes { namespace: k.namespace, name, image, memory_limit: k.memory_limit, cpu: k.cpu, storage: k.storage, storage_class: k.storage_class }
    }
}

/// The longest Kubernetes base name a deployment's objects leave room for,
/// and why.
#[derive(Clone, Copy)]
pub(super) struct KubernetesNameMax {
    chars: usize,
    why: &'static str,
}

impl KubernetesNameMax {
    const CLUSTER: Self = Self {
        chars: 52,
        why: "StatefulSet pod names append `-N`, so 52 leaves room for that and the controller hash",
    };
    /// The Sentinels' objects append `-sentinel-headless` (18): a Service
    /// name is at most 63 characters, and the Sentinel StatefulSet's
    /// `<name>-sentinel` stays within the 52 a StatefulSet leaves.
    pub(super) const REPLICATED: Self = Self {
        chars: 40,
        why: "the Sentinels' Service appends `-sentinel-headless`, so 40 keeps it within a Service name's 63",
    };
}

/// What decides a store's default container image.
#[derive(Clone, Copy)]
pub(super) struct ImageDefault {
    engine: Engine,
    release: Option<Release>,
    version: Version,
}

impl Cx<'_> {
    /// The image as written, checked, or the official one of the store's
    /// engine and release.
    fn image(&mut self, written: Option<String>, k8s_pointer: &str, store: ImageDefault) -> String {
        let pointer = format!("{k8s_pointer}/image");
        let Some(image) = written else {
            return match store.release {
                Some(r) => official_image(r),
                None => {
                    self.report(
                        codes::SCHEMA,
                        format!(
                            "no default image for {} {}.{}",
                            store.engine, store.version.0, store.version.1
                        ),
                        self.key_span(k8s_pointer),
                        "`image` needed",
                        Some("name the image, e.g. `image: \"redis:6.2.14\"`".into()),
                    );
                    String::new()
                }
            };
        };
        if image.is_empty()
            || image
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\'')
        {
            self.report(
                codes::INVALID_SYNTAX,
                format!(
                    "image `{}` is not a container image reference",
                    image.escape_debug()
                ),
                self.span(&pointer),
                "invalid image",
                None,
            );
        } else if let Some(other) = image_engine(&image).filter(|e| *e != store.engine) {
            self.report(
                codes::INCONSISTENT,
                format!(
                    "image `{}` runs {other}, but the store's engine is {}",
                    image.escape_debug(),
                    store.engine
                ),
                self.span(&pointer),
                "another engine",
                Some(format!(
                    "use a {} image, or declare `engine: {other}`",
                    store.engine
                )),
            );
        }
        image
    }
}

/// The official image of a release: `redis:7.2.6`, `valkey/valkey:8.0.1`
/// (a development line such as `8.0-m01` by its `major.minor` tag).
fn official_image(release: Release) -> String {
    let (major, minor) = release.version();
    let exact = release.exact_version();
    let tag = if exact.contains('-') {
        format!("{major}.{minor}")
    } else {
        exact.to_owned()
    };
    match release.engine() {
        Engine::Redis => format!("redis:{tag}"),
        Engine::Valkey => format!("valkey/valkey:{tag}"),
    }
}

/// The engine an image's repository name says (`redis`, `bitnami/valkey`),
/// if it says one.
fn image_engine(image: &str) -> Option<Engine> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let repository = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let name = repository.split(':').next().unwrap_or(repository);
    match name {
        "redis" | "redis-stack-server" => Some(Engine::Redis),
        "valkey" => Some(Engine::Valkey),
        _ => None,
    }
}

/// The name of the store the `redis:` shorthand declares. (Also the name of
/// the stand-in store of a policy that declares none.) `redis` keeps the
/// Kubernetes names a one-store policy always had (`<policy>-redis`).
pub const SHORTHAND_STORE: &str = "redis";

/// Settings of a store the file does not give; never rendered (the policy
/// has an error), only there so lint and explain can run.
fn stand_in_store() -> Store {
    Store {
        name: SHORTHAND_STORE.into(),
        pointer: "/stores".into(),
        cluster_pointer: "/stores".into(),
        engine: crate::facts::Engine::Redis,
        release: None,
        config: Vec::new(),
        access: crate::policy::model::Access::undeclared("/stores"),
        redis: Redis {
            version: (7, 0),
            maxmemory: MemorySize::default(),
            maxmemory_policy: EvictionPolicy::Noeviction,
            maxmemory_samples: None,
            save: Vec::new(),
            appendonly: false,
            appendfsync: None,
            tcp_backlog: None,
            timeout: None,
            tcp_keepalive: None,
            slowlog_log_slower_than: None,
            slowlog_max_len: None,
            maxclients: None,
            io_threads: None,
            io_threads_do_reads: None,
            cores: None,
            lazyfree_lazy_eviction: None,
            lazyfree_lazy_expire: None,
            lazyfree_lazy_server_del: None,
            lazyfree_lazy_user_del: None,
            replica_lazy_flush: None,
            replica_read_only: None,
        },
        cluster: None,
        replicated: None,
        hosted: None,
    }
}

fn parse_version(text: &str) -> Option<Version> {
    let (major, minor) = text.split_once('.')?;
    let minor = minor.split('.').next()?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::{image_engine, official_image};
    use crate::facts::{Engine, release};
    use crate::{CheckOptions, check_bytes};

    #[test]
    fn official_images_follow_the_release() {
        let image = |e, v| official_image(release(e, v).unwrap());
        assert_eq!(image(Engine::Redis, (7, 0)), "redis:7.0.15");
        assert_eq!(image(Engine::Redis, (8, 0)), "redis:8.0");
        assert_eq!(image(Engine::Valkey, (8, 0)), "valkey/valkey:8.0.1");
    }

    #[test]
    fn an_image_names_its_engine_by_repository() {
        assert_eq!(image_engine("redis:7.0.15"), Some(Engine::Redis));
        assert_eq!(
            image_engine("registry.local:5000/valkey/valkey:8.0"),
            Some(Engine::Valkey)
        );
        assert_eq!(
            image_engine("bitnami/valkey@sha256:ab12"),
            Some(Engine::Valkey)
        );
        assert_eq!(image_engine("example.com/cache-server:1"), None);
    }

    fn codes_for(engine: &str, image: &str) -> (Vec<String>, Option<String>) {
        let yaml = format!(
            "version: 1\nttl:\n  default: 5m\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n\
             stores:\n  cache:\n    engine: {engine}\n    version: \"8.0\"\n    maxmemory: 1gb\n    maxmemory_policy: allkeys-lru\n\
             \x20   cluster:\n      masters: 3\n      replicas_per_master: 1\n      node_timeout: 5s\n      kubernetes:\n        namespace: ns\n{image}        memory_limit: 2Gi\n        storage: 1Gi\n"
        );
        let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
        let codes = report
            .diagnostics
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect();
        let image = report.policy.as_ref().and_then(|p| {
            let k8s = p.stores["cache"].cluster.as_ref()?.kubernetes.as_ref()?;
            Some(k8s.image.clone())
        });
        (codes, image)
    }

    #[test]
    fn the_default_image_is_the_engines_and_another_engines_is_refused() {
        let (codes, image) = codes_for("valkey", "");
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(image.as_deref(), Some("valkey/valkey:8.0.1"));
        let (codes, _) = codes_for("valkey", "        image: \"redis:8.0\"\n");
        assert_eq!(codes.len(), 1, "{codes:?}");
        assert!(
            codes[0].starts_with("CG025 image `redis:8.0` runs redis"),
            "{codes:?}"
        );
        let (codes, image) = codes_for("redis", "        image: \"redis:8.0.2\"\n");
        assert!(codes.is_empty(), "{codes:?}");
        assert_eq!(image.as_deref(), Some("redis:8.0.2"));
    }
}
