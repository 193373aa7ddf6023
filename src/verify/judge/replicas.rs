//! Owns judging a standalone primary and its replicas (outside a cluster)
//! against the store's `replicated:` section: from the group `replicas`
//! found (`observed::Observed::replication`) and each member's `INFO
//! replication`. The cluster's replicas are `topology`'s.

use super::nodes_text;
use crate::diag::{Diagnostic, Severity, codes};
use crate::policy::model::{Policy, Store};
use crate::source::Span;
use crate::verify::observed::{Observed, ObservedNode};
use crate::verify::replicas::{self, Followed, Replication};
use crate::verify::target::printable;

/// `min-replicas-max-lag` when the policy does not set it: Redis's default.
const DEFAULT_MAX_LAG_SECS: u64 = 10;

/// The replica count, links, lag, which primary each replica follows, a
/// replica seed, and replication the policy does not declare. Nothing in a
/// cluster (on either side: a mismatch is the mode judge's finding).
pub fn judge(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    let store = observed.store(policy);
    let (Some(group), None) = (&observed.replication, &store.cluster) else {
        return Vec::new();
    };
    let replicated_at = store.at("replicated");
    let count_span = if store.replicated.is_some() {
        policy.span(&replicated_at, "replicas")
    } else {
        policy.key_span(&store.pointer)
    };
    let mut findings = Vec::new();
    findings.extend(seed_replica(policy, store, group));
    findings.extend(undeclared(policy, store, observed, group));
    findings.extend(count(store, group, count_span));
    findings.extend(links(observed, group, count_span));
    findings.extend(lagging(policy, store, group, count_span));
    findings.extend(min_replicas_undeclared(policy, store, observed, group));
    findings
}

/// The members verify reached that report `role:slave`.
fn replicas_reached(
    observed: &Observed,
) -> impl Iterator<Item = (&ObservedNode, &crate::verify::server::Info)> {
    observed
        .reached()
        .filter(|(_, f)| replicas::is_replica(&f.info))
        .map(|(n, f)| (n, &f.info))
}

/// CG473: the URL names a replica; where it led.
fn seed_replica(policy: &Policy, store: &Store, group: &Replication) -> Option<Diagnostic> {
    let follow = group.seed_follows.as_ref()?;
    let master = follow
        .master
        .as_ref()
        .map_or("no readable primary".to_owned(), |m| {
            printable(&m.to_string())
        });
    let (message, severity) = match &follow.outcome {
        Followed::Read => (
            format!(
                "the URL names a replica of {master}; verify followed it and read the primary and its replicas"
            ),
            Severity::Note,
        ),
        Followed::NotAllowed => (
            format!(
                "the URL names a replica of {master}, a host verify may not contact (see --allow-hosts): only the replica was read; the replica count and the other replicas were not checked"
            ),
            Severity::Warning,
        ),
        Followed::Failed(why) => (
            format!(
                "the URL names a replica of {master}, which could not be read ({}): only the replica was read; the replica count and the other replicas were not checked",
                printable(why)
            ),
            Severity::Warning,
        ),
    };
    Some(
        Diagnostic::new(codes::SEED_IS_REPLICA, message)
            .with_span(policy.key_span(&store.pointer), "store verified")
            .with_severity(severity)
            .with_help("point --redis at the primary, or allow its host with --allow-hosts"),
    )
}

/// CG470: replicas, or a replica seed, where the store declares none.
fn undeclared(
    policy: &Policy,
    store: &Store,
    observed: &Observed,
    group: &Replication,
) -> Option<Diagnostic> {
    if store.replicated.is_some() || store.hosted.is_some() {
        return None;
    }
    let what = if let Some(primary) = group.primary.as_ref().filter(|_| !group.listed.is_empty()) {
        let listed: Vec<String> = group
            .listed
            .iter()
            .map(|r| printable(&r.address.to_string()))
            .collect();
        format!(
            "the primary {} has {} replica{} ({})",
            printable(&primary.to_string()),
            listed.len(),
            if listed.len() == 1 { "" } else { "s" },
            nodes_text(&listed)
        )
    } else if group.seed_follows.is_some() || replicas_reached(observed).next().is_some() {
        "the server is a replica".to_owned()
    } else {
        return None;
    };
    Some(
        Diagnostic::new(
            codes::REPLICATION_NOT_DECLARED,
            format!("{what}, but the store declares no `replicated:`"),
        )
        .with_span(policy.key_span(&store.pointer), "single-node store")
        .with_help("declare `replicated: {replicas: N}`: the verifier is then denied CONFIG GET, which would print `masterauth`"),
    )
}

/// The replicas the policy expects: `replicated.replicas`, or a hosted
/// store's declared replicas; `None`: not judged.
fn expected(store: &Store) -> Option<u32> {
    match (&store.replicated, &store.hosted) {
        (Some(r), _) => Some(r.replicas),
        (None, Some(h)) => h.replicas,
        (None, None) => None,
    }
}

/// CG412: online replicas the primary lists against the declared count.
fn count(store: &Store, group: &Replication, span: Span) -> Option<Diagnostic> {
    let primary = group.primary.as_ref()?;
    let expected = expected(store)?;
    let online = group.listed.iter().filter(|r| r.state == "online").count() as u32;
    if online == expected {
        return None;
    }
    let listed: Vec<String> = group
        .listed
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                printable(&r.address.to_string()),
                printable(&r.state)
            )
        })
        .collect();
    let listed = match listed.as_slice() {
        [] => "none listed".to_owned(),
        _ => format!("listed: {}", nodes_text(&listed)),
    };
    Some(
        Diagnostic::new(
            codes::REPLICA_COUNT_MISMATCH,
            format!(
                "primary {} has {online} online replica{} ({listed}); the policy declares {expected}",
                printable(&primary.to_string()),
                if online == 1 { "" } else { "s" },
            ),
        )
        .with_span(span, "declared here"),
    )
}

/// CG415 for every replica reached whose link is not up; CG472 for one
/// following another primary than the one verify read, or listed by it but
/// reporting itself a primary.
fn links(observed: &Observed, group: &Replication, span: Span) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    let primary_info = group.primary.as_ref().and_then(|p| {
        observed
            .reached()
            .find(|(n, _)| n.address == *p)
            .map(|(_, f)| &f.info)
    });
    for (node, info) in replicas_reached(observed) {
        let address = printable(&node.address.to_string());
        let field = |name: &str| {
            info.get(name)
                .map(|v| printable(v))
                .unwrap_or("unknown".into())
        };
        let status = field("master_link_status");
        if status != "up" {
            let mut why = format!(
                "replica {address} reports master_link_status:{status} (primary {}:{}, {}",
                field("master_host"),
                field("master_port"),
                down_for(info),
            );
            if info
                .get("master_sync_in_progress")
                .is_some_and(|v| v == "1")
            {
                why.push_str(", a full sync in progress");
            }
            why.push(')');
            findings.push(
                Diagnostic::new(codes::REPLICA_LINK_DOWN, why)
                    .with_span(span, "replicas declared here"),
            );
        }
        let (Some(primary), Some(master)) = (&group.primary, replicas::master_of(info)) else {
            continue;
        };
        if !replicas::follows(node, info, primary_info, group) {
            findings.push(
                Diagnostic::new(
                    codes::REPLICA_OF_ANOTHER_PRIMARY,
                    format!(
                        "replica {address} replicates from {}, not from the primary {} verify read",
                        printable(&master.to_string()),
                        printable(&primary.to_string())
                    ),
                )
                .with_span(span, "replicas declared here"),
            );
        }
    }
    if let Some(primary) = &group.primary {
        for (node, facts) in observed.reached() {
            let listed = group
                .listed
                .iter()
                .any(|r| replicas::same_server(&r.address, &node.address));
            if node.standalone_replica && listed && !replicas::is_replica(&facts.info) {
                findings.push(
                    Diagnostic::new(
                        codes::REPLICA_OF_ANOTHER_PRIMARY,
                        format!(
                            "the primary {} lists {} as its replica, but it reports role:{}",
                            printable(&primary.to_string()),
                            printable(&node.address.to_string()),
                            printable(facts.info.get("role").map_or("unknown", String::as_str))
                        ),
                    )
                    .with_span(span, "replicas declared here"),
                );
            }
        }
    }
    findings
}

/// How long a replica's link has been down, from
/// `master_link_down_since_seconds` (`-1`: it never connected); its
/// `master_last_io_seconds_ago` is `-1` then and says nothing.
fn down_for(info: &crate::verify::server::Info) -> String {
    match info
        .get("master_link_down_since_seconds")
        .map(String::as_str)
    {
        Some("-1") => "never connected".into(),
        Some(s) if s.parse::<u64>().is_ok() => format!("down for {s} s"),
        _ => "down for an unknown time".into(),
    }
}

/// CG471: replicas whose last acknowledgement is older than the lag the
/// policy allows.
fn lagging(policy: &Policy, store: &Store, group: &Replication, span: Span) -> Option<Diagnostic> {
    let declared = store.replicated.as_ref()?.min_replicas_max_lag;
    let max = declared.map_or(DEFAULT_MAX_LAG_SECS, |d| d.as_secs());
    let late: Vec<String> = group
        .listed
        .iter()
        .filter_map(|r| {
            let lag = r.lag.filter(|lag| *lag > max)?;
            Some(format!("{} ({lag} s)", printable(&r.address.to_string())))
        })
        .collect();
    if late.is_empty() {
        return None;
    }
    let (span, source) = match policy.written_span(&store.at("replicated"), "min_replicas_max_lag")
    {
        Some(s) if declared.is_some() => (s, "min_replicas_max_lag".to_owned()),
        _ => (span, format!("Redis's default of {DEFAULT_MAX_LAG_SECS} s")),
    };
    Some(
        Diagnostic::new(
            codes::REPLICA_LAGGING,
            format!(
                "{} last acknowledged the primary more than {max} s ago ({source})",
                nodes_text(&late)
            ),
        )
        .with_span(span, "allowed lag"),
    )
}

/// CG401: the primary enforces `min-replicas-to-write` (INFO shows
/// `min_slaves_good_slaves` only then) while the policy sets none, so it
/// refuses writes the policy does not expect refused. A declared value is
/// the config judge's (`CONFIG GET`, or the same INFO field).
fn min_replicas_undeclared(
    policy: &Policy,
    store: &Store,
    observed: &Observed,
    group: &Replication,
) -> Option<Diagnostic> {
    if store
        .replicated
        .as_ref()
        .is_some_and(|r| r.min_replicas_to_write.is_some())
    {
        return None;
    }
    let primary = group.primary.as_ref()?;
    let facts = observed
        .reached()
        .find(|(n, _)| n.address == *primary)
        .map(|(_, f)| f)?;
    facts.info.get("min_slaves_good_slaves")?;
    let span = if store.replicated.is_some() {
        policy.key_span(&store.at("replicated"))
    } else {
        policy.key_span(&store.pointer)
    };
    Some(
        Diagnostic::new(
            codes::CONFIG_DRIFT,
            format!(
                "`min-replicas-to-write` is set on {} (INFO shows min_slaves_good_slaves); the policy sets none",
                printable(&primary.to_string())
            ),
        )
        .with_span(span, "no min_replicas_to_write here")
        .with_help("declare `replicated.min_replicas_to_write`, or CONFIG SET min-replicas-to-write 0 and fix the file"),
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{facts, node, observed};
    use super::*;
    use crate::verify::replicas::{Follow, Listed};
    use crate::verify::target::parse_host_port;

    const PRIMARY: &str = "127.0.0.1:7000";

    /// shop's durable store: 2 replicas, min_replicas_to_write 1, max lag 10 s.
    fn durable() -> Policy {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/shop.yaml");
        let mut p = crate::check_path(&path, &Default::default())
            .policy
            .expect("shop checks");
        let durable = p.stores.shift_remove("durable").unwrap();
        p.stores.clear();
        p.stores.insert("durable".into(), durable);
        p
    }

    fn listed(port: u16, state: &str, lag: u64) -> Listed {
        Listed {
            address: parse_host_port(&format!("127.0.0.1:{port}")).unwrap(),
            state: state.into(),
            offset: Some(100),
            lag: Some(lag),
        }
    }

    /// A replica of 127.0.0.1:`master_port`; a link not up has been down
    /// for 5 s (and `master_last_io_seconds_ago` is -1, as Redis prints).
    fn replica_facts(master_port: u16, link: &str) -> crate::verify::observed::NodeFacts {
        let port = master_port.to_string();
        let up = link == "up";
        let mut f = facts(&[
            ("role", "slave"),
            ("master_host", "127.0.0.1"),
            ("master_port", &port),
            ("master_link_status", link),
            ("master_last_io_seconds_ago", if up { "1" } else { "-1" }),
        ]);
        if !up {
            f.info
                .insert("master_link_down_since_seconds".into(), "5".into());
        }
        f
    }

    /// A primary with these listed replicas, each reached with its facts.
    fn group(
        listed: Vec<Listed>,
        reached: Vec<(u16, crate::verify::observed::NodeFacts)>,
    ) -> Observed {
        let mut nodes = vec![node(
            PRIMARY,
            None,
            Some(facts(&[
                ("role", "master"),
                ("min_slaves_good_slaves", "2"),
            ])),
        )];
        for (port, f) in reached {
            let mut n = node(&format!("127.0.0.1:{port}"), None, Some(f));
            n.standalone_replica = true;
            nodes.push(n);
        }
        Observed {
            store: "durable".into(),
            replication: Some(Replication {
                seed_follows: None,
                primary: Some(parse_host_port(PRIMARY).unwrap()),
                listed,
            }),
            ..observed(false, nodes)
        }
    }

    fn codes(found: &[Diagnostic]) -> Vec<&str> {
        found.iter().map(|d| d.code.code).collect()
    }

    #[test]
    fn a_group_shaped_as_declared_has_no_findings() {
        let seen = group(
            vec![listed(7001, "online", 0), listed(7002, "online", 1)],
            vec![
                (7001, replica_facts(7000, "up")),
                (7002, replica_facts(7000, "up")),
            ],
        );
        assert!(judge(&durable(), &seen).is_empty());
    }

    #[test]
    fn a_missing_replica_is_a_count_finding() {
        let seen = group(
            vec![listed(7001, "online", 0), listed(7002, "wait_bgsave", 0)],
            vec![],
        );
        let found = judge(&durable(), &seen);
        assert_eq!(codes(&found), ["CG412"]);
        assert_eq!(
            found[0].message,
            "primary 127.0.0.1:7000 has 1 online replica (listed: 127.0.0.1:7001 online, 127.0.0.1:7002 wait_bgsave); the policy declares 2"
        );
        let none = group(vec![], vec![]);
        assert!(
            judge(&durable(), &none)[0]
                .message
                .contains("has 0 online replicas (none listed)")
        );
    }

    #[test]
    fn a_down_link_a_lag_and_another_primary_are_each_found() {
        let seen = group(
            vec![listed(7001, "online", 0), listed(7002, "online", 11)],
            vec![
                (7001, replica_facts(7000, "down")),
                // Not listed by the primary: another primary's replica.
                (7003, replica_facts(7999, "up")),
            ],
        );
        let found = judge(&durable(), &seen);
        assert_eq!(codes(&found), ["CG415", "CG472", "CG471"]);
        assert_eq!(
            found[0].message,
            "replica 127.0.0.1:7001 reports master_link_status:down (primary 127.0.0.1:7000, down for 5 s)"
        );
        assert_eq!(
            found[1].message,
            "replica 127.0.0.1:7003 replicates from 127.0.0.1:7999, not from the primary 127.0.0.1:7000 verify read"
        );
        assert_eq!(
            found[2].message,
            "127.0.0.1:7002 (11 s) last acknowledged the primary more than 10 s ago (min_replicas_max_lag)"
        );
        assert_eq!(found[2].severity, Severity::Warning);
    }

    #[test]
    fn a_link_that_never_came_up_says_so() {
        let mut never = replica_facts(7000, "down");
        never
            .info
            .insert("master_link_down_since_seconds".into(), "-1".into());
        let seen = group(
            vec![listed(7002, "online", 0)],
            vec![(7001, never), (7002, replica_facts(7000, "up"))],
        );
        let found = judge(&durable(), &seen);
        let down: Vec<&str> = found
            .iter()
            .filter(|d| d.code.code == "CG415")
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            down,
            [
                "replica 127.0.0.1:7001 reports master_link_status:down (primary 127.0.0.1:7000, never connected)"
            ]
        );
    }

    #[test]
    fn a_replica_follows_the_primary_by_identity_not_by_spelling() {
        // The URL names the primary by host name; replicas name it by IP.
        let by_name = parse_host_port("db.example:7000").unwrap();
        let with_id = |mut f: crate::verify::observed::NodeFacts, id: &str| {
            f.info.insert("master_replid".into(), id.into());
            f
        };
        let mut seen = group(
            vec![listed(7001, "online", 0), listed(7002, "online", 0)],
            vec![
                (7001, with_id(replica_facts(7000, "up"), "5e1f")),
                (7002, with_id(replica_facts(7000, "up"), "5e1f")),
            ],
        );
        seen.nodes[0].address = by_name.clone();
        let primary = seen.nodes[0].facts.as_mut().unwrap();
        primary.info.insert("master_replid".into(), "5e1f".into());
        seen.replication.as_mut().unwrap().primary = Some(by_name);
        assert!(judge(&durable(), &seen).is_empty());

        // Listed online, but another history: still its replica (a sync
        // under way). Another history and not listed: another primary's.
        let other = |seen: &mut Observed, port: u16| {
            let n = seen
                .nodes
                .iter_mut()
                .find(|n| n.address.port == port)
                .unwrap();
            n.facts
                .as_mut()
                .unwrap()
                .info
                .insert("master_replid".into(), "9a9a".into());
        };
        other(&mut seen, 7001);
        assert!(judge(&durable(), &seen).is_empty());
        seen.replication.as_mut().unwrap().listed[0].state = "wait_bgsave".into();
        let found = judge(&durable(), &seen);
        assert_eq!(codes(&found), ["CG412", "CG472"]);
        assert_eq!(
            found[1].message,
            "replica 127.0.0.1:7001 replicates from 127.0.0.1:7000, not from the primary db.example:7000 verify read"
        );
    }

    #[test]
    fn a_listed_node_that_is_a_primary_itself_is_found() {
        let seen = group(
            vec![listed(7001, "online", 0), listed(7002, "online", 0)],
            vec![
                (7001, replica_facts(7000, "up")),
                (7002, facts(&[("role", "master")])),
            ],
        );
        let found = judge(&durable(), &seen);
        assert_eq!(codes(&found), ["CG472"]);
        assert_eq!(
            found[0].message,
            "the primary 127.0.0.1:7000 lists 127.0.0.1:7002 as its replica, but it reports role:master"
        );
    }

    #[test]
    fn replication_the_store_does_not_declare_is_found() {
        let single = super::super::fixture::single();
        let mut seen = group(
            vec![listed(7001, "online", 0)],
            vec![(7001, replica_facts(7000, "up"))],
        );
        seen.store = single.first_store().name.clone();
        let found = judge(&single, &seen);
        assert_eq!(codes(&found), ["CG470", "CG401"]);
        assert_eq!(
            found[0].message,
            "the primary 127.0.0.1:7000 has 1 replica (127.0.0.1:7001), but the store declares no `replicated:`"
        );
        assert!(
            found[1]
                .message
                .starts_with("`min-replicas-to-write` is set on 127.0.0.1:7000")
        );
        // A lone primary is what a single-node store expects.
        let mut alone = group(vec![], vec![]);
        alone.store = seen.store.clone();
        alone.nodes[0].facts = Some(facts(&[("role", "master")]));
        assert!(judge(&single, &alone).is_empty());
    }

    #[test]
    fn a_replica_seed_says_where_it_led() {
        let follow = |outcome| Follow {
            master: Some(parse_host_port("10.1.1.1:6379").unwrap()),
            outcome,
        };
        let mut seen = group(
            vec![listed(7001, "online", 0), listed(7002, "online", 0)],
            vec![],
        );
        seen.replication.as_mut().unwrap().seed_follows = Some(follow(Followed::Read));
        let found = judge(&durable(), &seen);
        assert_eq!(codes(&found), ["CG473"]);
        assert_eq!(found[0].severity, Severity::Note);

        // Not followed: only the seed replica was read; no count is judged.
        let mut seed = node("127.0.0.1:7001", None, Some(replica_facts(6379, "up")));
        seed.standalone_replica = false;
        let mut alone = Observed {
            store: "durable".into(),
            ..observed(false, vec![seed])
        };
        alone.replication = Some(Replication {
            seed_follows: Some(follow(Followed::NotAllowed)),
            primary: None,
            listed: vec![],
        });
        let found = judge(&durable(), &alone);
        assert_eq!(codes(&found), ["CG473"]);
        assert_eq!(found[0].severity, Severity::Warning);
        assert!(
            found[0]
                .message
                .contains("10.1.1.1:6379, a host verify may not contact"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn nothing_is_judged_in_a_cluster() {
        let cluster = super::super::fixture::cluster();
        let mut seen = group(vec![], vec![]);
        seen.store = cluster.first_store().name.clone();
        assert!(judge(&cluster, &seen).is_empty());
    }
}
