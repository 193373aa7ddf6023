//! Owns judging config drift: every directive the policy manages, as each
//! node's `CONFIG GET` reported it (`gather`), compared with what `build`
//! renders for the same policy, which `redis_directives` computes in the form
//! `CONFIG GET` reports. One finding per directive and distinct value.
//!
//! Where `CONFIG GET` was not available (the store denies it to the
//! verifier because its configuration holds `masterauth`, or the server
//! refused it), the directives `INFO` shows ([`INFO_DIRECTIVES`]) are
//! compared instead, and one note per store lists what was not checked and
//! why: a skipped check is said, never passed off as conformance.

use super::config_info::presence_rows;
pub use super::config_info::{
    INFO_DIRECTIVES, INFO_LACKS, INFO_OMITTED, INFO_PRESENCE, INFO_PRESENCE_ONLY, InfoValue,
    from_info, unchecked_directives,
};
use super::nodes_text;
use crate::diag::{Diagnostic, codes};
use crate::policy::model::{ConfigGet, Policy, Store};
use crate::redis_directives::{self, Availability};
use crate::verify::observed::{ConfigUnread, Observed};
use crate::verify::server::{self, Flavour};
use crate::verify::target::{Address, printable};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One directive on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRow {
    pub node: Address,
    pub directive: &'static str,
    pub expected: String,
    /// `None` when the server has no such directive.
    pub actual: Option<String>,
    pub status: Status,
    /// Read from `INFO` ([`INFO_DIRECTIVES`]), `CONFIG GET` being unavailable.
    pub via_info: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Matches,
    Drift,
    /// The server's version has no such directive, or ignores it.
    NotApplicable,
    /// The server prints its own rendering of the value (multi-word
    /// `config:` entries such as `client-output-buffer-limit`), which
    /// cannot be predicted exactly: read, but not compared.
    NotComparable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Matches => "matches",
            Status::Drift => "drift",
            Status::NotApplicable => "not-applicable",
            Status::NotComparable => "not-comparable",
        }
    }
}

/// Normalizes a value for comparison: `CONFIG GET` lower-cases enums and
/// prints numbers plainly, but spacing in `save` may vary.
pub(super) fn normalize(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase()
}

/// Every managed directive on every node that answered `CONFIG GET`, in
/// node order: the rows the report lists.
pub fn rows(policy: &Policy, observed: &Observed) -> Vec<ConfigRow> {
    let mut rows = Vec::new();
    for (node, facts) in observed.reached() {
        let flavour = server::flavour(&facts.info);
        match &facts.config {
            Ok(values) => rows.extend(compare(
                observed.store(policy),
                &node.address,
                &flavour,
                values,
            )),
            // Only what INFO shows: a directive it does not show is not
            // "missing on the server", it is unchecked (the note says so).
            Err(_) => {
                let store = observed.store(policy);
                let values = from_info(facts);
                rows.extend(
                    compare(store, &node.address, &flavour, &values)
                        .into_iter()
                        .filter(|r| values.contains_key(r.directive))
                        .map(|r| ConfigRow {
                            via_info: true,
                            ..r
                        }),
                );
                rows.extend(presence_rows(store, &node.address, facts));
            }
        }
    }
    rows
}

/// Drift, directives the server lacks or ignores, and one note for the
/// nodes where `CONFIG GET` was not available.
pub fn judge(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    let store = observed.store(policy);
    let rows = rows(policy, observed);
    let mut out = Vec::new();
    findings(policy, store, &rows, &mut out);
    out.extend(unchecked(policy, store, observed, &rows));
    out
}

/// Why `CONFIG GET` was not used, in words.
fn reason(store: &Store, why: &ConfigUnread) -> String {
    match why {
        ConfigUnread::NotAllowed if store.access.verifier.config_get == ConfigGet::Deny => {
            "not allowed to the verifier (`access.verifier.config_get: deny`)".into()
        }
        ConfigUnread::NotAllowed => "not allowed to the verifier: the configuration holds `masterauth` (the store has replicas), and CONFIG GET would show it to anyone holding verify's credentials".into(),
        ConfigUnread::Refused(e) => {
            // Redis echoes the arguments after the reason: the directive
            // names, which the note lists anyway.
            let e = e.split(", with args beginning with").next().unwrap_or(e);
            if crate::verify::observed::is_unknown_command(e) {
                format!("refused by the server (renamed or disabled: {e})")
            } else {
                format!("refused by the server ({e})")
            }
        }
    }
}

/// One note per store: the nodes where `CONFIG GET` was not available and
/// why, the directives checked through `INFO` instead, and those not
/// checked at all (and `--unmanaged`, which could not run).
fn unchecked(
    policy: &Policy,
    store: &Store,
    observed: &Observed,
    rows: &[ConfigRow],
) -> Option<Diagnostic> {
    // Reason → nodes, in first-seen order.
    let mut reasons: Vec<(String, Vec<String>)> = Vec::new();
    let mut unmanaged = false;
    for (node, facts) in observed.reached() {
        let Err(why) = &facts.config else { continue };
        unmanaged |= facts.all_config.is_some();
        let text = reason(store, why);
        match reasons.iter_mut().find(|(r, _)| *r == text) {
            Some((_, nodes)) => nodes.push(node.address.to_string()),
            None => reasons.push((text, vec![node.address.to_string()])),
        }
    }
    if reasons.is_empty() {
        return None;
    }
    let checked = |presence: bool| -> Vec<&str> {
        redis_directives::managed_directives(store)
            .iter()
            .map(|d| d.name)
            .filter(|name| rows.iter().any(|r| r.via_info && r.directive == *name))
            .filter(|name| INFO_PRESENCE.iter().any(|(n, _)| n == name) == presence)
            .collect()
    };
    let (via_info, presence) = (checked(false), checked(true));
    let not_checked = unchecked_directives(policy, observed, rows);
    let list = |names: &[&str]| match names {
        [] => "none".to_owned(),
        _ => names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mut message = format!(
        "CONFIG GET was not used on {}: checked through INFO: {}",
        reasons
            .iter()
            .map(|(why, nodes)| format!("{} ({why})", nodes_text(nodes)))
            .collect::<Vec<_>>()
            .join("; "),
        list(&via_info),
    );
    if !presence.is_empty() {
        let _ = write!(message, "; only whether it is set: {}", list(&presence));
    }
    // Presence-only directives are listed above, as such.
    let not_checked: Vec<_> = not_checked
        .into_iter()
        .filter(|(_, why)| *why != INFO_PRESENCE_ONLY)
        .collect();
    message.push_str("; not checked: ");
    if not_checked.is_empty() {
        message.push_str("none");
    }
    for (i, why) in [INFO_LACKS, INFO_OMITTED].into_iter().enumerate() {
        let names: Vec<&str> = not_checked
            .iter()
            .filter(|(_, w)| *w == why)
            .map(|(n, _)| *n)
            .collect();
        if !names.is_empty() {
            let sep = if i > 0 && not_checked.iter().any(|(_, w)| *w == INFO_LACKS) {
                "; "
            } else {
                ""
            };
            let _ = write!(message, "{sep}{} ({why})", list(&names));
        }
    }
    if unmanaged {
        message.push_str("; --unmanaged could not run (it needs CONFIG GET *)");
    }
    let denied = reasons
        .iter()
        .all(|(why, _)| why.starts_with("not allowed"));
    let help = if denied {
        "by design: verify's credentials reveal no secret. To check the rest, compare the node's config file with the rendered redis.conf, or run CONFIG GET as the admin user"
    } else {
        "the verifier ACL build emits grants +config|get where the store allows it; managed services block CONFIG: compare their parameter group with the rendered redis.conf"
    };
    Some(
        Diagnostic::new(codes::CONFIG_NOT_CHECKABLE, message)
            .with_span(policy.key_span(&store.pointer), "managed directives")
            .with_help(help),
    )
}

fn compare(
    store: &Store,
    node: &Address,
    flavour: &Flavour,
    values: &BTreeMap<String, String>,
) -> Vec<ConfigRow> {
    redis_directives::managed_directives(store)
        .into_iter()
        .map(|d| {
            // An unknown version rules nothing out: a directive is then
            // judged by what CONFIG GET answers alone.
            let availability = flavour.redis_compat.map_or(Availability::Supported, |v| {
                redis_directives::availability(store.engine, d.name, v)
            });
            let actual = values.get(d.name).cloned();
            let status = match (&actual, availability) {
                (None, _) | (_, Availability::Since(_)) | (_, Availability::IgnoredSince(_)) => {
                    Status::NotApplicable
                }
                // A value the server rewrites (multi-word `config:` entries):
                // what CONFIG GET prints cannot be predicted exactly.
                _ if !d.comparable => Status::NotComparable,
                (Some(a), _) if normalize(a) == normalize(&d.config_get) => Status::Matches,
                (Some(_), _) => Status::Drift,
            };
            ConfigRow {
                node: node.clone(),
                directive: d.name,
                expected: d.config_get,
                actual,
                status,
                via_info: false,
            }
        })
        .collect()
}

/// One finding per directive and distinct value, listing the nodes.
fn findings(policy: &Policy, store: &Store, rows: &[ConfigRow], out: &mut Vec<Diagnostic>) {
    let directives = redis_directives::managed_directives(store);
    let span_of = |name: &str| {
        directives
            .iter()
            .find(|d| d.name == name)
            .map(|d| policy.span(&d.pointer, ""))
            .unwrap_or_default()
    };
    let mut drift: BTreeMap<(&str, String), Vec<String>> = BTreeMap::new();
    let mut not_applicable: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for row in rows {
        match row.status {
            Status::Drift => drift
                .entry((row.directive, row.actual.clone().unwrap_or_default()))
                .or_default()
                .push(row.node.to_string()),
            Status::NotApplicable => not_applicable
                .entry(row.directive)
                .or_default()
                .push(row.node.to_string()),
            Status::Matches | Status::NotComparable => {}
        }
    }
    for ((name, actual), nodes) in drift {
        let expected = rows
            .iter()
            .find(|r| r.directive == name)
            .map(|r| r.expected.clone())
            .unwrap_or_default();
        let mut d = Diagnostic::new(
            codes::CONFIG_DRIFT,
            format!(
                "`{name}` is `{}` on {}; the policy renders `{}`",
                printable(&actual),
                nodes_text(&nodes),
                printable(&expected)
            ),
        )
        .with_span(span_of(name), "policy value");
        if redis_directives::immutable(store.engine, store.redis.version, name) {
            d = d.with_help(format!(
                "`{name}` cannot be changed at runtime: fix the node's config file and restart it"
            ));
        } else if INFO_PRESENCE.iter().any(|(n, _)| *n == name) {
            d = d.with_help(
                "INFO does not show which of the two: read both with CONFIG GET min-replicas-* as the admin user, and fix them with CONFIG SET and in the file",
            );
        } else if name == "maxclients" {
            d = d.with_help(
                "Redis lowers maxclients to fit the open-file limit: raise the node's nofile limit to maxclients + 32",
            );
        } else {
            d = d.with_help(format!(
                "someone changed it with CONFIG SET, or the node runs another config file; fix it with CONFIG SET {name} and in the file"
            ));
        }
        out.push(d);
    }
    for (name, nodes) in not_applicable {
        out.push(
            Diagnostic::new(
                codes::DIRECTIVE_NOT_APPLICABLE,
                format!(
                    "`{name}` does not exist or is ignored on {}",
                    nodes_text(&nodes)
                ),
            )
            .with_span(span_of(name), "policy value"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/verify/single.yaml"
        );
        crate::check_path(std::path::Path::new(path), &Default::default())
            .policy
            .expect("fixture checks")
    }

    fn flavour(version: (u32, u32)) -> Flavour {
        Flavour {
            engine: crate::verify::server::Engine::Redis,
            version: format!("{}.{}.0", version.0, version.1),
            release: Some(version),
            redis_compat: Some(version),
        }
    }

    #[test]
    fn missing_directives_are_not_applicable_and_values_normalize() {
        let p = policy();
        let node = Address {
            host: "127.0.0.1".into(),
            port: 1,
        };
        let mut values: BTreeMap<String, String> =
            redis_directives::managed_directives(p.first_store())
                .into_iter()
                .map(|d| (d.name.to_owned(), d.config_get.to_ascii_uppercase()))
                .collect();
        values.remove("appendfsync");
        values.insert("maxmemory".into(), "1".into());
        let rows = compare(p.first_store(), &node, &flavour((7, 0)), &values);
        let status = |name: &str| rows.iter().find(|r| r.directive == name).unwrap().status;
        assert_eq!(status("appendfsync"), Status::NotApplicable);
        assert_eq!(status("maxmemory"), Status::Drift);
        // Upper case from the server still matches (CONFIG GET spelling varies by fork).
        assert_eq!(status("maxmemory-policy"), Status::Matches);
        let mut out = Vec::new();
        findings(&p, p.first_store(), &rows, &mut out);
        let codes: Vec<&str> = out.iter().map(|d| d.code.code).collect();
        assert_eq!(codes, vec!["CG401", "CG402"]);
        assert!(
            out[0].message.contains("`maxmemory` is `1`"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn drift_and_refusals_are_judged_per_node() {
        use super::super::fixture::{facts, node, observed};
        let p = policy();
        let rendered: BTreeMap<String, String> =
            redis_directives::managed_directives(p.first_store())
                .into_iter()
                .map(|d| (d.name.to_owned(), d.config_get))
                .collect();
        let mut drifted = facts(&[]);
        let mut values = rendered.clone();
        values.insert("maxmemory".into(), "1".into());
        drifted.config = Ok(values);
        let mut same = facts(&[]);
        same.config = Ok(rendered);
        let mut refused = facts(&[]);
        refused.config = Err(ConfigUnread::Refused("NOPERM no config|get".into()));
        let seen = observed(
            false,
            vec![
                node("127.0.0.1:1", None, Some(drifted)),
                node("127.0.0.1:2", None, Some(same)),
                node("127.0.0.1:3", None, Some(refused)),
                // Not reached: neither checked nor "not checkable".
                node("127.0.0.1:4", None, None),
            ],
        );
        // The two nodes that answered CONFIG GET, every directive each.
        let directives = redis_directives::managed_directives(p.first_store()).len();
        assert_eq!(rows(&p, &seen).len(), 2 * directives);
        let messages: Vec<String> = judge(&p, &seen)
            .iter()
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].starts_with("CG401 `maxmemory` is `1` on 127.0.0.1:1; the policy renders"),
            "{}",
            messages[0]
        );
        // Each unchecked directive with why: INFO never shows `save`; the
        // node's INFO (hand-built, empty) lacked `maxmemory`.
        assert_eq!(
            messages[1],
            "CG403 CONFIG GET was not used on 127.0.0.1:3 (refused by the server (NOPERM no config|get)): checked through INFO: none; not checked: `save`, `appendfsync`, `slowlog-log-slower-than`, `slowlog-max-len` (INFO does not show these); `maxmemory`, `maxmemory-policy`, `appendonly`, `maxclients` (INFO shows these, but the node's did not)"
        );
    }

    #[test]
    fn without_config_get_info_is_compared_and_the_rest_listed() {
        use super::super::fixture::{facts, node, observed};
        let mut p = policy();
        let info = |policy: &str| {
            let mut f = facts(&[
                ("maxmemory", "268435456"),
                ("maxmemory_policy", policy),
                ("aof_enabled", "0"),
                ("configured_hz", "10"),
            ]);
            f.config = Err(ConfigUnread::NotAllowed);
            f
        };
        let expected = |name: &str| {
            redis_directives::managed_directives(p.first_store())
                .into_iter()
                .find(|d| d.name == name)
                .unwrap()
                .config_get
        };
        let right = expected("maxmemory-policy");
        let seen = observed(
            false,
            vec![
                node("127.0.0.1:1", None, Some(info(&right))),
                node("127.0.0.1:2", None, Some(info("allkeys-lru"))),
            ],
        );
        let found = judge(&p, &seen);
        let codes: Vec<&str> = found.iter().map(|d| d.code.code).collect();
        let drifted: Vec<&str> = found
            .iter()
            .filter(|d| d.code.code == "CG401")
            .map(|d| d.message.split('`').nth(1).unwrap())
            .collect();
        assert!(drifted.contains(&"maxmemory-policy"), "{found:?}");
        assert!(
            found.iter().any(|d| d.code.code == "CG401"
                && d.message
                    .starts_with("`maxmemory-policy` is `allkeys-lru` on 127.0.0.1:2;")),
            "{found:?}"
        );
        // No directive INFO does not show is called missing (CG402).
        assert!(!codes.contains(&"CG402"), "{codes:?}");
        let note = found.iter().find(|d| d.code.code == "CG403").unwrap();
        assert_eq!(note.severity, crate::diag::Severity::Note);
        assert!(
            note.message.contains("127.0.0.1:1, 127.0.0.1:2 (not allowed to the verifier: the configuration holds `masterauth`"),
            "{}",
            note.message
        );
        assert!(
            note.message
                .contains("checked through INFO: `maxmemory`, `maxmemory-policy`"),
            "{}",
            note.message
        );
        // Every managed directive is either checked through INFO or named
        // as not checked.
        for d in redis_directives::managed_directives(p.first_store()) {
            assert!(
                note.message.contains(&format!("`{}`", d.name)),
                "{}",
                d.name
            );
        }
        assert_eq!(found.iter().filter(|d| d.code.code == "CG403").count(), 1);
        // Rows from INFO say so.
        let rows = rows(&p, &seen);
        assert!(!rows.is_empty() && rows.iter().all(|r| r.via_info));
        // `config_get: deny` is named as the reason.
        p.stores
            .values_mut()
            .for_each(|s| s.access.verifier.config_get = ConfigGet::Deny);
        let note = judge(&p, &seen)
            .into_iter()
            .find(|d| d.code.code == "CG403")
            .unwrap();
        assert!(
            note.message.contains("`access.verifier.config_get: deny`"),
            "{}",
            note.message
        );
    }

    #[test]
    fn min_replicas_to_write_is_checked_for_presence_through_info() {
        use super::super::fixture::{facts, node, observed};
        // shop's durable store: min_replicas_to_write 1, CONFIG GET denied
        // (it has replicas).
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/shop.yaml");
        let p = crate::check_path(std::path::Path::new(path), &Default::default())
            .policy
            .expect("shop checks");
        let primary = |fields: &[(&str, &str)]| {
            let mut f = facts(fields);
            f.config = Err(ConfigUnread::NotAllowed);
            f
        };
        let seen = |f| Observed {
            store: "durable".into(),
            ..observed(false, vec![node("127.0.0.1:1", None, Some(f))])
        };
        let set = seen(primary(&[
            ("role", "master"),
            ("min_slaves_good_slaves", "2"),
        ]));
        let row = rows(&p, &set)
            .into_iter()
            .find(|r| r.directive == "min-replicas-to-write")
            .expect("a row from INFO");
        assert_eq!(row.status, Status::Matches);
        assert!(row.via_info);
        let found = judge(&p, &set);
        let note = found.iter().find(|d| d.code.code == "CG403").unwrap();
        assert!(
            note.message
                .contains("only whether it is set: `min-replicas-to-write`"),
            "{}",
            note.message
        );
        assert!(
            note.message.contains("`min-replicas-max-lag`")
                && note.message.contains("(INFO does not show these)"),
            "{}",
            note.message
        );
        assert!(!found.iter().any(|d| d.code.code == "CG401"), "{found:?}");
        // Its value is unchecked, and reports say so (JSON
        // `config_unchecked`, the human config line); the note lists it
        // once, as checked for presence only.
        let unchecked = unchecked_directives(&p, &set, &rows(&p, &set));
        assert!(
            unchecked.contains(&("min-replicas-to-write", INFO_PRESENCE_ONLY)),
            "{unchecked:?}"
        );
        assert!(
            !note.message.contains("`min-replicas-to-write` (INFO"),
            "{}",
            note.message
        );
        // Not in force on the server: drift.
        let unset = seen(primary(&[("role", "master")]));
        let drift: Vec<String> = judge(&p, &unset)
            .into_iter()
            .filter(|d| d.code.code == "CG401")
            .map(|d| d.message)
            .collect();
        assert_eq!(drift.len(), 1, "{drift:?}");
        assert!(
            drift[0].starts_with(
                "`min-replicas-to-write` is `not in force (INFO shows no min_slaves_good_slaves: min-replicas-to-write or min-replicas-max-lag is 0)` on 127.0.0.1:1"
            ),
            "{}",
            drift[0]
        );
        // A node whose replication section was not read is not judged.
        assert!(
            !rows(&p, &seen(primary(&[])))
                .iter()
                .any(|r| r.directive == "min-replicas-to-write")
        );
    }

    #[test]
    fn info_flags_read_as_yes_and_no() {
        let mut f = super::super::fixture::facts(&[("aof_enabled", "1"), ("cluster_enabled", "0")]);
        f.config = Err(ConfigUnread::NotAllowed);
        let values = from_info(&f);
        assert_eq!(values.get("appendonly").map(String::as_str), Some("yes"));
        assert_eq!(
            values.get("cluster-enabled").map(String::as_str),
            Some("no")
        );
        f.info.insert("aof_enabled".into(), "maybe".into());
        assert!(!from_info(&f).contains_key("appendonly"));
    }
}
