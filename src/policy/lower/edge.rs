//! Owns lowering `edge:`: the zone and each route's path, extensions, TTLs,
//! headers and `serves`, checked so they are safe inside a Cloudflare rule
//! expression and an HTTP header.

use super::Cx;
use super::names::{is_header_token, is_hostname};
use crate::diag::codes;
use crate::load::escape_pointer_token as esc;
use crate::policy::model::*;
use crate::policy::raw;
use indexmap::IndexMap;
use std::collections::HashSet;

/// Most file extensions one route may list: 64 × (16 + 3) characters keeps a
/// Cloudflare rule expression far below its 4,096-character limit.
const MAX_ROUTE_EXTENSIONS: usize = 64;

impl Cx<'_> {
    pub(super) fn edge(&mut self, raw: raw::Edge, keys: &Keys) -> Edge {
        if let Some(zone) = &raw.zone
            && !is_hostname(zone)
        {
            self.report(
                codes::INVALID_SYNTAX,
                format!("zone `{}` is not a hostname", zone.escape_debug()),
                self.span("/edge/zone"),
                "invalid zone",
                None,
            );
        }
        let mut routes = IndexMap::new();
        for (name, r) in raw.routes {
            let pointer = format!("/edge/routes/{}", esc(&name));
            if !self.check_identifier(&name, &pointer, "route") {
                continue;
            }
            if r.path.is_none() && r.extensions.is_empty() {
                self.report(
                    codes::INCONSISTENT,
                    format!("route `{name}` matches nothing"),
                    self.key_span(&pointer),
                    "no `path` or `extensions`",
                    Some("add `path: \"/api/public/*\"` or `extensions: [js, css]`".into()),
                );
            }
            if let Some(path) = &r.path {
                let bad = path.char_indices().find(|&(_, c)| {
                    c.is_control() || c.is_whitespace() || c == '"' || c == '\\' || !c.is_ascii()
                });
                if !(path.starts_with('/') || path.starts_with('*'))
                    || bad.is_some()
                    || path.len() > 1024
                {
                    let span = match bad {
                        Some((i, c)) => {
                            self.inner_span(&format!("{pointer}/path"), path, i, i + c.len_utf8())
                        }
                        None => self.span(&format!("{pointer}/path")),
                    };
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("route path `{}` is not a URL path wildcard", path.escape_debug()),
                        span,
                        "invalid path",
                        Some("start with `/` (or `*`); ASCII without spaces, quotes or backslashes; at most 1024 characters".into()),
                    );
                }
            }
            for (i, ext) in r.extensions.iter().enumerate() {
                if ext.is_empty()
                    || ext.len() > 16
                    || !ext
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!(
                            "extension `{}` must be lowercase letters and digits, without the dot",
                            ext.escape_debug()
                        ),
                        self.span(&format!("{pointer}/extensions/{i}")),
                        "invalid extension",
                        None,
                    );
                }
            }
            // Cloudflare accepts TTL overrides of at least one second; "do not
            // cache" is `cache: bypass`, and "let the origin decide" is no TTL.
            for (field, value) in [("edge_ttl", r.edge_ttl), ("browser_ttl", r.browser_ttl)] {
                if value.is_some_and(|d| d.is_zero()) {
                    self.report(
                        codes::OUT_OF_RANGE,
                        format!("`{field}` of route `{name}` is zero"),
                        self.span(&format!("{pointer}/{field}")),
                        "at least 1s",
                        Some("omit it to respect the origin's Cache-Control, or use `cache: bypass` to not cache".into()),
                    );
                }
            }
            // Bounded so a rule expression stays under Cloudflare's 4,096 characters.
            if r.extensions.len() > MAX_ROUTE_EXTENSIONS {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!(
                        "route `{name}` lists {} extensions; at most {MAX_ROUTE_EXTENSIONS}",
                        r.extensions.len()
                    ),
                    self.span(&format!("{pointer}/extensions")),
                    "too many",
                    Some("split the route, or match a path instead".into()),
                );
            }
            for (field, value) in [
                ("edge_ttl", r.edge_ttl),
                ("browser_ttl", r.browser_ttl),
                ("stale_while_revalidate", r.stale_while_revalidate),
                ("stale_if_error", r.stale_if_error),
            ] {
                if let Some(d) = value
                    && !d.is_whole_seconds()
                {
                    self.report(
                        codes::OUT_OF_RANGE,
                        format!("`{field}` `{d}` is not a whole number of seconds"),
                        self.span(&format!("{pointer}/{field}")),
                        "sub-second",
                        Some("HTTP cache lifetimes are whole seconds".into()),
                    );
                }
            }
            for (i, h) in r.vary.iter().enumerate() {
                if h != "*" && !is_header_token(h) {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("`{}` is not a header name", h.escape_debug()),
                        self.span(&format!("{pointer}/vary/{i}")),
                        "invalid header name",
                        None,
                    );
                }
            }
            for (h, v) in &r.headers {
                let hp = format!("{pointer}/headers/{}", esc(h));
                if !is_header_token(h) {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("`{}` is not a header name", h.escape_debug()),
                        self.key_span(&hp),
                        "invalid header name",
                        None,
                    );
                }
                if v.chars().any(|c| c.is_control() && c != '\t') {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("value of header `{h}` contains a control character"),
                        self.span(&hp),
                        "header injection risk",
                        Some("CR or LF in a header value would start a new header".into()),
                    );
                }
            }
            // A set, not `Vec::contains`: a hostile list must not make this quadratic.
            let mut seen: HashSet<&str> = HashSet::new();
            let mut serves: Vec<String> = Vec::new();
            for (i, pattern) in r.serves.iter().enumerate() {
                if self.check_pattern_ref(pattern, &format!("{pointer}/serves/{i}"), keys)
                    && seen.insert(pattern)
                {
                    serves.push(pattern.clone());
                }
            }
            if let Some(limit) = r.max_staleness {
                self.nonzero(
                    limit,
                    &format!("{pointer}/max_staleness"),
                    "`max_staleness`",
                );
            }
            let visibility = r.visibility.unwrap_or(if r.authenticated {
                Visibility::Private
            } else {
                Visibility::Public
            });
            routes.insert(
                name.clone(),
                Route {
                    name,
                    pointer,
                    path: r.path,
                    extensions: r.extensions,
                    cache: r.cache,
                    edge_ttl: r.edge_ttl,
                    browser_ttl: r.browser_ttl,
                    stale_while_revalidate: r.stale_while_revalidate,
                    stale_if_error: r.stale_if_error,
                    vary: r.vary,
                    authenticated: r.authenticated,
                    visibility_set: r.visibility,
                    visibility,
                    immutable: r.immutable,
                    headers: r.headers,
                    serves,
                    max_staleness: r.max_staleness,
                },
            );
        }
        let credentials = self.credentials(raw.credentials);
        Edge {
            provider: raw.provider,
            zone: raw.zone,
            routes,
            credentials,
        }
    }

    /// `edge.credentials`: header names must be header tokens, cookie names
    /// cookie-name tokens (RFC 6265 §4.1.1), so both are safe inside a rule
    /// expression string.
    fn credentials(&mut self, raw: raw::Credentials) -> Credentials {
        let mut headers: Vec<String> = Vec::new();
        for (i, h) in raw.headers.into_iter().enumerate() {
            if !is_header_token(&h) {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!("`{}` is not a header name", h.escape_debug()),
                    self.span(&format!("/edge/credentials/headers/{i}")),
                    "invalid header name",
                    None,
                );
            } else if !headers.iter().any(|x| x.eq_ignore_ascii_case(&h)) {
                headers.push(h);
            }
        }
        let mut cookies: Vec<String> = Vec::new();
        for (i, c) in raw.cookies.into_iter().enumerate() {
            // A cookie-name is an HTTP token (RFC 6265 §4.1.1).
            if !is_header_token(&c) {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!("`{}` is not a cookie name", c.escape_debug()),
                    self.span(&format!("/edge/credentials/cookies/{i}")),
                    "invalid cookie name",
                    Some("a cookie name is a token: letters, digits and !#$%&'*+-.^_`|~".into()),
                );
            } else if !cookies.contains(&c) {
                cookies.push(c);
            }
        }
        Credentials { headers, cookies }
    }
}
