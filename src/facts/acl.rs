//! Owns the `ACL CAT` facts of one release: which commands (by ACL name,
//! `client|setname`) each ACL category holds, read off the server itself
//! (`data/redis-directives/acl-categories-*.json`). Answers questions only:
//! which commands a generated ACL may grant is `render::access`'s decision.

use std::collections::{BTreeMap, BTreeSet};

/// One release's categories and the commands in each.
#[derive(Debug)]
pub struct AclCategories {
    categories: BTreeMap<String, BTreeSet<String>>,
    /// Every command of any category: what the release knows.
    all: BTreeSet<String>,
}

impl AclCategories {
    pub(super) fn parse(json: &str) -> Result<AclCategories, String> {
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let object = value["categories"]
            .as_object()
            .ok_or("no `categories` object")?;
        let mut categories = BTreeMap::new();
        let mut all = BTreeSet::new();
        for (name, commands) in object {
            let commands = commands
                .as_array()
                .ok_or_else(|| format!("category `{name}` is not a list"))?;
            let mut set = BTreeSet::new();
            for c in commands {
                let c = c
                    .as_str()
                    .ok_or_else(|| format!("category `{name}` holds a non-string"))?;
                set.insert(c.to_owned());
                all.insert(c.to_owned());
            }
            categories.insert(name.clone(), set);
        }
        Ok(AclCategories { categories, all })
    }

    /// Whether the release has the command (`get`, `client|setname`).
    pub fn has(&self, command: &str) -> bool {
        self.all.contains(command)
    }

    /// The commands of a category (`hash`, `read`), sorted; empty for a
    /// category the release does not have.
    pub fn category(&self, name: &str) -> impl Iterator<Item = &str> {
        self.categories
            .get(name)
            .into_iter()
            .flat_map(|set| set.iter().map(String::as_str))
    }

    /// Whether the command is in the category.
    pub fn in_category(&self, command: &str, category: &str) -> bool {
        self.categories
            .get(category)
            .is_some_and(|set| set.contains(command))
    }
}

#[cfg(test)]
mod tests {
    use crate::facts::Release;

    #[test]
    fn every_release_has_its_categories() {
        for release in Release::all() {
            let acl = release.acl();
            assert!(acl.has("get") && acl.has("client|setname"), "{release}");
            assert!(acl.in_category("flushall", "dangerous"), "{release}");
            assert!(acl.category("hash").any(|c| c == "hset"), "{release}");
            assert!(!acl.has("no-such-command"));
        }
    }
}
