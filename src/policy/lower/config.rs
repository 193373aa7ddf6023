//! Owns lowering a store's engine release and its `config:` map: every
//! entry checked against the facts of that engine and version (name,
//! aliases, type, range, enum values, memory units), secrets refused,
//! directives that have a field of their own or belong to the deployment
//! or to access control sent there.

use super::Cx;
use crate::diag::{Diagnostic, codes};
use crate::facts::{self, ConfigValue, Engine, Release};
use crate::load::escape_pointer_token as esc;
use crate::policy::first_class::{ACCESS, DEPLOYMENT, field_of};
use crate::policy::model::{ConfigSetting, Version};
use indexmap::IndexMap;

impl Cx<'_> {
    /// The release whose facts describe the store; every store must have
    /// one. A Redis before 7.0 is refused with its own reason: the
    /// generated access control (`aclfile` with `%R~` read-only key rules
    /// and `command|subcommand` grants) is Redis 7.0 ACL syntax, which an
    /// older server refuses to load.
    pub(super) fn release(
        &mut self,
        engine: Engine,
        version: Version,
        store_pointer: &str,
    ) -> Option<Release> {
        match facts::release(engine, version) {
            Ok(r) => Some(r),
            Err(e) => {
                let pointer = format!("{store_pointer}/version");
                let known = facts::known_releases();
                if !self.unknown.contains(&pointer) {
                    let old_redis = engine == Engine::Redis && version < (7, 0);
                    let (message, help) = if old_redis {
                        (
                            format!(
                                "cachegen's access control needs Redis 7.0 or later (its ACL syntax: `%R~` read-only key rules, subcommand grants); this store declares Redis {}.{}",
                                version.0, version.1
                            ),
                            format!(
                                "cachegen supports Redis 7.0 to 8.x and Valkey; target one of the releases it has facts for ({})",
                                known
                            ),
                        )
                    } else {
                        (
                            e.to_string(),
                            "declare a release cachegen has facts for".to_owned(),
                        )
                    };
                    self.report(
                        codes::OUT_OF_RANGE,
                        message,
                        self.span(&pointer),
                        if old_redis {
                            "before Redis 7.0"
                        } else {
                            "no facts for this release"
                        },
                        Some(help),
                    );
                    self.mark_unknown(&pointer);
                }
                None
            }
        }
    }

    /// The checked `config:` entries; each problem is a diagnostic at its
    /// entry and the entry is left out.
    pub(super) fn store_config(
        &mut self,
        store_pointer: &str,
        release: Option<Release>,
        config: IndexMap<String, ConfigValue>,
    ) -> Vec<ConfigSetting> {
        let Some(release) = release else {
            return Vec::new();
        };
        let table = release.table();
        let mut out: Vec<ConfigSetting> = Vec::new();
        for (written, value) in config {
            let pointer = format!("{store_pointer}/config/{}", esc(&written));
            let Some(fact) = table.get(&written) else {
                self.diags.push(unknown_directive(
                    &written,
                    release,
                    self.key_span(&pointer),
                ));
                continue;
            };
            let name: &'static str = fact.name.as_str();
            // Any release's flag counts: one rule with `verify::gather`.
            if facts::secret_anywhere(name) {
                self.report(
                    codes::LITERAL_SECRET,
                    format!("`{name}` holds a secret; a policy must never contain one"),
                    self.span(&pointer),
                    "secret in the policy",
                    Some("remove it: the policy is reviewed in pull requests and copied into generated files; give the server its secrets from a secret store or the deployment's environment".into()),
                );
                continue;
            }
            if let Some(field) = field_of(name) {
                self.report(
                    codes::INCONSISTENT,
                    format!("`{name}` is a setting of its own: set it as `{field}`"),
                    self.key_span(&pointer),
                    "first-class setting",
                    Some(format!("move the value to the store's `{field}` field, where it is linted and verified")),
                );
                continue;
            }
            if DEPLOYMENT.contains(&name) {
                self.report(
                    codes::INCONSISTENT,
                    format!("`{name}` is not set through `config:`"),
                    self.key_span(&pointer),
                    "owned by the deployment",
                    Some("cachegen writes it from the store's topology (ports, paths, cluster wiring), or it would change what the file means (`include`, `replicaof`)".into()),
                );
                continue;
            }
            if ACCESS.contains(&name) {
                self.report(
                    codes::INCONSISTENT,
                    format!("`{name}` is set through `access`, not `config:`"),
                    self.key_span(&pointer),
                    "owned by access control",
                    Some("cachegen writes it from the store's `access` section (protected mode and the ACL file always, TLS from `access.tls`); a second line here would contradict it".into()),
                );
                continue;
            }
            if let Some(earlier) = out.iter().find(|s| s.name == name) {
                self.report(
                    codes::INCONSISTENT,
                    format!(
                        "`{name}` is set twice (`{}` is another name for it)",
                        written.escape_debug()
                    ),
                    self.key_span(&pointer),
                    "second setting",
                    Some(format!(
                        "keep one; the other is at `{}`",
                        earlier.pointer.rsplit('/').next().unwrap_or(name)
                    )),
                );
                continue;
            }
            match facts::check_value(fact, &value) {
                Ok(setting) => out.push(ConfigSetting {
                    name,
                    pointer,
                    conf: setting.conf,
                    config_get: setting.config_get,
                    development: fact.has(facts::Flag::Hidden),
                }),
                Err(problem) => self.report(
                    codes::INVALID_DIRECTIVE,
                    problem.to_string(),
                    self.span(&pointer),
                    "not accepted by the server",
                    None,
                ),
            }
        }
        out
    }
}

/// An unknown name: the closest one of this release, and the releases that
/// do have it (`activedefrag-…` of another engine, a newer directive).
fn unknown_directive(written: &str, release: Release, span: crate::source::Span) -> Diagnostic {
    let d = Diagnostic::new(
        codes::INVALID_DIRECTIVE,
        format!("{release} has no directive `{}`", written.escape_debug()),
    )
    .with_span(span, "unknown directive");
    let elsewhere: Vec<String> = facts::releases_having(written)
        .iter()
        .map(ToString::to_string)
        .collect();
    if !elsewhere.is_empty() {
        return d.with_help(format!(
            "`{written}` exists in {}, not in {release}",
            elsewhere.join(", ")
        ));
    }
    // The facts' own matcher: it spells candidates as the word is compared
    // and offers aliases too.
    match facts::did_you_mean(release.table(), written) {
        Some(best) => d.with_help(format!("did you mean `{best}`?")),
        None => d,
    }
}

#[cfg(test)]
mod tests {
    use crate::{CheckOptions, check_bytes};

    fn errors(store: &str) -> Vec<String> {
        let yaml = format!(
            "version: 1\nttl:\n  default: 5m\nkeys:\n  patterns:\n    quiz:\n      pattern: \"quiz\"\n      store: cache\nstores:\n{store}"
        );
        check_bytes("inline.yaml", yaml.as_bytes(), &CheckOptions::default())
            .diagnostics
            .iter()
            .filter(|d| d.severity == crate::diag::Severity::Error)
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect()
    }

    /// Redis 7.0 and 7.2 do not flag the TLS key passphrases `sensitive`
    /// (7.4 does); they are secrets on every release all the same.
    #[test]
    fn a_secret_is_refused_even_where_its_release_does_not_flag_it() {
        let v70 = crate::facts::release(crate::facts::Engine::Redis, (7, 0)).unwrap();
        assert!(!v70.table().get("tls-key-file-pass").unwrap().sensitive());
        let found = errors(
            "  cache:\n    version: \"7.0\"\n    maxmemory: 1gb\n    maxmemory_policy: allkeys-lru\n    config:\n      tls-key-file-pass: hunter2\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("CG030 `tls-key-file-pass` holds a secret"),
            "{found:?}"
        );
    }

    #[test]
    fn a_refused_store_name_is_reported_once() {
        let found = errors(
            "  Weird Name:\n    version: \"7.0\"\n    maxmemory: 1gb\n    maxmemory_policy: allkeys-lru\n  cache:\n    version: \"7.0\"\n    maxmemory: 1gb\n    maxmemory_policy: allkeys-lru\n",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("CG024 store name"), "{found:?}");
    }

    #[test]
    fn no_store_at_all_names_no_stand_in() {
        let found = errors("  {}\n");
        assert!(
            found
                .iter()
                .any(|f| f.starts_with("CG011 the policy declares no Redis store")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .all(|f| !f.contains("redis") || f.contains("no Redis store")),
            "{found:?}"
        );
    }

    #[test]
    fn numbers_yaml_made_of_text_are_text() {
        let found = errors(
            "  cache:\n    version: \"7.2\"\n    maxmemory: 1gb\n    maxmemory_policy: allkeys-lru\n    config:\n      latency-tracking-info-percentiles: 99.9\n",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
