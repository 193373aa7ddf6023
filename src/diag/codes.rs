//! Owns the codes of the diagnostics that are not lint rules: reading, schema
//! and semantic errors (CG0xx). Their severity is fixed and they cannot be
//! allowed or suppressed, because a policy that has them does not mean anything
//! definite. (CG090, an unused suppression, is the one warning among them.)
//! Lint rules (CG1xx and up) live in `lint::rules`, one per file.

use crate::diag::Severity;

/// A stable diagnostic code with its kebab-case name and docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// Markdown docs: what it means, why, and an example.
    pub docs: &'static str,
    /// The severity before any level configuration.
    pub severity: Severity,
    /// Lint rules have configurable levels and can be suppressed; fixed codes cannot.
    pub lint: bool,
}

impl Code {
    pub fn default_severity(&self) -> Severity {
        self.severity
    }

    pub fn is_lint(&self) -> bool {
        self.lint
    }
}

macro_rules! fixed_codes {
    ($( $(#[doc = $doc:literal])* $ident:ident = $code:literal, $name:literal, $severity:ident, $summary:literal; )*) => {
        $( pub const $ident: Code = Code {
            code: $code,
            name: $name,
            summary: $summary,
            docs: concat!($($doc, "\n"),*),
            severity: Severity::$severity,
            lint: false,
        }; )*
        /// Every fixed code, in code order.
        pub const ALL: &[Code] = &[$($ident),*];
    };
}

fixed_codes! {
    /// The policy file could not be read (missing, a directory, no permission).
    IO = "CG001", "unreadable-file", Error, "the policy file cannot be read";
    /// The policy is not valid UTF-8, or contains NUL or another control
    /// character that YAML does not allow in a stream.
    ///
    /// Example: a file saved as Latin-1 with `ü` in a description.
    ENCODING = "CG002", "invalid-encoding", Error, "the file is not UTF-8 text YAML can hold";
    /// The YAML itself is malformed: bad indentation, an unclosed quote, a tab
    /// used for indentation, a second document, or an unsupported tag.
    YAML_SYNTAX = "CG003", "yaml-syntax", Error, "the YAML cannot be parsed";
    /// A mapping has the same key twice. YAML loaders silently keep one of the
    /// two values, so a reviewer sees one TTL while Redis gets the other.
    ///
    /// ```yaml
    /// ttl:
    ///   classes:
    ///     leaderboard: 5m
    ///     leaderboard: 1h   # CG004
    /// ```
    DUPLICATE_KEY = "CG004", "duplicate-key", Error, "a mapping repeats a key";
    /// The file is too large (over 8 MiB), nested deeper than 32 levels, or
    /// expands through aliases to more than 500,000 nodes (a "billion laughs"
    /// alias bomb). cachegen refuses such input quickly instead of hanging.
    /// Also reported, once, when a file has more than 500 problems: the rest
    /// are counted but not shown.
    INPUT_LIMIT = "CG005", "input-limit", Error, "the file exceeds a safety limit";
    /// A key that the policy format does not know. Usually a typo; the
    /// diagnostic suggests the closest known key.
    ///
    /// ```yaml
    /// redis:
    ///   maxmemroy: 2gb   # CG010: did you mean `maxmemory`?
    /// ```
    UNKNOWN_FIELD = "CG010", "unknown-field", Error, "a key the policy format does not define";
    /// A value has the wrong type or shape for its field (a list where a
    /// mapping belongs, a string where a number belongs, a missing required
    /// field, a value outside the allowed set).
    SCHEMA = "CG011", "schema-violation", Error, "a value does not fit the policy schema";
    /// A duration, memory size or percentage that does not parse. Durations
    /// need a unit (`300s`, not `300`), because the runbook mixes seconds and
    /// milliseconds; memory sizes follow Redis (`2gb` = 2·1024³, `2g` = 2·10⁹).
    ///
    /// ```yaml
    /// ttl:
    ///   default: 300     # CG012: write `300s`
    /// ```
    INVALID_UNIT = "CG012", "invalid-unit", Error, "a duration, size or percentage does not parse";
    /// A name that refers to something the policy does not define: a TTL
    /// class, placeholder, key pattern, tag, event or lint rule.
    ///
    /// ```yaml
    /// invalidation:
    ///   cascade:
    ///     user_profile: [user_statz]   # CG020: no key pattern `user_statz`
    /// ```
    UNRESOLVED_REFERENCE = "CG020", "unresolved-reference", Error, "a name refers to nothing";
    /// Cascade dependencies form a cycle, so invalidating one key would
    /// invalidate itself forever (or the generated plan would never end).
    DEPENDENCY_CYCLE = "CG021", "dependency-cycle", Error, "cascade dependencies form a cycle";
    /// Two key patterns can match the same concrete key, so a key read back
    /// from Redis cannot be attributed to one pattern (its TTL, its owner, its
    /// invalidation). `leaderboard:global` and `leaderboard:<topic>` collide
    /// when `<topic>` is a slug, because `global` is a valid slug.
    AMBIGUOUS_PATTERNS = "CG022", "ambiguous-key-patterns", Error, "two key patterns can match the same key";
    /// A value is outside the range that makes sense for it (a TTL of zero,
    /// fewer than three cluster masters, jitter over 100%, a refresh threshold
    /// of 0%).
    OUT_OF_RANGE = "CG023", "out-of-range", Error, "a value is outside its allowed range";
    /// A key pattern, hash tag, header name, path or name that does not follow
    /// the grammar for its field, or that contains characters which would be
    /// unsafe in redis.conf, a Cloudflare expression or generated Rust.
    INVALID_SYNTAX = "CG024", "invalid-syntax", Error, "a pattern, name or path breaks its grammar";
    /// A field combination that does not make sense: a write-behind pattern
    /// with no queue, a queue on a cache-aside pattern, an invalidation that
    /// needs a placeholder the event does not carry.
    INCONSISTENT = "CG025", "inconsistent-policy", Error, "fields contradict each other";
    /// A `# cachegen: allow` comment that suppresses nothing. It hides nothing
    /// today, but it will hide a real finding tomorrow.
    UNUSED_SUPPRESSION = "CG090", "unused-suppression", Warning, "a suppression comment matches no finding";
    /// A `# cachegen: allow` comment without a reason after `--`, or naming a
    /// rule that does not exist. Suppressions must say why, so the next
    /// reviewer can judge whether the reason still holds.
    ///
    /// ```yaml
    /// maxmemory_policy: allkeys-lru  # cachegen: allow CG101 -- sessions live in another Redis
    /// ```
    INVALID_SUPPRESSION = "CG091", "invalid-suppression", Error, "a suppression comment is malformed";
}
