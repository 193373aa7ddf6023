//! Owns printing what a verify run found, one report per store of the
//! policy: human (a summary grouped by pattern, then the findings with their
//! policy snippets; a heading per store when the policy has several),
//! versioned JSON, JUnit XML, Markdown, and SARIF / GitHub annotations
//! through the same renderers `check` uses, since every finding is a
//! `Diagnostic` pointing into the policy (the store's own fields).
//!
//! One file per format: `human`, `markdown`, `json`, `junit`; this file
//! dispatches and holds the phrases several formats share.

mod human;
mod json;
mod junit;
mod markdown;
#[cfg(test)]
mod tests;

pub use json::JSON_VERSION;

use super::Report;
use super::judge::config::Status;
use super::keyspace::Coverage;
use super::outcome::{RunReport, StoreReport};
use super::target::printable;
use crate::FileReport;
use crate::diag::{Diagnostic, Severity, codes};
use crate::load::units::human_bytes as bytes;
use crate::output::{self, Format, xml_escape};
use crate::source::SourceFile;
use serde_json::{Value, json};
use std::fmt::Write;

fn as_file_report(diagnostics: Vec<Diagnostic>, source: &SourceFile) -> FileReport {
    FileReport {
        source: source.clone(),
        diagnostics,
        unreadable: false,
        policy: None,
    }
}

/// The run's report in `format`. A policy with one store prints that
/// store's report as it always has; with several, each store is named.
pub fn render(format: Format, run: &RunReport, source: &SourceFile, color: bool) -> String {
    match format {
        Format::Human => human::human_run(run, source, color),
        Format::Json => {
            let mut s =
                serde_json::to_string_pretty(&json::json(run, source)).expect("JSON serializes");
            s.push('\n');
            s
        }
        Format::Junit => junit::junit_run(run, source),
        Format::Markdown => markdown::markdown_run(run, source),
        Format::Sarif | Format::Github => output::render(
            format,
            &[as_file_report(merged_findings(run), source)],
            false,
        ),
    }
}

/// Every verified store's findings in one list, for the formats that hold a
/// single list (one SARIF run, one set of annotations). With several stores
/// each message names its store: two stores' findings may point at the same
/// shared line (`targets.hit_ratio`).
fn merged_findings(run: &RunReport) -> Vec<Diagnostic> {
    let named = run.stores.len() > 1;
    let mut all = Vec::new();
    for s in &run.stores {
        let Some(report) = &s.report else { continue };
        all.extend(report.findings.iter().cloned().map(|mut d| {
            if named {
                d.message = format!("store `{}`: {}", s.store, d.message);
            }
            d
        }));
    }
    all
}

/// Why a store has no report.
fn not_verified_text(store: &StoreReport) -> String {
    format!(
        "not verified: no URL was given for it (--redis {}=URL)",
        store.store
    )
}

/// The stores named in one line: `2 stores verified (cache, durable), 1 not
/// verified (queue)`.
fn stores_text(run: &RunReport) -> String {
    let (verified, skipped): (Vec<&StoreReport>, Vec<&StoreReport>) =
        run.stores.iter().partition(|s| s.report.is_some());
    let names = |list: &[&StoreReport]| {
        list.iter()
            .map(|s| s.store.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!(
        "{} store{} verified ({})",
        verified.len(),
        if verified.len() == 1 { "" } else { "s" },
        names(&verified)
    );
    if !skipped.is_empty() {
        let _ = write!(
            text,
            ", {} not verified ({})",
            skipped.len(),
            names(&skipped)
        );
    }
    text
}

/// The outcome of the whole run, as its exit code gives it.
fn run_verdict(run: &RunReport) -> &'static str {
    match run.exit_code() {
        0 => "conforms",
        1 => "violations",
        _ => "incomplete: results are partial",
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
    let replicas = report
        .nodes
        .iter()
        .filter(|n| n.replica_of.is_some())
        .count();
    if report.cluster {
        format!("cluster of {} nodes", report.nodes.len())
    } else if replicas == 0 && report.nodes.len() <= 1 {
        "single node".into()
    } else if replicas == report.nodes.len() {
        "single node (a replica)".into()
    } else {
        format!(
            "primary with {replicas} replica{}",
            if replicas == 1 { "" } else { "s" }
        )
    }
}

fn counts_text(report: &Report) -> String {
    format!(
        "{} errors, {} warnings, {} notes",
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Note)
    )
}

/// One Sentinel in a line: the primary it names, its quorum and the other
/// Sentinels it sees, or why it said nothing. Server text is escaped.
fn sentinel_text(row: &super::SentinelRow) -> String {
    if let Some(why) = &row.error {
        return format!("{}: {}", row.address, printable(why));
    }
    let value = |v: &Option<String>| v.as_deref().map_or("?".to_owned(), printable);
    format!(
        "{} names {}, quorum {}, sees {} other Sentinels",
        row.address,
        row.primary
            .as_ref()
            .map_or("no primary".to_owned(), ToString::to_string),
        value(&row.quorum),
        value(&row.others)
    )
}
