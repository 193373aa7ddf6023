//! Owns the hit-ratio window: `keyspace_hits` and `keyspace_misses` read
//! from every node twice, `--window` apart, before any key is touched, and
//! the ratio of what changed in between.
//!
//! Lifetime counters cannot be judged: verify's own `PTTL`/`TYPE` reads count
//! as keyspace hits, so after one `--full` run over a hundred thousand keys
//! every later run read a ratio near 100%. A delta over a window that closes
//! before the scan starts holds only what the application did, whatever
//! earlier runs read. `read` does the two readings (it is the one part here
//! that talks to servers, driven by `gather`); the rest is arithmetic on
//! plain numbers, unit-tested below.

use super::conn::{Command, ConnError, Connection};
use super::resp::Reply;
use super::server;
use super::stop::{Deadline, SLICE};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Fewest lookups in the window for the ratio to be judged against its
/// target. A ratio of n lookups has a standard error of at most
/// 0.5/sqrt(n): with 100 lookups that is 5 percentage points, about the
/// margin a target is usually set with, so fewer would judge noise. Below it
/// the ratio is still reported, not judged (CG431). 100 lookups in the
/// default 5 s window is a service doing 20 reads a second.
pub const MIN_LOOKUPS: u64 = 100;

/// A node's `keyspace_hits` and `keyspace_misses` at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lookups {
    pub hits: u64,
    pub misses: u64,
}

impl Lookups {
    pub fn total(self) -> u64 {
        self.hits.saturating_add(self.misses)
    }
}

/// One node's two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeWindow {
    pub before: Lookups,
    pub after: Lookups,
    /// Between the two replies, as measured.
    pub took: Duration,
}

impl NodeWindow {
    /// What the window saw on this node; `None` when a counter went back
    /// (the node restarted, or someone ran `CONFIG RESETSTAT`): then what
    /// happened in the window is unknown.
    pub fn delta(&self) -> Option<Lookups> {
        Some(Lookups {
            hits: self.after.hits.checked_sub(self.before.hits)?,
            misses: self.after.misses.checked_sub(self.before.misses)?,
        })
    }
}

/// The window over the whole run, as the report and the judge see it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum HitWindow {
    /// `--window 0s`: not measured, on purpose.
    #[default]
    Skipped,
    /// Not measured: why (the run stopped during the window, a node's
    /// counters were unreadable, no node answered).
    NotMeasured(String),
    /// Counters went back on these nodes during the window.
    Reset(Vec<String>),
    /// The deltas summed over `nodes` nodes; `took` is the longest node's
    /// window.
    Measured {
        lookups: Lookups,
        took: Duration,
        nodes: usize,
    },
}

impl HitWindow {
    /// Sums the nodes' windows. `asked` zero is `Skipped`; any node without
    /// a window (`Err(why)`) leaves the ratio unmeasured, since a ratio of
    /// some nodes would be presented as the cluster's.
    pub fn sum(asked: Duration, nodes: &[(String, &Result<NodeWindow, String>)]) -> HitWindow {
        if asked.is_zero() {
            return HitWindow::Skipped;
        }
        if nodes.is_empty() {
            return HitWindow::NotMeasured("no node answered".into());
        }
        if let Some((_, Err(why))) = nodes.iter().find(|(_, w)| w.is_err()) {
            return HitWindow::NotMeasured(why.clone());
        }
        let mut total = Lookups::default();
        let mut took = Duration::ZERO;
        let mut reset = Vec::new();
        for (node, window) in nodes {
            let Ok(window) = window else { continue };
            match window.delta() {
                Some(d) => {
                    total.hits = total.hits.saturating_add(d.hits);
                    total.misses = total.misses.saturating_add(d.misses);
                }
                None => reset.push(node.clone()),
            }
            took = took.max(window.took);
        }
        if !reset.is_empty() {
            return HitWindow::Reset(reset);
        }
        HitWindow::Measured {
            lookups: total,
            took,
            nodes: nodes.len(),
        }
    }

    /// Hits over lookups; `None` unless measured with at least one lookup.
    pub fn ratio(&self) -> Option<f64> {
        match self {
            HitWindow::Measured { lookups, .. } if lookups.total() > 0 => {
                Some(lookups.hits as f64 / lookups.total() as f64)
            }
            _ => None,
        }
    }

    /// One phrase for the report: the ratio and what it was read from, or
    /// why there is none.
    pub fn describe(&self) -> String {
        match self {
            HitWindow::Skipped => "hit ratio not measured (--window 0s)".into(),
            HitWindow::NotMeasured(why) => format!("hit ratio not measured ({why})"),
            HitWindow::Reset(nodes) => format!(
                "no hit ratio: the counters went back during the window on {} (a restart or CONFIG RESETSTAT)",
                nodes.join(", ")
            ),
            HitWindow::Measured { lookups, took, .. } => format!(
                "hit ratio {} ({} hits, {} misses: {} lookups in a {:.1}s window before the scan)",
                self.ratio()
                    .map_or("n/a".into(), |r| format!("{:.1}%", r * 100.0)),
                lookups.hits,
                lookups.misses,
                lookups.total(),
                took.as_secs_f64()
            ),
        }
    }

    pub fn json(&self, asked: Duration) -> Value {
        let (state, note) = match self {
            HitWindow::Skipped => ("skipped", None),
            HitWindow::NotMeasured(why) => ("not-measured", Some(why.clone())),
            HitWindow::Reset(_) => ("reset", Some(self.describe())),
            HitWindow::Measured { .. } => ("measured", None),
        };
        let measured = match self {
            HitWindow::Measured {
                lookups,
                took,
                nodes,
            } => Some((*lookups, *took, *nodes)),
            _ => None,
        };
        json!({
            "state": state,
            "asked_ms": asked.as_millis() as u64,
            "took_ms": measured.map(|m| m.1.as_millis() as u64),
            "nodes": measured.map(|m| m.2),
            "hits": measured.map(|m| m.0.hits),
            "misses": measured.map(|m| m.0.misses),
            "lookups": measured.map(|m| m.0.total()),
            "note": note,
        })
    }
}

/// A node's lookups as `INFO stats` reports them; `Err(why)` when a counter
/// is missing or not a number (never counted as zero).
pub fn lookups_of(info: &server::Info) -> Result<Lookups, String> {
    let counter = |field: &str| match server::info_counter(info, field) {
        Some(Ok(n)) => Ok(n),
        Some(Err(text)) => Err(format!(
            "{field} is not a number (`{}`)",
            super::target::printable(&server::cut(text, 40))
        )),
        None => Err(format!("INFO stats has no {field}")),
    };
    Ok(Lookups {
        hits: counter("keyspace_hits")?,
        misses: counter("keyspace_misses")?,
    })
}

/// One `INFO stats` reading.
fn reading(conn: &mut Connection) -> Result<Result<Lookups, String>, ConnError> {
    match conn.call(Command::Info("stats"))? {
        Reply::Bulk(text) if text.len() <= server::MAX_INFO_BYTES => Ok(lookups_of(
            &server::parse_info(&String::from_utf8_lossy(&text)),
        )),
        Reply::Bulk(_) => Ok(Err("INFO stats sent more than any Redis does".into())),
        Reply::Error(e) => Ok(Err(format!(
            "INFO stats was refused: {}",
            super::target::printable(&e)
        ))),
        _ => Ok(Err("INFO stats returned an unexpected reply".into())),
    }
}

/// What `read` learned of one node: its window (or why it has none), or
/// the connection error that lost the node.
pub type NodeReading = Result<Result<NodeWindow, String>, ConnError>;

/// Reads every connection's lookups, waits `window` (in slices, so the
/// run's deadline and an interruption end the wait), and reads them again.
/// `conns` are the nodes' open connections, in node order; the results are
/// in the same order. Nothing here touches a key.
pub fn read(
    conns: &mut [&mut Connection],
    window: Duration,
    deadline: &Deadline,
) -> Vec<NodeReading> {
    let mut first: Vec<Option<(Result<Lookups, String>, Instant)>> = Vec::new();
    let mut out: Vec<Option<NodeReading>> = Vec::new();
    for conn in conns.iter_mut() {
        match reading(conn) {
            Ok(r) => {
                first.push(Some((r, Instant::now())));
                out.push(None);
            }
            Err(e) => {
                first.push(None);
                out.push(Some(Err(e)));
            }
        }
    }
    let until = Instant::now() + window;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        if left.is_zero() {
            break;
        }
        if let Some(why) = deadline.stopped() {
            let why = format!("{why} during the window");
            return out
                .into_iter()
                .map(|o| o.unwrap_or_else(|| Ok(Err(why.clone()))))
                .collect();
        }
        std::thread::sleep(left.min(SLICE));
    }
    for ((conn, before), slot) in conns.iter_mut().zip(first).zip(out.iter_mut()) {
        let Some((before, at)) = before else { continue };
        *slot = Some(reading(conn).map(|after| {
            let took = at.elapsed();
            Ok(NodeWindow {
                before: before?,
                after: after?,
                took,
            })
        }));
    }
    out.into_iter()
        .map(|o| o.unwrap_or_else(|| Ok(Err("not read".into()))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(before: (u64, u64), after: (u64, u64), ms: u64) -> Result<NodeWindow, String> {
        Ok(NodeWindow {
            before: Lookups {
                hits: before.0,
                misses: before.1,
            },
            after: Lookups {
                hits: after.0,
                misses: after.1,
            },
            took: Duration::from_millis(ms),
        })
    }

    const FIVE: Duration = Duration::from_secs(5);

    #[test]
    fn the_ratio_is_of_the_deltas_summed_over_nodes() {
        // Huge lifetime counts (an earlier verify's reads) do not count.
        let a = w((102_849, 10), (102_879, 80), 5_001);
        let b = w((7, 7), (7, 107), 5_003);
        let sum = HitWindow::sum(FIVE, &[("a".into(), &a), ("b".into(), &b)]);
        assert_eq!(
            sum,
            HitWindow::Measured {
                lookups: Lookups {
                    hits: 30,
                    misses: 170
                },
                took: Duration::from_millis(5_003),
                nodes: 2
            }
        );
        assert_eq!(sum.ratio(), Some(0.15));
        assert_eq!(
            sum.describe(),
            "hit ratio 15.0% (30 hits, 170 misses: 200 lookups in a 5.0s window before the scan)"
        );
        assert_eq!(sum.json(FIVE)["lookups"], 200);
    }

    #[test]
    fn no_traffic_is_zero_lookups_and_no_ratio() {
        let quiet = w((500, 500), (500, 500), 5_000);
        let sum = HitWindow::sum(FIVE, &[("a".into(), &quiet)]);
        assert!(matches!(sum, HitWindow::Measured { lookups, .. } if lookups.total() == 0));
        assert_eq!(sum.ratio(), None);
        assert!(
            sum.describe()
                .starts_with("hit ratio n/a (0 hits, 0 misses")
        );
    }

    #[test]
    fn a_counter_that_goes_back_is_a_reset_not_a_ratio() {
        // CONFIG RESETSTAT on b during the window: its misses went back.
        let a = w((10, 10), (20, 20), 5_000);
        let b = w((900, 900), (905, 3), 5_000);
        let c = w((900, 900), (2, 950), 5_000);
        let sum = HitWindow::sum(
            FIVE,
            &[("a".into(), &a), ("b".into(), &b), ("c".into(), &c)],
        );
        assert_eq!(sum, HitWindow::Reset(vec!["b".into(), "c".into()]));
        assert_eq!(sum.ratio(), None);
        assert!(
            sum.describe().contains("CONFIG RESETSTAT"),
            "{}",
            sum.describe()
        );
        assert_eq!(sum.json(FIVE)["state"], "reset");
        // At the edge: unchanged is no reset.
        assert!(w((5, 5), (5, 5), 1).unwrap().delta().is_some());
    }

    #[test]
    fn skipped_unreadable_and_empty_windows_have_no_ratio() {
        let a = w((1, 1), (2, 2), 5_000);
        assert_eq!(
            HitWindow::sum(Duration::ZERO, &[("a".into(), &a)]),
            HitWindow::Skipped
        );
        assert_eq!(
            HitWindow::Skipped.describe(),
            "hit ratio not measured (--window 0s)"
        );
        let bad: Result<NodeWindow, String> = Err("keyspace_hits is not a number (`x`)".into());
        let sum = HitWindow::sum(FIVE, &[("a".into(), &a), ("b".into(), &bad)]);
        assert_eq!(
            sum,
            HitWindow::NotMeasured("keyspace_hits is not a number (`x`)".into())
        );
        assert!(matches!(
            HitWindow::sum(FIVE, &[]),
            HitWindow::NotMeasured(_)
        ));
    }

    #[test]
    fn counters_are_read_as_numbers_or_not_at_all() {
        let info = server::parse_info("keyspace_hits:12\r\nkeyspace_misses:3\r\n");
        assert_eq!(
            lookups_of(&info),
            Ok(Lookups {
                hits: 12,
                misses: 3
            })
        );
        let info = server::parse_info("keyspace_hits:12\r\nkeyspace_misses:lots\r\n");
        assert_eq!(
            lookups_of(&info),
            Err("keyspace_misses is not a number (`lots`)".into())
        );
        let info = server::parse_info("keyspace_misses:3\r\n");
        assert_eq!(
            lookups_of(&info),
            Err("INFO stats has no keyspace_hits".into())
        );
    }
}
