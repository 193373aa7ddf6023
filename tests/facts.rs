//! The fact tables against a real server: a redis.conf written from
//! `facts::check_value` for almost every directive of the Redis 7.0 table
//! loads in `redis-server` 7.0.15, and `CONFIG GET` reports what
//! `check_value` predicted for every line where it predicts anything.

mod support;

use cachegen::facts::{
    self, ConfigValue, DirectiveFact, Engine, Flag, Kind, NumberFormat, Setting, check_value,
};
use std::fmt::Write as _;
use support::RedisServer;

/// Values chosen to exercise a rule rather than a default: units, percent,
/// octal, enum synonyms, flag sets, quoting.
fn chosen(name: &str) -> Option<ConfigValue> {
    let text = |s: &str| Some(ConfigValue::String(s.into()));
    match name {
        "maxmemory" => text("2gb"),
        "maxmemory-clients" => text("10%"),
        "proto-max-bulk-len" => text("1g"),
        "unixsocketperm" => Some(ConfigValue::Integer(700)),
        "oom-score-adj" => text("relative"),
        "shutdown-on-sigterm" => text("now save"),
        "shutdown-on-sigint" => text("NOSAVE force"),
        "hz" => Some(ConfigValue::Integer(20)),
        // Distribution builds refuse `yes` (it needs Redis's own jemalloc).
        "activedefrag" => Some(ConfigValue::Bool(false)),
        "save" => text("3600 1 300 100"),
        "notify-keyspace-events" => text("KEA"),
        "replica-announce-ip" => text("10.0.0.7"),
        // Free text (cluster-announce-hostname would refuse it: the server
        // checks some strings further, which the facts do not record).
        "syslog-ident" => text("cache \"one\" #1 \\ two"),
        "list-max-listpack-size" => text("-1"),
        // The open-file limit lowers a larger maxclients at start.
        "maxclients" => Some(ConfigValue::Integer(100)),
        _ => None,
    }
}

/// Directives left out, each for a reason.
fn left_out(fact: &DirectiveFact) -> Option<&'static str> {
    if fact.sensitive() {
        return Some("a secret");
    }
    if fact.default.is_none() {
        return Some("no known default (set by how the server starts, or hidden)");
    }
    match fact.name.as_str() {
        // `replicaof ""` is not a line redis.conf accepts; an empty value is
        // the absence of the directive.
        "replicaof" => Some("its default is the absence of the line"),
        _ => None,
    }
}

/// Another value than the default, in range, where one is safe to run with;
/// otherwise the default. Immutable directives keep their default: they
/// decide how the server runs (supervision, cluster mode, databases).
fn value_for(fact: &DirectiveFact) -> ConfigValue {
    let default = fact.default.clone().unwrap_or_default();
    if let Some(v) = chosen(&fact.name) {
        return v;
    }
    // TLS settings other than their defaults make the server load
    // certificates this test does not have.
    if fact.has(Flag::Immutable) || fact.name.starts_with("tls-") {
        return ConfigValue::String(default);
    }
    match &fact.kind {
        Kind::Bool => ConfigValue::Bool(default != "yes"),
        Kind::Integer {
            min,
            max,
            format: NumberFormat { memory, .. },
        } => {
            let n: i128 = default.parse().expect("numeric default");
            if *memory && n + 1024 <= *max && n % 1024 == 0 {
                // Written with a unit: CONFIG GET must print bytes.
                ConfigValue::String(format!("{}kb", n / 1024 + 1))
            } else if n < *max {
                ConfigValue::String((n + 1).to_string())
            } else if n > *min {
                ConfigValue::String((n - 1).to_string())
            } else {
                ConfigValue::String(default)
            }
        }
        Kind::Enum { values, flags } => {
            let other = values
                .iter()
                .skip(usize::from(*flags))
                .find(|v| **v != default);
            ConfigValue::String(other.cloned().unwrap_or(default))
        }
        Kind::Text(_) => ConfigValue::String(default),
    }
}

#[test]
fn redis_7_0_loads_checked_values_and_reports_them() {
    let release = facts::release(Engine::Redis, (7, 0)).unwrap();
    let mut conf = String::new();
    let mut expected: Vec<(String, ConfigValue, Setting)> = Vec::new();
    let mut skipped = Vec::new();
    for fact in release.table().iter() {
        if let Some(reason) = left_out(fact) {
            skipped.push(format!("{}: {reason}", fact.name));
            continue;
        }
        let value = value_for(fact);
        let setting = check_value(fact, &value)
            .unwrap_or_else(|e| panic!("{} = {value} refused: {e}", fact.name));
        writeln!(conf, "{} {}", fact.name, setting.conf).unwrap();
        expected.push((fact.name.clone(), value, setting));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("redis.conf");
    std::fs::write(&path, &conf).unwrap();
    let server = RedisServer::start(Some(&path), &[]);
    let mut client = server.client();

    let mut compared = 0;
    let mut wrong = Vec::new();
    for (name, value, setting) in &expected {
        let Some(predicted) = &setting.config_get else {
            continue;
        };
        let actual = client.config_get(name);
        if actual.as_deref() != Some(predicted.as_str()) {
            wrong.push(format!(
                "{name} = {value}: wrote `{}`, predicted {predicted:?}, CONFIG GET {actual:?}",
                setting.conf
            ));
        }
        compared += 1;
    }
    assert!(
        wrong.is_empty(),
        "CONFIG GET disagrees with check_value:\n{}\n\nconfig:\n{conf}",
        wrong.join("\n")
    );
    eprintln!(
        "{compared} CONFIG GET values compared; {} lines written; left out: {skipped:?}",
        expected.len()
    );
    // 178 directives in the table; the ones left out are listed above.
    assert!(
        compared >= 150,
        "only {compared} directives compared; left out:\n{}",
        skipped.join("\n")
    );
    // Every chosen value reached the file.
    for name in [
        "maxmemory-clients",
        "unixsocketperm",
        "oom-score-adj",
        "shutdown-on-sigterm",
        "syslog-ident",
    ] {
        assert!(expected.iter().any(|(n, ..)| n == name), "{name}");
    }
    // Spot checks of rules, stated directly.
    let get = |client: &mut support::Client, name| client.config_get(name).unwrap();
    assert_eq!(get(&mut client, "maxmemory"), "2147483648");
    assert_eq!(get(&mut client, "proto-max-bulk-len"), "1000000000");
    assert_eq!(get(&mut client, "oom-score-adj"), "yes");
    assert_eq!(get(&mut client, "shutdown-on-sigint"), "nosave force");
    assert_eq!(get(&mut client, "syslog-ident"), "cache \"one\" #1 \\ two");
    assert_eq!(get(&mut client, "save"), "3600 1 300 100");
}

/// A value `check_value` refuses is one the server refuses too (the facts
/// are no stricter than the server where they say "out of range").
#[test]
fn redis_7_0_refuses_what_check_value_refuses() {
    let table = facts::release(Engine::Redis, (7, 0)).unwrap().table();
    let cases = [
        ("maxmemory-samples", "0"),
        ("repl-backlog-size", "0"),
        ("maxmemory-policy", "allkeys-lfru"),
        ("shutdown-on-sigterm", "save nosave"),
        ("maxmemory-clients", "101%"),
        ("unixsocketperm", "1000"),
    ];
    for (name, value) in cases {
        let fact = table.get(name).unwrap();
        assert!(
            check_value(fact, &ConfigValue::String(value.into())).is_err(),
            "{name} {value} accepted"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("redis.conf");
        std::fs::write(&path, format!("{name} {value}\n")).unwrap();
        let status = std::process::Command::new(support::redis_server_binary())
            .arg(&path)
            .args(["--port", "0", "--dir"])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "redis-server accepted `{name} {value}`");
    }
}

/// Every directive a policy can manage (the fixture sets every field) is in
/// every table, so the tables, not a fallback, date each one.
#[test]
fn every_managed_directive_is_in_every_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lock-every-field.yaml");
    let policy = cachegen::check_path(&path, &Default::default())
        .policy
        .expect("the fixture checks");
    let managed = cachegen::redis_directives::managed_directives(policy.first_store());
    assert!(managed.len() >= 20, "{} managed", managed.len());
    for release in facts::Release::all() {
        for d in &managed {
            assert!(
                release.table().get(d.name).is_some(),
                "{release} lacks {}",
                d.name
            );
        }
    }
}
