//! Owns judging the keyspace: what every primary's scan tallied per key owner
//! (missing or too long TTLs, durable keys that expire, wrong types, values
//! too large or not compressed), keys under old version prefixes, and keys
//! no pattern declares.

use crate::diag::{Diagnostic, codes};
use crate::policy::model::Policy;
use crate::verify::classify::Owner;
use crate::verify::keyspace::{Hits, Tally};
use crate::verify::observed::Observed;

/// Findings from the scans' tallies, added up over every primary.
pub fn judge(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    keyspace_findings(policy, &observed.owners, &observed.tally(), &mut findings);
    findings
}

/// A TTL in milliseconds as the policy writes durations (`1500ms` → `1.5s`).
fn millis(ms: u64) -> String {
    crate::load::units::Duration::from_micros(ms.saturating_mul(1000)).to_string()
}

fn examples(hits: &Hits) -> String {
    if hits.examples.is_empty() {
        String::new()
    } else {
        format!("e.g. {}", hits.examples.join(", "))
    }
}

fn keyspace_findings(
    policy: &Policy,
    owners: &[Owner],
    tally: &Tally,
    findings: &mut Vec<Diagnostic>,
) {
    for (owner, t) in owners.iter().zip(&tally.owners) {
        let at = |field: &str| {
            policy
                .written_span(&owner.pointer, field)
                .unwrap_or_else(|| policy.key_span(&owner.pointer))
        };
        let of = |n: u64| format!("{n} of {} `{}` keys", t.keys, owner.label);
        // A lock's TTL is written in its `stampede_lock`, a pattern's in `ttl`.
        let ttl_field = if owner.field == "stampede_lock" {
            "stampede_lock"
        } else {
            "ttl"
        };
        if t.missing_ttl.count > 0 {
            findings.push(
                Diagnostic::new(
                    codes::MISSING_TTL,
                    format!(
                        "{} have no TTL; at most {} is allowed",
                        of(t.missing_ttl.count),
                        millis(t.missing_ttl.worst)
                    ),
                )
                .with_span(at(ttl_field), "TTL required")
                .with_help(examples(&t.missing_ttl)),
            );
        }
        if t.ttl_above_max.count > 0 {
            let max = owner.ttl_max_ms.unwrap_or(0);
            findings.push(
                Diagnostic::new(
                    codes::TTL_ABOVE_MAX,
                    format!(
                        "{} have a TTL above the allowed {} (up to {})",
                        of(t.ttl_above_max.count),
                        millis(max),
                        millis(t.ttl_above_max.worst)
                    ),
                )
                .with_span(at(ttl_field), "allowed TTL")
                .with_help(format!(
                    "{}; the bound includes jitter and the authenticated cap",
                    examples(&t.ttl_above_max)
                )),
            );
        }
        if t.durable_with_ttl.count > 0 {
            findings.push(
                Diagnostic::new(
                    codes::DURABLE_KEY_WITH_TTL,
                    format!(
                        "{} carry a TTL, but the pattern is durable and must not expire",
                        of(t.durable_with_ttl.count)
                    ),
                )
                .with_span(at("durable"), "durable")
                .with_help(examples(&t.durable_with_ttl)),
            );
        }
        let mut wrong: Vec<(&String, &Hits)> = t.wrong_type.iter().collect();
        wrong.sort_by(|a, b| a.0.cmp(b.0));
        for (found, hits) in wrong {
            findings.push(
                Diagnostic::new(
                    codes::WRONG_VALUE_TYPE,
                    format!(
                        "{} are a {found}; the policy declares {}",
                        of(hits.count),
                        owner.value_type
                    ),
                )
                .with_span(at("type"), "declared type")
                .with_help(examples(hits)),
            );
        }
        if t.too_large.count > 0
            && let Some((limit, pointer)) = &owner.max_value_size
        {
            let (parent, field) = pointer.rsplit_once('/').unwrap_or(("", pointer));
            findings.push(
                Diagnostic::new(
                    codes::VALUE_TOO_LARGE,
                    format!(
                        "{} are over `{}` ({limit} bytes; largest {} bytes)",
                        of(t.too_large.count),
                        crate::schema::display_pointer(pointer),
                        t.too_large.worst
                    ),
                )
                .with_span(policy.span(parent, field), "size threshold")
                .with_help(examples(&t.too_large)),
            );
        }
    }
    if tally.old_version.count > 0 {
        findings.push(
            Diagnostic::new(
                codes::OLD_VERSION_KEYS,
                format!(
                    "{} keys carry an old version prefix ({} bytes)",
                    tally.old_version.count, tally.old_version_memory
                ),
            )
            .with_span(policy.span("/keys", "previous_prefixes"), "old prefixes")
            .with_help(format!(
                "{}; they are read by nothing",
                examples(&tally.old_version)
            )),
        );
    }
    if tally.unknown > 0 {
        let mut top: Vec<String> = tally
            .top_prefixes(5)
            .into_iter()
            .map(|(p, n)| format!("{p} ({n})"))
            .collect();
        if tally.unknown_other > 0 {
            top.push(format!("other ({})", tally.unknown_other));
        }
        findings.push(
            Diagnostic::new(
                codes::UNKNOWN_KEYS,
                format!(
                    "{} keys ({} bytes) match no declared pattern; most common prefixes: {}",
                    tally.unknown,
                    tally.unknown_memory,
                    top.join(", ")
                ),
            )
            .with_span(policy.key_span("/keys/patterns"), "declared patterns")
            .with_help("declare them, or find the writer and stop it"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{node, observed, single};
    use super::*;
    use crate::verify::classify::Classifier;
    use crate::verify::observed::ScannedNode;

    fn hits(count: u64, example: &str, worst: u64) -> Hits {
        Hits {
            count,
            examples: vec![example.into()],
            worst,
        }
    }

    #[test]
    fn tallies_of_every_primary_are_added_up_and_judged() {
        let p = single();
        let owners = Classifier::new(&p).expect("compiles").owners;
        let at = |label: &str| owners.iter().position(|o| o.label == label).unwrap();
        let (page, session) = (at("page"), at("session"));
        // Two primaries' scans: `page` keys without a TTL on both, a durable
        // session with a TTL on one, unknown keys on the other.
        let mut first = Tally::new(owners.len());
        first.owners[page].keys = 10;
        first.owners[page].missing_ttl = hits(2, "v3:page:a", 60_000);
        first.owners[session].keys = 4;
        first.owners[session].durable_with_ttl = hits(1, "v3:session:x", 3_600_000);
        let mut second = Tally::new(owners.len());
        second.owners[page].keys = 5;
        second.owners[page].missing_ttl = hits(1, "v3:page:b", 60_000);
        second.unknown = 7;
        second.unknown_memory = 700;
        second.unknown_prefixes.insert("legacy:*".into(), 7);
        let scanned = |tally| {
            let mut n = node("127.0.0.1:1", None, None);
            n.scan = Some(ScannedNode {
                tally,
                ..Default::default()
            });
            n
        };
        let seen = Observed {
            owners,
            ..observed(false, vec![scanned(first), scanned(second)])
        };
        let messages: Vec<String> = judge(&p, &seen)
            .iter()
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect();
        assert_eq!(
            messages,
            [
                "CG422 3 of 15 `page` keys have no TTL; at most 1m is allowed",
                "CG424 1 of 4 `session` keys carry a TTL, but the pattern is durable and must not expire",
                "CG420 7 keys (700 bytes) match no declared pattern; most common prefixes: legacy:* (7)",
            ]
        );
    }

    #[test]
    fn a_clean_scan_has_no_findings() {
        let p = single();
        let owners = Classifier::new(&p).expect("compiles").owners;
        let seen = Observed {
            owners,
            ..observed(false, vec![])
        };
        assert!(judge(&p, &seen).is_empty());
    }
}
