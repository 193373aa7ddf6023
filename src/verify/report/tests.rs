//! Unit tests of the verify report texts, on reports built by hand.

use super::human::human;
use super::markdown::markdown;
use super::*;
use crate::verify::classify::Classifier;
use crate::verify::keyspace::Tally;
use crate::verify::outcome::{NodeReport, Runtime, ScanState};
use crate::verify::server::Flavour;
use crate::verify::target::parse_host_port;
use std::time::Duration;

/// A report of the single-node fixture policy with these nodes and
/// reasons it is incomplete, and nothing found.
fn report(nodes: Vec<NodeReport>, incomplete: &[&str]) -> Report {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify/single.yaml");
    let policy = crate::check_path(&path, &Default::default())
        .policy
        .expect("the fixture policy checks");
    let owners = Classifier::new(&policy).expect("compiles").owners;
    let mut tally = Tally::new(owners.len());
    tally.inspected = nodes.iter().map(|n| n.inspected).sum();
    Report {
        target: "redis://127.0.0.1:1".into(),
        flavour: (!nodes.is_empty()).then(|| Flavour {
            engine: crate::verify::server::Engine::Redis,
            version: "7.0.15".into(),
            release: Some((7, 0)),
            redis_compat: Some((7, 0)),
        }),
        cluster: nodes.len() > 1,
        coverage: Coverage::Full,
        nodes,
        sentinels: Vec::new(),
        owners,
        tally,
        config: Vec::new(),
        config_unchecked: Vec::new(),
        runtime: Runtime::default(),
        findings: Vec::new(),
        incomplete: incomplete.iter().map(|s| s.to_string()).collect(),
        elapsed: Duration::from_millis(13_800),
    }
}

fn node(port: u16, scan: ScanState, inspected: u64) -> NodeReport {
    NodeReport {
        address: parse_host_port(&format!("127.0.0.1:{port}")).unwrap(),
        role: if scan == ScanState::NotPrimary {
            "slave"
        } else {
            "master"
        }
        .into(),
        version: "7.0.15".into(),
        dbsize: Some(1000),
        inspected,
        scan_time: Duration::ZERO,
        error: (scan == ScanState::StoppedEarly).then(|| "connection reset".into()),
        scan,
        no_touch: Default::default(),
        replica_of: None,
    }
}

fn source() -> SourceFile {
    SourceFile::new("policies/single.yaml", "")
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap()
}

#[test]
fn a_complete_full_pass_is_called_one() {
    let r = report(vec![node(1, ScanState::Complete, 10)], &[]);
    let text = human(&r, &source(), false);
    assert!(
        first_line(&text).ends_with("single node, full pass in 13.8s"),
        "{text}"
    );
    assert!(text.contains("keyspace by pattern (10 keys inspected)"));
    assert!(text.contains(" ok\n"), "{text}");
}

#[test]
fn a_refused_connection_checks_no_pattern() {
    let r = report(Vec::new(), &["could not connect: 127.0.0.1:1: refused"]);
    let text = human(&r, &source(), false);
    assert!(
        first_line(&text).contains("keyspace not checked (no primary was scanned)"),
        "{text}"
    );
    assert!(!text.contains("full pass"), "{text}");
    assert!(
        text.contains("keyspace by pattern: not checked (no primary was scanned)"),
        "{text}"
    );
    assert!(
        !text.contains(" ok"),
        "no pattern may be shown as ok:\n{text}"
    );
    assert!(!text.contains("profile"), "no pattern rows:\n{text}");
    assert!(text.contains("config and runtime: not read"), "{text}");
    assert!(text.contains("incomplete: results are partial"), "{text}");
}

#[test]
fn a_scan_lost_before_its_first_key_checks_no_pattern() {
    let r = report(
        vec![node(1, ScanState::StoppedEarly, 0)],
        &["127.0.0.1:1: connection reset"],
    );
    let text = human(&r, &source(), false);
    assert!(
        text.contains("keyspace by pattern: not checked (no primary was scanned)"),
        "{text}"
    );
    assert!(
        !text.contains(" ok"),
        "no pattern may be shown as ok:\n{text}"
    );
}

#[test]
fn a_node_lost_mid_scan_is_not_a_full_pass() {
    let r = report(
        vec![node(1, ScanState::StoppedEarly, 1234)],
        &["scan stopped early: connection reset"],
    );
    let text = human(&r, &source(), false);
    assert!(
        first_line(&text).ends_with(
            "single node, incomplete full pass: 0 of 1 primary scanned to the end, \
                 1 stopped early; 1234 keys inspected in 13.8s"
        ),
        "{text}"
    );
    assert!(
        text.contains("keyspace by pattern (1234 keys inspected, partial scan)"),
        "{text}"
    );
    assert!(text.contains(" ok so far\n"), "{text}");

    // A cluster that lost one of three masters, with one never reached.
    let r = report(
        vec![
            node(1, ScanState::Complete, 500),
            node(2, ScanState::StoppedEarly, 200),
            node(3, ScanState::NotScanned, 0),
            node(4, ScanState::NotPrimary, 0),
        ],
        &["scan stopped early: MOVED", "127.0.0.1:3: refused"],
    );
    let text = human(&r, &source(), false);
    assert!(
        first_line(&text).ends_with(
            "cluster of 4 nodes, incomplete full pass: 1 of 3 primaries scanned to the end, \
                 1 stopped early, 1 not scanned; 700 keys inspected in 13.8s"
        ),
        "{text}"
    );
}

#[test]
fn markdown_names_the_run_the_target_and_the_outcome() {
    let r = report(Vec::new(), &["could not connect: 127.0.0.1:1: refused"]);
    let md = markdown(&r, &source());
    assert!(
            md.starts_with(
                "### cachegen verify: `redis://127.0.0.1:1` against `policies/single.yaml`\n\n\
                 **incomplete: results are partial** · 0 errors, 0 warnings, 0 notes\n\n\
                 server unknown, single node, keyspace not checked (no primary was scanned) in 13.8s\n\n\
                 - incomplete: could not connect: 127.0.0.1:1: refused\n"
            ),
            "{md}"
        );
    assert!(!md.contains("cachegen check"), "{md}");

    let r = report(vec![node(1, ScanState::Complete, 10)], &[]);
    let md = markdown(&r, &source());
    assert!(md.contains("**conforms** · 0 errors"), "{md}");
    assert!(
            md.contains("server redis 7.0.15, single node, full pass in 13.8s\n\nhit ratio not measured (--window 0s)\n"),
            "{md}"
        );
    assert!(md.ends_with("No findings.\n"), "{md}");
}

#[test]
fn a_primary_with_replicas_lists_each_replica_and_what_was_not_checked() {
    let mut replica = node(2, ScanState::NotPrimary, 0);
    replica.replica_of = Some(crate::verify::ReplicaLink {
        primary: "127.0.0.1:1".into(),
        link: "down".into(),
        last_io_seconds: Some(-1),
    });
    // A listed replica verify did not read is a row, not a replica counted.
    let mut unread = node(3, ScanState::NotPrimary, 0);
    unread.role = String::new();
    unread.error = Some("not an allowed host (see --allow-hosts); not contacted".into());
    let mut r = report(vec![node(1, ScanState::Complete, 10), replica, unread], &[]);
    r.cluster = false;
    r.config_unchecked = vec![
        ("save", "INFO does not show these"),
        (
            "min-replicas-to-write",
            crate::verify::judge::config::INFO_PRESENCE_ONLY,
        ),
    ];
    let text = human(&r, &source(), false);
    assert!(
        first_line(&text).contains("primary with 1 replica, full pass"),
        "{text}"
    );
    assert!(
        text.contains("replica of 127.0.0.1:1 (link down)"),
        "{text}"
    );
    assert!(
        text.contains("; not checked: save, min-replicas-to-write (its value)\n"),
        "{text}"
    );
    let json = super::json::store_json(&r, &source());
    assert_eq!(json["nodes"][1]["replica_of"]["link"], "down");
    assert_eq!(json["nodes"][0]["replica_of"], serde_json::Value::Null);
    assert_eq!(json["config_unchecked"][0]["directive"], "save");
}

#[test]
fn every_format_shows_the_sentinels_briefly() {
    use crate::verify::SentinelRow;
    let mut r = report(vec![node(7101, ScanState::Complete, 10)], &[]);
    r.sentinels = vec![
        SentinelRow {
            address: parse_host_port("127.0.0.1:7111").unwrap(),
            primary: Some(parse_host_port("127.0.0.1:7101").unwrap()),
            quorum: Some("2".into()),
            others: Some("2".into()),
            error: None,
        },
        SentinelRow {
            address: parse_host_port("127.0.0.1:7112").unwrap(),
            primary: None,
            quorum: None,
            others: None,
            error: Some("127.0.0.1:7112: cannot connect\u{1b}[31m".into()),
        },
    ];
    let named = "127.0.0.1:7111 names 127.0.0.1:7101, quorum 2, sees 2 other Sentinels";
    let text = human(&r, &source(), false);
    assert!(
        text.contains(&format!(
            "\nsentinels\n  {named}\n  127.0.0.1:7112: 127.0.0.1:7112: cannot connect"
        )),
        "{text}"
    );
    // Server text cannot drive the terminal.
    assert!(!text.contains('\u{1b}'), "{text}");
    let md = markdown(&r, &source());
    assert!(md.contains(&format!("- Sentinel {named}\n")), "{md}");
    let run = RunReport {
        stores: vec![StoreReport {
            store: "redis".into(),
            report: Some(r),
        }],
    };
    let document = json::json(&run, &source());
    let rows = &document["stores"]["redis"]["sentinels"];
    assert_eq!(rows[0]["primary"], "127.0.0.1:7101");
    assert_eq!(rows[0]["other_sentinels"], "2");
    assert!(rows[1]["primary"].is_null() && rows[1]["error"].is_string());
    let xml = junit::junit_run(&run, &source());
    assert!(xml.contains("cachegen.verify.sentinel"), "{xml}");
    assert!(xml.contains(named), "{xml}");
    assert!(xml.contains("name=\"CG461 sentinel-master-down\""), "{xml}");
}
