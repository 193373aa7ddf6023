//! Owns reading one concrete Redis key back into the policy: which pattern
//! (or tag set, or stampede lock) it belongs to, the placeholder values it
//! carries, and its cluster hash slot.

use crate::keys::match_stored;
use crate::policy::model::{KeyPattern, Policy};

/// What a key is, according to the policy.
#[derive(Debug, Clone)]
pub enum Owner<'a> {
    Pattern(&'a KeyPattern),
    /// The stampede lock of a pattern's key.
    Lock(&'a KeyPattern),
    Tag(&'a str),
}

/// A key matched against the policy: owner and `(placeholder, value)` pairs.
#[derive(Debug, Clone)]
pub struct KeyMatch<'a> {
    pub owner: Owner<'a>,
    pub params: Vec<(String, String)>,
}

/// Matches `key` (as stored: `Policy::stored_key`) against every pattern,
/// lock and tag set. `check` has proven the patterns unambiguous, so the
/// first match is the only one.
pub fn match_key<'a>(policy: &'a Policy, key: &str) -> Option<KeyMatch<'a>> {
    let matches = |store: &str, before: &str, segments, hash_tag| {
        match_stored(&policy.stored_key(store, before, segments, hash_tag), key)
    };
    for p in policy.keys.patterns.values() {
        if let Some(params) = matches(&p.store, "", &p.segments, p.hash_tag) {
            return Some(KeyMatch {
                owner: Owner::Pattern(p),
                params,
            });
        }
    }
    for p in policy.keys.patterns.values() {
        if let Some(lock) = &p.stampede_lock
            && let Some(params) = matches(&p.store, &lock.prefix, &p.segments, p.hash_tag)
        {
            return Some(KeyMatch {
                owner: Owner::Lock(p),
                params,
            });
        }
    }
    for t in policy.tags.values() {
        if let Some(params) = matches(&t.store, "", &t.key, None) {
            return Some(KeyMatch {
                owner: Owner::Tag(&t.name),
                params,
            });
        }
    }
    None
}

/// Redis Cluster hash slot: CRC16-XMODEM of the hash tag (first `{` to the
/// next `}`, when not empty) or of the whole key, mod 16384.
pub fn hash_slot(key: &[u8]) -> u16 {
    let tagged = key
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let close = key[open + 1..].iter().position(|&b| b == b'}')?;
            (close > 0).then(|| &key[open + 1..open + 1 + close])
        })
        .unwrap_or(key);
    crc16_xmodem(tagged) % 16384
}

fn crc16_xmodem(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_slots_match_redis() {
        // Values from `CLUSTER KEYSLOT` on Redis 7.0.15 and the cluster spec.
        assert_eq!(crc16_xmodem(b"123456789"), 0x31c3);
        assert_eq!(hash_slot(b"foo"), 12182);
        assert_eq!(hash_slot(b"{user1000}.following"), hash_slot(b"user1000"));
        // An empty tag `{}` does not count: the whole key is hashed.
        assert_eq!(
            hash_slot(b"foo{}{bar}"),
            crc16_xmodem(b"foo{}{bar}") % 16384
        );
        // The tag runs to the first `}` after the first `{`.
        assert_eq!(hash_slot(b"foo{{bar}}zap"), hash_slot(b"{bar"));
    }
}
