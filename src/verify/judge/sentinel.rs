//! Owns judging a store's Sentinels against its `replicated.sentinel`
//! section: pure functions of what `verify::sentinel` gathered (each
//! Sentinel's `SENTINEL MASTER`, primary, replicas, Sentinels, CKQUORUM and
//! TILT), with the codes CG450–CG461. The primary they name is verified by
//! the other judges as any node is.

use super::nodes_text;
use crate::diag::{Diagnostic, Severity, codes};
use crate::policy::model::{Policy, Sentinel, Store};
use crate::verify::sentinel::{SentinelObserved, SentinelSeen};
use crate::verify::target::{self, Address};
use std::collections::BTreeMap;

/// Every Sentinel finding of `store` (nothing for a store without
/// `sentinel:`: the caller refuses Sentinels for one before asking).
pub fn judge(policy: &Policy, store: &Store, observed: &SentinelObserved) -> Vec<Diagnostic> {
    let Some(replicated) = store.replicated.as_ref() else {
        return Vec::new();
    };
    let Some(declared) = replicated.sentinel.as_ref() else {
        return Vec::new();
    };
    let at = At {
        policy,
        base: store.at("replicated/sentinel"),
        replicated: store.at("replicated"),
    };
    let mut out = Vec::new();
    unreachable(&at, observed, &mut out);
    unknown_master(&at, observed, &mut out);
    // The rest is of the Sentinels that know the master.
    let knowing: Vec<(&Address, &SentinelSeen)> = observed
        .answered()
        .filter(|(_, s)| s.master.is_some())
        .collect();
    disagreement(&at, &knowing, &mut out);
    count(&at, declared, observed, knowing.len(), &mut out);
    peers(&at, declared, &knowing, &mut out);
    settings(&at, declared, &knowing, &mut out);
    quorum_checks(&at, &knowing, &mut out);
    replicas(&at, replicated.replicas, &knowing, &mut out);
    out
}

/// Where findings point: the store's `replicated.sentinel` and
/// `replicated` sections.
struct At<'p> {
    policy: &'p Policy,
    base: String,
    replicated: String,
}

impl At<'_> {
    fn field(&self, field: &str) -> crate::source::Span {
        self.policy.span(&self.base, field)
    }
}

/// The value of `field` in a Sentinel's `SENTINEL MASTER` reply.
fn master_field<'s>(seen: &'s SentinelSeen, field: &str) -> Option<&'s str> {
    seen.master.as_ref()?.get(field).map(String::as_str)
}

/// Groups Sentinels by a value they report, in value order.
fn by_value<'a>(
    rows: impl IntoIterator<Item = (&'a Address, String)>,
) -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (address, value) in rows {
        groups.entry(value).or_default().push(address.to_string());
    }
    groups
}

fn unreachable(at: &At<'_>, observed: &SentinelObserved, out: &mut Vec<Diagnostic>) {
    for asked in &observed.asked {
        if let Err(why) = &asked.seen {
            out.push(
                Diagnostic::new(
                    codes::SENTINEL_UNREACHABLE,
                    format!("Sentinel {} {why}", asked.address),
                )
                .with_span(at.field("sentinels"), "Sentinels declared here")
                .with_help(
                    "a Sentinel that does not answer cannot vote for a failover; the other Sentinels were still judged",
                ),
            );
        }
    }
}

fn unknown_master(at: &At<'_>, observed: &SentinelObserved, out: &mut Vec<Diagnostic>) {
    for (address, seen) in observed.answered().filter(|(_, s)| s.master.is_none()) {
        let known = if seen.known_masters.is_empty() {
            "it monitors no master".to_owned()
        } else {
            let names: Vec<String> = seen
                .known_masters
                .iter()
                .take(10)
                .map(|n| format!("`{}`", target::printable(n)))
                .collect();
            format!("it monitors {}", names.join(", "))
        };
        out.push(
            Diagnostic::new(
                codes::SENTINEL_MASTER_UNKNOWN,
                format!(
                    "Sentinel {address} does not monitor `{}`: {known}",
                    target::printable(&observed.master_name)
                ),
            )
            .with_span(at.field("master_name"), "the master name clients ask for"),
        );
    }
}

fn disagreement(at: &At<'_>, knowing: &[(&Address, &SentinelSeen)], out: &mut Vec<Diagnostic>) {
    let groups = by_value(knowing.iter().map(|(a, s)| {
        (
            *a,
            s.primary
                .as_ref()
                .map_or("no primary".to_owned(), Address::to_string),
        )
    }));
    if groups.len() > 1 {
        let views: Vec<String> = groups
            .iter()
            .map(|(primary, who)| format!("{} name {primary}", nodes_text(who)))
            .collect();
        out.push(
            Diagnostic::new(
                codes::SENTINELS_DISAGREE,
                format!(
                    "the Sentinels do not agree on the primary: {}",
                    views.join("; ")
                ),
            )
            .with_span(at.field("master_name"), "the master they monitor")
            .with_help(
                "clients asking different Sentinels write to different nodes; verify checked none of them",
            ),
        );
    }
}

/// More Sentinels monitoring the master than declared (one that answered
/// but does not know the master is CG452, not one more of the store's), or
/// fewer given than declared.
fn count(
    at: &At<'_>,
    declared: &Sentinel,
    observed: &SentinelObserved,
    knowing: usize,
    out: &mut Vec<Diagnostic>,
) {
    let given = observed.asked.len() as u32;
    let knowing = knowing as u32;
    if knowing > declared.sentinels {
        out.push(
            Diagnostic::new(
                codes::SENTINEL_COUNT_MISMATCH,
                format!(
                    "{knowing} Sentinels monitor the store's master; the policy declares {}",
                    declared.sentinels
                ),
            )
            .with_span(at.field("sentinels"), "declared here"),
        );
    } else if given < declared.sentinels {
        out.push(
            Diagnostic::new(
                codes::SENTINEL_COUNT_MISMATCH,
                format!(
                    "verify was given {given} of the {} Sentinels the policy declares; the others were not asked",
                    declared.sentinels
                ),
            )
            .with_severity(Severity::Note)
            .with_span(at.field("sentinels"), "declared here")
            .with_help("give every Sentinel (--sentinel, or all of them in the redis+sentinel:// URL)"),
        );
    }
}

fn peers(
    at: &At<'_>,
    declared: &Sentinel,
    knowing: &[(&Address, &SentinelSeen)],
    out: &mut Vec<Diagnostic>,
) {
    let expected = declared.sentinels.saturating_sub(1).to_string();
    let groups = by_value(knowing.iter().map(|(a, s)| {
        (
            *a,
            master_field(s, "num-other-sentinels")
                .unwrap_or("?")
                .to_owned(),
        )
    }));
    if groups.is_empty() || (groups.len() == 1 && groups.contains_key(&expected)) {
        return;
    }
    let views: Vec<String> = groups
        .iter()
        .map(|(n, who)| {
            format!(
                "{} see {} other Sentinels",
                nodes_text(who),
                target::printable(n)
            )
        })
        .collect();
    out.push(
        Diagnostic::new(
            codes::SENTINEL_PEERS_MISMATCH,
            format!(
                "the Sentinels should each see {expected} others: {}",
                views.join("; ")
            ),
        )
        .with_span(at.field("sentinels"), "declared here")
        .with_help(
            "Sentinels find each other on the primary's __sentinel__:hello channel: check each one's announce address and that every one monitors this primary",
        ),
    );
}

fn settings(
    at: &At<'_>,
    declared: &Sentinel,
    knowing: &[(&Address, &SentinelSeen)],
    out: &mut Vec<Diagnostic>,
) {
    let fields: [(&str, &str, String); 4] = [
        ("quorum", "quorum", declared.quorum.to_string()),
        (
            "down-after-milliseconds",
            "down_after",
            declared.down_after.as_millis().to_string(),
        ),
        (
            "failover-timeout",
            "failover_timeout",
            declared.failover_timeout.as_millis().to_string(),
        ),
        (
            "parallel-syncs",
            "parallel_syncs",
            declared.parallel_syncs.to_string(),
        ),
    ];
    for (field, policy_field, expected) in fields {
        let groups = by_value(knowing.iter().filter_map(|(a, s)| {
            let value = master_field(s, field).unwrap_or("?");
            (value != expected).then(|| (*a, value.to_owned()))
        }));
        for (value, who) in groups {
            let code = if field == "quorum" {
                codes::SENTINEL_QUORUM_MISMATCH
            } else {
                codes::SENTINEL_SETTING_MISMATCH
            };
            out.push(
                Diagnostic::new(
                    code,
                    format!(
                        "{field} is {} on {}; the policy sets {expected}",
                        target::printable(&value),
                        nodes_text(&who)
                    ),
                )
                .with_span(at.field(policy_field), "declared here"),
            );
        }
    }
}

/// CKQUORUM, TILT and the master's own flags.
fn quorum_checks(at: &At<'_>, knowing: &[(&Address, &SentinelSeen)], out: &mut Vec<Diagnostic>) {
    let failed = by_value(
        knowing
            .iter()
            .filter_map(|(a, s)| s.ckquorum.as_ref().err().map(|why| (*a, why.clone()))),
    );
    for (why, who) in failed {
        out.push(
            Diagnostic::new(
                codes::SENTINEL_NO_QUORUM,
                format!("SENTINEL CKQUORUM fails on {}: {why}", nodes_text(&who)),
            )
            .with_span(at.field("quorum"), "quorum declared here")
            .with_help("no automatic failover can happen now"),
        );
    }
    let tilted: Vec<String> = knowing
        .iter()
        .filter(|(_, s)| s.tilt == Some(true))
        .map(|(a, _)| a.to_string())
        .collect();
    if !tilted.is_empty() {
        out.push(
            Diagnostic::new(
                codes::SENTINEL_TILT,
                format!(
                    "{} in TILT mode: it takes no action, failover included, until it leaves it",
                    nodes_text(&tilted)
                ),
            )
            .with_span(at.field("sentinels"), "Sentinels declared here"),
        );
    }
    let down = by_value(knowing.iter().filter_map(|(a, s)| {
        let flags = down_flags(master_field(s, "flags").unwrap_or_default());
        (!flags.is_empty()).then(|| (*a, flags.join(",")))
    }));
    for (flags, who) in down {
        // `disconnected` alone: the Sentinel has no link to the primary
        // (yet no down-after has passed without a valid reply); it cannot
        // see the primary fail, but no failover is due.
        let (severity, help) = if flags == "disconnected" {
            (
                Severity::Warning,
                "the Sentinel cannot watch the primary; check its network path and login to the primary",
            )
        } else {
            (
                Severity::Error,
                "a failover is due or under way; verify again once it is over",
            )
        };
        out.push(
            Diagnostic::new(
                codes::SENTINEL_MASTER_DOWN,
                format!("{} flag the primary {flags}", nodes_text(&who)),
            )
            .with_severity(severity)
            .with_span(at.field("master_name"), "the master they monitor")
            .with_help(help),
        );
    }
}

/// The flags of `flags` (comma separated) that mean down.
fn down_flags(flags: &str) -> Vec<&str> {
    flags
        .split(',')
        .filter(|f| matches!(*f, "s_down" | "o_down" | "disconnected"))
        .collect()
}

fn replicas(
    at: &At<'_>,
    declared: u32,
    knowing: &[(&Address, &SentinelSeen)],
    out: &mut Vec<Diagnostic>,
) {
    let counts = by_value(knowing.iter().filter_map(|(a, s)| {
        let n = s.replicas.len() as u32;
        (n != declared).then(|| (*a, n.to_string()))
    }));
    for (n, who) in counts {
        out.push(
            Diagnostic::new(
                codes::SENTINEL_REPLICA_COUNT_MISMATCH,
                format!(
                    "{} know {n} replicas; the policy declares {declared}",
                    nodes_text(&who)
                ),
            )
            .with_span(at.policy.span(&at.replicated, "replicas"), "declared here"),
        );
    }
    // Each unhealthy replica once, with what each Sentinel says of it.
    let mut trouble: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (sentinel, seen) in knowing {
        for replica in &seen.replicas {
            let name = replica.get("name").cloned().unwrap_or_else(|| {
                format!(
                    "{}:{}",
                    replica.get("ip").map_or("?", String::as_str),
                    replica.get("port").map_or("?", String::as_str)
                )
            });
            let mut why: Vec<String> = down_flags(replica.get("flags").map_or("", String::as_str))
                .into_iter()
                .map(str::to_owned)
                .collect();
            match replica.get("master-link-status").map(String::as_str) {
                Some("ok") => {}
                Some(other) => why.push(format!("master link {}", target::printable(other))),
                None => why.push("master link unknown".into()),
            }
            if !why.is_empty() {
                trouble
                    .entry(target::printable(&name))
                    .or_default()
                    .push(format!("{sentinel}: {}", why.join(", ")));
            }
        }
    }
    for (replica, views) in trouble {
        out.push(
            Diagnostic::new(
                codes::SENTINEL_REPLICA_DOWN,
                format!(
                    "replica {replica} is not healthy as the Sentinels see it ({})",
                    nodes_text(&views)
                ),
            )
            .with_span(
                at.policy.span(&at.replicated, "replicas"),
                "replicas declared here",
            )
            .with_help("a Sentinel will not promote it, and it serves stale data"),
        );
    }
}

#[cfg(test)]
mod tests;
