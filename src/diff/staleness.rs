//! Owns the staleness part of `cachegen diff`: each route's and pattern's
//! worst case and limit, with the limits that come from `ttl.max_staleness`
//! folded under that one setting.

use super::{Category, Change, push};
use crate::analysis::staleness::{Budget, Limit, budgets};
use crate::policy::model::Policy;
use std::collections::BTreeMap;

/// The subject of the global limit, and the cause its budgets name.
const GLOBAL: &str = "ttl.max_staleness";

fn limit_text(limit: Option<&Limit>) -> Option<String> {
    limit.map(|l| l.duration.to_string())
}

/// `exceeded` when the budget is over its limit, else empty.
fn over(b: &Budget) -> &'static str {
    if b.exceeds_limit() { "exceeded" } else { "" }
}

/// Appends the staleness changes from `base` to `head`: the global limit,
/// then each budget present on both sides whose worst case or limit moved.
pub(super) fn changes(base: &Policy, head: &Policy, out: &mut Vec<Change>) {
    let (bl, hl) = (base.ttl.max_staleness, head.ttl.max_staleness);
    let global_changed = bl != hl;
    if global_changed {
        push(
            out,
            Category::Staleness,
            GLOBAL.to_owned(),
            "",
            bl.map(|d| d.to_string()),
            hl.map(|d| d.to_string()),
            "the limit of every route and pattern without a max_staleness of its own",
        );
    }
    let by_name = |p: &Policy| -> BTreeMap<(&'static str, String), Budget> {
        budgets(p)
            .into_iter()
            .map(|b| ((b.subject.name(), b.name.clone()), b))
            .collect()
    };
    let (bb, hb) = (by_name(base), by_name(head));
    for ((subject, name), b) in &bb {
        let Some(h) = hb.get(&(*subject, name.clone())) else {
            continue;
        };
        let who = format!("{subject} {name}");
        if b.total != h.total {
            let note = match (b.exceeds_limit(), h.exceeds_limit()) {
                (false, true) => "now over its limit",
                (true, false) => "no longer over its limit",
                (true, true) => "over its limit",
                _ => "",
            };
            push(
                out,
                Category::Staleness,
                who.clone(),
                "worst case",
                Some(b.total.to_string()),
                Some(h.total.to_string()),
                note,
            );
        }
        let (bt, ht) = (limit_text(b.limit.as_ref()), limit_text(h.limit.as_ref()));
        let moved = bt != ht
            || b.limit.as_ref().map(Limit::is_global) != h.limit.as_ref().map(Limit::is_global);
        if !moved {
            continue;
        }
        // A limit that is the global one on each side where it exists moved
        // because `ttl.max_staleness` did: it follows from that change.
        let global = |l: &Option<Limit>| l.as_ref().is_none_or(Limit::is_global);
        let follows = global_changed && global(&b.limit) && global(&h.limit);
        let note = match (over(b), over(h)) {
            ("", "exceeded") => format!("worst case {} is now over it", h.total),
            ("exceeded", "") => format!("worst case {} is no longer over it", h.total),
            (_, "exceeded") => format!("worst case {} is over it", h.total),
            _ => format!("worst case {}", h.total),
        };
        out.push(Change {
            category: Category::Staleness,
            subject: who,
            field: "limit".to_owned(),
            base: bt,
            head: ht,
            note,
            cause: follows.then(|| GLOBAL.to_owned()),
        });
    }
}
