//! CG502 durable-write-without-ownership: a service writes durable data
//! that it does not own, or two services claim the same durable pattern.

use crate::lint::Findings;
use crate::policy::model::{Policy, Store};

crate::declare_rule! {
    /// ## What it does
    /// Reports a service that lists a durable key pattern (`durable: true`)
    /// under `writes` rather than `owns`, and a durable pattern that more
    /// than one service `owns`. A write-behind queue (a pattern some
    /// pattern names as its `queue`) is the exception to the first: its
    /// owner pushes and its consumers pop, and popping is a write.
    ///
    /// ## Why is this bad?
    /// Durable keys (sessions, write-behind queues) are data, not a cache:
    /// nothing rebuilds them from a database when a second writer gets the
    /// format wrong, deletes them too early or pushes a job twice. One
    /// owner per durable pattern keeps its format and lifecycle in one code
    /// base; the others read it, or ask the owner. The generated ACL grants
    /// what the policy says, so a stray writer is a real permission.
    ///
    /// ## Example
    /// ```yaml
    /// access:
    ///   services:
    ///     api:
    ///       password: {env: API_REDIS_PASSWORD}
    ///       owns: [session]
    ///     reports:
    ///       password: {env: REPORTS_REDIS_PASSWORD}
    ///       writes: [session]   # CG502: `session` is durable and owned by `api`
    /// ```
    /// Use instead `reads: [session]` for `reports`, or move the writes into
    /// the owner.
    "CG502", "durable-write-without-ownership", Warning, "a service writes durable data it does not own"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/access", "/keys/patterns"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let services = &store.access.services;
    let owner_of = |pattern: &str| {
        services
            .values()
            .find(|s| s.owns.iter().any(|o| o == pattern))
    };
    // Consumers pop a write-behind queue: a write that is not ownership.
    let is_queue = |name: &str| {
        policy
            .keys
            .patterns
            .values()
            .any(|p| p.queue.as_deref() == Some(name))
    };
    for service in services.values() {
        for (i, name) in service.writes.iter().enumerate() {
            let Some(pattern) = policy
                .pattern(name)
                .filter(|p| p.durable && !is_queue(name))
            else {
                continue;
            };
            let span = policy.span(&format!("{}/writes", service.pointer), &i.to_string());
            let (message, help) = match owner_of(&pattern.name) {
                Some(owner) => (
                    format!(
                        "service `{}` writes `{}`, durable data owned by `{}`",
                        service.name, pattern.name, owner.name
                    ),
                    format!(
                        "read it (`reads: [{}]`) and leave writes to `{}`, or move the ownership",
                        pattern.name, owner.name
                    ),
                ),
                None => (
                    format!(
                        "service `{}` writes `{}`, durable data no service owns",
                        service.name, pattern.name
                    ),
                    format!(
                        "if `{}` is the one writer, list the pattern under its `owns:`; otherwise give the pattern one owner and let the others read it",
                        service.name
                    ),
                ),
            };
            let d = out.report(message, span, "writes durable data");
            d.add_help(help);
            d.add_related(policy.key_span(&pattern.pointer), "durable pattern");
        }
    }
    // A pattern owned twice: reported at every owner after the first.
    let mut seen: Vec<(&str, &str, String)> = Vec::new();
    for service in services.values() {
        for (i, name) in service.owns.iter().enumerate() {
            let pointer = format!("{}/owns", service.pointer);
            if let Some((_, first, first_pointer)) = seen.iter().find(|(n, _, _)| n == name) {
                let d = out.report(
                    format!(
                        "durable pattern `{name}` has two owners, `{first}` and `{}`",
                        service.name
                    ),
                    policy.span(&pointer, &i.to_string()),
                    "second owner",
                );
                d.add_help(
                    "keep one owner; the other service reads it (`reads:`) or asks the owner",
                );
                d.add_related(policy.key_span(first_pointer), "first owner");
            } else {
                seen.push((name, &service.name, service.pointer.clone()));
            }
        }
    }
}
