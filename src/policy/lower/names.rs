//! Owns the grammars of names that leave the policy: identifiers (they
//! become Rust identifiers and rule refs), DNS labels and subdomains
//! (Kubernetes objects, policy names), hostnames (the Cloudflare zone), event
//! names and HTTP header tokens. Each is strict enough that the value is
//! safe wherever it is written, so renderers need not escape it.

use super::Cx;
use crate::diag::codes;
use crate::keys;

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
