//! Owns the edge section of the TypeScript module: `ROUTES`, each route's
//! origin headers in sending order, and what `cacheHeaders` does on each
//! route: the fields it sets, the `Vary` names it adds, and the cache fields
//! it removes. The route facts come from `module_ir::route_facts` (built on
//! `cloudflare::origin_headers`, which writes `cloudflare/origin-headers.json`),
//! shared with the Rust module's routes, so the three cannot disagree.

use super::{ts_doc, ts_str, union};
use crate::policy::model::Policy;
use crate::render::module_ir::{self, RouteFacts};
use serde::Serialize;

/// The response fields that decide whether and how long a cache keeps a
/// response: `Cache-Control` (RFC 9111), `CDN-Cache-Control` (RFC 9213),
/// Cloudflare's own `Cloudflare-CDN-Cache-Control`, `Surrogate-Control`
/// (Fastly, Akamai, Varnish), and the HTTP/1.0 `Expires` and `Pragma`.
/// `cacheHeaders` removes every one of them that its route does not send:
/// a value set earlier (an app-wide default such as `CDN-Cache-Control:
/// max-age=600`) would otherwise survive on a private route and make a
/// shared cache store one user's response for others.
pub const MANAGED_HEADERS: &[&str] = &[
    "Cache-Control",
    "CDN-Cache-Control",
    "Cloudflare-CDN-Cache-Control",
    "Surrogate-Control",
    "Expires",
    "Pragma",
];

/// Fields whose value is a list of names that other middleware adds to
/// too: `Vary` (CORS adds `Origin`). Replacing it would let a cache serve
/// one origin's response to another, so `cacheHeaders` merges the route's
/// names into what is already set.
pub const MERGED_HEADERS: &[&str] = &["Vary"];

/// The edge part of the module's context; no routes without an edge section.
#[derive(Debug, Serialize)]
pub struct EdgeContext {
    /// `RouteName`: a union of the route names' literals, `never` for none.
    pub route_union: String,
    pub routes: Vec<RouteItem>,
    /// Doc text naming the [`MANAGED_HEADERS`] (`` `Cache-Control`, ...``).
    pub managed_doc: String,
    /// Doc text naming the [`MERGED_HEADERS`].
    pub merged_doc: String,
}

/// One route, every text already a TypeScript literal or doc text.
#[derive(Debug, Serialize)]
pub struct RouteItem {
    /// The route's name as a string literal (`"api_public"`): the property
    /// key and the member of `RouteName`.
    pub name: String,
    /// Doc comment text: the route and what it matches.
    pub doc: String,
    /// What the route matches, as a string literal.
    pub matches: String,
    /// `[name, value]` literals in sending order, exactly as
    /// `origin-headers.json` lists them.
    pub headers: Vec<HeaderItem>,
    /// What the middleware sets: one entry per field name (compared without
    /// case), in order of first appearance, the values of a repeated name
    /// joined by `, ` (RFC 9110 section 5.3), because `setHeader` and
    /// Fastify's `header` replace, and would keep only the last.
    pub sets: Vec<SetItem>,
    /// Literals of the [`MANAGED_HEADERS`] the route does not send: the
    /// middleware removes them.
    pub removes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct HeaderItem {
    pub name: String,
    pub value: String,
}

/// One field the middleware sets.
#[derive(Debug, Serialize)]
pub struct SetItem {
    pub name: String,
    pub value: String,
    /// `true` (a literal) for a [`MERGED_HEADERS`] field: its names are
    /// added to the value already set instead of replacing it; else `false`.
    pub merge: &'static str,
}

/// The edge context of `policy`.
pub fn context(policy: &Policy) -> EdgeContext {
    let facts = module_ir::route_facts(policy).unwrap_or_default();
    let names = |list: &[&str]| {
        let quoted: Vec<String> = list.iter().map(|n| format!("`{n}`")).collect();
        ts_doc(&quoted.join(", "))
    };
    EdgeContext {
        route_union: union(facts.iter().map(|f| f.route.name.clone())),
        routes: facts.iter().map(route_item).collect(),
        managed_doc: names(MANAGED_HEADERS),
        merged_doc: names(MERGED_HEADERS),
    }
}

fn route_item(facts: &RouteFacts<'_>) -> RouteItem {
    let matches = facts.matches(str::to_owned);
    let is_one_of = |list: &[&str], name: &str| list.iter().any(|m| m.eq_ignore_ascii_case(name));
    RouteItem {
        name: ts_str(&facts.route.name),
        doc: ts_doc(&format!("Route `{}`: {matches}.", facts.route.name)),
        matches: ts_str(&matches),
        headers: facts
            .headers
            .iter()
            .map(|(name, value)| HeaderItem {
                name: ts_str(name),
                value: ts_str(value),
            })
            .collect(),
        sets: facts
            .combined
            .iter()
            .map(|(name, value)| SetItem {
                name: ts_str(name),
                value: ts_str(value),
                merge: if is_one_of(MERGED_HEADERS, name) {
                    "true"
                } else {
                    "false"
                },
            })
            .collect(),
        removes: removed(facts).into_iter().map(ts_str).collect(),
    }
}

/// The managed cache fields `facts`' route does not send.
fn removed<'a>(facts: &RouteFacts<'_>) -> Vec<&'a str> {
    MANAGED_HEADERS
        .iter()
        .copied()
        .filter(|name| facts.value(name).is_none())
        .collect()
}
