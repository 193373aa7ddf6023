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

use super::is_literal_char;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use regex_syntax::hir::Hir;
use std::collections::{HashMap, VecDeque};

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

/// A DFA over bytes as a table: state 0 rejects everything, state 1 starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Byte → equivalence class (bytes no state tells apart share one).
    pub classes: Vec<u8>,
    /// Number of classes: the width of a row of `next`.
    pub stride: usize,
    /// `next[state * stride + class]`.
    pub next: Vec<u16>,
    /// Whether the input read up to this state is a match.
    pub accept: Vec<bool>,
}

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

/// The minimal automaton of `rows` (state 0 dead, 1 start): states that
/// cannot reach a match merge into 0 (the dense DFA's delayed match states
/// after a complete value are such), the rest by Moore's partition
/// refinement, numbered breadth first from the start.
fn minimal(rows: &[[u16; 256]], accept: &[bool]) -> (Vec<[u16; 256]>, Vec<bool>) {
    let n = rows.len();
    let mut live = accept.to_vec();
    live[0] = false;
    loop {
        let mut changed = false;
        for s in 1..n {
            if !live[s] && rows[s].iter().any(|&t| live[usize::from(t)]) {
                live[s] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if !live[1] {
        return (vec![[0; 256]; 2], vec![false; 2]);
    }
    // Block 0 is the dead block; live states start split by acceptance.
    let mut block: Vec<usize> = (0..n)
        .map(|s| match (live[s], accept[s]) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => 2,
        })
        .collect();
    let mut count = block.iter().max().map_or(1, |m| m + 1);
    loop {
        let mut ids: HashMap<(usize, Vec<usize>), usize> = HashMap::new();
        let next: Vec<usize> = (0..n)
            .map(|s| {
                if !live[s] {
                    return 0;
                }
                let signature = (
                    block[s],
                    rows[s].iter().map(|&t| block[usize::from(t)]).collect(),
                );
                let fresh = ids.len() + 1;
                *ids.entry(signature).or_insert(fresh)
            })
            .collect();
        let new_count = ids.len() + 1;
        block = next;
        if new_count == count {
            break;
        }
        count = new_count;
    }
    // Renumber breadth first from the start's block.
    let mut number = vec![u16::MAX; count];
    number[0] = 0;
    let mut order = vec![1usize];
    number[block[1]] = 1;
    let mut out_rows = vec![[0u16; 256]];
    let mut out_accept = vec![false];
    let mut i = 0;
    while i < order.len() {
        let s = order[i];
        i += 1;
        let mut row = [0u16; 256];
        for (b, &t) in rows[s].iter().enumerate() {
            let bt = block[usize::from(t)];
            if number[bt] == u16::MAX {
                order.push(usize::from(t));
                number[bt] = u16::try_from(order.len()).unwrap_or(u16::MAX);
            }
            row[b] = number[bt];
        }
        out_rows.push(row);
        out_accept.push(accept[s]);
    }
    (out_rows, out_accept)
}

impl Table {
    /// The minimal anchored DFA of `hir`, or `None` when it has more than
    /// `max_states` states or is too large to build.
    fn build(hir: &Hir, max_states: usize) -> Option<Table> {
        // Room for `max_states` (times 4, for delayed match states) of
        // every byte class, as the dense DFA stores them.
        let bytes_limit = max_states.saturating_mul(4 * 257 * 4);
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .which_captures(WhichCaptures::None)
                    .nfa_size_limit(Some(1 << 20)),
            )
            .build_from_hir(hir)
            .ok()?;
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Anchored)
                    // The whole language, not leftmost-first preferences.
                    .match_kind(MatchKind::All)
                    .minimize(true)
                    // A user type's limit: a hostile regex (`[a-z]{0,50}a[a-z]{20}`
                    // blows up exponentially) fails in milliseconds.
                    .determinize_size_limit(Some(bytes_limit))
                    .dfa_size_limit(Some(bytes_limit)),
            )
            .build_from_nfa(&nfa)
            .ok()?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .ok()?;
        // Number the live states breadth first from the start (1); the
        // dead state is 0.
        let mut ids = HashMap::new();
        let mut order = vec![start];
        ids.insert(start, 1u16);
        let mut rows: Vec<[u16; 256]> = vec![[0; 256]];
        let mut accept = vec![false];
        let mut i = 0;
        while i < order.len() {
            let id = order[i];
            i += 1;
            let mut row = [0u16; 256];
            for b in 0..=255u8 {
                let next = dfa.next_state(id, b);
                if dfa.is_dead_state(next) {
                    continue;
                }
                let n = match ids.get(&next) {
                    Some(&n) => n,
                    None => {
                        // Delayed match states can double the count
                        // before minimization.
                        if order.len() >= max_states.saturating_mul(4) {
                            return None;
                        }
                        order.push(next);
                        let n = u16::try_from(order.len()).ok()?;
                        ids.insert(next, n);
                        n
                    }
                };
                row[usize::from(b)] = n;
            }
            rows.push(row);
            accept.push(dfa.is_match_state(dfa.next_eoi_state(id)));
        }
        let (rows, accept) = minimal(&rows, &accept);
        if rows.len() > max_states + 1 {
            return None;
        }
        // Bytes whose columns are equal share a class.
        let mut class_of: HashMap<Vec<u16>, u8> = HashMap::new();
        let mut classes = Vec::with_capacity(256);
        for b in 0..256 {
            let column: Vec<u16> = rows.iter().map(|r| r[b]).collect();
            let count = u8::try_from(class_of.len()).unwrap_or(u8::MAX);
            classes.push(*class_of.entry(column).or_insert(count));
        }
        let stride = class_of.len();
        let mut next = vec![0u16; rows.len() * stride];
        for (s, row) in rows.iter().enumerate() {
            for (b, &n) in row.iter().enumerate() {
                next[s * stride + usize::from(classes[b])] = n;
            }
        }
        Some(Table {
            classes,
            stride,
            next,
            accept,
        })
    }

    pub fn states(&self) -> usize {
        self.accept.len()
    }

    fn step(&self, state: usize, byte: u8) -> usize {
        usize::from(self.next[state * self.stride + usize::from(self.classes[usize::from(byte)])])
    }

    /// Whether all of `text` is a match.
    pub fn accepts(&self, text: &[u8]) -> bool {
        let mut state = 1;
        for &b in text {
            state = self.step(state, b);
            if state == 0 {
                return false;
            }
        }
        self.accept[state]
    }

    /// Which states can still reach a match.
    fn live(&self) -> Vec<bool> {
        let mut live = self.accept.clone();
        live[0] = false;
        loop {
            let mut changed = false;
            for s in 1..self.states() {
                if !live[s]
                    && (0..self.stride).any(|c| live[usize::from(self.next[s * self.stride + c])])
                {
                    live[s] = true;
                    changed = true;
                }
            }
            if !changed {
                return live;
            }
        }
    }

    /// The longest match in bytes, `None` when a live cycle makes the
    /// language infinite (or when nothing matches: `Some(0)`).
    pub fn longest(&self) -> Option<usize> {
        let live = self.live();
        // Depth-first with colours: a grey state met again is a cycle.
        fn visit(
            t: &Table,
            live: &[bool],
            s: usize,
            colour: &mut [u8],
            memo: &mut [usize],
        ) -> bool {
            colour[s] = 1;
            let mut best = 0;
            for c in 0..t.stride {
                let n = usize::from(t.next[s * t.stride + c]);
                if !live[n] {
                    continue;
                }
                let finished = match colour[n] {
                    0 => visit(t, live, n, colour, memo),
                    // Grey: on the current path, so a cycle.
                    1 => false,
                    _ => true,
                };
                if !finished {
                    return false;
                }
                best = best.max(memo[n] + 1);
            }
            memo[s] = best;
            colour[s] = 2;
            true
        }
        if !live[1] {
            return Some(0);
        }
        let mut colour = vec![0u8; self.states()];
        let mut memo = vec![0usize; self.states()];
        visit(self, &live, 1, &mut colour, &mut memo).then(|| memo[1])
    }

    /// A byte keys do not allow that some match contains.
    /// Printable characters are named first, as they are the likely typo.
    fn forbidden(&self) -> Option<u8> {
        let live = self.live();
        let allowed = |b: u8| b.is_ascii() && is_literal_char(char::from(b));
        (0x20..=0x7e)
            .chain(0..0x20)
            .chain(0x7f..=0xff)
            .filter(|&b| !allowed(b))
            .find(|&b| (1..self.states()).any(|s| live[s] && live[self.step(s, b)]))
    }

    /// A shortest match, if any (for examples and tests).
    pub fn example(&self) -> Option<String> {
        let mut prev: Vec<Option<(usize, u8)>> = vec![None; self.states()];
        let mut seen = vec![false; self.states()];
        let mut queue = VecDeque::from([1usize]);
        seen[1] = true;
        while let Some(s) = queue.pop_front() {
            if self.accept[s] {
                let mut bytes = Vec::new();
                let mut at = s;
                while let Some((p, b)) = prev[at] {
                    bytes.push(b);
                    at = p;
                }
                bytes.reverse();
                return String::from_utf8(bytes).ok();
            }
            for b in 0..=255u8 {
                let n = self.step(s, b);
                if n != 0 && !seen[n] {
                    seen[n] = true;
                    prev[n] = Some((s, b));
                    queue.push_back(n);
                }
            }
        }
        None
    }
}

/// Whether some string is a match of both tables: a breadth-first search of
/// the product automaton for a pair of accepting states.
pub fn intersects(a: &Table, b: &Table) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut queue = VecDeque::from([(1usize, 1usize)]);
    seen.insert((1, 1));
    while let Some((x, y)) = queue.pop_front() {
        if a.accept[x] && b.accept[y] {
            return true;
        }
        for byte in 0..=255u8 {
            let pair = (a.step(x, byte), b.step(y, byte));
            if pair.0 != 0 && pair.1 != 0 && seen.insert(pair) {
                queue.push_back(pair);
            }
        }
    }
    false
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
