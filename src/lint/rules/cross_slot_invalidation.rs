//! CG301 cross-slot-invalidation: one invalidation spreads keys of the same
//! entity over several Redis Cluster hash slots.

use crate::keys::Segment;
use crate::lint::Findings;
use crate::load::escape_pointer_token;
use crate::policy::model::{KeyPattern, Policy, segments_text};
use crate::source::Span;

crate::declare_rule! {
    /// ## What it does
    /// In a Redis Cluster policy (`cluster:` present), looks at every set of
    /// key patterns deleted together: an event's `invalidate` list, the same
    /// list plus each `when_changed` field's list, and each cascade entry (a
    /// source and its targets); cascades are followed. It reports when keys
    /// that could share a hash slot do not: patterns whose slot depends on a
    /// common placeholder (the same user, the same quiz) but whose hash tags
    /// differ or are missing. A pattern's slot depends on the placeholders in
    /// its hash tag, or on all of them when it has none.
    ///
    /// Two patterns land in the same slot for the same placeholder values only
    /// if both have a `hash_tag` and the tag texts are identical. A pattern
    /// without a hash tag is hashed on its whole key, so it is a slot of its
    /// own. Patterns keyed by different things (a quiz and a user) can never
    /// share a slot and are not reported: the generated invalidation plan
    /// sends one command per slot for them.
    ///
    /// ## Why is this bad?
    /// A multi-key `DEL`/`UNLINK` across slots fails with `CROSSSLOT`, even
    /// when both slots live on the same master. The invalidation then needs
    /// one command (one round trip) per slot and is no longer atomic: a
    /// reader between two commands sees one user's profile fresh and their
    /// stats stale. With a shared hash tag (`{user:42}`) every key of the
    /// user lives in one slot and one `UNLINK` deletes them all.
    ///
    /// ## Example
    /// ```yaml
    /// keys:
    ///   patterns:
    ///     user_profile: { pattern: "user:<user_id>:profile" }
    ///     user_stats:   { pattern: "user:<user_id>:stats" }
    /// invalidation:
    ///   events:
    ///     user.updated:
    ///       params: [user_id]
    ///       invalidate: [user_profile, user_stats]   # CG301
    /// cluster: { masters: 3, replicas_per_master: 1, node_timeout: 5s }
    /// ```
    /// Use instead `hash_tag: "user:<user_id>"` on both patterns.
    "CG301", "cross-slot-invalidation", Warning, "one invalidation spreads keys of the same entity over several cluster slots"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "@cluster",
    "/invalidation",
    "/keys/patterns/*/pattern",
    "/keys/patterns/*/hash_tag",
    "/keys/patterns/*/store",
    "/keys/store",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    if !policy.stores.values().any(|s| s.cluster.is_some()) {
        return;
    }
    // Each cascade entry is checked on its own; events skip splits that lie
    // entirely inside one cascade entry, so a split is reported once.
    let mut cascades: Vec<Vec<&KeyPattern>> = Vec::new();
    for (source, targets) in &policy.cascade {
        let set: Vec<&KeyPattern> = std::iter::once(source)
            .chain(targets)
            .filter_map(|n| policy.pattern(n))
            .collect();
        report_splits(
            policy,
            out,
            &set,
            &[],
            &format!("cascade from `{source}`"),
            policy.key_span(&format!(
                "/invalidation/cascade/{}",
                escape_pointer_token(source)
            )),
        );
        cascades.push(set);
    }
    for event in policy.events.values() {
        let base = closure(policy, &event.invalidate);
        if !event.invalidate.is_empty() {
            report_splits(
                policy,
                out,
                &base,
                &cascades,
                &format!("event `{}`", event.name),
                policy.key_span(&format!("{}/invalidate", event.pointer)),
            );
        }
        // When a field changes, the event deletes `invalidate` and the field's
        // list together; splits inside `invalidate` alone were reported above.
        let mut covered = cascades.clone();
        covered.push(base.clone());
        for (field, list) in &event.when_changed {
            let names: Vec<String> = event.invalidate.iter().chain(list).cloned().collect();
            report_splits(
                policy,
                out,
                &closure(policy, &names),
                &covered,
                &format!("event `{}` (when `{field}` changes)", event.name),
                policy.key_span(&format!(
                    "{}/when_changed/{}",
                    event.pointer,
                    escape_pointer_token(field)
                )),
            );
        }
    }
}

/// The named patterns, then everything they cascade to (breadth first), once each.
fn closure<'a>(policy: &'a Policy, names: &[String]) -> Vec<&'a KeyPattern> {
    let mut out: Vec<&KeyPattern> = Vec::new();
    let mut queue: std::collections::VecDeque<&str> = names.iter().map(String::as_str).collect();
    while let Some(name) = queue.pop_front() {
        let Some(p) = policy.pattern(name) else {
            continue;
        };
        if out.iter().any(|q| q.name == p.name) {
            continue;
        }
        out.push(p);
        if let Some(targets) = policy.cascade.get(name) {
            queue.extend(targets.iter().map(String::as_str));
        }
    }
    out
}

/// Patterns that hash to the same slot for the same placeholder values.
struct Group<'a> {
    tag: Option<String>,
    patterns: Vec<&'a KeyPattern>,
    /// Placeholders that decide the slot: those inside the hash tag, or all
    /// of them when there is none (the whole key is hashed).
    slot_placeholders: Vec<&'a str>,
}

impl<'a> Group<'a> {
    fn new(p: &'a KeyPattern) -> Self {
        let segments = match p.hash_tag {
            Some((start, end)) => &p.segments[start..end],
            None => &p.segments[..],
        };
        Group {
            tag: p.hash_tag_text(),
            patterns: vec![p],
            slot_placeholders: segments
                .iter()
                .filter_map(|s| match s {
                    Segment::Placeholder { name, .. } => Some(name.as_str()),
                    Segment::Literal(_) => None,
                })
                .collect(),
        }
    }

    fn shares_placeholder(&self, other: &Group) -> bool {
        self.slot_placeholders
            .iter()
            .any(|p| other.slot_placeholders.contains(p))
    }

    fn label(&self) -> String {
        let names: Vec<String> = self
            .patterns
            .iter()
            .map(|p| format!("`{}`", p.name))
            .collect();
        match &self.tag {
            Some(tag) => format!("`{{{tag}}}` ({})", names.join(", ")),
            None => names.join(", "),
        }
    }
}

/// Splits `set` into slot groups, then joins groups that share a slot
/// placeholder: each result with more than one group is keys of one entity
/// that a common hash tag could put in one slot.
fn split_entities<'a>(set: &[&'a KeyPattern]) -> Vec<Vec<Group<'a>>> {
    let mut groups: Vec<Group> = Vec::new();
    for &p in set {
        let group = Group::new(p);
        match groups
            .iter_mut()
            .find(|g| group.tag.is_some() && g.tag == group.tag)
        {
            Some(g) => g.patterns.push(p),
            None => groups.push(group),
        }
    }
    let mut entities: Vec<Vec<Group>> = Vec::new();
    for group in groups {
        // Every entity the group connects to merges into one, kept in order.
        let (joined, rest): (Vec<_>, Vec<_>) = entities
            .into_iter()
            .partition(|e| e.iter().any(|g| g.shares_placeholder(&group)));
        entities = rest;
        let mut merged: Vec<Group> = joined.into_iter().flatten().collect();
        merged.push(group);
        entities.push(merged);
    }
    entities.retain(|e| e.len() > 1);
    entities
}

/// Reports each entity of `set` whose keys lie in several slot groups. One
/// whose patterns all lie in one of the `covered` sets is reported with that
/// set and skipped here.
fn report_splits(
    policy: &Policy,
    out: &mut Findings,
    set: &[&KeyPattern],
    covered: &[Vec<&KeyPattern>],
    what: &str,
    span: Span,
) {
    // Slots exist per cluster: only keys of one cluster store can split
    // over its slots (keys of different stores are never one command).
    for store in policy.stores.values().filter(|s| s.cluster.is_some()) {
        let in_store: Vec<&KeyPattern> = set
            .iter()
            .copied()
            .filter(|p| p.store == store.name)
            .collect();
        report_store_splits(policy, out, &in_store, covered, what, span);
    }
}

fn report_store_splits(
    policy: &Policy,
    out: &mut Findings,
    set: &[&KeyPattern],
    covered: &[Vec<&KeyPattern>],
    what: &str,
    span: Span,
) {
    for groups in split_entities(set) {
        let members: Vec<&KeyPattern> = groups
            .iter()
            .flat_map(|g| g.patterns.iter().copied())
            .collect();
        if covered
            .iter()
            .any(|c| members.iter().all(|p| c.iter().any(|q| q.name == p.name)))
        {
            continue;
        }
        // The placeholders the groups have in common name the entity.
        let mut keyed_by: Vec<String> = Vec::new();
        for (i, g) in groups.iter().enumerate() {
            for &p in &g.slot_placeholders {
                let shared = groups[i + 1..]
                    .iter()
                    .any(|h| h.slot_placeholders.contains(&p));
                let name = format!("`{p}`");
                if shared && !keyed_by.contains(&name) {
                    keyed_by.push(name);
                }
            }
        }
        let labels: Vec<String> = groups.iter().map(Group::label).collect();
        let example = shared_tag(&members).map_or_else(
            || "the same `hash_tag`".to_owned(),
            |t| format!("`hash_tag: \"{t}\"`"),
        );
        let d = out.report(
            format!(
                "{what} spreads the keys of one {} over {} hash slots: {}",
                keyed_by.join(" and "),
                groups.len(),
                labels.join(", ")
            ),
            span,
            "one command per slot",
        );
        d.add_help(format!(
            "give these patterns a shared hash tag ({example} on each) so one UNLINK deletes them together, or accept one command per slot (the generated invalidation plan groups keys by slot)"
        ));
        for g in &groups {
            let first = g.patterns[0];
            let (field, label) = match &g.tag {
                Some(tag) => (
                    "hash_tag",
                    format!("`{}` hashes on `{{{tag}}}`", first.name),
                ),
                None => ("pattern", format!("`{}` has no hash tag", first.name)),
            };
            d.add_related(policy.span(&first.pointer, field), label);
        }
    }
}

/// The longest run of segments containing a placeholder that every pattern
/// has, preferring a hash tag some of them already use: a tag they could share.
fn shared_tag(patterns: &[&KeyPattern]) -> Option<String> {
    let has_run = |p: &KeyPattern, run: &[Segment]| p.segments.windows(run.len()).any(|w| w == run);
    let fits = |run: &[Segment]| {
        run.iter().any(|s| matches!(s, Segment::Placeholder { .. }))
            && patterns.iter().all(|p| has_run(p, run))
    };
    for p in patterns {
        if let Some((start, end)) = p.hash_tag
            && fits(&p.segments[start..end])
        {
            return Some(segments_text(&p.segments[start..end]));
        }
    }
    let first = patterns.first()?;
    let n = first.segments.len();
    for len in (1..=n).rev() {
        for start in 0..=n - len {
            let run = &first.segments[start..start + len];
            if fits(run) {
                return Some(segments_text(run));
            }
        }
    }
    None
}
