//! CG304 pattern-never-invalidated: a cached key pattern that no event,
//! branch, tag or cascade ever invalidates, so only its TTL refreshes it.

use crate::graph::Graph;
use crate::lint::Findings;
use crate::load::escape_pointer_token;
use crate::policy::model::{Policy, Strategy, Ttl};

crate::declare_rule! {
    /// ## What it does
    /// Reports key patterns that no event reaches: not listed in any event's
    /// `invalidate` or `when_changed`, not a member of a tag an event
    /// invalidates, and not the target of a cascade from a pattern an event
    /// reaches. A cascade from a pattern that is itself never invalidated
    /// does not count, since nothing sets it off; the finding points at it.
    /// A policy with no events at all is TTL-only by design and gets no
    /// notes.
    /// Patterns that hold data of record rather than a copy (`strategy:
    /// primary`, `write-behind`, or `durable: true`) are not reported: no
    /// event should delete them.
    ///
    /// It is a note, not a warning: many caches are meant to be refreshed by
    /// their TTL alone, and the note only makes that choice visible in
    /// review. Raise it with `--warn`/`--deny` (or the policy's `lint:`) in
    /// policies where every cache must be invalidated on write.
    ///
    /// ## Why is this bad?
    /// When the data behind such a key changes, readers keep getting the old
    /// value until the key expires: up to its whole TTL plus jitter (with
    /// `ttl: none`, forever). That is fine for a leaderboard that may lag
    /// five minutes and wrong for a quiz an author just corrected. Often the
    /// event was simply forgotten, or a cascade hangs off a pattern nothing
    /// invalidates and so never fires.
    ///
    /// ## Example
    /// ```yaml
    /// keys:
    ///   patterns:
    ///     quiz_data: { pattern: "quiz:<quiz_id>:data", ttl: 30m }  # CG304
    /// invalidation:
    ///   events:
    ///     quiz.completed:
    ///       params: [quiz_id]
    ///       invalidate: [quiz_leaderboard]
    /// ```
    /// Use instead a `quiz.updated` event with `invalidate: [quiz_data]`, or
    /// keep TTL-only refresh on purpose (`lint: allow: [CG304]`).
    "CG304", "pattern-never-invalidated", Note, "no event invalidates a cached key pattern; only its TTL refreshes it"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["/invalidation", "/tags", "/ttl", "/keys/patterns/*/ttl"];

pub fn check(policy: &Policy, out: &mut Findings) {
    // Without any event the whole policy is TTL-only by design; a note per
    // pattern would only repeat that. The rule is for the pattern left out
    // of a policy that does invalidate on writes.
    if policy.events.is_empty() {
        return;
    }
    for name in Graph::new(policy).uninvalidated_patterns() {
        let Some(p) = policy.pattern(name) else {
            continue;
        };
        if p.durable || matches!(p.strategy, Strategy::Primary | Strategy::WriteBehind) {
            continue;
        }
        let (message, label, stale) = match p.ttl {
            Ttl::Expires { max, .. } => (
                format!(
                    "no event invalidates `{name}`: a change to its data shows only when the key expires, up to {max} later"
                ),
                "refreshed only by its TTL".to_owned(),
                format!("up to {max} of staleness"),
            ),
            Ttl::Never => (
                format!(
                    "no event invalidates `{name}` and it never expires: a change to its data never shows"
                ),
                "never invalidated, never expires".to_owned(),
                "staleness until eviction".to_owned(),
            ),
        };
        let d = out.report(message, policy.key_span(&p.pointer), label);
        d.add_help(format!(
            "if writes change this data, invalidate `{name}` from the event that changes it; if {stale} is intended, nothing needs to change (`lint: allow: [pattern-never-invalidated]` silences this note)"
        ));
        // A cascade that would reach it but never fires: the likely slip.
        for (source, targets) in &policy.cascade {
            if targets.iter().any(|t| t == name) {
                d.add_related(
                    policy.key_span(&format!(
                        "/invalidation/cascade/{}",
                        escape_pointer_token(source)
                    )),
                    format!("`{source}` cascades to it, but no event invalidates `{source}`"),
                );
            }
        }
    }
}
