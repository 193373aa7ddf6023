//! `cachegen verify` against fake servers that say they are Redis 7.2 or
//! Valkey 8.0.1 (neither is installed here): the engine and release come
//! from `INFO server`'s `server_name`/`valkey_version`, `CLIENT NO-TOUCH ON`
//! is sent before the first key is read only where the server has it, a
//! refusal is reported and not fatal, and the hit-ratio window notes a
//! counter reset instead of a ratio.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::fake_redis::{Action, FakeRedis, bulk, healthy, scan_reply, status};
use support::verify::verify;

fn single_policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/single.yaml")
}

/// `INFO` of a single node with this `# Server` section and these
/// lifetime lookups.
fn info(server: &str, hits: u64, misses: u64) -> Vec<u8> {
    bulk(
        format!(
            "# Server\r\n{server}redis_mode:standalone\r\n# Replication\r\nrole:master\r\n\
             # Stats\r\nkeyspace_hits:{hits}\r\nkeyspace_misses:{misses}\r\nevicted_keys:0\r\n\
             # Cluster\r\ncluster_enabled:0\r\n"
        )
        .as_bytes(),
    )
}

const VALKEY_801: &str = "redis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\n";
const REDIS_726: &str = "redis_version:7.2.6\r\n";
const REDIS_7015: &str = "redis_version:7.0.15\r\n";

/// A fake with one key, recording every command it is sent (name and
/// first argument). `no_touch` answers `CLIENT NO-TOUCH`.
fn recording(server: &'static str, no_touch: &'static str) -> (FakeRedis, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let fake = FakeRedis::start(move |args, _| {
        log.lock()
            .unwrap()
            .push(args.iter().take(2).cloned().collect::<Vec<_>>().join(" "));
        match (args[0].as_str(), args.get(1).map(String::as_str)) {
            ("INFO", _) => Action::Reply(info(server, 10, 10)),
            ("CLIENT", Some("NO-TOUCH")) => Action::Reply(no_touch.as_bytes().to_vec()),
            ("DBSIZE", _) => Action::Reply(b":1\r\n".to_vec()),
            ("SCAN", _) => Action::Reply(scan_reply("0", &["v3:jobs"])),
            ("TYPE", _) => Action::Reply(status("list")),
            _ => healthy(args, false),
        }
    });
    (fake, seen)
}

#[test]
fn valkey_is_named_from_server_name_and_reads_without_touching() {
    let (fake, seen) = recording(VALKEY_801, "+OK\r\n");
    let run = verify(
        &single_policy(),
        &fake.url(),
        &["--format", "json", "--full"],
        Duration::from_secs(60),
    );
    let report = run.json();
    assert_eq!(report["server"]["engine"], "valkey", "{}", run.stdout);
    assert_eq!(report["server"]["version"], "8.0.1");
    assert_eq!(report["server"]["redis_compat"], "7.2");
    assert_eq!(report["nodes"][0]["no_touch"], "on");
    let seen = seen.lock().unwrap().clone();
    let no_touch = seen
        .iter()
        .position(|c| c == "CLIENT NO-TOUCH")
        .expect("NO-TOUCH sent");
    let first_key = seen
        .iter()
        .position(|c| c.starts_with("SCAN"))
        .expect("a scan");
    assert!(no_touch < first_key, "{seen:?}");
    let human = verify(
        &single_policy(),
        &fake.url(),
        &["--full"],
        Duration::from_secs(60),
    );
    assert!(
        human.stdout.contains(": server valkey 8.0.1, single node,"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("reads: CLIENT NO-TOUCH on every scanned node"),
        "{}",
        human.stdout
    );
}

#[test]
fn no_touch_is_sent_from_redis_7_2_and_never_to_7_0() {
    let (fake, seen) = recording(REDIS_726, "+OK\r\n");
    let run = verify(
        &single_policy(),
        &fake.url(),
        &["--format", "json"],
        Duration::from_secs(60),
    );
    assert_eq!(run.json()["nodes"][0]["no_touch"], "on", "{}", run.stdout);
    assert!(seen.lock().unwrap().iter().any(|c| c == "CLIENT NO-TOUCH"));

    let (fake, seen) = recording(REDIS_7015, "-ERR unknown subcommand 'NO-TOUCH'\r\n");
    let run = verify(&single_policy(), &fake.url(), &[], Duration::from_secs(60));
    assert!(
        !seen.lock().unwrap().iter().any(|c| c == "CLIENT NO-TOUCH"),
        "not tried blindly on 7.0"
    );
    assert!(
        run.stdout.contains(": server redis 7.0.15,"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("without CLIENT NO-TOUCH (redis 7.0.15), which Redis has from 7.2"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_refused_no_touch_is_reported_and_the_scan_still_runs() {
    let (fake, _) = recording(
        REDIS_726,
        "-NOPERM this user has no permissions to run the 'client|no-touch' command\r\n",
    );
    let run = verify(
        &single_policy(),
        &fake.url(),
        &["--format", "json"],
        Duration::from_secs(60),
    );
    let report = run.json();
    assert_eq!(report["complete"], true, "{}", run.stdout);
    assert_eq!(report["nodes"][0]["no_touch"], "refused");
    assert_eq!(report["keyspace"]["inspected"], 1);
    let human = verify(&single_policy(), &fake.url(), &[], Duration::from_secs(60));
    assert!(
        human.stdout.contains("refused CLIENT NO-TOUCH (NOPERM"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("grant +client|no-touch"),
        "{}",
        human.stdout
    );
}

#[test]
fn counters_that_go_back_in_the_window_give_a_note_not_a_ratio() {
    // The first INFO stats reads 10000/10000 (lifetime, with an earlier
    // run's hits), later ones 5/3: CONFIG RESETSTAT in between.
    let calls = Arc::new(AtomicU64::new(0));
    let fake = FakeRedis::start(move |args, _| match args[0].as_str() {
        "INFO" if args.get(1).map(String::as_str) == Some("stats") => {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            Action::Reply(if n < 2 {
                info(REDIS_7015, 10_000, 10_000)
            } else {
                info(REDIS_7015, 5, 3)
            })
        }
        "INFO" => Action::Reply(info(REDIS_7015, 10_000, 10_000)),
        _ => healthy(args, false),
    });
    let run = verify(
        &single_policy(),
        &fake.url(),
        &["--format", "json", "--window", "200ms"],
        Duration::from_secs(60),
    );
    let report = run.json();
    let window = &report["runtime"]["window"];
    assert_eq!(window["state"], "reset", "{window}");
    assert!(report["runtime"]["hit_ratio"].is_null());
    let notes = run.findings("CG431");
    assert!(
        notes[0]["message"]
            .as_str()
            .unwrap()
            .contains("the counters went back during the window"),
        "{notes:?}"
    );
    assert!(run.findings("CG430").is_empty());
}
