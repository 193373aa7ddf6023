//! Owns the key-pattern language: `user:<user_id>:profile` parsed into typed
//! segments, the value space of each placeholder type, and the check that no
//! two patterns can match the same concrete key.
//!
//! Placeholders use `<name>` because `{...}` inside a real Redis key is a hash
//! tag; a pattern language built on braces cannot say where a tag is.

pub mod ambiguity;
pub mod dfa;
pub mod ip;
pub mod regex_type;

pub use regex_type::RegexType;
use std::sync::{Arc, OnceLock};

/// The value space of a key placeholder. The policy file's spelling is
/// `policy::raw::PlaceholderDef`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PlaceholderType {
    /// Decimal digits, e.g. `42`.
    Int,
    /// A lowercase hyphenated UUID.
    Uuid,
    /// Lowercase letters, digits, `-` and `_`.
    Slug,
    /// Letters, digits, `-` and `_` (session ids, API tokens).
    Token,
    /// 32 lowercase hex digits (an md5 digest of request parameters).
    Md5,
    /// A client IP address: IPv4 dotted decimal (`192.0.2.1`) or IPv6 in
    /// RFC 5952 form with `-` for `:` (`2001-db8--1`); see `keys::ip`.
    Ip,
    /// A user-defined type: the whole segment matches a bounded regex.
    Pattern(Arc<RegexType>),
}

impl PlaceholderType {
    /// One value of the type, as a key holds it (a shortest match for a
    /// user-defined type). Lint CG506 builds representative keys from these.
    pub fn example(&self) -> String {
        match self {
            PlaceholderType::Int => "42".into(),
            PlaceholderType::Uuid => "123e4567-e89b-12d3-a456-426614174000".into(),
            PlaceholderType::Slug => "rust-101".into(),
            PlaceholderType::Token => "tok_9Xa".into(),
            PlaceholderType::Md5 => "0cc175b9c0f1b6a831c399e269772661".into(),
            PlaceholderType::Ip => "2001-db8--1".into(),
            PlaceholderType::Pattern(r) => r.table.example().unwrap_or_default(),
        }
    }

    /// The built-in types, in the order the policy format lists them.
    pub const BUILTIN: [PlaceholderType; 6] = [
        PlaceholderType::Int,
        PlaceholderType::Uuid,
        PlaceholderType::Slug,
        PlaceholderType::Token,
        PlaceholderType::Md5,
        PlaceholderType::Ip,
    ];

    /// The type's DFA table, built once per built-in type.
    pub fn table(&self) -> &regex_type::Table {
        static TABLES: [OnceLock<regex_type::Table>; 6] = [const { OnceLock::new() }; 6];
        let i = match self {
            PlaceholderType::Pattern(r) => return &r.table,
            PlaceholderType::Int => 0,
            PlaceholderType::Uuid => 1,
            PlaceholderType::Slug => 2,
            PlaceholderType::Token => 3,
            PlaceholderType::Md5 => 4,
            PlaceholderType::Ip => 5,
        };
        TABLES[i].get_or_init(|| regex_type::builtin_table(type_regex(self)))
    }
}

/// One `:`-separated segment of a key pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Literal(String),
    Placeholder { name: String, ty: PlaceholderType },
}

/// A parse error inside a pattern string: byte range within the string and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub start: usize,
    pub end: usize,
    pub message: String,
    pub help: Option<String>,
}

/// A placeholder that the pattern uses but the policy does not declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undeclared {
    pub name: String,
    pub start: usize,
    pub end: usize,
}

/// Literal characters allowed in key segments. Excludes `{` `}` (hash tags),
/// glob characters `* ? [ ]` (they break SCAN MATCH), whitespace, quotes and
/// control characters (they break redis-cli, redis.conf and Rust literals).
pub fn is_literal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '@' | '=' | '+' | ',')
}

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
        && name.len() <= 64
}

/// Parses a key pattern. `lookup` gives each placeholder's declared type.
/// Returns the segments, or every syntax error found; undeclared placeholders
/// are returned separately so the caller can report them as references.
pub fn parse_pattern(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<PlaceholderType>,
) -> Result<(Vec<Segment>, Vec<Undeclared>), Vec<PatternError>> {
    let mut segments = Vec::new();
    let mut errors = Vec::new();
    let mut undeclared = Vec::new();
    if text.is_empty() {
        return Err(vec![PatternError {
            start: 0,
            end: 0,
            message: "key pattern is empty".into(),
            help: None,
        }]);
    }
    let mut offset = 0;
    for raw in text.split(':') {
        let start = offset;
        let end = start + raw.len();
        offset = end + 1;
        if raw.is_empty() {
            errors.push(PatternError {
                start,
                end: (start + 1).min(text.len()),
                message: "key pattern has an empty segment".into(),
                help: Some("segments are separated by a single `:`".into()),
            });
            continue;
        }
        if let Some(inner) = raw.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
            if !is_identifier(inner) {
                errors.push(PatternError {
                    start,
                    end,
                    message: format!("`{raw}` is not a valid placeholder"),
                    help: Some(
                        "placeholder names are lowercase identifiers, e.g. `<user_id>`".into(),
                    ),
                });
                continue;
            }
            if segments
                .iter()
                .any(|s| matches!(s, Segment::Placeholder { name, .. } if name == inner))
            {
                errors.push(PatternError {
                    start,
                    end,
                    message: format!("placeholder `<{inner}>` appears twice"),
                    help: Some("each placeholder may appear once per pattern".into()),
                });
                continue;
            }
            match lookup(inner) {
                Some(ty) => segments.push(Segment::Placeholder {
                    name: inner.to_owned(),
                    ty,
                }),
                None => {
                    undeclared.push(Undeclared {
                        name: inner.to_owned(),
                        start,
                        end,
                    });
                    // Keep going with a permissive type so later checks still run.
                    segments.push(Segment::Placeholder {
                        name: inner.to_owned(),
                        ty: PlaceholderType::Token,
                    });
                }
            }
            continue;
        }
        if raw.contains(['<', '>']) {
            errors.push(PatternError {
                start,
                end,
                message: format!("`{raw}` mixes a placeholder with literal text"),
                help: Some("a placeholder must fill a whole segment: write `user:<user_id>`, not `user<user_id>`".into()),
            });
            continue;
        }
        if let Some((i, c)) = raw.char_indices().find(|&(_, c)| !is_literal_char(c)) {
            let why = match c {
                '{' | '}' => "braces make a Redis hash tag; use `hash_tag` to choose one",
                '*' | '?' | '[' | ']' => "glob characters would make SCAN MATCH patterns ambiguous",
                _ if c.is_whitespace() || c.is_control() => {
                    "whitespace and control characters break redis-cli and redis.conf"
                }
                _ => "allowed: letters, digits and _ - . / @ = + ,",
            };
            errors.push(PatternError {
                start: start + i,
                end: start + i + c.len_utf8(),
                message: format!("character {c:?} is not allowed in a key pattern"),
                help: Some(why.into()),
            });
            continue;
        }
        segments.push(Segment::Literal(raw.to_owned()));
    }
    if errors.is_empty() {
        Ok((segments, undeclared))
    } else {
        Err(errors)
    }
}

/// Whether a literal segment could be a value of the placeholder type.
pub fn type_accepts(ty: &PlaceholderType, literal: &str) -> bool {
    let is_hex_lower = |c: char| c.is_ascii_digit() || matches!(c, 'a'..='f');
    match ty {
        PlaceholderType::Int => !literal.is_empty() && literal.bytes().all(|b| b.is_ascii_digit()),
        PlaceholderType::Slug => {
            !literal.is_empty()
                && literal
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        }
        PlaceholderType::Token => {
            !literal.is_empty()
                && literal
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }
        PlaceholderType::Md5 => literal.len() == 32 && literal.chars().all(is_hex_lower),
        PlaceholderType::Uuid => {
            let groups: Vec<&str> = literal.split('-').collect();
            groups.len() == 5
                && groups
                    .iter()
                    .zip([8, 4, 4, 4, 12])
                    .all(|(g, n)| g.len() == n && g.chars().all(is_hex_lower))
        }
        PlaceholderType::Ip => ip::accepts(literal),
        PlaceholderType::Pattern(r) => r.table.accepts(literal.as_bytes()),
    }
}

/// One piece of a key as stored in Redis (see `Policy::stored_key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPiece<'a> {
    /// Fixed text: a lock or version prefix, `:` separators, hash-tag
    /// braces, literal segments. Adjacent texts are merged.
    Text(String),
    Placeholder {
        name: &'a str,
        ty: &'a PlaceholderType,
    },
}

/// Matches a stored key against its pieces, returning each placeholder's
/// value. No placeholder type admits `:`, `{` or `}`, so a value runs to the
/// next of those (or the end): the same language the classifier's regex
/// accepts.
pub fn match_stored(pieces: &[KeyPiece<'_>], key: &str) -> Option<Vec<(String, String)>> {
    let mut rest = key;
    let mut params = Vec::new();
    for piece in pieces {
        match piece {
            KeyPiece::Text(text) => rest = rest.strip_prefix(text.as_str())?,
            KeyPiece::Placeholder { name, ty } => {
                let end = rest.find([':', '{', '}']).unwrap_or(rest.len());
                let (value, after) = rest.split_at(end);
                if !type_accepts(ty, value) {
                    return None;
                }
                params.push(((*name).to_owned(), value.to_owned()));
                rest = after;
            }
        }
    }
    rest.is_empty().then_some(params)
}

/// Whether two placeholder types share at least one value.
///
/// `ip` values all hold `.` or `-`, which `int` and `md5` never do, and an
/// IPv6 group has at most 4 hex digits where a UUID starts with 8; IPv6
/// texts (`--1`) are slugs and tokens. A pair with a user-defined type is
/// decided on automata (`regex_type::intersects`).
pub fn types_intersect(a: &PlaceholderType, b: &PlaceholderType) -> bool {
    use PlaceholderType::*;
    if matches!(a, Pattern(_)) || matches!(b, Pattern(_)) {
        return regex_type::intersects(a.table(), b.table());
    }
    !matches!(
        (a, b),
        (Int, Uuid)
            | (Uuid, Int)
            | (Uuid, Md5)
            | (Md5, Uuid)
            | (Ip, Int | Md5 | Uuid)
            | (Int | Md5 | Uuid, Ip)
    )
}

/// The regular expression a placeholder type matches (used by the generated
/// classifier and by verify). A user-defined type gives its normalized
/// regex, which cannot reach outside a group it is put in.
pub fn type_regex(ty: &PlaceholderType) -> &str {
    match ty {
        PlaceholderType::Int => "[0-9]+",
        PlaceholderType::Uuid => "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        PlaceholderType::Slug => "[a-z0-9_-]+",
        PlaceholderType::Token => "[A-Za-z0-9_-]+",
        PlaceholderType::Md5 => "[0-9a-f]{32}",
        PlaceholderType::Ip => ip::regex(),
        PlaceholderType::Pattern(r) => &r.normalized,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PlaceholderType::*;

    fn types(name: &str) -> Option<PlaceholderType> {
        match name {
            "user_id" => Some(Int),
            "topic" => Some(Slug),
            _ => None,
        }
    }

    #[test]
    fn parses_segments_and_reports_undeclared() {
        let (segs, undeclared) = parse_pattern("user:<user_id>:<mystery>", &types).unwrap();
        assert_eq!(segs[0], Segment::Literal("user".into()));
        assert_eq!(
            segs[1],
            Segment::Placeholder {
                name: "user_id".into(),
                ty: Int
            }
        );
        assert_eq!(undeclared[0].name, "mystery");
        assert_eq!(undeclared[0].start, 15);
    }

    #[test]
    fn rejects_braces_globs_and_mixed_segments() {
        let errs = parse_pattern("user:{<user_id>}", &types).unwrap_err();
        assert!(errs[0].message.contains("mixes") || errs[0].message.contains("not allowed"));
        let errs = parse_pattern("user:*", &types).unwrap_err();
        assert_eq!(errs[0].start, 5);
        assert!(parse_pattern("a::b", &types).is_err());
        assert!(parse_pattern("a:b\nc", &types).is_err());
    }

    #[test]
    fn stored_keys_match_their_pieces_only() {
        let pieces = [
            KeyPiece::Text("v2:{user:".into()),
            KeyPiece::Placeholder {
                name: "user_id",
                ty: &Int,
            },
            KeyPiece::Text("}:".into()),
            KeyPiece::Placeholder {
                name: "topic",
                ty: &Slug,
            },
        ];
        assert_eq!(
            match_stored(&pieces, "v2:{user:42}:rust-101"),
            Some(vec![
                ("user_id".into(), "42".into()),
                ("topic".into(), "rust-101".into())
            ])
        );
        for miss in [
            "v2:user:42:rust-101",
            "v2:{user:x}:a",
            "v2:{user:42}:a:b",
            "v2:{user:42}:",
            "v2:{user:42}:A",
        ] {
            assert_eq!(match_stored(&pieces, miss), None, "{miss}");
        }
    }

    #[test]
    fn type_spaces() {
        assert!(type_accepts(&Slug, "global"));
        assert!(!type_accepts(&Int, "global"));
        assert!(type_accepts(&Uuid, "123e4567-e89b-12d3-a456-426614174000"));
        assert!(!types_intersect(&Int, &Uuid));
        assert!(types_intersect(&Int, &Md5));
    }

    /// Every `ip` text holds `.` or `-` (so no `int` or `md5`), and its
    /// groups have at most 4 hex digits (so no `uuid`, which opens with 8);
    /// IPv6 texts are slugs and tokens.
    #[test]
    fn ip_texts_against_the_other_types() {
        let texts = [
            "0.0.0.0",
            "192.0.2.1",
            "--",
            "--1",
            "2001-db8--1",
            "1-2-3-4-5-6-7-8",
        ];
        for text in texts {
            assert!(type_accepts(&Ip, text), "{text}");
            for other in [Int, Md5, Uuid] {
                assert!(!type_accepts(&other, text), "{text} {other:?}");
                assert!(!types_intersect(&Ip, &other) && !types_intersect(&other, &Ip));
            }
        }
        assert!(type_accepts(&Slug, "--1") && type_accepts(&Token, "2001-db8--1"));
        assert!(types_intersect(&Ip, &Slug) && types_intersect(&Token, &Ip));
        assert!(types_intersect(&Ip, &Ip));
    }

    /// The hand-written table of built-in overlaps is what the automata say.
    #[test]
    fn builtin_overlaps_agree_with_the_product_automaton() {
        for a in &PlaceholderType::BUILTIN {
            for b in &PlaceholderType::BUILTIN {
                assert_eq!(
                    types_intersect(a, b),
                    regex_type::intersects(a.table(), b.table()),
                    "{a:?} {b:?}"
                );
            }
        }
    }
}
