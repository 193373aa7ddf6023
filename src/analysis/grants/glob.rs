//! Owns key globs: the Redis glob of a key shape (literals escaped for
//! `stringmatchlen`, placeholders `*`), a representative key of a shape,
//! and matching a Redis glob (a key's or a channel's) the way Redis does.

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

/// One element of a Redis glob: a byte, `?`, `*`, or a `[...]` class
/// (byte ranges, `^` negating).
enum Token {
    Byte(u8),
    One,
    Any,
    Class { negate: bool, ranges: Vec<(u8, u8)> },
}

/// A glob read as Redis' `stringmatchlen` (util.c) reads it: `\` escapes
/// the next byte (a trailing one is itself), `[` opens a class that `]`
/// ends (or the glob's end), whose `^` first negates, `a-z` is a range in
/// either order and `\` escapes; `?` any byte, `*` any bytes.
fn tokens(glob: &str) -> Vec<Token> {
    let g = glob.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < g.len() {
        match g[i] {
            b'*' => out.push(Token::Any),
            b'?' => out.push(Token::One),
            b'\\' if i + 1 < g.len() => {
                i += 1;
                out.push(Token::Byte(g[i]));
            }
            b'[' => {
                i += 1;
                let negate = g.get(i) == Some(&b'^');
                if negate {
                    i += 1;
                }
                let mut ranges = Vec::new();
                while i < g.len() && g[i] != b']' {
                    if g[i] == b'\\' && i + 1 < g.len() {
                        i += 1;
                        ranges.push((g[i], g[i]));
                    } else if i + 2 < g.len() && g[i + 1] == b'-' {
                        let (a, b) = (g[i], g[i + 2]);
                        ranges.push((a.min(b), a.max(b)));
                        i += 2;
                    } else {
                        ranges.push((g[i], g[i]));
                    }
                    i += 1;
                }
                out.push(Token::Class { negate, ranges });
            }
            b => out.push(Token::Byte(b)),
        }
        i += 1;
    }
    out
}

/// Whether a Redis glob (a key glob made by [`pattern_glob`], or a
/// channel glob a policy writes) matches `text`, as Redis'
/// `stringmatchlen` decides (case-sensitive).
pub fn glob_matches(glob: &str, text: &str) -> bool {
    let text = text.as_bytes();
    // reach[j]: the tokens so far can match text[..j].
    let mut reach = vec![false; text.len() + 1];
    reach[0] = true;
    for t in tokens(glob) {
        let mut next = vec![false; text.len() + 1];
        if let Token::Any = t {
            let mut on = false;
            for j in 0..=text.len() {
                on |= reach[j];
                next[j] = on;
            }
        } else {
            for j in 0..text.len() {
                let c = text[j];
                let fits = match &t {
                    Token::Byte(b) => c == *b,
                    Token::One => true,
                    Token::Class { negate, ranges } => {
                        ranges.iter().any(|(a, b)| (*a..=*b).contains(&c)) != *negate
                    }
                    Token::Any => unreachable!(),
                };
                next[j + 1] = reach[j] && fits;
            }
        }
        reach = next;
    }
    reach[text.len()]
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

    /// The rest of `stringmatchlen`'s syntax, which channel globs may use.
    #[test]
    fn classes_and_single_bytes_match_as_redis_does() {
        let hello = "__sentinel__:hello";
        for glob in [
            "*",
            "__*",
            "?*",
            "__sentinel__:h?llo",
            "[_]_sentinel__:hello",
            "__sentinel__:[a-z]ello",
            "__sentinel__:[z-a]ello",
            "__sentinel__:[^x]ello",
            "__sentinel__:\\hello",
            "__sentinel__:hell[o",
        ] {
            assert!(glob_matches(glob, hello), "{glob}");
        }
        for glob in [
            "__sentinel__:?",
            "__sentinel__:[^h]ello",
            "__sentinel__:[]hello",
            "__sentinel__:[A-Z]ello",
            "__sentinel__:hello?",
            "\\*",
            "cart:*",
        ] {
            assert!(!glob_matches(glob, hello), "{glob}");
        }
    }
}
