//! CG114 dangerous-commands-enabled: a `config:` entry that opens `DEBUG`,
//! `MODULE` or protected configs to clients.

use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports `config:` entries that turn on `enable-debug-command`,
    /// `enable-module-command` or `enable-protected-configs` for clients
    /// (`yes`, or `local`, which still admits every client on the server's
    /// own host, sidecars included).
    ///
    /// ## Why is this bad?
    /// These three are off by default because each hands a client the
    /// server: `MODULE LOAD` runs any shared library as the server's user,
    /// `DEBUG` can crash or stall it and read memory, and protected configs
    /// (`dir`, `dbfilename`) are the classic way to make Redis write a file
    /// of the attacker's choosing (`CONFIG SET dir` then `SAVE`). ACLs can
    /// deny the commands, but one user with `+@all` undoes that.
    ///
    /// ## Example
    /// ```yaml
    /// stores:
    ///   cache:
    ///     config:
    ///       enable-module-command: yes   # CG114
    /// ```
    /// Leave them at `no`; load modules with `loadmodule` in the deployment.
    "CG114", "dangerous-commands-enabled", Warning, "a config: entry lets clients run DEBUG, MODULE or change protected configs"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/config"];

/// The switches that open a command family to clients, and what it gives.
const SWITCHES: &[(&str, &str)] = &[
    ("enable-debug-command", "`DEBUG`"),
    ("enable-module-command", "`MODULE LOAD`"),
    (
        "enable-protected-configs",
        "`CONFIG SET` of `dir`, `dbfilename` and other protected configs",
    ),
];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        for setting in &store.config {
            let Some((_, what)) = SWITCHES.iter().find(|(name, _)| *name == setting.name) else {
                continue;
            };
            if setting.conf == "no" {
                continue;
            }
            out.report(
                format!(
                    "`{}: {}` lets clients of store `{}` run {what}",
                    setting.name, setting.conf, store.name
                ),
                policy.span(&setting.pointer, ""),
                "opens a way to take over the server",
            )
            .add_help("leave it `no` (the default): what it opens runs code, crashes the server or writes files as its user");
        }
    }
}
