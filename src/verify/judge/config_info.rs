//! Owns what `INFO` shows of a node's configuration, for the config judge
//! where `CONFIG GET` was not available: the directives it shows with their
//! value ([`INFO_DIRECTIVES`]), those it shows only the presence of
//! ([`INFO_PRESENCE`]), and the managed directives neither gave, with why
//! ([`unchecked_directives`]), which the CG403 note and the reports list.

use super::config::{ConfigRow, Status, normalize};
use crate::policy::model::{Policy, Store};
use crate::redis_directives;
use crate::verify::observed::{NodeFacts, Observed};
use crate::verify::target::Address;
use std::collections::BTreeMap;

/// How an `INFO` field's text becomes the value `CONFIG GET` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InfoValue {
    /// The same text (bytes, enum names, numbers).
    Same,
    /// `1`/`0` for `yes`/`no`.
    Flag,
}

/// Directives `INFO` shows as the server holds them, with their field: read
/// off Redis 7.0.15's `INFO everything` (the server's own value, not a
/// derived one: `configured_hz`, not `hz`, which `dynamic-hz` moves;
/// `aof_enabled` is `aof_state != off`, so `1` also while the first rewrite
/// runs). Valkey prints the same fields.
pub const INFO_DIRECTIVES: &[(&str, &str, InfoValue)] = &[
    ("maxmemory", "maxmemory", InfoValue::Same),
    ("maxmemory-policy", "maxmemory_policy", InfoValue::Same),
    ("appendonly", "aof_enabled", InfoValue::Flag),
    ("cluster-enabled", "cluster_enabled", InfoValue::Flag),
    ("hz", "configured_hz", InfoValue::Same),
    ("maxclients", "maxclients", InfoValue::Same),
    ("repl-backlog-size", "repl_backlog_size", InfoValue::Same),
];

/// Directives `INFO` shows only the presence of, with the field that is
/// there exactly when the directive is in force: Redis 7.0.15 prints
/// `min_slaves_good_slaves` only while `min-replicas-to-write` and
/// `min-replicas-max-lag` are both non-zero. Whether it is set is checked;
/// its value is not.
pub const INFO_PRESENCE: &[(&str, &str)] = &[("min-replicas-to-write", "min_slaves_good_slaves")];

/// Why a directive was not checked where `CONFIG GET` was unavailable.
pub const INFO_LACKS: &str = "INFO does not show these";
/// Why a directive `INFO` would show was not checked on a node.
pub const INFO_OMITTED: &str = "INFO shows these, but the node's did not";
/// Why the value of an [`INFO_PRESENCE`] directive was not checked.
pub const INFO_PRESENCE_ONLY: &str = "INFO shows only whether it is in force";

/// The directives a node's `INFO` shows, by name, in `CONFIG GET`'s form.
pub fn from_info(facts: &NodeFacts) -> BTreeMap<String, String> {
    INFO_DIRECTIVES
        .iter()
        .filter_map(|(name, field, kind)| {
            let text = facts.info.get(*field)?;
            let value = match (kind, text.as_str()) {
                (InfoValue::Same, _) => text.clone(),
                (InfoValue::Flag, "1") => "yes".into(),
                (InfoValue::Flag, "0") => "no".into(),
                (InfoValue::Flag, _) => return None,
            };
            Some(((*name).to_owned(), value))
        })
        .collect()
}

/// Rows for the managed directives of [`INFO_PRESENCE`]: set or not, as
/// the node's `INFO replication` shows it (read: its `role` is there).
pub(super) fn presence_rows(store: &Store, node: &Address, facts: &NodeFacts) -> Vec<ConfigRow> {
    if !facts.info.contains_key("role") {
        return Vec::new();
    }
    // `min_slaves_good_slaves` needs a non-zero max lag too (10 s unless set).
    let lag_set = store
        .replicated
        .as_ref()
        .and_then(|r| r.min_replicas_max_lag)
        .is_none_or(|d| !d.is_zero());
    redis_directives::managed_directives(store)
        .into_iter()
        .filter_map(|d| {
            let (_, field) = INFO_PRESENCE.iter().find(|(name, _)| *name == d.name)?;
            let present = facts.info.contains_key(*field);
            let expected_set = normalize(&d.config_get) != "0" && lag_set;
            // Both directives decide whether it is in force: name both.
            let actual = if present {
                format!("in force (INFO shows {field}; the value is not shown)")
            } else {
                format!(
                    "not in force (INFO shows no {field}: min-replicas-to-write or min-replicas-max-lag is 0)"
                )
            };
            Some(ConfigRow {
                node: node.clone(),
                directive: d.name,
                expected: d.config_get,
                actual: Some(actual),
                status: if present == expected_set {
                    Status::Matches
                } else {
                    Status::Drift
                },
                via_info: true,
            })
        })
        .collect()
}

/// The managed directives `CONFIG GET` did not give and `INFO` did not
/// either, each with why, and those `INFO` showed only the presence of
/// ([`INFO_PRESENCE_ONLY`]: their value is unchecked); empty when every
/// node that answered gave `CONFIG GET`. What reports list as "not
/// checked".
pub fn unchecked_directives(
    policy: &Policy,
    observed: &Observed,
    rows: &[ConfigRow],
) -> Vec<(&'static str, &'static str)> {
    if !observed.reached().any(|(_, f)| f.config.is_err()) {
        return Vec::new();
    }
    redis_directives::managed_directives(observed.store(policy))
        .iter()
        .map(|d| d.name)
        .filter_map(|name| {
            let presence = INFO_PRESENCE.iter().any(|(n, _)| *n == name);
            if rows.iter().any(|r| r.via_info && r.directive == name) {
                return presence.then_some((name, INFO_PRESENCE_ONLY));
            }
            let shown = presence || INFO_DIRECTIVES.iter().any(|(n, _, _)| *n == name);
            Some((name, if shown { INFO_OMITTED } else { INFO_LACKS }))
        })
        .collect()
}
