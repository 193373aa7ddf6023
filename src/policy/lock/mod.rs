//! Owns the `policy.lock.json` format: the serde types below are its one
//! definition, serialized to write the file and deserialized to read it.
//!
//! - `write`: the validated model → these types. The `CONFIG GET` strings
//!   under `redis.config` come from `redis_directives` and the `lint` levels
//!   from `lint::levels`, later stages than `policy`, so the writer takes
//!   them as an argument (`write::Derived`) and the pipeline
//!   driver (`check::lock_for`) joins the two; `render::lock` only
//!   serializes what that returns.
//! - `read`: the file → these types (`de`, which reports every misfit with
//!   its place instead of stopping at the first) → the policy file's raw
//!   JSON form, which `schema` and `lower` validate like any policy, with a
//!   span index that maps each raw pointer to where the lock holds the value.
//!
//! Serialization keeps field order (serde_json is built with
//! `preserve_order`), so the order of the fields here is the file's.
//! Enumerations are strings: reading hands them to `schema`, whose messages
//! name the allowed values.

mod de;
pub mod read;
pub mod write;

use crate::policy::model::{
    CacheLevel, EdgeProvider, PlaceholderType, Policy, Provenance, Strategy, ValueType, Visibility,
};
use crate::policy::raw::BuiltinType;
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Number;

/// Identifies the file format; bump `LOCK_VERSION` on incompatible changes.
pub const LOCK_FORMAT: &str = "cachegen-policy-lock";
pub const LOCK_VERSION: u32 = 6;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub format: String,
    pub version: u32,
    pub generated_by: String,
    pub policy: PolicySource,
    pub ttl: TtlRules,
    pub keys: Keys,
    pub tags: IndexMap<String, Tag>,
    pub invalidation: Invalidation,
    pub edge: Option<Edge>,
    /// Every store, by name.
    pub stores: IndexMap<String, Store>,
    pub client: Option<Client>,
    pub targets: Option<Targets>,
    pub warming: IndexMap<String, WarmTask>,
    pub lint: Lint,
}

/// The policy the lock was built from: its name, its file (`Provenance`)
/// and the model hash every generated header carries.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySource {
    pub name: String,
    pub source: String,
    /// The model sha256 (`write::lock`): of this lock as compact
    /// JSON with `generated_by`, `policy.source` and `policy.sha256` empty
    /// strings. It covers every value the policy sets, as this lock records
    /// them, and nothing else: not the policy file's comments, layout, field
    /// order or name, so editing those leaves every generated file as it was.
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TtlRules {
    pub default_secs: Secs,
    pub jitter_percent: Percent,
    pub authenticated_cap_secs: Option<Secs>,
    pub classes: IndexMap<String, Secs>,
    pub max_staleness_secs: Option<ExactSecs>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    pub version_prefix: Option<String>,
    pub previous_prefixes: Vec<String>,
    pub max_value_size_bytes: Option<u64>,
    pub placeholders: IndexMap<String, PlaceholderSpelling>,
    pub patterns: IndexMap<String, Pattern>,
}

/// A placeholder's type as the policy file writes it: a built-in's name, or
/// a user-defined type's mapping.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PlaceholderSpelling {
    Builtin(String),
    Regex {
        regex: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
    },
}

/// The lock's spelling of a model type.
pub fn placeholder_spelling(ty: &PlaceholderType) -> PlaceholderSpelling {
    match (BuiltinType::of(ty), ty) {
        (Some(b), _) => PlaceholderSpelling::Builtin(spelling(b).into()),
        (None, PlaceholderType::Pattern(r)) => PlaceholderSpelling::Regex {
            regex: r.source.clone(),
            description: r.description.clone(),
        },
        (None, _) => unreachable!("every type but a user-defined one is a built-in"),
    }
}

/// A pattern's derived placeholder type name: a built-in's, or `regex`.
pub fn placeholder_type_name(ty: &PlaceholderType) -> &'static str {
    BuiltinType::of(ty).map_or("regex", spelling)
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pattern {
    pub pattern: String,
    /// The store the keys live in.
    pub store: String,
    pub description: Option<String>,
    /// Derived: the stored key's shape (`Policy::stored_shape`).
    pub key: String,
    /// Derived from `pattern`.
    pub placeholders: Vec<Placeholder>,
    pub hash_tag: Option<String>,
    #[serde(rename = "type")]
    pub value_type: String,
    pub strategy: String,
    /// `null`: never expires.
    pub ttl: Option<TtlValue>,
    pub ttl_class: Option<String>,
    /// Set when `ttl.authenticated_cap` lowered the TTL: the base the
    /// policy asked for (`ttl` is the range after the cap).
    pub ttl_capped_from_secs: Option<Secs>,
    /// Whether the TTL is `ttl.default` because the pattern names none: the
    /// staleness budget points there, not at the pattern.
    pub ttl_from_default: bool,
    pub jitter_percent: Percent,
    pub authenticated: bool,
    pub durable: bool,
    pub queue: Option<String>,
    pub refresh_when_remaining_percent: Option<Percent>,
    pub tags: Vec<String>,
    pub compress_above_bytes: Option<u64>,
    /// The pattern's own limit; `null`: `keys.max_value_size_bytes` applies.
    pub max_value_size_bytes: Option<u64>,
    pub stampede_lock: Option<StampedeLock>,
    pub app_ttl_secs: Option<ExactSecs>,
    pub max_staleness_secs: Option<ExactSecs>,
    pub cardinality: Option<u64>,
    pub value_size_bytes: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placeholder {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
}

/// An expiring TTL: the base before jitter, and the longest a client may
/// set (derived).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TtlValue {
    pub base_secs: u64,
    pub max_secs: u64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampedeLock {
    pub prefix: String,
    pub ttl_secs: Secs,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tag {
    /// The set's key with the version prefix.
    pub key: String,
    pub ttl: Option<TtlValue>,
    /// Derived: the patterns that list the tag.
    pub members: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invalidation {
    pub cascade: IndexMap<String, Vec<String>>,
    pub events: IndexMap<String, Event>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub params: Vec<String>,
    pub invalidate: Vec<String>,
    pub invalidate_tags: Vec<String>,
    pub when_changed: IndexMap<String, Vec<String>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub provider: String,
    pub zone: Option<String>,
    pub routes: IndexMap<String, Route>,
    pub credentials: Credentials,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub headers: Vec<String>,
    pub cookies: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub path: Option<String>,
    pub extensions: Vec<String>,
    pub cache: String,
    pub edge_ttl_secs: Option<Secs>,
    pub browser_ttl_secs: Option<Secs>,
    pub stale_while_revalidate_secs: Option<Secs>,
    pub stale_if_error_secs: Option<Secs>,
    pub vary: Vec<String>,
    pub authenticated: bool,
    /// The effective visibility, defaulted or not.
    pub visibility: String,
    pub immutable: bool,
    pub headers: IndexMap<String, String>,
    pub serves: Vec<String>,
    pub max_staleness_secs: Option<ExactSecs>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// `redis` or `valkey`.
    pub engine: String,
    /// `major.minor`.
    pub version: String,
    /// Every managed directive as `CONFIG GET` reports it, which is what
    /// `verify` compares a live server with.
    pub config: IndexMap<String, String>,
    pub cores: Option<u64>,
    pub cluster: Option<Cluster>,
    /// A primary with replicas, every Sentinel default filled in.
    pub replicated: Option<Replicated>,
    /// The managed service that runs the store.
    pub hosted: Option<Hosted>,
    /// The store's `access:` section with every default filled in; `null`
    /// when the policy declares none (the model's `Access::undeclared`).
    pub access: Option<Access>,
}

/// A store's access control (`model::Access`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Access {
    pub admin: UserCredential,
    pub verifier: Verifier,
    pub replication: UserCredential,
    /// `null` where the store has no Sentinels.
    pub sentinel: Option<UserCredential>,
    pub services: IndexMap<String, Service>,
    pub tls: Option<Tls>,
    pub clients_from: ClientsFrom,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserCredential {
    pub user: String,
    pub password: SecretRef,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verifier {
    pub password: SecretRef,
    /// `auto`, `allow` or `deny`.
    pub config_get: String,
}

/// Exactly one of the three is set (the others `null`), as in the policy file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRef {
    pub env: Option<String>,
    pub file: Option<String>,
    pub secret: Option<KubernetesSecret>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSecret {
    pub name: String,
    pub key: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    pub password: SecretRef,
    pub reads: Vec<String>,
    pub writes: Vec<String>,
    pub owns: Vec<String>,
    pub events: Vec<String>,
    pub scan: bool,
    pub scripting: bool,
    pub channels: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    pub port: u64,
    pub plain_port: Option<u64>,
    pub cert: SecretRef,
    pub key: SecretRef,
    pub ca: SecretRef,
    /// `required`, `optional` or `none`.
    pub client_certs: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientsFrom {
    pub cidrs: Vec<String>,
    pub kubernetes: Vec<Workload>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub namespace: Option<String>,
    pub labels: IndexMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub masters: u64,
    pub replicas_per_master: u64,
    pub node_timeout_ms: Millis,
    pub require_full_coverage: Option<bool>,
    pub kubernetes: Option<Kubernetes>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replicated {
    pub replicas: u64,
    pub min_replicas_to_write: Option<u64>,
    pub min_replicas_max_lag_secs: Option<Secs>,
    pub sentinel: Option<Sentinel>,
    /// Its Kubernetes deployment (format 6), defaults filled in as a
    /// cluster's are.
    pub kubernetes: Option<Kubernetes>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sentinel {
    pub sentinels: u64,
    pub quorum: u64,
    pub down_after_ms: Millis,
    pub failover_timeout_ms: Millis,
    pub parallel_syncs: u64,
    pub master_name: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hosted {
    /// `aws-elasticache`, `aws-memorydb`, `gcp-memorystore` or `azure`.
    pub service: String,
    pub node_type: Option<String>,
    pub replicas: Option<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kubernetes {
    pub namespace: String,
    pub name: String,
    pub image: String,
    pub memory_limit: String,
    pub cpu: Option<String>,
    pub storage: String,
    pub storage_class: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Client {
    pub max_retries_per_request: Option<u64>,
    pub retry_backoff: Option<Backoff>,
    pub cluster_retry_backoff: Option<Backoff>,
    pub connect_timeout_ms: Option<Millis>,
    pub command_timeout_ms: Option<Millis>,
    pub keepalive_ms: Option<Millis>,
    pub offline_queue: Option<bool>,
    pub ready_check: Option<bool>,
    pub reconnect_on_errors: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    pub step_ms: Millis,
    pub max_ms: Millis,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub overall_hit_ratio_percent: Option<Percent>,
    pub cdn_hit_ratio_percent: Option<Percent>,
    pub redis_hit_ratio_percent: Option<Percent>,
    pub cached_latency_us: Option<Micros>,
    pub availability_percent: Option<Percent>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarmTask {
    pub keys: Vec<String>,
    pub on_startup: bool,
    pub schedule: Option<String>,
    pub limit: Option<u64>,
    pub description: Option<String>,
}

/// Rule codes by level, in the policy's order within each level.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lint {
    pub allow: Vec<String>,
    pub warn: Vec<String>,
    pub deny: Vec<String>,
}

// Units. The lock writes plain numbers; the type says which unit the policy
// file spells them in when the lock is read back (`300` → `300s`).

/// Whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secs(pub u64);

/// Milliseconds, for the settings the policy gives in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Millis(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Micros(pub u64);

/// Seconds that may have up to six decimals (`1.5`): staleness limits and
/// in-process TTLs, which the policy allows finer than a second. Whole
/// seconds are an integer, like every other `_secs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ExactSecs(pub Number);

/// A number of percent (`99.9`), exact to the two decimals the format allows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Percent(pub Number);

/// Reads a JSON number through `deserialize_f64`, so that a reader that
/// knows the wanted type (`de`) can name it when the value is something else.
fn number<'de, D: Deserializer<'de>>(d: D, expecting: &'static str) -> Result<Number, D::Error> {
    struct Visit(&'static str);
    impl serde::de::Visitor<'_> for Visit {
        type Value = Number;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str(self.0)
        }
        fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
            Ok(v.into())
        }
        fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
            Ok(v.into())
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Number, E> {
            Number::from_f64(v).ok_or_else(|| E::custom("not a finite number"))
        }
    }
    d.deserialize_f64(Visit(expecting))
}

impl<'de> Deserialize<'de> for ExactSecs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        number(
            d,
            "a number of seconds, at least 0, with at most six decimals",
        )
        .map(ExactSecs)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        number(d, "a number (percent)").map(Percent)
    }
}

/// How the policy file spells an enumeration value; the lock writes the
/// same. A test reads every spelling back through the policy file's own
/// deserializer, so the two cannot drift apart.
pub trait Spelling: Copy {
    fn spelling(self) -> &'static str;
}

/// The policy file's spelling of `value` (`CacheAside` → `cache-aside`).
pub fn spelling<T: Spelling>(value: T) -> &'static str {
    value.spelling()
}

impl Spelling for BuiltinType {
    fn spelling(self) -> &'static str {
        match self {
            BuiltinType::Int => "int",
            BuiltinType::Uuid => "uuid",
            BuiltinType::Slug => "slug",
            BuiltinType::Token => "token",
            BuiltinType::Md5 => "md5",
            BuiltinType::Ip => "ip",
        }
    }
}

impl Spelling for ValueType {
    fn spelling(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Hash => "hash",
            ValueType::List => "list",
            ValueType::Set => "set",
            ValueType::Zset => "zset",
            ValueType::Stream => "stream",
        }
    }
}

impl Spelling for Strategy {
    fn spelling(self) -> &'static str {
        match self {
            Strategy::CacheAside => "cache-aside",
            Strategy::WriteThrough => "write-through",
            Strategy::WriteBehind => "write-behind",
            Strategy::RefreshAhead => "refresh-ahead",
            Strategy::Primary => "primary",
        }
    }
}

impl Spelling for EdgeProvider {
    fn spelling(self) -> &'static str {
        match self {
            EdgeProvider::Cloudflare => "cloudflare",
        }
    }
}

impl Spelling for CacheLevel {
    fn spelling(self) -> &'static str {
        match self {
            CacheLevel::Standard => "standard",
            CacheLevel::Aggressive => "aggressive",
            CacheLevel::Bypass => "bypass",
        }
    }
}

impl Spelling for Visibility {
    fn spelling(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }
}

/// The policy file a model comes from: the one it was read back from a lock
/// with, else `source_name` without directories. Every generated header and
/// the lock's `policy` block name it.
pub fn provenance(policy: &Policy, source_name: &str) -> Provenance {
    if let Some(p) = &policy.provenance {
        // The lock's own name would make every rebuilt file differ.
        return p.clone();
    }
    let file_name = std::path::Path::new(source_name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(source_name)
        .to_owned();
    Provenance { file_name }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    fn reads_back<T: Spelling + DeserializeOwned + PartialEq + std::fmt::Debug>(all: &[T]) {
        for &v in all {
            let back: T = serde_json::from_value(spelling(v).into()).expect("a policy spelling");
            assert_eq!(back, v);
        }
    }

    #[test]
    fn spellings_are_the_policy_files() {
        use BuiltinType as P;
        reads_back(&[P::Int, P::Uuid, P::Slug, P::Token, P::Md5, P::Ip]);
        use ValueType as V;
        reads_back(&[V::String, V::Hash, V::List, V::Set, V::Zset, V::Stream]);
        use Strategy as S;
        reads_back(&[
            S::CacheAside,
            S::WriteThrough,
            S::WriteBehind,
            S::RefreshAhead,
            S::Primary,
        ]);
        reads_back(&[EdgeProvider::Cloudflare]);
        use CacheLevel as C;
        reads_back(&[C::Standard, C::Aggressive, C::Bypass]);
        reads_back(&[Visibility::Public, Visibility::Private]);
    }
}
