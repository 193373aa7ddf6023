//! Owns the ACL target: a store's ACL file (`users.acl`: every user
//! `render::access` derives, without passwords) and `verifier.acl`, the
//! least-privilege user `cachegen verify` connects as, as `ACL SETUSER`
//! lines for a server whose ACL is managed by hand. The verifier is
//! read-only by construction: `-@all`, then only the commands verify sends
//! (`crate::verifier::COMMANDS`), less `client|no-touch` for servers that do
//! not have it (an ACL naming an unknown command is refused as a whole) and
//! less `config|get` where the configuration may hold a secret: in
//! users.acl where the generated configuration has one, in verifier.acl
//! always unless the policy says `config_get: allow` (cachegen does not
//! know what a hand-managed server's configuration holds: `requirepass`,
//! `masterauth`, ...).

use super::{OutputFile, RenderError, Renderer, access};
use crate::policy::model::{ConfigGet, Policy, Store};
use crate::verifier;
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "redis/verifier.acl.j2",
        include_str!("../../templates/redis/verifier.acl.j2"),
    ),
    (
        "redis/users.acl.j2",
        include_str!("../../templates/redis/users.acl.j2"),
    ),
];

/// The ACL user name verify expects by default.
pub const VERIFIER_USER: &str = crate::verifier::NAME;

/// The ACL rules after the user name: reset everything, enable, read any key
/// (`%R~*`), no pub/sub, no commands but the allow-list. `no_touch`: the
/// target server has `CLIENT NO-TOUCH` (Redis 7.2+, Valkey); without it,
/// `+client|no-touch` would make `ACL SETUSER` fail (Redis 7.0 does not know
/// the command), and verify does not send it there.
pub fn verifier_rules(no_touch: bool) -> String {
    verifier_rules_with(no_touch, true)
}

/// The verifier's rules for a store: `client|no-touch` where the server has
/// it, `config|get` only where `Store::verifier_may_config_get` (CONFIG GET
/// cannot be limited by parameter and returns `masterauth` in clear text).
pub fn verifier_rules_for(store: &Store) -> String {
    verifier_rules_with(
        crate::facts::has_no_touch(store.engine, store.redis.version),
        store.verifier_may_config_get(),
    )
}

/// The verifier's rules in verifier.acl, for a server whose ACL (and so,
/// likely, configuration) is managed by hand: such a server may well hold
/// `requirepass` or `masterauth`, which `CONFIG GET` returns in clear text,
/// so `config|get` is granted only where the policy says
/// `verifier.config_get: allow`. verify then gets NOPERM for CONFIG GET,
/// compares what INFO shows and notes what it could not check (CG403).
pub fn verifier_rules_hand_managed(store: &Store) -> String {
    verifier_rules_with(
        crate::facts::has_no_touch(store.engine, store.redis.version),
        hand_managed_config_get(store),
    )
}

/// Whether verifier.acl grants `config|get`: only when the policy asks.
pub fn hand_managed_config_get(store: &Store) -> bool {
    store.access.verifier.config_get == ConfigGet::Allow
}

/// [`verifier_rules`], with `config|get` only when `config_get`.
pub fn verifier_rules_with(no_touch: bool, config_get: bool) -> String {
    let mut rules = vec![
        "reset".to_owned(),
        "on".into(),
        "%R~*".into(),
        "resetchannels".into(),
        "-@all".into(),
    ];
    rules.extend(
        verifier::COMMANDS
            .iter()
            .filter(|c| no_touch || **c != verifier::NEEDS_NO_TOUCH)
            .filter(|c| config_get || **c != "config|get")
            .map(|c| format!("+{c}")),
    );
    rules.join(" ")
}

#[derive(Serialize)]
struct Context {
    user: &'static str,
    rules: String,
    config_get: bool,
}

#[derive(Serialize)]
struct UsersContext {
    store: String,
    users: Vec<UserLine>,
    credentials_dir: String,
    users_file: &'static str,
    release: String,
}

#[derive(Serialize)]
struct UserLine {
    about: String,
    line: String,
}

pub fn render(
    policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    let context = Context {
        user: VERIFIER_USER,
        rules: verifier_rules_hand_managed(store),
        config_get: hand_managed_config_get(store),
    };
    let users = access::users(policy, store);
    Ok(vec![
        OutputFile {
            path: "verifier.acl".into(),
            contents: r.render("redis/verifier.acl.j2", Some("#"), &context)?,
        },
        OutputFile {
            path: "users.acl".into(),
            contents: users_acl(store, &users, r)?,
        },
    ])
}

/// The ACL file's text for the store's users (the ConfigMap carries the same
/// bytes; Kubernetes renders it from the users it already derived).
pub fn users_acl(
    store: &Store,
    users: &[access::AclUser],
    r: &Renderer<'_>,
) -> Result<String, RenderError> {
    let context = UsersContext {
        store: store.name.clone(),
        users: users
            .iter()
            .map(|u| UserLine {
                line: u.line(),
                about: u.about.clone(),
            })
            .collect(),
        credentials_dir: access::default_credentials_dir(store),
        users_file: access::USERS_FILE,
        release: access::release_of(store).to_string(),
    };
    r.render("redis/users.acl.j2", Some("#"), &context)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command the verifier, replication and Sentinel users are granted exists
    /// in every release they are rendered for (an unknown one makes the
    /// server refuse the whole ACL file).
    #[test]
    fn fixed_users_name_only_commands_each_release_has() {
        for release in crate::facts::Release::all() {
            let acl = release.acl();
            let no_touch = crate::facts::has_no_touch(release.engine(), release.version());
            for rule in verifier_rules_with(no_touch, true).split(' ') {
                if let Some(command) = rule.strip_prefix('+') {
                    assert!(acl.has(command), "{release}: verifier `{command}`");
                }
            }
            for command in access::REPLICATION_COMMANDS {
                assert!(acl.has(command), "{release}: replication `{command}`");
            }
            for command in access::SENTINEL_COMMANDS {
                assert!(acl.has(command), "{release}: Sentinel `{command}`");
            }
        }
    }

    #[test]
    fn no_touch_is_granted_only_where_the_server_has_it() {
        let with = verifier_rules(true);
        let without = verifier_rules(false);
        assert!(with.contains(" +client|no-touch "), "{with}");
        assert!(!without.contains("no-touch"), "{without}");
        // Everything else is the same list, in the same order.
        assert_eq!(with.replace(" +client|no-touch", ""), without);
        let no_config = verifier_rules_with(true, false);
        assert!(with.contains(" +config|get "), "{with}");
        assert_eq!(with.replace(" +config|get", ""), no_config);
        use crate::facts::{Engine, has_no_touch};
        assert!(has_no_touch(Engine::Redis, (7, 2)) && has_no_touch(Engine::Redis, (8, 0)));
        assert!(!has_no_touch(Engine::Redis, (7, 0)) && !has_no_touch(Engine::Redis, (6, 2)));
        assert!(has_no_touch(Engine::Valkey, (8, 0)));
    }
}
