//! `cachegen verify`: check a live Redis or Redis Cluster against a policy
//! (YAML or lock) and print the report; exit 0 conforms, 1 violations, 2
//! usage or policy error, 3 could not connect or incomplete.

use super::{GlobalArgs, print};
use cachegen::output::Format;
use cachegen::verify;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A YAML policy, or the policy.lock.json `build` writes (default: the
    /// one policies/*.yaml).
    policy: Option<PathBuf>,
    /// STORE=URL: the redis:// or rediss:// URL of any one node of that
    /// store (user and password may be in it), or the
    /// redis+sentinel://[user[:pass]@]host:port[,host:port...]/master-name
    /// of its Sentinels (rediss+sentinel:// with TLS). Repeat it for each
    /// store to verify; stores given no URL are not verified. A bare URL is
    /// the store of a one-store policy.
    #[arg(
        long,
        env = "REDIS_URL",
        hide_env_values = true,
        value_name = "[STORE=]URL",
        required_unless_present = "sentinel"
    )]
    redis: Vec<String>,
    /// A Sentinel of the store (repeat for each): verify asks them, then
    /// checks the primary they all name. STORE= may be left out when one
    /// store is meant (the one --redis names, else the one with
    /// `sentinel:`). The primary must be on the --redis URL's network when
    /// one is given, else on the Sentinels' (or --allow-hosts).
    #[arg(long, value_name = "[STORE=]HOST:PORT")]
    sentinel: Vec<String>,
    /// The master name to ask the Sentinels for (default: the store's
    /// `sentinel.master_name`).
    #[arg(long, value_name = "NAME")]
    master_name: Option<String>,
    /// The Sentinels' ACL user, when not in a redis+sentinel:// URL.
    #[arg(long, env = "CACHEGEN_SENTINEL_USER", value_name = "USER")]
    sentinel_user: Option<String>,
    /// Read the Sentinels' password from FILE (else the URL or
    /// CACHEGEN_SENTINEL_PASSWORD).
    #[arg(long, value_name = "FILE")]
    sentinel_password_file: Option<PathBuf>,
    /// ACL user, when not in the URL.
    #[arg(long, env = "CACHEGEN_REDIS_USER", value_name = "USER")]
    user: Option<String>,
    /// Read the password from FILE (else the URL, CACHEGEN_REDIS_PASSWORD or REDISCLI_AUTH).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Trust the CA certificates in this PEM file (rediss://) instead of the system's.
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
    /// Present this PEM client certificate (chain) to servers that ask for
    /// one (`tls-auth-clients yes`, the default of a policy's `access.tls`).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Check server certificates against NAME instead of each node's host.
    #[arg(long, value_name = "NAME")]
    tls_server_name: Option<String>,
    /// Hosts announced cluster nodes, replicas, or a primary named by the
    /// Sentinels may be on, besides the seed's network (the --redis URL's,
    /// else the Sentinels') (addresses, networks like 10.0.0.0/8, host
    /// names, *.domain, or *); verify contacts (and sends credentials to)
    /// no other host.
    #[arg(long, value_name = "HOSTS", value_delimiter = ',')]
    allow_hosts: Vec<String>,
    /// Keys to inspect per primary.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10_000,
        conflicts_with = "full"
    )]
    sample: u64,
    /// Inspect every key (a complete pass; pair with --rate on busy servers).
    #[arg(long)]
    full: bool,
    /// Most commands per second per node.
    #[arg(long, value_name = "OPS", value_parser = clap::value_parser!(u32).range(1..))]
    rate: Option<u32>,
    /// Connect timeout, and the longest wait for each whole reply.
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    timeout: String,
    /// The longest the whole run may take; then (or on SIGINT/SIGTERM) it
    /// stops and prints what it saw, marked incomplete (exit 3).
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    deadline: String,
    /// How long to watch the application's lookups before any key is
    /// touched: the hit ratio is of what changed in that window, so no
    /// earlier verify's reads count in it. 0s skips the hit ratio.
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    window: String,
    /// SCAN COUNT per call (at most 1000, to keep other clients' latency low).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scan_count: u32,
    /// Also read every directive (CONFIG GET *) and note the ones the policy
    /// does not set whose live value differs from the release's default
    /// (secrets are never read into the report).
    #[arg(long)]
    unmanaged: bool,
    /// For a store with TLS and no `plain_port`: the port a forgotten
    /// plain-text listener would have, probed on each node's host (any
    /// answer is a finding; refused or silent is right).
    #[arg(long, value_name = "PORT", default_value_t = 6379, value_parser = clap::value_parser!(u16).range(1..))]
    plain_port: u16,
    /// Never draw progress bars (they are drawn only on a terminal anyway).
    #[arg(long)]
    no_progress: bool,
}

pub fn run(args: Args, global: &GlobalArgs) -> Result<u8, String> {
    let path = super::single_policy(args.policy)?;
    let report = cachegen::load_policy(&path);
    let Some(policy) = super::usable_policy(&report, global)? else {
        return Ok(2);
    };
    let timeout = cachegen::load::units::parse_duration(&args.timeout)
        .map_err(|e| format!("--timeout: {e}"))?;
    if timeout.is_zero() {
        return Err("--timeout must be more than zero".into());
    }
    let deadline = cachegen::load::units::parse_duration(&args.deadline)
        .map_err(|e| format!("--deadline: {e}"))?;
    if deadline.is_zero() {
        return Err("--deadline must be more than zero".into());
    }
    let urls = stores_and_urls(policy, &args.redis)?;
    let window = cachegen::load::units::parse_duration(&args.window)
        .map_err(|e| format!("--window: {e}"))?;
    let credentials = verify::target::CredentialSources::with_env(args.user, args.password_file);
    let sentinel_credentials = verify::target::CredentialSources::for_sentinels(
        args.sentinel_user,
        args.sentinel_password_file,
    );
    let flagged = sentinel_flags(policy, &urls, &args.sentinel)?;
    let tls_for = |on: bool| -> Result<Option<verify::conn::Tls>, String> {
        if !on {
            return Ok(None);
        }
        verify::conn::Tls::new(
            args.tls_ca.as_deref(),
            args.tls_server_name.clone(),
            args.tls_cert.as_deref().zip(args.tls_key.as_deref()),
        )
        .map(Some)
    };
    // Every URL is checked before any server is contacted: a typo in the
    // second store's URL must not surface after the first store's scan.
    let mut targets = Vec::new();
    let mut stores: Vec<(String, Option<&str>)> =
        urls.iter().map(|(s, u)| (s.clone(), Some(*u))).collect();
    for (store, _) in &flagged {
        if !stores.iter().any(|(s, _)| s == store) {
            stores.push((store.clone(), None));
        }
    }
    for (store, url) in stores {
        let hosts: Vec<&str> = flagged
            .iter()
            .filter(|(s, _)| *s == store)
            .map(|(_, h)| h.as_str())
            .collect();
        let sentinel_url = url.filter(|u| verify::target::is_sentinel_url(u));
        let node_url = url.filter(|u| !verify::target::is_sentinel_url(u));
        let sentinel_target = match (sentinel_url, hosts.is_empty()) {
            (Some(_), false) => {
                return Err(format!(
                    "store `{store}` is given Sentinels twice (a redis+sentinel:// URL and --sentinel): give one"
                ));
            }
            (Some(url), true) => Some(verify::target::parse_sentinel(url, &sentinel_credentials)?),
            // Flags alone: TLS to the Sentinels as to the data nodes.
            (None, false) => Some(verify::target::sentinel_flags(
                hosts,
                node_url.is_some_and(|u| u.starts_with("rediss://")),
                &sentinel_credentials,
            )?),
            (None, true) => None,
        };
        let target = match (node_url, &sentinel_target) {
            (Some(url), _) => verify::target::parse(url, &credentials)?,
            // The data nodes' login alone; the seed is replaced by the
            // primary the Sentinels name.
            (None, Some(s)) => {
                verify::target::from_sources(s.sentinels[0].clone(), s.tls, &credentials)?
            }
            (None, None) => {
                return Err(format!(
                    "store `{store}` is given neither a URL nor Sentinels"
                ));
            }
        };
        let policy_store = policy.stores.get(&store);
        if let Some(policy_store) = policy_store {
            verify::target::refuse_plain_text_credentials(&target, policy_store)?;
        }
        let tls = tls_for(target.tls)?;
        let mut allow = verify::allow::AllowHosts::for_seed(&target.seed);
        let sentinels = match sentinel_target {
            None => None,
            Some(s) => {
                let Some(declared) = policy_store
                    .and_then(|p| p.replicated.as_ref())
                    .and_then(|r| r.sentinel.as_ref())
                else {
                    return Err(format!(
                        "store `{store}` is given Sentinels, but the policy declares none for it (no `replicated.sentinel`)"
                    ));
                };
                if let Some(policy_store) = policy_store {
                    verify::target::refuse_plain_text_credentials(
                        &s.login(&s.sentinels[0]),
                        policy_store,
                    )?;
                }
                // The primary and replicas they name get the data
                // password: with a --redis seed, only the seed's network
                // (and --allow-hosts) may be named, so a hostile Sentinel
                // cannot name a host of its own network to collect it;
                // without one, the Sentinels' networks are all the user
                // named.
                if node_url.is_none() {
                    for sentinel in &s.sentinels {
                        allow.include(verify::allow::AllowHosts::for_seed(sentinel));
                    }
                }
                let master_name = s
                    .master_name
                    .clone()
                    .or_else(|| args.master_name.clone())
                    .unwrap_or_else(|| declared.master_name.clone());
                Some(verify::sentinel::Sentinels {
                    tls: tls_for(s.tls)?,
                    target: s,
                    master_name,
                })
            }
        };
        allow.extend(&args.allow_hosts)?;
        targets.push((store, target, tls, allow, sentinels));
    }
    if (args.tls_ca.is_some() || args.tls_server_name.is_some() || args.tls_cert.is_some())
        && !targets.iter().any(|(_, t, _, _, _)| t.tls)
    {
        return Err("--tls-ca, --tls-server-name and --tls-cert need a rediss:// URL".into());
    }
    let format = global.format();
    // One deadline for the whole run, however many stores it verifies.
    let deadline =
        verify::stop::Deadline::after(std::time::Duration::from_micros(deadline.as_micros()));
    super::signals::stop_on_interrupt();
    let bars = super::progress::Bars::new(!args.no_progress && format == Format::Human);
    let mut by_store: std::collections::HashMap<String, verify::Report> = Default::default();
    // One store after another: each run is bounded by its own --rate and
    // the shared deadline, and no two scans compete for a CPU.
    for (store, target, tls, allow, sentinels) in targets {
        let options = verify::Options {
            store: store.clone(),
            target,
            tls,
            allow,
            limits: verify::conn::Limits {
                timeout: std::time::Duration::from_micros(timeout.as_micros()),
                rate: args.rate,
                deadline,
            },
            coverage: if args.full {
                verify::keyspace::Coverage::Full
            } else {
                verify::keyspace::Coverage::Sample(args.sample)
            },
            scan_count: args.scan_count,
            window: std::time::Duration::from_micros(window.as_micros()),
            unmanaged: args.unmanaged,
            plain_port: args.plain_port,
            sentinels,
        };
        by_store.insert(
            store,
            verify::run(policy, &options, &|event| bars.show(event)),
        );
    }
    let run = verify::RunReport {
        stores: policy
            .stores
            .keys()
            .map(|name| verify::StoreReport {
                store: name.clone(),
                report: by_store.remove(name),
            })
            .collect(),
    };
    print(&verify::report::render(
        format,
        &run,
        &report.source,
        global.color(),
    ))?;
    Ok(run.exit_code())
}

/// Each `--sentinel [STORE=]HOST:PORT` as (store, host:port). A bare one is
/// of the one store `--redis` names, else of the one store that declares
/// Sentinels (or the only store); anything else is a usage error.
fn sentinel_flags(
    policy: &cachegen::policy::model::Policy,
    urls: &[(String, &str)],
    args: &[String],
) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for arg in args {
        if let Some((name, host)) = arg.split_once('=') {
            if !policy.stores.contains_key(name) {
                let names: Vec<&str> = policy.stores.keys().map(String::as_str).collect();
                return Err(format!(
                    "--sentinel {name}=…: the policy has no store `{name}` (stores: {})",
                    names.join(", ")
                ));
            }
            out.push((name.to_owned(), host.to_owned()));
            continue;
        }
        let with_sentinels: Vec<&String> = policy
            .stores
            .iter()
            .filter(|(_, s)| s.replicated.as_ref().is_some_and(|r| r.sentinel.is_some()))
            .map(|(n, _)| n)
            .collect();
        let store = match (urls, with_sentinels.as_slice()) {
            ([(only, _)], _) => only.clone(),
            ([], [only]) => (*only).clone(),
            ([], []) if policy.stores.len() == 1 => {
                policy.stores.keys().next().cloned().unwrap_or_default()
            }
            _ => {
                return Err(format!(
                    "--sentinel {arg}: name the store it serves, as --sentinel STORE={arg}"
                ));
            }
        };
        out.push((store, arg.clone()));
    }
    Ok(out)
}

/// Each `--redis STORE=URL` (or a bare URL when the policy has one store),
/// in the order given; an unknown store or a store named twice is a usage
/// error.
fn stores_and_urls<'a>(
    policy: &cachegen::policy::model::Policy,
    args: &'a [String],
) -> Result<Vec<(String, &'a str)>, String> {
    let mut out: Vec<(String, &str)> = Vec::new();
    for arg in args {
        let (store, url) = store_and_url(policy, arg)?;
        if out.iter().any(|(seen, _)| *seen == store) {
            return Err(format!(
                "--redis names store `{store}` twice: give one URL per store"
            ));
        }
        out.push((store, url));
    }
    Ok(out)
}

/// `--redis STORE=URL`, or a bare URL when the policy has one store.
fn store_and_url<'a>(
    policy: &cachegen::policy::model::Policy,
    arg: &'a str,
) -> Result<(String, &'a str), String> {
    let names: Vec<&str> = policy.stores.keys().map(String::as_str).collect();
    if let Some((name, url)) = arg.split_once('=')
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        if !policy.stores.contains_key(name) {
            return Err(format!(
                "--redis {name}=…: the policy has no store `{name}` (stores: {})",
                names.join(", ")
            ));
        }
        return Ok((name.to_owned(), url));
    }
    match names.as_slice() {
        [only] => Ok(((*only).to_owned(), arg)),
        _ => Err(format!(
            "the policy has {} stores: name the one this URL reaches, as --redis STORE=URL (stores: {})",
            names.len(),
            names.join(", ")
        )),
    }
}
