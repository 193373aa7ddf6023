//! Owns the model of a store's access control: the users that may connect
//! (an operator, the verifier, replication, Sentinel, one per service), where each
//! one's password comes from (references only, never values), which keys and
//! commands each service needs, TLS, and which networks or Kubernetes
//! workloads may connect.
//!
//! Every store has an `Access`, declared or not: nothing cachegen generates
//! leaves a Redis reachable without authentication, so a store whose policy
//! says nothing still gets the `default` user off and an operator user whose
//! password comes from [`Access::DEFAULT_ADMIN_ENV`] (and a lint says so).

use indexmap::IndexMap;

/// A store's access control.
#[derive(Debug, Clone)]
pub struct Access {
    /// `/stores/<name>/access` or `/redis/access`. Diagnostics about an
    /// undeclared section point at the store instead (see `declared`).
    pub pointer: String,
    /// Whether the policy writes an `access:` section. When it does not, the
    /// fields below are the defaults.
    pub declared: bool,
    /// The operator user (`+@all`): cluster creation, probes, ACL changes.
    pub admin: Credential,
    /// The user `cachegen verify` connects as.
    pub verifier: Verifier,
    /// The user replicas authenticate as (`masteruser`/`masterauth`).
    /// Used only where the store has replicas.
    pub replication: Credential,
    /// The user the Sentinels log in to the data nodes and to each other
    /// as: `Some` exactly where the store has Sentinels.
    pub sentinel: Option<Credential>,
    /// The applications that connect, by name, in file order.
    pub services: IndexMap<String, Service>,
    pub tls: Option<Tls>,
    /// Who may open a connection (Kubernetes NetworkPolicy peers).
    pub clients_from: ClientsFrom,
}

impl Access {
    /// The access of a store whose policy declares none: the `default` user
    /// off, the operator, verifier and replication users with their default
    /// password variables, no Sentinel user (the caller adds
    /// [`Access::default_sentinel`] where the store has Sentinels), no
    /// services, no TLS.
    pub fn undeclared(store_pointer: &str) -> Access {
        let pointer = format!("{store_pointer}/access");
        let credential = |user: &str, env: &str| Credential {
            user: user.to_owned(),
            password: SecretRef::Env(env.to_owned()),
            pointer: pointer.clone(),
        };
        Access {
            declared: false,
            admin: credential(Self::DEFAULT_ADMIN_USER, Self::DEFAULT_ADMIN_ENV),
            verifier: Verifier {
                password: SecretRef::Env(Self::DEFAULT_VERIFIER_ENV.to_owned()),
                config_get: ConfigGet::Auto,
                pointer: pointer.clone(),
            },
            replication: credential(
                Self::DEFAULT_REPLICATION_USER,
                Self::DEFAULT_REPLICATION_ENV,
            ),
            sentinel: None,
            services: IndexMap::new(),
            tls: None,
            clients_from: ClientsFrom::default(),
            pointer,
        }
    }

    pub const DEFAULT_ADMIN_USER: &'static str = "admin";
    pub const DEFAULT_ADMIN_ENV: &'static str = "REDIS_ADMIN_PASSWORD";
    pub const DEFAULT_REPLICATION_USER: &'static str = "replication";
    pub const DEFAULT_REPLICATION_ENV: &'static str = "REDIS_REPLICATION_PASSWORD";
    pub const DEFAULT_SENTINEL_USER: &'static str = "sentinel";
    pub const DEFAULT_SENTINEL_ENV: &'static str = "REDIS_SENTINEL_PASSWORD";
    /// The variable `cachegen verify` already reads its password from.
    pub const DEFAULT_VERIFIER_ENV: &'static str = "CACHEGEN_REDIS_PASSWORD";

    /// The Sentinel user a store with Sentinels gets unless its access
    /// section says otherwise.
    pub fn default_sentinel(&self) -> Credential {
        Credential {
            user: Self::DEFAULT_SENTINEL_USER.to_owned(),
            password: SecretRef::Env(Self::DEFAULT_SENTINEL_ENV.to_owned()),
            pointer: self.pointer.clone(),
        }
    }

    /// Every credential of the store (admin, verifier, replication, Sentinel,
    /// then the services in file order) with the ACL user name it
    /// authenticates as.
    pub fn credentials(&self) -> Vec<(&str, &SecretRef, &str)> {
        let mut out = vec![
            (
                self.admin.user.as_str(),
                &self.admin.password,
                self.admin.pointer.as_str(),
            ),
            (
                crate::verifier::NAME,
                &self.verifier.password,
                self.verifier.pointer.as_str(),
            ),
            (
                self.replication.user.as_str(),
                &self.replication.password,
                self.replication.pointer.as_str(),
            ),
        ];
        if let Some(sentinel) = &self.sentinel {
            out.push((
                sentinel.user.as_str(),
                &sentinel.password,
                sentinel.pointer.as_str(),
            ));
        }
        for service in self.services.values() {
            out.push((
                service.name.as_str(),
                &service.password,
                service.pointer.as_str(),
            ));
        }
        out
    }
}

/// The prefix of install-credentials.sh's own shell variables: `render`
/// names its password slots with it, `lower` refuses an `{env}` reference
/// named like it (it would read another user's slot).
pub const INSTALLER_PREFIX: &str = "_cachegen_";

/// A user name and where its password comes from.
#[derive(Debug, Clone)]
pub struct Credential {
    pub user: String,
    pub password: SecretRef,
    /// The pointer of the section that declares it (or of the access
    /// section, for a default).
    pub pointer: String,
}

/// Where a secret is read from at deploy time. The policy never holds a
/// value: a string where a reference is expected is CG030.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecretRef {
    /// An environment variable (`[A-Za-z_][A-Za-z0-9_]*`).
    Env(String),
    /// A file holding the secret (absolute path, no whitespace or quotes).
    File(String),
    /// A Kubernetes Secret: its name (DNS-1123 subdomain) and key
    /// (`[-._a-zA-Z0-9]+`).
    Kubernetes { name: String, key: String },
}

/// The verifier user.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub password: SecretRef,
    pub config_get: ConfigGet,
    pub pointer: String,
}

/// Whether the verifier may run `CONFIG GET`, which returns every setting in
/// clear text, `masterauth` and `requirepass` included (Redis ACLs cannot
/// limit its parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConfigGet {
    /// Allowed where the store's configuration holds no secret (no replicas,
    /// so no `masterauth`); denied otherwise.
    #[default]
    Auto,
    /// Always allowed (CG505 is an error where a secret is readable).
    Allow,
    /// Never allowed: verify reads what `INFO` shows and says what it skipped.
    Deny,
}

/// One application that connects to the store.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// `/stores/<store>/access/services/<name>`.
    pub pointer: String,
    pub password: SecretRef,
    /// Key patterns and tag sets it only reads, by name.
    pub reads: Vec<String>,
    /// Key patterns and tag sets it reads and writes (writing a pattern also
    /// covers its tag sets' members and its stampede lock).
    pub writes: Vec<String>,
    /// Durable patterns it owns: it writes them, and is the one that may.
    pub owns: Vec<String>,
    /// Events whose invalidation plans it runs (`UNLINK` on every key the
    /// plan deletes, cascades included).
    pub events: Vec<String>,
    /// May run `SCAN` (off unless declared).
    pub scan: bool,
    /// May run Lua scripts and functions (off unless declared).
    pub scripting: bool,
    /// Pub/sub channel globs it may use (none unless declared).
    pub channels: Vec<String>,
}

/// TLS for client connections, replication and the cluster bus.
#[derive(Debug, Clone)]
pub struct Tls {
    /// `/stores/<store>/access/tls`.
    pub pointer: String,
    /// `tls-port`.
    pub port: u16,
    /// A plain-text `port` kept open beside TLS; `None` writes `port 0`.
    pub plain_port: Option<u16>,
    /// Paths on the server (`tls-cert-file`, `tls-key-file`, `tls-ca-cert-file`).
    pub cert_file: String,
    pub key_file: String,
    pub ca_file: String,
    /// `tls-auth-clients`.
    pub client_certs: ClientCerts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientCerts {
    /// `tls-auth-clients yes`: clients must present a certificate the CA signed.
    #[default]
    Required,
    /// `tls-auth-clients optional`.
    Optional,
    /// `tls-auth-clients no`.
    None,
}

/// Which peers may connect. Empty means only the store's own nodes (and
/// whatever the NetworkPolicy lists as the store's admin/verifier peers).
#[derive(Debug, Clone, Default)]
pub struct ClientsFrom {
    /// CIDR blocks (`10.0.0.0/8`), validated.
    pub cidrs: Vec<String>,
    /// Kubernetes workloads: pods matching the labels, in the namespace
    /// (`None`: the store's own namespace).
    pub kubernetes: Vec<Workload>,
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub pointer: String,
    pub namespace: Option<String>,
    pub labels: IndexMap<String, String>,
}
