//! Owns the cross-layer analyses of a validated policy: how stale data can be
//! when a user sees it (`staleness`) and how much memory the declared keys
//! need in Redis (`memory`); and which keys and commands each service's ACL
//! user gets (`grants`), which render prints and lint checks.
//!
//! All are pure functions of `model::Policy`, like lint rules, and return
//! plain values rather than diagnostics: lint rules turn them into findings,
//! and `explain` and `diff` print or compare them. Every number carries the
//! JSON pointer and field it comes from, so any consumer can point at the
//! policy line without knowing how the number was made.

pub mod grants;
pub mod memory;
pub mod staleness;
