//! Owns the grammars of names that leave the policy: identifiers (they
//! become Rust identifiers and rule refs), DNS labels and subdomains
//! (Kubernetes objects, policy names), hostnames (the Cloudflare zone), event
//! names and HTTP header tokens. Each is strict enough that the value is
//! safe wherever it is written, so renderers need not escape it. Also
//! reports names that are each valid but become the same identifier in the
//! generated Rust module (`policy::rust_idents`), so `check` fails where
//! `build` would.

use super::Cx;
use crate::diag::{Diagnostic, codes};
use crate::keys;
use crate::policy::model::Policy;
use crate::policy::rust_idents::{self, Source};
use indexmap::IndexMap;

impl Cx<'_> {
    pub(super) fn check_identifier(&mut self, name: &str, pointer: &str, what: &str) -> bool {
        if keys::is_identifier(name) {
            return true;
        }
        self.report(
            codes::INVALID_SYNTAX,
            format!("{what} name `{}` is not a valid identifier", name.escape_debug()),
            self.key_span(pointer),
            "invalid name",
            Some("names are lowercase letters, digits and `_`, starting with a letter, at most 64 characters (they become Rust identifiers and rule refs)".into()),
        );
        false
    }
}

pub(super) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub(super) fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

pub(super) fn is_hostname(s: &str) -> bool {
    s.len() <= 253 && s.contains('.') && s.split('.').all(|l| is_dns_label(&l.to_ascii_lowercase()))
}

pub(super) fn is_event_name(s: &str) -> bool {
    s.split('.').all(keys::is_identifier) && s.len() <= 128
}

/// RFC 9110 `token`.
pub(super) fn is_header_token(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

/// One diagnostic per pair of colliding sources (a pattern `a__b` meets `a_b`
/// in its builder, TTL function, constants and variant: one finding, every
/// identifier named), pointing at both names.
pub(super) fn rust_collisions(policy: &Policy) -> Vec<Diagnostic> {
    /// Two sources, the identifiers they share, and the functions whose
    /// parameters they collide in (placeholders meet only there).
    type Pair<'a> = (&'a Source, &'a Source, Vec<&'a str>, Vec<&'a str>);
    let mut pairs: IndexMap<(Option<&str>, Option<&str>), Pair> = IndexMap::new();
    let collisions = rust_idents::collisions(policy);
    for c in &collisions {
        let first = &c.sources[0];
        for other in &c.sources[1..] {
            let key = (first.pointer.as_deref(), other.pointer.as_deref());
            let pair = pairs
                .entry(key)
                .or_insert((first, other, Vec::new(), Vec::new()));
            if !pair.2.contains(&c.ident.as_str()) {
                pair.2.push(&c.ident);
            }
            if c.space.starts_with("parameters of") && !pair.3.contains(&c.space.as_str()) {
                pair.3.push(&c.space);
            }
        }
    }
    let span = |s: &Source| s.pointer.as_deref().map(|p| policy.key_span(p));
    pairs
        .into_values()
        .filter_map(|(first, other, idents, functions)| {
            let list: Vec<String> = idents.iter().map(|i| format!("`{i}`")).collect();
            let (one, more) = (&list[0], &list[1..]);
            let more = if more.is_empty() {
                String::new()
            } else {
                format!(" (and {})", more.join(", "))
            };
            let more = match functions.as_slice() {
                [] => more,
                [only] => format!("{more} in the {only}"),
                [first, rest @ ..] => format!("{more} in the {first} (and {} more)", rest.len()),
            };
            let d = match span(first) {
                Some(at) => Diagnostic::new(
                    codes::IDENTIFIER_COLLISION,
                    format!(
                        "{} and {} become the same Rust identifier {one}{more}",
                        other.what, first.what
                    ),
                )
                .with_span(span(other)?, format!("becomes {one}"))
                .with_related(at, format!("{one} here too")),
                None => Diagnostic::new(
                    codes::IDENTIFIER_COLLISION,
                    format!(
                        "{} becomes the Rust identifier {one}{more}, which the generated module defines itself",
                        other.what
                    ),
                )
                .with_span(span(other)?, format!("becomes {one}")),
            };
            Some(d.with_help(
                "the generated Rust module would not compile; rename one of them (names fold to snake case: `.` and `__` become `_`, keywords get `r#` or `_`)",
            ))
        })
        .collect()
}
