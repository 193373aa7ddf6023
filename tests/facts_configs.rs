//! Configs for releases that cannot run here (only Redis 7.0.15 is
//! installed): a policy with one store per release cachegen has facts for,
//! every first-class setting and a spread of `config:` entries, rendered; each
//! line of each store's redis.conf must name a directive of that release's
//! table, with a value that table's `facts::check_value` accepts. A directive
//! or a value a server of that release would refuse at start fails here.

use cachegen::facts::{self, ConfigValue, Engine, Kind, Release, check_value};
use cachegen::render::Templates;
use cachegen::{CheckOptions, check_bytes};

/// First-class settings shared by every store (each store adds its engine,
/// version and `config:`).
const SETTINGS: &str = r#"
    maxmemory: 1gb
    maxmemory_policy: volatile-lfu
    maxmemory_samples: 7
    persistence:
      save:
        - { after: 15m, changes: 1 }
        - { after: 1m, changes: 10000 }
      appendonly: true
      appendfsync: always
    network: { tcp_backlog: 1024, timeout: 30s, tcp_keepalive: 2m }
    slowlog: { log_slower_than: 2500us, max_len: 64 }
    maxclients: 500
    threads: { io_threads: 2, io_threads_do_reads: true, cores: 4 }
    lazyfree: { lazy_eviction: true, lazy_expire: true, lazy_server_del: false, lazy_user_del: true }
    replication: { replica_lazy_flush: true, replica_read_only: true }"#;

/// `config:` entries every release has: units, percent, enums, flag sets,
/// quoting, negative numbers.
const CONFIG: &str = r#"
      hz: 20
      maxmemory-clients: 10%
      proto-max-bulk-len: 64mb
      list-max-listpack-size: -2
      notify-keyspace-events: Ex
      oom-score-adj: relative
      shutdown-on-sigterm: now save
      latency-tracking: true
      latency-monitor-threshold: 25
      syslog-ident: "cache \"one\""
      client-output-buffer-limit: "pubsub 32mb 8mb 60"
      activedefrag: false"#;

/// Entries only some releases have, by release.
fn release_config(release: Release) -> &'static str {
    match (release.engine(), release.version()) {
        (Engine::Valkey, _) => "\n      dual-channel-replication-enabled: true",
        (Engine::Redis, (7, 0) | (7, 2)) => "",
        _ => "\n      hide-user-data-from-log: true",
    }
}

fn store_name(release: Release) -> String {
    let (major, minor) = release.version();
    format!("{}{major}{minor}", release.engine())
}

fn policy_yaml() -> String {
    let mut yaml = String::from(
        "version: 1\nname: every-release\nttl:\n  default: 5m\n  jitter: 10%\nkeys:\n  placeholders:\n    quiz_id: int\n  patterns:\n",
    );
    let releases: Vec<Release> = Release::all().collect();
    for (i, release) in releases.iter().enumerate() {
        let store = store_name(*release);
        yaml.push_str(&format!(
            "    quiz_{i}:\n      pattern: \"quiz:<quiz_id>:{i}\"\n      store: {store}\n"
        ));
    }
    yaml.push_str("invalidation:\n  events:\n");
    for (i, _) in releases.iter().enumerate() {
        yaml.push_str(&format!(
            "    quiz.updated_{i}:\n      params: [quiz_id]\n      invalidate: [quiz_{i}]\n"
        ));
    }
    yaml.push_str("stores:\n");
    for release in &releases {
        let (major, minor) = release.version();
        yaml.push_str(&format!(
            "  {}:\n    engine: {}\n    version: \"{major}.{minor}\"{SETTINGS}\n    config:{CONFIG}{}\n",
            store_name(*release),
            release.engine(),
            release_config(*release)
        ));
    }
    yaml
}

/// redis.conf words as the servers' tokenizer (`sdssplitargs`) reads them:
/// double quotes with `\"`, `\\`, `\n`, `\xHH` escapes, single quotes, or bare.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return out;
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                let c = chars
                    .next()
                    .unwrap_or_else(|| panic!("unclosed quote: {line}"));
                match c {
                    '\\' if first == '"' => match chars.next().expect("escape") {
                        'n' => word.push('\n'),
                        't' => word.push('\t'),
                        'x' => {
                            let hex: String = chars.by_ref().take(2).collect();
                            word.push(u8::from_str_radix(&hex, 16).expect("hex") as char);
                        }
                        other => word.push(other),
                    },
                    '\\' if chars.peek() == Some(&'\'') => word.push(chars.next().unwrap()),
                    c if c == first => break,
                    c => word.push(c),
                }
            }
            assert!(
                chars.peek().is_none_or(|c| c.is_ascii_whitespace()),
                "a closing quote must end the word: {line}"
            );
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_ascii_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        out.push(word);
    }
}

#[test]
fn every_rendered_line_is_a_directive_and_value_of_its_release() {
    let yaml = policy_yaml();
    let report = check_bytes(
        "every-release.yaml",
        yaml.as_bytes(),
        &CheckOptions::default(),
    );
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == cachegen::diag::Severity::Error)
        .map(|d| format!("{} {}", d.code.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{yaml}");
    let files = cachegen::render_report(&report, &Templates::default())
        .expect("no errors")
        .expect("renders");
    let mut checked_releases = 0;
    for release in Release::all() {
        let store = store_name(release);
        let path = format!("stores/{store}/redis.conf");
        let conf = &files
            .iter()
            .find(|f| f.path.ends_with(&path))
            .unwrap_or_else(|| panic!("no {path}"))
            .contents;
        let table = release.table();
        let mut names = Vec::new();
        for line in conf.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = words(line);
            let name = words.remove(0);
            // `include` is the config file's own keyword, not a directive.
            if name == "include" {
                continue;
            }
            let fact = table
                .get(&name)
                .unwrap_or_else(|| panic!("{release} has no directive `{name}` ({path}: {line})"));
            let value = match (&fact.kind, words.len()) {
                (Kind::Text(_), 1) if !fact.multi_arg() => words.remove(0),
                (Kind::Text(_), _) if !fact.multi_arg() => {
                    panic!("{release}: `{name}` takes one word ({path}: {line})")
                }
                _ => words.join(" "),
            };
            if let Err(problem) = check_value(fact, &ConfigValue::String(value)) {
                panic!("{release} refuses `{line}` in {path}: {problem}");
            }
            names.push(name);
        }
        // The store's settings are all there: every first-class directive the
        // release reads, and each `config:` entry.
        for expected in [
            "maxmemory-policy",
            "lazyfree-lazy-user-del",
            "replica-lazy-flush",
            "hz",
            "client-output-buffer-limit",
        ] {
            assert!(
                names.iter().any(|n| n == expected),
                "{path} lacks {expected}:\n{conf}"
            );
        }
        let only_here = release_config(release)
            .lines()
            .filter_map(|l| l.trim().split(':').next())
            .filter(|n| !n.is_empty());
        for name in only_here {
            assert!(
                names.iter().any(|n| n == name),
                "{path} lacks {name}:\n{conf}"
            );
        }
        // Redis 8.0 ignores `io-threads-do-reads`: the line is left out.
        let ignored = release.engine() == Engine::Redis && release.version() >= (8, 0);
        assert_eq!(
            !names.iter().any(|n| n == "io-threads-do-reads"),
            ignored,
            "{path}:\n{conf}"
        );
        checked_releases += 1;
    }
    assert_eq!(checked_releases, facts::Release::all().count());
    assert!(checked_releases >= 5);
}

/// The line reader above reads what `check_value` writes (quotes, escapes):
/// otherwise the test would judge words the server never sees.
#[test]
fn the_line_reader_reads_back_quoted_words() {
    assert_eq!(
        words(r#"syslog-ident "cache \"one\" \\ two""#),
        ["syslog-ident", "cache \"one\" \\ two"]
    );
    assert_eq!(words("save \"\""), ["save", ""]);
    assert_eq!(words("  maxmemory   1gb "), ["maxmemory", "1gb"]);
    assert_eq!(words("x 'a b'"), ["x", "a b"]);
}

/// The judge of the test above can fail: a line another release has, or a
/// value out of range, is refused by the facts it asks.
#[test]
fn the_facts_refuse_lines_a_release_would_refuse() {
    let redis_7_2 = facts::release(Engine::Redis, (7, 2)).unwrap().table();
    assert!(redis_7_2.get("dual-channel-replication-enabled").is_none());
    let hz = redis_7_2.get("hz").unwrap();
    assert!(check_value(hz, &ConfigValue::String("1000".into())).is_err());
    assert!(check_value(hz, &ConfigValue::String("20".into())).is_ok());
}
