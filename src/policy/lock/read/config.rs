//! Owns reading a store's `config` back: each `CONFIG GET` string the lock
//! holds, parsed into the policy field it was rendered from. This is the
//! inverse of `redis_directives::managed_directives`, which is a later
//! stage than `policy`; `tests/lock_roundtrip.rs` reads back a policy that
//! sets every directive, so the two cannot drift apart unnoticed.

use super::to_raw::insert_path;
use super::{REBUILD, Reader};
use crate::diag::{Diagnostic, codes};
use crate::load::escape_pointer_token as esc;
use crate::policy::first_class::{DIRECTIVES, Form};
use crate::schema::did_you_mean;
use indexmap::IndexMap;
use serde_json::{Map, Value};

/// Directives every lock has: the policy requires them, or the renderer
/// always writes them.
const REQUIRED: &[&str] = &["maxmemory", "maxmemory-policy", "save", "appendonly"];

impl Reader<'_> {
    /// Reads a store's `config` into its raw object; `at` is the store's
    /// pointer, the same in the lock and in the raw policy (`/stores/<name>`).
    pub(super) fn redis_config(
        &mut self,
        config: &IndexMap<String, String>,
        raw: &mut Map<String, Value>,
        at: &str,
    ) {
        let config_at = format!("{at}/config");
        for required in REQUIRED.iter().filter(|r| !config.contains_key(**r)) {
            self.missing(&config_at, required);
        }
        for (name, text) in config {
            let lock = format!("{config_at}/{}", esc(name));
            // These values are what verify compares a live server with, and
            // redis.conf is line-based: refuse anything that is not one line.
            if text.chars().any(|c| c.is_control()) {
                let message =
                    format!("the value of `{name}` contains a line break or control character");
                self.invalid(
                    codes::INVALID_SYNTAX,
                    &lock,
                    message,
                    "not a single-line value",
                );
                continue;
            }
            let Some(&(_, path, form)) = DIRECTIVES.iter().find(|d| d.0 == name) else {
                // Any other directive of an engine is a `config:` entry, read
                // back as the string the lock holds and checked again by
                // `lower` against the store's release.
                if crate::facts::releases_having(name).is_empty() {
                    self.unknown_directive(name, &lock);
                } else {
                    let entry = Value::String(text.clone());
                    insert_path(raw, &["config", name.as_str()], entry);
                    self.link(&format!("{at}/config/{}", esc(name)), &lock);
                    self.link(&format!("{at}/config"), &config_at);
                }
                continue;
            };
            let converted = match form {
                Form::FromTopology => continue,
                Form::Name => Some(Value::String(text.clone())),
                Form::Number => whole(text).map(Value::from),
                Form::Secs => whole(text).map(|n| Value::from(format!("{n}s"))),
                Form::Micros => whole(text).map(|n| Value::from(format!("{n}us"))),
                Form::YesNo => match text.as_str() {
                    "yes" => Some(Value::Bool(true)),
                    "no" => Some(Value::Bool(false)),
                    _ => None,
                },
                Form::Save => save_points(text),
            };
            let Some(converted) = converted else {
                let expected = match form {
                    Form::YesNo => "`yes` or `no`",
                    Form::Save => "`<seconds> <changes>` pairs, or empty",
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
                // `…/persistence` and the like have no place of their own.
                self.link(&format!("{at}/{}", parts[0]), &config_at);
            }
            self.link(&format!("{at}/{path}"), &lock);
            insert_path(raw, &parts, converted);
        }
    }

    fn unknown_directive(&mut self, name: &str, lock: &str) {
        let names: Vec<&str> = DIRECTIVES.iter().map(|d| d.0).collect();
        let d = Diagnostic::new(
            codes::UNKNOWN_FIELD,
            format!(
                "`{}` is not a directive cachegen manages",
                name.escape_debug()
            ),
        )
        .with_span(self.key_span(lock), "unknown directive");
        self.diags.push(match did_you_mean(name, &names) {
            Some(best) => d.with_help(format!("did you mean `{best}`?")),
            None => d.with_help(REBUILD),
        });
    }
}

/// A whole number as `CONFIG GET` prints it: digits only.
fn whole(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
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
