//! Owns the language-neutral facts the generated code modules (`rust`,
//! `typescript`) share: which user-defined placeholder types there are and
//! their DFA tables as rows of numbers, the hash-tag range a pattern's keys
//! carry, the patterns an invalidation list reaches (cascades expanded by
//! `graph`), and each edge route's facts (what it matches, its headers as
//! sent and as combined per name). Each renderer spells these in its own
//! syntax; computing them once keeps the two modules in agreement.

use crate::graph::{Graph, Via};
use crate::keys;
use crate::policy::model::{KeyPattern, PlaceholderType, Policy, Route};
use crate::render::cloudflare;

/// The distinct user-defined types of the policy, in declaration order: the
/// `i`th is `REGEX_TYPE_<i>` in the Rust module and `REGEX_TYPES[i]` in the
/// TypeScript one.
pub fn regex_types(policy: &Policy) -> Vec<&keys::RegexType> {
    let mut out: Vec<&keys::RegexType> = Vec::new();
    for ty in policy.keys.placeholders.values() {
        if let PlaceholderType::Pattern(r) = ty
            && !out.contains(&&**r)
        {
            out.push(r);
        }
    }
    out
}

/// The position of `r` in [`regex_types`].
pub fn regex_index(policy: &Policy, r: &keys::RegexType) -> usize {
    regex_types(policy)
        .iter()
        .position(|t| *t == r)
        .unwrap_or_default()
}

/// A user-defined type's minimal DFA as rows of comma-separated numbers
/// (state 0 rejects, state 1 starts), so templates do no arithmetic.
pub struct DfaRows {
    /// `classes` (byte → class) in rows of 16 numbers.
    pub classes: Vec<String>,
    /// Number of classes: the width of a row of `next`.
    pub stride: usize,
    /// One row of `next` per state.
    pub next: Vec<String>,
    /// `true`/`false` per state, comma-separated.
    pub accept: String,
}

pub fn dfa_rows(r: &keys::RegexType) -> DfaRows {
    let t = &r.table;
    let numbers = |xs: &[u16]| xs.iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
    let classes: Vec<u16> = t.classes.iter().map(|&c| u16::from(c)).collect();
    DfaRows {
        classes: classes.chunks(16).map(numbers).collect(),
        stride: t.stride,
        next: t.next.chunks(t.stride).map(numbers).collect(),
        accept: t
            .accept
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The hash tag as rendered: only patterns of a cluster store put braces in
/// keys.
pub fn effective_hash_tag(policy: &Policy, p: &KeyPattern) -> Option<(usize, usize)> {
    p.hash_tag
        .filter(|&(s, e)| policy.store_is_cluster(&p.store) && s < e && e <= p.segments.len())
}

/// One pattern an invalidation list reaches.
pub struct PlanTarget<'p> {
    pub pattern: &'p KeyPattern,
    /// The pattern whose cascade reached it, if not listed itself.
    pub cascade_from: Option<&'p str>,
}

/// The patterns `list` invalidates, cascades expanded by the graph (each
/// pattern once, depth first), in the order `explain` and `diff` list them
/// and the generated plans delete them. `Err` names an unknown pattern.
pub fn plan_targets<'p>(
    graph: &Graph<'p>,
    policy: &'p Policy,
    list: &'p [String],
) -> Result<Vec<PlanTarget<'p>>, String> {
    graph
        .cascade_closure(list)
        .into_iter()
        .map(|reached| {
            let pattern = policy
                .pattern(reached.pattern)
                .ok_or_else(|| reached.pattern.to_owned())?;
            let cascade_from = match reached.via {
                Via::Cascade { from } => Some(from),
                _ => None,
            };
            Ok(PlanTarget {
                pattern,
                cascade_from,
            })
        })
        .collect()
}

/// One edge route as both generated modules describe it.
pub struct RouteFacts<'p> {
    pub route: &'p Route,
    /// `(name, value)` in sending order, exactly as `origin-headers.json`
    /// lists them (computed by the same `cloudflare::origin_headers`).
    pub headers: Vec<(String, String)>,
    /// One field per name (compared without case), in order of first
    /// appearance, the values of a repeated name joined with `, `: what a
    /// recipient reads (RFC 9110 section 5.3), and what a header setter that
    /// replaces (`setHeader`) must be given. A name can repeat: `vary:` plus
    /// a `Vary` entry in `headers:`, two spellings of one name in `headers:`,
    /// or a hand-written `Cache-Control` when CG203 is suppressed.
    pub combined: Vec<(String, String)>,
}

impl RouteFacts<'_> {
    /// What requests the route matches, in words (`path /images/*`,
    /// `extensions js, css`, `every request`), each path and extension
    /// spelled by `quote` (a doc comment's code span, or as is).
    pub fn matches(&self, quote: impl Fn(&str) -> String) -> String {
        let mut parts = Vec::new();
        if let Some(path) = &self.route.path {
            parts.push(format!("path {}", quote(path)));
        }
        if !self.route.extensions.is_empty() {
            let ext: Vec<String> = self.route.extensions.iter().map(|e| quote(e)).collect();
            parts.push(format!("extensions {}", ext.join(", ")));
        }
        if parts.is_empty() {
            "every request".into()
        } else {
            parts.join("; ")
        }
    }

    /// The combined value of field `name` (compared without case), if sent.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.combined
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The policy's edge routes in declaration order; `None` without an edge
/// section.
pub fn route_facts(policy: &Policy) -> Option<Vec<RouteFacts<'_>>> {
    let edge = policy.edge.as_ref()?;
    let sent = cloudflare::origin_headers(edge, "");
    Some(
        edge.routes
            .values()
            .zip(sent.routes)
            .map(|(route, sent)| {
                let headers: Vec<(String, String)> = sent
                    .headers
                    .into_iter()
                    .map(|h| (h.name, h.value))
                    .collect();
                RouteFacts {
                    route,
                    combined: combined(&headers),
                    headers,
                }
            })
            .collect(),
    )
}

/// One field per name (case-insensitive), values of a repeated name joined
/// with `, `, in order of first appearance.
fn combined(headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        match out.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            None => out.push((name.clone(), value.clone())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
version: 1
name: ir
ttl:
  default: 1m
keys:
  placeholders:
    code: {regex: "[A-Z]{2}[0-9]"}
    other: {regex: "[a-z]{1,8}"}
    same: {regex: "[A-Z]{2}[0-9]"}
    id: int
  patterns:
    item:
      pattern: "item:<id>:<code>"
      hash_tag: "item:<id>"
    detail:
      pattern: "detail:<id>:<code>"
    summary:
      pattern: "summary:<id>:<other>:<same>"
invalidation:
  cascade:
    item: [detail]
  events:
    changed:
      params: [id, code, other, same]
      invalidate: [item, summary]
redis:
  version: "7.0"
  maxmemory: 64mb
  maxmemory_policy: allkeys-lru
cluster:
  masters: 3
  replicas_per_master: 0
  node_timeout: 5s
"#;

    fn policy() -> Policy {
        let report = crate::check_bytes("ir.yaml", POLICY.as_bytes(), &Default::default());
        assert_eq!(
            report.count(crate::diag::Severity::Error),
            0,
            "{:?}",
            report.diagnostics
        );
        report.policy.expect("a model")
    }

    #[test]
    fn regex_types_are_distinct_in_declaration_order() {
        let policy = policy();
        let types = regex_types(&policy);
        let sources: Vec<&str> = types.iter().map(|r| r.source.as_str()).collect();
        assert_eq!(sources, ["[A-Z]{2}[0-9]", "[a-z]{1,8}"]);
        assert_eq!(regex_index(&policy, types[1]), 1);
        let rows = dfa_rows(types[0]);
        assert_eq!(rows.classes.len(), 16, "256 classes in rows of 16");
        assert_eq!(rows.next.len(), types[0].table.accept.len());
        assert_eq!(rows.accept.split(", ").count(), rows.next.len());
    }

    #[test]
    fn plans_reach_cascades_after_their_source_and_hash_tags_need_a_cluster() {
        let policy = policy();
        let graph = Graph::new(&policy);
        let event = &policy.events["changed"];
        let targets = plan_targets(&graph, &policy, &event.invalidate).expect("known patterns");
        let reached: Vec<(&str, Option<&str>)> = targets
            .iter()
            .map(|t| (t.pattern.name.as_str(), t.cascade_from))
            .collect();
        assert_eq!(
            reached,
            [("item", None), ("detail", Some("item")), ("summary", None)]
        );
        let item = policy.pattern("item").expect("item");
        assert_eq!(effective_hash_tag(&policy, item), Some((0, 2)));
        // The graph walks only declared patterns: an unknown name reaches none.
        let unknown = ["nope".to_owned()];
        let none = plan_targets(&graph, &policy, &unknown).expect("nothing unknown reached");
        assert!(none.is_empty());
    }

    #[test]
    fn a_repeated_field_is_combined_once_with_its_values_joined() {
        let pair = |n: &str, v: &str| (n.to_owned(), v.to_owned());
        let sent = combined(&[
            pair("Cache-Control", "public"),
            pair("Vary", "Accept-Encoding"),
            pair("vary", "Origin"),
        ]);
        assert_eq!(
            sent,
            [
                pair("Cache-Control", "public"),
                pair("Vary", "Accept-Encoding, Origin")
            ]
        );
    }
}
