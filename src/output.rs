//! Owns printing diagnostics: human (miette), JSON (versioned envelope),
//! SARIF 2.1.0 and GitHub workflow annotations. Each format is a pure function
//! of the reports, so output is deterministic and testable.

use crate::FileReport;
use crate::diag::{Diagnostic, Severity, codes};
use crate::lint::registry;
use crate::source::SourceFile;
use serde_json::{Value, json};

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
    let cell = markdown_cell;
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
    out.push_str("| where | level | code | message |\n|---|---|---|---|\n");
    for report in reports {
        for d in &report.diagnostics {
            let at = d.span.map_or(String::new(), |s| {
                let (l, c) = report.source.line_col(s.start);
                format!(":{l}:{c}")
            });
            let _ = writeln!(
                out,
                "| {} | {} | {} `{}` | {} |",
                markdown_code(&format!("{}{at}", report.source.name())),
                d.severity.as_str(),
                d.code.code,
                d.code.name,
                cell(&d.message)
            );
        }
    }
    out
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

struct Miette<'a> {
    diag: &'a Diagnostic,
    /// `diag.message` and `diag.label` with control characters escaped.
    message: String,
    label: Option<String>,
    source: WindowedSource,
    /// Related spans close enough to the primary one to share its snippet.
    near: Vec<(crate::source::Span, String)>,
    /// Help text plus notes for related spans too far away to draw.
    help: Option<String>,
}

/// Related spans further than this many lines from the primary span are
/// listed as notes instead of drawn, or the snippet would show every line between.
const MAX_SNIPPET_GAP: usize = 6;

impl std::fmt::Debug for Miette<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::fmt::Display for Miette<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Miette<'_> {}

impl miette::Diagnostic for Miette<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(format!(
            "{}({})",
            self.diag.code.code, self.diag.code.name
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.diag
            .span
            .map(|_| &self.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.diag.span?;
        let mut labels = vec![miette::LabeledSpan::new_primary_with_span(
            self.label.clone(),
            (span.start, span.len()),
        )];
        labels.extend(
            self.near.iter().map(|(s, l)| {
                miette::LabeledSpan::new_with_span(Some(l.clone()), (s.start, s.len()))
            }),
        );
        Some(Box::new(labels.into_iter()))
    }
}

fn human(reports: &[FileReport], color: bool) -> String {
    let (mut out, errors, warnings) = human_diagnostics(reports, color);
    summary(&mut out, reports.len(), errors, warnings);
    out
}

/// The diagnostics with their snippets, without the closing summary line
/// (verify prints its own). Returns the text, errors and warnings.
pub fn human_diagnostics(reports: &[FileReport], color: bool) -> (String, usize, usize) {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    let (mut errors, mut warnings) = (0, 0);
    for report in reports {
        let name = neutralize(report.source.name());
        let source = WindowedSource {
            name: name.clone(),
            file: report.source.clone(),
        };
        for diag in &report.diagnostics {
            match diag.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
                Severity::Note => {}
            }
            let primary_line = diag.span.map(|s| report.source.line_col(s.start).0);
            let mut near = Vec::new();
            let mut notes = Vec::new();
            for (span, label) in &diag.related {
                let (line, col) = report.source.line_col(span.start);
                let label = neutralize(label);
                match primary_line {
                    Some(p) if p.abs_diff(line) <= MAX_SNIPPET_GAP => near.push((*span, label)),
                    _ => notes.push(format!("note: {label} ({name}:{line}:{col})")),
                }
            }
            let help = match (&diag.help.as_deref().map(neutralize), notes.is_empty()) {
                (Some(h), true) => Some(h.clone()),
                (None, true) => None,
                (Some(h), false) => Some(format!("{h}\n{}", notes.join("\n"))),
                (None, false) => Some(notes.join("\n")),
            };
            if diag.span.is_none() {
                out.push_str(&format!("{name}: "));
            }
            let m = Miette {
                diag,
                message: neutralize(&diag.message),
                label: diag.label.as_deref().map(neutralize),
                source: source.clone(),
                near,
                help,
            };
            let _ = handler.render_report(&mut out, &m);
            out.push('\n');
        }
    }
    (out, errors, warnings)
}

fn summary(out: &mut String, files: usize, errors: usize, warnings: usize) {
    let plural = |n: usize, w: &str| {
        if n == 1 {
            format!("{n} {w}")
        } else {
            format!("{n} {w}s")
        }
    };
    if errors + warnings == 0 {
        out.push_str(
            &format!(
                "cachegen: {} checked, no problems\n",
                plural(files, "policy")
            )
            .replace("policys", "policies"),
        );
    } else {
        out.push_str(
            &format!(
                "cachegen: {} checked: {}, {}\n",
                plural(files, "policy"),
                plural(errors, "error"),
                plural(warnings, "warning")
            )
            .replace("policys", "policies"),
        );
    }
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
            "tool": { "driver": { "name": "cachegen", "informationUri": "https://github.com/quizmentor/cachegen", "rules": rules } },
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

/// The policy source as miette reads it, one window of lines at a time.
///
/// miette's own `SourceCode` for strings scans from the start of the file for
/// every snippet, which is quadratic when a large file has many diagnostics.
/// This cuts the lines around the span out with our line index first and
/// shifts miette's answer back.
#[derive(Clone)]
struct WindowedSource {
    name: String,
    file: SourceFile,
}

impl miette::SourceCode for WindowedSource {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text = self.file.text();
        let (first_line, _) = self.file.line_col(span.offset());
        let (last_line, _) = self.file.line_col(span.offset() + span.len());
        let window_first = first_line.saturating_sub(context_lines_before).max(1);
        let window_start = self.file.line_start(window_first).unwrap_or(0);
        let window_end = self
            .file
            .line_start(last_line + context_lines_after + 1)
            .unwrap_or(text.len());
        let window = &text.as_bytes()[window_start..window_end.max(window_start)];
        let local = miette::SourceSpan::new(
            (span.offset().saturating_sub(window_start)).into(),
            span.len(),
        );
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        let data_start = inner.data().as_ptr() as usize - window.as_ptr() as usize + window_start;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            miette::SourceSpan::new(data_start.into(), inner.data().len()),
            inner.line() + window_first - 1,
            inner.column(),
            // miette's `line_count` is absolute (lines scanned from the file
            // start), so it shifts like `line`.
            inner.line_count() + window_first - 1,
        )))
    }
}

#[cfg(test)]
mod windowed_tests {
    use super::*;
    use miette::SourceCode;

    #[test]
    fn windowed_source_answers_like_miette() {
        let text: String = (1..=40).map(|i| format!("line {i}: value{i}\n")).collect();
        let file = SourceFile::new("t.yaml", text.clone());
        let ours = WindowedSource {
            name: "t.yaml".into(),
            file,
        };
        for (start, len, before, after) in [
            (100, 5, 0, 0),
            (100, 5, 2, 3),
            (0, 4, 3, 3),
            (300, 200, 1, 1),
            (text.len() - 3, 2, 2, 2),
        ] {
            let span = miette::SourceSpan::new(start.into(), len);
            let a = ours.read_span(&span, before, after).unwrap();
            let b = text.as_str().read_span(&span, before, after).unwrap();
            assert_eq!(
                (a.data(), a.span(), a.line(), a.column(), a.line_count()),
                (b.data(), b.span(), b.line(), b.column(), b.line_count()),
                "span {start}+{len} ctx {before}/{after}"
            );
        }
    }
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
