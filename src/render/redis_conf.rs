//! Owns the redis.conf target: the policy's Redis settings as directives for
//! the target server version, each with the policy field it comes from.
//!
//! Values are rendered from typed model values (bytes, seconds, enums), never
//! from user text, so nothing a policy says can inject a directive.

use super::{OutputFile, RenderError, Renderer};
use crate::policy::model::{Policy, Store};
use crate::redis_directives::{Availability, availability};
use serde::Serialize;

// The mapping lives in `redis_directives`, shared with lint and verify.
pub use crate::redis_directives::{Directive, eviction_policy_name, managed_directives};

pub const TEMPLATES: &[(&str, &str)] = &[(
    "redis/redis.conf.j2",
    include_str!("../../templates/redis/redis.conf.j2"),
)];

pub fn render(
    _policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    let mut context = context(store);
    let mut files = vec![OutputFile {
        path: "redis.conf".into(),
        contents: r.render("redis/redis.conf.j2", Some("#"), &context)?,
    }];
    if store.replicated.is_some() {
        // The replicas run the primary's settings (a promoted replica keeps
        // enforcing them) plus the one line that makes them replicas.
        context.replicaof = Some(ReplicaOf {
            host: PRIMARY_HOST.to_owned(),
            port: PRIMARY_PORT,
        });
        files.push(OutputFile {
            path: "replica.conf".into(),
            contents: r.render("redis/redis.conf.j2", Some("#"), &context)?,
        });
    }
    Ok(files)
}

/// Where replica.conf and sentinel.conf find the primary until the
/// deployment says otherwise: redis.conf sets no `port`, so a primary runs
/// on Redis's default port, here on the loopback interface. A replica or
/// Sentinel on another machine names the primary's address instead (the
/// loopback bootstrap writes its own ports).
pub const PRIMARY_HOST: &str = "127.0.0.1";
pub const PRIMARY_PORT: u16 = 6379;

/// The primary a replica's `replicaof` names.
#[derive(Debug, Serialize)]
pub struct ReplicaOf {
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub name: &'static str,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct Context {
    pub version: String,
    pub directives: Vec<Directive>,
    pub skipped: Vec<Skipped>,
    /// Where the installed credentials are (`aclfile`, `include`).
    pub credentials_dir: String,
    /// Access control lines for `credentials_dir` (`access::conf_lines`).
    pub access: Vec<super::access::ConfLine>,
    /// Set for a replicated store's replica.conf.
    pub replicaof: Option<ReplicaOf>,
    /// Set for a replicated store: where its data nodes run from (Sentinel's
    /// `CONFIG REWRITE` at a failover writes `masterauth` into the file).
    pub working_dir: Option<String>,
}

/// The store's redis.conf context with its credentials in the default
/// directory (`access::default_credentials_dir`).
pub fn context(store: &Store) -> Context {
    context_in(store, &super::access::default_credentials_dir(store))
}

/// The store's redis.conf context with its credentials installed in
/// `credentials_dir` (the loopback scripts and Kubernetes use their own).
pub fn context_in(store: &Store, credentials_dir: &str) -> Context {
    let version = store.redis.version;
    let mut directives = Vec::new();
    let mut skipped = Vec::new();
    for d in managed_directives(store) {
        let reason = match availability(store.engine, d.name, version) {
            Availability::Supported => {
                directives.push(d);
                continue;
            }
            Availability::Since((major, minor)) => format!("added in Redis {major}.{minor}"),
            Availability::IgnoredSince((major, minor)) => {
                format!("ignored since Redis {major}.{minor}")
            }
        };
        skipped.push(Skipped {
            name: d.name,
            reason,
        });
    }
    Context {
        version: format!("{}.{}", version.0, version.1),
        directives,
        skipped,
        credentials_dir: credentials_dir.to_owned(),
        access: super::access::conf_lines(store, credentials_dir),
        replicaof: None,
        working_dir: store
            .replicated
            .is_some()
            .then(|| credentials_dir.to_owned()),
    }
}
