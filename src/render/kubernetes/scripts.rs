//! Owns the shell the Kubernetes pods and the create Job run: the readiness
//! and liveness probes, the cluster create script and a replicated store's
//! start scripts, rendered from their own templates with the operator's
//! credentials and the TLS options, and checked as YAML literal blocks for
//! the manifest to embed.

use super::access::{AdminAuth, CREDENTIALS_DIR, ClientConn, Credentials};
use super::yaml::{comment_text, literal_block};
use super::{CONFIG_DIR, DATA_DIR, HEALTH_TIMEOUT_SECS, START_TIMEOUT_SECS};
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

/// The scripts as literal blocks.
pub(super) struct Scripts {
    pub readiness: String,
    pub liveness: String,
    pub create: String,
}

/// A probe's context: PING (and more) as the operator on `port`.
#[derive(Serialize)]
struct Probe<'a> {
    port: u16,
    cli: &'static str,
    user: &'a str,
    admin_file: &'a Option<String>,
    tls: &'a str,
    /// A cluster node (readiness also checks the cluster's state).
    cluster: bool,
}

impl Probe<'_> {
    /// `kind` is `readiness` or `liveness`.
    fn render(&self, r: &Renderer<'_>, kind: &str) -> Result<String, RenderError> {
        let template = format!("kubernetes/{kind}.sh.j2");
        literal_block(
            &r.render(&template, None, self)?,
            &format!("the {kind} probe ({template})"),
        )
    }
}

/// What the scripts need to authenticate as the operator: the user and,
/// for a `{file}` password, the file, both shell-quoted.
fn operator(credentials: &Credentials) -> (String, Option<String>) {
    let admin_file = match &credentials.admin {
        AdminAuth::File(path) => Some(sh_quote(path)),
        AdminAuth::Secret(_) => None,
    };
    (sh_quote(&credentials.admin_user), admin_file)
}

pub(super) fn render(r: &Renderer<'_>, i: &Inputs<'_>) -> Result<Scripts, RenderError> {
    let (user, admin_file) = operator(i.credentials);
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
    let probe = Probe {
        port: i.conn.port,
        cli: i.cli,
        user: &user,
        admin_file: &admin_file,
        tls: &tls,
        cluster: true,
    };
    let readiness = probe.render(r, "readiness")?;
    let liveness = probe.render(r, "liveness")?;

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
    })
}

/// What a replicated store's scripts are about: the pods' addresses, which
/// the scripts take as defaults of variables they read.
pub(super) struct ReplicatedInputs<'a> {
    pub server: &'static str,
    pub cli: &'static str,
    pub credentials: &'a Credentials,
    /// The Sentinels' name for the primary (checked by lower: one word).
    pub master: &'a str,
    pub quorum: u32,
    /// Pod 0's DNS name: the first primary.
    pub first_primary: &'a str,
    /// The Sentinel Service's DNS name.
    pub sentinel_host: &'a str,
    /// `.<headless service>.<namespace>.svc.<domain>` of the data pods and
    /// of the Sentinels: a pod's name plus this is its DNS name.
    pub data_suffix: &'a str,
    pub sentinel_suffix: &'a str,
    pub port: u16,
    pub sentinel_port: u16,
    /// The config files in the ConfigMap, and the working copies' names.
    pub primary_conf: &'a str,
    pub replica_conf: &'a str,
    pub data_working_conf: &'a str,
    pub sentinel_working_conf: &'a str,
}

/// A replicated store's scripts, as literal blocks.
pub(super) struct ReplicatedScripts {
    pub readiness: String,
    pub liveness: String,
    /// The Sentinels' readiness (`SENTINEL CKQUORUM` OK) and liveness
    /// (PING).
    pub sentinel_readiness: String,
    pub sentinel_liveness: String,
    pub start_redis: String,
    pub start_sentinel: String,
}

/// How long a starting Sentinel waits for the primary to answer, in
/// seconds: then start-sentinel.sh exits and the container restarts (the
/// Sentinel's startupProbe outlasts this wait, so liveness never kills it
/// meanwhile).
pub(super) const PRIMARY_WAIT_SECS: u32 = 300;

pub(super) fn replicated(
    r: &Renderer<'_>,
    i: &ReplicatedInputs<'_>,
) -> Result<ReplicatedScripts, RenderError> {
    let (user, admin_file) = operator(i.credentials);
    let probe = |port: u16| Probe {
        port,
        cli: i.cli,
        user: &user,
        admin_file: &admin_file,
        tls: "",
        cluster: false,
    };
    #[derive(Serialize)]
    struct Start<'a> {
        server: &'static str,
        cli: &'static str,
        user: &'a str,
        admin_file: &'a Option<String>,
        master: &'a str,
        quorum: u32,
        own_port: u16,
        port: u16,
        announce_suffix: &'a str,
        first_primary_host: &'a str,
        sentinel_host: &'a str,
        sentinel_port: u16,
        work_dir: &'static str,
        config_dir: &'static str,
        data_dir: &'static str,
        primary_conf: &'a str,
        replica_conf: &'a str,
        working_conf: &'a str,
        primary_wait: u32,
    }
    let start = |own_port: u16, announce_suffix, working_conf| Start {
        server: i.server,
        cli: i.cli,
        user: &user,
        admin_file: &admin_file,
        master: i.master,
        quorum: i.quorum,
        own_port,
        port: i.port,
        announce_suffix,
        first_primary_host: i.first_primary,
        sentinel_host: i.sentinel_host,
        sentinel_port: i.sentinel_port,
        work_dir: CREDENTIALS_DIR,
        config_dir: CONFIG_DIR,
        data_dir: DATA_DIR,
        primary_conf: i.primary_conf,
        replica_conf: i.replica_conf,
        working_conf,
        primary_wait: PRIMARY_WAIT_SECS,
    };
    let script = |template: &str, context: &Start<'_>| -> Result<String, RenderError> {
        literal_block(
            &r.render(template, None, context)?,
            &format!("the start script ({template})"),
        )
    };
    #[derive(Serialize)]
    struct SentinelProbe<'a> {
        port: u16,
        cli: &'static str,
        user: &'a str,
        admin_file: &'a Option<String>,
        master: String,
        master_text: String,
        ready: bool,
    }
    let sentinel_probe = |ready: bool| -> Result<String, RenderError> {
        let template = "kubernetes/sentinel-probe.sh.j2";
        let context = SentinelProbe {
            port: i.sentinel_port,
            cli: i.cli,
            user: &user,
            admin_file: &admin_file,
            master: sh_quote(i.master),
            master_text: comment_text(i.master),
            ready,
        };
        literal_block(
            &r.render(template, None, &context)?,
            &format!("the Sentinel probe ({template})"),
        )
    };
    Ok(ReplicatedScripts {
        readiness: probe(i.port).render(r, "readiness")?,
        liveness: probe(i.port).render(r, "liveness")?,
        sentinel_readiness: sentinel_probe(true)?,
        sentinel_liveness: sentinel_probe(false)?,
        start_redis: script(
            "kubernetes/start-redis.sh.j2",
            &start(i.port, i.data_suffix, i.data_working_conf),
        )?,
        start_sentinel: script(
            "kubernetes/start-sentinel.sh.j2",
            &start(i.sentinel_port, i.sentinel_suffix, i.sentinel_working_conf),
        )?,
    })
}
