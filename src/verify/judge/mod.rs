//! Owns judging: pure functions from the policy and what a run observed
//! (`observed::Observed`) to findings, one file per concern. No judge talks
//! to a server, so each is unit-tested with facts built by hand.
//!
//! Every finding is a `Diagnostic` with a CG4xx code pointing into the
//! policy (or into the lock it was read from).

pub mod access;
pub mod config;
mod config_info;
pub mod engine;
pub mod hosts;
pub mod keyspace;
pub mod mode;
pub mod replicas;
pub mod runtime;
pub mod sentinel;
pub mod topology;
pub mod unmanaged;

use crate::diag::Diagnostic;
use crate::policy::model::Policy;
use crate::verify::observed::Observed;

/// Every judge's findings, unsorted. A run that never heard from the seed
/// judges nothing: an unreachable server makes the run incomplete, not
/// wrong (and zero counters would read as "too few lookups").
pub fn all(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    if observed.seed.is_none() {
        return Vec::new();
    }
    let mut findings = mode::judge(policy, observed);
    if let Some(seed) = &observed.seed {
        let store = observed.store(policy);
        let declared = engine::Declared {
            engine: store.engine,
            version: store.redis.version,
        };
        // Point at `engine:` where the file writes it, else at the store.
        let span = policy
            .written_span(&store.pointer, "engine")
            .unwrap_or_else(|| policy.key_span(&store.pointer));
        findings.extend(engine::judge(declared, span, &seed.flavour));
    }
    findings.extend(access::judge(policy, observed));
    findings.extend(config::judge(policy, observed));
    findings.extend(unmanaged::judge(policy, observed));
    findings.extend(topology::judge(policy, observed));
    findings.extend(replicas::judge(policy, observed));
    findings.extend(hosts::judge(policy, observed));
    findings.extend(runtime::judge(policy, observed));
    findings.extend(keyspace::judge(policy, observed));
    findings
}

/// The nodes a finding names: up to three, then how many more.
pub(super) fn nodes_text(nodes: &[String]) -> String {
    if nodes.len() <= 3 {
        nodes.join(", ")
    } else {
        format!(
            "{}, and {} more nodes",
            nodes[..3].join(", "),
            nodes.len() - 3
        )
    }
}

/// Policies and hand-built facts for the judges' unit tests.
#[cfg(test)]
pub(in crate::verify) mod fixture {
    use crate::policy::model::Policy;
    use crate::verify::observed::{NodeFacts, Observed, ObservedNode, Seed};
    use crate::verify::server::{ClusterNode, Engine, Flavour};
    use crate::verify::target::{Address, parse_host_port};
    use std::collections::BTreeMap;

    fn load(relative: &str) -> Policy {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        crate::check_path(&path, &Default::default())
            .policy
            .expect("the fixture policy checks")
    }

    /// The single-node policy the verify integration tests seed a Redis
    /// against (hit ratio target 80%, latency 10ms, volatile-lru, a durable
    /// pattern with a TTL).
    pub fn single() -> Policy {
        load("tests/fixtures/verify/single.yaml")
    }

    /// A cluster policy: 3 masters with 2 replicas each.
    pub fn cluster() -> Policy {
        load("policies/quizmentor.yaml")
    }

    pub fn address(text: &str) -> Address {
        parse_host_port(text).expect("host:port")
    }

    /// What a Redis 7.0 node answered: these `INFO` fields, no config.
    pub fn facts(info: &[(&str, &str)]) -> NodeFacts {
        let mut fields: BTreeMap<String, String> =
            BTreeMap::from([("redis_version".into(), "7.0.0".into())]);
        fields.extend(info.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        NodeFacts {
            info: fields,
            dbsize: Some(0),
            config: Ok(BTreeMap::new()),
            all_config: None,
            slow: Ok(Vec::new()),
            probes: Default::default(),
        }
    }

    pub fn node(
        address_text: &str,
        cluster: Option<ClusterNode>,
        facts: Option<NodeFacts>,
    ) -> ObservedNode {
        ObservedNode {
            address: address(address_text),
            cluster,
            standalone_replica: false,
            facts,
            scan: None,
            error: None,
            window: None,
            no_touch: Default::default(),
        }
    }

    /// A run whose seed said `cluster_enabled`, with these nodes.
    pub fn observed(cluster_enabled: bool, nodes: Vec<ObservedNode>) -> Observed {
        Observed {
            seed: Some(Seed {
                flavour: Flavour {
                    engine: Engine::Redis,
                    version: "7.0.0".into(),
                    release: Some((7, 0)),
                    redis_compat: Some((7, 0)),
                },
                cluster_enabled,
            }),
            nodes,
            ..Observed::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{facts, node, observed, single};
    use super::*;

    #[test]
    fn a_seed_that_never_answered_is_not_judged() {
        let p = single();
        // With the seed, zero lookups is a finding (CG431)...
        let seen = observed(false, vec![node("127.0.0.1:1", None, Some(facts(&[])))]);
        let codes: Vec<&str> = all(&p, &seen).iter().map(|d| d.code.code).collect();
        assert!(codes.contains(&"CG431"), "{codes:?}");
        // ...without it, nothing was read, and nothing is judged.
        let unseen = Observed { seed: None, ..seen };
        assert!(all(&p, &unseen).is_empty());
    }
}
