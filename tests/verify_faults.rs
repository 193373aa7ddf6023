//! Owns the safety and failure proofs of `cachegen verify` against real
//! servers: it is read-only (MONITOR + command stats + an unchanged dataset),
//! the generated least-privilege ACL suffices, and every way a server can fail
//! it (bad credentials, TLS mismatches, a hung or killed server, nothing
//! listening, a bad command line) ends with the right exit code and a clean
//! message that never shows the password.

mod support;

use cachegen::verifier::PROBES;
use cachegen::verify::conn::{MAX_SCAN_COUNT, SENDABLE};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use support::verify::{Run, build, verify, verify_with_env};
use support::{Client, RedisServer, Reply, bulk};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/single.yaml")
}

/// Renders the fixture policy into `out` and returns its output directory.
fn rendered(out: &Path) -> PathBuf {
    build(&fixture(), out)
}

/// A server started from the policy's own redis.conf, so config rows match
/// and only the fault under test can make a run fail. DEBUG is enabled for
/// POPULATE and DIGEST (local connections only, as in tests/verify.rs).
fn policy_server(out: &Path, extra: &[&str]) -> RedisServer {
    let dir = rendered(out);
    let mut args = vec!["--enable-debug-command", "local"];
    args.extend_from_slice(extra);
    RedisServer::start(Some(&dir.join("stores/redis/redis.conf")), &args)
}

fn url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

/// `name` on PATH, or a panic that says how to install it.
fn require_binary(name: &str, install: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!("{name} is not on PATH; this test needs it.\nInstall it with `{install}`.")
        })
}

fn describe(run: &Run) -> String {
    format!(
        "exit {:?} after {:?}\nstdout:\n{}\nstderr:\n{}",
        run.code, run.took, run.stdout, run.stderr
    )
}

/// The output is a message, not a crash, and no secret is in it.
fn assert_clean(run: &Run, secrets: &[&str]) {
    let all = format!("{}\n{}", run.stdout, run.stderr);
    for crash in ["panicked at", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(
            !all.contains(crash),
            "crash text `{crash}` in output:\n{}",
            describe(run)
        );
    }
    for secret in secrets {
        assert!(
            !all.contains(secret),
            "the password `{secret}` is in the output:\n{}",
            describe(run)
        );
    }
}

/// Exit `code`, clean, and `needle` (lowercase) somewhere in the output.
fn assert_fails(run: &Run, code: i32, needle: &str, secrets: &[&str]) {
    assert_eq!(run.code, Some(code), "{}", describe(run));
    assert_clean(run, secrets);
    let all = format!("{}\n{}", run.stdout, run.stderr).to_lowercase();
    assert!(
        all.contains(needle),
        "no `{needle}` in the output:\n{}",
        describe(run)
    );
}

/// A JSON report of a run that finished but saw violations or none, covered
/// everything, and compared config.
fn assert_complete(run: &Run) -> Value {
    assert!(matches!(run.code, Some(0 | 1)), "{}", describe(run));
    let report = run.json();
    assert_eq!(report["complete"], true, "{}", describe(run));
    let config = report["config"].as_array().expect("config rows");
    assert!(!config.is_empty(), "no config rows: {}", describe(run));
    assert!(
        config.iter().all(|r| r["status"] == "matches"),
        "{config:?}"
    );
    report
}

fn ok(client: &mut Client, args: &[&str]) -> Reply {
    let reply = client.command(args).expect("talk to the test server");
    assert!(!matches!(reply, Reply::Error(_)), "{args:?}: {reply:?}");
    reply
}

// ---------------------------------------------------------------------------
// Pipelined seeding: thousands of keys in one write, replies read after.

fn resp(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Skips one reply; returns its text if it was an error.
fn skip_reply(r: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line).expect("read a reply");
    let text = String::from_utf8_lossy(&line).trim_end().to_owned();
    let n = || text[1..].parse::<i64>().expect("a length");
    match text.as_bytes().first() {
        Some(b'-') => Some(text),
        Some(b'$') if n() >= 0 => {
            let mut buf = vec![0; n() as usize + 2];
            std::io::Read::read_exact(r, &mut buf).expect("read a bulk");
            None
        }
        Some(b'*') => (0..n().max(0)).filter_map(|_| skip_reply(r)).next(),
        Some(_) => None,
        None => Some("connection closed".into()),
    }
}

/// Sends every command in one write, then checks every reply.
fn pipeline(port: u16, commands: &[Vec<Vec<u8>>]) {
    let mut wire = Vec::new();
    for c in commands {
        let args: Vec<&[u8]> = c.iter().map(Vec::as_slice).collect();
        resp(&args, &mut wire);
    }
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to seed");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(&wire).expect("send the seed");
    let mut r = BufReader::new(s);
    for c in commands {
        if let Some(e) = skip_reply(&mut r) {
            panic!("{:?}: {e}", String::from_utf8_lossy(&c[0]));
        }
    }
}

fn cmd(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn md5ish(i: u32) -> String {
    format!("{:032x}", 0x5eed_0000u128 + u128::from(i))
}

/// About 2,000 keys of every kind the fixture declares, including strings
/// over `page`'s 1kb compress_above (no follow-up: verify reads no value's
/// bytes) and over the 8kb max_value_size (STRLEN follow-ups), so every
/// command verify can send is exercised. TTLs are long enough that nothing expires mid-test.
/// Returns how many keys it wrote.
fn seed_mixed(port: u16) -> u64 {
    let mut c: Vec<Vec<Vec<u8>>> = Vec::new();
    for i in 0..500 {
        let key = format!("v3:user:{i}:profile");
        c.push(cmd(&["HSET", &key, "name", "ada", "plan", "pro"]));
        c.push(cmd(&["EXPIRE", &key, "600"]));
    }
    for i in 0..50 {
        c.push(cmd(&[
            "SET",
            &format!("lock:v3:user:{i}:profile"),
            "1",
            "EX",
            "30",
        ]));
        let tag = format!("v3:tag:user:{i}");
        c.push(cmd(&["SADD", &tag, &format!("v3:user:{i}:profile")]));
        c.push(cmd(&["EXPIRE", &tag, "1200"]));
    }
    for i in 0..400 {
        c.push(cmd(&[
            "SET",
            &format!("v3:page:{}", md5ish(i)),
            "<p>small</p>",
            "EX",
            "60",
        ]));
    }
    let plain = "p".repeat(2000);
    for i in 400..450 {
        c.push(cmd(&[
            "SET",
            &format!("v3:page:{}", md5ish(i)),
            &plain,
            "EX",
            "60",
        ]));
    }
    let mut gz = vec![0x1f, 0x8b, 0x08, 0x00];
    gz.extend(std::iter::repeat_n(b'z', 2000));
    for i in 450..470 {
        let key = format!("v3:page:{}", md5ish(i));
        c.push(vec![
            b"SET".to_vec(),
            key.into_bytes(),
            gz.clone(),
            b"EX".to_vec(),
            b"60".to_vec(),
        ]);
    }
    let huge = "h".repeat(10_000);
    for i in 470..480 {
        c.push(cmd(&[
            "SET",
            &format!("v3:page:{}", md5ish(i)),
            &huge,
            "EX",
            "60",
        ]));
    }
    for i in 0..500 {
        c.push(cmd(&[
            "SET",
            &format!("v3:session:s{i}"),
            "s",
            "EX",
            "3600",
        ]));
    }
    for i in 0..300 {
        let value = if i < 5 { huge.as_str() } else { "100" };
        c.push(cmd(&["SET", &format!("v3:ledger:{i}"), value]));
    }
    c.push(cmd(&["RPUSH", "v3:jobs", "job-1", "job-2"]));
    for i in 0..60 {
        c.push(cmd(&["SET", &format!("v2:user:{i}:profile"), "old"]));
        c.push(cmd(&["SET", &format!("legacy:{i}:x"), "?"]));
    }
    pipeline(port, &c);
    500 + 50 + 50 + 480 + 500 + 300 + 1 + 120
}

// ---------------------------------------------------------------------------
// MONITOR: every command any client sends, in order, with its address.

const END_MARKER: &str = "cachegen-verify-faults-end-of-run";

/// Reads MONITOR lines on its own connection until a client ECHOes
/// [`END_MARKER`] (which MONITOR reports after everything before it), so
/// nothing verify sent can be missed. Returns the lines and whether the
/// marker was seen.
fn start_monitor(port: u16) -> JoinHandle<(Vec<String>, bool)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect MONITOR");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(b"MONITOR\r\n").unwrap();
    let mut r = BufReader::new(s);
    let mut first = String::new();
    r.read_line(&mut first).unwrap();
    assert_eq!(first.trim_end(), "+OK", "MONITOR refused");
    std::thread::spawn(move || {
        let mut lines = Vec::new();
        loop {
            let mut line = Vec::new();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => return (lines, false),
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&line).trim_end().to_owned();
            if line.contains(END_MARKER) {
                return (lines, true);
            }
            lines.push(line);
        }
    })
}

/// `+1700000000.123 [0 127.0.0.1:5555] "SCAN" "0"` → (address, arguments),
/// undoing the escapes MONITOR applies (sdscatrepr).
fn monitor_args(line: &str) -> Option<(String, Vec<String>)> {
    let open = line.find('[')?;
    let close = open + line[open..].find(']')?;
    let address = line[open + 1..close].split_whitespace().nth(1)?.to_owned();
    let mut args = Vec::new();
    let mut chars = line[close + 1..].chars();
    loop {
        match chars.next() {
            None => break,
            Some(' ') => continue,
            Some('"') => {}
            Some(_) => return None,
        }
        let mut arg = String::new();
        loop {
            match chars.next()? {
                '"' => break,
                '\\' => match chars.next()? {
                    'n' => arg.push('\n'),
                    'r' => arg.push('\r'),
                    't' => arg.push('\t'),
                    'a' => arg.push('\u{7}'),
                    'b' => arg.push('\u{8}'),
                    'x' => {
                        let hex: String = chars.by_ref().take(2).collect();
                        arg.push(char::from(u8::from_str_radix(&hex, 16).ok()?));
                    }
                    other => arg.push(other),
                },
                c => arg.push(c),
            }
        }
        args.push(arg);
    }
    Some((address, args))
}

/// The ACL name of a command line: `config|get` when verify's allow-list
/// knows the subcommand form, else the bare lowercase name.
fn acl_name(args: &[String]) -> String {
    let name = args[0].to_lowercase();
    if let Some(sub) = args.get(1) {
        let full = format!("{name}|{}", sub.to_lowercase());
        if SENDABLE.contains(&full.as_str()) {
            return full;
        }
    }
    name
}

/// `INFO commandstats` as calls (executed + rejected) per command. It also
/// sees admin commands (CONFIG GET) that MONITOR hides.
fn command_stats(client: &mut Client) -> BTreeMap<String, u64> {
    let text = bulk(ok(client, &["INFO", "commandstats"]));
    text.lines()
        .filter_map(|l| {
            let (name, fields) = l.trim_end().strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = fields
                .split(',')
                .filter_map(|f| f.split_once('='))
                .filter(|(k, _)| matches!(*k, "calls" | "rejected_calls"))
                .map(|(_, v)| v.parse::<u64>().unwrap_or(0))
                .sum();
            Some((name.to_owned(), calls))
        })
        .collect()
}

/// The server's flags and ACL categories for a command (`COMMAND INFO`).
fn command_flags(client: &mut Client, name: &str) -> Vec<String> {
    let Reply::Array(entries) = ok(client, &["COMMAND", "INFO", name]) else {
        panic!("COMMAND INFO {name}: not an array");
    };
    let Some(Reply::Array(info)) = entries.into_iter().next() else {
        panic!("COMMAND INFO {name}: the server does not know it");
    };
    let mut out = Vec::new();
    for i in [2, 6] {
        if let Some(Reply::Array(items)) = info.get(i) {
            for item in items {
                if let Reply::Simple(s) | Reply::Bulk(Some(s)) = item {
                    out.push(s.to_lowercase());
                }
            }
        }
    }
    out
}

/// What must not change when verify runs: key count, a digest of every key,
/// value and expiry, and the server's count of writes.
fn dataset_state(client: &mut Client) -> (i64, String, String) {
    let Reply::Int(dbsize) = ok(client, &["DBSIZE"]) else {
        panic!("DBSIZE")
    };
    let digest = match ok(client, &["DEBUG", "DIGEST"]) {
        Reply::Simple(s) | Reply::Bulk(Some(s)) => s,
        other => panic!("DEBUG DIGEST: {other:?}"),
    };
    let persistence = bulk(ok(client, &["INFO", "persistence"]));
    let dirty = support::info_field(&persistence, "rdb_changes_since_last_save")
        .expect("rdb_changes_since_last_save");
    (dbsize, digest, dirty)
}

#[test]
fn verify_sends_only_allow_listed_reads_and_changes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    let seeded = seed_mixed(server.port);
    let mut client = server.client();
    let before = dataset_state(&mut client);
    assert_eq!(before.0 as u64, seeded, "seeding wrote every key");
    // This client's own commands (INFO, ECHO) are not verify's.
    let own = bulk(ok(&mut client, &["CLIENT", "INFO"]));
    let own_addr = own
        .split_whitespace()
        .find_map(|f| f.strip_prefix("addr="))
        .expect("addr= in CLIENT INFO")
        .to_owned();

    let monitor = start_monitor(server.port);
    let stats_before = command_stats(&mut client);
    let run = verify(
        &fixture(),
        &url(server.port),
        &["--full", "--format", "json", "--no-progress"],
        Duration::from_secs(30),
    );
    let stats_after = command_stats(&mut client);
    ok(&mut client, &["ECHO", END_MARKER]);
    let (lines, saw_end) = monitor.join().expect("monitor thread");
    assert!(saw_end, "MONITOR ended before the end marker: {lines:?}");

    // The run itself read the whole keyspace; the seeded violations are all
    // warnings (size, old and unknown keys), so exit 0.
    assert_eq!(run.code, Some(0), "{}", describe(&run));
    assert_clean(&run, &[]);
    let report = assert_complete(&run);
    assert_eq!(
        report["keyspace"]["inspected"],
        seeded,
        "{}",
        describe(&run)
    );

    // MONITOR: every command from verify's connection(s) is allow-listed.
    let mut seen = BTreeSet::new();
    let mut verify_clients = BTreeSet::new();
    let mut follow_ups: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in &lines {
        let (address, args) =
            monitor_args(line).unwrap_or_else(|| panic!("unparsed MONITOR line {line:?}"));
        if address == own_addr || args.is_empty() {
            continue;
        }
        let name = acl_name(&args);
        assert_ne!(name, "keys", "verify sent KEYS: {line}");
        assert!(
            name == "auth" || SENDABLE.contains(&name.as_str()) || PROBES.contains(&name.as_str()),
            "verify sent `{name}`, which is not in conn::SENDABLE: {line}"
        );
        if PROBES.contains(&name.as_str()) {
            // The one probe, with its fixed argument, expected refused.
            assert_eq!(args, ["ECHO", "cachegen-verify"], "{line}");
        }
        if name == "scan" {
            let count = args
                .iter()
                .position(|a| a.eq_ignore_ascii_case("count"))
                .and_then(|i| args.get(i + 1))
                .map_or(10, |n| n.parse::<u32>().expect("SCAN COUNT is a number"));
            assert!(
                count <= MAX_SCAN_COUNT && count <= 1000,
                "SCAN COUNT {count}: {line}"
            );
        }
        if name == "client|setname" {
            assert_eq!(
                args.get(2).map(String::as_str),
                Some("cachegen-verify"),
                "{line}"
            );
        }
        assert_ne!(name, "getrange", "verify read a value's bytes: {line}");
        if name == "strlen" {
            follow_ups
                .entry(name.clone())
                .or_default()
                .insert(args[1].clone());
        }
        verify_clients.insert(address);
        seen.insert(name);
    }
    assert!(
        !verify_clients.is_empty(),
        "MONITOR saw nothing from verify"
    );
    // The seed made every per-key path run, so the proof covers them.
    for needed in [
        "scan",
        "pttl",
        "type",
        "memory|usage",
        "strlen",
        "info",
        "client|setname",
    ] {
        assert!(
            seen.contains(needed),
            "verify never sent `{needed}` (saw {seen:?}); the seed no longer exercises it"
        );
    }

    // Command stats also count admin commands MONITOR does not show.
    let mut counted = BTreeSet::new();
    for (name, calls) in &stats_after {
        if *calls > stats_before.get(name).copied().unwrap_or(0) {
            assert!(
                name == "auth" || SENDABLE.contains(&name.as_str()),
                "the server ran `{name}` during verify, which is not in conn::SENDABLE"
            );
            counted.insert(name.clone());
        }
    }
    for needed in ["config|get", "info", "dbsize"] {
        assert!(
            counted.contains(needed),
            "`{needed}` not counted (saw {counted:?})"
        );
    }

    // The server's own view of every command verify used: none writes.
    for name in seen.iter().chain(&counted).collect::<BTreeSet<_>>() {
        if name == "auth" {
            continue;
        }
        let flags = command_flags(&mut client, name);
        assert!(
            !flags.contains(&"write".to_owned()),
            "`{name}` is a write: {flags:?}"
        );
        assert!(
            !flags.contains(&"@write".to_owned()),
            "`{name}` is in @write: {flags:?}"
        );
    }

    // And the dataset: same keys, values, expiries; no write counted.
    assert_eq!(
        dataset_state(&mut client),
        before,
        "verify changed the dataset"
    );

    // Last (a miscount is not a write): every string over a size threshold
    // got its follow-up read, whichever SCAN batch it came in: the 10 pages
    // over 8kb and the 5 big ledger values get STRLEN; the 70 other pages
    // over 1kb (compress_above) get nothing. ~2,000 keys take several SCAN
    // batches; the 30-key seed of tests/verify.rs fits in one and cannot see
    // a follow-up lost between batches.
    let count = |name: &str| follow_ups.get(name).map_or(0, BTreeSet::len);
    assert_eq!(count("strlen"), 15, "keys STRLEN'd");
    let violations = |owner: &str, what: &str| {
        report["keyspace"]["patterns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["owner"] == owner)
            .unwrap_or_else(|| panic!("no owner {owner}"))["violations"][what]["keys"]
            .clone()
    };
    assert_eq!(violations("page", "too_large"), 10);
    assert_eq!(violations("ledger", "too_large"), 5);
}

// ---------------------------------------------------------------------------
// Credentials.

/// Needs percent-encoding in a URL (`@`, `/`, `%`), so the URL form also
/// proves the decoding.
const VERIFY_PW: &str = "Kx7-p@ss/w0rd%q";
const VERIFY_PW_URL: &str = "Kx7-p%40ss%2Fw0rd%25q";

#[test]
fn the_generated_acl_user_can_do_everything_verify_needs() {
    let out = tempfile::tempdir().unwrap();
    // verifier.acl grants CONFIG GET only where the policy allows it (a
    // server managed by hand may hold `requirepass`); this server holds no
    // secret in its configuration, and verify compares the config.
    let text = std::fs::read_to_string(fixture()).unwrap();
    let allowed = text.replace(
        "redis:\n  version: \"7.0\"\n",
        "redis:\n  version: \"7.0\"\n  access:\n    verifier:\n      config_get: allow\n",
    );
    assert_ne!(allowed, text, "the fixture's `redis:` section moved");
    let policy = out.path().join("single-allow.yaml");
    std::fs::write(&policy, allowed).unwrap();
    let dir = build(&policy, out.path());
    let server = RedisServer::start(Some(&dir.join("stores/redis/redis.conf")), &[]);
    // A few keys of each follow-up kind: STRLEN must be allowed.
    let mut c = vec![cmd(&["RPUSH", "v3:jobs", "j"])];
    let plain = "p".repeat(2000);
    let huge = "h".repeat(10_000);
    c.push(cmd(&[
        "SET",
        &format!("v3:page:{}", md5ish(1)),
        &plain,
        "EX",
        "60",
    ]));
    c.push(cmd(&[
        "SET",
        &format!("v3:page:{}", md5ish(2)),
        &huge,
        "EX",
        "60",
    ]));
    c.push(cmd(&["HSET", "v3:user:1:profile", "n", "a"]));
    c.push(cmd(&["SET", "v3:ledger:1", &huge]));
    pipeline(server.port, &c);

    let mut admin = server.client();
    let acl = std::fs::read_to_string(dir.join("stores/redis/verifier.acl")).unwrap();
    let setuser: Vec<&str> = acl
        .lines()
        .find(|l| l.starts_with("ACL SETUSER"))
        .expect("an ACL SETUSER line in verifier.acl")
        .split_whitespace()
        .collect();
    assert_eq!(ok(&mut admin, &setuser), Reply::Simple("OK".into()));
    let password = format!(">{VERIFY_PW}");
    ok(
        &mut admin,
        &["ACL", "SETUSER", "cachegen-verify", &password],
    );
    // The default user gets a password too, so a run that silently fell back
    // to it would fail: success below can only be as cachegen-verify.
    ok(&mut admin, &["ACL", "SETUSER", "default", ">admin-only-pw"]);
    ok(&mut admin, &["ACL", "LOG", "RESET"]);

    // The user really is least-privilege: a write is refused.
    let mut probe = Client::connect(server.port).unwrap();
    ok(&mut probe, &["AUTH", "cachegen-verify", VERIFY_PW]);
    let denied = probe.command(&["SET", "x", "y"]).unwrap();
    assert!(
        matches!(&denied, Reply::Error(e) if e.starts_with("NOPERM")),
        "{denied:?}"
    );
    ok(&mut admin, &["ACL", "LOG", "RESET"]);

    let pw_file = out.path().join("pw");
    std::fs::write(&pw_file, format!("{VERIFY_PW}\n")).unwrap();
    let limit = Duration::from_secs(30);
    let secrets = [VERIFY_PW, VERIFY_PW_URL];
    let base = ["--full", "--format", "json", "--no-progress"];
    let runs = [
        (
            "URL",
            verify(
                &policy,
                &format!(
                    "redis://cachegen-verify:{VERIFY_PW_URL}@127.0.0.1:{}",
                    server.port
                ),
                &base,
                limit,
            ),
        ),
        (
            "--password-file",
            verify(
                &policy,
                &url(server.port),
                &[
                    &base[..],
                    &[
                        "--user",
                        "cachegen-verify",
                        "--password-file",
                        pw_file.to_str().unwrap(),
                    ],
                ]
                .concat(),
                limit,
            ),
        ),
        (
            "CACHEGEN_REDIS_PASSWORD",
            verify_with_env(
                &policy,
                &url(server.port),
                &[&base[..], &["--user", "cachegen-verify"]].concat(),
                &[("CACHEGEN_REDIS_PASSWORD", VERIFY_PW)],
                limit,
            ),
        ),
    ];
    for (how, run) in &runs {
        assert_clean(run, &secrets);
        let report = assert_complete(run);
        assert_eq!(
            report["keyspace"]["inspected"],
            5,
            "password from {how}: {}",
            describe(run)
        );
        assert_eq!(
            report["target"],
            format!("redis://cachegen-verify@127.0.0.1:{}", server.port),
            "password from {how}"
        );
    }
    // Nothing verify sent was denied (CLIENT SETNAME's reply is not checked
    // by verify, so a denial would only show here) but its probes: ECHO and
    // GET, which it sends to see them refused (the store grants CONFIG GET,
    // so that one is not probed).
    let Reply::Array(log) = ok(&mut admin, &["ACL", "LOG"]) else {
        panic!("ACL LOG is an array")
    };
    assert_eq!(log.len(), 2, "two kinds of denial: {log:?}");
    let mut objects = Vec::new();
    for kind in &log {
        let entry = support::reply_pairs(kind);
        let field = |name: &str| {
            entry
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            field("username"),
            Some(Reply::Bulk(Some("cachegen-verify".into())))
        );
        // One of each probe per run (one node each): three runs.
        assert_eq!(field("count"), Some(Reply::Int(3)), "{entry:?}");
        let Some(Reply::Bulk(Some(object))) = field("object") else {
            panic!("{entry:?}")
        };
        objects.push(object);
    }
    objects.sort();
    assert_eq!(objects, ["echo", "get"], "{log:?}");
    // The probe found the user no broader than its list.
    for (how, run) in &runs {
        assert!(
            run.findings("CG441").is_empty() && run.findings("CG440").is_empty(),
            "{how}: {}",
            describe(run)
        );
    }
}

#[test]
fn bad_or_missing_credentials_exit_3_without_leaking() {
    let server = RedisServer::start(None, &[]);
    let mut admin = server.client();
    ok(
        &mut admin,
        &["CONFIG", "SET", "requirepass", "the-right-pw-91"],
    );
    let limit = Duration::from_secs(20);
    let wrong = "wrong-pw-Zq83";

    let run = verify(
        &fixture(),
        &format!("redis://:{wrong}@127.0.0.1:{}", server.port),
        &["--timeout", "2s"],
        limit,
    );
    assert_fails(&run, 3, "authentication as `default` failed", &[wrong]);
    let run = verify_with_env(
        &fixture(),
        &url(server.port),
        &["--format", "json", "--timeout", "2s"],
        &[("CACHEGEN_REDIS_PASSWORD", wrong)],
        limit,
    );
    assert_fails(&run, 3, "wrongpass", &[wrong]);
    assert_eq!(run.json()["complete"], false);

    let run = verify(&fixture(), &url(server.port), &["--timeout", "2s"], limit);
    assert_fails(&run, 3, "requires authentication", &[]);
    assert!(
        run.stdout.contains("--password-file"),
        "no hint how to give a password:\n{}",
        describe(&run)
    );

    // The control: the right password gets through, so the failures above
    // are about the password.
    let run = verify_with_env(
        &fixture(),
        &url(server.port),
        &["--format", "json"],
        &[("CACHEGEN_REDIS_PASSWORD", "the-right-pw-91")],
        limit,
    );
    assert!(matches!(run.code, Some(0 | 1)), "{}", describe(&run));
    assert_eq!(run.json()["complete"], true);
    assert_clean(&run, &["the-right-pw-91"]);
}

// ---------------------------------------------------------------------------
// TLS.

#[test]
fn tls_works_with_the_right_ca_and_fails_cleanly_otherwise() {
    let out = tempfile::tempdir().unwrap();
    let pki = tempfile::tempdir().unwrap();
    let other = tempfile::tempdir().unwrap();
    support::pki::make_ca(pki.path(), "cachegen-test-ca");
    support::pki::make_server_cert(pki.path());
    support::pki::make_ca(other.path(), "unrelated-ca");
    let path = |p: &Path, f: &str| p.join(f).to_str().unwrap().to_owned();
    let tls_port = support::free_port().to_string();
    let (cert, key, ca) = (
        path(pki.path(), "server.pem"),
        path(pki.path(), "server.key"),
        path(pki.path(), "ca.pem"),
    );
    // The plain port is the support fixture's (it waits for PING there).
    let server = policy_server(
        out.path(),
        &[
            "--tls-port",
            &tls_port,
            "--tls-cert-file",
            &cert,
            "--tls-key-file",
            &key,
            "--tls-ca-cert-file",
            &ca,
            "--tls-auth-clients",
            "no",
        ],
    );
    pipeline(server.port, &[cmd(&["RPUSH", "v3:jobs", "j"])]);
    let limit = Duration::from_secs(20);
    let t = ["--timeout", "2s", "--format", "json"];
    let tls_url = format!("rediss://127.0.0.1:{tls_port}");

    let run = verify(
        &fixture(),
        &tls_url,
        &[&t[..], &["--tls-ca", &ca]].concat(),
        limit,
    );
    assert_eq!(
        run.code,
        Some(0),
        "a conforming server over TLS: {}",
        describe(&run)
    );
    let report = assert_complete(&run);
    assert_eq!(report["keyspace"]["inspected"], 1);
    assert_eq!(report["target"], tls_url);
    assert_clean(&run, &[]);

    // The DNS SAN, by name.
    let run = verify(
        &fixture(),
        &tls_url,
        &[&t[..], &["--tls-ca", &ca, "--tls-server-name", "localhost"]].concat(),
        limit,
    );
    assert_eq!(run.code, Some(0), "{}", describe(&run));

    let run = verify(
        &fixture(),
        &tls_url,
        &[&t[..], &["--tls-ca", &path(other.path(), "ca.pem")]].concat(),
        limit,
    );
    assert_fails(&run, 3, "certificate", &[]);
    assert_eq!(run.json()["complete"], false);

    let run = verify(
        &fixture(),
        &tls_url,
        &[
            &t[..],
            &["--tls-ca", &ca, "--tls-server-name", "elsewhere.example"],
        ]
        .concat(),
        limit,
    );
    assert_fails(&run, 3, "certificate", &[]);

    // Plain text to the TLS port: the server resets the connection (or
    // answers with something that is not RESP, or says nothing); each must
    // end within the 2 s timeout, as exit 3 naming the node.
    let run = verify(&fixture(), &url(tls_port.parse().unwrap()), &t, limit);
    assert_fails(
        &run,
        3,
        &format!("could not connect: 127.0.0.1:{tls_port}"),
        &[],
    );
    assert!(run.took < Duration::from_secs(8), "{}", describe(&run));

    // TLS to the plain port.
    let run = verify(
        &fixture(),
        &format!("rediss://127.0.0.1:{}", server.port),
        &[&t[..], &["--tls-ca", &ca]].concat(),
        limit,
    );
    assert_fails(&run, 3, "tls handshake", &[]);
    assert!(run.took < Duration::from_secs(8), "{}", describe(&run));
}

// ---------------------------------------------------------------------------
// Servers that stop answering.

fn server_pid(server: &RedisServer) -> String {
    let info = bulk(ok(&mut server.client(), &["INFO", "server"]));
    support::info_field(&info, "process_id").expect("process_id in INFO server")
}

fn signal(pid: &str, sig: &str) {
    let status = Command::new(require_binary("kill", "sudo apt-get install -y procps"))
        .args([sig, pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {sig} {pid} failed");
}

/// SIGCONTs the server when dropped, so a failed assertion cannot leave a
/// stopped process behind (the support Drop then kills it).
struct Stopped(String);

impl Stopped {
    fn stop(pid: String) -> Stopped {
        signal(&pid, "-STOP");
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        signal(&self.0, "-CONT");
    }
}

/// Starts verify in the background.
fn verify_in_background(url: String, args: Vec<&'static str>) -> JoinHandle<Run> {
    std::thread::spawn(move || verify(&fixture(), &url, &args, Duration::from_secs(30)))
}

/// Waits until verify's scan is well under way on the server: enough PTTLs
/// executed that at least one batch's replies have been read back.
fn wait_for_scan(client: &mut Client, pttl_calls: u64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while command_stats(client).get("pttl").copied().unwrap_or(0) < pttl_calls {
        assert!(Instant::now() < deadline, "verify's scan never started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_hung_server_times_out_with_exit_3() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    seed_mixed(server.port);
    let address = format!("127.0.0.1:{}", server.port);
    let stopped = Stopped::stop(server_pid(&server));
    // The kernel still accepts the connection; no reply ever comes.
    let run = verify(
        &fixture(),
        &url(server.port),
        &["--timeout", "1s", "--format", "json"],
        Duration::from_secs(15),
    );
    drop(stopped);
    assert_fails(&run, 3, "no answer within the timeout", &[]);
    assert!(run.took < Duration::from_secs(5), "took {:?}", run.took);
    let report = run.json();
    assert_eq!(report["complete"], false);
    assert!(
        report["incomplete"][0].as_str().unwrap().contains(&address),
        "{report}"
    );
}

#[test]
fn a_server_that_hangs_mid_scan_times_out_with_partial_counts() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    let mut client = server.client();
    ok(&mut client, &["DEBUG", "POPULATE", "60000", "v3:session"]);
    let pid = server_pid(&server);
    let scan = verify_in_background(
        url(server.port),
        vec![
            "--full",
            "--rate",
            "20000",
            "--timeout",
            "1s",
            "--format",
            "json",
        ],
    );
    wait_for_scan(&mut client, 3000);
    let stopped = Stopped::stop(pid);
    let started = Instant::now();
    let run = scan.join().expect("verify thread");
    let after_stop = started.elapsed();
    drop(stopped);
    assert_fails(&run, 3, "no answer within the timeout", &[]);
    assert!(
        after_stop < Duration::from_secs(5),
        "verify took {after_stop:?} to give up"
    );
    let report = run.json();
    assert_eq!(report["complete"], false);
    let inspected = report["keyspace"]["inspected"].as_u64().unwrap();
    assert!(
        inspected > 0 && inspected < 60_000,
        "partial counts: {inspected}"
    );
    assert!(
        report["incomplete"][0]
            .as_str()
            .unwrap()
            .contains("scan stopped early"),
        "{report}"
    );
}

#[test]
fn a_server_killed_mid_scan_gives_exit_3_and_partial_counts() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    let mut client = server.client();
    // DEBUG POPULATE writes `v3:session:0` ... `v3:session:199999` in one call.
    ok(&mut client, &["DEBUG", "POPULATE", "200000", "v3:session"]);
    let Reply::Int(200_000) = ok(&mut client, &["DBSIZE"]) else {
        panic!("populate")
    };
    let pid = server_pid(&server);
    let address = format!("127.0.0.1:{}", server.port);
    // At 20,000 commands/s a full pass over 200,000 keys takes ~30 s; it is
    // killed a fraction of the way in.
    let scan = verify_in_background(
        url(server.port),
        vec!["--full", "--rate", "20000", "--format", "json"],
    );
    wait_for_scan(&mut client, 3000);
    drop(client);
    signal(&pid, "-KILL");
    let killed = Instant::now();
    let run = scan.join().expect("verify thread");
    assert!(
        killed.elapsed() < Duration::from_secs(5),
        "verify took {:?} to notice",
        killed.elapsed()
    );
    assert_eq!(run.code, Some(3), "{}", describe(&run));
    assert_clean(&run, &[]);
    let report = run.json();
    assert_eq!(report["complete"], false);
    let reasons: Vec<&str> = report["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains(&address)),
        "no reason names {address}: {reasons:?}"
    );
    let inspected = report["keyspace"]["inspected"].as_u64().unwrap();
    assert!(
        inspected > 0 && inspected < 200_000,
        "partial counts: {inspected}"
    );
    let node = &report["nodes"][0];
    assert_eq!(node["inspected"], inspected);
    assert_eq!(node["dbsize"], 200_000);
    assert!(
        node["error"].as_str().is_some_and(|e| e.contains(&address)),
        "{node}"
    );
}

/// Issue 15, item 7: a run that lost its primary mid-scan says what it
/// covered, not "full pass".
#[test]
fn a_server_killed_mid_scan_is_not_reported_as_a_full_pass() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    let mut client = server.client();
    ok(&mut client, &["DEBUG", "POPULATE", "200000", "v3:session"]);
    let pid = server_pid(&server);
    let scan = verify_in_background(
        url(server.port),
        vec!["--full", "--rate", "20000", "--color", "never"],
    );
    wait_for_scan(&mut client, 3000);
    drop(client);
    signal(&pid, "-KILL");
    let run = scan.join().expect("verify thread");
    assert_eq!(run.code, Some(3), "{}", describe(&run));
    let first = run.stdout.lines().next().unwrap_or_default();
    assert!(!first.contains("full pass in"), "{}", describe(&run));
    assert!(
        first
            .contains("incomplete full pass: 0 of 1 primary scanned to the end, 1 stopped early; "),
        "{}",
        describe(&run)
    );
    assert!(run.stdout.contains(", partial scan)"), "{}", describe(&run));
}

// ---------------------------------------------------------------------------
// Nothing there, and bad command lines.

#[test]
fn nothing_listening_exits_3_quickly() {
    let port = support::free_port();
    let run = verify(
        &fixture(),
        &url(port),
        &["--timeout", "2s"],
        Duration::from_secs(15),
    );
    assert_fails(&run, 3, "cannot connect", &[]);
    assert!(run.took < Duration::from_secs(3), "took {:?}", run.took);
    // Issue 15, item 7: nothing was scanned, so no pattern is shown as ok.
    assert!(
        run.stdout
            .contains("keyspace by pattern: not checked (no primary was scanned)"),
        "{}",
        describe(&run)
    );
    assert!(
        !run.stdout.lines().any(|l| l.trim_end().ends_with(" ok")),
        "a pattern shown as ok with nothing scanned:\n{}",
        describe(&run)
    );
    // Markdown names the run, the target and the policy, and the outcome.
    let run = verify(
        &fixture(),
        &url(port),
        &["--format", "markdown"],
        Duration::from_secs(15),
    );
    assert_eq!(run.code, Some(3), "{}", describe(&run));
    let title = format!(
        "### cachegen verify: `redis://127.0.0.1:{port}` against `{}`\n\n\
         **incomplete: results are partial** · 0 errors, 0 warnings, 0 notes\n",
        fixture().display()
    );
    assert!(run.stdout.starts_with(&title), "{}", describe(&run));
    assert!(
        run.stdout.contains("- incomplete: could not connect"),
        "{}",
        describe(&run)
    );
    let run = verify(
        &fixture(),
        &url(port),
        &["--format", "json"],
        Duration::from_secs(15),
    );
    assert_eq!(run.code, Some(3));
    assert_eq!(run.json()["complete"], false);
    assert!(
        run.json()["incomplete"][0]
            .as_str()
            .unwrap()
            .starts_with("could not connect")
    );
}

#[test]
fn usage_errors_exit_2_before_connecting() {
    // A listener nobody should connect to: exit 2 means "stopped before the
    // network".
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = url(port);
    let dir = tempfile::tempdir().unwrap();
    let broken_yaml = dir.path().join("broken.yaml");
    std::fs::write(&broken_yaml, "version: 1\nname: [unclosed\n").unwrap();
    let invalid = dir.path().join("invalid.yaml");
    std::fs::write(
        &invalid,
        "version: 1\nname: bad\nkeys:\n  patterns: {}\nnot_a_field: 1\n",
    )
    .unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate").unwrap();
    let ca = ca.to_str().unwrap();
    let limit = Duration::from_secs(15);

    let cases: Vec<(&str, Run, &str)> = vec![
        (
            "http URL",
            verify(&fixture(), &format!("http://127.0.0.1:{port}"), &[], limit),
            "redis://",
        ),
        (
            "--tls-ca with redis://",
            verify(&fixture(), &target, &["--tls-ca", ca], limit),
            "rediss://",
        ),
        (
            "YAML syntax error",
            verify(&broken_yaml, &target, &[], limit),
            "has errors",
        ),
        (
            "schema error",
            verify(&invalid, &target, &["--format", "json"], limit),
            "has errors",
        ),
        (
            "--scan-count 5000",
            verify(&fixture(), &target, &["--scan-count", "5000"], limit),
            "5000",
        ),
        (
            "--timeout 0s",
            verify(&fixture(), &target, &["--timeout", "0s"], limit),
            "timeout",
        ),
        (
            "--rate 0",
            verify(&fixture(), &target, &["--rate", "0"], limit),
            "rate",
        ),
        (
            "--sample with --full",
            verify(&fixture(), &target, &["--sample", "5", "--full"], limit),
            "cannot be used with",
        ),
        (
            "user without password",
            verify(
                &fixture(),
                &format!("redis://someone@127.0.0.1:{port}"),
                &[],
                limit,
            ),
            "no password",
        ),
    ];
    for (what, run, needle) in &cases {
        assert_eq!(run.code, Some(2), "{what}: {}", describe(run));
        assert_clean(run, &[]);
        let all = format!("{}\n{}", run.stdout, run.stderr);
        assert!(
            all.contains(needle),
            "{what}: no `{needle}` in\n{}",
            describe(run)
        );
    }
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "a usage error still connected to the server"
    );
}
