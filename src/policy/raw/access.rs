//! Owns the format's `access:` section of a store: the users that may
//! connect (operator, verifier, replication, Sentinel, one per service), where their
//! passwords come from (references, never values), what each service may
//! touch, TLS, and which networks or Kubernetes workloads may connect.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;

/// Who may connect to the store and what each client may do. Every store
/// gets authentication whether or not it has this section (the `default`
/// user is always off); the section names the services and their keys.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// The operator user (`+@all`): cluster creation, probes, operations.
    /// Defaults to user `admin` with its password from `{env: REDIS_ADMIN_PASSWORD}`.
    #[serde(default)]
    pub admin: Option<UserCredential>,
    /// The user `cachegen verify` connects as (`cachegen-verify`). Its
    /// password defaults to `{env: CACHEGEN_REDIS_PASSWORD}`.
    #[serde(default)]
    pub verifier: Option<VerifierAccess>,
    /// The user replicas authenticate as (`masteruser`/`masterauth`).
    /// Defaults to user `replication` with `{env: REDIS_REPLICATION_PASSWORD}`.
    #[serde(default)]
    pub replication: Option<UserCredential>,
    /// The user the Sentinels log in to the data nodes and to each other
    /// as (`sentinel auth-user`, `sentinel-user`), with only the commands
    /// Sentinel sends. Used only where the store has `sentinel:`. Defaults
    /// to user `sentinel` with `{env: REDIS_SENTINEL_PASSWORD}`.
    #[serde(default)]
    pub sentinel: Option<UserCredential>,
    /// One ACL user per application that connects, by name (lowercase
    /// letters, digits and `-`, starting with a letter).
    #[serde(default)]
    pub services: IndexMap<String, Service>,
    /// TLS for clients, replication and the cluster bus.
    #[serde(default)]
    pub tls: Option<Tls>,
    /// Who may open a connection (Kubernetes NetworkPolicy peers).
    #[serde(default)]
    pub clients_from: Option<ClientsFrom>,
}

/// A user name and where its password comes from.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCredential {
    /// The ACL user name (lowercase letters, digits and `-`, starting with a letter).
    #[serde(default)]
    pub user: Option<String>,
    /// Where the password comes from: `{env: NAME}`, `{file: /path}` or
    /// `{secret: {name, key}}`. Never the password itself.
    #[serde(default)]
    pub password: Option<SecretRef>,
}

/// The verifier user.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifierAccess {
    /// Where its password comes from (see `admin.password`).
    #[serde(default)]
    pub password: Option<SecretRef>,
    /// Whether it may run `CONFIG GET`, which returns every setting in clear
    /// text, `masterauth` included: `auto` (only where the configuration
    /// holds no secret, i.e. no replicas), `allow` or `deny`.
    #[serde(default)]
    pub config_get: Option<ConfigGet>,
}

/// Whether the verifier may run `CONFIG GET`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConfigGet {
    Auto,
    Allow,
    Deny,
}

/// Where a secret is read from at deploy time. A plain string here is an
/// error (CG030): a policy never holds a secret's value.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SecretRef {
    Env(EnvRef),
    File(FileRef),
    Kubernetes(KubernetesRef),
    /// A value written in place of a reference; only read so that lowering
    /// can report it where it is (without repeating it).
    Literal(Literal),
}

/// A password written as a value: YAML reads `password: 12345` as a number,
/// which is as much a leaked secret as a string.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Literal {
    Text(String),
    Number(f64),
    Flag(bool),
}

/// An environment variable of the deploying process.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvRef {
    /// Its name (`[A-Za-z_][A-Za-z0-9_]*`).
    pub env: String,
}

/// A file holding the secret (or, for TLS, the certificate or key).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileRef {
    /// An absolute path without whitespace, quotes or `..`.
    pub file: String,
}

/// A key of a Kubernetes Secret.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesRef {
    pub secret: KubernetesSecret,
}

/// A Kubernetes Secret in the store's namespace.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSecret {
    /// The Secret's name (a DNS-1123 subdomain).
    pub name: String,
    /// The key within it (`[-._a-zA-Z0-9]+`).
    pub key: String,
}

/// One application that connects, and what it may touch. Names are key
/// patterns or tag sets of this store.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Where its password comes from (see `admin.password`).
    pub password: SecretRef,
    /// Patterns and tag sets it only reads (`%R~` globs).
    #[serde(default)]
    pub reads: Vec<String>,
    /// Patterns and tag sets it reads and writes; writing a pattern covers
    /// its tag sets and its stampede lock.
    #[serde(default)]
    pub writes: Vec<String>,
    /// Durable patterns it owns: it writes them, and is the one that should.
    #[serde(default)]
    pub owns: Vec<String>,
    /// Events whose invalidation plans it runs (`UNLINK` on their keys).
    #[serde(default)]
    pub events: Vec<String>,
    /// May run `SCAN`.
    #[serde(default)]
    pub scan: bool,
    /// May run Lua scripts and functions (`EVAL`, `EVALSHA`, `FCALL`).
    #[serde(default)]
    pub scripting: bool,
    /// Pub/sub channel globs it may use; none means no pub/sub.
    #[serde(default)]
    pub channels: Vec<String>,
}

/// TLS. The files are paths on the server.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// `tls-port`.
    pub port: u64,
    /// A plain-text `port` kept open beside TLS. Omit it to close plain
    /// text (`port 0`).
    #[serde(default)]
    pub plain_port: Option<u64>,
    /// `tls-cert-file`, as `{file: /path}`.
    pub cert: SecretRef,
    /// `tls-key-file`, as `{file: /path}`.
    pub key: SecretRef,
    /// `tls-ca-cert-file`, as `{file: /path}`.
    pub ca: SecretRef,
    /// `tls-auth-clients`: `required` (the default), `optional` or `none`.
    #[serde(default)]
    pub client_certs: Option<ClientCerts>,
}

/// Whether clients must present a certificate the CA signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ClientCerts {
    Required,
    Optional,
    None,
}

/// Peers that may connect.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientsFrom {
    /// CIDR blocks (`10.0.0.0/8`).
    #[serde(default)]
    pub cidrs: Vec<String>,
    /// Kubernetes workloads: pods with these labels, in this namespace.
    #[serde(default)]
    pub kubernetes: Vec<Workload>,
}

/// Pods that may connect.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// Their namespace; defaults to the store's.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Labels the pods carry (all must match).
    pub labels: IndexMap<String, String>,
}
