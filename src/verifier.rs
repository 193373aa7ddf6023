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
/// connection name verify sets (`CLIENT SETNAME`), so the slow log can tell
/// verify's own commands from the application's.
pub const NAME: &str = "cachegen-verify";

/// Commands verify may send: server facts, config reads, the keyspace scan
/// and per-key metadata, slow log, cluster topology. Measured to suffice on
/// Redis 7.0 (shared/notes/redis.md); nothing here writes. `getrange` reads
/// the first bytes of large values to see whether they are compressed;
/// `select` picks the database a `redis://host/N` URL names. `auth` needs no
/// ACL permission and is not listed. The order is the order the ACL grants
/// them in, which is part of the generated file.
pub const COMMANDS: &[&str] = &[
    "ping",
    "client|setname",
    "select",
    "info",
    "dbsize",
    "config|get",
    "scan",
    "pttl",
    "type",
    "memory|usage",
    "strlen",
    "getrange",
    "slowlog|get",
    "cluster|nodes",
];
