//! Owns printing a verify report: human (a summary grouped by pattern, then
//! the findings with their policy snippets), versioned JSON, JUnit XML, and
//! SARIF / GitHub annotations through the same renderers `check` uses, since
//! every finding is a `Diagnostic` pointing into the policy.

use super::Report;
use super::judge::config::Status;
use super::keyspace::Coverage;
use super::target::printable;
use crate::FileReport;
use crate::diag::{Severity, codes};
use crate::load::units::human_bytes as bytes;
use crate::output::{self, Format, xml_escape};
use crate::source::SourceFile;
use serde_json::{Value, json};
use std::fmt::Write;

/// Version of the `verify --format json` document. Bump on incompatible changes.
pub const JSON_VERSION: u32 = 1;

fn as_file_report(report: &Report, source: &SourceFile) -> FileReport {
    FileReport {
        source: source.clone(),
        diagnostics: report.findings.clone(),
        unreadable: false,
        policy: None,
    }
}

pub fn render(format: Format, report: &Report, source: &SourceFile, color: bool) -> String {
    match format {
        Format::Human => human(report, source, color),
        Format::Json => {
            let mut s =
                serde_json::to_string_pretty(&json(report, source)).expect("JSON serializes");
            s.push('\n');
            s
        }
        Format::Junit => junit(report, source),
        Format::Sarif | Format::Github | Format::Markdown => {
            output::render(format, &[as_file_report(report, source)], false)
        }
    }
}

fn coverage_text(report: &Report) -> String {
    match report.coverage {
        Coverage::Full => "full pass".into(),
        Coverage::Sample(n) => format!("sample of up to {n} keys per primary"),
    }
}

fn human(report: &Report, source: &SourceFile, color: bool) -> String {
    let mut out = String::new();
    let server = report
        .flavour
        .as_ref()
        .map(|f| printable(&format!("{} {}", f.name, f.version)))
        .unwrap_or_else(|| "server unknown".into());
    let mode = if report.cluster {
        format!("cluster of {} nodes", report.nodes.len())
    } else {
        "single node".into()
    };
    let _ = writeln!(
        out,
        "cachegen verify {} against {}: {server}, {mode}, {} in {:.1}s",
        report.target,
        source.name(),
        coverage_text(report),
        report.elapsed.as_secs_f64()
    );
    if !report.nodes.is_empty() {
        let _ = writeln!(out, "\nnodes");
        for n in &report.nodes {
            let dbsize = n.dbsize.map_or("-".into(), |d| d.to_string());
            let _ = writeln!(
                out,
                "  {:<24} {:<7} {:<8} keys {:>10}  inspected {:>10}{}",
                // Host, role and version come from the server: escaped
                // so a hostile one cannot drive the terminal.
                printable(&n.address.to_string()),
                printable(&n.role),
                printable(&n.version),
                dbsize,
                n.inspected,
                n.error
                    .as_ref()
                    .map(|e| format!("  INCOMPLETE: {e}"))
                    .unwrap_or_default()
            );
        }
    }
    let _ = writeln!(
        out,
        "\nkeyspace by pattern ({} keys inspected)",
        report.tally.inspected
    );
    let _ = writeln!(
        out,
        "  {:<40} {:>10} {:>11}  findings",
        "pattern", "keys", "memory"
    );
    for (owner, t) in report.owners.iter().zip(&report.tally.owners) {
        let problems = t.missing_ttl.count
            + t.ttl_above_max.count
            + t.durable_with_ttl.count
            + t.wrong_type.values().map(|h| h.count).sum::<u64>()
            + t.too_large.count
            + t.not_compressed.count;
        if t.keys == 0 && owner.label != owner.pattern {
            // Locks and tag sets with no keys are normal; keep the table short.
            continue;
        }
        let _ = writeln!(
            out,
            "  {:<40} {:>10} {:>11}  {}",
            owner.label,
            t.keys,
            bytes(t.memory),
            if problems == 0 {
                "ok".to_owned()
            } else {
                format!("{problems} keys in violation")
            }
        );
    }
    if report.tally.old_version.count > 0 {
        let _ = writeln!(
            out,
            "  {:<40} {:>10} {:>11}",
            "(old version prefix)",
            report.tally.old_version.count,
            bytes(report.tally.old_version_memory)
        );
    }
    if report.tally.unknown > 0 {
        let _ = writeln!(
            out,
            "  {:<40} {:>10} {:>11}",
            "(unknown)",
            report.tally.unknown,
            bytes(report.tally.unknown_memory)
        );
    }
    let drift = report
        .config
        .iter()
        .filter(|r| r.status == Status::Drift)
        .count();
    let matching = report
        .config
        .iter()
        .filter(|r| r.status == Status::Matches)
        .count();
    let _ = writeln!(
        out,
        "\nconfig: {} directive readings, {matching} match, {drift} drift",
        report.config.len()
    );
    let r = &report.runtime;
    let ratio = r
        .hit_ratio()
        .map_or("n/a".into(), |x| format!("{:.1}%", x * 100.0));
    let _ = writeln!(
        out,
        "runtime: hit ratio {ratio} ({} hits, {} misses, read before the scan), {} evicted, {} OOM rejections, {} slow log entries",
        r.keyspace_hits,
        r.keyspace_misses,
        r.evicted_keys,
        r.oom_errors,
        r.slow.len()
    );
    if !report.findings.is_empty() {
        out.push('\n');
        out.push_str(&output::human_diagnostics(&[as_file_report(report, source)], color).0);
    }
    for why in &report.incomplete {
        let _ = writeln!(out, "\nINCOMPLETE: {why}");
    }
    let verdict = match report.exit_code() {
        0 => "conforms",
        1 => "violations",
        _ => "incomplete: results are partial",
    };
    let _ = writeln!(
        out,
        "\nverify: {} errors, {} warnings, {} notes; {verdict}",
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note)
    );
    out
}

fn hits_json(h: &super::keyspace::Hits) -> Value {
    json!({ "keys": h.count, "examples": h.examples })
}

pub fn json(report: &Report, source: &SourceFile) -> Value {
    let findings = output::json_envelope(&[as_file_report(report, source)])["diagnostics"].clone();
    let patterns: Vec<Value> = report
        .owners
        .iter()
        .zip(&report.tally.owners)
        .map(|(o, t)| {
            let mut wrong: Vec<(&String, &super::keyspace::Hits)> = t.wrong_type.iter().collect();
            wrong.sort_by(|a, b| a.0.cmp(b.0));
            json!({
                "owner": o.label,
                "pattern": o.pattern,
                "key": o.shape,
                "keys": t.keys,
                "memory_bytes": t.memory,
                "ttl_max_ms": o.ttl_max_ms,
                "type": o.value_type,
                "violations": {
                    "missing_ttl": hits_json(&t.missing_ttl),
                    "ttl_above_max": hits_json(&t.ttl_above_max),
                    "durable_with_ttl": hits_json(&t.durable_with_ttl),
                    "wrong_type": wrong.iter().map(|(k, h)| (k.to_string(), hits_json(h))).collect::<serde_json::Map<_, _>>(),
                    "too_large": hits_json(&t.too_large),
                    "not_compressed": hits_json(&t.not_compressed),
                },
            })
        })
        .collect();
    json!({
        "format": "cachegen-verify",
        "version": JSON_VERSION,
        "policy": source.name(),
        "target": report.target,
        "server": report.flavour.as_ref().map(|f| json!({ "flavour": f.name, "version": f.version })),
        "mode": if report.cluster { "cluster" } else { "single" },
        "coverage": match report.coverage {
            Coverage::Full => json!({ "mode": "full" }),
            Coverage::Sample(n) => json!({ "mode": "sample", "keys_per_primary": n }),
        },
        "complete": report.incomplete.is_empty(),
        "incomplete": report.incomplete,
        "elapsed_ms": report.elapsed.as_millis() as u64,
        "nodes": report.nodes.iter().map(|n| json!({
            "address": n.address.to_string(),
            "role": n.role,
            "version": n.version,
            "dbsize": n.dbsize,
            "inspected": n.inspected,
            "scan_ms": n.scan_time.as_millis() as u64,
            "error": n.error,
        })).collect::<Vec<_>>(),
        "keyspace": {
            "inspected": report.tally.inspected,
            "vanished": report.tally.vanished,
            "commands": report.tally.commands,
            "patterns": patterns,
            "old_version": { "keys": report.tally.old_version.count, "memory_bytes": report.tally.old_version_memory, "examples": report.tally.old_version.examples },
            "unknown": {
                "keys": report.tally.unknown,
                "memory_bytes": report.tally.unknown_memory,
                "top_prefixes": report.tally.top_prefixes(10).into_iter().map(|(p, n)| json!({ "prefix": p, "keys": n })).collect::<Vec<_>>(),
                "other": report.tally.unknown_other,
            },
        },
        "config": report.config.iter().map(|r| json!({
            "node": r.node.to_string(),
            "directive": r.directive,
            "expected": r.expected,
            "actual": r.actual,
            "status": r.status.as_str(),
            "immutable_at_runtime": crate::redis_directives::immutable_at_runtime(r.directive),
        })).collect::<Vec<_>>(),
        "runtime": {
            "keyspace_hits": report.runtime.keyspace_hits,
            "keyspace_misses": report.runtime.keyspace_misses,
            "hit_ratio": report.runtime.hit_ratio(),
            "evicted_keys": report.runtime.evicted_keys,
            "oom_errors": report.runtime.oom_errors,
            "slow_entries": report.runtime.slow.len(),
            "slow_threshold_us": report.runtime.slow_threshold_us,
        },
        "findings": findings,
        "summary": {
            "errors": report.count(Severity::Error),
            "warnings": report.count(Severity::Warning),
            "notes": report.count(Severity::Note),
        },
        "exit_code": report.exit_code(),
    })
}

/// JUnit XML: one test case per verify check (code), grouped by category.
/// A check with error findings fails; warnings and notes pass with their
/// text in `system-out`; an incomplete run is an `error` case.
fn junit(report: &Report, source: &SourceFile) -> String {
    let categories: [(&str, &str); 4] = [
        ("config", "CG40"),
        ("topology", "CG41"),
        ("keyspace", "CG42"),
        ("runtime", "CG43"),
    ];
    let mut suites = String::new();
    let (mut total, mut failures, mut errors) = (0, 0, 0);
    for (category, prefix) in categories {
        let mut cases = String::new();
        let (mut tests, mut failed) = (0, 0);
        for code in codes::ALL.iter().filter(|c| c.code.starts_with(prefix)) {
            tests += 1;
            let found: Vec<&crate::diag::Diagnostic> = report
                .findings
                .iter()
                .filter(|d| d.code.code == code.code)
                .collect();
            let lines: Vec<String> = found
                .iter()
                .map(|d| {
                    let at = d.span.map_or(String::new(), |s| {
                        let (l, c) = source.line_col(s.start);
                        format!("{}:{l}:{c}: ", source.name())
                    });
                    format!("{at}{}: {}", d.severity.as_str(), d.message)
                })
                .collect();
            let _ = write!(
                cases,
                "    <testcase classname=\"cachegen.verify.{category}\" name=\"{} {}\">",
                code.code, code.name
            );
            if found.iter().any(|d| d.severity == Severity::Error) {
                failed += 1;
                let _ = write!(
                    cases,
                    "\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    ",
                    xml_escape(&found[0].message),
                    code.code,
                    xml_escape(&lines.join("\n"))
                );
            } else if !lines.is_empty() {
                let _ = write!(
                    cases,
                    "\n      <system-out>{}</system-out>\n    ",
                    xml_escape(&lines.join("\n"))
                );
            }
            cases.push_str("</testcase>\n");
        }
        total += tests;
        failures += failed;
        let _ = write!(
            suites,
            "  <testsuite name=\"cachegen.verify.{category}\" tests=\"{tests}\" failures=\"{failed}\" errors=\"0\">\n{cases}  </testsuite>\n"
        );
    }
    // The run itself: complete or not.
    total += 1;
    let mut run_case =
        String::from("    <testcase classname=\"cachegen.verify.run\" name=\"complete\">");
    if !report.incomplete.is_empty() {
        errors += 1;
        let _ = write!(
            run_case,
            "\n      <error message=\"the run is incomplete\">{}</error>\n    ",
            xml_escape(&report.incomplete.join("\n"))
        );
    }
    run_case.push_str("</testcase>\n");
    let _ = write!(
        suites,
        "  <testsuite name=\"cachegen.verify.run\" tests=\"1\" failures=\"0\" errors=\"{errors}\">\n{run_case}  </testsuite>\n"
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cachegen verify {}\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{:.3}\">\n{suites}</testsuites>\n",
        xml_escape(&report.target),
        report.elapsed.as_secs_f64()
    )
}
