//! `cachegen verify` and access control, against real redis-servers on free
//! loopback ports: the `INFO` fallback where `CONFIG GET` is not available
//! (denied by the verifier ACL, renamed away, or not allowed to the verifier
//! by the store), and the access probes: a server that serves strangers
//! (CG440), a verifier user broader than its list (CG441), a TLS store that
//! also answers in plain text (CG442). No test touches port 6379: the
//! plain-port probe is always given a port of its own.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;
use support::verify::{Run, build, verify};
use support::{Client, RedisServer, Reply};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/single.yaml")
}

fn limit() -> Duration {
    Duration::from_secs(30)
}

fn ok(client: &mut Client, args: &[&str]) -> Reply {
    let reply = client.command(args).expect("talk to the test server");
    assert!(!matches!(reply, Reply::Error(_)), "{args:?}: {reply:?}");
    reply
}

/// A server started from the fixture policy's own redis.conf, so every
/// directive matches and only the case under test can make a run fail.
fn policy_server(out: &Path, extra: &[&str]) -> RedisServer {
    let dir = build(&fixture(), out);
    RedisServer::start(Some(&dir.join("stores/redis/redis.conf")), extra)
}

const VERIFY_PW: &str = "verify-pw-Hq27";

/// Creates `cachegen-verify` with `rules` and password [`VERIFY_PW`], and
/// gives `default` a password, so nothing is served without one.
fn with_users(server: &RedisServer, rules: &str) {
    let mut admin = server.client();
    let mut args = vec!["ACL", "SETUSER", "cachegen-verify"];
    args.extend(rules.split_whitespace());
    let password = format!(">{VERIFY_PW}");
    args.push(&password);
    ok(&mut admin, &args);
    ok(
        &mut admin,
        &["ACL", "SETUSER", "default", ">admin-only-pw-55"],
    );
}

/// Gives `cachegen-verify` new `rules` (they start with `reset`) on a
/// client already authenticated as `default` (after [`with_users`]).
fn reset_verifier(admin: &mut Client, rules: &str) {
    let mut args = vec!["ACL", "SETUSER", "cachegen-verify"];
    args.extend(rules.split_whitespace());
    let password = format!(">{VERIFY_PW}");
    args.push(&password);
    ok(admin, &args);
}

fn as_verifier(port: u16) -> String {
    format!("redis://cachegen-verify:{VERIFY_PW}@127.0.0.1:{port}")
}

/// The verifier's rules as `render::acl` builds them for this Redis (7.0:
/// no `client|no-touch`), less `config|get`: what a store whose config
/// holds a secret grants.
/// `verify --format json` of the fixture policy, logged in as the verifier.
fn verify_fixture_as_verifier(port: u16) -> Run {
    verify(
        &fixture(),
        &as_verifier(port),
        &["--format", "json"],
        limit(),
    )
}

fn verifier_rules_without_config_get() -> String {
    let without = cachegen::render::acl::verifier_rules_with(false, false);
    assert!(!without.contains("config|get"), "{without}");
    assert!(without.contains("+info"), "{without}");
    without
}

/// The messages of `code` in `run`, asserting there is exactly one.
fn exactly_one_message(run: &Run, code: &str) -> Vec<String> {
    let found = run.messages(code);
    assert_eq!(found.len(), 1, "{}", run.describe());
    found
}

#[test]
fn an_acl_without_config_get_falls_back_to_info_and_still_catches_drift() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    with_users(&server, &verifier_rules_without_config_get());
    let args = ["--full", "--format", "json", "--no-progress"];

    let run = verify(&fixture(), &as_verifier(server.port), &args, limit());
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let report = run.json();
    assert_eq!(report["complete"], true, "not incomplete");
    let notes = run.findings("CG403");
    assert_eq!(notes.len(), 1, "{}", run.describe());
    assert_eq!(notes[0]["severity"], "note");
    let note = notes[0]["message"].as_str().unwrap();
    assert!(
        note.contains("(refused by the server (NOPERM"),
        "the reason: {note}"
    );
    assert!(
        note.contains("checked through INFO: `maxmemory`, `maxmemory-policy`"),
        "{note}"
    );
    assert!(note.contains("not checked: "), "{note}");
    // Every row came from INFO, and all of them match the policy.
    let rows = report["config"].as_array().unwrap();
    assert!(rows.len() >= 2, "{rows:?}");
    assert!(rows.iter().all(|r| r["read_from"] == "info"), "{rows:?}");
    assert!(rows.iter().all(|r| r["status"] == "matches"), "{rows:?}");
    // The verifier ACL refuses ECHO: the probe finds nothing broader, and
    // `default` has a password: nothing is served to a stranger.
    assert!(run.findings("CG441").is_empty(), "{}", run.describe());
    assert!(run.findings("CG440").is_empty(), "{}", run.describe());

    // --unmanaged says it could not run (CONFIG GET * is refused too).
    let unmanaged = [&args[..], &["--unmanaged"]].concat();
    let run = verify(&fixture(), &as_verifier(server.port), &unmanaged, limit());
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let note = &run.messages("CG403")[0];
    assert!(
        note.ends_with("; --unmanaged could not run (it needs CONFIG GET *)"),
        "{note}"
    );

    // Drift INFO shows is still drift.
    let mut admin = server.client();
    ok(&mut admin, &["AUTH", "default", "admin-only-pw-55"]);
    ok(
        &mut admin,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"],
    );
    let run = verify(&fixture(), &as_verifier(server.port), &args, limit());
    assert_eq!(run.code, Some(1), "{}", run.describe());
    let drift = run.messages("CG401");
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(
        drift[0].starts_with(&format!(
            "`maxmemory-policy` is `allkeys-lru` on 127.0.0.1:{};",
            server.port
        )),
        "{}",
        drift[0]
    );
}

/// The fixture policy with an `access:` section (YAML, as written under
/// `redis:`), written into `dir`.
fn with_access(dir: &Path, access: &str) -> PathBuf {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let anchor = "  maxclients: 500\n";
    assert!(text.contains(anchor), "the fixture's redis section changed");
    let section: String = access.lines().map(|l| format!("    {l}\n")).collect();
    let path = dir.join("policy.yaml");
    std::fs::write(
        &path,
        text.replacen(anchor, &format!("{anchor}  access:\n{section}"), 1),
    )
    .unwrap();
    path
}

/// A port nothing listens on (bound, then released: the probe is refused).
fn closed_port() -> String {
    support::free_port().to_string()
}

#[test]
fn config_get_is_only_probed_where_the_store_denies_it() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    let policy = with_access(out.path(), "verifier:\n  config_get: deny\n");
    let mut admin = server.client();
    let args = ["--format", "json", "--plain-port", &closed_port()];

    // The ACL the store asks for: CONFIG GET is probed once and refused.
    with_users(&server, &verifier_rules_without_config_get());
    ok(&mut admin, &["AUTH", "default", "admin-only-pw-55"]);
    ok(&mut admin, &["CONFIG", "RESETSTAT"]);
    let run = verify(&policy, &as_verifier(server.port), &args, limit());
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert!(run.findings("CG441").is_empty(), "{}", run.describe());
    let note = &run.messages("CG403")[0];
    assert!(
        note.contains("(not allowed to the verifier (`access.verifier.config_get: deny`))"),
        "{note}"
    );
    // One CONFIG GET reached the server (RESETSTAT cleared the stats, and
    // the only client since is verify): the probe, refused by the ACL.
    let Reply::Bulk(Some(stats)) = ok(&mut admin, &["INFO", "commandstats"]) else {
        panic!("INFO is a bulk string")
    };
    assert!(
        stats.contains("cmdstat_config|get:calls=0,") && stats.contains("rejected_calls=1,"),
        "{stats}"
    );

    // The full verifier ACL, config|get included: broader than the store's.
    reset_verifier(&mut admin, &cachegen::render::acl::verifier_rules(false));
    ok(&mut admin, &["CONFIG", "RESETSTAT"]);
    let run = verify(&policy, &as_verifier(server.port), &args, limit());
    assert_eq!(run.code, Some(1), "{}", run.describe());
    let broad = exactly_one_message(&run, "CG441");
    assert!(
        broad[0].contains("(CONFIG GET maxmemory answered `a reply`)"),
        "{}",
        broad[0]
    );
    // The probe is the only CONFIG GET: the config is still read from INFO.
    let Reply::Bulk(Some(stats)) = ok(&mut admin, &["INFO", "commandstats"]) else {
        panic!("INFO is a bulk string")
    };
    assert!(stats.contains("cmdstat_config|get:calls=1,"), "{stats}");
}

#[test]
fn a_verifier_user_that_may_read_values_is_found_out() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    let rules = format!("{} +@read", cachegen::render::acl::verifier_rules(false));
    with_users(&server, &rules);
    let run = verify_fixture_as_verifier(server.port);
    assert_eq!(run.code, Some(1), "{}", run.describe());
    let broad = exactly_one_message(&run, "CG441");
    // ECHO (@connection) is still refused; GET of the probe key is nil.
    assert!(broad[0].contains("(GET answered `(nil)`)"), "{}", broad[0]);
    // The ACL build emits refuses it.
    let mut admin = server.client();
    ok(&mut admin, &["AUTH", "default", "admin-only-pw-55"]);
    reset_verifier(&mut admin, &cachegen::render::acl::verifier_rules(false));
    let run = verify_fixture_as_verifier(server.port);
    assert!(run.findings("CG441").is_empty(), "{}", run.describe());
}

#[test]
fn a_default_user_that_may_not_ping_still_serves_strangers() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    with_users(&server, &cachegen::render::acl::verifier_rules(false));
    let mut admin = server.client();
    ok(&mut admin, &["AUTH", "default", "admin-only-pw-55"]);
    ok(
        &mut admin,
        &[
            "ACL", "SETUSER", "default", "on", "nopass", "~*", "+@all", "-ping",
        ],
    );
    let declared = with_access(out.path(), "verifier:\n  config_get: auto\n");
    let run = verify(
        &declared,
        &as_verifier(server.port),
        &["--format", "json"],
        limit(),
    );
    assert_eq!(run.code, Some(1), "{}", run.describe());
    let open = exactly_one_message(&run, "CG440");
    assert!(open[0].contains("(PING answered `NOPERM"), "{}", open[0]);
}

#[test]
fn verify_sends_no_password_in_plain_text_to_a_tls_store() {
    let out = tempfile::tempdir().unwrap();
    // A server with no users: `default` serves everyone, in plain text.
    let server = policy_server(out.path(), &[]);
    let tls = "tls:\n  port: 6380\n  cert: {file: /etc/redis/tls/tls.crt}\n  key: {file: /etc/redis/tls/tls.key}\n  ca: {file: /etc/redis/tls/ca.crt}\n  client_certs: none\n";
    let policy = with_access(out.path(), tls);
    let args = ["--format", "json", "--plain-port", &closed_port()];
    let mut admin = server.client();
    ok(&mut admin, &["CONFIG", "RESETSTAT"]);

    // With a password: refused before any connection.
    let run = verify(&policy, &as_verifier(server.port), &args, limit());
    assert_eq!(run.code, Some(2), "{}", run.describe());
    assert!(
        run.stderr
            .contains("will not send its password in plain text"),
        "{}",
        run.describe()
    );
    assert!(!run.stderr.contains(VERIFY_PW), "{}", run.describe());
    let Reply::Bulk(Some(stats)) = ok(&mut admin, &["INFO", "commandstats"]) else {
        panic!("INFO is a bulk string")
    };
    assert!(!stats.contains("cmdstat_auth"), "{stats}");

    // Without one, the store answering verify in plain text is CG442.
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = verify(&policy, &url, &args, limit());
    assert_eq!(run.code, Some(1), "{}", run.describe());
    let found = exactly_one_message(&run, "CG442");
    assert!(
        found[0].starts_with(&format!(
            "127.0.0.1:{} answered in plain text (verify's own `redis://` connection)",
            server.port
        )),
        "{}",
        found[0]
    );
}

#[test]
fn latencies_that_cannot_be_judged_are_noted() {
    let out = tempfile::tempdir().unwrap();
    // The fixture sets `targets.cached_latency`.
    for (extra, why) in [
        (&["--latency-tracking", "no"][..], "latency-tracking off"),
        (
            &["--latency-tracking-info-percentiles", "50 99.9"][..],
            "leave out p99",
        ),
    ] {
        let server = policy_server(out.path(), extra);
        let run = verify(
            &fixture(),
            &format!("redis://127.0.0.1:{}", server.port),
            &["--format", "json"],
            limit(),
        );
        assert_eq!(run.code, Some(0), "{}", run.describe());
        let notes = run.findings("CG436");
        assert_eq!(notes.len(), 1, "{}", run.describe());
        assert_eq!(notes[0]["severity"], "note");
        let message = notes[0]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "command latencies were not checked against 10.0ms on 127.0.0.1:{}:",
                server.port
            )) && message.contains(why),
            "{message}"
        );
    }
    // Tracking on, as Redis 7.0 ships it: judged, no note.
    let server = policy_server(out.path(), &[]);
    let run = verify(
        &fixture(),
        &format!("redis://127.0.0.1:{}", server.port),
        &["--format", "json"],
        limit(),
    );
    assert!(run.findings("CG436").is_empty(), "{}", run.describe());
}

#[test]
fn renamed_config_falls_back_to_info() {
    let out = tempfile::tempdir().unwrap();
    // Managed services rename or remove CONFIG.
    let server = policy_server(out.path(), &["--rename-command", "CONFIG", ""]);
    let run = verify(
        &fixture(),
        &format!("redis://127.0.0.1:{}", server.port),
        &["--full", "--format", "json"],
        limit(),
    );
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let note = &run.messages("CG403")[0];
    assert!(
        note.contains("(refused by the server (renamed or disabled: ERR unknown command"),
        "{note}"
    );
    // Not the arguments Redis echoes after the reason.
    assert!(!note.contains("with args"), "{note}");
    let rows = run.json()["config"].as_array().unwrap().clone();
    assert!(
        rows.iter()
            .any(|r| r["directive"] == "maxmemory-policy" && r["status"] == "matches"),
        "{rows:?}"
    );
    // Drift that INFO shows: a server started with another policy.
    let other = tempfile::tempdir().unwrap();
    let drifted = policy_server(
        other.path(),
        &[
            "--rename-command",
            "CONFIG",
            "",
            "--maxmemory-policy",
            "allkeys-lfu",
        ],
    );
    let run = verify(
        &fixture(),
        &format!("redis://127.0.0.1:{}", drifted.port),
        &["--format", "json"],
        limit(),
    );
    assert_eq!(run.code, Some(1), "{}", run.describe());
    let drift = run.messages("CG401");
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(
        drift[0].starts_with("`maxmemory-policy` is `allkeys-lfu`"),
        "{}",
        drift[0]
    );
}

#[test]
fn an_open_server_is_an_error_where_access_is_declared() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    let url = format!("redis://127.0.0.1:{}", server.port);
    // The fixture declares no access: a warning, the exit code unchanged.
    let run = verify(&fixture(), &url, &["--format", "json"], limit());
    assert_eq!(run.code, Some(0), "{}", run.describe());
    let open = run.findings("CG440");
    assert_eq!(open.len(), 1, "{}", run.describe());
    assert_eq!(open[0]["severity"], "warning");
    // Declared: an error, exit 1.
    let declared = with_access(out.path(), "verifier:\n  config_get: auto\n");
    let run = verify(&declared, &url, &["--format", "json"], limit());
    assert_eq!(run.code, Some(1), "{}", run.describe());
    let open = run.findings("CG440");
    assert_eq!(open.len(), 1, "{}", run.describe());
    assert_eq!(open[0]["severity"], "error");
    assert!(
        open[0]["message"].as_str().unwrap().contains(&format!(
            "served on 127.0.0.1:{} (PING answered `PONG`",
            server.port
        )),
        "{}",
        run.describe()
    );
    // Once the default user needs a password, nothing is served.
    with_users(&server, &cachegen::render::acl::verifier_rules(false));
    let run = verify(
        &declared,
        &as_verifier(server.port),
        &["--format", "json"],
        limit(),
    );
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert!(run.findings("CG440").is_empty(), "{}", run.describe());
}

#[test]
fn a_verifier_user_with_every_command_is_found_out() {
    let out = tempfile::tempdir().unwrap();
    let server = policy_server(out.path(), &[]);
    with_users(&server, "on ~* &* +@all");
    let run = verify_fixture_as_verifier(server.port);
    assert_eq!(run.code, Some(1), "{}", run.describe());
    let broad = exactly_one_message(&run, "CG441");
    assert!(
        broad[0].contains("(ECHO answered `cachegen-verify`, GET answered `(nil)`)"),
        "{}",
        broad[0]
    );
    // As `default` (no user named), the probe is skipped: `default` is not
    // the user build generates, whatever it may do.
    let run = verify(
        &fixture(),
        &format!("redis://:admin-only-pw-55@127.0.0.1:{}", server.port),
        &["--format", "json"],
        limit(),
    );
    assert!(run.findings("CG441").is_empty(), "{}", run.describe());
    // But getting in as `default` with a password shows that user is on.
    let on = run.findings("CG443");
    assert_eq!(on.len(), 1, "{}", run.describe());
    assert_eq!(on[0]["severity"], "warning");
    // As cachegen-verify, nothing says so.
    let run = verify_fixture_as_verifier(server.port);
    assert!(run.findings("CG443").is_empty(), "{}", run.describe());
}

/// A policy server (with the verifier user) that listens in plain text on
/// `server.port` (the support server waits for PING there) and with TLS on
/// `tls_port`, its CA, server and client certificates in `pki`.
struct TlsServer {
    pki: tempfile::TempDir,
    tls_port: u16,
    server: RedisServer,
}

/// Starts a [`TlsServer`]; `auth_clients` is its `--tls-auth-clients`.
fn tls_server(out: &Path, auth_clients: &str) -> TlsServer {
    let pki = tempfile::tempdir().unwrap();
    support::pki::make_ca(pki.path(), "cachegen-test-ca");
    support::pki::make_server_cert(pki.path());
    support::pki::make_client_cert(pki.path());
    let file = |f: &str| pki_file(&pki, f);
    let tls_port = support::free_port();
    let server = policy_server(
        out,
        &[
            "--tls-port",
            &tls_port.to_string(),
            "--tls-cert-file",
            &file("server.pem"),
            "--tls-key-file",
            &file("server.key"),
            "--tls-ca-cert-file",
            &file("ca.pem"),
            "--tls-auth-clients",
            auth_clients,
        ],
    );
    with_users(&server, &cachegen::render::acl::verifier_rules(false));
    TlsServer {
        pki,
        tls_port,
        server,
    }
}

fn pki_file(pki: &tempfile::TempDir, name: &str) -> String {
    pki.path().join(name).to_str().unwrap().to_owned()
}

#[test]
fn a_tls_store_answering_in_plain_text_is_found_out() {
    let out = tempfile::tempdir().unwrap();
    let TlsServer {
        pki,
        tls_port,
        server,
    } = tls_server(out.path(), "no");
    let file = |f: &str| pki_file(&pki, f);
    let tls = format!(
        "tls:\n  port: {tls_port}\n  cert: {{file: /etc/redis/tls/tls.crt}}\n  key: {{file: /etc/redis/tls/tls.key}}\n  ca: {{file: /etc/redis/tls/ca.crt}}\n  client_certs: none\n"
    );
    let policy = with_access(out.path(), &tls);
    let url = format!("rediss://cachegen-verify:{VERIFY_PW}@127.0.0.1:{tls_port}");
    let base = [
        "--format",
        "json",
        "--timeout",
        "3s",
        "--tls-ca",
        &file("ca.pem"),
    ];
    let plain = server.port.to_string();

    // The plain listener answers (NOAUTH is an answer): an error.
    let run = verify(
        &policy,
        &url,
        &[&base[..], &["--plain-port", &plain]].concat(),
        limit(),
    );
    assert_eq!(run.code, Some(1), "{}", run.describe());
    assert_eq!(run.json()["complete"], true);
    let found = exactly_one_message(&run, "CG442");
    assert!(
        found[0].starts_with(&format!(
            "127.0.0.1:{plain} answered in plain text (`NOAUTH"
        )),
        "{}",
        found[0]
    );
    // Nothing on the probed port: fine, and the run is otherwise clean.
    let run = verify(
        &policy,
        &url,
        &[&base[..], &["--plain-port", &closed_port()]].concat(),
        limit(),
    );
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert!(run.findings("CG442").is_empty(), "{}", run.describe());
    // A store that keeps its plain port on purpose is not probed.
    let kept = with_access(out.path(), &format!("{tls}  plain_port: {plain}\n"));
    let run = verify(
        &kept,
        &url,
        &[&base[..], &["--plain-port", &plain]].concat(),
        limit(),
    );
    assert!(run.findings("CG442").is_empty(), "{}", run.describe());
}

#[test]
fn a_server_that_requires_client_certificates_is_verified_with_one() {
    let out = tempfile::tempdir().unwrap();
    // `tls-auth-clients yes`: what a policy's `access.tls` renders by default.
    // `_server` keeps the server running to the end of the test.
    let TlsServer {
        pki,
        tls_port,
        server: _server,
    } = tls_server(out.path(), "yes");
    let file = |f: &str| pki_file(&pki, f);
    let url = format!("rediss://cachegen-verify:{VERIFY_PW}@127.0.0.1:{tls_port}");
    let base = [
        "--format",
        "json",
        "--timeout",
        "3s",
        "--tls-ca",
        &file("ca.pem"),
    ];
    let run = verify(
        &fixture(),
        &url,
        &[
            &base[..],
            &[
                "--tls-cert",
                &file("client.pem"),
                "--tls-key",
                &file("client.key"),
            ],
        ]
        .concat(),
        limit(),
    );
    assert_eq!(run.code, Some(0), "{}", run.describe());
    assert_eq!(run.json()["complete"], true);
    // The anonymous probe presents the certificate too (it asks whether a
    // password is needed, not a certificate), and is refused: NOAUTH.
    assert!(run.findings("CG440").is_empty(), "{}", run.describe());
    assert!(!run.stdout.contains(VERIFY_PW) && !run.stderr.contains(VERIFY_PW));
    // Without the certificate the handshake fails: incomplete, exit 3.
    let run = verify(&fixture(), &url, &base, limit());
    assert_eq!(run.code, Some(3), "{}", run.describe());
    // A key without its certificate is a usage error.
    let run = verify(
        &fixture(),
        &url,
        &[&base[..], &["--tls-key", &file("client.key")]].concat(),
        limit(),
    );
    assert_eq!(run.code, Some(2), "{}", run.describe());
}

#[test]
fn cachegens_own_output_passes_every_probe() {
    let out = tempfile::tempdir().unwrap();
    let policy = with_access(
        out.path(),
        "verifier:\n  password: {env: CACHEGEN_REDIS_PASSWORD}\n",
    );
    let text = std::fs::read_to_string(&policy).unwrap();
    let (report, files) = support::render::render_text("policy.yaml", &text);
    let store = report.policy.as_ref().expect("a policy").first_store();
    // The generated ACL file, installed with test passwords, loaded by the
    // server from the generated redis.conf: a deployment as build makes it.
    let installed = support::credentials::install(&files, store);
    let server = RedisServer::start(Some(&installed.conf), &[]);
    let run = support::verify::verify_with_env(
        &policy,
        &format!("redis://cachegen-verify@127.0.0.1:{}", server.port),
        &["--format", "json", "--plain-port", &closed_port()],
        &[(
            "CACHEGEN_REDIS_PASSWORD",
            installed.password("cachegen-verify"),
        )],
        limit(),
    );
    assert_eq!(run.code, Some(0), "{}", run.describe());
    // Nobody is served without a password, the verifier is refused ECHO,
    // and CONFIG GET (no replicas: allowed) reads every directive.
    for code in ["CG440", "CG441", "CG442", "CG443", "CG403", "CG401"] {
        assert!(run.findings(code).is_empty(), "{code}: {}", run.describe());
    }
    let rows = run.json()["config"].as_array().unwrap().clone();
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r["read_from"] == "config-get"),
        "{rows:?}"
    );
}
