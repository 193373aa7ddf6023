//! The human verify report: a summary line, nodes, the keyspace table by pattern, config and runtime counts, then the findings with their policy snippets.

use super::*;

/// The run: a one-store policy prints its store's report alone; with
/// several stores, a heading per store, then a line for the whole run.
pub(super) fn human_run(run: &RunReport, source: &SourceFile, color: bool) -> String {
    if let [only] = run.stores.as_slice() {
        return match &only.report {
            Some(report) => human(report, source, color),
            None => format!("store {}: {}\n", only.store, not_verified_text(only)),
        };
    }
    let mut out = String::new();
    for s in &run.stores {
        let _ = writeln!(out, "== store {} ==", s.store);
        match &s.report {
            Some(report) => out.push_str(&human(report, source, color)),
            None => {
                let _ = writeln!(out, "{}", not_verified_text(s));
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "verify: {}; {}", stores_text(run), run_verdict(run));
    out
}

pub(super) fn human(report: &Report, source: &SourceFile, color: bool) -> String {
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
            // Server text, escaped when it was read (`ReplicaLink`).
            let link = n
                .replica_of
                .as_ref()
                .map(|r| format!("  replica of {} (link {})", r.primary, r.link))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<24} {:<7} {:<8} keys {:>10}  inspected {:>10}{link}{}",
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
    if !report.sentinels.is_empty() {
        let _ = writeln!(out, "\nsentinels");
        for row in &report.sentinels {
            let _ = writeln!(out, "  {}", sentinel_text(row));
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
        let count = |status| report.config.iter().filter(|r| r.status == status).count();
        let (matching, drift) = (count(Status::Matches), count(Status::Drift));
        let _ = write!(
            out,
            "\nconfig: {} directive readings, {matching} match, {drift} drift",
            report.config.len()
        );
        let unpredictable = count(Status::NotComparable);
        if unpredictable > 0 {
            // Multi-word values the server prints in its own form.
            let _ = write!(out, ", {unpredictable} read but not compared");
        }
        let via_info = report.config.iter().filter(|r| r.via_info).count();
        if via_info > 0 {
            // CONFIG GET was not available: the CG403 note says why.
            let _ = write!(out, " ({via_info} read from INFO)");
        }
        if !report.config_unchecked.is_empty() {
            // A directive INFO shows only the presence of: its value.
            let names: Vec<String> = report
                .config_unchecked
                .iter()
                .map(|(n, why)| match *why {
                    crate::verify::judge::config::INFO_PRESENCE_ONLY => format!("{n} (its value)"),
                    _ => (*n).to_owned(),
                })
                .collect();
            let _ = write!(out, "; not checked: {}", names.join(", "));
        }
        out.push('\n');
        let r = &report.runtime;
        let _ = writeln!(
            out,
            "runtime: {}, {} evicted, {} OOM rejections, {} commands over the latency target",
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
        out.push_str(
            &output::human_diagnostics(&[as_file_report(report.findings.clone(), source)], color).0,
        );
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
            + t.too_large.count;
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
