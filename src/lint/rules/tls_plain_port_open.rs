//! CG504 tls-plain-port-open: a store that serves TLS also keeps a
//! plain-text port open.

use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports `access.tls.plain_port`: a plain-text port kept open beside
    /// the TLS port.
    ///
    /// ## Why is this bad?
    /// Redis serves the same users and data on both ports. A client that
    /// connects to the plain port sends its password and reads every value
    /// in clear text, and nothing on the server tells the two apart: the
    /// TLS port protects only the clients that choose it. It is meant for a
    /// migration, not for good.
    ///
    /// ## Example
    /// ```yaml
    /// access:
    ///   tls:
    ///     port: 6380
    ///     plain_port: 6379   # CG504
    /// ```
    /// Use instead: omit `plain_port` (the generated redis.conf says
    /// `port 0`) once every client speaks TLS.
    "CG504", "tls-plain-port-open", Warning, "a TLS store keeps a plain-text port open"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/access/tls"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        let Some(tls) = &store.access.tls else {
            continue;
        };
        let Some(plain) = tls.plain_port else {
            continue;
        };
        let d = out.report(
            format!(
                "store `{}` serves TLS on port {} but also plain text on port {plain}: a client there sends its password and reads values in clear text",
                store.name, tls.port
            ),
            policy.span(&tls.pointer, "plain_port"),
            "plain-text port",
        );
        d.add_help(
            "remove `plain_port` once every client connects with TLS (the generated redis.conf then says `port 0`)",
        );
    }
}
