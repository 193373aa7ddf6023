//! `check_lock`: a policy.lock.json read back into the model gives the
//! same model (every generated file byte-identical, the lock included), its
//! spans point into the lock, and a damaged or hostile lock gives diagnostics
//! with a line and column, never a panic.

mod support;

use cachegen::FileReport;
use cachegen::check_lock;
use cachegen::diag::{Severity, codes};
use cachegen::lint::levels::resolve as levels;
use cachegen::policy::model::Policy;
use cachegen::render::redis_conf::managed_directives;
use cachegen::render::{OutputFile, Templates};
use serde_json::Value;
use std::path::{Path, PathBuf};
use support::render::{file, render};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const LOCK: &str = "policy.lock.json";

/// Every YAML file under `dir`, recursively, sorted.
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read fixture directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    out.sort();
}

/// Every bundled policy, the build fixtures, and every other fixture that
/// checks without errors (and so renders).
fn renderable_policies() -> Vec<String> {
    let mut bundled = Vec::new();
    yaml_files(&Path::new(ROOT).join("policies"), &mut bundled);
    let mut paths: Vec<String> = bundled.iter().map(|p| p.display().to_string()).collect();
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("/policies/quizmentor.yaml")),
        "{paths:?}"
    );
    paths.extend([
        format!("{ROOT}/tests/fixtures/build-shop.yaml"),
        format!("{ROOT}/tests/fixtures/lock-every-field.yaml"),
    ]);
    let mut fixtures = Vec::new();
    yaml_files(&Path::new(ROOT).join("tests/fixtures"), &mut fixtures);
    for path in fixtures {
        let path = path.display().to_string();
        let report = cachegen::check_path(Path::new(&path), &Default::default());
        if !report.unreadable && report.count(Severity::Error) == 0 && !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// Reads `lock` back; it must have no diagnostics at all.
fn read_back(label: &str, lock: &str) -> FileReport {
    let report = check_lock(LOCK, lock.as_bytes());
    assert!(
        report.diagnostics.is_empty() && !report.unreadable,
        "{label}: reading the lock back reported {:#?}",
        report.diagnostics
    );
    assert!(report.policy.is_some(), "{label}: no model");
    report
}

fn render_model(report: &FileReport) -> Vec<OutputFile> {
    cachegen::render_report(report, &Templates::default())
        .expect("a clean report renders")
        .expect("templates render")
}

fn directives(policy: &Policy) -> Vec<(&'static str, String)> {
    managed_directives(policy.first_store())
        .into_iter()
        .map(|d| (d.name, d.config_get))
        .collect()
}

#[test]
fn every_renderable_policy_survives_the_round_trip() {
    let policies = renderable_policies();
    // The bundled policy, two build fixtures and the lint `passes` fixtures
    // at least: a test that silently found nothing would prove nothing.
    assert!(
        policies.len() >= 12,
        "only {} policies found",
        policies.len()
    );
    for path in &policies {
        let (original, files) = render(path);
        let lock = file(&files, LOCK);
        let back = read_back(path, lock);
        let rebuilt = render_model(&back);

        // The lock rendered from the read-back model is the same bytes.
        assert_eq!(
            file(&rebuilt, LOCK),
            lock,
            "{path}: lock differs after the round trip"
        );
        // So is every other file: the lock carries all the renderers need.
        assert_eq!(
            files.iter().map(|f| &f.path).collect::<Vec<_>>(),
            rebuilt.iter().map(|f| &f.path).collect::<Vec<_>>(),
            "{path}: another set of files"
        );
        for (a, b) in files.iter().zip(&rebuilt) {
            assert!(
                a.contents == b.contents,
                "{path}: {} differs after the round trip",
                a.path
            );
        }

        // The `policy` block names the YAML, not the lock, and the hash is
        // the model's, the same read back.
        let json: Value = serde_json::from_str(file(&rebuilt, LOCK)).unwrap();
        let hash = cachegen::check::model_sha256(original.policy.as_ref().unwrap());
        assert_eq!(json["policy"]["sha256"], hash, "{path}");
        assert_eq!(
            cachegen::check::model_sha256(back.policy.as_ref().unwrap()),
            hash,
            "{path}"
        );
        assert_eq!(
            json["policy"]["source"],
            Path::new(path).file_name().unwrap().to_str().unwrap(),
            "{path}"
        );
        let (a, b) = (
            original.policy.as_ref().unwrap(),
            back.policy.as_ref().unwrap(),
        );
        assert_eq!(a.name, b.name, "{path}");
        assert_eq!(
            directives(a),
            directives(b),
            "{path}: managed directives differ"
        );
        assert_eq!(
            levels(a).by_code.iter().collect::<Vec<_>>(),
            levels(b).by_code.iter().collect::<Vec<_>>(),
            "{path}: lint levels differ"
        );
    }
}

#[test]
fn the_committed_lock_reads_back_alone() {
    // What an SRE box has: generated/ without the policy. (`build --check`
    // keeps it equal to a fresh render, so this is the same bytes as above,
    // read from disk.)
    let bytes = std::fs::read(format!("{ROOT}/generated/quizmentor/policy.lock.json")).unwrap();
    let report = check_lock("generated/quizmentor/policy.lock.json", &bytes);
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    let policy = report.policy.as_ref().unwrap();
    assert_eq!(policy.name, "quizmentor");
    let provenance = policy.provenance.as_ref().unwrap();
    assert_eq!(provenance.file_name, "quizmentor.yaml");
}

#[test]
fn the_kitchen_sink_policy_sets_every_directive() {
    // The round trip above only proves the directives a policy sets; this one
    // must set all that cachegen manages, so none goes unproven.
    let (report, _) = render(&format!("{ROOT}/tests/fixtures/lock-every-field.yaml"));
    let names: Vec<&str> = directives(report.policy.as_ref().unwrap())
        .into_iter()
        .map(|d| d.0)
        .collect();
    for name in [
        "maxmemory",
        "maxmemory-policy",
        "maxmemory-samples",
        "save",
        "appendonly",
        "appendfsync",
        "tcp-backlog",
        "timeout",
        "tcp-keepalive",
        "slowlog-log-slower-than",
        "slowlog-max-len",
        "maxclients",
        "io-threads",
        "io-threads-do-reads",
        "lazyfree-lazy-eviction",
        "lazyfree-lazy-expire",
        "lazyfree-lazy-server-del",
        "lazyfree-lazy-user-del",
        "replica-lazy-flush",
        "replica-read-only",
        "cluster-enabled",
        "cluster-config-file",
        "cluster-node-timeout",
        "cluster-require-full-coverage",
    ] {
        assert!(
            names.contains(&name),
            "lock-every-field.yaml does not set {name}"
        );
    }
    assert_eq!(
        names.len(),
        24,
        "a directive was added: add it here and to the fixture"
    );
}

/// The staleness and memory-estimate fields, as the YAML model and the model
/// read back from its lock have them: equal, and the analyses built on them
/// give the same answers. Returns the YAML model for the caller's checks.
fn staleness_and_estimates_survive(path: &str) -> Policy {
    use cachegen::analysis::{memory, staleness};
    let (original, files) = render(path);
    let back = read_back(path, file(&files, LOCK));
    let (a, b) = (original.policy.unwrap(), back.policy.unwrap());
    assert_eq!(a.ttl.max_staleness, b.ttl.max_staleness, "{path}");
    let fields = |p: &Policy| {
        p.keys
            .patterns
            .values()
            .map(|k| {
                (
                    k.name.clone(),
                    k.app_ttl,
                    k.max_staleness,
                    k.cardinality,
                    k.value_size,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(fields(&a), fields(&b), "{path}: key pattern fields differ");
    let routes = |p: &Policy| {
        p.edge
            .iter()
            .flat_map(|e| e.routes.values())
            .map(|r| (r.name.clone(), r.serves.clone(), r.max_staleness))
            .collect::<Vec<_>>()
    };
    assert_eq!(routes(&a), routes(&b), "{path}: route fields differ");
    assert_eq!(
        staleness::budgets(&a),
        staleness::budgets(&b),
        "{path}: staleness budgets differ"
    );
    assert_eq!(
        memory::memory_budgets(&a),
        memory::memory_budgets(&b),
        "{path}: memory budgets differ"
    );
    a
}

#[test]
fn staleness_limits_serves_and_estimates_survive_the_round_trip() {
    for path in [
        format!("{ROOT}/policies/quizmentor.yaml"),
        format!("{ROOT}/tests/fixtures/lock-every-field.yaml"),
    ] {
        let policy = staleness_and_estimates_survive(&path);
        // Equal because both are set, not because both are empty.
        let patterns = || policy.keys.patterns.values();
        let routes = || policy.edge.iter().flat_map(|e| e.routes.values());
        assert!(
            policy.ttl.max_staleness.is_some(),
            "{path}: ttl.max_staleness"
        );
        assert!(patterns().any(|p| p.app_ttl.is_some()), "{path}: app_ttl");
        assert!(
            patterns().any(|p| p.cardinality.is_some() && p.value_size.is_some()),
            "{path}: cardinality and value_size"
        );
        assert!(routes().any(|r| !r.serves.is_empty()), "{path}: serves");
        assert!(
            routes().any(|r| r.max_staleness.is_some()),
            "{path}: route max_staleness"
        );
        let budgets = cachegen::analysis::staleness::budgets(&policy);
        assert!(
            budgets.iter().any(|b| b.limit.is_some()),
            "{path}: no limit"
        );
        assert!(
            cachegen::analysis::memory::memory_budgets(&policy)
                .iter()
                .any(|b| !b.patterns.is_empty()),
            "{path}: no memory estimate"
        );
    }
    // The kitchen sink sets every one, a pattern's `max_staleness` and an
    // `app_ttl` finer than a second included (the lock writes `1.5`).
    let policy =
        staleness_and_estimates_survive(&format!("{ROOT}/tests/fixtures/lock-every-field.yaml"));
    let profile = &policy.keys.patterns["account_profile"];
    assert_eq!(profile.app_ttl.map(|d| d.as_micros()), Some(1_500_000));
    assert!(profile.max_staleness.is_some());
    let (_, files) = render(&format!("{ROOT}/tests/fixtures/lock-every-field.yaml"));
    let lock: Value = serde_json::from_str(file(&files, LOCK)).unwrap();
    let entry = &lock["keys"]["patterns"]["account_profile"];
    assert_eq!(entry["app_ttl_secs"], serde_json::json!(1.5));
    assert_eq!(entry["max_staleness_secs"], 7200);
    assert_eq!(entry["value_size_bytes"], 1024);
    assert_eq!(lock["ttl"]["max_staleness_secs"], 40 * 86_400);
    assert_eq!(
        lock["edge"]["routes"]["docs"]["serves"],
        serde_json::json!(["document", "search"])
    );
}

#[test]
fn fractional_seconds_read_back_exactly_or_not_at_all() {
    let mut v = lock_json();
    let entry = &mut v["keys"]["patterns"]["quiz_analytics"];
    assert!(entry.get("app_ttl_secs").is_some());
    entry["app_ttl_secs"] = serde_json::json!(0.25);
    rehash(&mut v);
    let report = check_lock(LOCK, pretty(&v).as_bytes());
    assert!(report.diagnostics.is_empty(), "{:#?}", report.diagnostics);
    let policy = report.policy.as_ref().unwrap();
    assert_eq!(
        policy.keys.patterns["quiz_analytics"]
            .app_ttl
            .map(|d| d.as_micros()),
        Some(250_000)
    );
    // Finer than the model's microseconds: refused where it is.
    v["keys"]["patterns"]["quiz_analytics"]["app_ttl_secs"] = serde_json::json!(0.1234567);
    expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        "\"app_ttl_secs\": 0.1234567",
        "at most six decimals",
    );
    let mut v = lock_json();
    v["ttl"]["max_staleness_secs"] = serde_json::json!(-3600);
    expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        "\"max_staleness_secs\": -3600",
        "at most six decimals",
    );
}

/// The 1-based line of `needle` (a whole trimmed line), searching from the
/// line that is `after` (also trimmed). Found by text, not by the loader.
fn line_of(text: &str, after: &str, needle: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == after)
        .unwrap_or_else(|| panic!("no line `{after}`"));
    start
        + 1
        + lines[start..]
            .iter()
            .position(|l| l.trim() == needle)
            .unwrap_or_else(|| panic!("no line `{needle}` after `{after}`"))
}

#[test]
fn spans_of_the_read_back_model_point_into_the_lock() {
    let (_, files) = render(&format!("{ROOT}/policies/quizmentor.yaml"));
    let lock = file(&files, LOCK);
    let report = read_back("quizmentor", lock);
    let policy = report.policy.as_ref().unwrap();
    let src = &report.source;
    let line = |span: cachegen::source::Span| src.line_col(span.start).0;

    for p in policy.keys.patterns.values() {
        let want = line_of(lock, "\"patterns\": {", &format!("\"{}\": {{", p.name));
        assert_eq!(line(policy.span(&p.pointer, "")), want, "{}", p.pointer);
        assert_eq!(
            src.slice(policy.key_span(&p.pointer)),
            format!("\"{}\"", p.name)
        );
        // A field: the pattern text, on its own line inside the entry.
        let text = policy.span(&p.pointer, "pattern");
        assert_eq!(src.slice(text), format!("\"{}\"", p.text), "{}", p.pointer);
    }
    // The exact line the brief names.
    assert_eq!(
        src.line_text(line(policy.span("/keys/patterns/user_profile", "")))
            .trim(),
        "\"user_profile\": {"
    );
    for t in policy.tags.values() {
        let want = line_of(lock, "\"tags\": {", &format!("\"{}\": {{", t.name));
        assert_eq!(line(policy.span(&t.pointer, "")), want, "{}", t.pointer);
    }
    for r in policy.edge.as_ref().unwrap().routes.values() {
        let want = line_of(lock, "\"routes\": {", &format!("\"{}\": {{", r.name));
        assert_eq!(line(policy.span(&r.pointer, "")), want, "{}", r.pointer);
    }
    assert_eq!(
        line(policy.span("/stores/cache/cluster", "")),
        line_of(lock, "\"cluster\": {", "\"cluster\": {")
    );
    let target = policy.span("/targets", "redis_hit_ratio");
    assert_eq!(src.slice(target), "80");
    assert!(
        src.line_text(line(target))
            .contains("\"redis_hit_ratio_percent\"")
    );

    // Each redis directive at its `CONFIG GET` string under redis.config; the
    // cluster ones in the cluster section they come from.
    let cluster_start = line_of(lock, "\"cluster\": {", "\"cluster\": {");
    for d in managed_directives(policy.first_store()) {
        let span = policy.span(&d.pointer, "");
        if d.pointer.starts_with("/stores/cache/") && !d.pointer.contains("/cluster") {
            assert_eq!(
                src.slice(span),
                format!("\"{}\"", d.config_get),
                "{}",
                d.name
            );
            let text = src.line_text(line(span)).trim();
            assert!(
                text.starts_with(&format!("\"{}\": ", d.name)),
                "{}: {text}",
                d.name
            );
            assert!(
                line(span) > line_of(lock, "\"stores\": {", "\"config\": {"),
                "{}",
                d.name
            );
        } else {
            assert!(
                line(span) >= cluster_start,
                "{} points above the cluster section",
                d.name
            );
        }
    }

    // A diagnostic of a later stage (here CG106's pointer for a field it
    // looks up) lands on the lock's line as well: `written_span` needs the key.
    assert!(
        policy
            .written_span("/stores/cache/threads", "io_threads")
            .is_some()
    );
    assert!(
        policy
            .written_span("/stores/cache", "maxmemory_samples")
            .is_none()
    );
}

// --- Damaged and hostile lock files ----------------------------------------

/// The quizmentor lock, as JSON, to damage.
fn lock_json() -> Value {
    let (_, files) = render(&format!("{ROOT}/policies/quizmentor.yaml"));
    serde_json::from_str(file(&files, LOCK)).unwrap()
}

/// Sets `policy.sha256` to the model hash of `lock` as edited, computed as
/// the lock documents it: the sha256 of the compact JSON with
/// `generated_by`, `policy.source` and `policy.sha256` empty.
fn rehash(lock: &mut Value) {
    use sha2::{Digest, Sha256};
    let mut blank = lock.clone();
    blank["generated_by"] = "".into();
    blank["policy"]["source"] = "".into();
    blank["policy"]["sha256"] = "".into();
    let digest = Sha256::digest(serde_json::to_vec(&blank).unwrap());
    lock["policy"]["sha256"] = digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()
        .into();
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap() + "\n"
}

/// Reads `text`; there must be an error with code `code` whose span starts
/// on the line of `at` (the first line containing it) and whose message
/// contains `says`. Returns the report.
#[track_caller]
fn expect_error(text: &str, code: &str, at: &str, says: &str) -> FileReport {
    let report = check_lock(LOCK, text.as_bytes());
    let want_line = text
        .lines()
        .position(|l| l.contains(at))
        .unwrap_or_else(|| panic!("`{at}` is not in the input"))
        + 1;
    let found = report.diagnostics.iter().find(|d| {
        d.severity == Severity::Error
            && d.code.code == code
            && d.message.contains(says)
            && d.span
                .is_some_and(|s| report.source.line_col(s.start).0 == want_line)
    });
    assert!(
        found.is_some(),
        "expected {code} `{says}` on line {want_line}; got {:#?}",
        report
            .diagnostics
            .iter()
            .map(|d| (
                d.code.code,
                &d.message,
                d.span.map(|s| report.source.line_col(s.start))
            ))
            .collect::<Vec<_>>()
    );
    // Every diagnostic has a place, and a lock with errors builds nothing.
    assert!(
        report.diagnostics.iter().all(|d| d.span.is_some()),
        "{:#?}",
        report.diagnostics
    );
    assert!(cachegen::render_report(&report, &Templates::default()).is_none());
    report
}

#[test]
fn not_json() {
    let r = expect_error(
        "format: cachegen-policy-lock\nversion: 1\n",
        codes::SCHEMA.code,
        "format:",
        "not a policy lock",
    );
    assert!(r.unreadable);
    let r = expect_error(
        "this is not json\n",
        codes::SCHEMA.code,
        "this is",
        "not a policy lock",
    );
    assert!(r.unreadable);
    // Cut off in the middle: the YAML parser's error (it names the bracket
    // left open, at the bracket).
    let mut cut = pretty(&lock_json());
    cut.truncate(cut.find("\"stores\"").unwrap());
    let r = check_lock(LOCK, cut.as_bytes());
    assert!(r.unreadable && r.policy.is_none());
    let d = &r.diagnostics[0];
    assert_eq!(d.code.code, codes::YAML_SYNTAX.code);
    assert!(d.message.contains("unclosed"), "{d:?}");
    assert_eq!(r.source.line_col(d.span.unwrap().start), (1, 1), "{d:?}");
    // Empty, and binary.
    let r = check_lock(LOCK, b"\n  \n");
    assert!(
        r.unreadable && r.diagnostics[0].span.is_some(),
        "{:?}",
        r.diagnostics
    );
    let r = check_lock(LOCK, b"{\"format\": \"\xff\"}");
    assert!(r.unreadable && r.diagnostics[0].code.code == codes::ENCODING.code);
}

#[test]
fn wrong_format_and_newer_version() {
    let mut v = lock_json();
    v["format"] = "cachegen-something-else".into();
    let r = expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        "\"format\"",
        "not a policy lock",
    );
    assert!(r.unreadable);

    let newer = cachegen::policy::lock::LOCK_VERSION + 1;
    let mut v = lock_json();
    v["version"] = newer.into();
    let r = expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        &format!("\"version\": {newer}"),
        "newer cachegen",
    );
    assert!(r.unreadable && r.policy.is_none());

    let mut v = lock_json();
    v["version"] = "1".into();
    expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        "\"version\": \"1\"",
        "unknown lock format version",
    );
}

#[test]
fn missing_section_and_wrong_types() {
    let mut v = lock_json();
    v.as_object_mut().unwrap().shift_remove("stores");
    // The root object has no key to point at: its first line.
    let r = expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        "{",
        "the lock has no `stores`",
    );
    assert!(!r.unreadable && r.policy.is_none());

    let mut v = lock_json();
    v["ttl"]["default_secs"] = "300".into();
    expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        "\"default_secs\": \"300\"",
        "must be a whole number",
    );

    let mut v = lock_json();
    v["keys"]["patterns"]["session"]["durable"] = "yes".into();
    expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        "\"durable\": \"yes\"",
        "`keys.patterns.session.durable` must be",
    );

    let mut v = lock_json();
    v["keys"]["patterns"]["answer"]
        .as_object_mut()
        .unwrap()
        .shift_remove("strategy");
    expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        "\"answer\": {",
        "has no `strategy`",
    );

    let mut v = lock_json();
    v["edge"]["routes"]["images"]["cahce"] = "standard".into();
    expect_error(
        &pretty(&v),
        codes::UNKNOWN_FIELD.code,
        "\"cahce\"",
        "unknown field `cahce`",
    );
}

#[test]
fn unknown_references() {
    // A tag listing a pattern the lock does not have.
    let mut v = lock_json();
    v["tags"]["user"]["members"]
        .as_array_mut()
        .unwrap()
        .push("ghost".into());
    expect_error(
        &pretty(&v),
        codes::UNRESOLVED_REFERENCE.code,
        "\"ghost\"",
        "member `ghost`",
    );

    // A pattern joining a tag the lock does not have: lowering's own rule,
    // reported at the lock's line.
    let mut v = lock_json();
    v["keys"]["patterns"]["quiz_data"]["tags"] = serde_json::json!(["quizes"]);
    expect_error(
        &pretty(&v),
        codes::UNRESOLVED_REFERENCE.code,
        "\"quizes\"",
        "no tag named `quizes`",
    );

    // A cascade to an unknown pattern.
    let mut v = lock_json();
    v["invalidation"]["cascade"]["quiz_data"] = serde_json::json!(["quiz_ghost"]);
    expect_error(
        &pretty(&v),
        codes::UNRESOLVED_REFERENCE.code,
        "\"quiz_ghost\"",
        "quiz_ghost",
    );

    // A lint rule that does not exist, at its entry, as `check` says it.
    let mut v = lock_json();
    v["lint"]["allow"] = serde_json::json!(["no-such-rule"]);
    expect_error(
        &pretty(&v),
        codes::UNRESOLVED_REFERENCE.code,
        "\"no-such-rule\"",
        "no-such-rule",
    );
}

#[test]
fn injected_newline_in_a_directive_value() {
    let mut v = lock_json();
    v["stores"]["cache"]["config"]["maxmemory-policy"] =
        "volatile-lru\nreplicaof 203.0.113.9 6379".into();
    expect_error(
        &pretty(&v),
        codes::INVALID_SYNTAX.code,
        "\"maxmemory-policy\"",
        "line break",
    );

    // A directive smuggled into the config: read as a `config:` entry, and
    // `replicaof` is refused there (replication is topology).
    let mut v = lock_json();
    v["stores"]["cache"]["config"]["replicaof"] = "203.0.113.9 6379".into();
    expect_error(
        &pretty(&v),
        codes::INCONSISTENT.code,
        "\"replicaof\"",
        "is not set through `config:`",
    );
    // A name no engine has is not a directive at all.
    let mut v = lock_json();
    v["stores"]["cache"]["config"]["evil-directive"] = "1".into();
    expect_error(
        &pretty(&v),
        codes::UNKNOWN_FIELD.code,
        "\"evil-directive\"",
        "not a directive cachegen manages",
    );

    // A value that is not what CONFIG GET prints for the directive.
    let mut v = lock_json();
    v["stores"]["cache"]["config"]["appendonly"] = "true".into();
    expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        "\"appendonly\": \"true\"",
        "`yes` or `no`",
    );

    // A value the schema refuses, at the directive's line.
    let mut v = lock_json();
    v["stores"]["cache"]["config"]["maxmemory-policy"] = "evict-everything".into();
    expect_error(
        &pretty(&v),
        codes::SCHEMA.code,
        "\"maxmemory-policy\"",
        "evict-everything",
    );

    // A policy file name that would inject a line into every header.
    let mut v = lock_json();
    v["policy"]["source"] = "q.yaml\nrm -rf /".into();
    expect_error(
        &pretty(&v),
        codes::INVALID_SYNTAX.code,
        "\"source\"",
        "not a policy file name",
    );
}

#[test]
fn a_value_edited_by_hand_does_not_match_the_model_hash() {
    // Issue 15 item 9: `policy.sha256` is the model hash; a lock whose values
    // were changed after it was written no longer matches it.
    let mut v = lock_json();
    v["keys"]["patterns"]["user_stats"]["description"] = "edited by hand".into();
    let r = expect_error(
        &pretty(&v),
        codes::INCONSISTENT.code,
        "\"sha256\"",
        "`policy.sha256` is",
    );
    assert_eq!(
        r.diagnostics.len(),
        1,
        "only the hash disagrees: {:#?}",
        r.diagnostics
    );
    // Not the source file's bytes: a malformed hash is refused as before.
    let mut v = lock_json();
    v["policy"]["sha256"] = "abc".into();
    expect_error(
        &pretty(&v),
        codes::INVALID_SYNTAX.code,
        "\"sha256\"",
        "not a sha256",
    );
}

#[test]
fn a_derived_value_that_does_not_follow_is_reported_where_it_is() {
    let mut v = lock_json();
    v["keys"]["patterns"]["user_stats"]["ttl"]["max_secs"] = 9999.into();
    expect_error(
        &pretty(&v),
        codes::INCONSISTENT.code,
        "\"max_secs\": 9999",
        "gives 330",
    );

    let mut v = lock_json();
    v["keys"]["patterns"]["session"]["key"] = "v2:sess:<session_id>".into();
    expect_error(
        &pretty(&v),
        codes::INCONSISTENT.code,
        "\"v2:sess:<session_id>\"",
        "keys.patterns.session.key",
    );

    let mut v = lock_json();
    v["stores"]["cache"]["config"]["cluster-node-timeout"] = "15000".into();
    expect_error(
        &pretty(&v),
        codes::INCONSISTENT.code,
        "\"cluster-node-timeout\"",
        "gives \"5000\"",
    );

    let mut v = lock_json();
    v["generated_by"] = "someone else".into();
    expect_error(
        &pretty(&v),
        codes::INCONSISTENT.code,
        "\"generated_by\"",
        "generated_by",
    );
}

#[test]
fn every_value_replaced_by_junk_never_panics() {
    // Each scalar of the lock, in turn, replaced by values of other types and
    // hostile strings: every outcome is a report, and every error has a span.
    let original = lock_json();
    let mut pointers = Vec::new();
    fn leaves(v: &Value, pointer: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    leaves(
                        v,
                        format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    leaves(v, format!("{pointer}/{i}"), out);
                }
            }
            _ => out.push(pointer),
        }
    }
    leaves(&original, String::new(), &mut pointers);
    assert!(pointers.len() > 300, "{}", pointers.len());
    let junk = [
        Value::Null,
        Value::from(-1),
        Value::from(1e300),
        Value::from(u64::MAX),
        Value::from("x\u{0}\n\u{202e}"),
        serde_json::json!({ "a": [] }),
    ];
    let mut errors = 0;
    for (i, pointer) in pointers.iter().enumerate() {
        let mut v = original.clone();
        *v.pointer_mut(pointer).unwrap() = junk[i % junk.len()].clone();
        let report = check_lock(LOCK, pretty(&v).as_bytes());
        if report.count(Severity::Error) > 0 {
            errors += 1;
            assert!(
                report.diagnostics.iter().all(|d| d.span.is_some()),
                "{pointer}: {:#?}",
                report.diagnostics
            );
        }
    }
    // Nearly every value matters; a reader that accepted junk would not say so.
    assert!(
        errors * 10 > pointers.len() * 9,
        "{errors} of {} rejected",
        pointers.len()
    );
}

#[test]
fn sub_millisecond_client_durations_are_refused() {
    // The lock writes client settings in milliseconds; a finer value could
    // not come back, so the policy may not have one.
    let policy = "version: 1\nttl: { default: 5m }\nkeys: { patterns: { a: { pattern: a } } }\n\
                  redis: { version: \"7.0\", maxmemory: 1gb, maxmemory_policy: noeviction }\n\
                  client: { command_timeout: 1500us, retry_backoff: { step: 50ms, max: 2s } }\n";
    let report = cachegen::check_bytes("p.yaml", policy.as_bytes(), &Default::default());
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].code.code, codes::OUT_OF_RANGE.code);
    assert_eq!(report.source.slice(errors[0].span.unwrap()), "1500us");
}

/// Issue 15: placeholder types are spelled in the lock as in the policy
/// (`ip`), and reading them back gives the same model and files.
#[test]
fn ip_placeholders_survive_the_round_trip() {
    let path = format!("{ROOT}/tests/fixtures/build-ip.yaml");
    let (original, files) = render(&path);
    assert!(original.policy.is_some(), "{:#?}", original.diagnostics);
    let lock = file(&files, LOCK);
    let json: Value = serde_json::from_str(lock).unwrap();
    assert_eq!(json["keys"]["placeholders"]["client"], "ip", "{lock}");
    assert_eq!(
        json["keys"]["patterns"]["per_client"]["placeholders"][0]["type"],
        "ip"
    );
    let back = read_back(&path, lock);
    assert_eq!(
        back.policy.as_ref().unwrap().keys.placeholders,
        original.policy.as_ref().unwrap().keys.placeholders
    );
    let rebuilt = render_model(&back);
    for (a, b) in files.iter().zip(&rebuilt) {
        assert!(a.contents == b.contents, "{} differs", a.path);
    }
}

/// Issue 15: a user-defined type is written in the lock as the policy writes
/// it (`{regex, description}`), and reads back to the same model and files.
#[test]
fn regex_placeholders_survive_the_round_trip() {
    let path = format!("{ROOT}/tests/fixtures/build-regex.yaml");
    let (original, files) = render(&path);
    let lock = file(&files, LOCK);
    let json: Value = serde_json::from_str(lock).unwrap();
    assert_eq!(
        json["keys"]["placeholders"]["sku"],
        serde_json::json!({"regex": "[A-Z]{3}-[0-9]{4,6}", "description": "stock keeping unit"}),
        "{lock}"
    );
    assert_eq!(
        json["keys"]["placeholders"]["code"],
        serde_json::json!({"regex": "[A-Z]{2}[0-9]"})
    );
    assert_eq!(json["keys"]["placeholders"]["client"], "ip");
    assert_eq!(
        json["keys"]["patterns"]["item"]["placeholders"][0]["type"],
        "regex"
    );
    let back = read_back(&path, lock);
    let (a, b) = (
        original.policy.as_ref().unwrap(),
        back.policy.as_ref().unwrap(),
    );
    assert_eq!(a.keys.placeholders, b.keys.placeholders);
    let rebuilt = render_model(&back);
    assert_eq!(files.len(), rebuilt.len());
    for (a, b) in files.iter().zip(&rebuilt) {
        assert!(a.contents == b.contents, "{} differs", a.path);
    }
}
