//! Test support: a real loopback Redis Cluster started by the policy's own
//! generated `cluster/bootstrap.sh` on free ports, stopped (and any leftover
//! node killed) when dropped. The scripts get a test password for every
//! user of the store where its reference says: in the variable it names, or
//! for a `{secret: {name, key}}`, in the file `<name>/<key>` under a temp
//! dir given as `CACHEGEN_SECRETS_DIR` (which moves `/run/secrets/cachegen`
//! for the installer and the scripts; nothing is written to the real path).

use super::{Client, Reply};
use cachegen::policy::model::{SecretRef, Store};
use cachegen::render::OutputFile;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// Runs `sh SCRIPT` in `dir` with `env`, killed after `timeout`; returns the
/// exit status (None when it timed out) and its stdout + stderr.
pub fn run_script(
    dir: &Path,
    script: &str,
    env: &[(String, String)],
    timeout: Duration,
) -> (Option<ExitStatus>, String) {
    let out_path = dir.join(format!("{script}.out"));
    let mut cmd = Command::new("sh");
    cmd.arg(script)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)));
    super::run_with_timeout(cmd, &out_path, timeout)
}

/// A cluster started by the generated bootstrap.sh. Dropping it stops every
/// node, also when the test failed: stop.sh first, then SIGKILL for any
/// redis-server still running from a pid file in the data directory.
pub struct LocalCluster {
    pub cluster_dir: PathBuf,
    pub data_dir: PathBuf,
    pub env: Vec<(String, String)>,
    /// Every user's name and test password (admin, verifier, replication,
    /// services).
    pub passwords: Vec<(String, String)>,
}

/// Name and value pairs: variables, or users and their passwords.
pub type Pairs = Vec<(String, String)>;

/// A test password for every reference of `store`: `(variable, password)`
/// for `{env}`, `(<name>/<key>, password)` for `{secret}`, and
/// `(user, password)`. Users sharing a reference share its password.
pub fn test_passwords(store: &Store) -> (Pairs, Pairs, Pairs) {
    let mut env: Pairs = Vec::new();
    let mut files: Pairs = Vec::new();
    let mut users = Vec::new();
    for (user, reference, _) in store.access.credentials() {
        let (list, name) = match reference {
            SecretRef::Env(var) => (&mut env, var.clone()),
            SecretRef::Kubernetes { name, key } => (&mut files, format!("{name}/{key}")),
            SecretRef::File(path) => panic!("{user}: no test password for file {path}"),
        };
        if !list.iter().any(|(n, _)| *n == name) {
            list.push((name.clone(), format!("t3st-{user}-pw")));
        }
        let password = list.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        users.push((user.to_owned(), password));
    }
    (env, files, users)
}

/// The test password of `user` among `passwords` (as `test_passwords`
/// gives them).
pub fn password_of<'a>(passwords: &'a [(String, String)], user: &str) -> &'a str {
    &passwords
        .iter()
        .find(|(u, _)| u == user)
        .unwrap_or_else(|| panic!("no user {user}"))
        .1
}

/// A client on `port` authenticated as `user` with its test password.
pub fn client_as(passwords: &[(String, String)], user: &str, port: u16) -> Client {
    let mut c = Client::connect(port).unwrap();
    let reply = c
        .command(&["AUTH", user, password_of(passwords, user)])
        .unwrap();
    assert_eq!(reply, Reply::Simple("OK".into()), "AUTH {user} on {port}");
    c
}

/// The pids in the `redis.pid` files of `data_dir`'s subdirectories (one
/// per node a bootstrap script started).
pub fn pids_in(data_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("redis.pid")).ok())
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

impl LocalCluster {
    pub fn password(&self, user: &str) -> &str {
        password_of(&self.passwords, user)
    }

    /// A client on `port` authenticated as `user`.
    pub fn client_as(&self, user: &str, port: u16) -> Client {
        client_as(&self.passwords, user, port)
    }

    pub fn node_pids(&self) -> Vec<String> {
        pids_in(&self.data_dir)
    }

    /// Last lines of every node's log, for failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        let Ok(entries) = std::fs::read_dir(&self.data_dir) else {
            return out;
        };
        let mut dirs: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        dirs.sort();
        for d in dirs {
            let log = std::fs::read_to_string(d.join("redis.log")).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            out += &format!("--- {}\n", d.display());
            for l in &lines[lines.len().saturating_sub(8)..] {
                out += l;
                out.push('\n');
            }
        }
        out
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        let (status, out) = run_script(
            &self.cluster_dir,
            "stop.sh",
            &self.env,
            Duration::from_secs(20),
        );
        if status.is_none_or(|s| !s.success()) {
            eprintln!("stop.sh did not stop every node ({status:?}):\n{out}");
        }
        for pid in self.node_pids() {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() == "redis-server" {
                eprintln!("killing leftover redis-server {pid}");
                let _ = Command::new("kill").args(["-9", &pid]).status();
            }
        }
    }
}

/// Writes a policy's rendered files into a temp dir and runs the
/// bootstrap.sh of its store `store` (`stores/<store>/cluster/`) on explicit
/// free client and bus ports. A port can be taken by someone
/// else between choosing it and the node binding it (a shared machine): that
/// one cause, and only it, is retried with fresh ports.
pub fn bootstrap(
    root: &Path,
    files: &[OutputFile],
    store: &Store,
    nodes: usize,
) -> (LocalCluster, Vec<u16>, Duration) {
    let (secrets, secret_files, passwords) = test_passwords(store);
    let out = root.join("policy");
    cachegen::build::write(&out, files).unwrap();
    // `{secret}` references: their files under a temp dir.
    let mounted = root.join("secrets");
    for (name, password) in &secret_files {
        let path = mounted.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, password).unwrap();
    }
    let server = super::redis_server_binary();
    let cli = super::redis_cli_binary();
    for attempt in 1..=3 {
        let ports = super::free_ports(2 * nodes);
        let (client, bus) = ports.split_at(nodes);
        let list = |ps: &[u16]| ps.iter().map(u16::to_string).collect::<Vec<_>>().join(" ");
        let data_dir = root.join(format!("data-{attempt}"));
        let env: Vec<(String, String)> = [
            ("HOST", "127.0.0.1".to_owned()),
            ("PORTS", list(client)),
            ("BUS_PORTS", list(bus)),
            ("DATA_DIR", data_dir.display().to_string()),
            ("REDIS_SERVER", server.display().to_string()),
            ("REDIS_CLI", cli.display().to_string()),
            ("START_TIMEOUT", "15".to_owned()),
            ("HEALTH_TIMEOUT", "40".to_owned()),
            ("CACHEGEN_SECRETS_DIR", mounted.display().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .chain(secrets.iter().cloned())
        .collect();
        let cluster = LocalCluster {
            cluster_dir: out.join("stores").join(&store.name).join("cluster"),
            data_dir,
            env,
            passwords: passwords.clone(),
        };
        let started = Instant::now();
        let (status, output) = run_script(
            &cluster.cluster_dir,
            "bootstrap.sh",
            &cluster.env,
            Duration::from_secs(60),
        );
        let took = started.elapsed();
        if status.is_some_and(|s| s.success()) {
            return (cluster, client.to_vec(), took);
        }
        let logs = cluster.logs();
        if attempt < 3 && (output + &logs).contains("Address already in use") {
            eprintln!("attempt {attempt}: a chosen port was taken meanwhile; retrying\n{logs}");
            continue; // `cluster` is dropped here: its nodes are stopped.
        }
        panic!(
            "bootstrap.sh failed ({}) after {took:?}:\n{}\nnode logs:\n{logs}",
            status.map_or("timed out after 60 s".to_owned(), |s| s.to_string()),
            std::fs::read_to_string(cluster.cluster_dir.join("bootstrap.sh.out"))
                .unwrap_or_default()
        );
    }
    unreachable!("the last attempt returns or panics")
}
