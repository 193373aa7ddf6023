//! Owns the verifier ACL target: the least-privilege Redis user that
//! `cachegen verify` connects as. Read-only by construction: `-@all`, then
//! only the commands verify sends.

use super::{OutputFile, RenderError, Renderer};
use crate::policy::model::Policy;
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[(
    "redis/verifier.acl.j2",
    include_str!("../../templates/redis/verifier.acl.j2"),
)];

/// The ACL user name verify expects by default.
pub const VERIFIER_USER: &str = "cachegen-verify";

/// Commands `verify` may send: server facts, config reads, the keyspace scan
/// and per-key metadata, slow log, cluster topology. Measured to suffice on
/// Redis 7.0 (shared/notes/redis.md); nothing here writes. `getrange` reads
/// the first bytes of large values to see whether they are compressed;
/// `select` picks the database a `redis://host/N` URL names. Nothing more:
/// a unit test in `verify::conn` holds this list equal to the commands verify
/// can encode.
pub const VERIFIER_COMMANDS: &[&str] = &[
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

/// The ACL rules after the user name: reset everything, enable, read any key
/// (`%R~*`), no pub/sub, no commands but the allow-list.
pub fn verifier_rules() -> String {
    let mut rules = vec![
        "reset".to_owned(),
        "on".into(),
        "%R~*".into(),
        "resetchannels".into(),
        "-@all".into(),
    ];
    rules.extend(VERIFIER_COMMANDS.iter().map(|c| format!("+{c}")));
    rules.join(" ")
}

#[derive(Serialize)]
struct Context {
    user: &'static str,
    rules: String,
}

pub fn render(_policy: &Policy, r: &Renderer<'_>) -> Result<Vec<OutputFile>, RenderError> {
    let context = Context {
        user: VERIFIER_USER,
        rules: verifier_rules(),
    };
    Ok(vec![OutputFile {
        path: "redis/verifier.acl".into(),
        contents: r.render("redis/verifier.acl.j2", Some("#"), &context)?,
    }])
}
