//! Owns the invalidation graph: which events, `when_changed` branches,
//! cascades and tags reach which key patterns, and which edge routes serve
//! them — a pure function of the validated `Policy` — and its drawings for
//! `cachegen graph` (Graphviz DOT and Mermaid).
//!
//! Nodes are events, their `when_changed` branches, key patterns and tags.
//! Edges are the policy's own declarations, never inferred ones: event →
//! pattern (`invalidate`), event → tag (`invalidate_tags`), event → branch →
//! pattern (`when_changed`), pattern → dependent pattern (`cascade`) and tag →
//! member pattern (a pattern's `tags`). Questions about reach (`blast_radius`,
//! `uninvalidated_patterns`, `empty_events`, `cascade_closure`) walk those
//! edges; `explain`, `diff`, the lint rules and the Rust target's
//! invalidation plans ask here instead of walking the policy themselves, so
//! they cannot disagree about what an event purges.
//!
//! Cascade cycles never get here: `lower` refuses them (CG021). The walks keep
//! a visited set anyway, so a salvaged model cannot make them loop.
//!
//! This file is the graph and its queries; `draw` holds the drawings.

use crate::policy::model::Policy;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

mod draw;
pub use draw::{Syntax, dot_string, mermaid_text};

/// One node of the graph. Names borrow from the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Node<'p> {
    Event {
        name: &'p str,
    },
    /// An event's `when_changed` entry: keys invalidated only when `field`
    /// of the changed entity changed.
    Branch {
        event: &'p str,
        field: &'p str,
    },
    Pattern {
        name: &'p str,
    },
    Tag {
        name: &'p str,
    },
}

/// What an edge stands for: which policy field declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// Event → pattern, from `invalidate`.
    Invalidate,
    /// Event → tag, from `invalidate_tags`.
    InvalidateTag,
    /// Event → one of its `when_changed` branches.
    Branch,
    /// Branch → pattern, from the branch's list.
    WhenChanged,
    /// Pattern → dependent pattern, from `invalidation.cascade`.
    Cascade,
    /// Tag → member pattern, from the pattern's `tags`.
    Member,
}

/// A directed edge between two node indexes of `Graph::nodes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
}

/// One step of the path by which an event reaches a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Step<'p> {
    Event(&'p str),
    /// Through the event's `when_changed` entry for this field.
    WhenChanged(&'p str),
    Tag(&'p str),
    Pattern(&'p str),
}

impl std::fmt::Display for Step<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Event(name) | Step::Pattern(name) => f.write_str(name),
            Step::WhenChanged(field) => write!(f, "when {field} changes"),
            Step::Tag(name) => write!(f, "tag {name}"),
        }
    }
}

/// The last step by which an event reaches a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Via<'p> {
    /// Listed in the event's `invalidate`.
    Invalidate,
    /// A member of a tag in the event's `invalidate_tags`.
    Tag { tag: &'p str },
    /// Listed in the event's `when_changed` entry for `field`.
    WhenChanged { field: &'p str },
    /// A cascade from `from`, which the event reached first.
    Cascade { from: &'p str },
}

/// A pattern an event invalidates, and how.
#[derive(Clone, Serialize)]
pub struct Reached<'p> {
    pub pattern: &'p str,
    /// `Some(field)` when only a `when_changed` branch reaches the pattern:
    /// it is invalidated only when that field changed.
    pub when_changed: Option<&'p str>,
    pub via: Via<'p>,
    /// The path from the event, as a shared linked list: patterns down one
    /// cascade chain share their prefix, so a chain of n patterns costs n
    /// links, not n²/2 steps. `path()` spells it out.
    #[serde(rename = "path", serialize_with = "serialize_trail")]
    trail: Rc<Link<'p>>,
}

impl<'p> Reached<'p> {
    /// From the event to the pattern, both included: `[quiz.completed,
    /// user_stats]` for a direct invalidation, `[user.updated, user_profile,
    /// user_stats]` for a cascade, `[user.updated, when score changes,
    /// leaderboard_global]` for a branch.
    pub fn path(&self) -> Vec<Step<'p>> {
        let mut steps = Vec::new();
        let mut at = Some(&self.trail);
        while let Some(link) = at {
            steps.push(link.step);
            at = link.prev.as_ref();
        }
        steps.reverse();
        steps
    }

    /// `path` as text: `user.updated → user_profile → user_stats`.
    pub fn path_text(&self) -> String {
        self.path()
            .iter()
            .map(Step::to_string)
            .collect::<Vec<_>>()
            .join(" → ")
    }
}

impl std::fmt::Debug for Reached<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reached")
            .field("pattern", &self.pattern)
            .field("when_changed", &self.when_changed)
            .field("via", &self.via)
            .field("path", &self.path())
            .finish()
    }
}

fn serialize_trail<S: serde::Serializer>(trail: &Rc<Link>, s: S) -> Result<S::Ok, S::Error> {
    let mut steps = Vec::new();
    let mut at = Some(trail);
    while let Some(link) = at {
        steps.push(link.step);
        at = link.prev.as_ref();
    }
    steps.reverse();
    s.collect_seq(steps)
}

/// One step of a `Reached` path and the steps before it.
struct Link<'p> {
    step: Step<'p>,
    prev: Option<Rc<Link<'p>>>,
}

impl Drop for Link<'_> {
    /// Unlinks iteratively: the default recursive drop of a long cascade
    /// chain would overflow the stack.
    fn drop(&mut self) {
        let mut prev = self.prev.take();
        while let Some(rc) = prev {
            match Rc::try_unwrap(rc) {
                Ok(mut link) => prev = link.prev.take(),
                Err(_) => break,
            }
        }
    }
}

fn link<'p>(step: Step<'p>, prev: Option<Rc<Link<'p>>>) -> Rc<Link<'p>> {
    Rc::new(Link { step, prev })
}

/// An edge route whose cached responses an event makes stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EdgePath<'p> {
    pub route: &'p str,
    pub path: Option<&'p str>,
    pub extensions: &'p [String],
    /// The invalidated patterns the route's responses are built from.
    pub patterns: Vec<&'p str>,
}

impl EdgePath<'_> {
    /// What to purge, as written: `/api/public/*`, `*.js, *.css`, or both
    /// (`/assets/* (*.js, *.css)`).
    pub fn text(&self) -> String {
        let exts = self
            .extensions
            .iter()
            .map(|e| format!("*.{e}"))
            .collect::<Vec<_>>()
            .join(", ");
        match (self.path, exts.is_empty()) {
            (Some(p), true) => p.to_owned(),
            (Some(p), false) => format!("{p} ({exts})"),
            (None, _) => exts,
        }
    }
}

/// Everything one event invalidates.
#[derive(Debug, Clone, Serialize)]
pub struct BlastRadius<'p> {
    pub event: &'p str,
    /// Each pattern once, in the order the generated invalidation plan
    /// deletes them (`render::rust`): `invalidate` with each pattern's cascade
    /// depth first, then the members of `invalidate_tags`, then each
    /// `when_changed` branch's patterns not already reached.
    pub patterns: Vec<Reached<'p>>,
    /// The tags the event invalidates (`invalidate_tags`), in policy order.
    pub tags: Vec<&'p str>,
    /// Routes a cache may store whose responses are built from any of
    /// `patterns` (`serves`), in route order.
    pub edge_paths: Vec<EdgePath<'p>>,
}

impl<'p> BlastRadius<'p> {
    /// Pattern names only, in order.
    pub fn pattern_names(&self) -> Vec<&'p str> {
        self.patterns.iter().map(|r| r.pattern).collect()
    }

    /// The entry for `pattern`, if the event reaches it.
    pub fn get(&self, pattern: &str) -> Option<&Reached<'p>> {
        self.patterns.iter().find(|r| r.pattern == pattern)
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty() && self.tags.is_empty()
    }
}

/// The invalidation graph of one policy.
#[derive(Debug)]
pub struct Graph<'p> {
    policy: &'p Policy,
    nodes: Vec<Node<'p>>,
    edges: Vec<Edge>,
}

impl<'p> Graph<'p> {
    /// Builds the graph. Nodes come in policy order (each event followed by
    /// its branches, then patterns, then tags), edges in declaration order,
    /// so every drawing of the same policy is byte-identical.
    pub fn new(policy: &'p Policy) -> Self {
        let mut nodes = Vec::new();
        for e in policy.events.values() {
            nodes.push(Node::Event { name: &e.name });
            for field in e.when_changed.keys() {
                nodes.push(Node::Branch {
                    event: &e.name,
                    field,
                });
            }
        }
        nodes.extend(
            policy
                .keys
                .patterns
                .values()
                .map(|p| Node::Pattern { name: &p.name }),
        );
        nodes.extend(policy.tags.values().map(|t| Node::Tag { name: &t.name }));
        let index: HashMap<Node, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        let mut edges = Vec::new();
        // Lowering drops references to things that do not exist, but a lookup
        // that misses is skipped rather than trusted.
        let mut edge = |from: Node<'p>, to: Node<'p>, kind| {
            if let (Some(&from), Some(&to)) = (index.get(&from), index.get(&to)) {
                edges.push(Edge { from, to, kind });
            }
        };
        let pattern = |name: &'p String| Node::Pattern { name };
        for e in policy.events.values() {
            let event = Node::Event { name: &e.name };
            for p in &e.invalidate {
                edge(event, pattern(p), EdgeKind::Invalidate);
            }
            for t in &e.invalidate_tags {
                edge(event, Node::Tag { name: t }, EdgeKind::InvalidateTag);
            }
            for (field, list) in &e.when_changed {
                let branch = Node::Branch {
                    event: &e.name,
                    field,
                };
                edge(event, branch, EdgeKind::Branch);
                for p in list {
                    edge(branch, pattern(p), EdgeKind::WhenChanged);
                }
            }
        }
        for (source, targets) in &policy.cascade {
            for t in targets {
                edge(pattern(source), pattern(t), EdgeKind::Cascade);
            }
        }
        for t in policy.tags.values() {
            for m in &t.members {
                edge(Node::Tag { name: &t.name }, pattern(m), EdgeKind::Member);
            }
        }
        Graph {
            policy,
            nodes,
            edges,
        }
    }

    pub fn nodes(&self) -> &[Node<'p>] {
        &self.nodes
    }

    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// What `event` invalidates; `None` if the policy has no such event.
    pub fn blast_radius(&self, event: &str) -> Option<BlastRadius<'p>> {
        let policy = self.policy;
        let e = policy.events.get(event)?;
        let mut seen = HashSet::new();
        let mut patterns = Vec::new();
        let root = link(Step::Event(&e.name), None);
        let start = |via, step: Option<Step<'p>>| {
            let prefix = step.map_or_else(|| root.clone(), |s| link(s, Some(root.clone())));
            (via, Some(prefix))
        };
        self.reach(
            &e.invalidate,
            start(Via::Invalidate, None),
            None,
            &mut seen,
            &mut patterns,
        );
        let mut tags = Vec::new();
        for name in &e.invalidate_tags {
            let Some(tag) = policy.tags.get(name) else {
                continue;
            };
            tags.push(tag.name.as_str());
            // Invalidating a tag deletes its members; their cascades follow
            // as for any other invalidation, so the radius is an upper bound.
            let from = start(Via::Tag { tag: &tag.name }, Some(Step::Tag(&tag.name)));
            self.reach(&tag.members, from, None, &mut seen, &mut patterns);
        }
        for (field, list) in &e.when_changed {
            let from = start(Via::WhenChanged { field }, Some(Step::WhenChanged(field)));
            self.reach(list, from, Some(field), &mut seen, &mut patterns);
        }
        let edge_paths = self.edge_paths(&patterns);
        Some(BlastRadius {
            event: &e.name,
            patterns,
            tags,
            edge_paths,
        })
    }

    /// Every event's blast radius, in policy order.
    pub fn blast_radii(&self) -> Vec<BlastRadius<'p>> {
        self.policy
            .events
            .keys()
            .filter_map(|e| self.blast_radius(e))
            .collect()
    }

    /// Patterns no event reaches, directly, through a branch, a tag or a
    /// cascade, in policy order. Their keys change only when their TTL ends.
    /// A cascade from a pattern that is itself never invalidated does not
    /// count: nothing ever sets it off.
    pub fn uninvalidated_patterns(&self) -> Vec<&'p str> {
        // One walk from every event with one visited set: linear in the
        // policy, where a blast radius per event could cost events × chain.
        let mut reached = HashSet::new();
        let mut scratch = Vec::new();
        let root = link(Step::Event(""), None);
        for e in self.policy.events.values() {
            let tag_members = e
                .invalidate_tags
                .iter()
                .filter_map(|t| self.policy.tags.get(t))
                .map(|t| t.members.as_slice());
            let lists = std::iter::once(e.invalidate.as_slice())
                .chain(tag_members)
                .chain(e.when_changed.values().map(Vec::as_slice));
            for list in lists {
                let from = (Via::Invalidate, Some(root.clone()));
                self.reach(list, from, None, &mut reached, &mut scratch);
                scratch.clear();
            }
        }
        self.policy
            .keys
            .patterns
            .values()
            .map(|p| p.name.as_str())
            .filter(|p| !reached.contains(p))
            .collect()
    }

    /// Events that invalidate no pattern and no tag, in policy order.
    pub fn empty_events(&self) -> Vec<&'p str> {
        let policy = self.policy;
        policy
            .events
            .values()
            .filter(|e| {
                let lists = std::iter::once(&e.invalidate).chain(e.when_changed.values());
                !e.invalidate_tags
                    .iter()
                    .any(|t| policy.tags.contains_key(t))
                    && !lists.flatten().any(|p| policy.pattern(p).is_some())
            })
            .map(|e| e.name.as_str())
            .collect()
    }

    /// Every pattern an invalidation of `list` reaches, in the order the
    /// generated plan deletes them (`render::rust` asks here): each listed
    /// pattern followed by its cascade, depth first, each once. Listed
    /// patterns come with `Via::Invalidate`, the others with the cascade
    /// they came through; paths start at the listed pattern.
    pub fn cascade_closure(&self, list: &'p [String]) -> Vec<Reached<'p>> {
        let mut out = Vec::new();
        let from = (Via::Invalidate, None);
        self.reach(list, from, None, &mut HashSet::new(), &mut out);
        out
    }

    /// Depth-first, pre-order walk of `list` and its cascades, appending
    /// each pattern not yet `seen` to `out`: one walk for the blast radius
    /// and `cascade_closure`, so the blast radius lists keys in the order
    /// the generated plan deletes them.
    fn reach(
        &self,
        list: &'p [String],
        (via, prefix): (Via<'p>, Option<Rc<Link<'p>>>),
        when_changed: Option<&'p str>,
        seen: &mut HashSet<&'p str>,
        out: &mut Vec<Reached<'p>>,
    ) {
        // Each entry: a name, how it was reached, and the path before it.
        let mut stack: Vec<(&'p str, Via<'p>, Option<Rc<Link<'p>>>)> = list
            .iter()
            .rev()
            .map(|n| (n.as_str(), via, prefix.clone()))
            .collect();
        while let Some((name, via, before)) = stack.pop() {
            let Some(p) = self.policy.pattern(name) else {
                continue;
            };
            if !seen.insert(p.name.as_str()) {
                continue;
            }
            let trail = link(Step::Pattern(&p.name), before);
            if let Some(deps) = self.policy.cascade.get(name) {
                let from = Via::Cascade { from: &p.name };
                let after = Some(trail.clone());
                stack.extend(deps.iter().rev().map(|d| (d.as_str(), from, after.clone())));
            }
            out.push(Reached {
                pattern: &p.name,
                when_changed,
                via,
                trail,
            });
        }
    }

    /// Routes whose responses are built from an invalidated pattern
    /// (`serves`) and may be stored by a cache: their stored responses must be
    /// purged too. Bypassed and authenticated routes are never stored
    /// (`Route::is_no_store`), so there is nothing to purge.
    fn edge_paths(&self, reached: &[Reached<'p>]) -> Vec<EdgePath<'p>> {
        let Some(edge) = &self.policy.edge else {
            return Vec::new();
        };
        let order: HashMap<&str, usize> = reached
            .iter()
            .enumerate()
            .map(|(i, r)| (r.pattern, i))
            .collect();
        edge.routes
            .values()
            .filter(|r| !r.is_no_store())
            .filter_map(|route| {
                // In blast-radius order, not the order `serves` lists them.
                let mut served: Vec<usize> = route
                    .serves
                    .iter()
                    .filter_map(|s| order.get(s.as_str()).copied())
                    .collect();
                served.sort_unstable();
                let patterns: Vec<&'p str> = served.iter().map(|&i| reached[i].pattern).collect();
                (!patterns.is_empty()).then(|| EdgePath {
                    route: &route.name,
                    path: route.path.as_deref(),
                    extensions: &route.extensions,
                    patterns,
                })
            })
            .collect()
    }
}
