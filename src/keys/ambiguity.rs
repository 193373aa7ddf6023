//! Owns the check that two key patterns cannot match the same concrete key.
//!
//! Patterns go into a trie of segments; each pattern then walks the trie along
//! every edge its own segments are compatible with. Literal edges are hashed and
//! placeholder edges are grouped by type, so the walk for a typical policy touches
//! a handful of nodes per pattern instead of comparing every pair (a quadratic
//! check took seconds at 10,000 patterns).

use super::{PlaceholderType, Segment, type_accepts, types_intersect};
use std::collections::HashMap;

#[derive(Default)]
struct Node {
    literals: HashMap<String, usize>,
    /// For each placeholder type of the run (by index into the run's types),
    /// the literal children it accepts. A placeholder segment walks only
    /// these, not every literal child: without this, `<id>:x` against
    /// thousands of `svcN:...` patterns is quadratic.
    literals_by_type: HashMap<usize, Vec<usize>>,
    /// `(type index, child)`.
    placeholders: Vec<(usize, usize)>,
    /// Patterns that end at this node.
    terminal: Vec<usize>,
}

/// The placeholder types present in a run, each once, with their pairwise
/// overlaps decided once (a user-defined type's costs a product search).
struct Types<'a> {
    list: Vec<&'a PlaceholderType>,
    index: HashMap<&'a PlaceholderType, usize>,
    intersect: Vec<Option<bool>>,
}

impl<'a> Types<'a> {
    fn new(patterns: &[&'a [Segment]]) -> Self {
        let mut list = Vec::new();
        let mut index = HashMap::new();
        for segment in patterns.iter().flat_map(|p| p.iter()) {
            if let Segment::Placeholder { ty, .. } = segment {
                index.entry(ty).or_insert_with(|| {
                    list.push(ty);
                    list.len() - 1
                });
            }
        }
        let n = list.len();
        Types {
            list,
            index,
            intersect: vec![None; n * n],
        }
    }

    fn intersect(&mut self, a: usize, b: usize) -> bool {
        let n = self.list.len();
        if let Some(known) = self.intersect[a * n + b] {
            return known;
        }
        let answer = types_intersect(self.list[a], self.list[b]);
        self.intersect[a * n + b] = Some(answer);
        self.intersect[b * n + a] = Some(answer);
        answer
    }
}

/// Returns pairs `(earlier, later)` of pattern indexes that can match the same
/// key. Each pattern is reported with at most one earlier partner, which keeps
/// the output linear when many patterns collide.
pub fn find_ambiguous(patterns: &[&[Segment]]) -> Vec<(usize, usize)> {
    let mut types = Types::new(patterns);
    let mut nodes = vec![Node::default()];
    for (index, segments) in patterns.iter().enumerate() {
        let mut at = 0;
        for segment in segments.iter() {
            at = match segment {
                Segment::Literal(text) => match nodes[at].literals.get(text) {
                    Some(&next) => next,
                    None => {
                        nodes.push(Node::default());
                        let next = nodes.len() - 1;
                        nodes[at].literals.insert(text.clone(), next);
                        for (t, ty) in types.list.iter().enumerate() {
                            if type_accepts(ty, text) {
                                nodes[at].literals_by_type.entry(t).or_default().push(next);
                            }
                        }
                        next
                    }
                },
                Segment::Placeholder { ty, .. } => {
                    let t = types.index[ty];
                    match nodes[at].placeholders.iter().find(|(u, _)| *u == t) {
                        Some(&(_, next)) => next,
                        None => {
                            nodes.push(Node::default());
                            let next = nodes.len() - 1;
                            nodes[at].placeholders.push((t, next));
                            next
                        }
                    }
                }
            };
        }
        nodes[at].terminal.push(index);
    }

    let mut pairs = Vec::new();
    let mut stack = Vec::new();
    for (index, segments) in patterns.iter().enumerate() {
        stack.clear();
        stack.push((0usize, 0usize));
        let mut partner = None;
        while let Some((node, depth)) = stack.pop() {
            if depth == segments.len() {
                if let Some(&other) = nodes[node].terminal.iter().find(|&&o| o < index) {
                    partner = Some(partner.map_or(other, |p: usize| p.min(other)));
                }
                continue;
            }
            let n = &nodes[node];
            match &segments[depth] {
                Segment::Literal(text) => {
                    if let Some(&next) = n.literals.get(text) {
                        stack.push((next, depth + 1));
                    }
                    for &(t, next) in &n.placeholders {
                        if type_accepts(types.list[t], text) {
                            stack.push((next, depth + 1));
                        }
                    }
                }
                Segment::Placeholder { ty, .. } => {
                    let t = types.index[ty];
                    for &(other, next) in &n.placeholders {
                        if types.intersect(t, other) {
                            stack.push((next, depth + 1));
                        }
                    }
                    if let Some(children) = n.literals_by_type.get(&t) {
                        stack.extend(children.iter().map(|&next| (next, depth + 1)));
                    }
                }
            }
        }
        if let Some(other) = partner {
            pairs.push((other, index));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use PlaceholderType::*;

    fn lit(s: &str) -> Segment {
        Segment::Literal(s.into())
    }
    fn ph(ty: PlaceholderType) -> Segment {
        Segment::Placeholder {
            name: "x".into(),
            ty,
        }
    }

    #[test]
    fn literal_inside_a_slug_placeholder_is_ambiguous() {
        let a = [lit("leaderboard"), lit("global")];
        let b = [lit("leaderboard"), ph(Slug)];
        assert_eq!(find_ambiguous(&[&a, &b]), vec![(0, 1)]);
    }

    #[test]
    fn disjoint_types_and_lengths_are_not() {
        let a = [lit("user"), ph(Int)];
        let b = [lit("user"), ph(Uuid)];
        let c = [lit("user"), ph(Int), lit("profile")];
        let d = [lit("user"), lit("me")];
        assert!(find_ambiguous(&[&a, &b, &c, &d]).is_empty());
    }

    #[test]
    fn identical_patterns_collide() {
        let a = [lit("session"), ph(Token)];
        let b = [lit("session"), ph(Slug)];
        assert_eq!(find_ambiguous(&[&a, &b]), vec![(0, 1)]);
    }

    /// Issue 15: an `ip` overlaps `slug` and `token` (IPv6 texts such as
    /// `--1`) and literals it accepts, never `int`, `md5` or `uuid`.
    #[test]
    fn ip_overlaps_slugs_tokens_and_its_literals_only() {
        let ip = [lit("rate"), ph(Ip)];
        for other in [Int, Md5, Uuid] {
            let b = [lit("rate"), ph(other.clone())];
            assert!(find_ambiguous(&[&ip, &b]).is_empty(), "{other:?}");
        }
        for other in [Slug, Token, Ip] {
            let b = [lit("rate"), ph(other.clone())];
            assert_eq!(find_ambiguous(&[&ip, &b]), vec![(0, 1)], "{other:?}");
        }
        for text in ["--1", "10.0.0.1"] {
            let b = [lit("rate"), lit(text)];
            assert_eq!(find_ambiguous(&[&ip, &b]), vec![(0, 1)], "{text}");
        }
        for text in ["--01", "10.0.0.01", "local"] {
            let b = [lit("rate"), lit(text)];
            assert!(find_ambiguous(&[&ip, &b]).is_empty(), "{text}");
        }
    }

    fn regex(source: &str) -> PlaceholderType {
        PlaceholderType::Pattern(std::sync::Arc::new(
            crate::keys::RegexType::compile(source, None).unwrap(),
        ))
    }

    /// Issue 15: user-defined types are compared on their automata.
    #[test]
    fn regex_types_collide_only_where_their_languages_meet() {
        let sku = [lit("p"), ph(regex("[A-Z]{3}"))];
        let code = [lit("p"), ph(regex("[A-Z]{2}[0-9]"))];
        assert!(find_ambiguous(&[&sku, &code]).is_empty());
        let mixed = [lit("p"), ph(regex("[A-Z0-9]{3}"))];
        assert_eq!(find_ambiguous(&[&sku, &mixed]), vec![(0, 1)]);
        let digits = [lit("p"), ph(regex("[0-9]{2,3}|[a-z]{2}"))];
        let int = [lit("p"), ph(Int)];
        assert_eq!(find_ambiguous(&[&int, &digits]), vec![(0, 1)]);
        assert!(find_ambiguous(&[&int, &sku]).is_empty());
        let literal = [lit("p"), lit("ABC")];
        assert_eq!(find_ambiguous(&[&literal, &sku]), vec![(0, 1)]);
        assert_eq!(find_ambiguous(&[&sku, &literal]), vec![(0, 1)]);
        let other = [lit("p"), lit("AB1")];
        assert!(find_ambiguous(&[&other, &sku]).is_empty());
    }
}
