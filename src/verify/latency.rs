//! Owns reading command latencies for the runtime judge: each command's
//! p99 from `INFO latencystats`, never the slow log (whose entries carry
//! arguments, and so values).

use super::conn::{ConnError, Connection};
use super::observed::SlowEntry;
use super::server::Info;
use super::target;

/// Each command's p99 latency from `INFO latencystats` (Redis 7.0+, Valkey),
/// read only when the policy sets a threshold to judge it by. Not `SLOWLOG
/// GET`: its entries carry the commands' arguments (values), and whoever
/// holds verify's credentials must not be able to read a value; the
/// percentiles carry only command names and numbers.
/// `Err(why)` inside when a threshold is set but the node reports no p99
/// at all: verify's own earlier commands (INFO, PING) are always in the
/// statistics where they are kept, so nothing means nothing is measured.
pub(super) fn read(
    conn: &mut Connection,
    threshold_us: Option<u64>,
) -> Result<Result<Vec<SlowEntry>, String>, ConnError> {
    if threshold_us.is_none() {
        return Ok(Ok(Vec::new()));
    }
    let mut info = Info::new();
    // An older server answers an unknown section with nothing: no entries.
    super::gather::read_info(conn, &["latencystats"], &mut info)?;
    Ok(judgeable(&info))
}

/// The p99 entries, or why there are none.
pub(super) fn judgeable(info: &Info) -> Result<Vec<SlowEntry>, String> {
    let found = command_latencies(info);
    if !found.is_empty() {
        return Ok(found);
    }
    let tracked = info
        .keys()
        .any(|field| field.starts_with("latency_percentiles_usec_"));
    Err(if tracked {
        "its latency percentiles leave out p99 (latency-tracking-info-percentiles)".into()
    } else {
        "it reports no latency percentiles (latency-tracking off, or a server before Redis 7.0)"
            .into()
    })
}

/// `latency_percentiles_usec_<command>:p50=…,p99=…,p99.9=…` fields → one
/// entry per command with its p99 (rounded up to a microsecond). Fields that
/// do not parse are skipped: the numbers are judged, never guessed.
pub(super) fn command_latencies(info: &Info) -> Vec<SlowEntry> {
    let mut out = Vec::new();
    for (field, value) in info {
        let Some(command) = field.strip_prefix("latency_percentiles_usec_") else {
            continue;
        };
        let Some(p99) = value
            .split(',')
            .find_map(|part| part.strip_prefix("p99="))
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
        else {
            continue;
        };
        // Verify's own commands (SCAN, MEMORY USAGE…) are in the same
        // statistics; the judge leaves them out.
        let by_verifier = crate::verifier::COMMANDS.contains(&command);
        out.push(SlowEntry {
            command: target::printable(&command.to_ascii_uppercase())
                .chars()
                .take(40)
                .collect(),
            micros: p99.ceil().min(u64::MAX as f64) as u64,
            by_verifier,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(fields: &[(&str, &str)]) -> Info {
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn p99_is_read_per_command_and_verify_s_own_are_marked() {
        let found = command_latencies(&info(&[
            (
                "latency_percentiles_usec_get",
                "p50=1.003,p99=30000.1,p99.9=40000",
            ),
            (
                "latency_percentiles_usec_scan",
                "p50=5,p99=90000,p99.9=90000",
            ),
            (
                "latency_percentiles_usec_client|setname",
                "p50=1,p99=2,p99.9=2",
            ),
            ("used_memory", "1000"),
        ]));
        assert_eq!(
            found,
            [
                SlowEntry {
                    command: "CLIENT|SETNAME".into(),
                    micros: 2,
                    by_verifier: true
                },
                SlowEntry {
                    command: "GET".into(),
                    micros: 30_001,
                    by_verifier: false
                },
                SlowEntry {
                    command: "SCAN".into(),
                    micros: 90_000,
                    by_verifier: true
                },
            ]
        );
    }

    #[test]
    fn no_p99_says_why() {
        let none = judgeable(&info(&[("used_memory", "1")])).unwrap_err();
        assert!(none.contains("latency-tracking off"), "{none}");
        let no_p99 = judgeable(&info(&[("latency_percentiles_usec_ping", "p50=1,p99.9=2")]));
        assert!(no_p99.unwrap_err().contains("leave out p99"));
        let fine = judgeable(&info(&[("latency_percentiles_usec_ping", "p50=1,p99=2")]));
        assert_eq!(fine.unwrap().len(), 1);
    }

    #[test]
    fn unreadable_percentiles_are_skipped_not_guessed() {
        let found = command_latencies(&info(&[
            ("latency_percentiles_usec_get", "p50=1,p99.9=4"),
            ("latency_percentiles_usec_set", "p99=NaN"),
            ("latency_percentiles_usec_hget", "p99=-3"),
            ("latency_percentiles_usec_del", "p99=lots"),
        ]));
        assert!(found.is_empty(), "{found:?}");
    }
}
