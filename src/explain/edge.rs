//! Owns what the edge does with one request: the Cache Rules `build` emits
//! for the policy, evaluated the way Cloudflare evaluates them (every rule in
//! order, each setting taken from the last matching rule that sets it).
//!
//! It evaluates the emitted *expressions*, not the policy's route fields, so
//! `explain` shows what the deployed rules do, including the exclusions the
//! renderer adds; a renderer bug would show up here instead of being
//! explained away. The grammar is the subset `render::cloudflare` emits:
//! `starts_with(http.request.uri.path, "…")`, `http.request.uri.path wildcard
//! "…"`, `http.request.uri.path.extension in {"…" …}`,
//! `any(lower(http.request.headers.names[*])[*] eq "…")`, `http.cookie
//! contains "…"`, `and`, `or`, `not`, parentheses. Anything else is an
//! error, never a guess.
//!
//! Cloudflare semantics modelled:
//! - URL normalization, type `cloudflare`, scope `incoming` (what `build`
//!   pins), by [`normalize_path`]: `\` → `/`, runs of `/` merged,
//!   percent-encoded unreserved characters (`A-Z a-z 0-9 - . _ ~`) decoded,
//!   other `%xx` upper-cased and kept (so `%2F` stays), `.` and `..`
//!   segments removed (RFC 3986 §5.2.4). The query and fragment are not
//!   part of `http.request.uri.path`.
//! - `wildcard`: whole value, ASCII case-insensitive, `*` crosses `/`;
//!   `starts_with` and `contains`: case-sensitive; `extension`: after the
//!   last `.` of the last segment, lower-cased.
//! - Settings stack: every matching rule applies, each setting keeps the last
//!   matching rule's value; `cache_key` is one setting, replaced whole.
//!
//! Not modelled: literal non-ASCII bytes (Cloudflare percent-encodes them),
//! Unicode case folding, `strict wildcard`, the host, method and query,
//! Cloudflare's default caching when no rule matches (by extension,
//! respecting the origin's headers: reported as "no rule"), Cache Deception
//! Armor's Content-Type check (it needs the response), `Vary`, and whatever
//! the origin's router does with a path.

use crate::render::cloudflare::{Rule, TtlSetting};

/// What a rule can look at: the (already normalized) path, the request's
/// header names as sent, and its `Cookie` header.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub path: String,
    pub header_names: Vec<String>,
    pub cookie: Option<String>,
}

impl Request {
    pub fn path(path: &str) -> Request {
        Request {
            path: path.to_owned(),
            ..Request::default()
        }
    }
}

/// One rule and whether it matched.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleMatch {
    pub reference: String,
    pub description: String,
    pub expression: String,
    pub matched: bool,
}

/// The settings a request ends up with, and which rule set each.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Effective {
    /// `None` when no rule matched: Cloudflare's defaults apply.
    pub cache: Option<(bool, String)>,
    /// Seconds, or `None` to respect the origin; with the rule that decided.
    pub edge_ttl: Option<(Option<u64>, String)>,
    pub browser_ttl: Option<(Option<u64>, String)>,
    pub serve_stale: Option<String>,
    pub ignores_query_string: Option<String>,
    /// The rule whose `cache_key` turned Cache Deception Armor on, if the
    /// last `cache_key` set did.
    pub deception_armor: Option<String>,
}

impl Effective {
    /// Whether a matching rule made the request eligible for cache.
    pub fn cached(&self) -> bool {
        self.cache.as_ref().is_some_and(|(c, _)| *c)
    }
}

/// Evaluates every rule against the request in order and stacks the settings.
pub fn evaluate(rules: &[Rule], request: &Request) -> Result<(Vec<RuleMatch>, Effective), String> {
    let mut matches = Vec::new();
    let mut effective = Effective::default();
    for rule in rules {
        let matched = Expr::parse(&rule.expression)?.eval(request);
        matches.push(RuleMatch {
            reference: rule.reference.clone(),
            description: rule.description.clone(),
            expression: rule.expression.clone(),
            matched,
        });
        if !matched {
            continue;
        }
        let p = &rule.action_parameters;
        let by = rule.reference.clone();
        effective.cache = Some((p.cache, by.clone()));
        let ttl = |t: &TtlSetting| match t {
            TtlSetting::RespectOrigin => None,
            TtlSetting::OverrideOrigin { default } => Some(*default),
        };
        if let Some(t) = &p.edge_ttl {
            effective.edge_ttl = Some((ttl(t), by.clone()));
        }
        if let Some(t) = &p.browser_ttl {
            effective.browser_ttl = Some((ttl(t), by.clone()));
        }
        if p.serve_stale.is_some() {
            effective.serve_stale = Some(by.clone());
        }
        if let Some(key) = &p.cache_key {
            effective.ignores_query_string = key.custom_key.is_some().then(|| by.clone());
            effective.deception_armor = (key.cache_deception_armor == Some(true)).then_some(by);
        }
    }
    Ok((matches, effective))
}

#[derive(Debug, PartialEq)]
enum Expr {
    StartsWith(String),
    Wildcard(String),
    ExtensionIn(Vec<String>),
    /// `any(lower(http.request.headers.names[*])[*] eq "…")`.
    HeaderPresent(String),
    /// `http.cookie contains "…"`.
    CookieContains(String),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

const PATH: &str = "http.request.uri.path";

impl Expr {
    fn parse(text: &str) -> Result<Expr, String> {
        let mut p = Parser { text, pos: 0 };
        let e = p.or()?;
        p.skip_ws();
        if p.pos != text.len() {
            return Err(format!("unexpected text at {} in `{text}`", p.pos));
        }
        Ok(e)
    }

    fn eval(&self, r: &Request) -> bool {
        let path = r.path.as_str();
        match self {
            Expr::StartsWith(prefix) => path.starts_with(prefix.as_str()),
            Expr::Wildcard(pattern) => wildcard(pattern, path),
            Expr::ExtensionIn(set) => set.iter().any(|e| *e == extension(path)),
            // `lower()` then `eq`: the literal is compared with the lower-cased name.
            Expr::HeaderPresent(name) => r
                .header_names
                .iter()
                .any(|h| h.to_ascii_lowercase() == *name),
            Expr::CookieContains(needle) => r
                .cookie
                .as_deref()
                .is_some_and(|c| c.contains(needle.as_str())),
            Expr::And(parts) => parts.iter().all(|e| e.eval(r)),
            Expr::Or(parts) => parts.iter().any(|e| e.eval(r)),
            Expr::Not(e) => !e.eval(r),
        }
    }
}

/// The path the rules see under URL normalization type `cloudflare`, scope
/// `incoming` (<https://developers.cloudflare.com/rules/normalization/how-it-works/>):
/// first `\` becomes `/`, then runs of `/` are merged, then RFC 3986:
/// unreserved characters are percent-decoded, other percent-encodings
/// upper-cased and kept (`%2f` → `%2F`), dot segments removed. A trailing
/// `/` is kept.
pub fn normalize_path(raw: &str) -> String {
    let slashed = raw.replace('\\', "/");
    let bytes = slashed.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            if v.is_ascii_alphanumeric() || matches!(v, b'-' | b'.' | b'_' | b'~') {
                decoded.push(v);
            } else {
                decoded.extend_from_slice(format!("%{v:02X}").as_bytes());
            }
            i += 3;
            continue;
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    let decoded = String::from_utf8_lossy(&decoded).into_owned();
    let mut segments: Vec<&str> = Vec::new();
    let trailing = decoded.ends_with('/') || decoded.ends_with("/.") || decoded.ends_with("/..");
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = format!("/{}", segments.join("/"));
    if trailing && out != "/" {
        out.push('/');
    }
    out
}

/// Forms of `path` (an absolute path, already normalized) that a client can
/// send for what a lenient origin router treats as the same resource, by
/// leak class: case, doubled slashes, backslashes, an encoded `/`, a dot
/// segment, a trailing slash, the bare parent, an appended extension, a
/// path parameter. `explain` evaluates each (after normalization) and shows
/// those the rules treat differently.
pub fn url_variants(path: &str) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = Vec::new();
    let upper = path.to_ascii_uppercase();
    if upper != path {
        v.push(("case", upper));
    }
    if path.len() > 1 {
        v.push(("doubled slashes", path.replace('/', "//")));
        v.push(("backslashes", format!("/{}", path[1..].replace('/', "\\"))));
    }
    if path[1..].contains('/') {
        v.push((
            "encoded slash",
            format!("/{}", path[1..].replace('/', "%2F")),
        ));
    }
    v.push(("dot segment", format!("/x/..{path}")));
    if path.ends_with('/') && path.len() > 1 {
        v.push(("trailing slash", path.trim_end_matches('/').to_owned()));
    } else {
        v.push(("trailing slash", format!("{path}/")));
    }
    let trimmed = path.trim_end_matches('/');
    if let Some((parent, _)) = trimmed.rsplit_once('/')
        && !parent.is_empty()
    {
        v.push(("bare prefix", parent.to_owned()));
    }
    for ext in ["js", "css", "png"] {
        if extension(path) != ext {
            v.push(("appended extension", format!("{trimmed}.{ext}")));
        }
    }
    v.push(("path parameter", format!("{trimmed};x.js")));
    v
}

pub use crate::policy::edge_paths::{extension, wildcard};

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    /// A keyword (`and`, `or`, `not`) followed by a non-identifier character.
    fn keyword(&mut self, word: &str) -> bool {
        self.skip_ws();
        let rest = self.rest();
        if rest.starts_with(word)
            && !rest[word.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &str) -> Result<(), String> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(format!(
                "expected `{token}` at {} in `{}`",
                self.pos, self.text
            ))
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and()?];
        while self.keyword("or") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.unary()?];
        while self.keyword("and") {
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            let e = self.or()?;
            self.expect(")")?;
            return Ok(e);
        }
        if self.eat("any(lower(http.request.headers.names[*])[*]") {
            if !self.keyword("eq") {
                return Err(format!("expected `eq` at {} in `{}`", self.pos, self.text));
            }
            let name = self.string()?;
            self.expect(")")?;
            return Ok(Expr::HeaderPresent(name));
        }
        if self.eat("http.cookie") {
            if !self.keyword("contains") {
                return Err(format!(
                    "unsupported operator at {} in `{}`",
                    self.pos, self.text
                ));
            }
            return Ok(Expr::CookieContains(self.string()?));
        }
        if self.eat("starts_with(") {
            self.expect(PATH)?;
            self.expect(",")?;
            let prefix = self.string()?;
            self.expect(")")?;
            return Ok(Expr::StartsWith(prefix));
        }
        if self.eat(&format!("{PATH}.extension")) {
            self.expect("in")?;
            self.expect("{")?;
            let mut set = Vec::new();
            while !self.eat("}") {
                set.push(self.string()?);
            }
            return Ok(Expr::ExtensionIn(set));
        }
        if self.eat(PATH) {
            if !self.keyword("wildcard") {
                return Err(format!(
                    "unsupported operator at {} in `{}`",
                    self.pos, self.text
                ));
            }
            // The pattern keeps its `\` escapes: `wildcard()` reads them.
            let pattern = self.raw_string()?;
            return Ok(Expr::Wildcard(pattern));
        }
        Err(format!(
            "unsupported expression at {} in `{}`",
            self.pos, self.text
        ))
    }

    /// A `"…"` literal with its escapes resolved.
    fn string(&mut self) -> Result<String, String> {
        let raw = self.raw_string()?;
        let mut out = String::new();
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// A `"…"` literal with only the string-level escapes (`\"`, `\\`) resolved
    /// to their escaped form kept for wildcard patterns: `\\` stays `\\`.
    fn raw_string(&mut self) -> Result<String, String> {
        self.skip_ws();
        if !self.rest().starts_with('"') {
            return Err(format!(
                "expected a string at {} in `{}`",
                self.pos, self.text
            ));
        }
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let Some((_, n)) = chars.next() else { break };
                    if n == '"' {
                        out.push('"');
                    } else {
                        out.push('\\');
                        out.push(n);
                    }
                }
                c => out.push(c),
            }
        }
        Err(format!("unterminated string in `{}`", self.text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_is_whole_value_case_insensitive_and_crosses_slashes() {
        assert!(wildcard("/api/user/*", "/API/User/42/profile"));
        assert!(wildcard("/images/*.png", "/images/a/b.PNG"));
        assert!(!wildcard("/images/*.png", "/images/a.png.txt"));
        assert!(!wildcard("/api/user/*", "/api/users"));
        assert!(wildcard("*", ""));
        assert!(wildcard("/a\\*b", "/a*b") && !wildcard("/a\\*b", "/axb"));
    }

    #[test]
    fn parses_and_evaluates_what_the_renderer_emits() {
        let e = Expr::parse(
            r#"(http.request.uri.path.extension in {"js" "css"} and not (http.request.uri.path wildcard "/api/user/*"))"#,
        )
        .unwrap();
        let p = Request::path;
        assert!(e.eval(&p("/static/app.JS")));
        assert!(!e.eval(&p("/api/user/app.js")));
        assert!(!e.eval(&p("/static/app.png")));
        let e = Expr::parse(r#"starts_with(http.request.uri.path, "/api/public/")"#).unwrap();
        assert!(e.eval(&p("/api/public/x")) && !e.eval(&p("/API/public/x")));
        let e = Expr::parse(
            r#"(any(lower(http.request.headers.names[*])[*] eq "authorization") or http.cookie contains "sid=")"#,
        )
        .unwrap();
        let mut r = p("/");
        assert!(!e.eval(&r));
        r.header_names = vec!["AUTHORIZATION".into()];
        assert!(e.eval(&r));
        r.header_names.clear();
        r.cookie = Some("a=1; sid=2".into());
        assert!(e.eval(&r));
        assert!(Expr::parse("http.host eq \"x\"").is_err());
        assert!(Expr::parse("(starts_with(http.request.uri.path, \"/a\")").is_err());
        assert_eq!(extension("/a.b/c"), "");
        assert_eq!(extension("/x/y.tar.GZ"), "gz");
        assert_eq!(extension("/static/.js"), "");
    }

    #[test]
    fn normalization_follows_cloudflares_documented_examples() {
        // The table of https://developers.cloudflare.com/rules/normalization/examples/
        assert_eq!(normalize_path("/%68ello//pa\\th"), "/hello/pa/th");
        assert_eq!(normalize_path("/hello//../path"), "/path");
        assert_eq!(normalize_path("/hello/\\../path"), "/path");
        assert_eq!(normalize_path("/a%2fb"), "/a%2Fb");
        assert_eq!(normalize_path("/a/./b/"), "/a/b/");
    }
}
