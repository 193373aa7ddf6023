//! `cachegen explain`: an answer for every quizmentor route and key pattern
//! (snapshots), keys read back into their patterns, the edge rules evaluated
//! as Cloudflare stacks them, and the CLI's formats and exit codes.

mod support;

use cachegen::explain::{self, Header, Target};
use cachegen::keys::{KeyPiece, Segment};
use cachegen::policy::model::{PlaceholderType, Policy};
use std::process::Command;

const QUIZMENTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/quizmentor.yaml");

fn policy() -> Policy {
    support::render::checked(QUIZMENTOR)
        .policy
        .expect("quizmentor checks")
}

fn sample(ty: &PlaceholderType) -> &'static str {
    match ty {
        PlaceholderType::Int => "42",
        PlaceholderType::Uuid => "123e4567-e89b-12d3-a456-426614174000",
        PlaceholderType::Slug => "rust-101",
        PlaceholderType::Token => "tok_9Xa",
        PlaceholderType::Md5 => "0cc175b9c0f1b6a831c399e269772661",
        PlaceholderType::Ip => "2001-db8--1",
        PlaceholderType::Pattern(_) => unreachable!("quizmentor has no user-defined type"),
    }
}

/// A concrete key of a pattern, in the stored layout every consumer shares.
fn sample_key(
    policy: &Policy,
    store: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> String {
    policy
        .stored_key(store, "", segments, hash_tag)
        .iter()
        .map(|p| match p {
            KeyPiece::Text(t) => t.clone(),
            KeyPiece::Placeholder { ty, .. } => sample(ty).to_owned(),
        })
        .collect()
}

#[test]
fn every_key_pattern_is_explained() {
    let policy = policy();
    for p in policy.keys.patterns.values() {
        let key = sample_key(&policy, &p.store, &p.segments, p.hash_tag);
        let v = explain::explain(&policy, &Target::Key(key.clone()), &[]).unwrap();
        assert_eq!(v["owner"]["name"], p.name.as_str(), "{key}");
        assert_eq!(v["owner"]["kind"], "pattern");
        let text = explain::human(&v);
        insta::assert_snapshot!(format!("key-{}", p.name), text);
    }
}

/// Issue 15 item 6: a tag-set key's line shows the tag set's key shape, as a
/// pattern's line shows its pattern (it printed ``tag-set `user`: `` empty).
#[test]
fn every_tag_set_is_explained_with_its_key_shape() {
    let policy = policy();
    assert!(!policy.tags.is_empty());
    for t in policy.tags.values() {
        let key = sample_key(&policy, &t.store, &t.key, None);
        let v = explain::explain(&policy, &Target::Key(key.clone()), &[]).unwrap();
        assert_eq!(v["owner"]["kind"], "tag-set", "{key}");
        assert_eq!(v["owner"]["name"], t.name.as_str(), "{key}");
        assert_eq!(v["owner"]["pattern"], t.key_text.as_str(), "{key}");
        let text = explain::human(&v);
        assert!(
            text.contains(&format!("tag-set `{}`: {}\n", t.name, t.key_text)),
            "{text}"
        );
        insta::assert_snapshot!(format!("tag-{}", t.name), text);
    }
}

#[test]
fn every_route_is_explained() {
    let policy = policy();
    let edge = policy.edge.as_ref().unwrap();
    for route in edge.routes.values() {
        let url = match (&route.path, route.extensions.first()) {
            (Some(path), _) => format!("https://quizmentor.com{}", path.replace('*', "sample")),
            (None, Some(ext)) => format!("https://quizmentor.com/assets/app.{ext}"),
            _ => unreachable!("a route has a path or extensions"),
        };
        let v = explain::explain(&policy, &Target::Url(url.clone()), &[]).unwrap();
        assert_eq!(v["route"], route.name.as_str(), "{url}");
        insta::assert_snapshot!(format!("route-{}", route.name), explain::human(&v));
    }
}

#[test]
fn the_last_matching_rule_wins_and_bypass_excludes_per_user_paths() {
    let policy = policy();
    // A `.js` file under the per-user API: the static-assets rule must not
    // reach it (every cacheable rule excludes the authenticated paths), and
    // the bypass matches case-insensitively.
    let v = explain::explain(&policy, &Target::Url("/API/User/bundle.js".into()), &[]).unwrap();
    assert_eq!(v["route"], "api_user");
    assert_eq!(v["result"]["cached_at_edge"], false);
    let matched: Vec<&str> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["matched"] == true)
        .map(|r| r["reference"].as_str().unwrap())
        .collect();
    assert_eq!(matched, vec!["cachegen_api_user"]);
    // Credentials on a public, edge-cached route: bypassed by the
    // credentials rule, and no TTL override of the public rule applies.
    let auth = Header::parse("authorization: Bearer x").unwrap();
    let v = explain::explain(
        &policy,
        &Target::Url("/api/public/leaderboard".into()),
        &[auth],
    )
    .unwrap();
    assert_eq!(v["result"]["cached_at_edge"], false);
    assert_eq!(v["result"]["decided_by"], "cachegen__credentials");
    assert!(v["result"]["edge_ttl_secs"].is_null(), "{v}");
    assert!(v["result"]["browser_ttl_secs"].is_null(), "{v}");
    assert!(
        v["notes"][0].as_str().unwrap().contains("credentials"),
        "{v}"
    );
    // Nothing matches: Cloudflare's defaults.
    let v = explain::explain(&policy, &Target::Url("/about".into()), &[]).unwrap();
    assert!(v["route"].is_null());
    assert!(v["notes"][0].as_str().unwrap().contains("no rule matches"));
}

#[test]
fn keys_that_match_nothing_or_old_prefixes_are_said_so() {
    let policy = policy();
    let v = explain::explain(&policy, &Target::Key("v1:{user:1}:profile".into()), &[]).unwrap();
    assert!(v["owner"].is_null());
    assert!(
        v["notes"][0]
            .as_str()
            .unwrap()
            .contains("old version prefix")
    );
    // Without braces the key is not what the cluster policy writes.
    let v = explain::explain(&policy, &Target::Key("v2:user:1:profile".into()), &[]).unwrap();
    assert!(v["owner"].is_null());
    let v = explain::explain(
        &policy,
        &Target::Key("lock:v2:{quiz:9}:leaderboard".into()),
        &[],
    )
    .unwrap();
    assert_eq!(v["owner"]["kind"], "stampede-lock");
    assert_eq!(v["params"]["quiz_id"], "9");
    let v = explain::explain(&policy, &Target::Key("v2:tag:user:7".into()), &[]).unwrap();
    assert_eq!(v["owner"]["kind"], "tag-set");
}

/// Issue 15: keys of `ip` placeholders read back into their pattern with
/// the address as written; other spellings of an address own nothing.
#[test]
fn ip_keys_are_explained() {
    let policy = support::render::checked(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/build-ip.yaml"
    ))
    .policy
    .expect("the ip fixture checks");
    for (key, pattern, params) in [
        (
            "rl1:rate:{192.0.2.7}",
            "per_client",
            vec![("client", "192.0.2.7")],
        ),
        (
            "rl1:rate:{2001-db8--1}",
            "per_client",
            vec![("client", "2001-db8--1")],
        ),
        (
            "rl1:rate:api:--1:10.0.0.1",
            "per_route",
            vec![("route", "api"), ("peer", "--1"), ("origin", "10.0.0.1")],
        ),
        ("rl1:fe80--1", "whole", vec![("origin", "fe80--1")]),
    ] {
        let v = explain::explain(&policy, &Target::Key(key.into()), &[]).unwrap();
        assert_eq!(v["owner"]["name"], pattern, "{key}: {v}");
        for (name, value) in params {
            assert_eq!(v["params"][name], value, "{key}: {v}");
        }
    }
    for key in [
        "rl1:rate:{2001-db8-0-0-0-0-0-1}",
        "rl1:rate:{192.0.2.07}",
        "rl1:--ffff-c000-207",
        "rl1:2001-DB8--1",
    ] {
        let v = explain::explain(&policy, &Target::Key(key.into()), &[]).unwrap();
        assert!(v["owner"].is_null(), "{key}: {v}");
    }
}

/// Issue 15: keys of user-defined (regex) types read back into their
/// pattern; a value outside the regex owns nothing.
#[test]
fn regex_keys_are_explained() {
    let policy = support::render::checked(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/build-regex.yaml"
    ))
    .policy
    .expect("the regex fixture checks");
    for (key, pattern, params) in [
        ("c1:item:ABC-12345", "item", vec![("sku", "ABC-12345")]),
        ("c1:item:AB7", "short", vec![("code", "AB7")]),
        (
            "c1:r:ap-se:XYZ-0001",
            "by_region",
            vec![("region", "ap-se"), ("sku", "XYZ-0001")],
        ),
        (
            "c1:rl:2001-db8--1:ZZ9",
            "limit",
            vec![("client", "2001-db8--1"), ("code", "ZZ9")],
        ),
    ] {
        let v = explain::explain(&policy, &Target::Key(key.into()), &[]).unwrap();
        assert_eq!(v["owner"]["name"], pattern, "{key}: {v}");
        for (name, value) in params {
            assert_eq!(v["params"][name], value, "{key}: {v}");
        }
    }
    let v = explain::explain(&policy, &Target::Key("c1:t:eu".into()), &[]).unwrap();
    assert_eq!(v["owner"]["kind"], "tag-set");
    for key in [
        "c1:item:ABC-123",
        "c1:item:abc-1234",
        "c1:r:ap-:XYZ-0001",
        "c1:item:AB",
    ] {
        let v = explain::explain(&policy, &Target::Key(key.into()), &[]).unwrap();
        assert!(v["owner"].is_null(), "{key}: {v}");
    }
}

/// `CLUSTER KEYSLOT` from a real single-node cluster started by the test.
fn cluster_keyslot(key: &str) -> i64 {
    let bus = support::free_port().to_string();
    let server = support::RedisServer::start(
        None,
        &[
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-port",
            &bus,
        ],
    );
    match server
        .client()
        .command(&["CLUSTER", "KEYSLOT", key])
        .unwrap()
    {
        support::Reply::Int(slot) => slot,
        other => panic!("CLUSTER KEYSLOT: {other:?}"),
    }
}

#[test]
fn hash_slots_match_a_real_cluster_node() {
    for key in [
        "v2:{user:42}:profile",
        "v2:leaderboard:global",
        "foo{}{bar}",
        "{a}b",
        "plain",
    ] {
        assert_eq!(
            i64::from(cachegen::explain::key::hash_slot(key.as_bytes())),
            cluster_keyslot(key),
            "{key}"
        );
    }
}

#[test]
fn an_event_name_gets_its_blast_radius() {
    let policy = policy();
    let v = explain::explain(&policy, &Target::Key("user.updated".into()), &[]).unwrap();
    assert_eq!(v["kind"], "event");
    let patterns: Vec<&str> = v["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pattern"].as_str().unwrap())
        .collect();
    assert_eq!(
        patterns,
        [
            "user_profile",
            "user_stats",
            "user_recommendations",
            "user_quizzes",
            "user_recent_quizzes",
            "user_progress",
            "user_preferences",
            "leaderboard_global",
            "leaderboard_topic"
        ]
    );
    let leaderboard = &v["patterns"][7];
    assert_eq!(leaderboard["when_changed"], "score");
    // quizmentor's public API serves the leaderboards: purge it at the edge.
    let edge: Vec<&str> = v["edge_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["purge"].as_str().unwrap())
        .collect();
    assert_eq!(edge, ["/api/public/*"]);
    insta::assert_snapshot!("event-user.updated", explain::human(&v));
}

#[test]
fn urls_are_normalized_as_cloudflare_does_before_matching() {
    assert_eq!(explain::url_path("/api/public/../user/42"), "/api/user/42");
    assert_eq!(explain::url_path("/api/%75ser/42"), "/api/user/42");
    assert_eq!(explain::url_path("/api//user\\42?x=1#f"), "/api/user/42");
    assert_eq!(explain::url_path("https://h#x/api/user/1"), "/");
    assert_eq!(explain::url_path("/api/%2Fuser"), "/api/%2Fuser");
    let policy = policy();
    let v = explain::explain(&policy, &Target::Url("/api/public/../user/42".into()), &[]).unwrap();
    assert_eq!(
        v["route"], "api_user",
        "a dot segment must not escape the bypass"
    );
}

#[test]
fn cli_formats_and_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_cachegen");
    let out = Command::new(bin)
        .args([
            "explain",
            "--policy",
            QUIZMENTOR,
            "v2:{user:42}:profile",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["owner"]["name"], "user_profile");
    assert_eq!(
        v["hash_slot"],
        cachegen::explain::key::hash_slot(b"user:42")
    );
    let out = Command::new(bin)
        .args([
            "explain",
            "--policy",
            QUIZMENTOR,
            "/api/user/me",
            "--header",
            "Authorization: Bearer t",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("bypassed"));
    let out = Command::new(bin)
        .args([
            "explain", "--policy", QUIZMENTOR, "/x", "--header", "no colon",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Issue 15: a key's explanation names the value-size limit that applies to
/// it and the field that sets it: the pattern's own, else the keys section's.
#[test]
fn a_key_names_the_value_size_limit_that_applies() {
    let yaml = "version: 1\nttl: {default: 5m}\nkeys:\n  max_value_size: 8kb\n  placeholders: {sku: int}\n  patterns:\n    prices:\n      pattern: \"prices:<sku>\"\n      max_value_size: 1mb\n    stock:\n      pattern: \"stock:<sku>\"\nredis: {version: \"7.0\", maxmemory: 1gb, maxmemory_policy: allkeys-lru}\n";
    let report = cachegen::check_bytes("shop.yaml", yaml.as_bytes(), &Default::default());
    let policy = report.policy.expect("checks");
    let text = |key: &str| {
        explain::human(&explain::explain(&policy, &Target::Key(key.into()), &[]).unwrap())
    };
    assert!(
        text("prices:7")
            .contains("largest value: 1048576 bytes (`keys.patterns.prices.max_value_size`)"),
        "{}",
        text("prices:7")
    );
    assert!(text("stock:7").contains("largest value: 8192 bytes (`keys.max_value_size`)"));
}

#[test]
fn other_forms_of_a_url_are_shown_and_each_leak_class_is_warned() {
    // A bypass listed before a cacheable extension rule: last match wins, so
    // `/checkout/cart.js` is cached while `/checkout/cart` is not. explain
    // lists the forms treated differently and warns for the leak class.
    let yaml = r#"version: 1
ttl:
  default: 5m
  jitter: 10%
keys:
  placeholders:
    quiz_id: int
  patterns:
    quiz_data:
      pattern: "quiz:<quiz_id>:data"
edge:
  routes:
    checkout:
      path: "/checkout/*"
      cache: bypass
    assets:
      extensions: [js]
      edge_ttl: 1d
redis:
  version: "7.0"
  maxmemory: 2gb
  maxmemory_policy: allkeys-lru
"#;
    let report = cachegen::check_bytes("v.yaml", yaml.as_bytes(), &Default::default());
    let policy = report.policy.expect("model");
    let v = explain::explain(&policy, &Target::Url("/checkout/cart".into()), &[]).unwrap();
    assert_eq!(v["result"]["cached_at_edge"], false);
    let forms = v["variants"].as_array().unwrap();
    let appended = forms
        .iter()
        .find(|f| f["url"] == "/checkout/cart.js")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(appended["class"], "appended extension");
    assert_eq!(appended["cached_at_edge"], true);
    assert_eq!(appended["decided_by"], "cachegen_assets");
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("leak class `appended extension`")),
        "{notes:?}"
    );
    // The bare prefix and upper case are bypassed too, so they are not listed.
    assert!(forms.iter().all(|f| f["url"] != "/checkout"), "{v}");
    assert!(forms.iter().all(|f| f["class"] != "case"), "{v}");
    let text = explain::human(&v);
    assert!(
        text.contains("other forms of this URL the edge treats differently"),
        "{text}"
    );
}
