//! Where a replicated store's passwords end up once its processes run: a
//! running Sentinel rewrites its config file with the login it uses in clear
//! text, and `CONFIG REWRITE` (which Sentinel sends every data node in a
//! failover) writes `masterauth` into the node's config file. Both are
//! inherent to Redis, so the nodes run from working copies in the
//! credentials directory (mode 700): the generated files never change and
//! never hold a password. Also: the installer refuses a Sentinel login that
//! Sentinel's rewrite would write unquoted and break.

mod support;

use cachegen::policy::model::{SecretRef, Store};
use cachegen::render::OutputFile;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};
use support::credentials::{Installed, install, login, passwords, run_installer};
use support::render::{file, render};
use support::{RedisServer, Reply, info_field};

const POLICY: &str = "tests/fixtures/build-replicated.yaml";
const STORE: &str = "orders";
const MASTER: &str = "orders-primary";

fn setup() -> (Vec<OutputFile>, Store, Installed) {
    let (mut report, files) = render(POLICY);
    let mut policy = report.policy.take().expect("lowers");
    let store = policy.stores.shift_remove(STORE).expect("store");
    let installed = install(&files, &store);
    (files, store, installed)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every user whose password `text` holds.
fn leaked<'a>(text: &str, passwords: &'a BTreeMap<String, String>) -> Vec<&'a str> {
    passwords
        .iter()
        .filter(|(_, pw)| text.contains(pw.as_str()))
        .map(|(user, _)| user.as_str())
        .collect()
}

/// The generated file `name` of the store, as a checkout of generated/
/// holds it (mode 644), and its bytes.
fn checkout(dir: &Path, files: &[OutputFile], name: &str) -> (std::path::PathBuf, String) {
    let generated = dir.join("generated");
    std::fs::create_dir_all(&generated).unwrap();
    let text = file(files, &format!("stores/{STORE}/{name}"));
    let path = generated.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    (path, text.to_owned())
}

/// The installer writes the Sentinel's working copy of sentinel.conf into
/// its credentials directory (700, the copy 600); a Sentinel run from it
/// rewrites only that copy: the generated file stays byte-identical and
/// password-free.
#[test]
fn a_running_sentinel_rewrites_only_its_working_copy_in_the_credentials_directory() {
    let (files, store, installed) = setup();
    let (generated, before) = checkout(installed.dir.path(), &files, "sentinel.conf");
    let creds = installed.dir.path().join("credentials");
    let working = creds.join("sentinel.conf");
    assert_eq!(mode(&creds), 0o700, "the credentials directory");
    assert_eq!(mode(&working), 0o600, "the installer's working copy");
    let text = std::fs::read_to_string(&working).unwrap();
    assert!(
        leaked(&text, &installed.passwords).is_empty(),
        "as installed, the working copy includes the login: {text}"
    );
    let include = format!(
        "include \"{}\"\n",
        creds.join("sentinel-auth.conf").display()
    );
    assert!(text.ends_with(&include), "{text}");
    assert!(
        text.starts_with(before.trim_end_matches(&format!(
            "include {}/sentinel-auth.conf\n",
            cachegen::render::access::default_credentials_dir(&store)
        ))),
        "the working copy is the generated file with the installed include"
    );

    let primary = RedisServer::start(Some(&installed.conf), &[]);
    // The deployment names the primary's address in its copy (mode kept).
    std::fs::write(
        &working,
        text.replace(
            &format!("sentinel monitor {MASTER} 127.0.0.1 6379 "),
            &format!("sentinel monitor {MASTER} 127.0.0.1 {} ", primary.port),
        ),
    )
    .unwrap();
    let sentinel = RedisServer::start(Some(&working), &["--sentinel"]);
    let verifier = installed.password("cachegen-verify");
    let addr = login(sentinel.port, "cachegen-verify", verifier)
        .command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])
        .unwrap();
    assert!(
        matches!(&addr, Reply::Array(a) if a.len() == 2),
        "the Sentinel runs from its working copy: {addr:?}"
    );
    let rewritten = std::fs::read_to_string(&working).unwrap();
    drop(sentinel);
    assert!(rewritten.contains("sentinel myid "), "{rewritten}");
    // What Sentinel does (and why the copy lives here): its login's
    // password (the Sentinel user's, not the operator's), in clear, in its
    // rewritten file.
    assert_eq!(
        leaked(&rewritten, &installed.passwords),
        ["sentinel"],
        "{rewritten}"
    );
    assert_eq!(mode(&creds), 0o700, "the copy stays behind a 700 directory");
    // A re-run (a rotated password) keeps the copy's id and state but drops
    // the login Sentinel wrote after the include, which would win over it.
    let (env, _) = passwords(&store, &installed.dir.path().join("secrets"));
    let out = run_installer(&files, STORE, &creds, &env, &std::env::var("PATH").unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept = std::fs::read_to_string(&working).unwrap();
    assert!(kept.contains("sentinel myid "), "{kept}");
    assert!(leaked(&kept, &installed.passwords).is_empty(), "{kept}");
    assert!(kept.contains(&include), "{kept}");
    assert_eq!(mode(&working), 0o600);
    let after = std::fs::read_to_string(&generated).unwrap();
    assert_eq!(after, before, "the generated sentinel.conf never changes");
    assert!(leaked(&after, &installed.passwords).is_empty());
}

/// A re-run of the installer keeps the Sentinel's working copy (its id and
/// what it learned) and says so, without the logins a Sentinel wrote into
/// it (in any case, anywhere in the file).
#[test]
fn the_installer_keeps_an_existing_sentinel_working_copy() {
    let (files, store, installed) = setup();
    let creds = installed.dir.path().join("credentials");
    let working = creds.join("sentinel.conf");
    std::fs::write(
        &working,
        "sentinel myid 0123\nSENTINEL auth-pass m old1\n  sentinel auth-user m admin\nsentinel sentinel-user admin\nsentinel sentinel-pass old1\naclfile \"/x\"\nsentinel auth-passes-not-a-directive\n",
    )
    .unwrap();
    let (env, _) = passwords(&store, &installed.dir.path().join("secrets"));
    let out = run_installer(&files, STORE, &creds, &env, &std::env::var("PATH").unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("kept"));
    assert_eq!(
        std::fs::read_to_string(&working).unwrap(),
        "sentinel myid 0123\nsentinel auth-passes-not-a-directive\n"
    );
}

/// The installer makes an existing credentials directory 700.
#[test]
fn the_installer_closes_an_open_credentials_directory() {
    let (files, store, installed) = setup();
    let out_dir = installed.dir.path().join("open");
    std::fs::create_dir(&out_dir).unwrap();
    std::fs::set_permissions(&out_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (env, _) = passwords(&store, &installed.dir.path().join("secrets"));
    let out = run_installer(
        &files,
        STORE,
        &out_dir,
        &env,
        &std::env::var("PATH").unwrap(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&out_dir), 0o700);
    for f in std::fs::read_dir(&out_dir).unwrap() {
        let path = f.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
}

/// What Sentinel sends each data node in a failover (`REPLICAOF` + `CONFIG
/// REWRITE`) writes `masterauth` into the node's file: replica.conf says to
/// run from a copy in the credentials directory, and the node run so leaves
/// the generated file byte-identical and password-free.
#[test]
fn config_rewrite_touches_only_the_data_nodes_working_copy() {
    let (files, store, installed) = setup();
    let creds = installed.dir.path().join("credentials");
    let (generated, before) = checkout(installed.dir.path(), &files, "replica.conf");
    let dir = cachegen::render::access::default_credentials_dir(&store);
    for name in ["redis.conf", "replica.conf"] {
        let text = file(&files, &format!("stores/{STORE}/{name}"));
        assert!(
            text.contains(&format!("Run this node from a copy of this file in the credentials directory\n# ({dir}, mode 700)"))
                && text.contains("CONFIG REWRITE"),
            "{name} says where to run it from: {text}"
        );
    }
    let primary = RedisServer::start(Some(&installed.conf), &[]);
    // The operator's copy, as replica.conf says: in the credentials
    // directory, its paths and the primary's address named.
    let working = creds.join("replica.conf");
    std::fs::write(
        &working,
        before.replace(&dir, creds.to_str().unwrap()).replace(
            "replicaof 127.0.0.1 6379",
            &format!("replicaof 127.0.0.1 {}", primary.port),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&working, std::fs::Permissions::from_mode(0o600)).unwrap();
    let replica = RedisServer::start(Some(&working), &[]);
    let mut admin = login(replica.port, "admin", installed.password("admin"));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let Reply::Bulk(Some(info)) = admin.command(&["INFO", "replication"]).unwrap() else {
            panic!("INFO")
        };
        if info_field(&info, "master_link_status").as_deref() == Some("up") {
            break;
        }
        assert!(Instant::now() < deadline, "replica never linked: {info}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = admin.command(&["CONFIG", "REWRITE"]).unwrap();
    assert!(matches!(&r, Reply::Simple(s) if s == "OK"), "{r:?}");
    let rewritten = std::fs::read_to_string(&working).unwrap();
    // What Redis does (and why the copy lives here).
    assert_eq!(
        leaked(&rewritten, &installed.passwords),
        ["replication"],
        "{rewritten}"
    );
    assert_eq!(mode(&creds), 0o700);
    let after = std::fs::read_to_string(&generated).unwrap();
    assert_eq!(after, before, "the generated replica.conf never changes");
    assert!(leaked(&after, &installed.passwords).is_empty());
}

/// Sentinel's rewrite writes `sentinel auth-pass <master> <password>`
/// unquoted: the installer refuses a login password (the Sentinel user's)
/// with whitespace, a quote or a backslash, naming the reference and never
/// the value. The operator's is no Sentinel login, so it may hold them.
#[test]
fn the_installer_refuses_a_sentinel_login_sentinel_cannot_rewrite() {
    let (files, store, installed) = setup();
    let env_of = |reference: Option<&SecretRef>| match reference {
        Some(SecretRef::Env(name)) => name.clone(),
        other => panic!("the fixture's passwords are environment references: {other:?}"),
    };
    let login_env = env_of(store.access.sentinel.as_ref().map(|s| &s.password));
    let admin_env = env_of(Some(&store.access.admin.password));
    // The installer into `out` with `var` set to `value`.
    let install_with = |var: &str, value: &str, out: &str| {
        let (mut env, _) = passwords(&store, &installed.dir.path().join("secrets"));
        env.retain(|(k, _)| k != var);
        env.push((var.to_owned(), value.to_owned()));
        let out_dir = installed.dir.path().join(out);
        let path = std::env::var("PATH").unwrap();
        (run_installer(&files, STORE, &out_dir, &env, &path), out_dir)
    };
    let (out, _) = install_with(&admin_env, "Admin \"Secret\"", "admin-spaced");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for bad in [
        "Sentinel Secret",
        "tab\there",
        "quote\"x",
        "apos'x",
        "back\\slash",
    ] {
        let (out, out_dir) = install_with(&login_env, bad, "refused");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad:?} must be refused");
        assert!(
            stderr.contains(&format!("environment variable {login_env}"))
                && stderr.contains("unquoted"),
            "{stderr}"
        );
        assert!(
            !stderr.contains(bad),
            "the message shows the value: {stderr}"
        );
        assert!(!out_dir.join("sentinel-auth.conf").exists());
    }
}
