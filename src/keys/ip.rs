//! Owns the `ip` placeholder type: which key text stands for an IP address
//! (exactly one text per address) and the exact regular expression of that
//! language.
//!
//! IPv4 is dotted decimal without leading zeros (`192.0.2.1`). IPv6 is the
//! RFC 5952 text (lowercase, no leading zeros, the longest run of two or more
//! zero groups compressed, the leftmost on a tie) with every `:` written as
//! `-` (`2001-db8--1`), because `:` separates key segments; Microsoft's
//! `ipv6-literal.net` names use the same convention. An IPv4-mapped address
//! (`::ffff:a.b.c.d`) is stored in its IPv4 form, so one client has one key;
//! its IPv6 spellings are not in the language.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::OnceLock;

/// The key text of an address: the one spelling `accepts` admits.
pub fn segment(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => v6.to_string().replace(':', "-"),
    }
}

/// Whether `text` is the key text of some address. Accepting means parsing
/// and printing back the same text, so every address has exactly one
/// accepted spelling.
pub fn accepts(text: &str) -> bool {
    if text.contains([':', '.']) && text.contains('-') {
        return false;
    }
    if text.contains('-') {
        // Rust prints mapped addresses with dots (`::ffff:1.2.3.4`): no
        // spelling without `.` round-trips for them, which excludes them.
        text.replace('-', ":")
            .parse::<Ipv6Addr>()
            .is_ok_and(|v6| segment(IpAddr::V6(v6)) == text)
    } else {
        text.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|v4| v4.to_string() == text)
    }
}

/// A nonzero 16-bit group without leading zeros.
const NONZERO: &str = "[1-9a-f][0-9a-f]{0,3}";
/// A nonzero group other than `ffff` (the group that makes an address
/// IPv4-mapped after five zero groups).
const NONZERO_NOT_FFFF: &str = "(?:[1-9a-f][0-9a-f]{0,2}|[1-9a-e][0-9a-f]{3}|f[0-9a-e][0-9a-f]{2}|ff[0-9a-e][0-9a-f]|fff[0-9a-e])";

/// Constraints on a run of uncompressed groups.
#[derive(Clone, Copy)]
struct Run {
    /// Zero runs must be shorter than this.
    limit: usize,
    /// The first group must be nonzero (it follows `::`).
    first_nonzero: bool,
    /// The last group must be nonzero (it precedes `::`).
    last_nonzero: bool,
    /// The first group must be neither zero nor `ffff`.
    first_not_ffff: bool,
}

/// `left` groups separated by `-`, as a trie of alternatives so shared
/// prefixes are written once. `zeros`: zero groups just before.
fn groups(left: usize, total: usize, zeros: usize, run: Run) -> String {
    if left == 0 {
        return String::new();
    }
    let first = left == total;
    let last = left == 1;
    let mut options = Vec::new();
    let zero_ok =
        zeros + 1 < run.limit && !(first && run.first_nonzero) && !(last && run.last_nonzero);
    let sep = if last { "" } else { "-" };
    if zero_ok {
        options.push(format!("0{sep}{}", groups(left - 1, total, zeros + 1, run)));
    }
    let nonzero = if first && run.first_not_ffff {
        NONZERO_NOT_FFFF
    } else {
        NONZERO
    };
    options.push(format!("{nonzero}{sep}{}", groups(left - 1, total, 0, run)));
    if options.len() == 1 {
        options.pop().unwrap_or_default()
    } else {
        format!("(?:{})", options.join("|"))
    }
}

fn v6_regex() -> String {
    let no_run = Run {
        limit: 2,
        first_nonzero: false,
        last_nonzero: false,
        first_not_ffff: false,
    };
    // No `::`: no two zero groups in a row (they would be compressed).
    let mut options = vec![groups(8, 8, 0, no_run)];
    // `::` stands for `k` zero groups between `l` and `8 - l - k` others:
    // no run on the left as long (the leftmost longest is compressed), none
    // on the right longer, and the groups next to `::` are nonzero.
    for l in 0..=6 {
        for k in 2..=8 - l {
            let r = 8 - l - k;
            let left = groups(
                l,
                l,
                0,
                Run {
                    limit: k,
                    first_nonzero: false,
                    last_nonzero: true,
                    first_not_ffff: false,
                },
            );
            let right = groups(
                r,
                r,
                0,
                Run {
                    limit: k + 1,
                    first_nonzero: true,
                    last_nonzero: false,
                    // `::ffff:x:y` is IPv4-mapped: stored as IPv4.
                    first_not_ffff: l == 0 && k == 5,
                },
            );
            options.push(format!("{left}--{right}"));
        }
    }
    format!("(?:{})", options.join("|"))
}

/// The exact regular expression of the accepted texts.
pub fn regex() -> &'static str {
    static REGEX: OnceLock<String> = OnceLock::new();
    REGEX.get_or_init(|| {
        let octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
        format!("(?:{octet}\\.{octet}\\.{octet}\\.{octet}|{})", v6_regex())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::meta::Regex;

    fn matcher() -> Regex {
        Regex::new(&format!("^{}$", regex())).expect("the ip regex compiles")
    }

    #[test]
    fn regex_and_acceptance_agree_on_a_corpus() {
        let re = matcher();
        let valid = [
            "192.0.2.1",
            "0.0.0.0",
            "255.255.255.255",
            "10.0.0.10",
            "2001-db8--1",
            "--",
            "--1",
            "1--",
            "2001-db8--1-0-0-1",
            "2001-0-0-1--1",
            "1--2-0-0-3-4",
            "--1-0-0",
            "--ffff-0-102-304",
            "--102-304",
            "fe80--1ff-fe23-4567-890a",
            "1-2-3-4-5-6-7-8",
            "1-0-2-0-3-0-4-0",
            "1-0-0-2--3",
            "1--2-0-0-0",
            "--fffe-102-304",
        ];
        let invalid = [
            "",
            "256.1.1.1",
            "01.1.1.1",
            "1.1.1.01",
            "1.1.1",
            "1.1.1.1.1",
            "1..1.1",
            "2001-DB8--1",
            "2001-0db8--1",
            "2001-db8-0-0-0-0-0-1",
            "0-0-0-0-0-0-0-1",
            "1-0-0-0-0-0-0-0",
            "2001-db8-0-0-1-0-0-1",
            "2001-db8--1--1",
            "---1",
            "1---",
            "-1",
            "1-",
            "--1-",
            "1-2-3-4-5-6-7",
            "1-2-3-4-5-6-7-8-9",
            "1--2-3-4-5-6-7-8",
            "1-2-3-4-5-6-7--",
            "--ffff-102-304",
            "--ffff-1.2.3.4",
            "--1.2.3.4",
            "::1",
            "2001:db8::1",
            "1--2-0-0-0-3",
            "1-0-0-0-2--",
            "12345--1",
            "42",
            "g--1",
        ];
        for text in valid {
            assert!(accepts(text), "{text} should be accepted");
            assert!(re.is_match(text), "{text} should match the regex");
        }
        for text in invalid {
            assert!(!accepts(text), "{text} should be rejected");
            assert!(!re.is_match(text), "{text} should not match the regex");
        }
    }

    /// Every address built from a few group values, in its canonical text
    /// and in every other spelling (uncompressed, any zero run compressed):
    /// the regex, `accepts` and "is the canonical text" agree on all.
    #[test]
    fn regex_and_acceptance_agree_on_every_spelling() {
        let re = matcher();
        let values = [0u16, 1, 0xffff, 0xab];
        let mut checked = 0;
        for n in 0..values.len().pow(8) {
            let mut g = [0u16; 8];
            let mut m = n;
            for x in &mut g {
                *x = values[m % values.len()];
                m /= values.len();
            }
            let canonical = segment(IpAddr::V6(Ipv6Addr::from(g)));
            let hex: Vec<String> = g.iter().map(|x| format!("{x:x}")).collect();
            let mut spellings = vec![hex.join("-")];
            for start in 0..8 {
                for end in start + 1..=8 {
                    if g[start..end].iter().all(|&x| x == 0) {
                        spellings.push(format!(
                            "{}--{}",
                            hex[..start].join("-"),
                            hex[end..].join("-")
                        ));
                    }
                }
            }
            spellings.push(canonical.clone());
            for s in spellings {
                let want = s == canonical;
                assert_eq!(accepts(&s), want, "accepts {s} (canonical {canonical})");
                assert_eq!(re.is_match(&s), want, "regex {s} (canonical {canonical})");
                checked += 1;
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn mapped_addresses_are_stored_as_ipv4() {
        let mapped: Ipv6Addr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(segment(IpAddr::V6(mapped)), "192.0.2.1");
        assert_eq!(segment("2001:db8::1".parse().unwrap()), "2001-db8--1");
        assert!(regex().len() < 64 * 1024, "{}", regex().len());
    }
}
