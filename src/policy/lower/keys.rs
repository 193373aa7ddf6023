//! Owns lowering the key space: the TTL rules and `ttl:` references, key
//! patterns (parsing, placeholders, strategies, hash tags, stampede locks,
//! memory estimates) and the check that no two patterns or tag keys can
//! match the same stored key. Tag sets are `tags.rs`.

use super::Cx;
use crate::diag::{Diagnostic, codes};
use crate::keys::{self, Segment, ambiguity};
use crate::load::escape_pointer_token as esc;
use crate::load::units::{self, Duration, Percent};
use crate::policy::model::*;
use crate::policy::raw;
use indexmap::IndexMap;

/// A resolved `ttl:` reference.
pub(super) struct TtlResolved {
    pub(super) ttl: Ttl,
    /// The TTL class it names, if any.
    pub(super) class: Option<String>,
    /// The base before the authenticated cap lowered it, if it did.
    pub(super) capped_from: Option<Duration>,
}

impl Cx<'_> {
    pub(super) fn ttl(&mut self, raw: raw::TtlSection) -> TtlRules {
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

    /// Resolves a `ttl:` reference: a class, a duration, or `none`, with the
    /// authenticated cap applied (`TtlResolved::capped_from` says whether it
    /// was).
    pub(super) fn ttl_ref(
        &mut self,
        text: Option<&str>,
        pointer: &str,
        ttl: &TtlRules,
        jitter: Percent,
        authenticated: bool,
    ) -> TtlResolved {
        let (base, class) = match text {
            None => (ttl.default, None),
            Some("none") => {
                return TtlResolved {
                    ttl: Ttl::Never,
                    class: None,
                    capped_from: None,
                };
            }
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
                        self.mark_unknown(pointer);
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
                    // Unresolved, or a class whose own value was invalid.
                    self.mark_unknown(pointer);
                    (ttl.default, None)
                }
            },
        };
        let cap = ttl.authenticated_cap.filter(|_| authenticated);
        let (ttl, capped_from) = Ttl::expiring(base, jitter, cap);
        TtlResolved {
            ttl,
            class,
            capped_from,
        }
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

    pub(super) fn parse_key(
        &mut self,
        text: &str,
        pointer: &str,
        placeholders: &IndexMap<String, PlaceholderType>,
    ) -> Option<Vec<Segment>> {
        let lookup = |n: &str| placeholders.get(n).cloned();
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

    pub(super) fn keys(
        &mut self,
        raw: raw::KeysSection,
        ttl: &TtlRules,
        stores: &IndexMap<String, Store>,
    ) -> Keys {
        let default_store = match &raw.store {
            Some(name) => Some(self.store_ref(name, "/keys/store", stores)),
            None => (stores.len() == 1).then(|| stores[0].name.clone()),
        };
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
        let placeholders = self.placeholders(raw.placeholders);
        let mut patterns = IndexMap::new();
        for (name, def) in raw.patterns {
            let pointer = format!("/keys/patterns/{}", esc(&name));
            if !self.check_identifier(&name, &pointer, "key pattern") {
                continue;
            }
            let store = match &def.store {
                Some(store) => self.store_ref(store, &format!("{pointer}/store"), stores),
                None => default_store.clone().unwrap_or_else(|| {
                    let names: Vec<&str> = stores.keys().map(String::as_str).collect();
                    self.report(
                        codes::SCHEMA,
                        format!("pattern `{name}` names no store, and the policy has {}", names.len()),
                        self.key_span(&pointer),
                        "which store?",
                        Some(format!("add `store: {}` (one of {}) to the pattern, or a default for every pattern as `keys.store`", names[0], names.join(", "))),
                    );
                    stores[0].name.clone()
                }),
            };
            if let Some(mut p) =
                self.pattern(name, pointer, def, ttl, &placeholders, raw.max_value_size)
            {
                p.store = store;
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

    /// A store named by a pattern or by `keys.store`; an unknown name is
    /// reported and stands in as the first store (marked unknown, so rules
    /// that judge keys by their store do not judge them in the stand-in).
    fn store_ref(&mut self, name: &str, pointer: &str, stores: &IndexMap<String, Store>) -> String {
        if stores.contains_key(name) {
            return name.to_owned();
        }
        self.mark_unknown(pointer);
        // A store whose name was refused is already reported; a stand-in
        // (no store declared) is no candidate the user could mean.
        let refused = format!("/stores/{}", esc(name));
        if self.unknown.contains(&refused) {
            return stores[0].name.clone();
        }
        let candidates = if self.unknown.iter().any(|p| p == "/stores") {
            Vec::new()
        } else {
            stores.keys().map(String::as_str).collect()
        };
        let span = self.span(pointer);
        self.unresolved("store", name, candidates, span);
        stores[0].name.clone()
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
        let TtlResolved {
            ttl: ttl_value,
            class: ttl_class,
            capped_from: ttl_capped_from,
        } = self.ttl_ref(
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
        let max_value_size = value_size_limit(def.max_value_size, &pointer, max_value_size);
        self.check_estimate(def.cardinality, def.value_size, &pointer, max_value_size);
        // Both or neither: an estimate with half its inputs would be silently
        // low (no value) or meaningless (no count).
        let (cardinality, value_size) = match (def.cardinality, def.value_size) {
            (Some(c), Some(v)) => (Some(c), Some(v)),
            _ => (None, None),
        };
        Some(KeyPattern {
            name,
            // Set by the caller, which resolves the store.
            store: String::new(),
            pointer,
            text: def.pattern,
            description: def.description,
            segments,
            ttl: ttl_value,
            ttl_class,
            ttl_capped_from,
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
            max_value_size: def.max_value_size,
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
        max_value_size: Option<(units::MemorySize, String)>,
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
        if let (Some(size), Some((max, limit))) = (value_size, max_value_size)
            && size > max
        {
            let limit = crate::schema::display_pointer(&limit);
            self.report(
                codes::INCONSISTENT,
                format!("typical `value_size` {size} is larger than `{limit}` {max}"),
                self.span(&format!("{pointer}/value_size")),
                "above the maximum",
                Some(format!(
                    "`value_size` is a typical value; the largest allowed is `{limit}` (a pattern may set its own `max_value_size`)"
                )),
            );
        }
    }

    pub(super) fn check_ambiguity(&mut self, keys: &Keys, tags: &IndexMap<String, Tag>) {
        let mut entries: Vec<(&str, &str, &[Segment])> = keys
            .patterns
            .values()
            .map(|p| (p.name.as_str(), p.pointer.as_str(), p.segments.as_slice()))
            .collect();
        entries.extend(
            tags.values()
                .map(|t| (t.name.as_str(), t.pointer.as_str(), t.key.as_slice())),
        );
        // A placeholder declared with a type that could not be read (a
        // rejected regex) stands in as `token`; its overlaps are not real.
        let unreadable = |segments: &[Segment]| {
            segments.iter().any(|s| {
                placeholder_name(s).is_some_and(|n| {
                    !keys.placeholders.contains_key(n) && self.declared.placeholders.contains(n)
                })
            })
        };
        entries.retain(|e| !unreadable(e.2));
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

    pub(super) fn check_pattern_ref(&mut self, name: &str, pointer: &str, keys: &Keys) -> bool {
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
}

pub(super) fn placeholder_name(s: &Segment) -> Option<&str> {
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
