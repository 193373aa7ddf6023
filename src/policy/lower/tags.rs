//! Owns lowering tag sets: the set's key, its TTL, its members (the
//! patterns that list the tag, which must all have the placeholders the key
//! needs) and its store (its members' one store).

use super::Cx;
use super::keys::placeholder_name;
use crate::diag::codes;
use crate::load::escape_pointer_token as esc;
use crate::load::units::Percent;
use crate::policy::model::*;
use crate::policy::raw;
use indexmap::IndexMap;

impl Cx<'_> {
    pub(super) fn tags(
        &mut self,
        raw: IndexMap<String, raw::TagDef>,
        ttl: &TtlRules,
        keys: &mut Keys,
    ) -> IndexMap<String, Tag> {
        let mut tags = IndexMap::new();
        for (name, def) in raw {
            let pointer = format!("/tags/{}", esc(&name));
            if !self.check_identifier(&name, &pointer, "tag") {
                continue;
            }
            let Some(key) = self.parse_key(&def.key, &format!("{pointer}/key"), &keys.placeholders)
            else {
                continue;
            };
            let tag_ttl = self
                .ttl_ref(
                    Some(&def.ttl),
                    &format!("{pointer}/ttl"),
                    ttl,
                    Percent::default(),
                    false,
                )
                .ttl;
            let members: Vec<String> = keys
                .patterns
                .values()
                .filter(|p| p.tags.contains(&name))
                .map(|p| p.name.clone())
                .collect();
            let needed: Vec<String> = key
                .iter()
                .filter_map(placeholder_name)
                .map(str::to_owned)
                .collect();
            // A tag set indexes keys of its own store: its members must
            // share one, or invalidating the tag would look for members in
            // a store that does not hold them.
            let store = match members.first() {
                Some(first) => keys.patterns[first].store.clone(),
                None => stores_fallback(keys),
            };
            let strays: Vec<&String> = members
                .iter()
                .filter(|m| keys.patterns[*m].store != store)
                .collect();
            if let Some(stray) = strays.first() {
                let at = keys.patterns[*stray]
                    .tags
                    .iter()
                    .position(|t| t == &name)
                    .unwrap_or(0);
                self.report(
                    codes::INCONSISTENT,
                    format!(
                        "tag `{name}` has members in store `{store}` and in store `{}` (`{stray}`)",
                        keys.patterns[*stray].store
                    ),
                    self.span(&format!("{}/tags/{at}", keys.patterns[*stray].pointer)),
                    "member of another store",
                    Some("a tag set lives in one store and indexes keys of that store: use one tag per store".into()),
                );
            }
            for member in &members {
                let pattern = &keys.patterns[member];
                let missing: Vec<&String> = needed
                    .iter()
                    .filter(|n| !pattern.placeholders().any(|p| p == n.as_str()))
                    .collect();
                if !missing.is_empty() {
                    let at = keys.patterns[member]
                        .tags
                        .iter()
                        .position(|t| t == &name)
                        .unwrap_or(0);
                    self.report(
                        codes::INCONSISTENT,
                        format!("pattern `{member}` joins tag `{name}`, whose set key needs `<{}>`, which the pattern does not have", missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(">`, `<")),
                        self.span(&format!("{}/tags/{at}", keys.patterns[member].pointer)),
                        "cannot build the tag key",
                        None,
                    );
                }
            }
            tags.insert(
                name.clone(),
                Tag {
                    name,
                    pointer,
                    key_text: def.key,
                    key,
                    ttl: tag_ttl,
                    members,
                    store,
                },
            );
        }
        tags
    }
}

/// The store of a tag without members: the store patterns default to when
/// every pattern shares one, else the first pattern's.
fn stores_fallback(keys: &Keys) -> String {
    keys.patterns
        .values()
        .next()
        .map(|p| p.store.clone())
        .unwrap_or_default()
}
