//! Owns the output of `cachegen diff`: the change list as JSON or as
//! Markdown for a pull-request comment, each change that follows from
//! another folded under its cause.

use super::{Category, Change, JSON_VERSION};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The changes that follow from nothing else, each with those that follow
/// from it, in list order. A change whose cause is not in the list (which
/// `changes` never produces) stands on its own rather than vanish.
fn grouped(changes: &[Change]) -> Vec<(&Change, Vec<&Change>)> {
    let is_cause = |c: &Change, subject: &str| c.cause.is_none() && c.subject == subject;
    let top = changes.iter().filter(|c| match &c.cause {
        None => true,
        Some(s) => !changes.iter().any(|x| is_cause(x, s)),
    });
    top.map(|c| {
        let folded = changes
            .iter()
            .filter(|x| c.cause.is_none() && x.cause.as_deref() == Some(c.subject.as_str()))
            .collect();
        (c, folded)
    })
    .collect()
}

/// The diff as JSON: `changes` lists the changes that follow from nothing
/// else, each with `consequences` when others follow from it; the summary
/// counts every change, folded or not, by its own category (as `--fail-on`
/// does).
pub fn json(base_name: &str, head_name: &str, changes: &[Change]) -> Value {
    let mut counts: BTreeMap<Category, usize> = BTreeMap::new();
    for c in changes {
        *counts.entry(c.category).or_default() += 1;
    }
    let entries: Vec<Value> = grouped(changes)
        .into_iter()
        .map(|(c, folded)| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            if !folded.is_empty()
                && let Value::Object(m) = &mut v
            {
                m.insert("consequences".into(), json!(folded));
            }
            v
        })
        .collect();
    json!({
        "format": "cachegen-diff",
        "version": JSON_VERSION,
        "base": base_name,
        "head": head_name,
        "changes": entries,
        "summary": {
            "changes": changes.len(),
            "by_category": counts.iter().map(|(k, v)| (k.name().to_owned(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "restart_needed": changes.iter().any(|c| c.category == Category::Restart),
        },
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Markdown for a pull-request comment: a summary line, then one table per
/// category. The changes that follow from one change are counted in its
/// row and listed in a collapsed `<details>` table below the category's.
/// Cell text is escaped so policy names cannot break the table.
pub fn markdown(policy_name: &str, base_name: &str, head_name: &str, changes: &[Change]) -> String {
    let cell = crate::output::markdown_cell;
    let code = crate::output::markdown_code;
    let mut out = String::new();
    let _ = writeln!(out, "### cachegen diff: {}\n", code(policy_name));
    let _ = writeln!(out, "{} → {}\n", code(base_name), code(head_name));
    if changes.is_empty() {
        let _ = writeln!(out, "No semantic changes.");
        return out;
    }
    let groups = grouped(changes);
    let folded: usize = groups.iter().map(|(_, f)| f.len()).sum();
    let restart = changes.iter().any(|c| c.category == Category::Restart);
    let _ = writeln!(
        out,
        "**{}**{}{}\n",
        plural(groups.len(), "change", "changes"),
        if folded > 0 {
            format!(
                " · {} folded under their cause",
                plural(folded, "consequence", "consequences")
            )
        } else {
            String::new()
        },
        if restart {
            " · ⚠️ needs a restart of every Redis node"
        } else {
            ""
        }
    );
    let row = |out: &mut String, c: &Change, note: &str| {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&c.subject),
            cell(&c.field),
            c.base.as_deref().map_or("—".to_owned(), code),
            c.head.as_deref().map_or("—".to_owned(), code),
            cell(note)
        );
    };
    let header = "| what | field | before | after | note |\n|---|---|---|---|---|";
    let mut categories: Vec<Category> = groups.iter().map(|(c, _)| c.category).collect();
    categories.sort();
    categories.dedup();
    for category in categories {
        let _ = writeln!(out, "#### {}\n", category.title());
        let _ = writeln!(out, "{header}");
        let mut details = String::new();
        for (c, folded) in groups.iter().filter(|(c, _)| c.category == category) {
            if folded.is_empty() {
                row(&mut out, c, &c.note);
                continue;
            }
            let count = plural(folded.len(), "consequence", "consequences");
            let note = if c.note.is_empty() {
                format!("{count} below")
            } else {
                format!("{}; {count} below", c.note)
            };
            row(&mut out, c, &note);
            let _ = writeln!(
                details,
                "\n<details><summary>{count} of {}</summary>\n\n{header}",
                cell(&c.subject)
            );
            for x in folded {
                row(&mut details, x, &x.note);
            }
            let _ = writeln!(details, "\n</details>");
        }
        out.push_str(&details);
        out.push('\n');
    }
    out
}
