//! Owns the output of `cachegen diff`: the change list as JSON or as
//! Markdown for a pull-request comment.

use super::{Category, Change, JSON_VERSION};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The diff as JSON.
pub fn json(base_name: &str, head_name: &str, changes: &[Change]) -> Value {
    let mut counts: BTreeMap<Category, usize> = BTreeMap::new();
    for c in changes {
        *counts.entry(c.category).or_default() += 1;
    }
    json!({
        "format": "cachegen-diff",
        "version": JSON_VERSION,
        "base": base_name,
        "head": head_name,
        "changes": changes,
        "summary": {
            "changes": changes.len(),
            "by_category": counts.iter().map(|(k, v)| (serde_json::to_value(k).ok().and_then(|x| x.as_str().map(str::to_owned)).unwrap_or_default(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "restart_needed": changes.iter().any(|c| c.category == Category::Restart),
        },
    })
}

/// Markdown for a pull-request comment: a summary line, then one table per
/// category. Cell text is escaped so policy names cannot break the table.
pub fn markdown(policy_name: &str, base_name: &str, head_name: &str, changes: &[Change]) -> String {
    let cell = crate::output::markdown_cell;
    let mut out = String::new();
    let code = crate::output::markdown_code;
    let _ = writeln!(out, "### cachegen diff: {}\n", code(policy_name));
    let _ = writeln!(out, "{} → {}\n", code(base_name), code(head_name));
    if changes.is_empty() {
        let _ = writeln!(out, "No semantic changes.");
        return out;
    }
    let restart = changes.iter().any(|c| c.category == Category::Restart);
    let _ = writeln!(
        out,
        "**{} change{}**{}\n",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" },
        if restart {
            " · ⚠️ needs a restart of every Redis node"
        } else {
            ""
        }
    );
    let mut categories: Vec<Category> = changes.iter().map(|c| c.category).collect();
    categories.sort();
    categories.dedup();
    for category in categories {
        let _ = writeln!(out, "#### {}\n", category.title());
        let _ = writeln!(out, "| what | field | before | after | note |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for c in changes.iter().filter(|c| c.category == category) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&c.subject),
                cell(&c.field),
                c.base.as_deref().map_or("—".to_owned(), code),
                c.head.as_deref().map_or("—".to_owned(), code),
                cell(&c.note)
            );
        }
        out.push('\n');
    }
    out
}
