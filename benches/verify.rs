//! Benchmark of `cachegen verify --full` against `redis-cli --memkeys` on the
//! same data in the same run, on one local node: wall time, peak RSS, and
//! where the time goes (client CPU vs server CPU), so the figures say what
//! bounds them.
//!
//! Run: `cargo bench --bench verify` (1,000,000 keys). Set
//! `CACHEGEN_BENCH_KEYS=10000000` to check that memory stays flat.
//! Needs `redis-server`, `redis-cli` and GNU time (`/usr/bin/time`, for peak
//! RSS) on PATH; starts its own server on a free loopback port.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/verify/single.yaml"
);

struct Server {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server on PATH (apt-get install -y redis-server)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.write_all(b"PING\r\n");
            let mut buf = [0u8; 16];
            if s.read(&mut buf).is_ok_and(|n| n > 0) {
                return Server {
                    child,
                    port,
                    _dir: dir,
                };
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut child = child;
    let _ = child.kill();
    let _ = child.wait();
    panic!("redis-server did not start");
}

fn resp(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// A mixed keyspace shaped by the fixture policy: 50% TTL'd strings of 200
/// bytes, 20% 5-field hashes, 20% durable strings, 5% tag sets, and 5% keys
/// no pattern owns (5% of all keys have a TTL above their pattern's bound). Written with pipelined writes (the bench seeds; verify
/// only reads).
fn seed(port: u16, keys: u64) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut reader = stream.try_clone().unwrap();
    let replies = std::thread::spawn(move || {
        // Drain replies so the server never blocks on output.
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        total
    });
    let value = vec![b'v'; 200];
    let mut out = Vec::with_capacity(1 << 20);
    for i in 0..keys {
        let n = i.to_string();
        match i % 20 {
            // Long TTLs only: keys expiring during the runs would make the
            // rounds measure different keyspaces.
            0..=8 => {
                let key = format!("v3:session:s{n}");
                resp(&[b"SET", key.as_bytes(), &value, b"EX", b"3600"], &mut out);
            }
            9 => {
                let key = format!("v3:page:{i:032x}");
                resp(&[b"SET", key.as_bytes(), &value, b"EX", b"3600"], &mut out);
            }
            10..=13 => {
                let key = format!("v3:user:{n}:profile");
                resp(
                    &[
                        b"HSET",
                        key.as_bytes(),
                        b"a",
                        b"1",
                        b"b",
                        b"2",
                        b"c",
                        b"3",
                        b"d",
                        b"4",
                        b"e",
                        b"5",
                    ],
                    &mut out,
                );
                resp(&[b"EXPIRE", key.as_bytes(), b"600"], &mut out);
            }
            14..=17 => {
                let key = format!("v3:ledger:{n}");
                resp(&[b"SET", key.as_bytes(), b"100"], &mut out);
            }
            18 => {
                let key = format!("v3:tag:user:{n}");
                resp(&[b"SADD", key.as_bytes(), b"x", b"y", b"z"], &mut out);
                resp(&[b"EXPIRE", key.as_bytes(), b"1200"], &mut out);
            }
            _ => {
                let key = format!("legacy:{n}:blob");
                resp(&[b"SET", key.as_bytes(), b"?"], &mut out);
            }
        }
        if out.len() > 1 << 20 {
            stream.write_all(&out).unwrap();
            out.clear();
        }
    }
    resp(&[b"DBSIZE"], &mut out);
    stream.write_all(&out).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let _ = replies.join();
}

/// used_cpu_user + used_cpu_sys of the server, in seconds.
fn server_cpu(port: u16) -> f64 {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string(), "INFO", "cpu"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("used_cpu_user:") || l.starts_with("used_cpu_sys:"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
        .sum()
}

struct Measured {
    wall: f64,
    server_cpu: f64,
    client_cpu: f64,
    max_rss_kb: u64,
}

/// Runs `program args` under GNU time; wall, client CPU and peak RSS from it.
fn measure(port: u16, program: &str, args: &[&str]) -> Measured {
    let before = server_cpu(port);
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%U %S %M"])
        .arg(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("GNU time at /usr/bin/time (apt-get install -y time)");
    let wall = started.elapsed().as_secs_f64();
    let server = server_cpu(port) - before;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    let f: Vec<f64> = last
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    assert_eq!(f.len(), 3, "unexpected time output: {stderr}");
    Measured {
        wall,
        server_cpu: server,
        client_cpu: f[0] + f[1],
        max_rss_kb: f[2] as u64,
    }
}

fn show(name: &str, m: &Measured) {
    println!(
        "{name:<26} wall {:>6.2} s   server CPU {:>5.2} s   client CPU {:>5.2} s   peak RSS {:>7.1} MB",
        m.wall,
        m.server_cpu,
        m.client_cpu,
        m.max_rss_kb as f64 / 1024.0
    );
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter.
    let keys: u64 = std::env::var("CACHEGEN_BENCH_KEYS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(1_000_000);
    let cachegen = env!("CARGO_BIN_EXE_cachegen");
    assert!(Path::new(cachegen).exists());
    let server = start();
    let t = Instant::now();
    seed(server.port, keys);
    println!(
        "seeded {keys} keys in {:.1} s (one local node, redis-server from PATH)",
        t.elapsed().as_secs_f64()
    );
    let url = format!("redis://127.0.0.1:{}", server.port);
    let port = server.port.to_string();
    let rounds = if keys > 2_000_000 { 1 } else { 3 };
    let mut ratios = Vec::new();
    let mut verify_runs = Vec::new();
    for round in 1..=rounds {
        let cli = measure(server.port, "redis-cli", &["-p", &port, "--memkeys"]);
        let verify = measure(
            server.port,
            cachegen,
            &[
                "verify",
                POLICY,
                "--redis",
                &url,
                "--full",
                "--format",
                "json",
                "--no-progress",
            ],
        );
        println!("round {round}:");
        show("  redis-cli --memkeys", &cli);
        show("  cachegen verify --full", &verify);
        ratios.push(verify.wall / cli.wall);
        verify_runs.push(verify);
    }
    ratios.sort_by(f64::total_cmp);
    let best = verify_runs.iter().map(|m| m.wall).fold(f64::MAX, f64::min);
    let rss = verify_runs.iter().map(|m| m.max_rss_kb).max().unwrap_or(0);
    println!(
        "verify / memkeys wall ratio: median {:.2} (min {:.2}, max {:.2}); verify best {:.2} s; verify peak RSS {:.1} MB; {:.0} keys/s",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
        best,
        rss as f64 / 1024.0,
        keys as f64 / best
    );
}
