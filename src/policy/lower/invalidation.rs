//! Owns lowering `invalidation:`: cascades (resolved, each dependent key
//! buildable from its source's placeholders, no cycles) and events (names,
//! parameters, and that each event carries every placeholder the keys it
//! invalidates, cascades included, need).

use super::Cx;
use super::keys::placeholder_name;
use super::names::is_event_name;
use crate::diag::codes;
use crate::load::escape_pointer_token as esc;
use crate::policy::model::*;
use crate::policy::raw;
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};

impl Cx<'_> {
    pub(super) fn cascade(
        &mut self,
        raw: IndexMap<String, Vec<String>>,
        keys: &Keys,
    ) -> IndexMap<String, Vec<String>> {
        let mut cascade: IndexMap<String, Vec<String>> = IndexMap::new();
        for (source, targets) in raw {
            let pointer = format!("/invalidation/cascade/{}", esc(&source));
            if !keys.patterns.contains_key(&source) {
                if !self.declared.patterns.contains(&source) {
                    let span = self.key_span(&pointer);
                    self.unresolved(
                        "key pattern",
                        &source,
                        keys.patterns.keys().map(String::as_str).collect(),
                        span,
                    );
                }
                continue;
            }
            let mut resolved = Vec::new();
            for (i, target) in targets.iter().enumerate() {
                let item = format!("{pointer}/{i}");
                if !self.check_pattern_ref(target, &item, keys) {
                    continue;
                }
                let src_ph: HashSet<&str> = keys.patterns[&source].placeholders().collect();
                let missing: Vec<&str> = keys.patterns[target]
                    .placeholders()
                    .filter(|p| !src_ph.contains(p))
                    .collect();
                if !missing.is_empty() {
                    self.report(
                        codes::INCONSISTENT,
                        format!("cascade `{source}` → `{target}` cannot build the dependent key: `{target}` needs <{}>, which `{source}` does not have", missing.join(">, <")),
                        self.span(&item),
                        "placeholder not bound",
                        Some("invalidate it from an event whose `params` carry the missing values".into()),
                    );
                    continue;
                }
                resolved.push(target.clone());
            }
            cascade.insert(source, resolved);
        }
        self.check_cycles(&cascade);
        cascade
    }

    fn check_cycles(&mut self, cascade: &IndexMap<String, Vec<String>>) {
        // Iterative DFS with colours; each cycle is reported once, at its back edge.
        let mut colour: HashMap<&str, u8> = HashMap::new();
        for start in cascade.keys() {
            if colour.get(start.as_str()).copied().unwrap_or(0) != 0 {
                continue;
            }
            let mut path: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
            colour.insert(start.as_str(), 1);
            while let Some((node, next)) = path.last().copied() {
                let deps = cascade.get(node).map(Vec::as_slice).unwrap_or(&[]);
                if next >= deps.len() {
                    colour.insert(node, 2);
                    path.pop();
                    continue;
                }
                path.last_mut().expect("non-empty").1 += 1;
                let dep = deps[next].as_str();
                match colour.get(dep).copied().unwrap_or(0) {
                    0 => {
                        colour.insert(dep, 1);
                        path.push((dep, 0));
                    }
                    1 => {
                        let from = path.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<&str> = path[from..].iter().map(|(n, _)| *n).collect();
                        cycle.push(dep);
                        let pointer = format!("/invalidation/cascade/{}/{next}", esc(node));
                        self.report(
                            codes::DEPENDENCY_CYCLE,
                            format!("cascade dependencies form a cycle: {}", cycle.join(" → ")),
                            self.span(&pointer),
                            "closes the cycle",
                            Some("cascades must flow one way; remove one of the edges".into()),
                        );
                    }
                    _ => {}
                }
            }
        }
    }

    /// Placeholders needed to invalidate `pattern` and everything it cascades to.
    fn closure_placeholders(
        keys: &Keys,
        cascade: &IndexMap<String, Vec<String>>,
        pattern: &str,
    ) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut stack = vec![pattern.to_owned()];
        let mut out: Vec<String> = Vec::new();
        while let Some(p) = stack.pop() {
            if !seen.insert(p.clone()) {
                continue;
            }
            if let Some(kp) = keys.patterns.get(&p) {
                for ph in kp.placeholders() {
                    if !out.iter().any(|o| o == ph) {
                        out.push(ph.to_owned());
                    }
                }
            }
            stack.extend(cascade.get(&p).cloned().unwrap_or_default());
        }
        out
    }

    pub(super) fn events(
        &mut self,
        raw: IndexMap<String, raw::EventDef>,
        keys: &Keys,
        tags: &IndexMap<String, Tag>,
        cascade: &IndexMap<String, Vec<String>>,
    ) -> IndexMap<String, Event> {
        let mut events = IndexMap::new();
        for (name, def) in raw {
            let pointer = format!("/invalidation/events/{}", esc(&name));
            if !is_event_name(&name) {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!(
                        "event name `{}` is not dotted lowercase identifiers",
                        name.escape_debug()
                    ),
                    self.key_span(&pointer),
                    "invalid name",
                    Some("e.g. `user.updated`, `quiz.completed`".into()),
                );
                continue;
            }
            for (i, param) in def.params.iter().enumerate() {
                if !keys.placeholders.contains_key(param)
                    && !self.declared.placeholders.contains(param)
                {
                    let span = self.span(&format!("{pointer}/params/{i}"));
                    self.unresolved(
                        "placeholder",
                        param,
                        keys.placeholders.keys().map(String::as_str).collect(),
                        span,
                    );
                }
            }
            let check_list = |cx: &mut Self, list: &[String], list_pointer: &str| -> Vec<String> {
                let mut ok = Vec::new();
                for (i, target) in list.iter().enumerate() {
                    let item = format!("{list_pointer}/{i}");
                    if !cx.check_pattern_ref(target, &item, keys) {
                        continue;
                    }
                    let missing: Vec<String> = Self::closure_placeholders(keys, cascade, target)
                        .into_iter()
                        .filter(|p| !def.params.contains(p))
                        .collect();
                    if !missing.is_empty() {
                        cx.report(
                            codes::INCONSISTENT,
                            format!("event `{name}` invalidates `{target}` (and its cascade), which needs <{}>, but the event does not carry it", missing.join(">, <")),
                            cx.span(&item),
                            "placeholder not in `params`",
                            Some(format!("add {} to the event's `params`", missing.join(", "))),
                        );
                    }
                    ok.push(target.clone());
                }
                ok
            };
            let invalidate = check_list(self, &def.invalidate, &format!("{pointer}/invalidate"));
            let mut when_changed = IndexMap::new();
            for (field, list) in &def.when_changed {
                let field_pointer = format!("{pointer}/when_changed/{}", esc(field));
                if !self.check_identifier(field, &field_pointer, "field") {
                    continue;
                }
                let resolved = check_list(self, list, &field_pointer);
                when_changed.insert(field.clone(), resolved);
            }
            let mut invalidate_tags = Vec::new();
            for (i, tag) in def.invalidate_tags.iter().enumerate() {
                let item = format!("{pointer}/invalidate_tags/{i}");
                match tags.get(tag) {
                    Some(t) => {
                        let missing: Vec<&str> = t
                            .key
                            .iter()
                            .filter_map(placeholder_name)
                            .filter(|p| !def.params.iter().any(|x| x == p))
                            .collect();
                        if !missing.is_empty() {
                            self.report(
                                codes::INCONSISTENT,
                                format!("event `{name}` invalidates tag `{tag}`, whose key needs <{}>, but the event does not carry it", missing.join(">, <")),
                                self.span(&item),
                                "placeholder not in `params`",
                                None,
                            );
                        }
                        invalidate_tags.push(tag.clone());
                    }
                    None if self.declared.tags.contains(tag) => {}
                    None => {
                        let span = self.span(&item);
                        self.unresolved(
                            "tag",
                            tag,
                            tags.keys().map(String::as_str).collect(),
                            span,
                        );
                    }
                }
            }
            events.insert(
                name.clone(),
                Event {
                    name,
                    pointer,
                    params: def.params,
                    invalidate,
                    invalidate_tags,
                    when_changed,
                },
            );
        }
        events
    }
}
