//! Owns how the format's unit types (durations, Redis memory sizes,
//! percentages) are read from YAML and described in the JSON Schema.

use crate::load::units::{self, Duration, MemorySize, Percent};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;

// Unit types read from strings. Their schema carries a `format` that the
// schema stage checks with the same parser, so the typed read below cannot
// disagree with the diagnostics.

macro_rules! unit_type {
    ($ty:ty, $name:literal, $format:literal, $parse:path, $desc:literal, [$($example:literal),*], $int_ok:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                #[serde(untagged)]
                enum Raw {
                    Int(u64),
                    Text(String),
                }
                match Raw::deserialize(d)? {
                    Raw::Text(text) => $parse(&text).map_err(serde::de::Error::custom),
                    // Bare integers are bytes for memory sizes; for durations and
                    // percentages the parser rejects them with a "needs a unit" message.
                    Raw::Int(n) => $parse(&n.to_string()).map_err(serde::de::Error::custom),
                }
            }
        }

        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                if $int_ok {
                    json_schema!({
                        "type": ["string", "integer"],
                        "minimum": 0,
                        "format": $format,
                        "description": $desc,
                        "examples": [$($example),*]
                    })
                } else {
                    json_schema!({
                        "type": "string",
                        "format": $format,
                        "description": $desc,
                        "examples": [$($example),*]
                    })
                }
            }
        }
    };
}

unit_type!(
    Duration,
    "Duration",
    "duration",
    units::parse_duration,
    "A duration with units, largest first: `250us`, `10ms`, `90s`, `5m`, `1h30m`, `30d`, `2w`.",
    ["5m", "1h30m", "30d"],
    false
);
unit_type!(
    MemorySize,
    "MemorySize",
    "redis-memory",
    units::parse_memory,
    "A memory size as Redis reads it: bytes, or k/m/g (powers of 1000) or kb/mb/gb (powers of 1024), whole numbers only.",
    ["2gb", "512mb", "1kb"],
    true
);
unit_type!(
    Percent,
    "Percent",
    "percent",
    units::parse_percent,
    "A percentage with at most two decimals: `10%`, `99.9%`.",
    ["10%", "99.9%"],
    false
);
