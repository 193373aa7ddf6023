//! Owns lowering `keys.placeholders`: each placeholder's type, a built-in
//! name or a user-defined `{regex: ...}` compiled and checked (CG027 syntax,
//! CG028 bounds and the per-policy cap, CG029 values keys refuse).

use super::Cx;
use crate::diag::codes;
use crate::keys;
use crate::load::escape_pointer_token as esc;
use crate::policy::model::PlaceholderType;
use crate::policy::raw;
use indexmap::IndexMap;

impl Cx<'_> {
    pub(super) fn placeholders(
        &mut self,
        raw: IndexMap<String, raw::PlaceholderDef>,
    ) -> IndexMap<String, PlaceholderType> {
        let mut placeholders = IndexMap::new();
        let mut regex_types = 0;
        for (name, def) in raw {
            let pointer = format!("/keys/placeholders/{}", esc(&name));
            if !self.check_identifier(&name, &pointer, "placeholder") {
                continue;
            }
            let ty = match def {
                raw::PlaceholderDef::Builtin(b) => b.into(),
                raw::PlaceholderDef::Regex(_) if regex_types == keys::regex_type::MAX_TYPES => {
                    let max = keys::regex_type::MAX_TYPES;
                    self.report(
                        codes::PLACEHOLDER_REGEX_UNBOUNDED,
                        format!("more than {max} user-defined placeholder types"),
                        self.key_span(&pointer),
                        "one too many",
                        Some(format!("every pair of types that meet in a pattern is checked for overlap; at most {max} regex types per policy")),
                    );
                    self.mark_unknown(&pointer);
                    continue;
                }
                raw::PlaceholderDef::Regex(def) => {
                    regex_types += 1;
                    match self.regex_type(&format!("{pointer}/regex"), def) {
                        Some(t) => t,
                        None => {
                            self.mark_unknown(&pointer);
                            continue;
                        }
                    }
                }
            };
            placeholders.insert(name, ty);
        }
        placeholders
    }

    /// Compiles a user-defined placeholder type, reporting each problem at
    /// its regex (CG027 syntax, CG028 bounds, CG029 values keys refuse).
    fn regex_type(&mut self, pointer: &str, def: raw::RegexTypeDef) -> Option<PlaceholderType> {
        use keys::regex_type::Problem;
        match keys::RegexType::compile(&def.regex, def.description) {
            Ok(t) => Some(PlaceholderType::Pattern(std::sync::Arc::new(t))),
            Err(problems) => {
                for problem in problems {
                    let (message, help) = problem.describe();
                    let (code, label) = match &problem {
                        Problem::Syntax { .. } | Problem::Unsupported(_) => {
                            (codes::PLACEHOLDER_REGEX_SYNTAX, "here")
                        }
                        Problem::Unbounded => (codes::PLACEHOLDER_REGEX_UNBOUNDED, "unbounded"),
                        Problem::SourceTooLong(_)
                        | Problem::TooComplex
                        | Problem::MatchTooLong(_) => {
                            (codes::PLACEHOLDER_REGEX_UNBOUNDED, "too large")
                        }
                        Problem::MatchesEmpty | Problem::Forbidden(_) => {
                            (codes::PLACEHOLDER_REGEX_VALUES, "not a key segment")
                        }
                    };
                    let span = match problem {
                        Problem::Syntax {
                            span: Some((start, end)),
                            ..
                        } => self.inner_span(pointer, &def.regex, start, end),
                        _ => self.span(pointer),
                    };
                    self.report(code, message, span, label, help);
                }
                None
            }
        }
    }
}
