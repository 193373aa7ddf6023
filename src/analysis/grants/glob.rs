//! Owns key globs: the Redis glob of a key shape (literals escaped for
//! `stringmatchlen`, placeholders `*`), a representative key of a shape,
//! and matching such a glob against a key the way Redis does.

use crate::keys::{KeyPiece, Segment};
use crate::policy::model::Policy;

/// The Redis glob matching exactly the stored keys of a shape: literal text
/// escaped, each placeholder `*`.
pub fn pattern_glob(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> String {
    policy
        .stored_key(store, before, segments, hash_tag)
        .iter()
        .map(|piece| match piece {
            KeyPiece::Text(t) => escape_glob(t),
            KeyPiece::Placeholder { .. } => "*".to_owned(),
        })
        .collect()
}

/// Literal text for Redis' `stringmatchlen`: `\` escapes the next byte, so
/// every character the matcher treats specially gets one.
pub fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether a glob made by [`pattern_glob`] (literal bytes, `\`-escapes and
/// `*`) matches `key`, as Redis' `stringmatchlen` decides for such globs.
pub fn glob_matches(glob: &str, key: &str) -> bool {
    // Tokens: Some(byte) a literal, None a `*`.
    let mut tokens: Vec<Option<u8>> = Vec::new();
    let mut bytes = glob.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'*' => tokens.push(None),
            b'\\' => tokens.push(Some(bytes.next().unwrap_or(b'\\'))),
            b => tokens.push(Some(b)),
        }
    }
    let key = key.as_bytes();
    // reach[j]: the tokens so far can match key[..j].
    let mut reach = vec![false; key.len() + 1];
    reach[0] = true;
    for t in tokens {
        let mut next = vec![false; key.len() + 1];
        match t {
            None => {
                let mut on = false;
                for j in 0..=key.len() {
                    on |= reach[j];
                    next[j] = on;
                }
            }
            Some(b) => {
                for j in 0..key.len() {
                    next[j + 1] = reach[j] && key[j] == b;
                }
            }
        }
        reach = next;
    }
    reach[key.len()]
}

/// A key of a shape with each placeholder an example value of its type.
pub fn example_key(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> String {
    policy
        .stored_key(store, before, segments, hash_tag)
        .iter()
        .map(|piece| match piece {
            KeyPiece::Text(t) => t.clone(),
            KeyPiece::Placeholder { ty, .. } => ty.example(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_literals_match_only_themselves() {
        assert_eq!(escape_glob("a*b?c[d]e\\f"), "a\\*b\\?c\\[d\\]e\\\\f");
        assert_eq!(escape_glob("user:{1}"), "user:{1}");
        let glob = escape_glob("a*b") + ":*";
        assert!(glob_matches(&glob, "a*b:1"));
        assert!(!glob_matches(&glob, "aXb:1"));
    }

    #[test]
    fn globs_match_as_redis_does() {
        assert!(glob_matches("v1:user:*", "v1:user:5"));
        assert!(glob_matches("v1:user:*", "v1:user:5:secret"));
        assert!(!glob_matches("v1:user:*:secret", "v1:user:5"));
        assert!(glob_matches("v1:user:*:secret", "v1:user:5:secret"));
        assert!(glob_matches("a*", "a"));
        assert!(!glob_matches("a", "ab"));
        assert!(glob_matches("\\\\", "\\"));
    }
}
