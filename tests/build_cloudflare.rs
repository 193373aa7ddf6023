//! `cachegen build` for Cloudflare: the Cache Rules ruleset (Rulesets API JSON
//! and Terraform), and the headers the origin sends. Snapshots for review;
//! structural checks derived from the policy model here, independently of the
//! renderer, so they can disagree with it; the JSON validated against a schema
//! of the API subset; the Terraform parsed back and compared with the JSON.

mod support;

use cachegen::policy::model::{CacheLevel, Policy, Route, Visibility};
use cachegen::render::cloudflare;
use cachegen::render::{OutputFile, RenderError, Templates};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use support::render::{checked_text, file, render, render_text};

const QUIZMENTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/quizmentor.yaml");
const SHOP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/build-shop.yaml"
);
const RULESET: &str = "cloudflare/cache-ruleset.json";
const TERRAFORM: &str = "cloudflare/cache-ruleset.tf";
const HEADERS: &str = "cloudflare/origin-headers.json";

fn json_file(files: &[OutputFile], path: &str) -> Value {
    let text = file(files, path);
    let value: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"));
    // Pretty, two-space indent, one trailing newline: exactly serde_json's form.
    assert_eq!(
        text,
        format!("{}\n", serde_json::to_string_pretty(&value).unwrap()),
        "{path} is not in canonical pretty form"
    );
    value
}

fn policy(report: &cachegen::FileReport) -> &Policy {
    report.policy.as_ref().expect("model")
}

/// The shop fixture with its `edge` section replaced.
fn shop_with_edge(edge: &str) -> String {
    let shop = std::fs::read_to_string(SHOP).unwrap();
    let start = shop.find("\nedge:\n").expect("shop has edge") + 1;
    let end = shop.find("\nredis:\n").expect("shop has redis") + 1;
    format!("{}{edge}{}", &shop[..start], &shop[end..])
}

/// The 64 hex digits after each `model sha256 ` / `model sha256: ` replaced, so a change
/// elsewhere in a policy does not churn these snapshots (the hash itself is
/// checked in `descriptions_name_the_policy_and_its_hash`).
fn redact_hash(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("sha256") {
        let after = &rest[i + 6..];
        let skip = if after.starts_with(": ") { 2 } else { 1 };
        out.push_str(&rest[..i + 6 + skip]);
        let tail = &after[skip.min(after.len())..];
        if tail.len() >= 64 && tail[..64].bytes().all(|b| b.is_ascii_hexdigit()) {
            out.push_str("[sha256]");
            rest = &tail[64..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------
// Snapshots

#[test]
fn quizmentor_snapshots() {
    let (_, files) = render(QUIZMENTOR);
    for path in [RULESET, TERRAFORM, HEADERS] {
        let name = format!("quizmentor__{}", path.trim_start_matches("cloudflare/"));
        insta::assert_snapshot!(name, redact_hash(file(&files, path)));
    }
}

#[test]
fn shop_snapshots() {
    let (_, files) = render(SHOP);
    for path in [RULESET, TERRAFORM, HEADERS] {
        let name = format!("shop__{}", path.trim_start_matches("cloudflare/"));
        insta::assert_snapshot!(name, redact_hash(file(&files, path)));
    }
}

// ---------------------------------------------------------------------------
// Structure, derived from the model

fn route_of<'a>(policy: &'a Policy, rule: &Value) -> &'a Route {
    let reference = rule["ref"].as_str().expect("ref is a string");
    let name = reference
        .strip_prefix("cachegen_")
        .unwrap_or_else(|| panic!("ref `{reference}` is not derived from a route name"));
    policy
        .edge
        .as_ref()
        .unwrap()
        .routes
        .get(name)
        .unwrap_or_else(|| panic!("ref `{reference}` names no route"))
}

fn ttl_json(secs: Option<u64>) -> Value {
    match secs {
        Some(s) => json!({ "mode": "override_origin", "default": s }),
        None => json!({ "mode": "respect_origin" }),
    }
}

/// The expression written out from the route's fields, independently of the
/// renderer (the fixtures hold no quote or backslash, so no escaping here).
fn expected_expression(route: &Route) -> String {
    join(expected_conditions(route))
}

fn join(mut parts: Vec<String>) -> String {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(" and "))
    }
}

/// The forms a bypass of `path` covers: the bare prefix, everything under
/// it, a format suffix and a path parameter (`/a`, `/a/*`, `/a.*`, `/a;*`
/// for `/a/*`, `/a/` or `/a`); `/a*` and `/*` stay as written.
fn expected_bypass_forms(path: &str) -> Vec<String> {
    let base = path
        .strip_suffix("/*")
        .or_else(|| path.strip_suffix('/'))
        .unwrap_or(path);
    if (path.ends_with('*') && !path.ends_with("/*")) || base.is_empty() {
        return vec![path.to_owned()];
    }
    ["", "/*", ".*", ";*"]
        .iter()
        .map(|suffix| format!("{base}{suffix}"))
        .collect()
}

fn wildcard_any(patterns: &[String]) -> String {
    let parts: Vec<String> = patterns
        .iter()
        .map(|p| format!("http.request.uri.path wildcard \"{p}\""))
        .collect();
    if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("({})", parts.join(" or "))
    }
}

const ENCODED_SEPARATORS: &str = r#"(http.request.uri.path wildcard "*%2f*" or http.request.uri.path wildcard "*%5c*" or http.request.uri.path wildcard "*;*" or http.request.uri.path wildcard "*%3b*" or http.request.uri.path wildcard "*%3f*" or http.request.uri.path wildcard "*%23*")"#;

/// The credentials condition, from the policy's `edge.credentials`.
fn expected_credentials(policy: &Policy) -> Option<String> {
    let c = &policy.edge.as_ref().unwrap().credentials;
    let mut parts: Vec<String> = c
        .headers
        .iter()
        .map(|h| {
            format!(
                "any(lower(http.request.headers.names[*])[*] eq \"{}\")",
                h.to_ascii_lowercase()
            )
        })
        .collect();
    parts.extend(
        c.cookies
            .iter()
            .map(|k| format!("http.cookie contains \"{k}=\"")),
    );
    match parts.len() {
        0 => None,
        1 => Some(parts.remove(0)),
        _ => Some(format!("({})", parts.join(" or "))),
    }
}

fn expected_conditions(route: &Route) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(path) = &route.path {
        let prefix = path.strip_suffix("/*");
        parts.push(match prefix {
            // Bypasses match every form of their path, case-insensitively.
            _ if route.cache == CacheLevel::Bypass => wildcard_any(&expected_bypass_forms(path)),
            // Authenticated routes match case-insensitively (`wildcard`).
            Some(p) if !p.contains('*') && !route.authenticated => {
                format!("starts_with(http.request.uri.path, \"{p}/\")")
            }
            _ => format!("http.request.uri.path wildcard \"{path}\""),
        });
    }
    if !route.extensions.is_empty() {
        let quoted: Vec<String> = route
            .extensions
            .iter()
            .map(|e| format!("\"{e}\""))
            .collect();
        parts.push(format!(
            "http.request.uri.path.extension in {{{}}}",
            quoted.join(" ")
        ));
    }
    parts
}

fn is_auth_bypass(route: &Route) -> bool {
    route.authenticated && route.cache == CacheLevel::Bypass
}

fn assert_ruleset(policy: &Policy, ruleset: &Value) {
    let edge = policy.edge.as_ref().unwrap();
    assert_eq!(ruleset["kind"], "zone");
    assert_eq!(ruleset["phase"], "http_request_cache_settings");
    let all_rules = ruleset["rules"].as_array().expect("rules");
    // One rule per route, then the bypass of requests carrying credentials.
    let credentials = expected_credentials(policy);
    let rules = match &credentials {
        Some(expression) => {
            let last = all_rules.last().expect("a credentials rule");
            assert_eq!(last["ref"], "cachegen__credentials");
            assert_eq!(&last["expression"], expression);
            assert_eq!(last["action_parameters"], json!({ "cache": false }));
            &all_rules[..all_rules.len() - 1]
        }
        None => &all_rules[..],
    };
    assert_eq!(rules.len(), edge.routes.len(), "one rule per route");

    let mut refs = HashSet::new();
    for rule in rules {
        assert!(
            refs.insert(rule["ref"].as_str().unwrap()),
            "duplicate ref {}",
            rule["ref"]
        );
        assert_eq!(rule["action"], "set_cache_settings");
        let route = route_of(policy, rule);
        // Cacheable rules exclude every authenticated bypass's paths, so no
        // cache setting (Cache Rules stack) can reach per-user responses.
        let mut excluded: Vec<String> = edge
            .routes
            .values()
            .filter(|r| is_auth_bypass(r))
            .map(expected_expression)
            .collect();
        // With something to protect, encoded separators are never cached.
        if edge.routes.values().any(|r| r.cache == CacheLevel::Bypass) {
            excluded.push(ENCODED_SEPARATORS.to_owned());
        }
        excluded.extend(credentials.clone());
        let mut conditions = expected_conditions(route);
        if route.cache != CacheLevel::Bypass && !excluded.is_empty() {
            conditions.push(format!("not ({})", excluded.join(" or ")));
        }
        let expected = join(conditions);
        assert_eq!(rule["expression"], expected, "{}", route.name);
        let params = &rule["action_parameters"];
        if route.cache == CacheLevel::Bypass {
            assert_eq!(params, &json!({ "cache": false }), "{}", route.name);
            continue;
        }
        assert_eq!(params["cache"], true, "{}", route.name);
        // TTLs are the policy's seconds.
        assert_eq!(
            params["edge_ttl"],
            ttl_json(route.edge_ttl.map(|d| d.as_secs())),
            "{}",
            route.name
        );
        assert_eq!(
            params["browser_ttl"],
            ttl_json(route.browser_ttl.map(|d| d.as_secs())),
            "{}",
            route.name
        );
        if route.stale_while_revalidate.is_some() {
            assert_eq!(
                params["serve_stale"],
                json!({ "disable_stale_while_updating": false })
            );
        } else {
            assert!(params.get("serve_stale").is_none(), "{}", route.name);
        }
        // Extension-matched rules turn Cache Deception Armor on.
        let by_extension = !route.extensions.is_empty()
            || route
                .path
                .as_deref()
                .is_some_and(|p| p.rsplit('/').next().unwrap().contains('.'));
        let mut key = serde_json::Map::new();
        if route.cache == CacheLevel::Aggressive {
            key.insert("ignore_query_strings_order".into(), json!(true));
        }
        if by_extension {
            key.insert("cache_deception_armor".into(), json!(true));
        }
        if route.cache == CacheLevel::Aggressive {
            key.insert(
                "custom_key".into(),
                json!({ "query_string": { "exclude": { "all": true } } }),
            );
        }
        if key.is_empty() {
            assert!(params.get("cache_key").is_none(), "{}", route.name);
        } else {
            assert_eq!(params["cache_key"], Value::Object(key), "{}", route.name);
        }
    }

    // Last match wins: every bypass of an authenticated route comes after every
    // rule that caches, and otherwise the policy's order is kept.
    let routes: Vec<&Route> = rules.iter().map(|r| route_of(policy, r)).collect();
    let last_cached = routes.iter().rposition(|r| r.cache != CacheLevel::Bypass);
    let first_auth_bypass = routes.iter().position(|r| is_auth_bypass(r));
    if let (Some(cached), Some(bypass)) = (last_cached, first_auth_bypass) {
        assert!(
            cached < bypass,
            "rule `{}` caches after the authenticated bypass `{}`",
            routes[cached].name,
            routes[bypass].name
        );
    }
    let kept: Vec<&str> = routes
        .iter()
        .filter(|r| !is_auth_bypass(r))
        .map(|r| r.name.as_str())
        .collect();
    let policy_order: Vec<&str> = edge
        .routes
        .values()
        .filter(|r| !is_auth_bypass(r))
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(kept, policy_order);
}

fn directives(value: &str) -> Vec<&str> {
    value.split(',').map(str::trim).collect()
}

fn directive_value<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    directives(value)
        .into_iter()
        .find_map(|d| d.strip_prefix(name)?.strip_prefix('='))
}

fn assert_origin_headers(policy: &Policy, doc: &Value) {
    let edge = policy.edge.as_ref().unwrap();
    let routes = doc["routes"].as_array().expect("routes");
    let names: Vec<&str> = routes
        .iter()
        .map(|r| r["route"].as_str().unwrap())
        .collect();
    let policy_order: Vec<&str> = edge.routes.keys().map(String::as_str).collect();
    assert_eq!(names, policy_order, "one entry per route, in policy order");

    for entry in routes {
        let route = &edge.routes[entry["route"].as_str().unwrap()];
        let headers: Vec<(&str, &str)> = entry["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["name"].as_str().unwrap(), h["value"].as_str().unwrap()))
            .collect();
        for (name, _) in &headers {
            assert!(
                !name.eq_ignore_ascii_case("stale-while-revalidate")
                    && !name.eq_ignore_ascii_case("stale-if-error"),
                "{}: `{name}` is a directive, not a header",
                route.name
            );
        }
        let get = |n: &str| -> Vec<&str> {
            headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| *v)
                .collect()
        };
        let cc = get("Cache-Control");
        assert_eq!(cc.len(), 1, "{}: one Cache-Control", route.name);
        let cc = cc[0];
        let cdn = get("CDN-Cache-Control");
        let cc_directives = directives(cc);

        if route.authenticated {
            assert!(!cc_directives.contains(&"public"), "{}: {cc}", route.name);
        }
        if route.authenticated || route.cache == CacheLevel::Bypass {
            assert_eq!(cc_directives, ["private", "no-store"], "{}", route.name);
            assert!(
                cdn.is_empty(),
                "{}: no CDN-Cache-Control on no-store",
                route.name
            );
        } else {
            let vis = match route.visibility {
                Visibility::Public => "public",
                Visibility::Private => "private",
            };
            assert_eq!(cc_directives[0], vis, "{}", route.name);
            assert_eq!(
                directive_value(cc, "max-age").map(|v| v.parse::<u64>().unwrap()),
                route.browser_ttl.map(|d| d.as_secs()),
                "{}: max-age is browser_ttl",
                route.name
            );
            let shared = route.visibility == Visibility::Public;
            assert_eq!(
                directive_value(cc, "s-maxage").map(|v| v.parse::<u64>().unwrap()),
                route.edge_ttl.filter(|_| shared).map(|d| d.as_secs()),
                "{}: s-maxage is edge_ttl on public routes",
                route.name
            );
            assert_eq!(cc_directives.contains(&"immutable"), route.immutable);
            match (shared, route.edge_ttl) {
                (true, Some(edge_ttl)) => {
                    assert_eq!(cdn.len(), 1, "{}", route.name);
                    assert_eq!(
                        directive_value(cdn[0], "max-age"),
                        Some(edge_ttl.as_secs().to_string().as_str())
                    );
                }
                _ => assert!(cdn.is_empty(), "{}", route.name),
            }
            // The stale directives in Cache-Control, repeated in CDN-Cache-Control.
            for (name, d) in [
                ("stale-while-revalidate", route.stale_while_revalidate),
                ("stale-if-error", route.stale_if_error),
            ] {
                let want = d.map(|d| d.as_secs().to_string());
                for value in std::iter::once(cc).chain(cdn.iter().copied()) {
                    assert_eq!(
                        directive_value(value, name).map(str::to_owned),
                        want,
                        "{}: {name} in `{value}`",
                        route.name
                    );
                }
            }
        }
        let vary = get("Vary");
        if route.vary.is_empty() {
            assert!(vary.is_empty());
        } else {
            assert_eq!(vary, [route.vary.join(", ").as_str()]);
        }
        for (name, value) in &route.headers {
            assert!(
                headers.contains(&(name.as_str(), value.as_str())),
                "{name} verbatim"
            );
        }
    }
}

/// What the subset schema encodes: every field name, enum value and range
/// cachegen emits, with `additionalProperties: false` so an invented field
/// fails. Taken from shared/notes/edge-and-http.md (phase, action, TTL modes,
/// `cache`, `serve_stale`, `cache_key`, 4,096-character expressions) and from
/// Cloudflare's Cache Rules documentation (minimum TTL overrides of 1 s, the
/// `{all: true}` query-string shape of the provider v5 schema). The `$comment`s
/// in the schema say which fact came from where.
fn subset_validator() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cloudflare/ruleset-subset.schema.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("the subset schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not valid:\n{}",
        errors.join("\n")
    );
}

fn assert_all(report: &cachegen::FileReport, files: &[OutputFile]) {
    let policy = policy(report);
    let ruleset = json_file(files, RULESET);
    assert_ruleset(policy, &ruleset);
    let validator = subset_validator();
    assert_valid(&validator, &ruleset, RULESET);
    assert_origin_headers(policy, &json_file(files, HEADERS));

    let tf = file(files, TERRAFORM);
    assert_balanced(tf);
    for rule in ruleset["rules"].as_array().unwrap() {
        assert!(tf.contains(&format!("ref         = {}", rule["ref"])));
        // A JSON string literal is also the HCL literal when it holds no `${`,
        // `%{` or non-ASCII, which holds for these expressions.
        assert!(tf.contains(&format!("expression  = {}", rule["expression"])));
    }
    let from_tf = terraform_ruleset(tf);
    assert_eq!(
        from_tf, ruleset,
        "the Terraform ruleset differs from the JSON one"
    );
    assert_valid(&validator, &from_tf, TERRAFORM);
}

#[test]
fn quizmentor_rules_and_headers_follow_the_policy() {
    let (report, files) = render(QUIZMENTOR);
    assert_all(&report, &files);
    // The bypass is last of the routes in quizmentor already; it is what the
    // ordering protects. Only the credentials bypass follows it.
    let ruleset = json_file(&files, RULESET);
    let rules = ruleset["rules"].as_array().unwrap();
    assert_eq!(rules[rules.len() - 2]["ref"], "cachegen_api_user");
    assert_eq!(rules[rules.len() - 1]["ref"], "cachegen__credentials");
    let normalization = json_file(&files, "cloudflare/url-normalization.json");
    assert_eq!(normalization["method"], "PUT");
    assert_eq!(normalization["path"], "/zones/{zone_id}/url_normalization");
    assert_eq!(
        normalization["body"],
        json!({ "scope": "incoming", "type": "cloudflare" })
    );
}

#[test]
fn shop_rules_and_headers_follow_the_policy() {
    let (report, files) = render(SHOP);
    assert_all(&report, &files);
}

const MIXED_EDGE: &str = r#"edge:
  zone: shop.example
  routes:
    account:
      path: "/account/*"
      cache: bypass
      authenticated: true
    static_files:
      extensions: [png, svg, woff2]
      edge_ttl: 1d
      browser_ttl: 1h
      immutable: true
    product_images:
      path: "/products/*/images/*"
      extensions: [png]
      cache: aggressive
      edge_ttl: 7d
      stale_if_error: 1d
    health:
      path: "/healthz"
      cache: bypass
    preferences:
      path: "/prefs/*"
      visibility: private
      browser_ttl: 5m
      headers:
        X-Robots-Tag: noindex
    orders:
      path: "/orders/*"
      cache: bypass
      authenticated: true
      vary: [Cookie]
"#;

#[test]
fn authenticated_bypasses_move_last_and_the_rest_keeps_policy_order() {
    let (report, files) = render_text("mixed.yaml", &shop_with_edge(MIXED_EDGE));
    assert_all(&report, &files);
    let ruleset = json_file(&files, RULESET);
    let refs: Vec<&str> = ruleset["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ref"].as_str().unwrap())
        .collect();
    assert_eq!(
        refs,
        [
            "cachegen_static_files",
            "cachegen_product_images",
            "cachegen_health",
            "cachegen_preferences",
            "cachegen_account",
            "cachegen_orders",
            "cachegen__credentials",
        ]
    );
    let rules = ruleset["rules"].as_array().unwrap();
    assert_eq!(
        rules[1]["expression"],
        concat!(
            r#"(http.request.uri.path wildcard "/products/*/images/*" and http.request.uri.path.extension in {"png"} and not ("#,
            r#"(http.request.uri.path wildcard "/account" or http.request.uri.path wildcard "/account/*" or http.request.uri.path wildcard "/account.*" or http.request.uri.path wildcard "/account;*")"#,
            r#" or (http.request.uri.path wildcard "/orders" or http.request.uri.path wildcard "/orders/*" or http.request.uri.path wildcard "/orders.*" or http.request.uri.path wildcard "/orders;*")"#,
            r#" or (http.request.uri.path wildcard "*%2f*" or http.request.uri.path wildcard "*%5c*" or http.request.uri.path wildcard "*;*" or http.request.uri.path wildcard "*%3b*" or http.request.uri.path wildcard "*%3f*" or http.request.uri.path wildcard "*%23*")"#,
            r#" or any(lower(http.request.headers.names[*])[*] eq "authorization")))"#,
        )
    );
    assert_eq!(
        rules[2]["expression"],
        r#"(http.request.uri.path wildcard "/healthz" or http.request.uri.path wildcard "/healthz/*" or http.request.uri.path wildcard "/healthz.*" or http.request.uri.path wildcard "/healthz;*")"#
    );
    let headers = json_file(&files, HEADERS);
    let prefs = &headers["routes"][4];
    assert_eq!(prefs["route"], "preferences");
    assert_eq!(
        prefs["headers"],
        json!([
            { "name": "Cache-Control", "value": "private, max-age=300" },
            { "name": "X-Robots-Tag", "value": "noindex" }
        ])
    );
    assert_eq!(
        headers["routes"][1]["headers"][0]["value"],
        "public, max-age=3600, s-maxage=86400, immutable"
    );
    assert_eq!(
        headers["routes"][2]["headers"],
        json!([
            { "name": "Cache-Control", "value": "public, s-maxage=604800, stale-if-error=86400" },
            { "name": "CDN-Cache-Control", "value": "max-age=604800, stale-if-error=86400" }
        ])
    );
}

#[test]
fn no_edge_no_cloudflare_files() {
    let shop = std::fs::read_to_string(SHOP).unwrap();
    let start = shop.find("\nedge:\n").unwrap() + 1;
    let end = shop.find("\nredis:\n").unwrap() + 1;
    let text = format!("{}{}", &shop[..start], &shop[end..]);
    let (_, files) = render_text("no-edge.yaml", &text);
    assert!(files.iter().all(|f| !f.path.starts_with("cloudflare/")));
    assert!(!files.is_empty(), "the other targets still render");
}

#[test]
fn descriptions_name_the_policy_and_its_hash() {
    let (report, files) = render(QUIZMENTOR);
    let hash = cachegen::check::model_sha256(report.policy.as_ref().unwrap());
    for path in [RULESET, HEADERS] {
        let description = json_file(&files, path)["description"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(description.contains("generated by cachegen from policy `quizmentor`"));
        assert!(description.contains(&hash), "{path}: {description}");
    }
    let tf = file(&files, TERRAFORM);
    assert!(tf.starts_with("# Generated by cachegen from policy `quizmentor`"));
    assert!(tf.contains(&format!("# model sha256: {hash} (changes only when")));
}

#[test]
fn output_is_byte_deterministic() {
    let (_, a) = render(QUIZMENTOR);
    let (_, b) = render(QUIZMENTOR);
    let pick = |files: &[OutputFile]| -> Vec<OutputFile> {
        files
            .iter()
            .filter(|f| f.path.starts_with("cloudflare/"))
            .cloned()
            .collect()
    };
    assert_eq!(pick(&a).len(), 4);
    assert_eq!(pick(&a), pick(&b));
}

#[test]
fn templates_can_be_overridden() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("cloudflare")).unwrap();
    std::fs::write(
        dir.path().join("cloudflare/origin-headers.json.j2"),
        "{{ json }}\n\n",
    )
    .unwrap();
    let report = checked_text(SHOP, &std::fs::read_to_string(SHOP).unwrap());
    let templates = Templates {
        override_dir: Some(dir.path().to_owned()),
    };
    let files = cachegen::render_report(&report, &templates)
        .unwrap()
        .unwrap();
    assert!(file(&files, HEADERS).ends_with("}\n\n"));
    assert!(file(&files, RULESET).ends_with("}\n") && !file(&files, RULESET).ends_with("\n\n"));
}

// ---------------------------------------------------------------------------
// Values the API rejects: refused, never clamped

/// Either `check` refuses the policy (once a lint covers the case) or the
/// renderer does; nothing is written either way.
fn assert_refused(name: &str, text: &str, needle: &str) {
    let report = cachegen::check_bytes(name, text.as_bytes(), &cachegen::CheckOptions::default());
    match cachegen::render_report(&report, &Templates::default()) {
        None => assert!(report.count(cachegen::diag::Severity::Error) > 0),
        Some(Ok(files)) => panic!(
            "{name} rendered:\n{}",
            files
                .iter()
                .find(|f| f.path == RULESET)
                .map_or("", |f| f.contents.as_str())
        ),
        Some(Err(RenderError(message))) => {
            assert!(message.contains(needle), "{name}: {message}");
        }
    }
}

#[test]
fn a_zero_ttl_override_is_refused() {
    for field in ["edge_ttl", "browser_ttl"] {
        let edge = format!(
            "edge:\n  routes:\n    catalogue:\n      path: \"/catalogue/*\"\n      {field}: 0s\n"
        );
        assert_refused("zero.yaml", &shop_with_edge(&edge), field);
    }
}

#[test]
fn an_expression_over_4096_characters_is_refused() {
    let extensions: Vec<String> = (0..250).map(|i| format!("e{i:015}")).collect();
    let edge = format!(
        "edge:\n  routes:\n    many:\n      extensions: [{}]\n      edge_ttl: 1h\n",
        extensions.join(", ")
    );
    assert_refused("long.yaml", &shop_with_edge(&edge), "4096");
}

// ---------------------------------------------------------------------------
// Escaping

/// Reads a Cloudflare string literal back: the text between the quotes with
/// `\"` and `\\` undone. Panics on anything else, including a quote that ends
/// the literal early (which is what an injection would need).
fn read_cloudflare_literal(lit: &str) -> String {
    let inner = lit
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .expect("quoted");
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\')) => out.push(e),
                other => panic!("bad escape {other:?} in {lit}"),
            },
            '"' => panic!("unescaped quote ends the literal early: {lit}"),
            c => out.push(c),
        }
    }
    out
}

#[test]
fn cloudflare_string_literals_survive_hostile_input() {
    let hostile = [
        r#"/a" or true or "b"#,
        r#"/x\" or http.host ne ""#,
        r"\",
        r"\\\",
        r#"""#,
        "/ünï/*",
        "}{ ) and (",
    ];
    for s in hostile {
        let lit = cloudflare::string_literal(s).unwrap();
        assert_eq!(read_cloudflare_literal(&lit), s, "{lit}");
    }
    assert_eq!(
        cloudflare::string_literal(r#"/a" or true or "\"#).unwrap(),
        r#""/a\" or true or \"\\""#
    );
    // No escape exists for control characters: refused, not passed through.
    for s in ["a\nb", "a\rb", "\u{0}", "\u{7f}", "\u{85}"] {
        assert!(cloudflare::string_literal(s).is_err(), "{s:?}");
    }
    // Wildcard patterns: `*` stays a wildcard, a backslash is doubled for the
    // pattern and again for the string.
    assert_eq!(cloudflare::wildcard_pattern(r"/a\b/*"), r"/a\\b/*");
    assert_eq!(
        cloudflare::string_literal(&cloudflare::wildcard_pattern(r"/a\b/*")).unwrap(),
        r#""/a\\\\b/*""#
    );
}

#[test]
fn hcl_string_literals_survive_hostile_input() {
    let hostile = [
        "${file(\"/etc/passwd\")}",
        "%{ if true }x%{ endif }",
        "$${already}",
        "$$${x}",
        "%%{y}",
        "$ { not a template }",
        "100% {ok}",
        "end with $",
        "end with %",
        "quote \" backslash \\ \\\" mixed",
        "lines\nand\r\ttabs",
        "bell \u{7} del \u{7f} nel \u{85}",
        "ünïcödé ✓",
    ];
    for s in hostile {
        let lit = cloudflare::hcl_string(s);
        let mut p = Hcl::new(&lit);
        assert_eq!(p.string(), s, "{lit}");
        assert_eq!(p.i, lit.len(), "{lit}: trailing text after the literal");
        // Nothing left for Terraform to interpolate.
        assert!(!has_template_introducer(&lit), "{lit}");
    }
    assert_eq!(
        cloudflare::hcl_string("${a} %{b} \"c\" \\d"),
        r#""$${a} %%{b} \"c\" \\d""#
    );
}

/// Whether an HCL quoted literal still holds a live `${` or `%{` (one not
/// written as `$${` / `%%{`).
fn has_template_introducer(lit: &str) -> bool {
    let b = lit.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if (b[i] == b'$' || b[i] == b'%') && b[i + 1] == b[i] && b.get(i + 2) == Some(&b'{') {
            i += 3;
        } else if (b[i] == b'$' || b[i] == b'%') && b[i + 1] == b'{' {
            return true;
        } else {
            i += 1;
        }
    }
    false
}

// ---------------------------------------------------------------------------
// Terraform: a reader for the subset the target writes. There is no HCL parser
// among the dependencies; this one accepts comments, blocks with labels,
// attributes, objects, tuples, strings (with HCL's escapes and `$${`/`%%{`),
// numbers, booleans, and traversals such as `var.zone_id`, and panics on
// anything else, so an unexpected construct fails the test.

/// Brackets and braces outside string literals and comments nest properly.
fn assert_balanced(tf: &str) {
    let mut stack = Vec::new();
    let mut chars = tf.chars();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                '\n' => panic!("newline inside a string literal"),
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '{' | '[' => stack.push(c),
            '}' => assert_eq!(stack.pop(), Some('{'), "unbalanced `}}`"),
            ']' => assert_eq!(stack.pop(), Some('['), "unbalanced `]`"),
            _ => {}
        }
    }
    assert!(!in_string, "unterminated string");
    assert!(stack.is_empty(), "unclosed {stack:?}");
}

struct Hcl<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Hcl<'a> {
    fn new(s: &'a str) -> Self {
        Hcl { s, i: 0 }
    }

    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }

    fn bump(&mut self) -> char {
        let c = self.peek().expect("unexpected end of file");
        self.i += c.len_utf8();
        c
    }

    fn expect(&mut self, c: char) {
        let got = self.bump();
        assert_eq!(
            got,
            c,
            "at byte {}: {:?}",
            self.i,
            &self.s[self.i.saturating_sub(40)..self.i]
        );
    }

    /// Skips spaces; with `newlines`, also newlines and comments.
    fn skip(&mut self, newlines: bool) {
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' => {
                    self.bump();
                }
                '\n' if newlines => {
                    self.bump();
                }
                '#' if newlines => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                _ => break,
            }
        }
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            self.bump();
        }
        assert!(self.i > start, "identifier expected at byte {start}");
        self.s[start..self.i].to_owned()
    }

    fn string(&mut self) -> String {
        self.expect('"');
        let mut out = String::new();
        loop {
            match self.bump() {
                '"' => return out,
                '\n' => panic!("newline in a string literal"),
                '\\' => match self.bump() {
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    'u' => {
                        let hex: String = (0..4).map(|_| self.bump()).collect();
                        let unit = u16::from_str_radix(&hex, 16).unwrap();
                        out.push(char::from_u32(u32::from(unit)).expect("no surrogates here"));
                    }
                    other => panic!("unknown escape \\{other}"),
                },
                c @ ('$' | '%') => {
                    if self.s[self.i..].starts_with(&format!("{c}{{")) {
                        // `$${` is a literal `${`.
                        self.bump();
                        out.push(c);
                    } else {
                        assert!(self.peek() != Some('{'), "live template introducer {c}{{");
                        out.push(c);
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn expr(&mut self) -> Value {
        match self.peek().expect("expression expected") {
            '"' => Value::String(self.string()),
            '{' => self.object(),
            '[' => self.tuple(),
            c if c.is_ascii_digit() || c == '-' => {
                let start = self.i;
                self.bump();
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.bump();
                }
                Value::Number(self.s[start..self.i].parse().unwrap())
            }
            _ => {
                let mut path = self.ident();
                while self.peek() == Some('.') {
                    self.bump();
                    path.push('.');
                    path.push_str(&self.ident());
                }
                match path.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => Value::String(format!("<traversal {path}>")),
                }
            }
        }
    }

    fn object(&mut self) -> Value {
        self.expect('{');
        let mut map = Map::new();
        loop {
            self.skip(true);
            if self.peek() == Some('}') {
                self.bump();
                return Value::Object(map);
            }
            let key = if self.peek() == Some('"') {
                self.string()
            } else {
                self.ident()
            };
            self.skip(false);
            self.expect('=');
            self.skip(false);
            let value = self.expr();
            assert!(
                map.insert(key.clone(), value).is_none(),
                "duplicate `{key}`"
            );
            self.skip(false);
            if self.peek() == Some(',') {
                self.bump();
            }
        }
    }

    fn tuple(&mut self) -> Value {
        self.expect('[');
        let mut items = Vec::new();
        loop {
            self.skip(true);
            if self.peek() == Some(']') {
                self.bump();
                return Value::Array(items);
            }
            items.push(self.expr());
            self.skip(true);
            if self.peek() == Some(',') {
                self.bump();
            }
        }
    }

    /// A body: attributes become keys; a block `type "a" "b" { … }` becomes
    /// the key `type a b`.
    fn body(&mut self, top: bool) -> Map<String, Value> {
        let mut map = Map::new();
        loop {
            self.skip(true);
            match self.peek() {
                None if top => return map,
                Some('}') if !top => {
                    self.bump();
                    return map;
                }
                None => panic!("unclosed block"),
                _ => {}
            }
            let name = self.ident();
            self.skip(false);
            let (key, value) = if self.peek() == Some('=') {
                self.bump();
                self.skip(false);
                (name, self.expr())
            } else {
                let mut key = name;
                while self.peek() == Some('"') {
                    key.push(' ');
                    key.push_str(&self.string());
                    self.skip(false);
                }
                self.expect('{');
                (key, Value::Object(self.body(false)))
            };
            self.skip(false);
            assert!(
                matches!(self.peek(), None | Some('\n' | '#')),
                "one item per line"
            );
            assert!(
                map.insert(key.clone(), value).is_none(),
                "duplicate `{key}`"
            );
        }
    }
}

/// The ruleset in the Terraform file, in the API's JSON shape.
fn terraform_ruleset(tf: &str) -> Value {
    let mut body = Hcl::new(tf).body(true);
    let variable = body
        .remove("variable zone_id")
        .expect("variable \"zone_id\" block");
    assert_eq!(variable["type"], "<traversal string>");
    let Some(Value::Object(mut resource)) = body.remove("resource cloudflare_ruleset cache_rules")
    else {
        panic!("no resource \"cloudflare_ruleset\" \"cache_rules\"");
    };
    // The zone's URL normalization, which the rules are written for.
    assert_eq!(
        body.remove("resource cloudflare_url_normalization_settings url_normalization"),
        Some(json!({
            "zone_id": "<traversal var.zone_id>",
            "scope": "incoming",
            "type": "cloudflare",
        }))
    );
    assert!(body.is_empty(), "unexpected top-level items: {body:?}");
    assert_eq!(
        resource.remove("zone_id"),
        Some(json!("<traversal var.zone_id>"))
    );
    let mut ruleset = Map::new();
    for key in ["name", "kind", "phase", "description", "rules"] {
        ruleset.insert(
            key.into(),
            resource.remove(key).unwrap_or_else(|| panic!("no {key}")),
        );
    }
    assert!(resource.is_empty(), "unexpected attributes: {resource:?}");
    Value::Object(ruleset)
}

#[test]
fn the_subset_schema_rejects_what_the_api_would() {
    // Guards the guard: a schema that accepts anything proves nothing.
    let validator = subset_validator();
    let (_, files) = render(QUIZMENTOR);
    let good = json_file(&files, RULESET);
    assert!(validator.is_valid(&good));
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: [Mutation; 9] = [
        ("wrong phase", |v| {
            v["phase"] = json!("http_request_transform")
        }),
        ("unknown field", |v| {
            v["rules"][0]["action_parameters"]["cache_ttl"] = json!(5)
        }),
        ("unknown mode", |v| {
            v["rules"][0]["action_parameters"]["edge_ttl"]["mode"] = json!("override")
        }),
        ("zero edge TTL", |v| {
            v["rules"][0]["action_parameters"]["edge_ttl"]["default"] = json!(0)
        }),
        ("zero browser TTL", |v| {
            v["rules"][0]["action_parameters"]["browser_ttl"]["default"] = json!(0)
        }),
        ("override without default", |v| {
            v["rules"][0]["action_parameters"]["edge_ttl"] = json!({ "mode": "override_origin" })
        }),
        ("long expression", |v| {
            v["rules"][0]["expression"] = json!("a".repeat(4097))
        }),
        ("wrong action", |v| {
            v["rules"][0]["action"] = json!("set_config")
        }),
        ("bypass with a TTL", |v| {
            let last = v["rules"].as_array().unwrap().len() - 1;
            v["rules"][last]["action_parameters"]["edge_ttl"] = json!({ "mode": "respect_origin" });
        }),
    ];
    for (what, mutate) in mutations {
        let mut bad = good.clone();
        mutate(&mut bad);
        assert!(
            !validator.is_valid(&bad),
            "the schema accepts a ruleset with {what}"
        );
    }
}

#[test]
fn hcl_values_format_like_terraform_fmt() {
    let value = json!({
        "a": true,
        "long_name": 1,
        "nested": { "x": "y" },
        "after": [1, 2],
        "weird key": "v",
        "list": [{ "k": "v" }],
    });
    assert_eq!(
        cloudflare::hcl_value(&value, 0),
        r#"{
  a         = true
  long_name = 1
  nested = {
    x = "y"
  }
  after       = [1, 2]
  "weird key" = "v"
  list = [
    {
      k = "v"
    },
  ]
}"#
    );
    // And they read back as the same value.
    let text = cloudflare::hcl_value(&value, 0);
    let mut p = Hcl::new(&text);
    assert_eq!(p.object(), value);
    assert_eq!(p.i, text.len());
}

#[test]
fn paths_map_to_prefix_or_wildcard_conditions() {
    let policy_text = shop_with_edge(
        "edge:\n  routes:\n    a:\n      path: \"/a/*\"\n    b:\n      path: \"/b/*.json\"\n    c:\n      path: \"*\"\n    d:\n      path: \"/d/*/*\"\n    e:\n      path: \"/\"\n",
    );
    let (report, _) = render_text("paths.yaml", &policy_text);
    let edge = policy(&report).edge.as_ref().unwrap();
    let got: Vec<String> = edge
        .routes
        .values()
        .map(|r| cloudflare::expression(r).unwrap())
        .collect();
    assert_eq!(
        got,
        [
            r#"starts_with(http.request.uri.path, "/a/")"#,
            r#"http.request.uri.path wildcard "/b/*.json""#,
            r#"http.request.uri.path wildcard "*""#,
            r#"http.request.uri.path wildcard "/d/*/*""#,
            r#"http.request.uri.path wildcard "/""#,
        ]
    );
}

#[test]
fn paths_are_validated_before_they_reach_an_expression() {
    // Defence in depth holds either way, but the first line of defence is
    // `check`: quotes and backslashes in a path never reach the renderer.
    for path in [r#"/a\" or true or \"/*"#, r"/a\\b/*"] {
        let text = shop_with_edge(&format!(
            "edge:\n  routes:\n    r:\n      path: \"{path}\"\n"
        ));
        let report = cachegen::check_bytes(
            "hostile.yaml",
            text.as_bytes(),
            &cachegen::CheckOptions::default(),
        );
        assert!(
            report.count(cachegen::diag::Severity::Error) > 0,
            "{path} accepted"
        );
        assert!(cachegen::render_report(&report, &Templates::default()).is_none());
    }
}

#[test]
fn credential_names_are_validated_before_they_reach_an_expression() {
    for (field, value) in [
        ("headers", r#"["Bad Header"]"#),
        ("headers", r#"["X\"y"]"#),
        ("cookies", r#"["sid;x"]"#),
        ("cookies", r#"["a=b"]"#),
    ] {
        let text = shop_with_edge(&format!(
            "edge:\n  credentials:\n    {field}: {value}\n  routes:\n    r:\n      path: \"/a/*\"\n"
        ));
        let report = cachegen::check_bytes(
            "hostile.yaml",
            text.as_bytes(),
            &cachegen::CheckOptions::default(),
        );
        assert!(
            report.count(cachegen::diag::Severity::Error) > 0,
            "{field}: {value} accepted"
        );
    }
    // An empty list turns the credentials rule off.
    let text = shop_with_edge(
        "edge:\n  credentials:\n    headers: []\n  routes:\n    r:\n      path: \"/a/*\"\n",
    );
    let (_, files) = render_text("none.yaml", &text);
    let ruleset = json_file(&files, RULESET);
    assert!(
        ruleset["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["ref"] != "cachegen__credentials")
    );
}
