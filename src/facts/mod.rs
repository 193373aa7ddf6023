//! Owns what cachegen knows about Redis and Valkey directives, per engine and
//! release: every directive's kind, range, enum values, flags, aliases and
//! default, read off the engines themselves (`data/redis-directives/`, whose
//! README says how) and embedded in the binary; and how a value written in a
//! policy becomes a redis.conf line (`check_value`).
//!
//! Nothing here is a policy decision: refusing a `sensitive` directive or
//! warning about a `debug` one is the caller's business; this module only
//! answers questions about the servers.

mod acl;
mod table;
mod value;

pub use acl::AclCategories;
pub use table::{CType, DirectiveFact, Flag, Kind, NumberFormat, Table, TextKind};
pub use value::{ConfigValue, Setting, ValueProblem, check_value, conf_token};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

/// The server software a store runs: `redis` or `valkey`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Redis (`redis-server`).
    Redis,
    /// Valkey (`valkey-server`), the fork of Redis 7.2; it reports
    /// `redis_version:7.2.4` whatever its own release.
    Valkey,
}

impl Engine {
    pub const ALL: [Engine; 2] = [Engine::Redis, Engine::Valkey];

    /// The name as policies write it.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Redis => "redis",
            Engine::Valkey => "valkey",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A server version as policies give it, `(major, minor)`.
pub type Version = (u32, u32);

/// One embedded fact file and the policy version it stands for.
struct Source {
    engine: Engine,
    version: Version,
    /// The release the facts were read from.
    exact: &'static str,
    json: &'static str,
    /// `ACL CAT` of the same release: which commands each category holds.
    acl_json: &'static str,
}

/// Ordered by engine, then version: `releases_of` relies on it.
const SOURCES: [Source; 5] = [
    Source {
        engine: Engine::Redis,
        version: (7, 0),
        exact: "7.0.15",
        json: include_str!("../../data/redis-directives/redis-7.0.15.json"),
        acl_json: include_str!("../../data/redis-directives/acl-categories-redis-7.0.15.json"),
    },
    Source {
        engine: Engine::Redis,
        version: (7, 2),
        exact: "7.2.6",
        json: include_str!("../../data/redis-directives/redis-7.2.6.json"),
        acl_json: include_str!("../../data/redis-directives/acl-categories-redis-7.2.6.json"),
    },
    Source {
        engine: Engine::Redis,
        version: (7, 4),
        exact: "7.4.1",
        json: include_str!("../../data/redis-directives/redis-7.4.1.json"),
        acl_json: include_str!("../../data/redis-directives/acl-categories-redis-7.4.1.json"),
    },
    // The development line just before 8.0 GA (it reports 255.255.255);
    // the one 8.0 GA difference known is in `redis_directives::availability`.
    Source {
        engine: Engine::Redis,
        version: (8, 0),
        exact: "8.0-m01",
        json: include_str!("../../data/redis-directives/redis-8.0-m01.json"),
        acl_json: include_str!("../../data/redis-directives/acl-categories-redis-8.0-m01.json"),
    },
    Source {
        engine: Engine::Valkey,
        version: (8, 0),
        exact: "8.0.1",
        json: include_str!("../../data/redis-directives/valkey-8.0.1.json"),
        acl_json: include_str!("../../data/redis-directives/acl-categories-valkey-8.0.1.json"),
    },
];

/// Each table is parsed on first use, once per process.
static TABLES: [OnceLock<Table>; SOURCES.len()] = [const { OnceLock::new() }; SOURCES.len()];
static ACL_TABLES: [OnceLock<AclCategories>; SOURCES.len()] =
    [const { OnceLock::new() }; SOURCES.len()];

/// A release cachegen has directive facts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Release {
    index: usize,
}

impl Release {
    /// Every release with facts, by engine then version.
    pub fn all() -> impl Iterator<Item = Release> {
        (0..SOURCES.len()).map(|index| Release { index })
    }

    fn source(self) -> &'static Source {
        &SOURCES[self.index]
    }

    pub fn engine(self) -> Engine {
        self.source().engine
    }

    /// The policy version it answers for (`(7, 0)`).
    pub fn version(self) -> Version {
        self.source().version
    }

    /// The release the facts were read from (`7.0.15`, `8.0-m01`).
    pub fn exact_version(self) -> &'static str {
        self.source().exact
    }

    /// The release's `ACL CAT` facts: which commands it has, by category.
    /// Parsed once per process; a unit test parses every file.
    pub fn acl(self) -> &'static AclCategories {
        ACL_TABLES[self.index].get_or_init(|| {
            AclCategories::parse(self.source().acl_json).unwrap_or_else(|problem| {
                panic!("embedded ACL categories for {self} do not parse: {problem}")
            })
        })
    }

    /// The release's directives. The embedded files are part of the binary,
    /// not user input: a unit test parses every one, so this cannot fail in
    /// a build that passed its tests.
    pub fn table(self) -> &'static Table {
        TABLES[self.index].get_or_init(|| {
            Table::parse(self, self.source().json).unwrap_or_else(|problem| {
                panic!("embedded directive facts for {self} do not parse: {problem}")
            })
        })
    }
}

impl fmt::Display for Release {
    /// `redis 7.0`, the spelling of a policy's engine and version.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (major, minor) = self.version();
        write!(f, "{} {major}.{minor}", self.engine())
    }
}

/// The releases of one engine with facts, oldest first.
pub fn releases_of(engine: Engine) -> impl Iterator<Item = Release> {
    Release::all().filter(move |r| r.engine() == engine)
}

/// The release a policy's `engine` and `version` name, if cachegen has its facts.
pub fn release(engine: Engine, version: Version) -> Result<Release, UnknownRelease> {
    releases_of(engine)
        .find(|r| r.version() == version)
        .ok_or(UnknownRelease { engine, version })
}

/// An engine and version without directive facts; its message lists the
/// releases that have them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRelease {
    pub engine: Engine,
    pub version: Version,
}

impl fmt::Display for UnknownRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (major, minor) = self.version;
        write!(
            f,
            "cachegen has no directive facts for {} {major}.{minor}; known: {}",
            self.engine,
            known_releases()
        )
    }
}

/// Every release with facts, per engine: `redis 7.0, 7.2, …; valkey 8.0`.
pub fn known_releases() -> String {
    let known: Vec<String> = Engine::ALL
        .iter()
        .map(|&engine| {
            let versions: Vec<String> = releases_of(engine)
                .map(|r| format!("{}.{}", r.version().0, r.version().1))
                .collect();
            format!("{engine} {}", versions.join(", "))
        })
        .collect();
    known.join("; ")
}

impl std::error::Error for UnknownRelease {}

/// Every release whose server accepts `name` (canonical or alias), so a caller
/// can say "exists in valkey 8.0, not in redis 7.2".
pub fn releases_having(name: &str) -> Vec<Release> {
    Release::all()
        .filter(|r| r.table().get(name).is_some())
        .collect()
}

/// Whether the engine at `version` has `CLIENT NO-TOUCH`: every Valkey
/// (forked from Redis 7.2.4), Redis from 7.2. The `ACL CAT` facts of each
/// release list `client|no-touch` exactly there (a test reads them), and
/// `ACL SETUSER … +client|no-touch` fails on a server without it.
pub fn has_no_touch(engine: Engine, version: Version) -> bool {
    match engine {
        Engine::Valkey => true,
        Engine::Redis => version >= (7, 2),
    }
}

/// Whether any release marks `name` (canonical or alias) as a secret. A
/// flag can arrive late: Redis 7.4 first marks `tls-key-file-pass`
/// `sensitive`, yet it holds a passphrase on 7.0 too, so one release's
/// table alone would let it through.
pub fn secret_anywhere(name: &str) -> bool {
    Release::all().any(|r| r.table().get(name).is_some_and(|f| f.sensitive()))
}

/// The directive of `table` whose name (or alias) is closest to `name`, when
/// close enough to be a typo. Returns the canonical name.
pub fn did_you_mean<'t>(table: &'t Table, name: &str) -> Option<&'t str> {
    // The shared matcher compares in policy-key spelling (`_` for `-`).
    let candidates: Vec<(String, &'t str)> = table
        .iter()
        .flat_map(|fact| {
            std::iter::once(fact.name.as_str())
                .chain(fact.alias.as_deref())
                .map(move |spelling| (spelling.replace('-', "_"), fact.name.as_str()))
        })
        .collect();
    let spellings: Vec<&str> = candidates.iter().map(|(s, _)| s.as_str()).collect();
    let best = crate::diag::did_you_mean(name, &spellings)?;
    candidates
        .iter()
        .find(|(s, _)| s == best)
        .map(|(_, canonical)| *canonical)
}

#[cfg(test)]
mod tests;
