//! Owns how a store's ACL reaches its files: the users in file order as
//! ACL-file lines (the grants themselves come from `analysis::grants`),
//! ACL-file token quoting, where the installed credentials live, and the
//! access lines of redis.conf. It decides nothing about who may do what.

use crate::analysis::grants::store_grants;
pub use crate::analysis::grants::{
    REPLICATION_COMMANDS, SENTINEL_CHANNEL, SENTINEL_COMMANDS, release_of,
};
use crate::policy::model::{Policy, Store};

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

/// Every user of the store's ACL file, in file order: `default` (off: Redis
/// creates an enabled, password-less `default` when the file omits it),
/// the operator, the verifier, replication (where replicas exist), the
/// Sentinels' user (where the store has Sentinels), then the services in
/// policy order.
pub fn users(policy: &Policy, store: &Store) -> Vec<AclUser> {
    let access = &store.access;
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
    if store.has_replicas() {
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
    if let Some(sentinel) = &access.sentinel {
        users.push(AclUser {
            name: sentinel.user.clone(),
            rules: words("on resetkeys resetchannels")
                .into_iter()
                .chain([acl_token(&format!("&{SENTINEL_CHANNEL}")), "-@all".into()])
                .chain(SENTINEL_COMMANDS.iter().map(|c| format!("+{c}")))
                .collect(),
            login: true,
            about: "the Sentinels log in as this user (sentinel auth-user)".into(),
        });
    }
    for (service, grants) in store_grants(policy, store) {
        // Root: no key, keyless commands only; then each selector. Globs
        // never need quoting (key literals hold no whitespace or quotes),
        // which a selector could not carry: Redis splits it on spaces.
        let mut rules = words("on resetkeys resetchannels -@all");
        rules.extend(grants.root.iter().map(|c| format!("+{c}")));
        for channel in &grants.channels {
            rules.push(acl_token(&format!("&{channel}")));
        }
        for selector in &grants.selectors {
            let parts: Vec<String> = selector
                .keys
                .iter()
                .map(|(access, glob)| format!("{}{glob}", access.prefix()))
                .chain(selector.commands.iter().map(|c| format!("+{c}")))
                .collect();
            rules.push(format!("({})", parts.join(" ")));
        }
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
    if store.has_replicas() {
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
    fn tokens_are_quoted_only_when_sdssplitargs_would_split_them() {
        assert_eq!(acl_token("~v2:user:*"), "~v2:user:*");
        assert_eq!(acl_token("~a\\*b"), "~a\\*b");
        assert_eq!(acl_token("&a b"), "\"&a b\"");
        assert_eq!(acl_token("~a\"b'\\"), "\"~a\\\"b'\\\\\"");
        assert_eq!(acl_token("~a\tb"), "\"~a\\x09b\"");
    }
}
