//! Owns human output of checked reports: miette's graphical rendering of
//! each diagnostic, the closing summary line, the windowed source that
//! keeps rendering linear in the number of diagnostics, and the masking of
//! literal secrets (CG030) in every snippet.

use super::neutralize;
use crate::FileReport;
use crate::diag::{Diagnostic, Severity};
use crate::source::SourceFile;

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

pub(super) fn human(reports: &[FileReport], color: bool) -> String {
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
            file: masked_source(report),
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

/// The report's source with the text of every literal secret (a CG030
/// span) replaced by `*`, one per byte: a snippet shows the line, not the
/// secret, in a terminal or a CI log. Every diagnostic's snippet reads this
/// copy, so a neighbour's context lines do not show it either. Line breaks
/// are kept (a block scalar spans lines), so every offset and line number
/// stays where it was.
fn masked_source(report: &FileReport) -> SourceFile {
    let secrets: Vec<crate::source::Span> = report
        .diagnostics
        .iter()
        .filter(|d| d.code.code == crate::diag::codes::LITERAL_SECRET.code)
        .filter_map(|d| d.span)
        .collect();
    if secrets.is_empty() {
        return report.source.clone();
    }
    let mut bytes = report.source.text().as_bytes().to_vec();
    for span in secrets {
        let end = span.end.min(bytes.len());
        for b in &mut bytes[span.start.min(end)..end] {
            if *b != b'\n' && *b != b'\r' {
                *b = b'*';
            }
        }
    }
    // Every byte of a multi-byte character became ASCII: still UTF-8.
    let text = String::from_utf8(bytes).unwrap_or_default();
    SourceFile::new(report.source.name(), text)
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
