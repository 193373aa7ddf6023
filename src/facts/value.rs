//! Owns turning a value a policy gives a directive into its redis.conf text
//! and the `CONFIG GET` text the server will report, checked against the
//! directive's facts the way `config.c` reads them: `yes`/`no` booleans,
//! strict decimal integers in range (memory units through
//! `load::units::parse_memory`, `%` for percent configs, octal where the
//! config is octal), enum names (any case; flag sets for multi-argument
//! enums) and text without control characters, quoted so redis.conf's
//! tokenizer (`sdssplitargs`) reads back exactly the words meant.

use super::table::{DirectiveFact, Kind, NumberFormat, TextKind};
use crate::load::units;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A directive's value as the policy's YAML gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ConfigValue {
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(String),
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigValue::Bool(b) => write!(f, "{b}"),
            ConfigValue::Integer(n) => write!(f, "{n}"),
            ConfigValue::Float(x) => write!(f, "{x}"),
            ConfigValue::String(s) => write!(f, "{:?}", s),
        }
    }
}

/// A checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The text after the directive's name on its redis.conf line, quoted
    /// where the tokenizer needs it (`"a b"`, `""`).
    pub conf: String,
    /// What `CONFIG GET` will report once the file is loaded. `None` when it
    /// cannot be predicted from the value alone: `special` directives print
    /// their own rendering (`dir` an absolute path, `notify-keyspace-events`
    /// its flags reordered, `client-output-buffer-limit` every class in
    /// bytes), and multi-word text directives are split by the server.
    pub config_get: Option<String>,
}

/// Why a value does not fit its directive; the message names what fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueProblem {
    pub directive: String,
    /// What is wrong with the given value (`1000 is out of range`).
    pub problem: String,
    /// What the directive takes (`an integer from 1 to 500`).
    pub expected: String,
}

impl fmt::Display for ValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid value for `{}`: {}; expected {}",
            self.directive, self.problem, self.expected
        )
    }
}

impl std::error::Error for ValueProblem {}

/// Enum names `config.c` maps to the same number: `CONFIG GET` prints the
/// first name of the number in its table. (directive, name given, name
/// printed back).
const ENUM_SYNONYMS: &[(&str, &str, &str)] = &[("oom-score-adj", "relative", "yes")];

/// Flag pairs a multi-argument enum refuses together
/// (`isValidShutdownOnSigFlags`: "can't have both 'save' and 'nosave'").
const EXCLUSIVE_FLAGS: &[(&str, &str)] = &[("save", "nosave")];

/// Checks `value` against `fact` and renders it.
pub fn check_value(fact: &DirectiveFact, value: &ConfigValue) -> Result<Setting, ValueProblem> {
    let expected = expected_text(fact);
    let problem = |problem: String| ValueProblem {
        directive: fact.name.clone(),
        problem,
        expected: expected.clone(),
    };
    let given = value_kind(value);
    match &fact.kind {
        Kind::Bool => match value {
            ConfigValue::Bool(b) => Ok(same(if *b { "yes" } else { "no" })),
            ConfigValue::String(s) if s.eq_ignore_ascii_case("yes") => Ok(same("yes")),
            ConfigValue::String(s) if s.eq_ignore_ascii_case("no") => Ok(same("no")),
            _ => Err(problem(format!("{value} is {given}"))),
        },
        Kind::Integer { min, max, format } => integer(value, *min, *max, *format).map_err(problem),
        Kind::Enum { values, flags } => {
            let text = match value {
                ConfigValue::String(s) => s.clone(),
                // `yes`/`no` enums (tls-auth-clients) read YAML booleans as
                // the names they mean.
                ConfigValue::Bool(b) => (if *b { "yes" } else { "no" }).to_string(),
                _ => return Err(problem(format!("{value} is {given}"))),
            };
            enumeration(&fact.name, &text, values, *flags).map_err(problem)
        }
        Kind::Text(text_kind) => {
            let text = match value {
                ConfigValue::String(s) => s.clone(),
                ConfigValue::Integer(n) => n.to_string(),
                // `latency-tracking-info-percentiles: 99.9` is text to the
                // server; YAML made it a number.
                ConfigValue::Float(f) if f.is_finite() => f.to_string(),
                _ => return Err(problem(format!("{value} is {given}"))),
            };
            if let Some(c) = text.chars().find(|c| c.is_control()) {
                return Err(problem(format!(
                    "the text contains the control character {:?}",
                    c
                )));
            }
            if fact.multi_arg() {
                let words: Vec<&str> = text.split_ascii_whitespace().collect();
                let conf = if words.is_empty() {
                    conf_token("")
                } else {
                    words
                        .iter()
                        .map(|w| conf_token(w))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                return Ok(Setting {
                    conf,
                    config_get: None,
                });
            }
            Ok(Setting {
                conf: conf_token(&text),
                config_get: (*text_kind != TextKind::Special).then_some(text),
            })
        }
    }
}

fn same(text: &str) -> Setting {
    Setting {
        conf: text.to_string(),
        config_get: Some(text.to_string()),
    }
}

fn value_kind(value: &ConfigValue) -> &'static str {
    match value {
        ConfigValue::Bool(_) => "a boolean",
        ConfigValue::Integer(_) => "an integer",
        ConfigValue::Float(_) => "a fractional number (quote a large integer as a string)",
        ConfigValue::String(_) => "a string",
    }
}

fn integer(
    value: &ConfigValue,
    min: i128,
    max: i128,
    format: NumberFormat,
) -> Result<Setting, String> {
    if format.octal {
        let digits = match value {
            ConfigValue::Integer(n) => n.to_string(),
            ConfigValue::String(s) => s.clone(),
            other => return Err(format!("{other} is {}", value_kind(other))),
        };
        let n = (!digits.is_empty() && digits.bytes().all(|b| (b'0'..=b'7').contains(&b)))
            .then(|| i128::from_str_radix(&digits, 8).ok())
            .flatten()
            .ok_or_else(|| {
                format!(
                    "`{digits}` is not octal digits (YAML reads `0o700` as the number 448: write the mode quoted, `\"700\"`)"
                )
            })?;
        in_range(n, min, max, |v| format!("{v:o}"))?;
        let text = format!("{n:o}");
        return Ok(same(&text));
    }
    let n: i128 = match value {
        ConfigValue::Integer(n) => (*n).into(),
        ConfigValue::String(s) => {
            if format.percent
                && let Some(number) = s.strip_suffix('%')
            {
                return percent(number, s, min);
            }
            if format.memory {
                units::parse_memory(s)?.bytes().into()
            } else {
                decimal(s).ok_or_else(|| format!("`{s}` is not a whole number"))?
            }
        }
        other => return Err(format!("{other} is {}", value_kind(other))),
    };
    // Memory sizes are read with `memtoull`, which takes no sign: a negative
    // number (what a percent config stores) is not a value to write.
    let min = if format.memory { min.max(0) } else { min };
    in_range(n, min, max, |v| v.to_string())?;
    Ok(same(&n.to_string()))
}

/// `config.c` stores a percentage as its negative, so `min` (`-100`) bounds it.
fn percent(number: &str, written: &str, min: i128) -> Result<Setting, String> {
    let p = decimal(number)
        .filter(|p| *p >= 0)
        .ok_or_else(|| format!("`{written}` is not a whole percentage"))?;
    if -p < min {
        return Err(format!("`{written}` is more than {}%", -min));
    }
    // 0% is 0, printed without the sign.
    Ok(if p == 0 {
        same("0")
    } else {
        same(&format!("{p}%"))
    })
}

/// A decimal as `string2ll` reads it: an optional `-`, digits, no leading
/// zeros, no spaces or `+`.
fn decimal(text: &str) -> Option<i128> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if canonical { text.parse().ok() } else { None }
}

fn in_range(n: i128, min: i128, max: i128, show: impl Fn(i128) -> String) -> Result<(), String> {
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        // The range itself is the message's "expected" part.
        Err(format!("{} is out of range", show(n)))
    }
}

fn enumeration(
    directive: &str,
    text: &str,
    values: &[String],
    flags: bool,
) -> Result<Setting, String> {
    let canonical = |word: &str| {
        values
            .iter()
            .find(|v| v.eq_ignore_ascii_case(word))
            .map(String::as_str)
            .ok_or_else(|| format!("`{word}` is not one of its values"))
    };
    if !flags {
        let name = canonical(text)?;
        let printed = ENUM_SYNONYMS
            .iter()
            .find(|(d, given, _)| *d == directive && *given == name)
            .map_or(name, |(_, _, printed)| printed);
        return Ok(Setting {
            conf: name.to_string(),
            config_get: Some(printed.to_string()),
        });
    }
    // Flags: each word one value; `CONFIG GET` prints the set in table
    // order, and the first value (0, no flag) only when none is set.
    let mut chosen = Vec::new();
    for word in text.split_ascii_whitespace() {
        let name = canonical(word)?;
        if !chosen.contains(&name) {
            chosen.push(name);
        }
    }
    if chosen.is_empty() {
        return Err("no value given".into());
    }
    let neutral = values[0].as_str();
    if chosen.len() > 1 && chosen.contains(&neutral) {
        return Err(format!("`{neutral}` cannot be combined with other values"));
    }
    if let Some((a, b)) = EXCLUSIVE_FLAGS
        .iter()
        .find(|(a, b)| chosen.contains(a) && chosen.contains(b))
    {
        return Err(format!("`{a}` and `{b}` cannot be combined"));
    }
    let in_table_order: Vec<&str> = values
        .iter()
        .map(String::as_str)
        .filter(|v| chosen.contains(v))
        .collect();
    Ok(Setting {
        conf: chosen.join(" "),
        config_get: Some(in_table_order.join(" ")),
    })
}

fn expected_text(fact: &DirectiveFact) -> String {
    match &fact.kind {
        Kind::Bool => "true/false or yes/no".into(),
        Kind::Integer { min, max, format } if format.octal => {
            format!("octal digits from {min:o} to {max:o}")
        }
        Kind::Integer { min, max, format } => {
            let lowest = if format.memory { (*min).max(0) } else { *min };
            let mut text = format!("an integer from {lowest} to {max}");
            if format.memory {
                text.push_str(
                    " (bytes, or a Redis memory size such as `64mb`: kb/mb/gb are powers of 1024, k/m/g of 1000)",
                );
            }
            if format.percent {
                text.push_str(&format!(
                    ", or a percentage of maxmemory up to {}% such as `10%`",
                    -min
                ));
            }
            text
        }
        Kind::Enum {
            values,
            flags: false,
        } => format!("one of {}", values.join(", ")),
        Kind::Enum {
            values,
            flags: true,
        } => format!("one or more of {}, separated by spaces", values.join(", ")),
        Kind::Text(_) if fact.multi_arg() => {
            "words separated by spaces, without control characters".into()
        }
        Kind::Text(_) => "text without control characters".into(),
    }
}

/// One redis.conf word: as it is when the tokenizer (`sdssplitargs`) reads
/// it back unchanged, otherwise in double quotes with `\` and `"` escaped
/// (and control characters as `\n`, `\xHH`, which the tokenizer decodes).
/// Empty text is `""`. A `#` is quoted too, though redis.conf only treats a
/// line starting with one as a comment, so no reader mistakes it for one.
pub fn conf_token(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'\\' | b'#'));
    if plain {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
