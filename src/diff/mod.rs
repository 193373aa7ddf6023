//! Owns `cachegen diff BASE HEAD`: the semantic impact of a policy change,
//! for the people who approve it. Not a text diff: TTLs per pattern and
//! route, staleness budgets, what was added or removed, Redis directives (and
//! whether applying them needs a restart), cluster topology, the memory
//! budget. Both sides are full, validated models; the output is Markdown for
//! a pull-request comment, or JSON.
//!
//! This module owns the change list and the comparisons of whole subjects
//! (patterns, tags, events, routes' own fields, directives, memory,
//! topology); `edge` compares the emitted Cache Rules and origin headers,
//! `staleness` the staleness budgets, `render` prints the list.
//!
//! One policy edit can move many derived values (a new `ttl.max_staleness`
//! is the limit of every budget without its own). Such a derived change
//! names its `cause`, another change in the list, and the output folds it
//! under that cause instead of listing it beside the edit. The list stays
//! flat and complete, so `--fail-on` counts a folded change under its own
//! category exactly as before.

mod edge;
mod render;
mod staleness;

pub use render::{json, markdown};

use crate::facts::Engine;
use crate::policy::model::{Policy, Route, Ttl};
use crate::redis_directives::{self, immutable};
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the `diff --format json` document. Bump on incompatible changes.
/// 2: a change that follows from another is nested under it
/// (`consequences`) rather than listed at the top level, and edge rules are
/// compared field by field (`cache rule edge_ttl.default`, `header Vary`,
/// `position`) instead of as whole rules.
pub const JSON_VERSION: u32 = 2;

/// Kinds of change, for grouping and for `--fail-on`. What each one means
/// is `about`, which is also the command line's help for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Ttl,
    Staleness,
    Added,
    Removed,
    Keys,
    Invalidation,
    Edge,
    Directive,
    Restart,
    Topology,
    Memory,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::Ttl,
        Category::Staleness,
        Category::Added,
        Category::Removed,
        Category::Keys,
        Category::Invalidation,
        Category::Edge,
        Category::Directive,
        Category::Restart,
        Category::Topology,
        Category::Memory,
    ];

    /// Whether `--fail-on self` fails on a change of `kind`. A change that
    /// needs a restart is a directive change too, so `directive` selects it.
    pub fn selects(self, kind: Category) -> bool {
        self == kind || (self == Category::Directive && kind == Category::Restart)
    }

    /// The name (as in JSON and `--fail-on`), the Markdown section title,
    /// and what a change of this kind is.
    fn facts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Category::Ttl => (
                "ttl",
                "TTLs",
                "A TTL of a key pattern, tag set or route changed",
            ),
            Category::Staleness => (
                "staleness",
                "Staleness budgets",
                "A worst-case staleness budget changed",
            ),
            Category::Added => (
                "added",
                "Added",
                "A key pattern, route, event or tag set was added",
            ),
            Category::Removed => (
                "removed",
                "Removed",
                "A key pattern, route, event or tag set was removed",
            ),
            Category::Keys => (
                "keys",
                "Key shapes",
                "A key shape or the version prefix changed: existing keys are orphaned",
            ),
            Category::Invalidation => (
                "invalidation",
                "Invalidation",
                "What an event purges changed",
            ),
            Category::Edge => (
                "edge",
                "Edge caching",
                "What the edge caches changed (a route's match, cache level, visibility)",
            ),
            Category::Directive => (
                "directive",
                "Redis directives",
                "A managed Redis directive changed",
            ),
            Category::Restart => (
                "restart",
                "Needs a restart",
                "A changed directive cannot be applied at runtime (restart needed)",
            ),
            Category::Topology => (
                "topology",
                "Cluster topology",
                "Cluster masters, replicas or settings changed",
            ),
            Category::Memory => ("memory", "Memory budget", "The expected memory use changed"),
        }
    }

    pub fn name(self) -> &'static str {
        self.facts().0
    }

    pub fn title(self) -> &'static str {
        self.facts().1
    }

    pub fn about(self) -> &'static str {
        self.facts().2
    }
}

/// One change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub category: Category,
    /// What changed: `pattern session`, `route api_public`, `maxmemory`.
    pub subject: String,
    /// Which property (`ttl max`, `edge_ttl`), empty when the whole subject
    /// was added or removed.
    pub field: String,
    pub base: Option<String>,
    pub head: Option<String>,
    /// A human note (`longer`, `shorter`, `needs a restart`).
    pub note: String,
    /// The `subject` of the change this one follows from (`ttl.max_staleness`
    /// for the limit of a budget that has no limit of its own), or `None`.
    /// Output folds a change under its cause.
    #[serde(skip)]
    pub cause: Option<String>,
}

fn dur(secs: u64) -> String {
    crate::load::units::Duration::from_secs(secs).to_string()
}

fn ttl_text(t: Ttl) -> String {
    match t {
        Ttl::Expires { base, max } if base == max => dur(base.as_secs()),
        Ttl::Expires { base, max } => format!("{}–{}", dur(base.as_secs()), dur(max.as_secs())),
        Ttl::Never => "none".to_owned(),
    }
}

fn ttl_max(t: Ttl) -> Option<u64> {
    t.max().map(|d| d.as_secs())
}

/// `longer` / `shorter` for two optional lifetimes (`None` = forever).
fn direction(base: Option<u64>, head: Option<u64>) -> &'static str {
    match (base, head) {
        (Some(a), Some(b)) if b > a => "longer",
        (Some(a), Some(b)) if b < a => "shorter",
        (Some(_), None) => "longer (never expires now)",
        (None, Some(_)) => "shorter (expires now)",
        _ => "",
    }
}

/// Appends one change that follows from nothing else in the diff.
pub(crate) fn push(
    out: &mut Vec<Change>,
    category: Category,
    subject: String,
    field: &str,
    base: Option<String>,
    head: Option<String>,
    note: &str,
) {
    out.push(Change {
        category,
        subject,
        field: field.to_owned(),
        base,
        head,
        note: note.to_owned(),
        cause: None,
    });
}

/// Every change from `base` to `head`, in a stable order.
pub fn changes(base: &Policy, head: &Policy) -> Vec<Change> {
    let mut out = Vec::new();

    // Key patterns.
    for (name, b) in &base.keys.patterns {
        match head.keys.patterns.get(name) {
            None => push(
                &mut out,
                Category::Removed,
                format!("pattern {name}"),
                "",
                Some(b.text.clone()),
                None,
                "",
            ),
            Some(h) => {
                if b.ttl != h.ttl {
                    push(
                        &mut out,
                        Category::Ttl,
                        format!("pattern {name}"),
                        "ttl",
                        Some(ttl_text(b.ttl)),
                        Some(ttl_text(h.ttl)),
                        direction(ttl_max(b.ttl), ttl_max(h.ttl)),
                    );
                }
                // The key as stored (`v2:{user:<user_id>}:profile`): a new
                // prefix, segment or hash tag orphans every existing key.
                let stored = |p: &Policy, k: &crate::policy::model::KeyPattern| {
                    p.stored_shape("", &k.segments, k.hash_tag)
                };
                let (bs, hs) = (stored(base, b), stored(head, h));
                // A new version prefix is reported once, below, not per pattern.
                if bs != hs && base.keys.version_prefix == head.keys.version_prefix {
                    push(
                        &mut out,
                        Category::Keys,
                        format!("pattern {name}"),
                        "key shape",
                        Some(bs),
                        Some(hs),
                        "existing keys no longer match: they are orphaned until they expire",
                    );
                }
            }
        }
    }
    for (name, h) in &head.keys.patterns {
        if !base.keys.patterns.contains_key(name) {
            push(
                &mut out,
                Category::Added,
                format!("pattern {name}"),
                "",
                None,
                Some(h.text.clone()),
                "",
            );
        }
    }
    if base.keys.version_prefix != head.keys.version_prefix {
        push(
            &mut out,
            Category::Keys,
            "key version prefix".into(),
            "",
            base.keys.version_prefix.clone(),
            head.keys.version_prefix.clone(),
            "every existing key is orphaned: the cache starts cold",
        );
    }

    // Tag sets.
    for (name, b) in &base.tags {
        match head.tags.get(name) {
            None => push(
                &mut out,
                Category::Removed,
                format!("tag {name}"),
                "",
                Some(b.key_text.clone()),
                None,
                "",
            ),
            Some(h) if b.ttl != h.ttl => push(
                &mut out,
                Category::Ttl,
                format!("tag {name}"),
                "ttl",
                Some(ttl_text(b.ttl)),
                Some(ttl_text(h.ttl)),
                direction(ttl_max(b.ttl), ttl_max(h.ttl)),
            ),
            Some(_) => {}
        }
    }
    for (name, h) in &head.tags {
        if !base.tags.contains_key(name) {
            push(
                &mut out,
                Category::Added,
                format!("tag {name}"),
                "",
                None,
                Some(h.key_text.clone()),
                "",
            );
        }
    }

    // Events: what each one purges, as the graph resolves it (direct,
    // cascades, tags, when_changed branches, edge paths), so a new cascade
    // or tag counts as a change of what the event purges.
    let (bg, hg) = (
        crate::graph::Graph::new(base),
        crate::graph::Graph::new(head),
    );
    let purge = |g: &crate::graph::Graph, event: &str| -> String {
        let Some(radius) = g.blast_radius(event) else {
            return String::new();
        };
        let mut parts: Vec<String> = radius
            .patterns
            .iter()
            .map(|r| match r.when_changed {
                Some(field) => format!("{} (when {field} changes)", r.pattern),
                None => r.pattern.to_owned(),
            })
            .collect();
        parts.extend(radius.tags.iter().map(|t| format!("tag {t}")));
        parts.extend(
            radius
                .edge_paths
                .iter()
                .map(|e| format!("edge {}", e.text())),
        );
        parts.join(", ")
    };
    for name in base.events.keys() {
        let before = purge(&bg, name);
        if !head.events.contains_key(name) {
            push(
                &mut out,
                Category::Removed,
                format!("event {name}"),
                "",
                Some(before),
                None,
                "",
            );
            continue;
        }
        let after = purge(&hg, name);
        if before != after {
            push(
                &mut out,
                Category::Invalidation,
                format!("event {name}"),
                "purges",
                Some(before),
                Some(after),
                "what the event purges changed",
            );
        }
    }
    for name in head.events.keys() {
        if !base.events.contains_key(name) {
            push(
                &mut out,
                Category::Added,
                format!("event {name}"),
                "",
                None,
                Some(purge(&hg, name)),
                "",
            );
        }
    }

    // Routes.
    let empty = indexmap::IndexMap::new();
    let base_routes = base.edge.as_ref().map_or(&empty, |e| &e.routes);
    let head_routes = head.edge.as_ref().map_or(&empty, |e| &e.routes);
    let where_ = |r: &Route| {
        r.path
            .clone()
            .unwrap_or_else(|| format!("*.{{{}}}", r.extensions.join(",")))
    };
    for (name, b) in base_routes {
        match head_routes.get(name) {
            None => push(
                &mut out,
                Category::Removed,
                format!("route {name}"),
                "",
                Some(where_(b)),
                None,
                "",
            ),
            Some(h) => {
                let fields: [(&str, Option<u64>, Option<u64>); 4] = [
                    (
                        "edge_ttl",
                        b.edge_ttl.map(|d| d.as_secs()),
                        h.edge_ttl.map(|d| d.as_secs()),
                    ),
                    (
                        "browser_ttl",
                        b.browser_ttl.map(|d| d.as_secs()),
                        h.browser_ttl.map(|d| d.as_secs()),
                    ),
                    (
                        "stale_while_revalidate",
                        b.stale_while_revalidate.map(|d| d.as_secs()),
                        h.stale_while_revalidate.map(|d| d.as_secs()),
                    ),
                    (
                        "stale_if_error",
                        b.stale_if_error.map(|d| d.as_secs()),
                        h.stale_if_error.map(|d| d.as_secs()),
                    ),
                ];
                for (field, bv, hv) in fields {
                    if bv != hv {
                        let note = match (bv, hv) {
                            (Some(a), Some(c)) if c > a => "longer",
                            (Some(a), Some(c)) if c < a => "shorter",
                            (None, Some(_)) => "now set",
                            _ => "now unset",
                        };
                        push(
                            &mut out,
                            Category::Ttl,
                            format!("route {name}"),
                            field,
                            bv.map(dur),
                            hv.map(dur),
                            note,
                        );
                    }
                }
            }
        }
    }
    for (name, h) in head_routes {
        if !base_routes.contains_key(name) {
            push(
                &mut out,
                Category::Added,
                format!("route {name}"),
                "",
                None,
                Some(where_(h)),
                "",
            );
        }
    }

    edge::changes(base, head, &mut out);

    // Redis directives, by the exact value `CONFIG GET` reports.
    let directives = |p: &Policy| -> BTreeMap<&'static str, String> {
        redis_directives::managed_directives(p)
            .into_iter()
            .map(|d| (d.name, d.config_get))
            .collect()
    };
    let (bd, hd) = (directives(base), directives(head));
    let names: std::collections::BTreeSet<&str> = bd.keys().chain(hd.keys()).copied().collect();
    for name in names {
        let (b, h) = (bd.get(name), hd.get(name));
        if b != h {
            let restart = immutable(Engine::Redis, head.redis.version, name);
            push(
                &mut out,
                if restart {
                    Category::Restart
                } else {
                    Category::Directive
                },
                name.to_owned(),
                "",
                b.cloned(),
                h.cloned(),
                if restart {
                    "cannot be changed at runtime: restart every node"
                } else {
                    "CONFIG SET applies it live"
                },
            );
        }
    }
    if base.redis.version != head.redis.version {
        push(
            &mut out,
            Category::Restart,
            "redis.version".into(),
            "",
            Some(format!("{}.{}", base.redis.version.0, base.redis.version.1)),
            Some(format!("{}.{}", head.redis.version.0, head.redis.version.1)),
            "a server upgrade",
        );
    }

    staleness::changes(base, head, &mut out);

    // Memory budget (patterns that declare a cardinality).
    let (bm, hm) = (
        crate::analysis::memory::memory_budget(base),
        crate::analysis::memory::memory_budget(head),
    );
    if bm.total != hm.total {
        let mut note = match hm.capacity {
            Some(c) => format!(
                "{:.0}% of maxmemory after the change",
                hm.total as f64 * 100.0 / c as f64
            ),
            None => "maxmemory 0: no limit".to_owned(),
        };
        let (mut b, mut h) = (
            crate::load::units::human_bytes(bm.total),
            crate::load::units::human_bytes(hm.total),
        );
        if b == h {
            // Rounded alike (`1.9 GiB` both sides): without the bytes the
            // row would show no change, yet it counts for `--fail-on memory`.
            b = format!("{b} ({} B)", bm.total);
            h = format!("{h} ({} B)", hm.total);
            let delta = i128::from(hm.total) - i128::from(bm.total);
            note = format!("{delta:+} B; {note}");
        }
        push(
            &mut out,
            Category::Memory,
            "expected memory".into(),
            "",
            Some(b),
            Some(h),
            &note,
        );
    }

    // Cluster topology.
    let topo = |p: &Policy| -> BTreeMap<&'static str, String> {
        let mut m = BTreeMap::new();
        if let Some(c) = &p.cluster {
            m.insert("masters", c.masters.to_string());
            m.insert("replicas_per_master", c.replicas_per_master.to_string());
            m.insert("node_timeout", c.node_timeout.to_string());
        }
        m
    };
    match (&base.cluster, &head.cluster) {
        (None, Some(_)) => push(
            &mut out,
            Category::Topology,
            "cluster".into(),
            "",
            Some("single node".into()),
            Some("cluster".into()),
            "keys gain hash-tag braces: the cache starts cold",
        ),
        (Some(_), None) => push(
            &mut out,
            Category::Topology,
            "cluster".into(),
            "",
            Some("cluster".into()),
            Some("single node".into()),
            "keys lose hash-tag braces: the cache starts cold",
        ),
        _ => {
            let (bt, ht) = (topo(base), topo(head));
            for (field, b) in &bt {
                let h = ht.get(field);
                if Some(b) != h {
                    let note = if *field == "masters" {
                        "resharding moves slots (and their keys)"
                    } else {
                        ""
                    };
                    push(
                        &mut out,
                        Category::Topology,
                        "cluster".into(),
                        field,
                        Some(b.clone()),
                        h.cloned(),
                        note,
                    );
                }
            }
        }
    }
    out
}
