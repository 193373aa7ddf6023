//! `cachegen verify` through Sentinels that lie or fall silent, played by
//! fakes (`support::fake_redis`), for what real Sentinels do not do on
//! demand: one that names the primary at the start of the run and cannot
//! be asked at its end (the report must be incomplete, never a verdict on
//! a node that may have been demoted), and one naming a primary on a host
//! verify may not contact, with Sentinels alone or beside a `--redis` seed
//! elsewhere (the data password never reaches it), and one answering what
//! no Sentinel sends (said so, not called unreachable).

mod support;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use support::bootstrapped::{MASTER, STORE};
use support::fake_redis::{Action, FakeRedis, bulk, healthy, status};
use support::replicated::shop_at_7_0;
use support::verify::{Run, verify_args};

/// shop's policy at Redis 7.0, written where verify reads it.
fn policy(root: &Path) -> PathBuf {
    let path = root.join("shop.yaml");
    std::fs::write(&path, shop_at_7_0()).unwrap();
    path
}

fn array(items: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", items.len()).into_bytes();
    for item in items {
        out.extend(bulk(item.as_bytes()));
    }
    out
}

/// The data nodes' password the runs hold, which must reach no host the
/// user did not allow, and no output.
const DATA_PASSWORD: &str = "data-secret-never-sent";

/// `cachegen verify` of the durable store through `sentinel`, JSON out,
/// with `extra` arguments (a `--redis` seed, `--allow-hosts`, the data
/// user) and `env`.
fn verify_through(
    policy: &Path,
    sentinel: &FakeRedis,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let target = format!("{STORE}={}", sentinel.addr);
    let mut args = vec!["--sentinel", target.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    verify_args(policy, &args, env, Duration::from_secs(60))
}

/// A Sentinel of the durable store as the policy declares it (quorum 2,
/// 2 others, 2 replicas), naming the primary `names(n)` says at its `n`th
/// `GET-MASTER-ADDR-BY-NAME` (`None`: it closes the connection instead).
fn fake_sentinel(names: impl Fn(u64) -> Option<String> + Send + Sync + 'static) -> FakeRedis {
    sentinel_with(names, None)
}

/// [`fake_sentinel`], answering `SENTINEL MASTER` with `master` when given.
fn sentinel_with(
    names: impl Fn(u64) -> Option<String> + Send + Sync + 'static,
    master: Option<Vec<u8>>,
) -> FakeRedis {
    let asked = AtomicU64::new(0);
    FakeRedis::start(move |args, _| {
        let sub = args.get(1).map(|s| s.to_ascii_uppercase());
        Action::Reply(match (args[0].as_str(), sub.as_deref()) {
            ("AUTH", _) => status("OK"),
            ("PING", _) => status("PONG"),
            ("INFO", _) => bulk(b"# Sentinel\r\nsentinel_tilt:0\r\n"),
            ("SENTINEL", Some("MASTER")) if master.is_some() => master.clone().unwrap(),
            ("SENTINEL", Some("MASTER")) => array(&[
                "name",
                MASTER,
                "flags",
                "master",
                "quorum",
                "2",
                "num-other-sentinels",
                "2",
                "num-slaves",
                "2",
                "config-epoch",
                "0",
            ]),
            ("SENTINEL", Some("GET-MASTER-ADDR-BY-NAME")) => {
                match names(asked.fetch_add(1, Ordering::SeqCst)) {
                    Some(primary) => {
                        let (host, port) = primary.rsplit_once(':').unwrap();
                        array(&[host, port])
                    }
                    None => return Action::Close,
                }
            }
            ("SENTINEL", Some("REPLICAS" | "SENTINELS")) => b"*0\r\n".to_vec(),
            ("SENTINEL", Some("CKQUORUM")) => status("OK 3 usable Sentinels"),
            _ => b"-ERR unknown command\r\n".to_vec(),
        })
    })
}

fn incomplete(run: &Run) -> Vec<String> {
    run.json()["incomplete"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", run.describe()))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_sentinel_silent_at_the_end_of_the_run_leaves_the_report_incomplete() {
    let root = tempfile::tempdir().unwrap();
    let policy = policy(root.path());
    let primary = FakeRedis::start(|args, _| healthy(args, false));
    let named = primary.addr.to_string();
    // It names the primary when asked at the start, and closes the
    // connection when asked again at the end: nobody confirms the primary,
    // which is not "unchanged".
    let sentinel = fake_sentinel(move |n| (n == 0).then(|| named.clone()));
    let run = verify_through(&policy, &sentinel, &[], &[]);
    assert_eq!(run.code, Some(3), "{}", run.describe());
    assert!(primary.count("INFO") > 0, "the primary was verified");
    let reasons = incomplete(&run);
    assert!(
        reasons.iter().any(|r| r.starts_with(&format!(
            "the primary could not be confirmed at the end of the run (a failover may have happened): the Sentinels named {} when it started, but {} did not confirm it (could not be asked",
            primary.addr, sentinel.addr
        ))),
        "{reasons:?}"
    );
}

#[test]
fn a_primary_named_on_a_host_verify_may_not_contact_gets_no_password() {
    let root = tempfile::tempdir().unwrap();
    let policy = policy(root.path());
    // Sentinels alone (no --redis URL): their own network is allowed, and
    // a host name no rule allows is not contacted, so the data password
    // the run holds is never sent there.
    let sentinel = fake_sentinel(|_| Some("primary.invalid:6380".into()));
    let run = verify_through(
        &policy,
        &sentinel,
        &["--user", "cachegen-verify"],
        &[("CACHEGEN_REDIS_PASSWORD", DATA_PASSWORD)],
    );
    assert_eq!(run.code, Some(3), "{}", run.describe());
    assert_eq!(
        incomplete(&run),
        [
            "the Sentinels name primary.invalid:6380 as the primary, on a host verify may not contact (see --allow-hosts); it was not verified"
        ]
    );
    assert!(run.json()["nodes"].as_array().unwrap().is_empty());
    assert!(!run.stdout.contains(DATA_PASSWORD) && !run.stderr.contains(DATA_PASSWORD));
}

#[test]
fn with_a_redis_seed_the_primary_must_be_on_its_network_not_the_sentinels() {
    let root = tempfile::tempdir().unwrap();
    let policy = policy(root.path());
    // A primary that would answer anything, on the Sentinel's network
    // (loopback) but not the --redis seed's (192.0.2.1, a public address:
    // only itself): a hostile Sentinel naming it must not get the data
    // password, so it is never contacted.
    let lure = FakeRedis::start(|args, _| healthy(args, false));
    let named = lure.addr.to_string();
    let sentinel = fake_sentinel(move |_| Some(named.clone()));
    let seed = format!("{STORE}=redis://192.0.2.1:6380");
    let data_user = ["--redis", seed.as_str(), "--user", "cachegen-verify"];
    let run = verify_through(
        &policy,
        &sentinel,
        &data_user,
        &[("CACHEGEN_REDIS_PASSWORD", DATA_PASSWORD)],
    );
    assert_eq!(run.code, Some(3), "{}", run.describe());
    assert_eq!(
        incomplete(&run),
        [format!(
            "the Sentinels name {} as the primary, on a host verify may not contact (see --allow-hosts); it was not verified",
            lure.addr
        )]
    );
    assert_eq!(lure.connections.load(Ordering::SeqCst), 0);
    assert_eq!(lure.count("AUTH"), 0);
    assert!(!run.stdout.contains(DATA_PASSWORD));
    // --allow-hosts lets it be verified: the password reaches it then.
    let allowed = [&data_user[..], &["--allow-hosts", "127.0.0.1"]].concat();
    let run = verify_through(
        &policy,
        &sentinel,
        &allowed,
        &[("CACHEGEN_REDIS_PASSWORD", DATA_PASSWORD)],
    );
    assert!(lure.count("AUTH") > 0, "{}", run.describe());
    assert_eq!(run.json()["nodes"][0]["address"], lure.addr.to_string());
}

#[test]
fn a_sentinel_answering_garbage_or_no_address_is_said_to_do_so() {
    let root = tempfile::tempdir().unwrap();
    let policy = policy(root.path());
    let run_with = |sentinel: &FakeRedis| verify_through(&policy, sentinel, &[], &[]);
    // An integer where SENTINEL MASTER sends fields: it answered, but
    // nothing a Sentinel sends; it was not unreachable.
    let garbled = sentinel_with(|_| None, Some(b":5\r\n".to_vec()));
    let run = run_with(&garbled);
    assert_eq!(run.code, Some(3), "{}", run.describe());
    assert_eq!(
        run.messages("CG450"),
        [format!(
            "Sentinel {0} answered what no Sentinel sends: {0}: SENTINEL MASTER returned an unexpected reply",
            garbled.addr
        )]
    );
    assert_eq!(
        incomplete(&run),
        ["the one Sentinel given gave no usable answer; no primary to verify"]
    );
    // A primary that is no host and port: the reply is quoted.
    let nowhere = fake_sentinel(|_| Some("no host:port".into()));
    let run = run_with(&nowhere);
    assert_eq!(run.code, Some(3), "{}", run.describe());
    assert_eq!(
        run.messages("CG450"),
        [format!(
            "Sentinel {0} answered what no Sentinel sends: {0}: GET-MASTER-ADDR-BY-NAME named `no host:port`, which is no host and port",
            nowhere.addr
        )]
    );
}
