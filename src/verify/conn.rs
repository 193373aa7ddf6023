//! Owns the one network connection type in cachegen: TCP or TLS (rustls, ring
//! provider) to one Redis node, with connect and read/write timeouts, an
//! optional rate cap, and a command set that is read-only by construction.
//!
//! Nothing outside `verify` opens sockets. Nothing here can send a command
//! that is not a variant of [`Command`], and every variant maps to an entry of
//! `crate::verifier::COMMANDS`, the reads the least-privilege ACL `build`
//! emits allows (a unit test holds the two equal), except [`Command::Probe`],
//! whose commands (`crate::verifier::PROBES`) that ACL refuses on purpose.

use super::resp::{self, ParseError, Reply};
use super::stop::{self, Deadline};
use super::target::{Address, Secret, Target};
pub use super::tls::Tls;
use super::tls::handshake;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Every command verify can send. There is no variant that writes, and no
/// way to send raw arguments: that is what "read-only by construction" means.
#[derive(Debug, Clone, Copy)]
pub enum Command<'a> {
    /// `AUTH [user] password`: needs no ACL permission.
    Auth {
        user: Option<&'a str>,
        password: &'a Secret,
    },
    Select(u32),
    Ping,
    /// `CLIENT SETNAME cachegen-verify`, so operators see who is scanning.
    ClientSetName,
    /// `CLIENT NO-TOUCH ON`: this connection's reads leave the keys'
    /// LRU/LFU alone (Redis 7.2+, Valkey). Sent only where the observed
    /// server has it (`server::has_no_touch`), never tried blindly.
    ClientNoTouch,
    Info(&'static str),
    Dbsize,
    ConfigGet(&'a [&'a str]),
    /// `CONFIG GET *`: every directive, for `--unmanaged` only (the reply
    /// holds secrets such as `requirepass`, which `gather` drops at once).
    ConfigGetAll,
    Scan {
        cursor: &'a [u8],
        count: u32,
    },
    Pttl(&'a [u8]),
    Type(&'a [u8]),
    MemoryUsage(&'a [u8]),
    Strlen(&'a [u8]),
    ClusterNodes,
    /// `SENTINEL MASTERS` (Sentinel only): the masters a Sentinel monitors,
    /// asked only when it does not know the one verify names.
    SentinelMasters,
    /// `SENTINEL MASTER name` (Sentinel only): its view of the master.
    SentinelMaster(&'a str),
    /// `SENTINEL REPLICAS name` (Sentinel only).
    SentinelReplicas(&'a str),
    /// `SENTINEL SENTINELS name` (Sentinel only): the other Sentinels.
    SentinelSentinels(&'a str),
    /// `SENTINEL CKQUORUM name` (Sentinel only): can a failover be
    /// authorised now.
    SentinelCkquorum(&'a str),
    /// `SENTINEL GET-MASTER-ADDR-BY-NAME name` (Sentinel only).
    SentinelMasterAddr(&'a str),
    /// A command outside the verifier's list, sent to see it refused
    /// (`gather`'s access probes): anything but NOPERM means the user is
    /// broader than the ACL `build` emits.
    Probe(Probe),
}

/// The probes [`Command::Probe`] can send, one per entry of
/// `crate::verifier::PROBES` and `crate::verifier::WITHHELD_PROBES`. Each
/// reads and changes nothing, and carries no argument from the policy, a key
/// or the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// `ECHO cachegen-verify`.
    Echo,
    /// `GET cachegen-verify:probe:<16 hex digits>`: may the user read a
    /// value? The suffix is random per run, so no one can plant a value
    /// there ahead of time; an allowed GET answers nil.
    Get(u64),
    /// `CONFIG GET maxmemory`, sent only where the store withholds
    /// `config|get` from the verifier: `maxmemory` is no secret, so a user
    /// that may run it reveals nothing here, only that it is too broad.
    ConfigGet,
}

impl Probe {
    /// Its ACL name: an entry of `crate::verifier::PROBES` or of
    /// `crate::verifier::WITHHELD_PROBES`.
    pub fn acl_name(self) -> &'static str {
        match self {
            Probe::Echo => "echo",
            Probe::Get(_) => "get",
            Probe::ConfigGet => "config|get",
        }
    }

    /// How a report names it (the key's random suffix left out).
    pub fn label(self) -> &'static str {
        match self {
            Probe::Echo => "ECHO",
            Probe::Get(_) => "GET",
            Probe::ConfigGet => "CONFIG GET maxmemory",
        }
    }

    /// The key [`Probe::Get`] reads.
    fn probe_key(suffix: u64) -> String {
        format!("{}:probe:{suffix:016x}", crate::verifier::NAME)
    }
}

/// The ACL names (`config|get`) of every command [`Command`] can encode
/// (`auth` needs no permission and is not listed): the list in
/// `crate::verifier`, which the verifier ACL `build` emits also grants.
pub const SENDABLE: &[&str] = crate::verifier::COMMANDS;

/// Most keys one SCAN may ask for: COUNT 10000 costs ~9 ms of server time
/// per call and raised other clients' latency to 12 ms; 1000 kept it at 0.6 ms
/// (shared/notes/redis.md).
pub const MAX_SCAN_COUNT: u32 = 1000;

impl Command<'_> {
    /// The command's ACL name (`memory|usage`): an entry of
    /// [`SENDABLE`], or `auth`, which needs no permission.
    pub fn acl_name(&self) -> &'static str {
        match self {
            Command::Auth { .. } => "auth",
            Command::Select(_) => "select",
            Command::Ping => "ping",
            Command::ClientSetName => "client|setname",
            Command::ClientNoTouch => "client|no-touch",
            Command::Info(_) => "info",
            Command::Dbsize => "dbsize",
            Command::ConfigGet(_) | Command::ConfigGetAll => "config|get",
            Command::Scan { .. } => "scan",
            Command::Pttl(_) => "pttl",
            Command::Type(_) => "type",
            Command::MemoryUsage(_) => "memory|usage",
            Command::Strlen(_) => "strlen",
            Command::ClusterNodes => "cluster|nodes",
            Command::SentinelMasters => "sentinel|masters",
            Command::SentinelMaster(_) => "sentinel|master",
            Command::SentinelReplicas(_) => "sentinel|replicas",
            Command::SentinelSentinels(_) => "sentinel|sentinels",
            Command::SentinelCkquorum(_) => "sentinel|ckquorum",
            Command::SentinelMasterAddr(_) => "sentinel|get-master-addr-by-name",
            Command::Probe(p) => p.acl_name(),
        }
    }

    /// Whether only a Sentinel answers it (its ACL name is in
    /// `crate::verifier::SENTINEL_COMMANDS`, not in [`SENDABLE`]).
    pub fn for_sentinel(&self) -> bool {
        matches!(
            self,
            Command::SentinelMasters
                | Command::SentinelMaster(_)
                | Command::SentinelReplicas(_)
                | Command::SentinelSentinels(_)
                | Command::SentinelCkquorum(_)
                | Command::SentinelMasterAddr(_)
        )
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let number;
        let count;
        match *self {
            Command::Auth { user, password } => match user {
                Some(user) => resp::encode(
                    &[b"AUTH", user.as_bytes(), password.expose().as_bytes()],
                    out,
                ),
                None => resp::encode(&[b"AUTH", password.expose().as_bytes()], out),
            },
            Command::Select(db) => {
                number = db.to_string();
                resp::encode(&[b"SELECT", number.as_bytes()], out)
            }
            Command::Ping => resp::encode(&[b"PING"], out),
            Command::ClientSetName => resp::encode(
                &[b"CLIENT", b"SETNAME", crate::verifier::NAME.as_bytes()],
                out,
            ),
            Command::ClientNoTouch => resp::encode(&[b"CLIENT", b"NO-TOUCH", b"ON"], out),
            Command::Info(section) => resp::encode(&[b"INFO", section.as_bytes()], out),
            Command::Dbsize => resp::encode(&[b"DBSIZE"], out),
            Command::ConfigGet(names) => {
                let mut args: Vec<&[u8]> = vec![b"CONFIG", b"GET"];
                args.extend(names.iter().map(|n| n.as_bytes()));
                resp::encode(&args, out)
            }
            Command::ConfigGetAll => resp::encode(&[b"CONFIG", b"GET", b"*"], out),
            Command::Scan { cursor, count: c } => {
                count = c.min(MAX_SCAN_COUNT).to_string();
                resp::encode(&[b"SCAN", cursor, b"COUNT", count.as_bytes()], out)
            }
            Command::Pttl(key) => resp::encode(&[b"PTTL", key], out),
            Command::Type(key) => resp::encode(&[b"TYPE", key], out),
            Command::MemoryUsage(key) => resp::encode(&[b"MEMORY", b"USAGE", key], out),
            Command::Strlen(key) => resp::encode(&[b"STRLEN", key], out),
            Command::ClusterNodes => resp::encode(&[b"CLUSTER", b"NODES"], out),
            Command::SentinelMasters => resp::encode(&[b"SENTINEL", b"MASTERS"], out),
            Command::SentinelMaster(name) => {
                resp::encode(&[b"SENTINEL", b"MASTER", name.as_bytes()], out)
            }
            Command::SentinelReplicas(name) => {
                resp::encode(&[b"SENTINEL", b"REPLICAS", name.as_bytes()], out)
            }
            Command::SentinelSentinels(name) => {
                resp::encode(&[b"SENTINEL", b"SENTINELS", name.as_bytes()], out)
            }
            Command::SentinelCkquorum(name) => {
                resp::encode(&[b"SENTINEL", b"CKQUORUM", name.as_bytes()], out)
            }
            Command::SentinelMasterAddr(name) => resp::encode(
                &[b"SENTINEL", b"GET-MASTER-ADDR-BY-NAME", name.as_bytes()],
                out,
            ),
            Command::Probe(Probe::Echo) => {
                resp::encode(&[b"ECHO", crate::verifier::NAME.as_bytes()], out)
            }
            Command::Probe(Probe::Get(suffix)) => {
                resp::encode(&[b"GET", Probe::probe_key(suffix).as_bytes()], out)
            }
            Command::Probe(Probe::ConfigGet) => {
                resp::encode(&[b"CONFIG", b"GET", b"maxmemory"], out)
            }
        }
    }
}

/// Why talking to a node failed. Every variant means "this node's results
/// are incomplete" (exit 3); none carries a password.
#[derive(Debug)]
pub enum ConnError {
    Connect(String),
    Timeout(String),
    Closed(String),
    Tls(String),
    Protocol(String),
    Auth(String),
    /// The node answered MOVED/ASK: it no longer serves the key (a failover
    /// or a slot migration during the scan).
    Redirected(String),
    /// The node refused a command verify needs (NOPERM, LOADING, ...).
    Refused(String),
    /// The run reached its deadline or was interrupted (`stop`).
    Stopped(String),
    /// The server kept answering without getting anywhere (a SCAN cursor
    /// that repeats, or endless empty batches): verify stopped asking.
    NoProgress(String),
}

impl std::fmt::Display for ConnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            ConnError::Connect(m)
            | ConnError::Timeout(m)
            | ConnError::Closed(m)
            | ConnError::Tls(m)
            | ConnError::Protocol(m)
            | ConnError::Auth(m)
            | ConnError::Redirected(m)
            | ConnError::Refused(m)
            | ConnError::Stopped(m)
            | ConnError::NoProgress(m) => m,
        };
        f.write_str(text)
    }
}

/// Limits, shared by every connection of a run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connect, and wait for any one read or write.
    pub timeout: Duration,
    /// Most commands per second on this connection, if capped.
    pub rate: Option<u32>,
    /// When the whole run ends: no wait outlasts it.
    pub deadline: Deadline,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Stream {
    fn set_read_timeout(&self, timeout: Duration) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.set_read_timeout(Some(timeout)),
            Stream::Tls(s) => s.sock.set_read_timeout(Some(timeout)),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// A connection to one node.
pub struct Connection {
    pub address: Address,
    stream: Stream,
    read_buf: Vec<u8>,
    /// Bytes before this are taken by `parser` (or by earlier replies).
    read_start: usize,
    /// The reply being parsed, kept across reads.
    parser: resp::Parser,
    write_buf: Vec<u8>,
    rate: Option<RateLimiter>,
    /// The longest wait for one whole reply (not per read: a server that
    /// trickles a byte at a time must still time out).
    timeout: Duration,
    /// Commands sent whose replies have not been read yet.
    pending: usize,
    deadline: Deadline,
    /// Commands sent on this connection, by ACL name (for the read-only proof
    /// in tests and the run summary).
    pub sent: u64,
}

impl Connection {
    /// Connects, completes TLS, authenticates and names the client.
    pub fn open(
        address: &Address,
        target: &Target,
        tls: Option<&Tls>,
        limits: Limits,
    ) -> Result<Connection, ConnError> {
        let mut conn = Connection::open_anonymous(address, tls, limits)?;
        conn.log_in(target, "URL, --password-file or CACHEGEN_REDIS_PASSWORD")?;
        // Naming the client is a courtesy (CLIENT LIST shows who scans); an
        // ACL without it must not stop the run, so the reply is not checked.
        conn.call(Command::ClientSetName)?;
        if target.db != 0
            && let Reply::Error(e) = conn.call(Command::Select(target.db))?
        {
            return Err(ConnError::Refused(format!(
                "{address}: SELECT {} failed: {}",
                target.db,
                super::target::printable(&e)
            )));
        }
        Ok(conn)
    }

    /// Connects to a Sentinel, completes TLS and authenticates with
    /// `login`'s user and password. Nothing else: the Sentinels' verifier
    /// may run `crate::verifier::SENTINEL_COMMANDS` only (no `CLIENT
    /// SETNAME`, no `SELECT`).
    pub fn open_sentinel(
        address: &Address,
        login: &Target,
        tls: Option<&Tls>,
        limits: Limits,
    ) -> Result<Connection, ConnError> {
        let mut conn = Connection::open_anonymous(address, tls, limits)?;
        conn.log_in(
            login,
            "the redis+sentinel:// URL, --sentinel-password-file or CACHEGEN_SENTINEL_PASSWORD",
        )?;
        Ok(conn)
    }

    /// `AUTH` with the target's user and password (when it has one), then a
    /// `PING` that must not be refused. `sources` says where credentials go.
    fn log_in(&mut self, target: &Target, sources: &str) -> Result<(), ConnError> {
        let address = self.address.clone();
        if let Some(password) = &target.password {
            let reply = self.call(Command::Auth {
                user: target.user.as_deref(),
                password,
            })?;
            if let Reply::Error(e) = reply {
                let who = target.user.as_deref().unwrap_or("default");
                let why = e.split_whitespace().next().unwrap_or("ERR");
                return Err(ConnError::Auth(format!(
                    "{address}: authentication as `{}` failed ({why}: wrong user name or password, or the user is disabled)",
                    super::target::printable(who)
                )));
            }
        }
        match self.call(Command::Ping)? {
            Reply::Error(e) if e.starts_with("NOAUTH") => Err(ConnError::Auth(format!(
                "{address}: the server requires authentication; give a user and password ({sources})"
            ))),
            Reply::Error(e) => Err(ConnError::Refused(format!(
                "{address}: PING failed: {}",
                super::target::printable(&e)
            ))),
            _ => Ok(()),
        }
    }

    /// Connects (and completes TLS when `tls` is given) without
    /// authenticating or sending anything: the access probes' connection,
    /// which must see what a stranger sees.
    pub fn open_anonymous(
        address: &Address,
        tls: Option<&Tls>,
        limits: Limits,
    ) -> Result<Connection, ConnError> {
        if let Some(why) = limits.deadline.stopped() {
            return Err(ConnError::Stopped(format!(
                "{address}: not contacted: {why}"
            )));
        }
        let tcp = connect_tcp(address, limits.timeout.min(limits.deadline.remaining()))?;
        let stream = match tls {
            None => Stream::Plain(tcp),
            Some(tls) => Stream::Tls(Box::new(handshake(address, tcp, tls, &limits)?)),
        };
        Ok(Connection {
            address: address.clone(),
            stream,
            read_buf: Vec::with_capacity(64 * 1024),
            read_start: 0,
            parser: resp::Parser::default(),
            write_buf: Vec::with_capacity(64 * 1024),
            rate: limits.rate.map(RateLimiter::new),
            timeout: limits.timeout,
            pending: 0,
            deadline: limits.deadline,
            sent: 0,
        })
    }

    /// Queues a command; [`Connection::flush`] sends everything queued.
    pub fn queue(&mut self, command: Command<'_>) {
        command.encode(&mut self.write_buf);
        self.pending += 1;
        self.sent += 1;
    }

    /// Sends every queued command in one write (a pipeline), respecting the
    /// rate cap.
    pub fn flush(&mut self, queued: usize) -> Result<(), ConnError> {
        if let Some(rate) = &mut self.rate {
            rate.take(queued as u64);
        }
        let result = self
            .stream
            .write_all(&self.write_buf)
            .and_then(|_| self.stream.flush());
        self.write_buf.clear();
        result.map_err(|e| self.io_error(e, "sending"))
    }

    /// Reads the next reply.
    pub fn recv(&mut self) -> Result<Reply, ConnError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let (used, parsed) = self.parser.feed(&self.read_buf[self.read_start..]);
            self.read_start += used;
            match parsed {
                Ok(Some(reply)) => {
                    self.pending = self.pending.saturating_sub(1);
                    return Ok(reply);
                }
                Err(ParseError::Invalid(why)) => {
                    return Err(ConnError::Protocol(format!(
                        "{}: the server's reply is not RESP ({why}); is this a Redis port, and does it speak TLS (use rediss://) or not (redis://)?",
                        self.address
                    )));
                }
                Ok(None) | Err(ParseError::Incomplete) => self.wait_for_bytes(deadline)?,
            }
        }
    }

    /// Reads more bytes, in short slices so the run's deadline and an
    /// interruption are noticed while a server is silent.
    fn wait_for_bytes(&mut self, reply_deadline: Instant) -> Result<(), ConnError> {
        loop {
            if let Some(why) = self.deadline.stopped() {
                return Err(ConnError::Stopped(format!("{}: {why}", self.address)));
            }
            let left = reply_deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(
                    if self.read_start == self.read_buf.len() && !self.parser.started() {
                        self.io_error(std::io::ErrorKind::TimedOut.into(), "waiting for a reply")
                    } else {
                        ConnError::Timeout(format!(
                            "{}: no complete reply within the timeout (the server hangs, or is overloaded; see --timeout)",
                            self.address
                        ))
                    },
                );
            }
            self.stream
                .set_read_timeout(left.min(stop::SLICE).max(Duration::from_millis(1)))
                .map_err(|e| self.io_error(e, "waiting for a reply"))?;
            match self.fill() {
                Err(ConnError::Timeout(_)) => {}
                other => return other,
            }
        }
    }

    /// Why the run must stop now (deadline or interruption), if it must.
    pub fn stopped(&self) -> Option<ConnError> {
        self.deadline
            .stopped()
            .map(|why| ConnError::Stopped(format!("{}: {why}", self.address)))
    }

    /// Sends one command and reads its reply.
    pub fn call(&mut self, command: Command<'_>) -> Result<Reply, ConnError> {
        self.queue(command);
        self.flush(1)?;
        self.recv()
    }

    fn fill(&mut self) -> Result<(), ConnError> {
        // Drop taken bytes so the buffer does not grow with the run; only
        // once they are at least half of it, so the bytes kept (at most one
        // partial element) are moved a bounded number of times: linear.
        if self.read_start > 0 && self.read_start * 2 >= self.read_buf.len() {
            self.read_buf.drain(..self.read_start);
            self.read_start = 0;
        }
        let old = self.read_buf.len();
        self.read_buf.resize(old + 64 * 1024, 0);
        let result = self.stream.read(&mut self.read_buf[old..]);
        match result {
            Ok(0) => {
                self.read_buf.truncate(old);
                Err(ConnError::Closed(format!(
                    "{}: the server closed the connection{}",
                    self.address,
                    if self.pending > 0 {
                        " while replies were pending (killed, restarted, or a TLS port spoken to without TLS?)"
                    } else {
                        ""
                    }
                )))
            }
            Ok(n) => {
                self.read_buf.truncate(old + n);
                Ok(())
            }
            Err(e) => {
                self.read_buf.truncate(old);
                Err(self.io_error(e, "waiting for a reply"))
            }
        }
    }

    fn io_error(&self, e: std::io::Error, doing: &str) -> ConnError {
        use std::io::ErrorKind::*;
        match e.kind() {
            // A signal (SIGINT, SIGTERM) interrupting a read: the wait loop
            // checks the stop flag next, so it is a slice that ended early,
            // not a lost connection.
            WouldBlock | TimedOut | Interrupted => ConnError::Timeout(format!(
                "{}: no answer within the timeout while {doing} (the server hangs, or is overloaded; see --timeout)",
                self.address
            )),
            ConnectionReset | BrokenPipe | UnexpectedEof | ConnectionAborted => {
                ConnError::Closed(format!(
                    "{}: the connection was lost while {doing} ({e}; the server was killed or restarted, or a TLS port was spoken to without TLS: use rediss://)",
                    self.address
                ))
            }
            InvalidData => {
                ConnError::Tls(format!("{}: TLS error while {doing}: {e}", self.address))
            }
            _ => ConnError::Closed(format!("{}: {e} while {doing}", self.address)),
        }
    }
}

fn connect_tcp(address: &Address, timeout: Duration) -> Result<TcpStream, ConnError> {
    let addrs: Vec<_> = (address.host.as_str(), address.port)
        .to_socket_addrs()
        .map_err(|e| ConnError::Connect(format!("{address}: cannot resolve the host: {e}")))?
        .collect();
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => {
                let setup = stream
                    .set_read_timeout(Some(timeout))
                    .and_then(|_| stream.set_write_timeout(Some(timeout)))
                    .and_then(|_| stream.set_nodelay(true));
                setup.map_err(|e| ConnError::Connect(format!("{address}: {e}")))?;
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(ConnError::Connect(match last {
        Some(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            format!("{address}: connecting timed out")
        }
        Some(e) => format!("{address}: cannot connect: {e}"),
        None => format!("{address}: the host has no address"),
    }))
}

/// Spreads commands over time so no second carries more than `per_second`.
struct RateLimiter {
    per_second: u32,
    started: Instant,
    spent: u64,
}

impl RateLimiter {
    fn new(per_second: u32) -> Self {
        RateLimiter {
            per_second: per_second.max(1),
            started: Instant::now(),
            spent: 0,
        }
    }

    fn take(&mut self, commands: u64) {
        self.spent += commands;
        let due = Duration::from_secs_f64(self.spent as f64 / f64::from(self.per_second));
        let elapsed = self.started.elapsed();
        if due > elapsed {
            std::thread::sleep(due - elapsed);
        }
    }
}

#[cfg(test)]
mod tests;
