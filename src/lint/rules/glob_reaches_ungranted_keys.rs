//! CG506 glob-reaches-ungranted-keys: a key glob granted to a service also
//! matches keys of another pattern, tag set or lock of the same store that
//! the service was not granted at that access level.

use crate::analysis::grants::{Shape, example_key, glob_matches, store_grants};
use crate::lint::Findings;
use crate::policy::model::{Policy, Store};
use std::collections::{BTreeMap, BTreeSet};

crate::declare_rule! {
    /// ## What it does
    /// Builds every ACL key glob a service is granted (a placeholder
    /// becomes `*`), and reports one that matches the keys of another
    /// pattern, tag set or stampede lock of the same store which the
    /// service may not reach at that access level (read, write, or
    /// delete for an event).
    ///
    /// The match is decided on a representative key of the other shape:
    /// its stored key with each placeholder an example value of its type
    /// (`42` for `int`, a shortest match for a regex type), matched by the
    /// glob as Redis matches it. Two patterns one key could match are
    /// already refused as ambiguous, so an overlap between patterns comes
    /// from a glob's `*` spanning several segments of the other shape
    /// (`user:<id>` and `user:<id>:secret`), which the representative key
    /// shows whenever the glob's literal text lines up with the other
    /// shape's literal text. The method misses an overlap that needs a
    /// particular placeholder value (the other shape's placeholder spelling
    /// one of the glob's literal segments, a `{regex}` type whose values
    /// may hold `:`); it reports nothing the example key does not prove.
    ///
    /// ## Why is this bad?
    /// A placeholder's `*` matches any text, `:` included, so the glob of
    /// `user:<id>` is `user:*`, which Redis also lets match
    /// `user:5:secret`. The generated ACL grants the service the other
    /// pattern's keys without the policy saying so.
    ///
    /// ## Example
    /// ```yaml
    /// keys:
    ///   patterns:
    ///     user: {pattern: "user:<id>"}
    ///     user_secret: {pattern: "user:<id>:secret"}
    /// redis:
    ///   access:
    ///     services:
    ///       web:
    ///         password: {env: WEB_REDIS_PASSWORD}
    ///         reads: [user]   # CG506: `user:*` also matches `user:42:secret`
    /// ```
    /// Use instead distinct leading literals (`user:<id>` and
    /// `user_secret:<id>`), or end the shorter pattern with a literal
    /// (`user:<id>:profile`).
    "CG506", "glob-reaches-ungranted-keys", Error, "a service's key glob also matches keys it was not granted"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &[
    "@store/access",
    "@cluster",
    "/keys/version_prefix",
    "/keys/patterns/*",
    "/tags/*",
    "/invalidation/events/*",
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

/// Every key shape of the store with its representative key and the
/// pointer of its declaration.
fn shapes(policy: &Policy, store: &Store) -> Vec<(Shape, String, String)> {
    let mut out = Vec::new();
    for p in policy.patterns_in(&store.name) {
        out.push((
            Shape::Pattern(p.name.clone()),
            example_key(policy, &p.store, "", &p.segments, p.hash_tag),
            p.pointer.clone(),
        ));
        if let Some(lock) = &p.stampede_lock {
            out.push((
                Shape::Lock(p.name.clone()),
                example_key(policy, &p.store, &lock.prefix, &p.segments, p.hash_tag),
                p.pointer.clone(),
            ));
        }
    }
    for t in policy.tags.values().filter(|t| t.store == store.name) {
        out.push((
            Shape::Tag(t.name.clone()),
            example_key(policy, &t.store, "", &t.key, None),
            t.pointer.clone(),
        ));
    }
    out
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let shapes = shapes(policy, store);
    for (service, grants) in store_grants(policy, store) {
        let mut granted: BTreeMap<&Shape, crate::analysis::grants::KeyAccess> = BTreeMap::new();
        for g in &grants.grants {
            let a = granted.entry(&g.shape).or_insert(g.access);
            *a = a.union(g.access);
        }
        let mut seen: BTreeSet<(&str, usize, &Shape)> = BTreeSet::new();
        for g in &grants.grants {
            for (shape, key, pointer) in &shapes {
                if *shape == g.shape
                    || granted.get(shape).is_some_and(|a| a.covers(g.access))
                    || !glob_matches(&g.glob, key)
                    || !seen.insert((g.field, g.index, shape))
                {
                    continue;
                }
                let verb = match (g.access.read, g.access.write) {
                    (true, false) => "read",
                    (false, true) => "delete",
                    _ => "read and write",
                };
                let d = out.report(
                    format!(
                        "service `{}` may {verb} `{}` (for {}), which also matches `{key}` of {shape}, not granted to it",
                        service.name, g.glob, g.shape
                    ),
                    policy.span(&format!("{}/{}", service.pointer, g.field), &g.index.to_string()),
                    "glob reaches further",
                );
                d.add_help(
                    "a placeholder's `*` matches any text, `:` included: give the two shapes different literal segments where the shorter one ends (e.g. `user:<id>:profile` beside `user:<id>:secret`), or grant the other shape too if the service may reach it",
                );
                d.add_related(policy.key_span(pointer), "the other shape");
            }
        }
    }
}
