//! Owns the Sentinel target of a replicated store with `sentinel:`:
//! `sentinel.conf`, the template of every Sentinel's working copy. Its users
//! and the password it logs in to the data nodes with come from
//! `install-credentials.sh` (`sentinel-auth.conf`, included), never from this
//! file. A running Sentinel rewrites its file with that login in clear text,
//! so it runs from the copy the installer writes into the credentials
//! directory ([`working_copy`]), never from this one.

use super::{OutputFile, RenderError, Renderer, access, redis_conf};
use crate::facts::conf_token;
use crate::policy::model::{Policy, Store};
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[(
    "redis/sentinel.conf.j2",
    include_str!("../../templates/redis/sentinel.conf.j2"),
)];

/// The file the installer writes for the Sentinels' config: `aclfile` (their
/// users) and `sentinel auth-user` / `auth-pass` / `sentinel-user` /
/// `sentinel-pass`.
pub const SENTINEL_AUTH_FILE: &str = "sentinel-auth.conf";

/// The Sentinels' ACL file (`default` off, the operator, the verifier, the
/// Sentinel user with [`SENTINEL_PEER_COMMANDS`]). An
/// `aclfile`, not `user` lines: Sentinel rewrites its config file, and
/// users read from config lines would be written into it a second time,
/// which it refuses at its next start ("Duplicate user found").
pub const SENTINEL_USERS_FILE: &str = "sentinel-users.acl";

/// Sentinel's own port unless the deployment moves it.
pub const SENTINEL_PORT: u16 = 26379;

/// What the verifier may run on a Sentinel: `verifier::SENTINEL_COMMANDS`,
/// the list `verify --sentinel` sends from (it sits below both stages).
pub const SENTINEL_VERIFIER_COMMANDS: &[&str] = crate::verifier::SENTINEL_COMMANDS;

/// The verifier's ACL rules on a Sentinel (after `user NAME`).
pub fn verifier_rules() -> String {
    let mut rules = vec!["on".to_owned(), "resetchannels".into(), "-@all".into()];
    rules.extend(SENTINEL_VERIFIER_COMMANDS.iter().map(|c| format!("+{c}")));
    rules.join(" ")
}

/// What a Sentinel sends the other Sentinels, so what the Sentinel user may
/// run on a Sentinel (`sentinel sentinel-user`): `CLIENT SETNAME` on
/// connecting, `PING`, `PUBLISH` of its hello messages on
/// `analysis::grants::SENTINEL_CHANNEL`, and `SENTINEL
/// IS-MASTER-DOWN-BY-ADDR` (agreeing the primary is down, and the vote for
/// a failover leader). Measured on 7.0.15: three Sentinels with only these
/// find each other, fail over and keep `ACL LOG` empty
/// (tests/build_replicated_bootstrap.rs); without them they log `PUBLISH`,
/// `PING` and `CLIENT SETNAME` as refused. Never `SENTINEL SET`,
/// `FAILOVER`, `CONFIG` or `ACL`: the operator keeps those.
pub const SENTINEL_PEER_COMMANDS: &[&str] = &[
    "client|setname",
    "ping",
    "publish",
    "sentinel|is-master-down-by-addr",
];

/// The Sentinel user's ACL rules on a Sentinel (after `user NAME`).
pub fn peer_rules() -> String {
    let mut rules = vec![
        "on".to_owned(),
        "resetchannels".into(),
        access::acl_token(&format!("&{}", access::SENTINEL_CHANNEL)),
        "-@all".into(),
    ];
    rules.extend(SENTINEL_PEER_COMMANDS.iter().map(|c| format!("+{c}")));
    rules.join(" ")
}

/// The Sentinel-side channel a Sentinel-aware client subscribes to, to
/// learn of a failover at once.
pub const SWITCH_MASTER_CHANNEL: &str = "+switch-master";

/// What a Sentinel-aware client (ioredis `sentinels`, redis-py `Sentinel`,
/// Jedis `JedisSentinelPool`, go-redis `FailoverClient`, Lettuce) sends a
/// Sentinel, so what each service user may run there: log in (`AUTH`,
/// `HELLO`), name its connection, `PING`, ask for the primary, the
/// replicas and the other Sentinels, and `SUBSCRIBE` to
/// [`SWITCH_MASTER_CHANNEL`] only. Never `SENTINEL SET`, `FAILOVER`,
/// `RESET`, `CONFIG` or `ACL`: the operator keeps those.
pub const SENTINEL_CLIENT_COMMANDS: &[&str] = &[
    "auth",
    "hello",
    "client|setname",
    "ping",
    "sentinel|get-master-addr-by-name",
    "sentinel|sentinels",
    "sentinel|masters",
    "sentinel|master",
    "sentinel|replicas",
    "subscribe",
];

/// A service user's ACL rules on a Sentinel (after `user NAME`): the
/// store's own services log in to the Sentinels with the password they
/// use on the data nodes.
pub fn client_rules() -> String {
    let mut rules = vec![
        "on".to_owned(),
        "resetchannels".into(),
        access::acl_token(&format!("&{SWITCH_MASTER_CHANNEL}")),
        "-@all".into(),
    ];
    rules.extend(SENTINEL_CLIENT_COMMANDS.iter().map(|c| format!("+{c}")));
    rules.join(" ")
}

#[derive(Serialize)]
struct Context {
    store: String,
    server: &'static str,
    port: u16,
    master: String,
    host: &'static str,
    primary_port: u16,
    quorum: u32,
    sentinels: u32,
    down_after_ms: u64,
    failover_timeout_ms: u64,
    parallel_syncs: u32,
    /// The `include` of the installer's file; `None` in the working copy,
    /// where the installer writes it with the directory it installed into.
    auth_file: Option<String>,
    credentials_dir: String,
    working_file: String,
}

/// The name of the Sentinel's working copy in the credentials directory.
pub const SENTINEL_WORKING_FILE: &str = "sentinel.conf";

pub fn render(
    _policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    Ok(text(store, r, true)?
        .map(|contents| OutputFile {
            path: "sentinel.conf".into(),
            contents,
        })
        .into_iter()
        .collect())
}

/// sentinel.conf without its `include` line, for the installer to write as
/// the Sentinel's working copy followed by the `include` of the directory it
/// installed into (`None`: the store has no Sentinels).
pub fn working_copy(store: &Store, r: &Renderer<'_>) -> Result<Option<String>, RenderError> {
    text(store, r, false)
}

fn text(store: &Store, r: &Renderer<'_>, include: bool) -> Result<Option<String>, RenderError> {
    let Some(sentinel) = store.replicated.as_ref().and_then(|r| r.sentinel.as_ref()) else {
        return Ok(None);
    };
    let dir = access::default_credentials_dir(store);
    let context = Context {
        store: store.name.clone(),
        server: super::Programs::of(store.engine).server,
        port: SENTINEL_PORT,
        // Checked by lower: one safe word.
        master: sentinel.master_name.clone(),
        host: redis_conf::PRIMARY_HOST,
        primary_port: redis_conf::PRIMARY_PORT,
        quorum: sentinel.quorum,
        sentinels: sentinel.sentinels,
        down_after_ms: sentinel.down_after.as_millis(),
        failover_timeout_ms: sentinel.failover_timeout.as_millis(),
        parallel_syncs: sentinel.parallel_syncs,
        auth_file: include.then(|| conf_token(&format!("{dir}/{SENTINEL_AUTH_FILE}"))),
        working_file: format!("{dir}/{SENTINEL_WORKING_FILE}"),
        credentials_dir: dir,
    };
    r.render("redis/sentinel.conf.j2", Some("#"), &context)
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command the Sentinel user, the verifier or a service may run
    /// on a Sentinel that a data node also has is known to each release's `ACL CAT` and is no admin
    /// command; the `SENTINEL` subcommands, which `ACL CAT` of a data node
    /// does not list (they exist only in Sentinel mode), are the only ones
    /// it does not know. (A Sentinel refuses an ACL file naming an unknown
    /// command at start: tests/build_replicated.rs starts three.)
    #[test]
    fn peer_commands_are_known_to_each_release() {
        for release in crate::facts::Release::all() {
            let acl = release.acl();
            for c in SENTINEL_PEER_COMMANDS
                .iter()
                .chain(SENTINEL_VERIFIER_COMMANDS)
                .chain(SENTINEL_CLIENT_COMMANDS)
            {
                if c.starts_with("sentinel|") {
                    assert!(!acl.has(c), "{release} lists `{c}`: check it as data");
                    continue;
                }
                assert!(acl.has(c), "{release}: Sentinel peer `{c}`");
                assert!(!acl.in_category(c, "admin"), "{release}: `{c}` is @admin");
            }
            for c in SENTINEL_PEER_COMMANDS
                .iter()
                .chain(SENTINEL_CLIENT_COMMANDS)
            {
                assert!(
                    !acl.in_category(c, "dangerous") && !acl.in_category(c, "keyspace"),
                    "{release}: `{c}`"
                );
            }
        }
    }
}
