//! Owns the step from the raw (schema-shaped) policy to the validated model:
//! resolving every reference, converting units, range checks, cycle and
//! ambiguity checks. Every problem becomes a diagnostic; lowering carries on
//! past it so one run reports everything.
//!
//! This file holds the entry point, the context every section shares (`Cx`:
//! the source, spans, diagnostics so far and the names the file declares)
//! and the order the sections are lowered in, which is the order their
//! references need. Each section is one file: `recovery` (salvaging a model
//! from a broken file), `keys` (TTLs, key patterns, tags), `invalidation`
//! (cascades, events), `edge` (routes), `server` (stores: Redis, the cluster),
//! `client` (client settings, cache warming), and `names` (names that reach
//! redis.conf, Cloudflare expressions, Rust identifiers or Kubernetes).

mod access;
mod bus;
mod client;
mod config;
mod edge;
mod fixed_users;
mod invalidation;
mod keys;
mod names;
mod placeholders;
mod recovery;
mod server;
mod tags;
mod topology;

use super::model::*;
use super::raw;
use crate::diag::{Diagnostic, codes};
use crate::load::SpanIndex;
use crate::load::units::Duration;
use crate::schema::did_you_mean;
use crate::source::{SourceFile, Span};
use names::is_dns_label;
use recovery::{Declared, deserialize_pruning, remove_unknown};
use serde_json::Value;

pub struct Lowered {
    pub policy: Option<Policy>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Lowers a schema-checked JSON value. `unknown` are pointers of unknown keys the
/// schema stage already reported; `schema_failed` says whether it reported anything.
pub fn lower(
    src: &SourceFile,
    default_name: &str,
    mut value: Value,
    unknown: &[String],
    spans: SpanIndex,
) -> Lowered {
    remove_unknown(&mut value, unknown);
    let declared = Declared::collect(&value);
    let Some((raw, removed)) = deserialize_pruning(&mut value) else {
        return Lowered {
            policy: None,
            diagnostics: Vec::new(),
        };
    };
    let mut cx = Cx {
        src,
        spans,
        diags: Vec::new(),
        declared,
        unknown: removed,
    };
    let policy = cx.policy(raw, default_name);
    // Needs the whole model: every kind of entity names Rust items.
    cx.diags.extend(names::rust_collisions(&policy));
    Lowered {
        policy: Some(policy),
        diagnostics: cx.diags,
    }
}

/// "no {what} named `name`", with the closest candidate as a suggestion (or
/// the short list of candidates). Lowering and `lint::levels` (unknown rules
/// in `lint:`) word every unresolved name the same way through this.
pub fn unresolved(what: &str, name: &str, candidates: &[&str], span: Span) -> Diagnostic {
    let help = did_you_mean(name, candidates)
        .map(|b| format!("did you mean `{b}`?"))
        .or_else(|| {
            (!candidates.is_empty() && candidates.len() <= 12)
                .then(|| format!("defined: {}", candidates.join(", ")))
        });
    let d = Diagnostic::new(
        codes::UNRESOLVED_REFERENCE,
        format!("no {what} named `{}`", name.escape_debug()),
    )
    .with_span(span, format!("unknown {what}"));
    match help {
        Some(help) => d.with_help(help),
        None => d,
    }
}

struct Cx<'a> {
    src: &'a SourceFile,
    spans: SpanIndex,
    diags: Vec<Diagnostic>,
    declared: Declared,
    /// Pointers of values the file gives but that could not be read (removed
    /// by recovery, or rejected here), so the model's value there is a
    /// stand-in: becomes `Policy::unknown`.
    unknown: Vec<String>,
}

impl Cx<'_> {
    fn span(&self, pointer: &str) -> Span {
        self.spans.value(pointer).unwrap_or_default()
    }

    fn key_span(&self, pointer: &str) -> Span {
        self.spans
            .key(pointer)
            .or_else(|| self.spans.value(pointer))
            .unwrap_or_default()
    }

    fn report(
        &mut self,
        code: crate::diag::Code,
        message: String,
        span: Span,
        label: &str,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::new(code, message).with_span(span, label);
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.diags.push(d);
    }

    /// Span of bytes `[start, end)` inside the string value at `pointer`, when
    /// the YAML spells the string literally (plain or simply quoted).
    fn inner_span(&self, pointer: &str, text: &str, start: usize, end: usize) -> Span {
        let whole = self.span(pointer);
        let written = self.src.slice(whole);
        let offset = if written == text {
            Some(0)
        } else if written.len() == text.len() + 2 && written.get(1..written.len() - 1) == Some(text)
        {
            Some(1)
        } else {
            None
        };
        match offset {
            Some(o) => Span::new(
                whole.start + o + start,
                whole.start + o + end.max(start + 1).min(text.len()),
            ),
            None => whole,
        }
    }

    /// Records that the model holds a stand-in for the value at `pointer`,
    /// which was reported as invalid.
    fn mark_unknown(&mut self, pointer: &str) {
        self.unknown.push(pointer.to_owned());
    }

    fn unresolved(&mut self, what: &str, name: &str, candidates: Vec<&str>, span: Span) {
        self.diags.push(unresolved(what, name, &candidates, span));
    }

    fn policy(&mut self, mut raw: raw::Policy, default_name: &str) -> Policy {
        let name = match raw.name {
            Some(name) => {
                if !is_dns_label(&name) || name.len() > 40 {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("policy name `{}` is not a DNS label", name.escape_debug()),
                        self.span("/name"),
                        "invalid name",
                        Some("lowercase letters, digits and `-`, at most 40 characters: it names files and Kubernetes objects".into()),
                    );
                }
                name
            }
            None => default_name.to_owned(),
        };
        // Access names patterns, tags and events: it is lowered after them.
        let mut accesses: Vec<(String, raw::Access)> = Vec::new();
        for (store, s) in &mut raw.stores {
            accesses.extend(s.access.take().map(|a| (store.clone(), a)));
        }
        if raw.stores.is_empty()
            && let Some(a) = raw.redis.as_mut().and_then(|s| s.access.take())
        {
            accesses.push((server::SHORTHAND_STORE.to_owned(), a));
        }
        let mut stores = self.stores(raw.stores, raw.redis, raw.cluster, &name);
        let ttl = self.ttl(raw.ttl);
        let mut keys = self.keys(raw.keys, &ttl, &stores);
        let tags = self.tags(raw.tags, &ttl, &mut keys);
        self.check_ambiguity(&keys, &tags);
        let cascade = self.cascade(raw.invalidation.cascade, &keys);
        let events = self.events(raw.invalidation.events, &keys, &tags, &cascade);
        let names = access::Names {
            keys: &keys,
            tags: &tags,
            events: &events,
        };
        for (store, section) in accesses {
            if let Some(store) = stores.get_mut(&store)
                && store.hosted.is_some()
            {
                let pointer = store.pointer.clone();
                self.hosted_not_supported_yet(&pointer, "access");
                continue;
            }
            if let Some(store) = stores.get_mut(&store)
                && !self.unknown.iter().any(|p| p == "/stores")
            {
                self.access(store, section, &names);
                self.bus_port_clash(store);
                self.replicated_kubernetes_tls(store);
            }
        }
        let edge = raw.edge.map(|e| self.edge(e, &keys));
        if let Some(client) = &raw.client {
            self.client(client);
        }
        let warming = raw
            .warming
            .map(|w| self.warming(w.tasks, &keys))
            .unwrap_or_default();
        Policy {
            name,
            ttl,
            keys,
            tags,
            cascade,
            events,
            edge,
            stores,
            client: raw.client,
            targets: raw.targets,
            warming,
            lint_entries: Self::lint_entries(raw.lint),
            provenance: None,
            unknown: Unknown::new(std::mem::take(&mut self.unknown)),
            spans: std::mem::take(&mut self.spans),
        }
    }

    /// A limit or in-process TTL of zero means nothing; unlike Redis and HTTP
    /// TTLs these may be finer than a second.
    fn nonzero(&mut self, d: Duration, pointer: &str, what: &str) {
        if d.is_zero() {
            self.report(
                codes::OUT_OF_RANGE,
                format!("{what} must be longer than zero"),
                self.span(pointer),
                "zero",
                None,
            );
        }
    }

    fn positive_seconds(&mut self, d: Duration, pointer: &str, what: &str) {
        if d.is_zero() || !d.is_whole_seconds() {
            // What stands in for it (0s, or the seconds cut short) must not
            // feed the rules as if the policy said it.
            self.mark_unknown(pointer);
        }
        if d.is_zero() {
            self.nonzero(d, pointer, what);
        } else if !d.is_whole_seconds() {
            self.report(
                codes::OUT_OF_RANGE,
                format!("{what} `{d}` is not a whole number of seconds"),
                self.span(pointer),
                "sub-second",
                Some("Redis and HTTP TTLs are whole seconds".into()),
            );
        }
    }

    /// The `lint:` section as written. Resolving rule names needs the rule
    /// registry, a later stage: `lint::levels` does it, and reports unknown
    /// and repeated rules.
    fn lint_entries(raw: raw::LintLevels) -> Vec<LintEntry> {
        let mut entries = Vec::new();
        for (field, list, level) in [
            ("allow", raw.allow, LintLevel::Allow),
            ("warn", raw.warn, LintLevel::Warn),
            ("deny", raw.deny, LintLevel::Deny),
        ] {
            entries.extend(list.into_iter().enumerate().map(|(i, rule)| LintEntry {
                rule,
                level,
                pointer: format!("/lint/{field}/{i}"),
            }));
        }
        entries
    }
}
