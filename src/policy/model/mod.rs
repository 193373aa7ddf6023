//! Owns the validated policy model: every reference resolved, every unit
//! converted, defaults filled in. It is built only by `lower` and is the single
//! input of lint, render and verify.
//!
//! Entities keep the JSON pointer they came from; `Policy::span` turns a pointer
//! (plus an optional field) into the YAML span, so diagnostics from any later
//! stage point into the user's file without the model carrying a span per field.

use crate::keys::{KeyPiece, Segment};
use crate::load::SpanIndex;
use crate::load::units::{Duration, MemorySize, Percent};
use crate::policy::raw;
use crate::source::Span;
use indexmap::IndexMap;

mod access;
mod store;
mod topology;
pub use access::*;
pub use store::*;
pub use topology::*;

pub use raw::{
    Appendfsync, CacheLevel, Client, EdgeProvider, EvictionPolicy, HostedService, PlaceholderType,
    Strategy, Targets, ValueType, Visibility,
};

#[derive(Debug)]
pub struct Policy {
    pub name: String,
    pub ttl: TtlRules,
    pub keys: Keys,
    pub tags: IndexMap<String, Tag>,
    /// Cascade dependencies: pattern name → dependent pattern names.
    pub cascade: IndexMap<String, Vec<String>>,
    pub events: IndexMap<String, Event>,
    pub edge: Option<Edge>,
    /// The Redis deployments, in file order; never empty (a policy that
    /// declares none gets a stand-in, marked unknown, after the error).
    pub stores: IndexMap<String, Store>,
    pub client: Option<Client>,
    pub targets: Option<Targets>,
    pub warming: IndexMap<String, WarmTask>,
    /// The `lint:` section as written, in the order `allow`, `warn`, `deny`.
    /// Rule names are resolved against the registry by `lint::levels`, not
    /// here: lint rules are a later stage than the model.
    pub lint_entries: Vec<LintEntry>,
    /// Set when the model was read back from a lock file: the policy file it
    /// was first built from. Generated-file headers name that file, not the
    /// lock, so output rebuilt from a lock is byte-identical. (The model hash
    /// they carry is a function of the model: `check::model_sha256`.)
    pub provenance: Option<Provenance>,
    /// Values the file gives that could not be read (each already reported
    /// as an error). The model holds a stand-in there (a default, or nothing),
    /// which later stages must not take for what the file says.
    pub unknown: Unknown,
    pub(crate) spans: SpanIndex,
}

/// The JSON pointers of values a file gives but that could not be read: a
/// field recovery removed (`/ttl/jitter`), a whole entry it removed
/// (`/keys/patterns/quiz`), or a value `lower` rejected (a `ttl:` that is
/// neither a class nor a duration, an unknown Redis version).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Unknown {
    pointers: Vec<Vec<String>>,
}

impl Unknown {
    pub fn new(pointers: Vec<String>) -> Self {
        Unknown {
            pointers: pointers.iter().map(|p| tokens(p)).collect(),
        }
    }

    /// Whether reading `input` means reading an unknown value. `input` is a
    /// pointer in which `*` stands for any one name (`/keys/patterns/*/ttl`).
    /// It does when an unknown value lies at or under `input` (`/ttl` reads
    /// `/ttl/jitter`), or when `input` lies under an unknown value (a removed
    /// `/cluster` holds `/cluster/node_timeout`), except that a removed entry
    /// of a `*` (one whole key pattern) is absent, not unknown: what is said
    /// of the other entries still holds.
    pub fn affects(&self, input: &str) -> bool {
        let input = tokens(input);
        self.pointers.iter().any(|unknown| {
            let same = unknown.iter().zip(&input).all(|(u, i)| i == "*" || u == i);
            // The unknown value is one whole entry where `input` reads each
            // entry on its own (`/edge/routes/r` for `/edge/routes/*`, or
            // for `/keys/patterns/*/ttl`): the other entries are still known.
            let whole_entry = !unknown.is_empty()
                && unknown.len() <= input.len()
                && input[unknown.len() - 1] == "*";
            same && !whole_entry
        })
    }
}

fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The policy file a lock file was rendered from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// File name without directories (`quizmentor.yaml`).
    pub file_name: String,
}

impl Policy {
    /// Span of `pointer` + `/field` (or of the nearest thing that exists).
    pub fn span(&self, pointer: &str, field: &str) -> Span {
        let full = if field.is_empty() {
            pointer.to_owned()
        } else {
            format!("{pointer}/{field}")
        };
        self.spans.value(&full).unwrap_or_default()
    }

    /// Span of `pointer/field` only if the field is written in the file (no
    /// fallback to an ancestor), for rules that point at "the field if set,
    /// else something else".
    pub fn written_span(&self, pointer: &str, field: &str) -> Option<Span> {
        let full = format!("{pointer}/{field}");
        self.spans.key(&full)?;
        self.spans.value(&full)
    }

    /// Span of the mapping key that names the entity at `pointer`.
    pub fn key_span(&self, pointer: &str) -> Span {
        self.spans
            .key(pointer)
            .or_else(|| self.spans.value(pointer))
            .unwrap_or_default()
    }

    pub fn pattern(&self, name: &str) -> Option<&KeyPattern> {
        self.keys.patterns.get(name)
    }

    /// The one layout of a key as stored: `before` (a stampede-lock
    /// prefix), the version prefix, the segments joined by `:`, and in
    /// cluster mode the hash-tag braces around the tag's segments. The lock
    /// file, the Rust module, verify's classifier, `explain` and `diff` all
    /// build keys from this, so they cannot disagree about where a brace goes.
    pub fn stored_key<'a>(
        &self,
        store: &str,
        before: &str,
        segments: &'a [Segment],
        hash_tag: Option<(usize, usize)>,
    ) -> Vec<KeyPiece<'a>> {
        fn text<'a>(pieces: &mut Vec<KeyPiece<'a>>, t: &str) {
            if t.is_empty() {
                return;
            }
            match pieces.last_mut() {
                Some(KeyPiece::Text(last)) => last.push_str(t),
                _ => pieces.push(KeyPiece::Text(t.to_owned())),
            }
        }
        let mut pieces = Vec::new();
        text(&mut pieces, before);
        if let Some(prefix) = &self.keys.version_prefix {
            text(&mut pieces, prefix);
            text(&mut pieces, ":");
        }
        let braces =
            hash_tag.filter(|&(s, e)| self.store_is_cluster(store) && s < e && e <= segments.len());
        for (i, segment) in segments.iter().enumerate() {
            if i > 0 {
                text(&mut pieces, ":");
            }
            if braces.is_some_and(|(start, _)| start == i) {
                text(&mut pieces, "{");
            }
            match segment {
                Segment::Literal(t) => text(&mut pieces, t),
                Segment::Placeholder { name, ty } => {
                    pieces.push(KeyPiece::Placeholder { name, ty })
                }
            }
            if braces.is_some_and(|(_, end)| end == i + 1) {
                text(&mut pieces, "}");
            }
        }
        pieces
    }

    /// `stored_key` written out with placeholders as `<name>`:
    /// `lock:v2:{quiz:<quiz_id>}:leaderboard`.
    pub fn stored_shape(
        &self,
        store: &str,
        before: &str,
        segments: &[Segment],
        hash_tag: Option<(usize, usize)>,
    ) -> String {
        self.stored_key(store, before, segments, hash_tag)
            .iter()
            .map(|p| match p {
                KeyPiece::Text(t) => t.clone(),
                KeyPiece::Placeholder { name, .. } => format!("<{name}>"),
            })
            .collect()
    }

    /// Whether the store is a Redis Cluster (hash slots matter there).
    pub fn store_is_cluster(&self, store: &str) -> bool {
        self.stores.get(store).is_some_and(|s| s.cluster.is_some())
    }

    /// The store a pattern's keys live in.
    pub fn store_of(&self, pattern: &KeyPattern) -> &Store {
        self.stores
            .get(&pattern.store)
            .unwrap_or_else(|| self.first_store())
    }

    /// The first store declared (`lower` guarantees there is one).
    pub fn first_store(&self) -> &Store {
        self.stores
            .first()
            .map(|(_, s)| s)
            .expect("lower always gives a policy a store")
    }

    /// The patterns whose keys live in `store`, in file order.
    pub fn patterns_in<'a>(&'a self, store: &'a str) -> impl Iterator<Item = &'a KeyPattern> {
        self.keys
            .patterns
            .values()
            .filter(move |p| p.store == store)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LintLevel {
    Allow,
    Warn,
    Deny,
}

/// One rule named in the policy's `lint:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintEntry {
    /// A rule code (`CG101`, any case) or kebab-case name, as written.
    pub rule: String,
    pub level: LintLevel,
    /// `/lint/<level>/<index>`, where the name is written.
    pub pointer: String,
}

#[derive(Debug)]
pub struct TtlRules {
    pub default: Duration,
    pub jitter: Percent,
    pub authenticated_cap: Option<Duration>,
    pub classes: IndexMap<String, Duration>,
    /// `ttl.max_staleness`: the staleness limit of every route and pattern
    /// without one of its own.
    pub max_staleness: Option<Duration>,
}

#[derive(Debug)]
pub struct Keys {
    pub version_prefix: Option<String>,
    pub previous_prefixes: Vec<String>,
    pub max_value_size: Option<MemorySize>,
    pub placeholders: IndexMap<String, PlaceholderType>,
    pub patterns: IndexMap<String, KeyPattern>,
}

impl Keys {
    /// What precedes the segments of every data and tag-set key:
    /// `<version_prefix>:`, or nothing without a version prefix.
    pub fn key_prefix(&self) -> String {
        self.version_prefix
            .as_ref()
            .map(|p| format!("{p}:"))
            .unwrap_or_default()
    }

    /// Patterns whose data must never be evicted or lost, in policy order.
    pub fn durable_patterns(&self) -> Vec<&KeyPattern> {
        self.patterns.values().filter(|p| p.durable).collect()
    }

    /// The value-size limit that applies to a pattern's keys, and the JSON
    /// pointer of the field that sets it: the pattern's own
    /// `max_value_size`, else `keys.max_value_size`.
    pub fn max_value_size_of(&self, pattern: &KeyPattern) -> Option<(MemorySize, String)> {
        value_size_limit(
            pattern.max_value_size,
            &pattern.pointer,
            self.max_value_size,
        )
    }
}

/// The value-size limit of an owner of keys at `owner` (a pattern's
/// pointer; `""` for keys with no limit of their own, such as tag sets and
/// stampede locks) and the pointer of the field that sets it: its own
/// `max_value_size`, else `keys.max_value_size`. The one rule `lower`,
/// `verify` and `explain` share.
pub fn value_size_limit(
    own: Option<MemorySize>,
    owner: &str,
    global: Option<MemorySize>,
) -> Option<(MemorySize, String)> {
    match own {
        Some(size) => Some((size, format!("{owner}/max_value_size"))),
        None => global.map(|size| (size, "/keys/max_value_size".to_owned())),
    }
}

/// How long a key lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ttl {
    /// Expires: `base` is the TTL before jitter (after the authenticated cap);
    /// `max` is the largest TTL a client may set (jitter included, within
    /// the cap). Built by `Ttl::expiring`.
    Expires { base: Duration, max: Duration },
    /// Never expires (`ttl: none`).
    Never,
}

impl Ttl {
    /// An expiring TTL of `base` plus up to `jitter` of it (rounded down), and
    /// under `cap` (the authenticated cap, for authenticated patterns) the
    /// whole range: when `base` plus its jitter would pass the cap, the base
    /// is lowered to the longest one whose jittered maximum still fits, so the
    /// key keeps its full jitter below the cap rather than every key
    /// expiring at the cap in the same second (15m cap, 10% jitter: 13m39s
    /// to 15m). Returns the base before the cap too when the cap lowered it.
    ///
    /// This is the one place the cap is applied: lint, explain, staleness, the
    /// lock and the generated Rust module read the result.
    pub fn expiring(
        base: Duration,
        jitter: Percent,
        cap: Option<Duration>,
    ) -> (Ttl, Option<Duration>) {
        let bp = u128::from(jitter.basis_points());
        let with_jitter = |b: u64| -> u64 {
            let spread = u128::from(b) * bp / 10_000;
            u64::try_from(u128::from(b) + spread).unwrap_or(u64::MAX)
        };
        let max = with_jitter(base.as_secs());
        match cap {
            Some(cap) if max > cap.as_secs() => {
                let cap = cap.as_secs();
                // The largest b with b + ⌊b·bp/10⁴⌋ ≤ cap: start at
                // ⌊cap·10⁴/(10⁴+bp)⌋, which fits, and step up while the
                // next one fits too (rounding allows at most a few steps).
                let mut b = u64::try_from(u128::from(cap) * 10_000 / (10_000 + bp))
                    .unwrap_or(u64::MAX)
                    .min(cap);
                while b < cap && with_jitter(b + 1) <= cap {
                    b += 1;
                }
                // Never 0s (`EX 0` is refused): a cap too short for any
                // jitter keeps 1s and cuts the jitter instead.
                let max = with_jitter(b).min(cap);
                let (b, max) = if b == 0 { (1, cap.max(1)) } else { (b, max) };
                (
                    Ttl::Expires {
                        base: Duration::from_secs(b),
                        max: Duration::from_secs(max),
                    },
                    Some(base),
                )
            }
            _ => (
                Ttl::Expires {
                    base,
                    max: Duration::from_secs(max),
                },
                None,
            ),
        }
    }

    pub fn max(self) -> Option<Duration> {
        match self {
            Ttl::Expires { max, .. } => Some(max),
            Ttl::Never => None,
        }
    }

    pub fn base(self) -> Option<Duration> {
        match self {
            Ttl::Expires { base, .. } => Some(base),
            Ttl::Never => None,
        }
    }
}

#[derive(Debug)]
pub struct KeyPattern {
    pub name: String,
    /// The store the keys live in (a key of `Policy::stores`).
    pub store: String,
    /// `/keys/patterns/<name>`.
    pub pointer: String,
    pub text: String,
    pub description: Option<String>,
    pub segments: Vec<Segment>,
    pub ttl: Ttl,
    /// The TTL class the TTL came from, if any.
    pub ttl_class: Option<String>,
    /// Set when `ttl.authenticated_cap` lowered the TTL: the base as
    /// resolved before the cap (the written duration or class, or
    /// `ttl.default`). `ttl` is the range after it (`Ttl::expiring`).
    pub ttl_capped_from: Option<Duration>,
    pub jitter: Percent,
    pub value_type: ValueType,
    pub strategy: Strategy,
    pub queue: Option<String>,
    pub refresh_when_remaining: Option<Percent>,
    pub authenticated: bool,
    pub durable: bool,
    /// Segment index range `[start, end)` that forms the hash tag.
    pub hash_tag: Option<(usize, usize)>,
    pub tags: Vec<String>,
    pub compress_above: Option<MemorySize>,
    /// The pattern's own limit, as written; `Keys::max_value_size_of` gives
    /// the one that applies.
    pub max_value_size: Option<MemorySize>,
    pub stampede_lock: Option<StampedeLock>,
    /// TTL of the application's in-process cache in front of Redis.
    pub app_ttl: Option<Duration>,
    pub max_staleness: Option<Duration>,
    /// Expected live keys; set only together with `value_size` (lowering
    /// reports one without the other).
    pub cardinality: Option<u64>,
    pub value_size: Option<MemorySize>,
}

impl KeyPattern {
    /// Names of the placeholders, in order.
    pub fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder { name, .. } => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// The hash tag as written in the pattern (`user:<user_id>`), if any.
    pub fn hash_tag_text(&self) -> Option<String> {
        let (start, end) = self.hash_tag?;
        Some(segments_text(&self.segments[start..end]))
    }
}

/// Writes segments back in pattern syntax.
pub fn segments_text(segments: &[Segment]) -> String {
    segments
        .iter()
        .map(|s| match s {
            Segment::Literal(t) => t.clone(),
            Segment::Placeholder { name, .. } => format!("<{name}>"),
        })
        .collect::<Vec<_>>()
        .join(":")
}

#[derive(Debug, Clone)]
pub struct StampedeLock {
    pub prefix: String,
    pub ttl: Duration,
}

#[derive(Debug)]
pub struct Tag {
    pub name: String,
    pub pointer: String,
    pub key_text: String,
    pub key: Vec<Segment>,
    pub ttl: Ttl,
    /// Patterns that list this tag.
    pub members: Vec<String>,
    /// The store the tag set lives in: its members' store.
    pub store: String,
}

#[derive(Debug)]
pub struct Event {
    pub name: String,
    pub pointer: String,
    pub params: Vec<String>,
    pub invalidate: Vec<String>,
    pub invalidate_tags: Vec<String>,
    pub when_changed: IndexMap<String, Vec<String>>,
}

#[derive(Debug)]
pub struct Edge {
    pub provider: EdgeProvider,
    pub zone: Option<String>,
    pub routes: IndexMap<String, Route>,
    pub credentials: Credentials,
}

/// What marks a request as carrying a user's credentials (`edge.credentials`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Header names as written (matched case-insensitively).
    pub headers: Vec<String>,
    /// Cookie names (case-sensitive).
    pub cookies: Vec<String>,
}

impl Credentials {
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty() && self.cookies.is_empty()
    }
}

#[derive(Debug)]
pub struct Route {
    pub name: String,
    pub pointer: String,
    pub path: Option<String>,
    pub extensions: Vec<String>,
    pub cache: CacheLevel,
    pub edge_ttl: Option<Duration>,
    pub browser_ttl: Option<Duration>,
    pub stale_while_revalidate: Option<Duration>,
    pub stale_if_error: Option<Duration>,
    pub vary: Vec<String>,
    pub authenticated: bool,
    /// Explicit `visibility`, if given.
    pub visibility_set: Option<Visibility>,
    /// Effective visibility (defaulted from `authenticated`).
    pub visibility: Visibility,
    pub immutable: bool,
    pub headers: IndexMap<String, String>,
    /// Key patterns the responses are built from (resolved, in policy order
    /// of the list, without duplicates).
    pub serves: Vec<String>,
    pub max_staleness: Option<Duration>,
}

impl Route {
    /// Whether no HTTP cache may store the response at all. The same rule
    /// as the origin's `Cache-Control: private, no-store` (rendered by
    /// `render::cloudflare`, which asks here): bypassed and authenticated
    /// routes are never stored, by the edge or the browser.
    pub fn is_no_store(&self) -> bool {
        self.cache == CacheLevel::Bypass || self.authenticated
    }

    /// Whether a shared cache (the edge) may store the response: not
    /// no-store, and either public or given an edge TTL that overrides the
    /// origin. A private route that respects the origin is never stored
    /// there, whatever it varies by or serves.
    pub fn stored_at_edge(&self) -> bool {
        !self.is_no_store() && (self.visibility == Visibility::Public || self.edge_ttl.is_some())
    }
}

#[derive(Debug)]
pub struct WarmTask {
    pub name: String,
    pub pointer: String,
    pub keys: Vec<String>,
    pub on_startup: bool,
    pub schedule: Option<String>,
    pub limit: Option<u32>,
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::{Ttl, Unknown};
    use crate::load::units::{self, Duration};

    #[test]
    fn a_capped_range_keeps_its_jitter_below_the_cap() {
        for cap in ["1s", "59s", "15m", "30m", "1h", "7d"] {
            for jitter in ["0%", "1%", "10%", "12.5%", "50%", "100%"] {
                let cap_d = units::parse_duration(cap).unwrap();
                let j = units::parse_percent(jitter).unwrap();
                for asked in [cap_d.as_secs(), cap_d.as_secs() + 1, cap_d.as_secs() * 4] {
                    let (ttl, from) = Ttl::expiring(Duration::from_secs(asked), j, Some(cap_d));
                    let Ttl::Expires { base, max } = ttl else {
                        panic!("expires")
                    };
                    let (b, m) = (base.as_secs(), max.as_secs());
                    let spread = |b: u64| b * u64::from(j.basis_points()) / 10_000;
                    let what = format!("{asked}s under {cap} with {jitter}");
                    assert!(b >= 1, "{what}: never a 0s TTL");
                    assert!(m <= cap_d.as_secs(), "{what}: max {m}");
                    if b + spread(b) <= cap_d.as_secs() {
                        assert_eq!(m, b + spread(b), "{what}: the jitter is kept whole");
                        assert!(
                            b + 1 + spread(b + 1) > cap_d.as_secs(),
                            "{what}: base {b} is the longest that fits"
                        );
                    } else {
                        // Only the 1s floor may cut the jitter.
                        assert_eq!((b, m), (1, cap_d.as_secs()), "{what}");
                    }
                    // Lowered exactly when the asked range passes the cap.
                    assert_eq!(
                        from.is_some(),
                        asked + spread(asked) > cap_d.as_secs(),
                        "{what}"
                    );
                    // Lowering is a fixed point: the lowered base is not lowered
                    // again (a lock written from the model reads back the same).
                    // (At the 1s floor the range is the same, but it is
                    // still reported as lowered: 1s plus its jitter passes.)
                    let (again, from_again) = Ttl::expiring(base, j, Some(cap_d));
                    assert_eq!(again, ttl, "{what}");
                    if b + spread(b) <= cap_d.as_secs() {
                        assert_eq!(from_again, None, "{what}");
                    }
                }
            }
        }
    }

    #[test]
    fn unknown_values_affect_what_reads_them() {
        let unknown = Unknown::new(vec![
            "/ttl/jitter".into(),
            "/cluster".into(),
            "/keys/patterns/quiz".into(),
        ]);
        // At or under what a rule reads.
        assert!(unknown.affects("/ttl"));
        assert!(unknown.affects("/ttl/jitter"));
        // Under a removed value.
        assert!(unknown.affects("/cluster/node_timeout"));
        // A whole collection with a removed entry.
        assert!(unknown.affects("/keys/patterns"));
        assert!(unknown.affects("/keys"));
        // A removed entry under `*` is absent, not unknown.
        assert!(!unknown.affects("/keys/patterns/*/ttl"));
        assert!(!unknown.affects("/ttl/classes"));
        assert!(!unknown.affects("/redis"));
        assert!(!Unknown::default().affects("/ttl"));
        // One removed route: rules about each route still run; a rule about
        // the routes as a whole does not.
        let route = Unknown::new(vec!["/edge/routes/r".into()]);
        assert!(!route.affects("/edge/routes/*"));
        assert!(route.affects("/edge/routes"));
        let pattern_ttl = Unknown::new(vec!["/keys/patterns/quiz/ttl".into()]);
        assert!(pattern_ttl.affects("/keys/patterns/*/ttl"));
        assert!(!pattern_ttl.affects("/keys/patterns/*/durable"));
    }
}
