//! Owns the shell the Kubernetes pods and the create Job run: the readiness
//! and liveness probes and the cluster create script, rendered from their
//! own templates with the operator's credentials and the TLS options, and
//! checked as YAML literal blocks for the manifest to embed.

use super::access::{AdminAuth, ClientConn, Credentials};
use super::yaml::{comment_text, literal_block};
use super::{HEALTH_TIMEOUT_SECS, START_TIMEOUT_SECS};
use crate::render::credentials::sh_quote;
use crate::render::{RenderError, Renderer};
use serde::Serialize;

/// What the scripts are about: the cluster and how to reach a node.
pub(super) struct Inputs<'a> {
    pub cli: &'static str,
    pub credentials: &'a Credentials,
    pub conn: &'a ClientConn,
    pub masters: u64,
    pub replicas_per_master: u64,
    pub nodes: u64,
    /// Every node's `host:port`, in pod order.
    pub addrs: &'a [String],
    /// Whether nodes announce host names (else the Job resolves pod IPs).
    pub hostnames: bool,
}

/// The scripts as literal blocks, and whether they read the operator's
/// password from a file (else from a Secret in the environment).
pub(super) struct Scripts {
    pub readiness: String,
    pub liveness: String,
    pub create: String,
    pub admin_file: bool,
}

pub(super) fn render(r: &Renderer<'_>, i: &Inputs<'_>) -> Result<Scripts, RenderError> {
    // What the scripts need to authenticate as the operator.
    let user = sh_quote(&i.credentials.admin_user);
    let admin_file = match &i.credentials.admin {
        AdminAuth::File(path) => Some(sh_quote(path)),
        AdminAuth::Secret(_) => None,
    };
    // `--tls …` words, each followed by a space (or nothing): options as
    // they are, paths quoted.
    let tls: String = i
        .conn
        .tls_args
        .iter()
        .map(|a| match a.starts_with("--") {
            true => format!("{a} "),
            false => format!("{} ", sh_quote(a)),
        })
        .collect();
    #[derive(Serialize)]
    struct Probe<'a> {
        port: u16,
        cli: &'static str,
        user: &'a str,
        admin_file: &'a Option<String>,
        tls: &'a str,
    }
    let readiness = literal_block(
        &r.render(
            "kubernetes/readiness.sh.j2",
            None,
            &Probe {
                port: i.conn.port,
                cli: i.cli,
                user: &user,
                admin_file: &admin_file,
                tls: &tls,
            },
        )?,
        "the readiness probe (kubernetes/readiness.sh.j2)",
    )?;
    let liveness = literal_block(
        &r.render(
            "kubernetes/liveness.sh.j2",
            None,
            &Probe {
                port: i.conn.port,
                cli: i.cli,
                user: &user,
                admin_file: &admin_file,
                tls: &tls,
            },
        )?,
        "the liveness probe (kubernetes/liveness.sh.j2)",
    )?;

    #[derive(Serialize)]
    struct Create<'a> {
        cli: &'static str,
        user: &'a str,
        user_text: String,
        admin_file: &'a Option<String>,
        tls: &'a str,
        masters: u64,
        replicas_per_master: u64,
        replicas: u64,
        nodes: u64,
        addrs: &'a [String],
        resolve: bool,
        start_timeout: u32,
        health_timeout: u32,
    }
    let create_script = literal_block(
        &r.render(
            "kubernetes/create-cluster.sh.j2",
            None,
            &Create {
                cli: i.cli,
                user: &user,
                user_text: comment_text(&i.credentials.admin_user),
                admin_file: &admin_file,
                tls: &tls,
                masters: i.masters,
                replicas_per_master: i.replicas_per_master,
                replicas: i.masters * i.replicas_per_master,
                nodes: i.nodes,
                addrs: i.addrs,
                resolve: !i.hostnames,
                start_timeout: START_TIMEOUT_SECS,
                health_timeout: HEALTH_TIMEOUT_SECS,
            },
        )?,
        "the create script (kubernetes/create-cluster.sh.j2)",
    )?;
    Ok(Scripts {
        readiness,
        liveness,
        create: create_script,
        admin_file: admin_file.is_some(),
    })
}
