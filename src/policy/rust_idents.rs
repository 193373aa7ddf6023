//! Owns how policy names become identifiers of the generated Rust module
//! (`render::rust`), and which of them collide. Both the renderer and
//! `lower` call these functions: the renderer to name things, `lower` to
//! report a collision as a diagnostic with spans at `check` time, so a
//! policy that checks cleanly always renders into code that compiles.
//!
//! Identifiers derived from policy names can collide (`a.b_c` and `a_b.c`
//! both give `on_a_b_c`; a pattern named `key_slot` meets a fixed helper;
//! the placeholder `self` becomes `self_`, like the placeholder `self_`).

use crate::keys::Segment;
use crate::load::escape_pointer_token as esc;
use crate::policy::model::Policy;
use std::collections::BTreeMap;

/// Keywords of every edition (strict and reserved), written as raw
/// identifiers (`r#type`).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers: they get a trailing `_`.
const NOT_RAW: &[&str] = &["self", "super", "crate"];

/// Module-level value names the template defines itself (functions and
/// constants); a policy-derived name equal to one of them is a collision.
const FIXED_VALUES: &[&str] = &[
    "VERSION_PREFIX",
    "PREVIOUS_PREFIXES",
    "KEY_PREFIX",
    "classify",
    "classify_any",
    "key_slot",
    "group_by_slot",
    "unlink_groups",
    "jittered_ttl",
    "crc16",
    "match_segments",
    "run_plan",
];

/// Name parts: `a.b_c` → `[a, b, c]`; empty parts dropped so the joined
/// identifier never has `__` (rustc's snake-case lint rejects it).
fn parts(name: &str) -> Vec<&str> {
    name.split(['_', '.']).filter(|p| !p.is_empty()).collect()
}

fn snake(name: &str) -> String {
    parts(name).join("_")
}

/// A snake-case identifier that may be a keyword.
pub fn ident(name: &str) -> String {
    let s = snake(name);
    if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else if NOT_RAW.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

fn upper(name: &str) -> String {
    snake(name).to_ascii_uppercase()
}

fn camel(name: &str) -> String {
    let s: String = parts(name)
        .iter()
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    if s == "Self" { "Self_".into() } else { s }
}

/// The items one key pattern gives the module.
pub struct PatternIdents {
    /// The key builder.
    pub builder: String,
    /// The variant of `enum Pattern`.
    pub variant: String,
    /// The function that draws a jittered TTL.
    pub ttl_fn: String,
    /// The TTL constants (patterns that expire only).
    pub ttl_const: String,
    pub max_ttl_const: String,
    /// The stampede-lock key builder and TTL constant (with a lock only).
    pub lock_builder: String,
    pub lock_ttl_const: String,
    /// The constant naming the store its keys (and lock keys) live in.
    pub store_const: String,
}

pub fn pattern(name: &str) -> PatternIdents {
    let up = upper(name);
    PatternIdents {
        builder: ident(name),
        variant: camel(name),
        ttl_fn: format!("{}_ttl", snake(name)),
        ttl_const: format!("{up}_TTL_SECS"),
        max_ttl_const: format!("{up}_MAX_TTL_SECS"),
        lock_builder: format!("{}_lock_key", snake(name)),
        lock_ttl_const: format!("{up}_LOCK_TTL_SECS"),
        store_const: format!("{up}_STORE"),
    }
}

/// The items one tag gives the module.
pub struct TagIdents {
    /// The tag-set key builder.
    pub builder: String,
    /// The variant of `enum TagSet`.
    pub variant: String,
    /// The TTL constant (tags whose set expires only).
    pub ttl_const: String,
    /// The constant naming the store its set (and its members) live in.
    pub store_const: String,
}

pub fn tag(name: &str) -> TagIdents {
    TagIdents {
        builder: format!("tag_key_{}", snake(name)),
        variant: camel(name),
        ttl_const: format!("TAG_{}_TTL_SECS", upper(name)),
        store_const: format!("TAG_{}_STORE", upper(name)),
    }
}

/// The variant of `enum Store` for a store (store names are labels, so `-`
/// separates words too: `page-cache` → `PageCache`).
pub fn store(name: &str) -> String {
    camel(&name.replace('-', "_"))
}

/// The invalidation plan of an event (`invalidate`).
pub fn event_plan(event: &str) -> String {
    format!("on_{}", snake(event))
}

/// The plan of one `when_changed` branch.
pub fn branch_plan(event: &str, field: &str) -> String {
    format!("{}_{}_changed", event_plan(event), snake(field))
}

/// The plan listing the tag-set keys of `invalidate_tags`.
pub fn tag_sets_plan(event: &str) -> String {
    format!("{}_tag_sets", event_plan(event))
}

/// The constants of one edge route in `mod routes`.
pub struct RouteIdents {
    pub cache_control: String,
    pub cdn_cache_control: String,
    pub headers: String,
}

pub fn route(name: &str) -> RouteIdents {
    let up = upper(name);
    RouteIdents {
        cache_control: format!("{up}_CACHE_CONTROL"),
        cdn_cache_control: format!("{up}_CDN_CACHE_CONTROL"),
        headers: format!("{up}_HEADERS"),
    }
}

/// Where an identifier comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `pattern `a` (max TTL)`, `placeholder `self``, `the module itself`.
    pub what: String,
    /// The entity (its name is the mapping key there) or list item that
    /// gives the name; `None` for the module's own items.
    pub pointer: Option<String>,
}

/// One identifier that two or more policy names give in one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// Without `r#`.
    pub ident: String,
    /// `module`, `enum Pattern`, `mod routes`, or `parameters of <function>`.
    pub space: String,
    /// In policy order (the module's own items first); at least two.
    pub sources: Vec<Source>,
}

/// Collects identifiers per namespace, with where each comes from.
#[derive(Default)]
struct Names {
    spaces: BTreeMap<String, Vec<(String, Source)>>,
}

impl Names {
    fn add(&mut self, space: &str, ident: &str, what: String, pointer: Option<String>) {
        let bare = ident.trim_start_matches("r#").to_owned();
        self.spaces
            .entry(space.to_owned())
            .or_default()
            .push((bare, Source { what, pointer }));
    }

    /// Parameters of one function, from placeholder names (each once).
    fn params<'a>(
        &mut self,
        function: &str,
        names: impl Iterator<Item = (&'a str, Option<String>)>,
    ) {
        let space = format!("parameters of {function}");
        let mut seen = std::collections::HashSet::new();
        for (name, pointer) in names {
            if seen.insert(name) {
                let pointer = pointer.or_else(|| Some(format!("/keys/placeholders/{}", esc(name))));
                self.add(
                    &space,
                    &ident(name),
                    format!("placeholder `{name}`"),
                    pointer,
                );
            }
        }
    }

    fn collisions(self) -> Vec<Collision> {
        let mut out = Vec::new();
        for (space, names) in self.spaces {
            let mut by_name: BTreeMap<String, Vec<Source>> = BTreeMap::new();
            for (n, source) in names {
                by_name.entry(n).or_default().push(source);
            }
            out.extend(
                by_name
                    .into_iter()
                    .filter(|(_, sources)| sources.len() > 1)
                    .map(|(ident, sources)| Collision {
                        ident,
                        space: space.clone(),
                        sources,
                    }),
            );
        }
        out
    }
}

fn placeholders(segments: &[Segment]) -> impl Iterator<Item = (&str, Option<String>)> {
    segments.iter().filter_map(|s| match s {
        Segment::Placeholder { name, .. } => Some((name.as_str(), None)),
        Segment::Literal(_) => None,
    })
}

/// Every identifier the Rust module would define twice, by namespace and
/// then identifier. Empty for a policy that renders into code that compiles.
pub fn collisions(policy: &Policy) -> Vec<Collision> {
    let mut names = Names::default();
    for f in FIXED_VALUES {
        names.add("module", f, "the module itself".into(), None);
    }
    for s in policy.stores.values() {
        let src = format!("store `{}`", s.name);
        names.add("enum Store", &store(&s.name), src, Some(s.pointer.clone()));
    }
    for p in policy.keys.patterns.values() {
        let id = pattern(&p.name);
        let src = format!("pattern `{}`", p.name);
        let at = || Some(p.pointer.clone());
        names.add("module", &id.builder, src.clone(), at());
        names.add("module", &id.ttl_fn, format!("{src} (TTL function)"), at());
        if p.ttl.base().is_some() {
            names.add("module", &id.ttl_const, format!("{src} (TTL)"), at());
            names.add(
                "module",
                &id.max_ttl_const,
                format!("{src} (max TTL)"),
                at(),
            );
        }
        if p.stampede_lock.is_some() {
            names.add(
                "module",
                &id.lock_builder,
                format!("{src} (lock key)"),
                at(),
            );
            names.add(
                "module",
                &id.lock_ttl_const,
                format!("{src} (lock TTL)"),
                at(),
            );
        }
        names.add("module", &id.store_const, format!("{src} (store)"), at());
        names.add("enum Pattern", &id.variant, src.clone(), at());
        names.params(&src, placeholders(&p.segments));
    }
    for t in policy.tags.values() {
        let id = tag(&t.name);
        let src = format!("tag `{}`", t.name);
        let at = || Some(t.pointer.clone());
        names.add("module", &id.builder, src.clone(), at());
        if t.ttl.base().is_some() {
            names.add("module", &id.ttl_const, format!("{src} (TTL)"), at());
        }
        names.add("module", &id.store_const, format!("{src} (store)"), at());
        names.add("enum TagSet", &id.variant, src.clone(), at());
        names.params(&src, placeholders(&t.key));
    }
    for e in policy.events.values() {
        let src = format!("event `{}`", e.name);
        let mut plans = vec![(event_plan(&e.name), src.clone(), e.pointer.clone())];
        for field in e.when_changed.keys() {
            plans.push((
                branch_plan(&e.name, field),
                format!("{src} (when `{field}` changes)"),
                format!("{}/when_changed/{}", e.pointer, esc(field)),
            ));
        }
        if !e.invalidate_tags.is_empty() {
            let what = format!("{src} (tag sets)");
            plans.push((tag_sets_plan(&e.name), what, e.pointer.clone()));
        }
        for (plan, what, pointer) in plans {
            names.add("module", &plan, what, Some(pointer));
        }
        // Every plan of the event takes the same parameters: checked once.
        let params = e.params.iter().enumerate();
        names.params(
            &format!("the plans of {src}"),
            params.map(|(i, n)| (n.as_str(), Some(format!("{}/params/{i}", e.pointer)))),
        );
    }
    if let Some(edge) = &policy.edge {
        for r in edge.routes.values() {
            let id = route(&r.name);
            let src = format!("route `{}`", r.name);
            for c in [id.cache_control, id.cdn_cache_control, id.headers] {
                names.add("mod routes", &c, src.clone(), Some(r.pointer.clone()));
            }
        }
    }
    names.collisions()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(ident("user_id"), "user_id");
        assert_eq!(ident("type"), "r#type");
        assert_eq!(ident("gen"), "r#gen");
        assert_eq!(ident("self"), "self_");
        assert_eq!(ident("a__b_"), "a_b");
        assert_eq!(snake("user.updated"), "user_updated");
        assert_eq!(camel("user_profile2"), "UserProfile2");
        assert_eq!(camel("self"), "Self_");
        assert_eq!(upper("quiz_data"), "QUIZ_DATA");
        assert_eq!(store("page-cache"), "PageCache");
        assert_eq!(store("a-1"), store("a1"));
    }
}
