//! Owns one release's directive table: the embedded JSON read into typed
//! facts (an unknown `type` or flag is a parse error, which a unit test
//! catches), symbolic bounds (`LLONG_MAX`, `1024*1024`, `0777`) resolved to
//! numbers, and lookups by name or alias, case-insensitively as the servers
//! do (`lookupConfig` hashes names without case).

use super::{Engine, Release};
use indexmap::IndexMap;
use serde::Deserialize;
use std::collections::HashMap;

/// The C type of the directive in `config.c` (`createIntConfig` → `int`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CType {
    Bool,
    Int,
    Uint,
    Long,
    Ulong,
    Longlong,
    Ulonglong,
    Sizet,
    Ssizet,
    Offt,
    Timet,
    Enum,
    String,
    Sds,
    Special,
}

/// A `config.c` flag, as the facts README explains them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Modifiable,
    /// `CONFIG SET` refuses it: a change needs a restart.
    Immutable,
    /// A secret; `CONFIG GET` still prints it in clear text.
    Sensitive,
    /// `CONFIG SET` refuses it unless `enable-protected-configs` allows it.
    Protected,
    /// Not listed by `CONFIG GET *`.
    Hidden,
    /// `DEBUG_CONFIG`, "useful for debugging": printed in the crash report.
    /// Ordinary settings carry it (`activedefrag`, `lazyfree-lazy-eviction`).
    Debug,
    /// Takes several words (`save 3600 1 300 100`).
    MultiArg,
    /// The value may change without `CONFIG SET`.
    Volatile,
    /// Refused while the server loads its data.
    DenyLoading,
}

/// How a numeric directive is written and read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NumberFormat {
    /// Takes Redis memory units (`64mb`); `CONFIG GET` prints bytes.
    pub memory: bool,
    /// Also takes a percentage (`10%`, of `maxmemory`), printed back with `%`.
    pub percent: bool,
    /// Written and printed in octal (`unixsocketperm 700`).
    pub octal: bool,
}

/// Text directives, by how `config.c` stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    String,
    /// Binary-safe string (passwords).
    Sds,
    /// Parsed by its own code (`save`, `client-output-buffer-limit`, `dir`,
    /// `notify-keyspace-events`, …): `CONFIG GET` prints its own rendering.
    Special,
}

/// What values a directive takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// A whole number in `min..=max` (bounds as the server honours them).
    Integer {
        min: i128,
        max: i128,
        format: NumberFormat,
    },
    /// One of `values`, or with `flags` several of them at once, separated by
    /// spaces (`shutdown-on-sigterm save now`).
    Enum {
        values: Vec<String>,
        flags: bool,
    },
    Text(TextKind),
}

/// One directive of one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectiveFact {
    /// The canonical name.
    pub name: String,
    pub c_type: CType,
    pub kind: Kind,
    pub flags: Vec<Flag>,
    /// The other name the server accepts (`masterauth` for `primaryauth`).
    pub alias: Option<String>,
    /// The value as `CONFIG GET` prints it on a server started without a
    /// configuration file; `None` where it depends on how it was started
    /// (`dir`, `port`) or the directive is hidden.
    pub default: Option<String>,
}

impl DirectiveFact {
    pub fn has(&self, flag: Flag) -> bool {
        self.flags.contains(&flag)
    }

    /// A secret (`requirepass`, `masterauth`): never a literal in a policy.
    pub fn sensitive(&self) -> bool {
        self.has(Flag::Sensitive)
    }

    /// Changing it needs a restart.
    pub fn immutable(&self) -> bool {
        self.has(Flag::Immutable)
    }

    /// Not listed by `CONFIG GET *`, or printed in the crash report.
    pub fn hidden_or_debug(&self) -> bool {
        self.has(Flag::Hidden) || self.has(Flag::Debug)
    }

    /// `CONFIG SET` refuses it unless `enable-protected-configs` allows it.
    pub fn protected(&self) -> bool {
        self.has(Flag::Protected)
    }

    /// Takes several words.
    pub fn multi_arg(&self) -> bool {
        self.has(Flag::MultiArg)
    }
}

/// Ranges narrower than `config.c`'s, where the server clamps what it was
/// given rather than refusing it: a policy saying `hz: 1000` would run at 500
/// while `CONFIG GET hz` said 1000. Both engines clamp `hz` to
/// `CONFIG_MIN_HZ..=CONFIG_MAX_HZ` (`server.h`: 1 and 500).
const HONOURED_RANGES: &[(&str, i128, i128)] = &[("hz", 1, 500)];

/// One release's directives, sorted by name.
#[derive(Debug)]
pub struct Table {
    release: Release,
    /// Where the facts were read from (`redis 7.0.15: src/config.c …`).
    source: String,
    directives: Vec<DirectiveFact>,
    /// Lower-case canonical names and aliases → index.
    by_name: HashMap<String, usize>,
}

impl Table {
    pub fn release(&self) -> Release {
        self.release
    }

    /// Where the facts were read from, for messages that cite them.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The directive a server of this release knows by `name`, canonical or
    /// alias, in any case.
    pub fn get(&self, name: &str) -> Option<&DirectiveFact> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.directives[i])
    }

    /// Every directive, by canonical name.
    pub fn iter(&self) -> impl Iterator<Item = &DirectiveFact> {
        self.directives.iter()
    }

    pub fn len(&self) -> usize {
        self.directives.len()
    }

    pub fn is_empty(&self) -> bool {
        self.directives.is_empty()
    }

    pub(super) fn parse(release: Release, json: &str) -> Result<Table, String> {
        let raw: RawTable = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if raw.engine != release.engine() || raw.version != release.exact_version() {
            return Err(format!(
                "the file says {} {}, expected {} {}",
                raw.engine,
                raw.version,
                release.engine(),
                release.exact_version()
            ));
        }
        let mut directives = Vec::with_capacity(raw.directives.len());
        for (name, d) in raw.directives {
            let kind = kind_of(&name, &d).map_err(|e| format!("`{name}`: {e}"))?;
            directives.push(DirectiveFact {
                name,
                c_type: d.c_type,
                kind,
                flags: d.flags,
                alias: d.alias,
                default: d.default,
            });
        }
        directives.sort_by(|a, b| a.name.cmp(&b.name));
        let mut by_name = HashMap::new();
        for (i, d) in directives.iter().enumerate() {
            for spelling in std::iter::once(&d.name).chain(d.alias.as_ref()) {
                if by_name.insert(spelling.to_ascii_lowercase(), i).is_some() {
                    return Err(format!("`{spelling}` names two directives"));
                }
            }
        }
        Ok(Table {
            release,
            source: raw.source,
            directives,
            by_name,
        })
    }
}

fn kind_of(name: &str, d: &RawDirective) -> Result<Kind, String> {
    let numeric_only =
        d.min.is_some() || d.max.is_some() || d.unit.is_some() || d.percent || d.octal;
    let kind = match d.c_type {
        CType::Bool => Kind::Bool,
        CType::Enum => {
            let values = d.values.clone().ok_or("an enum without `values`")?;
            if values.is_empty() {
                return Err("an enum without `values`".into());
            }
            // config.c treats a multi-argument enum as a set of bit flags.
            Kind::Enum {
                values,
                flags: d.flags.contains(&Flag::MultiArg),
            }
        }
        CType::String => Kind::Text(TextKind::String),
        CType::Sds => Kind::Text(TextKind::Sds),
        CType::Special => Kind::Text(TextKind::Special),
        CType::Int
        | CType::Uint
        | CType::Long
        | CType::Ulong
        | CType::Longlong
        | CType::Ulonglong
        | CType::Sizet
        | CType::Ssizet
        | CType::Offt
        | CType::Timet => {
            let bound = |b: &Option<String>, which: &str| {
                b.as_deref()
                    .ok_or_else(|| format!("a number without `{which}`"))
                    .and_then(resolve_bound)
            };
            let (mut min, mut max) = (bound(&d.min, "min")?, bound(&d.max, "max")?);
            if let Some(&(_, lo, hi)) = HONOURED_RANGES.iter().find(|(n, ..)| *n == name) {
                (min, max) = (min.max(lo), max.min(hi));
            }
            if min > max {
                return Err(format!("min {min} is above max {max}"));
            }
            Kind::Integer {
                min,
                max,
                format: NumberFormat {
                    memory: d.unit == Some(Unit::Memory),
                    percent: d.percent || d.unit == Some(Unit::Percent),
                    octal: d.octal,
                },
            }
        }
    };
    if numeric_only && !matches!(kind, Kind::Integer { .. }) {
        return Err("bounds or a unit on a directive that is not a number".into());
    }
    if d.values.is_some() && !matches!(kind, Kind::Enum { .. }) {
        return Err("`values` on a directive that is not an enum".into());
    }
    Ok(kind)
}

/// A bound as `config.c` writes it: a decimal or octal (`0777`) literal, a
/// product (`1024*1024`), or a `limits.h` name. The servers are built for
/// LP64 Linux, where `long` and `ssize_t` are 64 bits.
fn resolve_bound(text: &str) -> Result<i128, String> {
    let text = text.trim();
    Ok(match text {
        "INT_MIN" => i32::MIN.into(),
        "INT_MAX" => i32::MAX.into(),
        "UINT_MAX" => u32::MAX.into(),
        "LONG_MIN" | "LLONG_MIN" => i64::MIN.into(),
        "LONG_MAX" | "LLONG_MAX" | "SSIZE_MAX" => i64::MAX.into(),
        "ULONG_MAX" | "ULLONG_MAX" | "SIZE_MAX" => u64::MAX.into(),
        _ if text.contains('*') => {
            let mut product: i128 = 1;
            for factor in text.split('*') {
                product = product
                    .checked_mul(resolve_bound(factor)?)
                    .ok_or_else(|| format!("`{text}` overflows"))?;
            }
            product
        }
        _ if text.len() > 1 && text.starts_with('0') => {
            i128::from_str_radix(&text[1..], 8).map_err(|_| format!("`{text}` is not octal"))?
        }
        _ => text
            .parse()
            .map_err(|_| format!("unknown bound `{text}`"))?,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    engine: Engine,
    version: String,
    source: String,
    directives: IndexMap<String, RawDirective>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDirective {
    #[serde(rename = "type")]
    c_type: CType,
    flags: Vec<Flag>,
    #[serde(default)]
    alias: Option<String>,
    #[serde(default)]
    min: Option<String>,
    #[serde(default)]
    max: Option<String>,
    #[serde(default)]
    values: Option<Vec<String>>,
    #[serde(default)]
    unit: Option<Unit>,
    /// cachegen's corrections (see the data README): `PERCENT_CONFIG`.
    #[serde(default)]
    percent: bool,
    /// `OCTAL_CONFIG`.
    #[serde(default)]
    octal: bool,
    #[serde(default)]
    default: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Unit {
    Memory,
    Percent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_resolve_as_c_reads_them() {
        assert_eq!(resolve_bound("LLONG_MAX"), Ok(i64::MAX.into()));
        assert_eq!(resolve_bound("ULLONG_MAX"), Ok(u64::MAX.into()));
        assert_eq!(resolve_bound("INT_MIN"), Ok(i32::MIN.into()));
        assert_eq!(resolve_bound("1024*1024"), Ok(1 << 20));
        assert_eq!(resolve_bound("1024 * 1024"), Ok(1 << 20));
        assert_eq!(resolve_bound("0777"), Ok(0o777));
        assert_eq!(resolve_bound("0"), Ok(0));
        assert_eq!(resolve_bound("-100"), Ok(-100));
        assert!(resolve_bound("PATH_MAX").is_err());
    }
}
