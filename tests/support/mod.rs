//! Test support: a real `redis-server` on a free loopback port, started by the
//! test and stopped when dropped, and a minimal RESP client to talk to it.
//! Never touches a Redis on 6379.

#![allow(dead_code)]

pub mod access;
pub mod bootstrapped;
pub mod cluster;
pub mod credentials;
pub mod fake_redis;
pub mod kubernetes;
pub mod node;
pub mod pki;
pub mod render;
pub mod replicated;
pub mod vectors;
pub mod verify;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port that is free right now on 127.0.0.1 (see `free_ports`).
pub fn free_port() -> u16 {
    free_ports(1)[0]
}

pub fn redis_server_binary() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("redis-server"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "redis-server is not on PATH; this test starts its own Redis.\n\
             Install it with `sudo apt-get install -y redis-server` (Debian/Ubuntu), \
             or run `scripts/test`, which installs it when it can."
        )
    })
}

pub struct RedisServer {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    log: PathBuf,
}

impl RedisServer {
    /// Starts `redis-server [config] --port P --dir TMP [extra...]` and waits
    /// until it answers PING (it does not accept connections when spawn returns).
    pub fn start(config: Option<&Path>, extra: &[&str]) -> RedisServer {
        let binary = redis_server_binary();
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = dir.path().join("redis.log");
        let mut cmd = Command::new(binary);
        if let Some(config) = config {
            cmd.arg(config);
        }
        cmd.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "no",
        ])
        .arg("--dir")
        .arg(dir.path())
        .arg("--logfile")
        .arg(&log)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        let child = cmd.spawn().expect("spawn redis-server");
        let mut server = RedisServer {
            child,
            port,
            dir,
            log,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut stderr);
                }
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!(
                    "redis-server exited with {status} before answering PING\nstderr:\n{stderr}\nlog:\n{log}"
                );
            }
            // A server whose `default` user is off (cachegen's ACL file)
            // answers NOAUTH: it is up all the same.
            if let Ok(mut c) = Client::connect(self.port)
                && let Ok(reply) = c.command(&["PING"])
                && (reply == Reply::Simple("PONG".into())
                    || matches!(&reply, Reply::Error(e) if e.starts_with("NOAUTH")))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server on port {} did not answer PING within 10 s",
            self.port
        );
    }

    pub fn client(&self) -> Client {
        Client::connect(self.port).expect("connect to test redis")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<String>),
    Array(Vec<Reply>),
}

/// Just enough RESP2 for tests.
pub struct Client {
    reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(port: u16) -> std::io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        Ok(Client {
            reader: BufReader::new(stream),
        })
    }

    pub fn command(&mut self, args: &[&str]) -> std::io::Result<Reply> {
        let mut out = format!("*{}\r\n", args.len());
        for a in args {
            out.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.reader.get_mut().write_all(out.as_bytes())?;
        self.read_reply()
    }

    /// The next reply without sending anything: a message pushed to a
    /// subscriber (waits up to the read timeout).
    pub fn next_reply(&mut self) -> std::io::Result<Reply> {
        self.read_reply()
    }

    fn read_reply(&mut self) -> std::io::Result<Reply> {
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let line = line.trim_end_matches("\r\n");
        let (kind, rest) = line.split_at(1.min(line.len()));
        Ok(match kind {
            "+" => Reply::Simple(rest.into()),
            "-" => Reply::Error(rest.into()),
            ":" => Reply::Int(rest.parse().unwrap_or_default()),
            "$" => {
                let len: i64 = rest.parse().unwrap_or(-1);
                if len < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut buf = vec![0; len as usize + 2];
                    self.reader.read_exact(&mut buf)?;
                    buf.truncate(len as usize);
                    Reply::Bulk(Some(String::from_utf8_lossy(&buf).into_owned()))
                }
            }
            "*" => {
                let n: i64 = rest.parse().unwrap_or(-1);
                let mut items = Vec::new();
                for _ in 0..n.max(0) {
                    items.push(self.read_reply()?);
                }
                Reply::Array(items)
            }
            other => Reply::Error(format!("unexpected reply type {other:?}")),
        })
    }

    /// `CONFIG GET name` → the value, or None if the server does not know it.
    pub fn config_get(&mut self, name: &str) -> Option<String> {
        match self.command(&["CONFIG", "GET", name]).ok()? {
            Reply::Array(items) if items.len() == 2 => match &items[1] {
                Reply::Bulk(v) => v.clone(),
                _ => None,
            },
            _ => None,
        }
    }
}

/// `name` on PATH, or a panic that says how to install Redis.
pub fn redis_binary(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "{name} is not on PATH; this test starts its own Redis.\n\
             Install it with `sudo apt-get install -y redis-server` (Debian/Ubuntu, \
             brings redis-cli too), or run `scripts/test`, which installs it when it can."
        )
    })
}

pub fn redis_cli_binary() -> PathBuf {
    redis_binary("redis-cli")
}

/// `n` distinct ports that are free right now on 127.0.0.1, for test servers.
///
/// Chosen below Linux's ephemeral range (32768–60999), not by binding port
/// 0: a port the OS handed out and we released can be taken by any outgoing
/// connection of a test running in parallel before the server binds it,
/// which made a node fail to start now and then. Ports here are never given
/// to outgoing connections. Each process starts at its own offset (its pid)
/// and a counter keeps threads apart; a port is used only if it and
/// `port + 10000` (Redis's default cluster bus port) bind now.
pub fn free_ports(n: usize) -> Vec<u16> {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 10_000;
    const SPAN: u32 = 12_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(7919) % SPAN;
    let mut ports = Vec::with_capacity(n);
    for _ in 0..SPAN {
        if ports.len() == n {
            return ports;
        }
        let k = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (LOW + (start + k) % SPAN) as u16;
        let bindable = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
        if bindable(port) && bindable(port + 10_000) {
            ports.push(port);
        }
    }
    panic!(
        "fewer than {n} free loopback ports in {LOW}..{}",
        LOW + SPAN
    );
}

/// A flat RESP `[key, value, key, value, ...]` array (CLUSTER SHARDS
/// entries) as pairs; non-string keys are skipped.
pub fn reply_pairs(reply: &Reply) -> Vec<(String, Reply)> {
    match reply {
        Reply::Array(items) => items
            .chunks(2)
            .filter_map(|kv| match kv {
                [Reply::Bulk(Some(k)) | Reply::Simple(k), v] => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The text of a bulk-string reply (INFO, CLIENT INFO, ...).
pub fn bulk(reply: Reply) -> String {
    match reply {
        Reply::Bulk(Some(text)) => text,
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

/// A host name that resolves to 127.0.0.1 only and that verify cannot
/// tell is 127.0.0.1 from its text: `LOCALHOST`. Host names are
/// case-insensitive, so the resolver answers it as `localhost`; verify's
/// own text comparisons take `localhost` (lower case) for a loopback
/// spelling, which would hide whether a group is decided by the servers'
/// identity. `Err` says why there is none on this machine (the test then
/// prints it and skips).
pub fn loopback_name() -> Result<&'static str, String> {
    use std::net::ToSocketAddrs;
    let name = "LOCALHOST";
    let found: Vec<std::net::IpAddr> = (name, 1)
        .to_socket_addrs()
        .map_err(|e| format!("{name} does not resolve here: {e}"))?
        .map(|a| a.ip())
        .collect();
    if found.is_empty() || found.iter().any(|ip| *ip != std::net::Ipv4Addr::LOCALHOST) {
        return Err(format!("{name} resolves to {found:?}, not 127.0.0.1 only"));
    }
    Ok(name)
}

/// The value of `field` in an INFO reply (`field:value` lines).
pub fn info_field(info: &str, field: &str) -> Option<String> {
    info.lines().find_map(|l| {
        l.trim_end_matches('\r')
            .strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(str::to_owned)
    })
}

/// Runs `cmd` with its output (stdout and stderr) going to `out_path`, killed
/// after `timeout`; returns the exit status (None when it timed out) and the
/// output. A file, not a pipe: daemonized children must not hold a pipe open
/// after the command exits.
pub fn run_with_timeout(
    mut cmd: Command,
    out_path: &Path,
    timeout: Duration,
) -> (Option<std::process::ExitStatus>, String) {
    let out = std::fs::File::create(out_path).expect("create output file");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("clone output file"))
        .stderr(out)
        .spawn()
        .expect("spawn command");
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for command") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (
        status,
        std::fs::read_to_string(out_path).unwrap_or_default(),
    )
}
