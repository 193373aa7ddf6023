//! Owns `cachegen explain`: what the policy does with one URL (the edge
//! rules that match, in order, the resulting TTLs, the origin's headers, the
//! staleness budget) or with one Redis key (its pattern and parameters, TTL
//! range, strategy, tags, hash slot, everything that invalidates it).
//!
//! Everything here is a pure function of the validated model and of what
//! `render` emits for it, so the answer is what the deployed artifacts do.

pub mod edge;
pub mod key;

use crate::analysis::staleness::{self, Budget, Staleness};
use crate::graph::Graph;
use crate::policy::model::{Policy, Ttl};
use crate::render::cloudflare;
use serde_json::{Value, json};
use std::fmt::Write;

/// What to explain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A URL or a path (`https://host/api/x?y` or `/api/x`).
    Url(String),
    Key(String),
}

impl Target {
    /// A URL when it has a scheme or starts with `/`; a Redis key otherwise.
    pub fn guess(text: &str) -> Target {
        if text.starts_with('/') || text.contains("://") {
            Target::Url(text.to_owned())
        } else {
            Target::Key(text.to_owned())
        }
    }
}

/// One request header given with `--header 'Name: value'`.
#[derive(Debug, Clone)]
pub struct Header {
    pub name: String,
    pub value: String,
}

impl Header {
    pub fn parse(text: &str) -> Result<Header, String> {
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| format!("`{text}` is not `Name: value`"))?;
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("`{name}` is not a header name"));
        }
        Ok(Header {
            name: name.to_owned(),
            value: value.trim().to_owned(),
        })
    }
}

/// The answer, as JSON (the human text is rendered from it, so the two
/// cannot disagree).
pub fn explain(policy: &Policy, target: &Target, headers: &[Header]) -> Result<Value, String> {
    match target {
        Target::Url(url) => explain_url(policy, url, headers),
        // An event name (`quiz.completed`) asks for its blast radius.
        Target::Key(k) if policy.events.contains_key(k) => Ok(explain_event(policy, k)),
        Target::Key(k) => explain_key(policy, k),
    }
}

/// Everything one event purges: patterns (with the path that reaches each,
/// and the `when_changed` condition), tags, and the edge paths to purge.
fn explain_event(policy: &Policy, name: &str) -> Value {
    let graph = Graph::new(policy);
    let Some(radius) = graph.blast_radius(name) else {
        return json!({ "kind": "event", "event": name, "notes": ["no such event"] });
    };
    let params = policy
        .events
        .get(name)
        .map(|e| e.params.clone())
        .unwrap_or_default();
    let notes: Vec<&str> = if radius.is_empty() {
        vec!["this event invalidates nothing (CG305)"]
    } else {
        Vec::new()
    };
    json!({
        "kind": "event",
        "event": name,
        "params": params,
        "patterns": radius.patterns.iter().map(|r| json!({
            "pattern": r.pattern,
            "when_changed": r.when_changed,
            "path": r.path_text(),
        })).collect::<Vec<_>>(),
        "tags": radius.tags,
        "edge_paths": radius.edge_paths.iter().map(|e| json!({
            "route": e.route,
            "purge": e.text(),
            "patterns": e.patterns,
        })).collect::<Vec<_>>(),
        "notes": notes,
    })
}

fn staleness_secs(s: Staleness) -> Value {
    s.duration().map_or(Value::Null, |d| json!(d.as_secs()))
}

/// A staleness budget as JSON: every layer, the total, the limit.
pub fn budget_json(b: &Budget) -> Value {
    json!({
        "total": b.total.to_string(),
        "total_secs": staleness_secs(b.total),
        "limit": b.limit.as_ref().map(|l| json!({
            "max_staleness": l.duration.to_string(),
            "global": l.is_global(),
        })),
        "exceeds_limit": b.exceeds_limit(),
        "largest_layer": b.largest_layer().map(|l| l.kind.name()),
        "layers": b.layers.iter().map(|l| json!({
            "layer": l.kind.name(),
            "staleness": l.staleness.to_string(),
            "pattern": l.pattern,
            "detail": l.detail,
        })).collect::<Vec<_>>(),
        "notes": b.notes,
    })
}

/// The path Cloudflare's rules see, from a URL or a path: the authority
/// ends at the first `/`, `?` or `#`; then Cloudflare's default URL
/// normalization (`\` to `/`, `//` merged, unreserved `%XX` decoded, `.` and
/// `..` segments removed). Rules see the normalized path, so explaining the
/// raw one would match the wrong rules.
pub fn url_path(url: &str) -> String {
    let raw = match url.split_once("://") {
        Some((_, rest)) => match rest.find(['/', '?', '#']) {
            Some(i) if rest.as_bytes()[i] == b'/' => &rest[i..],
            _ => "/",
        },
        None => url,
    };
    let raw = raw.split(['?', '#']).next().unwrap_or("/");
    normalize_path(raw)
}

fn normalize_path(raw: &str) -> String {
    edge::normalize_path(raw)
}

fn secs(s: Option<u64>) -> Value {
    s.map_or(Value::Null, |s| json!(s))
}

fn explain_url(policy: &Policy, url: &str, headers: &[Header]) -> Result<Value, String> {
    let path = url_path(url);
    let Some(edge_policy) = &policy.edge else {
        return Ok(json!({
            "kind": "url", "url": url, "path": path, "rules": [],
            "notes": ["the policy has no `edge` section: no edge rules apply"],
        }));
    };
    let ruleset = cloudflare::ruleset(policy, edge_policy, "")
        .map_err(|e| format!("cannot render the edge rules: {e}"))?;
    let request = edge::Request {
        path: path.clone(),
        header_names: headers.iter().map(|h| h.name.clone()).collect(),
        cookie: headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("cookie"))
            .map(|h| h.value.clone()),
    };
    let (matches, effective) = edge::evaluate(&ruleset.rules, &request)?;
    // The route that owns the response: the last matching rule (it decides
    // `cache`, which every rule sets).
    let route = effective
        .cache
        .as_ref()
        .and_then(|(_, by)| by.strip_prefix("cachegen_"))
        .and_then(|name| edge_policy.routes.get(name));
    let origin = cloudflare::origin_headers(edge_policy, "");
    let origin_headers: Vec<Value> = route
        .and_then(|r| origin.routes.iter().find(|h| h.route == r.name))
        .map(|h| {
            h.headers
                .iter()
                .map(|x| json!({ "name": x.name, "value": x.value }))
                .collect()
        })
        .unwrap_or_default();
    let mut notes = Vec::new();
    let authorization = headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("authorization") || h.name.eq_ignore_ascii_case("cookie")
    });
    let cached = effective.cache.as_ref().is_some_and(|(c, _)| *c);
    if effective.cache.is_none() {
        notes.push("no rule matches: Cloudflare's default caching applies (by file extension, respecting the origin's headers)".to_owned());
    }
    if effective
        .cache
        .as_ref()
        .is_some_and(|(_, by)| by == cloudflare::CREDENTIALS_REF)
    {
        notes.push(format!(
            "the request carries credentials: rule `{}` bypasses the edge cache whatever the path, and every cacheable rule excludes it, so no edge or browser TTL override applies",
            cloudflare::CREDENTIALS_REF
        ));
    } else if authorization {
        match route {
            Some(r) if cached && r.visibility == crate::policy::model::Visibility::Public => notes.push(format!(
                "the request carries credentials, yet the edge caches this path and route `{}` answers `public`: one user's response can be served to another (RFC 9111 §3.5); only safe if the response does not depend on who asks",
                r.name
            )),
            Some(r) if !cached => notes.push(format!(
                "the request carries credentials; route `{}` bypasses the edge cache, so the response is never shared",
                r.name
            )),
            _ => {}
        }
    }
    // Other forms of the URL: those the rules treat differently, and a
    // warning for each form that is cached where this one is not (or whose
    // owner is authenticated while the form is cached).
    let mut variants = Vec::new();
    let authenticated_here = route.is_some_and(|r| r.authenticated);
    for (class, form) in edge::url_variants(&path) {
        let seen = edge::normalize_path(&form);
        let r = edge::Request {
            path: seen.clone(),
            ..request.clone()
        };
        let (_, e) = edge::evaluate(&ruleset.rules, &r)?;
        let by = e.cache.as_ref().map(|(_, by)| by.clone());
        if e.cached() == cached && by == effective.cache.as_ref().map(|(_, b)| b.clone()) {
            continue;
        }
        if e.cached() && (!cached || authenticated_here) {
            notes.push(format!(
                "leak class `{class}`: `{form}` is cached at the edge (by {}) while `{path}` is not; if the origin routes both to the same handler, its response is shared",
                by.clone().unwrap_or_default()
            ));
        }
        variants.push(json!({
            "class": class,
            "url": form,
            "path": seen,
            "cached_at_edge": e.cache.as_ref().map(|(c, _)| *c),
            "decided_by": by,
        }));
    }
    let (edge_ttl, edge_by) = effective.edge_ttl.clone().unwrap_or((None, String::new()));
    let (browser_ttl, browser_by) = effective
        .browser_ttl
        .clone()
        .unwrap_or((None, String::new()));
    Ok(json!({
        "kind": "url",
        "url": url,
        "path": path,
        "credentials": authorization,
        "rules": matches,
        "result": {
            "cached_at_edge": effective.cache.as_ref().map(|(c, _)| *c),
            "decided_by": effective.cache.as_ref().map(|(_, by)| by.clone()),
            // Shown even when bypassed: settings stack, and a browser TTL set
            // by an earlier rule still reaches browsers through a bypass.
            "edge_ttl_secs": secs(edge_ttl),
            "edge_ttl_by": if edge_by.is_empty() { Value::Null } else { json!(edge_by) },
            "browser_ttl_secs": secs(browser_ttl),
            "browser_ttl_by": if browser_by.is_empty() { Value::Null } else { json!(browser_by) },
            "serve_stale_by": effective.serve_stale,
            "ignores_query_string_by": effective.ignores_query_string,
        },
        "route": route.map(|r| r.name.clone()),
        "origin_headers": origin_headers,
        "variants": variants,
        "staleness": route.map(|r| budget_json(&staleness::route_budget(policy, r))),
        "notes": notes,
    }))
}

fn explain_key(policy: &Policy, text: &str) -> Result<Value, String> {
    let slot = key::hash_slot(text.as_bytes());
    let Some(found) = key::match_key(policy, text) else {
        let old = policy
            .keys
            .previous_prefixes
            .iter()
            .find(|p| text.starts_with(&format!("{p}:")));
        let note = match old {
            Some(p) => format!("the key carries the old version prefix `{p}:`; nothing reads it"),
            None => {
                "no key pattern, tag set or stampede lock of the policy matches this key".to_owned()
            }
        };
        return Ok(
            json!({ "kind": "key", "key": text, "owner": null, "hash_slot": slot, "notes": [note] }),
        );
    };
    let params: serde_json::Map<String, Value> = found
        .params
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let ttl = |t: Ttl| match t {
        Ttl::Expires { base, max } => {
            json!({ "base_secs": base.as_secs(), "max_secs": max.as_secs() })
        }
        Ttl::Never => Value::Null,
    };
    let owner = match found.owner {
        key::Owner::Pattern(p) => json!({
            "kind": "pattern",
            "name": p.name,
            "pattern": p.text,
            "ttl": match (ttl(p.ttl), p.ttl_capped_from) {
                (Value::Object(mut t), Some(from)) => {
                    t.insert("capped_from_secs".into(), json!(from.as_secs()));
                    Value::Object(t)
                }
                (t, _) => t,
            },
            "strategy": crate::policy::lock::spelling(p.strategy),
            "durable": p.durable,
            "authenticated": p.authenticated,
            "tags": p.tags,
            "max_value_size": policy.keys.max_value_size_of(p).map(|(size, pointer)| json!({
                "bytes": size.bytes(),
                "set_by": crate::schema::display_pointer(&pointer),
            })),
        }),
        key::Owner::Lock(p) => json!({
            "kind": "stampede-lock",
            "name": p.name,
            "pattern": p.text,
            "ttl": p.stampede_lock.as_ref().map(|l| json!({ "base_secs": l.ttl.as_secs(), "max_secs": l.ttl.as_secs() })),
        }),
        key::Owner::Tag(name) => json!({
            "kind": "tag-set",
            "name": name,
            "pattern": policy.tags.get(name).map(|t| t.key_text.as_str()),
            "ttl": policy.tags.get(name).map(|t| ttl(t.ttl)),
            "members": policy.tags.get(name).map(|t| t.members.clone()),
        }),
    };
    // Everything that deletes this pattern's keys: each event (directly,
    // through a cascade, a tag, or only when a field changed), with the path.
    // Events delete data keys and tag sets; a stampede lock is released by
    // its holder or its own TTL, never by an event.
    let graph = Graph::new(policy);
    let mut invalidated_by = Vec::new();
    for event in policy.events.keys() {
        let Some(radius) = graph.blast_radius(event) else {
            continue;
        };
        match found.owner {
            key::Owner::Pattern(p) => {
                for reached in radius.patterns.iter().filter(|r| r.pattern == p.name) {
                    invalidated_by.push(json!({
                        "event": event,
                        "when_changed": reached.when_changed,
                        "path": reached.path_text(),
                    }));
                }
            }
            key::Owner::Tag(tag) if radius.tags.contains(&tag) => {
                invalidated_by.push(json!({
                    "event": event,
                    "when_changed": null,
                    "path": format!("{event} → tag {tag}"),
                }));
            }
            _ => {}
        }
    }
    let budget = match found.owner {
        key::Owner::Pattern(p) => Some(budget_json(&staleness::pattern_budget(policy, p))),
        _ => None,
    };
    Ok(json!({
        "kind": "key",
        "key": text,
        "owner": owner,
        "params": params,
        "hash_slot": slot,
        "invalidated_by": invalidated_by,
        "staleness": budget,
        "notes": [],
    }))
}

fn duration_text(secs: u64) -> String {
    crate::load::units::Duration::from_secs(secs).to_string()
}

/// The human text of an explanation.
pub fn human(v: &Value) -> String {
    let mut out = String::new();
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    match v["kind"].as_str() {
        Some("url") => {
            let _ = writeln!(out, "{}  (path {})", s(&v["url"]), s(&v["path"]));
            let _ = writeln!(
                out,
                "\nedge rules, in order (each setting comes from the last matching rule):"
            );
            for (i, r) in v["rules"].as_array().into_iter().flatten().enumerate() {
                let _ = writeln!(
                    out,
                    "  {}. {:<7} {}  {}",
                    i + 1,
                    if r["matched"] == true { "MATCH" } else { "-" },
                    s(&r["reference"]),
                    s(&r["description"])
                );
            }
            let result = &v["result"];
            let ttl = |field: &str, by: &str| match result[field].as_u64() {
                Some(t) => format!("{} (from {})", duration_text(t), s(&result[by])),
                None => "from the origin's headers".to_owned(),
            };
            match result["cached_at_edge"].as_bool() {
                Some(true) => {
                    let _ = writeln!(
                        out,
                        "\nat the edge: cached (decided by {})",
                        s(&result["decided_by"])
                    );
                    let _ = writeln!(
                        out,
                        "  edge TTL:    {}",
                        ttl("edge_ttl_secs", "edge_ttl_by")
                    );
                    let _ = writeln!(
                        out,
                        "  browser TTL: {}",
                        ttl("browser_ttl_secs", "browser_ttl_by")
                    );
                }
                Some(false) => {
                    let _ = writeln!(
                        out,
                        "\nat the edge: bypassed (decided by {})",
                        s(&result["decided_by"])
                    );
                }
                None => {}
            }
            let variants: Vec<&Value> = v["variants"].as_array().into_iter().flatten().collect();
            if !variants.is_empty() {
                let _ = writeln!(
                    out,
                    "\nother forms of this URL the edge treats differently:"
                );
                for f in variants {
                    let what = match f["cached_at_edge"].as_bool() {
                        Some(true) => format!("cached by {}", s(&f["decided_by"])),
                        Some(false) => format!("bypassed by {}", s(&f["decided_by"])),
                        None => "no rule".to_owned(),
                    };
                    let _ = writeln!(out, "  {:<18} {}  ({what})", s(&f["class"]), s(&f["url"]));
                }
            }
            if let Some(route) = v["route"].as_str() {
                let _ = writeln!(out, "\norigin headers (route {route}):");
                for h in v["origin_headers"].as_array().into_iter().flatten() {
                    let _ = writeln!(out, "  {}: {}", s(&h["name"]), s(&h["value"]));
                }
            }
        }
        Some("event") => {
            let _ = writeln!(out, "event {}", s(&v["event"]));
            let _ = writeln!(out, "\npurges these key patterns:");
            for p in v["patterns"].as_array().into_iter().flatten() {
                let when = p["when_changed"]
                    .as_str()
                    .map(|f| format!(" (only when {f} changes)"))
                    .unwrap_or_default();
                let _ = writeln!(out, "  {}{when}", s(&p["path"]));
            }
            let tags: Vec<String> = v["tags"].as_array().into_iter().flatten().map(&s).collect();
            if !tags.is_empty() {
                let _ = writeln!(out, "tags: {}", tags.join(", "));
            }
            let edge: Vec<String> = v["edge_paths"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| format!("{} (route {})", s(&e["purge"]), s(&e["route"])))
                .collect();
            if edge.is_empty() {
                let _ = writeln!(
                    out,
                    "edge paths to purge: none (no cached route serves these patterns)"
                );
            } else {
                let _ = writeln!(out, "edge paths to purge: {}", edge.join(", "));
            }
        }
        Some("key") => {
            // The key came from the user: escaped so it cannot drive the terminal.
            let _ = writeln!(out, "{}", crate::output::neutralize(&s(&v["key"])));
            let owner = &v["owner"];
            if owner.is_object() {
                let _ = writeln!(
                    out,
                    "\n{} `{}`: {}",
                    s(&owner["kind"]),
                    s(&owner["name"]),
                    s(&owner["pattern"])
                );
                if let Some(params) = v["params"].as_object()
                    && !params.is_empty()
                {
                    let list: Vec<String> = params
                        .iter()
                        .map(|(k, x)| format!("{k} = {}", s(x)))
                        .collect();
                    let _ = writeln!(out, "  parameters: {}", list.join(", "));
                }
                match (
                    owner["ttl"]["base_secs"].as_u64(),
                    owner["ttl"]["max_secs"].as_u64(),
                ) {
                    (Some(b), Some(m)) => {
                        let _ = writeln!(
                            out,
                            "  TTL: {} to {} (jitter and caps included)",
                            duration_text(b),
                            duration_text(m)
                        );
                    }
                    _ => {
                        let _ = writeln!(out, "  TTL: none (never expires)");
                    }
                }
                if let Some(from) = owner["ttl"]["capped_from_secs"].as_u64() {
                    let _ = writeln!(
                        out,
                        "  lowered from {} by `ttl.authenticated_cap`, keeping its jitter under the cap",
                        duration_text(from)
                    );
                }
                if let Some(strategy) = owner["strategy"].as_str() {
                    let _ = writeln!(
                        out,
                        "  strategy: {strategy}{}",
                        if owner["durable"] == true {
                            ", durable"
                        } else {
                            ""
                        }
                    );
                }
                if let Some(tags) = owner["tags"].as_array()
                    && !tags.is_empty()
                {
                    let list: Vec<String> = tags.iter().map(&s).collect();
                    let _ = writeln!(out, "  tags: {}", list.join(", "));
                }
                if let Some(bytes) = owner["max_value_size"]["bytes"].as_u64() {
                    let _ = writeln!(
                        out,
                        "  largest value: {bytes} bytes (`{}`)",
                        s(&owner["max_value_size"]["set_by"])
                    );
                }
            }
            let _ = writeln!(out, "  hash slot: {}", v["hash_slot"]);
            if owner.is_object() {
                let by: Vec<&Value> = v["invalidated_by"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .collect();
                if by.is_empty() {
                    let until = if owner["ttl"].is_null() {
                        "until something deletes it"
                    } else {
                        "until its TTL"
                    };
                    let _ = writeln!(out, "\ninvalidated by: no event (it lives {until})");
                } else {
                    let _ = writeln!(out, "\ninvalidated by:");
                    for b in by {
                        let when = b["when_changed"]
                            .as_str()
                            .map(|f| format!(" (only when {f} changes)"))
                            .unwrap_or_default();
                        let _ = writeln!(out, "  {}{when}", s(&b["path"]));
                    }
                }
            }
        }
        _ => {}
    }
    if v["staleness"].is_object() {
        human_budget(&mut out, &v["staleness"]);
    }
    let notes: Vec<String> = v["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(&s)
        .collect();
    for n in notes {
        let _ = writeln!(out, "\nnote: {n}");
    }
    out
}

fn human_budget(out: &mut String, b: &Value) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let limit = match b["limit"]["max_staleness"].as_str() {
        Some(l) => format!(
            " (limit {l}{}{})",
            if b["limit"]["global"] == true {
                ", global"
            } else {
                ""
            },
            if b["exceeds_limit"] == true {
                ": EXCEEDED"
            } else {
                ""
            }
        ),
        None => String::new(),
    };
    let _ = writeln!(out, "\nworst-case staleness: {}{limit}", s(&b["total"]));
    for l in b["layers"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "  {:<24} {:>10}  {}",
            s(&l["layer"]),
            s(&l["staleness"]),
            s(&l["detail"])
        );
    }
    for n in b["notes"].as_array().into_iter().flatten() {
        let _ = writeln!(out, "  ({})", s(n));
    }
}
