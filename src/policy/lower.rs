//! Owns the step from the raw (schema-shaped) policy to the validated model:
//! resolving every reference, converting units, range checks, cycle and
//! ambiguity checks. Every problem becomes a diagnostic; lowering carries on
//! past it so one run reports everything.

use super::model::*;
use super::raw;
use crate::diag::{Diagnostic, codes};
use crate::keys::{self, Segment, ambiguity};
use crate::lint::registry;
use crate::load::SpanIndex;
use crate::load::escape_pointer_token as esc;
use crate::load::units::{self, Duration, Percent};
use crate::schema::did_you_mean;
use crate::source::{SourceFile, Span};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

/// How many broken entries lowering removes before it stops trying to build a
/// model. Beyond this the file is not a policy with mistakes but something else.
const MAX_PRUNES: usize = 64;

/// Most file extensions one route may list: 64 × (16 + 3) characters keeps a
/// Cloudflare rule expression far below its 4,096-character limit.
const MAX_ROUTE_EXTENSIONS: usize = 64;

pub struct Lowered {
    pub policy: Option<Policy>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Lowers a schema-checked JSON value. `unknown` are pointers of unknown keys the
/// schema stage already reported; `schema_failed` says whether it reported anything.
pub fn lower(
    src: &SourceFile,
    default_name: &str,
    mut value: Value,
    unknown: &[String],
    spans: SpanIndex,
) -> Lowered {
    remove_unknown(&mut value, unknown);
    let declared = Declared::collect(&value);
    let Some(raw) = deserialize_pruning(&mut value) else {
        return Lowered {
            policy: None,
            diagnostics: Vec::new(),
        };
    };
    let mut cx = Cx {
        src,
        spans,
        diags: Vec::new(),
        declared,
    };
    let policy = cx.policy(raw, default_name);
    Lowered {
        policy: Some(policy),
        diagnostics: cx.diags,
    }
}

/// Names declared anywhere in the file, even in entries that later fail to
/// deserialize: a reference to a broken pattern is not also "unresolved".
#[derive(Default)]
/// Sorted, so candidate lists in help texts come out in the same order on
/// every run.
struct Declared {
    patterns: BTreeSet<String>,
    classes: BTreeSet<String>,
    tags: BTreeSet<String>,
    placeholders: BTreeSet<String>,
}

impl Declared {
    fn collect(value: &Value) -> Self {
        let names = |p: &str| -> BTreeSet<String> {
            value
                .pointer(p)
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        Declared {
            patterns: names("/keys/patterns"),
            classes: names("/ttl/classes"),
            tags: names("/tags"),
            placeholders: names("/keys/placeholders"),
        }
    }
}

/// Deserializes the raw policy; when a part does not fit (the schema stage has
/// already said why), removes the smallest enclosing entry and tries again.
fn deserialize_pruning(value: &mut Value) -> Option<raw::Policy> {
    for _ in 0..MAX_PRUNES {
        let result: Result<raw::Policy, _> = serde_path_to_error::deserialize(&*value);
        let err = match result {
            Ok(policy) => return Some(policy),
            Err(err) => err,
        };
        let pointer = path_to_pointer(err.path());
        let victim = prune_target(value, &pointer)?;
        remove_pointer(value, &victim);
    }
    None
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment as S;
    let mut out = String::new();
    for seg in path.iter() {
        out.push('/');
        match seg {
            S::Seq { index } => out.push_str(&index.to_string()),
            S::Map { key } => out.push_str(&esc(key)),
            S::Enum { variant } => out.push_str(&esc(variant)),
            S::Unknown => {}
        }
    }
    out
}

/// The deepest entry of a user-named map or a list on the path; removing it
/// loses the least. `None` when only the top level itself is broken.
fn prune_target(value: &Value, pointer: &str) -> Option<String> {
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    for depth in (1..=tokens.len()).rev() {
        let parent = format!("/{}", tokens[..depth - 1].join("/"));
        let parent = if depth == 1 { String::new() } else { parent };
        let child = format!("{parent}/{}", tokens[depth - 1]);
        if value.pointer(&child).is_none() {
            continue;
        }
        let is_collection_entry = match value.pointer(&parent) {
            Some(Value::Array(_)) => true,
            Some(Value::Object(_)) => is_user_map(&parent),
            _ => false,
        };
        if is_collection_entry {
            return Some(child);
        }
    }
    // No collection on the path: drop the field itself; if it was required,
    // the next attempt fails on its parent and prunes that.
    (!tokens.is_empty() && value.pointer(pointer).is_some()).then(|| pointer.to_owned())
}

/// Maps whose keys are names the user chose (patterns, routes, ...).
fn is_user_map(pointer: &str) -> bool {
    const USER_MAPS: &[&str] = &[
        "/ttl/classes",
        "/keys/placeholders",
        "/keys/patterns",
        "/tags",
        "/invalidation/cascade",
        "/invalidation/events",
        "/edge/routes",
        "/warming/tasks",
    ];
    USER_MAPS.contains(&pointer)
        || (pointer.starts_with("/invalidation/events/") && pointer.ends_with("/when_changed"))
        || (pointer.starts_with("/edge/routes/") && pointer.ends_with("/headers"))
}

/// Drops every unknown key, one `retain` per parent mapping: removing them one
/// by one shifts the map each time, which is quadratic in hostile input.
fn remove_unknown(value: &mut Value, unknown: &[String]) {
    let mut by_parent: HashMap<&str, HashSet<String>> = HashMap::new();
    for pointer in unknown {
        if let Some((parent, last)) = pointer.rsplit_once('/') {
            by_parent
                .entry(parent)
                .or_default()
                .insert(last.replace("~1", "/").replace("~0", "~"));
        }
    }
    for (parent, keys) in by_parent {
        if let Some(Value::Object(map)) = value.pointer_mut(parent) {
            map.retain(|k, _| !keys.contains(k));
        }
    }
}

fn remove_pointer(value: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.shift_remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

struct Cx<'a> {
    src: &'a SourceFile,
    spans: SpanIndex,
    diags: Vec<Diagnostic>,
    declared: Declared,
}

impl Cx<'_> {
    fn span(&self, pointer: &str) -> Span {
        self.spans.value(pointer).unwrap_or_default()
    }

    fn key_span(&self, pointer: &str) -> Span {
        self.spans
            .key(pointer)
            .or_else(|| self.spans.value(pointer))
            .unwrap_or_default()
    }

    fn report(
        &mut self,
        code: crate::diag::Code,
        message: String,
        span: Span,
        label: &str,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::new(code, message).with_span(span, label);
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.diags.push(d);
    }

    /// Span of bytes `[start, end)` inside the string value at `pointer`, when
    /// the YAML spells the string literally (plain or simply quoted).
    fn inner_span(&self, pointer: &str, text: &str, start: usize, end: usize) -> Span {
        let whole = self.span(pointer);
        let written = self.src.slice(whole);
        let offset = if written == text {
            Some(0)
        } else if written.len() == text.len() + 2 && written.get(1..written.len() - 1) == Some(text)
        {
            Some(1)
        } else {
            None
        };
        match offset {
            Some(o) => Span::new(
                whole.start + o + start,
                whole.start + o + end.max(start + 1).min(text.len()),
            ),
            None => whole,
        }
    }

    fn check_identifier(&mut self, name: &str, pointer: &str, what: &str) -> bool {
        if keys::is_identifier(name) {
            return true;
        }
        self.report(
            codes::INVALID_SYNTAX,
            format!("{what} name `{}` is not a valid identifier", name.escape_debug()),
            self.key_span(pointer),
            "invalid name",
            Some("names are lowercase letters, digits and `_`, starting with a letter, at most 64 characters (they become Rust identifiers and rule refs)".into()),
        );
        false
    }

    fn unresolved(&mut self, what: &str, name: &str, candidates: Vec<&str>, span: Span) {
        let help = did_you_mean(name, &candidates)
            .map(|b| format!("did you mean `{b}`?"))
            .or_else(|| {
                (!candidates.is_empty() && candidates.len() <= 12)
                    .then(|| format!("defined: {}", candidates.join(", ")))
            });
        self.report(
            codes::UNRESOLVED_REFERENCE,
            format!("no {what} named `{}`", name.escape_debug()),
            span,
            &format!("unknown {what}"),
            help,
        );
    }

    fn policy(&mut self, raw: raw::Policy, default_name: &str) -> Policy {
        let name = match raw.name {
            Some(name) => {
                if !is_dns_label(&name) || name.len() > 40 {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("policy name `{}` is not a DNS label", name.escape_debug()),
                        self.span("/name"),
                        "invalid name",
                        Some("lowercase letters, digits and `-`, at most 40 characters: it names files and Kubernetes objects".into()),
                    );
                }
                name
            }
            None => default_name.to_owned(),
        };
        let ttl = self.ttl(raw.ttl);
        let mut keys = self.keys(raw.keys, &ttl);
        let tags = self.tags(raw.tags, &ttl, &mut keys);
        self.check_ambiguity(&keys, &tags);
        let cascade = self.cascade(raw.invalidation.cascade, &keys);
        let events = self.events(raw.invalidation.events, &keys, &tags, &cascade);
        let edge = raw.edge.map(|e| self.edge(e, &keys));
        let redis = self.redis(raw.redis);
        let cluster = raw.cluster.map(|c| self.cluster(c, &name));
        if let Some(client) = &raw.client {
            self.client(client);
        }
        let warming = raw
            .warming
            .map(|w| self.warming(w.tasks, &keys))
            .unwrap_or_default();
        let lint_levels = self.lint_levels(raw.lint);
        Policy {
            name,
            ttl,
            keys,
            tags,
            cascade,
            events,
            edge,
            redis,
            cluster,
            client: raw.client,
            targets: raw.targets,
            warming,
            lint_levels,
            provenance: None,
            spans: std::mem::take(&mut self.spans),
        }
    }

    /// A limit or in-process TTL of zero means nothing; unlike Redis and HTTP
    /// TTLs these may be finer than a second.
    fn nonzero(&mut self, d: Duration, pointer: &str, what: &str) {
        if d.is_zero() {
            self.report(
                codes::OUT_OF_RANGE,
                format!("{what} must be longer than zero"),
                self.span(pointer),
                "zero",
                None,
            );
        }
    }

    fn positive_seconds(&mut self, d: Duration, pointer: &str, what: &str) {
        if d.is_zero() {
            self.nonzero(d, pointer, what);
        } else if !d.is_whole_seconds() {
            self.report(
                codes::OUT_OF_RANGE,
                format!("{what} `{d}` is not a whole number of seconds"),
                self.span(pointer),
                "sub-second",
                Some("Redis and HTTP TTLs are whole seconds".into()),
            );
        }
    }

    fn ttl(&mut self, raw: raw::TtlSection) -> TtlRules {
        self.positive_seconds(raw.default, "/ttl/default", "the default TTL");
        if let Some(cap) = raw.authenticated_cap {
            self.positive_seconds(cap, "/ttl/authenticated_cap", "the authenticated cap");
        }
        let mut classes = IndexMap::new();
        for (name, d) in raw.classes {
            let pointer = format!("/ttl/classes/{}", esc(&name));
            if !self.check_identifier(&name, &pointer, "TTL class") {
                continue;
            }
            if name == "none" {
                self.report(
                    codes::INVALID_SYNTAX,
                    "`none` is reserved for keys that never expire".into(),
                    self.key_span(&pointer),
                    "reserved",
                    None,
                );
                continue;
            }
            self.positive_seconds(d, &pointer, &format!("TTL class `{name}`"));
            classes.insert(name, d);
        }
        if let Some(limit) = raw.max_staleness {
            self.nonzero(limit, "/ttl/max_staleness", "`max_staleness`");
        }
        TtlRules {
            default: raw.default,
            jitter: raw.jitter.unwrap_or_default(),
            authenticated_cap: raw.authenticated_cap,
            classes,
            max_staleness: raw.max_staleness,
        }
    }

    /// Resolves a `ttl:` reference: a class, a duration, or `none`.
    fn ttl_ref(
        &mut self,
        text: Option<&str>,
        pointer: &str,
        ttl: &TtlRules,
        jitter: Percent,
        authenticated: bool,
    ) -> (Ttl, Option<String>) {
        let (base, class) = match text {
            None => (ttl.default, None),
            Some("none") => return (Ttl::Never, None),
            Some(t) if t.starts_with(|c: char| c.is_ascii_digit()) => {
                match units::parse_duration(t) {
                    Ok(d) => {
                        self.positive_seconds(d, pointer, "TTL");
                        (d, None)
                    }
                    Err(e) => {
                        self.report(
                            codes::INVALID_UNIT,
                            e,
                            self.span(pointer),
                            "invalid duration",
                            None,
                        );
                        (ttl.default, None)
                    }
                }
            }
            Some(t) => match ttl.classes.get(t) {
                Some(d) => (*d, Some(t.to_owned())),
                None => {
                    if !self.declared.classes.contains(t) {
                        let candidates: Vec<&str> =
                            ttl.classes.keys().map(String::as_str).collect();
                        let span = self.span(pointer);
                        self.unresolved("TTL class", t, candidates, span);
                    }
                    (ttl.default, None)
                }
            },
        };
        let mut base = base;
        let mut max = Duration::from_secs(
            base.as_secs() + base.as_secs() * u64::from(jitter.basis_points()) / 10_000,
        );
        if authenticated && let Some(cap) = ttl.authenticated_cap {
            base = base.min(cap);
            max = Duration::from_secs(
                base.as_secs() + base.as_secs() * u64::from(jitter.basis_points()) / 10_000,
            )
            .min(cap);
        }
        (Ttl::Expires { base, max }, class)
    }

    fn check_key_literal(&mut self, text: &str, pointer: &str, what: &str) -> bool {
        if !text.is_empty() && text.chars().all(keys::is_literal_char) {
            return true;
        }
        let bad = text
            .char_indices()
            .find(|&(_, c)| !keys::is_literal_char(c));
        let span = match bad {
            Some((i, c)) => self.inner_span(pointer, text, i, i + c.len_utf8()),
            None => self.span(pointer),
        };
        self.report(
            codes::INVALID_SYNTAX,
            format!(
                "{what} `{}` contains characters that are not allowed in keys",
                text.escape_debug()
            ),
            span,
            "not allowed",
            Some("allowed: letters, digits and _ - . / @ = + ,".into()),
        );
        false
    }

    fn parse_key(
        &mut self,
        text: &str,
        pointer: &str,
        placeholders: &IndexMap<String, PlaceholderType>,
    ) -> Option<Vec<Segment>> {
        let lookup = |n: &str| placeholders.get(n).copied();
        match keys::parse_pattern(text, &lookup) {
            Ok((segments, undeclared)) => {
                for u in undeclared {
                    if self.declared.placeholders.contains(&u.name) {
                        continue;
                    }
                    let span = self.inner_span(pointer, text, u.start, u.end);
                    let candidates = placeholders.keys().map(String::as_str).collect();
                    self.unresolved("placeholder", &u.name, candidates, span);
                }
                Some(segments)
            }
            Err(errors) => {
                for e in errors {
                    let span = self.inner_span(pointer, text, e.start, e.end);
                    self.report(codes::INVALID_SYNTAX, e.message, span, "here", e.help);
                }
                None
            }
        }
    }

    fn keys(&mut self, raw: raw::KeysSection, ttl: &TtlRules) -> Keys {
        if let Some(prefix) = &raw.version_prefix {
            self.check_key_literal(prefix, "/keys/version_prefix", "version prefix");
        }
        for (i, prefix) in raw.previous_prefixes.iter().enumerate() {
            let pointer = format!("/keys/previous_prefixes/{i}");
            self.check_key_literal(prefix, &pointer, "previous prefix");
            if raw.version_prefix.as_deref() == Some(prefix.as_str()) {
                self.report(
                    codes::INCONSISTENT,
                    format!("`{prefix}` is the current version prefix, not a previous one"),
                    self.span(&pointer),
                    "current prefix",
                    None,
                );
            }
        }
        let mut placeholders = IndexMap::new();
        for (name, ty) in raw.placeholders {
            let pointer = format!("/keys/placeholders/{}", esc(&name));
            if self.check_identifier(&name, &pointer, "placeholder") {
                placeholders.insert(name, ty);
            }
        }
        let mut patterns = IndexMap::new();
        for (name, def) in raw.patterns {
            let pointer = format!("/keys/patterns/{}", esc(&name));
            if !self.check_identifier(&name, &pointer, "key pattern") {
                continue;
            }
            if let Some(p) =
                self.pattern(name, pointer, def, ttl, &placeholders, raw.max_value_size)
            {
                patterns.insert(p.name.clone(), p);
            }
        }
        // Queues must hold a list or a stream: a write-behind worker pops them.
        let queue_problems: Vec<(String, String, ValueType)> = patterns
            .values()
            .filter_map(|p| {
                let q = p.queue.as_ref()?;
                let target = patterns.get(q)?;
                (!matches!(target.value_type, ValueType::List | ValueType::Stream))
                    .then(|| (p.pointer.clone(), q.clone(), target.value_type))
            })
            .collect();
        for (pointer, queue, ty) in queue_problems {
            self.report(
                codes::INCONSISTENT,
                format!("write-behind queue `{queue}` is a {ty:?} key; a queue must be a list or a stream"),
                self.span(&format!("{pointer}/queue")),
                "not a queue",
                Some(format!("set `type: list` on `{queue}`")),
            );
        }
        Keys {
            version_prefix: raw.version_prefix,
            previous_prefixes: raw.previous_prefixes,
            max_value_size: raw.max_value_size,
            placeholders,
            patterns,
        }
    }

    fn pattern(
        &mut self,
        name: String,
        pointer: String,
        def: raw::KeyPatternDef,
        ttl: &TtlRules,
        placeholders: &IndexMap<String, PlaceholderType>,
        max_value_size: Option<units::MemorySize>,
    ) -> Option<KeyPattern> {
        let segments = self.parse_key(&def.pattern, &format!("{pointer}/pattern"), placeholders)?;
        let jitter = def.jitter.unwrap_or(ttl.jitter);
        let (ttl_value, ttl_class) = self.ttl_ref(
            def.ttl.as_deref(),
            &format!("{pointer}/ttl"),
            ttl,
            jitter,
            def.authenticated,
        );

        match (def.strategy, &def.queue) {
            (raw::Strategy::WriteBehind, None) => self.report(
                codes::INCONSISTENT,
                format!("write-behind pattern `{name}` names no queue"),
                self.span(&format!("{pointer}/strategy")),
                "needs `queue`",
                Some("add `queue: <pattern of the list that carries pending writes>`".into()),
            ),
            (s, Some(_)) if s != raw::Strategy::WriteBehind => self.report(
                codes::INCONSISTENT,
                "`queue` only applies to `strategy: write-behind`".into(),
                self.key_span(&format!("{pointer}/queue")),
                "ignored",
                None,
            ),
            _ => {}
        }
        let mut queue = def.queue.clone();
        if let Some(q) = &def.queue
            && !self.declared.patterns.contains(q)
        {
            let span = self.span(&format!("{pointer}/queue"));
            let names: Vec<String> = self.declared.patterns.iter().cloned().collect();
            self.unresolved(
                "key pattern",
                q,
                names.iter().map(String::as_str).collect(),
                span,
            );
            queue = None;
        }
        match (def.strategy, def.refresh_when_remaining) {
            (raw::Strategy::RefreshAhead, None) => self.report(
                codes::INCONSISTENT,
                format!("refresh-ahead pattern `{name}` has no `refresh_when_remaining`"),
                self.span(&format!("{pointer}/strategy")),
                "needs a threshold",
                Some("add e.g. `refresh_when_remaining: 20%`".into()),
            ),
            (s, Some(_)) if s != raw::Strategy::RefreshAhead => self.report(
                codes::INCONSISTENT,
                "`refresh_when_remaining` only applies to `strategy: refresh-ahead`".into(),
                self.key_span(&format!("{pointer}/refresh_when_remaining")),
                "ignored",
                None,
            ),
            (_, Some(p)) if p.is_zero() || p.basis_points() >= 10_000 => self.report(
                codes::OUT_OF_RANGE,
                format!("refresh threshold {p} must be between 0% and 100%, exclusive"),
                self.span(&format!("{pointer}/refresh_when_remaining")),
                "out of range",
                None,
            ),
            _ => {}
        }
        if def.strategy == raw::Strategy::RefreshAhead && ttl_value == Ttl::Never {
            self.report(
                codes::INCONSISTENT,
                "refresh-ahead needs a TTL to refresh ahead of".into(),
                self.span(&format!("{pointer}/ttl")),
                "never expires",
                None,
            );
        }

        let hash_tag = def.hash_tag.as_deref().and_then(|tag| {
            let found = find_hash_tag(&segments, tag);
            if found.is_none() {
                let text = crate::policy::model::segments_text(&segments);
                self.report(
                    codes::INVALID_SYNTAX,
                    format!("hash tag `{}` is not a run of segments of `{text}`", tag.escape_debug()),
                    self.span(&format!("{pointer}/hash_tag")),
                    "not in the pattern",
                    Some("write the segments exactly as in `pattern` (e.g. `user:<user_id>`), or one placeholder name".into()),
                );
            }
            found
        });

        let mut tags = Vec::new();
        for (i, tag) in def.tags.iter().enumerate() {
            if self.declared.tags.contains(tag) {
                tags.push(tag.clone());
            } else {
                let span = self.span(&format!("{pointer}/tags/{i}"));
                let candidates = self
                    .declared
                    .tags
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>();
                let candidates = candidates
                    .into_iter()
                    .map(|s| s.to_owned())
                    .collect::<Vec<_>>();
                self.unresolved(
                    "tag",
                    tag,
                    candidates.iter().map(String::as_str).collect(),
                    span,
                );
            }
        }
        if let Some(size) = def.compress_above
            && size.bytes() == 0
        {
            self.report(
                codes::OUT_OF_RANGE,
                "`compress_above` must be more than 0 bytes".into(),
                self.span(&format!("{pointer}/compress_above")),
                "zero",
                None,
            );
        }
        let stampede_lock = def.stampede_lock.map(|lock| {
            let lock_pointer = format!("{pointer}/stampede_lock");
            self.positive_seconds(lock.ttl, &format!("{lock_pointer}/ttl"), "the lock TTL");
            let prefix = lock.prefix.unwrap_or_else(|| "lock:".into());
            let stem = prefix.strip_suffix(':').unwrap_or(&prefix);
            if !stem
                .split(':')
                .all(|s| !s.is_empty() && s.chars().all(keys::is_literal_char))
            {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!(
                        "lock prefix `{}` must be literal key segments",
                        prefix.escape_debug()
                    ),
                    self.span(&format!("{lock_pointer}/prefix")),
                    "invalid prefix",
                    None,
                );
            }
            StampedeLock {
                prefix,
                ttl: lock.ttl,
            }
        });
        if let Some(d) = def.app_ttl {
            self.nonzero(d, &format!("{pointer}/app_ttl"), "`app_ttl`");
        }
        if let Some(d) = def.max_staleness {
            self.nonzero(d, &format!("{pointer}/max_staleness"), "`max_staleness`");
        }
        self.check_estimate(def.cardinality, def.value_size, &pointer, max_value_size);
        // Both or neither: an estimate with half its inputs would be silently
        // low (no value) or meaningless (no count).
        let (cardinality, value_size) = match (def.cardinality, def.value_size) {
            (Some(c), Some(v)) => (Some(c), Some(v)),
            _ => (None, None),
        };
        Some(KeyPattern {
            name,
            pointer,
            text: def.pattern,
            description: def.description,
            segments,
            ttl: ttl_value,
            ttl_class,
            jitter,
            value_type: def.value_type,
            strategy: def.strategy,
            queue,
            refresh_when_remaining: def.refresh_when_remaining,
            authenticated: def.authenticated,
            durable: def.durable,
            hash_tag,
            tags,
            compress_above: def.compress_above,
            stampede_lock,
            app_ttl: def.app_ttl,
            max_staleness: def.max_staleness,
            cardinality,
            value_size,
        })
    }

    /// The memory estimate needs `cardinality` and `value_size` together, and
    /// a typical value cannot be larger than the largest one allowed.
    fn check_estimate(
        &mut self,
        cardinality: Option<u64>,
        value_size: Option<units::MemorySize>,
        pointer: &str,
        max_value_size: Option<units::MemorySize>,
    ) {
        match (cardinality, value_size) {
            (Some(_), None) => self.report(
                codes::INCONSISTENT,
                "`cardinality` without `value_size`: the memory estimate needs both".into(),
                self.key_span(&format!("{pointer}/cardinality")),
                "no `value_size`",
                Some("add `value_size:` (the typical stored value, e.g. `2kb`), or remove `cardinality`".into()),
            ),
            (None, Some(_)) => self.report(
                codes::INCONSISTENT,
                "`value_size` without `cardinality`: the memory estimate needs both".into(),
                self.key_span(&format!("{pointer}/value_size")),
                "no `cardinality`",
                Some("add `cardinality:` (the expected number of live keys), or remove `value_size`".into()),
            ),
            _ => {}
        }
        if let (Some(size), Some(max)) = (value_size, max_value_size)
            && size > max
        {
            self.report(
                codes::INCONSISTENT,
                format!("typical `value_size` {size} is larger than `keys.max_value_size` {max}"),
                self.span(&format!("{pointer}/value_size")),
                "above the maximum",
                Some(
                    "`value_size` is a typical value; the largest allowed is `keys.max_value_size`"
                        .into(),
                ),
            );
        }
    }

    fn tags(
        &mut self,
        raw: IndexMap<String, raw::TagDef>,
        ttl: &TtlRules,
        keys: &mut Keys,
    ) -> IndexMap<String, Tag> {
        let mut tags = IndexMap::new();
        for (name, def) in raw {
            let pointer = format!("/tags/{}", esc(&name));
            if !self.check_identifier(&name, &pointer, "tag") {
                continue;
            }
            let Some(key) = self.parse_key(&def.key, &format!("{pointer}/key"), &keys.placeholders)
            else {
                continue;
            };
            let (tag_ttl, _) = self.ttl_ref(
                Some(&def.ttl),
                &format!("{pointer}/ttl"),
                ttl,
                Percent::default(),
                false,
            );
            let members: Vec<String> = keys
                .patterns
                .values()
                .filter(|p| p.tags.contains(&name))
                .map(|p| p.name.clone())
                .collect();
            let needed: Vec<String> = key
                .iter()
                .filter_map(placeholder_name)
                .map(str::to_owned)
                .collect();
            for member in &members {
                let pattern = &keys.patterns[member];
                let missing: Vec<&String> = needed
                    .iter()
                    .filter(|n| !pattern.placeholders().any(|p| p == n.as_str()))
                    .collect();
                if !missing.is_empty() {
                    let at = keys.patterns[member]
                        .tags
                        .iter()
                        .position(|t| t == &name)
                        .unwrap_or(0);
                    self.report(
                        codes::INCONSISTENT,
                        format!("pattern `{member}` joins tag `{name}`, whose set key needs `<{}>`, which the pattern does not have", missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(">`, `<")),
                        self.span(&format!("{}/tags/{at}", keys.patterns[member].pointer)),
                        "cannot build the tag key",
                        None,
                    );
                }
            }
            tags.insert(
                name.clone(),
                Tag {
                    name,
                    pointer,
                    key_text: def.key,
                    key,
                    ttl: tag_ttl,
                    members,
                },
            );
        }
        tags
    }

    fn check_ambiguity(&mut self, keys: &Keys, tags: &IndexMap<String, Tag>) {
        let mut entries: Vec<(&str, &str, &[Segment])> = keys
            .patterns
            .values()
            .map(|p| (p.name.as_str(), p.pointer.as_str(), p.segments.as_slice()))
            .collect();
        entries.extend(
            tags.values()
                .map(|t| (t.name.as_str(), t.pointer.as_str(), t.key.as_slice())),
        );
        let segs: Vec<&[Segment]> = entries.iter().map(|e| e.2).collect();
        for (a, b) in ambiguity::find_ambiguous(&segs) {
            let (a_name, a_ptr, _) = entries[a];
            let (b_name, b_ptr, _) = entries[b];
            let a_field = if a_ptr.starts_with("/tags/") {
                "key"
            } else {
                "pattern"
            };
            let b_field = if b_ptr.starts_with("/tags/") {
                "key"
            } else {
                "pattern"
            };
            let d = Diagnostic::new(codes::AMBIGUOUS_PATTERNS, format!("key patterns `{a_name}` and `{b_name}` can match the same key"))
                .with_span(self.span(&format!("{b_ptr}/{b_field}")), format!("overlaps `{a_name}`"))
                .with_related(self.span(&format!("{a_ptr}/{a_field}")), format!("`{a_name}` is here"))
                .with_help("make one segment differ by a literal (e.g. `leaderboard:topic:<topic>`), or use placeholder types whose values cannot overlap");
            self.diags.push(d);
        }
    }

    fn check_pattern_ref(&mut self, name: &str, pointer: &str, keys: &Keys) -> bool {
        if keys.patterns.contains_key(name) {
            return true;
        }
        if !self.declared.patterns.contains(name) {
            let span = self.span(pointer);
            self.unresolved(
                "key pattern",
                name,
                keys.patterns.keys().map(String::as_str).collect(),
                span,
            );
        }
        false
    }

    fn cascade(
        &mut self,
        raw: IndexMap<String, Vec<String>>,
        keys: &Keys,
    ) -> IndexMap<String, Vec<String>> {
        let mut cascade: IndexMap<String, Vec<String>> = IndexMap::new();
        for (source, targets) in raw {
            let pointer = format!("/invalidation/cascade/{}", esc(&source));
            if !keys.patterns.contains_key(&source) {
                if !self.declared.patterns.contains(&source) {
                    let span = self.key_span(&pointer);
                    self.unresolved(
                        "key pattern",
                        &source,
                        keys.patterns.keys().map(String::as_str).collect(),
                        span,
                    );
                }
                continue;
            }
            let mut resolved = Vec::new();
            for (i, target) in targets.iter().enumerate() {
                let item = format!("{pointer}/{i}");
                if !self.check_pattern_ref(target, &item, keys) {
                    continue;
                }
                let src_ph: HashSet<&str> = keys.patterns[&source].placeholders().collect();
                let missing: Vec<&str> = keys.patterns[target]
                    .placeholders()
                    .filter(|p| !src_ph.contains(p))
                    .collect();
                if !missing.is_empty() {
                    self.report(
                        codes::INCONSISTENT,
                        format!("cascade `{source}` → `{target}` cannot build the dependent key: `{target}` needs <{}>, which `{source}` does not have", missing.join(">, <")),
                        self.span(&item),
                        "placeholder not bound",
                        Some("invalidate it from an event whose `params` carry the missing values".into()),
                    );
                    continue;
                }
                resolved.push(target.clone());
            }
            cascade.insert(source, resolved);
        }
        self.check_cycles(&cascade);
        cascade
    }

    fn check_cycles(&mut self, cascade: &IndexMap<String, Vec<String>>) {
        // Iterative DFS with colours; each cycle is reported once, at its back edge.
        let mut colour: HashMap<&str, u8> = HashMap::new();
        for start in cascade.keys() {
            if colour.get(start.as_str()).copied().unwrap_or(0) != 0 {
                continue;
            }
            let mut path: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
            colour.insert(start.as_str(), 1);
            while let Some((node, next)) = path.last().copied() {
                let deps = cascade.get(node).map(Vec::as_slice).unwrap_or(&[]);
                if next >= deps.len() {
                    colour.insert(node, 2);
                    path.pop();
                    continue;
                }
                path.last_mut().expect("non-empty").1 += 1;
                let dep = deps[next].as_str();
                match colour.get(dep).copied().unwrap_or(0) {
                    0 => {
                        colour.insert(dep, 1);
                        path.push((dep, 0));
                    }
                    1 => {
                        let from = path.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[from..].iter().map(|(n, _)| *n).collect();
                        cycle.push(dep);
                        let pointer = format!("/invalidation/cascade/{}/{next}", esc(node));
                        self.report(
                            codes::DEPENDENCY_CYCLE,
                            format!("cascade dependencies form a cycle: {}", cycle.join(" → ")),
                            self.span(&pointer),
                            "closes the cycle",
                            Some("cascades must flow one way; remove one of the edges".into()),
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    /// Placeholders needed to invalidate `pattern` and everything it cascades to.
    fn closure_placeholders(
        keys: &Keys,
        cascade: &IndexMap<String, Vec<String>>,
        pattern: &str,
    ) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut stack = vec![pattern.to_owned()];
        let mut out: Vec<String> = Vec::new();
        while let Some(p) = stack.pop() {
            if !seen.insert(p.clone()) {
                continue;
            }
            if let Some(kp) = keys.patterns.get(&p) {
                for ph in kp.placeholders() {
                    if !out.iter().any(|o| o == ph) {
                        out.push(ph.to_owned());
                    }
                }
            }
            stack.extend(cascade.get(&p).cloned().unwrap_or_default());
        }
        out
    }

    fn events(
        &mut self,
        raw: IndexMap<String, raw::EventDef>,
        keys: &Keys,
        tags: &IndexMap<String, Tag>,
        cascade: &IndexMap<String, Vec<String>>,
    ) -> IndexMap<String, Event> {
        let mut events = IndexMap::new();
        for (name, def) in raw {
            let pointer = format!("/invalidation/events/{}", esc(&name));
            if !is_event_name(&name) {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!(
                        "event name `{}` is not dotted lowercase identifiers",
                        name.escape_debug()
                    ),
                    self.key_span(&pointer),
                    "invalid name",
                    Some("e.g. `user.updated`, `quiz.completed`".into()),
                );
                continue;
            }
            for (i, param) in def.params.iter().enumerate() {
                if !keys.placeholders.contains_key(param)
                    && !self.declared.placeholders.contains(param)
                {
                    let span = self.span(&format!("{pointer}/params/{i}"));
                    self.unresolved(
                        "placeholder",
                        param,
                        keys.placeholders.keys().map(String::as_str).collect(),
                        span,
                    );
                }
            }
            let check_list = |cx: &mut Self, list: &[String], list_pointer: &str| -> Vec<String> {
                let mut ok = Vec::new();
                for (i, target) in list.iter().enumerate() {
                    let item = format!("{list_pointer}/{i}");
                    if !cx.check_pattern_ref(target, &item, keys) {
                        continue;
                    }
                    let missing: Vec<String> = Self::closure_placeholders(keys, cascade, target)
                        .into_iter()
                        .filter(|p| !def.params.contains(p))
                        .collect();
                    if !missing.is_empty() {
                        cx.report(
                            codes::INCONSISTENT,
                            format!("event `{name}` invalidates `{target}` (and its cascade), which needs <{}>, but the event does not carry it", missing.join(">, <")),
                            cx.span(&item),
                            "placeholder not in `params`",
                            Some(format!("add {} to the event's `params`", missing.join(", "))),
                        );
                    }
                    ok.push(target.clone());
                }
                ok
            };
            let invalidate = check_list(self, &def.invalidate, &format!("{pointer}/invalidate"));
            let mut when_changed = IndexMap::new();
            for (field, list) in &def.when_changed {
                let field_pointer = format!("{pointer}/when_changed/{}", esc(field));
                if !self.check_identifier(field, &field_pointer, "field") {
                    continue;
                }
                let resolved = check_list(self, list, &field_pointer);
                when_changed.insert(field.clone(), resolved);
            }
            let mut invalidate_tags = Vec::new();
            for (i, tag) in def.invalidate_tags.iter().enumerate() {
                let item = format!("{pointer}/invalidate_tags/{i}");
                match tags.get(tag) {
                    Some(t) => {
                        let missing: Vec<&str> = t
                            .key
                            .iter()
                            .filter_map(placeholder_name)
                            .filter(|p| !def.params.iter().any(|x| x == p))
                            .collect();
                        if !missing.is_empty() {
                            self.report(
                                codes::INCONSISTENT,
                                format!("event `{name}` invalidates tag `{tag}`, whose key needs <{}>, but the event does not carry it", missing.join(">, <")),
                                self.span(&item),
                                "placeholder not in `params`",
                                None,
                            );
                        }
                        invalidate_tags.push(tag.clone());
                    }
                    None if self.declared.tags.contains(tag) => {}
                    None => {
                        let span = self.span(&item);
                        self.unresolved(
                            "tag",
                            tag,
                            tags.keys().map(String::as_str).collect(),
                            span,
                        );
                    }
                }
            }
            events.insert(
                name.clone(),
                Event {
                    name,
                    pointer,
                    params: def.params,
                    invalidate,
                    invalidate_tags,
                    when_changed,
                },
            );
        }
        events
    }

    fn edge(&mut self, raw: raw::Edge, keys: &Keys) -> Edge {
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
        Edge {
            provider: raw.provider,
            zone: raw.zone,
            routes,
        }
    }

    fn redis(&mut self, raw: raw::RedisServer) -> Redis {
        let version = match parse_version(&raw.version) {
            Some(v) if (5..=8).contains(&v.0) => v,
            Some(_) => {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!(
                        "Redis {} is outside the versions cachegen knows (5.0 to 8.x)",
                        raw.version
                    ),
                    self.span("/redis/version"),
                    "unknown version",
                    None,
                );
                (7, 0)
            }
            None => {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!("`{}` is not a Redis version", raw.version.escape_debug()),
                    self.span("/redis/version"),
                    "expected `major.minor`",
                    Some("write it quoted, e.g. `version: \"7.0\"`".into()),
                );
                (7, 0)
            }
        };
        for (i, point) in raw.persistence.save.iter().enumerate() {
            self.positive_seconds(
                point.after,
                &format!("/redis/persistence/save/{i}/after"),
                "a save interval",
            );
        }
        let network = raw.network.unwrap_or(raw::Network {
            tcp_backlog: None,
            timeout: None,
            tcp_keepalive: None,
        });
        for (field, value) in [
            ("timeout", network.timeout),
            ("tcp_keepalive", network.tcp_keepalive),
        ] {
            if let Some(d) = value
                && !d.is_whole_seconds()
            {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!("`{field}` `{d}` is not a whole number of seconds"),
                    self.span(&format!("/redis/network/{field}")),
                    "sub-second",
                    Some("redis.conf takes this in seconds".into()),
                );
            }
        }
        if let Some(slowlog) = &raw.slowlog
            && slowlog.log_slower_than.as_micros() > i64::MAX as u64
        {
            self.report(
                codes::OUT_OF_RANGE,
                "slowlog threshold is too large".into(),
                self.span("/redis/slowlog/log_slower_than"),
                "too large",
                None,
            );
        }
        let threads = raw.threads;
        let lazy = raw.lazyfree;
        let repl = raw.replication;
        Redis {
            version,
            maxmemory: raw.maxmemory,
            maxmemory_policy: raw.maxmemory_policy,
            maxmemory_samples: raw.maxmemory_samples,
            save: raw
                .persistence
                .save
                .iter()
                .map(|p| (p.after, p.changes))
                .collect(),
            appendonly: raw.persistence.appendonly,
            appendfsync: raw.persistence.appendfsync,
            tcp_backlog: network.tcp_backlog,
            timeout: network.timeout,
            tcp_keepalive: network.tcp_keepalive,
            slowlog_log_slower_than: raw.slowlog.as_ref().map(|s| s.log_slower_than),
            slowlog_max_len: raw.slowlog.as_ref().map(|s| s.max_len),
            maxclients: raw.maxclients,
            io_threads: threads.as_ref().map(|t| t.io_threads),
            io_threads_do_reads: threads.as_ref().and_then(|t| t.io_threads_do_reads),
            cores: threads.as_ref().and_then(|t| t.cores),
            lazyfree_lazy_eviction: lazy.as_ref().and_then(|l| l.lazy_eviction),
            lazyfree_lazy_expire: lazy.as_ref().and_then(|l| l.lazy_expire),
            lazyfree_lazy_server_del: lazy.as_ref().and_then(|l| l.lazy_server_del),
            lazyfree_lazy_user_del: lazy.as_ref().and_then(|l| l.lazy_user_del),
            replica_lazy_flush: repl.as_ref().and_then(|r| r.replica_lazy_flush),
            replica_read_only: repl.as_ref().and_then(|r| r.replica_read_only),
        }
    }

    fn cluster(&mut self, raw: raw::Cluster, policy_name: &str) -> Cluster {
        if raw.masters < 3 {
            self.report(
                codes::OUT_OF_RANGE,
                format!(
                    "a Redis Cluster needs at least 3 masters, not {}",
                    raw.masters
                ),
                self.span("/cluster/masters"),
                "too few",
                Some(
                    "with fewer than 3 masters the cluster cannot reach a failover majority".into(),
                ),
            );
        }
        if raw.node_timeout.is_zero() || !raw.node_timeout.as_micros().is_multiple_of(1000) {
            self.report(
                codes::OUT_OF_RANGE,
                "`node_timeout` must be a positive whole number of milliseconds".into(),
                self.span("/cluster/node_timeout"),
                "invalid timeout",
                None,
            );
        }
        let kubernetes = raw.kubernetes.map(|k| {
            let name = k.name.clone().unwrap_or_else(|| format!("{policy_name}-redis"));
            if !is_dns_label(&k.namespace) {
                self.report(codes::INVALID_SYNTAX, format!("namespace `{}` is not a DNS-1123 label", k.namespace.escape_debug()), self.span("/cluster/kubernetes/namespace"), "invalid namespace", Some("lowercase letters, digits and `-`, at most 63 characters".into()));
            }
            // Services need a DNS-1035 label: it must also start with a letter.
            if !is_dns_label(&name) || name.len() > 52 || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
                let pointer = if k.name.is_some() { "/cluster/kubernetes/name" } else { "/name" };
                self.report(codes::INVALID_SYNTAX, format!("Kubernetes name `{}` is not a DNS-1035 label of at most 52 characters", name.escape_debug()), self.span(pointer), "invalid name", Some("lowercase letters, digits and `-`, starting with a letter (Service names); StatefulSet pod names append `-N`, so 52 leaves room for that and the controller hash".into()));
            }
            if k.image.is_empty() || k.image.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\'') {
                self.report(codes::INVALID_SYNTAX, format!("image `{}` is not a container image reference", k.image.escape_debug()), self.span("/cluster/kubernetes/image"), "invalid image", None);
            }
            for (field, value) in [("memory_limit", Some(&k.memory_limit)), ("storage", Some(&k.storage)), ("cpu", k.cpu.as_ref())] {
                if let Some(v) = value
                    && units::quantity_bytes(v).is_none()
                {
                    self.report(codes::INVALID_SYNTAX, format!("`{}` is not a Kubernetes quantity", v.escape_debug()), self.span(&format!("/cluster/kubernetes/{field}")), "invalid quantity", Some("e.g. `3Gi`, `512Mi`, `2`, `500m`".into()));
                }
            }
            if let Some(sc) = &k.storage_class
                && !is_dns_subdomain(sc)
            {
                self.report(codes::INVALID_SYNTAX, format!("storage class `{}` is not a DNS-1123 subdomain", sc.escape_debug()), self.span("/cluster/kubernetes/storage_class"), "invalid name", None);
            }
            Kubernetes { namespace: k.namespace, name, image: k.image, memory_limit: k.memory_limit, cpu: k.cpu, storage: k.storage, storage_class: k.storage_class }
        });
        Cluster {
            masters: raw.masters,
            replicas_per_master: raw.replicas_per_master,
            node_timeout: raw.node_timeout,
            require_full_coverage: raw.require_full_coverage,
            kubernetes,
        }
    }

    fn client(&mut self, client: &raw::Client) {
        for (field, backoff) in [
            ("retry_backoff", &client.retry_backoff),
            ("cluster_retry_backoff", &client.cluster_retry_backoff),
        ] {
            if let Some(b) = backoff
                && b.step > b.max
            {
                self.report(
                    codes::INCONSISTENT,
                    format!("`{field}`: step {} is longer than max {}", b.step, b.max),
                    self.span(&format!("/client/{field}/step")),
                    "step > max",
                    None,
                );
            }
        }
        // Clients take these in milliseconds (ioredis), and the lock file
        // records them so; a finer value would be silently rounded.
        let backoff = |b: &Option<raw::Backoff>| b.as_ref().map(|b| (b.step, b.max));
        let durations = [
            ("connect_timeout", client.connect_timeout),
            ("command_timeout", client.command_timeout),
            ("keepalive", client.keepalive),
            (
                "retry_backoff/step",
                backoff(&client.retry_backoff).map(|b| b.0),
            ),
            (
                "retry_backoff/max",
                backoff(&client.retry_backoff).map(|b| b.1),
            ),
            (
                "cluster_retry_backoff/step",
                backoff(&client.cluster_retry_backoff).map(|b| b.0),
            ),
            (
                "cluster_retry_backoff/max",
                backoff(&client.cluster_retry_backoff).map(|b| b.1),
            ),
        ];
        for (field, value) in durations {
            if let Some(d) = value
                && !d.as_micros().is_multiple_of(1000)
            {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!(
                        "`{}` `{d}` is not a whole number of milliseconds",
                        field.replace('/', ".")
                    ),
                    self.span(&format!("/client/{field}")),
                    "sub-millisecond",
                    Some("clients take this in milliseconds".into()),
                );
            }
        }
        for (i, e) in client.reconnect_on_errors.iter().enumerate() {
            if e.is_empty() || !e.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!("`{}` is not a Redis error prefix", e.escape_debug()),
                    self.span(&format!("/client/reconnect_on_errors/{i}")),
                    "expected e.g. READONLY",
                    None,
                );
            }
        }
    }

    fn warming(
        &mut self,
        raw: IndexMap<String, raw::WarmTask>,
        keys: &Keys,
    ) -> IndexMap<String, WarmTask> {
        let mut tasks = IndexMap::new();
        for (name, t) in raw {
            let pointer = format!("/warming/tasks/{}", esc(&name));
            if !self.check_identifier(&name, &pointer, "warming task") {
                continue;
            }
            let mut resolved = Vec::new();
            for (i, k) in t.keys.iter().enumerate() {
                if self.check_pattern_ref(k, &format!("{pointer}/keys/{i}"), keys) {
                    resolved.push(k.clone());
                }
            }
            if let Some(schedule) = &t.schedule
                && let Err(why) = check_cron(schedule)
            {
                self.report(codes::INVALID_SYNTAX, format!("schedule `{}`: {why}", schedule.escape_debug()), self.span(&format!("{pointer}/schedule")), "invalid cron", Some("five fields: minute hour day-of-month month day-of-week, e.g. `*/5 * * * *`".into()));
            }
            if !t.on_startup && t.schedule.is_none() {
                self.report(
                    codes::INCONSISTENT,
                    format!("warming task `{name}` never runs"),
                    self.key_span(&pointer),
                    "no trigger",
                    Some("set `on_startup: true` or a `schedule`".into()),
                );
            }
            tasks.insert(
                name.clone(),
                WarmTask {
                    name,
                    pointer,
                    keys: resolved,
                    on_startup: t.on_startup,
                    schedule: t.schedule,
                    limit: t.limit,
                    description: t.description,
                },
            );
        }
        tasks
    }

    fn lint_levels(&mut self, raw: raw::LintLevels) -> IndexMap<&'static str, LintLevel> {
        let mut levels: IndexMap<&'static str, LintLevel> = IndexMap::new();
        for (field, list, level) in [
            ("allow", &raw.allow, LintLevel::Allow),
            ("warn", &raw.warn, LintLevel::Warn),
            ("deny", &raw.deny, LintLevel::Deny),
        ] {
            for (i, name) in list.iter().enumerate() {
                let pointer = format!("/lint/{field}/{i}");
                match registry::find(name) {
                    Some(rule) => {
                        if levels.insert(rule.code.code, level).is_some() {
                            self.report(
                                codes::INCONSISTENT,
                                format!("rule `{name}` is given more than one level"),
                                self.span(&pointer),
                                "listed again",
                                None,
                            );
                        }
                    }
                    None => {
                        let names: Vec<&str> = registry::RULES
                            .iter()
                            .flat_map(|r| [r.code.code, r.code.name])
                            .collect();
                        let span = self.span(&pointer);
                        self.unresolved("lint rule", name, names, span);
                    }
                }
            }
        }
        levels
    }
}

fn placeholder_name(s: &Segment) -> Option<&str> {
    match s {
        Segment::Placeholder { name, .. } => Some(name.as_str()),
        Segment::Literal(_) => None,
    }
}

fn find_hash_tag(segments: &[Segment], tag: &str) -> Option<(usize, usize)> {
    if keys::is_identifier(tag)
        && let Some(i) = segments
            .iter()
            .position(|s| placeholder_name(s) == Some(tag))
    {
        return Some((i, i + 1));
    }
    let wanted: Vec<&str> = tag.split(':').collect();
    let texts: Vec<String> = segments
        .iter()
        .map(|s| match s {
            Segment::Literal(t) => t.clone(),
            Segment::Placeholder { name, .. } => format!("<{name}>"),
        })
        .collect();
    (0..segments.len()).find_map(|start| {
        let end = start + wanted.len();
        (end <= texts.len() && texts[start..end].iter().zip(&wanted).all(|(a, b)| a == b))
            .then_some((start, end))
    })
}

fn parse_version(text: &str) -> Option<Version> {
    let (major, minor) = text.split_once('.')?;
    let minor = minor.split('.').next()?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

pub(crate) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

fn is_hostname(s: &str) -> bool {
    s.len() <= 253 && s.contains('.') && s.split('.').all(|l| is_dns_label(&l.to_ascii_lowercase()))
}

fn is_event_name(s: &str) -> bool {
    s.split('.').all(keys::is_identifier) && s.len() <= 128
}

/// RFC 9110 `token`.
fn is_header_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

fn check_cron(s: &str) -> Result<(), String> {
    if s.chars().any(|c| c.is_control()) {
        return Err("contains a line break or control character".into());
    }
    let fields: Vec<&str> = s.split(' ').filter(|f| !f.is_empty()).collect();
    if fields.len() != 5 {
        return Err(format!("has {} fields, expected 5", fields.len()));
    }
    let limits = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
    for (field, (lo, hi)) in fields.iter().zip(limits) {
        for part in field.split(',') {
            let (range, step) = part.split_once('/').unwrap_or((part, "1"));
            if step.parse::<u32>().map_or(true, |s| s == 0) {
                return Err(format!("`{part}` has an invalid step"));
            }
            if range == "*" {
                continue;
            }
            let (a, b) = range.split_once('-').unwrap_or((range, range));
            for n in [a, b] {
                match n.parse::<u32>() {
                    Ok(v) if (lo..=hi).contains(&v) => {}
                    _ => return Err(format!("`{part}` is outside {lo}-{hi}")),
                }
            }
        }
    }
    Ok(())
}
