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
/// 2: `server` names the `engine`; `runtime` reads the hit ratio from a
/// `window` instead of lifetime `keyspace_hits`/`keyspace_misses`; nodes say
/// whether their reads left LRU/LFU alone (`no_touch`).
pub const JSON_VERSION: u32 = 2;

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
        Format::Markdown => markdown(report, source),
        Format::Sarif | Format::Github => {
            output::render(format, &[as_file_report(report, source)], false)
        }
    }
}

/// What the run covered, for the first line of a report: the mode asked for
/// when every primary was read as asked, else what was actually read. A run
/// that lost a node, or is incomplete for any reason, is not called a full
/// pass.
fn coverage_text(report: &Report) -> String {
    let asked = match report.coverage {
        Coverage::Full => "full pass".to_owned(),
        Coverage::Sample(n) => format!("sample of up to {n} keys per primary"),
    };
    let (complete, stopped, unscanned) = report.primaries();
    if complete == 0 && report.tally.inspected == 0 {
        return "keyspace not checked (no primary was scanned)".into();
    }
    if report.incomplete.is_empty() && stopped == 0 && unscanned == 0 {
        return asked;
    }
    let total = complete + stopped + unscanned;
    let mut covered = format!(
        "{complete} of {total} primar{} scanned to the end",
        if total == 1 { "y" } else { "ies" }
    );
    if stopped > 0 {
        let _ = write!(covered, ", {stopped} stopped early");
    }
    if unscanned > 0 {
        let _ = write!(covered, ", {unscanned} not scanned");
    }
    format!(
        "incomplete {asked}: {covered}; {} keys inspected",
        report.tally.inspected
    )
}

/// The outcome the exit code gives, with the number of
/// violations (error findings).
fn verdict(report: &Report) -> String {
    match report.exit_code() {
        0 => "conforms".into(),
        1 => {
            let n = report.count(Severity::Error);
            format!("{n} violation{}", if n == 1 { "" } else { "s" })
        }
        _ => "incomplete: results are partial".into(),
    }
}

/// The server as the seed reported it, escaped for a terminal.
fn server_text(report: &Report) -> String {
    report
        .flavour
        .as_ref()
        .map(|f| printable(&format!("server {} {}", f.engine.name(), f.version)))
        .unwrap_or_else(|| "server unknown".into())
}

fn mode_text(report: &Report) -> String {
    if report.cluster {
        format!("cluster of {} nodes", report.nodes.len())
    } else {
        "single node".into()
    }
}

fn human(report: &Report, source: &SourceFile, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "cachegen verify {} against {}: {}, {}, {} in {:.1}s",
        report.target,
        source.name(),
        server_text(report),
        mode_text(report),
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
    let (complete, stopped, unscanned) = report.primaries();
    if complete == 0 && report.tally.inspected == 0 {
        // Nothing was read (no primary scanned, or every scan stopped before
        // its first key): a table of zeros would say every pattern is ok.
        let _ = writeln!(
            out,
            "\nkeyspace by pattern: not checked (no primary was scanned)"
        );
    } else {
        let partial = stopped + unscanned > 0 || !report.incomplete.is_empty();
        keyspace_table(&mut out, report, partial);
    }
    if report.flavour.is_none() {
        // The seed never answered: zero counters would read as a clean bill.
        let _ = writeln!(out, "\nconfig and runtime: not read");
    } else {
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
        let _ = writeln!(
            out,
            "runtime: {}, {} evicted, {} OOM rejections, {} slow log entries",
            r.window.describe(),
            r.evicted_keys,
            r.oom_errors,
            r.slow.len()
        );
        if let Some(reads) = report.no_touch_text() {
            let _ = writeln!(out, "reads: {}", printable(&reads));
        }
    }
    if !report.findings.is_empty() {
        out.push('\n');
        out.push_str(&output::human_diagnostics(&[as_file_report(report, source)], color).0);
    }
    for why in &report.incomplete {
        let _ = writeln!(out, "\nINCOMPLETE: {why}");
    }
    let _ = writeln!(
        out,
        "\nverify: {}; {}",
        counts_text(report),
        verdict(report)
    );
    out
}

fn counts_text(report: &Report) -> String {
    format!(
        "{} errors, {} warnings, {} notes",
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note)
    )
}

/// Markdown for a pull-request comment: what was verified against which
/// policy, the outcome, what was covered and why it is partial, then one
/// table row per finding. Text from the server or the policy is escaped so
/// it cannot break the table or inject markup.
fn markdown(report: &Report, source: &SourceFile) -> String {
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

/// The human keyspace table: keys, memory and violations by pattern. On a
/// partial scan a pattern without violations is "ok so far": keys that were
/// not read may still break it.
fn keyspace_table(out: &mut String, report: &Report, partial: bool) {
    let _ = writeln!(
        out,
        "\nkeyspace by pattern ({} keys inspected{})",
        report.tally.inspected,
        if partial { ", partial scan" } else { "" }
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
                if partial { "ok so far" } else { "ok" }.to_owned()
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
        "server": report.flavour.as_ref().map(|f| json!({
            "engine": f.engine.name(),
            "version": f.version,
            "redis_compat": f.redis_compat.map(|(a, b)| format!("{a}.{b}")),
        })),
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
            "no_touch": n.no_touch.as_str(),
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
            "immutable_at_runtime": crate::redis_directives::immutable(
                crate::facts::Engine::Redis,
                report.flavour.as_ref().and_then(|f| f.redis_compat).unwrap_or((7, 0)),
                r.directive,
            ),
        })).collect::<Vec<_>>(),
        "runtime": {
            "hit_ratio": report.runtime.hit_ratio(),
            "window": report.runtime.window.json(report.runtime.window_asked),
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
            let mut lines: Vec<String> = found
                .iter()
                .map(|d| {
                    let at = d.span.map_or(String::new(), |s| {
                        let (l, c) = source.line_col(s.start);
                        format!("{}:{l}:{c}: ", source.name())
                    });
                    format!("{at}{}: {}", d.severity.as_str(), d.message)
                })
                .collect();
            if code.code == codes::HIT_RATIO_BELOW_TARGET.code && report.flavour.is_some() {
                // What the ratio was read from, judged or not.
                lines.push(report.runtime.window.describe());
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::classify::Classifier;
    use crate::verify::keyspace::Tally;
    use crate::verify::outcome::{NodeReport, Runtime, ScanState};
    use crate::verify::server::Flavour;
    use crate::verify::target::parse_host_port;
    use std::time::Duration;

    /// A report of the single-node fixture policy with these nodes and
    /// reasons it is incomplete, and nothing found.
    fn report(nodes: Vec<NodeReport>, incomplete: &[&str]) -> Report {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/verify/single.yaml");
        let policy = crate::check_path(&path, &Default::default())
            .policy
            .expect("the fixture policy checks");
        let owners = Classifier::new(&policy).expect("compiles").owners;
        let mut tally = Tally::new(owners.len());
        tally.inspected = nodes.iter().map(|n| n.inspected).sum();
        Report {
            target: "redis://127.0.0.1:1".into(),
            flavour: (!nodes.is_empty()).then(|| Flavour {
                engine: crate::verify::server::Engine::Redis,
                version: "7.0.15".into(),
                release: Some((7, 0)),
                redis_compat: Some((7, 0)),
            }),
            cluster: nodes.len() > 1,
            coverage: Coverage::Full,
            nodes,
            owners,
            tally,
            config: Vec::new(),
            runtime: Runtime::default(),
            findings: Vec::new(),
            incomplete: incomplete.iter().map(|s| s.to_string()).collect(),
            elapsed: Duration::from_millis(13_800),
        }
    }

    fn node(port: u16, scan: ScanState, inspected: u64) -> NodeReport {
        NodeReport {
            address: parse_host_port(&format!("127.0.0.1:{port}")).unwrap(),
            role: if scan == ScanState::NotPrimary {
                "slave"
            } else {
                "master"
            }
            .into(),
            version: "7.0.15".into(),
            dbsize: Some(1000),
            inspected,
            scan_time: Duration::ZERO,
            error: (scan == ScanState::StoppedEarly).then(|| "connection reset".into()),
            scan,
            no_touch: Default::default(),
        }
    }

    fn source() -> SourceFile {
        SourceFile::new("policies/single.yaml", "")
    }

    fn first_line(text: &str) -> &str {
        text.lines().next().unwrap()
    }

    #[test]
    fn a_complete_full_pass_is_called_one() {
        let r = report(vec![node(1, ScanState::Complete, 10)], &[]);
        let text = human(&r, &source(), false);
        assert!(
            first_line(&text).ends_with("single node, full pass in 13.8s"),
            "{text}"
        );
        assert!(text.contains("keyspace by pattern (10 keys inspected)"));
        assert!(text.contains(" ok\n"), "{text}");
    }

    #[test]
    fn a_refused_connection_checks_no_pattern() {
        let r = report(Vec::new(), &["could not connect: 127.0.0.1:1: refused"]);
        let text = human(&r, &source(), false);
        assert!(
            first_line(&text).contains("keyspace not checked (no primary was scanned)"),
            "{text}"
        );
        assert!(!text.contains("full pass"), "{text}");
        assert!(
            text.contains("keyspace by pattern: not checked (no primary was scanned)"),
            "{text}"
        );
        assert!(
            !text.contains(" ok"),
            "no pattern may be shown as ok:\n{text}"
        );
        assert!(!text.contains("profile"), "no pattern rows:\n{text}");
        assert!(text.contains("config and runtime: not read"), "{text}");
        assert!(text.contains("incomplete: results are partial"), "{text}");
    }

    #[test]
    fn a_scan_lost_before_its_first_key_checks_no_pattern() {
        let r = report(
            vec![node(1, ScanState::StoppedEarly, 0)],
            &["127.0.0.1:1: connection reset"],
        );
        let text = human(&r, &source(), false);
        assert!(
            text.contains("keyspace by pattern: not checked (no primary was scanned)"),
            "{text}"
        );
        assert!(
            !text.contains(" ok"),
            "no pattern may be shown as ok:\n{text}"
        );
    }

    #[test]
    fn a_node_lost_mid_scan_is_not_a_full_pass() {
        let r = report(
            vec![node(1, ScanState::StoppedEarly, 1234)],
            &["scan stopped early: connection reset"],
        );
        let text = human(&r, &source(), false);
        assert!(
            first_line(&text).ends_with(
                "single node, incomplete full pass: 0 of 1 primary scanned to the end, \
                 1 stopped early; 1234 keys inspected in 13.8s"
            ),
            "{text}"
        );
        assert!(
            text.contains("keyspace by pattern (1234 keys inspected, partial scan)"),
            "{text}"
        );
        assert!(text.contains(" ok so far\n"), "{text}");

        // A cluster that lost one of three masters, with one never reached.
        let r = report(
            vec![
                node(1, ScanState::Complete, 500),
                node(2, ScanState::StoppedEarly, 200),
                node(3, ScanState::NotScanned, 0),
                node(4, ScanState::NotPrimary, 0),
            ],
            &["scan stopped early: MOVED", "127.0.0.1:3: refused"],
        );
        let text = human(&r, &source(), false);
        assert!(
            first_line(&text).ends_with(
                "cluster of 4 nodes, incomplete full pass: 1 of 3 primaries scanned to the end, \
                 1 stopped early, 1 not scanned; 700 keys inspected in 13.8s"
            ),
            "{text}"
        );
    }

    #[test]
    fn markdown_names_the_run_the_target_and_the_outcome() {
        let r = report(Vec::new(), &["could not connect: 127.0.0.1:1: refused"]);
        let md = markdown(&r, &source());
        assert!(
            md.starts_with(
                "### cachegen verify: `redis://127.0.0.1:1` against `policies/single.yaml`\n\n\
                 **incomplete: results are partial** · 0 errors, 0 warnings, 0 notes\n\n\
                 server unknown, single node, keyspace not checked (no primary was scanned) in 13.8s\n\n\
                 - incomplete: could not connect: 127.0.0.1:1: refused\n"
            ),
            "{md}"
        );
        assert!(!md.contains("cachegen check"), "{md}");

        let r = report(vec![node(1, ScanState::Complete, 10)], &[]);
        let md = markdown(&r, &source());
        assert!(md.contains("**conforms** · 0 errors"), "{md}");
        assert!(
            md.contains("server redis 7.0.15, single node, full pass in 13.8s\n\nhit ratio not measured (--window 0s)\n"),
            "{md}"
        );
        assert!(md.ends_with("No findings.\n"), "{md}");
    }
}
