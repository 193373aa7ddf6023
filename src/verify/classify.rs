//! Owns the one compiled matcher that tells, for any key read back from
//! Redis, which declared thing owns it: a key pattern, a tag set, a stampede
//! lock, a pattern under an old version prefix, or nothing. It also owns what
//! each owner expects of its keys (TTL bound, type, durability, thresholds).
//!
//! All owners compile into one `regex_automata::meta::Regex` (anchored, one
//! pattern per owner), so classifying a key costs one search, not one per
//! pattern. `check` has already proven the key patterns unambiguous.

use crate::keys::{KeyPiece, Segment, type_regex};
use crate::policy::model::{KeyPattern, Policy, Ttl, ValueType, value_size_limit};
use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input};

/// What owns a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Index into [`Classifier::owners`].
    Owned(usize),
    /// Carries a previous version prefix (`v1:`).
    OldVersion,
    Unknown,
}

/// A declared owner of keys and what it promises about them.
#[derive(Debug, Clone)]
pub struct Owner {
    /// How the report names it: `session`, `tag set quizzes`,
    /// `quiz_leaderboard stampede lock`.
    pub label: String,
    /// The key pattern's name, for grouping (a lock is grouped under its pattern).
    pub pattern: String,
    /// Policy pointer and field the findings point at.
    pub pointer: String,
    pub field: &'static str,
    /// The key shape as stored (`v2:{user:<user_id>}:profile`).
    pub shape: String,
    /// Largest remaining TTL allowed, in ms; `None` = must not expire.
    pub ttl_max_ms: Option<u64>,
    pub durable: bool,
    /// The Redis `TYPE` reply expected.
    pub value_type: &'static str,
    /// Largest value allowed, in bytes, and the policy pointer of the field
    /// that sets it (the pattern's own `max_value_size`, else the keys
    /// section's).
    pub max_value_size: Option<(u64, String)>,
}

pub struct Classifier {
    regex: Regex,
    pub owners: Vec<Owner>,
    /// `v1:`-style prefixes of earlier key versions, compared as bytes after
    /// the regex misses (any key bytes, newlines and non-UTF-8 included).
    old_prefixes: Vec<Vec<u8>>,
}

/// `TYPE` reply for a declared value type: the policy names value types as
/// Redis's `TYPE` does, so the policy's spelling is the reply.
pub fn type_name(t: ValueType) -> &'static str {
    crate::policy::lock::spelling(t)
}

fn ttl_max_ms(ttl: Ttl) -> Option<u64> {
    ttl.max().map(|d| d.as_micros().div_ceil(1000))
}

/// The stored key's regex body and its display shape, from the one key
/// layout (`Policy::stored_key`).
fn key_shape(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> (String, String) {
    let regex = policy
        .stored_key(store, before, segments, hash_tag)
        .iter()
        .map(|piece| match piece {
            KeyPiece::Text(t) => escape(t),
            KeyPiece::Placeholder { ty, .. } => format!("(?:{})", type_regex(ty)),
        })
        .collect();
    (
        regex,
        policy.stored_shape(store, before, segments, hash_tag),
    )
}

fn escape(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len());
    for c in literal.chars() {
        if !c.is_ascii_alphanumeric() && c != '_' && c != ':' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Classifier {
    /// The classifier of the policy's first store (the only one, in tests).
    pub fn new(policy: &Policy) -> Result<Classifier, String> {
        Classifier::for_store(policy, &policy.first_store().name)
    }

    /// The classifier of one store: its patterns, locks and tag sets. A key
    /// of another store's pattern is unknown here.
    pub fn for_store(policy: &Policy, store: &str) -> Result<Classifier, String> {
        // Regex pattern id i is owner i: one regex per owner, same order.
        let mut regexes: Vec<String> = Vec::new();
        let mut owners = Vec::new();
        let mut add = |regex: String, owner: Owner| {
            regexes.push(format!("{regex}$"));
            owners.push(owner);
        };
        for p in policy.patterns_in(store) {
            let (regex, shape) = key_shape(policy, store, "", &p.segments, p.hash_tag);
            add(regex, pattern_owner(policy, p, shape));
            if let Some(lock) = &p.stampede_lock {
                let (regex, shape) =
                    key_shape(policy, store, &lock.prefix, &p.segments, p.hash_tag);
                add(
                    regex,
                    Owner {
                        label: format!("{} stampede lock", p.name),
                        pattern: p.name.clone(),
                        pointer: p.pointer.clone(),
                        field: "stampede_lock",
                        shape,
                        ttl_max_ms: Some(lock.ttl.as_micros().div_ceil(1000)),
                        durable: false,
                        value_type: "string",
                        max_value_size: global_limit(policy),
                    },
                );
            }
        }
        for t in policy.tags.values().filter(|t| t.store == store) {
            let (regex, shape) = key_shape(policy, store, "", &t.key, None);
            add(
                regex,
                Owner {
                    label: format!("tag set {}", t.name),
                    pattern: format!("tag:{}", t.name),
                    pointer: t.pointer.clone(),
                    field: "ttl",
                    shape,
                    ttl_max_ms: ttl_max_ms(t.ttl),
                    durable: false,
                    value_type: "set",
                    max_value_size: global_limit(policy),
                },
            );
        }
        // No size limit: a policy with thousands of patterns is valid, and
        // its classifier must compile (the default limit refused 5,000
        // uuid + token patterns).
        // ASCII mode over bytes: key patterns are ASCII, keys may be any
        // bytes, and the release build compiles regex-automata without its
        // Unicode tables (Cargo.toml), so Unicode mode must never be needed.
        let regex = Regex::builder()
            .configure(Regex::config().nfa_size_limit(None))
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .build_many(&regexes)
            .map_err(|e| format!("cannot compile the key classifier: {e}"))?;
        Ok(Classifier {
            regex,
            owners,
            old_prefixes: policy
                .keys
                .previous_prefixes
                .iter()
                .map(|p| format!("{p}:").into_bytes())
                .collect(),
        })
    }

    pub fn classify(&self, key: &[u8]) -> Class {
        let input = Input::new(key).anchored(Anchored::Yes);
        match self.regex.search(&input) {
            // Every regex ends in `$`, so an anchored match covers the key.
            Some(m) => Class::Owned(m.pattern().as_usize()),
            None if self.old_prefixes.iter().any(|p| key.starts_with(p)) => Class::OldVersion,
            None => Class::Unknown,
        }
    }
}

/// `keys.max_value_size`: the limit of keys that are not a pattern's data
/// (stampede locks, tag sets).
fn global_limit(policy: &Policy) -> Option<(u64, String)> {
    value_size_limit(None, "", policy.keys.max_value_size).map(|(size, at)| (size.bytes(), at))
}

fn pattern_owner(policy: &Policy, p: &KeyPattern, shape: String) -> Owner {
    Owner {
        label: p.name.clone(),
        pattern: p.name.clone(),
        pointer: p.pointer.clone(),
        field: "pattern",
        shape,
        ttl_max_ms: ttl_max_ms(p.ttl),
        durable: p.durable,
        value_type: type_name(p.value_type),
        max_value_size: policy
            .keys
            .max_value_size_of(p)
            .map(|(size, pointer)| (size.bytes(), pointer)),
    }
}

/// The group an unknown key is counted under: its first two segments with
/// digit runs folded to `#`, so `legacy:42:x` and `legacy:7:y` share
/// `legacy:#:*` and a million user ids do not make a million groups.
pub fn unknown_prefix(key: &[u8]) -> String {
    let mut out = String::new();
    let mut segments = 0;
    let mut in_digits = false;
    for &b in key.iter().take(200) {
        if b == b':' {
            segments += 1;
            if segments == 2 {
                out.push_str(":*");
                return out;
            }
            out.push(':');
            in_digits = false;
            continue;
        }
        if b.is_ascii_digit() {
            if !in_digits {
                out.push('#');
                in_digits = true;
            }
            continue;
        }
        in_digits = false;
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Prints a key for humans: printable ASCII as is, anything else escaped, so
/// a hostile key name cannot drive the terminal.
pub fn printable_key(key: &[u8]) -> String {
    let mut out = String::new();
    for &b in key.iter().take(200) {
        if b.is_ascii_graphic() || b == b' ' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    if key.len() > 200 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(path: &str) -> Policy {
        let report = crate::check_path(std::path::Path::new(path), &Default::default());
        report.policy.expect("policy checks")
    }

    #[test]
    fn quizmentor_keys_find_their_owners() {
        let p = policy(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/policies/quizmentor.yaml"
        ));
        let c = Classifier::for_store(&p, "cache").unwrap();
        let durable = Classifier::for_store(&p, "durable").unwrap();
        let owner_in = |c: &Classifier, key: &str| match c.classify(key.as_bytes()) {
            Class::Owned(i) => c.owners[i].label.clone(),
            other => format!("{other:?}"),
        };
        let owner = |key: &str| owner_in(&c, key);
        assert_eq!(owner("v2:{user:42}:profile"), "user_profile");
        assert_eq!(owner("v2:leaderboard:global"), "leaderboard_global");
        assert_eq!(owner("v2:leaderboard:topic:rust-101"), "leaderboard_topic");
        assert_eq!(
            owner("lock:v2:{quiz:9}:leaderboard"),
            "quiz_leaderboard stampede lock"
        );
        assert_eq!(
            owner("refresh_lock:v2:leaderboard:global"),
            "leaderboard_global stampede lock"
        );
        assert_eq!(owner("v2:tag:user:42"), "tag set user");
        // The queue lives in the durable store: the cache does not own it.
        assert_eq!(owner("v2:answer_write_queue"), "Unknown");
        assert_eq!(
            owner_in(&durable, "v2:answer_write_queue"),
            "answer_write_queue"
        );
        assert_eq!(owner_in(&durable, "v2:{user:42}:profile"), "Unknown");
        assert_eq!(owner("v1:{user:42}:profile"), "OldVersion");
        assert_eq!(owner("v1:anything"), "OldVersion");
        assert_eq!(owner("v1:a\nb"), "OldVersion");
        assert!(matches!(c.classify(b"v1:\xff"), Class::OldVersion));
        // In a cluster policy the hash tag braces are part of the key.
        assert_eq!(owner("v2:user:42:profile"), "Unknown");
        assert_eq!(owner("v2:{user:x}:profile"), "Unknown");
        assert_eq!(owner("v2:{user:42}:profile:extra"), "Unknown");
        assert_eq!(owner_in(&durable, "v2:session:\u{0}"), "Unknown");
        let session = &durable
            .owners
            .iter()
            .find(|o| o.label == "session")
            .unwrap();
        assert_eq!(session.ttl_max_ms, Some(66_000));
        assert!(session.durable);
    }

    #[test]
    fn unknown_prefixes_fold_ids() {
        assert_eq!(unknown_prefix(b"legacy:42:x"), "legacy:#:*");
        assert_eq!(unknown_prefix(b"legacy:7:y:z"), "legacy:#:*");
        assert_eq!(unknown_prefix(b"temp123"), "temp#");
        assert_eq!(unknown_prefix(b"a\x1b[b:c"), "a\\x1b[b:c");
        assert_eq!(printable_key(b"k\x07\n"), "k\\x07\\x0a");
    }

    /// Issue 15: user-defined types classify by their regex (embedded as a
    /// normalized group), `ip` by its canonical text only.
    #[test]
    fn regex_and_ip_keys_find_their_owners() {
        let p = policy(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/build-regex.yaml"
        ));
        let c = Classifier::new(&p).unwrap();
        let owner = |key: &str| match c.classify(key.as_bytes()) {
            Class::Owned(i) => c.owners[i].label.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(owner("c1:item:ABC-1234"), "item");
        assert_eq!(owner("c1:item:ABC-123456"), "item");
        assert_eq!(owner("c1:item:AB1"), "short");
        assert_eq!(owner("lock:c1:item:ABC-1234"), "item stampede lock");
        assert_eq!(owner("c1:r:ap-se:ABC-1234"), "by_region");
        assert_eq!(owner("c1:t:us"), "tag set region");
        assert_eq!(owner("c1:rl:10.0.0.1:AB1"), "limit");
        assert_eq!(owner("c1:rl:--1:AB1"), "limit");
        for unknown in [
            "c1:item:ABC-1234567",
            "c1:item:abc-1234",
            "c1:item:AB",
            "c1:r:ap-SE:ABC-1234",
            "c1:rl:0-0-0-0-0-0-0-1:AB1",
            "c1:rl:10.0.0.01:AB1",
        ] {
            assert_eq!(owner(unknown), "Unknown", "{unknown}");
        }
    }
}
