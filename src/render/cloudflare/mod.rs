//! Owns the Cloudflare target: the policy's edge routes as Cache Rules (the
//! zone's entry-point ruleset for phase `http_request_cache_settings`), once as
//! the Rulesets API request body and once as a Terraform `cloudflare_ruleset`
//! (provider v5 attribute syntax), plus the response headers the origin must
//! send on each route. Nothing is rendered for a policy without `edge`.
//!
//! The JSON is built here with serde and placed through a `{{ json }}`
//! template (so `--templates` can still replace it); the Terraform file is laid
//! out by its template from HCL literals escaped here. Both come from the same
//! `Ruleset` value, so they cannot disagree.
//!
//! Facts about Cloudflare (field names, enum values, ranges, expression syntax,
//! last-match-wins) are in `shared/notes/edge-and-http.md`; this module maps
//! the model onto them and decides nothing else. A value the API would reject
//! (a TTL override of 0 s, an expression over 4,096 characters) is a
//! `RenderError`, never silently clamped: the policy should have been refused
//! by `check`.

mod headers;
mod terraform;

pub use headers::{
    Header, OriginHeaders, RouteHeaders, cache_control, cdn_cache_control, origin_headers,
};
use terraform::terraform_context;
pub use terraform::{hcl_string, hcl_value};

use super::{OutputFile, RenderError, Renderer};
use crate::policy::model::{CacheLevel, Edge, Policy, Route};
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "cloudflare/cache-ruleset.json.j2",
        include_str!("../../../templates/cloudflare/cache-ruleset.json.j2"),
    ),
    (
        "cloudflare/cache-ruleset.tf.j2",
        include_str!("../../../templates/cloudflare/cache-ruleset.tf.j2"),
    ),
    (
        "cloudflare/url-normalization.json.j2",
        include_str!("../../../templates/cloudflare/url-normalization.json.j2"),
    ),
    (
        "cloudflare/origin-headers.json.j2",
        include_str!("../../../templates/cloudflare/origin-headers.json.j2"),
    ),
];

/// The Cache Rules phase: one entry-point ruleset per zone.
pub const PHASE: &str = "http_request_cache_settings";
/// The only action a Cache Rule takes.
pub const ACTION: &str = "set_cache_settings";
/// Longest rule expression the Rulesets API accepts, in characters.
pub const MAX_EXPRESSION_LEN: usize = 4096;
/// Smallest `default` of an `override_origin` edge or browser TTL, in seconds.
pub const MIN_TTL_OVERRIDE_SECS: u64 = 1;

/// The Rulesets API request body that replaces the zone's Cache Rules
/// (`PUT .../rulesets/phases/http_request_cache_settings/entrypoint`).
#[derive(Debug, Serialize)]
pub struct Ruleset {
    pub name: String,
    pub kind: &'static str,
    pub phase: &'static str,
    pub description: String,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Serialize)]
pub struct Rule {
    /// Stable across edits (`cachegen_<route>`), so Cloudflare keeps the rule's
    /// identity and analytics when the ruleset is replaced.
    #[serde(rename = "ref")]
    pub reference: String,
    pub description: String,
    pub expression: String,
    pub action: &'static str,
    pub action_parameters: ActionParameters,
}

/// `set_cache_settings` parameters, in the API's field names.
#[derive(Debug, Serialize)]
pub struct ActionParameters {
    /// `false` bypasses the cache.
    pub cache: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edge_ttl: Option<TtlSetting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_ttl: Option<TtlSetting>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serve_stale: Option<ServeStale>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_key: Option<CacheKey>,
}

/// `edge_ttl` / `browser_ttl`: `{"mode": "respect_origin"}` or
/// `{"mode": "override_origin", "default": N}`.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum TtlSetting {
    RespectOrigin,
    OverrideOrigin { default: u64 },
}

#[derive(Debug, Serialize)]
pub struct ServeStale {
    pub disable_stale_while_updating: bool,
}

/// `cache_key`. One setting: a later matching rule that sets it replaces it
/// whole (Cache Rules "Order and priority").
#[derive(Debug, Serialize)]
pub struct CacheKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore_query_strings_order: Option<bool>,
    /// Cache Deception Armor: an extension-matched response is cached only if
    /// its `Content-Type` matches the URL's extension, so `/account.css`
    /// answered with the account's HTML page is not stored. Available on every
    /// plan; <https://developers.cloudflare.com/cache/cache-security/cache-deception-armor/>
    /// and the Cache Rules example
    /// <https://developers.cloudflare.com/cache/how-to/cache-rules/examples/cache-deception-armor/>
    /// (`cache_key.cache_deception_armor` in the Rulesets API and provider v5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_deception_armor: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key: Option<CustomKey>,
}

#[derive(Debug, Serialize)]
pub struct CustomKey {
    pub query_string: QueryString,
}

#[derive(Debug, Serialize)]
pub struct QueryString {
    pub exclude: QueryStringAll,
}

#[derive(Debug, Serialize)]
pub struct QueryStringAll {
    pub all: bool,
}

/// The zone's URL normalization (`PUT /zones/{zone_id}/url_normalization`,
/// Terraform `cloudflare_url_normalization_settings`). The rules above are
/// written for normalized paths: with type `cloudflare` and scope
/// `incoming`, Cloudflare turns `\` into `/`, merges `//`, decodes
/// percent-encoded unreserved characters (`%75` → `u`, never `%2F`), and
/// removes `.` and `..` segments before any rule sees the path; the origin
/// still receives the URL as sent
/// (<https://developers.cloudflare.com/rules/normalization/how-it-works/>,
/// <https://developers.cloudflare.com/rules/normalization/settings/>). This is
/// Cloudflare's default for a zone; cachegen pins it so that turning it off
/// is a reviewed change. `both` would also rewrite the URL sent to the
/// origin, which can break signed URLs: not cachegen's call.
#[derive(Debug, Serialize)]
pub struct UrlNormalization {
    pub scope: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// The normalization the rules are written for.
pub const URL_NORMALIZATION: UrlNormalization = UrlNormalization {
    scope: "incoming",
    kind: "cloudflare",
};

/// `url-normalization.json`: the request to send, with where it comes from
/// (the body itself has room for nothing but `scope` and `type`).
#[derive(Debug, Serialize)]
struct UrlNormalizationFile {
    description: String,
    method: &'static str,
    path: &'static str,
    body: UrlNormalization,
}

#[derive(Serialize)]
struct JsonContext {
    json: String,
}

pub fn render(policy: &Policy, r: &Renderer<'_>) -> Result<Vec<OutputFile>, RenderError> {
    let Some(edge) = &policy.edge else {
        return Ok(Vec::new());
    };
    let origin = r.origin();
    let generated_by = format!(
        "generated by cachegen from policy `{}` ({}, model sha256 {}); do not edit: change the policy and run `cachegen build`",
        origin.policy_name, origin.file_name, origin.model_hash
    );
    let ruleset = ruleset(policy, edge, &generated_by)?;
    let headers = origin_headers(edge, &generated_by);
    Ok(vec![
        OutputFile {
            path: "cloudflare/cache-ruleset.json".into(),
            contents: r.render(
                "cloudflare/cache-ruleset.json.j2",
                None,
                &JsonContext {
                    json: pretty_json(&ruleset)?,
                },
            )?,
        },
        OutputFile {
            path: "cloudflare/cache-ruleset.tf".into(),
            contents: r.render(
                "cloudflare/cache-ruleset.tf.j2",
                Some("#"),
                &terraform_context(edge, &ruleset)?,
            )?,
        },
        OutputFile {
            path: "cloudflare/url-normalization.json".into(),
            contents: r.render(
                "cloudflare/url-normalization.json.j2",
                None,
                &JsonContext {
                    json: pretty_json(&UrlNormalizationFile {
                        description: format!(
                            "URL normalization the Cache Rules are written for (a zone-wide setting; Cloudflare's default, pinned), {generated_by}"
                        ),
                        method: "PUT",
                        path: "/zones/{zone_id}/url_normalization",
                        body: URL_NORMALIZATION,
                    })?,
                },
            )?,
        },
        OutputFile {
            path: "cloudflare/origin-headers.json".into(),
            contents: r.render(
                "cloudflare/origin-headers.json.j2",
                None,
                &JsonContext {
                    json: pretty_json(&headers)?,
                },
            )?,
        },
    ])
}

/// serde_json's pretty form: two-space indent, no trailing newline (the
/// template adds it).
fn pretty_json<T: Serialize>(value: &T) -> Result<String, RenderError> {
    serde_json::to_string_pretty(value).map_err(|e| RenderError(format!("JSON: {e}")))
}

/// Rule order. Cloudflare applies every matching rule and the last match wins,
/// so the routes stay in policy order (listed general first) except that the
/// bypasses of authenticated routes move to the end, where nothing after them
/// can re-enable caching for per-user responses.
pub fn rule_order(edge: &Edge) -> Vec<&Route> {
    let last = |r: &Route| r.cache == CacheLevel::Bypass && r.authenticated;
    let (tail, mut head): (Vec<&Route>, Vec<&Route>) = edge.routes.values().partition(|r| last(r));
    head.extend(tail);
    head
}

/// Ref of the rule that bypasses requests carrying credentials. Route refs
/// are `cachegen_<name>` with a name starting with a letter, so a double `_`
/// cannot collide with one.
pub const CREDENTIALS_REF: &str = "cachegen__credentials";

pub fn ruleset(policy: &Policy, edge: &Edge, generated_by: &str) -> Result<Ruleset, RenderError> {
    // Cache Rules stack: each setting keeps the value of the last matching
    // rule that sets it, and a bypass rule can set nothing but `cache: false`.
    // So a bypass alone is not enough: `/api/user/x.js` would still get the
    // `js` rule's browser-TTL override, and browsers would keep per-user
    // responses. Every cacheable rule therefore excludes what must never be
    // cached (see [`never_cached`]), and no cache setting ever reaches it.
    let excluded = never_cached(edge)?;
    let mut rules = rule_order(edge)
        .into_iter()
        .map(|route| rule(route, &excluded))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(expression) = credentials_condition(edge)? {
        rules.push(Rule {
            reference: CREDENTIALS_REF.to_owned(),
            description: format!(
                "cachegen: bypass cache for requests carrying credentials ({})",
                credentials_text(edge)
            ),
            expression: check_len("credentials", expression)?,
            action: ACTION,
            action_parameters: ActionParameters {
                cache: false,
                edge_ttl: None,
                browser_ttl: None,
                serve_stale: None,
                cache_key: None,
            },
        });
    }
    let zone = edge
        .zone
        .as_deref()
        .map(|z| format!(" for {z}"))
        .unwrap_or_default();
    Ok(Ruleset {
        name: format!("cachegen {}", policy.name),
        kind: "zone",
        phase: PHASE,
        description: format!("Cache Rules{zone} {generated_by}"),
        rules,
    })
}

/// `Authorization, cookie session` as prose, for descriptions.
fn credentials_text(edge: &Edge) -> String {
    let mut parts: Vec<String> = edge
        .credentials
        .headers
        .iter()
        .map(|h| format!("header {h}"))
        .collect();
    parts.extend(
        edge.credentials
            .cookies
            .iter()
            .map(|c| format!("cookie {c}")),
    );
    parts.join(", ")
}

/// The conditions every cacheable rule excludes (`not (a or b …)`):
/// - the paths of every authenticated bypass, in their widened form
///   ([`bypass_forms`]);
/// - when any route bypasses, any path with a percent-encoded `/` or `\` (`%2F`,
///   `%5C`): URL normalization leaves reserved characters encoded
///   (<https://developers.cloudflare.com/rules/normalization/how-it-works/>),
///   so the rules see `/api%2Fuser/x.js` where an origin that decodes it
///   routes `/api/user/x.js`;
/// - requests carrying credentials ([`credentials_condition`]).
pub fn never_cached(edge: &Edge) -> Result<Vec<String>, RenderError> {
    let mut excluded = edge
        .routes
        .values()
        .filter(|r| r.cache == CacheLevel::Bypass && r.authenticated)
        .map(expression)
        .collect::<Result<Vec<_>, _>>()?;
    if edge.routes.values().any(|r| r.cache == CacheLevel::Bypass) {
        excluded.push(ENCODED_SEPARATORS.to_owned());
    }
    if let Some(c) = credentials_condition(edge)? {
        excluded.push(c);
    }
    Ok(excluded)
}

/// Paths an origin may route differently from how the rules read them,
/// excluded from every cacheable rule whenever a route bypasses: an encoded
/// `/` or `\` (normalization keeps them encoded; an origin may decode them
/// before routing), a `;` (Tomcat, Jetty and Spring drop path parameters:
/// `/api/public/..;/user/me` reaches `/api/user/me`, though no dot segment
/// is left for normalization to remove), and an encoded `;`, `?` or `#`.
/// `wildcard` is case-insensitive, so `%2f` and `%2F` both match.
pub const ENCODED_SEPARATORS: &str = r#"(http.request.uri.path wildcard "*%2f*" or http.request.uri.path wildcard "*%5c*" or http.request.uri.path wildcard "*;*" or http.request.uri.path wildcard "*%3b*" or http.request.uri.path wildcard "*%3f*" or http.request.uri.path wildcard "*%23*")"#;

/// A request carrying any declared credential: a header by name,
/// case-insensitively (`any(lower(http.request.headers.names[*])[*] eq "…")`,
/// the form of Cloudflare's "Require specific HTTP headers" example,
/// <https://developers.cloudflare.com/waf/custom-rules/use-cases/require-specific-headers/>;
/// the field keeps the request's case, hence `lower()`:
/// <https://developers.cloudflare.com/ruleset-engine/rules-language/fields/reference/http.request.headers.names/>),
/// or a cookie by name (`http.cookie contains "name="`, the form of the
/// Cache Rules "Bypass Cache on Cookie" example,
/// <https://developers.cloudflare.com/cache/how-to/cache-rules/examples/bypass-cache-on-cookie/>).
/// `contains` also matches `xname=`: that errs towards not caching.
pub fn credentials_condition(edge: &Edge) -> Result<Option<String>, RenderError> {
    let c = &edge.credentials;
    if c.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for h in &c.headers {
        parts.push(format!(
            "any(lower(http.request.headers.names[*])[*] eq {})",
            string_literal(&h.to_ascii_lowercase())?
        ));
    }
    for cookie in &c.cookies {
        parts.push(format!(
            "http.cookie contains {}",
            string_literal(&format!("{cookie}="))?
        ));
    }
    Ok(Some(if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(" or "))
    }))
}

fn ttl_setting(route: &Route, field: &str, secs: Option<u64>) -> Result<TtlSetting, RenderError> {
    match secs {
        None => Ok(TtlSetting::RespectOrigin),
        Some(s) if s < MIN_TTL_OVERRIDE_SECS => Err(RenderError(format!(
            "route `{}`: `{field}` is {s}s, but Cloudflare accepts an override of at least {MIN_TTL_OVERRIDE_SECS}s; `check` should have refused it",
            route.name
        ))),
        Some(s) => Ok(TtlSetting::OverrideOrigin { default: s }),
    }
}

fn rule(route: &Route, excluded: &[String]) -> Result<Rule, RenderError> {
    let cached = route.cache != CacheLevel::Bypass;
    let mut parts = conditions(route)?;
    if cached && !excluded.is_empty() {
        parts.push(format!("not ({})", excluded.join(" or ")));
    }
    let expression = join_conditions(route, parts)?;
    let action_parameters = if cached {
        ActionParameters {
            cache: true,
            edge_ttl: Some(ttl_setting(
                route,
                "edge_ttl",
                route.edge_ttl.map(|d| d.as_secs()),
            )?),
            browser_ttl: Some(ttl_setting(
                route,
                "browser_ttl",
                route.browser_ttl.map(|d| d.as_secs()),
            )?),
            // Only a route that asks for stale-while-revalidate says anything
            // about it; otherwise Cloudflare's own default stands.
            serve_stale: route.stale_while_revalidate.map(|_| ServeStale {
                disable_stale_while_updating: false,
            }),
            cache_key: cache_key(route),
        }
    } else {
        ActionParameters {
            cache: false,
            edge_ttl: None,
            browser_ttl: None,
            serve_stale: None,
            cache_key: None,
        }
    };
    Ok(Rule {
        reference: format!("cachegen_{}", route.name),
        description: rule_description(route),
        expression,
        action: ACTION,
        action_parameters,
    })
}

/// The route's `cache_key`: `aggressive` ignores the query string; a route
/// that matches by extension turns Cache Deception Armor on.
fn cache_key(route: &Route) -> Option<CacheKey> {
    let aggressive = route.cache == CacheLevel::Aggressive;
    let armor = matches_by_extension(route);
    (aggressive || armor).then(|| CacheKey {
        ignore_query_strings_order: aggressive.then_some(true),
        cache_deception_armor: armor.then_some(true),
        custom_key: aggressive.then_some(CustomKey {
            query_string: QueryString {
                exclude: QueryStringAll { all: true },
            },
        }),
    })
}

/// Whether a route selects responses by file extension: `extensions`, or a
/// path whose last segment names one (`/b/*.json`). Those are the rules a
/// cache deception (`/account/profile.css`) aims at.
pub fn matches_by_extension(route: &Route) -> bool {
    !route.extensions.is_empty()
        || route
            .path
            .as_deref()
            .and_then(|p| p.rsplit('/').next())
            .is_some_and(|last| last.contains('.'))
}

fn rule_description(route: &Route) -> String {
    let mut parts = Vec::new();
    match route.cache {
        CacheLevel::Bypass => parts.push("bypass cache".to_owned()),
        level => {
            if level == CacheLevel::Aggressive {
                parts.push("cache ignoring the query string".to_owned());
            }
            parts.push(match route.edge_ttl {
                Some(d) => format!("edge TTL {}s", d.as_secs()),
                None => "edge TTL from origin".to_owned(),
            });
            parts.push(match route.browser_ttl {
                Some(d) => format!("browser TTL {}s", d.as_secs()),
                None => "browser TTL from origin".to_owned(),
            });
        }
    }
    if route.authenticated {
        parts.push("authenticated".to_owned());
    }
    format!("cachegen route {}: {}", route.name, parts.join(", "))
}

/// The rule expression for a route's `path` and/or `extensions`.
pub fn expression(route: &Route) -> Result<String, RenderError> {
    join_conditions(route, conditions(route)?)
}

/// The route's match conditions, to be joined with `and`.
fn conditions(route: &Route) -> Result<Vec<String>, RenderError> {
    let mut parts = Vec::new();
    if let Some(path) = &route.path {
        if route.cache == CacheLevel::Bypass {
            parts.push(bypass_condition(path)?);
        } else {
            // An authenticated route must also catch `/API/User/x`:
            // `starts_with` compares case by case, `wildcard` does not.
            parts.push(path_condition(path, route.authenticated)?);
        }
    }
    if !route.extensions.is_empty() {
        let set = route
            .extensions
            .iter()
            .map(|e| string_literal(e))
            .collect::<Result<Vec<_>, _>>()?;
        parts.push(format!(
            "http.request.uri.path.extension in {{{}}}",
            set.join(" ")
        ));
    }
    if parts.is_empty() {
        return Err(RenderError(format!(
            "route `{}` has neither `path` nor `extensions`; `check` should have refused it",
            route.name
        )));
    }
    Ok(parts)
}

/// Joins conditions with `and` (parenthesised when there are several) and
/// enforces Cloudflare's expression length limit.
fn join_conditions(route: &Route, mut parts: Vec<String>) -> Result<String, RenderError> {
    let expression = if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(" and "))
    };
    check_len(&route.name, expression)
}

fn check_len(rule: &str, expression: String) -> Result<String, RenderError> {
    let len = expression.chars().count();
    if len > MAX_EXPRESSION_LEN {
        return Err(RenderError(format!(
            "route `{rule}`: the rule expression is {len} characters, over Cloudflare's limit of {MAX_EXPRESSION_LEN}"
        )));
    }
    Ok(expression)
}

/// A trailing-`/*` prefix (`/api/public/*`, no other `*`) becomes the
/// `starts_with` function; any other pattern, or any path that must match
/// case-insensitively, the `wildcard` operator.
fn path_condition(path: &str, case_insensitive: bool) -> Result<String, RenderError> {
    if !case_insensitive
        && let Some(prefix) = path.strip_suffix('*')
        && prefix.ends_with('/')
        && !prefix.contains('*')
    {
        return Ok(format!(
            "starts_with(http.request.uri.path, {})",
            string_literal(prefix)?
        ));
    }
    Ok(format!(
        "http.request.uri.path wildcard {}",
        string_literal(&wildcard_pattern(path))?
    ))
}

pub use crate::policy::edge_paths::bypass_forms;

/// A bypass path as `wildcard` conditions: case-insensitive (an origin that
/// routes `/API/User/x` like `/api/user/x` must not get it from cache;
/// `wildcard` is case-insensitive, `strict wildcard` is not:
/// <https://developers.cloudflare.com/ruleset-engine/rules-language/operators/#wildcard-matching>),
/// over every form of [`bypass_forms`].
fn bypass_condition(path: &str) -> Result<String, RenderError> {
    let mut parts = bypass_forms(path)
        .iter()
        .map(|p| path_condition(p, true))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(" or "))
    })
}

/// A policy path as a `wildcard` pattern. Every `*` in a policy path is a
/// wildcard (the format has no literal `*`), so only `\`, the pattern escape
/// character, is escaped (`\\`). The result still needs [`string_literal`].
pub fn wildcard_pattern(path: &str) -> String {
    path.replace('\\', "\\\\")
}

/// A Cloudflare Rules language string literal: `"…"` with `\"` and `\\`
/// escaped. Control characters have no escape there, so they are refused
/// (`lower` already refuses them in paths and extensions: defence in depth).
pub fn string_literal(s: &str) -> Result<String, RenderError> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                return Err(RenderError(format!(
                    "{} cannot be written in a Cloudflare expression string (control character)",
                    s.escape_debug()
                )));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(out)
}
