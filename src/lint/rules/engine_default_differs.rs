//! CG112 engine-default-differs: a store leaves a setting to its engine's
//! default, and that default differs from the other engine's.

use crate::facts::{self, Engine, Release};
use crate::lint::Findings;
use crate::policy::first_class::{DIRECTIVES, Form, field_of};
use crate::policy::model::{Policy, Store};
use crate::redis_directives::managed_directives;

crate::declare_rule! {
    /// ## What it does
    /// For a Valkey store, looks at every setting the store has a field for
    /// (`lazyfree`, `replication.replica_lazy_flush`, `threads.io_threads_do_reads`,
    /// …) but leaves out, and reports those whose default in the store's
    /// release differs from the default of the Redis release Valkey is
    /// compatible with (7.2: Valkey reports `redis_version:7.2.4`). Defaults
    /// come from the directive facts of both releases.
    ///
    /// ## Why is this bad?
    /// Valkey is run as a drop-in Redis, so a policy that leaves a setting
    /// out is usually read as "Redis's default". Valkey 8.0 changed several
    /// defaults: it frees memory lazily (in a background thread) on eviction,
    /// expiry, `DEL` and replica full syncs, where Redis frees synchronously.
    /// Memory then drops later than Redis's would, and a reviewer comparing
    /// the store with a Redis one sees the same policy behave differently.
    ///
    /// ## Example
    /// ```yaml
    /// stores:
    ///   cache:
    ///     engine: valkey   # CG112: lazyfree-lazy-eviction yes (redis 7.2: no), …
    ///     version: "8.0"
    ///     maxmemory: 1gb
    ///     maxmemory_policy: allkeys-lru
    /// ```
    /// Use instead (the values you mean, either way):
    /// ```yaml
    ///     lazyfree: { lazy_eviction: true, lazy_expire: true, lazy_server_del: true, lazy_user_del: true }
    /// ```
    "CG112", "engine-default-differs", Note, "a setting left to the default, whose default differs between Valkey and Redis"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/engine", "@store/version"];

/// The Redis version Valkey servers say they are (`redis_version:7.2.4`):
/// the release a Valkey store is compared with.
const VALKEY_COMPATIBLE_WITH: facts::Version = (7, 2);

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        check_store(policy, store, out);
    }
}

/// The Redis release a store of another engine is compared with.
fn redis_counterpart(release: Release) -> Option<Release> {
    match release.engine() {
        Engine::Redis => None,
        Engine::Valkey => facts::release(Engine::Redis, VALKEY_COMPATIBLE_WITH).ok(),
    }
}

fn check_store(policy: &Policy, store: &Store, out: &mut Findings) {
    let Some(release) = store.release else {
        return;
    };
    let Some(other) = redis_counterpart(release) else {
        return;
    };
    let set: Vec<&str> = managed_directives(store).iter().map(|d| d.name).collect();
    let mut differences: Vec<String> = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    for &(name, _, form) in DIRECTIVES {
        if form == Form::FromTopology || set.contains(&name) {
            continue;
        }
        let default = |r: Release| r.table().get(name).and_then(|f| f.default.clone());
        let (Some(here), Some(there)) = (default(release), default(other)) else {
            continue;
        };
        if here != there {
            differences.push(format!("{name} {here} ({other}: {there})"));
            fields.extend(field_of(name).map(|f| format!("`{f}`")));
        }
    }
    if differences.is_empty() {
        return;
    }
    let span = policy
        .written_span(&store.pointer, "engine")
        .unwrap_or_else(|| policy.key_span(&store.pointer));
    out.report(
        format!(
            "{release} defaults differ from {other} for settings `{}` leaves out: {}",
            store.name,
            differences.join(", ")
        ),
        span,
        format!("{release} defaults apply"),
    )
    .add_help(format!(
        "set {} to the values you mean, so the store does not depend on which engine runs it",
        fields.join(", ")
    ));
}
