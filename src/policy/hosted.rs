//! Owns what cachegen knows about the parameter groups of the managed
//! services a `hosted` store runs on: which parameter group family an engine
//! release belongs to, and which parameters a service lets you set. Every
//! entry cites the service's documentation; a fact missing here is unknown,
//! never assumed (lower, lint and the Terraform target all read this table).

use super::model::HostedService;
use crate::facts::Engine;
use crate::policy::model::Version;

/// Where a store's parameter group stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterGroup {
    /// The service's parameter group family for the engine release
    /// (`redis7`, `valkey8`): `stores/<s>/terraform/parameter-group.tf` is
    /// rendered.
    Family(&'static str),
    /// The service does not run this engine release: why, from its docs.
    NotOffered(&'static str),
    /// The service runs it, but cachegen has no confirmed family name: why.
    Unconfirmed(&'static str),
    /// cachegen renders no parameters for the service yet: why.
    NotRendered(&'static str),
}

/// The Terraform resource of a service's parameter group, for the services
/// whose parameter group cachegen renders.
pub fn terraform_resource(service: HostedService) -> Option<&'static str> {
    match service {
        HostedService::AwsElasticache => Some("aws_elasticache_parameter_group"),
        HostedService::AwsMemorydb => Some("aws_memorydb_parameter_group"),
        HostedService::GcpMemorystore | HostedService::Azure => None,
    }
}

// ElastiCache families: the API's valid `CacheParameterGroupFamily` values
// are "valkey8 | valkey7 | … | redis6.x | redis7" (CreateCacheParameterGroup,
// https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheParameterGroup.html);
// the "Engine specific parameters" page files Valkey 8.0–8.2 under family
// `valkey8` and "Valkey 7.2 and Redis OSS 7" under `redis7`/`valkey7`
// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html).
// ElastiCache runs "all Redis OSS 7.1 and earlier", then Valkey 7.2 and later
// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/supported-engine-versions.html).
//
// MemoryDB: its "Engine specific parameters" page names family
// `memorydb_valkey7` for Valkey 7
// (https://docs.aws.amazon.com/memorydb/latest/devguide/parametergroups.redis.html);
// it runs Redis OSS 6.2, 7.0 and 7.1 and Valkey 7.2 (MemoryDB 7.3), and no
// Valkey 8 (https://docs.aws.amazon.com/memorydb/latest/devguide/engine-versions.html).
// The same parameters page lists Redis OSS 7's changes under
// `memorydb_valkey7` too, so the family of a Redis OSS 7 cluster is not
// confirmed there: cachegen renders none rather than guess.
const FAMILIES: &[(HostedService, Engine, Version, &str)] = &[
    (
        HostedService::AwsElasticache,
        Engine::Redis,
        (7, 0),
        "redis7",
    ),
    (
        HostedService::AwsElasticache,
        Engine::Redis,
        (7, 1),
        "redis7",
    ),
    (
        HostedService::AwsElasticache,
        Engine::Valkey,
        (7, 2),
        "valkey7",
    ),
    (
        HostedService::AwsElasticache,
        Engine::Valkey,
        (8, 0),
        "valkey8",
    ),
    (
        HostedService::AwsElasticache,
        Engine::Valkey,
        (8, 1),
        "valkey8",
    ),
    (
        HostedService::AwsElasticache,
        Engine::Valkey,
        (8, 2),
        "valkey8",
    ),
    (
        HostedService::AwsMemorydb,
        Engine::Valkey,
        (7, 2),
        "memorydb_valkey7",
    ),
];

/// The parameter group of a store of `engine` at `version` on `service`.
pub fn parameter_group(service: HostedService, engine: Engine, version: Version) -> ParameterGroup {
    if let Some(&(_, _, _, family)) = FAMILIES
        .iter()
        .find(|(s, e, v, _)| *s == service && *e == engine && *v == version)
    {
        return ParameterGroup::Family(family);
    }
    match (service, engine) {
        (HostedService::AwsElasticache, Engine::Redis) if version > (7, 1) => {
            ParameterGroup::NotOffered(
                "ElastiCache runs Redis OSS up to 7.1; later releases are Valkey (`engine: valkey`)",
            )
        }
        (HostedService::AwsMemorydb, Engine::Redis) if version > (7, 1) => {
            ParameterGroup::NotOffered("MemoryDB runs Redis OSS 6.2, 7.0 and 7.1 and Valkey 7.2")
        }
        // MemoryDB calls its Valkey 7.2 engine "MemoryDB 7.3": the policy's
        // `version` is the Valkey release, so 7.2 is the last one.
        (HostedService::AwsMemorydb, Engine::Valkey) if version > (7, 2) => {
            ParameterGroup::NotOffered("MemoryDB runs Redis OSS 6.2, 7.0 and 7.1 and Valkey 7.2")
        }
        (HostedService::AwsMemorydb, Engine::Redis) => ParameterGroup::Unconfirmed(
            "the MemoryDB guide lists Redis OSS 7's parameters under family `memorydb_valkey7` only, so the family of a Redis OSS cluster is not confirmed",
        ),
        (HostedService::AwsElasticache | HostedService::AwsMemorydb, _) => {
            ParameterGroup::Unconfirmed(
                "cachegen has no confirmed parameter group family for this release",
            )
        }
        (HostedService::GcpMemorystore, _) => ParameterGroup::NotRendered(
            "cachegen does not render Memorystore's `redis_configs` yet: its accepted settings are not in cachegen's facts",
        ),
        (HostedService::Azure, _) => ParameterGroup::NotRendered(
            "cachegen does not render Azure Cache for Redis settings yet: its accepted settings are not in cachegen's facts",
        ),
    }
}

/// What a service says about setting one directive in its parameter group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parameter {
    /// A parameter you can set: it goes into the parameter group.
    Accepted,
    /// Decided by the node type: not a parameter, and the policy's value is
    /// the budget cachegen plans with.
    NodeType,
    /// The service refuses it: why (CG606).
    Refused(&'static str),
}

/// ElastiCache's parameters, from the "Redis 2.6.13 parameters" table of the
/// ElastiCache user guide's "Engine specific parameters" page (the
/// parameters every later family inherits; each later section lists only
/// changes), "Modifiable: Yes/No", and its node-type section: "The
/// `maxmemory` parameter cannot be modified"
/// (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html).
/// The same text, as a fixed record: awsdocs/amazon-elasticache-docs at
/// commit 60d886ebae8d2e46c7223458372528d0e020aa2b,
/// `doc_source/redis/ParameterGroups.Redis.md`, lines 339–348 (`maxclients`
/// to `timeout`) and 360 (`maxmemory`); the repository was archived in 2023.
/// The append-only file: "AOF isn't supported on Redis versions 2.8.22 and
/// later" (https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/RedisAOF.html).
const ELASTICACHE: &[(&str, Parameter)] = &[
    ("maxmemory", Parameter::NodeType),
    ("maxmemory-policy", Parameter::Accepted),
    ("maxmemory-samples", Parameter::Accepted),
    ("timeout", Parameter::Accepted),
    ("tcp-keepalive", Parameter::Accepted),
    ("slowlog-log-slower-than", Parameter::Accepted),
    ("slowlog-max-len", Parameter::Accepted),
    (
        "maxclients",
        Parameter::Refused("ElastiCache fixes `maxclients` at 65000 (\"Modifiable: No\")"),
    ),
    (
        "appendonly",
        Parameter::Refused(
            "ElastiCache does not support the append-only file on Redis 2.8.22 and later (use replicas with Multi-AZ, or MemoryDB, for durability)",
        ),
    ),
    (
        "appendfsync",
        Parameter::Refused(
            "ElastiCache does not support the append-only file on Redis 2.8.22 and later, so it has no fsync policy",
        ),
    ),
];

/// What `service` says about setting `directive`; `None` where cachegen has
/// no confirmed fact (MemoryDB: none yet, as no Redis release cachegen has
/// facts for has a confirmed family there).
pub fn parameter(service: HostedService, directive: &str) -> Option<Parameter> {
    let table: &[(&str, Parameter)] = match service {
        HostedService::AwsElasticache => ELASTICACHE,
        HostedService::AwsMemorydb | HostedService::GcpMemorystore | HostedService::Azure => &[],
    };
    table
        .iter()
        .find(|(name, _)| *name == directive)
        .map(|&(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_by_service_engine_and_release() {
        use HostedService::*;
        let family = |s, e, v| parameter_group(s, e, v);
        assert_eq!(
            family(AwsElasticache, Engine::Redis, (7, 0)),
            ParameterGroup::Family("redis7")
        );
        assert_eq!(
            family(AwsElasticache, Engine::Valkey, (8, 0)),
            ParameterGroup::Family("valkey8")
        );
        assert!(matches!(
            family(AwsElasticache, Engine::Redis, (7, 2)),
            ParameterGroup::NotOffered(_)
        ));
        assert!(matches!(
            family(AwsMemorydb, Engine::Redis, (7, 0)),
            ParameterGroup::Unconfirmed(_)
        ));
        assert!(matches!(
            family(AwsMemorydb, Engine::Valkey, (8, 0)),
            ParameterGroup::NotOffered(_)
        ));
        // MemoryDB's own release number 7.3 is its Valkey 7.2: a Valkey
        // "7.3" does not exist there.
        assert_eq!(
            family(AwsMemorydb, Engine::Valkey, (7, 2)),
            ParameterGroup::Family("memorydb_valkey7")
        );
        assert!(matches!(
            family(AwsMemorydb, Engine::Valkey, (7, 3)),
            ParameterGroup::NotOffered(_)
        ));
        assert!(matches!(
            family(AwsMemorydb, Engine::Redis, (8, 0)),
            ParameterGroup::NotOffered(_)
        ));
        assert!(matches!(
            family(GcpMemorystore, Engine::Redis, (7, 0)),
            ParameterGroup::NotRendered(_)
        ));
        assert!(matches!(
            family(Azure, Engine::Redis, (7, 0)),
            ParameterGroup::NotRendered(_)
        ));
    }

    /// The parameter group is Terraform, reviewed and stored in state: no
    /// directive that holds a secret may ever be one it carries.
    #[test]
    fn no_accepted_parameter_holds_a_secret() {
        for (name, fact) in ELASTICACHE {
            if *fact == Parameter::Accepted {
                assert!(!crate::facts::secret_anywhere(name), "{name}");
                assert!(
                    crate::facts::releases_of(Engine::Redis).any(|r| r.table().get(name).is_some()),
                    "{name} is a directive"
                );
            }
        }
    }

    /// Lower refuses a hosted store's `config:` (CG025) because no entry of
    /// it could reach a parameter group: each parameter a service accepts
    /// has a field of its own, which `config:` refuses. A parameter
    /// accepted here without such a field is the day to lift CG025 for it.
    #[test]
    fn every_accepted_parameter_has_a_field_of_its_own() {
        for (name, fact) in ELASTICACHE {
            if *fact == Parameter::Accepted {
                assert!(
                    crate::policy::first_class::field_of(name).is_some(),
                    "`{name}` can only be written under `config:`: lift CG025 for it in lower"
                );
            }
        }
    }

    /// Every family in the table belongs to a service whose resource is
    /// rendered, and names it the way that service spells families.
    #[test]
    fn families_match_their_service() {
        for (service, _, _, family) in FAMILIES {
            assert!(terraform_resource(*service).is_some(), "{family}");
            let memorydb = family.starts_with("memorydb_");
            assert_eq!(memorydb, *service == HostedService::AwsMemorydb, "{family}");
        }
    }
}
