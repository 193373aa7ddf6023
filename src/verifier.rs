//! Owns the one list of Redis commands `cachegen verify` may send, by the
//! names Redis ACLs use (`config|get`).
//!
//! Two stages need the list: `render::acl` grants exactly these commands to
//! the least-privilege user `build` emits, and `verify::conn` may encode
//! nothing else. `render` runs before `verify`, so neither may own the list
//! without the other reaching across stages; it sits here, below both, and
//! depends on nothing. A unit test in `verify::conn` holds `Command`'s
//! variants equal to it, so the ACL cannot drift from what verify sends.

/// The name the verifier goes by: the ACL user `build` emits and the
/// connection name verify sets (`CLIENT SETNAME`), so an operator reading
/// the slow log or `CLIENT LIST` can tell verify's connections from the
/// application's.
pub const NAME: &str = "cachegen-verify";

/// Commands verify may send: server facts, config reads, the keyspace scan
/// and per-key metadata, cluster topology. Not `SLOWLOG GET`: its entries
/// carry the arguments of slow commands, values included, and holding
/// verify's credentials must never reveal a value; command latencies come
/// from `INFO latencystats` instead. Measured to suffice on
/// Redis 7.0 (shared/notes/redis.md); nothing here writes, and nothing returns a
/// value (`getrange` was dropped for that). `select` picks the database a `redis://host/N` URL names; `client|no-touch`
/// keeps verify's reads from changing the keys' LRU/LFU (Redis 7.2+ and
/// Valkey only: see [`NEEDS_NO_TOUCH`]). `auth` needs no ACL permission and
/// is not listed. The order is the order the ACL grants them in, which is
/// part of the generated file.
pub const COMMANDS: &[&str] = &[
    "ping",
    "client|setname",
    "client|no-touch",
    "select",
    "info",
    "dbsize",
    "config|get",
    "scan",
    "pttl",
    "type",
    "memory|usage",
    "strlen",
    "cluster|nodes",
];

/// Commands verify may send to a Sentinel (`verify --sentinel`), by ACL
/// name: the read-only `SENTINEL` subcommands it asks (`masters` only to
/// name the masters a Sentinel does monitor when it does not know the one
/// asked for), `INFO` (`sentinel_tilt`), `PING`, and the handshake: `AUTH`
/// (needs no permission, listed because Sentinel's ACL file names it) and
/// `HELLO`, which verify does not send but client libraries open with.
/// Never `SENTINEL SET`, `FAILOVER`, `RESET`, `REMOVE`, `MONITOR`, `CONFIG`
/// or `CONFIG`-like subcommands. `render::sentinel` grants exactly this
/// list to the Sentinels' verifier user; a unit test in `verify::conn`
/// holds `Command`'s Sentinel variants equal to it. The order is the
/// order the ACL grants them in, which is part of the generated file.
pub const SENTINEL_COMMANDS: &[&str] = &[
    "sentinel|masters",
    "sentinel|master",
    "sentinel|replicas",
    "sentinel|sentinels",
    "sentinel|ckquorum",
    "sentinel|get-master-addr-by-name",
    "info",
    "ping",
    "hello",
    "auth",
];

/// The entries of [`SENTINEL_COMMANDS`] verify never sends: granted for the
/// handshake of client libraries (`HELLO`), not for verify.
pub const SENTINEL_GRANTED_UNSENT: &[&str] = &["hello"];

/// The command of [`COMMANDS`] that older servers do not know: Redis added
/// `CLIENT NO-TOUCH` in 7.2 (`ACL CAT connection` of 7.2.6, 7.4.1 and 8.0-m01
/// lists it, 7.0.15's does not; shared/data/redis-directives/acl-categories-*),
/// and Valkey has it from its first release (forked from 7.2.4; 8.0.1 lists
/// it). `ACL SETUSER … +client|no-touch` fails on 7.0 ("Unknown command or
/// category name in ACL"), so the ACL grants it only to servers that have it.
pub const NEEDS_NO_TOUCH: &str = "client|no-touch";

/// Commands verify sends expecting to be refused: probes that its own user
/// is no broader than [`COMMANDS`]. `ECHO` (fixed argument) reads and
/// changes nothing; `GET` of a fixed-prefix key with a random suffix
/// (`cachegen-verify:probe:<hex>`) asks whether the user may read a value,
/// and where it may, it gets nil from a key nobody writes. Never granted:
/// disjoint from [`COMMANDS`] (a unit test holds it so), and `verify::conn`
/// sends them only through its probe variant, whose reply is a finding
/// unless it is NOPERM.
pub const PROBES: &[&str] = &["echo", "get"];

/// Commands of [`COMMANDS`] a store may withhold from the verifier, which
/// verify then sends as probes expecting NOPERM: `config|get`, which the
/// ACL leaves out where the store's config holds a secret
/// (`Store::verifier_may_config_get`); verify sends `CONFIG GET maxmemory`
/// (no secret) there. They are granted on other stores, so they cannot be
/// in [`PROBES`]; they are the only overlap between probing and granting.
pub const WITHHELD_PROBES: &[&str] = &["config|get"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_never_granted() {
        for probe in PROBES {
            assert!(!COMMANDS.contains(probe), "`{probe}` is granted");
        }
        // A withheld probe is a command the ACL may grant: only as such is
        // it a probe at all.
        for probe in WITHHELD_PROBES {
            assert!(COMMANDS.contains(probe), "`{probe}` is never granted");
            assert!(!PROBES.contains(probe), "`{probe}` is listed twice");
        }
        // Nothing granted returns a value: no read of any type's contents.
        for reader in [
            "get",
            "getrange",
            "substr",
            "hget",
            "hgetall",
            "lrange",
            "smembers",
            "zrange",
            "dump",
            "object|freq",
        ] {
            assert!(!COMMANDS.contains(&reader), "`{reader}` returns values");
        }
    }
}
