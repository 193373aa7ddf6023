//! `cachegen verify` where CONFIG does not exist: a real redis-server
//! started from the single-node fixture's generated redis.conf plus a
//! `rename-command CONFIG ""` line the test writes (as managed services
//! do). Verify compares what INFO shows, lists every declared directive it
//! could not check and why, and exits as it would for a conforming server.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;
use support::verify::{build, verify};
use support::{RedisServer, Reply};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/single.yaml")
}

/// A server from the fixture's redis.conf with CONFIG renamed away.
fn without_config(out: &Path) -> RedisServer {
    let dir = build(&fixture(), out);
    let conf = dir.join("stores/redis/redis.conf");
    let mut text = std::fs::read_to_string(&conf).unwrap();
    text.push_str("rename-command CONFIG \"\"\n");
    let written = out.join("no-config.conf");
    std::fs::write(&written, text).unwrap();
    RedisServer::start(Some(&written), &[])
}

#[test]
fn info_is_compared_and_the_rest_listed_with_why() {
    let out = tempfile::tempdir().unwrap();
    let server = without_config(out.path());
    // The server really has no CONFIG.
    let refused = server
        .client()
        .command(&["CONFIG", "GET", "maxmemory"])
        .unwrap();
    assert!(
        matches!(&refused, Reply::Error(e) if e.starts_with("ERR unknown command")),
        "{refused:?}"
    );
    let url = format!("redis://127.0.0.1:{}", server.port);
    let run = verify(
        &fixture(),
        &url,
        &["--format", "json"],
        Duration::from_secs(60),
    );
    // As for a conforming server: the open test server is CG440's warning,
    // nothing is an error.
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    assert_eq!(report["complete"], true);
    assert_eq!(report["summary"]["errors"], 0, "{report}");

    // What INFO shows, compared and matching.
    let rows = report["config"].as_array().unwrap();
    for directive in ["maxmemory", "maxmemory-policy", "appendonly", "maxclients"] {
        assert!(
            rows.iter().any(|r| r["directive"] == directive
                && r["status"] == "matches"
                && r["read_from"] == "info"),
            "{directive}: {rows:?}"
        );
    }
    // Every other declared directive, each with why.
    let unchecked: Vec<(String, String)> = report["config_unchecked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["directive"].as_str().unwrap().to_owned(),
                u["why"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let names: Vec<&str> = unchecked.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "save",
            "appendfsync",
            "slowlog-log-slower-than",
            "slowlog-max-len"
        ]
    );
    assert!(
        unchecked
            .iter()
            .all(|(_, why)| why == "INFO does not show these"),
        "{unchecked:?}"
    );
    let notes = run.findings("CG403");
    assert_eq!(notes.len(), 1);
    let note = notes[0]["message"].as_str().unwrap();
    assert!(
        note.contains("(refused by the server (renamed or disabled: ERR unknown command"),
        "{note}"
    );
    assert!(
        note.ends_with(
            "checked through INFO: `maxmemory`, `maxmemory-policy`, `appendonly`, `maxclients`; not checked: `save`, `appendfsync`, `slowlog-log-slower-than`, `slowlog-max-len` (INFO does not show these)"
        ),
        "{note}"
    );

    // The human report lists them too.
    let human = verify(&fixture(), &url, &[], Duration::from_secs(60));
    assert_eq!(human.code, Some(0), "{}", human.stdout);
    assert!(
        human.stdout.contains(
            "(4 read from INFO); not checked: save, appendfsync, slowlog-log-slower-than, slowlog-max-len\n"
        ),
        "{}",
        human.stdout
    );
}
