//! Benchmark of `check` and `build`: the bundled policy, and synthetic
//! policies of 5,000 key patterns + 1,000 routes and of twice that, to show the
//! pipeline (and the ambiguity check in particular) scales linearly.
//!
//! Run: `cargo bench --bench check`. Prints min and median of several runs of
//! the library pipeline (bytes → diagnostics → rendered files), and the wall
//! time of the real binary on the bundled policy.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// A valid policy with `patterns` key patterns and `routes` routes. Shapes vary
/// (literal-first, placeholder-first, deep) so the ambiguity trie sees both
/// wide literal fan-out and placeholder edges.
fn synthetic_policy(patterns: usize, routes: usize) -> String {
    let mut y = String::with_capacity(patterns * 200 + routes * 150);
    y.push_str("version: 1\nname: synthetic\nttl:\n  default: 5m\n  jitter: 10%\n  authenticated_cap: 30m\n  classes:\n");
    for c in 0..20 {
        let _ = writeln!(y, "    class_{c}: {}m", c + 1);
    }
    y.push_str("keys:\n  version_prefix: v2\n  placeholders:\n    user_id: int\n    item_id: uuid\n    slug: slug\n    digest: md5\n  patterns:\n");
    for i in 0..patterns {
        let pattern = match i % 4 {
            0 => format!("svc{i}:user:<user_id>:field{}", i % 7),
            1 => format!("<user_id>:svc{i}"),
            2 => format!("svc{i}:item:<item_id>:<slug>"),
            _ => format!("cache:svc{i}:<digest>"),
        };
        let _ = writeln!(
            y,
            "    p{i}:\n      pattern: \"{pattern}\"\n      ttl: class_{}\n      hash_tag: \"{}\"",
            i % 20,
            if i % 4 == 3 {
                "digest"
            } else if i % 4 == 2 {
                "item_id"
            } else {
                "user_id"
            }
        );
    }
    y.push_str("invalidation:\n  cascade:\n");
    for i in (0..patterns).step_by(8) {
        let _ = writeln!(y, "    p{i}: [p{}]", i + 4);
    }
    y.push_str("  events:\n");
    for i in (0..patterns).step_by(16) {
        let _ = writeln!(
            y,
            "    e{i}.updated:\n      params: [user_id]\n      invalidate: [p{i}, p{}]",
            i + 1
        );
    }
    y.push_str("edge:\n  routes:\n");
    for i in 0..routes {
        let _ = writeln!(
            y,
            "    r{i}:\n      path: \"/api/r{i}/*\"\n      edge_ttl: 5m\n      browser_ttl: 1m\n      stale_while_revalidate: 1m\n      vary: [Accept-Encoding]"
        );
    }
    y.push_str("redis:\n  version: \"7.0\"\n  maxmemory: 2gb\n  maxmemory_policy: volatile-lru\n  persistence:\n    appendonly: true\n");
    y
}

/// (min, median, findings) of `runs` check + render passes. The minimum is
/// the least noisy figure on a shared 2-core machine; the median is typical.
fn time_pipeline(name: &str, bytes: &[u8], runs: usize) -> (Duration, Duration, usize) {
    let options = cachegen::CheckOptions::default();
    let templates = cachegen::render::Templates::default();
    let mut times = Vec::with_capacity(runs);
    let mut findings = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let report = cachegen::check_bytes(name, bytes, &options);
        let files = cachegen::render_report(&report, &templates);
        times.push(start.elapsed());
        assert!(
            matches!(files, Some(Ok(_))),
            "{name} must build: {:?}",
            report
                .diagnostics
                .iter()
                .filter(|d| d.severity == cachegen::diag::Severity::Error)
                .map(|d| format!("{} {}", d.code.code, d.message))
                .take(3)
                .collect::<Vec<_>>()
        );
        findings = report.diagnostics.len();
        std::hint::black_box((report, files));
    }
    times.sort();
    (times[0], times[runs / 2], findings)
}

/// Wall time of the real binary (process start to exit), as a user sees it.
fn median_process(args: &[&str], runs: usize) -> Duration {
    let exe = env!("CARGO_BIN_EXE_cachegen");
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let status = std::process::Command::new(exe)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run cachegen");
        times.push(start.elapsed());
        assert!(status.success(), "cachegen {args:?} failed");
    }
    times.sort();
    times[runs / 2]
}

/// Human output of 500 diagnostics that sit at the end of a 6 MB file: the
/// case the windowed miette source exists for (miette's own scans the file
/// from the start for every snippet).
fn time_late_diagnostics(runs: usize) -> Duration {
    let mut text = format!("version: 1\ndescription: \"{}\"\n", "x".repeat(6_000_000));
    for i in 0..500 {
        let _ = writeln!(text, "junk_key_{i}: v");
    }
    let report = cachegen::check_bytes(
        "late.yaml",
        text.as_bytes(),
        &cachegen::CheckOptions::default(),
    );
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let out = cachegen::output::render(
            cachegen::output::Format::Human,
            std::slice::from_ref(&report),
            false,
        );
        times.push(start.elapsed());
        std::hint::black_box(out);
    }
    times.sort();
    times[runs / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let wall = median_process(&["check", "policies/quizmentor.yaml"], 51);
    println!(
        "`cachegen check policies/quizmentor.yaml`: process wall time median {:.2} ms",
        ms(wall)
    );
    let out = std::env::temp_dir().join(format!("cachegen-bench-{}", std::process::id()));
    let out_arg = out.to_str().expect("utf-8 temp dir").to_owned();
    let wall = median_process(
        &["build", "policies/quizmentor.yaml", "--out", &out_arg],
        51,
    );
    println!(
        "`cachegen build policies/quizmentor.yaml` (writes files): process wall time median {:.2} ms",
        ms(wall)
    );
    let _ = std::fs::remove_dir_all(&out);

    let quizmentor = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/quizmentor.yaml"
    ))
    .expect("bundled policy");
    let (min, median, n) = time_pipeline("quizmentor.yaml", &quizmentor, 51);
    println!(
        "quizmentor.yaml ({} bytes), check + render in-process: min {:.2} ms, median {:.2} ms, {n} findings",
        quizmentor.len(),
        ms(min),
        ms(median)
    );

    println!(
        "human output, 500 diagnostics at the end of a 6 MB file: median {:.1} ms",
        ms(time_late_diagnostics(5))
    );

    let mut previous: Option<(f64, f64)> = None;
    for (patterns, routes) in [(5_000, 1_000), (10_000, 2_000)] {
        let policy = synthetic_policy(patterns, routes);
        let (min, median, n) = time_pipeline("synthetic.yaml", policy.as_bytes(), 15);
        let (min, median) = (ms(min), ms(median));
        print!(
            "synthetic {patterns} patterns + {routes} routes ({} KiB), check + render: min {min:.1} ms, median {median:.1} ms, {n} findings",
            policy.len() / 1024
        );
        if let Some((pmin, pmed)) = previous {
            print!(
                "; {:.2}x (min) / {:.2}x (median) the half-size input",
                min / pmin,
                median / pmed
            );
        }
        println!();
        previous = Some((min, median));
    }
}
