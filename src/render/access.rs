//! Owns the decisions behind a store's ACL: which users exist, and for each
//! service which keys (as Redis globs) and which commands it gets, derived
//! from what the policy says it does. Pure functions of the model and the
//! release's `ACL CAT` facts, unit-tested here; `render::acl` and
//! `render::credentials` only print what this returns.
//!
//! Keys: every glob is `Policy::stored_key` with each literal piece escaped
//! for Redis' `stringmatchlen` and each placeholder `*`, so a literal can
//! never widen a glob. Commands: per value type, the release's own category
//! (`@hash`, `@sortedset`, ...) intersected with `@read` (read-only use) or
//! `@read` ∪ `@write` (writers), never anything in `@dangerous`; a few
//! key-scoped generic commands, connection and cluster commands, and
//! scanning, scripting and pub/sub only where the service declares them.

use crate::facts::{AclCategories, Release};
use crate::graph::Graph;
use crate::keys::{KeyPiece, Segment};
use crate::policy::model::{Policy, Service, Store, ValueType};
use std::collections::BTreeSet;

/// Where the installed credentials live on a server unless the deployment
/// says otherwise (the loopback scripts and Kubernetes use their own
/// directory): `<dir>/users.acl`, `<dir>/replication.conf`. Under `/run`, a
/// tmpfs on most systems, so hashed passwords are not written to disk.
pub const DEFAULT_CREDENTIALS_ROOT: &str = "/run/cachegen";

/// The installed ACL file's name in the credentials directory.
pub const USERS_FILE: &str = "users.acl";
/// The installed replication credentials' name in the credentials directory.
pub const REPLICATION_FILE: &str = "replication.conf";

/// The default credentials directory of a store.
pub fn default_credentials_dir(store: &Store) -> String {
    format!("{DEFAULT_CREDENTIALS_ROOT}/{}", store.name)
}

/// What a user may do with the keys a glob matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    fn prefix(self) -> &'static str {
        match (self.read, self.write) {
            (true, false) => "%R~",
            (false, true) => "%W~",
            _ => "~",
        }
    }
}

/// One key glob a service may touch, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    pub glob: String,
    pub access: KeyAccess,
    /// What the keys are (`pattern quiz_detail`, `lock of quiz_detail`).
    pub owners: Vec<String>,
}

/// One ACL user: its name and rules, ready for a `user` line of an ACL file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclUser {
    pub name: String,
    /// The rules after the name, each one token (quoted where needed).
    pub rules: Vec<String>,
    /// Whether the user logs in (gets a password from the installer).
    pub login: bool,
    /// One comment line: who the user is.
    pub about: String,
}

impl AclUser {
    /// The ACL file line without a password: `user NAME RULES...`.
    pub fn line(&self) -> String {
        format!("user {} {}", acl_token(&self.name), self.rules.join(" "))
    }
}

/// A service's derived permissions.
#[derive(Debug, Clone)]
pub struct ServiceAcl {
    pub keys: Vec<KeyGrant>,
    /// Sorted, each one the release has.
    pub commands: Vec<String>,
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

/// Whether the store has replicas, which then authenticate as the
/// replication user with `masteruser`/`masterauth`.
pub fn has_replicas(store: &Store) -> bool {
    store
        .cluster
        .as_ref()
        .is_some_and(|c| c.replicas_per_master > 0)
}

/// Every user of the store's ACL file, in file order: `default` (off: Redis
/// creates an enabled, password-less `default` when the file omits it),
/// the operator, the verifier, replication (where replicas exist), then
/// the services in policy order.
pub fn users(policy: &Policy, store: &Store) -> Vec<AclUser> {
    let access = &store.access;
    let release = release_of(store);
    let mut users = vec![
        AclUser {
            name: "default".into(),
            rules: words("off resetpass resetkeys resetchannels -@all"),
            login: false,
            about: "off: no unauthenticated or password-less access".into(),
        },
        AclUser {
            name: access.admin.user.clone(),
            rules: words("on ~* &* +@all"),
            login: true,
            about: "operator: cluster creation, probes, maintenance".into(),
        },
        AclUser {
            name: crate::verifier::NAME.into(),
            rules: super::acl::verifier_rules_for(store)
                .split(' ')
                .map(str::to_owned)
                .collect(),
            login: true,
            about: "`cachegen verify`: metadata only, never a value or a secret".into(),
        },
    ];
    if has_replicas(store) {
        users.push(AclUser {
            name: access.replication.user.clone(),
            rules: words("on resetkeys resetchannels -@all")
                .into_iter()
                .chain(REPLICATION_COMMANDS.iter().map(|c| format!("+{c}")))
                .collect(),
            login: true,
            about: "replicas authenticate as this user (masteruser)".into(),
        });
    }
    let graph = Graph::new(policy);
    for service in access.services.values() {
        let acl = service_acl(policy, &graph, store, service, release.acl());
        let mut rules = words("on resetkeys resetchannels -@all");
        for grant in &acl.keys {
            rules.push(acl_token(&format!(
                "{}{}",
                grant.access.prefix(),
                grant.glob
            )));
        }
        for channel in &acl.channels {
            rules.push(acl_token(&format!("&{channel}")));
        }
        rules.extend(acl.commands.iter().map(|c| format!("+{c}")));
        users.push(AclUser {
            name: service.name.clone(),
            rules,
            login: true,
            about: format!("service `{}`", service.name),
        });
    }
    users
}

fn words(text: &str) -> Vec<String> {
    text.split(' ').map(str::to_owned).collect()
}

/// What a Redis 7.0 replica sends its master after `AUTH`: `PING`, then
/// `REPLCONF` (listening-port, capa) and `PSYNC` (measured with a real
/// replica: tests/build_access.rs). Both are `@dangerous`, which is why
/// only this user has them.
pub const REPLICATION_COMMANDS: &[&str] = &["psync", "replconf", "ping"];

/// Commands every client needs. `AUTH`, `HELLO`, `QUIT` and `RESET` need no
/// permission (measured on 7.0.15: a `-@all` user runs them).
const CONNECTION: &[&str] = &["ping", "client|setname", "client|getname"];
/// `MULTI`/`EXEC` (an answer and its queue entry in one step); the
/// commands inside are checked one by one, `WATCH` against the key rules.
const TRANSACTION: &[&str] = &["multi", "exec", "discard", "watch", "unwatch"];
/// What a cluster client sends to find and follow slots.
const CLUSTER: &[&str] = &[
    "cluster|slots",
    "cluster|shards",
    "cluster|nodes",
    "readonly",
    "readwrite",
    "asking",
];
/// Key-scoped commands of no value type (`@keyspace` also holds `KEYS`,
/// `RANDOMKEY`, `SCAN` and `FLUSHALL`, which reach every key whatever the
/// key rules say, so the category is not used whole).
const KEY_READ: &[&str] = &["exists", "pttl", "ttl", "type"];
const KEY_WRITE: &[&str] = &[
    "del",
    "unlink",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "persist",
];
/// A stampede lock: take it (`SET NX PX`), check its token, release it.
const LOCK: &[&str] = &["set", "get", "del", "unlink"];
/// Invalidating a tag: read its members, delete them and the set.
const TAG_INVALIDATION: &[&str] = &["smembers", "unlink"];
const SCRIPTING: &[&str] = &[
    "eval",
    "evalsha",
    "eval_ro",
    "evalsha_ro",
    "fcall",
    "fcall_ro",
    "script|load",
    "script|exists",
];
const PUBSUB: &[&str] = &[
    "subscribe",
    "unsubscribe",
    "psubscribe",
    "punsubscribe",
    "publish",
    "ssubscribe",
    "sunsubscribe",
    "spublish",
];

/// The release's ACL category of a value type's commands.
pub fn type_category(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::String => "string",
        ValueType::Hash => "hash",
        ValueType::List => "list",
        ValueType::Set => "set",
        ValueType::Zset => "sortedset",
        ValueType::Stream => "stream",
    }
}

/// The commands for a value type: its category ∩ `@read`, plus ∩ `@write`
/// when `write`; never `@dangerous` (`SORT` is in `@list` and `@set`).
pub fn type_commands(acl: &AclCategories, value_type: ValueType, write: bool) -> Vec<&str> {
    let category = type_category(value_type);
    acl.category(category)
        .filter(|c| acl.in_category(c, "read") || (write && acl.in_category(c, "write")))
        .filter(|c| !acl.in_category(c, "dangerous"))
        .collect()
}

/// A service's keys and commands.
pub fn service_acl(
    policy: &Policy,
    graph: &Graph<'_>,
    store: &Store,
    service: &Service,
    acl: &AclCategories,
) -> ServiceAcl {
    let mut keys: Vec<KeyGrant> = Vec::new();
    let mut commands: BTreeSet<&str> = BTreeSet::new();
    let mut grant = |glob: String, access: KeyAccess, owner: String| {
        if let Some(g) = keys.iter_mut().find(|g| g.glob == glob) {
            g.access.read |= access.read;
            g.access.write |= access.write;
            if !g.owners.contains(&owner) {
                g.owners.push(owner);
            }
        } else {
            keys.push(KeyGrant {
                glob,
                access,
                owners: vec![owner],
            });
        }
    };
    let here = |s: &str| s == store.name;
    commands.extend(CONNECTION);
    commands.extend(TRANSACTION);
    if store.cluster.is_some() {
        commands.extend(CLUSTER);
    }
    let written: Vec<&String> = service.writes.iter().chain(&service.owns).collect();
    for (name, write) in service
        .reads
        .iter()
        .map(|n| (n, false))
        .chain(written.iter().map(|n| (*n, true)))
    {
        let access = if write {
            KeyAccess::READ_WRITE
        } else {
            KeyAccess::READ
        };
        if let Some(p) = policy.pattern(name).filter(|p| here(&p.store)) {
            grant(
                pattern_glob(policy, &p.store, "", &p.segments, p.hash_tag),
                access,
                format!("pattern {name}"),
            );
            commands.extend(type_commands(acl, p.value_type, write));
            commands.extend(KEY_READ);
            if write {
                commands.extend(KEY_WRITE);
                // Writing a pattern covers its tag sets (adding members)
                // and its stampede lock.
                for t in p.tags.iter().filter_map(|t| policy.tags.get(t)) {
                    if here(&t.store) {
                        grant(
                            pattern_glob(policy, &t.store, "", &t.key, None),
                            KeyAccess::READ_WRITE,
                            format!("tag set {}", t.name),
                        );
                        commands.extend(type_commands(acl, ValueType::Set, true));
                    }
                }
                if let Some(lock) = &p.stampede_lock {
                    grant(
                        pattern_glob(policy, &p.store, &lock.prefix, &p.segments, p.hash_tag),
                        KeyAccess::READ_WRITE,
                        format!("lock of {name}"),
                    );
                    commands.extend(LOCK);
                }
            }
        } else if let Some(t) = policy.tags.get(name).filter(|t| here(&t.store)) {
            grant(
                pattern_glob(policy, &t.store, "", &t.key, None),
                access,
                format!("tag set {name}"),
            );
            commands.extend(type_commands(acl, ValueType::Set, write));
            commands.extend(KEY_READ);
            if write {
                commands.extend(KEY_WRITE);
            }
        }
    }
    for event in &service.events {
        let Some(radius) = graph.blast_radius(event) else {
            continue;
        };
        for reached in &radius.patterns {
            if let Some(p) = policy.pattern(reached.pattern).filter(|p| here(&p.store)) {
                grant(
                    pattern_glob(policy, &p.store, "", &p.segments, p.hash_tag),
                    KeyAccess::WRITE,
                    format!("invalidated by {event}"),
                );
                commands.insert("unlink");
            }
        }
        for tag in &radius.tags {
            if let Some(t) = policy.tags.get(*tag).filter(|t| here(&t.store)) {
                grant(
                    pattern_glob(policy, &t.store, "", &t.key, None),
                    KeyAccess::READ_WRITE,
                    format!("tag set {tag}, invalidated by {event}"),
                );
                commands.extend(TAG_INVALIDATION);
            }
        }
    }
    if service.scan {
        commands.insert("scan");
    }
    if service.scripting {
        commands.extend(SCRIPTING);
    }
    if !service.channels.is_empty() {
        commands.extend(PUBSUB);
    }
    // A command the release lacks would make Redis refuse the whole file
    // (a unit test holds the hand lists above to every release).
    let commands = commands
        .into_iter()
        .filter(|c| acl.has(c))
        .map(str::to_owned)
        .collect();
    ServiceAcl {
        keys,
        commands,
        channels: service.channels.clone(),
    }
}

/// One redis.conf line about access, with the reason it is there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfLine {
    pub name: &'static str,
    /// The value as redis.conf reads it (quoted where needed).
    pub value: String,
    pub comment: String,
}

/// The redis.conf lines of a store's access control, for credentials
/// installed in `dir`: protected mode, the ACL file, the replication
/// credentials where replicas exist, and TLS where declared. Never
/// `requirepass`: passwords live only hashed in the ACL file.
pub fn conf_lines(store: &Store, dir: &str) -> Vec<ConfLine> {
    use crate::facts::conf_token;
    use crate::policy::model::ClientCerts;
    let line = |name, value: String, comment: &str| ConfLine {
        name,
        value,
        comment: comment.to_owned(),
    };
    let mut lines = vec![
        line(
            "protected-mode",
            "yes".into(),
            "refuses outside clients whenever `default` has no password (it is off here; kept on in case the ACL file is ever left out)",
        ),
        line(
            "aclfile",
            conf_token(&format!("{dir}/{USERS_FILE}")),
            "users and hashed passwords, written by install-credentials.sh",
        ),
    ];
    if has_replicas(store) {
        lines.push(line(
            "include",
            conf_token(&format!("{dir}/{REPLICATION_FILE}")),
            "masteruser/masterauth of the replication user, written by install-credentials.sh",
        ));
    }
    if let Some(tls) = &store.access.tls {
        // Named by field, not by pointer: a store written as `redis:` and
        // the same store read back from its lock must render alike.
        let pointer = "access.tls";
        lines.push(line(
            "tls-port",
            tls.port.to_string(),
            &format!("{pointer}.port"),
        ));
        lines.push(match tls.plain_port {
            Some(port) => line("port", port.to_string(), &format!("{pointer}.plain_port")),
            None => line("port", "0".into(), "no plain-text port: TLS only"),
        });
        lines.push(line(
            "tls-cert-file",
            conf_token(&tls.cert_file),
            &format!("{pointer}.cert"),
        ));
        lines.push(line(
            "tls-key-file",
            conf_token(&tls.key_file),
            &format!("{pointer}.key"),
        ));
        lines.push(line(
            "tls-ca-cert-file",
            conf_token(&tls.ca_file),
            &format!("{pointer}.ca"),
        ));
        let auth = match tls.client_certs {
            ClientCerts::Required => "yes",
            ClientCerts::Optional => "optional",
            ClientCerts::None => "no",
        };
        lines.push(line(
            "tls-auth-clients",
            auth.into(),
            &format!("{pointer}.client_certs"),
        ));
        lines.push(line(
            "tls-replication",
            "yes".into(),
            "replicas connect over TLS",
        ));
        if store.cluster.is_some() {
            lines.push(line(
                "tls-cluster",
                "yes".into(),
                "the cluster bus runs over TLS",
            ));
        }
    }
    lines
}

/// The Redis glob matching exactly the stored keys of a shape: literal text
/// escaped, each placeholder `*`.
pub fn pattern_glob(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> String {
    policy
        .stored_key(store, before, segments, hash_tag)
        .iter()
        .map(|piece| match piece {
            KeyPiece::Text(t) => escape_glob(t),
            KeyPiece::Placeholder { .. } => "*".to_owned(),
        })
        .collect()
}

/// Literal text for Redis' `stringmatchlen`: `\` escapes the next byte, so
/// every character the matcher treats specially gets one.
pub fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One token of an ACL file line. Redis splits lines with `sdssplitargs`:
/// unquoted text runs to whitespace and a quote starts a quoted part, so a
/// token with whitespace, quotes or control bytes is written in double
/// quotes with `\\`, `\"` and `\xHH` escapes; anything else as is (a `\` in
/// unquoted text is literal, which the escaped globs rely on).
pub fn acl_token(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\'');
    if plain {
        return text.to_owned();
    }
    let mut out = String::from("\"");
    for b in text.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b if b.is_ascii_graphic() || b == b' ' => out.push(b as char),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_literals_match_only_themselves() {
        assert_eq!(escape_glob("a*b?c[d]e\\f"), "a\\*b\\?c\\[d\\]e\\\\f");
        assert_eq!(escape_glob("user:{1}"), "user:{1}");
    }

    #[test]
    fn tokens_are_quoted_only_when_sdssplitargs_would_split_them() {
        assert_eq!(acl_token("~v2:user:*"), "~v2:user:*");
        assert_eq!(acl_token("~a\\*b"), "~a\\*b");
        assert_eq!(acl_token("&a b"), "\"&a b\"");
        assert_eq!(acl_token("~a\"b'\\"), "\"~a\\\"b'\\\\\"");
        assert_eq!(acl_token("~a\tb"), "\"~a\\x09b\"");
    }

    /// Every command a service can be granted, for every value type and
    /// option, exists in every release with facts and none is `@dangerous`
    /// there; and `KEYS`, `FLUSH*`, `CONFIG`, `DEBUG`, `MODULE` and `ACL`
    /// never appear.
    #[test]
    fn service_commands_are_known_and_never_dangerous_in_any_release() {
        let types = [
            ValueType::String,
            ValueType::Hash,
            ValueType::List,
            ValueType::Set,
            ValueType::Zset,
            ValueType::Stream,
        ];
        for release in Release::all() {
            let acl = release.acl();
            let hand: Vec<&str> = [
                CONNECTION,
                CLUSTER,
                KEY_READ,
                KEY_WRITE,
                LOCK,
                TAG_INVALIDATION,
                SCRIPTING,
                PUBSUB,
            ]
            .concat();
            for c in &hand {
                assert!(acl.has(c), "{release} does not know `{c}`");
            }
            let mut all: Vec<&str> = hand;
            all.push("scan");
            for t in types {
                let read = type_commands(acl, t, false);
                let write = type_commands(acl, t, true);
                assert!(
                    !read.is_empty() && write.len() > read.len(),
                    "{release} {t:?}"
                );
                all.extend(write);
            }
            for c in all {
                assert!(
                    !acl.in_category(c, "dangerous"),
                    "{release}: `{c}` is @dangerous"
                );
                let top = c.split('|').next().unwrap();
                assert!(
                    !matches!(
                        top,
                        "keys" | "flushall" | "flushdb" | "config" | "debug" | "module" | "acl"
                    ),
                    "{release}: `{c}`"
                );
            }
        }
    }

    #[test]
    fn read_sets_hold_no_writes() {
        let acl = Release::all().next().unwrap().acl();
        let read = type_commands(acl, ValueType::Hash, false);
        assert!(
            read.contains(&"hget") && !read.contains(&"hset"),
            "{read:?}"
        );
        let write = type_commands(acl, ValueType::Hash, true);
        assert!(write.contains(&"hset") && write.contains(&"hget"));
        let list = type_commands(acl, ValueType::List, true);
        assert!(!list.contains(&"sort"), "SORT is @dangerous");
    }
}
