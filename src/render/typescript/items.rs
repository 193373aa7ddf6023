//! Owns the per-item half of the TypeScript module's context: each
//! pattern's and tag set's key pieces and classifier segments, TTL and lock
//! numbers, the events' plans (cascades expanded by `module_ir`), and the
//! user-defined types' DFA tables, all as TypeScript literals.

use super::{RenderError, module_ir, ts_doc, ts_str};
use crate::graph::Graph;
use crate::keys::{KeyPiece, Segment};
use crate::policy::model::{PlaceholderType, Policy, Ttl};
use serde::Serialize;

/// A placeholder type as the module's `Kind`: `"int"`, …, or the index of a
/// user-defined type in `REGEX_TYPES`.
fn kind(policy: &Policy, ty: &PlaceholderType) -> String {
    match ty {
        PlaceholderType::Pattern(r) => module_ir::regex_index(policy, r).to_string(),
        other => ts_str(crate::policy::lock::placeholder_type_name(other)),
    }
}

/// The TypeScript type a builder takes for a placeholder.
fn param_type(ty: &PlaceholderType) -> &'static str {
    match ty {
        PlaceholderType::Int => "IntParam",
        _ => "string",
    }
}

/// One placeholder a builder or plan takes.
#[derive(Debug, Clone, Serialize)]
pub struct ParamItem {
    /// String literal of the placeholder's name (the property key).
    pub name: String,
    pub ts_type: &'static str,
}

fn params_of(segments: &[Segment]) -> Vec<ParamItem> {
    let mut out: Vec<ParamItem> = Vec::new();
    for s in segments {
        if let Segment::Placeholder { name, ty } = s {
            let name = ts_str(name);
            if !out.iter().any(|p| p.name == name) {
                out.push(ParamItem {
                    name,
                    ts_type: param_type(ty),
                });
            }
        }
    }
    out
}

/// An object type of the parameters (`{ readonly "user_id": IntParam }`).
fn params_type(params: &[ParamItem]) -> String {
    if params.is_empty() {
        return "Record<string, never>".into();
    }
    let fields: Vec<String> = params
        .iter()
        .map(|p| format!("readonly {}: {}", p.name, p.ts_type))
        .collect();
    format!("{{ {} }}", fields.join("; "))
}

/// The stored key as the module's `Piece[]`: texts and `[name, kind]`.
fn pieces(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> String {
    let items: Vec<String> = policy
        .stored_key(store, before, segments, hash_tag)
        .iter()
        .map(|p| match p {
            KeyPiece::Text(t) => ts_str(t),
            KeyPiece::Placeholder { name, ty } => {
                format!("[{}, {}]", ts_str(name), kind(policy, ty))
            }
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// The key's segments after the version prefix, for the classifier.
fn segments(policy: &Policy, segments: &[Segment]) -> String {
    let items: Vec<String> = segments
        .iter()
        .map(|s| match s {
            Segment::Literal(t) => ts_str(t),
            Segment::Placeholder { name, ty } => {
                format!("[{}, {}]", ts_str(name), kind(policy, ty))
            }
        })
        .collect();
    format!("[{}]", items.join(", "))
}

fn string_array(xs: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = xs.map(|x| ts_str(&x)).collect();
    format!("[{}]", items.join(", "))
}

#[derive(Debug, Serialize)]
pub struct TtlItem {
    pub base_secs: u64,
    pub max_secs: u64,
    pub jitter_basis_points: u32,
}

#[derive(Debug, Serialize)]
pub struct LockItem {
    pub prefix: String,
    pub ttl_secs: u64,
    pub pieces: String,
    pub shape: String,
}

#[derive(Debug, Serialize)]
pub struct PatternItem {
    pub name: String,
    pub doc: Vec<String>,
    pub store: String,
    pub shape: String,
    pub param_names: String,
    pub params_type: String,
    pub has_params: bool,
    pub pieces: String,
    pub segments: String,
    /// `[start, end]` of the braced segments, or `null`.
    pub hash_tag: String,
    pub ttl: Option<TtlItem>,
    pub lock: Option<LockItem>,
    pub tags: String,
}

pub fn pattern_item(policy: &Policy, p: &crate::policy::model::KeyPattern) -> PatternItem {
    let shape = policy.stored_shape(&p.store, "", &p.segments, p.hash_tag);
    let params = params_of(&p.segments);
    let mut doc = vec![format!(
        "Key of pattern `{}`: `{}`.",
        p.name,
        ts_doc(&shape)
    )];
    if let Some(d) = &p.description {
        doc.push(format!("Policy description: {}", ts_doc(d)));
    }
    let ttl = match p.ttl {
        Ttl::Expires { base, max } => {
            doc.push(format!(
                "TTL {} s, at most {} s with {} jitter{}.",
                base.as_secs(),
                max.as_secs(),
                p.jitter,
                match (p.authenticated, policy.ttl.authenticated_cap) {
                    (true, Some(cap)) => format!(" (authenticated: capped at {cap})"),
                    _ => String::new(),
                }
            ));
            Some(TtlItem {
                base_secs: base.as_secs(),
                max_secs: max.as_secs(),
                jitter_basis_points: p.jitter.basis_points(),
            })
        }
        Ttl::Never => {
            doc.push("No TTL: the key never expires.".into());
            None
        }
    };
    let lock = p.stampede_lock.as_ref().map(|l| LockItem {
        prefix: ts_str(&l.prefix),
        ttl_secs: l.ttl.as_secs(),
        pieces: pieces(policy, &p.store, &l.prefix, &p.segments, p.hash_tag),
        shape: ts_doc(&policy.stored_shape(&p.store, &l.prefix, &p.segments, p.hash_tag)),
    });
    PatternItem {
        name: ts_str(&p.name),
        doc: doc.iter().map(|line| ts_doc(line)).collect(),
        store: ts_str(&p.store),
        shape: ts_str(&shape),
        param_names: string_array(p.segments.iter().filter_map(|s| match s {
            Segment::Placeholder { name, .. } => Some(name.clone()),
            Segment::Literal(_) => None,
        })),
        params_type: params_type(&params),
        has_params: !params.is_empty(),
        pieces: pieces(policy, &p.store, "", &p.segments, p.hash_tag),
        segments: segments(policy, &p.segments),
        hash_tag: module_ir::effective_hash_tag(policy, p)
            .map_or_else(|| "null".into(), |(s, e)| format!("[{s}, {e}]")),
        ttl,
        lock,
        tags: string_array(p.tags.iter().cloned()),
    }
}

#[derive(Debug, Serialize)]
pub struct TagItem {
    pub name: String,
    pub store: String,
    pub shape: String,
    pub shape_doc: String,
    pub param_names: String,
    pub params_type: String,
    pub has_params: bool,
    pub pieces: String,
    pub segments: String,
    /// Seconds or `null`.
    pub ttl_secs: String,
    pub members: String,
}

pub fn tag_items(policy: &Policy) -> Vec<TagItem> {
    policy
        .tags
        .values()
        .map(|t| {
            let shape = policy.stored_shape(&t.store, "", &t.key, None);
            let params = params_of(&t.key);
            TagItem {
                name: ts_str(&t.name),
                store: ts_str(&t.store),
                shape: ts_str(&shape),
                shape_doc: ts_doc(&shape),
                param_names: string_array(t.key.iter().filter_map(|s| match s {
                    Segment::Placeholder { name, .. } => Some(name.clone()),
                    Segment::Literal(_) => None,
                })),
                params_type: params_type(&params),
                has_params: !params.is_empty(),
                pieces: pieces(policy, &t.store, "", &t.key, None),
                segments: segments(policy, &t.key),
                ttl_secs: t
                    .ttl
                    .max()
                    .map_or_else(|| "null".into(), |d| d.as_secs().to_string()),
                members: string_array(t.members.iter().cloned()),
            }
        })
        .collect()
}

/// One key of a plan: its store and the builder making it.
#[derive(Debug, Serialize)]
pub struct PlanKey {
    pub store: String,
    /// The pattern (or tag set) name literal.
    pub builder: String,
    /// `params`, or nothing for a key without placeholders.
    pub args: &'static str,
    pub doc: String,
}

fn args_of(segments: &[Segment]) -> &'static str {
    if segments
        .iter()
        .any(|s| matches!(s, Segment::Placeholder { .. }))
    {
        "params"
    } else {
        ""
    }
}

#[derive(Debug, Serialize)]
pub struct BranchItem {
    pub field: String,
    /// The plan function's parameter name ([`param_name`]).
    pub param: &'static str,
    pub keys: Vec<PlanKey>,
}

/// `params`, or `_params` when no key uses it (so the module compiles in
/// projects with `noUnusedParameters`).
fn param_name(keys: &[PlanKey]) -> &'static str {
    if keys.iter().any(|k| !k.args.is_empty()) {
        "params"
    } else {
        "_params"
    }
}

#[derive(Debug, Serialize)]
pub struct EventItem {
    pub name: String,
    pub name_doc: String,
    pub params_type: String,
    /// The `when_changed` fields as a union type (`never` when none).
    pub field_union: String,
    pub plan_param: &'static str,
    pub tag_sets_param: &'static str,
    pub keys: Vec<PlanKey>,
    pub when_changed: Vec<BranchItem>,
    /// The tag sets: tag name literal and store literal.
    pub tag_sets: Vec<PlanKey>,
}

fn plan_keys<'p>(
    graph: &Graph<'p>,
    policy: &'p Policy,
    event: &str,
    list: &'p [String],
) -> Result<Vec<PlanKey>, RenderError> {
    let targets = module_ir::plan_targets(graph, policy, list).map_err(|name| {
        RenderError(format!(
            "event `{event}` invalidates unknown pattern `{name}`"
        ))
    })?;
    Ok(targets
        .iter()
        .map(|t| {
            let p = t.pattern;
            let shape = policy.stored_shape(&p.store, "", &p.segments, p.hash_tag);
            let mut doc = format!("`{}`: `{}` in store `{}`", p.name, shape, p.store);
            if let Some(from) = t.cascade_from {
                doc.push_str(&format!(" (cascade from `{from}`)"));
            }
            PlanKey {
                store: ts_str(&p.store),
                builder: ts_str(&p.name),
                args: args_of(&p.segments),
                doc: ts_doc(&doc),
            }
        })
        .collect())
}

pub fn event_items(policy: &Policy) -> Result<Vec<EventItem>, RenderError> {
    let graph = Graph::new(policy);
    policy
        .events
        .values()
        .map(|e| {
            let mut params: Vec<ParamItem> = Vec::new();
            for n in &e.params {
                let ty = policy.keys.placeholders.get(n).ok_or_else(|| {
                    RenderError(format!(
                        "event `{}`: parameter `{n}` is not a declared placeholder",
                        e.name
                    ))
                })?;
                if !params.iter().any(|p| p.name == ts_str(n)) {
                    params.push(ParamItem {
                        name: ts_str(n),
                        ts_type: param_type(ty),
                    });
                }
            }
            let when_changed = e
                .when_changed
                .iter()
                .map(|(field, list)| {
                    let keys = plan_keys(&graph, policy, &e.name, list)?;
                    Ok(BranchItem {
                        field: ts_str(field),
                        param: param_name(&keys),
                        keys,
                    })
                })
                .collect::<Result<_, RenderError>>()?;
            let tag_sets = e
                .invalidate_tags
                .iter()
                .map(|t| {
                    let tag = policy.tags.get(t).ok_or_else(|| {
                        RenderError(format!("event `{}` invalidates unknown tag `{t}`", e.name))
                    })?;
                    Ok(PlanKey {
                        store: ts_str(&tag.store),
                        builder: ts_str(t),
                        args: args_of(&tag.key),
                        doc: ts_doc(&format!("tag set `{t}`")),
                    })
                })
                .collect::<Result<Vec<_>, RenderError>>()?;
            let keys = plan_keys(&graph, policy, &e.name, &e.invalidate)?;
            Ok(EventItem {
                name: ts_str(&e.name),
                name_doc: ts_doc(&e.name),
                params_type: params_type(&params),
                field_union: super::union(e.when_changed.keys().cloned()),
                plan_param: param_name(&keys),
                tag_sets_param: param_name(&tag_sets),
                keys,
                when_changed,
                tag_sets,
            })
        })
        .collect()
}

#[derive(Debug, Serialize)]
pub struct RegexTypeItem {
    pub source: String,
    pub source_doc: String,
    /// What a value must be, for `CacheKeyError.expected`.
    pub expected: String,
    pub classes: Vec<String>,
    pub stride: usize,
    pub next: Vec<String>,
    pub accept: String,
}

pub fn regex_type_item(r: &crate::keys::RegexType) -> RegexTypeItem {
    let rows = module_ir::dfa_rows(r);
    RegexTypeItem {
        source: ts_str(&r.source),
        source_doc: ts_doc(&r.source),
        expected: ts_str(&format!("a match of {}", r.source)),
        classes: rows.classes,
        stride: rows.stride,
        next: rows.next,
        accept: rows.accept,
    }
}
