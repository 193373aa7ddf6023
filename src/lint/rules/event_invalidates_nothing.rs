//! CG305 event-invalidates-nothing: an event with no key pattern, tag or
//! `when_changed` entry to invalidate.

use crate::graph::Graph;
use crate::lint::Findings;
use crate::load::escape_pointer_token;
use crate::policy::model::{Event, Policy};

crate::declare_rule! {
    /// ## What it does
    /// Reports events whose `invalidate`, `invalidate_tags` and
    /// `when_changed` lists are all empty or missing. An event whose targets
    /// were all refused by another check (a misspelled pattern, CG020) is
    /// left to that error.
    ///
    /// ## Why is this bad?
    /// The application emits the event because something changed, and the
    /// policy promises the affected keys are purged; an empty event purges
    /// nothing, so every reader keeps the stale value until its TTL ends.
    /// The generated plan for it is an empty function that looks like it
    /// works. Usually the list was lost in an edit (a commented-out line, a
    /// list moved to another event), or the event is dead configuration.
    ///
    /// ## Example
    /// ```yaml
    /// invalidation:
    ///   events:
    ///     quiz.updated:          # CG305
    ///       params: [quiz_id]
    ///       invalidate: []
    /// ```
    /// Use instead `invalidate: [quiz_data, quiz_questions]`, or delete the
    /// event if the application no longer emits it.
    "CG305", "event-invalidates-nothing", Warning, "an event invalidates no key pattern and no tag"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["/invalidation/events", "/tags"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for name in Graph::new(policy).empty_events() {
        let Some(event) = policy.events.get(name) else {
            continue;
        };
        if wrote_targets(policy, event) {
            continue;
        }
        let d = out.report(
            format!(
                "event `{name}` invalidates nothing: its `invalidate`, `invalidate_tags` and `when_changed` lists are empty"
            ),
            policy.key_span(&event.pointer),
            "purges no key",
        );
        d.add_help(
            "list the key patterns this event makes stale under `invalidate` (or `invalidate_tags`, `when_changed`), or delete the event if the application no longer emits it",
        );
    }
}

/// Whether the file lists targets that lowering dropped (each already
/// reported as an error): then "invalidates nothing" would be a follow-on.
fn wrote_targets(policy: &Policy, event: &Event) -> bool {
    let written = |list: String| policy.spans.entry(&format!("{list}/0")).is_some();
    written(format!("{}/invalidate", event.pointer))
        || written(format!("{}/invalidate_tags", event.pointer))
        || event.when_changed.keys().any(|field| {
            written(format!(
                "{}/when_changed/{}",
                event.pointer,
                escape_pointer_token(field)
            ))
        })
}
