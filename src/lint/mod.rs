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
    /// The parts of the policy the rule reads, as JSON pointers in which `*`
    /// stands for any one name (`/keys/patterns/*/ttl`), through the model or
    /// the analyses it asks. `@store/…` is a field of every store and
    /// `@cluster/…` of every store's cluster (`Store::at`, `Store::cluster_at`),
    /// wherever the file writes them. A rule does not run when one of them is a value
    /// the file gives but that could not be read (`Policy::unknown`): the
    /// model holds a stand-in there, a default or nothing, and a finding
    /// about it would report the stand-in as if the file said it.
    pub reads: &'static [&'static str],
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

/// Whether `rule` reads a value of `policy` that could not be read.
fn reads_unknown(rule: &Rule, policy: &Policy) -> bool {
    rule.reads.iter().any(|input| {
        if let Some(field) = input.strip_prefix("@store") {
            let field = field.trim_start_matches('/');
            policy
                .stores
                .values()
                .any(|s| policy.unknown.affects(&s.at(field)))
                || policy.unknown.affects("/stores")
        } else if let Some(field) = input.strip_prefix("@cluster") {
            let field = field.trim_start_matches('/');
            policy
                .stores
                .values()
                .any(|s| policy.unknown.affects(&s.cluster_at(field)))
        } else {
            policy.unknown.affects(input)
        }
    })
}

/// Codes of the rules that do not run on `policy` because they read a value
/// the file gives but that could not be read. A suppression of one of them
/// has nothing to match until that value is fixed, so it is not "unused".
pub fn not_run(policy: &Policy) -> Vec<&'static str> {
    registry::RULES
        .iter()
        .filter(|rule| reads_unknown(rule, policy))
        .map(|rule| rule.code.code)
        .collect()
}

/// Runs every rule and applies levels. Also reports the problems of the
/// policy's `lint:` section (unknown or repeated rules). Suppressions are
/// applied by the caller, which has the comments.
/// A rule that reads an unknown value (`Rule::reads`) does not run.
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
        if reads_unknown(rule, policy) {
            continue;
        }
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
