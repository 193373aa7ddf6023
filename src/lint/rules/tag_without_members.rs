//! CG306 tag-without-members: a declared tag that no key pattern joins, so
//! invalidating it deletes nothing.

use crate::lint::Findings;
use crate::policy::model::{Event, Policy};
use crate::source::Span;

crate::declare_rule! {
    /// ## What it does
    /// Reports tags declared under `tags:` that no key pattern lists in its
    /// `tags`, and points at every event that invalidates them.
    ///
    /// ## Why is this bad?
    /// A tag set only ever holds the keys of patterns that join the tag (a
    /// tagging cache client adds each key to `tag:<name>` as it writes it). With no member pattern the set is never written, and
    /// invalidating the tag (`SMEMBERS`, `DEL` the members,
    /// `DEL` the set) deletes an empty set and nothing else. Whoever
    /// publishes the event or calls the purge believes the data is gone
    /// while every key they meant stays cached until its TTL. It is usually
    /// a pattern that forgot its `tags` entry, or a tag renamed on one side
    /// only.
    ///
    /// ## Example
    /// ```yaml
    /// keys:
    ///   patterns:
    ///     quiz_data: { pattern: "quiz:<quiz_id>:data" }   # forgot `tags: [quizzes]`
    /// tags:
    ///   quizzes: { key: "tag:quizzes", ttl: 1h }          # CG306
    /// ```
    /// Use instead `tags: [quizzes]` on `quiz_data`, or remove the tag.
    "CG306", "tag-without-members", Warning, "a tag no key pattern joins: invalidating it deletes nothing"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["/keys/patterns"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for tag in policy.tags.values() {
        if !tag.members.is_empty() {
            continue;
        }
        let invalidated_by: Vec<(&Event, Span)> = policy
            .events
            .values()
            .filter_map(|e| invalidate_tags_span(policy, e, &tag.name).map(|s| (e, s)))
            .collect();
        let d = out.report(
            format!(
                "tag `{}` has no members: no key pattern lists it in `tags`",
                tag.name
            ),
            policy.key_span(&tag.pointer),
            "no pattern joins this tag",
        );
        let remove = if invalidated_by.is_empty() {
            "remove the tag"
        } else {
            "remove the tag and its `invalidate_tags` entries"
        };
        d.add_help(format!(
            "invalidating it deletes `{}`, an empty set, and nothing else; add `{}` to the `tags` of the key patterns it should cover, or {remove}",
            tag.key_text, tag.name
        ));
        for (event, span) in invalidated_by {
            d.add_related(
                span,
                format!("`{}` invalidates only an empty set here", event.name),
            );
        }
    }
}

/// Span of the event's `invalidate_tags` entry naming `tag`, if it has one.
/// The model keeps only the entries that resolved, so its index is the YAML
/// index only when nothing was dropped; otherwise the whole list is named.
fn invalidate_tags_span(policy: &Policy, event: &Event, tag: &str) -> Option<Span> {
    let at = event.invalidate_tags.iter().position(|t| t == tag)?;
    let list = policy.span(&event.pointer, "invalidate_tags");
    // A missing item falls back to the list's own span; counting stops one
    // past the model's length, which is all the comparison needs.
    let written = (0..=event.invalidate_tags.len())
        .take_while(|i| policy.span(&event.pointer, &format!("invalidate_tags/{i}")) != list)
        .count();
    if written == event.invalidate_tags.len() {
        Some(policy.span(&event.pointer, &format!("invalidate_tags/{at}")))
    } else {
        Some(list)
    }
}

#[cfg(test)]
mod tests {
    use crate::{CheckOptions, check_bytes};

    const KEYS: &str = "version: 1\nttl:\n  default: 5m\n  jitter: 10%\nkeys:\n  placeholders:\n    user_id: int\n  patterns:\n    user_stats:\n      pattern: \"user:<user_id>:stats\"\n      tags: [user]\n\
        tags:\n  user: {key: \"tag:user:<user_id>\", ttl: 1h}\n  quizzes: {key: \"tag:quizzes\", ttl: 1h}\n";
    const REDIS: &str =
        "redis:\n  version: \"7.0\"\n  maxmemory: 1gb\n  maxmemory_policy: allkeys-lru\n";

    /// The text under each CG306 finding's related spans.
    fn related_texts(events: &str) -> Vec<Vec<String>> {
        let yaml = format!("{KEYS}{events}{REDIS}");
        let report = check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default());
        report
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "CG306")
            .map(|d| {
                d.related
                    .iter()
                    .map(|(s, _)| yaml[s.start..s.end].to_owned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn points_at_the_entry_naming_the_tag() {
        let events = "invalidation:\n  events:\n    user.updated:\n      params: [user_id]\n      invalidate_tags: [user, quizzes]\n";
        assert_eq!(related_texts(events), [["quizzes"]]);
    }

    #[test]
    fn a_dropped_entry_makes_it_point_at_the_whole_list() {
        // `nope` is unresolved (CG020) and dropped from the model, so model
        // and YAML indexes no longer agree.
        let events = "invalidation:\n  events:\n    user.updated:\n      params: [user_id]\n      invalidate_tags: [nope, quizzes]\n";
        assert_eq!(related_texts(events), [["[nope, quizzes]"]]);
    }

    #[test]
    fn an_unused_tag_nobody_invalidates_still_fires() {
        assert_eq!(related_texts(""), [Vec::<String>::new()]);
    }
}
