//! Owns reading a policy file into a spanned YAML tree: strict YAML 1.2 scalars,
//! duplicate keys rejected, aliases budgeted, nesting and size bounded, and every
//! node carrying the byte span it came from.
//!
//! Loading never fails with `Err`: it returns the tree it could build (or none)
//! plus diagnostics, so `check` can report every problem in one run.

pub mod spec;
pub mod units;

use crate::diag::{Diagnostic, codes};
use crate::source::{SourceFile, Span};
use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Files larger than this are refused before parsing. A policy with ten
/// thousand key patterns is about 2 MiB; a bigger file is a mistake or an attack.
pub const MAX_POLICY_BYTES: usize = 8 * 1024 * 1024;
/// Deeper nesting is refused. The policy format never needs more than six levels.
pub const MAX_DEPTH: usize = 32;
/// Total nodes, counting every alias expansion: stops billion-laughs documents.
pub const MAX_NODES: usize = 500_000;

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone)]
pub struct Key {
    pub text: String,
    pub span: Span,
}

/// A `# ...` comment: where it is and what it says after the `#`.
#[derive(Debug, Clone)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// Everything the loader learned about one file.
#[derive(Debug)]
pub struct Loaded {
    pub root: Option<Node>,
    pub comments: Vec<Comment>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads raw bytes into a `SourceFile`, refusing oversize or non-UTF-8 input
/// with a diagnostic that points at the offending byte.
/// The error carries the (partial) source so the diagnostic can show where it broke.
pub fn decode(name: &str, bytes: &[u8]) -> Result<SourceFile, Box<(SourceFile, Diagnostic)>> {
    if bytes.len() > MAX_POLICY_BYTES {
        let src = SourceFile::new(name, "");
        let diag = Diagnostic::new(
            codes::INPUT_LIMIT,
            format!(
                "policy file is {} bytes; cachegen reads at most {} bytes",
                bytes.len(),
                MAX_POLICY_BYTES
            ),
        )
        .with_help("a policy this large is almost certainly not hand-written; split it or check what generated it");
        return Err(Box::new((src, diag)));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(name, text)),
        Err(err) => {
            let valid = err.valid_up_to();
            // Keep the valid prefix so the diagnostic can show the line it broke on.
            let text = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            let src = SourceFile::new(name, text);
            let diag = Diagnostic::new(
                codes::ENCODING,
                format!(
                    "policy is not valid UTF-8: invalid byte 0x{:02x}",
                    bytes[valid]
                ),
            )
            .with_span(Span::new(valid, valid), "invalid UTF-8 starts here")
            .with_help("save the file as UTF-8");
            Err(Box::new((src, diag)))
        }
    }
}

pub fn parse(src: &SourceFile) -> Loaded {
    let mut builder = Builder::new(src);
    builder.run();
    Loaded {
        root: builder.root,
        comments: builder.comments,
        diagnostics: builder.diagnostics,
    }
}

enum Frame {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        /// The key waiting for its value, and whether it repeats an earlier key.
        pending_key: Option<(Key, bool)>,
        seen: HashMap<String, Span>,
    },
}

struct Builder<'s> {
    src: &'s SourceFile,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
    comments: Vec<Comment>,
    diagnostics: Vec<Diagnostic>,
    aborted: bool,
}

impl<'s> Builder<'s> {
    fn new(src: &'s SourceFile) -> Self {
        Builder {
            src,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            root: None,
            comments: Vec::new(),
            diagnostics: Vec::new(),
            aborted: false,
        }
    }

    fn span_of(&self, span: &granit_parser::Span) -> Span {
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        Span::new(
            start.min(self.src.text().len()),
            end.min(self.src.text().len()),
        )
    }

    fn run(&mut self) {
        if let Some(offset) = self
            .src
            .text()
            .find(|c: char| c == '\0' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r')))
        {
            let ch = self.src.text()[offset..].chars().next().unwrap_or('\0');
            self.diagnostics.push(
                Diagnostic::new(
                    codes::ENCODING,
                    format!("policy contains the control character U+{:04X}", ch as u32),
                )
                .with_span(Span::new(offset, offset + ch.len_utf8()), "not allowed in YAML")
                .with_help("YAML text may not contain NUL or other control characters; write escapes such as \"\\t\" inside double quotes"),
            );
            return;
        }
        let mut options = granit_parser::Options::default();
        // The parser's own limits are a backstop; the builder reports depth
        // with a clearer message at MAX_DEPTH.
        options.block_nesting_limit = MAX_DEPTH * 4;
        options.flow_nesting_limit = MAX_DEPTH * 4;
        let mut parser = Parser::new_from_str_with_options(self.src.text(), options);
        let mut documents = 0;
        while let Some(next) = parser.next_event() {
            if self.aborted {
                return;
            }
            let (event, span) = match next {
                Ok(pair) => pair,
                Err(err) => {
                    let at = err
                        .marker()
                        .byte_offset()
                        .unwrap_or(0)
                        .min(self.src.text().len());
                    self.diagnostics.push(
                        Diagnostic::new(
                            codes::YAML_SYNTAX,
                            format!("YAML syntax error: {}", err.info()),
                        )
                        .with_span(Span::new(at, at), "here"),
                    );
                    self.root = None;
                    return;
                }
            };
            let span = self.span_of(&span);
            match event {
                Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
                Event::DocumentStart(..) => {
                    documents += 1;
                    if documents > 1 {
                        self.fail(
                            codes::YAML_SYNTAX,
                            "a policy file holds one YAML document; found a second `---`".into(),
                            span,
                            "second document starts here",
                            None,
                        );
                    }
                }
                #[allow(unreachable_patterns)]
                Event::Comment(text, _) => self.comments.push(Comment {
                    text: text.into_owned(),
                    span,
                }),
                Event::Alias(id) => match self.anchors.get(&id).map(|(_, size)| *size) {
                    Some(size) => {
                        // Charge the budget before cloning, so a bomb never allocates.
                        if self.count(size, span) {
                            let mut copy = self.anchors[&id].0.clone();
                            copy.span = span;
                            self.push_node(copy);
                        }
                    }
                    None => self.fail(
                        codes::YAML_SYNTAX,
                        "alias refers to an unknown anchor".into(),
                        span,
                        "unknown anchor",
                        None,
                    ),
                },
                Event::Scalar(value, style, anchor, tag) => {
                    if !self.count(1, span) {
                        continue;
                    }
                    let tag_suffix = tag.as_ref().map(|t| t.to_string());
                    let kind = match tag_suffix.as_deref() {
                        None => resolve_scalar(&value, style),
                        Some(t) if t.ends_with(":str") || t == "!" => {
                            NodeKind::Str(value.into_owned())
                        }
                        Some(t)
                            if t.ends_with(":null")
                                || t.ends_with(":bool")
                                || t.ends_with(":int")
                                || t.ends_with(":float") =>
                        {
                            resolve_scalar(&value, ScalarStyle::Plain)
                        }
                        Some(t) => {
                            self.fail(
                                codes::YAML_SYNTAX,
                                format!("YAML tag `{t}` is not supported in a policy"),
                                span,
                                "unsupported tag",
                                Some("remove the tag; cachegen reads plain YAML values"),
                            );
                            continue;
                        }
                    };
                    let node = Node { kind, span };
                    if anchor != 0 {
                        self.anchors.insert(anchor, (node.clone(), 1));
                    }
                    self.push_node(node);
                }
                Event::SequenceStart(_, anchor, _) if self.enter(span) => {
                    self.stack.push(Frame::Seq {
                        start: span.start,
                        anchor,
                        items: Vec::new(),
                    });
                }
                Event::MappingStart(_, anchor, _) if self.enter(span) => {
                    self.stack.push(Frame::Map {
                        start: span.start,
                        anchor,
                        entries: Vec::new(),
                        pending_key: None,
                        seen: HashMap::new(),
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = self.stack.pop() else {
                        continue;
                    };
                    let (node, anchor) = match frame {
                        Frame::Seq {
                            start,
                            anchor,
                            items,
                        } => {
                            let end = items.last().map_or(span.end, |n| n.span.end.max(span.end));
                            (
                                Node {
                                    kind: NodeKind::Seq(items),
                                    span: Span::new(start, end),
                                },
                                anchor,
                            )
                        }
                        Frame::Map {
                            start,
                            anchor,
                            entries,
                            ..
                        } => {
                            let end = entries
                                .last()
                                .map_or(span.end, |(_, n)| n.span.end.max(span.end));
                            (
                                Node {
                                    kind: NodeKind::Map(entries),
                                    span: Span::new(start, end),
                                },
                                anchor,
                            )
                        }
                    };
                    if anchor != 0 {
                        let size = node_count(&node);
                        self.anchors.insert(anchor, (node.clone(), size));
                    }
                    self.push_node(node);
                }
                _ => {}
            }
        }
    }

    /// Checks the depth limit before opening a collection.
    fn enter(&mut self, span: Span) -> bool {
        if !self.count(1, span) {
            return false;
        }
        if self.stack.len() >= MAX_DEPTH {
            self.fail(
                codes::INPUT_LIMIT,
                format!("nesting is deeper than {MAX_DEPTH} levels"),
                span,
                "too deep",
                Some("a policy never needs more than a few levels of nesting"),
            );
            return false;
        }
        true
    }

    /// Charges `n` nodes against the budget; false (and abort) once it is spent.
    fn count(&mut self, n: usize, span: Span) -> bool {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            self.fail(
                codes::INPUT_LIMIT,
                format!("policy expands to more than {MAX_NODES} YAML nodes"),
                span,
                "limit reached here",
                Some("this is usually an alias bomb (anchors that reference anchors); expand the aliases by hand"),
            );
            return false;
        }
        true
    }

    fn fail(
        &mut self,
        code: codes::Code,
        message: String,
        span: Span,
        label: &str,
        help: Option<&str>,
    ) {
        let mut d = Diagnostic::new(code, message).with_span(span, label);
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.diagnostics.push(d);
        self.aborted = true;
        self.root = None;
        self.stack.clear();
    }

    fn push_node(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                seen,
                ..
            }) => match pending_key.take() {
                None => {
                    let text = match &node.kind {
                        NodeKind::Str(s) => s.clone(),
                        NodeKind::Int(i) => i.to_string(),
                        NodeKind::Bool(b) => b.to_string(),
                        NodeKind::Float(f) => f.to_string(),
                        NodeKind::Null => String::new(),
                        NodeKind::Seq(_) | NodeKind::Map(_) => {
                            let span = node.span;
                            self.fail(
                                codes::YAML_SYNTAX,
                                "mapping keys must be plain scalars".into(),
                                span,
                                "complex key",
                                None,
                            );
                            return;
                        }
                    };
                    let duplicate = seen.contains_key(&text);
                    if let Some(first) = seen.get(&text) {
                        let first = *first;
                        self.diagnostics.push(
                            Diagnostic::new(
                                codes::DUPLICATE_KEY,
                                format!("duplicate key `{text}`"),
                            )
                            .with_span(node.span, "defined again here")
                            .with_related(first, "first defined here")
                            .with_help(
                                "YAML keeps only one of the two values; remove or rename one",
                            ),
                        );
                    } else {
                        seen.insert(text.clone(), node.span);
                    }
                    let key = Key {
                        text,
                        span: node.span,
                    };
                    *pending_key = Some((key, duplicate));
                }
                Some((key, duplicate)) => {
                    // A duplicate keeps its first value so the rest of the check
                    // stays stable. (The `seen` map decides: scanning `entries`
                    // here was quadratic in the size of the mapping.)
                    if !duplicate {
                        entries.push((key, node));
                    }
                }
            },
        }
    }
}

fn node_count(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        NodeKind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(_, v)| 1 + node_count(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// YAML 1.2 core-schema resolution, stricter than most loaders on purpose:
/// `yes`/`no`/`on`/`off` stay strings (YAML 1.1's Norway problem), and numbers
/// with leading zeros stay strings (`010` is not silently 8 or 10).
fn resolve_scalar(value: &str, style: ScalarStyle) -> NodeKind {
    if style != ScalarStyle::Plain {
        return NodeKind::Str(value.to_owned());
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        _ => {}
    }
    let unsigned = value.strip_prefix(['-', '+']).unwrap_or(value);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            return NodeKind::Str(value.to_owned());
        }
        return match value.parse::<i64>() {
            Ok(i) => NodeKind::Int(i),
            Err(_) => NodeKind::Str(value.to_owned()),
        };
    }
    if let Some(hex) = value.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return NodeKind::Int(i);
    }
    if let Some(oct) = value.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return NodeKind::Int(i);
    }
    if looks_like_float(unsigned)
        && let Ok(f) = value.parse::<f64>()
    {
        return NodeKind::Float(f);
    }
    NodeKind::Str(value.to_owned())
}

fn looks_like_float(s: &str) -> bool {
    let mantissa_end = s.find(['e', 'E']).unwrap_or(s.len());
    let (mantissa, exponent) = s.split_at(mantissa_end);
    let mantissa_ok = mantissa.contains('.')
        && mantissa.bytes().filter(|&b| b == b'.').count() == 1
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && mantissa.bytes().any(|b| b.is_ascii_digit())
        && !(mantissa.len() > 1 && mantissa.starts_with('0') && !mantissa.starts_with("0."));
    let exponent_ok = exponent.is_empty() || {
        let e = exponent[1..]
            .strip_prefix(['-', '+'])
            .unwrap_or(&exponent[1..]);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    };
    mantissa_ok && exponent_ok
}

/// Where each JSON pointer of the converted tree came from in the YAML.
#[derive(Debug, Default)]
pub struct SpanIndex {
    /// Pointer → (span of the value, span of the key naming it, for map
    /// entries). One map, one allocation per node: this index is built for
    /// every node of every policy and dominated the loading profile.
    spans: HashMap<String, (Span, Option<Span>)>,
}

impl SpanIndex {
    /// Span of the value at `pointer`, or of its nearest ancestor that has one.
    pub fn value(&self, pointer: &str) -> Option<Span> {
        let mut p = pointer;
        loop {
            if let Some((span, _)) = self.spans.get(p) {
                return Some(*span);
            }
            let cut = p.rfind('/')?;
            p = &p[..cut];
        }
    }

    /// Span of the mapping key that introduces `pointer`, if it is a map entry.
    pub fn key(&self, pointer: &str) -> Option<Span> {
        self.spans.get(pointer).and_then(|(_, key)| *key)
    }

    /// The spans recorded for exactly `pointer` (value, key), no fallback.
    pub fn entry(&self, pointer: &str) -> Option<(Span, Option<Span>)> {
        self.spans.get(pointer).copied()
    }

    /// Records the spans of `pointer`. For indexes whose pointers are not the
    /// file's own: a lock file read back into policy-file pointers
    /// (`policy::lock::read`) maps each of them to where the lock holds it.
    pub fn insert(&mut self, pointer: String, value: Span, key: Option<Span>) {
        self.spans.insert(pointer, (value, key));
    }
}

/// Escapes one JSON-pointer reference token (RFC 6901).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Converts the tree to JSON for schema validation and typed deserialization,
/// recording every node's span under its JSON pointer.
pub fn to_json(root: &Node) -> (Value, SpanIndex) {
    let mut index = SpanIndex::default();
    let mut pointer = String::new();
    let value = convert(root, &mut pointer, None, &mut index);
    (value, index)
}

fn convert(node: &Node, pointer: &mut String, key: Option<Span>, index: &mut SpanIndex) -> Value {
    index.spans.insert(pointer.clone(), (node.span, key));
    match &node.kind {
        NodeKind::Null => Value::Null,
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Int(i) => Value::from(*i),
        // JSON has no NaN or infinity; keep the text so the schema reports the type.
        NodeKind::Float(f) => serde_json::Number::from_f64(*f)
            .map_or_else(|| Value::String(f.to_string()), Value::Number),
        NodeKind::Str(s) => Value::String(s.clone()),
        NodeKind::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                out.push(convert(item, pointer, None, index));
                pointer.truncate(len);
            }
            Value::Array(out)
        }
        NodeKind::Map(entries) => {
            let mut out = Map::with_capacity(entries.len());
            for (key, value) in entries {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_pointer_token(&key.text));
                out.insert(
                    key.text.clone(),
                    convert(value, pointer, Some(key.span), index),
                );
                pointer.truncate(len);
            }
            Value::Object(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Loaded {
        parse(&SourceFile::new("t.yaml", text))
    }

    #[test]
    fn yaml11_booleans_and_leading_zeros_stay_strings() {
        let loaded = load("a: NO\nb: yes\nc: 010\nd: true\ne: 10\nf: 1.5\ng: off\n");
        let (json, _) = to_json(loaded.root.as_ref().unwrap());
        assert_eq!(json["a"], "NO");
        assert_eq!(json["b"], "yes");
        assert_eq!(json["c"], "010");
        assert_eq!(json["d"], true);
        assert_eq!(json["e"], 10);
        assert_eq!(json["f"], 1.5);
        assert_eq!(json["g"], "off");
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_places() {
        let loaded = load("a: 1\nb: 2\na: 3\n");
        assert_eq!(loaded.diagnostics.len(), 1);
        let d = &loaded.diagnostics[0];
        assert_eq!(d.code.code, codes::DUPLICATE_KEY.code);
        assert_eq!(d.span.unwrap().start, 10);
        assert_eq!(d.related[0].0.start, 0);
    }

    #[test]
    fn pointers_map_back_to_spans() {
        let text = "keys:\n  user/x:\n    ttl: 5m\n";
        let loaded = load(text);
        let (_, index) = to_json(loaded.root.as_ref().unwrap());
        let span = index.value("/keys/user~1x/ttl").unwrap();
        assert_eq!(&text[span.start..span.end], "5m");
        let key = index.key("/keys/user~1x").unwrap();
        assert_eq!(&text[key.start..key.end], "user/x");
    }
}
