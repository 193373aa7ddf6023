//! Owns judging the runtime counters every node reported in `INFO` before any
//! key was touched: the hit ratio over the `--window` (`verify::window`)
//! against its target, evictions where durable data can be evicted, OOM
//! rejections, and commands whose p99 latency (`INFO latencystats`) is over
//! the policy's latency threshold.

use crate::diag::{Diagnostic, Severity, codes};
use crate::policy::model::{EvictionPolicy, KeyPattern, Policy, Store, Ttl};
use crate::verify::observed::Observed;
use crate::verify::outcome::{NotNumeric, Runtime};
use crate::verify::server;
use crate::verify::window::{HitWindow, MIN_LOOKUPS};
use std::collections::BTreeMap;

/// The counters of every node that answered, summed, and the commands whose
/// p99 is over the threshold on a node (verify's own left out), slowest first.
pub fn counters(observed: &Observed) -> Runtime {
    let not_read = Err("the window was not read".to_owned());
    let windows: Vec<(String, &Result<_, String>)> = observed
        .reached()
        .map(|(node, _)| {
            (
                node.address.to_string(),
                node.window.as_ref().unwrap_or(&not_read),
            )
        })
        .collect();
    let mut r = Runtime {
        slow_threshold_us: observed.slow_threshold_us,
        window: HitWindow::sum(observed.window_asked, &windows),
        window_asked: observed.window_asked,
        ..Runtime::default()
    };
    let mut not_numeric = Vec::new();
    for (node, f) in observed.reached() {
        // Lifetime hits and misses are not summed (verify's own earlier
        // reads are in them; the ratio comes from the window), but one that
        // is not a number is still reported.
        for field in ["keyspace_hits", "keyspace_misses"] {
            if let Some(Err(text)) = server::info_counter(&f.info, field) {
                note_not_numeric(&mut not_numeric, &node.address, field, text);
            }
        }
        // Saturating: these numbers come from the server, which may be
        // hostile or broken; a wrap would turn a huge count into a small one.
        // A value that is not a number is noted, never counted as zero.
        let mut add = |total: &mut u64, field: &str, value: Option<Result<u64, &str>>| match value {
            Some(Ok(n)) => *total = total.saturating_add(n),
            Some(Err(text)) => note_not_numeric(&mut not_numeric, &node.address, field, text),
            None => {}
        };
        add(
            &mut r.evicted_keys,
            "evicted_keys",
            server::info_counter(&f.info, "evicted_keys"),
        );
        add(
            &mut r.oom_errors,
            "errorstat_OOM",
            server::error_count(&f.info, "OOM"),
        );
        if let Some(threshold) = observed.slow_threshold_us {
            match &f.slow {
                Ok(entries) => {
                    let over = entries
                        .iter()
                        .filter(|e| e.micros > threshold && !e.by_verifier);
                    r.slow.extend(over.cloned());
                }
                Err(why) => r
                    .latency_unchecked
                    .push((node.address.to_string(), why.clone())),
            }
        }
    }
    r.not_numeric = not_numeric;
    r.slow.sort_by(|a, b| {
        b.micros
            .cmp(&a.micros)
            .then_with(|| a.command.cmp(&b.command))
    });
    r
}

fn note_not_numeric(
    out: &mut Vec<NotNumeric>,
    node: &crate::verify::target::Address,
    field: &str,
    text: &str,
) {
    out.push(NotNumeric {
        node: node.to_string(),
        field: field.to_owned(),
        value: crate::verify::target::printable(&server::cut(text, 40)),
    });
}

/// Findings from the summed counters (`counters`).
pub fn judge(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    let mut findings = Vec::new();
    runtime_findings(
        policy,
        observed.store(policy),
        &counters(observed),
        &mut findings,
    );
    findings
}

fn runtime_findings(
    policy: &Policy,
    store: &Store,
    runtime: &Runtime,
    findings: &mut Vec<Diagnostic>,
) {
    for n in &runtime.not_numeric {
        findings.push(
            Diagnostic::new(
                codes::INFO_NOT_NUMERIC,
                format!(
                    "{} reports a non-numeric {} (`{}`); it is not counted, and what depends on it is not judged",
                    n.node, n.field, n.value
                ),
            )
            .with_span(policy.key_span(&store.pointer), "server settings"),
        );
    }
    if let Some(target) = policy.targets.as_ref().and_then(|t| t.redis_hit_ratio)
        && runtime.hit_ratio_readable()
    {
        hit_ratio_findings(
            policy.span("/targets", "redis_hit_ratio"),
            f64::from(target.basis_points()) / 10_000.0,
            &runtime.window,
            findings,
        );
    }
    if runtime.evicted_keys > 0 {
        let durable: Vec<&KeyPattern> = policy
            .patterns_in(&store.name)
            .filter(|p| p.durable)
            .collect();
        let allkeys = matches!(
            store.redis.maxmemory_policy,
            EvictionPolicy::AllkeysLru | EvictionPolicy::AllkeysLfu | EvictionPolicy::AllkeysRandom
        );
        let volatile_exposed: Vec<&str> = durable
            .iter()
            .filter(|p| matches!(p.ttl, Ttl::Expires { .. }))
            .map(|p| p.name.as_str())
            .collect();
        let severity = if allkeys && !durable.is_empty() {
            Some(Severity::Error)
        } else if !allkeys
            && store.redis.maxmemory_policy != EvictionPolicy::Noeviction
            && !volatile_exposed.is_empty()
        {
            Some(Severity::Warning)
        } else {
            None
        };
        if let Some(severity) = severity {
            let names: Vec<&str> = if allkeys {
                durable.iter().map(|p| p.name.as_str()).collect()
            } else {
                volatile_exposed
            };
            findings.push(
                Diagnostic::new(
                    codes::EVICTIONS_WITH_DURABLE_DATA,
                    format!(
                        "{} keys were evicted, and durable patterns can be among them: {}",
                        runtime.evicted_keys,
                        names.join(", ")
                    ),
                )
                .with_severity(severity)
                .with_span(
                    policy.span(&store.pointer, "maxmemory_policy"),
                    "eviction policy",
                )
                .with_help(
                    "raise maxmemory, or keep durable data out of the eviction policy's reach",
                ),
            );
        }
    }
    if runtime.oom_errors > 0 {
        findings.push(
            Diagnostic::new(
                codes::OOM_REJECTIONS,
                format!("{} commands were refused with OOM since the last restart", runtime.oom_errors),
            )
            .with_span(policy.span(&store.pointer, "maxmemory"), "memory limit")
            .with_help("memory is full of keys the eviction policy may not evict: check durable and TTL-less keys"),
        );
    }
    let latency_span = || {
        if policy
            .targets
            .as_ref()
            .and_then(|t| t.cached_latency)
            .is_some()
        {
            policy.span("/targets", "cached_latency")
        } else {
            policy.span(&store.at("slowlog"), "log_slower_than")
        }
    };
    if let (Some(threshold), false) = (
        runtime.slow_threshold_us,
        runtime.latency_unchecked.is_empty(),
    ) {
        let nodes: Vec<String> = runtime
            .latency_unchecked
            .iter()
            .map(|(n, _)| n.clone())
            .collect();
        findings.push(
            Diagnostic::new(
                codes::LATENCY_NOT_CHECKABLE,
                format!(
                    "command latencies were not checked against {} on {}: {}",
                    micros(threshold),
                    super::nodes_text(&nodes),
                    runtime.latency_unchecked[0].1
                ),
            )
            .with_span(latency_span(), "latency threshold")
            .with_help(
                "turn latency tracking on with p99 among its percentiles (`latency-tracking yes`, `latency-tracking-info-percentiles \"50 99 99.9\"`) on Redis 7.0 or later",
            ),
        );
    }
    if let (Some(threshold), false) = (runtime.slow_threshold_us, runtime.slow.is_empty()) {
        let mut by_name: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        for entry in &runtime.slow {
            let e = by_name.entry(&entry.command).or_default();
            e.0 += 1;
            e.1 = e.1.max(entry.micros);
        }
        let mut top: Vec<(&str, (u64, u64))> = by_name.into_iter().collect();
        top.sort_by(|a, b| b.1.1.cmp(&a.1.1).then_with(|| a.0.cmp(b.0)));
        let list: Vec<String> = top
            .iter()
            .take(5)
            .map(|(n, (nodes, max))| {
                let on = if *nodes == 1 {
                    "1 node".to_owned()
                } else {
                    format!("{nodes} nodes")
                };
                format!("{n} (p99 up to {} on {on})", micros(*max))
            })
            .collect();
        findings.push(
            Diagnostic::new(
                codes::SLOW_COMMANDS,
                format!(
                    "{} commands have a p99 latency over {}: {}",
                    top.len(),
                    micros(threshold),
                    list.join(", ")
                ),
            )
            .with_span(latency_span(), "latency threshold")
            .with_help(
                "p99 since the server's statistics were last reset (`INFO latencystats`); commands verify itself sends (SCAN, TYPE, MEMORY USAGE, …) are not judged, since verify's own calls are mixed into their numbers",
            ),
        );
    }
}

/// CG430 when the window's ratio is below target, CG431 (a note) when there
/// is no ratio to judge: skipped, not measured, counters reset, or fewer
/// than [`MIN_LOOKUPS`] lookups (the ratio is then still in the report).
fn hit_ratio_findings(
    span: crate::source::Span,
    target: f64,
    window: &HitWindow,
    findings: &mut Vec<Diagnostic>,
) {
    let not_judged = |why: String| {
        Diagnostic::new(
            codes::HIT_RATIO_NOT_MEASURABLE,
            format!("{why}; the hit ratio is not judged"),
        )
        .with_span(span, "target")
    };
    let HitWindow::Measured { lookups, took, .. } = window else {
        findings.push(not_judged(window.describe()));
        return;
    };
    let seconds = took.as_secs_f64();
    if lookups.total() < MIN_LOOKUPS {
        findings.push(
            not_judged(format!(
                "only {} lookups in the {seconds:.1}s window: too few lookups in the window to judge (at least {MIN_LOOKUPS})",
                lookups.total()
            ))
            .with_help("run verify while the application serves traffic, or give it a longer --window"),
        );
    } else if let Some(ratio) = window.ratio()
        && ratio < target
    {
        findings.push(
            Diagnostic::new(
                codes::HIT_RATIO_BELOW_TARGET,
                format!(
                    "the keyspace hit ratio is {:.1}% ({} hits, {} misses in a {seconds:.1}s window); the target is {:.1}%",
                    ratio * 100.0,
                    lookups.hits,
                    lookups.misses,
                    target * 100.0
                ),
            )
            .with_span(span, "target")
            .with_help("measured before verify touched any key; check TTLs that are too short and warming"),
        );
    }
}

fn micros(us: u64) -> String {
    if us >= 1_000_000 {
        format!("{:.1}s", us as f64 / 1e6)
    } else if us >= 1000 {
        format!("{:.1}ms", us as f64 / 1e3)
    } else {
        format!("{us}µs")
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{facts, node, observed, single};
    use super::*;
    use crate::verify::observed::{NodeFacts, ObservedNode, SlowEntry};
    use crate::verify::window::{Lookups, NodeWindow};
    use std::time::Duration;

    /// `node` with a window that saw these hits and misses on top of a
    /// lifetime count (an earlier verify's reads) that must not matter.
    fn windowed(mut node: ObservedNode, hits: u64, misses: u64) -> ObservedNode {
        let before = Lookups {
            hits: 102_849,
            misses: 7,
        };
        node.window = Some(Ok(NodeWindow {
            before,
            after: Lookups {
                hits: before.hits + hits,
                misses: before.misses + misses,
            },
            took: Duration::from_millis(5_002),
        }));
        node
    }

    fn slow(command: &str, micros: u64) -> SlowEntry {
        SlowEntry {
            command: command.into(),
            micros,
            by_verifier: false,
        }
    }

    fn with_slow(mut f: NodeFacts, entries: Vec<SlowEntry>) -> NodeFacts {
        f.slow = Ok(entries);
        f
    }

    #[test]
    fn counters_are_summed_over_nodes_and_judged() {
        let a = with_slow(
            facts(&[
                ("keyspace_hits", "600"),
                ("keyspace_misses", "300"),
                ("evicted_keys", "3"),
            ]),
            vec![slow("GET", 20_000)],
        );
        let b = with_slow(
            facts(&[
                ("keyspace_hits", "100"),
                ("keyspace_misses", "200"),
                ("errorstat_OOM", "count=2"),
            ]),
            vec![
                slow("HGETALL", 15_000),
                slow("GET", 30_000),
                // At the threshold, not over it; and verify's own SCAN.
                slow("SET", 10_000),
                SlowEntry {
                    by_verifier: true,
                    ..slow("SCAN", 90_000)
                },
            ],
        );
        let mut seen = observed(
            false,
            vec![
                windowed(node("127.0.0.1:1", None, Some(a)), 600, 300),
                windowed(node("127.0.0.1:2", None, Some(b)), 100, 200),
                // Not reached: counts nothing.
                node("127.0.0.1:3", None, None),
            ],
        );
        seen.slow_threshold_us = Some(10_000);
        seen.window_asked = Duration::from_secs(5);
        let runtime = counters(&seen);
        let HitWindow::Measured { lookups, .. } = runtime.window else {
            panic!("{:?}", runtime.window)
        };
        assert_eq!((lookups.hits, lookups.misses), (700, 500));
        assert_eq!(runtime.slow[0], slow("GET", 30_000), "slowest first");
        assert_eq!(runtime.slow.len(), 3, "{:?}", runtime.slow);

        let found = judge(&single(), &seen);
        let lines: Vec<String> = found
            .iter()
            .map(|d| format!("{} {:?} {}", d.code.code, d.severity, d.message))
            .collect();
        assert_eq!(
            lines,
            [
                "CG430 Warning the keyspace hit ratio is 58.3% (700 hits, 500 misses in a 5.0s window); the target is 80.0%",
                // volatile-lru: only durable patterns with a TTL can be evicted.
                "CG432 Warning 3 keys were evicted, and durable patterns can be among them: session",
                "CG433 Error 2 commands were refused with OOM since the last restart",
                "CG434 Warning 2 commands have a p99 latency over 10.0ms: GET (p99 up to 30.0ms on 2 nodes), HGETALL (p99 up to 15.0ms on 1 node)",
            ]
        );
    }

    fn judged(nodes: Vec<ObservedNode>, asked: Duration) -> Vec<String> {
        let mut seen = observed(false, nodes);
        seen.window_asked = asked;
        judge(&single(), &seen)
            .iter()
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect()
    }

    #[test]
    fn too_few_lookups_in_the_window_are_reported_not_judged() {
        // 99 lookups at a 10% ratio: under the target, but too few.
        let quiet = windowed(node("127.0.0.1:1", None, Some(facts(&[]))), 10, 89);
        assert_eq!(
            judged(vec![quiet], Duration::from_secs(5)),
            [
                "CG431 only 99 lookups in the 5.0s window: too few lookups in the window to judge (at least 100); the hit ratio is not judged"
            ]
        );
        // One more lookup, and the same ratio is judged.
        let enough = windowed(node("127.0.0.1:1", None, Some(facts(&[]))), 10, 90);
        let found = judged(vec![enough], Duration::from_secs(5));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with("CG430 the keyspace hit ratio is 10.0%"),
            "{found:?}"
        );
    }

    #[test]
    fn a_skipped_or_reset_window_is_a_note() {
        let n = || node("127.0.0.1:1", None, Some(facts(&[])));
        assert_eq!(
            judged(vec![n()], Duration::ZERO),
            ["CG431 hit ratio not measured (--window 0s); the hit ratio is not judged"]
        );
        let mut reset = n();
        reset.window = Some(Ok(NodeWindow {
            before: Lookups {
                hits: 900,
                misses: 900,
            },
            after: Lookups {
                hits: 3,
                misses: 950,
            },
            took: Duration::from_secs(5),
        }));
        let found = judged(vec![reset], Duration::from_secs(5));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].starts_with(
                "CG431 no hit ratio: the counters went back during the window on 127.0.0.1:1"
            ),
            "{found:?}"
        );
        // A node that answered but whose window was not read (the run
        // stopped): not measured, not a ratio of the other nodes.
        let found = judged(
            vec![
                windowed(n(), 500, 0),
                node("127.0.0.1:2", None, Some(facts(&[]))),
            ],
            Duration::from_secs(5),
        );
        assert_eq!(
            found,
            ["CG431 hit ratio not measured (the window was not read); the hit ratio is not judged"]
        );
    }
}
