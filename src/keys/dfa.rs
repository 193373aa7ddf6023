//! Owns a byte automaton as a small table (state 0 dead, state 1 the start):
//! built minimal and anchored from a parsed regex, acceptance, its longest
//! value, the bytes it admits, an example value, and the product search that
//! decides whether two tables share a value. `regex_type` decides which
//! regexes may become a table; the generated Rust module carries the table.

use super::is_literal_char;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};
use regex_syntax::hir::Hir;
use std::collections::{HashMap, VecDeque};

/// A DFA over bytes as a table: state 0 rejects everything, state 1 starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Byte → equivalence class (bytes no state tells apart share one).
    pub classes: Vec<u8>,
    /// Number of classes: the width of a row of `next`.
    pub stride: usize,
    /// `next[state * stride + class]`.
    pub next: Vec<u16>,
    /// Whether the input read up to this state is a match.
    pub accept: Vec<bool>,
}

/// The minimal automaton of `rows` (state 0 dead, 1 start): states that
/// cannot reach a match merge into 0 (the dense DFA's delayed match states
/// after a complete value are such), the rest by Moore's partition
/// refinement, numbered breadth first from the start.
fn minimal(rows: &[[u16; 256]], accept: &[bool]) -> (Vec<[u16; 256]>, Vec<bool>) {
    let n = rows.len();
    let mut live = accept.to_vec();
    live[0] = false;
    loop {
        let mut changed = false;
        for s in 1..n {
            if !live[s] && rows[s].iter().any(|&t| live[usize::from(t)]) {
                live[s] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    if !live[1] {
        return (vec![[0; 256]; 2], vec![false; 2]);
    }
    // Block 0 is the dead block; live states start split by acceptance.
    let mut block: Vec<usize> = (0..n)
        .map(|s| match (live[s], accept[s]) {
            (false, _) => 0,
            (true, true) => 1,
            (true, false) => 2,
        })
        .collect();
    let mut count = block.iter().max().map_or(1, |m| m + 1);
    loop {
        let mut ids: HashMap<(usize, Vec<usize>), usize> = HashMap::new();
        let next: Vec<usize> = (0..n)
            .map(|s| {
                if !live[s] {
                    return 0;
                }
                let signature = (
                    block[s],
                    rows[s].iter().map(|&t| block[usize::from(t)]).collect(),
                );
                let fresh = ids.len() + 1;
                *ids.entry(signature).or_insert(fresh)
            })
            .collect();
        let new_count = ids.len() + 1;
        block = next;
        if new_count == count {
            break;
        }
        count = new_count;
    }
    // Renumber breadth first from the start's block.
    let mut number = vec![u16::MAX; count];
    number[0] = 0;
    let mut order = vec![1usize];
    number[block[1]] = 1;
    let mut out_rows = vec![[0u16; 256]];
    let mut out_accept = vec![false];
    let mut i = 0;
    while i < order.len() {
        let s = order[i];
        i += 1;
        let mut row = [0u16; 256];
        for (b, &t) in rows[s].iter().enumerate() {
            let bt = block[usize::from(t)];
            if number[bt] == u16::MAX {
                order.push(usize::from(t));
                number[bt] = u16::try_from(order.len()).unwrap_or(u16::MAX);
            }
            row[b] = number[bt];
        }
        out_rows.push(row);
        out_accept.push(accept[s]);
    }
    (out_rows, out_accept)
}

impl Table {
    /// The minimal anchored DFA of `hir`, or `None` when it has more than
    /// `max_states` states or is too large to build.
    pub(crate) fn build(hir: &Hir, max_states: usize) -> Option<Table> {
        // Room for `max_states` (times 4, for delayed match states) of
        // every byte class, as the dense DFA stores them.
        let bytes_limit = max_states.saturating_mul(4 * 257 * 4);
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .which_captures(WhichCaptures::None)
                    .nfa_size_limit(Some(1 << 20)),
            )
            .build_from_hir(hir)
            .ok()?;
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Anchored)
                    // The whole language, not leftmost-first preferences.
                    .match_kind(MatchKind::All)
                    .minimize(true)
                    // A user type's limit: a hostile regex (`[a-z]{0,50}a[a-z]{20}`
                    // blows up exponentially) fails in milliseconds.
                    .determinize_size_limit(Some(bytes_limit))
                    .dfa_size_limit(Some(bytes_limit)),
            )
            .build_from_nfa(&nfa)
            .ok()?;
        let start = dfa
            .start_state(&start::Config::new().anchored(Anchored::Yes))
            .ok()?;
        // Number the live states breadth first from the start (1); the
        // dead state is 0.
        let mut ids = HashMap::new();
        let mut order = vec![start];
        ids.insert(start, 1u16);
        let mut rows: Vec<[u16; 256]> = vec![[0; 256]];
        let mut accept = vec![false];
        let mut i = 0;
        while i < order.len() {
            let id = order[i];
            i += 1;
            let mut row = [0u16; 256];
            for b in 0..=255u8 {
                let next = dfa.next_state(id, b);
                if dfa.is_dead_state(next) {
                    continue;
                }
                let n = match ids.get(&next) {
                    Some(&n) => n,
                    None => {
                        // Delayed match states can double the count
                        // before minimization.
                        if order.len() >= max_states.saturating_mul(4) {
                            return None;
                        }
                        order.push(next);
                        let n = u16::try_from(order.len()).ok()?;
                        ids.insert(next, n);
                        n
                    }
                };
                row[usize::from(b)] = n;
            }
            rows.push(row);
            accept.push(dfa.is_match_state(dfa.next_eoi_state(id)));
        }
        let (rows, accept) = minimal(&rows, &accept);
        if rows.len() > max_states + 1 {
            return None;
        }
        // Bytes whose columns are equal share a class.
        let mut class_of: HashMap<Vec<u16>, u8> = HashMap::new();
        let mut classes = Vec::with_capacity(256);
        for b in 0..256 {
            let column: Vec<u16> = rows.iter().map(|r| r[b]).collect();
            let count = u8::try_from(class_of.len()).unwrap_or(u8::MAX);
            classes.push(*class_of.entry(column).or_insert(count));
        }
        let stride = class_of.len();
        let mut next = vec![0u16; rows.len() * stride];
        for (s, row) in rows.iter().enumerate() {
            for (b, &n) in row.iter().enumerate() {
                next[s * stride + usize::from(classes[b])] = n;
            }
        }
        Some(Table {
            classes,
            stride,
            next,
            accept,
        })
    }

    pub fn states(&self) -> usize {
        self.accept.len()
    }

    pub(crate) fn step(&self, state: usize, byte: u8) -> usize {
        usize::from(self.next[state * self.stride + usize::from(self.classes[usize::from(byte)])])
    }

    /// Whether all of `text` is a match.
    pub fn accepts(&self, text: &[u8]) -> bool {
        let mut state = 1;
        for &b in text {
            state = self.step(state, b);
            if state == 0 {
                return false;
            }
        }
        self.accept[state]
    }

    /// Which states can still reach a match.
    pub(crate) fn live(&self) -> Vec<bool> {
        let mut live = self.accept.clone();
        live[0] = false;
        loop {
            let mut changed = false;
            for s in 1..self.states() {
                if !live[s]
                    && (0..self.stride).any(|c| live[usize::from(self.next[s * self.stride + c])])
                {
                    live[s] = true;
                    changed = true;
                }
            }
            if !changed {
                return live;
            }
        }
    }

    /// The longest match in bytes, `None` when a live cycle makes the
    /// language infinite (or when nothing matches: `Some(0)`).
    pub fn longest(&self) -> Option<usize> {
        let live = self.live();
        // Depth-first with colours: a grey state met again is a cycle.
        fn visit(
            t: &Table,
            live: &[bool],
            s: usize,
            colour: &mut [u8],
            memo: &mut [usize],
        ) -> bool {
            colour[s] = 1;
            let mut best = 0;
            for c in 0..t.stride {
                let n = usize::from(t.next[s * t.stride + c]);
                if !live[n] {
                    continue;
                }
                let finished = match colour[n] {
                    0 => visit(t, live, n, colour, memo),
                    // Grey: on the current path, so a cycle.
                    1 => false,
                    _ => true,
                };
                if !finished {
                    return false;
                }
                best = best.max(memo[n] + 1);
            }
            memo[s] = best;
            colour[s] = 2;
            true
        }
        if !live[1] {
            return Some(0);
        }
        let mut colour = vec![0u8; self.states()];
        let mut memo = vec![0usize; self.states()];
        visit(self, &live, 1, &mut colour, &mut memo).then(|| memo[1])
    }

    /// A byte keys do not allow that some match contains.
    /// Printable characters are named first, as they are the likely typo.
    pub(crate) fn forbidden(&self) -> Option<u8> {
        let live = self.live();
        let allowed = |b: u8| b.is_ascii() && is_literal_char(char::from(b));
        (0x20..=0x7e)
            .chain(0..0x20)
            .chain(0x7f..=0xff)
            .filter(|&b| !allowed(b))
            .find(|&b| (1..self.states()).any(|s| live[s] && live[self.step(s, b)]))
    }

    /// A shortest match, if any (for examples and tests).
    pub fn example(&self) -> Option<String> {
        let mut prev: Vec<Option<(usize, u8)>> = vec![None; self.states()];
        let mut seen = vec![false; self.states()];
        let mut queue = VecDeque::from([1usize]);
        seen[1] = true;
        while let Some(s) = queue.pop_front() {
            if self.accept[s] {
                let mut bytes = Vec::new();
                let mut at = s;
                while let Some((p, b)) = prev[at] {
                    bytes.push(b);
                    at = p;
                }
                bytes.reverse();
                return String::from_utf8(bytes).ok();
            }
            for b in 0..=255u8 {
                let n = self.step(s, b);
                if n != 0 && !seen[n] {
                    seen[n] = true;
                    prev[n] = Some((s, b));
                    queue.push_back(n);
                }
            }
        }
        None
    }
}

/// Whether some string is a match of both tables: a breadth-first search of
/// the product automaton for a pair of accepting states.
pub fn intersects(a: &Table, b: &Table) -> bool {
    let mut seen = std::collections::HashSet::new();
    let mut queue = VecDeque::from([(1usize, 1usize)]);
    seen.insert((1, 1));
    while let Some((x, y)) = queue.pop_front() {
        if a.accept[x] && b.accept[y] {
            return true;
        }
        for byte in 0..=255u8 {
            let pair = (a.step(x, byte), b.step(y, byte));
            if pair.0 != 0 && pair.1 != 0 && seen.insert(pair) {
                queue.push_back(pair);
            }
        }
    }
    false
}
