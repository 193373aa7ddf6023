//! Owns the proofs that `cachegen verify` stays bounded against broken or
//! hostile servers (issue 16): each scenario is played by the fake server of
//! `support::fake_redis`, and each test asserts the exit code, a bounded
//! wall time (and peak memory where memory is the attack), and that the
//! report names what was seen.

mod support;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use support::fake_redis::{Action, FakeRedis, bulk, healthy, node_line, scan_reply};
use support::verify::{Run, verify};

/// quizmentor, whose `cache` store is the cluster these tests fake (URLs
/// name it: the policy has a second, durable store).
fn cluster_policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/quizmentor.yaml")
}

fn describe(run: &Run) -> String {
    let cut = |s: &str| s.chars().take(4000).collect::<String>();
    format!(
        "exit {:?} after {:?}, peak {:?} KiB\nstdout:\n{}\nstderr:\n{}",
        run.code,
        run.took,
        run.peak_rss_kib,
        cut(&run.stdout),
        cut(&run.stderr)
    )
}

/// Exit 3 (incomplete) within `most`, with JSON saying so.
fn assert_incomplete(run: &Run, most: Duration) -> serde_json::Value {
    assert_eq!(run.code, Some(3), "{}", describe(run));
    assert!(run.took < most, "took {:?}: {}", run.took, describe(run));
    let report = run.json();
    assert_eq!(report["complete"], false, "{}", describe(run));
    report
}

fn reasons(report: &serde_json::Value) -> String {
    report["incomplete"].to_string()
}

/// A cluster seed on 127.0.0.1 whose `CLUSTER NODES` is `nodes(own port)`.
fn cluster_seed(nodes: impl Fn(u16) -> String + Send + Sync + 'static) -> FakeRedis {
    let port = Arc::new(std::sync::OnceLock::<u16>::new());
    let seen = port.clone();
    let seed = FakeRedis::start(move |args, _| match args[0].as_str() {
        "CLUSTER" => Action::Reply(bulk(nodes(*seen.get().unwrap_or(&0)).as_bytes())),
        _ => healthy(args, true),
    });
    port.set(seed.port).unwrap();
    seed
}

/// This machine's address on its default route, when it has one that is not
/// loopback: a host a loopback seed does not allow.
fn non_loopback_ip() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("198.51.100.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

// ---- item 9: credentials only to allowed hosts ---------------------------

#[test]
fn announced_nodes_outside_the_seeds_network_get_no_connection_and_no_password() {
    // A listener on this machine's own non-loopback address proves no
    // connection is even attempted; without such an address (a sandbox with
    // no network) the names nobody gave are still checked.
    let outsider = non_loopback_ip()
        .map(|ip| FakeRedis::start_on(ip, Arc::new(|args: &[String], _| healthy(args, true))));
    if outsider.is_none() {
        eprintln!("no non-loopback address: checking announced names only");
    }
    let outsider_addr = outsider.as_ref().map(|o| o.addr.to_string());
    let announced = outsider_addr.clone();
    let seed = cluster_seed(move |port| {
        let mut text = node_line("a", &format!("127.0.0.1:{port}"), true, "0-8191");
        if let Some(addr) = &announced {
            text += &node_line("b", addr, false, "8192-16383");
        }
        // Names nobody gave: a documentation range and a DNS name.
        text += &node_line("c", "198.51.100.7:6379", false, "");
        text += &node_line("d", "collector.invalid:6379", false, "8192-16383");
        text
    });
    let url = format!(
        "cache=redis://cachegen-verify:hunter2@127.0.0.1:{}",
        seed.port
    );
    let run = verify(
        &cluster_policy(),
        &url,
        &["--format", "json", "--timeout", "2s"],
        Duration::from_secs(30),
    );
    let report = assert_incomplete(&run, Duration::from_secs(10));
    if let Some(outsider) = &outsider {
        assert_eq!(
            outsider
                .connections
                .load(std::sync::atomic::Ordering::Relaxed),
            0
        );
    }
    assert!(seed.count("AUTH") >= 1, "the seed itself is authenticated");
    let found = run.findings("CG417");
    assert_eq!(found.len(), 1, "{}", describe(&run));
    let message = found[0]["message"].as_str().unwrap();
    let mut named = vec![
        "198.51.100.7:6379".to_owned(),
        "collector.invalid:6379".to_owned(),
    ];
    named.extend(outsider_addr.clone());
    for name in &named {
        assert!(message.contains(name.as_str()), "{message}");
    }
    assert!(reasons(&report).contains("--allow-hosts"), "{report}");
    assert!(!run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"));

    // Allowing its host is what makes verify contact it (and authenticate).
    let (Some(outsider), Some(outsider_addr)) = (&outsider, &outsider_addr) else {
        return;
    };
    let run = verify(
        &cluster_policy(),
        &url,
        &[
            "--format",
            "json",
            "--timeout",
            "2s",
            "--allow-hosts",
            &outsider.addr.ip().to_string(),
        ],
        Duration::from_secs(30),
    );
    assert!(run.findings("CG417").iter().all(|f| {
        !f["message"]
            .as_str()
            .unwrap()
            .contains(outsider_addr.as_str())
    }));
    assert!(outsider.count("AUTH") >= 1, "{}", describe(&run));
}

// ---- item 3: node lists de-duplicated and capped --------------------------

#[test]
fn one_address_listed_ten_thousand_times_is_contacted_once() {
    let other = FakeRedis::start(|args, _| healthy(args, true));
    let other_addr = format!("127.0.0.1:{}", other.port);
    let seed = cluster_seed(move |port| {
        let mut text = node_line("a", &format!("127.0.0.1:{port}"), true, "0-8191");
        for i in 0..10_000 {
            text += &node_line(&format!("n{i}"), &other_addr, false, "8192-16383");
        }
        text
    });
    let run = verify(
        &cluster_policy(),
        &format!("cache=redis://127.0.0.1:{}", seed.port),
        &["--format", "json", "--timeout", "2s"],
        Duration::from_secs(60),
    );
    assert!(run.took < Duration::from_secs(20), "{}", describe(&run));
    // Once: verify's own connection, and the access probe's (a second
    // connection that sends only PING, without credentials).
    assert_eq!(
        other.connections.load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    assert_eq!(other.count("PING"), 2);
    let found = run.findings("CG418");
    assert_eq!(found.len(), 1, "{}", describe(&run));
    assert!(
        found[0]["message"].as_str().unwrap().contains("9999 times"),
        "{found:?}"
    );
    assert!(
        run.stdout.len() < 1_000_000,
        "report of {} bytes",
        run.stdout.len()
    );
    let peak = run.peak_rss_kib.expect("peak RSS measured");
    eprintln!("peak RSS {peak} KiB");
    assert!(peak < 200 * 1024, "peak RSS {peak} KiB: {}", describe(&run));
}

/// A server that calls a second node `myself`: only the seed's own line
/// reuses the seed's connection; the other is contacted like any announced
/// node (it was left with no connection and no reason, and its slots were
/// never scanned while the run could still pass).
#[test]
fn a_second_myself_line_is_contacted_not_dropped() {
    let other = FakeRedis::start(|args, _| healthy(args, true));
    let other_addr = format!("127.0.0.1:{}", other.port);
    let announced = other_addr.clone();
    let seed = cluster_seed(move |port| {
        node_line("a", &format!("127.0.0.1:{port}"), true, "0-8191")
            + &node_line("b", &announced, true, "8192-16383")
    });
    let run = verify(
        &cluster_policy(),
        &format!("cache=redis://127.0.0.1:{}", seed.port),
        &["--format", "json", "--timeout", "2s"],
        Duration::from_secs(60),
    );
    assert!(run.took < Duration::from_secs(20), "{}", describe(&run));
    assert!(
        other.connections.load(std::sync::atomic::Ordering::Relaxed) >= 1,
        "the second `myself` node was never contacted: {}",
        describe(&run)
    );
    let report = run.json();
    let nodes = report["nodes"].as_array().cloned().unwrap_or_default();
    let second = nodes
        .iter()
        .find(|n| n["address"] == other_addr.as_str())
        .unwrap_or_else(|| panic!("no node {other_addr}: {}", describe(&run)));
    assert!(second["error"].is_null(), "{second}");
}

#[test]
fn more_nodes_than_a_cluster_holds_are_cut_and_silent_ones_cost_one_timeout() {
    // 40 distinct silent nodes (they accept, then never answer): one after
    // another they would cost 40 timeouts.
    let silent: Vec<FakeRedis> = (0..40)
        .map(|_| FakeRedis::start(|_, _| Action::Hang))
        .collect();
    let ports: Vec<u16> = silent.iter().map(|s| s.port).collect();
    let seed = cluster_seed(move |port| {
        let mut text = node_line("a", &format!("127.0.0.1:{port}"), true, "0-16383");
        for (i, p) in ports.iter().enumerate() {
            text += &node_line(&format!("s{i}"), &format!("127.0.0.1:{p}"), false, "");
        }
        // Beyond any real cluster: never contacted (nothing listens there).
        for i in 0..1_500 {
            text += &node_line(
                &format!("x{i}"),
                &format!("127.0.0.{}:{}", 2 + i / 60000, 1 + i),
                false,
                "",
            );
        }
        text
    });
    let run = verify(
        &cluster_policy(),
        &format!("cache=redis://127.0.0.1:{}", seed.port),
        &["--format", "json", "--timeout", "1s"],
        Duration::from_secs(60),
    );
    let report = assert_incomplete(&run, Duration::from_secs(15));
    assert!(reasons(&report).contains("only the first 1000"), "{report}");
    assert_eq!(run.findings("CG418").len(), 1, "{}", describe(&run));
    assert!(
        reasons(&report).contains(&format!("127.0.0.1:{}", silent[0].port)),
        "{report}"
    );
}

// ---- item 1: SCAN progress guarantees -------------------------------------

fn single_policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/single.yaml")
}

/// A single node whose SCAN is `scan(call number)`; everything else healthy.
fn scanning(scan: impl Fn(u64) -> Vec<u8> + Send + Sync + 'static) -> FakeRedis {
    let calls = Arc::new(std::sync::atomic::AtomicU64::new(0));
    FakeRedis::start(move |args, _| match args[0].as_str() {
        "SCAN" => Action::Reply(scan(
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        )),
        "DBSIZE" => Action::Reply(b":1000000\r\n".to_vec()),
        _ => healthy(args, false),
    })
}

#[test]
fn endless_empty_scan_batches_stop_in_sample_mode() {
    let server = scanning(|n| scan_reply(&(n + 1).to_string(), &[]));
    let run = verify(
        &single_policy(),
        &server.url(),
        &["--format", "json", "--no-progress"],
        Duration::from_secs(60),
    );
    let report = assert_incomplete(&run, Duration::from_secs(20));
    assert!(reasons(&report).contains("too little progress"), "{report}");
    // A sample of 10,000 with COUNT 1000 allows 300 calls, not millions.
    assert!(
        server.count("SCAN") <= 301,
        "{} SCANs",
        server.count("SCAN")
    );
}

#[test]
fn a_cycling_scan_cursor_is_stopped_and_named() {
    // 7 → 9 → 7 → ..., one key each time: the same key over and over.
    let server = scanning(|n| scan_reply(if n % 2 == 0 { "7" } else { "9" }, &["loop:key"]));
    let run = verify(
        &single_policy(),
        &server.url(),
        &["--format", "json", "--full"],
        Duration::from_secs(60),
    );
    let report = assert_incomplete(&run, Duration::from_secs(20));
    assert!(reasons(&report).contains("cursor 7 again"), "{report}");
    assert!(server.count("SCAN") < 10, "{} SCANs", server.count("SCAN"));
}

#[test]
fn full_scan_of_an_endless_keyspace_stops_at_the_deadline_with_what_it_saw() {
    let server = scanning(|n| {
        let keys: Vec<String> = (0..50).map(|i| format!("endless:{n}:{i}")).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        scan_reply(&(n + 1).to_string(), &keys)
    });
    let run = verify(
        &single_policy(),
        &server.url(),
        &["--format", "json", "--full", "--deadline", "2s"],
        Duration::from_secs(60),
    );
    let report = assert_incomplete(&run, Duration::from_secs(8));
    assert!(
        reasons(&report).contains("deadline (--deadline 2s)"),
        "{report}"
    );
    let inspected = report["nodes"][0]["inspected"].as_u64().unwrap_or(0);
    assert!(
        inspected > 0,
        "the partial report counts what was seen: {report}"
    );
}

// ---- item 2: a deadline for the whole run, and signals --------------------

#[test]
fn a_silent_server_cannot_outlast_the_deadline() {
    let server = FakeRedis::start(|_, _| Action::Hang);
    let run = verify(
        &single_policy(),
        &server.url(),
        &[
            "--format",
            "json",
            "--timeout",
            "60s",
            "--deadline",
            "1500ms",
        ],
        Duration::from_secs(30),
    );
    let report = assert_incomplete(&run, Duration::from_secs(6));
    assert!(reasons(&report).contains("deadline"), "{report}");
}

#[test]
fn sigterm_and_sigint_print_the_partial_report() {
    for (signal, name) in [("TERM", "SIGTERM"), ("INT", "SIGINT")] {
        let server = scanning(|n| {
            std::thread::sleep(Duration::from_millis(5));
            scan_reply(&(n + 1).to_string(), &["endless:a", "endless:b"])
        });
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("stdout");
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cachegen"))
            .arg("verify")
            .arg(single_policy())
            .args(["--redis", &server.url(), "--format", "json", "--full"])
            .env_remove("REDIS_URL")
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while server.count("PTTL") < 10 && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let killed = std::time::Instant::now();
        let code = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status.code();
            }
            if killed.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                panic!("verify did not stop within 10 s of {name}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(code, Some(3), "{name}");
        let document: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).expect("a JSON report");
        assert_eq!(document["exit_code"], 3);
        let report = &document["stores"]["redis"];
        assert_eq!(report["complete"], false);
        assert!(reasons(report).contains(name), "{report}");
        assert!(
            report["nodes"][0]["inspected"].as_u64().unwrap_or(0) > 0,
            "{report}"
        );
    }
}

// ---- items 4, 5, 8: INFO bounded, server strings capped, strict numbers ---

/// A single node whose `INFO <section>` reply is `info(section)`.
fn with_info(info: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> FakeRedis {
    FakeRedis::start(move |args, _| match args[0].as_str() {
        "INFO" => Action::Reply(bulk(&info(args.get(1).map(String::as_str).unwrap_or("")))),
        _ => healthy(args, false),
    })
}

#[test]
fn info_with_millions_of_fields_is_refused_within_bounded_memory() {
    // ~63 MB of short fields in every section: under the 64 MiB reply cap,
    // but millions of map entries each if parsed.
    let fields: Arc<Vec<u8>> = Arc::new(
        (0..7_000_000u32)
            .flat_map(|i| format!("f{i}:1\r\n").into_bytes())
            .take(63 * 1024 * 1024)
            .collect(),
    );
    let server = with_info(move |_| fields.to_vec());
    let run = verify(
        &single_policy(),
        &server.url(),
        &["--format", "json", "--timeout", "20s"],
        Duration::from_secs(60),
    );
    let report = assert_incomplete(&run, Duration::from_secs(30));
    assert!(
        reasons(&report).contains("more than any Redis does"),
        "{report}"
    );
    let peak = run.peak_rss_kib.expect("peak RSS measured");
    eprintln!("peak RSS {peak} KiB");
    assert!(peak < 400 * 1024, "peak RSS {peak} KiB: {}", describe(&run));
}

#[test]
fn huge_version_and_role_strings_are_capped_and_an_odd_version_is_unknown() {
    let server = with_info(|_| {
        format!(
            "redis_version:{}\r\nrole:{}\r\ncluster_enabled:0\r\nkeyspace_hits:5000\r\nkeyspace_misses:10\r\n",
            "7\u{1b}[31m".repeat(100_000),
            "m".repeat(400_000)
        )
        .into_bytes()
    });
    let run = verify(
        &single_policy(),
        &server.url(),
        &["--format", "json"],
        Duration::from_secs(60),
    );
    assert!(matches!(run.code, Some(0 | 1)), "{}", describe(&run));
    assert!(
        run.stdout.len() < 200_000,
        "{} bytes of report",
        run.stdout.len()
    );
    assert!(!run.stdout.contains('\u{1b}'));
    let report = run.json();
    assert_eq!(
        report["nodes"][0]["version"],
        "unknown",
        "{}",
        describe(&run)
    );
    assert!(report["nodes"][0]["role"].as_str().unwrap().len() <= 300);
    // Directives are judged by CONFIG GET alone, not all called absent.
    let human = verify(
        &single_policy(),
        &server.url(),
        &[],
        Duration::from_secs(60),
    );
    assert!(
        human.stdout.len() < 200_000,
        "{} bytes of report",
        human.stdout.len()
    );
    assert!(!human.stdout.contains('\u{1b}'));
}

#[test]
fn non_numeric_counters_are_findings_not_zeros() {
    let server = with_info(|_| {
        b"redis_version:7.0.15\r\nrole:master\r\ncluster_enabled:0\r\n\
          keyspace_hits:5000\r\nkeyspace_misses:99999999999999999999999\r\nevicted_keys:lots\r\n"
            .to_vec()
    });
    let run = verify(
        &single_policy(),
        &server.url(),
        &["--format", "json"],
        Duration::from_secs(60),
    );
    assert!(matches!(run.code, Some(0 | 1)), "{}", describe(&run));
    let found = run.findings("CG435");
    let text = serde_json::to_string(&found).unwrap();
    assert_eq!(found.len(), 2, "{}", describe(&run));
    assert!(
        text.contains("keyspace_misses") && text.contains("evicted_keys"),
        "{text}"
    );
    let report = run.json();
    assert!(
        report["runtime"]["hit_ratio"].is_null(),
        "{}",
        report["runtime"]
    );
    assert!(run.findings("CG430").is_empty() && run.findings("CG431").is_empty());
}

// ---- items 6, 7: the RESP reader is linear and framing-independent --------

#[test]
fn a_million_key_scan_batch_is_read_in_linear_time() {
    // One SCAN reply of 2^20 keys (~9 MB, every cap respected), arriving in
    // 64 KiB reads: parsed again from its start on each read, it would take
    // the CPU for many seconds.
    let batch: Arc<Vec<u8>> = Arc::new({
        let keys: Vec<String> = (0..1_048_576)
            .map(|i| format!("k{:06}", i % 1_000_000))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        scan_reply("0", &keys)
    });
    let server = FakeRedis::start(move |args, _| match args[0].as_str() {
        "SCAN" => Action::Reply(batch.to_vec()),
        _ => healthy(args, false),
    });
    let run = verify(
        &single_policy(),
        &server.url(),
        &["--format", "json", "--timeout", "60s", "--sample", "100"],
        Duration::from_secs(90),
    );
    assert!(matches!(run.code, Some(0 | 1)), "{}", describe(&run));
    assert!(run.took < Duration::from_secs(10), "{}", describe(&run));
    assert_eq!(run.json()["keyspace"]["inspected"], 100);
}

#[test]
fn a_status_line_over_64_kib_is_refused_whole_or_split() {
    for split in [false, true] {
        let server = FakeRedis::start(move |args, _| match args[0].as_str() {
            "PING" => {
                let mut line = vec![b'+'];
                line.extend(std::iter::repeat_n(b'a', 70_000));
                line.extend_from_slice(b"\r\n");
                if split {
                    // The first 64 KiB now, the rest a moment later.
                    let (head, tail) = line.split_at(65_536);
                    Action::Pieces(
                        vec![head.to_vec(), tail.to_vec()],
                        Duration::from_millis(300),
                    )
                } else {
                    Action::Reply(line)
                }
            }
            _ => healthy(args, false),
        });
        let run = verify(
            &single_policy(),
            &server.url(),
            &["--format", "json"],
            Duration::from_secs(30),
        );
        let report = assert_incomplete(&run, Duration::from_secs(10));
        assert!(reasons(&report).contains("longer than 64 KiB"), "{report}");
    }
}

#[test]
fn at_most_64_primaries_are_scanned_at_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let primaries: Vec<FakeRedis> = (0..100)
        .map(|_| {
            let (now, most) = (now.clone(), most.clone());
            FakeRedis::start(move |args, _| match args[0].as_str() {
                "SCAN" => {
                    let at = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(at, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(400));
                    now.fetch_sub(1, Ordering::SeqCst);
                    Action::Reply(scan_reply("0", &[]))
                }
                _ => healthy(args, true),
            })
        })
        .collect();
    let ports: Vec<u16> = primaries.iter().map(|p| p.port).collect();
    let seed = cluster_seed(move |port| {
        let mut text = node_line("seed", &format!("127.0.0.1:{port}"), true, "16383");
        for (i, p) in ports.iter().enumerate() {
            text += &node_line(
                &format!("p{i}"),
                &format!("127.0.0.1:{p}"),
                false,
                &i.to_string(),
            );
        }
        text
    });
    let run = verify(
        &cluster_policy(),
        &format!("cache=redis://127.0.0.1:{}", seed.port),
        &["--format", "json"],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(1), "{}", describe(&run));
    let most = most.load(Ordering::SeqCst);
    assert!((2..=64).contains(&most), "{most} scans at once");
}

/// A "TLS" server that drips its handshake a byte at a time, each byte well
/// inside the read timeout: the whole handshake gets one timeout, so the
/// run ends within it instead of after the 16 KiB record has trickled in
/// (an hour and a half at this rate).
#[test]
fn a_dripping_tls_handshake_costs_one_timeout() {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                // A handshake record header announcing 16 KiB, then one
                // byte every 300 ms.
                if stream.write_all(&[0x16, 0x03, 0x03, 0x40, 0x00]).is_err() {
                    return;
                }
                for _ in 0..600 {
                    std::thread::sleep(Duration::from_millis(300));
                    if stream.write_all(&[0x02]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let run = verify(
        &single_policy(),
        &format!("rediss://127.0.0.1:{port}"),
        &["--format", "json", "--timeout", "2s"],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(3), "{}", describe(&run));
    assert!(run.took < Duration::from_secs(10), "{}", describe(&run));
    assert!(
        run.stdout.contains("TLS handshake timed out")
            || run.stderr.contains("TLS handshake timed out"),
        "{}",
        describe(&run)
    );
}
