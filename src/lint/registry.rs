//! Owns the list of lint rules. Adding a rule: one file in `rules/`, one line
//! here, one fixture directory under `tests/fixtures/lint/`.

use super::Rule;
use super::rules::*;

pub const RULES: &[Rule] = &[Rule {
    code: durable_keys_under_allkeys_eviction::CODE,
    check: durable_keys_under_allkeys_eviction::check,
}];

/// Finds a rule by code (`CG101`, any case) or kebab-case name.
pub fn find(name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.code.code.eq_ignore_ascii_case(name) || r.code.name == name)
}
