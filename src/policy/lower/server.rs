//! Owns lowering the server side: `redis:` (version, persistence, network,
//! slowlog and the rest of what becomes redis.conf) and `cluster:` (masters,
//! timeouts, and the Kubernetes names, image and quantities).

use super::Cx;
use super::names::{is_dns_label, is_dns_subdomain};
use crate::diag::codes;
use crate::load::units;
use crate::policy::model::*;
use crate::policy::raw;

impl Cx<'_> {
    pub(super) fn redis(&mut self, raw: raw::RedisServer) -> Redis {
        let version = match parse_version(&raw.version) {
            Some(v) if (5..=8).contains(&v.0) => v,
            Some(_) => {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!(
                        "Redis {} is outside the versions cachegen knows (5.0 to 8.x)",
                        raw.version
                    ),
                    self.span("/redis/version"),
                    "unknown version",
                    None,
                );
                self.mark_unknown("/redis/version");
                (7, 0)
            }
            None => {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!("`{}` is not a Redis version", raw.version.escape_debug()),
                    self.span("/redis/version"),
                    "expected `major.minor`",
                    Some("write it quoted, e.g. `version: \"7.0\"`".into()),
                );
                self.mark_unknown("/redis/version");
                (7, 0)
            }
        };
        for (i, point) in raw.persistence.save.iter().enumerate() {
            self.positive_seconds(
                point.after,
                &format!("/redis/persistence/save/{i}/after"),
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
                    self.span(&format!("/redis/network/{field}")),
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
                self.span("/redis/slowlog/log_slower_than"),
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

    pub(super) fn cluster(&mut self, raw: raw::Cluster, policy_name: &str) -> Cluster {
        if raw.masters < 3 {
            self.report(
                codes::OUT_OF_RANGE,
                format!(
                    "a Redis Cluster needs at least 3 masters, not {}",
                    raw.masters
                ),
                self.span("/cluster/masters"),
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
                self.span("/cluster/node_timeout"),
                "invalid timeout",
                None,
            );
        }
        let kubernetes = raw.kubernetes.map(|k| {
            let name = k.name.clone().unwrap_or_else(|| format!("{policy_name}-redis"));
            if !is_dns_label(&k.namespace) {
                self.report(codes::INVALID_SYNTAX, format!("namespace `{}` is not a DNS-1123 label", k.namespace.escape_debug()), self.span("/cluster/kubernetes/namespace"), "invalid namespace", Some("lowercase letters, digits and `-`, at most 63 characters".into()));
            }
            // Services need a DNS-1035 label: it must also start with a letter.
            if !is_dns_label(&name) || name.len() > 52 || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
                let pointer = if k.name.is_some() { "/cluster/kubernetes/name" } else { "/name" };
                self.report(codes::INVALID_SYNTAX, format!("Kubernetes name `{}` is not a DNS-1035 label of at most 52 characters", name.escape_debug()), self.span(pointer), "invalid name", Some("lowercase letters, digits and `-`, starting with a letter (Service names); StatefulSet pod names append `-N`, so 52 leaves room for that and the controller hash".into()));
            }
            if k.image.is_empty() || k.image.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\'') {
                self.report(codes::INVALID_SYNTAX, format!("image `{}` is not a container image reference", k.image.escape_debug()), self.span("/cluster/kubernetes/image"), "invalid image", None);
            }
            for (field, value) in [("memory_limit", Some(&k.memory_limit)), ("storage", Some(&k.storage)), ("cpu", k.cpu.as_ref())] {
                if let Some(v) = value
                    && units::quantity_bytes(v).is_none()
                {
                    self.report(codes::INVALID_SYNTAX, format!("`{}` is not a Kubernetes quantity", v.escape_debug()), self.span(&format!("/cluster/kubernetes/{field}")), "invalid quantity", Some("e.g. `3Gi`, `512Mi`, `2`, `500m`".into()));
                }
            }
            if let Some(sc) = &k.storage_class
                && !is_dns_subdomain(sc)
            {
                self.report(codes::INVALID_SYNTAX, format!("storage class `{}` is not a DNS-1123 subdomain", sc.escape_debug()), self.span("/cluster/kubernetes/storage_class"), "invalid name", None);
            }
            Kubernetes { namespace: k.namespace, name, image: k.image, memory_limit: k.memory_limit, cpu: k.cpu, storage: k.storage, storage_class: k.storage_class }
        });
        Cluster {
            masters: raw.masters,
            replicas_per_master: raw.replicas_per_master,
            node_timeout: raw.node_timeout,
            require_full_coverage: raw.require_full_coverage,
            kubernetes,
        }
    }
}

fn parse_version(text: &str) -> Option<Version> {
    let (major, minor) = text.split_once('.')?;
    let minor = minor.split('.').next()?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}
