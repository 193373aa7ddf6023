//! Owns which commands a grant carries: the hand-listed groups (connection,
//! transactions, cluster discovery, key-scoped generic commands, locks,
//! invalidation, scripting, pub/sub, replication, Sentinel) and, per value type, the
//! release's `ACL CAT` category intersected with `@read` or `@read` ∪
//! `@write`, never `@dangerous` (but `READY_CHECK`'s `INFO`, when asked for).

use crate::facts::AclCategories;
use crate::policy::model::ValueType;

/// What a Redis 7.0 replica sends its master after `AUTH`: `PING`, then
/// `REPLCONF` (listening-port, capa) and `PSYNC` (measured with a real
/// replica: tests/build_access_install.rs). Both are `@dangerous`, which is
/// why only this user has them.
pub const REPLICATION_COMMANDS: &[&str] = &["psync", "replconf", "ping"];

/// What a Sentinel sends a data node it monitors (primary or replica), as
/// the Redis documentation lists it for `sentinel auth-user`
/// (<https://redis.io/docs/latest/operate/oss_and_stack/management/sentinel/>,
/// "Redis Access Control List authentication") less `ROLE`, which Sentinel
/// does not send: `CLIENT SETNAME` on connecting, `PING` and `INFO` to
/// monitor, `SUBSCRIBE`/`PUBLISH` on [`SENTINEL_CHANNEL`] to find the other
/// Sentinels, `SCRIPT KILL` to a node answering `BUSY`, and at a failover
/// `MULTI`, `SLAVEOF`, `CONFIG REWRITE`, `CLIENT KILL`, `EXEC` (Sentinel
/// 7.0 says `SLAVEOF`, never `REPLICAOF`, and needs no `CONFIG SET`).
/// Measured on 7.0.15 with exactly these: bootstrap and failover leave
/// `ACL LOG` empty on every node (tests/build_replicated_bootstrap.rs), so
/// does the old primary's return as a replica; and without `SCRIPT KILL`,
/// a node kept busy by a script logs Sentinel's `SCRIPT KILL` as refused.
///
/// Least privilege means no other command, not no data: `SLAVEOF` and
/// `CONFIG REWRITE`, which a failover needs and no ACL can narrow, are
/// themselves enough to reach it. `SLAVEOF` at a listener of the caller's
/// makes the node send it the replication user's login (then `PSYNC`
/// streams every value), and at a server of theirs overwrites the data;
/// `SLAVEOF` with a host holding line breaks, then `CONFIG REWRITE`, writes
/// arbitrary lines into the node's config file (Redis writes the host
/// unescaped), which a restart from that file obeys (`aclfile /dev/null`:
/// `default` open to all). So this password is worth the replication
/// password and, to anyone who can get a node restarted from its rewritten
/// file, the operator's: README says Sentinel hosts must be trusted like
/// data nodes and nodes started from freshly written copies.
pub const SENTINEL_COMMANDS: &[&str] = &[
    "client|setname",
    "ping",
    "info",
    "subscribe",
    "publish",
    "script|kill",
    "multi",
    "slaveof",
    "config|rewrite",
    "client|kill",
    "exec",
];

/// The only channel Sentinel uses on a node (and on another Sentinel): its
/// hello messages. Hello messages are trusted unauthenticated, so a
/// publisher could forge the topology: no generated user other than the
/// Sentinel user names it, and a service's channel glob that matches it is
/// refused in a store with Sentinels (lint CG507).
pub const SENTINEL_CHANNEL: &str = "__sentinel__:hello";

/// Commands every client needs. `AUTH`, `HELLO`, `QUIT` and `RESET` need no
/// permission (measured on 7.0.15: a `-@all` user runs them).
/// `CLIENT SETINFO` (Redis 7.2+) is what node-redis and redis-py send
/// after connecting to name their library (both ignore an error reply, but
/// a refused command fills `ACL LOG`); releases without it drop it by the
/// facts filter.
pub(crate) const CONNECTION: &[&str] =
    &["ping", "client|setname", "client|getname", "client|setinfo"];
/// `MULTI`/`EXEC` (an answer and its queue entry in one step); the
/// commands inside are checked one by one when queued. `WATCH` takes keys,
/// so it sits in the selectors with the key reads.
pub(crate) const TRANSACTION: &[&str] = &["multi", "exec", "discard", "unwatch"];
/// What a cluster client sends to find and follow slots: `CLUSTER SLOTS`
/// (or `SHARDS`/`NODES`) to map them, `ASKING`/`READONLY`/`READWRITE` to
/// follow redirects and read replicas; ioredis' cluster ready check sends
/// `CLUSTER INFO` and fails when it is refused.
pub(crate) const CLUSTER: &[&str] = &[
    "cluster|slots",
    "cluster|shards",
    "cluster|nodes",
    "cluster|info",
    "readonly",
    "readwrite",
    "asking",
];
/// What a client's ready check sends when the policy asks for one
/// (`client.ready_check`): ioredis sends `INFO` after connecting and waits
/// while it shows `loading:1`; refused, it logs a warning on every
/// connection and skips the check. `INFO` reveals the server's state
/// (memory, clients, replication peers), never a password or a value; a
/// policy that does not ask for the check does not get it.
pub(crate) const READY_CHECK: &[&str] = &["info"];
/// Key-scoped commands of no value type (`@keyspace` also holds `KEYS`,
/// `RANDOMKEY`, `SCAN` and `FLUSHALL`, which reach every key whatever the
/// key rules say, so the category is not used whole).
pub(crate) const KEY_READ: &[&str] = &["exists", "pttl", "ttl", "type", "watch"];
pub(crate) const KEY_WRITE: &[&str] = &[
    "del",
    "unlink",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "persist",
];
/// A stampede lock: take it (`SET NX PX`), check its token, release it.
pub(crate) const LOCK: &[&str] = &["set", "get", "del", "unlink"];
/// Adding to the tag sets of a pattern a service writes: `SADD` and
/// keeping the set's TTL, nothing that reads or removes members (`DEL`,
/// `SREM`, `SPOP`, `SMOVE`, `*STORE` would let one writer suppress another
/// service's invalidation). Deleting and reading members come only with
/// `events` (`INVALIDATION`, `TAG_MEMBERS`). `EXPIRE` cannot be limited by
/// argument: `EXPIRE key 0` still deletes the set (README says so).
pub(crate) const TAG_ADD: &[&str] = &["sadd", "expire", "pexpire", "pttl", "ttl", "exists", "type"];
/// Invalidating: read a tag's members; delete them, the set and the
/// patterns an event reaches.
pub(crate) const TAG_MEMBERS: &[&str] = &["smembers"];
pub(crate) const INVALIDATION: &[&str] = &["unlink"];
pub(crate) const SCRIPTING: &[&str] = &[
    "eval",
    "evalsha",
    "eval_ro",
    "evalsha_ro",
    "fcall",
    "fcall_ro",
    "script|load",
    "script|exists",
];
pub(crate) const PUBSUB: &[&str] = &[
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Release;

    /// Every command a service can be granted, for every value type and
    /// option, is known to the facts (the release's or, for
    /// `client|setinfo`, a later one) and never `@dangerous`; and `KEYS`,
    /// `FLUSH*`, `CONFIG`, `DEBUG`, `MODULE` and `ACL` never appear.
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
        let hand: Vec<&str> = [
            CONNECTION,
            TRANSACTION,
            CLUSTER,
            KEY_READ,
            KEY_WRITE,
            LOCK,
            TAG_MEMBERS,
            TAG_ADD,
            INVALIDATION,
            SCRIPTING,
            PUBSUB,
        ]
        .concat();
        for c in &hand {
            assert!(
                Release::all().any(|r| r.acl().has(c)),
                "no release knows `{c}`"
            );
        }
        for release in Release::all() {
            let acl = release.acl();
            for c in &hand {
                // Only the client handshake's newest command is optional.
                assert!(
                    acl.has(c) || *c == "client|setinfo",
                    "{release} does not know `{c}`"
                );
            }
            let mut all: Vec<&str> = hand.clone();
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
            for c in all.into_iter().filter(|c| acl.has(c)) {
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
        // The one exception, granted only with `client.ready_check`.
        for release in Release::all() {
            for c in READY_CHECK {
                assert!(
                    release.acl().in_category(c, "dangerous"),
                    "{release}: `{c}`"
                );
            }
        }
        let has_setinfo = |v| {
            crate::facts::release(crate::facts::Engine::Redis, v)
                .unwrap()
                .acl()
                .has("client|setinfo")
        };
        assert!(!has_setinfo((7, 0)) && has_setinfo((7, 2)));
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
