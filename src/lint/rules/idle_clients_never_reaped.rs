//! CG109 idle-clients-never-reaped: a Redis that neither times out idle
//! clients nor probes them, so connections of dead clients stay forever.

use crate::lint::Findings;
use crate::lint::rules::written_span;
use crate::policy::model::{Policy, Store};

crate::declare_rule! {
    /// ## What it does
    /// Reports `redis.network.tcp_keepalive: 0s` when idle clients are never
    /// closed either: `redis.network.timeout` is `0s` or not set (Redis's
    /// default `timeout` is 0). An absent `tcp_keepalive` is not reported:
    /// Redis then uses its default of 300 seconds (since 3.2.1; cachegen
    /// targets 5.0 and later), which is on.
    ///
    /// ## Why is this bad?
    /// `timeout 0` (Redis's default) keeps idle connections open for
    /// ever, which is right for connection pools. It relies on
    /// `tcp-keepalive` to find connections whose client is gone: with it,
    /// Redis has the kernel probe idle connections, a connection whose peer
    /// does not answer fails, and Redis frees the client. With `tcp-keepalive 0` no probe is ever
    /// sent, so a client host that crashed, was rescheduled, or lost its
    /// NAT or firewall entry leaves a half-open connection that Redis keeps
    /// for ever. Each one holds a client slot and its buffers; they pile up
    /// across deploys until `maxclients` is reached and Redis answers new
    /// connections with `ERR max number of clients reached`.
    ///
    /// ## Example
    /// ```yaml
    /// redis:
    ///   network:
    ///     timeout: 0s
    ///     tcp_keepalive: 0s    # CG109
    /// ```
    /// Use instead `tcp_keepalive: 300s` (Redis's default), or leave it out.
    "CG109", "idle-clients-never-reaped", Warning, "connections of dead clients are never closed and pile up until maxclients"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/network", "@store/maxclients"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let redis = &store.redis;
    let network = store.at("network");
    // Only an explicit 0 turns keepalive off; absent means Redis's 300s.
    if !redis.tcp_keepalive.is_some_and(|d| d.is_zero()) {
        return;
    }
    if redis.timeout.is_some_and(|d| !d.is_zero()) {
        return;
    }
    let timeout_written = written_span(policy, &network, "timeout");
    let message = if timeout_written.is_some() {
        "`tcp_keepalive: 0s` with `timeout: 0s`: connections of clients that died are never closed"
    } else {
        "`tcp_keepalive: 0s` with no `timeout` (Redis's default 0): connections of clients that died are never closed"
    };
    let d = out.report(
        message,
        policy.span(&network, "tcp_keepalive"),
        "no keepalive probes: dead peers go unnoticed",
    );
    d.add_help("remove `tcp_keepalive` or set it to 300s (Redis's default), so Redis probes idle connections and closes those whose client is gone; a non-zero `timeout` also works, but then pooled connections that sit idle are dropped too");
    if let Some(span) = timeout_written {
        d.add_related(span, "idle clients are never closed");
    }
    if let (Some(span), Some(n)) = (
        written_span(policy, &store.pointer, "maxclients"),
        redis.maxclients,
    ) {
        d.add_related(span, format!("dead connections count against these {n}"));
    }
}

#[cfg(test)]
mod tests {
    use crate::{CheckOptions, check_bytes};

    /// CG109 messages for a policy with the given `redis.network` lines.
    fn messages(network: &str) -> Vec<String> {
        let yaml = format!(
            "version: 1\nttl:\n  default: 5m\n  jitter: 10%\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n\
             redis:\n  version: \"7.0\"\n  maxmemory: 1gb\n  maxmemory_policy: allkeys-lru\n  network:\n{network}"
        );
        let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
        report
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "CG109")
            .map(|d| d.message.clone())
            .collect()
    }

    #[test]
    fn absent_keepalive_is_redis_default_300s() {
        assert!(messages("    timeout: 0s\n").is_empty());
        assert!(messages("    tcp_backlog: 511\n").is_empty());
    }

    #[test]
    fn absent_timeout_is_redis_default_0() {
        let found = messages("    tcp_keepalive: 0s\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("no `timeout`"), "{found:?}");
    }

    #[test]
    fn a_timeout_reaps_idle_clients() {
        assert!(messages("    timeout: 300s\n    tcp_keepalive: 0s\n").is_empty());
    }
}
