//! Owns the local replicated target (`replicated/`, only for a self-hosted
//! store with `replicated:`): the POSIX sh scripts that start the store's
//! primary, replicas and Sentinels on one machine (loopback: VMs, CI, tests)
//! from the generated `redis.conf`, `replica.conf` and the installer's
//! Sentinel working copy, wait until they are healthy, and stop them.
//!
//! The shape (replicas, Sentinels, master name, quorum) is the policy's and
//! is fixed here; the scripts only add port numbers and directories at run
//! time. Every node runs from its own working copy in DATA_DIR (mode 700):
//! CONFIG REWRITE and Sentinel write logins into them in clear text.

use super::cluster::{AdminSource, admin_source};
use super::{OutputFile, Programs, RenderError, Renderer};
use crate::policy::model::{Policy, Store};
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "replicated/bootstrap.sh.j2",
        include_str!("../../templates/replicated/bootstrap.sh.j2"),
    ),
    (
        "replicated/stop.sh.j2",
        include_str!("../../templates/replicated/stop.sh.j2"),
    ),
    // Included by both scripts: settings, helpers, the port lists.
    (
        "replicated/common.sh.j2",
        include_str!("../../templates/replicated/common.sh.j2"),
    ),
];

#[derive(Debug, Serialize)]
struct Context {
    store: String,
    /// Replicas of the primary.
    replicas: u32,
    /// Data nodes: the primary and its replicas (u64: no policy overflows it).
    nodes: u64,
    /// Sentinels (0: the store declares none).
    sentinels: u32,
    /// `sentinels - 1`: how many others each Sentinel must know.
    other_sentinels: u32,
    /// The Sentinels' name for the primary (checked by lower: one safe word).
    master: String,
    quorum: u32,
    /// The Sentinels' login (a lowercase label: safe in sh), whose `ACL
    /// LOG` refusals the health check reports; empty without Sentinels.
    sentinel_user: String,
    server: &'static str,
    cli: &'static str,
    package: &'static str,
    admin: AdminSource,
}

pub fn render(
    _policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    // A managed service runs its own nodes: nothing to start here.
    let Some(replicated) = store.replicated.as_ref().filter(|_| store.hosted.is_none()) else {
        return Ok(Vec::new());
    };
    let sentinel = replicated.sentinel.as_ref();
    let sentinels = sentinel.map_or(0, |s| s.sentinels);
    let programs = Programs::of(store.engine);
    let context = Context {
        store: store.name.clone(),
        replicas: replicated.replicas,
        nodes: 1 + u64::from(replicated.replicas),
        sentinels,
        other_sentinels: sentinels.saturating_sub(1),
        master: sentinel.map_or_else(String::new, |s| s.master_name.clone()),
        quorum: sentinel.map_or(0, |s| s.quorum),
        sentinel_user: (store.access.sentinel.as_ref())
            .map_or_else(String::new, |s| s.user.clone()),
        server: programs.server,
        cli: programs.cli,
        package: programs.package,
        admin: admin_source(&store.access),
    };
    let mut files = Vec::new();
    for (path, template) in [
        ("replicated/bootstrap.sh", "replicated/bootstrap.sh.j2"),
        ("replicated/stop.sh", "replicated/stop.sh.j2"),
    ] {
        files.push(OutputFile {
            path: path.into(),
            contents: r.render(template, Some("#"), &context)?,
        });
    }
    Ok(files)
}
