//! Hostile and malformed input: every case must end in a diagnostic with the
//! right code (and line, where there is one), exit 1 or 2, and never panic.
//!
//! The binary is run as a user would run it. How fast these finish is measured
//! by the benchmark, not here: tests assert no timings.

use serde_json::Value;
use std::process::Command;

/// A small, clean policy that the injection cases below edit.
const BASE: &str = r#"version: 1
ttl:
  default: 5m
keys:
  placeholders:
    user_id: int
  patterns:
    user_profile:
      pattern: "user:<user_id>:profile"
redis:
  version: "7.0"
  maxmemory: 2gb
  maxmemory_policy: volatile-lru
  access:
    services:
      app:
        password: {env: APP_REDIS_PASSWORD}
        writes: [user_profile]
"#;

struct Outcome {
    code: i32,
    json: Value,
    text: Vec<u8>,
}

impl Outcome {
    fn diagnostics(&self) -> &Vec<Value> {
        self.json["diagnostics"]
            .as_array()
            .expect("diagnostics array")
    }

    fn codes(&self) -> Vec<&str> {
        self.diagnostics()
            .iter()
            .map(|d| d["code"].as_str().expect("code"))
            .collect()
    }

    /// The first diagnostic with `code`, or a panic that shows them all.
    fn find(&self, code: &str) -> &Value {
        self.diagnostics()
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("no {code}; got {:#}", self.json["diagnostics"]))
    }

    /// Asserts a diagnostic with one of `codes` on `line`.
    fn expect_at(&self, codes: &[&str], line: usize) -> &Value {
        self.diagnostics()
            .iter()
            .find(|d| codes.contains(&d["code"].as_str().unwrap()) && d["line"] == line)
            .unwrap_or_else(|| {
                panic!(
                    "no {codes:?} on line {line}; got {:#}",
                    self.json["diagnostics"]
                )
            })
    }

    /// The source bytes under a diagnostic's span.
    fn slice(&self, d: &Value) -> String {
        let s = d["span"]["start"].as_u64().unwrap() as usize;
        let e = d["span"]["end"].as_u64().unwrap() as usize;
        String::from_utf8_lossy(&self.text[s..e]).into_owned()
    }
}

/// Writes `bytes` to a temporary policy, checks it with `--format json` and
/// asserts the invariants every hostile input must keep.
fn check(bytes: impl AsRef<[u8]>) -> Outcome {
    let bytes = bytes.as_ref();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("hostile.yaml");
    std::fs::write(&path, bytes).expect("write policy");
    let out = Command::new(env!("CARGO_BIN_EXE_cachegen"))
        .args(["check", "--format", "json"])
        .arg(&path)
        .output()
        .expect("cachegen runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "cachegen panicked:\n{stderr}");
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal (stack overflow?): {stderr}"));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    Outcome {
        code,
        json,
        text: bytes.to_vec(),
    }
}

/// Like `check`, for input that must be rejected.
fn reject(bytes: impl AsRef<[u8]>) -> Outcome {
    let outcome = check(bytes);
    assert!(
        outcome.code == 1 || outcome.code == 2,
        "exit {} for hostile input; diagnostics {:#}",
        outcome.code,
        outcome.json["diagnostics"]
    );
    assert!(!outcome.codes().is_empty(), "rejected without a diagnostic");
    outcome
}

/// 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in the policy"))
        + 1
}

fn edit(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "`{from}` once in BASE");
    BASE.replacen(from, to, 1)
}

#[test]
fn the_base_policy_is_clean() {
    let outcome = check(BASE);
    assert_eq!(outcome.code, 0, "{:#}", outcome.json);
    assert_eq!(outcome.json["summary"]["errors"], 0);
}

// ---------------------------------------------------------------------------
// Size and expansion limits
// ---------------------------------------------------------------------------

/// `levels` anchors, each a list of `width` aliases to the one before.
fn alias_bomb(levels: usize, width: usize) -> String {
    let mut text = String::from("version: 1\nl0: &l0 [\"lol\"]\n");
    for i in 1..=levels {
        let items = vec![format!("*l{}", i - 1); width].join(", ");
        text.push_str(&format!("l{i}: &l{i} [{items}]\n"));
    }
    text
}

#[test]
fn billion_laughs_is_refused() {
    for (levels, width) in [(9, 9), (10, 10)] {
        let text = alias_bomb(levels, width);
        let outcome = reject(&text);
        assert_eq!(outcome.code, 2);
        assert_eq!(outcome.codes(), ["CG005"], "{levels}x{width}");
        let d = outcome.find("CG005");
        assert!(d["message"].as_str().unwrap().contains("500000"));
        // It points into the bomb, not at the top of the file.
        assert!(d["line"].as_u64().unwrap() > 2);
    }
}

#[test]
fn many_aliases_of_a_small_anchor_are_counted_too() {
    let items = vec!["*a"; 60_000].join(",");
    let text = format!("version: 1\nx: &a [1,2,3,4,5,6,7,8,9,10]\ny: [{items}]\n");
    let outcome = reject(&text);
    assert_eq!(outcome.codes(), ["CG005"]);
}

#[test]
fn a_file_over_8_mib_is_refused_before_parsing() {
    let mut text = String::from("version: 1\n# ");
    text.push_str(&"x".repeat(10 * 1024 * 1024));
    text.push('\n');
    let outcome = reject(&text);
    assert_eq!(outcome.code, 2);
    assert_eq!(outcome.codes(), ["CG005"]);
    let message = outcome.find("CG005")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains(&text.len().to_string()), "{message}");
    assert!(message.contains("8388608"), "{message}");
}

#[test]
fn a_file_of_exactly_8_mib_is_read() {
    // The limit is inclusive: 8 MiB of comment after a valid policy is fine.
    let mut text = BASE.to_owned();
    text.push('#');
    let pad = 8 * 1024 * 1024 - text.len() - 1;
    text.push_str(&"x".repeat(pad));
    text.push('\n');
    assert_eq!(text.len(), 8 * 1024 * 1024);
    let outcome = check(&text);
    assert_eq!(outcome.code, 0, "{:#}", outcome.json);
}

/// About 7 MB of `junk_key_N: some value number N` lines under `parent`
/// (`None`: at the top level).
fn junk_mapping(prefix: &str, indent: &str) -> String {
    let mut text = String::from(prefix);
    let mut i = 0;
    while text.len() < 7_000_000 {
        text.push_str(&format!("{indent}junk_key_{i}: some value number {i}\n"));
        i += 1;
    }
    text
}

#[test]
fn seven_megabytes_of_junk_under_one_unknown_key_is_one_diagnostic() {
    let text = junk_mapping(&format!("{BASE}junk:\n"), "  ");
    let outcome = reject(&text);
    assert_eq!(outcome.code, 1);
    assert_eq!(outcome.codes(), ["CG010"]);
    assert_eq!(outcome.find("CG010")["line"], line_of(&text, "junk:"));
}

#[test]
fn seven_megabytes_of_junk_top_level_keys_finishes_with_diagnostics() {
    let text = junk_mapping("version: 1\n", "");
    let outcome = reject(&text);
    assert_eq!(outcome.code, 1);
    assert!(outcome.codes().contains(&"CG010"));
}

#[test]
fn a_six_megabyte_scalar_is_just_a_long_string() {
    let text = edit(
        "version: 1\n",
        &format!("version: 1\ndescription: \"{}\"\n", "x".repeat(6_000_000)),
    );
    let outcome = check(&text);
    assert_eq!(outcome.code, 0, "{:#}", outcome.json);
}

#[test]
fn nesting_a_thousand_levels_deep_is_refused() {
    let block: String = (0..1000)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect::<String>()
        + &"  ".repeat(1000)
        + "v\n";
    let block_list: String = (0..1000)
        .map(|i| format!("{}-\n", "  ".repeat(i)))
        .collect::<String>()
        + &"  ".repeat(1000)
        + "v\n";
    let flow_seq = format!("{}{}\n", "[".repeat(1000), "]".repeat(1000));
    let flow_map = format!("{}1{}\n", "{a: ".repeat(1000), "}".repeat(1000));
    let unclosed = "[".repeat(100_000);
    for (name, text) in [
        ("block mapping", block),
        ("block sequence", block_list),
        ("flow sequence", flow_seq),
        ("flow mapping", flow_map),
        ("unclosed flow", unclosed),
    ] {
        let outcome = reject(&text);
        assert_eq!(outcome.code, 2, "{name}");
        let codes = outcome.codes();
        assert!(
            codes == ["CG005"] || codes == ["CG003"],
            "{name}: {codes:?}"
        );
    }
}

#[test]
fn depth_32_is_allowed_and_33_is_not() {
    // The root mapping is level 1; each `k:` opens one more.
    let nest = |levels: usize| -> String {
        let mut text = String::new();
        for i in 0..levels {
            text.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
        }
        text.push_str(&format!("{}leaf: 1\n", "  ".repeat(levels)));
        text
    };
    let outcome = reject(nest(31));
    assert!(!outcome.codes().contains(&"CG005"), "{:?}", outcome.codes());
    let outcome = reject(nest(32));
    assert_eq!(outcome.codes(), ["CG005"]);
    assert_eq!(outcome.find("CG005")["line"], 33);
}

// ---------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------

#[test]
fn invalid_utf8_is_reported_at_the_bad_byte() {
    let outcome = reject(b"version: 1\nname: caf\xe9\n");
    assert_eq!(outcome.code, 2);
    assert_eq!(outcome.codes(), ["CG002"]);
    let d = outcome.find("CG002");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(2), Some(10))
    );
    assert_eq!(d["span"]["start"], 20);
    assert!(d["message"].as_str().unwrap().contains("0xe9"));

    // Columns count characters: `ü` is two bytes but one column.
    let outcome = reject(
        "version: 1\nname: \u{fc}\u{fc}"
            .bytes()
            .chain([0xff])
            .collect::<Vec<_>>(),
    );
    let d = outcome.find("CG002");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(2), Some(9))
    );
    assert!(d["message"].as_str().unwrap().contains("0xff"));

    // A truncated multi-byte sequence at the very end of the file.
    let outcome = reject(b"version: 1\nname: \xe2\x82");
    assert_eq!(outcome.codes(), ["CG002"]);
    assert_eq!(outcome.find("CG002")["line"], 2);
}

#[test]
fn utf16_is_not_utf8() {
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(BASE.encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    let outcome = reject(utf16);
    assert_eq!(outcome.codes(), ["CG002"]);
}

#[test]
fn a_utf8_byte_order_mark_is_accepted() {
    let outcome = check(format!("\u{feff}{BASE}"));
    assert_eq!(outcome.code, 0, "{:#}", outcome.json);
}

#[test]
fn nul_and_other_control_characters_are_refused() {
    for (bytes, what) in [
        (&b"version: 1\nname: a\x00b\n"[..], "NUL"),
        (&b"version: 1\nname: a\x1b[2Jb\n"[..], "ESC"),
        (&b"version: 1\nname: a\x7fb\n"[..], "DEL"),
        (&b"version: 1\nname: a\x08b\n"[..], "backspace"),
        ("version: 1\nname: a\u{85}b\n".as_bytes(), "C1 NEL"),
    ] {
        let outcome = reject(bytes);
        assert_eq!(outcome.code, 2, "{what}");
        assert_eq!(outcome.codes(), ["CG002"], "{what}");
        let d = outcome.find("CG002");
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(2), Some(8)),
            "{what}"
        );
    }
}

// ---------------------------------------------------------------------------
// Characters headed for redis.conf, Cloudflare expressions, HTTP headers,
// Kubernetes names and Rust identifiers
// ---------------------------------------------------------------------------

/// Checks `text`, expecting one of `codes` on the line that contains `marker`.
fn expect_rejected_at(text: &str, codes: &[&str], marker: &str) -> Value {
    let outcome = reject(text);
    assert_eq!(outcome.code, 1, "{:#}", outcome.json);
    outcome.expect_at(codes, line_of(text, marker)).clone()
}

#[test]
fn a_pattern_name_with_a_newline() {
    let text = edit("    user_profile:\n", "    \"bad\\nname\":\n");
    let d = expect_rejected_at(&text, &["CG024"], "bad\\nname");
    assert!(
        d["message"].as_str().unwrap().contains("bad\\nname"),
        "{d:#}"
    );
}

#[test]
fn a_key_pattern_smuggling_a_redis_directive() {
    let text = edit(
        r#""user:<user_id>:profile""#,
        r#""user:<user_id>\nmaxmemory 0""#,
    );
    expect_rejected_at(&text, &["CG024"], "maxmemory 0");
}

#[test]
fn a_key_pattern_with_a_space_points_at_the_space() {
    let text = edit(
        r#""user:<user_id>:profile""#,
        r#""user:<user_id>:pro file""#,
    );
    let outcome = reject(&text);
    let d = outcome.expect_at(&["CG024"], line_of(&text, "pro file"));
    assert_eq!(outcome.slice(d), " ");
}

#[test]
fn a_key_pattern_with_glob_or_brace_characters() {
    for bad in [
        "user:<user_id>:*",
        "user:{<user_id>}:profile",
        "user:<user_id>:pro?file",
    ] {
        let text = edit(r#""user:<user_id>:profile""#, &format!("\"{bad}\""));
        expect_rejected_at(&text, &["CG024"], bad);
    }
}

#[test]
fn a_route_path_breaking_out_of_a_cloudflare_expression() {
    let text = format!("{BASE}edge:\n  routes:\n    api:\n      path: \"/api/\\\" or true\"\n");
    expect_rejected_at(&text, &["CG024"], "or true");
}

#[test]
fn a_header_value_with_crlf() {
    let text = format!(
        "{BASE}edge:\n  routes:\n    api:\n      path: \"/api/*\"\n      headers:\n        X-Foo: \"a\\r\\nSet-Cookie: x=1\"\n"
    );
    let d = expect_rejected_at(&text, &["CG024"], "Set-Cookie");
    assert!(d["message"].as_str().unwrap().contains("control character"));
}

#[test]
fn a_header_name_or_vary_entry_with_crlf() {
    let text = format!(
        "{BASE}edge:\n  routes:\n    api:\n      path: \"/api/*\"\n      headers:\n        \"X-Foo: bar\\r\\nX-Evil\": \"1\"\n"
    );
    expect_rejected_at(&text, &["CG024"], "X-Evil");
    let text = format!(
        "{BASE}edge:\n  routes:\n    api:\n      path: \"/api/*\"\n      vary: [\"Accept\\r\\nX-Evil: 1\"]\n"
    );
    expect_rejected_at(&text, &["CG024"], "X-Evil");
}

#[test]
fn a_version_prefix_with_a_space() {
    let text = edit("keys:\n", "keys:\n  version_prefix: \"v 2\"\n");
    let outcome = reject(&text);
    let d = outcome.expect_at(&["CG024"], line_of(&text, "version_prefix"));
    assert_eq!(outcome.slice(d), " ");
    let text = edit(
        "keys:\n",
        "keys:\n  version_prefix: v2\n  previous_prefixes: [\"v1*\"]\n",
    );
    expect_rejected_at(&text, &["CG024"], "previous_prefixes");
}

#[test]
fn a_kubernetes_namespace_with_a_space() {
    let text = format!(
        "{BASE}cluster:\n  masters: 3\n  replicas_per_master: 1\n  node_timeout: 5s\n  kubernetes:\n    namespace: \"Prod Env\"\n    image: \"redis:7.0.15\"\n    memory_limit: 3Gi\n    storage: 10Gi\n"
    );
    expect_rejected_at(&text, &["CG024"], "Prod Env");
}

#[test]
fn a_container_image_smuggling_yaml() {
    let text = format!(
        "{BASE}cluster:\n  masters: 3\n  replicas_per_master: 1\n  node_timeout: 5s\n  kubernetes:\n    namespace: prod\n    image: \"redis:7\\n  command: [sh]\"\n    memory_limit: 3Gi\n    storage: 10Gi\n"
    );
    expect_rejected_at(&text, &["CG024"], "command: [sh]");
}

#[test]
fn an_event_name_with_a_quote() {
    let text = format!(
        "{BASE}invalidation:\n  events:\n    'user.\"updated':\n      params: [user_id]\n      invalidate: [user_profile]\n"
    );
    expect_rejected_at(&text, &["CG024"], "user.\"updated");
}

#[test]
fn names_that_become_identifiers() {
    for (text, marker) in [
        (
            edit(
                "  default: 5m\n",
                "  default: 5m\n  classes:\n    \"a\\nb\": 5m\n",
            ),
            "a\\nb",
        ),
        (
            edit(
                "    user_id: int\n",
                "    user_id: int\n    \"user id\": int\n",
            ),
            "user id",
        ),
        (
            edit("version: 1\n", "version: 1\nname: \"Prod\\nEnv\"\n"),
            "Prod\\nEnv",
        ),
        (
            format!("{BASE}tags:\n  \"Bad Tag\":\n    key: \"tag:x\"\n    ttl: 5m\n"),
            "Bad Tag",
        ),
        (
            format!("{BASE}edge:\n  routes:\n    \"api route\":\n      path: \"/api/*\"\n"),
            "api route",
        ),
    ] {
        expect_rejected_at(&text, &["CG024"], marker);
    }
}

#[test]
fn values_that_reach_redis_conf() {
    for (text, marker) in [
        (
            edit(r#"version: "7.0""#, r#"version: "7.0\nmaxmemory 0""#),
            "7.0\\n",
        ),
        (
            edit(
                "      pattern: \"user:<user_id>:profile\"\n",
                "      pattern: \"user:<user_id>:profile\"\n      stampede_lock: {prefix: \"lock\\n:\", ttl: 30s}\n",
            ),
            "stampede_lock",
        ),
        (
            edit(
                "      pattern: \"user:<user_id>:profile\"\n",
                "      pattern: \"user:<user_id>:profile\"\n      hash_tag: \"user:<user_id>}{\"\n",
            ),
            "hash_tag",
        ),
        (
            format!("{BASE}client:\n  reconnect_on_errors: [\"READONLY\\n\"]\n"),
            "READONLY",
        ),
        (
            format!(
                "{BASE}edge:\n  zone: \"evil.com\\\" or true\"\n  routes:\n    api:\n      path: \"/api/*\"\n"
            ),
            "evil.com",
        ),
        (
            format!("{BASE}edge:\n  routes:\n    api:\n      extensions: [\"js\\\" or 1\"]\n"),
            "extensions",
        ),
    ] {
        expect_rejected_at(&text, &["CG024"], marker);
    }
}

#[test]
fn a_cron_schedule_with_newlines() {
    let text = format!(
        "{BASE}warming:\n  tasks:\n    t:\n      keys: [user_profile]\n      schedule: \"0\\n*\\n*\\n*\\n*\"\n"
    );
    expect_rejected_at(&text, &["CG024"], "schedule");
}

#[test]
fn an_unknown_field_name_with_control_characters() {
    let text = edit("redis:\n", "redis:\n  \"maxmemory\\u001b[2J\": 1\n");
    let d = expect_rejected_at(&text, &["CG010"], "maxmemory\\u001b");
    assert!(
        d["message"].as_str().unwrap().contains('\u{1b}'),
        "JSON keeps the text exact"
    );
}

// ---------------------------------------------------------------------------
// Wrong shapes and YAML surprises
// ---------------------------------------------------------------------------

#[test]
fn a_policy_that_is_not_a_mapping() {
    for text in [
        "hello\n",
        "- a\n- b\n",
        "42\n",
        "null\n",
        "---\n",
        "[]\n",
        "\"version: 1\"\n",
    ] {
        let outcome = reject(text);
        assert_eq!(outcome.codes(), ["CG011"], "{text:?}");
        assert!(
            outcome.find("CG011")["message"]
                .as_str()
                .unwrap()
                .contains("must be a YAML mapping"),
            "{text:?}"
        );
    }
}

#[test]
fn an_empty_file_does_not_crash() {
    for text in ["", "\n\n", "# only a comment\n"] {
        let outcome = check(text);
        assert!(
            outcome.code == 1 || outcome.code == 2,
            "{text:?}: exit {}",
            outcome.code
        );
    }
}

#[test]
fn an_empty_file_says_why_it_is_rejected() {
    for text in ["", "\n\n", "# only a comment\n"] {
        reject(text);
    }
}

#[test]
fn a_duplicated_key_points_at_the_second_occurrence() {
    let text = edit("  default: 5m\n", "  default: 5m\n  default: 10m\n");
    let outcome = reject(&text);
    assert_eq!(outcome.codes(), ["CG004"]);
    let d = outcome.find("CG004");
    assert_eq!(d["line"], 4);
    assert_eq!(d["column"], 3);
    assert_eq!(outcome.slice(d), "default");
    assert_eq!(
        d["related"][0]["line"], 3,
        "the first occurrence is related"
    );

    // Deeper, and in flow style.
    let text = edit(
        "    user_id: int\n",
        "    user_id: int\n    user_id: uuid\n",
    );
    let outcome = reject(&text);
    assert_eq!(outcome.codes(), ["CG004"]);
    assert_eq!(
        outcome.find("CG004")["line"],
        line_of(&text, "user_id: uuid")
    );
    let text = edit(
        "    user_id: int\n",
        "    user_id: int\n    flowy: {a: 1, b: 2, a: 3}\n",
    );
    let outcome = reject(&text);
    let d = outcome.find("CG004");
    assert_eq!(d["line"], line_of(&text, "flowy"));
    let flowy = text.lines().find(|l| l.contains("flowy")).unwrap();
    assert_eq!(d["column"], flowy.rfind("a:").unwrap() + 1);
}

#[test]
fn yaml_1_1_booleans_stay_strings() {
    for word in ["yes", "NO", "on", "Off", "y", "N"] {
        let text = edit(
            "      pattern: \"user:<user_id>:profile\"\n",
            &format!("      pattern: \"user:<user_id>:profile\"\n      durable: {word}\n"),
        );
        let outcome = reject(&text);
        let d = outcome.expect_at(&["CG011"], line_of(&text, "durable:"));
        assert!(
            d["message"]
                .as_str()
                .unwrap()
                .contains("must be a boolean, found a string"),
            "{word}: {d:#}"
        );
        assert_eq!(outcome.slice(d), word);
    }
}

#[test]
fn a_policy_of_another_format_version() {
    // (`1.0` is accepted: JSON Schema counts it as the integer 1.)
    for version in ["2", "0", "\"1\"", "1.5", "1e0", "v1"] {
        let text = edit("version: 1\n", &format!("version: {version}\n"));
        let outcome = reject(&text);
        let d = outcome.expect_at(&["CG011", "CG023"], 1);
        assert!(
            d["message"].as_str().unwrap().contains("version"),
            "{version}: {d:#}"
        );
    }
}

#[test]
fn numbers_that_do_not_fit() {
    let text = edit(
        "  maxmemory_policy: volatile-lru\n",
        "  maxmemory_policy: volatile-lru\n  maxclients: 99999999999999999999\n",
    );
    expect_rejected_at(&text, &["CG011", "CG023"], "maxclients");
    let text = edit("  default: 5m\n", "  default: 99999999999999999999w\n");
    expect_rejected_at(&text, &["CG012"], "default:");
    let text = edit(
        "  maxmemory: 2gb\n",
        "  maxmemory: 99999999999999999999gb\n",
    );
    expect_rejected_at(&text, &["CG012", "CG011"], "maxmemory:");
    for bad in [".inf", ".nan", "-5", "0x"] {
        let text = edit(
            "  maxmemory_policy: volatile-lru\n",
            &format!("  maxmemory_policy: volatile-lru\n  maxclients: {bad}\n"),
        );
        expect_rejected_at(&text, &["CG011", "CG023"], "maxclients");
    }
}

#[test]
fn yaml_features_a_policy_does_not_use() {
    // Tags, a second document, complex keys, an unknown alias, tabs.
    for (text, marker) in [
        (
            edit("maxmemory: 2gb", "maxmemory: !!python/object:os.system 2gb"),
            "python",
        ),
        (format!("{BASE}---\nversion: 1\n"), "---"),
        (format!("{BASE}? [a, b]\n: c\n"), "? [a, b]"),
        (edit("maxmemory: 2gb", "maxmemory: *nope"), "*nope"),
        (edit("  default: 5m", "\tdefault: 5m"), "\tdefault"),
    ] {
        let outcome = reject(&text);
        assert_eq!(outcome.code, 2, "{marker}");
        outcome.expect_at(&["CG003"], line_of(&text, marker));
    }
}

#[test]
fn merge_keys_are_not_merged_silently() {
    let text = edit(
        "redis:\n  version: \"7.0\"\n",
        "defaults: &d\n  version: \"7.0\"\nredis:\n  <<: *d\n",
    );
    let outcome = reject(&text);
    let d = outcome.expect_at(&["CG010"], line_of(&text, "<<:"));
    assert!(d["message"].as_str().unwrap().contains("`<<`"));
}

#[test]
fn a_file_with_cr_line_endings_reports_real_lines() {
    let text = edit("  maxmemory: 2gb\n", "  maxmemory: 2 gb\n").replace('\n', "\r");
    let outcome = reject(&text);
    assert_eq!(outcome.find("CG012")["line"], 12);
}

#[test]
fn crlf_line_endings_report_the_same_lines_as_lf() {
    let lf = edit("  maxmemory: 2gb\n", "  maxmemory: 2 gb\n");
    let crlf = lf.replace('\n', "\r\n");
    let a = reject(&lf);
    let b = reject(&crlf);
    let pos = |o: &Outcome| {
        let d = o.find("CG012");
        (d["line"].clone(), d["column"].clone(), o.slice(d))
    };
    assert_eq!(pos(&a), pos(&b));
}

#[test]
fn values_cloudflare_refuses_are_refused_by_check_not_by_build() {
    // A zero TTL override, and more extensions than fit an expression.
    let zero =
        format!("{BASE}edge:\n  routes:\n    api:\n      path: \"/api/*\"\n      edge_ttl: 0s\n");
    let outcome = reject(&zero);
    assert_eq!(outcome.code, 1);
    assert!(outcome.codes().contains(&"CG023"), "{:#}", outcome.json);
    let many: Vec<String> = (0..65).map(|i| format!("e{i}")).collect();
    let wide = format!(
        "{BASE}edge:\n  routes:\n    files:\n      extensions: [{}]\n",
        many.join(", ")
    );
    let outcome = reject(&wide);
    assert!(outcome.codes().contains(&"CG023"), "{:#}", outcome.json);
}

/// More than 500 findings that are all notes: the "more not shown" summary
/// is as severe as what it hides (a note), so a large valid policy still
/// checks clean and builds.
#[test]
fn hundreds_of_notes_do_not_turn_into_an_error() {
    let mut y = String::from(
        "version: 1\nname: many\nttl:\n  default: 5m\n  jitter: 10%\nkeys:\n  placeholders:\n    id: int\n  patterns:\n",
    );
    for i in 0..600 {
        y.push_str(&format!("    p{i}:\n      pattern: \"svc{i}:<id>\"\n"));
    }
    y.push_str("invalidation:\n  events:\n    e.changed:\n      params: [id]\n      invalidate: [p0]\nredis:\n  version: \"7.0\"\n  maxmemory: 1gb\n  maxmemory_policy: volatile-lru\n  access:\n    services:\n      app:\n        password: {env: APP_REDIS_PASSWORD}\n        writes: [p0]\n");
    let report = cachegen::check_bytes("many.yaml", y.as_bytes(), &Default::default());
    assert_eq!(report.diagnostics.len(), cachegen::diag::MAX_PER_FILE + 1);
    let last = report.diagnostics.last().unwrap();
    assert_eq!(last.code.code, "CG005");
    assert_eq!(last.severity, cachegen::diag::Severity::Note);
    assert_eq!(report.count(cachegen::diag::Severity::Error), 0);
    let files = cachegen::render_report(&report, &Default::default());
    assert!(
        matches!(files, Some(Ok(_))),
        "a policy with only notes builds"
    );
}
