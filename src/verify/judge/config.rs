//! Owns judging config drift: every directive the policy manages, as each
//! node's `CONFIG GET` reported it (`gather`), compared with what `build`
//! renders for the same policy, which `redis_directives` computes in the form
//! `CONFIG GET` reports. One finding per directive and distinct value.

use super::nodes_text;
use crate::diag::{Diagnostic, codes};
use crate::policy::model::{Policy, Store};
use crate::redis_directives::{self, Availability};
use crate::verify::observed::Observed;
use crate::verify::server::{self, Flavour};
use crate::verify::target::{Address, printable};
use std::collections::BTreeMap;

/// One directive on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRow {
    pub node: Address,
    pub directive: &'static str,
    pub expected: String,
    /// `None` when the server has no such directive.
    pub actual: Option<String>,
    pub status: Status,
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
fn normalize(value: &str) -> String {
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
        if let Ok(values) = &facts.config {
            rows.extend(compare(
                observed.store(policy),
                &node.address,
                &server::flavour(&facts.info),
                values,
            ));
        }
    }
    rows
}

/// Drift, directives the server lacks or ignores, and nodes where `CONFIG
/// GET` was refused.
pub fn judge(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    let not_checkable: Vec<String> = observed
        .reached()
        .filter_map(|(node, facts)| {
            let why = facts.config.as_ref().err()?;
            Some(format!("{} ({why})", node.address))
        })
        .collect();
    let mut out = Vec::new();
    findings(
        policy,
        observed.store(policy),
        &rows(policy, observed),
        &not_checkable,
        &mut out,
    );
    out
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
            }
        })
        .collect()
}

/// One finding per directive and distinct value, listing the nodes.
fn findings(
    policy: &Policy,
    store: &Store,
    rows: &[ConfigRow],
    not_checkable: &[String],
    out: &mut Vec<Diagnostic>,
) {
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
    if !not_checkable.is_empty() {
        out.push(
            Diagnostic::new(
                codes::CONFIG_NOT_CHECKABLE,
                format!(
                    "CONFIG GET is refused, so the config was not checked on {}",
                    not_checkable.join(", ")
                ),
            )
            .with_span(policy.key_span("/redis"), "managed directives")
            .with_help(
                "managed services block CONFIG; an ACL needs +config|get (see redis/verifier.acl)",
            ),
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
        findings(&p, p.first_store(), &rows, &[], &mut out);
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
        refused.config = Err("NOPERM no config|get".into());
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
        assert_eq!(
            messages[1],
            "CG403 CONFIG GET is refused, so the config was not checked on 127.0.0.1:3 (NOPERM no config|get)"
        );
    }
}
