//! Owns user-defined placeholder types (`{regex: "[A-Z]{3}-[0-9]{4,6}"}`):
//! compiling a regex into a small anchored DFA table, the checks that keep
//! its language a bounded set of key segments, acceptance, and the product
//! search that decides whether two types share a value.
//!
//! A type is a whole segment, so the regex is anchored at both ends by
//! construction; `^`, `$` and other look-around are rejected rather than
//! read as literals (they would mean nothing or surprise). Capture groups
//! are rejected too, so the regex embeds in verify's classifier as written
//! in meaning. Classes are ASCII (`\d` is `[0-9]`, `\w` is `[0-9A-Za-z_]`):
//! keys allow nothing else.

pub use super::dfa::{Table, intersects};
use regex_syntax::hir::Hir;

/// Longest regex source accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 256;
/// Longest value a type may match, in bytes.
pub const MAX_MATCH_BYTES: usize = 128;
/// Most DFA states (the dead state not counted), so a generated table
/// indexes them with a byte.
pub const MAX_STATES: usize = 255;
/// Most user-defined types in one policy: the ambiguity check decides the
/// overlap of every pair of types that meet at a pattern segment.
pub const MAX_TYPES: usize = 64;

/// What is wrong with a user's regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// It does not parse; byte range within the source when known.
    Syntax {
        message: String,
        span: Option<(usize, usize)>,
    },
    /// Capture groups or look-around (`^`, `$`, `\b`).
    Unsupported(&'static str),
    /// The source is longer than `MAX_SOURCE_BYTES`.
    SourceTooLong(usize),
    /// Too many states, or the automaton is too large to build.
    TooComplex,
    /// Matches arbitrarily long values (`+`, `*`, `{n,}`).
    Unbounded,
    /// The longest match is over `MAX_MATCH_BYTES`.
    MatchTooLong(usize),
    /// Matches the empty string.
    MatchesEmpty,
    /// Some match contains this byte, which keys do not allow.
    Forbidden(u8),
}

impl Problem {
    /// The message and help a diagnostic shows.
    pub fn describe(&self) -> (String, Option<String>) {
        match self {
            Problem::Syntax { message, .. } => (format!("regex does not parse: {message}"), None),
            Problem::Unsupported(what) => (
                format!("regex uses {what}, which placeholder types do not allow"),
                Some("the regex always matches a whole segment: drop `^`/`$`, write groups as `(?:...)`".into()),
            ),
            Problem::SourceTooLong(n) => (
                format!("regex is {n} bytes long; at most {MAX_SOURCE_BYTES} are allowed"),
                None,
            ),
            Problem::TooComplex => (
                format!("regex compiles to more than {MAX_STATES} DFA states"),
                Some("simplify it; the generated Rust module carries its DFA as a table".into()),
            ),
            Problem::Unbounded => (
                "regex matches values of any length".into(),
                Some(format!(
                    "bound each repetition: `{{1,{MAX_MATCH_BYTES}}}` instead of `+`, `{{0,n}}` instead of `*`"
                )),
            ),
            Problem::MatchTooLong(n) => (
                format!("regex matches values of up to {n} bytes; at most {MAX_MATCH_BYTES} are allowed"),
                None,
            ),
            Problem::MatchesEmpty => (
                "regex matches the empty string, and a key segment cannot be empty".into(),
                None,
            ),
            Problem::Forbidden(b) => {
                let what = if b.is_ascii_graphic() || *b == b' ' {
                    format!("{:?}", char::from(*b))
                } else if b.is_ascii() {
                    format!("control character 0x{b:02x}")
                } else {
                    "a non-ASCII character".to_owned()
                };
                (
                    format!("regex matches values containing {what}, which keys do not allow"),
                    Some("allowed in keys: letters, digits and _ - . / @ = + ,".into()),
                )
            }
        }
    }
}

/// Whether the regex turns Unicode mode on (`(?u)`, `(?iu:…)`). Classes are
/// ASCII by design; refusing the flag up front also keeps the verdict the
/// same in every build (release builds carry no Unicode tables, so they
/// could not even translate `(?u:\w)`).
fn asks_for_unicode(source: &str) -> bool {
    use regex_syntax::ast::{Ast, Flag, FlagsItemKind, GroupKind, Visitor};
    struct Finder(bool);
    impl Visitor for Finder {
        type Output = bool;
        type Err = ();
        fn finish(self) -> Result<bool, ()> {
            Ok(self.0)
        }
        fn visit_pre(&mut self, ast: &Ast) -> Result<(), ()> {
            let flags = match ast {
                Ast::Flags(set) => Some(&set.flags),
                Ast::Group(group) => match &group.kind {
                    GroupKind::NonCapturing(flags) => Some(flags),
                    _ => None,
                },
                _ => None,
            };
            if let Some(flags) = flags
                && flags
                    .items
                    .iter()
                    .any(|item| matches!(item.kind, FlagsItemKind::Flag(Flag::Unicode)))
            {
                self.0 = true;
            }
            Ok(())
        }
    }
    regex_syntax::ast::parse::ParserBuilder::new()
        .nest_limit(64)
        .build()
        .parse(source)
        .ok()
        .and_then(|ast| regex_syntax::ast::visit(&ast, Finder(false)).ok())
        .unwrap_or(false)
}

/// Parses a regex the way placeholder types read it: ASCII classes, bytes.
fn parse(source: &str) -> Result<Hir, Problem> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .nest_limit(64)
        .build()
        .parse(source)
        .map_err(|e| {
            let at = |s: &regex_syntax::ast::Span| Some((s.start.offset, s.end.offset));
            let (message, span) = match &e {
                regex_syntax::Error::Parse(e) => (e.kind().to_string(), at(e.span())),
                regex_syntax::Error::Translate(e) => (e.kind().to_string(), at(e.span())),
                _ => (e.to_string(), None),
            };
            Problem::Syntax { message, span }
        })
}

/// The table of a built-in type's regex (no checks: they hold by design).
pub fn builtin_table(regex: &str) -> Table {
    parse(regex)
        .ok()
        .and_then(|hir| Table::build(&hir, usize::from(u16::MAX)))
        .unwrap_or_else(|| panic!("built-in type regex compiles: {regex}"))
}

/// A user-defined placeholder type. Equal (and hashed) by its source.
#[derive(Clone)]
pub struct RegexType {
    /// The regex as the policy writes it.
    pub source: String,
    /// Free text for humans.
    pub description: Option<String>,
    /// An equivalent regex printed from the parsed syntax, so it cannot
    /// reach outside a group it is embedded in (no flags or comments that
    /// run past it).
    pub normalized: String,
    pub table: Table,
}

impl std::fmt::Debug for RegexType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RegexType({:?})", self.source)
    }
}

impl PartialEq for RegexType {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for RegexType {}

impl std::hash::Hash for RegexType {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.source.hash(state);
    }
}

impl RegexType {
    /// Compiles and checks a user's regex: every problem found, or the type.
    pub fn compile(source: &str, description: Option<String>) -> Result<RegexType, Vec<Problem>> {
        if source.len() > MAX_SOURCE_BYTES {
            return Err(vec![Problem::SourceTooLong(source.len())]);
        }
        if asks_for_unicode(source) {
            return Err(vec![Problem::Unsupported("Unicode mode (the `u` flag)")]);
        }
        let hir = parse(source).map_err(|p| vec![p])?;
        let props = hir.properties();
        let mut problems = Vec::new();
        if props.explicit_captures_len() > 0 {
            problems.push(Problem::Unsupported("capture groups"));
        }
        if !props.look_set().is_empty() {
            problems.push(Problem::Unsupported("anchors or word boundaries"));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        // The length bounds come from the parsed regex, before any automaton
        // is built: only a language of short values is determinized and
        // minimized, so a short hostile source (`[a-z]{1000}`) costs nothing.
        if props.minimum_len() == Some(0) {
            problems.push(Problem::MatchesEmpty);
        }
        match props.maximum_len() {
            None => problems.push(Problem::Unbounded),
            Some(n) if n > MAX_MATCH_BYTES => problems.push(Problem::MatchTooLong(n)),
            Some(_) => {}
        }
        if problems
            .iter()
            .any(|p| matches!(p, Problem::Unbounded | Problem::MatchTooLong(_)))
        {
            return Err(problems);
        }
        problems.clear();
        let Some(table) = Table::build(&hir, MAX_STATES) else {
            return Err(vec![Problem::TooComplex]);
        };
        if table.accept[1] {
            problems.push(Problem::MatchesEmpty);
        }
        if let Some(b) = table.forbidden() {
            problems.push(Problem::Forbidden(b));
        }
        match table.longest() {
            None => problems.push(Problem::Unbounded),
            Some(n) if n > MAX_MATCH_BYTES => problems.push(Problem::MatchTooLong(n)),
            Some(_) => {}
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(RegexType {
            source: source.to_owned(),
            description,
            normalized: hir.to_string(),
            table,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(source: &str) -> RegexType {
        RegexType::compile(source, None).unwrap_or_else(|e| panic!("{source}: {e:?}"))
    }

    fn problems(source: &str) -> Vec<Problem> {
        RegexType::compile(source, None).expect_err(source)
    }

    #[test]
    fn accepts_its_language_whole() {
        let t = ok("[A-Z]{3}-[0-9]{4,6}");
        for yes in ["ABC-1234", "XYZ-123456"] {
            assert!(t.table.accepts(yes.as_bytes()), "{yes}");
        }
        for no in [
            "",
            "ABC-123",
            "ABC-1234567",
            "abc-1234",
            "xABC-1234",
            "ABC-1234x",
        ] {
            assert!(!t.table.accepts(no.as_bytes()), "{no}");
        }
        assert_eq!(t.table.longest(), Some(10));
        // Minimal: dead, start, 3 letters, `-`, 6 digits; every state but
        // the dead one can still reach a match.
        assert_eq!(t.table.states(), 12);
        let alt = ok("eu|us|ap-[a-z]{2}");
        assert!(alt.table.live()[1..].iter().all(|&l| l));
        // dead, start, e, u, a, ap, ap-, ap-x, a complete value.
        assert_eq!(alt.table.states(), 9);
        assert_eq!(t.table.example().as_deref(), Some("AAA-0000"));
        // The normalized regex means the same in a bigger regex.
        let re = regex_automata::meta::Regex::new(&format!("^p:(?:{})$", t.normalized)).unwrap();
        assert!(re.is_match("p:ABC-1234") && !re.is_match("p:ABC-12"));
    }

    #[test]
    fn problems_are_named() {
        assert_eq!(problems("[a-z]+"), vec![Problem::Unbounded]);
        // Length is judged on the parsed regex, before any automaton: a
        // short source with a huge repetition is refused as what it is.
        assert_eq!(problems("[a-z]{1000}"), vec![Problem::MatchTooLong(1000)]);
        assert_eq!(
            problems("[a-z]{0,500}"),
            vec![Problem::MatchesEmpty, Problem::MatchTooLong(500)]
        );
        // Unicode mode is refused whatever features the build carries.
        for unicode in ["(?u)[a-z]{1,3}", "(?iu:k){1,3}", "a(?u:\\w){2}"] {
            assert_eq!(
                problems(unicode),
                vec![Problem::Unsupported("Unicode mode (the `u` flag)")],
                "{unicode}"
            );
        }
        assert_eq!(ok("(?i:ab){1,2}").source, "(?i:ab){1,2}");
        assert_eq!(problems("[a-z]{0,3}"), vec![Problem::MatchesEmpty]);
        assert_eq!(problems("a{129}"), vec![Problem::MatchTooLong(129)]);
        assert_eq!(problems("a:b"), vec![Problem::Forbidden(b':')]);
        assert_eq!(problems("a[ {]"), vec![Problem::Forbidden(b' ')]);
        assert_eq!(
            problems("^ab$"),
            vec![Problem::Unsupported("anchors or word boundaries")]
        );
        assert_eq!(
            problems("(ab)"),
            vec![Problem::Unsupported("capture groups")]
        );
        assert!(matches!(
            problems("[a-z").as_slice(),
            [Problem::Syntax { .. }]
        ));
        assert!(matches!(
            problems(&"a".repeat(300)).as_slice(),
            [Problem::SourceTooLong(300)]
        ));
        assert!(matches!(
            problems("é").as_slice(),
            [Problem::Forbidden(0x80..)]
        ));
        // `.` admits `:` (and every other byte but newline).
        assert_eq!(problems(".{2}"), vec![Problem::Forbidden(b' ')]);
        // An exponential DFA is refused fast, within the size limits.
        let start = std::time::Instant::now();
        assert_eq!(problems("[a-z]{0,50}a[a-z]{20}"), vec![Problem::TooComplex]);
        assert!(
            start.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        // A cycle that reaches no match is harmless; a live one is not.
        ok("[a-z]{1,4}");
        assert!(problems("[a-z]{1,100}[0-9]{1,100}").contains(&Problem::MatchTooLong(200)));
    }

    #[test]
    fn flags_cannot_escape_the_group() {
        // `(?x)` would comment out the rest of a bigger regex; the
        // normalized form carries no comment.
        let t = ok("(?x)[a-z]{2} # two letters");
        let re = regex_automata::meta::Regex::new(&format!("^(?:{})x$", t.normalized)).unwrap();
        assert!(re.is_match("abx"));
    }

    #[test]
    fn intersection_by_product() {
        let sku = ok("[A-Z]{3}");
        let code = ok("[A-Z]{2}[0-9]");
        let mixed = ok("[A-Z0-9]{3}");
        assert!(!intersects(&sku.table, &code.table));
        assert!(intersects(&sku.table, &mixed.table));
        assert!(intersects(&code.table, &mixed.table));
        let int = builtin_table("[0-9]+");
        assert!(intersects(&mixed.table, &int));
        assert!(!intersects(&sku.table, &int));
    }
}
