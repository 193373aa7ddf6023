//! CG310 invalidation-spans-stores: one invalidation deletes keys in more
//! than one store, which no command can do atomically.

use crate::graph::Graph;
use crate::lint::Findings;
use crate::load::escape_pointer_token;
use crate::policy::model::Policy;
use crate::source::Span;
use indexmap::IndexMap;

crate::declare_rule! {
    /// ## What it does
    /// Looks at every set of keys deleted together, as the generated
    /// invalidation plans delete them: an event's `invalidate` list and tags,
    /// the same list plus each `when_changed` field's list, and each cascade
    /// (a source and everything it cascades to). It reports a set whose key
    /// patterns or tag sets live in more than one store. An event whose keys
    /// all come from one cascade is left to that cascade's report.
    ///
    /// ## Why is this bad?
    /// Each store is a separate Redis (or Valkey) deployment: the deletes are
    /// separate commands to separate servers, one after the other, and no
    /// `MULTI` or Lua script spans them. A reader between the two commands,
    /// or after a failure between them, sees one store invalidated and the
    /// other not: a fresh profile next to a stale session, or a rebuilt
    /// value computed from a key that was about to be deleted.
    ///
    /// ## Example
    /// ```yaml
    /// keys:
    ///   patterns:
    ///     user_profile: { pattern: "user:<user_id>:profile", store: cache }
    ///     session:      { pattern: "session:<user_id>", store: sessions, durable: true, ttl: none }
    /// invalidation:
    ///   events:
    ///     user.updated:
    ///       params: [user_id]
    ///       invalidate: [user_profile, session]   # CG310
    /// ```
    /// Keep data that is invalidated together in one store, or make the
    /// reader tolerate one store being invalidated before the other (and
    /// allow the rule with a reason).
    "CG310", "invalidation-spans-stores", Warning, "one invalidation deletes keys in several stores, never atomically"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "/invalidation",
    "/keys/patterns/*/store",
    "/keys/store",
    "/stores",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    if policy.stores.len() < 2 {
        return;
    }
    let graph = Graph::new(policy);
    // Each cascade is reported on its own; an event whose whole set is one
    // cascade's set is that cascade's problem, reported once, there.
    let mut cascades: Vec<Vec<&str>> = Vec::new();
    for source in policy.cascade.keys() {
        let set = Deletes::of(policy, &graph, &[std::slice::from_ref(source)], &[]);
        set.report(
            policy,
            out,
            &format!("cascade from `{source}`"),
            policy.key_span(&format!(
                "/invalidation/cascade/{}",
                escape_pointer_token(source)
            )),
        );
        cascades.push(set.pattern_names());
    }
    let covered = |set: &Deletes| {
        set.tags.is_empty()
            && cascades
                .iter()
                .any(|c| set.pattern_names().iter().all(|p| c.contains(p)))
    };
    for event in policy.events.values() {
        let base = Deletes::of(policy, &graph, &[&event.invalidate], &event.invalidate_tags);
        if !covered(&base) {
            let field = if event.invalidate.is_empty() {
                "invalidate_tags"
            } else {
                "invalidate"
            };
            base.report(
                policy,
                out,
                &format!("event `{}`", event.name),
                policy.key_span(&format!("{}/{field}", event.pointer)),
            );
        }
        // A branch deletes the event's keys and its own together; a split
        // inside the event's own keys was reported above.
        for (field, list) in &event.when_changed {
            let lists = [event.invalidate.as_slice(), list.as_slice()];
            let branch = Deletes::of(policy, &graph, &lists, &event.invalidate_tags);
            if covered(&branch) || branch.by_store.len() == base.by_store.len() {
                continue;
            }
            branch.report(
                policy,
                out,
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

/// What one invalidation deletes, grouped by store in the order the plan
/// reaches them.
struct Deletes<'p> {
    /// Store name → the patterns (`` `name` ``) and tag sets (`` tag `name` ``)
    /// deleted there.
    by_store: IndexMap<&'p str, Vec<String>>,
    /// Patterns reached, with the pointer of the field that puts each in its store.
    patterns: Vec<(&'p str, &'p str)>,
    tags: Vec<&'p str>,
}

impl<'p> Deletes<'p> {
    /// The patterns of `lists` with their cascades, then the tag sets of `tags`.
    fn of(
        policy: &'p Policy,
        graph: &Graph<'p>,
        lists: &[&'p [String]],
        tags: &'p [String],
    ) -> Self {
        let mut set = Deletes {
            by_store: IndexMap::new(),
            patterns: Vec::new(),
            tags: Vec::new(),
        };
        let reached = lists.iter().flat_map(|list| graph.cascade_closure(list));
        for reached in reached {
            let Some(p) = policy.pattern(reached.pattern) else {
                continue;
            };
            if set.patterns.iter().any(|(name, _)| *name == p.name) {
                continue;
            }
            set.by_store
                .entry(p.store.as_str())
                .or_default()
                .push(format!("`{}`", p.name));
            set.patterns.push((p.name.as_str(), p.pointer.as_str()));
        }
        for tag in tags.iter().filter_map(|t| policy.tags.get(t)) {
            set.by_store
                .entry(tag.store.as_str())
                .or_default()
                .push(format!("tag `{}`", tag.name));
            set.tags.push(tag.name.as_str());
        }
        set
    }

    fn pattern_names(&self) -> Vec<&'p str> {
        self.patterns.iter().map(|(name, _)| *name).collect()
    }

    fn report(&self, policy: &Policy, out: &mut Findings, what: &str, span: Span) {
        if self.by_store.len() < 2 {
            return;
        }
        let stores: Vec<String> = self.by_store.keys().map(|s| format!("`{s}`")).collect();
        let lists: Vec<String> = self
            .by_store
            .iter()
            .map(|(store, names)| format!("{} in `{store}`", names.join(", ")))
            .collect();
        let (first, second) = (&stores[0], &stores[1]);
        let d = out.report(
            format!(
                "{what} deletes keys in {} stores, one command per store, never atomically: {}; a reader can see {first} invalidated and {second} not",
                stores.len(),
                lists.join("; ")
            ),
            span,
            format!("deletes in {}", stores.join(" and ")),
        );
        d.add_help(
            "keep data that is invalidated together in one store, or make the reader tolerate one store being invalidated before the other",
        );
        // One related location per store: where its first pattern says so.
        for store in self.by_store.keys() {
            let Some((name, pointer)) = self
                .patterns
                .iter()
                .find(|(name, _)| policy.pattern(name).is_some_and(|p| p.store == *store))
            else {
                continue;
            };
            // The pattern's own `store:`, else the `keys.store` default it took.
            let span = policy
                .written_span(pointer, "store")
                .or_else(|| policy.written_span("/keys", "store"))
                .unwrap_or_else(|| policy.key_span(pointer));
            d.add_related(span, format!("`{name}` lives in `{store}`"));
        }
    }
}
