//! Owns the policy's unit grammars: durations (`10s`, `5m`, `30d`), Redis memory
//! sizes (`2gb`, `512mb`) and percentages (`10%`, `99.9%`), each parsed exactly
//! the way the consumer of the value will read it.

use std::fmt;

/// A length of time, held in microseconds so that `slowlog` thresholds
/// (`10ms` = 10000 µs) and day-long TTLs share one exact integer type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    micros: u64,
}

const MICROS_PER_SECOND: u64 = 1_000_000;

impl Duration {
    pub const ZERO: Duration = Duration { micros: 0 };

    pub const fn from_secs(secs: u64) -> Self {
        Duration {
            micros: secs.saturating_mul(MICROS_PER_SECOND),
        }
    }

    pub fn from_micros(micros: u64) -> Self {
        Duration { micros }
    }

    pub fn as_micros(self) -> u64 {
        self.micros
    }

    pub fn as_millis(self) -> u64 {
        self.micros / 1000
    }

    /// Whole seconds, rounded down.
    pub fn as_secs(self) -> u64 {
        self.micros / MICROS_PER_SECOND
    }

    pub fn is_whole_seconds(self) -> bool {
        self.micros.is_multiple_of(MICROS_PER_SECOND)
    }

    pub fn is_zero(self) -> bool {
        self.micros == 0
    }
}

impl fmt::Display for Duration {
    /// The shortest exact humane spelling: `1h30m`, `10ms`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.micros == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.micros;
        for (unit, size) in DURATION_UNITS_DESC {
            if rest >= *size {
                write!(f, "{}{}", rest / size, unit)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

/// Units from largest to smallest. No months or years: their length varies,
/// and a TTL that silently means 30.44 days is a bug waiting to happen.
const DURATION_UNITS_DESC: &[(&str, u64)] = &[
    ("w", 7 * 86_400 * MICROS_PER_SECOND),
    ("d", 86_400 * MICROS_PER_SECOND),
    ("h", 3_600 * MICROS_PER_SECOND),
    ("m", 60 * MICROS_PER_SECOND),
    ("s", MICROS_PER_SECOND),
    ("ms", 1_000),
    ("us", 1),
];

/// Parses `90s`, `5m`, `1h30m`, `10ms`, `250us`, `30d`, `2w`.
///
/// A bare number is rejected on purpose: Redis and its clients mix seconds
/// (`tcp-keepalive 300`) and milliseconds (ioredis's `keepAlive: 10000`), and
/// a unit is the only thing that stops that mix-up from reaching production.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration; write a number with a unit, e.g. `300s`".into());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{text}` has no unit; write `{text}s` for seconds or `{text}ms` for milliseconds"
        ));
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut last_unit_size = u64::MAX;
    while i < bytes.len() {
        let digits_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == digits_start {
            return Err(format!(
                "`{text}` is not a duration; expected a number followed by one of us, ms, s, m, h, d, w (e.g. `5m`, `1h30m`)"
            ));
        }
        let number: u64 = text[digits_start..i]
            .parse()
            .map_err(|_| format!("`{text}` is too large to be a duration"))?;
        let unit_start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &text[unit_start..i];
        if unit.is_empty() && i < bytes.len() && bytes[i].is_ascii_whitespace() {
            return Err(format!(
                "`{text}` has a space; write durations without spaces, e.g. `1h` or `1h30m`"
            ));
        }
        let Some(&(_, size)) = DURATION_UNITS_DESC.iter().find(|(u, _)| *u == unit) else {
            let hint = match unit.to_ascii_lowercase().as_str() {
                "mo" | "mon" | "month" | "months" | "y" | "yr" | "year" | "years" => {
                    " (months and years vary in length; use days, e.g. `30d` or `365d`)"
                }
                "" => " (the number has no unit)",
                _ => "",
            };
            return Err(format!(
                "`{text}` has unknown unit `{unit}`; expected us, ms, s, m, h, d or w{hint}"
            ));
        };
        if size >= last_unit_size {
            return Err(format!(
                "`{text}` repeats or reorders units; write them largest first, e.g. `1h30m`"
            ));
        }
        last_unit_size = size;
        total = number
            .checked_mul(size)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("`{text}` is too large to be a duration"))?;
    }
    Ok(Duration { micros: total })
}

/// A memory size in bytes, read with Redis's own rules (`src/util.c:memtoull`):
/// `k`/`m`/`g` are powers of 1000, `kb`/`mb`/`gb` powers of 1024, any case, and
/// only whole numbers. So `2gb` is 2147483648 but `2g` is 2000000000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MemorySize {
    bytes: u64,
}

impl MemorySize {
    pub fn from_bytes(bytes: u64) -> Self {
        MemorySize { bytes }
    }

    pub fn bytes(self) -> u64 {
        self.bytes
    }
}

impl fmt::Display for MemorySize {
    /// The shortest exact spelling Redis reads back as the same byte count
    /// (`2gb` for 2·1024³, `2g` for 2·10⁹); binary units win ties.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.bytes;
        let best = [
            ("gb", 1u64 << 30),
            ("g", 1_000_000_000),
            ("mb", 1 << 20),
            ("m", 1_000_000),
            ("kb", 1 << 10),
            ("k", 1_000),
        ]
        .into_iter()
        .filter(|(_, size)| b != 0 && b.is_multiple_of(*size))
        .map(|(unit, size)| format!("{}{unit}", b / size))
        .min_by_key(String::len);
        match best {
            Some(text) => f.write_str(&text),
            None => write!(f, "{b}"),
        }
    }
}

const MEMORY_UNITS: &[(&str, u64)] = &[
    ("", 1),
    ("b", 1),
    ("k", 1_000),
    ("kb", 1 << 10),
    ("m", 1_000_000),
    ("mb", 1 << 20),
    ("g", 1_000_000_000),
    ("gb", 1 << 30),
];

/// A byte count for people: `812 B`, `11.5 MiB` (binary units, one decimal).
/// Reports and messages use it; policies and generated files keep exact bytes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub fn parse_memory(text: &str) -> Result<MemorySize, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    if digits_end == 0 {
        return Err(format!(
            "`{text}` is not a memory size; expected a whole number with an optional unit, e.g. `2gb` or `512mb`"
        ));
    }
    let unit = trimmed[digits_end..].to_ascii_lowercase();
    if unit.starts_with('.') {
        return Err(format!(
            "`{text}`: Redis accepts only whole numbers here; write e.g. `1536mb` instead of `1.5gb`"
        ));
    }
    let Some(&(_, size)) = MEMORY_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!(
            "`{text}` has unknown unit `{unit}`; Redis reads k/m/g as powers of 1000 and kb/mb/gb as powers of 1024"
        ));
    };
    let number: u64 = trimmed[..digits_end]
        .parse()
        .map_err(|_| format!("`{text}` is too large"))?;
    number
        .checked_mul(size)
        .map(MemorySize::from_bytes)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// A percentage, held in hundredths of a percent so `99.9%` stays exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent {
    basis_points: u32,
}

impl Percent {
    pub fn from_basis_points(basis_points: u32) -> Self {
        Percent { basis_points }
    }

    pub fn basis_points(self) -> u32 {
        self.basis_points
    }

    pub fn as_fraction(self) -> f64 {
        f64::from(self.basis_points) / 10_000.0
    }

    pub fn is_zero(self) -> bool {
        self.basis_points == 0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.basis_points / 100;
        let frac = self.basis_points % 100;
        match frac {
            0 => write!(f, "{whole}%"),
            f2 if f2 % 10 == 0 => write!(f, "{whole}.{}%", f2 / 10),
            f2 => write!(f, "{whole}.{f2:02}%"),
        }
    }
}

/// Parses `10%`, `99.9%`, `0.05%` (at most two decimals, at most 100%).
pub fn parse_percent(text: &str) -> Result<Percent, String> {
    let trimmed = text.trim();
    let Some(number) = trimmed.strip_suffix('%') else {
        return Err(format!(
            "`{text}` is not a percentage; write it with a `%`, e.g. `10%`"
        ));
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || frac.len() > 2 {
        return Err(format!(
            "`{text}` is not a percentage; expected e.g. `10%` or `99.9%` (at most two decimals)"
        ));
    }
    let whole: u32 = whole
        .parse()
        .map_err(|_| format!("`{text}` is more than 100%"))?;
    let frac: u32 = format!("{frac:0<2}").parse().unwrap_or(0);
    let basis_points = whole.saturating_mul(100).saturating_add(frac);
    if basis_points > 10_000 {
        return Err(format!("`{text}` is more than 100%"));
    }
    Ok(Percent { basis_points })
}

/// A Kubernetes resource quantity (`3Gi`, `1.5Gi`, `512M`, `2`, `500m`) in
/// bytes, rounded up to a whole byte as Kubernetes does for memory. Suffixes:
/// none, `m` (milli), `k`/`M`/`G`/`T`/`P`/`E` (powers of 1000) and
/// `Ki`/`Mi`/`Gi`/`Ti`/`Pi`/`Ei` (powers of 1024); the number may have a
/// fractional part. `None` for anything else (signs and exponents such as
/// `1e3`, which `lower` does not accept either) or for values too large to
/// compute with.
pub fn quantity_bytes(text: &str) -> Option<u128> {
    let number_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(number_end);
    // (multiplier numerator, multiplier denominator)
    let (mul, div): (u128, u128) = match suffix {
        "" => (1, 1),
        "m" => (1, 1000),
        "k" => (1000, 1),
        "M" => (1000u128.pow(2), 1),
        "G" => (1000u128.pow(3), 1),
        "T" => (1000u128.pow(4), 1),
        "P" => (1000u128.pow(5), 1),
        "E" => (1000u128.pow(6), 1),
        "Ki" => (1 << 10, 1),
        "Mi" => (1 << 20, 1),
        "Gi" => (1 << 30, 1),
        "Ti" => (1 << 40, 1),
        "Pi" => (1 << 50, 1),
        "Ei" => (1 << 60, 1),
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return None;
    }
    // The number as an integer mantissa over 10^(fraction digits).
    let mut mantissa: u128 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(u128::from(b - b'0'))?;
    }
    let scale = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let numerator = mantissa.checked_mul(mul)?;
    let denominator = scale.checked_mul(div)?;
    Some(numerator.div_ceil(denominator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_memory_units_follow_memtoull() {
        assert_eq!(parse_memory("2gb").unwrap().bytes(), 2 * 1024 * 1024 * 1024);
        assert_eq!(parse_memory("2g").unwrap().bytes(), 2_000_000_000);
        assert_eq!(parse_memory("2GB").unwrap().bytes(), 2_147_483_648);
        assert_eq!(parse_memory("1k").unwrap().bytes(), 1000);
        assert_eq!(parse_memory("1kb").unwrap().bytes(), 1024);
        assert_eq!(parse_memory("100").unwrap().bytes(), 100);
        assert!(parse_memory("1.5gb").unwrap_err().contains("whole numbers"));
        assert!(parse_memory("2tb").is_err());
        assert!(parse_memory("gb").is_err());
        assert!(parse_memory("99999999999999999999gb").is_err());
        assert_eq!(MemorySize::from_bytes(2 << 30).to_string(), "2gb");
        assert_eq!(MemorySize::from_bytes(2_000_000_000).to_string(), "2g");
        assert_eq!(MemorySize::from_bytes(1536).to_string(), "1536");
    }

    #[test]
    fn durations_need_units_and_stay_exact() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(
            parse_duration("30d").unwrap(),
            Duration::from_secs(2_592_000)
        );
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("10ms").unwrap().as_micros(), 10_000);
        assert!(parse_duration("300").unwrap_err().contains("no unit"));
        assert!(parse_duration("1month").unwrap_err().contains("use days"));
        assert!(parse_duration("5x").is_err());
        assert!(
            parse_duration("30m1h")
                .unwrap_err()
                .contains("largest first")
        );
        assert!(parse_duration("99999999999999999999w").is_err());
        assert_eq!(Duration::from_secs(5400).to_string(), "1h30m");
        assert_eq!(Duration::from_micros(10_000).to_string(), "10ms");
    }

    #[test]
    fn percentages_are_exact() {
        assert_eq!(parse_percent("10%").unwrap().basis_points(), 1000);
        assert_eq!(parse_percent("99.9%").unwrap().basis_points(), 9990);
        assert_eq!(parse_percent("99.9%").unwrap().to_string(), "99.9%");
        assert!(parse_percent("101%").is_err());
        assert!(parse_percent("0.1").is_err());
        assert!(parse_percent("1.234%").is_err());
    }

    #[test]
    fn quantity_plain_and_milli() {
        assert_eq!(quantity_bytes("0"), Some(0));
        assert_eq!(quantity_bytes("1024"), Some(1024));
        assert_eq!(quantity_bytes("1500m"), Some(2), "1.5 bytes round up");
        assert_eq!(quantity_bytes("1000m"), Some(1));
        assert_eq!(quantity_bytes("1m"), Some(1));
    }

    #[test]
    fn quantity_decimal_suffixes() {
        assert_eq!(quantity_bytes("1k"), Some(1_000));
        assert_eq!(quantity_bytes("512M"), Some(512_000_000));
        assert_eq!(quantity_bytes("3G"), Some(3_000_000_000));
        assert_eq!(quantity_bytes("1T"), Some(1_000_000_000_000));
        assert_eq!(quantity_bytes("1P"), Some(10u128.pow(15)));
        assert_eq!(quantity_bytes("2E"), Some(2 * 10u128.pow(18)));
    }

    #[test]
    fn quantity_binary_suffixes() {
        assert_eq!(quantity_bytes("1Ki"), Some(1024));
        assert_eq!(quantity_bytes("512Mi"), Some(512 << 20));
        assert_eq!(quantity_bytes("3Gi"), Some(3 << 30));
        assert_eq!(quantity_bytes("1Ti"), Some(1 << 40));
        assert_eq!(quantity_bytes("1Pi"), Some(1 << 50));
        assert_eq!(quantity_bytes("16Ei"), Some(16u128 << 60), "beyond u64");
    }

    #[test]
    fn quantity_fractions() {
        assert_eq!(quantity_bytes("1.5Gi"), Some(3 << 29));
        assert_eq!(quantity_bytes("0.5Ki"), Some(512));
        assert_eq!(quantity_bytes(".5Ki"), Some(512));
        assert_eq!(quantity_bytes("2."), Some(2));
        assert_eq!(quantity_bytes("2.5"), Some(3), "rounded up to a whole byte");
        assert_eq!(quantity_bytes("1.001k"), Some(1001));
        assert_eq!(quantity_bytes("0.1Ki"), Some(103), "102.4 rounds up");
    }

    #[test]
    fn quantity_rejected() {
        for text in [
            "", ".", "Gi", "3GB", "3gi", "3g", "3 Gi", " 3Gi", "-1Gi", "+1Gi", "1e3", "1.2.3Gi",
            "3Gi ", "0x10", "1Zi",
        ] {
            assert_eq!(quantity_bytes(text), None, "{text:?}");
        }
        // Too large to compute with, not a panic.
        assert_eq!(quantity_bytes(&"9".repeat(60)), None);
        assert_eq!(quantity_bytes(&format!("1.{}", "0".repeat(60))), None);
    }
}
