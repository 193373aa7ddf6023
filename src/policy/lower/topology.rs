//! Owns lowering a store's `replicated:` (replicas, `min-replicas-*`, the
//! Sentinels) and `hosted:` sections: each value checked where it is
//! written, the defaults filled in, the exclusions between topologies.

use super::Cx;
use crate::diag::codes;
use crate::load::units::Duration;
use crate::policy::model::*;
use crate::policy::raw;

impl Cx<'_> {
    /// The store's topology sections, with the pointers of the store. A
    /// store may be one of: a cluster, replicated, hosted (or standalone).
    pub(super) fn topology(
        &mut self,
        base: &str,
        store_name: &str,
        has_cluster: bool,
        replicated: Option<raw::Replicated>,
        hosted: Option<raw::Hosted>,
    ) -> (Option<Replicated>, Option<Hosted>) {
        if has_cluster && replicated.is_some() {
            self.report(
                codes::INCONSISTENT,
                "a store is either a cluster or replicated, not both".into(),
                self.key_span(&format!("{base}/replicated")),
                "also a cluster",
                Some("a Redis Cluster has replicas of its own (`replicas_per_master`) and fails over without Sentinel: keep one of the two".into()),
            );
        }
        if hosted.is_some() && (has_cluster || replicated.is_some()) {
            let other = if has_cluster { "cluster" } else { "replicated" };
            self.report(
                codes::INCONSISTENT,
                format!("a hosted store's topology is the service's: `{other}` cannot be set"),
                self.key_span(&format!("{base}/hosted")),
                "the service decides",
                Some(format!(
                    "remove `{other}`; give the service's read replicas as `hosted.replicas`"
                )),
            );
        }
        let replicated =
            replicated.map(|r| self.replicated(r, &format!("{base}/replicated"), store_name));
        let hosted = hosted.map(|h| self.hosted(h, &format!("{base}/hosted")));
        (replicated, hosted)
    }

    fn replicated(&mut self, raw: raw::Replicated, base: &str, store_name: &str) -> Replicated {
        if raw.replicas == 0 {
            self.report(
                codes::OUT_OF_RANGE,
                "a replicated store needs at least 1 replica".into(),
                self.span(&format!("{base}/replicas")),
                "no replica",
                Some("set `replicas: 1` or more, or remove `replicated` for a single node".into()),
            );
            self.mark_unknown(&format!("{base}/replicas"));
        }
        if let Some(n) = raw.min_replicas_to_write
            && n > raw.replicas
        {
            self.report(
                codes::INCONSISTENT,
                format!(
                    "`min_replicas_to_write` {n} is more than the {} replica(s): the primary would refuse every write",
                    raw.replicas
                ),
                self.span(&format!("{base}/min_replicas_to_write")),
                "more than `replicas`",
                Some("at most `replicas`, and fewer to keep writing while one replica is down".into()),
            );
            self.mark_unknown(&format!("{base}/min_replicas_to_write"));
        }
        if let Some(lag) = raw.min_replicas_max_lag {
            self.whole_positive_seconds(
                lag,
                &format!("{base}/min_replicas_max_lag"),
                "`min_replicas_max_lag`",
            );
        }
        let sentinel = raw
            .sentinel
            .map(|s| self.sentinel(s, &format!("{base}/sentinel"), store_name, raw.replicas));
        Replicated {
            replicas: raw.replicas,
            min_replicas_to_write: raw.min_replicas_to_write,
            min_replicas_max_lag: raw.min_replicas_max_lag,
            sentinel,
            // Lowered with the store's release (its default image): `Cx::store`.
            kubernetes: None,
        }
    }

    /// A replicated store's `kubernetes:` section, lowered once the store's
    /// release (its default image) is known. Only with Sentinels: the pods
    /// find the primary by asking them, and without them nothing would
    /// promote a replica when the primary's node goes.
    pub(super) fn replicated_kubernetes(
        &mut self,
        replicated: &Replicated,
        raw: raw::Kubernetes,
        store_pointer: &str,
        default_name: &str,
        image: super::server::ImageDefault,
    ) -> Option<Kubernetes> {
        let base = format!("{store_pointer}/replicated");
        if replicated.sentinel.is_none() {
            self.report(
                codes::INCONSISTENT,
                "`replicated.kubernetes` needs `replicated.sentinel`".into(),
                self.key_span(&format!("{base}/kubernetes")),
                "no Sentinels",
                Some("on Kubernetes a node can go at any time (a drain, a reschedule): declare `sentinel:` so a replica is promoted, and so the pods can ask who the primary is".into()),
            );
            self.mark_unknown(&format!("{base}/kubernetes"));
            return None;
        }
        let kubernetes = self.kubernetes(
            raw,
            &base,
            default_name,
            image,
            super::server::KubernetesNameMax::REPLICATED,
        );
        Some(kubernetes)
    }

    /// A replicated store on Kubernetes cannot take `access.tls` yet: its
    /// Sentinels would have to reach the data nodes and each other over TLS
    /// too (`tls-replication`, their own certificates), which the
    /// generated `sentinel.conf` does not set.
    pub(super) fn replicated_kubernetes_tls(&mut self, store: &Store) {
        let on_kubernetes = store
            .replicated
            .as_ref()
            .is_some_and(|r| r.kubernetes.is_some());
        if store.access.tls.is_none() || !on_kubernetes {
            return;
        }
        self.report(
            codes::INCONSISTENT,
            "`access.tls` is not supported yet for a replicated store on Kubernetes".into(),
            self.key_span(&format!("{}/tls", store.access.pointer)),
            "not supported yet",
            Some(
                "the Sentinels connect in plain text: remove `tls`, or `replicated.kubernetes`"
                    .into(),
            ),
        );
    }

    fn sentinel(
        &mut self,
        raw: raw::Sentinel,
        base: &str,
        store_name: &str,
        replicas: u32,
    ) -> Sentinel {
        for (field, value) in [("sentinels", raw.sentinels), ("quorum", raw.quorum)] {
            if value == 0 {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!("`{field}` must be at least 1"),
                    self.span(&format!("{base}/{field}")),
                    "zero",
                    Some(if field == "quorum" {
                        "the quorum is how many Sentinels must agree the primary is down: at least 1, usually a majority (2 of 3)".into()
                    } else {
                        "run at least 3 Sentinels, on separate machines".into()
                    }),
                );
                self.mark_unknown(&format!("{base}/{field}"));
            }
        }
        if raw.quorum > raw.sentinels && raw.sentinels > 0 {
            self.report(
                codes::INCONSISTENT,
                format!(
                    "`quorum` {} is more than the {} Sentinel(s): the primary could never be agreed down",
                    raw.quorum, raw.sentinels
                ),
                self.span(&format!("{base}/quorum")),
                "more than `sentinels`",
                Some(format!("at most a majority of the Sentinels ({})", raw.sentinels / 2 + 1)),
            );
            self.mark_unknown(&format!("{base}/quorum"));
        }
        let down_after = raw.down_after.unwrap_or(SENTINEL_DOWN_AFTER_DEFAULT);
        let failover_timeout = raw
            .failover_timeout
            .unwrap_or(SENTINEL_FAILOVER_TIMEOUT_DEFAULT);
        for (field, value) in [
            ("down_after", raw.down_after),
            ("failover_timeout", raw.failover_timeout),
        ] {
            if let Some(d) = value
                && (d.is_zero() || !d.as_micros().is_multiple_of(1000))
            {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!("`{field}` must be a positive whole number of milliseconds"),
                    self.span(&format!("{base}/{field}")),
                    "invalid duration",
                    Some("sentinel.conf takes it in milliseconds".into()),
                );
                self.mark_unknown(&format!("{base}/{field}"));
            } else if let Some(d) = value
                && d.as_millis() > SENTINEL_MAX_MILLIS
            {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!("`{field}` `{d}` is more than Sentinel can read"),
                    self.span(&format!("{base}/{field}")),
                    "too long",
                    Some(format!(
                        "at most {SENTINEL_MAX_MILLIS} ms (about 24 days): sentinel.conf reads it as a 32-bit signed number of milliseconds and refuses more"
                    )),
                );
                self.mark_unknown(&format!("{base}/{field}"));
            }
        }
        let parallel_syncs = raw
            .parallel_syncs
            .unwrap_or(SENTINEL_PARALLEL_SYNCS_DEFAULT);
        if raw.parallel_syncs == Some(0) {
            self.report(
                codes::OUT_OF_RANGE,
                "`parallel_syncs` must be at least 1".into(),
                self.span(&format!("{base}/parallel_syncs")),
                "zero",
                Some("1 (Redis's default) keeps all but one replica serving while they resynchronise".into()),
            );
        } else if parallel_syncs > replicas && replicas > 0 {
            // Sentinel reads it as a C int (atoi): a value past i32::MAX
            // turns negative; more than the replicas means nothing anyway.
            self.report(
                codes::OUT_OF_RANGE,
                format!(
                    "`parallel_syncs` {parallel_syncs} is more than the {replicas} replica(s)"
                ),
                self.span(&format!("{base}/parallel_syncs")),
                "more than `replicas`",
                Some(format!(
                    "at most `replicas` ({replicas}); 1 keeps all but one replica serving while they resynchronise after a failover"
                )),
            );
            self.mark_unknown(&format!("{base}/parallel_syncs"));
        }
        let master_name = match raw.master_name {
            Some(name) => {
                if !is_master_name(&name) {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("`{}` is not a Sentinel master name", name.escape_debug()),
                        self.span(&format!("{base}/master_name")),
                        "invalid name",
                        Some("letters, digits, `.`, `_` and `-`, at most 64 characters: it is a word in `sentinel.conf` and in `SENTINEL` commands".into()),
                    );
                    self.mark_unknown(&format!("{base}/master_name"));
                }
                name
            }
            // Store names are lowercase labels: already a safe master name.
            None => store_name.to_owned(),
        };
        Sentinel {
            sentinels: raw.sentinels,
            quorum: raw.quorum,
            down_after,
            failover_timeout,
            parallel_syncs,
            master_name,
        }
    }

    fn hosted(&mut self, raw: raw::Hosted, base: &str) -> Hosted {
        if let Some(n) = raw.replicas {
            match raw.service.max_replicas() {
                None => {
                    self.report(
                        codes::INCONSISTENT,
                        format!("{} decides a cache's replicas by its tier: `replicas` cannot be set", raw.service.name()),
                        self.key_span(&format!("{base}/replicas")),
                        "not the policy's to set",
                        Some("remove `replicas`; choose the tier (as `node_type`) that has the replicas you need".into()),
                    );
                    self.mark_unknown(&format!("{base}/replicas"));
                }
                Some(max) if n > max => {
                    self.report(
                        codes::OUT_OF_RANGE,
                        format!(
                            "{} runs at most {max} read replicas, not {n}",
                            raw.service.name()
                        ),
                        self.span(&format!("{base}/replicas")),
                        "too many",
                        None,
                    );
                    self.mark_unknown(&format!("{base}/replicas"));
                }
                Some(_) => {}
            }
        }
        if let Some(t) = &raw.node_type
            && (t.is_empty()
                || t.len() > 64
                || !t
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        {
            self.report(
                codes::INVALID_SYNTAX,
                format!("`{}` is not a node type", t.escape_debug()),
                self.span(&format!("{base}/node_type")),
                "invalid node type",
                Some("the service's name for it, e.g. `cache.r7g.large`".into()),
            );
            self.mark_unknown(&format!("{base}/node_type"));
        }
        Hosted {
            service: raw.service,
            node_type: raw.node_type,
            replicas: raw.replicas,
        }
    }

    /// A hosted store's `field` is not rendered: `access` (the service's
    /// own users), `config` (no entry of it can reach a parameter group:
    /// the parameters cachegen confirms a service accepts each have a field
    /// of their own), so the policy may not pretend it is applied.
    pub(super) fn hosted_not_supported_yet(&mut self, base: &str, field: &str) {
        let help = if field == "config" {
            "remove `config` for now: a hosted store's parameter group carries only parameters cachegen confirms the service accepts, and each of those has a field of its own (`maxmemory_policy`, `network.timeout`, `slowlog`, …); set any other parameter in the service yourself".to_owned()
        } else {
            format!(
                "remove `{field}` for now: the service's users and their access are not rendered yet"
            )
        };
        self.report(
            codes::INCONSISTENT,
            format!("`{field}` is not supported yet for a hosted store: nothing would apply it"),
            self.key_span(&format!("{base}/{field}")),
            "not applied to the service",
            Some(help),
        );
    }

    fn whole_positive_seconds(&mut self, d: Duration, pointer: &str, what: &str) {
        if d.is_zero() || !d.is_whole_seconds() {
            self.report(
                codes::OUT_OF_RANGE,
                format!("{what} `{d}` must be a positive whole number of seconds"),
                self.span(pointer),
                "invalid duration",
                Some("redis.conf takes it in seconds".into()),
            );
            self.mark_unknown(pointer);
        }
    }
}

/// The longest `down-after-milliseconds` / `failover-timeout` Sentinel
/// takes: sentinel.c reads both with `atoi` into an int and refuses a value
/// that is not positive, so past `i32::MAX` a value wraps and is refused.
const SENTINEL_MAX_MILLIS: u64 = i32::MAX as u64;

/// A master name `sentinel.conf` and `SENTINEL` commands take as one word.
fn is_master_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use crate::diag::Severity;
    use crate::{CheckOptions, check_bytes};

    /// The errors (code, message) of a policy whose one store ends with `tail`.
    fn errors(tail: &str) -> Vec<String> {
        let yaml = format!(
            "version: 1\nttl:\n  default: 5m\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n\
             redis:\n  version: \"7.2\"\n  maxmemory: 1gb\n  maxmemory_policy: allkeys-lru\n{tail}"
        );
        let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
        // Lower's own findings: lint (CG610 for a release a service does
        // not run) has tests of its own.
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && !d.code.is_lint())
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect()
    }

    #[test]
    fn a_valid_replicated_store_fills_the_sentinel_defaults() {
        let yaml = "version: 1\nttl:\n  default: 5m\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n\
             stores:\n  orders:\n    version: \"7.2\"\n    maxmemory: 1gb\n    maxmemory_policy: noeviction\n\
             \x20   replicated:\n      replicas: 2\n      min_replicas_to_write: 1\n      sentinel: { sentinels: 3, quorum: 2 }\n";
        let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
        let policy = report.policy.expect("lowered");
        let store = &policy.stores["orders"];
        assert!(store.has_replicas(), "replication user and masterauth");
        let s = store
            .replicated
            .as_ref()
            .unwrap()
            .sentinel
            .as_ref()
            .unwrap();
        assert_eq!(s.master_name, "orders");
        assert_eq!(s.down_after.as_millis(), 30_000);
        assert_eq!(s.failover_timeout.as_millis(), 180_000);
        assert_eq!(s.parallel_syncs, 1);
        assert_eq!(s.majority(), 2);
    }

    #[test]
    fn quorum_zero_is_an_error_where_it_is_written() {
        let found =
            errors("  replicated:\n    replicas: 1\n    sentinel: { sentinels: 3, quorum: 0 }\n");
        assert_eq!(found, ["CG023 `quorum` must be at least 1"]);
    }

    #[test]
    fn quorum_above_the_sentinels_and_min_replicas_above_replicas_are_errors() {
        let found = errors(
            "  replicated:\n    replicas: 1\n    min_replicas_to_write: 2\n    sentinel: { sentinels: 3, quorum: 4 }\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("CG025 `min_replicas_to_write` 2 is more than the 1 replica(s)"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("CG025 `quorum` 4 is more than the 3 Sentinel(s)"),
            "{found:?}"
        );
    }

    #[test]
    fn no_replicas_sub_second_lag_and_bad_master_names_are_errors() {
        let found = errors(
            "  replicated:\n    replicas: 0\n    min_replicas_max_lag: 1500ms\n    sentinel: { sentinels: 3, quorum: 2, master_name: \"a b\\nsentinel\" }\n",
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[0].starts_with("CG023 a replicated store needs at least 1 replica"),
            "{found:?}"
        );
        assert!(
            found[1].contains(
                "`min_replicas_max_lag` `1s500ms` must be a positive whole number of seconds"
            ),
            "{found:?}"
        );
        assert!(
            found[2].starts_with("CG024 `a b\\nsentinel` is not a Sentinel master name"),
            "{found:?}"
        );
    }

    #[test]
    fn sentinel_timeouts_and_parallel_syncs_stay_within_what_sentinel_reads() {
        let found = errors(
            "  replicated:\n    replicas: 2\n    sentinel: { sentinels: 3, quorum: 2, down_after: 25d, failover_timeout: 30d, parallel_syncs: 4294967295 }\n",
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(
            found[0].starts_with("CG023 `down_after` `3w4d` is more than Sentinel can read"),
            "{found:?}"
        );
        assert!(
            found[1].starts_with("CG023 `failover_timeout` `4w2d` is more than Sentinel can read"),
            "{found:?}"
        );
        assert!(
            found[2].starts_with("CG023 `parallel_syncs` 4294967295 is more than the 2 replica(s)"),
            "{found:?}"
        );
        // The largest values Sentinel takes are accepted.
        assert!(
            errors(
                "  replicated:\n    replicas: 2\n    sentinel: { sentinels: 3, quorum: 2, down_after: 2147483647ms, failover_timeout: 24d, parallel_syncs: 2 }\n",
            )
            .is_empty()
        );
    }

    #[test]
    fn topologies_exclude_each_other() {
        let found = errors(
            "  replicated: { replicas: 1 }\n  cluster: { masters: 3, replicas_per_master: 1, node_timeout: 5s }\n",
        );
        assert_eq!(
            found,
            ["CG025 a store is either a cluster or replicated, not both"]
        );
        let found = errors("  replicated: { replicas: 1 }\n  hosted: { service: aws-memorydb }\n");
        assert_eq!(
            found,
            ["CG025 a hosted store's topology is the service's: `replicated` cannot be set"]
        );
    }

    #[test]
    fn hosted_access_and_config_are_not_supported_yet() {
        let yaml = "version: 1\nttl:\n  default: 5m\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n\
             stores:\n  cache:\n    version: \"7.2\"\n    maxmemory: 1gb\n    maxmemory_policy: allkeys-lru\n\
             \x20   hosted: { service: aws-memorydb }\n    config: { hz: \"50\" }\n\
             \x20   access:\n      services:\n        web: { password: { env: WEB_PW }, reads: [quiz] }\n";
        let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
        let found: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && !d.code.is_lint())
            .map(|d| (d.message.clone(), &yaml[d.span.expect("span").start..]))
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found.iter().any(|(m, line)| m
                .starts_with("`config` is not supported yet for a hosted store")
                && line.starts_with("config")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|(m, line)| m
                .starts_with("`access` is not supported yet for a hosted store")
                && line.starts_with("access")),
            "{found:?}"
        );
    }

    /// `config:` is refused on every hosted store, also where its parameter
    /// group is rendered (ElastiCache, Redis 7.0: family `redis7`): no
    /// `config:` entry could reach the group, so none may look applied.
    #[test]
    fn hosted_config_is_refused_even_where_a_parameter_group_is_rendered() {
        let store = |service: &str, version: &str| {
            format!(
                "version: 1\nttl:\n  default: 5m\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n\
                 redis:\n  version: \"{version}\"\n  maxmemory: 1gb\n  maxmemory_policy: allkeys-lru\n\
                 \x20 hosted: {{ service: {service} }}\n  config: {{ hz: \"50\" }}\n"
            )
        };
        let refused = |yaml: String| {
            let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
            // Refused once: the entries do not reach the model, so nothing
            // else (CG612: "left out of the parameter group") reports them.
            assert!(
                !report
                    .diagnostics
                    .iter()
                    .any(|d| d.message.contains("`hz`")),
                "{:?}",
                report.diagnostics
            );
            report
                .diagnostics
                .iter()
                .any(|d| d.message.starts_with("`config` is not supported yet"))
        };
        assert!(refused(store("aws-elasticache", "7.0")));
        assert!(refused(
            store("aws-elasticache", "8.0").replace("redis:\n", "redis:\n  engine: valkey\n")
        ));
        assert!(refused(store("aws-memorydb", "7.0")));
        assert!(refused(store("gcp-memorystore", "7.0")));
        assert!(refused(store("aws-elasticache", "7.4")));
        // Self-hosted, the same `config:` is fine.
        assert!(!refused(
            store("aws-elasticache", "7.0").replace("  hosted: { service: aws-elasticache }\n", "")
        ));
    }

    #[test]
    fn hosted_replicas_only_where_the_service_takes_them() {
        assert_eq!(
            errors("  hosted: { service: azure, replicas: 1 }\n"),
            ["CG025 azure decides a cache's replicas by its tier: `replicas` cannot be set"]
        );
        assert_eq!(
            errors("  hosted: { service: aws-elasticache, replicas: 6 }\n"),
            ["CG023 aws-elasticache runs at most 5 read replicas, not 6"]
        );
        assert!(
            errors(
                "  hosted: { service: aws-elasticache, node_type: cache.r7g.large, replicas: 5 }\n"
            )
            .is_empty()
        );
        assert_eq!(
            errors("  hosted: { service: aws-memorydb, node_type: \"db r7g\" }\n"),
            ["CG024 `db r7g` is not a node type"]
        );
    }
}
