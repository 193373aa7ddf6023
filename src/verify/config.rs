//! Owns config drift: reading every directive the policy manages with
//! `CONFIG GET` (exact names: a glob also returns alias names) on one node,
//! and comparing the values with what `build` renders for the same policy,
//! which `redis_directives` computes in the form `CONFIG GET` reports.

use super::conn::{Command, ConnError, Connection};
use super::resp::Reply;
use super::server::Flavour;
use super::target::{Address, printable};
use crate::diag::{Diagnostic, codes};
use crate::policy::model::Policy;
use crate::redis_directives::{self, Availability};
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
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Matches => "matches",
            Status::Drift => "drift",
            Status::NotApplicable => "not-applicable",
        }
    }
}

/// Reads the managed directives. `Err(why)` when the server refuses CONFIG
/// (a managed service, or an ACL without `config|get`): not checkable.
pub fn read(
    conn: &mut Connection,
    policy: &Policy,
    version: (u32, u32),
) -> Result<Result<BTreeMap<String, String>, String>, ConnError> {
    let names: Vec<&str> = redis_directives::managed_directives(policy)
        .iter()
        .map(|d| d.name)
        .collect();
    let mut values = BTreeMap::new();
    // Several names per CONFIG GET exist since 7.0; before, one call each.
    let batches: Vec<Vec<&str>> = if version >= (7, 0) {
        vec![names]
    } else {
        names.into_iter().map(|n| vec![n]).collect()
    };
    for batch in batches {
        match conn.call(Command::ConfigGet(&batch))? {
            Reply::Array(items) => {
                for pair in items.chunks(2) {
                    if let [name, value] = pair {
                        values.insert(
                            name.as_text().unwrap_or_default().to_ascii_lowercase(),
                            value.as_text().unwrap_or_default(),
                        );
                    }
                }
            }
            Reply::Error(e) => return Ok(Err(printable(&e))),
            _ => return Ok(Err("CONFIG GET returned an unexpected reply".into())),
        }
    }
    Ok(Ok(values))
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

pub fn compare(
    policy: &Policy,
    node: &Address,
    flavour: &Flavour,
    values: &BTreeMap<String, String>,
) -> Vec<ConfigRow> {
    redis_directives::managed_directives(policy)
        .into_iter()
        .map(|d| {
            let availability = redis_directives::availability(d.name, flavour.redis_compat);
            let actual = values.get(d.name).cloned();
            let status = match (&actual, availability) {
                (None, _) | (_, Availability::Since(_)) | (_, Availability::IgnoredSince(_)) => {
                    Status::NotApplicable
                }
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
pub fn findings(
    policy: &Policy,
    rows: &[ConfigRow],
    not_checkable: &[String],
    out: &mut Vec<Diagnostic>,
) {
    let directives = redis_directives::managed_directives(policy);
    let span_of = |name: &str| {
        directives
            .iter()
            .find(|d| d.name == name)
            .map(|d| policy.span(&d.pointer(), ""))
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
            Status::Matches => {}
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
        if redis_directives::immutable_at_runtime(name) {
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

fn nodes_text(nodes: &[String]) -> String {
    if nodes.len() <= 3 {
        nodes.join(", ")
    } else {
        format!(
            "{}, and {} more nodes",
            nodes[..3].join(", "),
            nodes.len() - 3
        )
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
            name: "Redis".into(),
            version: format!("{}.{}.0", version.0, version.1),
            redis_compat: version,
        }
    }

    #[test]
    fn missing_directives_are_not_applicable_and_values_normalize() {
        let p = policy();
        let node = Address {
            host: "127.0.0.1".into(),
            port: 1,
        };
        let mut values: BTreeMap<String, String> = redis_directives::managed_directives(&p)
            .into_iter()
            .map(|d| (d.name.to_owned(), d.config_get.to_ascii_uppercase()))
            .collect();
        values.remove("appendfsync");
        values.insert("maxmemory".into(), "1".into());
        let rows = compare(&p, &node, &flavour((7, 0)), &values);
        let status = |name: &str| rows.iter().find(|r| r.directive == name).unwrap().status;
        assert_eq!(status("appendfsync"), Status::NotApplicable);
        assert_eq!(status("maxmemory"), Status::Drift);
        // Upper case from the server still matches (CONFIG GET spelling varies by fork).
        assert_eq!(status("maxmemory-policy"), Status::Matches);
        let mut out = Vec::new();
        findings(&p, &rows, &[], &mut out);
        let codes: Vec<&str> = out.iter().map(|d| d.code.code).collect();
        assert_eq!(codes, vec!["CG401", "CG402"]);
        assert!(
            out[0].message.contains("`maxmemory` is `1`"),
            "{}",
            out[0].message
        );
    }
}
