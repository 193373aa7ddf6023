//! The Markdown verify report, for a pull-request comment.

use super::*;

/// The run: one store's report alone, or a section per store under a line
/// for the whole run.
pub(super) fn markdown_run(run: &RunReport, source: &SourceFile) -> String {
    if let [only] = run.stores.as_slice()
        && let Some(report) = &only.report
    {
        return markdown(report, source);
    }
    let mut out = format!(
        "### cachegen verify against {}\n\n**{}** · {}\n\n",
        output::markdown_code(source.name()),
        run_verdict(run),
        output::markdown_cell(&stores_text(run))
    );
    for s in &run.stores {
        let _ = writeln!(out, "#### store {}\n", output::markdown_code(&s.store));
        match &s.report {
            // Each store's report, its headline one level down.
            Some(report) => out.push_str(&markdown(report, source).replacen("### ", "", 1)),
            None => {
                let _ = writeln!(out, "{}", not_verified_text(s));
            }
        }
        out.push('\n');
    }
    out
}

/// Markdown for a pull-request comment: what was verified against which
/// policy, the outcome, what was covered and why it is partial, then one
/// table row per finding. Text from the server or the policy is escaped so
/// it cannot break the table or inject markup.
pub(super) fn markdown(report: &Report, source: &SourceFile) -> String {
    let (cell, code) = (output::markdown_cell, output::markdown_code);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### cachegen verify: {} against {}\n",
        code(&report.target),
        code(source.name())
    );
    let _ = writeln!(out, "**{}** · {}\n", verdict(report), counts_text(report));
    let _ = writeln!(
        out,
        "{}, {}, {} in {:.1}s\n",
        cell(&server_text(report)),
        mode_text(report),
        cell(&coverage_text(report)),
        report.elapsed.as_secs_f64()
    );
    if report.flavour.is_some() {
        let _ = writeln!(out, "{}\n", cell(&report.runtime.window.describe()));
    }
    if !report.sentinels.is_empty() {
        for row in &report.sentinels {
            let _ = writeln!(out, "- Sentinel {}", cell(&sentinel_text(row)));
        }
        out.push('\n');
    }
    if !report.incomplete.is_empty() {
        for why in &report.incomplete {
            let _ = writeln!(out, "- incomplete: {}", cell(why));
        }
        out.push('\n');
    }
    if report.findings.is_empty() {
        let what = if report.incomplete.is_empty() {
            ""
        } else {
            " in what was read"
        };
        let _ = writeln!(out, "No findings{what}.");
        return out;
    }
    out.push_str(output::MARKDOWN_TABLE_HEAD);
    for d in &report.findings {
        out.push_str(&output::markdown_row(source, d));
    }
    out
}
