//! Owns reading one primary's keyspace: `SCAN` (COUNT ≤ 1000, never `KEYS`)
//! with `PTTL`, `TYPE` and `MEMORY USAGE` for every key, pipelined so the
//! server always has the next batch queued, and the per-owner tallies those
//! replies add up to. Memory stays flat in the number of keys: a run keeps
//! counters, a few example keys per finding and a bounded prefix table, never
//! the key list.
//!
//! The pipeline (one connection, one thread per primary):
//!
//! ```text
//! write [SCAN c1] + inspect(batch 0)       server: SCAN c1, inspect 0
//! read  SCAN c1 reply -> batch 1
//! write [SCAN c2] + inspect(batch 1)       (queued while the server works)
//! read  inspect 0 replies, classify
//! read  SCAN c2 reply -> batch 2 ...
//! ```
//!
//! Large strings of patterns with a size threshold get a follow-up `STRLEN`,
//! carried in the next write so the reply order stays fixed. Nothing here
//! reads a value's bytes: verify's credentials reveal no value (so it cannot
//! tell whether a value is compressed; `compress_above` is not verified).

use super::classify::{Class, Classifier, unknown_prefix};
use super::conn::{Command, ConnError, Connection};
use super::resp::Reply;
use std::collections::HashMap;

/// How much of each primary to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Stop after this many keys per primary.
    Sample(u64),
    Full,
}

/// Example keys kept per finding: enough to find the writer, bounded.
const EXAMPLES: usize = 3;
/// Distinct unknown-key groups tracked; the rest are counted as "other".
const MAX_PREFIXES: usize = 10_000;

/// One per-key check's count and first examples.
#[derive(Debug, Clone, Default)]
pub struct Hits {
    pub count: u64,
    pub examples: Vec<String>,
    /// The largest value seen (a TTL in ms, a size in bytes), for messages.
    pub worst: u64,
}

impl Hits {
    fn add(&mut self, key: &[u8], value: u64) {
        self.count += 1;
        self.worst = self.worst.max(value);
        if self.examples.len() < EXAMPLES {
            self.examples.push(super::classify::printable_key(key));
        }
    }

    fn merge(&mut self, other: &Hits) {
        self.count += other.count;
        self.worst = self.worst.max(other.worst);
        for e in &other.examples {
            if self.examples.len() < EXAMPLES {
                self.examples.push(e.clone());
            }
        }
    }
}

/// What one owner's keys added up to.
#[derive(Debug, Clone, Default)]
pub struct OwnerTally {
    pub keys: u64,
    pub memory: u64,
    pub missing_ttl: Hits,
    pub ttl_above_max: Hits,
    pub durable_with_ttl: Hits,
    /// Wrong types, by the type found.
    pub wrong_type: HashMap<String, Hits>,
    pub too_large: Hits,
}

impl OwnerTally {
    fn merge(&mut self, o: &OwnerTally) {
        self.keys += o.keys;
        self.memory = self.memory.saturating_add(o.memory);
        self.missing_ttl.merge(&o.missing_ttl);
        self.ttl_above_max.merge(&o.ttl_above_max);
        self.durable_with_ttl.merge(&o.durable_with_ttl);
        for (t, h) in &o.wrong_type {
            self.wrong_type.entry(t.clone()).or_default().merge(h);
        }
        self.too_large.merge(&o.too_large);
    }
}

/// Everything one or more primaries' scans found.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub owners: Vec<OwnerTally>,
    pub old_version: Hits,
    pub old_version_memory: u64,
    pub unknown: u64,
    pub unknown_memory: u64,
    pub unknown_prefixes: HashMap<String, u64>,
    pub unknown_other: u64,
    /// Keys that vanished between SCAN and inspection (expired, deleted).
    pub vanished: u64,
    pub inspected: u64,
    pub commands: u64,
}

impl Tally {
    pub fn new(owners: usize) -> Tally {
        Tally {
            owners: vec![OwnerTally::default(); owners],
            ..Tally::default()
        }
    }

    pub fn merge(&mut self, o: &Tally) {
        for (mine, theirs) in self.owners.iter_mut().zip(&o.owners) {
            mine.merge(theirs);
        }
        self.old_version.merge(&o.old_version);
        self.old_version_memory = self.old_version_memory.saturating_add(o.old_version_memory);
        self.unknown += o.unknown;
        self.unknown_memory = self.unknown_memory.saturating_add(o.unknown_memory);
        for (p, n) in &o.unknown_prefixes {
            self.count_prefix(p.clone(), *n);
        }
        self.unknown_other += o.unknown_other;
        self.vanished += o.vanished;
        self.inspected += o.inspected;
        self.commands += o.commands;
    }

    fn count_prefix(&mut self, prefix: String, n: u64) {
        if let Some(count) = self.unknown_prefixes.get_mut(&prefix) {
            *count = count.saturating_add(n);
        } else if self.unknown_prefixes.len() < MAX_PREFIXES {
            self.unknown_prefixes.insert(prefix, n);
        } else {
            self.unknown_other += n;
        }
    }

    /// The most common unknown prefixes, largest first (ties by name).
    pub fn top_prefixes(&self, n: usize) -> Vec<(String, u64)> {
        let mut all: Vec<(String, u64)> = self
            .unknown_prefixes
            .iter()
            .map(|(p, c)| (p.clone(), *c))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }
}

/// How one primary's scan ended.
pub struct NodeScan {
    pub tally: Tally,
    /// Why the scan stopped early, if it did.
    pub error: Option<ConnError>,
}

/// A key whose string length must be read to judge it.
struct FollowUp {
    key: Vec<u8>,
    owner: usize,
}

/// Called with the number of keys just inspected (drives progress reports).
pub type Tick<'a> = &'a (dyn Fn(u64) + Sync);

/// Scans one primary. Never panics on what the server sends; a broken
/// connection ends the scan with the tally so far and the error.
pub fn scan(
    conn: &mut Connection,
    classifier: &Classifier,
    coverage: Coverage,
    count: u32,
    tick: Tick<'_>,
) -> NodeScan {
    let mut tally = Tally::new(classifier.owners.len());
    let error = run(conn, classifier, coverage, count, tick, &mut tally).err();
    tally.commands = conn.sent;
    NodeScan { tally, error }
}

fn run(
    conn: &mut Connection,
    classifier: &Classifier,
    coverage: Coverage,
    count: u32,
    tick: Tick<'_>,
    tally: &mut Tally,
) -> Result<(), ConnError> {
    let budget = match coverage {
        Coverage::Sample(n) => n,
        Coverage::Full => u64::MAX,
    };
    let max_calls = most_scan_calls(coverage, count);
    let mut queued_keys: u64 = 0;
    conn.queue(Command::Scan {
        cursor: b"0",
        count,
    });
    conn.flush(1)?;
    let (mut cursor, mut keys) = read_scan(conn)?;
    let mut calls: u64 = 1;
    let mut cursors = Cursors::default();
    let mut in_flight: Option<(Vec<Vec<u8>>, Vec<FollowUp>)> = None;
    let mut carry: Vec<FollowUp> = Vec::new();
    // Why the scan ends before the server says it is done: replies already
    // asked for are still read, then this is the scan's error.
    let mut halt: Option<ConnError> = None;
    loop {
        let room = budget.saturating_sub(queued_keys);
        if (keys.len() as u64) > room {
            keys.truncate(room as usize);
        }
        queued_keys += keys.len() as u64;
        let mut more = cursor != b"0" && queued_keys < budget;
        if more {
            halt = conn
                .stopped()
                .or_else(|| cursors.repeated(&conn.address, &cursor, calls, queued_keys))
                .or_else(|| {
                    (calls >= max_calls).then(|| {
                        ConnError::NoProgress(format!(
                            "{}: SCAN made too little progress: {calls} calls returned {queued_keys} keys; verify stopped asking (a sample of {budget} needs far fewer calls on a real Redis)",
                            conn.address
                        ))
                    })
                });
            more = halt.is_none();
        }
        let mut commands = 0;
        if more {
            conn.queue(Command::Scan {
                cursor: &cursor,
                count,
            });
            commands += 1;
            calls += 1;
        }
        for key in &keys {
            conn.queue(Command::Pttl(key));
            conn.queue(Command::Type(key));
            conn.queue(Command::MemoryUsage(key));
        }
        commands += keys.len() * 3;
        let follow_ups = std::mem::take(&mut carry);
        commands += queue_follow_ups(conn, &follow_ups);
        conn.flush(commands)?;
        if let Some((prev_keys, prev_follow_ups)) = in_flight.take() {
            carry = read_batch(conn, classifier, &prev_keys, tally)?;
            read_follow_ups(conn, classifier, &prev_follow_ups, tally)?;
            tick(prev_keys.len() as u64);
        }
        in_flight = Some((keys, follow_ups));
        if !more {
            break;
        }
        (cursor, keys) = read_scan(conn)?;
    }
    if let Some((last_keys, last_follow_ups)) = in_flight.take() {
        // `carry` still holds the previous batch's follow-ups, not yet sent.
        let last = read_batch(conn, classifier, &last_keys, tally)?;
        carry.extend(last);
        read_follow_ups(conn, classifier, &last_follow_ups, tally)?;
        tick(last_keys.len() as u64);
    }
    if !carry.is_empty() {
        let commands = queue_follow_ups(conn, &carry);
        conn.flush(commands)?;
        read_follow_ups(conn, classifier, &carry, tally)?;
    }
    halt.map_or(Ok(()), Err)
}

/// Most SCAN calls a sample may take. A real Redis visits COUNT buckets per
/// call (up to ten times that many empty ones) and keeps its table at least
/// a tenth full, so a sample of n keys needs about 10·n/COUNT calls at
/// worst; twice that plus a margin is never reached by a Redis, and stops
/// a server that answers every call with an empty batch. `--full` has no
/// call bound: its bound is the run's deadline.
fn most_scan_calls(coverage: Coverage, count: u32) -> u64 {
    match coverage {
        Coverage::Sample(n) => {
            100u64.saturating_add(n.div_ceil(u64::from(count.max(1))).saturating_mul(20))
        }
        Coverage::Full => u64::MAX,
    }
}

/// Notices a SCAN cursor that comes back (7 → 9 → 7), in constant memory
/// (Brent's cycle detection: compare with one saved cursor, saved again at
/// every power of two). A Redis never repeats a cursor within one pass: its
/// cursor only grows in reversed-bit order. A cycle of length λ after μ
/// steps is noticed within μ + 2λ calls.
#[derive(Default)]
struct Cursors {
    saved: Vec<u8>,
    power: u64,
    steps: u64,
}

impl Cursors {
    fn repeated(
        &mut self,
        address: &super::target::Address,
        cursor: &[u8],
        calls: u64,
        keys: u64,
    ) -> Option<ConnError> {
        if self.saved == cursor {
            return Some(ConnError::NoProgress(format!(
                "{}: SCAN returned cursor {} again after {calls} calls ({keys} keys): the iteration goes round in circles; verify stopped it",
                address,
                String::from_utf8_lossy(cursor)
            )));
        }
        self.steps += 1;
        if self.steps >= self.power.max(1) {
            self.saved = cursor.to_vec();
            self.power = self.power.max(1) * 2;
            self.steps = 0;
        }
        None
    }
}

fn queue_follow_ups(conn: &mut Connection, follow_ups: &[FollowUp]) -> usize {
    let mut n = 0;
    for f in follow_ups {
        conn.queue(Command::Strlen(&f.key));
        n += 1;
    }
    n
}

/// Turns an error reply into why the scan cannot go on.
fn refused(conn: &Connection, what: &str, error: &str) -> ConnError {
    let text = super::target::printable(error);
    if error.starts_with("MOVED") || error.starts_with("ASK") {
        ConnError::Redirected(format!(
            "{}: the node stopped serving its keys during the scan ({text}): a failover or slot migration; run verify again once the cluster is stable",
            conn.address
        ))
    } else {
        ConnError::Refused(format!("{}: {what} was refused: {text}", conn.address))
    }
}

fn read_scan(conn: &mut Connection) -> Result<(Vec<u8>, Vec<Vec<u8>>), ConnError> {
    let reply = conn.recv()?;
    if let Reply::Error(e) = &reply {
        return Err(refused(conn, "SCAN", e));
    }
    let bad = || {
        ConnError::Protocol(format!(
            "{}: SCAN returned an unexpected reply",
            conn.address
        ))
    };
    let Reply::Array(mut parts) = reply else {
        return Err(bad());
    };
    if parts.len() != 2 {
        return Err(bad());
    }
    let keys = parts.pop().ok_or_else(bad)?;
    let cursor = parts
        .pop()
        .and_then(|c| c.as_bytes().map(<[u8]>::to_vec))
        .ok_or_else(bad)?;
    // A cursor is an unsigned 64-bit number: anything else would be sent
    // back verbatim on the next call.
    if cursor.is_empty() || cursor.len() > 20 || !cursor.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let Reply::Array(keys) = keys else {
        return Err(bad());
    };
    let keys = keys
        .into_iter()
        .map(|k| match k {
            Reply::Bulk(b) => Ok(b),
            _ => Err(bad()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((cursor, keys))
}

/// Reads the PTTL/TYPE/MEMORY USAGE replies of `keys`, judges each key, and
/// returns the keys that need a follow-up read.
fn read_batch(
    conn: &mut Connection,
    classifier: &Classifier,
    keys: &[Vec<u8>],
    tally: &mut Tally,
) -> Result<Vec<FollowUp>, ConnError> {
    let mut follow_ups = Vec::new();
    for key in keys {
        let pttl = conn.recv()?;
        let kind = conn.recv()?;
        let memory = conn.recv()?;
        for (reply, what) in [(&pttl, "PTTL"), (&kind, "TYPE"), (&memory, "MEMORY USAGE")] {
            if let Reply::Error(e) = reply {
                return Err(refused(conn, what, e));
            }
        }
        let (Some(pttl), Some(kind)) = (pttl.as_int(), kind.as_bytes()) else {
            return Err(ConnError::Protocol(format!(
                "{}: PTTL/TYPE returned an unexpected reply",
                conn.address
            )));
        };
        // -2 / `none` / nil: the key expired or was deleted after SCAN saw it.
        if pttl == -2 || kind == b"none" || memory == Reply::Nil {
            tally.vanished += 1;
            continue;
        }
        let memory = memory.as_int().unwrap_or(0).max(0) as u64;
        tally.inspected += 1;
        match classifier.classify(key) {
            Class::Unknown => {
                tally.unknown += 1;
                tally.unknown_memory = tally.unknown_memory.saturating_add(memory);
                tally.count_prefix(unknown_prefix(key), 1);
            }
            Class::OldVersion => {
                tally.old_version.add(key, 0);
                tally.old_version_memory = tally.old_version_memory.saturating_add(memory);
            }
            Class::Owned(index) => {
                let owner = &classifier.owners[index];
                let t = &mut tally.owners[index];
                t.keys += 1;
                t.memory = t.memory.saturating_add(memory);
                match (pttl, owner.ttl_max_ms) {
                    (-1, Some(max)) => t.missing_ttl.add(key, max),
                    (ms, Some(max)) if ms > 0 && ms as u64 > max => {
                        t.ttl_above_max.add(key, ms as u64)
                    }
                    (ms, None) if ms > 0 && owner.durable => t.durable_with_ttl.add(key, ms as u64),
                    _ => {}
                }
                let kind = String::from_utf8_lossy(kind);
                if kind != owner.value_type {
                    t.wrong_type
                        .entry(kind.into_owned())
                        .or_default()
                        .add(key, 0);
                    continue;
                }
                let is_string = owner.value_type == "string";
                let size_limit = owner.max_value_size.as_ref().map(|(limit, _)| *limit);
                if !is_string {
                    if let Some(limit) = size_limit
                        && memory > limit
                    {
                        t.too_large.add(key, memory);
                    }
                    continue;
                }
                // MEMORY USAGE is the string plus a little overhead, so it is
                // a cheap upper bound: only strings above a threshold by it
                // get their exact length read.
                if size_limit.is_some_and(|l| memory > l) {
                    follow_ups.push(FollowUp {
                        key: key.clone(),
                        owner: index,
                    });
                }
            }
        }
    }
    Ok(follow_ups)
}

fn read_follow_ups(
    conn: &mut Connection,
    classifier: &Classifier,
    follow_ups: &[FollowUp],
    tally: &mut Tally,
) -> Result<(), ConnError> {
    for f in follow_ups {
        let length = conn.recv()?;
        if let Reply::Error(e) = &length {
            // The key was replaced by another type since it was
            // inspected: like a vanished key, not a reason to stop.
            if e.starts_with("WRONGTYPE") {
                tally.vanished += 1;
                continue;
            }
            return Err(refused(conn, "STRLEN", e));
        }
        let length = length.as_int().unwrap_or(0).max(0) as u64;
        let owner = &classifier.owners[f.owner];
        let t = &mut tally.owners[f.owner];
        if owner
            .max_value_size
            .as_ref()
            .is_some_and(|(limit, _)| length > *limit)
        {
            t.too_large.add(&f.key, length);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_cycle_is_noticed_and_a_real_pass_is_not() {
        let at = super::super::target::Address {
            host: "127.0.0.1".into(),
            port: 1,
        };
        let mut cursors = Cursors::default();
        let cycle = [b"7".as_slice(), b"9"];
        let stopped = (0..10u64)
            .find(|i| {
                cursors
                    .repeated(&at, cycle[*i as usize % 2], *i, 0)
                    .is_some()
            })
            .expect("the cycle is noticed");
        assert!(stopped <= 4, "after {stopped} calls");
        // A long cycle, after a long tail, is still noticed within μ + 2λ.
        let mut cursors = Cursors::default();
        let sequence = |i: u64| {
            if i < 300 {
                i + 1000
            } else {
                1 + (i - 300) % 77
            }
        };
        let stopped = (0..2_000u64)
            .find(|i| {
                cursors
                    .repeated(&at, sequence(*i).to_string().as_bytes(), *i, 0)
                    .is_some()
            })
            .expect("the cycle is noticed");
        assert!(stopped <= 300 + 2 * 77 + 300, "after {stopped} calls");
        let mut cursors = Cursors::default();
        for i in 1..100_000u64 {
            assert!(
                cursors
                    .repeated(&at, i.to_string().as_bytes(), i, 0)
                    .is_none()
            );
        }
        assert_eq!(most_scan_calls(Coverage::Full, 1000), u64::MAX);
        assert_eq!(most_scan_calls(Coverage::Sample(10_000), 1000), 300);
    }

    #[test]
    fn prefix_table_is_bounded() {
        let mut t = Tally::new(0);
        for i in 0..(MAX_PREFIXES + 50) {
            t.count_prefix(format!("p{i}x"), 1);
        }
        assert_eq!(t.unknown_prefixes.len(), MAX_PREFIXES);
        assert_eq!(t.unknown_other, 50);
        t.count_prefix("p0x".into(), 5);
        assert_eq!(t.top_prefixes(1), vec![("p0x".to_owned(), 6)]);
    }
}
