//! Owns reading a `policy.lock.json` back into the validated model, so that
//! `verify` can run where only the generated files are deployed.
//!
//! The lock is not validated by rules of its own. Its values are converted
//! into the policy file's (raw) JSON form and go through the same
//! `schema::validate` and `policy::lower` as a policy file, so every rule is
//! written once. The span index handed to `lower` maps each raw pointer to
//! where the lock holds that value (`/redis/maxmemory` →
//! `/redis/config/maxmemory`), so diagnostics of any later stage point into
//! the lock file. Values the lock derives from others (key shapes, tag
//! members, maximum TTLs, the cluster's `CONFIG GET` strings, the header) are
//! not read: the lock is rendered again from the model and compared, and a
//! value that differs is reported where it is.

use crate::FileReport;
use crate::MAX_DIAGNOSTICS_PER_FILE;
use crate::diag::{self, Diagnostic, Severity, codes};
use crate::load::{self, NodeKind, SpanIndex, escape_pointer_token as esc};
use crate::policy::lower;
use crate::policy::model::Provenance;
use crate::render::Origin;
use crate::render::lock::{LOCK_FORMAT, LOCK_VERSION, lock_value};
use crate::schema::{did_you_mean, display_pointer};
use crate::source::{SourceFile, Span};
use serde_json::{Map, Value};

const REBUILD: &str =
    "`cachegen build` writes this file; rebuild it from the policy rather than editing it";

/// Reads a policy.lock.json into the validated model. Never panics; every
/// problem is a Diagnostic with a span in the lock file.
///
/// `unreadable` is set when the file is not a lock this cachegen can read at
/// all (not JSON, another format, a newer version); problems inside a lock
/// are ordinary error diagnostics. As with `check_bytes`, a model may come
/// back together with errors: callers use it only when there are none.
pub fn check_lock(name: &str, bytes: &[u8]) -> FileReport {
    let source = match load::decode(name, bytes) {
        Ok(source) => source,
        Err(failed) => {
            let (source, diag) = *failed;
            return finish(source, vec![diag], true, None);
        }
    };
    let loaded = load::parse(&source);
    let mut diagnostics = loaded.diagnostics;
    let Some(root) = loaded.root else {
        if diagnostics.is_empty() {
            diagnostics.push(
                Diagnostic::new(codes::SCHEMA, "the lock file is empty")
                    .with_span(Span::new(0, 0), "no JSON object")
                    .with_help(REBUILD),
            );
        }
        return finish(source, diagnostics, true, None);
    };
    // The YAML loader gives every node a span, and JSON is YAML; but so is
    // much that is not JSON, and a lock is always one JSON object.
    let text = source.text();
    let first = text.len() - text.trim_start().len();
    if !text[first..].starts_with('{') || !matches!(root.kind, NodeKind::Map(_)) {
        let width = text[first..].chars().next().map_or(0, char::len_utf8);
        diagnostics.push(
            Diagnostic::new(
                codes::SCHEMA,
                "not a policy lock: a policy.lock.json is one JSON object",
            )
            .with_span(Span::new(first, first + width), "expected `{`")
            .with_help(REBUILD),
        );
        return finish(source, diagnostics, true, None);
    }
    let (json, spans) = load::to_json(&root);
    drop(root);
    if let Err(d) = check_header(&json, &spans) {
        diagnostics.push(*d);
        return finish(source, diagnostics, true, None);
    }

    let mut reader = Reader {
        spans: &spans,
        diags: Vec::new(),
        links: Vec::new(),
        unwritten: Vec::new(),
    };
    let converted = reader.lock(&json);
    diagnostics.extend(std::mem::take(&mut reader.diags));
    // A lock with a part missing or mistyped stops here: lowering the rest
    // would only add follow-on errors, worded for the policy file.
    let converted = converted.filter(|_| !has_errors(&diagnostics));
    let Some((raw, provenance)) = converted else {
        return finish(source, diagnostics, false, None);
    };
    let index = reader.index();

    let (schema_diags, unknown) = crate::schema::validate(&raw, &index);
    diagnostics.extend(schema_diags);
    let lowered = lower::lower(&source, "policy", raw, &unknown, index);
    diagnostics.extend(lowered.diagnostics);
    let mut policy = lowered.policy;
    if let Some(policy) = &mut policy {
        policy.provenance = Some(provenance);
        if !has_errors(&diagnostics) {
            // Everything the lock derives must be what the model derives.
            let origin = Origin::new(policy, source.name(), source.text());
            let expected = lock_value(policy, &origin);
            let mut diff = Diff {
                spans: &spans,
                diags: Vec::new(),
            };
            diff.compare(&expected, &json, "");
            diagnostics.extend(diff.diags);
        }
    }
    finish(source, diagnostics, false, policy)
}

fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}

/// Sorts and caps the diagnostics as `check` does.
fn finish(
    source: SourceFile,
    mut diagnostics: Vec<Diagnostic>,
    unreadable: bool,
    policy: Option<crate::policy::model::Policy>,
) -> FileReport {
    diag::sort(&mut diagnostics);
    if diagnostics.len() > MAX_DIAGNOSTICS_PER_FILE {
        let hidden = diagnostics.len() - MAX_DIAGNOSTICS_PER_FILE;
        diagnostics.truncate(MAX_DIAGNOSTICS_PER_FILE);
        diagnostics.push(Diagnostic::new(
            codes::INPUT_LIMIT,
            format!("{hidden} more problems not shown; cachegen reports at most {MAX_DIAGNOSTICS_PER_FILE} per file"),
        ));
    }
    FileReport {
        source,
        diagnostics,
        unreadable,
        policy,
    }
}

fn value_span(spans: &SpanIndex, pointer: &str) -> Span {
    spans.value(pointer).unwrap_or_default()
}

/// Where to report something missing from the object at `pointer`: the key
/// that names it, or its opening `{` (not the whole object, which may be
/// the whole file).
fn opening_span(spans: &SpanIndex, pointer: &str) -> Span {
    spans.key(pointer).unwrap_or_else(|| {
        let whole = value_span(spans, pointer);
        Span::new(whole.start, (whole.start + 1).min(whole.end))
    })
}

/// `format` and `version` first: nothing else means anything in a file of
/// another format or a newer version.
fn check_header(json: &Value, spans: &SpanIndex) -> Result<(), Box<Diagnostic>> {
    let fail = |message: String, pointer: &str, label: &str, help: String| {
        let span = if pointer.is_empty() {
            opening_span(spans, pointer)
        } else {
            value_span(spans, pointer)
        };
        Err(Box::new(
            Diagnostic::new(codes::SCHEMA, message)
                .with_span(span, label)
                .with_help(help),
        ))
    };
    let expected_help = format!(
        "a policy lock starts with `\"format\": \"{LOCK_FORMAT}\"`; `cachegen build` writes one as generated/<policy>/policy.lock.json"
    );
    match json.get("format") {
        Some(Value::String(f)) if f == LOCK_FORMAT => {}
        Some(other) => {
            return fail(
                format!("not a policy lock: `format` is {}", short(other)),
                "/format",
                "unknown format",
                expected_help,
            );
        }
        None => {
            return fail(
                "not a policy lock: no `format` field".into(),
                "",
                "no `format`",
                expected_help,
            );
        }
    }
    match json.get("version").map(|v| (v, v.as_u64())) {
        Some((_, Some(v))) if v == u64::from(LOCK_VERSION) => Ok(()),
        Some((_, Some(v))) if v > u64::from(LOCK_VERSION) => fail(
            format!(
                "this lock is format version {v}, written by a newer cachegen; this one reads version {LOCK_VERSION}"
            ),
            "/version",
            "newer format",
            "run the cachegen that built it, or rebuild the lock with this one".into(),
        ),
        Some((other, _)) => fail(
            format!("unknown lock format version {}", short(other)),
            "/version",
            "unknown version",
            format!("this cachegen reads lock format version {LOCK_VERSION}"),
        ),
        None => fail(
            "the lock has no `version` field".into(),
            "",
            "no `version`",
            format!("this cachegen reads lock format version {LOCK_VERSION}"),
        ),
    }
}

/// A JSON value for a message: compact, and cut short.
fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// How one lock field becomes its policy-file form.
#[derive(Clone, Copy)]
enum Kind {
    Str,
    Bool,
    /// A non-negative integer, copied.
    Uint,
    /// A non-negative integer of seconds, milliseconds or microseconds, which
    /// the policy file writes as a duration (`300` → `300s`).
    Secs,
    Millis,
    Micros,
    /// Seconds that may have up to six decimals (`1.5` → `1500000us`):
    /// staleness limits and in-process TTLs, which may be finer than a second.
    ExactSecs,
    /// A number of percent (`99.9` → `99.9%`).
    Percent,
    /// A list of strings.
    Strs,
    /// Name → string.
    StrMap,
    /// Name → list of strings.
    ListMap,
    /// Name → seconds.
    SecsMap,
    Object(&'static [Field]),
    /// Entries named by the user, each an object of these fields.
    Entries(&'static [Field]),
    /// Read by hand (it needs other values), or derived and compared after
    /// lowering. Only its presence is checked here.
    Manual,
}

/// A field of a lock object: its name there, its path in the policy file
/// (relative, `/`-separated; empty when it has none), its kind, and whether
/// the lock writes `null` for "not set".
#[derive(Clone, Copy)]
struct Field {
    lock: &'static str,
    raw: &'static str,
    kind: Kind,
    nullable: bool,
}

const fn f(lock: &'static str, raw: &'static str, kind: Kind) -> Field {
    Field {
        lock,
        raw,
        kind,
        nullable: false,
    }
}

const fn opt(lock: &'static str, raw: &'static str, kind: Kind) -> Field {
    Field {
        lock,
        raw,
        kind,
        nullable: true,
    }
}

use Kind::*;

// The lock's layout, as `render::lock::lock_value` writes it.

const ROOT: &[Field] = &[
    f("format", "", Manual),
    f("version", "", Manual),
    f("generated_by", "", Manual),
    f("policy", "", Manual),
    f("ttl", "ttl", Object(TTL)),
    f("keys", "keys", Object(KEYS)),
    f("tags", "tags", Entries(TAG)),
    f("invalidation", "invalidation", Object(INVALIDATION)),
    opt("edge", "edge", Object(EDGE)),
    f("redis", "redis", Object(REDIS)),
    opt("cluster", "cluster", Object(CLUSTER)),
    opt("client", "client", Object(CLIENT)),
    opt("targets", "targets", Object(TARGETS)),
    f("warming", "warming/tasks", Entries(WARM_TASK)),
    f("lint", "lint", Object(LINT)),
];
const POLICY: &[&str] = &["name", "source", "sha256"];
const TTL: &[Field] = &[
    f("default_secs", "default", Secs),
    f("jitter_percent", "jitter", Percent),
    opt("authenticated_cap_secs", "authenticated_cap", Secs),
    f("classes", "classes", SecsMap),
    opt("max_staleness_secs", "max_staleness", ExactSecs),
];
const KEYS: &[Field] = &[
    opt("version_prefix", "version_prefix", Str),
    f("previous_prefixes", "previous_prefixes", Strs),
    opt("max_value_size_bytes", "max_value_size", Uint),
    f("placeholders", "placeholders", StrMap),
    f("patterns", "patterns", Entries(PATTERN)),
];
const PATTERN: &[Field] = &[
    f("pattern", "pattern", Str),
    opt("description", "description", Str),
    f("key", "", Manual),
    f("placeholders", "", Manual),
    opt("hash_tag", "hash_tag", Str),
    f("type", "type", Str),
    f("strategy", "strategy", Str),
    f("ttl", "", Manual),
    f("ttl_class", "", Manual),
    f("ttl_from_default", "", Manual),
    f("jitter_percent", "jitter", Percent),
    f("authenticated", "authenticated", Bool),
    f("durable", "durable", Bool),
    opt("queue", "queue", Str),
    opt(
        "refresh_when_remaining_percent",
        "refresh_when_remaining",
        Percent,
    ),
    f("tags", "tags", Strs),
    opt("compress_above_bytes", "compress_above", Uint),
    opt("stampede_lock", "stampede_lock", Object(STAMPEDE_LOCK)),
    opt("app_ttl_secs", "app_ttl", ExactSecs),
    opt("max_staleness_secs", "max_staleness", ExactSecs),
    opt("cardinality", "cardinality", Uint),
    opt("value_size_bytes", "value_size", Uint),
];
const STAMPEDE_LOCK: &[Field] = &[f("prefix", "prefix", Str), f("ttl_secs", "ttl", Secs)];
const TAG: &[Field] = &[
    f("key", "", Manual),
    f("ttl", "", Manual),
    f("members", "", Manual),
];
const TTL_VALUE: &[&str] = &["base_secs", "max_secs"];
const INVALIDATION: &[Field] = &[
    f("cascade", "cascade", ListMap),
    f("events", "events", Entries(EVENT)),
];
const EVENT: &[Field] = &[
    f("params", "params", Strs),
    f("invalidate", "invalidate", Strs),
    f("invalidate_tags", "invalidate_tags", Strs),
    f("when_changed", "when_changed", ListMap),
];
const EDGE: &[Field] = &[
    f("provider", "provider", Str),
    opt("zone", "zone", Str),
    f("routes", "routes", Entries(ROUTE)),
];
const ROUTE: &[Field] = &[
    opt("path", "path", Str),
    f("extensions", "extensions", Strs),
    f("cache", "cache", Str),
    opt("edge_ttl_secs", "edge_ttl", Secs),
    opt("browser_ttl_secs", "browser_ttl", Secs),
    opt(
        "stale_while_revalidate_secs",
        "stale_while_revalidate",
        Secs,
    ),
    opt("stale_if_error_secs", "stale_if_error", Secs),
    f("vary", "vary", Strs),
    f("authenticated", "authenticated", Bool),
    f("visibility", "", Manual),
    f("immutable", "immutable", Bool),
    f("headers", "headers", StrMap),
    f("serves", "serves", Strs),
    opt("max_staleness_secs", "max_staleness", ExactSecs),
];
const REDIS: &[Field] = &[
    f("version", "version", Str),
    f("config", "", Manual),
    opt("cores", "threads/cores", Uint),
];
const CLUSTER: &[Field] = &[
    f("masters", "masters", Uint),
    f("replicas_per_master", "replicas_per_master", Uint),
    f("node_timeout_ms", "node_timeout", Millis),
    opt("require_full_coverage", "require_full_coverage", Bool),
    opt("kubernetes", "kubernetes", Object(KUBERNETES)),
];
const KUBERNETES: &[Field] = &[
    f("namespace", "namespace", Str),
    f("name", "name", Str),
    f("image", "image", Str),
    f("memory_limit", "memory_limit", Str),
    opt("cpu", "cpu", Str),
    f("storage", "storage", Str),
    opt("storage_class", "storage_class", Str),
];
const CLIENT: &[Field] = &[
    opt("max_retries_per_request", "max_retries_per_request", Uint),
    opt("retry_backoff", "retry_backoff", Object(BACKOFF)),
    opt(
        "cluster_retry_backoff",
        "cluster_retry_backoff",
        Object(BACKOFF),
    ),
    opt("connect_timeout_ms", "connect_timeout", Millis),
    opt("command_timeout_ms", "command_timeout", Millis),
    opt("keepalive_ms", "keepalive", Millis),
    opt("offline_queue", "offline_queue", Bool),
    opt("ready_check", "ready_check", Bool),
    f("reconnect_on_errors", "reconnect_on_errors", Strs),
];
const BACKOFF: &[Field] = &[f("step_ms", "step", Millis), f("max_ms", "max", Millis)];
const TARGETS: &[Field] = &[
    opt("overall_hit_ratio_percent", "overall_hit_ratio", Percent),
    opt("cdn_hit_ratio_percent", "cdn_hit_ratio", Percent),
    opt("redis_hit_ratio_percent", "redis_hit_ratio", Percent),
    opt("cached_latency_us", "cached_latency", Micros),
    opt("availability_percent", "availability", Percent),
];
const WARM_TASK: &[Field] = &[
    f("keys", "keys", Strs),
    f("on_startup", "on_startup", Bool),
    opt("schedule", "schedule", Str),
    opt("limit", "limit", Uint),
    opt("description", "description", Str),
];
const LINT: &[Field] = &[
    f("allow", "allow", Strs),
    f("warn", "warn", Strs),
    f("deny", "deny", Strs),
];

/// How a `CONFIG GET` string under `redis.config` becomes a policy field.
#[derive(Clone, Copy, PartialEq)]
enum Directive {
    /// A whole number, copied (`maxmemory` in bytes, `maxclients`).
    Number,
    /// A name the schema checks (`maxmemory-policy`, `appendfsync`).
    Name,
    YesNo,
    /// `save`: `<seconds> <changes>` pairs, or empty for none.
    Save,
    Secs,
    Micros,
    /// Derived from the `cluster` section; compared after lowering.
    FromCluster,
}

/// Every directive `redis_directives::managed_directives` can write, with
/// its policy field (the `Directive::field` of that table, as a path under
/// `redis`). `tests/lock_roundtrip.rs` reads back a policy that sets all of them.
const DIRECTIVES: &[(&str, &str, Directive)] = &[
    ("maxmemory", "maxmemory", Directive::Number),
    ("maxmemory-policy", "maxmemory_policy", Directive::Name),
    ("maxmemory-samples", "maxmemory_samples", Directive::Number),
    ("save", "persistence/save", Directive::Save),
    ("appendonly", "persistence/appendonly", Directive::YesNo),
    ("appendfsync", "persistence/appendfsync", Directive::Name),
    ("tcp-backlog", "network/tcp_backlog", Directive::Number),
    ("timeout", "network/timeout", Directive::Secs),
    ("tcp-keepalive", "network/tcp_keepalive", Directive::Secs),
    (
        "slowlog-log-slower-than",
        "slowlog/log_slower_than",
        Directive::Micros,
    ),
    ("slowlog-max-len", "slowlog/max_len", Directive::Number),
    ("maxclients", "maxclients", Directive::Number),
    ("io-threads", "threads/io_threads", Directive::Number),
    (
        "io-threads-do-reads",
        "threads/io_threads_do_reads",
        Directive::YesNo,
    ),
    (
        "lazyfree-lazy-eviction",
        "lazyfree/lazy_eviction",
        Directive::YesNo,
    ),
    (
        "lazyfree-lazy-expire",
        "lazyfree/lazy_expire",
        Directive::YesNo,
    ),
    (
        "lazyfree-lazy-server-del",
        "lazyfree/lazy_server_del",
        Directive::YesNo,
    ),
    (
        "lazyfree-lazy-user-del",
        "lazyfree/lazy_user_del",
        Directive::YesNo,
    ),
    (
        "replica-lazy-flush",
        "replication/replica_lazy_flush",
        Directive::YesNo,
    ),
    (
        "replica-read-only",
        "replication/replica_read_only",
        Directive::YesNo,
    ),
    ("cluster-enabled", "", Directive::FromCluster),
    ("cluster-config-file", "", Directive::FromCluster),
    ("cluster-node-timeout", "", Directive::FromCluster),
    ("cluster-require-full-coverage", "", Directive::FromCluster),
];

/// Directives every lock has: the policy requires them, or the renderer
/// always writes them.
const REQUIRED_DIRECTIVES: &[&str] = &["maxmemory", "maxmemory-policy", "save", "appendonly"];

/// Converts the lock into the policy file's JSON form, checking its shape
/// on the way, and records which raw pointer came from which lock pointer.
struct Reader<'a> {
    spans: &'a SpanIndex,
    diags: Vec<Diagnostic>,
    /// (raw pointer, lock pointer).
    links: Vec<(String, String)>,
    /// The same, for raw fields the policy file did not write (a pattern's
    /// TTL from `ttl.default`): located in the lock, but without a key, so
    /// `Policy::written_span` says they are not written.
    unwritten: Vec<(String, String)>,
}

impl Reader<'_> {
    fn span(&self, lock: &str) -> Span {
        value_span(self.spans, lock)
    }

    fn key_span(&self, lock: &str) -> Span {
        self.spans
            .key(lock)
            .unwrap_or_else(|| value_span(self.spans, lock))
    }

    fn link(&mut self, raw: &str, lock: &str) {
        self.links.push((raw.to_owned(), lock.to_owned()));
    }

    /// The span index `lower` and `schema` read: raw pointers, lock spans.
    fn index(&self) -> SpanIndex {
        let mut index = SpanIndex::default();
        for (raw, lock) in &self.links {
            if let Some((value, key)) = self.spans.entry(lock) {
                index.insert(raw.clone(), value, key);
            }
        }
        for (raw, lock) in &self.unwritten {
            if let Some((value, _)) = self.spans.entry(lock) {
                index.insert(raw.clone(), value, None);
            }
        }
        index
    }

    fn wrong_type(&mut self, v: &Value, lock: &str, expected: &str) {
        self.diags.push(
            Diagnostic::new(
                codes::SCHEMA,
                format!(
                    "`{}` must be {expected}, not {}",
                    display_pointer(lock),
                    type_name(v)
                ),
            )
            .with_span(self.span(lock), format!("expected {expected}"))
            .with_help(REBUILD),
        );
    }

    fn missing(&mut self, lock: &str, field: &str) {
        let message = if lock.is_empty() {
            format!("the lock has no `{field}`")
        } else {
            format!("`{}` has no `{field}`", display_pointer(lock))
        };
        self.diags.push(
            Diagnostic::new(codes::SCHEMA, message)
                .with_span(opening_span(self.spans, lock), format!("`{field}` missing"))
                .with_help(REBUILD),
        );
    }

    fn unknown(&mut self, lock: &str, field: &str, known: &[&str]) {
        let place = if lock.is_empty() {
            "at the top level".to_owned()
        } else {
            format!("in `{}`", display_pointer(lock))
        };
        let mut d = Diagnostic::new(
            codes::UNKNOWN_FIELD,
            format!("unknown field `{}` {place}", field.escape_debug()),
        )
        .with_span(
            self.key_span(&format!("{lock}/{}", esc(field))),
            "not a lock field",
        );
        d = match did_you_mean(field, known) {
            Some(best) => d.with_help(format!("did you mean `{best}`?")),
            None => d.with_help(REBUILD),
        };
        self.diags.push(d);
    }

    /// The object at `lock`, with exactly the fields named in `known`.
    fn fields<'v>(
        &mut self,
        v: &'v Value,
        lock: &str,
        known: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = v else {
            self.wrong_type(v, lock, "an object");
            return None;
        };
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                self.unknown(lock, key, known);
            }
        }
        for field in known {
            if !map.contains_key(*field) {
                self.missing(lock, field);
            }
        }
        Some(map)
    }

    /// Checks the object at `lock` against `fields` and returns its raw form,
    /// linking every raw pointer under `raw` to its place under `lock`.
    fn object(
        &mut self,
        v: &Value,
        lock: &str,
        raw: &str,
        fields: &[Field],
    ) -> Option<Map<String, Value>> {
        let known: Vec<&str> = fields.iter().map(|f| f.lock).collect();
        let map = self.fields(v, lock, &known)?;
        self.link(raw, lock);
        let mut out = Map::new();
        for field in fields {
            let Some(value) = map.get(field.lock) else {
                continue; // reported by `fields`
            };
            let lock_ptr = format!("{lock}/{}", esc(field.lock));
            if matches!(field.kind, Manual) || field.raw.is_empty() {
                continue;
            }
            if value.is_null() {
                if !field.nullable {
                    self.wrong_type(value, &lock_ptr, "a value");
                }
                continue;
            }
            let raw_ptr = format!("{raw}/{}", field.raw);
            if let Some(converted) = self.convert(value, &lock_ptr, &raw_ptr, field.kind) {
                // A path (`warming/tasks`) nests: link each level to the field.
                let mut prefix = raw.to_owned();
                let parts: Vec<&str> = field.raw.split('/').collect();
                for part in &parts[..parts.len() - 1] {
                    prefix = format!("{prefix}/{part}");
                    self.link(&prefix, &lock_ptr);
                }
                insert_path(&mut out, &parts, converted);
            }
        }
        Some(out)
    }

    /// One value in its raw form, or `None` after reporting why not.
    fn convert(&mut self, v: &Value, lock: &str, raw: &str, kind: Kind) -> Option<Value> {
        let converted = match kind {
            Str => v.as_str().map(|_| v.clone()),
            Bool => v.as_bool().map(|_| v.clone()),
            Uint => v.as_u64().map(Value::from),
            Secs => v.as_u64().map(|n| Value::from(format!("{n}s"))),
            Millis => v.as_u64().map(|n| Value::from(format!("{n}ms"))),
            Micros => v.as_u64().map(|n| Value::from(format!("{n}us"))),
            ExactSecs => match v {
                Value::Number(n) => match n.as_u64() {
                    Some(secs) => Some(Value::from(format!("{secs}s"))),
                    None => decimal_secs_as_micros(&n.to_string())
                        .map(|us| Value::from(format!("{us}us"))),
                },
                _ => None,
            },
            Percent => match v {
                Value::Number(n) => Some(Value::from(format!("{n}%"))),
                _ => None,
            },
            Strs => return self.list(v, lock, raw),
            StrMap | ListMap | SecsMap => return self.map(v, lock, raw, kind),
            Object(fields) => return self.object(v, lock, raw, fields).map(Value::Object),
            Entries(fields) => {
                let Value::Object(entries) = v else {
                    self.wrong_type(v, lock, "an object");
                    return None;
                };
                self.link(raw, lock);
                let mut out = Map::new();
                for (name, entry) in entries {
                    let token = esc(name);
                    let converted = self.object(
                        entry,
                        &format!("{lock}/{token}"),
                        &format!("{raw}/{token}"),
                        fields,
                    );
                    if let Some(converted) = converted {
                        out.insert(name.clone(), Value::Object(converted));
                    }
                }
                return Some(Value::Object(out));
            }
            Manual => return None,
        };
        if converted.is_none() {
            let expected = match kind {
                Str => "a string",
                Bool => "`true` or `false`",
                Percent => "a number (percent)",
                ExactSecs => "a number of seconds, at least 0, with at most six decimals",
                _ => "a whole number, at least 0",
            };
            self.wrong_type(v, lock, expected);
        } else {
            self.link(raw, lock);
        }
        converted
    }

    fn list(&mut self, v: &Value, lock: &str, raw: &str) -> Option<Value> {
        let Value::Array(items) = v else {
            self.wrong_type(v, lock, "a list of strings");
            return None;
        };
        self.link(raw, lock);
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let (lock_item, raw_item) = (format!("{lock}/{i}"), format!("{raw}/{i}"));
            if item.is_string() {
                self.link(&raw_item, &lock_item);
            } else {
                self.wrong_type(item, &lock_item, "a string");
                ok = false;
            }
        }
        ok.then(|| v.clone())
    }

    fn map(&mut self, v: &Value, lock: &str, raw: &str, kind: Kind) -> Option<Value> {
        let Value::Object(entries) = v else {
            self.wrong_type(v, lock, "an object");
            return None;
        };
        self.link(raw, lock);
        let mut out = Map::new();
        for (name, value) in entries {
            let token = esc(name);
            let (lock_entry, raw_entry) = (format!("{lock}/{token}"), format!("{raw}/{token}"));
            let converted = match kind {
                ListMap => self.list(value, &lock_entry, &raw_entry),
                SecsMap => self.convert(value, &lock_entry, &raw_entry, Secs),
                _ => self.convert(value, &lock_entry, &raw_entry, Str),
            };
            if let Some(converted) = converted {
                out.insert(name.clone(), converted);
            }
        }
        Some(Value::Object(out))
    }

    /// The whole lock in raw form, and where its policy came from.
    fn lock(&mut self, json: &Value) -> Option<(Value, Provenance)> {
        let mut raw = self.object(json, "", "", ROOT)?;
        // The policy file format's version, not the lock's.
        raw.insert("version".into(), Value::from(1));
        self.link("/version", "/version");
        let provenance = json
            .get("policy")
            .and_then(|p| self.policy_block(p, &mut raw));
        self.pattern_ttls(json, &mut raw);
        self.tags(json, &mut raw);
        self.route_visibility(json, &mut raw);
        if let (Some(lock_redis), Some(Value::Object(raw_redis))) =
            (json.get("redis"), raw.get_mut("redis"))
        {
            self.redis_config(lock_redis, raw_redis);
        }
        Some((Value::Object(raw), provenance?))
    }

    fn policy_block(&mut self, v: &Value, raw: &mut Map<String, Value>) -> Option<Provenance> {
        let map = self.fields(v, "/policy", POLICY)?;
        let mut string = |field: &str| match map.get(field) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.wrong_type(other, &format!("/policy/{field}"), "a string");
                None
            }
            None => None,
        };
        let (name, file_name, sha256) = (string("name"), string("source"), string("sha256"));
        if let Some(name) = name {
            raw.insert("name".into(), Value::String(name));
            self.link("/name", "/policy/name");
        }
        // Both reach the header of every file rebuilt from this lock, as
        // comments: a line break would end the comment and inject a line.
        let file_name = file_name.filter(|n| {
            let ok = !n.is_empty()
                && n.len() <= 255
                && !n.contains(['/', '\\'])
                && !n.chars().any(is_unsafe_in_comment);
            if !ok {
                self.invalid(
                    "/policy/source",
                    format!("`{}` is not a policy file name", n.escape_debug()),
                    "invalid file name",
                );
            }
            ok
        });
        let sha256 = sha256.filter(|h| {
            let ok = h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !ok {
                self.invalid(
                    "/policy/sha256",
                    format!("`{}` is not a sha256 in lowercase hex", h.escape_debug()),
                    "invalid hash",
                );
            }
            ok
        });
        Some(Provenance {
            file_name: file_name?,
            sha256: sha256?,
        })
    }

    fn invalid(&mut self, lock: &str, message: String, label: &str) {
        self.diags.push(
            Diagnostic::new(codes::INVALID_SYNTAX, message)
                .with_span(self.span(lock), label)
                .with_help(REBUILD),
        );
    }

    /// `base_secs` of a `{ "base_secs", "max_secs" }` TTL; the maximum is
    /// derived and compared after lowering.
    fn ttl_base(&mut self, v: &Value, lock: &str) -> Option<u64> {
        let map = self.fields(v, lock, TTL_VALUE)?;
        let base = map.get("base_secs")?;
        let secs = base.as_u64();
        if secs.is_none() {
            self.wrong_type(
                base,
                &format!("{lock}/base_secs"),
                "a whole number, at least 0",
            );
        }
        secs
    }

    /// A pattern's `ttl` in the policy file: none when it is `ttl.default`
    /// (so the model knows the pattern names no TTL), else its class if it
    /// has one (so the model keeps `ttl_class`), its base in seconds, or `none`.
    fn pattern_ttls(&mut self, json: &Value, raw: &mut Map<String, Value>) {
        let Some(Value::Object(patterns)) = json.pointer("/keys/patterns") else {
            return;
        };
        for (name, pattern) in patterns {
            let lock = format!("/keys/patterns/{}", esc(name));
            let Some(target) = raw
                .get_mut("keys")
                .and_then(|k| k.get_mut("patterns"))
                .and_then(|p| p.get_mut(name))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let class = match pattern.get("ttl_class") {
                Some(Value::String(class)) => Some(class.clone()),
                Some(Value::Null) | None => None,
                Some(other) => {
                    self.wrong_type(other, &format!("{lock}/ttl_class"), "a string or null");
                    continue;
                }
            };
            match pattern.get("ttl_from_default") {
                Some(Value::Bool(true)) => {
                    self.unwritten
                        .push((format!("{lock}/ttl"), format!("{lock}/ttl")));
                    continue;
                }
                Some(Value::Bool(false)) | None => {}
                Some(other) => {
                    self.wrong_type(
                        other,
                        &format!("{lock}/ttl_from_default"),
                        "`true` or `false`",
                    );
                    continue;
                }
            }
            let (text, from) = match pattern.get("ttl") {
                None => continue,
                Some(Value::Null) => ("none".to_owned(), format!("{lock}/ttl")),
                Some(ttl) => {
                    let Some(base) = self.ttl_base(ttl, &format!("{lock}/ttl")) else {
                        continue;
                    };
                    match class {
                        Some(class) => (class, format!("{lock}/ttl_class")),
                        None => (format!("{base}s"), format!("{lock}/ttl/base_secs")),
                    }
                }
            };
            target.insert("ttl".into(), Value::String(text));
            self.link(&format!("{lock}/ttl"), &from);
        }
    }

    /// Tags: the set key without the version prefix, the TTL, and members
    /// that name patterns of this lock.
    fn tags(&mut self, json: &Value, raw: &mut Map<String, Value>) {
        let Some(Value::Object(tags)) = json.get("tags") else {
            return;
        };
        let prefix = json.pointer("/keys/version_prefix").and_then(Value::as_str);
        let patterns = json.pointer("/keys/patterns").and_then(Value::as_object);
        for (name, tag) in tags {
            let lock = format!("/tags/{}", esc(name));
            let Some(target) = raw
                .get_mut("tags")
                .and_then(|t| t.get_mut(name))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            match tag.get("key") {
                Some(Value::String(key)) => {
                    let bare = match prefix {
                        Some(p) => key.strip_prefix(p).and_then(|k| k.strip_prefix(':')),
                        None => Some(key.as_str()),
                    };
                    match bare {
                        Some(bare) => {
                            target.insert("key".into(), Value::from(bare));
                            self.link(&format!("{lock}/key"), &format!("{lock}/key"));
                        }
                        None => self.diags.push(
                            Diagnostic::new(
                                codes::INCONSISTENT,
                                format!(
                                    "tag set key `{}` does not start with the version prefix `{}:`",
                                    key.escape_debug(),
                                    prefix.unwrap_or_default().escape_debug()
                                ),
                            )
                            .with_span(self.span(&format!("{lock}/key")), "no version prefix")
                            .with_help(REBUILD),
                        ),
                    }
                }
                Some(other) => self.wrong_type(other, &format!("{lock}/key"), "a string"),
                None => {}
            }
            match tag.get("ttl") {
                Some(Value::Null) => {
                    target.insert("ttl".into(), Value::from("none"));
                    self.link(&format!("{lock}/ttl"), &format!("{lock}/ttl"));
                }
                Some(ttl) => {
                    if let Some(base) = self.ttl_base(ttl, &format!("{lock}/ttl")) {
                        target.insert("ttl".into(), Value::from(format!("{base}s")));
                        self.link(&format!("{lock}/ttl"), &format!("{lock}/ttl/base_secs"));
                    }
                }
                None => {}
            }
            // Members are derived from the patterns' `tags`, and compared
            // after lowering; a name that is no pattern at all is worth its
            // own message.
            match tag.get("members") {
                Some(Value::Array(members)) => {
                    for (i, member) in members.iter().enumerate() {
                        let at = format!("{lock}/members/{i}");
                        match member.as_str() {
                            Some(m) if patterns.is_some_and(|p| p.contains_key(m)) => {}
                            Some(m) => {
                                let mut names: Vec<&str> = patterns
                                    .map(|p| p.keys().map(String::as_str).collect())
                                    .unwrap_or_default();
                                names.sort_unstable();
                                let mut d = Diagnostic::new(
                                    codes::UNRESOLVED_REFERENCE,
                                    format!("tag `{}` lists member `{}`, but the lock has no key pattern of that name", name.escape_debug(), m.escape_debug()),
                                )
                                .with_span(self.span(&at), "unknown key pattern");
                                d = match did_you_mean(m, &names) {
                                    Some(best) => d.with_help(format!("did you mean `{best}`?")),
                                    None => d.with_help(REBUILD),
                                };
                                self.diags.push(d);
                            }
                            None => self.wrong_type(member, &at, "a string"),
                        }
                    }
                }
                Some(other) => {
                    self.wrong_type(other, &format!("{lock}/members"), "a list of strings")
                }
                None => {}
            }
        }
    }

    /// The lock has the effective visibility; the policy file says it only
    /// when it is not the default (private for authenticated routes).
    fn route_visibility(&mut self, json: &Value, raw: &mut Map<String, Value>) {
        let Some(Value::Object(routes)) = json.pointer("/edge/routes") else {
            return;
        };
        for (name, route) in routes {
            let lock = format!("/edge/routes/{}/visibility", esc(name));
            let Some(target) = raw
                .get_mut("edge")
                .and_then(|e| e.get_mut("routes"))
                .and_then(|r| r.get_mut(name))
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            let default = match route.get("authenticated") {
                Some(Value::Bool(true)) => "private",
                _ => "public",
            };
            match route.get("visibility") {
                Some(Value::String(v)) if v == default => {}
                Some(v @ Value::String(_)) => {
                    target.insert("visibility".into(), v.clone());
                    let raw_ptr = format!("/edge/routes/{}/visibility", esc(name));
                    self.link(&raw_ptr, &lock);
                }
                Some(other) => self.wrong_type(other, &lock, "a string"),
                None => {}
            }
        }
    }

    /// `redis.config`: the `CONFIG GET` strings, read back into the policy
    /// fields they were rendered from.
    fn redis_config(&mut self, lock_redis: &Value, raw: &mut Map<String, Value>) {
        let Some(config) = lock_redis.get("config") else {
            return;
        };
        let Value::Object(config) = config else {
            self.wrong_type(config, "/redis/config", "an object");
            return;
        };
        for required in REQUIRED_DIRECTIVES {
            if !config.contains_key(*required) {
                self.missing("/redis/config", required);
            }
        }
        let names: Vec<&str> = DIRECTIVES.iter().map(|d| d.0).collect();
        for (name, value) in config {
            let lock = format!("/redis/config/{}", esc(name));
            let Some(&(_, path, kind)) = DIRECTIVES.iter().find(|d| d.0 == name) else {
                let mut d = Diagnostic::new(
                    codes::UNKNOWN_FIELD,
                    format!(
                        "`{}` is not a directive cachegen manages",
                        name.escape_debug()
                    ),
                )
                .with_span(self.key_span(&lock), "unknown directive");
                d = match did_you_mean(name, &names) {
                    Some(best) => d.with_help(format!("did you mean `{best}`?")),
                    None => d.with_help(REBUILD),
                };
                self.diags.push(d);
                continue;
            };
            let Value::String(text) = value else {
                self.wrong_type(value, &lock, "a string, as `CONFIG GET` reports it");
                continue;
            };
            // These values are what verify compares a live server with, and
            // redis.conf is line-based: refuse anything that is not one line.
            if text.chars().any(|c| c.is_control()) {
                self.diags.push(
                    Diagnostic::new(
                        codes::INVALID_SYNTAX,
                        format!("the value of `{name}` contains a line break or control character"),
                    )
                    .with_span(self.span(&lock), "not a single-line value")
                    .with_help(REBUILD),
                );
                continue;
            }
            let converted = match kind {
                Directive::FromCluster => continue,
                Directive::Name => Some(Value::String(text.clone())),
                Directive::Number => whole(text).map(Value::from),
                Directive::Secs => whole(text).map(|n| Value::from(format!("{n}s"))),
                Directive::Micros => whole(text).map(|n| Value::from(format!("{n}us"))),
                Directive::YesNo => match text.as_str() {
                    "yes" => Some(Value::Bool(true)),
                    "no" => Some(Value::Bool(false)),
                    _ => None,
                },
                Directive::Save => save_points(text),
            };
            let Some(converted) = converted else {
                let expected = match kind {
                    Directive::YesNo => "`yes` or `no`",
                    Directive::Save => "`<seconds> <changes>` pairs, or empty",
                    _ => "a whole number",
                };
                self.diags.push(
                    Diagnostic::new(
                        codes::SCHEMA,
                        format!("`{name}` must be {expected}, not `{}`", text.escape_debug()),
                    )
                    .with_span(self.span(&lock), format!("expected {expected}"))
                    .with_help(REBUILD),
                );
                continue;
            };
            let parts: Vec<&str> = path.split('/').collect();
            if parts.len() > 1 {
                // `/redis/persistence` and the like have no place of their own.
                self.link(&format!("/redis/{}", parts[0]), "/redis/config");
            }
            self.link(&format!("/redis/{path}"), &lock);
            insert_path(raw, &parts, converted);
        }
    }
}

/// Characters that would end or disguise a comment line in a generated file.
fn is_unsafe_in_comment(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A whole number as `CONFIG GET` prints it: digits only.
fn whole(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Seconds with a fraction as the lock writes them (`1.5`), in microseconds.
/// Only decimals that are exactly what the writer meant: at most six (the
/// model holds microseconds) and at most 15 significant digits (beyond that
/// a JSON number need not be the decimal it was written from).
fn decimal_secs_as_micros(text: &str) -> Option<u64> {
    let (whole, fraction) = text.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.len() > 6 {
        return None;
    }
    if whole.trim_start_matches('0').len() + fraction.len() > 15 {
        return None;
    }
    let micros: u64 = format!("{fraction:0<6}").parse().ok()?;
    whole
        .parse::<u64>()
        .ok()?
        .checked_mul(1_000_000)?
        .checked_add(micros)
}

/// `save` as `CONFIG GET` prints it: `3600 1 300 100`, or empty for none.
fn save_points(text: &str) -> Option<Value> {
    if text.is_empty() {
        return Some(Value::Array(Vec::new()));
    }
    let numbers: Vec<u64> = text.split(' ').map(whole).collect::<Option<_>>()?;
    if !numbers.len().is_multiple_of(2) {
        return None;
    }
    Some(Value::Array(
        numbers
            .chunks(2)
            .map(|pair| serde_json::json!({ "after": format!("{}s", pair[0]), "changes": pair[1] }))
            .collect(),
    ))
}

/// Inserts `value` at `path` under `map`, creating the objects on the way.
fn insert_path(map: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = map;
    for part in parents {
        let entry = current
            .entry((*part).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else {
            return;
        };
        current = next;
    }
    current.insert((*last).to_owned(), value);
}

/// Compares the lock as the model renders it with the lock as read, and
/// reports each value that differs where the lock holds it.
struct Diff<'a> {
    spans: &'a SpanIndex,
    diags: Vec<Diagnostic>,
}

impl Diff<'_> {
    fn compare(&mut self, expected: &Value, actual: &Value, pointer: &str) {
        match (expected, actual) {
            (Value::Object(want), Value::Object(have)) => {
                for (key, want_value) in want {
                    let child = format!("{pointer}/{}", esc(key));
                    match have.get(key) {
                        Some(have_value) => self.compare(want_value, have_value, &child),
                        None => self.diags.push(
                            Diagnostic::new(
                                codes::SCHEMA,
                                format!("`{}` is missing", display_pointer(&child)),
                            )
                            .with_span(
                                opening_span(self.spans, pointer),
                                format!("`{key}` missing"),
                            )
                            .with_help(REBUILD),
                        ),
                    }
                }
                for key in have.keys().filter(|k| !want.contains_key(*k)) {
                    let child = format!("{pointer}/{}", esc(key));
                    self.diags.push(
                        Diagnostic::new(
                            codes::UNKNOWN_FIELD,
                            format!("unknown field `{}`", display_pointer(&child)),
                        )
                        .with_span(
                            self.spans
                                .key(&child)
                                .unwrap_or_else(|| value_span(self.spans, &child)),
                            "not a lock field",
                        )
                        .with_help(REBUILD),
                    );
                }
            }
            (Value::Array(want), Value::Array(have)) if want.len() == have.len() => {
                for (i, (w, h)) in want.iter().zip(have).enumerate() {
                    self.compare(w, h, &format!("{pointer}/{i}"));
                }
            }
            _ if expected == actual => {}
            _ => self.diags.push(
                Diagnostic::new(
                    codes::INCONSISTENT,
                    format!(
                        "`{}` is {}, but the rest of the lock gives {}",
                        display_pointer(pointer),
                        short(actual),
                        short(expected)
                    ),
                )
                .with_span(value_span(self.spans, pointer), "inconsistent")
                .with_help(format!(
                    "this value is derived from others in the lock; {REBUILD}"
                )),
            ),
        }
    }
}
