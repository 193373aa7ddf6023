//! Owns salvaging a model from a file with mistakes: dropping the unknown
//! keys the schema stage reported, and removing the smallest broken entry
//! until the rest deserializes, so later sections still run and one `check`
//! reports every problem instead of the first. Also collects every declared
//! name up front, so a reference to an entry that was removed is not
//! reported a second time as unresolved.

use super::raw;
use crate::load::escape_pointer_token as esc;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

/// How many broken entries lowering removes before it stops trying to build a
/// model. Beyond this the file is not a policy with mistakes but something else.
const MAX_PRUNES: usize = 64;

/// Names declared anywhere in the file, even in entries that later fail to
/// deserialize: a reference to a broken pattern is not also "unresolved".
/// Sorted, so candidate lists in help texts come out in the same order on
/// every run.
#[derive(Default)]
pub(super) struct Declared {
    pub(super) patterns: BTreeSet<String>,
    pub(super) classes: BTreeSet<String>,
    pub(super) tags: BTreeSet<String>,
    pub(super) placeholders: BTreeSet<String>,
    pub(super) events: BTreeSet<String>,
}

impl Declared {
    pub(super) fn collect(value: &Value) -> Self {
        let names = |p: &str| -> BTreeSet<String> {
            value
                .pointer(p)
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        Declared {
            patterns: names("/keys/patterns"),
            classes: names("/ttl/classes"),
            tags: names("/tags"),
            placeholders: names("/keys/placeholders"),
            events: names("/invalidation/events"),
        }
    }
}

/// Deserializes the raw policy; when a part does not fit (the schema stage has
/// already said why), removes the smallest enclosing entry and tries again.
/// Returns the pointers it removed with the policy: the model holds a default
/// or nothing where they were, and must not pass that off as what the file says.
pub(super) fn deserialize_pruning(value: &mut Value) -> Option<(raw::Policy, Vec<String>)> {
    let mut removed = Vec::new();
    for _ in 0..MAX_PRUNES {
        let result: Result<raw::Policy, _> = serde_path_to_error::deserialize(&*value);
        let err = match result {
            Ok(policy) => return Some((policy, removed)),
            Err(err) => err,
        };
        let pointer = path_to_pointer(err.path());
        let victim = prune_target(value, &pointer)?;
        remove_pointer(value, &victim);
        removed.push(victim);
    }
    None
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment as S;
    let mut out = String::new();
    for seg in path.iter() {
        out.push('/');
        match seg {
            S::Seq { index } => out.push_str(&index.to_string()),
            S::Map { key } => out.push_str(&esc(key)),
            S::Enum { variant } => out.push_str(&esc(variant)),
            S::Unknown => {}
        }
    }
    out
}

/// The deepest entry of a user-named map or a list on the path; removing it
/// loses the least. `None` when only the top level itself is broken.
fn prune_target(value: &Value, pointer: &str) -> Option<String> {
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    for depth in (1..=tokens.len()).rev() {
        let parent = format!("/{}", tokens[..depth - 1].join("/"));
        let parent = if depth == 1 { String::new() } else { parent };
        let child = format!("{parent}/{}", tokens[depth - 1]);
        if value.pointer(&child).is_none() {
            continue;
        }
        let is_collection_entry = match value.pointer(&parent) {
            Some(Value::Array(_)) => true,
            Some(Value::Object(_)) => is_user_map(&parent),
            _ => false,
        };
        if is_collection_entry {
            return Some(child);
        }
    }
    // No collection on the path: drop the field itself; if it was required,
    // the next attempt fails on its parent and prunes that.
    (!tokens.is_empty() && value.pointer(pointer).is_some()).then(|| pointer.to_owned())
}

/// Maps whose keys are names the user chose (patterns, routes, ...).
fn is_user_map(pointer: &str) -> bool {
    const USER_MAPS: &[&str] = &[
        "/ttl/classes",
        "/keys/placeholders",
        "/keys/patterns",
        "/tags",
        "/invalidation/cascade",
        "/invalidation/events",
        "/edge/routes",
        "/warming/tasks",
    ];
    USER_MAPS.contains(&pointer)
        || (pointer.starts_with("/invalidation/events/") && pointer.ends_with("/when_changed"))
        || (pointer.starts_with("/edge/routes/") && pointer.ends_with("/headers"))
        || is_access_map(pointer)
}

/// A store's services (`/stores/<name>/access/services`, or the shorthand's
/// `/redis/access/services`): one broken service is dropped, not the store.
fn is_access_map(pointer: &str) -> bool {
    let Some(store) = pointer.strip_suffix("/access/services") else {
        return false;
    };
    store == "/redis"
        || store
            .strip_prefix("/stores/")
            .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// Drops every unknown key, one `retain` per parent mapping: removing them one
/// by one shifts the map each time, which is quadratic in hostile input.
pub(super) fn remove_unknown(value: &mut Value, unknown: &[String]) {
    let mut by_parent: HashMap<&str, HashSet<String>> = HashMap::new();
    for pointer in unknown {
        if let Some((parent, last)) = pointer.rsplit_once('/') {
            by_parent
                .entry(parent)
                .or_default()
                .insert(last.replace("~1", "/").replace("~0", "~"));
        }
    }
    for (parent, keys) in by_parent {
        if let Some(Value::Object(map)) = value.pointer_mut(parent) {
            map.retain(|k, _| !keys.contains(k));
        }
    }
}

fn remove_pointer(value: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match value.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.shift_remove(&last);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}
