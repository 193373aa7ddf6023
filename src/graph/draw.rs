//! Owns the drawings of the invalidation graph for `cachegen graph`:
//! Graphviz DOT (quoted IDs, every string escaped so Graphviz shows it
//! literally) and Mermaid (safe IDs, entity-escaped labels). Both draw the
//! nodes and edges `Graph::new` built, in their order, so a drawing of the
//! same policy is byte-identical.

use super::{EdgeKind, Graph, Node};
use crate::policy::model::Policy;
use std::collections::HashSet;
use std::fmt::Write as _;

/// The graph languages `cachegen graph --syntax` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Mermaid,
    Dot,
}

impl Syntax {
    pub const ALL: [Syntax; 2] = [Syntax::Mermaid, Syntax::Dot];

    pub fn name(self) -> &'static str {
        match self {
            Syntax::Mermaid => "mermaid",
            Syntax::Dot => "dot",
        }
    }

    pub fn about(self) -> &'static str {
        match self {
            Syntax::Mermaid => "A Mermaid flowchart (renders in GitHub Markdown)",
            Syntax::Dot => "Graphviz DOT (`dot -Tsvg`)",
        }
    }
}

impl Graph<'_> {
    /// The drawing in `syntax`.
    pub fn render(&self, syntax: Syntax) -> String {
        match syntax {
            Syntax::Mermaid => self.to_mermaid(),
            Syntax::Dot => self.to_dot(),
        }
    }

    /// Graphviz DOT. IDs are quoted strings (`"event:user.updated"`), so names
    /// with `.` and `-` need nothing else; every string goes through
    /// `dot_string`.
    pub fn to_dot(&self) -> String {
        let policy = self.policy;
        let dashed: HashSet<&str> = self.uninvalidated_patterns().into_iter().collect();
        let mut out = String::new();
        let _ = writeln!(out, "digraph {} {{", dot_string(&policy.name));
        out.push_str("    graph [rankdir=LR, fontname=\"Helvetica\"];\n");
        out.push_str("    node [fontname=\"Helvetica\", fontsize=11];\n");
        out.push_str("    edge [fontname=\"Helvetica\", fontsize=9];\n");
        for node in &self.nodes {
            let id = dot_string(&dot_id(node));
            let attrs = match *node {
                Node::Event { name } => {
                    format!("label={}, shape=box, style=rounded", dot_string(name))
                }
                Node::Branch { field, .. } => format!(
                    "label={}, shape=hexagon",
                    dot_string(&format!("when {field} changes"))
                ),
                Node::Pattern { name } => {
                    let mut attrs = format!(
                        "label={}, shape=box",
                        dot_label(&pattern_lines(policy, name))
                    );
                    if dashed.contains(name) {
                        attrs.push_str(", style=dashed");
                    }
                    attrs
                }
                Node::Tag { name } => format!(
                    "label={}, shape=parallelogram",
                    dot_label(&[format!("tag {name}"), tag_text(policy, name).to_owned()])
                ),
            };
            let _ = writeln!(out, "    {id} [{attrs}];");
        }
        for e in &self.edges {
            let attrs = match e.kind {
                EdgeKind::Invalidate | EdgeKind::WhenChanged | EdgeKind::InvalidateTag => "",
                EdgeKind::Branch => " [style=dashed]",
                EdgeKind::Cascade => " [label=\"cascade\"]",
                EdgeKind::Member => " [style=dotted, arrowhead=none]",
            };
            let _ = writeln!(
                out,
                "    {} -> {}{attrs};",
                dot_string(&dot_id(&self.nodes[e.from])),
                dot_string(&dot_id(&self.nodes[e.to]))
            );
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart. Node IDs are made of `[a-z0-9_]` only, prefixed
    /// by kind (`ev_`, `br_`, `pat_`, `tag_`: never a Mermaid keyword such as
    /// `end`, never starting with the `o`/`x` of an edge head) and made
    /// unique; labels are quoted and go through `mermaid_text`.
    pub fn to_mermaid(&self) -> String {
        let policy = self.policy;
        let ids = mermaid_ids(&self.nodes);
        let mut out = String::from("flowchart LR\n");
        for (node, id) in self.nodes.iter().zip(&ids) {
            let shape = match *node {
                Node::Event { name } => format!("([\"{}\"])", mermaid_text(name)),
                Node::Branch { field, .. } => {
                    format!("{{{{\"when {} changes\"}}}}", mermaid_text(field))
                }
                Node::Pattern { name } => {
                    format!("[\"{}\"]", mermaid_label(&pattern_lines(policy, name)))
                }
                Node::Tag { name } => format!(
                    "[/\"{}\"/]",
                    mermaid_label(&[format!("tag {name}"), tag_text(policy, name).to_owned()])
                ),
            };
            let _ = writeln!(out, "    {id}{shape}");
        }
        for e in &self.edges {
            let arrow = match e.kind {
                EdgeKind::Invalidate | EdgeKind::WhenChanged | EdgeKind::InvalidateTag => "-->",
                EdgeKind::Branch => "-.->",
                EdgeKind::Cascade => "-->|cascade|",
                EdgeKind::Member => "-.-",
            };
            let _ = writeln!(out, "    {} {arrow} {}", ids[e.from], ids[e.to]);
        }
        let uninvalidated: HashSet<&str> = self.uninvalidated_patterns().into_iter().collect();
        let dashed: Vec<&str> = self
            .nodes
            .iter()
            .zip(&ids)
            .filter(|(n, _)| matches!(n, Node::Pattern { name } if uninvalidated.contains(name)))
            .map(|(_, id)| id.as_str())
            .collect();
        if !dashed.is_empty() {
            // Dashed, as in the DOT drawing: no event reaches these keys.
            out.push_str("    classDef uninvalidated stroke-dasharray:4 4\n");
            let _ = writeln!(out, "    class {} uninvalidated", dashed.join(","));
        }
        out
    }
}

fn pattern_text<'a>(policy: &'a Policy, name: &str) -> &'a str {
    policy.pattern(name).map_or("", |p| p.text.as_str())
}

fn tag_text<'a>(policy: &'a Policy, name: &str) -> &'a str {
    policy.tags.get(name).map_or("", |t| t.key_text.as_str())
}

/// The DOT ID of a node, before quoting: kind, then name, so a pattern and a
/// tag with the same name stay two nodes.
fn dot_id(node: &Node) -> String {
    match node {
        Node::Event { name } => format!("event:{name}"),
        Node::Branch { event, field } => format!("when:{event}:{field}"),
        Node::Pattern { name } => format!("pattern:{name}"),
        Node::Tag { name } => format!("tag:{name}"),
    }
}

/// A pattern's label lines: name, key, and the first line of its
/// description (at most 60 characters), if it has one.
fn pattern_lines(policy: &Policy, name: &str) -> Vec<String> {
    let mut lines = vec![name.to_owned(), pattern_text(policy, name).to_owned()];
    let description = policy.pattern(name).and_then(|p| p.description.as_deref());
    if let Some(line) = description.and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty())) {
        lines.push(if line.chars().count() > DESCRIPTION_CHARS {
            line.chars()
                .take(DESCRIPTION_CHARS - 1)
                .chain(['…'])
                .collect()
        } else {
            line.to_owned()
        });
    }
    lines
}

/// Longest description line drawn in a node: enough to say what the key is
/// for without one node dwarfing the graph.
const DESCRIPTION_CHARS: usize = 60;

/// A multi-line DOT label, each line escaped on its own, joined by `\n`.
fn dot_label(lines: &[String]) -> String {
    let inner: Vec<String> = lines
        .iter()
        .map(|l| {
            let q = dot_string(l);
            q[1..q.len() - 1].to_owned()
        })
        .collect();
    format!("\"{}\"", inner.join("\\n"))
}

/// A multi-line Mermaid label (without its quotes), joined by `<br/>`.
fn mermaid_label(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| mermaid_text(l))
        .collect::<Vec<_>>()
        .join("<br/>")
}

/// `text` as a DOT double-quoted string that Graphviz displays literally.
///
/// In a quoted string DOT itself only knows `\"`, but Graphviz then reads
/// backslash escapes in labels (`\N` is the node name, `\l` a line break)
/// and HTML entities (`&lt;`): a backslash becomes `\\` and `&` becomes
/// `&amp;`, so neither can be reinterpreted. Line breaks become `\n` and
/// other control characters spaces, so one statement stays on one line.
/// (Only labels and IDs carry policy text: tooltips unescape differently
/// across Graphviz versions, so the drawing sets none.)
pub fn dot_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` for inside a double-quoted Mermaid label, displayed literally.
///
/// Mermaid has no backslash escapes: a `"` ends the label whatever precedes
/// it, and labels are HTML (`<user_id>` would vanish as an unknown tag). Any
/// character other than ASCII letters, digits, space and `_ . : / - * , + = @`
/// becomes a Mermaid entity code (`#60;` for `<`), which Mermaid turns into
/// the HTML character reference; line breaks become spaces.
pub fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            c if c.is_ascii_alphanumeric() => out.push(c),
            ' ' | '_' | '.' | ':' | '/' | '-' | '*' | ',' | '+' | '=' | '@' => out.push(c),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => {
                let _ = write!(out, "#{};", u32::from(c));
            }
        }
    }
    out
}

/// Mermaid IDs for `nodes`, in order: `ev_user_updated`, `br_user_updated_score`,
/// `pat_user_stats`, `tag_user`. Anything outside `[a-z0-9_]` becomes `_`;
/// when two names map to one ID (`user.updated` and `user_updated`), the later
/// one gets `_2`, `_3`…
fn mermaid_ids(nodes: &[Node]) -> Vec<String> {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    let mut taken = HashSet::new();
    // The next suffix to try per base id: probing from `_2` each time would
    // make many colliding names quadratic.
    let mut next: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    nodes
        .iter()
        .map(|node| {
            let base = match node {
                Node::Event { name } => format!("ev_{}", clean(name)),
                Node::Branch { event, field } => format!("br_{}__{}", clean(event), clean(field)),
                Node::Pattern { name } => format!("pat_{}", clean(name)),
                Node::Tag { name } => format!("tag_{}", clean(name)),
            };
            let mut id = base.clone();
            let n = next.entry(base.clone()).or_insert(1);
            while !taken.insert(id.clone()) {
                *n += 1;
                id = format!("{base}_{n}");
            }
            id
        })
        .collect()
}
