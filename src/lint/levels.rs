//! Owns the policy's `lint:` section: rule names as written (`lower` keeps
//! them as `model::LintEntry`) resolved against the registry into a level
//! per rule code, with a diagnostic for every unknown rule and every rule
//! given a second level. It lives here, not in `lower`, because the rules
//! are a later stage than the model.

use super::registry;
use crate::diag::{Diagnostic, codes};
use crate::policy::lower::unresolved;
use crate::policy::model::{LintLevel, Policy};
use indexmap::IndexMap;

/// The `lint:` section resolved.
pub struct Levels {
    /// Level by rule code, in the order the policy first names each rule
    /// (`allow`, then `warn`, then `deny`); a repeated rule keeps its place
    /// and takes the later level.
    pub by_code: IndexMap<&'static str, LintLevel>,
    /// Unknown rules (CG020) and rules given more than one level (CG025).
    pub diagnostics: Vec<Diagnostic>,
}

/// Resolves the policy's `lint:` entries against the registry.
pub fn resolve(policy: &Policy) -> Levels {
    let mut by_code = IndexMap::new();
    let mut diagnostics = Vec::new();
    for entry in &policy.lint_entries {
        let span = policy.span(&entry.pointer, "");
        match registry::find(&entry.rule) {
            Some(rule) => {
                if by_code.insert(rule.code.code, entry.level).is_some() {
                    diagnostics.push(
                        Diagnostic::new(
                            codes::INCONSISTENT,
                            format!("rule `{}` is given more than one level", entry.rule),
                        )
                        .with_span(span, "listed again"),
                    );
                }
            }
            None => {
                let names: Vec<&str> = registry::RULES
                    .iter()
                    .flat_map(|r| [r.code.code, r.code.name])
                    .collect();
                diagnostics.push(unresolved("lint rule", &entry.rule, &names, span));
            }
        }
    }
    Levels {
        by_code,
        diagnostics,
    }
}
