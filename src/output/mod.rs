//! Owns printing diagnostics: human (miette), JSON (versioned envelope),
//! SARIF 2.1.0 and GitHub workflow annotations. Each format is a pure function
//! of the reports, so output is deterministic and testable.

use crate::FileReport;
use crate::diag::{Diagnostic, Severity, codes};
use crate::lint::registry;
use crate::source::SourceFile;
use serde_json::{Value, json};

mod human;

use human::human;
pub use human::human_diagnostics;

/// The formats checked reports print in (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Junit,
    Markdown,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Human,
        Format::Json,
        Format::Sarif,
        Format::Github,
        Format::Junit,
        Format::Markdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
        }
    }

    /// What a format is for, where its name does not say.
    pub fn about(self) -> Option<&'static str> {
        match self {
            Format::Junit => Some("JUnit XML, for CI systems that show test results"),
            Format::Markdown => Some("Markdown, for pull-request comments"),
            _ => None,
        }
    }
}

/// Version of the `--format json` envelope. Bump on incompatible changes.
pub const JSON_FORMAT_VERSION: u32 = 1;

pub fn render(format: Format, reports: &[FileReport], color: bool) -> String {
    match format {
        Format::Human => human(reports, color),
        Format::Json => {
            let mut s =
                serde_json::to_string_pretty(&json_envelope(reports)).expect("JSON serializes");
            s.push('\n');
            s
        }
        Format::Sarif => {
            let mut s = serde_json::to_string_pretty(&sarif(reports)).expect("SARIF serializes");
            s.push('\n');
            s
        }
        Format::Github => github(reports),
        Format::Junit => junit(reports),
        Format::Markdown => markdown(reports),
    }
}

/// Markdown for a pull-request comment: one table row per diagnostic. Cell
/// text is escaped so a message cannot break the table or inject markup.
fn markdown(reports: &[FileReport]) -> String {
    use std::fmt::Write;
    let mut out = String::from("### cachegen check\n\n");
    let all: usize = reports.iter().map(|r| r.diagnostics.len()).sum();
    if all == 0 {
        let _ = writeln!(
            out,
            "No problems in {} polic{}.",
            reports.len(),
            if reports.len() == 1 { "y" } else { "ies" }
        );
        return out;
    }
    out.push_str(MARKDOWN_TABLE_HEAD);
    for report in reports {
        for d in &report.diagnostics {
            out.push_str(&markdown_row(&report.source, d));
        }
    }
    out
}

/// The head of the Markdown findings table `check` and `verify` print.
pub const MARKDOWN_TABLE_HEAD: &str = "| where | level | code | message |\n|---|---|---|---|\n";

/// One row of the Markdown findings table: where, level, code and message.
pub fn markdown_row(source: &SourceFile, d: &Diagnostic) -> String {
    let at = d.span.map_or(String::new(), |s| {
        let (l, c) = source.line_col(s.start);
        format!(":{l}:{c}")
    });
    format!(
        "| {} | {} | {} `{}` | {} |\n",
        markdown_code(&format!("{}{at}", source.name())),
        d.severity.as_str(),
        d.code.code,
        d.code.name,
        markdown_cell(&d.message)
    )
}

/// Text for one Markdown table cell (a pull-request comment): control and
/// bidi characters escaped (a newline becomes `\n`), `|`, backticks and `<`
/// defused, so a policy value cannot break the table or inject markup.
pub fn markdown_cell(s: &str) -> String {
    neutralize(s)
        .replace('|', "\\|")
        .replace('`', "'")
        .replace('<', "&lt;")
}

/// A Markdown code span (`` `text` ``) for a table cell. Entities are not
/// decoded inside code spans, so `<` stays as it is; backticks (which would
/// end the span) become `'`, and `|` is escaped for the table.
pub fn markdown_code(s: &str) -> String {
    let inner = neutralize(s).replace('|', "\\|").replace('`', "'");
    format!("`{inner}`")
}

/// XML 1.0 text: escaped, and without the control characters XML forbids
/// (written as `\u{..}` instead).
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || matches!(c as u32, 0xFFFE | 0xFFFF) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test suite per policy file, one failing test case per
/// error-level diagnostic; a file without errors is one passing case, with
/// its warnings in `system-out`.
fn junit(reports: &[FileReport]) -> String {
    use std::fmt::Write;
    let mut suites = String::new();
    let (mut total, mut failures) = (0, 0);
    for report in reports {
        let name = xml_escape(report.source.name());
        let at = |d: &Diagnostic| {
            d.span.map_or(String::new(), |s| {
                let (l, c) = report.source.line_col(s.start);
                format!(":{l}:{c}")
            })
        };
        let mut cases = String::new();
        let errors: Vec<&Diagnostic> = report
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        for d in &errors {
            let _ = write!(
                cases,
                "    <testcase classname=\"cachegen.check\" name=\"{name}{} {}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                at(d),
                d.code.code,
                xml_escape(&d.message),
                d.code.code,
                xml_escape(d.help.as_deref().unwrap_or_default())
            );
        }
        if errors.is_empty() {
            let notes: Vec<String> = report
                .diagnostics
                .iter()
                .map(|d| {
                    format!(
                        "{}{}: {}[{}] {}",
                        report.source.name(),
                        at(d),
                        d.severity.as_str(),
                        d.code.code,
                        d.message
                    )
                })
                .collect();
            let _ = writeln!(
                cases,
                "    <testcase classname=\"cachegen.check\" name=\"{name}\"><system-out>{}</system-out></testcase>",
                xml_escape(&notes.join("\n"))
            );
        }
        let tests = errors.len().max(1);
        total += tests;
        failures += errors.len();
        let _ = write!(
            suites,
            "  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{}\" errors=\"0\">\n{cases}  </testsuite>\n",
            errors.len()
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cachegen check\" tests=\"{total}\" failures=\"{failures}\" errors=\"0\">\n{suites}</testsuites>\n"
    )
}

fn location(source: &SourceFile, diag: &Diagnostic) -> Value {
    match diag.span {
        Some(span) => {
            let (line, column) = source.line_col(span.start);
            let (end_line, end_column) = source.line_col(span.end);
            json!({
                "line": line, "column": column, "end_line": end_line, "end_column": end_column,
                "span": { "start": span.start, "end": span.end },
            })
        }
        None => {
            json!({ "line": null, "column": null, "end_line": null, "end_column": null, "span": null })
        }
    }
}

pub fn json_envelope(reports: &[FileReport]) -> Value {
    let mut diagnostics = Vec::new();
    for report in reports {
        for d in &report.diagnostics {
            let mut entry = json!({
                "code": d.code.code,
                "name": d.code.name,
                "severity": d.severity.as_str(),
                "message": d.message,
                "file": report.source.name(),
            });
            let loc = location(&report.source, d);
            let obj = entry.as_object_mut().expect("object");
            for (k, v) in loc.as_object().expect("object") {
                obj.insert(k.clone(), v.clone());
            }
            obj.insert("label".into(), json!(d.label));
            obj.insert("help".into(), json!(d.help));
            let related: Vec<Value> = d
                .related
                .iter()
                .map(|(span, label)| {
                    let (line, column) = report.source.line_col(span.start);
                    json!({ "message": label, "line": line, "column": column, "span": { "start": span.start, "end": span.end } })
                })
                .collect();
            obj.insert("related".into(), Value::Array(related));
            diagnostics.push(entry);
        }
    }
    let errors = reports
        .iter()
        .map(|r| r.count(Severity::Error))
        .sum::<usize>();
    let warnings = reports
        .iter()
        .map(|r| r.count(Severity::Warning))
        .sum::<usize>();
    json!({
        "version": JSON_FORMAT_VERSION,
        "tool": "cachegen",
        "summary": { "files": reports.len(), "errors": errors, "warnings": warnings },
        "diagnostics": diagnostics,
    })
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn sarif_region(source: &SourceFile, span: crate::source::Span) -> Value {
    let (start_line, start_column) = source.line_col(span.start);
    let (end_line, end_column) = source.line_col(span.end);
    json!({
        "startLine": start_line,
        "startColumn": start_column,
        "endLine": end_line,
        "endColumn": end_column,
        "byteOffset": span.start,
        "byteLength": span.len(),
    })
}

/// SARIF 2.1.0, one run, every known code listed as a rule so code-scanning
/// UIs can show the docs.
pub fn sarif(reports: &[FileReport]) -> Value {
    let all: Vec<&crate::diag::Code> = codes::ALL
        .iter()
        .chain(registry::RULES.iter().map(|r| &r.code))
        .collect();
    let rules: Vec<Value> = all
        .iter()
        .map(|c| {
            json!({
                "id": c.code,
                "name": c.name,
                "shortDescription": { "text": c.summary },
                "fullDescription": { "text": c.docs.trim() },
                "help": { "text": c.docs.trim(), "markdown": c.docs.trim() },
                "defaultConfiguration": { "level": sarif_level(c.default_severity()) },
            })
        })
        .collect();
    let mut results = Vec::new();
    for report in reports {
        for d in &report.diagnostics {
            let rule_index = all.iter().position(|c| c.code == d.code.code).unwrap_or(0);
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            let mut physical = json!({ "artifactLocation": { "uri": uri(report.source.name()) } });
            if let Some(span) = d.span {
                physical["region"] = sarif_region(&report.source, span);
            }
            let related: Vec<Value> = d
                .related
                .iter()
                .enumerate()
                .map(|(i, (span, label))| {
                    json!({
                        "id": i,
                        "message": { "text": label },
                        "physicalLocation": { "artifactLocation": { "uri": uri(report.source.name()) }, "region": sarif_region(&report.source, *span) },
                    })
                })
                .collect();
            let mut result = json!({
                "ruleId": d.code.code,
                "ruleIndex": rule_index,
                "level": sarif_level(d.severity),
                "message": { "text": message },
                "locations": [ { "physicalLocation": physical } ],
            });
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "cachegen", "rules": rules } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// A relative path as a SARIF URI: forward slashes, spaces and `%` escaped.
fn uri(path: &str) -> String {
    let path = path.strip_prefix("./").unwrap_or(path).replace('\\', "/");
    let mut out = String::new();
    for c in path.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' | '/' => out.push(c),
            c => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// GitHub Actions workflow commands (`::error file=…,line=…::message`).
fn github(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for report in reports {
        for d in &report.diagnostics {
            let command = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "notice",
            };
            let mut props = vec![format!("file={}", escape_property(report.source.name()))];
            if let Some(span) = d.span {
                let (line, col) = report.source.line_col(span.start);
                let (end_line, end_col) = report.source.line_col(span.end);
                props.push(format!("line={line}"));
                props.push(format!("col={col}"));
                props.push(format!("endLine={end_line}"));
                if end_line == line {
                    props.push(format!("endColumn={end_col}"));
                }
            }
            props.push(format!(
                "title={}",
                escape_property(&format!("{} {}", d.code.code, d.code.name))
            ));
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str(&format!("\nhelp: {help}"));
            }
            out.push_str(&format!(
                "::{command} {}::{}\n",
                props.join(","),
                escape_data(&message)
            ));
        }
    }
    out
}

fn escape_data(s: &str) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    // The Actions log interprets ANSI escapes; other controls have no `%` form.
    neutralize(&s)
}

/// Escapes characters that let text from a policy take over the reader's
/// terminal or reorder what they see: control characters (ESC, BEL, CR, LF,
/// ...) and Unicode bidirectional overrides. Messages quote names and values
/// from the policy, and YAML escapes (`"\e[2J"`) can put any of these there.
/// JSON and SARIF need nothing: serde_json escapes control characters.
/// `verify` and `explain` use it for keys and server replies too.
pub fn neutralize(s: &str) -> String {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
    };
    if !s.contains(unsafe_char) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod markdown_tests {
    use super::*;

    #[test]
    fn markdown_cells_cannot_break_the_table_or_inject_markup() {
        assert_eq!(markdown_cell("a|b\n<img>`x`"), "a\\|b\\n&lt;img>'x'");
        // Inside a code span `<` is literal text, so it is left alone.
        assert_eq!(
            markdown_code("<user_id>|`x`\u{1b}"),
            "`<user_id>\\|'x'\\u{1b}`"
        );
    }
}
