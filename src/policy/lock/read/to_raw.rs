//! Owns converting the lock types into the policy file's raw JSON form:
//! one `ToRaw` per lock type, which also links each raw pointer to the lock
//! pointer it came from, so that `schema` and `lower` report into the lock.
//! Lock fields are named once, by the lock struct's own field names
//! (`object_in_raw!` stringifies them), beside the policy-file path each
//! becomes; the few values the policy file writes differently (a pattern's
//! TTL, tag keys, visibility, the policy block) are converted by hand.

use super::{REBUILD, Reader};
use crate::diag::{Diagnostic, codes};
use crate::load::escape_pointer_token as esc;
use crate::policy::lock::{
    Access, ClientsFrom, KubernetesSecret, SecretRef, Service, Tls, UserCredential, Verifier,
    Workload,
};
use crate::policy::lock::{
    Backoff, Client, Cluster, Credentials, Edge, Event, ExactSecs, Hosted, Invalidation,
    Kubernetes, Lint, Lock, Micros, Millis, Pattern, Percent, PolicySource, Replicated, Route,
    Secs, Sentinel, StampedeLock, Targets, TtlRules, WarmTask,
};
use crate::policy::model::Provenance;
use crate::schema::did_you_mean;
use indexmap::IndexMap;
use serde_json::{Map, Value};

/// One lock value in its policy-file form, linked to where the lock has it;
/// `None` for "not set" (and after reporting a value that cannot be one).
trait ToRaw {
    fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value>;
}

/// A value the policy file writes as the lock does.
macro_rules! same_in_raw {
    ($($t:ty),*) => {$(
        impl ToRaw for $t {
            fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
                r.link(raw, lock);
                Some(Value::from(self.clone()))
            }
        }
    )*};
}
same_in_raw!(String, bool, u64);

/// A number the policy file writes as a duration (`300` → `300s`).
macro_rules! duration_in_raw {
    ($($t:ty => $unit:literal),*) => {$(
        impl ToRaw for $t {
            fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
                r.link(raw, lock);
                Some(Value::from(format!("{}{}", self.0, $unit)))
            }
        }
    )*};
}
duration_in_raw!(Secs => "s", Millis => "ms", Micros => "us");

impl ToRaw for crate::policy::lock::PlaceholderSpelling {
    fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
        match self {
            crate::policy::lock::PlaceholderSpelling::Builtin(name) => name.to_raw(r, lock, raw),
            crate::policy::lock::PlaceholderSpelling::Regex { regex, description } => {
                let mut o = Obj::new(r, lock, raw);
                o.put(r, "regex", "regex", regex);
                o.put(r, "description", "description", description);
                o.done()
            }
        }
    }
}

impl ToRaw for ExactSecs {
    fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
        let text = match self.0.as_u64() {
            Some(secs) => format!("{secs}s"),
            None => match decimal_secs_as_micros(&self.0.to_string()) {
                Some(us) => format!("{us}us"),
                None => {
                    let expected = "a number of seconds, at least 0, with at most six decimals";
                    r.wrong_type(lock, expected, "a number");
                    return None;
                }
            },
        };
        r.link(raw, lock);
        Some(Value::from(text))
    }
}

impl ToRaw for Percent {
    fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
        r.link(raw, lock);
        Some(Value::from(format!("{}%", self.0)))
    }
}

impl<T: ToRaw> ToRaw for Option<T> {
    fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
        self.as_ref()?.to_raw(r, lock, raw)
    }
}

impl<T: ToRaw> ToRaw for Vec<T> {
    fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
        r.link(raw, lock);
        let items = self.iter().enumerate();
        let items =
            items.filter_map(|(i, v)| v.to_raw(r, &format!("{lock}/{i}"), &format!("{raw}/{i}")));
        Some(Value::Array(items.collect()))
    }
}

impl<T: ToRaw> ToRaw for IndexMap<String, T> {
    fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
        r.link(raw, lock);
        let mut out = Map::new();
        for (name, value) in self {
            let token = esc(name);
            if let Some(v) = value.to_raw(r, &format!("{lock}/{token}"), &format!("{raw}/{token}"))
            {
                out.insert(name.clone(), v);
            }
        }
        Some(Value::Object(out))
    }
}

/// An object of the policy file being built from a lock object.
struct Obj {
    lock: String,
    raw: String,
    out: Map<String, Value>,
}

impl Obj {
    fn new(r: &mut Reader<'_>, lock: &str, raw: &str) -> Self {
        r.link(raw, lock);
        Obj {
            lock: lock.to_owned(),
            raw: raw.to_owned(),
            out: Map::new(),
        }
    }

    /// The lock's `field` as the policy file's `path` (`threads/cores`).
    fn put(&mut self, r: &mut Reader<'_>, field: &str, path: &str, value: &dyn ToRaw) {
        let lock = format!("{}/{field}", self.lock);
        let Some(value) = value.to_raw(r, &lock, &format!("{}/{path}", self.raw)) else {
            return;
        };
        // A path nests: each level has no place of its own but the field's.
        let parts: Vec<&str> = path.split('/').collect();
        let mut prefix = self.raw.clone();
        for part in &parts[..parts.len() - 1] {
            prefix = format!("{prefix}/{part}");
            r.link(&prefix, &lock);
        }
        insert_path(&mut self.out, &parts, value);
    }

    fn done(self) -> Option<Value> {
        Some(Value::Object(self.out))
    }
}

/// `ToRaw` for a lock struct: each field named as the lock names it, then
/// its path in the policy file.
macro_rules! object_in_raw {
    ($t:ty { $($field:ident => $path:literal),* $(,)? }) => {
        impl ToRaw for $t {
            fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
                let mut o = Obj::new(r, lock, raw);
                $( o.put(r, stringify!($field), $path, &self.$field); )*
                o.done()
            }
        }
    };
}

object_in_raw!(TtlRules {
    default_secs => "default",
    jitter_percent => "jitter",
    authenticated_cap_secs => "authenticated_cap",
    classes => "classes",
    max_staleness_secs => "max_staleness",
});
object_in_raw!(StampedeLock { prefix => "prefix", ttl_secs => "ttl" });
object_in_raw!(Invalidation { cascade => "cascade", events => "events" });
object_in_raw!(Event {
    params => "params",
    invalidate => "invalidate",
    invalidate_tags => "invalidate_tags",
    when_changed => "when_changed",
});
object_in_raw!(Edge {
    provider => "provider",
    zone => "zone",
    routes => "routes",
    credentials => "credentials",
});
object_in_raw!(Credentials { headers => "headers", cookies => "cookies" });
object_in_raw!(Cluster {
    masters => "masters",
    replicas_per_master => "replicas_per_master",
    node_timeout_ms => "node_timeout",
    require_full_coverage => "require_full_coverage",
    kubernetes => "kubernetes",
});
object_in_raw!(Replicated {
    replicas => "replicas",
    min_replicas_to_write => "min_replicas_to_write",
    min_replicas_max_lag_secs => "min_replicas_max_lag",
    sentinel => "sentinel",
    kubernetes => "kubernetes",
});
object_in_raw!(Sentinel {
    sentinels => "sentinels",
    quorum => "quorum",
    down_after_ms => "down_after",
    failover_timeout_ms => "failover_timeout",
    parallel_syncs => "parallel_syncs",
    master_name => "master_name",
});
object_in_raw!(Hosted {
    service => "service",
    node_type => "node_type",
    replicas => "replicas",
});
object_in_raw!(Kubernetes {
    namespace => "namespace",
    name => "name",
    image => "image",
    memory_limit => "memory_limit",
    cpu => "cpu",
    storage => "storage",
    storage_class => "storage_class",
});
object_in_raw!(Client {
    max_retries_per_request => "max_retries_per_request",
    retry_backoff => "retry_backoff",
    cluster_retry_backoff => "cluster_retry_backoff",
    connect_timeout_ms => "connect_timeout",
    command_timeout_ms => "command_timeout",
    keepalive_ms => "keepalive",
    offline_queue => "offline_queue",
    ready_check => "ready_check",
    reconnect_on_errors => "reconnect_on_errors",
});
object_in_raw!(Access {
    admin => "admin",
    verifier => "verifier",
    replication => "replication",
    sentinel => "sentinel",
    services => "services",
    tls => "tls",
    clients_from => "clients_from",
});
object_in_raw!(UserCredential { user => "user", password => "password" });
object_in_raw!(Verifier { password => "password", config_get => "config_get" });
object_in_raw!(SecretRef { env => "env", file => "file", secret => "secret" });
object_in_raw!(KubernetesSecret { name => "name", key => "key" });
object_in_raw!(Service {
    password => "password",
    reads => "reads",
    writes => "writes",
    owns => "owns",
    events => "events",
    scan => "scan",
    scripting => "scripting",
    channels => "channels",
});
object_in_raw!(Tls {
    port => "port",
    plain_port => "plain_port",
    cert => "cert",
    key => "key",
    ca => "ca",
    client_certs => "client_certs",
});
object_in_raw!(ClientsFrom { cidrs => "cidrs", kubernetes => "kubernetes" });
object_in_raw!(Workload { namespace => "namespace", labels => "labels" });
object_in_raw!(Backoff { step_ms => "step", max_ms => "max" });
object_in_raw!(Targets {
    overall_hit_ratio_percent => "overall_hit_ratio",
    cdn_hit_ratio_percent => "cdn_hit_ratio",
    redis_hit_ratio_percent => "redis_hit_ratio",
    cached_latency_us => "cached_latency",
    availability_percent => "availability",
});
object_in_raw!(WarmTask {
    keys => "keys",
    on_startup => "on_startup",
    schedule => "schedule",
    limit => "limit",
    description => "description",
});
object_in_raw!(Lint { allow => "allow", warn => "warn", deny => "deny" });

impl ToRaw for Pattern {
    fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
        let mut o = Obj::new(r, lock, raw);
        o.put(r, "pattern", "pattern", &self.pattern);
        o.put(r, "store", "store", &self.store);
        o.put(r, "description", "description", &self.description);
        o.put(r, "hash_tag", "hash_tag", &self.hash_tag);
        o.put(r, "type", "type", &self.value_type);
        o.put(r, "strategy", "strategy", &self.strategy);
        o.put(r, "jitter_percent", "jitter", &self.jitter_percent);
        o.put(r, "authenticated", "authenticated", &self.authenticated);
        o.put(r, "durable", "durable", &self.durable);
        o.put(r, "queue", "queue", &self.queue);
        let refresh = &self.refresh_when_remaining_percent;
        o.put(
            r,
            "refresh_when_remaining_percent",
            "refresh_when_remaining",
            refresh,
        );
        o.put(r, "tags", "tags", &self.tags);
        o.put(
            r,
            "compress_above_bytes",
            "compress_above",
            &self.compress_above_bytes,
        );
        o.put(
            r,
            "max_value_size_bytes",
            "max_value_size",
            &self.max_value_size_bytes,
        );
        o.put(r, "stampede_lock", "stampede_lock", &self.stampede_lock);
        o.put(r, "app_ttl_secs", "app_ttl", &self.app_ttl_secs);
        o.put(
            r,
            "max_staleness_secs",
            "max_staleness",
            &self.max_staleness_secs,
        );
        o.put(r, "cardinality", "cardinality", &self.cardinality);
        o.put(r, "value_size_bytes", "value_size", &self.value_size_bytes);
        // The policy file names no TTL when it is `ttl.default` (so the model
        // knows the pattern names none), else its class if it has one (so
        // the model keeps `ttl_class`), its base in seconds, or `none`.
        if self.ttl_from_default {
            r.unwritten
                .push((format!("{raw}/ttl"), format!("{lock}/ttl")));
        } else {
            let (text, from) = match (&self.ttl, &self.ttl_class) {
                (None, _) => ("none".to_owned(), format!("{lock}/ttl")),
                (Some(_), Some(class)) => (class.clone(), format!("{lock}/ttl_class")),
                // What the policy asked for: reading it, lower applies the
                // cap again and records what it lowered.
                (Some(_), None) if let Some(asked) = self.ttl_capped_from_secs => (
                    format!("{}s", asked.0),
                    format!("{lock}/ttl_capped_from_secs"),
                ),
                (Some(t), None) => (format!("{}s", t.base_secs), format!("{lock}/ttl/base_secs")),
            };
            o.out.insert("ttl".into(), Value::String(text));
            r.link(&format!("{raw}/ttl"), &from);
        }
        o.done()
    }
}

impl ToRaw for Route {
    fn to_raw(&self, r: &mut Reader<'_>, lock: &str, raw: &str) -> Option<Value> {
        let mut o = Obj::new(r, lock, raw);
        o.put(r, "path", "path", &self.path);
        o.put(r, "extensions", "extensions", &self.extensions);
        o.put(r, "cache", "cache", &self.cache);
        o.put(r, "edge_ttl_secs", "edge_ttl", &self.edge_ttl_secs);
        o.put(r, "browser_ttl_secs", "browser_ttl", &self.browser_ttl_secs);
        let swr = &self.stale_while_revalidate_secs;
        o.put(
            r,
            "stale_while_revalidate_secs",
            "stale_while_revalidate",
            swr,
        );
        o.put(
            r,
            "stale_if_error_secs",
            "stale_if_error",
            &self.stale_if_error_secs,
        );
        o.put(r, "vary", "vary", &self.vary);
        o.put(r, "authenticated", "authenticated", &self.authenticated);
        // The lock has the effective visibility; the policy file says it
        // only when it is not the default (private for authenticated routes).
        let default = if self.authenticated {
            "private"
        } else {
            "public"
        };
        if self.visibility != default {
            o.put(r, "visibility", "visibility", &self.visibility);
        }
        o.put(r, "immutable", "immutable", &self.immutable);
        o.put(r, "headers", "headers", &self.headers);
        o.put(r, "serves", "serves", &self.serves);
        o.put(
            r,
            "max_staleness_secs",
            "max_staleness",
            &self.max_staleness_secs,
        );
        o.done()
    }
}

impl Reader<'_> {
    /// The whole lock in raw form, and where its policy came from.
    pub(super) fn lock(&mut self, lock: &Lock) -> Option<(Value, Provenance)> {
        let mut o = Obj::new(self, "", "");
        // The policy file format's version, not the lock's.
        o.out.insert("version".into(), Value::from(1));
        self.link("/version", "/version");
        let provenance = self.policy_source(&lock.policy, &mut o);
        o.put(self, "ttl", "ttl", &lock.ttl);
        let mut keys = Obj::new(self, "/keys", "/keys");
        let k = &lock.keys;
        keys.put(self, "version_prefix", "version_prefix", &k.version_prefix);
        keys.put(
            self,
            "previous_prefixes",
            "previous_prefixes",
            &k.previous_prefixes,
        );
        keys.put(
            self,
            "max_value_size_bytes",
            "max_value_size",
            &k.max_value_size_bytes,
        );
        keys.put(self, "placeholders", "placeholders", &k.placeholders);
        keys.put(self, "patterns", "patterns", &k.patterns);
        o.out.extend(keys.done().map(|v| ("keys".to_owned(), v)));
        let tags = self.tags(lock);
        o.out.insert("tags".into(), tags);
        o.put(self, "invalidation", "invalidation", &lock.invalidation);
        o.put(self, "edge", "edge", &lock.edge);
        self.link("/stores", "/stores");
        let mut stores = Map::new();
        for (name, store) in &lock.stores {
            let at = format!("/stores/{}", esc(name));
            let mut s = Obj::new(self, &at, &at);
            s.put(self, "engine", "engine", &store.engine);
            s.put(self, "version", "version", &store.version);
            s.put(self, "cores", "threads/cores", &store.cores);
            self.redis_config(&store.config, &mut s.out, &at);
            s.put(self, "cluster", "cluster", &store.cluster);
            s.put(self, "replicated", "replicated", &store.replicated);
            s.put(self, "hosted", "hosted", &store.hosted);
            s.put(self, "access", "access", &store.access);
            if let Some(v) = s.done() {
                stores.insert(name.clone(), v);
            }
        }
        o.out.insert("stores".into(), Value::Object(stores));
        o.put(self, "client", "client", &lock.client);
        o.put(self, "targets", "targets", &lock.targets);
        o.put(self, "warming", "warming/tasks", &lock.warming);
        o.put(self, "lint", "lint", &lock.lint);
        Some((o.done()?, provenance?))
    }

    fn policy_source(&mut self, p: &PolicySource, o: &mut Obj) -> Option<Provenance> {
        o.out.insert("name".into(), Value::from(p.name.clone()));
        self.link("/name", "/policy/name");
        // Both reach the header of every file rebuilt from this lock, as
        // comments: a line break would end the comment and inject a line.
        let file_name_ok = !p.source.is_empty()
            && p.source.len() <= 255
            && !p.source.contains(['/', '\\'])
            && !p.source.chars().any(is_unsafe_in_comment);
        if !file_name_ok {
            let message = format!("`{}` is not a policy file name", p.source.escape_debug());
            self.invalid(
                codes::INVALID_SYNTAX,
                "/policy/source",
                message,
                "invalid file name",
            );
        }
        let sha256_ok = p.sha256.len() == 64
            && p.sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !sha256_ok {
            let message = format!(
                "`{}` is not a sha256 in lowercase hex",
                p.sha256.escape_debug()
            );
            self.invalid(
                codes::INVALID_SYNTAX,
                "/policy/sha256",
                message,
                "invalid hash",
            );
        }
        // The hash itself is checked once the model is read: `check_lock`
        // compares the whole lock with the one the model gives.
        (file_name_ok && sha256_ok).then(|| Provenance {
            file_name: p.source.clone(),
        })
    }

    /// Tags: the set key without the version prefix, the TTL, and members
    /// that name patterns of this lock.
    fn tags(&mut self, lock: &Lock) -> Value {
        self.link("/tags", "/tags");
        let prefix = lock.keys.version_prefix.as_deref();
        let mut out = Map::new();
        for (name, tag) in &lock.tags {
            let at = format!("/tags/{}", esc(name));
            let mut o = Obj::new(self, &at, &at);
            let bare = match prefix {
                Some(p) => tag.key.strip_prefix(p).and_then(|k| k.strip_prefix(':')),
                None => Some(tag.key.as_str()),
            };
            match bare {
                Some(bare) => {
                    o.out.insert("key".into(), Value::from(bare));
                    self.link(&format!("{at}/key"), &format!("{at}/key"));
                }
                None => self.invalid(
                    codes::INCONSISTENT,
                    &format!("{at}/key"),
                    format!(
                        "tag set key `{}` does not start with the version prefix `{}:`",
                        tag.key.escape_debug(),
                        prefix.unwrap_or_default().escape_debug()
                    ),
                    "no version prefix",
                ),
            }
            let (ttl, from) = match &tag.ttl {
                None => ("none".to_owned(), format!("{at}/ttl")),
                Some(t) => (format!("{}s", t.base_secs), format!("{at}/ttl/base_secs")),
            };
            o.out.insert("ttl".into(), Value::from(ttl));
            self.link(&format!("{at}/ttl"), &from);
            // Members are derived from the patterns' `tags`, and compared
            // after the model is built; a name that is no pattern at all is
            // worth its own message.
            for (i, member) in tag.members.iter().enumerate() {
                if !lock.keys.patterns.contains_key(member) {
                    self.unknown_member(name, member, &format!("{at}/members/{i}"), lock);
                }
            }
            out.insert(name.clone(), Value::Object(o.out));
        }
        Value::Object(out)
    }

    fn unknown_member(&mut self, tag: &str, member: &str, at: &str, lock: &Lock) {
        let mut names: Vec<&str> = lock.keys.patterns.keys().map(String::as_str).collect();
        names.sort_unstable();
        let d = Diagnostic::new(
            codes::UNRESOLVED_REFERENCE,
            format!(
                "tag `{}` lists member `{}`, but the lock has no key pattern of that name",
                tag.escape_debug(),
                member.escape_debug()
            ),
        )
        .with_span(self.span(at), "unknown key pattern");
        self.diags.push(match did_you_mean(member, &names) {
            Some(best) => d.with_help(format!("did you mean `{best}`?")),
            None => d.with_help(REBUILD),
        });
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

/// Inserts `value` at `path` under `map`, creating the objects on the way.
pub(super) fn insert_path(map: &mut Map<String, Value>, path: &[&str], value: Value) {
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
