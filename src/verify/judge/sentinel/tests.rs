//! Unit tests of the Sentinel judge, on hand-built facts.

use super::*;
use crate::verify::sentinel::{AskedSentinel, Fields};
use crate::verify::target::parse_host_port;

/// shop's policy: its `durable` store has 2 replicas and 3 Sentinels,
/// quorum 2, down_after 5s, failover_timeout 1m, master `shop-durable`.
fn shop() -> Policy {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/shop.yaml");
    crate::check_path(&path, &Default::default())
        .policy
        .expect("shop checks")
}

fn pairs(items: &[(&str, &str)]) -> Fields {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn replica(port: u16, flags: &str, link: &str) -> Fields {
    pairs(&[
        ("name", &format!("127.0.0.1:{port}")),
        ("ip", "127.0.0.1"),
        ("port", &port.to_string()),
        ("flags", flags),
        ("master-link-status", link),
    ])
}

/// What a healthy Sentinel of shop's durable store says.
fn healthy() -> SentinelSeen {
    SentinelSeen {
        master: Some(pairs(&[
            ("name", "shop-durable"),
            ("flags", "master"),
            ("quorum", "2"),
            ("num-other-sentinels", "2"),
            ("num-slaves", "2"),
            ("down-after-milliseconds", "5000"),
            ("failover-timeout", "60000"),
            ("parallel-syncs", "1"),
        ])),
        known_masters: Vec::new(),
        primary: Some(parse_host_port("127.0.0.1:7101").unwrap()),
        replicas: vec![replica(7102, "slave", "ok"), replica(7103, "slave", "ok")],
        sentinels: vec![Fields::new(), Fields::new()],
        ckquorum: Ok(
            "OK 3 usable Sentinels. Quorum and failover authorization can be reached".into(),
        ),
        tilt: Some(false),
    }
}

fn three(change: impl Fn(usize, &mut SentinelSeen)) -> SentinelObserved {
    SentinelObserved {
        master_name: "shop-durable".into(),
        asked: (0..3)
            .map(|i| {
                let mut seen = healthy();
                change(i, &mut seen);
                AskedSentinel {
                    address: parse_host_port(&format!("127.0.0.1:{}", 7111 + i)).unwrap(),
                    seen: Ok(seen),
                }
            })
            .collect(),
    }
}

fn findings(observed: &SentinelObserved) -> Vec<Diagnostic> {
    let p = shop();
    judge(&p, &p.stores["durable"], observed)
}

fn codes_of(observed: &SentinelObserved) -> Vec<(&'static str, Severity)> {
    findings(observed)
        .iter()
        .map(|d| (d.code.code, d.severity))
        .collect()
}

fn only(observed: &SentinelObserved, code: &str) -> Diagnostic {
    let all = findings(observed);
    let found: Vec<&Diagnostic> = all.iter().filter(|d| d.code.code == code).collect();
    assert_eq!(found.len(), 1, "{all:#?}");
    assert_eq!(all.len(), 1, "only {code}: {all:#?}");
    found[0].clone()
}

#[test]
fn healthy_sentinels_have_no_findings() {
    assert!(codes_of(&three(|_, _| {})).is_empty());
}

#[test]
fn a_store_without_sentinels_is_not_judged() {
    let p = shop();
    assert!(judge(&p, &p.stores["cache"], &three(|_, _| {})).is_empty());
}

#[test]
fn an_unreachable_sentinel_is_a_finding_and_the_rest_are_judged() {
    let mut observed = three(|i, s| {
        if i == 2 {
            s.tilt = Some(true);
        }
    });
    observed.asked[0].seen = Err("127.0.0.1:7111: cannot connect: refused".into());
    let codes = codes_of(&observed);
    assert_eq!(
        codes,
        [("CG450", Severity::Error), ("CG458", Severity::Warning)],
        "{codes:?}"
    );
    let d = &findings(&observed)[0];
    assert!(d.message.contains("127.0.0.1:7111"), "{}", d.message);
}

#[test]
fn sentinels_naming_different_primaries_disagree() {
    let d = only(
        &three(|i, s| {
            if i == 1 {
                s.primary = Some(parse_host_port("127.0.0.1:7102").unwrap());
            }
        }),
        "CG451",
    );
    assert!(
        d.message.contains("127.0.0.1:7112 name 127.0.0.1:7102"),
        "{}",
        d.message
    );
    assert!(
        d.message
            .contains("127.0.0.1:7111, 127.0.0.1:7113 name 127.0.0.1:7101"),
        "{}",
        d.message
    );
}

#[test]
fn an_unknown_master_name_lists_the_known_ones() {
    let d = only(
        &three(|i, s| {
            if i == 0 {
                *s = SentinelSeen {
                    known_masters: vec!["mymaster".into()],
                    ..SentinelSeen::default()
                };
            }
        }),
        "CG452",
    );
    assert!(
        d.message
            .contains("does not monitor `shop-durable`: it monitors `mymaster`"),
        "{}",
        d.message
    );
}

#[test]
fn quorum_and_timings_that_differ_from_the_policy() {
    let d = only(
        &three(|i, s| {
            if i == 2 {
                s.master
                    .as_mut()
                    .unwrap()
                    .insert("quorum".into(), "3".into());
            }
        }),
        "CG453",
    );
    assert_eq!(
        d.message,
        "quorum is 3 on 127.0.0.1:7113; the policy sets 2"
    );
    let observed = three(|_, s| {
        let m = s.master.as_mut().unwrap();
        m.insert("down-after-milliseconds".into(), "1000".into());
        m.insert("parallel-syncs".into(), "2".into());
    });
    let all = findings(&observed);
    let messages: Vec<&str> = all.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "down-after-milliseconds is 1000 on 127.0.0.1:7111, 127.0.0.1:7112, 127.0.0.1:7113; the policy sets 5000",
            "parallel-syncs is 2 on 127.0.0.1:7111, 127.0.0.1:7112, 127.0.0.1:7113; the policy sets 1",
        ]
    );
    assert!(all.iter().all(|d| d.code.code == "CG457"));
}

#[test]
fn sentinels_that_do_not_see_each_other() {
    // One was reset and sees nobody yet.
    let d = only(
        &three(|i, s| {
            if i == 0 {
                s.master
                    .as_mut()
                    .unwrap()
                    .insert("num-other-sentinels".into(), "0".into());
            }
        }),
        "CG454",
    );
    assert!(
        d.message.contains("127.0.0.1:7111 see 0 other"),
        "{}",
        d.message
    );
    // All agree, but on a number the policy does not declare (a stranger).
    let d = only(
        &three(|_, s| {
            s.master
                .as_mut()
                .unwrap()
                .insert("num-other-sentinels".into(), "3".into());
        }),
        "CG454",
    );
    assert!(
        d.message
            .starts_with("the Sentinels should each see 2 others"),
        "{}",
        d.message
    );
}

#[test]
fn the_number_of_sentinels_given_and_answering() {
    let mut fewer = three(|_, _| {});
    fewer.asked.truncate(2);
    let d = only(&fewer, "CG455");
    assert_eq!(d.severity, Severity::Note);
    let mut more = three(|_, _| {});
    let mut extra = more.asked[0].clone();
    extra.address = parse_host_port("127.0.0.1:7114").unwrap();
    more.asked.push(extra);
    let codes = codes_of(&more);
    assert!(codes.contains(&("CG455", Severity::Error)), "{codes:?}");
    // A fourth that answers but does not monitor the master is CG452 only,
    // not one more Sentinel of the store.
    let mut stranger = three(|_, _| {});
    stranger.asked.push(AskedSentinel {
        address: parse_host_port("127.0.0.1:7114").unwrap(),
        seen: Ok(SentinelSeen::default()),
    });
    assert_eq!(codes_of(&stranger), [("CG452", Severity::Error)]);
}

#[test]
fn ckquorum_failing_tilt_and_a_primary_seen_down() {
    let observed = three(|i, s| {
        if i == 0 {
            s.ckquorum = Err(
                "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the majority"
                    .into(),
            );
        }
        if i == 1 {
            s.master
                .as_mut()
                .unwrap()
                .insert("flags".into(), "master,s_down,o_down".into());
        }
    });
    let codes = codes_of(&observed);
    assert_eq!(
        codes,
        [("CG456", Severity::Error), ("CG461", Severity::Error)],
        "{codes:?}"
    );
    let all = findings(&observed);
    assert!(
        all[1]
            .message
            .contains("127.0.0.1:7112 flag the primary s_down,o_down"),
        "{}",
        all[1].message
    );
}

#[test]
fn a_primary_only_disconnected_from_a_sentinel_is_a_warning() {
    let observed = three(|i, s| {
        if i == 2 {
            s.master
                .as_mut()
                .unwrap()
                .insert("flags".into(), "master,disconnected".into());
        }
    });
    let d = only(&observed, "CG461");
    assert_eq!(d.severity, Severity::Warning);
    assert!(
        d.message
            .contains("127.0.0.1:7113 flag the primary disconnected"),
        "{}",
        d.message
    );
    // Down as well: an error naming both flags.
    let observed = three(|_, s| {
        s.master
            .as_mut()
            .unwrap()
            .insert("flags".into(), "master,s_down,disconnected".into());
    });
    let d = only(&observed, "CG461");
    assert_eq!(d.severity, Severity::Error);
    assert!(d.message.contains("s_down,disconnected"), "{}", d.message);
}

#[test]
fn replicas_missing_or_down() {
    // A replica stopped: the Sentinels still list it, flagged down.
    let d = only(
        &three(|_, s| s.replicas[1] = replica(7103, "slave,s_down,disconnected", "err")),
        "CG460",
    );
    assert!(
        d.message
            .starts_with("replica 127.0.0.1:7103 is not healthy"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("s_down, disconnected, master link err"),
        "{}",
        d.message
    );
    // A replica no Sentinel knows.
    let d = only(
        &three(|_, s| {
            s.replicas.pop();
        }),
        "CG459",
    );
    assert!(
        d.message
            .ends_with("know 1 replicas; the policy declares 2"),
        "{}",
        d.message
    );
}

#[test]
fn findings_point_at_the_fields_they_are_about() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/shop.yaml");
    let report = crate::check_path(&path, &Default::default());
    let p = report.policy.as_ref().unwrap();
    let observed = three(|_, s| {
        s.master
            .as_mut()
            .unwrap()
            .insert("quorum".into(), "3".into());
        s.master
            .as_mut()
            .unwrap()
            .insert("failover-timeout".into(), "1".into());
    });
    let all = judge(p, &p.stores["durable"], &observed);
    let line = |d: &Diagnostic| {
        let span = d.span.expect("a span");
        let (l, _) = report.source.line_col(span.start);
        report
            .source
            .text()
            .lines()
            .nth(l - 1)
            .unwrap()
            .trim()
            .to_owned()
    };
    let lines: Vec<String> = all.iter().map(line).collect();
    assert_eq!(lines, ["quorum: 2", "failover_timeout: 1m"], "{all:#?}");
}
