//! Owns the check that two key patterns cannot match the same concrete key.
//!
//! Patterns go into a trie of segments; each pattern then walks the trie along
//! every edge its own segments are compatible with. Literal edges are hashed and
//! placeholder edges are grouped by type, so the walk for a typical policy touches
//! a handful of nodes per pattern instead of comparing every pair (a quadratic
//! check took seconds at 10,000 patterns).

use super::{Segment, type_accepts, types_intersect};
use crate::keys::PlaceholderType;
use std::collections::HashMap;

const TYPES: [PlaceholderType; 6] = [
    PlaceholderType::Int,
    PlaceholderType::Uuid,
    PlaceholderType::Slug,
    PlaceholderType::Token,
    PlaceholderType::Md5,
    PlaceholderType::Ip,
];

fn type_index(ty: PlaceholderType) -> usize {
    TYPES
        .iter()
        .position(|t| *t == ty)
        .expect("every type is listed")
}

#[derive(Default)]
struct Node {
    literals: HashMap<String, usize>,
    /// For each placeholder type, the literal children it accepts. A
    /// placeholder segment walks only these, not every literal child: without
    /// this, `<id>:x` against thousands of `svcN:...` patterns is quadratic.
    literals_by_type: [Vec<usize>; TYPES.len()],
    placeholders: Vec<(PlaceholderType, usize)>,
    /// Patterns that end at this node.
    terminal: Vec<usize>,
}

/// Returns pairs `(earlier, later)` of pattern indexes that can match the same
/// key. Each pattern is reported with at most one earlier partner, which keeps
/// the output linear when many patterns collide.
pub fn find_ambiguous(patterns: &[&[Segment]]) -> Vec<(usize, usize)> {
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
                        for ty in TYPES {
                            if type_accepts(ty, text) {
                                nodes[at].literals_by_type[type_index(ty)].push(next);
                            }
                        }
                        next
                    }
                },
                Segment::Placeholder { ty, .. } => {
                    match nodes[at].placeholders.iter().find(|(t, _)| t == ty) {
                        Some(&(_, next)) => next,
                        None => {
                            nodes.push(Node::default());
                            let next = nodes.len() - 1;
                            nodes[at].placeholders.push((*ty, next));
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
                    for &(ty, next) in &n.placeholders {
                        if type_accepts(ty, text) {
                            stack.push((next, depth + 1));
                        }
                    }
                }
                Segment::Placeholder { ty, .. } => {
                    for &(other, next) in &n.placeholders {
                        if types_intersect(*ty, other) {
                            stack.push((next, depth + 1));
                        }
                    }
                    stack.extend(
                        n.literals_by_type[type_index(*ty)]
                            .iter()
                            .map(|&next| (next, depth + 1)),
                    );
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
            let b = [lit("rate"), ph(other)];
            assert!(find_ambiguous(&[&ip, &b]).is_empty(), "{other:?}");
        }
        for other in [Slug, Token, Ip] {
            let b = [lit("rate"), ph(other)];
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
}
