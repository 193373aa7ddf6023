//! Owns the codes of the diagnostics that are not lint rules: reading, schema
//! and semantic errors (CG0xx), and the findings of `cachegen verify` against a
//! live server (CG4xx). Their severity is fixed and they cannot be
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

    /// The default level in a word or two, as `cachegen rule --all` and the
    /// README's rule table print it. A lint rule's level is in the words of
    /// the policy's own `lint:` section, so it reads like the setting that
    /// changes it.
    pub fn level_label(&self) -> &'static str {
        match (self.lint, self.severity) {
            (true, Severity::Error) => "deny",
            (true, Severity::Warning) => "warn",
            (true, Severity::Note) => "note",
            (false, Severity::Error) => "error (fixed)",
            (false, Severity::Warning) => "warn (fixed)",
            (false, Severity::Note) => "note (fixed)",
        }
    }

    /// The default level as a sentence, for `cachegen rule CODE`.
    pub fn level_sentence(&self) -> &'static str {
        match (self.lint, self.severity) {
            (true, Severity::Error) => "lint rule, default level: deny (error)",
            (true, Severity::Warning) => "lint rule, default level: warn",
            (true, Severity::Note) => "lint rule, default level: note (reported, never a failure)",
            (false, Severity::Error) => "always an error; cannot be allowed or suppressed",
            (false, Severity::Warning) => "always a warning; cannot be allowed or suppressed",
            (false, Severity::Note) => "a note: reported, never a failure",
        }
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
    /// need a unit (`300s`, not `300`), because Redis and its clients mix
    /// seconds and milliseconds; memory sizes follow Redis (`2gb` = 2·1024³, `2g` = 2·10⁹).
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
    /// Two policy names become the same identifier in the generated Rust
    /// module (`rust/<policy>_cache.rs`), or one becomes a name the module
    /// defines itself, so the module would not compile. Names are folded to
    /// snake case (`.` and runs of `_` become one `_`) and keywords escaped.
    ///
    /// ```yaml
    /// invalidation:
    ///   events:
    ///     a.b_c: { params: [id], invalidate: [p] }
    ///     a_b.c: { params: [id], invalidate: [p] }   # CG026: both give `on_a_b_c`
    /// ```
    IDENTIFIER_COLLISION = "CG026", "colliding-identifiers", Error, "two names become the same generated Rust identifier";
    /// A user-defined placeholder type's regex does not parse, or uses what
    /// a type cannot: capture groups (write `(?:...)`) or anchors and word
    /// boundaries (`^`, `$`, `\b`: a type always matches a whole segment).
    ///
    /// ```yaml
    /// keys:
    ///   placeholders:
    ///     sku: { regex: "^[A-Z]{3}$" }   # CG027: drop `^` and `$`
    /// ```
    PLACEHOLDER_REGEX_SYNTAX = "CG027", "invalid-placeholder-regex", Error, "a placeholder regex does not parse or uses anchors or captures";
    /// A user-defined placeholder type is not bounded: its regex is over 256
    /// bytes, it matches values of any length (`+`, `*`), values over 128
    /// bytes, or it needs more than 255 DFA states. Bounded types keep keys
    /// short, the ambiguity check exact and the generated Rust table small.
    ///
    /// ```yaml
    /// keys:
    ///   placeholders:
    ///     sku: { regex: "[A-Z]+" }   # CG028: write `[A-Z]{1,16}`
    /// ```
    PLACEHOLDER_REGEX_UNBOUNDED = "CG028", "unbounded-placeholder-regex", Error, "a placeholder regex is not bounded";
    /// A user-defined placeholder type matches the empty string or a value
    /// with a character keys do not allow (`:`, braces, globs, whitespace,
    /// anything but letters, digits and `_ - . / @ = + ,`). `:` would split
    /// the segment and braces would make a hash tag.
    ///
    /// ```yaml
    /// keys:
    ///   placeholders:
    ///     path: { regex: "[a-z/:]{1,64}" }   # CG029: `:` is not allowed
    /// ```
    PLACEHOLDER_REGEX_VALUES = "CG029", "placeholder-regex-admits-invalid-values", Error, "a placeholder regex matches values keys cannot hold";
    /// A secret written into the policy: a `sensitive` directive (a
    /// password such as `requirepass` or `masterauth`) under a store's
    /// `config:`, or a value where `access:` expects a password reference
    /// (`{env: …}`, `{file: …}`, `{secret: {name, key}}`). A policy is
    /// reviewed in pull requests and copied into generated files; secrets
    /// must reach the server another way. The message never repeats the value.
    ///
    /// ```yaml
    /// stores:
    ///   cache:
    ///     config:
    ///       requirepass: hunter2   # CG030
    ///     access:
    ///       services:
    ///         api:
    ///           password: hunter2  # CG030: write {env: API_REDIS_PASSWORD}
    /// ```
    LITERAL_SECRET = "CG030", "literal-secret", Error, "a secret written into the policy";
    /// A `config:` entry the store's engine and version do not have, or
    /// whose value is not one the server accepts (type, range, enum value,
    /// memory unit), checked against facts read off each engine release.
    ///
    /// ```yaml
    /// stores:
    ///   cache:
    ///     engine: redis
    ///     version: "7.2"
    ///     config:
    ///       hz: 1000        # CG031: 1 to 500
    /// ```
    INVALID_DIRECTIVE = "CG031", "invalid-directive", Error, "a `config:` directive the server does not have or would refuse";
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

    // ---- CG4xx: `cachegen verify`, a live Redis against the policy ----------

    /// A directive the policy manages has another value on a live node
    /// (`CONFIG GET`, units normalized). Someone ran `CONFIG SET`, or the node
    /// was started from another file. Directives that are immutable at runtime
    /// (`io-threads`, `cluster-enabled`, ...) say so: fixing them needs a restart.
    ///
    /// Example: the policy says `maxmemory_policy: volatile-lru`, the node
    /// answers `allkeys-lru`; durable sessions are now evictable.
    CONFIG_DRIFT = "CG401", "config-drift", Error, "a live node's config differs from the policy";
    /// The server does not know a directive the policy manages (`CONFIG GET`
    /// returns nothing): it is older or newer than the policy's target, or a
    /// fork such as Valkey. Nothing to compare, so nothing fails.
    DIRECTIVE_NOT_APPLICABLE = "CG402", "directive-not-applicable", Note, "the server has no such directive";
    /// Some managed directives were not checked, because `CONFIG GET` was not
    /// available: the store's access denies it to the verifier (its
    /// configuration holds `masterauth`, which `CONFIG GET` would reveal to
    /// anyone holding verify's credentials: an ACL cannot limit its
    /// parameters), or the server refused it (NOPERM, renamed or disabled as
    /// on managed services). Verify then compares what `INFO` shows
    /// (`maxmemory`, `maxmemory-policy`, `appendonly`, `cluster-enabled`,
    /// `hz`, `maxclients`, `repl-backlog-size`) and lists the rest here, one
    /// note per store, so the report never claims a check it did not make.
    CONFIG_NOT_CHECKABLE = "CG403", "config-not-checkable", Note, "some directives were checked through INFO only, or not at all";
    /// With `verify --unmanaged`: a directive the policy does not set whose
    /// live value differs from the engine release's default (someone set it
    /// in a config file or with CONFIG SET, and the policy does not know).
    /// Directives that depend on how the server was started (`port`, `dir`)
    /// and secrets are never reported; values are never printed for secrets.
    UNMANAGED_DIRECTIVE = "CG404", "unmanaged-directive", Note, "a directive the policy does not set differs from the default";
    /// The policy declares a Redis Cluster and the server is a single node, or
    /// the other way round. Hash-slot rules, key shapes (hash tags) and the
    /// client settings differ between the two.
    SERVER_MODE_MISMATCH = "CG410", "server-mode-mismatch", Error, "cluster mode differs from the policy";
    /// The cluster has another number of masters (nodes serving slots) than
    /// `cluster.masters`.
    MASTER_COUNT_MISMATCH = "CG411", "master-count-mismatch", Error, "the number of masters differs from the policy";
    /// A master has another number of replicas than
    /// `cluster.replicas_per_master`: a dead or missing replica means one
    /// failure away from losing the master's slots. Outside a cluster, the
    /// replicas a standalone primary lists online (`INFO replication`)
    /// against `replicated.replicas`.
    REPLICA_COUNT_MISMATCH = "CG412", "replica-count-mismatch", Error, "a master has the wrong number of replicas";
    /// Some of the 16384 hash slots are served by no master. Keys in them
    /// cannot be read or written (or the whole cluster is down with
    /// `cluster-require-full-coverage yes`).
    SLOTS_NOT_COVERED = "CG413", "slots-not-covered", Error, "hash slots are not all served";
    /// A node is flagged `fail`, `fail?`, `handshake` or `noaddr`, or its
    /// cluster bus link is down. `redis-cli --cluster check` exits 0 in this
    /// state; verify does not.
    NODE_UNHEALTHY = "CG414", "node-unhealthy", Error, "a cluster node is failing";
    /// A replica's link to its master is not `up` (`INFO replication`
    /// `master_link_status`): it serves stale data and cannot take over
    /// cleanly. A cluster's replicas, or a standalone primary's.
    REPLICA_LINK_DOWN = "CG415", "replica-link-down", Error, "a replica is not replicating";
    /// A master and one of its own replicas run on the same host, so one
    /// machine failure loses both. On loopback (a test cluster) this is a
    /// warning.
    REPLICA_SHARES_HOST = "CG416", "replica-shares-host", Error, "a master and its replica share a host";
    /// The seed announces a node whose host is outside what verify may
    /// contact: by default the seed's own network (loopback with loopback,
    /// the seed's /24 or /64, the seed host name's domain), plus
    /// `--allow-hosts`. Verify does not connect to it, so the run's
    /// credentials never reach a host nobody named; a primary left out makes
    /// the run incomplete. A real node there needs `--allow-hosts`; otherwise
    /// the seed is misconfigured or hostile.
    HOST_NOT_ALLOWED = "CG417", "host-not-allowed", Warning, "a cluster node is announced on a host verify may not contact";
    /// `CLUSTER NODES` lists one address more than once, or more nodes than a
    /// cluster can hold (Redis Cluster is designed for up to 1000 nodes).
    /// Verify contacts each address once and at most the first 1000; the
    /// node list is broken, or the seed is not a real Redis.
    NODE_LIST_IMPLAUSIBLE = "CG418", "node-list-implausible", Error, "the cluster's node list has duplicates or too many nodes";
    /// The server is another engine than the policy declares: Valkey where
    /// Redis is declared, or the other way round (from `INFO server`'s
    /// `server_name`, never from `redis_version`, which Valkey sets to 7.2.4
    /// whatever its release). Defaults, directive names and the commands
    /// available differ between the engines, so the rest of the comparison
    /// is against the wrong facts.
    ENGINE_MISMATCH = "CG419", "engine-mismatch", Error, "the server runs another engine than the policy declares";
    /// Keys that match no declared pattern, tag set or stampede lock. Nobody
    /// owns their TTL or invalidation. The report lists their most common
    /// prefixes (digit runs folded to `#`).
    UNKNOWN_KEYS = "CG420", "unknown-keys", Warning, "keys match no declared pattern";
    /// Keys that carry a prefix from `keys.previous_prefixes` (`v1:` after a
    /// bump to `v2:`). Nothing reads them any more; without a TTL they stay
    /// until someone deletes them.
    OLD_VERSION_KEYS = "CG421", "old-version-keys", Warning, "keys carry an old version prefix";
    /// A key has no TTL although its pattern (or tag set, or stampede lock)
    /// requires one. It lives until evicted; under `volatile-*` it is never
    /// evicted, and a lock without a TTL blocks its key forever.
    MISSING_TTL = "CG422", "missing-ttl", Error, "a key that must expire has no TTL";
    /// A key's remaining TTL is above the most its pattern allows (base TTL
    /// plus jitter, or the authenticated cap). Remaining TTLs only shrink, so
    /// this is certain: some writer uses another TTL than the policy.
    TTL_ABOVE_MAX = "CG423", "ttl-above-max", Error, "a key lives longer than its pattern allows";
    /// A key of a durable pattern (`durable: true`, `ttl: none`) has a TTL:
    /// data the policy says must never disappear will expire.
    DURABLE_KEY_WITH_TTL = "CG424", "durable-key-with-ttl", Error, "a durable key carries a TTL";
    /// A key's Redis type differs from its pattern's `type` (a hash where a
    /// string is declared). Readers written against the policy fail with
    /// WRONGTYPE.
    WRONG_VALUE_TYPE = "CG425", "wrong-value-type", Error, "a key has another type than declared";
    /// A value is larger than its pattern's `max_value_size`, or
    /// `keys.max_value_size` when the pattern sets none (bytes of a string,
    /// or `MEMORY USAGE` for other types). Big values block the event loop and
    /// the network when read.
    VALUE_TOO_LARGE = "CG426", "value-too-large", Warning, "a value is over the size threshold";
    /// The keyspace hit ratio is below `targets.redis_hit_ratio`. It is the
    /// ratio of what `keyspace_hits`/`keyspace_misses` gained over the
    /// `--window` (default 5s) before verify touched any key, summed over
    /// every node: lifetime counters would include verify's own earlier
    /// reads (`PTTL`/`TYPE` count as hits).
    HIT_RATIO_BELOW_TARGET = "CG430", "hit-ratio-below-target", Warning, "the hit ratio is below its target";
    /// The hit ratio is not judged: fewer than 100 lookups in the window
    /// (the ratio is still reported), a counter went back during it (a
    /// restart or `CONFIG RESETSTAT`), or it was skipped (`--window 0s`).
    HIT_RATIO_NOT_MEASURABLE = "CG431", "hit-ratio-not-measurable", Note, "too little traffic to judge the hit ratio";
    /// Keys were evicted (`evicted_keys`) while the policy has durable
    /// patterns that the eviction policy can reach: durable keys may be
    /// among them. An error under `allkeys-*`; a warning under `volatile-*`
    /// when a durable pattern has a TTL.
    EVICTIONS_WITH_DURABLE_DATA = "CG432", "evictions-with-durable-data", Error, "keys were evicted while durable data is evictable";
    /// Writes were refused with `OOM command not allowed` (`INFO errorstats`):
    /// memory is full of keys the eviction policy may not evict.
    OOM_REJECTIONS = "CG433", "oom-rejections", Error, "writes were refused for lack of memory";
    /// A command's p99 latency (`INFO latencystats`, since the statistics
    /// were last reset) is over `targets.cached_latency` (or the store's
    /// `slowlog.log_slower_than`). Verify does not read the slow log: its
    /// entries carry the commands' arguments, and so values.
    SLOW_COMMANDS = "CG434", "slow-commands", Warning, "commands slower than the latency target";
    /// A node reports an `INFO` counter verify judges by (`keyspace_hits`,
    /// `keyspace_misses`, `evicted_keys`, the `OOM` error count) that is not
    /// an unsigned 64-bit number: it overflows, or is not a number at all.
    /// It is not counted as zero (that would read as a 100% hit ratio or no
    /// evictions), and the checks that need it are not judged.
    INFO_NOT_NUMERIC = "CG435", "info-not-numeric", Warning, "a server reports a counter that is not a number";
    /// A latency threshold is set (`targets.cached_latency` or the store's
    /// `slowlog.log_slower_than`) but a node's `INFO latencystats` carries
    /// no p99: latency tracking is off (`latency-tracking no`), its
    /// percentiles leave out 99 (`latency-tracking-info-percentiles`), or
    /// the server predates Redis 7.0. One note per store names the nodes;
    /// their latencies were not judged (no CG434 there means nothing).
    LATENCY_NOT_CHECKABLE = "CG436", "latency-not-checkable", Note, "command latencies could not be judged";
    /// A node served a connection that never authenticated: `PING` on a fresh
    /// connection, without `AUTH`, answered `PONG`. The `default` user is
    /// on without a password (or `protected-mode` is off with no ACL), so
    /// anyone who reaches the port reads and writes every key. cachegen's
    /// output never allows it: an error when the store declares `access:`,
    /// a warning when it does not.
    UNAUTHENTICATED_ACCESS = "CG440", "unauthenticated-access", Error, "a node serves clients that never authenticated";
    /// Verify's own user ran a command outside the verifier's list: it sends
    /// `ECHO cachegen-verify` (reads and changes nothing), which the ACL
    /// `build` emits refuses with NOPERM. Any other answer means the user
    /// is broader than the generated ACL (`+@all`, or an old hand-made
    /// user), and whoever holds its password can do more than read
    /// metadata. Not probed when verify connects as `default`.
    VERIFIER_TOO_BROAD = "CG441", "verifier-too-broad", Error, "verify's user may run commands outside its list";
    /// A TLS store without `tls.plain_port` answered in plain text on the
    /// node's host at `--plain-port` (default 6379, the port a forgotten
    /// plain listener has): any RESP answer (`PONG`, `NOAUTH`, an error)
    /// means credentials and data can cross the network unencrypted there.
    /// A refused or silent port is what the policy asks for.
    PLAIN_PORT_OPEN = "CG442", "plain-port-open", Error, "a TLS store also answers in plain text";
    /// Verify authenticated as the `default` user with a password (no user
    /// named, or `default`), so that user is on: the ACL file `build` emits
    /// turns it off, and a `requirepass`-style shared password is what
    /// per-service ACL users replace. An error when the store declares
    /// `access:`, a warning when it does not.
    DEFAULT_USER_ENABLED = "CG443", "default-user-enabled", Error, "the default user accepts a password";
    /// A Sentinel given to `verify --sentinel` (or in a `redis+sentinel://`
    /// URL) gave no usable answer: it could not be reached, refused the
    /// login or one of verify's read-only `SENTINEL` commands, or answered
    /// what no Sentinel sends (the message says which). The other
    /// Sentinels are still judged; a Sentinel that is down cannot vote for
    /// a failover.
    SENTINEL_UNREACHABLE = "CG450", "sentinel-unreachable", Error, "a Sentinel could not be asked or gave no usable answer";
    /// The Sentinels name different primaries for the store
    /// (`SENTINEL GET-MASTER-ADDR-BY-NAME`), or some name none: after a
    /// partition, clients asking different Sentinels write to different
    /// nodes. Verify then checks no node, since any one could be the wrong
    /// one (the run is incomplete).
    SENTINELS_DISAGREE = "CG451", "sentinels-disagree", Error, "the Sentinels name different primaries";
    /// A Sentinel does not monitor the master name verify asked for (the
    /// store's `sentinel.master_name`, or `--master-name`): clients
    /// configured with the policy's name get no primary from it. The
    /// finding lists the names it does monitor.
    SENTINEL_MASTER_UNKNOWN = "CG452", "sentinel-master-unknown", Error, "a Sentinel does not know the master name";
    /// A Sentinel's quorum (`SENTINEL MASTER`'s `quorum`) differs from the
    /// policy's `sentinel.quorum`: it agrees the primary is down with more
    /// or fewer votes than the policy was reviewed for (set with
    /// `SENTINEL SET name quorum N`, or a config edited by hand).
    SENTINEL_QUORUM_MISMATCH = "CG453", "sentinel-quorum-mismatch", Error, "a Sentinel's quorum differs from the policy";
    /// A Sentinel does not see every other Sentinel: its
    /// `num-other-sentinels` is not `sentinels - 1`, or the Sentinels do
    /// not all report the same number. Sentinels find each other through
    /// the primary's `__sentinel__:hello` channel; one that sees too few
    /// counts too few votes and may never reach the majority a failover
    /// needs, one that sees too many counts a stranger's vote.
    SENTINEL_PEERS_MISMATCH = "CG454", "sentinel-peers-mismatch", Error, "a Sentinel does not see the other Sentinels the policy declares";
    /// More Sentinels monitoring the store's master answered than its
    /// `sentinel.sentinels` declares (an error: the majority is not what was
    /// reviewed; one that does not know the master is CG452), or fewer
    /// were given to verify than declared (a note: the others were not
    /// checked).
    SENTINEL_COUNT_MISMATCH = "CG455", "sentinel-count-mismatch", Error, "the number of Sentinels differs from the policy";
    /// `SENTINEL CKQUORUM` failed on a Sentinel: not enough Sentinels are
    /// reachable to agree the primary is down, or to authorise a failover.
    /// The store has no automatic failover now.
    SENTINEL_NO_QUORUM = "CG456", "sentinel-no-quorum", Error, "the Sentinels cannot reach their quorum or majority";
    /// A Sentinel's `down-after-milliseconds`, `failover-timeout` or
    /// `parallel-syncs` differs from the policy's `down_after`,
    /// `failover_timeout` or `parallel_syncs`: failures are detected, or
    /// failovers run, on other timings than reviewed.
    SENTINEL_SETTING_MISMATCH = "CG457", "sentinel-setting-mismatch", Error, "a Sentinel's timing differs from the policy";
    /// A Sentinel is in TILT mode (`INFO sentinel`: `sentinel_tilt:1`): its
    /// clock jumped or it was blocked, so for 30 seconds it only watches and
    /// takes no action, failover included.
    SENTINEL_TILT = "CG458", "sentinel-tilt", Warning, "a Sentinel is in TILT mode";
    /// A Sentinel knows another number of replicas (`SENTINEL REPLICAS`)
    /// than the store's `replicated.replicas`: a replica is missing (it
    /// cannot be promoted), or one nobody declared may be.
    SENTINEL_REPLICA_COUNT_MISMATCH = "CG459", "sentinel-replica-count-mismatch", Error, "the Sentinels know another number of replicas than declared";
    /// A replica the Sentinels know is flagged `s_down`, `o_down` or
    /// `disconnected`, or its `master-link-status` is not `ok`: it serves
    /// stale data, and a Sentinel will not promote it.
    SENTINEL_REPLICA_DOWN = "CG460", "sentinel-replica-down", Error, "a replica is down or not replicating, as the Sentinels see it";
    /// A Sentinel flags the primary `s_down` (it gets no valid reply) or
    /// `o_down` (the quorum agrees it is down): a failover is due or under
    /// way. Flagged only `disconnected` (the Sentinel has no link to it, not
    /// yet for `down-after`), it is a warning: that Sentinel cannot see the
    /// primary fail.
    SENTINEL_MASTER_DOWN = "CG461", "sentinel-master-down", Error, "the Sentinels see the primary down";
    /// Outside a cluster, the server replicates (the primary lists
    /// replicas, or the URL names a replica) but the store declares no
    /// `replicated:`. The policy then reasons about a lone node: its
    /// verifier may be granted `CONFIG GET` (which would print
    /// `masterauth`), and nothing checks that writes reach a replica.
    REPLICATION_NOT_DECLARED = "CG470", "replication-not-declared", Error, "the server replicates but the policy declares no replicas";
    /// A replica last acknowledged its primary longer ago than
    /// `replicated.min_replicas_max_lag` (10 s, Redis's default, when not
    /// declared): `min-replicas-to-write` no longer counts it, and it
    /// serves data that old.
    REPLICA_LAGGING = "CG471", "replica-lagging", Warning, "a replica lags behind its primary";
    /// A replica of the group replicates from another node than the
    /// primary verify read (its `master_host`/`master_port`), or the primary
    /// lists a node that reports itself a primary: the group is split.
    REPLICA_OF_ANOTHER_PRIMARY = "CG472", "replica-of-another-primary", Error, "a replica follows another primary";
    /// The URL names a replica. Verify follows its `master_host` to the
    /// primary where the host is allowed (a note), else it reads the
    /// replica alone and says what it could not check (a warning).
    SEED_IS_REPLICA = "CG473", "seed-is-replica", Note, "the URL names a replica";
}
