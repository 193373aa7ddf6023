//! Schema and semantic errors as a user sees them. Every file in
//! `tests/fixtures/invalid/` makes one mistake (its first comment says which);
//! its human-readable report is snapshotted, so wording and spans are reviewed
//! like code. `five_mistakes.yaml` also pins the exact diagnostics: five
//! independent mistakes give five diagnostics, each at its own place.

use cachegen::output::{self, Format};
use cachegen::{CheckOptions, FileReport};
use std::path::{Path, PathBuf};

const DIR: &str = "tests/fixtures/invalid";

/// Fixture paths relative to the package root, so the file names printed in
/// the reports (and so the snapshots) do not depend on where the repo lives.
fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(DIR))
        .expect("tests/fixtures/invalid exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| Path::new(DIR).join(p.file_name().unwrap()))
        .collect();
    paths.sort();
    paths
}

/// The fixtures make one mistake each and declare no `access:`; CG501
/// (store-without-access-control) would add the same warning to every one.
fn options() -> CheckOptions {
    CheckOptions {
        overrides: cachegen::lint::LevelOverrides {
            entries: vec![("CG501", cachegen::policy::model::LintLevel::Allow)],
        },
    }
}

fn check(path: &Path) -> FileReport {
    let absolute = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let mut report = cachegen::check_path(&absolute, &options());
    // Report under the relative name, as `cachegen check tests/fixtures/...` would.
    report.source =
        cachegen::source::SourceFile::new(path.to_str().unwrap(), report.source.text().to_owned());
    report
}

#[test]
fn every_invalid_fixture_is_reported_and_snapshotted() {
    let paths = fixtures();
    assert!(paths.len() >= 17, "fixtures missing: {paths:?}");
    for path in paths {
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let report = check(&path);
        assert!(!report.unreadable, "{name}: fixtures are readable YAML");
        assert!(
            report.count(cachegen::diag::Severity::Error) > 0,
            "{name}: an invalid fixture must have an error"
        );
        assert!(
            report.source.text().starts_with("# "),
            "{name}: start with a comment saying what the mistake is"
        );
        let out = output::render(Format::Human, std::slice::from_ref(&report), false);
        insta::assert_snapshot!(name, out);
    }
}

/// (code, line, column) of every diagnostic, in output order.
fn positions(report: &FileReport) -> Vec<(&'static str, usize, usize)> {
    report
        .diagnostics
        .iter()
        .map(|d| {
            let span = d
                .span
                .unwrap_or_else(|| panic!("{} has no span", d.code.code));
            let (line, col) = report.source.line_col(span.start);
            (d.code.code, line, col)
        })
        .collect()
}

#[test]
fn five_independent_mistakes_give_exactly_five_diagnostics() {
    let report = check(&Path::new(DIR).join("five_mistakes.yaml"));
    assert_eq!(
        positions(&report),
        [
            ("CG012", 8, 14),  // ttl.classes.profile: `1 hour`
            ("CG010", 12, 3),  // keys.max_value_sise
            ("CG020", 28, 12), // ttl: leaderbord
            ("CG101", 35, 21), // allkeys-lru with a durable pattern
            ("CG011", 37, 15), // maxclients: lots
        ],
        "{:#?}",
        report.diagnostics
    );
    let text = report.source.text();
    let slices: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|d| report.source.slice(d.span.unwrap()))
        .collect();
    assert_eq!(
        slices,
        [
            "1 hour",
            "max_value_sise",
            "leaderbord",
            "allkeys-lru",
            "lots"
        ],
        "spans cover exactly the offending text in\n{text}"
    );
    let unknown = &report.diagnostics[1];
    assert_eq!(
        unknown.help.as_deref(),
        Some("did you mean `max_value_size`?")
    );
    let dangling = &report.diagnostics[2];
    assert_eq!(
        dangling.help.as_deref(),
        Some("did you mean `leaderboard`?")
    );
    let hazard = &report.diagnostics[3];
    assert_eq!(hazard.related.len(), 1, "points at the durable pattern too");
    assert_eq!(report.source.slice(hazard.related[0].0), "true");
}

/// The headline of each fixture: its first diagnostic's code, and the did-you-mean
/// where the fixture is a typo. Guards against a snapshot being accepted with
/// the wrong diagnostic in it.
#[test]
fn each_fixture_reports_its_own_mistake_first() {
    let expect: &[(&str, &str, Option<&str>)] = &[
        ("ambiguous_patterns", "CG022", None),
        ("bad_duration_in_ttl_reference", "CG012", None),
        ("bad_duration_no_unit", "CG012", None),
        (
            "bad_enum_value",
            "CG011",
            Some("did you mean `allkeys-lru`?"),
        ),
        ("bad_memory", "CG012", None),
        ("bad_percent", "CG012", None),
        ("bad_percent_no_sign", "CG012", None),
        ("bad_placeholder_type", "CG011", None),
        (
            "bad_strategy",
            "CG011",
            Some("did you mean `write-through`?"),
        ),
        ("cascade_cycle", "CG021", None),
        (
            "dangling_cascade_pattern",
            "CG020",
            Some("did you mean `user_stats`?"),
        ),
        (
            "dangling_ttl_class",
            "CG020",
            Some("did you mean `profile`?"),
        ),
        ("hash_tag_not_in_pattern", "CG024", None),
        ("missing_required_field", "CG011", None),
        (
            "undeclared_placeholder",
            "CG020",
            Some("did you mean `topic`?"),
        ),
        (
            "undeclared_placeholder_follow_on",
            "CG020",
            Some("did you mean `user_id`?"),
        ),
        (
            "unknown_nested_key",
            "CG010",
            Some("did you mean `strategy`?"),
        ),
        (
            "unknown_top_level_key",
            "CG010",
            Some("did you mean `invalidation`?"),
        ),
        ("ttl_reference_without_unit", "CG012", None),
        (
            "unquoted_redis_version",
            "CG011",
            Some(
                "quote it: write `version: \"7.0\"`; unquoted, YAML reads `7.0` as a number, and numbers lose their spelling (`7.10` is 7.1)",
            ),
        ),
        ("write_behind_without_queue", "CG025", None),
        ("wrong_shape", "CG011", None),
        ("wrong_type", "CG011", None),
    ];
    for (name, code, help) in expect {
        let report = check(&Path::new(DIR).join(format!("{name}.yaml")));
        let first = report
            .diagnostics
            .iter()
            .find(|d| d.severity == cachegen::diag::Severity::Error)
            .unwrap_or_else(|| panic!("{name}: no error"));
        assert_eq!(first.code.code, *code, "{name}: {:#?}", report.diagnostics);
        if let Some(help) = help {
            assert_eq!(first.help.as_deref(), Some(*help), "{name}");
        }
    }
}

/// Issue 15: enums whose values are documented (schemars writes them as
/// `oneOf` of `const`s) said "has the wrong shape"; every enum error lists
/// the allowed values, however the schema spells the enum.
#[test]
fn issue_15_every_enum_error_lists_the_allowed_values() {
    for (name, message) in [
        (
            "bad_strategy",
            "`keys.patterns.user_profile.strategy` must be one of `cache-aside`, `write-through`, `write-behind`, `refresh-ahead`, `primary`; found `write_through`",
        ),
        (
            "bad_placeholder_type",
            "`keys.placeholders.topic` must be one of `int`, `uuid`, `slug`, `token`, `md5`, `ip`; found `sha256`",
        ),
        (
            "bad_enum_value",
            "`redis.maxmemory_policy` must be one of `noeviction`, `allkeys-lru`, `allkeys-lfu`, `allkeys-random`, `volatile-lru`, `volatile-lfu`, `volatile-random`, `volatile-ttl`; found `allkeys_lru`",
        ),
    ] {
        let report = check(&Path::new(DIR).join(format!("{name}.yaml")));
        let messages: Vec<&str> = report
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(messages, [message], "{name}");
    }
}

/// A policy that checks clean, and in which the stand-in for each of the
/// values `issue_15_invalid_values_feed_no_rule` breaks would trigger a rule.
const CLEAN_POLICY: &str = "\
version: 1
ttl:
  default: 5m
  jitter: 10%
  classes:
    profile: 1h
keys:
  placeholders:
    user_id: int
  patterns:
    user_profile:
      pattern: \"user:<user_id>:profile\"
      hash_tag: user_id
      ttl: profile
      stampede_lock:
        ttl: 10m
    user_stats:
      pattern: \"user:<user_id>:stats\"
      hash_tag: user_id
      ttl: 1h
      stampede_lock:
        ttl: 10m
    session:
      pattern: \"session:<user_id>\"
      ttl: none
      strategy: primary
      durable: true
      cardinality: 2000000
      value_size: 1kb
invalidation:
  events:
    user.updated:
      params: [user_id]
      invalidate: [user_profile, user_stats]
redis:
  version: \"7.0\"
  maxmemory: 1gb
  maxmemory_policy: noeviction
  persistence:
    save:
      - after: 1h
        changes: 1
  network:
    timeout: 300s
    tcp_keepalive: 0s
cluster:
  masters: 3
  replicas_per_master: 1
  node_timeout: 5s
";

/// Issue 15: a value that failed to parse must not feed later rules as if it
/// were what the file says. Each mutation breaks one unit-bearing value;
/// before the fix each also gave a finding about the default that stood in
/// for it (`ttl.jitter` read as 0%, a broken class as `ttl.default`, a broken
/// `timeout` as no timeout, a broken save point as no persistence, a broken
/// `cluster` as a single node).
#[test]
fn issue_15_invalid_values_feed_no_rule() {
    let clean = cachegen::check_bytes("clean.yaml", CLEAN_POLICY.as_bytes(), &options());
    assert!(clean.diagnostics.is_empty(), "{:#?}", clean.diagnostics);
    for (what, from, to) in [
        ("ttl.jitter", "jitter: 10%", "jitter: 0.1"),
        (
            "a stampede lock's TTL",
            "      stampede_lock:\n        ttl: 10m",
            "      stampede_lock:\n        ttl: 10 min",
        ),
        (
            "a pattern's jitter",
            "      ttl: 1h\n",
            "      ttl: 1h\n      jitter: 0.1\n",
        ),
        ("a TTL class", "    profile: 1h", "    profile: 1 hour"),
        ("a pattern's TTL", "      ttl: 1h\n", "      ttl: 1 h\n"),
        ("redis.network.timeout", "timeout: 300s", "timeout: 300"),
        ("a save point", "      - after: 1h", "      - after: 1 hour"),
        (
            "cluster.node_timeout",
            "node_timeout: 5s",
            "node_timeout: 5",
        ),
    ] {
        assert!(CLEAN_POLICY.contains(from), "{what}");
        let text = CLEAN_POLICY.replacen(from, to, 1);
        let report = cachegen::check_bytes("broken.yaml", text.as_bytes(), &options());
        let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.code).collect();
        assert_eq!(codes, ["CG012"], "{what}: {:#?}", report.diagnostics);
    }
}

#[test]
fn no_snapshot_outlives_its_fixture() {
    let fixtures: Vec<String> = fixtures()
        .iter()
        .map(|p| p.file_stem().unwrap().to_str().unwrap().to_owned())
        .collect();
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    for entry in std::fs::read_dir(snapshots).expect("tests/snapshots") {
        let file = entry.unwrap().file_name().into_string().unwrap();
        if let Some(name) = file
            .strip_prefix("schema_errors__")
            .and_then(|f| f.strip_suffix(".snap"))
        {
            assert!(
                fixtures.iter().any(|f| f == name),
                "tests/snapshots/{file} has no fixture in {DIR}; delete it"
            );
        }
    }
}

/// A zero or sub-second TTL setting is one error; what stands in for it
/// feeds no rule (a 500ms cap used as 0s once made every authenticated
/// pattern "live 0s to 0s" under CG309 and CG307).
#[test]
fn issue_15_a_rejected_duration_feeds_no_rule() {
    let policy = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/policies/quizmentor.yaml"
    ))
    .unwrap();
    for (from, to) in [
        ("authenticated_cap: 30m", "authenticated_cap: 500ms"),
        ("authenticated_cap: 30m", "authenticated_cap: 0s"),
    ] {
        assert!(policy.contains(from), "{from}");
        let text = policy.replacen(from, to, 1);
        let report = cachegen::check_bytes("q.yaml", text.as_bytes(), &options());
        let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.code).collect();
        assert_eq!(codes, ["CG023"], "{to}: {:#?}", report.diagnostics);
    }
}

/// A user-defined placeholder type is a mapping behind an `if`/`then`/`else`
/// in the schema: a misspelt field there still gets "did you mean" and the
/// known fields (the schema walk follows the mapping branch).
#[test]
fn a_misspelt_regex_field_gets_did_you_mean() {
    let yaml = "version: 1\nttl: {default: 5m}\nkeys:\n  placeholders:\n    sku: {regx: \"[A-Z]{3}\"}\n  patterns:\n    item: {pattern: \"item:<sku>\"}\n";
    let report = cachegen::check_bytes("p.yaml", yaml.as_bytes(), &Default::default());
    let unknown = report
        .diagnostics
        .iter()
        .find(|d| d.message.contains("unknown field `regx`"))
        .unwrap_or_else(|| panic!("{:#?}", report.diagnostics));
    assert_eq!(unknown.help.as_deref(), Some("did you mean `regex`?"));
    let missing = report
        .diagnostics
        .iter()
        .find(|d| d.message.contains("missing required field `regex`"))
        .unwrap_or_else(|| panic!("{:#?}", report.diagnostics));
    assert!(
        missing
            .help
            .as_deref()
            .is_some_and(|h| h.starts_with("`regex`: ")),
        "the field's own description, not just `add regex`: {:?}",
        missing.help
    );
}

/// At most 64 user-defined types per policy: the 65th is refused (CG028)
/// at its name, and the first 64 still work.
#[test]
fn the_sixty_fifth_regex_type_is_refused() {
    let mut yaml = String::from("version: 1\nttl: {default: 5m}\nkeys:\n  placeholders:\n");
    for i in 0..65 {
        yaml.push_str(&format!("    t{i}: {{regex: \"x{i:03}\"}}\n"));
    }
    yaml.push_str("  patterns:\n    item: {pattern: \"item:<t0>\"}\n");
    yaml.push_str("redis: {version: \"7.0\", maxmemory: 1gb, maxmemory_policy: allkeys-lru}\n");
    let report = cachegen::check_bytes("p.yaml", yaml.as_bytes(), &Default::default());
    let refused: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code.code == "CG028")
        .map(|d| report.source.slice(d.span.unwrap()))
        .collect();
    assert_eq!(refused, ["t64"], "{:#?}", report.diagnostics);
    assert_eq!(report.count(cachegen::diag::Severity::Error), 1);
}

/// Mistakes in stores and their `config:` maps: each gives exactly one
/// diagnostic, at the line and column of the offending text (no follow-on
/// findings from the stand-in the model holds).
#[test]
fn store_mistakes_are_reported_where_they_are() {
    let expect: &[(&str, &str, usize, usize, &str)] = &[
        ("config_unknown_directive", "CG031", 23, 7, "hzz"),
        (
            "config_valkey_only_directive",
            "CG031",
            23,
            7,
            "dual-channel-replication-enabled",
        ),
        ("config_value_out_of_range", "CG031", 23, 11, "1000"),
        ("config_password_literal", "CG030", 23, 20, "hunter2"),
        ("pattern_unknown_store", "CG020", 16, 14, "sesions"),
        ("redis_with_stores", "CG025", 22, 1, "redis"),
        ("tag_members_in_two_stores", "CG025", 17, 14, "quiz"),
        ("store_unknown_engine", "CG011", 19, 13, "keydb"),
        (
            "store_valkey_version_without_facts",
            "CG023",
            20,
            14,
            "\"7.2\"",
        ),
    ];
    for &(name, code, line, column, text) in expect {
        let report = check(&Path::new(DIR).join(format!("{name}.yaml")));
        assert_eq!(
            positions(&report),
            [(code, line, column)],
            "{name}: {:#?}",
            report.diagnostics
        );
        let span = report.diagnostics[0].span.unwrap();
        assert_eq!(report.source.slice(span), text, "{name}");
    }
    let help = |name: &str| {
        check(&Path::new(DIR).join(format!("{name}.yaml"))).diagnostics[0]
            .help
            .clone()
    };
    assert_eq!(
        help("config_unknown_directive").as_deref(),
        Some("did you mean `hz`?")
    );
    assert_eq!(
        help("config_valkey_only_directive").as_deref(),
        Some("`dual-channel-replication-enabled` exists in valkey 8.0, not in redis 7.2")
    );
    assert_eq!(
        help("pattern_unknown_store").as_deref(),
        Some("did you mean `sessions`?")
    );
}
