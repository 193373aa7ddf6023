//! CG507 channel-reaches-sentinel-hello: a service's channel glob matches
//! the channel Sentinels announce themselves and the primary on, in a store
//! that has Sentinels.

use crate::analysis::grants::{SENTINEL_CHANNEL, glob_matches};
use crate::lint::Findings;
use crate::policy::model::Policy;

crate::declare_rule! {
    /// ## What it does
    /// Reports a service `channels` glob that matches `__sentinel__:hello`
    /// (as Redis matches it: `*`, `?`, `[...]`, `\` escapes) in a store
    /// with `replicated.sentinel`.
    ///
    /// ## Why is this bad?
    /// Sentinels trust every hello message on that channel of a data node:
    /// one that names the primary with a higher configuration epoch than
    /// theirs makes every Sentinel switch to the address it names. A
    /// service allowed to `PUBLISH` there can move the whole store's
    /// clients to a server of its choosing, without any failover. Only
    /// the Sentinel user is meant to have the channel.
    ///
    /// ## Example
    /// ```yaml
    /// replicated:
    ///   sentinel: { sentinels: 3, quorum: 2 }
    /// access:
    ///   services:
    ///     cart:
    ///       password: {env: CART_REDIS_PASSWORD}
    ///       channels: ["*"]   # CG507: also `__sentinel__:hello`
    /// ```
    /// Use instead globs under a prefix of the service's own
    /// (`cart-events:*`).
    "CG507", "channel-reaches-sentinel-hello", Error, "a service's channel glob reaches the Sentinels' hello channel"
}

/// What the rule reads (see `lint::Rule::reads`).
pub const READS: &[&str] = &["@store/access/services", "@store/replicated/sentinel"];

pub fn check(policy: &Policy, out: &mut Findings) {
    for store in policy.stores.values() {
        if !store.has_sentinels() {
            continue;
        }
        for service in store.access.services.values() {
            for (i, glob) in service.channels.iter().enumerate() {
                if !glob_matches(glob, SENTINEL_CHANNEL) {
                    continue;
                }
                let d = out.report(
                    format!(
                        "service `{}` may publish on `{SENTINEL_CHANNEL}` of `{}`, where the Sentinels take any hello message as the truth about the primary",
                        service.name, store.name
                    ),
                    policy.span(&service.pointer, &format!("channels/{i}")),
                    "matches the Sentinels' channel",
                );
                d.add_help("give the service channels under a prefix of its own (`cart-events:*`), which cannot match `__sentinel__:hello`");
            }
        }
    }
}
