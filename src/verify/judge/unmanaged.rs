//! Owns judging `verify --unmanaged`: directives the policy does not set
//! (neither a first-class field nor `config:`) whose live value differs from
//! the default of the server's release, as the facts tables record it (the
//! value `CONFIG GET` prints on a server started without a config file).
//! One note per directive and distinct value, listing the nodes.
//!
//! Left out on purpose: directives whose default depends on how the server
//! was started (no default in the facts: `dir`, `port`, `pidfile`, …),
//! hidden and debug ones, and secrets (`gather` already dropped those, so
//! their values cannot reach a report). Verify itself changes no directive.

use super::nodes_text;
use crate::diag::{Diagnostic, codes};
use crate::facts::{self, Release};
use crate::policy::model::{Policy, Store};
use crate::redis_directives;
use crate::verify::observed::Observed;
use crate::verify::server::{self, Engine, Flavour};
use crate::verify::target::printable;
use std::collections::{BTreeMap, HashSet};

/// The release whose defaults a node is judged by: the one it runs, when
/// cachegen has its facts, else the one the store declares.
fn release_of(flavour: &Flavour, store: &Store) -> Option<Release> {
    let engine = match flavour.engine {
        Engine::Redis => Some(facts::Engine::Redis),
        Engine::Valkey => Some(facts::Engine::Valkey),
        Engine::Other(_) => None,
    };
    engine
        .zip(flavour.release)
        .and_then(|(engine, version)| facts::release(engine, version).ok())
        .or(store.release)
}

use super::config::normalize;

/// One note per unmanaged directive and live value that differs from the
/// default; nothing when `--unmanaged` was not given.
pub fn judge(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    let store = observed.store(policy);
    let managed: HashSet<&str> = redis_directives::managed_directives(store)
        .iter()
        .map(|d| d.name)
        .collect();
    // (directive, live, default, release) → nodes.
    let mut differing: BTreeMap<(String, String, String, String), Vec<String>> = BTreeMap::new();
    for (node, facts) in observed.reached() {
        let Some(Ok(values)) = &facts.all_config else {
            continue;
        };
        let Some(release) = release_of(&server::flavour(&facts.info), store) else {
            continue;
        };
        for (name, live) in values {
            let Some(fact) = release.table().get(name) else {
                continue;
            };
            // `CONFIG GET *` lists aliases under both names: judge the
            // canonical one only, and count either name as managed.
            let is_managed = managed.contains(fact.name.as_str())
                || fact.alias.as_deref().is_some_and(|a| managed.contains(a));
            // Secrets by any release's flag, as `gather` drops them.
            if fact.name != *name
                || is_managed
                || crate::facts::secret_anywhere(name)
                || fact.hidden_or_debug()
            {
                continue;
            }
            let Some(default) = &fact.default else {
                continue;
            };
            if normalize(live) != normalize(default) {
                differing
                    .entry((
                        fact.name.clone(),
                        live.clone(),
                        default.clone(),
                        release.to_string(),
                    ))
                    .or_default()
                    .push(node.address.to_string());
            }
        }
    }
    let span = policy.key_span(&store.pointer);
    differing
        .into_iter()
        .map(|((name, live, default, release), nodes)| {
            Diagnostic::new(
                codes::UNMANAGED_DIRECTIVE,
                format!(
                    "`{name}` is `{}` on {}; the policy does not set it, and the {release} default is `{}`",
                    printable(&live),
                    nodes_text(&nodes),
                    printable(&default)
                ),
            )
            .with_span(span, format!("store `{}` does not set `{name}`", store.name))
            .with_help(format!(
                "to manage it, add `{name}` to the store's `config:`; else reset it to the default (CONFIG SET {name} and the node's config file)"
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{facts, node, observed, single};
    use super::*;

    fn with_all_config(pairs: &[(&str, &str)]) -> crate::verify::observed::NodeFacts {
        let mut f = facts(&[("redis_version", "7.0.15")]);
        f.all_config = Some(Ok(pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()));
        f
    }

    #[test]
    fn only_unset_directives_off_their_default_are_noted() {
        let p = single();
        let seen = observed(
            false,
            vec![node(
                "127.0.0.1:1",
                None,
                Some(with_all_config(&[
                    // Off its default (10), not in the policy: noted.
                    ("hz", "42"),
                    // At its default: not noted.
                    ("maxmemory-samples", "5"),
                    // Managed by the fixture policy: config drift's business.
                    ("maxmemory-policy", "allkeys-lru"),
                    // No default (depends on how the server was started).
                    ("port", "7001"),
                    // An alias of a canonical name also listed.
                    ("slave-priority", "50"),
                    ("replica-priority", "50"),
                ])),
            )],
        );
        let notes: Vec<String> = judge(&p, &seen).iter().map(|d| d.message.clone()).collect();
        assert_eq!(
            notes,
            vec![
                "`hz` is `42` on 127.0.0.1:1; the policy does not set it, and the redis 7.0 default is `10`",
                "`replica-priority` is `50` on 127.0.0.1:1; the policy does not set it, and the redis 7.0 default is `100`",
            ]
        );
        assert!(
            judge(&p, &seen)
                .iter()
                .all(|d| d.severity == crate::diag::Severity::Note)
        );
    }

    #[test]
    fn without_unmanaged_nothing_is_noted() {
        let p = single();
        let mut f = facts(&[]);
        f.all_config = None;
        let seen = observed(false, vec![node("127.0.0.1:1", None, Some(f))]);
        assert!(judge(&p, &seen).is_empty());
    }
}
