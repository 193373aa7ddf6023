//! Lint rules end to end: every rule in the registry has a fixture that makes
//! it fire (its rendered output is a snapshot, so wording and spans are
//! reviewed together) and a fixed version that does not; the real policy stays
//! clean, the literal runbook transcription reports every hazard, and levels
//! and suppressions behave.

use cachegen::diag::Severity;
use cachegen::lint::LevelOverrides;
use cachegen::lint::registry::RULES;
use cachegen::output::{Format, render};
use cachegen::policy::model::LintLevel;
use cachegen::{CheckOptions, FileReport, check_bytes};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Checks a file given relative to the crate root (the name stays relative,
/// so snapshots do not depend on where the repository lives).
fn check_file(relative: &str, options: &CheckOptions) -> FileReport {
    let bytes = std::fs::read(root().join(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"));
    check_bytes(relative, &bytes, options)
}

fn check_yaml(yaml: &str, options: &CheckOptions) -> FileReport {
    check_bytes("inline.yaml", yaml.as_bytes(), options)
}

fn codes(report: &FileReport) -> Vec<&'static str> {
    report.diagnostics.iter().map(|d| d.code.code).collect()
}

fn rendered(report: FileReport) -> String {
    render(Format::Human, &[report], false)
}

fn fixture_dir(rule_name: &str) -> PathBuf {
    root().join("tests/fixtures/lint").join(rule_name)
}

/// Fixtures must reach lint: no reading, schema or semantic (CG0xx) problems.
fn assert_only_lint(report: &FileReport, what: &str) {
    let fixed: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| !d.code.is_lint())
        .map(|d| format!("{} {}", d.code.code, d.message))
        .collect();
    assert!(
        fixed.is_empty(),
        "{what} must be a valid policy, got: {fixed:?}"
    );
    assert!(report.policy.is_some(), "{what} did not lower to a policy");
}

#[test]
fn every_rule_has_fixtures() {
    let missing: Vec<String> = RULES
        .iter()
        .flat_map(|rule| {
            let dir = fixture_dir(rule.code.name);
            ["fires.yaml", "passes.yaml"]
                .into_iter()
                .filter(move |f| !dir.join(f).is_file())
                .map(move |f| format!("tests/fixtures/lint/{}/{f}", rule.code.name))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "every lint rule needs a fixture that fires and one that passes; missing: {missing:?}"
    );
}

#[test]
fn no_fixture_directory_without_a_rule() {
    let dir = root().join("tests/fixtures/lint");
    for entry in std::fs::read_dir(&dir).expect("fixture directory") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            RULES.iter().any(|r| r.code.name == name),
            "tests/fixtures/lint/{name} belongs to no rule (renamed?)"
        );
    }
}

#[test]
fn fires() {
    for rule in RULES {
        let name = rule.code.name;
        let relative = format!("tests/fixtures/lint/{name}/fires.yaml");
        // Most fixtures declare no `access:`; CG501 would add the same
        // warning to every snapshot but its own.
        let options = if rule.code.code == "CG501" {
            CheckOptions::default()
        } else {
            with_overrides(vec![("CG501", LintLevel::Allow)])
        };
        let report = check_file(&relative, &options);
        assert_only_lint(&report, &relative);
        assert!(
            codes(&report).contains(&rule.code.code),
            "{relative} must make {} fire, got {:?}",
            rule.code.code,
            codes(&report)
        );
        insta::assert_snapshot!(format!("{name}-fires"), rendered(report));
    }
}

/// `passes.yaml` and any `passes-<case>.yaml` beside it (cases the main
/// fixture cannot show at once, such as keys split over stores).
fn passes_fixtures(rule_name: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir(rule_name))
        .expect("fixture directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("passes") && n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| format!("tests/fixtures/lint/{rule_name}/{n}"))
        .collect()
}

#[test]
fn passes() {
    for rule in RULES {
        for relative in passes_fixtures(rule.code.name) {
            passes_one(rule, &relative);
        }
    }
}

fn passes_one(rule: &cachegen::lint::Rule, relative: &str) {
    let report = check_file(relative, &CheckOptions::default());
    assert_only_lint(&report, relative);
    assert!(
        !codes(&report).contains(&rule.code.code),
        "{relative} must not make {} fire:\n{}",
        rule.code.code,
        rendered(report)
    );
}

#[test]
fn rule_messages_follow_the_style() {
    for rule in RULES {
        let relative = format!("tests/fixtures/lint/{}/fires.yaml", rule.code.name);
        let report = check_file(&relative, &CheckOptions::default());
        for d in &report.diagnostics {
            let first = d.message.chars().next().expect("non-empty message");
            assert!(
                !first.is_uppercase(),
                "{}: message starts uppercase: {}",
                d.code.code,
                d.message
            );
            assert!(
                !d.message.ends_with('.'),
                "{}: message ends with a period: {}",
                d.code.code,
                d.message
            );
            assert!(d.span.is_some(), "{}: finding has no span", d.code.code);
            assert!(d.help.is_some(), "{}: finding has no help", d.code.code);
        }
    }
}

#[test]
fn rule_docs_explain_what_why_and_show_an_example() {
    for rule in RULES {
        let docs = rule.code.docs;
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "```yaml",
        ] {
            assert!(
                docs.contains(section),
                "{} docs lack `{section}`",
                rule.code.code
            );
        }
        assert!(
            docs.contains(rule.code.code),
            "{} docs: the example should mark where the rule fires",
            rule.code.code
        );
    }
}

#[test]
fn registry_is_in_code_order_without_duplicates() {
    let codes: Vec<&str> = RULES.iter().map(|r| r.code.code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted);
    for rule in RULES {
        assert!(
            rule.code.is_lint(),
            "{} has no default level",
            rule.code.code
        );
        let file = rule.code.name.replace('-', "_");
        assert!(
            root()
                .join("src/lint/rules")
                .join(format!("{file}.rs"))
                .is_file(),
            "{} lives in src/lint/rules/{file}.rs",
            rule.code.code
        );
    }
}

#[test]
fn quizmentor_policy_is_clean() {
    let report = check_file("policies/quizmentor.yaml", &CheckOptions::default());
    assert!(
        report.diagnostics.is_empty(),
        "policies/quizmentor.yaml must have no findings:\n{}",
        rendered(report)
    );
}

#[test]
fn runbook_literal_reports_every_hazard() {
    let report = check_file("tests/fixtures/hazards.yaml", &CheckOptions::default());
    assert_only_lint(&report, "tests/fixtures/hazards.yaml");
    let found = codes(&report);
    let missing: Vec<&str> = [
        "CG101", "CG102", "CG104", "CG201", "CG202", "CG203", "CG204", "CG301", "CG302", "CG303",
    ]
    .into_iter()
    .filter(|c| !found.contains(c))
    .collect();
    assert!(
        missing.is_empty(),
        "hazards.yaml must report {missing:?}:\n{}",
        rendered(report)
    );
}

// --- Cases the fixtures do not cover --------------------------------------

const BASE: &str = r#"version: 1
ttl:
  default: 5m
  jitter: 10%
keys:
  placeholders:
    quiz_id: int
  patterns:
    quiz_data:
      pattern: "quiz:<quiz_id>:data"
"#;

#[test]
fn durable_data_without_a_persistence_section() {
    let yaml = r#"version: 1
ttl:
  default: 5m
keys:
  patterns:
    answer_write_queue: {pattern: answer_write_queue, type: list, strategy: primary, ttl: none, durable: true}
redis:
  version: "7.0"
  maxmemory: 1gb
  maxmemory_policy: volatile-lru
"#;
    let report = check_yaml(yaml, &CheckOptions::default());
    assert_only_lint(&report, "inline");
    // CG501: the inline store declares no `access:`.
    assert_eq!(codes(&report), ["CG102", "CG501"]);
    let d = &report.diagnostics[0];
    let span = d.span.expect("span");
    assert_eq!(&yaml[span.start..span.end], "redis");
}

/// On ElastiCache, which has no append-only file (CG606 refuses
/// `appendonly: true`), CG102 asks for what does keep the data, replicas
/// with Multi-AZ failover, whatever `persistence` says; the two rules never
/// ask for opposite things.
#[test]
fn durable_data_on_elasticache_needs_replicas_not_an_append_only_file() {
    for persistence in [
        "",
        "  persistence: {appendonly: true, appendfsync: everysec}\n",
    ] {
        let yaml = format!(
            "version: 1\nttl:\n  default: 5m\nkeys:\n  patterns:\n    queue: {{pattern: queue, type: list, strategy: primary, ttl: none, durable: true}}\n\
             redis:\n  version: \"7.0\"\n  maxmemory: 1gb\n  maxmemory_policy: noeviction\n{persistence}\
             \x20 hosted: {{service: aws-elasticache, node_type: cache.r7g.large}}\n"
        );
        let report = check_yaml(&yaml, &CheckOptions::default());
        assert_only_lint(&report, "inline");
        let cg102: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "CG102")
            .collect();
        assert_eq!(cg102.len(), 1, "{}", rendered(report));
        let d = cg102[0];
        assert!(
            d.message
                .contains("ElastiCache keeps no append-only file and this cache has no replica"),
            "{}",
            d.message
        );
        let help = d.help.as_deref().unwrap_or_default();
        assert!(
            help.contains("hosted.replicas") && help.contains("Multi-AZ"),
            "{help}"
        );
        assert!(!help.contains("appendonly"), "{help}");
        let span = d.span.expect("span");
        assert_eq!(&yaml[span.start..span.end], "hosted");
        assert_eq!(
            codes(&report).contains(&"CG606"),
            !persistence.is_empty(),
            "CG606 only for the append-only file"
        );
    }
}

/// CG611 points at what keeps the parameter group from being rendered: the
/// `version` line where the release has no confirmed family (MemoryDB,
/// Redis 7.0), the service where cachegen renders none of its settings.
#[test]
fn no_parameter_group_points_at_the_release_or_the_service() {
    for (service, version, at) in [
        ("aws-memorydb", "7.0", "\"7.0\""),
        ("azure", "7.0", "azure"),
        ("gcp-memorystore", "7.0", "gcp-memorystore"),
    ] {
        let yaml = format!(
            "version: 1\nttl:\n  default: 5m\nkeys:\n  patterns:\n    product: {{pattern: product}}\n\
             redis:\n  version: \"{version}\"\n  maxmemory: 1gb\n  maxmemory_policy: allkeys-lru\n\
             \x20 hosted: {{service: {service}}}\n"
        );
        let report = check_yaml(&yaml, &CheckOptions::default());
        assert_only_lint(&report, "inline");
        let d = report
            .diagnostics
            .iter()
            .find(|d| d.code.code == "CG611")
            .unwrap_or_else(|| panic!("{service}: no CG611"));
        let span = d.span.expect("span");
        assert_eq!(&yaml[span.start..span.end], at, "{service}");
    }
}

#[test]
fn cross_slot_needs_a_cluster() {
    let yaml = std::fs::read_to_string(fixture_dir("cross-slot-invalidation").join("fires.yaml"))
        .expect("fixture");
    let cluster = yaml.find("\ncluster:").expect("fixture has a cluster");
    let single_node = &yaml[..cluster];
    let report = check_yaml(single_node, &CheckOptions::default());
    assert_only_lint(&report, "inline");
    assert!(!codes(&report).contains(&"CG301"));
}

// --- Stores -----------------------------------------------------------------

/// CG101 and CG102 judge each store on its own keys: the durable patterns of
/// the fixture pass in their `noeviction` + AOF store, and the same patterns
/// moved into the evicting, non-persisting cache store make both fire.
#[test]
fn durable_data_is_judged_in_its_own_store() {
    let relative =
        "tests/fixtures/lint/durable-keys-under-allkeys-eviction/passes-separate-stores.yaml";
    let yaml = std::fs::read_to_string(root().join(relative)).expect("fixture");
    let report = check_yaml(&yaml, &CheckOptions::default());
    assert_only_lint(&report, relative);
    assert!(report.diagnostics.is_empty(), "{}", rendered(report));

    let moved = yaml.replace("      store: durable\n", "");
    assert_ne!(moved, yaml);
    let report = check_yaml(&moved, &CheckOptions::default());
    assert_only_lint(&report, "moved into the cache store");
    let found = codes(&report);
    assert!(
        found.contains(&"CG101") && found.contains(&"CG102"),
        "{found:?}"
    );
    let d = report
        .diagnostics
        .iter()
        .find(|d| d.code.code == "CG101")
        .unwrap();
    let span = d.span.expect("span");
    assert_eq!(&moved[span.start..span.end], "allkeys-lru", "{}", d.message);
}

/// A route may serve patterns of any store, and the policy builds.
#[test]
fn a_route_serves_patterns_of_two_stores() {
    let relative =
        "tests/fixtures/lint/public-route-serves-authenticated-data/passes-two-stores.yaml";
    let report = check_file(relative, &CheckOptions::default());
    assert!(report.diagnostics.is_empty(), "{}", rendered(report));
    let policy = report.policy.as_ref().expect("policy");
    let route = &policy.edge.as_ref().expect("edge").routes["quiz_page"];
    let stores: Vec<&str> = route
        .serves
        .iter()
        .map(|p| policy.pattern(p).expect("pattern").store.as_str())
        .collect();
    assert_eq!(stores, ["cache", "stats"]);
    let files = cachegen::render_report(&report, &cachegen::render::Templates::default())
        .expect("no errors")
        .expect("renders");
    for conf in ["stores/cache/redis.conf", "stores/stats/redis.conf"] {
        assert!(files.iter().any(|f| f.path.ends_with(conf)), "no {conf}");
    }
}

/// An event splitting its keys over stores is reported once, at the event;
/// a cascade that crosses stores is reported at the cascade and not again at
/// the event that only names its source.
#[test]
fn invalidation_spans_stores_reports_each_split_once() {
    let relative = "tests/fixtures/lint/invalidation-spans-stores/fires.yaml";
    let report = check_file(relative, &CheckOptions::default());
    let text = report.source.text().to_owned();
    let at: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.code.code == "CG310")
        .map(|d| {
            let span = d.span.expect("span");
            text[span.start..span.end].to_owned()
        })
        .collect();
    assert_eq!(at, ["quiz_data", "invalidate"], "{}", rendered(report));
}

/// Valkey 8.0 still reads `io-threads-do-reads` (Redis 8.0 ignores it), so
/// CG106 says nothing about it on a Valkey store.
#[test]
fn io_threads_do_reads_is_read_by_valkey_8() {
    let yaml = format!(
        "{BASE}stores:\n  cache:\n    engine: valkey\n    version: \"8.0\"\n    maxmemory: 1gb\n    maxmemory_policy: allkeys-lru\n    threads: {{io_threads: 2, io_threads_do_reads: true, cores: 4}}\n"
    );
    let report = check_yaml(&yaml, &CheckOptions::default());
    assert_only_lint(&report, "inline");
    assert!(!codes(&report).contains(&"CG106"), "{}", rendered(report));
    let redis = yaml.replace("engine: valkey", "engine: redis");
    let report = check_yaml(&redis, &CheckOptions::default());
    assert!(codes(&report).contains(&"CG106"), "{}", rendered(report));
}

// --- Levels and suppressions ---------------------------------------------

/// Fires CG101 (an error, at `maxmemory_policy`) and CG303 (a warning, at
/// `quiz_data`'s `ttl`).
const LEVELS: &str = r#"version: 1
ttl:
  default: 5m
keys:
  placeholders:
    quiz_id: int
  patterns:
    quiz_data:
      pattern: "quiz:<quiz_id>:data"
      ttl: 30m
    session: {pattern: "session", strategy: primary, ttl: none, durable: true}
redis:
  version: "7.0"
  maxmemory: 1gb
  maxmemory_policy: allkeys-lru
  persistence: {appendonly: true}
"#;

fn severity_of(report: &FileReport, code: &str) -> Option<Severity> {
    report
        .diagnostics
        .iter()
        .find(|d| d.code.code == code)
        .map(|d| d.severity)
}

fn with_overrides(entries: Vec<(&'static str, LintLevel)>) -> CheckOptions {
    CheckOptions {
        overrides: LevelOverrides { entries },
    }
}

#[test]
fn default_levels() {
    let report = check_yaml(LEVELS, &CheckOptions::default());
    assert_only_lint(&report, "inline");
    assert_eq!(severity_of(&report, "CG101"), Some(Severity::Error));
    assert_eq!(severity_of(&report, "CG303"), Some(Severity::Warning));
}

#[test]
fn command_line_allow_removes_findings() {
    let report = check_yaml(LEVELS, &with_overrides(vec![("CG303", LintLevel::Allow)]));
    assert_eq!(severity_of(&report, "CG303"), None);
    assert_eq!(severity_of(&report, "CG101"), Some(Severity::Error));
}

#[test]
fn command_line_deny_turns_a_warning_into_an_error() {
    let report = check_yaml(LEVELS, &with_overrides(vec![("CG303", LintLevel::Deny)]));
    assert_eq!(severity_of(&report, "CG303"), Some(Severity::Error));
}

#[test]
fn policy_lint_section_downgrades_and_command_line_wins() {
    let yaml = format!("{LEVELS}lint:\n  warn: [CG101]\n  allow: [long-ttl-without-jitter]\n");
    let report = check_yaml(&yaml, &CheckOptions::default());
    assert_only_lint(&report, "inline");
    assert_eq!(severity_of(&report, "CG101"), Some(Severity::Warning));
    assert_eq!(severity_of(&report, "CG303"), None);

    let report = check_yaml(&yaml, &with_overrides(vec![("CG101", LintLevel::Deny)]));
    assert_eq!(severity_of(&report, "CG101"), Some(Severity::Error));
}

#[test]
fn inline_suppression_with_reason_suppresses() {
    let yaml = LEVELS.replace(
        "      ttl: 30m\n",
        "      ttl: 30m  # cachegen: allow CG303 -- rebuilt on every write, never warmed\n",
    );
    let report = check_yaml(&yaml, &CheckOptions::default());
    // CG501: the inline store declares no `access:`.
    assert_eq!(codes(&report), ["CG501", "CG101"], "{}", rendered(report));
}

#[test]
fn suppression_on_its_own_line_covers_the_next_line() {
    let yaml = LEVELS.replace(
        "      ttl: 30m\n",
        "      # cachegen: allow long-ttl-without-jitter -- rebuilt on every write\n      ttl: 30m\n",
    );
    let report = check_yaml(&yaml, &CheckOptions::default());
    // CG501: the inline store declares no `access:`.
    assert_eq!(codes(&report), ["CG501", "CG101"], "{}", rendered(report));
}

#[test]
fn suppression_without_reason_is_invalid_and_suppresses_nothing() {
    let yaml = LEVELS.replace(
        "      ttl: 30m\n",
        "      ttl: 30m  # cachegen: allow CG303\n",
    );
    let report = check_yaml(&yaml, &CheckOptions::default());
    let found = codes(&report);
    assert!(found.contains(&"CG091"), "{found:?}");
    assert!(found.contains(&"CG303"), "{found:?}");
}

#[test]
fn suppression_that_matches_nothing_is_reported() {
    let yaml = LEVELS.replace(
        "      pattern: \"quiz:<quiz_id>:data\"\n",
        "      pattern: \"quiz:<quiz_id>:data\"  # cachegen: allow CG303 -- wrong line\n",
    );
    let report = check_yaml(&yaml, &CheckOptions::default());
    assert_eq!(severity_of(&report, "CG090"), Some(Severity::Warning));
    assert!(codes(&report).contains(&"CG303"));
}

/// The policy's `lint:` section is resolved by `lint::levels` (not by
/// `lower`): unknown rules get CG020 with a suggestion, a rule listed twice
/// (by code or name, any case) gets CG025, each at the entry as written.
#[test]
fn policy_lint_section_reports_unknown_and_repeated_rules() {
    let yaml = format!(
        "{LEVELS}lint:\n  allow: [long-ttl-without-jiter, CG101]\n  warn: [cg101, NOPE]\n  deny: [tag-without-members, CG306]\n"
    );
    let report = check_yaml(&yaml, &CheckOptions::default());
    // Code, line and column, message, help.
    type Found<'a> = (&'a str, (usize, usize), String, Option<&'a str>);
    let found: Vec<Found> = report
        .diagnostics
        .iter()
        .filter(|d| !d.code.is_lint())
        .map(|d| {
            let at = report.source.line_col(d.span.expect("a span").start);
            (d.code.code, at, d.message.clone(), d.help.as_deref())
        })
        .collect();
    let line = LEVELS.lines().count() + 2;
    assert_eq!(
        found,
        vec![
            (
                "CG020",
                (line, 11),
                "no lint rule named `long-ttl-without-jiter`".to_owned(),
                Some("did you mean `long-ttl-without-jitter`?"),
            ),
            (
                "CG025",
                (line + 1, 10),
                "rule `cg101` is given more than one level".to_owned(),
                None,
            ),
            (
                "CG020",
                (line + 1, 17),
                "no lint rule named `NOPE`".to_owned(),
                None,
            ),
            (
                "CG025",
                (line + 2, 31),
                "rule `CG306` is given more than one level".to_owned(),
                None,
            ),
        ]
    );
}
