//! Test support: shop's `durable` store (a primary, 2 replicas and 3
//! Sentinels) started by its own generated `replicated/bootstrap.sh` on free
//! loopback ports, rendered at Redis 7.0 (`replicated::shop_at_7_0`: the
//! machine's Redis may be older than the policy's), and stopped when
//! dropped: stop.sh, then SIGKILL for any redis-server still running from a
//! pid file. Never 6379 or 26379. `tests/build_replicated_bootstrap.rs` and
//! `tests/verify_sentinel.rs` share it.

use super::cluster::{client_as, password_of, pids_in, run_script, test_passwords};
use super::render::render_text;
use super::replicated::shop_at_7_0;
use super::{Client, Reply};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub const STORE: &str = "durable";
pub const MASTER: &str = "shop-durable";

/// What bootstrap.sh started; dropping it runs stop.sh, then kills any
/// redis-server still running from a pid file (a failed test leaves none).
pub struct Booted {
    pub dir: PathBuf,
    pub data_dir: PathBuf,
    pub env: Vec<(String, String)>,
    /// Every user's name and test password (the Sentinels' users share the
    /// data nodes' passwords).
    pub passwords: Vec<(String, String)>,
    /// The primary first, then the replicas.
    pub ports: Vec<u16>,
    pub sentinel_ports: Vec<u16>,
}

impl Booted {
    /// The test password of `user`.
    pub fn password(&self, user: &str) -> &str {
        password_of(&self.passwords, user)
    }

    /// A client on `port` authenticated as `user`.
    pub fn client_as(&self, user: &str, port: u16) -> Client {
        client_as(&self.passwords, user, port)
    }

    pub fn pids(&self) -> Vec<String> {
        pids_in(&self.data_dir)
    }

    /// The directory bootstrap.sh runs the node (or Sentinel) on `port` from.
    pub fn dir_of(&self, port: u16) -> PathBuf {
        let kind = if self.sentinel_ports.contains(&port) {
            "sentinel"
        } else {
            "node"
        };
        self.data_dir.join(format!("{kind}-{port}"))
    }

    /// SIGKILLs the node or Sentinel on `port`.
    pub fn kill(&self, port: u16) {
        let pid = std::fs::read_to_string(self.dir_of(port).join("redis.pid")).unwrap();
        let status = Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {port}");
    }

    /// Starts the data node on `port` again from its working copy, as
    /// bootstrap.sh started it (a killed primary comes back as a primary,
    /// and the Sentinels turn it into a replica of the new one).
    pub fn restart_node(&self, port: u16) {
        let dir = self.dir_of(port);
        let status = Command::new(super::redis_server_binary())
            .arg(dir.join("redis.conf"))
            .args(["--daemonize", "yes", "--pidfile"])
            .arg(dir.join("redis.pid"))
            .arg("--logfile")
            .arg(dir.join("redis.log"))
            .status()
            .unwrap();
        assert!(status.success(), "restart {port}");
    }

    pub fn stop(&self) -> (bool, String) {
        let (status, out) = run_script(&self.dir, "stop.sh", &self.env, Duration::from_secs(20));
        (status.is_some_and(|s| s.success()), out)
    }
}

pub fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .is_ok_and(|comm| comm.trim() == "redis-server")
}

impl Drop for Booted {
    fn drop(&mut self) {
        let _ = self.stop();
        for pid in self.pids().into_iter().filter(|p| alive(p)) {
            eprintln!("killing leftover redis-server {pid}");
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
    }
}

pub type Pairs = Vec<(String, String)>;

/// Writes shop's rendered files under `root`; returns the durable store's
/// `replicated/` directory, the password variables and the users' passwords.
pub fn written(root: &Path) -> (PathBuf, Pairs, Pairs) {
    let (mut report, files) = render_text("shop.yaml", &shop_at_7_0());
    let store = report
        .policy
        .take()
        .unwrap()
        .stores
        .shift_remove(STORE)
        .unwrap();
    let (secrets, secret_files, passwords) = test_passwords(&store);
    assert!(
        secret_files.is_empty(),
        "shop's durable store reads variables"
    );
    let out = root.join("policy");
    cachegen::build::write(&out, &files).unwrap();
    (
        out.join("stores").join(STORE).join("replicated"),
        secrets,
        passwords,
    )
}

/// The scripts' environment for these ports. `down_after_ms` shortens the
/// Sentinels' `down-after-milliseconds` (a failover in seconds; `None`: the
/// policy's).
pub fn script_env(
    data_dir: &Path,
    ports: &[u16],
    sentinel_ports: &[u16],
    secrets: &Pairs,
    down_after_ms: Option<u64>,
) -> Pairs {
    let list = |ps: &[u16]| ps.iter().map(u16::to_string).collect::<Vec<_>>().join(" ");
    [
        ("PORTS", list(ports)),
        ("SENTINEL_PORTS", list(sentinel_ports)),
        ("DATA_DIR", data_dir.display().to_string()),
        (
            "REDIS_SERVER",
            super::redis_server_binary().display().to_string(),
        ),
        ("REDIS_CLI", super::redis_cli_binary().display().to_string()),
        ("START_TIMEOUT", "10".into()),
        ("HEALTH_TIMEOUT", "20".into()),
        (
            "DOWN_AFTER_MS",
            down_after_ms.map_or(String::new(), |ms| ms.to_string()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .chain(secrets.iter().cloned())
    .collect()
}

/// Runs the generated bootstrap.sh on free ports; a port taken meanwhile by
/// someone else (that cause only) is retried with fresh ports.
pub fn boot(root: &Path, down_after_ms: Option<u64>) -> Booted {
    let (dir, secrets, passwords) = written(root);
    for attempt in 1..=3 {
        let all = super::free_ports(6);
        let (ports, sentinel_ports) = all.split_at(3);
        assert!(!all.contains(&6379) && !all.contains(&26379));
        let data_dir = root.join(format!("data-{attempt}"));
        let booted = Booted {
            dir: dir.clone(),
            env: script_env(&data_dir, ports, sentinel_ports, &secrets, down_after_ms),
            data_dir,
            passwords: passwords.clone(),
            ports: ports.to_vec(),
            sentinel_ports: sentinel_ports.to_vec(),
        };
        let (status, output) = run_script(
            &booted.dir,
            "bootstrap.sh",
            &booted.env,
            Duration::from_secs(40),
        );
        if status.is_some_and(|s| s.success()) {
            assert!(output.contains("healthy: primary"), "{output}");
            return booted;
        }
        if attempt < 3 && output.contains("Address already in use") {
            eprintln!("attempt {attempt}: a chosen port was taken meanwhile; retrying\n{output}");
            continue;
        }
        panic!("bootstrap.sh failed ({status:?}):\n{output}");
    }
    unreachable!("the last attempt returns or panics")
}

pub fn strings(reply: Reply) -> Vec<String> {
    match reply {
        Reply::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Reply::Bulk(Some(s)) | Reply::Simple(s) => s,
                other => format!("{other:?}"),
            })
            .collect(),
        other => panic!("expected an array, got {other:?}"),
    }
}

pub fn value_of(pairs: &[String], name: &str) -> String {
    let at = pairs.iter().position(|k| k == name).expect(name);
    pairs[at + 1].clone()
}
