//! CG113 development-directive: a `config:` entry its engine hides from
//! `CONFIG GET *` because it is a knob for the engine's own tests.

use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports `config:` entries whose directive the store's engine release
    /// marks `hidden` (`HIDDEN_CONFIG` in `config.c`: left out of
    /// `CONFIG GET *`, there for the engine's tests and debugging), according
    /// to the directive facts. The `debug` flag alone is not reported: it
    /// only puts a setting in the crash report, and production settings such
    /// as `activedefrag` carry it.
    ///
    /// ## Why is this bad?
    /// Hidden directives exist to test the server itself: `key-load-delay`
    /// slows every key loaded at startup, `rdb-key-save-delay` every key
    /// saved. They are not documented for production, can change or go in any
    /// release without notice, and do not show in `CONFIG GET *`, so an
    /// operator looking over the server's settings does not see them.
    ///
    /// ## Example
    /// ```yaml
    /// stores:
    ///   cache:
    ///     config:
    ///       key-load-delay: 10   # CG113
    /// ```
    /// Remove the entry.
    "CG113", "development-directive", Warning, "a config: entry the engine hides as a knob for its own tests"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/config", "@store/engine", "@store/version"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(release) = store.release else {
            continue;
        };
        for setting in store.config.iter().filter(|s| s.development) {
            out.report(
                format!(
                    "`{}` is a development setting of {release}, hidden from `CONFIG GET *`",
                    setting.name
                ),
                policy.key_span(&setting.pointer),
                "meant for the engine's own tests",
            )
            .add_help("remove it: it is not meant for production, may change in any release, and operators listing the server's settings do not see it");
        }
    }
}
