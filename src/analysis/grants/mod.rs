//! Owns the grant model: for each service of a store, which keys (as Redis
//! globs) it may touch, at which access level, with which commands, derived
//! from what the policy says it does (`reads`, `writes`, `owns`, `events`,
//! `scan`, `scripting`, `channels`). A pure function of the model and the
//! release's `ACL CAT` facts; `render::access` prints it as ACL rules and
//! lint CG506 (`glob-reaches-ungranted-keys`) checks its globs.
//!
//! Grants are exact, with Redis 7 selectors: a user's root permissions
//! hold no key and only keyless commands (connection, transactions, cluster
//! discovery, `SCAN`, scripting, pub/sub), and each distinct (access level,
//! command set) becomes one selector with the globs that need it. Redis
//! tries the root permissions, then each selector, and a command runs when
//! one of them allows the command *and* all its keys, so a hash command
//! reaches only the service's hash patterns, an invalidation-only pattern
//! gets only `UNLINK` (`(%W~glob +unlink)`), a lock only the lock commands.
//! All invalidation globs share one selector because one `UNLINK` of an
//! invalidation plan carries keys of several patterns.
//!
//! Keys: every glob is `Policy::stored_key` with each literal piece escaped
//! for Redis' `stringmatchlen` and each placeholder `*`, so a literal can
//! never widen a glob. Commands: per value type, the release's own category
//! (`@hash`, `@sortedset`, ...) intersected with `@read` (read-only use) or
//! `@read` ∪ `@write` (writers), never anything in `@dangerous` but `INFO`
//! for a ready check the policy asks for (`READY_CHECK`); a few
//! key-scoped generic commands; every command filtered by what the release
//! has (a command it lacks would make Redis refuse the whole ACL file).

mod commands;
mod glob;

pub use commands::*;
pub use glob::*;

use crate::facts::{AclCategories, Release};
use crate::graph::{BlastRadius, Graph};
use crate::policy::model::{Policy, Service, Store, ValueType};
use std::collections::{BTreeSet, HashMap};

/// What a user may do with the keys a glob matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyAccess {
    pub read: bool,
    pub write: bool,
}

impl KeyAccess {
    pub const READ: KeyAccess = KeyAccess {
        read: true,
        write: false,
    };
    /// Write only: deleting (`UNLINK`) counts as a write in Redis' key specs.
    pub const WRITE: KeyAccess = KeyAccess {
        read: false,
        write: true,
    };
    pub const READ_WRITE: KeyAccess = KeyAccess {
        read: true,
        write: true,
    };

    /// The ACL key rule: `%R~`, `%W~` or `~`.
    pub fn prefix(self) -> &'static str {
        match (self.read, self.write) {
            (true, false) => "%R~",
            (false, true) => "%W~",
            _ => "~",
        }
    }

    /// Whether `self` allows everything `other` does.
    pub fn covers(self, other: KeyAccess) -> bool {
        (self.read || !other.read) && (self.write || !other.write)
    }

    pub fn union(self, other: KeyAccess) -> KeyAccess {
        KeyAccess {
            read: self.read || other.read,
            write: self.write || other.write,
        }
    }
}

/// A key shape of a store that a glob stands for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    Pattern(String),
    Tag(String),
    /// The stampede lock of a pattern.
    Lock(String),
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::Pattern(n) => write!(f, "pattern `{n}`"),
            Shape::Tag(n) => write!(f, "tag set `{n}`"),
            Shape::Lock(n) => write!(f, "the stampede lock of `{n}`"),
        }
    }
}

/// One grant: a glob, its access and commands, the shape it stands for and
/// the service entry that asked for it (`reads`, `writes`, `owns` or
/// `events`, and the index there), for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub glob: String,
    pub access: KeyAccess,
    pub commands: BTreeSet<&'static str>,
    pub shape: Shape,
    pub field: &'static str,
    pub index: usize,
}

/// One selector: key rules (access and glob) and the commands that may
/// touch them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub keys: Vec<(KeyAccess, String)>,
    /// Sorted, each one the release has.
    pub commands: Vec<String>,
}

/// A service's derived permissions.
#[derive(Debug, Clone)]
pub struct ServiceGrants {
    /// Keyless commands of the root permissions, sorted.
    pub root: Vec<String>,
    /// One per distinct (access, commands), in the order first needed.
    pub selectors: Vec<Selector>,
    /// Every grant, before grouping, in policy order.
    pub grants: Vec<Grant>,
    pub channels: Vec<String>,
}

/// The release whose facts decide a store's commands: its own, or for a
/// store older than the facts (Redis before 7.0, which has no `%R~` key
/// rules either) the engine's oldest release with facts.
pub fn release_of(store: &Store) -> Release {
    store.release.unwrap_or_else(|| {
        crate::facts::releases_of(store.engine)
            .next()
            .expect("every engine has a release with facts")
    })
}

/// The commands of a key of `value_type` read (or read and written):
/// its type's, and the generic key commands.
fn key_commands(
    acl: &'static AclCategories,
    value_type: ValueType,
    write: bool,
) -> BTreeSet<&'static str> {
    let mut set: BTreeSet<&'static str> =
        type_commands(acl, value_type, write).into_iter().collect();
    set.extend(KEY_READ);
    if write {
        set.extend(KEY_WRITE);
    }
    set
}

/// Every service of `store` with its grants, in policy order.
pub fn store_grants<'p>(policy: &'p Policy, store: &'p Store) -> Vec<(&'p Service, ServiceGrants)> {
    let graph = Graph::new(policy);
    let acl = release_of(store).acl();
    // Each event's blast radius once, however many services run it.
    let mut radii: HashMap<&str, BlastRadius<'_>> = HashMap::new();
    for event in store.access.services.values().flat_map(|s| &s.events) {
        if !radii.contains_key(event.as_str())
            && let Some(radius) = graph.blast_radius(event)
        {
            radii.insert(event, radius);
        }
    }
    store
        .access
        .services
        .values()
        .map(|s| (s, service_grants(policy, &radii, store, s, acl)))
        .collect()
}

/// A service's keys and commands.
fn service_grants(
    policy: &Policy,
    radii: &HashMap<&str, BlastRadius<'_>>,
    store: &Store,
    service: &Service,
    acl: &'static AclCategories,
) -> ServiceGrants {
    let mut grants: Vec<Grant> = Vec::new();
    let mut grant = |glob: String,
                     access: KeyAccess,
                     commands: BTreeSet<&'static str>,
                     shape: Shape,
                     field: &'static str,
                     index: usize| {
        grants.push(Grant {
            glob,
            access,
            commands,
            shape,
            field,
            index,
        });
    };
    let here = |s: &str| s == store.name;
    let scripting: &[&str] = if service.scripting { SCRIPTING } else { &[] };
    let entries = [
        ("reads", &service.reads, false),
        ("writes", &service.writes, true),
        ("owns", &service.owns, true),
    ];
    for (field, names, write) in entries {
        let access = if write {
            KeyAccess::READ_WRITE
        } else {
            KeyAccess::READ
        };
        for (index, name) in names.iter().enumerate() {
            if let Some(p) = policy.pattern(name).filter(|p| here(&p.store)) {
                grant(
                    pattern_glob(policy, &p.store, "", &p.segments, p.hash_tag),
                    access,
                    key_commands(acl, p.value_type, write),
                    Shape::Pattern(p.name.clone()),
                    field,
                    index,
                );
                if !write {
                    continue;
                }
                // Writing a pattern covers adding members to its tag sets
                // (shared with other patterns and services, so no command
                // that removes or reads members) and its stampede lock.
                for t in p.tags.iter().filter_map(|t| policy.tags.get(t)) {
                    if here(&t.store) {
                        grant(
                            pattern_glob(policy, &t.store, "", &t.key, None),
                            KeyAccess::READ_WRITE,
                            TAG_ADD.iter().copied().collect(),
                            Shape::Tag(t.name.clone()),
                            field,
                            index,
                        );
                    }
                }
                if let Some(lock) = &p.stampede_lock {
                    grant(
                        pattern_glob(policy, &p.store, &lock.prefix, &p.segments, p.hash_tag),
                        KeyAccess::READ_WRITE,
                        LOCK.iter().copied().collect(),
                        Shape::Lock(p.name.clone()),
                        field,
                        index,
                    );
                }
            } else if let Some(t) = policy.tags.get(name).filter(|t| here(&t.store)) {
                grant(
                    pattern_glob(policy, &t.store, "", &t.key, None),
                    access,
                    key_commands(acl, ValueType::Set, write),
                    Shape::Tag(t.name.clone()),
                    field,
                    index,
                );
            }
        }
    }
    for (index, event) in service.events.iter().enumerate() {
        let Some(radius) = radii.get(event.as_str()) else {
            continue;
        };
        for reached in &radius.patterns {
            if let Some(p) = policy.pattern(reached.pattern).filter(|p| here(&p.store)) {
                grant(
                    pattern_glob(policy, &p.store, "", &p.segments, p.hash_tag),
                    KeyAccess::WRITE,
                    INVALIDATION.iter().copied().collect(),
                    Shape::Pattern(p.name.clone()),
                    "events",
                    index,
                );
            }
        }
        for tag in &radius.tags {
            if let Some(t) = policy.tags.get(*tag).filter(|t| here(&t.store)) {
                let glob = pattern_glob(policy, &t.store, "", &t.key, None);
                let shape = Shape::Tag(t.name.clone());
                grant(
                    glob.clone(),
                    KeyAccess::READ,
                    TAG_MEMBERS.iter().copied().collect(),
                    shape.clone(),
                    "events",
                    index,
                );
                grant(
                    glob,
                    KeyAccess::WRITE,
                    INVALIDATION.iter().copied().collect(),
                    shape,
                    "events",
                    index,
                );
            }
        }
    }
    let mut root: BTreeSet<&str> = BTreeSet::new();
    root.extend(CONNECTION);
    root.extend(TRANSACTION);
    if store.cluster.is_some() {
        root.extend(CLUSTER);
    }
    if service.scan {
        root.insert("scan");
    }
    if policy.client.as_ref().and_then(|c| c.ready_check) == Some(true) {
        root.extend(READY_CHECK);
    }
    // Scripts without keys run on the root permissions; a script naming
    // keys needs a selector that holds them all, so every selector gets
    // the commands that run one (`SCRIPT LOAD`/`EXISTS` take no key); the
    // commands a script calls are checked one by one against the same
    // rules.
    root.extend(scripting);
    let scripting: Vec<&'static str> = scripting
        .iter()
        .copied()
        .filter(|c| !c.starts_with("script|"))
        .collect();
    if !service.channels.is_empty() {
        root.extend(PUBSUB);
    }
    let known = |set: &BTreeSet<&str>| -> Vec<String> {
        set.iter()
            .filter(|c| acl.has(c))
            .map(|c| (*c).to_owned())
            .collect()
    };
    ServiceGrants {
        root: known(&root),
        selectors: selectors(&grants, &scripting)
            .into_iter()
            .map(|mut selector| {
                selector.commands.retain(|c| acl.has(c));
                selector
            })
            .collect(),
        grants,
        channels: service.channels.clone(),
    }
}

/// Groups grants into selectors: one per distinct (access, commands), its
/// globs in the order first granted, each once. A glob granted twice (read
/// by one entry, invalidated by an event) stays in both selectors: the
/// invalidation selector must hold every glob one `UNLINK` may carry.
fn selectors(grants: &[Grant], scripting: &[&'static str]) -> Vec<Selector> {
    let mut out: Vec<(KeyAccess, BTreeSet<&'static str>, Vec<String>)> = Vec::new();
    for g in grants {
        match out
            .iter_mut()
            .find(|(a, c, _)| *a == g.access && *c == g.commands)
        {
            Some((_, _, globs)) => {
                if !globs.contains(&g.glob) {
                    globs.push(g.glob.clone());
                }
            }
            None => out.push((g.access, g.commands.clone(), vec![g.glob.clone()])),
        }
    }
    out.into_iter()
        .map(|(access, mut commands, globs)| {
            commands.extend(scripting);
            Selector {
                keys: globs.into_iter().map(|g| (access, g)).collect(),
                commands: commands.into_iter().map(str::to_owned).collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_covers_and_unions() {
        assert!(KeyAccess::READ_WRITE.covers(KeyAccess::READ));
        assert!(!KeyAccess::READ.covers(KeyAccess::WRITE));
        assert!(!KeyAccess::WRITE.covers(KeyAccess::READ));
        assert_eq!(
            KeyAccess::READ.union(KeyAccess::WRITE),
            KeyAccess::READ_WRITE
        );
    }

    /// The client handshake: `CLIENT SETINFO` where the release has it,
    /// cluster discovery (`CLUSTER INFO` included) in a cluster store only.
    #[test]
    fn handshake_commands_follow_the_release_and_the_cluster() {
        let path = std::path::Path::new("policies/quizmentor.yaml");
        let mut policy = crate::check::check_path(path, &Default::default())
            .policy
            .expect("model");
        assert!(policy.stores.values().any(|s| s.cluster.is_some()));
        assert!(policy.stores.values().any(|s| s.cluster.is_none()));
        let names: Vec<String> = policy.stores.keys().cloned().collect();
        for version in [(7, 0), (7, 2)] {
            let release = crate::facts::release(crate::facts::Engine::Redis, version).unwrap();
            for name in &names {
                policy.stores.get_mut(name).unwrap().release = Some(release);
            }
            for store in policy.stores.values() {
                let grants = store_grants(&policy, store);
                assert!(!grants.is_empty(), "{}", store.name);
                for (service, g) in grants {
                    let has = |c: &str| g.root.iter().any(|r| r == c);
                    let who = &service.name;
                    assert_eq!(has("client|setinfo"), version == (7, 2), "{who}");
                    assert_eq!(has("cluster|info"), store.cluster.is_some(), "{who}");
                    let keyless =
                        |c: &String| c.starts_with("client|") || c.starts_with("cluster|");
                    assert!(g.selectors.iter().all(|s| !s.commands.iter().any(keyless)));
                }
            }
        }
    }

    /// `INFO`, the one `@dangerous` command a service may get, comes only
    /// with `client.ready_check: true` (ioredis' ready check sends it).
    #[test]
    fn info_is_granted_only_for_a_declared_ready_check() {
        let path = std::path::Path::new("policies/quizmentor.yaml");
        let mut policy = crate::check::check_path(path, &Default::default())
            .policy
            .expect("model");
        for ready_check in [Some(true), Some(false), None] {
            policy.client.as_mut().expect("client settings").ready_check = ready_check;
            for store in policy.stores.values() {
                for (service, g) in store_grants(&policy, store) {
                    let has_info = g.root.iter().any(|c| c == "info");
                    assert_eq!(has_info, ready_check == Some(true), "{}", service.name);
                    assert!(
                        g.selectors
                            .iter()
                            .all(|s| !s.commands.iter().any(|c| c == "info"))
                    );
                }
            }
        }
    }

    fn grant(glob: &str, access: KeyAccess, commands: &[&'static str]) -> Grant {
        Grant {
            glob: glob.into(),
            access,
            commands: commands.iter().copied().collect(),
            shape: Shape::Pattern(glob.into()),
            field: "reads",
            index: 0,
        }
    }

    /// One selector per (access, commands), each glob once; invalidation
    /// globs share one selector, also a glob another selector holds.
    #[test]
    fn grants_group_into_selectors() {
        let grants = [
            grant("s:*", KeyAccess::READ_WRITE, &["get", "set"]),
            grant("h:*", KeyAccess::READ, &["hget"]),
            grant("t:*", KeyAccess::READ_WRITE, &["get", "set"]),
            grant("s:*", KeyAccess::READ, &["get"]),
            grant("s:*", KeyAccess::WRITE, &["unlink"]),
            grant("x:*", KeyAccess::WRITE, &["unlink"]),
        ];
        let got = selectors(&grants, &[]);
        let rw = KeyAccess::READ_WRITE;
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0].keys, vec![(rw, "s:*".into()), (rw, "t:*".into())]);
        assert_eq!(got[1].keys, vec![(KeyAccess::READ, "h:*".into())]);
        assert_eq!(got[2].keys, vec![(KeyAccess::READ, "s:*".into())]);
        assert_eq!(
            got[3].keys,
            vec![
                (KeyAccess::WRITE, "s:*".into()),
                (KeyAccess::WRITE, "x:*".into())
            ]
        );
        let with_scripts = selectors(&grants, &["eval"]);
        assert!(
            with_scripts
                .iter()
                .all(|s| s.commands.contains(&"eval".to_owned()))
        );
    }
}
