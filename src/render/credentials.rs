//! Owns the credentials installer target: `install-credentials.sh OUT_DIR`,
//! a POSIX sh script that reads each user's password from its reference and
//! writes `OUT_DIR/users.acl` (the ACL file with each password's sha256) and,
//! where replicas exist, `OUT_DIR/replication.conf` (`masteruser` and
//! `masterauth` for redis.conf's `include`) and, where Sentinels exist,
//! their ACL file, their login as the Sentinel user and their working copy
//! of sentinel.conf. Passwords never reach a
//! command line: they move through shell variables and the `printf`
//! builtin into pipes.

use super::{OutputFile, RenderError, Renderer, access};
use crate::policy::model::{Policy, SecretRef, Store};
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[(
    "redis/install-credentials.sh.j2",
    include_str!("../../templates/redis/install-credentials.sh.j2"),
)];

/// Where Kubernetes Secret references are read from unless
/// `CACHEGEN_SECRETS_DIR` says otherwise: `<dir>/<name>/<key>`, where the
/// manifests mount key `key` of Secret `name`.
pub const SECRETS_DIR: &str = "/run/secrets/cachegen";

/// The installer's variable that moves [`SECRETS_DIR`].
pub const SECRETS_DIR_ENV: &str = "CACHEGEN_SECRETS_DIR";

/// The file a Kubernetes Secret reference is read from by default.
pub fn kubernetes_secret_path(name: &str, key: &str) -> String {
    format!("{SECRETS_DIR}/{name}/{key}")
}

/// How the installer names a reference in its messages (never the value).
pub fn describe(secret: &SecretRef) -> String {
    match secret {
        SecretRef::Env(name) => format!("environment variable {name}"),
        SecretRef::File(path) => format!("file {path}"),
        SecretRef::Kubernetes { name, key } => format!(
            "Kubernetes Secret {name} key {key} (file {})",
            kubernetes_secret_path(name, key)
        ),
    }
}

#[derive(Serialize)]
struct Context {
    store: String,
    users_file: &'static str,
    replication_file: &'static str,
    default_dir: String,
    secrets_dir: &'static str,
    secrets_env: &'static str,
    users: Vec<User>,
    /// `masteruser` value (a redis.conf token), where replicas exist.
    masteruser: Option<String>,
    /// What the Sentinels need, where the store has them.
    sentinel: Option<SentinelAuth>,
}

/// `sentinel-auth.conf`: the Sentinels' users and their login on the data
/// nodes (every value sh-quoted; names are redis.conf tokens).
#[derive(Serialize)]
struct SentinelAuth {
    file: &'static str,
    users_file: &'static str,
    /// `user default off`.
    default_line: String,
    /// The operator's line, as in users.acl.
    admin_line: String,
    /// The verifier's line on a Sentinel (`sentinel::verifier_rules`).
    verifier_line: String,
    /// The Sentinel user's line on a Sentinel (`sentinel::peer_rules`).
    peer_line: String,
    master: String,
    /// The Sentinel user: their login on the data nodes and each other.
    login_user: String,
    /// The Sentinel's working copy (sentinel.conf without its `include`),
    /// written through a quoted here-document ended by [`HEREDOC_END`].
    conf: String,
    conf_file: &'static str,
    heredoc_end: &'static str,
}

/// The line that ends the here-document of the Sentinel's working copy; no
/// line of sentinel.conf is this (checked at render).
const HEREDOC_END: &str = "CACHEGEN_END_OF_SENTINEL_CONF";

#[derive(Serialize)]
struct User {
    /// The ACL line, sh-quoted.
    line: String,
    /// `None`: the user has no password (`default`, off).
    secret: Option<Secret>,
    replication: bool,
    /// `admin`, `verifier`, `sentinel` or `client` (a service): the
    /// Sentinels' users reuse this password, and `sentinel` is also their
    /// login.
    sentinel_role: Option<&'static str>,
    /// A service's line on the Sentinels (`sentinel::client_rules`),
    /// sh-quoted.
    sentinel_line: Option<String>,
}

#[derive(Serialize)]
struct Secret {
    /// The variable name, for `{env}` references.
    env: Option<String>,
    /// Where the script keeps an `{env}` value, read before the script sets
    /// any variable of its own (so a reference named like one, `out` or
    /// `pw`, still reads the caller's value).
    slot: String,
    /// The file to read (sh words), for file and Kubernetes references.
    file: Option<String>,
    /// What the messages call it (sh-quoted).
    what: String,
}

/// One word for sh: in single quotes, each `'` written as `'\''`.
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

pub fn render(
    policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    let users = access::users(policy, store);
    Ok(vec![OutputFile {
        path: "install-credentials.sh".into(),
        contents: installer(store, &users, r)?,
    }])
}

/// The installer's text for the store's users (the ConfigMap carries the
/// same bytes; Kubernetes renders it from the users it already derived).
pub fn installer(
    store: &Store,
    users: &[access::AclUser],
    r: &Renderer<'_>,
) -> Result<String, RenderError> {
    let access_ = &store.access;
    let replicas = store.has_replicas();
    let sentinel = store.replicated.as_ref().and_then(|r| r.sentinel.as_ref());
    let sentinels = sentinel.is_some();
    let admin_line = users
        .iter()
        .find(|u| u.name == access_.admin.user)
        .map(|u| sh_quote(&u.line()))
        .unwrap_or_default();
    let users = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let reference = if !u.login {
                None
            } else if u.name == access_.admin.user {
                Some(&access_.admin.password)
            } else if u.name == crate::verifier::NAME {
                Some(&access_.verifier.password)
            } else if replicas && u.name == access_.replication.user {
                Some(&access_.replication.password)
            } else if let Some(s) = access_.sentinel.as_ref().filter(|s| s.user == u.name) {
                Some(&s.password)
            } else {
                access_.services.get(&u.name).map(|s| &s.password)
            };
            let sentinel_role = if !sentinels || !u.login {
                None
            } else if u.name == access_.admin.user {
                Some("admin")
            } else if u.name == crate::verifier::NAME {
                Some("verifier")
            } else if access_.sentinel.as_ref().is_some_and(|s| s.user == u.name) {
                Some("sentinel")
            } else if access_.services.contains_key(&u.name) {
                Some("client")
            } else {
                None
            };
            User {
                line: sh_quote(&u.line()),
                replication: replicas && u.name == access_.replication.user,
                sentinel_line: (sentinel_role == Some("client")).then(|| {
                    sh_quote(&format!(
                        "user {} {}",
                        access::acl_token(&u.name),
                        super::sentinel::client_rules()
                    ))
                }),
                sentinel_role,
                secret: reference.map(|secret| Secret {
                    slot: format!("{}pw_{i}", crate::policy::model::INSTALLER_PREFIX),
                    env: match secret {
                        SecretRef::Env(name) => Some(name.clone()),
                        _ => None,
                    },
                    file: match secret {
                        SecretRef::Env(_) => None,
                        SecretRef::File(path) => Some(sh_quote(path)),
                        SecretRef::Kubernetes { name, key } => Some(format!(
                            "\"$secrets\"/{}",
                            sh_quote(&format!("{name}/{key}"))
                        )),
                    },
                    what: sh_quote(&format!(
                        "{} (password of ACL user {})",
                        describe(secret),
                        u.name
                    )),
                }),
            }
        })
        .collect();
    let sentinel_conf = super::sentinel::working_copy(store, r)?;
    if let Some(conf) = &sentinel_conf
        && conf.lines().any(|l| l == HEREDOC_END)
    {
        return Err(RenderError(format!(
            "sentinel.conf of store {} holds the line {HEREDOC_END}",
            store.name
        )));
    }
    let context = Context {
        store: store.name.clone(),
        users_file: access::USERS_FILE,
        replication_file: access::REPLICATION_FILE,
        default_dir: access::default_credentials_dir(store),
        secrets_dir: SECRETS_DIR,
        secrets_env: SECRETS_DIR_ENV,
        users,
        masteruser: replicas
            .then(|| sh_quote(&crate::facts::conf_token(&access_.replication.user))),
        sentinel: (sentinel.zip(access_.sentinel.as_ref()).zip(sentinel_conf)).map(
            |((s, login), conf)| SentinelAuth {
                conf,
                conf_file: super::sentinel::SENTINEL_WORKING_FILE,
                heredoc_end: HEREDOC_END,
                file: super::sentinel::SENTINEL_AUTH_FILE,
                users_file: super::sentinel::SENTINEL_USERS_FILE,
                default_line: sh_quote("user default off"),
                admin_line,
                verifier_line: sh_quote(&format!(
                    "user {} {}",
                    crate::verifier::NAME,
                    super::sentinel::verifier_rules()
                )),
                peer_line: sh_quote(&format!(
                    "user {} {}",
                    access::acl_token(&login.user),
                    super::sentinel::peer_rules()
                )),
                master: sh_quote(&s.master_name),
                login_user: sh_quote(&crate::facts::conf_token(&login.user)),
            },
        ),
    };
    r.render("redis/install-credentials.sh.j2", Some("#"), &context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_quote_survives_single_quotes() {
        assert_eq!(sh_quote("a'b"), "'a'\\''b'");
        assert_eq!(sh_quote("user x ~a*"), "'user x ~a*'");
    }
}
