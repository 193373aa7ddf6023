//! Owns the TypeScript target's core: `typescript/<policy>-cache.ts`, one
//! ES module with no imports, for Node services, browsers and Workers. It
//! holds validating key builders (parameters passed as one object keyed by
//! placeholder name), stampede-lock and tag-set keys, a classifier from keys
//! back to patterns, TTLs with an injectable random source, and invalidation
//! plans grouped by store and hash slot. The API is the contract in README's
//! "Node services" section; the edge and client parts live in `edge.rs` and
//! `client.rs`.
//!
//! The decisions come from where the Rust module takes them: the stored key
//! layout (`Policy::stored_key`), TTL numbers (`Ttl`), DFA tables, hash-tag
//! ranges and cascade closures (`render::module_ir`), so the two modules
//! agree. Policy names reach the code only as string literals
//! ([`ts_str`]) and policy prose only through [`ts_doc`].

mod client;
mod edge;
mod items;

use super::{OutputFile, RenderError, Renderer, module_ir};
use crate::policy::model::Policy;
use items::*;
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "typescript/cache.ts.j2",
        include_str!("../../../templates/typescript/cache.ts.j2"),
    ),
    // Included by `cache.ts.j2`: the policy's tables, builders and plans.
    (
        "typescript/items.ts.j2",
        include_str!("../../../templates/typescript/items.ts.j2"),
    ),
    // Included by `items.ts.j2`: classification, slots, plans and TTLs.
    (
        "typescript/runtime.ts.j2",
        include_str!("../../../templates/typescript/runtime.ts.j2"),
    ),
    // Included by `cache.ts.j2`: routes and header middleware.
    (
        "typescript/edge.ts.j2",
        include_str!("../../../templates/typescript/edge.ts.j2"),
    ),
    // Included by `cache.ts.j2`: client options and warming tasks.
    (
        "typescript/client.ts.j2",
        include_str!("../../../templates/typescript/client.ts.j2"),
    ),
];

/// The output path: `typescript/<policy name>-cache.ts` (policy names are
/// DNS labels, so they are used verbatim).
pub fn output_path(policy: &Policy) -> String {
    format!("typescript/{}-cache.ts", policy.name)
}

pub fn render(policy: &Policy, r: &Renderer<'_>) -> Result<Vec<OutputFile>, RenderError> {
    let context = context(policy)?;
    Ok(vec![OutputFile {
        path: output_path(policy),
        contents: r.render("typescript/cache.ts.j2", Some("//"), &context)?,
    }])
}

/// A TypeScript (and JSON) string literal with the same contents. U+2028
/// and U+2029 are escaped too, so the text is also valid in older ES.
pub fn ts_str(s: &str) -> String {
    serde_json::Value::from(s)
        .to_string()
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Policy text for a `/** */` comment: one line, no control characters,
/// and never `*/` (which would close the comment).
pub fn ts_doc(s: &str) -> String {
    let line: String = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control() && *c != '\u{2028}' && *c != '\u{2029}')
        .collect();
    line.replace("*/", "* /")
}

/// A union of string literal types, `never` when empty.
fn union(names: impl Iterator<Item = String>) -> String {
    let parts: Vec<String> = names.map(|n| ts_str(&n)).collect();
    if parts.is_empty() {
        "never".into()
    } else {
        parts.join(" | ")
    }
}

#[derive(Debug, Serialize)]
pub struct StoreItem {
    pub name: String,
    pub cluster: bool,
}

#[derive(Debug, Serialize)]
pub struct Context {
    pub policy_name: String,
    /// `"v2"` or `null`.
    pub version_prefix: String,
    /// What precedes every data and tag-set key (`"v2:"` or `""`).
    pub key_prefix: String,
    pub previous_prefixes: Vec<String>,
    pub stores: Vec<StoreItem>,
    pub store_union: String,
    pub pattern_union: String,
    pub tag_union: String,
    pub event_union: String,
    pub patterns: Vec<PatternItem>,
    pub tags: Vec<TagItem>,
    pub events: Vec<EventItem>,
    pub regex_types: Vec<RegexTypeItem>,
    pub uses_ip: bool,
    /// `ROUTES` and `cacheHeaders` (`edge.rs`).
    pub edge: edge::EdgeContext,
    /// `redisOptions`, `clusterOptions` and `WARMING` (`client.rs`).
    pub client: client::ClientContext,
}

pub fn context(policy: &Policy) -> Result<Context, RenderError> {
    let patterns: Vec<PatternItem> = policy
        .keys
        .patterns
        .values()
        .map(|p| pattern_item(policy, p))
        .collect();
    Ok(Context {
        policy_name: ts_doc(&policy.name),
        version_prefix: policy
            .keys
            .version_prefix
            .as_deref()
            .map_or_else(|| "null".to_owned(), ts_str),
        key_prefix: ts_str(&policy.keys.key_prefix()),
        previous_prefixes: policy
            .keys
            .previous_prefixes
            .iter()
            .map(|p| ts_str(p))
            .collect(),
        stores: policy
            .stores
            .values()
            .map(|s| StoreItem {
                name: ts_str(&s.name),
                cluster: s.cluster.is_some(),
            })
            .collect(),
        store_union: union(policy.stores.keys().cloned()),
        pattern_union: union(policy.keys.patterns.keys().cloned()),
        tag_union: union(policy.tags.keys().cloned()),
        event_union: union(policy.events.keys().cloned()),
        patterns,
        tags: tag_items(policy),
        events: event_items(policy)?,
        regex_types: module_ir::regex_types(policy)
            .into_iter()
            .map(regex_type_item)
            .collect(),
        uses_ip: policy
            .keys
            .placeholders
            .values()
            .any(|t| *t == crate::policy::model::PlaceholderType::Ip),
        edge: edge::context(policy),
        client: client::context(policy),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_escape_like_json() {
        assert_eq!(ts_str("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(ts_str("x\u{2028}y"), r#""x\u2028y""#);
    }

    #[test]
    fn doc_text_cannot_close_a_comment() {
        for s in ["a */ b", "**//", "*/*/", "a\n*\n/"] {
            assert!(!ts_doc(s).contains("*/"), "{s:?} → {}", ts_doc(s));
        }
        assert_eq!(ts_doc("a\r\n\tb"), "a b");
    }
}
