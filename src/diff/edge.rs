//! Owns the edge part of `cachegen diff`: the emitted Cache Rules and origin
//! headers, matched by route name (never by position, which shifts for every
//! rule after an added or removed route) and compared field by field.

use super::{Category, Change, push};
use crate::policy::model::Policy;
use crate::render::cloudflare;
use serde_json::Value;
use std::collections::BTreeMap;

/// The subject of a change of what every cacheable rule excludes (the
/// authenticated bypasses' paths, encoded separators, credentials).
const BYPASSES: &str = "edge exclusions";

const NOTE: &str = "what the edge or the browser caches changed";

/// One route's rule as compared: its place in the ruleset, its own match
/// (without the bypass exclusions), its whole expression and its action
/// parameters flattened to `edge_ttl.default`-style leaves.
struct Rule {
    position: usize,
    own: String,
    expression: String,
    params: BTreeMap<String, String>,
}

/// Everything the edge emits for one policy, by route name.
#[derive(Default)]
struct Emitted {
    rules: BTreeMap<String, Rule>,
    /// Rule order as route names.
    order: Vec<String>,
    /// Origin headers per route: name → values (joined when repeated).
    headers: BTreeMap<String, BTreeMap<String, String>>,
    /// What every cacheable rule excludes (`cloudflare::never_cached`).
    bypasses: Vec<String>,
}

fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        other => {
            out.insert(prefix.to_owned(), other.to_string());
        }
    }
}

fn emitted(p: &Policy) -> Emitted {
    let mut e = Emitted::default();
    let Some(edge) = &p.edge else {
        return e;
    };
    if let Ok(rs) = cloudflare::ruleset(p, edge, "") {
        let order = cloudflare::rule_order(edge);
        for (i, (rule, route)) in rs.rules.iter().zip(order).enumerate() {
            let mut params = BTreeMap::new();
            if let Ok(v) = serde_json::to_value(&rule.action_parameters) {
                flatten("", &v, &mut params);
            }
            e.order.push(route.name.clone());
            e.rules.insert(
                route.name.clone(),
                Rule {
                    position: i + 1,
                    own: cloudflare::expression(route).unwrap_or_default(),
                    expression: rule.expression.clone(),
                    params,
                },
            );
        }
    }
    e.bypasses = cloudflare::never_cached(edge).unwrap_or_default();
    for h in cloudflare::origin_headers(edge, "").routes {
        let mut m: BTreeMap<String, String> = BTreeMap::new();
        for x in &h.headers {
            m.entry(x.name.clone())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&x.value);
                })
                .or_insert_with(|| x.value.clone());
        }
        e.headers.insert(h.route, m);
    }
    e
}

/// Appends the changes of what the edge does. Only routes on both sides are
/// compared: additions and removals are reported with the routes.
pub(super) fn changes(base: &Policy, head: &Policy, out: &mut Vec<Change>) {
    let (be, he) = (emitted(base), emitted(head));
    // Every cacheable rule excludes the authenticated bypasses and the
    // credentials, so a new, removed or moved bypass, or a changed
    // credential, changes all their expressions: one cause.
    let bypasses_changed = be.bypasses != he.bypasses;
    if bypasses_changed {
        push(
            out,
            Category::Edge,
            BYPASSES.to_owned(),
            "paths and requests every cacheable rule excludes",
            Some(be.bypasses.join(" or ")),
            Some(he.bypasses.join(" or ")),
            NOTE,
        );
    }
    // Rule order matters (the last match wins), but only relative to the
    // other rules: a position that moved only because a route was added or
    // removed before it is no change.
    let shared = |order: &[String], other: &Emitted| -> Vec<String> {
        order
            .iter()
            .filter(|n| other.rules.contains_key(*n))
            .cloned()
            .collect()
    };
    let (bo, ho) = (shared(&be.order, &he), shared(&he.order, &be));
    for (route, b) in &be.rules {
        let Some(h) = he.rules.get(route) else {
            continue;
        };
        let subject = format!("route {route}");
        let rank = |o: &[String]| o.iter().position(|n| n == route);
        if rank(&bo) != rank(&ho) {
            push(
                out,
                Category::Edge,
                subject.clone(),
                "position",
                Some(format!("#{}", b.position)),
                Some(format!("#{}", h.position)),
                "the order of rules decides which one wins (the last match)",
            );
        }
        if b.expression != h.expression {
            // The route's own match is unchanged: only the exclusions moved.
            let follows = bypasses_changed && b.own == h.own;
            out.push(Change {
                category: Category::Edge,
                subject: subject.clone(),
                field: "cache rule expression".to_owned(),
                base: Some(b.expression.clone()),
                head: Some(h.expression.clone()),
                note: NOTE.to_owned(),
                cause: follows.then(|| BYPASSES.to_owned()),
            });
        }
        compare(out, &subject, "cache rule", &b.params, &h.params);
    }
    let routes = |p: &Policy| -> std::collections::BTreeSet<String> {
        p.edge
            .iter()
            .flat_map(|e| e.routes.keys().cloned())
            .collect()
    };
    let (br, hr) = (routes(base), routes(head));
    let none = BTreeMap::new();
    for route in br.intersection(&hr) {
        let b = be.headers.get(route).unwrap_or(&none);
        let h = he.headers.get(route).unwrap_or(&none);
        compare(out, &format!("route {route}"), "header", b, h);
    }
}

/// One change per key whose value differs between `b` and `h`.
fn compare(
    out: &mut Vec<Change>,
    subject: &str,
    what: &str,
    b: &BTreeMap<String, String>,
    h: &BTreeMap<String, String>,
) {
    let keys: std::collections::BTreeSet<&String> = b.keys().chain(h.keys()).collect();
    for key in keys {
        let (bv, hv) = (b.get(key), h.get(key));
        if bv != hv {
            push(
                out,
                Category::Edge,
                subject.to_owned(),
                &format!("{what} {key}"),
                bv.cloned(),
                hv.cloned(),
                NOTE,
            );
        }
    }
}
