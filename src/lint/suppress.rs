//! Owns inline suppressions: `# cachegen: allow CG101 -- why this is fine`.
//!
//! A suppression on the same line as YAML content covers findings that start on
//! that line; on a line of its own it covers the next line with content. A
//! reason after `--` is required, and a suppression that covers nothing is
//! reported, so stale suppressions do not pile up and hide future findings.

use crate::diag::{Diagnostic, codes};
use crate::lint::registry;
use crate::load::Comment;
use crate::source::{SourceFile, Span};

struct Suppression {
    span: Span,
    /// 1-based line whose findings it covers.
    target_line: usize,
    codes: Vec<&'static str>,
    used: bool,
}

/// Removes suppressed lint findings from `diagnostics` and adds diagnostics for
/// malformed or unused suppressions. A suppression only of rules in `not_run`
/// (rules that read a value the file gives but that could not be read) is not
/// reported unused: its finding may well come back once the value is fixed.
pub fn apply(
    src: &SourceFile,
    comments: &[Comment],
    not_run: &[&str],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut suppressions = Vec::new();
    let mut problems = Vec::new();
    for comment in comments {
        let text = comment.text.trim();
        let Some(rest) = text.strip_prefix("cachegen:") else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix("allow") else {
            problems.push(
                Diagnostic::new(
                    codes::INVALID_SUPPRESSION,
                    "unknown cachegen directive in comment",
                )
                .with_span(comment.span, "expected `cachegen: allow CODE -- reason`"),
            );
            continue;
        };
        let (names, reason) = match rest.split_once("--") {
            Some((names, reason)) => (names, reason.trim()),
            None => (rest, ""),
        };
        if reason.is_empty() {
            problems.push(
                Diagnostic::new(codes::INVALID_SUPPRESSION, "suppression has no reason")
                    .with_span(comment.span, "reason missing")
                    .with_help("write why the finding does not apply: `# cachegen: allow CG101 -- sessions live in another Redis`"),
            );
            continue;
        }
        let mut resolved = Vec::new();
        let mut ok = true;
        for name in names
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match registry::find(name) {
                Some(rule) => resolved.push(rule.code.code),
                None => {
                    let known = codes::ALL.iter().any(|c| c.code == name || c.name == name);
                    let message = if known {
                        format!(
                            "`{name}` is not a lint rule; errors that make a policy meaningless cannot be suppressed"
                        )
                    } else {
                        format!("suppression names unknown rule `{name}`")
                    };
                    problems.push(
                        Diagnostic::new(codes::INVALID_SUPPRESSION, message)
                            .with_span(comment.span, "here"),
                    );
                    ok = false;
                }
            }
        }
        if resolved.is_empty() && ok {
            problems.push(
                Diagnostic::new(codes::INVALID_SUPPRESSION, "suppression names no rule")
                    .with_span(comment.span, "expected a rule code or name after `allow`"),
            );
            continue;
        }
        if !ok {
            continue;
        }
        let (line, _) = src.line_col(comment.span.start);
        let before = src.line_text(line);
        let (_, col) = src.line_col(comment.span.start);
        let own_line = before.chars().take(col - 1).all(char::is_whitespace);
        let target_line = if own_line {
            next_content_line(src, line)
        } else {
            line
        };
        suppressions.push(Suppression {
            span: comment.span,
            target_line,
            codes: resolved,
            used: false,
        });
    }

    if !suppressions.is_empty() {
        diagnostics.retain(|d| {
            if !d.code.is_lint() {
                return true;
            }
            let Some(span) = d.span else { return true };
            let (line, _) = src.line_col(span.start);
            match suppressions
                .iter_mut()
                .find(|s| s.target_line == line && s.codes.contains(&d.code.code))
            {
                Some(s) => {
                    s.used = true;
                    false
                }
                None => true,
            }
        });
    }
    for s in suppressions
        .iter()
        .filter(|s| !s.used && !s.codes.iter().all(|c| not_run.contains(c)))
    {
        problems.push(
            Diagnostic::new(codes::UNUSED_SUPPRESSION, format!("suppression of {} matches no finding", s.codes.join(", ")))
                .with_span(s.span, "suppresses nothing")
                .with_help("remove it; if the finding moved, put the comment on the line the finding points at"),
        );
    }
    diagnostics.extend(problems);
}

fn next_content_line(src: &SourceFile, line: usize) -> usize {
    let mut l = line + 1;
    while src.line_start(l).is_some() {
        let t = src.line_text(l).trim();
        if !t.is_empty() && !t.starts_with('#') {
            return l;
        }
        l += 1;
    }
    line
}
