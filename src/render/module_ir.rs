//! Owns the language-neutral facts the generated code modules (`rust`,
//! `typescript`) share: which user-defined placeholder types there are and
//! their DFA tables as rows of numbers, the hash-tag range a pattern's keys
//! carry, and the patterns an invalidation list reaches (cascades expanded by
//! `graph`). Each renderer spells these in its own syntax; computing them
//! once keeps the two modules in agreement.

use crate::graph::{Graph, Via};
use crate::keys;
use crate::policy::model::{KeyPattern, PlaceholderType, Policy};

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
}
