//! Owns running lint rules over a validated policy: rule levels (default, then
//! the policy's `lint:` section, resolved in `levels`, then the command line),
//! and inline suppressions (`# cachegen: allow CODE -- reason`).
//!
//! Rules are pure functions of the model, one per file under `rules/`, listed
//! once in `registry`.

pub mod levels;
pub mod registry;
pub mod rules;
pub mod suppress;

use crate::diag::{Code, Diagnostic, Severity};
use crate::policy::model::{LintLevel, Policy};
use crate::source::Span;

/// One lint rule: its code (with docs and default level) and its check.
pub struct Rule {
    pub code: Code,
    pub check: fn(&Policy, &mut Findings),
}

/// Collects a rule's findings; rules never build `Diagnostic`s directly so the
/// code and default severity cannot be mixed up.
pub struct Findings {
    code: Code,
    out: Vec<Diagnostic>,
}

impl Findings {
    pub fn new(code: Code) -> Self {
        Findings {
            code,
            out: Vec::new(),
        }
    }

    /// Reports a finding and returns it for `with_help`/`with_related` chaining.
    pub fn report(
        &mut self,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> &mut Diagnostic {
        self.out
            .push(Diagnostic::new(self.code, message).with_span(span, label));
        self.out.last_mut().expect("just pushed")
    }

    pub fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.out
    }
}

/// Declares a rule's code in its own file. The doc comment is the rule's
/// documentation, printed by `cachegen rule CODE`; write it as
/// "What it does / Why is this bad? / Example".
#[macro_export]
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* $code:literal, $name:literal, $level:ident, $summary:literal) => {
        pub const CODE: $crate::diag::Code = $crate::diag::Code {
            code: $code,
            name: $name,
            summary: $summary,
            docs: concat!($($doc, "\n"),*),
            severity: $crate::diag::Severity::$level,
            lint: true,
        };
    };
}

/// Level overrides from the command line, applied after the policy's own.
#[derive(Debug, Default, Clone)]
pub struct LevelOverrides {
    pub entries: Vec<(&'static str, LintLevel)>,
}

/// Runs every rule and applies levels. Also reports the problems of the
/// policy's `lint:` section (unknown or repeated rules). Suppressions are
/// applied by the caller, which has the comments.
pub fn run(policy: &Policy, overrides: &LevelOverrides) -> Vec<Diagnostic> {
    let levels = levels::resolve(policy);
    let mut out = levels.diagnostics;
    for rule in registry::RULES {
        let level = overrides
            .entries
            .iter()
            .rev()
            .find(|(code, _)| *code == rule.code.code)
            .map(|(_, l)| *l)
            .or_else(|| levels.by_code.get(rule.code.code).copied());
        let severity = match level {
            Some(LintLevel::Allow) => continue,
            Some(LintLevel::Warn) => Severity::Warning,
            Some(LintLevel::Deny) => Severity::Error,
            None => rule.code.default_severity(),
        };
        let mut findings = Findings::new(rule.code);
        (rule.check)(policy, &mut findings);
        out.extend(
            findings
                .into_diagnostics()
                .into_iter()
                .map(|d| d.with_severity(severity)),
        );
    }
    out
}
