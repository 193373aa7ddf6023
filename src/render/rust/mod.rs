//! Owns the Rust target: `rust/<policy>_cache.rs`, one self-contained module
//! (std only) that application code adds as a module (`#[path] mod`, or a
//! copy). It holds typed key builders, a classifier from raw keys back to
//! patterns, the store (Redis deployment) of every key, TTL constants with
//! caller-supplied jitter, invalidation plans grouped by store and then by
//! hash slot within a cluster store, and the response headers of each edge
//! route.
//!
//! Every decision is made here: format strings, cascade closures (expanded
//! now, by asking `graph`, so the generated code does no graph work), TTL
//! numbers and doc lines. The template only lays the context out. Route facts
//! (what a route matches, its headers) come from `module_ir::route_facts`,
//! built on the function that writes `cloudflare/origin-headers.json`, so the
//! Rust module, the TypeScript module and the JSON cannot disagree.
//!
//! Identifiers come from `policy::rust_idents`, which `lower` also uses to
//! report names that would collide (CG026), so a checked policy never
//! collides here. The renderer still refuses a colliding model with a
//! `RenderError` rather than write code that does not compile.

mod patterns;
mod plans;

use patterns::*;
use plans::*;

use super::{OutputFile, RenderError, Renderer, module_ir};
use crate::graph::Graph;
use crate::keys::{self, KeyPiece, Segment};
use crate::policy::model::{KeyPattern, PlaceholderType, Policy, Ttl};
use crate::policy::rust_idents::{self, ident};
use serde::Serialize;
use std::collections::HashSet;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "rust/cache.rs.j2",
        include_str!("../../../templates/rust/cache.rs.j2"),
    ),
    // Included by `cache.rs.j2`: the items generated per pattern, tag set,
    // event and route.
    (
        "rust/items.rs.j2",
        include_str!("../../../templates/rust/items.rs.j2"),
    ),
];

/// The output path: `rust/<policy name, `-` → `_`>_cache.rs`.
pub fn output_path(policy: &Policy) -> String {
    format!("rust/{}.rs", file_stem(policy))
}

fn file_stem(policy: &Policy) -> String {
    let name: String = policy
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{name}_cache")
}

pub fn render(policy: &Policy, r: &Renderer<'_>) -> Result<Vec<OutputFile>, RenderError> {
    let context = context(policy)?;
    Ok(vec![OutputFile {
        path: output_path(policy),
        contents: r.render("rust/cache.rs.j2", Some("//"), &context)?,
    }])
}

/// One function parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Param {
    /// The placeholder's name in the policy.
    pub name: String,
    /// The Rust identifier (`user_id`, `r#type`).
    pub ident: String,
    /// `u64` for `int`, `std::net::IpAddr` for `ip`, `&str` otherwise.
    pub rust_type: &'static str,
    /// The `PlaceholderType` variant (`Int`, `Regex(&REGEX_TYPE_0)`).
    pub kind: String,
    /// One doc line: the type and, for strings, the value space.
    pub doc: String,
}

/// One segment of a key, for the classifier's tables.
#[derive(Debug, Serialize)]
pub struct SegmentItem {
    /// Rust string literal of a literal segment.
    pub literal: Option<String>,
    /// Rust string literal of a placeholder's name.
    pub placeholder: Option<String>,
    /// `PlaceholderType` variant of a placeholder.
    pub kind: Option<String>,
}

/// How a builder makes its key.
#[derive(Debug, Serialize)]
pub struct KeyExpr {
    /// `true`: `format!(literal, args..)`; `false`: `String::from(literal)`.
    pub format: bool,
    /// The key is this one parameter and nothing else: the expression
    /// making it, `param.to_string()` (clippy calls `format!("{x}")`
    /// useless) or `ip_segment(param)`.
    pub single: Option<String>,
    /// A Rust string literal: a format string, or the constant key.
    pub literal: String,
    /// Positional format arguments (raw identifiers cannot be inlined).
    pub args: Vec<String>,
    /// `ip` parameters, shadowed by their key text before `format!`.
    pub ip_args: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct TtlItem {
    pub base_const: String,
    pub max_const: String,
    pub base_secs: u64,
    pub max_secs: u64,
    pub jitter_basis_points: u32,
}

#[derive(Debug, Serialize)]
pub struct LockItem {
    pub ident: String,
    pub prefix: String,
    pub ttl_const: String,
    pub ttl_secs: u64,
    pub key: KeyExpr,
    pub shape: String,
}

#[derive(Debug, Serialize)]
pub struct PatternItem {
    pub name: String,
    pub name_literal: String,
    pub ident: String,
    pub variant: String,
    /// The key as stored, with `<placeholder>` markers (for docs).
    pub shape: String,
    pub doc_lines: Vec<String>,
    pub params: Vec<Param>,
    /// Whether some parameter is a string with a restricted value space.
    pub unchecked_params: bool,
    pub key: KeyExpr,
    pub segments: Vec<SegmentItem>,
    /// Braced segment range `[start, end)`, cluster policies only.
    pub hash_tag: Option<(usize, usize)>,
    pub ttl_ident: String,
    pub ttl: Option<TtlItem>,
    pub ttl_doc: String,
    pub lock: Option<LockItem>,
    /// The `Store` variant its keys live in, and the constant naming it.
    pub store_variant: String,
    pub store_const: String,
}

#[derive(Debug, Serialize)]
pub struct TagItem {
    pub name: String,
    pub name_literal: String,
    pub ident: String,
    pub variant: String,
    pub shape: String,
    pub params: Vec<Param>,
    pub unchecked_params: bool,
    pub key: KeyExpr,
    pub segments: Vec<SegmentItem>,
    pub ttl_const: Option<String>,
    pub ttl_secs: Option<u64>,
    pub members: Vec<String>,
    /// The `Store` variant its set and members live in, and the constant
    /// naming it.
    pub store_variant: String,
    pub store_const: String,
}

/// One store of the policy: a variant of the module's `enum Store`.
#[derive(Debug, Serialize)]
pub struct StoreItem {
    pub name: String,
    pub name_literal: String,
    pub variant: String,
    /// Whether it is a Redis Cluster: its keys carry hash tags and its
    /// `UNLINK` commands are split by hash slot.
    pub cluster: bool,
}

/// One key (or tag-set key) of a plan: the builder and its arguments.
#[derive(Debug, Clone, Serialize)]
pub struct PlanKey {
    /// The `Store` variant the key lives in.
    pub store: String,
    pub builder: String,
    pub args: Vec<String>,
    pub doc: String,
}

#[derive(Debug, Serialize)]
pub struct PlanItem {
    pub ident: String,
    /// First doc line: when the plan applies.
    pub summary: String,
    pub params: Vec<Param>,
    /// Parameters the plan's keys do not use (bound to `_`).
    pub unused: Vec<String>,
    pub keys: Vec<PlanKey>,
    /// The keys by store, stores in order of first appearance, keys in plan
    /// order within each (`UNLINK` plans only).
    pub groups: Vec<PlanGroup>,
    /// `true`: returns tag-set keys with their stores, not `UNLINK` commands.
    pub tag_sets: bool,
}

/// The keys of one plan that live in one store.
#[derive(Debug, Serialize)]
pub struct PlanGroup {
    /// The `Store` variant.
    pub store: String,
    pub keys: Vec<PlanKey>,
}

#[derive(Debug, Serialize)]
pub struct HeaderItem {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Serialize)]
pub struct RouteItem {
    pub name: String,
    pub matches: String,
    pub cache_control_const: String,
    pub cache_control: String,
    pub cdn_cache_control_const: String,
    pub cdn_cache_control: Option<String>,
    pub headers_const: String,
    pub headers: Vec<HeaderItem>,
}

/// A user-defined placeholder type's DFA table.
#[derive(Debug, Serialize)]
pub struct RegexTypeItem {
    /// `REGEX_TYPE_<i>`.
    pub ident: String,
    /// Rust string literal of the regex.
    pub source: String,
    /// One doc line: the regex and its description.
    pub doc: String,
    /// `classes` in rows of 16 numbers.
    pub classes: Vec<String>,
    pub stride: usize,
    /// One row of `next` per state.
    pub next: Vec<String>,
    pub accept: String,
}

#[derive(Debug, Serialize)]
pub struct Context {
    pub policy_name: String,
    pub file_name: String,
    /// Whether some store is a Redis Cluster (module docs only: braces and
    /// slot grouping are decided per store).
    pub cluster: bool,
    /// Whether the policy has more than one store (module docs only).
    pub many_stores: bool,
    pub stores: Vec<StoreItem>,
    /// Rust string literal of the version prefix, if any.
    pub version_prefix: Option<String>,
    /// Rust string literal of what precedes every key (`"v2:"` or `""`).
    pub key_prefix: String,
    pub previous_prefixes: Vec<String>,
    pub patterns: Vec<PatternItem>,
    pub tags: Vec<TagItem>,
    pub plans: Vec<PlanItem>,
    pub routes: Option<Vec<RouteItem>>,
    /// Whether a placeholder is an `ip`: only then does the module have
    /// `PlaceholderType::Ip` and its helpers.
    pub uses_ip: bool,
    /// The user-defined types, `REGEX_TYPE_<i>` each.
    pub regex_types: Vec<RegexTypeItem>,
}

/// A Rust string literal with the same contents (`Debug` of `str` is valid
/// Rust literal syntax, escapes included).
fn rust_str(s: &str) -> String {
    format!("{s:?}")
}

/// Policy text on one line, without control characters or tabs (a `///`
/// comment ends at a line break; clippy refuses tabs in docs).
fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// Policy prose for a doc comment: one line, no raw HTML for rustdoc.
fn doc_text(s: &str) -> String {
    one_line(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Inline code for a doc comment (code spans show HTML as written).
fn code(s: &str) -> String {
    format!("`{}`", one_line(s).replace('`', "'"))
}

fn tag_items(policy: &Policy) -> Vec<TagItem> {
    policy
        .tags
        .values()
        .map(|t| {
            let id = rust_idents::tag(&t.name);
            let params = segment_params(policy, &t.key);
            let (shape, key) = key_forms(policy, &t.store, "", &t.key, None);
            TagItem {
                name: t.name.clone(),
                name_literal: rust_str(&t.name),
                ident: id.builder,
                variant: id.variant,
                shape,
                unchecked_params: params.iter().any(|x| x.rust_type != "u64"),
                params,
                key,
                segments: segment_items(policy, &t.key),
                ttl_const: t.ttl.base().map(|_| id.ttl_const.clone()),
                ttl_secs: t.ttl.max().map(|d| d.as_secs()),
                members: t.members.clone(),
                store_variant: rust_idents::store(&t.store),
                store_const: id.store_const,
            }
        })
        .collect()
}

fn route_items(policy: &Policy) -> Option<Vec<RouteItem>> {
    // The same facts as the TypeScript module's `ROUTES` and
    // `cloudflare/origin-headers.json`.
    let routes = module_ir::route_facts(policy)?;
    Some(
        routes
            .iter()
            .map(|facts| {
                let id = rust_idents::route(&facts.route.name);
                RouteItem {
                    name: facts.route.name.clone(),
                    matches: facts.matches(code),
                    cache_control_const: id.cache_control,
                    cache_control: rust_str(facts.value("Cache-Control").unwrap_or_default()),
                    cdn_cache_control_const: id.cdn_cache_control,
                    cdn_cache_control: facts.value("CDN-Cache-Control").map(rust_str),
                    headers_const: id.headers,
                    headers: facts
                        .headers
                        .iter()
                        .map(|(name, value)| HeaderItem {
                            name: rust_str(name),
                            value: rust_str(value),
                        })
                        .collect(),
                }
            })
            .collect(),
    )
}

/// Refuses a model whose names collide as Rust identifiers. `lower` reports
/// these (CG026), so only an unchecked model gets here.
fn check_names(policy: &Policy) -> Result<(), RenderError> {
    let collisions = rust_idents::collisions(policy);
    if collisions.is_empty() {
        return Ok(());
    }
    let text: Vec<String> = collisions
        .iter()
        .map(|c| {
            let sources: Vec<&str> = c.sources.iter().map(|s| s.what.as_str()).collect();
            format!("`{}` ({}) from {}", c.ident, c.space, sources.join(" and "))
        })
        .collect();
    Err(RenderError(format!(
        "rust target: policy names give colliding Rust identifiers: {}; rename one of each",
        text.join("; ")
    )))
}

/// Builds the module's context; fails if policy names collide as Rust
/// identifiers.
pub fn context(policy: &Policy) -> Result<Context, RenderError> {
    check_names(policy)?;
    let ctx = Context {
        policy_name: one_line(&policy.name).replace('`', "'"),
        file_name: format!("{}.rs", file_stem(policy)),
        cluster: policy.stores.values().any(|s| s.cluster.is_some()),
        many_stores: policy.stores.len() > 1,
        stores: policy
            .stores
            .values()
            .map(|s| StoreItem {
                name: s.name.clone(),
                name_literal: rust_str(&s.name),
                variant: rust_idents::store(&s.name),
                cluster: s.cluster.is_some(),
            })
            .collect(),
        version_prefix: policy.keys.version_prefix.as_deref().map(rust_str),
        key_prefix: rust_str(&policy.keys.key_prefix()),
        previous_prefixes: policy
            .keys
            .previous_prefixes
            .iter()
            .map(|p| rust_str(p))
            .collect(),
        patterns: policy
            .keys
            .patterns
            .values()
            .map(|p| pattern_item(policy, p))
            .collect(),
        tags: tag_items(policy),
        plans: plans(policy)?,
        routes: route_items(policy),
        uses_ip: policy
            .keys
            .placeholders
            .values()
            .any(|t| *t == PlaceholderType::Ip),
        regex_types: regex_types(policy)
            .into_iter()
            .map(|r| regex_type_item(policy, r))
            .collect(),
    };
    Ok(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_text_is_one_safe_line() {
        assert_eq!(doc_text("a\r\n\tb <i> & c"), "a b &lt;i&gt; &amp; c");
        assert_eq!(code("a`b\n<c>"), "`a'b <c>`");
    }

    #[test]
    fn rust_literals_escape() {
        assert_eq!(rust_str("a\"b\\c"), r#""a\"b\\c""#);
    }
}
