//! Test support: a fake, scriptable Redis for the scenarios no real server
//! plays (endless SCANs, huge or lying INFO, node lists naming thousands of
//! nodes or hosts nobody named). It listens on a free port in a thread of
//! the test process and answers each command through the scenario's
//! `Script`; `cachegen verify` runs against it as a separate process
//! (`support::verify`), so its wall time and peak memory can be measured.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the fake does with one command.
pub enum Action {
    /// Write these bytes (any RESP, or not RESP at all).
    Reply(Vec<u8>),
    /// Write these pieces one by one, pausing between them (so TCP delivers
    /// them as separate reads).
    Pieces(Vec<Vec<u8>>, Duration),
    /// Never answer; keep the connection open.
    Hang,
    /// Close the connection.
    Close,
}

/// A scenario: the command's arguments (as text) and the connection's
/// number of earlier commands → what to do.
pub type Script = dyn Fn(&[String], u64) -> Action + Send + Sync;

pub struct FakeRedis {
    pub addr: SocketAddr,
    pub port: u16,
    /// Connections accepted so far.
    pub connections: Arc<AtomicU64>,
    /// Every command received (arguments upper-cased for the name only),
    /// capped so a flood cannot exhaust the test's memory.
    pub log: Arc<Mutex<Vec<Vec<String>>>>,
    /// Commands received in all, logged or not.
    pub commands: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

const LOGGED: usize = 10_000;

impl FakeRedis {
    /// Listens on `ip` (port chosen by the system) and plays `script`.
    pub fn start_on(ip: IpAddr, script: Arc<Script>) -> FakeRedis {
        let listener = TcpListener::bind((ip, 0)).expect("bind the fake server");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local addr");
        let connections = Arc::new(AtomicU64::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let commands = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        {
            let (connections, log, commands, stop) = (
                connections.clone(),
                log.clone(),
                commands.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            connections.fetch_add(1, Ordering::Relaxed);
                            let (script, log, commands, stop) =
                                (script.clone(), log.clone(), commands.clone(), stop.clone());
                            std::thread::spawn(move || {
                                serve(stream, &*script, &log, &commands, &stop)
                            });
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            });
        }
        FakeRedis {
            addr,
            port: addr.port(),
            connections,
            log,
            commands,
            stop,
        }
    }

    /// On 127.0.0.1.
    pub fn start(script: impl Fn(&[String], u64) -> Action + Send + Sync + 'static) -> FakeRedis {
        FakeRedis::start_on(IpAddr::from([127, 0, 0, 1]), Arc::new(script))
    }

    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Commands named `name` (upper case) received so far.
    pub fn count(&self, name: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.first().is_some_and(|n| n == name))
            .count()
    }
}

impl Drop for FakeRedis {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(
    stream: TcpStream,
    script: &Script,
    log: &Mutex<Vec<Vec<String>>>,
    commands: &AtomicU64,
    stop: &AtomicBool,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let args = match read_command(&mut reader) {
            Ok(Some(args)) => args,
            Ok(None) => return,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => return,
        };
        commands.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut log) = log.lock()
            && log.len() < LOGGED
        {
            log.push(args.clone());
        }
        match script(&args, n) {
            Action::Reply(bytes) => {
                if writer.write_all(&bytes).is_err() {
                    return;
                }
            }
            Action::Pieces(pieces, pause) => {
                for piece in pieces {
                    if writer
                        .write_all(&piece)
                        .and_then(|_| writer.flush())
                        .is_err()
                    {
                        return;
                    }
                    std::thread::sleep(pause);
                }
            }
            Action::Hang => {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                }
                return;
            }
            Action::Close => return,
        }
        n += 1;
    }
}

/// One RESP command (an array of bulk strings), the name upper-cased.
fn read_command(r: &mut BufReader<TcpStream>) -> std::io::Result<Option<Vec<String>>> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let count: usize = line
        .trim_end()
        .strip_prefix('*')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| std::io::Error::other("not a command"))?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        line.clear();
        r.read_line(&mut line)?;
        let len: usize = line
            .trim_end()
            .strip_prefix('$')
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| std::io::Error::other("not a bulk string"))?;
        let mut buf = vec![0; len + 2];
        r.read_exact(&mut buf)?;
        buf.truncate(len);
        args.push(String::from_utf8_lossy(&buf).into_owned());
    }
    if let Some(name) = args.first_mut() {
        *name = name.to_ascii_uppercase();
    }
    Ok(Some(args))
}

pub fn bulk(text: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", text.len()).into_bytes();
    out.extend_from_slice(text);
    out.extend_from_slice(b"\r\n");
    out
}

pub fn status(text: &str) -> Vec<u8> {
    format!("+{text}\r\n").into_bytes()
}

/// A SCAN reply: the next cursor and these keys.
pub fn scan_reply(cursor: &str, keys: &[&str]) -> Vec<u8> {
    let mut out = format!(
        "*2\r\n{}*{}\r\n",
        String::from_utf8(bulk(cursor.as_bytes())).unwrap(),
        keys.len()
    )
    .into_bytes();
    for k in keys {
        out.extend(bulk(k.as_bytes()));
    }
    out
}

/// The `INFO` text of a healthy Redis 7.0 node.
pub fn info_text(cluster: bool) -> String {
    format!(
        "# Server\r\nredis_version:7.0.15\r\nredis_mode:{}\r\n# Replication\r\nrole:master\r\n\
         # Stats\r\nkeyspace_hits:5000\r\nkeyspace_misses:10\r\nevicted_keys:0\r\n\
         # Cluster\r\ncluster_enabled:{}\r\n",
        if cluster { "cluster" } else { "standalone" },
        u8::from(cluster)
    )
}

/// What a plain healthy node answers to everything verify sends before the
/// scan (and an empty keyspace): scenarios override the commands they are
/// about and fall back to this.
pub fn healthy(args: &[String], cluster: bool) -> Action {
    let name = args.first().map(String::as_str).unwrap_or("");
    Action::Reply(match name {
        "AUTH" | "CLIENT" | "SELECT" => status("OK"),
        "PING" => status("PONG"),
        "INFO" => bulk(info_text(cluster).as_bytes()),
        "DBSIZE" => b":0\r\n".to_vec(),
        "CONFIG" | "SLOWLOG" => b"*0\r\n".to_vec(),
        "SCAN" => scan_reply("0", &[]),
        "PTTL" => b":-1\r\n".to_vec(),
        "TYPE" => status("string"),
        "MEMORY" => b":64\r\n".to_vec(),
        _ => b"-ERR unknown command\r\n".to_vec(),
    })
}

/// A `CLUSTER NODES` line for a master serving `slots` (e.g. "0-16383").
pub fn node_line(id: &str, addr: &str, myself: bool, slots: &str) -> String {
    format!(
        "{id} {addr}@1{port} {}master - 0 0 1 connected {slots}\n",
        if myself { "myself," } else { "" },
        port = addr.rsplit(':').next().unwrap_or("0"),
    )
}

/// Peak resident memory (VmHWM, KiB) of a running process, if readable.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
