//! Owns the client and warming section of the TypeScript module:
//! `redisOptions` and `clusterOptions` (the policy's `client:` as ioredis
//! options; durations in milliseconds, retry strategies as functions of the
//! declared backoff) and `WARMING` (the `warming:` tasks as typed data).
//! Only settings the policy declares appear: ioredis keeps its own default
//! for the rest.

use super::{ts_doc, ts_str, union};
use crate::load::units::Duration;
use crate::policy::model::{Client, Policy, WarmTask};
use crate::policy::raw::Backoff;
use serde::Serialize;

/// The client part of the module's context.
#[derive(Debug, Serialize)]
pub struct ClientContext {
    /// `redisOptions`: a standalone connection.
    pub redis: Vec<OptionItem>,
    /// `clusterOptions` apart from `redisOptions`: what ioredis reads at the
    /// cluster level.
    pub cluster: Vec<OptionItem>,
    /// `clusterOptions.redisOptions`: the settings of each node connection.
    /// ioredis's type omits `retryStrategy` and `enableOfflineQueue` there:
    /// a cluster reconnects with `clusterRetryStrategy` and queues commands
    /// itself.
    pub cluster_nodes: Vec<OptionItem>,
    /// Literals of the error prefixes that make a connection reconnect.
    pub reconnect_prefixes: Vec<String>,
    /// `WarmingTaskName`: a union of the task names' literals, `never` for none.
    pub warming_union: String,
    pub warming: Vec<WarmItem>,
}

/// One ioredis option: its property name, TypeScript type and value (an
/// expression computed here: the template does no arithmetic).
#[derive(Debug, Clone, Serialize)]
pub struct OptionItem {
    pub name: &'static str,
    pub ts_type: &'static str,
    pub value: String,
    /// Doc comment text: the policy setting it comes from.
    pub doc: String,
}

/// One warming task; texts are TypeScript literals.
#[derive(Debug, Serialize)]
pub struct WarmItem {
    pub name: String,
    pub doc: String,
    pub keys: Vec<String>,
    /// `true` or `false`.
    pub on_startup: &'static str,
    /// `null` or a string literal.
    pub schedule: String,
    /// `null` or a number.
    pub limit: String,
    /// `null` or a string literal.
    pub description: String,
}

/// The client and warming context of `policy`.
pub fn context(policy: &Policy) -> ClientContext {
    let settings = policy.client.as_ref().map(settings).unwrap_or_default();
    let pick = |wanted: fn(&Applies) -> bool| -> Vec<OptionItem> {
        settings
            .iter()
            .filter(|(applies, _)| wanted(applies))
            .map(|(_, option)| option.clone())
            .collect()
    };
    ClientContext {
        redis: pick(|a| a.standalone),
        cluster: pick(|a| a.cluster),
        cluster_nodes: pick(|a| a.cluster_nodes),
        reconnect_prefixes: policy
            .client
            .iter()
            .flat_map(|c| &c.reconnect_on_errors)
            .map(|p| ts_str(p))
            .collect(),
        warming_union: union(policy.warming.keys().cloned()),
        warming: policy.warming.values().map(warm_item).collect(),
    }
}

/// Where ioredis reads an option: a standalone client's options, a
/// cluster's own, or each cluster node's (`ClusterOptions.redisOptions`).
struct Applies {
    standalone: bool,
    cluster: bool,
    cluster_nodes: bool,
}

/// Per connection: a standalone client and every cluster node.
const CONNECTION: Applies = Applies {
    standalone: true,
    cluster: false,
    cluster_nodes: true,
};
/// Read where commands are queued and retried: the standalone client and
/// the cluster, never a node (ioredis's node type omits them).
const CLIENT: Applies = Applies {
    standalone: true,
    cluster: true,
    cluster_nodes: false,
};
const STANDALONE: Applies = Applies {
    standalone: true,
    cluster: false,
    cluster_nodes: false,
};
const CLUSTER: Applies = Applies {
    standalone: false,
    cluster: true,
    cluster_nodes: false,
};
/// The ready check: a node's (loading finished) and the cluster's
/// (`CLUSTER INFO` reports ok).
const EVERYWHERE: Applies = Applies {
    standalone: true,
    cluster: true,
    cluster_nodes: true,
};

/// Every declared setting as an ioredis option, in the policy's field
/// order, with where it applies.
fn settings(client: &Client) -> Vec<(Applies, OptionItem)> {
    let mut out = Vec::new();
    let mut push = |applies, name, ts_type, value: String, from: &str| {
        let option = OptionItem {
            name,
            ts_type,
            value,
            doc: ts_doc(&format!("From the policy's `client.{from}`.")),
        };
        out.push((applies, option));
    };
    if let Some(n) = client.max_retries_per_request {
        push(
            CONNECTION,
            "maxRetriesPerRequest",
            "number",
            n.to_string(),
            "max_retries_per_request",
        );
    }
    if let Some(b) = &client.retry_backoff {
        push(
            STANDALONE,
            "retryStrategy",
            STRATEGY_TYPE,
            strategy(b),
            "retry_backoff",
        );
    }
    if let Some(b) = &client.cluster_retry_backoff {
        push(
            CLUSTER,
            "clusterRetryStrategy",
            STRATEGY_TYPE,
            strategy(b),
            "cluster_retry_backoff",
        );
    }
    if let Some(d) = client.connect_timeout {
        push(
            CONNECTION,
            "connectTimeout",
            "number",
            millis(d),
            "connect_timeout",
        );
    }
    if let Some(d) = client.command_timeout {
        push(
            CONNECTION,
            "commandTimeout",
            "number",
            millis(d),
            "command_timeout",
        );
    }
    if let Some(d) = client.keepalive {
        push(CONNECTION, "keepAlive", "number", millis(d), "keepalive");
    }
    if let Some(b) = client.offline_queue {
        push(
            CLIENT,
            "enableOfflineQueue",
            "boolean",
            b.to_string(),
            "offline_queue",
        );
    }
    if let Some(b) = client.ready_check {
        push(
            EVERYWHERE,
            "enableReadyCheck",
            "boolean",
            b.to_string(),
            "ready_check",
        );
    }
    if !client.reconnect_on_errors.is_empty() {
        push(
            CONNECTION,
            "reconnectOnError",
            "(err: Error) => boolean",
            "(err: Error): boolean => RECONNECT_ERROR_PREFIXES.some((prefix) => err.message.startsWith(prefix))".into(),
            "reconnect_on_errors",
        );
    }
    out
}

const STRATEGY_TYPE: &str = "(times: number) => number";

/// `attempt × step, at most max`, in milliseconds.
fn strategy(backoff: &Backoff) -> String {
    format!(
        "(times: number): number => Math.min(times * {}, {})",
        millis(backoff.step),
        millis(backoff.max)
    )
}

/// Whole milliseconds: `lower` refuses sub-millisecond client durations
/// (CG023), so nothing is lost.
fn millis(d: Duration) -> String {
    d.as_millis().to_string()
}

fn warm_item(task: &WarmTask) -> WarmItem {
    let literal_or_null = |s: &Option<String>| s.as_deref().map_or("null".into(), ts_str);
    WarmItem {
        name: ts_str(&task.name),
        doc: ts_doc(&match &task.description {
            Some(d) => format!("Warming task `{}`: {d}", task.name),
            None => format!("Warming task `{}`.", task.name),
        }),
        keys: task.keys.iter().map(|k| ts_str(k)).collect(),
        on_startup: if task.on_startup { "true" } else { "false" },
        schedule: literal_or_null(&task.schedule),
        limit: task.limit.map_or("null".into(), |n| n.to_string()),
        description: literal_or_null(&task.description),
    }
}
