//! Owns the `Diagnostic` type every stage returns, and its severities. Renderers
//! for the output formats live beside it, one file each.

pub mod codes;

use crate::source::Span;
pub use codes::Code;

/// Most diagnostics reported per file. Past this a file is not a policy with
/// mistakes but something else (generated junk, the wrong file), and printing
/// tens of thousands of snippets only hides the first, useful ones. Here, not
/// in the driver, because `schema` stops spending time on suggestions past it.
pub const MAX_PER_FILE: usize = 500;

/// How bad a finding is once levels and overrides are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, never a failure (`verify`: a directive that does not
    /// exist on the server's version).
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One problem found in a policy, pointing at where it is.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// The primary location; `None` only for problems with the file as a whole.
    pub span: Option<Span>,
    pub label: Option<String>,
    pub help: Option<String>,
    /// Secondary locations ("first defined here").
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    /// A diagnostic at the code's default severity.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.default_severity(),
            code,
            message: message.into(),
            span: None,
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    pub fn with_span(mut self, span: Span, label: impl Into<String>) -> Self {
        self.span = Some(span);
        let label = label.into();
        self.label = (!label.is_empty()).then_some(label);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, span: Span, label: impl Into<String>) -> Self {
        self.related.push((span, label.into()));
        self
    }

    /// In-place forms for lint rules, which hold a `&mut Diagnostic`.
    pub fn add_help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    pub fn add_related(&mut self, span: Span, label: impl Into<String>) -> &mut Self {
        self.related.push((span, label.into()));
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}

/// Orders diagnostics by position, then code, so every output is deterministic.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        let pa = a.span.map_or((0, 0), |s| (s.start, s.end));
        let pb = b.span.map_or((0, 0), |s| (s.start, s.end));
        pa.cmp(&pb)
            .then_with(|| a.code.code.cmp(b.code.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// The closest candidate by edit distance, if it is close enough to be a typo.
/// The word is compared in lower case with `-` read as `_`, the spelling of
/// policy keys; callers with other candidates (directive names) translate.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase().replace('-', "_");
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, c), *c))
        .filter(|(d, c)| {
            *d <= (c.len().max(3) / 3).max(1) || c.starts_with(&lower) && lower.len() >= 3
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
