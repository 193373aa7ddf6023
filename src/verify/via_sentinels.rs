//! Owns a run through a store's Sentinels (`--sentinel`,
//! `redis+sentinel://`): ask them (`sentinel::gather`), verify the primary
//! they all name exactly as a `--redis` seed (`gather`, the judges), then
//! ask them again, so that a failover during the run makes the report
//! incomplete, naming the old and the new primary: no verdict stands on a
//! node that is no longer the primary. When they disagree, or none names a
//! primary on a host verify may contact, no node is verified.

use super::observed::Observed;
use super::sentinel::{self, Sentinels};
use super::{Options, Progress, Report, SentinelRow, gather, judge, target};
use crate::policy::model::Policy;
use std::time::Instant;

pub(super) fn run(
    policy: &Policy,
    options: &Options,
    sentinels: &Sentinels,
    progress: &(dyn Fn(Progress<'_>) + Sync),
    started: Instant,
) -> Report {
    let asked = sentinel::gather(sentinels, options.limits);
    let mut findings = judge::sentinel::judge(policy, options.store_of(policy), &asked);
    let rows = sentinel_rows(&asked);
    // The data nodes' login, TLS and database, at the primary named.
    let mut node = Options {
        store: options.store.clone(),
        target: options.target.clone(),
        tls: options.tls.clone(),
        allow: options.allow.clone(),
        sentinels: None,
        ..*options
    };
    let mut verified = None;
    let observed = match asked.primary() {
        Ok(primary) if !options.allow.allows(&primary.host) => Observed {
            incomplete: vec![format!(
                "the Sentinels name {primary} as the primary, on a host verify may not contact (see --allow-hosts); it was not verified"
            )],
            ..Observed::default()
        },
        Ok(primary) => {
            node.target.seed = primary.clone();
            let mut observed = gather::gather(policy, &node, progress);
            let end = sentinel::ask_again(sentinels, options.limits);
            if let Some(why) = sentinel::moved(&asked, &primary, &end) {
                observed.incomplete.push(why);
            }
            verified = Some(node.target.display_url());
            observed
        }
        Err(why) => Observed {
            incomplete: vec![why],
            ..Observed::default()
        },
    };
    findings.extend(judge::all(policy, &observed));
    let mut report = super::report(policy, &node, observed, findings, rows, started);
    report.target = format!(
        "{} ({})",
        sentinels.target.display_url(&sentinels.master_name),
        verified.map_or("no primary verified".to_owned(), |url| format!(
            "primary {url}"
        ))
    );
    report
}

/// One row per Sentinel asked, in the order given.
fn sentinel_rows(asked: &sentinel::SentinelObserved) -> Vec<SentinelRow> {
    asked
        .asked
        .iter()
        .map(|a| {
            let seen = a.seen.as_ref().ok();
            let field = |name: &str| {
                seen.and_then(|s| s.master.as_ref())
                    .and_then(|m| m.get(name).cloned())
            };
            SentinelRow {
                address: a.address.clone(),
                primary: seen.and_then(|s| s.primary.clone()),
                quorum: field("quorum"),
                others: field("num-other-sentinels"),
                error: match &a.seen {
                    Err(why) => Some(why.clone()),
                    Ok(s) if s.master.is_none() => Some(format!(
                        "does not monitor `{}`",
                        target::printable(&asked.master_name)
                    )),
                    Ok(_) => None,
                },
            }
        })
        .collect()
}
