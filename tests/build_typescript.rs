//! The TypeScript target (`typescript/<policy>-cache.ts`), proven by its
//! real consumers: the pinned `tsc` compiles it with the strict settings of
//! `support::node::TSCONFIG`, and `node --test` runs a test file written
//! here from the policy model (not from the renderer): a builder and
//! classify round trip per pattern and lock, errors naming the parameter,
//! TTL bounds with an injected random source, plans that never mix hash
//! slots in one command, and `runPlan` against a recording client.

mod support;
use support::node::{node_test, ts_project, tsc};
use support::render::{EDGE_CASES, checked, checked_text};

use cachegen::graph::Graph;
use cachegen::keys::Segment;
use cachegen::policy::model::{PlaceholderType, Policy, Ttl};
use cachegen::render::{Templates, typescript};
use std::collections::BTreeSet;
use std::time::Duration;

fn path(rel: &str) -> String {
    format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"))
}

/// Every policy the TypeScript module is compiled for.
fn reports() -> Vec<(&'static str, cachegen::FileReport)> {
    vec![
        ("quizmentor", checked(&path("policies/quizmentor.yaml"))),
        ("shop", checked(&path("policies/shop.yaml"))),
        ("regex", checked(&path("tests/fixtures/build-regex.yaml"))),
        ("ip", checked(&path("tests/fixtures/build-ip.yaml"))),
        ("edge", checked_text("edge-cases.yaml", EDGE_CASES)),
        // Prose that would end a doc comment or a line, or open a template literal.
        (
            "hostile",
            checked_text(
                "hostile.yaml",
                &EDGE_CASES.replace("<b>whole</b>", r"*/ whole /* ${x} \u2028 \u2029 */"),
            ),
        ),
    ]
}

fn ts_file(report: &cachegen::FileReport) -> String {
    let policy = report.policy.as_ref().expect("model");
    let files = cachegen::render_report(report, &Templates::default())
        .expect("renders")
        .expect("templates render");
    let path = typescript::output_path(policy);
    files
        .into_iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not generated"))
        .contents
}

fn js(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// A sample value per placeholder, distinct per placeholder: the JavaScript
/// value to pass and the text it puts in a key.
fn sample(policy: &Policy, name: &str) -> (String, String) {
    let i = policy
        .keys
        .placeholders
        .get_index_of(name)
        .unwrap_or_else(|| panic!("placeholder {name}"));
    let text = match &policy.keys.placeholders[name] {
        // Every other int is a bigint, the largest u64 among them.
        PlaceholderType::Int if i % 2 == 1 => {
            return (
                "18446744073709551615n".into(),
                "18446744073709551615".into(),
            );
        }
        PlaceholderType::Int => return ((1000 + 7 * i).to_string(), (1000 + 7 * i).to_string()),
        PlaceholderType::Slug => format!("slug-{i}"),
        PlaceholderType::Token => format!("Tok_{i}-X"),
        PlaceholderType::Md5 => format!("{:032x}", 0xabc0 + i),
        PlaceholderType::Uuid => format!("{:08x}-0000-4000-8000-{:012x}", i + 1, i + 1),
        PlaceholderType::Pattern(r) => r.table.example().expect("a value"),
        PlaceholderType::Ip => {
            let (address, text) = match i % 3 {
                0 => (format!("192.0.2.{i}"), format!("192.0.2.{i}")),
                1 => (format!("2001:DB8:0:0::{i:x}"), format!("2001-db8--{i:x}")),
                _ => (format!("::ffff:198.51.100.{i}"), format!("198.51.100.{i}")),
            };
            return (js(&address), text);
        }
    };
    (js(&text), text)
}

/// A value the placeholder's type refuses, and why; `None` for types whose
/// refusals this file does not spell (user-defined types).
fn invalid(ty: &PlaceholderType) -> Option<(&'static str, &'static str)> {
    match ty {
        PlaceholderType::Int => Some(("\"12a\"", "int")),
        PlaceholderType::Token => Some(("\"ab:cd\"", "token")),
        PlaceholderType::Md5 => Some(("\"0123456789abcdef0123456789abcde\"", "md5")),
        PlaceholderType::Uuid => Some(("\"0000000A-0000-4000-8000-000000000001\"", "uuid")),
        PlaceholderType::Slug => Some(("\"Slug\"", "slug")),
        PlaceholderType::Ip => Some(("\"1.2.3\"", "ip")),
        PlaceholderType::Pattern(_) => None,
    }
}

fn params_object(policy: &Policy, names: &[&String]) -> String {
    let unique: BTreeSet<&&String> = names.iter().collect();
    let fields: Vec<String> = unique
        .into_iter()
        .map(|n| format!("{}: {}", js(n), sample(policy, n).0))
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

fn placeholders(segments: &[Segment]) -> Vec<&String> {
    segments
        .iter()
        .filter_map(|s| match s {
            Segment::Placeholder { name, .. } => Some(name),
            Segment::Literal(_) => None,
        })
        .collect()
}

/// The key the policy means, from the model: lock prefix, version prefix,
/// segments, braces around the hash tag when the store is a cluster.
fn expected_key(
    policy: &Policy,
    store: &str,
    before: &str,
    segments: &[Segment],
    hash_tag: Option<(usize, usize)>,
) -> String {
    let mut parts: Vec<String> = segments
        .iter()
        .map(|s| match s {
            Segment::Literal(t) => t.clone(),
            Segment::Placeholder { name, .. } => sample(policy, name).1,
        })
        .collect();
    if policy.stores[store].cluster.is_some()
        && let Some((start, end)) = hash_tag
    {
        parts[start].insert(0, '{');
        parts[end - 1].push('}');
    }
    let prefix = policy
        .keys
        .version_prefix
        .as_ref()
        .map(|p| format!("{p}:"))
        .unwrap_or_default();
    format!("{before}{prefix}{}", parts.join(":"))
}

fn texts_object(policy: &Policy, segments: &[Segment]) -> String {
    let fields: Vec<String> = placeholders(segments)
        .iter()
        .map(|n| format!("{}: {}", js(n), js(&sample(policy, n).1)))
        .collect();
    format!("{{ {} }}", fields.join(", "))
}

/// The node test file for `policy`, importing the module as `./cache.js`.
fn node_test_file(policy: &Policy) -> (String, BTreeSet<&'static str>) {
    let mut samples = String::new();
    let mut bad = String::new();
    let mut refused = BTreeSet::new();
    let mut ttls = String::new();
    for p in policy.keys.patterns.values() {
        let names = placeholders(&p.segments);
        let key = expected_key(policy, &p.store, "", &p.segments, p.hash_tag);
        let lock = p.stampede_lock.as_ref().map_or("null".into(), |l| {
            js(&expected_key(
                policy,
                &p.store,
                &l.prefix,
                &p.segments,
                p.hash_tag,
            ))
        });
        samples.push_str(&format!(
            "  {{ pattern: {}, params: {}, texts: {}, key: {}, lock: {lock} }},\n",
            js(&p.name),
            params_object(policy, &names),
            texts_object(policy, &p.segments),
            js(&key),
        ));
        for n in &names {
            if let Some((value, why)) = invalid(&policy.keys.placeholders[n.as_str()]) {
                refused.insert(why);
                let mut fields: Vec<String> = names
                    .iter()
                    .map(|m| format!("{}: {}", js(m), sample(policy, m).0))
                    .collect();
                fields.retain(|f| !f.starts_with(&format!("{}:", js(n))));
                fields.push(format!("{}: {value}", js(n)));
                bad.push_str(&format!(
                    "  {{ pattern: {}, param: {}, params: {{ {} }} }},\n",
                    js(&p.name),
                    js(n),
                    fields.join(", ")
                ));
            }
        }
        let (base, max) = match p.ttl {
            Ttl::Expires { base, max } => (base.as_secs().to_string(), max.as_secs().to_string()),
            Ttl::Never => ("null".into(), "null".into()),
        };
        ttls.push_str(&format!(
            "  {{ pattern: {}, base: {base}, max: {max} }},\n",
            js(&p.name)
        ));
    }
    let graph = Graph::new(policy);
    let mut plans = String::new();
    for e in policy.events.values() {
        let names: Vec<&String> = e.params.iter().collect();
        let mut branches = vec![("null".to_owned(), &e.invalidate)];
        for (field, list) in &e.when_changed {
            branches.push((js(field), list));
        }
        for (branch, list) in branches {
            let expected: Vec<String> = graph
                .cascade_closure(list)
                .iter()
                .map(|r| {
                    let p = policy.pattern(r.pattern).expect("pattern");
                    js(&expected_key(policy, &p.store, "", &p.segments, p.hash_tag))
                })
                .collect();
            plans.push_str(&format!(
                "  {{ event: {}, branch: {branch}, params: {}, keys: [{}] }},\n",
                js(&e.name),
                params_object(policy, &names),
                expected.join(", ")
            ));
        }
    }
    let text = format!(
        r#"import {{ test }} from "node:test";
import assert from "node:assert/strict";
import * as cache from "./cache.js";

type Builder = (params?: unknown) => string;
const builder = (table: object, name: string): Builder => (table as {{ readonly [k: string]: Builder }})[name] as Builder;

const SAMPLES: readonly {{ pattern: cache.PatternName; params: object; texts: cache.Params; key: string; lock: string | null }}[] = [
{samples}];
const BAD: readonly {{ pattern: cache.PatternName; param: string; params: object }}[] = [
{bad}];
const TTLS: readonly {{ pattern: cache.PatternName; base: number | null; max: number | null }}[] = [
{ttls}];
const PLANS: readonly {{ event: string; branch: string | null; params: object; keys: readonly string[] }}[] = [
{plans}];
const events = cache.events as unknown as {{
  readonly [name: string]: {{
    readonly plan: (p: object) => cache.Unlink[];
    readonly whenChanged: {{ readonly [field: string]: (p: object) => cache.Unlink[] }};
  }};
}};
const planOf = (s: (typeof PLANS)[number]): cache.Unlink[] => {{
  const e = events[s.event];
  assert.ok(e, s.event);
  const f = s.branch === null ? e.plan : e.whenChanged[s.branch];
  assert.ok(f, `${{s.event}} ${{s.branch}}`);
  return f(s.params);
}};

test("every pattern has a sample, and the tables name it", () => {{
  assert.deepEqual(SAMPLES.map((s) => s.pattern), Object.keys(cache.PATTERNS));
  for (const s of SAMPLES) {{
    assert.equal(cache.PATTERNS[s.pattern].name, s.pattern);
    assert.deepEqual(Object.keys(s.texts), [...new Set(cache.PATTERNS[s.pattern].params)]);
    assert.ok(Object.isFrozen(cache.PATTERNS[s.pattern]));
  }}
  assert.ok(Object.isFrozen(cache.keys) && Object.isFrozen(cache.PATTERNS) && Object.isFrozen(cache.events));
}});

test("builders make the policy's keys and classify reads them back", () => {{
  for (const s of SAMPLES) {{
    const key = builder(cache.keys, s.pattern)(s.params);
    assert.equal(key, s.key, s.pattern);
    assert.deepEqual(cache.classify(key), {{ pattern: s.pattern, params: s.texts }});
    assert.deepEqual(cache.classifyAny(key), {{ kind: "data", name: s.pattern, params: s.texts }});
    assert.equal(cache.classify(`${{key}}:extra`), null);
    for (const old of cache.PREVIOUS_PREFIXES) {{
      assert.equal(cache.classify(`${{old}}:${{key.slice(cache.VERSION_PREFIX === null ? 0 : cache.VERSION_PREFIX.length + 1)}}`), null);
    }}
    if (s.lock !== null) {{
      assert.equal(builder(cache.lockKeys, s.pattern)(s.params), s.lock, s.pattern);
      assert.equal(cache.classify(s.lock), null);
      assert.deepEqual(cache.classifyAny(s.lock), {{ kind: "lock", name: s.pattern, params: s.texts }});
    }} else {{
      assert.equal(s.pattern in cache.lockKeys, false);
    }}
  }}
  assert.equal(cache.classify(""), null);
}});

test("tag keys classify as tags", () => {{
  for (const [name, info] of Object.entries(cache.TAGS)) {{
    assert.ok(info.members.length > 0, name);
    for (const member of info.members) {{
      assert.ok(cache.PATTERNS[member].tags.includes(info.name), `${{member}} in ${{name}}`);
    }}
  }}
}});

test("bad input throws a CacheKeyError naming the parameter", () => {{
  for (const b of BAD) {{
    assert.throws(
      () => builder(cache.keys, b.pattern)(b.params),
      (err: unknown) => {{
        assert.ok(err instanceof cache.CacheKeyError);
        assert.equal(err.parameter, b.param);
        const value = (b.params as {{ readonly [k: string]: unknown }})[b.param];
        if (value === "12a") {{
          assert.equal(err.message, `${{b.pattern}}: parameter \`${{b.param}}\` must be int (a non-negative integer), got "12a"`);
        }}
        assert.ok(err.message.startsWith(`${{b.pattern}}: parameter \`${{b.param}}\` must be ${{err.expected}}`), err.message);
        assert.ok(err.message.endsWith(`got ${{JSON.stringify(value)}}`), err.message);
        return true;
      }},
      `${{b.pattern}}.${{b.param}}`,
    );
  }}
  assert.throws(
    () => builder(cache.keys, BAD[0]?.pattern ?? "")(BAD[0]?.params),
    (err: unknown) => err instanceof cache.CacheKeyError && err instanceof Error && err.name === "CacheKeyError",
  );
  const ints = SAMPLES.filter((s) => Object.keys(s.texts).length > 0 && typeof Object.values(s.params)[0] === "number");
  for (const s of ints.slice(0, 1)) {{
    const name = Object.keys(s.params)[0] ?? "";
    for (const value of [-1, 1.5, Number.NaN, 2 ** 53, 18446744073709551616n, -1n, "7"]) {{
      assert.throws(() => builder(cache.keys, s.pattern)({{ ...s.params, [name]: value }}), cache.CacheKeyError);
    }}
    // Non-finite numbers are shown as such (JSON.stringify would say null).
    for (const [value, shown] of [[Number.NaN, "NaN"], [Number.POSITIVE_INFINITY, "Infinity"], [Number.NEGATIVE_INFINITY, "-Infinity"]] as const) {{
      assert.throws(
        () => builder(cache.keys, s.pattern)({{ ...s.params, [name]: value }}),
        (err: unknown) => err instanceof cache.CacheKeyError && err.message.endsWith(`got ${{shown}}`),
        shown,
      );
    }}
  }}
}});

test("TTLs stay within the pattern's bounds", () => {{
  for (const t of TTLS) {{
    if (t.base === null || t.max === null) {{
      assert.equal(cache.ttlSeconds(t.pattern, () => 0.5), null);
      continue;
    }}
    assert.equal(cache.ttlSeconds(t.pattern, () => 0), t.base, t.pattern);
    for (const unit of [0.25, 0.5, 0.999999, 1, -1, 7, Number.NaN]) {{
      const ttl = cache.ttlSeconds(t.pattern, () => unit);
      assert.ok(ttl !== null && ttl >= t.base && ttl <= t.max && Number.isInteger(ttl), `${{t.pattern}} ${{unit}} -> ${{ttl}}`);
    }}
    assert.equal(cache.ttlSeconds(t.pattern, () => 1), cache.ttlSeconds(t.pattern, () => 0.9999999999));
  }}
  assert.equal(cache.jitteredTtl(1000, 1000, null, 0.999999), 1100);
  assert.equal(cache.jitteredTtl(1000, 1000, null, 1), 1100);
  assert.equal(cache.jitteredTtl(1000, 1000, null, 0.5), 1050);
  assert.equal(cache.jitteredTtl(1000, 1000, 1020, 0.5), 1020);
  assert.equal(cache.jitteredTtl(1000, 1000, null, Number.NaN), 1000);
  assert.equal(cache.jitteredTtl(1000, 0, null, 0.9), 1000);
}});

test("plans delete the cascade closure, one slot per cluster command", () => {{
  for (const s of PLANS) {{
    const plan = planOf(s);
    assert.deepEqual(plan.flatMap((c) => c.keys).sort(), [...s.keys].sort(), `${{s.event}} ${{s.branch}}`);
    for (const command of plan) {{
      assert.ok(command.keys.length > 0);
      if (cache.STORES[command.store].cluster) {{
        const slots = new Set(command.keys.map(cache.keySlot));
        assert.equal(slots.size, 1, `CROSSSLOT in ${{JSON.stringify(command)}}`);
      }}
    }}
  }}
}});

test("runPlan sends each command to its store's client, in order, and stops at the first error", async () => {{
  const withKeys = PLANS.map(planOf).find((p) => p.length > 0) ?? [];
  const calls: [string, string[]][] = [];
  await cache.runPlan(withKeys, (store) => ({{
    unlink: async (keys: string[]) => {{
      calls.push([store, keys]);
      return keys.length;
    }},
  }}));
  assert.deepEqual(calls, withKeys.map((c) => [c.store, [...c.keys]]));
  let sent = 0;
  await assert.rejects(
    cache.runPlan([...withKeys, ...withKeys], () => ({{
      unlink: async () => {{
        sent++;
        throw new Error("boom");
      }},
    }})),
    /boom/,
  );
  assert.equal(sent, withKeys.length > 0 ? 1 : 0);
}});

test("keySlot follows the hash-tag rule on UTF-8 bytes", () => {{
  assert.equal(cache.keySlot("{{}}"), 15257);
  assert.equal(cache.keySlot("a{{}}b"), cache.keySlot("a{{}}b"));
  assert.equal(cache.keySlot("{{user1000}}.following"), cache.keySlot("user1000"));
  assert.equal(cache.keySlot("foo{{bar}}{{zap}}"), cache.keySlot("bar"));
  assert.equal(cache.keySlot("123456789"), 0x31c3 % 16384);
}});
"#
    );
    (text, refused)
}

#[test]
fn generated_modules_compile_strict_and_pass_node_tests() {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut refused_everywhere = BTreeSet::new();
    let mut tests = Vec::new();
    for (dir, report) in reports() {
        let policy = report.policy.as_ref().expect("model");
        let module = ts_file(&report);
        assert!(
            !module.contains("import "),
            "{dir}: the module has no imports"
        );
        if dir == "hostile" {
            assert!(
                module.contains("* / whole /* ${x}"),
                "the description reaches the docs"
            );
        }
        let (test, refused) = node_test_file(policy);
        refused_everywhere.extend(refused);
        files.push((format!("{dir}/cache.ts"), module));
        files.push((format!("{dir}/cache.test.ts"), test));
        tests.push(format!("out/{dir}/cache.test.js"));
    }
    for why in ["int", "token", "md5"] {
        assert!(
            refused_everywhere.contains(why),
            "no policy tests a bad {why}"
        );
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let project = ts_project(&refs);
    let (ok, diagnostics) = tsc(project.path());
    assert!(ok, "tsc failed:\n{diagnostics}");
    let tests: Vec<&str> = tests.iter().map(String::as_str).collect();
    let (ok, output) = node_test(project.path(), &tests, &[], Duration::from_secs(120));
    assert!(ok, "node --test failed:\n{output}");
    // Eight tests per policy, all run and passed.
    let expected = format!("pass {}", 8 * tests.len());
    assert!(
        output.contains(&expected) && output.contains("fail 0"),
        "{output}"
    );
}

/// Texts every placeholder type of the regex and ip fixtures is asked to
/// judge: built-in edge cases and the user-defined types' neighbours; the
/// ip text forms (stored and not) are `support::vectors::IP_TEXT_FORMS`.
const TEXTS: &[&str] = &[
    "",
    "0",
    "42",
    "007",
    "12a",
    "-1",
    "a",
    "A",
    "slug-1",
    "Tok_1-X",
    "ab:cd",
    "a{b",
    "a}b",
    "0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcde",
    "0123456789ABCDEF0123456789ABCDEF",
    "00000001-0000-4000-8000-000000000001",
    "00000001-0000-4000-8000-00000000000A",
    "ABC-1234",
    "ABC-123456",
    "ABC-1234567",
    "ABC-123",
    "abc-1234",
    "AB1",
    "ZZ9",
    "A1",
    "AB12",
    "eu",
    "us",
    "ap-xy",
    "ap-XY",
    "ap-",
    "eux",
    "é",
];

/// Address texts an `ip` builder takes, and what it must store (Rust's
/// parser and `to_canonical`, the generated Rust module's `ip_segment`).
const ADDRESSES: &[&str] = &[
    "192.0.2.1",
    "0.0.0.0",
    "255.255.255.255",
    "01.2.3.4",
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "::",
    "::1",
    "1::",
    "2001:DB8::1",
    "2001:db8:0:0:0:0:0:1",
    "2001:db8::0:1",
    "1:0:0:2::3",
    "1::2:0:0:0:3",
    "1:2:3:4:5:6:7::",
    "::ffff:1.2.3.4",
    "::FFFF:102:304",
    "::fffe:1.2.3.4",
    "::1.2.3.4",
    "1:2:3:4:5:6:1.2.3.4",
    "1:2:3:4:5:6:7:8:9",
    "1:::2",
    "12345::",
    "2001-db8--1",
    "fe80::1%eth0",
    "",
    " 1.2.3.4",
];

fn stored_ip(text: &str) -> Option<String> {
    let ip: std::net::IpAddr = text.parse().ok()?;
    Some(match ip.to_canonical() {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => v6.to_string().replace(':', "-"),
    })
}

/// A key of `pattern` (a data key, hash-tag braces as stored) with `text`
/// for `placeholder` and samples for the rest.
fn key_with(
    policy: &Policy,
    p: &cachegen::policy::model::KeyPattern,
    placeholder: &str,
    text: &str,
) -> String {
    let segments: Vec<Segment> = p
        .segments
        .iter()
        .map(|s| match s {
            Segment::Placeholder { name, .. } if name == placeholder => {
                Segment::Literal(text.into())
            }
            other => other.clone(),
        })
        .collect();
    expected_key(policy, &p.store, "", &segments, p.hash_tag)
}

#[test]
fn value_spaces_and_ip_text_agree_with_cachegen() {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut tests = Vec::new();
    for (dir, file) in [
        ("regex", "tests/fixtures/build-regex.yaml"),
        ("ip", "tests/fixtures/build-ip.yaml"),
    ] {
        let report = checked(&path(file));
        let policy = report.policy.as_ref().expect("model");
        let mut judged = String::new();
        let mut built = String::new();
        for (name, ty) in &policy.keys.placeholders {
            let Some(p) = policy
                .keys
                .patterns
                .values()
                .find(|p| placeholders(&p.segments).contains(&name))
            else {
                continue;
            };
            for text in TEXTS.iter().chain(support::vectors::IP_TEXT_FORMS) {
                let key = key_with(policy, p, name, text);
                let accepted =
                    cachegen::keys::type_accepts(ty, text) && !text.contains([':', '{', '}']);
                judged.push_str(&format!(
                    "  [{}, {}, {}, {accepted}],\n",
                    js(&p.name),
                    js(&key),
                    js(text)
                ));
            }
            if *ty == PlaceholderType::Ip {
                let others: Vec<String> = placeholders(&p.segments)
                    .into_iter()
                    .filter(|n| *n != name)
                    .map(|n| format!("{}: {}", js(n), sample(policy, n).0))
                    .collect();
                for address in ADDRESSES {
                    let expected = stored_ip(address)
                        .map_or("null".into(), |t| js(&key_with(policy, p, name, &t)));
                    let mut fields = others.clone();
                    fields.push(format!("{}: {}", js(name), js(address)));
                    built.push_str(&format!(
                        "  [{}, {{ {} }}, {expected}],\n",
                        js(&p.name),
                        fields.join(", ")
                    ));
                }
            }
        }
        let test = format!(
            r#"import {{ test }} from "node:test";
import assert from "node:assert/strict";
import * as cache from "./cache.js";

const JUDGED: readonly (readonly [string, string, string, boolean])[] = [
{judged}];
const BUILT: readonly (readonly [string, object, string | null])[] = [
{built}];

test("classify accepts exactly the values cachegen's types accept", () => {{
  for (const [pattern, key, text, accepted] of JUDGED) {{
    const found = cache.classify(key);
    assert.equal(found !== null && found.pattern === pattern, accepted, `${{pattern}} ${{JSON.stringify(text)}} (${{key}})`);
  }}
}});

test("ip builders store the address as the Rust module does", () => {{
  for (const [pattern, params, expected] of BUILT) {{
    const build = (cache.keys as unknown as {{ readonly [k: string]: (p: object) => string }})[pattern];
    assert.ok(build);
    if (expected === null) {{
      assert.throws(() => build(params), cache.CacheKeyError, JSON.stringify(params));
    }} else {{
      assert.equal(build(params), expected, JSON.stringify(params));
    }}
  }}
}});
"#
        );
        files.push((format!("{dir}/cache.ts"), ts_file(&report)));
        files.push((format!("{dir}/spaces.test.ts"), test));
        tests.push(format!("out/{dir}/spaces.test.js"));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let project = ts_project(&refs);
    let (ok, diagnostics) = tsc(project.path());
    assert!(ok, "tsc failed:\n{diagnostics}");
    let tests: Vec<&str> = tests.iter().map(String::as_str).collect();
    let (ok, output) = node_test(project.path(), &tests, &[], Duration::from_secs(120));
    assert!(
        ok && output.contains("pass 4") && output.contains("fail 0"),
        "node --test failed:\n{output}"
    );
}
