//! Owns the invalidation plans of the Rust module's context: per event (and
//! `when_changed` branch), the keys to delete with their builder arguments,
//! cascades expanded by asking `graph`, grouped here by store and by hash
//! slot (within a cluster store) at run time.

use super::*;
use crate::render::module_ir;

pub(super) fn event_params(
    policy: &Policy,
    event: &str,
    names: &[String],
) -> Result<Vec<Param>, RenderError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for n in names {
        if !seen.insert(n.as_str()) {
            continue;
        }
        let ty = policy.keys.placeholders.get(n).ok_or_else(|| {
            RenderError(format!(
                "event `{event}`: parameter `{n}` is not a declared placeholder"
            ))
        })?;
        out.push(param(policy, n, ty));
    }
    Ok(out)
}

/// Arguments for a builder whose placeholders are `needed`, from `params`.
pub(super) fn builder_args(
    params: &[Param],
    needed: &[Param],
    event: &str,
    target: &str,
) -> Result<Vec<String>, RenderError> {
    needed
        .iter()
        .map(|n| {
            params
                .iter()
                .find(|p| p.name == n.name)
                .map(|p| p.ident.clone())
                .ok_or_else(|| {
                    RenderError(format!(
                        "event `{event}` invalidates `{target}`, which needs `{}`, but the event does not carry it",
                        n.name
                    ))
                })
        })
        .collect()
}

pub(super) fn unused(params: &[Param], keys: &[PlanKey]) -> Vec<String> {
    params
        .iter()
        .filter(|p| !keys.iter().any(|k| k.args.contains(&p.ident)))
        .map(|p| p.ident.clone())
        .collect()
}

/// Where a key lives, for a plan's doc line: only when there is a choice.
fn store_note(policy: &Policy, store: &str) -> String {
    if policy.stores.len() > 1 {
        format!(" in store {}", code(store))
    } else {
        String::new()
    }
}

/// The plan's keys by store: stores in order of first appearance, keys in
/// plan order within each.
fn by_store(keys: &[PlanKey]) -> Vec<PlanGroup> {
    let mut groups: Vec<PlanGroup> = Vec::new();
    for k in keys {
        let copy = k.clone();
        match groups.iter_mut().find(|g| g.store == k.store) {
            Some(g) => g.keys.push(copy),
            None => groups.push(PlanGroup {
                store: k.store.clone(),
                keys: vec![copy],
            }),
        }
    }
    groups
}

pub(super) fn plan<'p>(
    graph: &Graph<'p>,
    policy: &'p Policy,
    event: &str,
    plan_ident: String,
    summary: String,
    params: &[Param],
    list: &'p [String],
) -> Result<PlanItem, RenderError> {
    let mut keys = Vec::new();
    // The graph expands cascades (each pattern once, depth first), so the
    // plan deletes keys in the order `explain` and `diff` list them.
    let targets = module_ir::plan_targets(graph, policy, list).map_err(|name| {
        RenderError(format!(
            "event `{event}` invalidates unknown pattern `{name}`"
        ))
    })?;
    for target in targets {
        let p = target.pattern;
        let name = p.name.as_str();
        let via = target.cascade_from;
        let needed = segment_params(policy, &p.segments);
        let (shape, _) = key_forms(policy, &p.store, "", &p.segments, p.hash_tag);
        let mut doc = format!(
            "{}: {}{}",
            code(name),
            code(&shape),
            store_note(policy, &p.store)
        );
        if let Some(src) = via {
            doc.push_str(&format!(" (cascade from {})", code(src)));
        }
        keys.push(PlanKey {
            store: rust_idents::store(&p.store),
            builder: ident(name),
            args: builder_args(params, &needed, event, name)?,
            doc,
        });
    }
    Ok(PlanItem {
        ident: plan_ident,
        summary,
        unused: unused(params, &keys),
        params: params.to_vec(),
        groups: by_store(&keys),
        keys,
        tag_sets: false,
    })
}

pub(super) fn plans(policy: &Policy) -> Result<Vec<PlanItem>, RenderError> {
    let graph = Graph::new(policy);
    let mut out = Vec::new();
    for e in policy.events.values() {
        let params = event_params(policy, &e.name, &e.params)?;

        out.push(plan(
            &graph,
            policy,
            &e.name,
            rust_idents::event_plan(&e.name),
            format!(
                "Keys to `UNLINK` when {} happens, cascades included.",
                code(&e.name)
            ),
            &params,
            &e.invalidate,
        )?);
        for (field, list) in &e.when_changed {
            out.push(plan(
                &graph,
                policy,
                &e.name,
                rust_idents::branch_plan(&e.name, field),
                format!(
                    "Keys to `UNLINK` when {} changes {}, cascades included.",
                    code(&e.name),
                    code(field)
                ),
                &params,
                list,
            )?);
        }
        if !e.invalidate_tags.is_empty() {
            let mut keys = Vec::new();
            for t in &e.invalidate_tags {
                let tag = policy.tags.get(t).ok_or_else(|| {
                    RenderError(format!("event `{}` invalidates unknown tag `{t}`", e.name))
                })?;
                let (shape, _) = key_forms(policy, &tag.store, "", &tag.key, None);
                keys.push(PlanKey {
                    store: rust_idents::store(&tag.store),
                    builder: rust_idents::tag(t).builder,
                    args: builder_args(&params, &segment_params(policy, &tag.key), &e.name, t)?,
                    doc: format!(
                        "{}: {}{}",
                        code(t),
                        code(&shape),
                        store_note(policy, &tag.store)
                    ),
                });
            }
            out.push(PlanItem {
                ident: rust_idents::tag_sets_plan(&e.name),
                summary: format!(
                    "Tag-set keys whose members to invalidate when {} happens.",
                    code(&e.name)
                ),
                unused: unused(&params, &keys),
                params: params.clone(),
                groups: Vec::new(),
                keys,
                tag_sets: true,
            });
        }
    }
    Ok(out)
}
