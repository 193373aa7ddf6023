//! Test support for `cachegen verify`: runs the real binary against a test
//! server with a hard timeout (a hang must fail the test, not stall it), and
//! reads its JSON report.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one `cachegen verify` run produced.
#[derive(Debug)]
pub struct Run {
    /// `None` when the test had to kill it (it hung).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
    /// The highest peak resident memory (`VmHWM`, KiB) read from `/proc`
    /// while it ran (polled; the last reading is within 20 ms of exit).
    pub peak_rss_kib: Option<u64>,
}

impl Run {
    /// The whole `--format json` document (every store of the policy).
    pub fn document(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "verify did not print JSON ({e}):\nstdout:\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The report of the one store the run verified (`stores.<name>` of
    /// the `--format json` document).
    pub fn json(&self) -> serde_json::Value {
        let document = self.document();
        let verified: Vec<&serde_json::Value> = document["stores"]
            .as_object()
            .unwrap_or_else(|| panic!("no stores in the report:\n{}", self.stdout))
            .values()
            .filter(|s| s["verified"] == true)
            .collect();
        assert_eq!(verified.len(), 1, "one store verified:\n{}", self.stdout);
        verified[0].clone()
    }

    /// The report of `store`.
    pub fn store(&self, store: &str) -> serde_json::Value {
        self.document()["stores"][store].clone()
    }

    /// Findings with this code (of the one store verified).
    pub fn findings(&self, code: &str) -> Vec<serde_json::Value> {
        self.json()["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .filter(|f| f["code"] == code)
            .cloned()
            .collect()
    }

    /// The messages of the findings with this code.
    pub fn messages(&self, code: &str) -> Vec<String> {
        self.findings(code)
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Exit code and output, for an assertion's message.
    pub fn describe(&self) -> String {
        format!(
            "exit {:?}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `cachegen verify POLICY --redis URL ARGS...`, killed after `limit`.
pub fn verify(policy: &Path, url: &str, args: &[&str], limit: Duration) -> Run {
    verify_with_env(policy, url, args, &[], limit)
}

pub fn verify_with_env(
    policy: &Path,
    url: &str,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Run {
    let mut all = vec!["--redis", url];
    all.extend(args);
    verify_args(policy, &all, env, limit)
}

/// `cachegen verify POLICY ARGS...` with `env` (and none of the password
/// variables of the test's own environment), killed after `limit`.
pub fn verify_args(policy: &Path, args: &[&str], env: &[(&str, &str)], limit: Duration) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("stdout");
    let err = dir.path().join("stderr");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cachegen"));
    cmd.arg("verify").arg(policy).args(args);
    // The hit-ratio window waits 5 s by default: tests that are not about
    // the hit ratio skip it (and its two extra INFO reads); those that are
    // pass their own --window.
    if !args.iter().any(|a| a.starts_with("--window")) {
        cmd.args(["--window", "0s"]);
    }
    cmd.env_remove("REDIS_URL")
        .env_remove("CACHEGEN_REDIS_PASSWORD")
        .env_remove("CACHEGEN_REDIS_USER")
        .env_remove("REDISCLI_AUTH")
        .env_remove("CACHEGEN_SENTINEL_PASSWORD")
        .env_remove("CACHEGEN_SENTINEL_USER")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"));
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn cachegen");
    let mut peak_rss_kib = None;
    let code = loop {
        if let Some(kib) = super::fake_redis::peak_rss_kib(child.id()) {
            peak_rss_kib = peak_rss_kib.max(Some(kib));
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code,
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err).unwrap_or_default(),
        took: started.elapsed(),
        peak_rss_kib,
    }
}

/// Renders `policy` with `cachegen build` into `out` and returns the policy's
/// output directory (`out/<name>`).
pub fn build(policy: &Path, out: &Path) -> std::path::PathBuf {
    let status = Command::new(env!("CARGO_BIN_EXE_cachegen"))
        .arg("build")
        .arg(policy)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run cachegen build");
    assert!(
        status.success(),
        "cachegen build {} failed",
        policy.display()
    );
    let mut dirs: Vec<_> = std::fs::read_dir(out)
        .expect("build output")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    assert_eq!(dirs.len(), 1, "one policy built");
    let dir = dirs.remove(0);
    // The verify tests start servers from each store's redis.conf, open:
    // they are about what verify reads, not about logging in (which
    // tests/verify_access.rs and tests/build_access_services.rs cover), so the
    // access-control lines (an ACL file from the credentials installer)
    // are left out.
    if let Ok(stores) = std::fs::read_dir(dir.join("stores")) {
        for store in stores.filter_map(|e| e.ok()) {
            let conf = store.path().join("redis.conf");
            if let Ok(text) = std::fs::read_to_string(&conf) {
                std::fs::write(&conf, super::credentials::without_access(&text))
                    .expect("rewrite redis.conf");
            }
        }
    }
    dir
}

/// Runs `cachegen verify` (with `args`, which should set a `--window` of a
/// few seconds) and calls `during` once verify is inside its hit-ratio
/// window on the server at `port`: its connection (`CLIENT SETNAME
/// cachegen-verify`) last sent `INFO` and has been idle for a second, which
/// only the window's wait does (the reads before it follow each other
/// without pause). Whatever `during` sends then lands between the window's
/// two readings, as long as it takes well under the window's remainder.
pub fn verify_during_window(
    policy: &Path,
    url: &str,
    args: &[&str],
    limit: Duration,
    port: u16,
    during: impl FnOnce(),
) -> Run {
    std::thread::scope(|scope| {
        let run = scope.spawn(|| verify(policy, url, args, limit));
        let mut watcher = super::Client::connect(port).expect("connect to watch verify");
        let started = Instant::now();
        loop {
            assert!(
                started.elapsed() < limit,
                "verify never waited in its window"
            );
            assert!(
                !run.is_finished(),
                "verify ended before its window was seen"
            );
            let list = match watcher.command(&["CLIENT", "LIST"]).expect("CLIENT LIST") {
                super::Reply::Bulk(Some(text)) => text,
                other => panic!("CLIENT LIST: {other:?}"),
            };
            let waiting = list.lines().any(|l| {
                let field = |name: &str| {
                    l.split_whitespace()
                        .find_map(|kv| kv.strip_prefix(name))
                        .unwrap_or_default()
                        .to_owned()
                };
                field("name=") == "cachegen-verify"
                    && field("cmd=") == "info"
                    && field("idle=").parse::<u64>().unwrap_or(0) >= 1
            });
            if waiting {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        during();
        run.join().expect("verify thread")
    })
}
