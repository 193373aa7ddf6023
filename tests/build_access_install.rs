//! Credentials on real servers: a real replica authenticates as the
//! replication user; the installer fails cleanly naming the missing
//! reference and keeps passwords off command lines; a TLS store serves only
//! TLS with client certificates.
mod support;

use cachegen::policy::model::SecretRef;
use support::access::*;
use support::credentials::{install, login};
use support::{RedisServer, Reply};

/// A real Redis 7.0 replica authenticates with the generated
/// `replication.conf` as the replication user, whose only commands are
/// `REPLICATION_COMMANDS`, and the link comes up.
#[test]
fn a_replica_authenticates_as_the_replication_user() {
    let mut policy = load("policies/quizmentor.yaml");
    as_local_redis(&mut policy);
    let files = render(&policy);
    let store = &policy.stores["cache"];
    let installed = install(&files, store);
    // Plain replication (a cluster replica needs the cluster around it).
    let plain = ["--cluster-enabled", "no"];
    let master = RedisServer::start(Some(&installed.conf), &plain);
    let master_port = master.port.to_string();
    let mut args = plain.to_vec();
    args.extend(["--replicaof", "127.0.0.1", &master_port]);
    let replica = RedisServer::start(Some(&installed.conf), &args);
    let mut admin = login(replica.port, "admin", installed.password("admin"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let info = match admin.command(&["INFO", "replication"]).unwrap() {
            Reply::Bulk(Some(t)) => t,
            other => panic!("{other:?}"),
        };
        if support::info_field(&info, "master_link_status").as_deref() == Some("up") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "replica never synced:\n{info}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // It did so as `replication`, and nothing was refused on the way.
    let mut master_admin = login(master.port, "admin", installed.password("admin"));
    let log = master_admin.command(&["ACL", "LOG"]).unwrap();
    assert_eq!(log, Reply::Array(vec![]), "denied commands: {log:?}");
    let clients = master_admin
        .command(&["CLIENT", "LIST", "TYPE", "replica"])
        .unwrap();
    assert!(
        matches!(&clients, Reply::Bulk(Some(t)) if t.contains("user=replication")),
        "{clients:?}"
    );
    let users =
        std::fs::read_to_string(installed.dir.path().join("credentials/users.acl")).unwrap();
    let line = users
        .lines()
        .find(|l| l.starts_with("user replication "))
        .unwrap();
    for c in cachegen::render::access::REPLICATION_COMMANDS {
        assert!(line.contains(&format!(" +{c} ")), "{line}");
    }
}

/// The installer stops at a missing or empty reference with a message
/// naming it, leaves no file behind (not even a temporary one), and writes
/// mode 600 files when it succeeds.
#[test]
fn the_installer_fails_naming_the_missing_reference_and_writes_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let mut policy = load("policies/quizmentor.yaml");
    // One reference of each kind the installer reads.
    let store = policy.stores.get_mut("cache").unwrap();
    store.access.replication.password = SecretRef::Kubernetes {
        name: "cache-redis".into(),
        key: "replication".into(),
    };
    let files = render(&policy);
    let store = &policy.stores["cache"];
    let secrets = tempfile::tempdir().unwrap();
    let (env, users) = support::credentials::passwords(store, secrets.path());
    let path = std::env::var("PATH").unwrap();
    let expect_failure = |env: &[(String, String)], names: &str, why: &str| {
        let out = tempfile::tempdir().unwrap();
        let o = support::credentials::run_installer(&files, "cache", out.path(), env, &path);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{names}: {stderr}");
        assert!(stderr.contains(names) && stderr.contains(why), "{stderr}");
        let left: Vec<_> = std::fs::read_dir(out.path()).unwrap().collect();
        assert!(left.is_empty(), "files left behind: {left:?}");
        for pw in users.values() {
            assert!(!stderr.contains(pw.as_str()), "{stderr}");
        }
    };
    for missing in env.iter().skip(1) {
        let others: Vec<(String, String)> = env
            .iter()
            .filter(|(n, _)| n != &missing.0)
            .cloned()
            .collect();
        let name = format!("environment variable {}", missing.0);
        expect_failure(&others, &name, "unset or empty");
        let mut empty = others.clone();
        empty.push((missing.0.clone(), String::new()));
        expect_failure(&empty, &name, "unset or empty");
    }
    let secret_file = secrets.path().join("cache-redis/replication");
    std::fs::write(&secret_file, "").unwrap();
    expect_failure(
        &env,
        "Kubernetes Secret cache-redis key replication",
        "unset or empty",
    );
    std::fs::remove_file(&secret_file).unwrap();
    expect_failure(
        &env,
        "Kubernetes Secret cache-redis key replication",
        "missing or unreadable",
    );
    std::fs::write(&secret_file, users["replication"].as_bytes()).unwrap();

    let out = tempfile::tempdir().unwrap();
    let o = support::credentials::run_installer(&files, "cache", out.path(), &env, &path);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let mode = e.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{:?}", e.path());
            e.file_name().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["replication.conf", "users.acl"]);
    let repl = std::fs::read_to_string(out.path().join("replication.conf")).unwrap();
    let user = &store.access.replication.user;
    assert_eq!(
        repl,
        format!(
            "masteruser {user}\nmasterauth \"{}\"\n",
            users[user.as_str()]
        )
    );
}

/// No password reaches a command line: every program the installer runs is
/// a wrapper that logs its arguments, and no logged argument holds one.
/// A password with quotes and backslashes reaches redis.conf intact.
#[test]
fn the_installer_keeps_passwords_off_command_lines() {
    let mut policy = load("policies/quizmentor.yaml");
    let store = policy.stores.get_mut("cache").unwrap();
    store.access.replication.password = SecretRef::Env("REPLICATION_TEST_PASSWORD".into());
    let files = render(&policy);
    let store = &policy.stores["cache"];
    let secrets = tempfile::tempdir().unwrap();
    let (mut env, _) = support::credentials::passwords(store, secrets.path());
    let tricky = r#"a"b\c'd $e `f` %s"#;
    for (name, pw) in &mut env {
        if name == "REPLICATION_TEST_PASSWORD" {
            *pw = tricky.into();
        }
    }
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("argv.log");
    let real_path = std::env::var("PATH").unwrap();
    for program in [
        "sha256sum",
        "cut",
        "sed",
        "cat",
        "mktemp",
        "chmod",
        "mv",
        "mkdir",
        "rm",
    ] {
        let real = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .unwrap();
        let real = String::from_utf8(real.stdout).unwrap().trim().to_owned();
        assert!(!real.is_empty(), "{program} not found");
        let wrapper = bin.path().join(program);
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"{program} $*\" >>'{}'\nexec '{real}' \"$@\"\n",
                log.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let path = format!("{}:{real_path}", bin.path().display());
    let o = support::credentials::run_installer(&files, "cache", out.path(), &env, &path);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let argv = std::fs::read_to_string(&log).unwrap();
    assert!(
        argv.contains("sha256sum") && argv.contains("mktemp"),
        "{argv}"
    );
    for (_, pw) in &env {
        assert!(
            !argv.contains(pw.as_str()),
            "a password on a command line:\n{argv}"
        );
    }
    // The tricky password survives redis.conf's tokenizer.
    let conf = out.path().join("replication.conf");
    let server = RedisServer::start(None, &["--include", conf.to_str().unwrap(), "--save", ""]);
    let mut c = server.client();
    assert_eq!(c.config_get("masterauth").as_deref(), Some(tricky));
    // And the ACL file's hash is the password's.
    let users = std::fs::read_to_string(out.path().join("users.acl")).unwrap();
    let line = users
        .lines()
        .find(|l| l.starts_with("user replication "))
        .unwrap();
    use sha2::Digest;
    let digest = sha2::Sha256::digest(tricky.as_bytes());
    let want: String = std::iter::once("#".to_owned())
        .chain(digest.iter().map(|b| format!("{b:02x}")))
        .collect();
    assert!(line.ends_with(&want), "{line}");
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let o = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl on PATH");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A CA and a certificate it signed for 127.0.0.1, usable by the server
/// and, as a client certificate, by redis-cli.
fn make_pki(dir: &std::path::Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=cachegen-test-ca",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &ca);
    std::fs::write(
        dir.join("node.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let mut csr = vec!["req", "-new"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "node.key",
        "-out",
        "node.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(dir, &csr);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "node.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "node.pem",
            "-days",
            "2",
            "-extfile",
            "node.ext",
        ],
    );
}

/// A TLS store from the generated redis.conf: TLS only (`port 0`), client
/// certificates required, the ACL file loaded; redis-cli with the CA and a
/// certificate gets in as admin, without a certificate it does not, and
/// plain text on the TLS port gets no answer.
#[test]
fn a_tls_store_serves_only_tls_with_client_certificates() {
    let pki = tempfile::tempdir().unwrap();
    make_pki(pki.path());
    let file = |f: &str| pki.path().join(f).to_str().unwrap().to_owned();
    // The access fixture with a `tls:` section (no plain_port, client
    // certificates required by default) naming the test's files.
    let text = std::fs::read_to_string("tests/fixtures/build-access.yaml").unwrap();
    let tls = format!(
        "    tls:\n      port: 6380\n      cert: {{file: {}}}\n      key: {{file: {}}}\n      ca: {{file: {}}}\n    services:\n",
        file("node.pem"),
        file("node.key"),
        file("ca.pem")
    );
    assert!(text.contains("    services:\n"));
    let text = text.replacen("    services:\n", &tls, 1);
    let policy = support::render::checked_text("tls.yaml", &text)
        .policy
        .expect("model");
    assert!(policy.stores["redis"].access.tls.is_some());
    let files = render(&policy);
    let conf_text = support::render::file(&files, "stores/redis/redis.conf");
    for line in [
        "port 0",
        "tls-port 6380",
        "tls-auth-clients yes",
        "tls-replication yes",
    ] {
        assert!(
            conf_text.lines().any(|l| l == line),
            "no `{line}`:\n{conf_text}"
        );
    }
    let store = &policy.stores["redis"];
    let installed = install(&files, store);
    let port = support::free_port().to_string();
    let log = installed.dir.path().join("redis.log");
    let child = std::process::Command::new(support::redis_server_binary())
        .arg(&installed.conf)
        .args([
            "--tls-port",
            &port,
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "no",
        ])
        .arg("--dir")
        .arg(installed.dir.path())
        .arg("--logfile")
        .arg(&log)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Kill(child);
    let cli = |cert: bool, args: &[&str]| {
        let mut cmd = std::process::Command::new(support::redis_cli_binary());
        cmd.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "--tls",
            "--cacert",
            &file("ca.pem"),
        ]);
        if cert {
            cmd.args(["--cert", &file("node.pem"), "--key", &file("node.key")]);
        }
        cmd.args(["--user", "admin"])
            .env("REDISCLI_AUTH", installed.password("admin"))
            .args(args);
        let o = cmd.output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while cli(true, &["PING"]).trim() != "PONG" {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!(
                "redis-server exited {status}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        assert!(std::time::Instant::now() < deadline, "no TLS PONG");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(cli(true, &["CONFIG", "GET", "port"]).trim(), "port\n0");
    assert_eq!(
        cli(true, &["CONFIG", "GET", "tls-auth-clients"]).trim(),
        "tls-auth-clients\nyes"
    );
    assert_ne!(
        cli(false, &["PING"]).trim(),
        "PONG",
        "no client certificate, no service"
    );
    // Plain text on the TLS port: no RESP answer.
    use std::io::{Read, Write};
    let mut plain =
        std::net::TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
    plain
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .unwrap();
    plain.write_all(b"PING\r\n").unwrap();
    let mut buf = [0u8; 64];
    let n = plain.read(&mut buf).unwrap_or(0);
    assert!(
        !buf[..n].starts_with(b"+PONG") && !buf[..n].starts_with(b"-"),
        "{:?}",
        &buf[..n]
    );
}
