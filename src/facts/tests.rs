//! Unit tests of the fact tables and value checking; the proof against a real
//! server is `tests/facts.rs`.

use super::*;

fn redis(version: Version) -> &'static Table {
    release(Engine::Redis, version).unwrap().table()
}

fn valkey() -> &'static Table {
    release(Engine::Valkey, (8, 0)).unwrap().table()
}

fn check(table: &Table, name: &str, value: ConfigValue) -> Result<Setting, ValueProblem> {
    check_value(table.get(name).unwrap(), &value)
}

fn text(s: &str) -> ConfigValue {
    ConfigValue::String(s.into())
}

#[test]
fn every_table_parses_with_known_types_and_flags() {
    for r in Release::all() {
        let table = Table::parse(r, SOURCES[r.index].json).unwrap_or_else(|e| panic!("{r}: {e}"));
        assert!(table.len() > 150, "{r} has only {} directives", table.len());
        assert!(r.table().get("maxmemory").is_some(), "{r}");
    }
}

#[test]
fn an_unknown_type_or_flag_is_a_parse_error() {
    let r = release(Engine::Redis, (7, 0)).unwrap();
    let file = |directive: &str| {
        format!(
            r#"{{"engine":"redis","version":"7.0.15","source":"test","directives":{{"x":{directive}}}}}"#
        )
    };
    assert!(Table::parse(r, &file(r#"{"type":"bool","flags":[]}"#)).is_ok());
    assert!(Table::parse(r, &file(r#"{"type":"double","flags":[]}"#)).is_err());
    assert!(Table::parse(r, &file(r#"{"type":"bool","flags":["frozen"]}"#)).is_err());
    assert!(
        Table::parse(
            r,
            &file(r#"{"type":"int","flags":[],"min":"0","max":"PATH_MAX"}"#)
        )
        .is_err()
    );
    assert!(Table::parse(r, &file(r#"{"type":"bool","flags":[],"colour":"red"}"#)).is_err());
    // A file must be the release it is embedded as.
    let other = r#"{"engine":"valkey","version":"7.0.15","source":"","directives":{}}"#;
    assert!(Table::parse(r, other).is_err());
}

#[test]
fn releases_map_policy_versions_to_the_files() {
    let known: Vec<(String, &str)> = Release::all()
        .map(|r| (r.to_string(), r.exact_version()))
        .collect();
    assert_eq!(
        known,
        [
            ("redis 7.0".to_string(), "7.0.15"),
            ("redis 7.2".to_string(), "7.2.6"),
            ("redis 7.4".to_string(), "7.4.1"),
            ("redis 8.0".to_string(), "8.0-m01"),
            ("valkey 8.0".to_string(), "8.0.1"),
        ]
    );
    let unknown = release(Engine::Valkey, (7, 2)).unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "cachegen has no directive facts for valkey 7.2; known: redis 7.0, 7.2, 7.4, 8.0; valkey 8.0"
    );
}

#[test]
fn engine_serializes_lowercase() {
    assert_eq!(
        serde_json::to_string(&Engine::Valkey).unwrap(),
        "\"valkey\""
    );
    let e: Engine = serde_json::from_str("\"redis\"").unwrap();
    assert_eq!(e, Engine::Redis);
    assert!(serde_json::from_str::<Engine>("\"Redis\"").is_err());
}

#[test]
fn aliases_and_case_resolve_to_the_canonical_directive() {
    let v = valkey();
    assert_eq!(v.get("masterauth").unwrap().name, "primaryauth");
    assert_eq!(v.get("primaryauth").unwrap().name, "primaryauth");
    assert_eq!(v.get("MasterAuth").unwrap().name, "primaryauth");
    assert!(v.get("primaryauth").unwrap().sensitive());
    // Redis 7.2 knows only the old name.
    assert_eq!(redis((7, 2)).get("masterauth").unwrap().name, "masterauth");
    assert!(redis((7, 2)).get("primaryauth").is_none());
    assert_eq!(redis((7, 0)).get("slaveof").unwrap().name, "replicaof");
    assert_eq!(redis((7, 0)).get("HZ").unwrap().name, "hz");
}

#[test]
fn releases_having_tells_engines_apart() {
    let having: Vec<String> = releases_having("primaryauth")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(having, ["valkey 8.0"]);
    assert_eq!(releases_having("locale-collate").len(), 4); // from redis 7.2
    assert_eq!(releases_having("maxmemory").len(), 5);
    assert!(releases_having("no-such-directive").is_empty());
}

#[test]
fn did_you_mean_suggests_canonical_names() {
    let t = redis((7, 0));
    assert_eq!(
        did_you_mean(t, "maxmemroy-policy"),
        Some("maxmemory-policy")
    );
    assert_eq!(did_you_mean(t, "activedefrg"), Some("activedefrag"));
    // An alias typo suggests the canonical name.
    assert_eq!(did_you_mean(t, "slave-priorty"), Some("replica-priority"));
    assert_eq!(did_you_mean(t, "completely-unrelated-words"), None);
}

#[test]
fn flags_are_exposed() {
    let t = redis((7, 0));
    assert!(t.get("requirepass").unwrap().sensitive());
    assert!(t.get("tcp-backlog").unwrap().immutable());
    assert!(!t.get("hz").unwrap().immutable());
    assert!(t.get("key-load-delay").unwrap().hidden_or_debug());
    assert!(t.get("dir").unwrap().protected());
    assert!(t.get("save").unwrap().multi_arg());
}

#[test]
fn booleans_take_yaml_booleans_or_yes_no() {
    let t = redis((7, 0));
    let yes = check(t, "activedefrag", ConfigValue::Bool(true)).unwrap();
    assert_eq!(
        (yes.conf.as_str(), yes.config_get.as_deref()),
        ("yes", Some("yes"))
    );
    assert_eq!(check(t, "activedefrag", text("NO")).unwrap().conf, "no");
    let e = check(t, "activedefrag", text("true")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid value for `activedefrag`: \"true\" is a string; expected true/false or yes/no"
    );
    assert!(check(t, "activedefrag", ConfigValue::Integer(1)).is_err());
}

#[test]
fn hz_range_is_what_the_server_honours() {
    for r in Release::all() {
        let t = r.table();
        assert_eq!(
            check(t, "hz", ConfigValue::Integer(500)).unwrap().conf,
            "500"
        );
        assert_eq!(check(t, "hz", ConfigValue::Integer(1)).unwrap().conf, "1");
        let e = check(t, "hz", ConfigValue::Integer(501)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid value for `hz`: 501 is out of range; expected an integer from 1 to 500"
        );
        assert!(check(t, "hz", ConfigValue::Integer(0)).is_err());
    }
    assert!(
        check(redis((7, 0)), "hz", text("010")).is_err(),
        "leading zero"
    );
    assert!(check(redis((7, 0)), "hz", text("+10")).is_err());
    assert!(check(redis((7, 0)), "hz", ConfigValue::Float(10.5)).is_err());
}

#[test]
fn memory_units_follow_redis() {
    let t = redis((7, 0));
    let gb = check(t, "maxmemory", text("2gb")).unwrap();
    assert_eq!(gb.conf, "2147483648");
    assert_eq!(gb.config_get.as_deref(), Some("2147483648"));
    assert_eq!(
        check(t, "maxmemory", text("2g")).unwrap().conf,
        "2000000000"
    );
    assert_eq!(
        check(t, "maxmemory", ConfigValue::Integer(1024))
            .unwrap()
            .conf,
        "1024"
    );
    assert!(check(t, "maxmemory", text("1.5gb")).is_err());
    assert!(check(t, "maxmemory", ConfigValue::Integer(-1)).is_err());
    // proto-max-bulk-len: at least 1mb.
    assert!(check(t, "proto-max-bulk-len", text("512kb")).is_err());
    assert_eq!(
        check(t, "proto-max-bulk-len", text("1mb")).unwrap().conf,
        "1048576"
    );
    // Not a memory directive: units are refused.
    assert!(check(t, "maxclients", text("10k")).is_err());
}

#[test]
fn percent_and_octal_configs() {
    let t = redis((7, 0));
    let p = check(t, "maxmemory-clients", text("10%")).unwrap();
    assert_eq!(
        (p.conf.as_str(), p.config_get.as_deref()),
        ("10%", Some("10%"))
    );
    assert_eq!(
        check(t, "maxmemory-clients", text("64mb")).unwrap().conf,
        "67108864"
    );
    assert!(check(t, "maxmemory-clients", text("101%")).is_err());
    assert!(check(t, "maxmemory-clients", text("1.5%")).is_err());
    assert!(check(t, "maxmemory-clients", ConfigValue::Integer(-10)).is_err());
    let perm = check(t, "unixsocketperm", ConfigValue::Integer(700)).unwrap();
    assert_eq!(
        (perm.conf.as_str(), perm.config_get.as_deref()),
        ("700", Some("700"))
    );
    assert_eq!(
        check(t, "unixsocketperm", text("0770")).unwrap().conf,
        "770"
    );
    assert!(check(t, "unixsocketperm", ConfigValue::Integer(800)).is_err());
    assert!(check(t, "unixsocketperm", ConfigValue::Integer(1777)).is_err());
}

#[test]
fn enums_take_their_values_only() {
    let t = redis((7, 0));
    let p = check(t, "maxmemory-policy", text("ALLKEYS-LFU")).unwrap();
    assert_eq!(p.conf, "allkeys-lfu");
    let e = check(t, "maxmemory-policy", text("allkeys-lfru")).unwrap_err();
    assert!(
        e.to_string().contains("one of volatile-lru, volatile-lfu"),
        "{e}"
    );
    assert!(check(t, "maxmemory-policy", ConfigValue::Integer(1)).is_err());
    // Valkey 8 has a log level Redis 7.0 lacks.
    assert!(check(t, "loglevel", text("nothing")).is_err());
    assert!(check(valkey(), "loglevel", text("nothing")).is_ok());
    // yes/no enums read YAML booleans.
    assert_eq!(
        check(t, "tls-auth-clients", ConfigValue::Bool(false))
            .unwrap()
            .conf,
        "no"
    );
    // Two names for one number print as the first.
    let rel = check(t, "oom-score-adj", text("relative")).unwrap();
    assert_eq!(rel.config_get.as_deref(), Some("yes"));
}

#[test]
fn flag_enums_take_sets() {
    let t = redis((7, 0));
    let s = check(t, "shutdown-on-sigterm", text("now save")).unwrap();
    assert_eq!(s.conf, "now save");
    assert_eq!(s.config_get.as_deref(), Some("save now"));
    assert!(check(t, "shutdown-on-sigterm", text("save nosave")).is_err());
    assert!(check(t, "shutdown-on-sigterm", text("default now")).is_err());
    assert!(check(t, "shutdown-on-sigterm", text("later")).is_err());
    assert!(check(t, "shutdown-on-sigterm", text("")).is_err());
}

#[test]
fn text_is_quoted_for_the_tokenizer() {
    let t = redis((7, 0));
    let s = check(t, "replica-announce-ip", text("10.0.0.1")).unwrap();
    assert_eq!(
        (s.conf.as_str(), s.config_get.as_deref()),
        ("10.0.0.1", Some("10.0.0.1"))
    );
    let empty = check(t, "replica-announce-ip", text("")).unwrap();
    assert_eq!(
        (empty.conf.as_str(), empty.config_get.as_deref()),
        ("\"\"", Some(""))
    );
    assert_eq!(
        check(t, "cluster-announce-hostname", text("a \"b\"\\#"))
            .unwrap()
            .conf,
        r#""a \"b\"\\#""#
    );
    assert!(check(t, "cluster-announce-hostname", text("a\nrequirepass x")).is_err());
    assert!(check(t, "cluster-announce-hostname", ConfigValue::Bool(true)).is_err());
    // Multi-word directives keep their words apart; CONFIG GET is the
    // server's own rendering.
    let save = check(t, "save", text("3600 1  300 100")).unwrap();
    assert_eq!(
        (save.conf.as_str(), save.config_get),
        ("3600 1 300 100", None)
    );
    assert_eq!(check(t, "save", text("")).unwrap().conf, "\"\"");
    assert_eq!(
        check(t, "notify-keyspace-events", text("KEA"))
            .unwrap()
            .config_get,
        None
    );
}

#[test]
fn conf_token_quotes_only_when_needed() {
    assert_eq!(conf_token("allkeys-lru"), "allkeys-lru");
    assert_eq!(conf_token(""), "\"\"");
    assert_eq!(conf_token("a b"), "\"a b\"");
    assert_eq!(conf_token("it's"), "\"it's\"");
    assert_eq!(conf_token("#x"), "\"#x\"");
    assert_eq!(conf_token("\u{1}"), "\"\\x01\"");
}

/// Every default a table records is a value its own directive accepts, and
/// `CONFIG GET` of it is the default itself. The one exception is by design:
/// `special` and multi-word directives, whose `CONFIG GET` cachegen does not
/// predict (their defaults must still be accepted).
#[test]
fn every_default_checks_as_itself() {
    let mut checked = 0;
    for r in Release::all() {
        for fact in r.table().iter() {
            let Some(default) = &fact.default else {
                continue;
            };
            let setting = check_value(fact, &ConfigValue::String(default.clone()))
                .unwrap_or_else(|e| panic!("{r}: default of `{}`: {e}", fact.name));
            if let Some(get) = setting.config_get {
                assert_eq!(&get, default, "{r}: `{}`", fact.name);
            } else {
                assert!(
                    matches!(fact.kind, Kind::Text(TextKind::Special)) || fact.multi_arg(),
                    "{r}: `{}` has no predicted CONFIG GET",
                    fact.name
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 800, "only {checked} defaults checked");
}

/// `has_no_touch` says what the `ACL CAT` facts of every release say: a
/// release has `CLIENT NO-TOUCH` exactly when one of its categories lists
/// `client|no-touch`.
#[test]
fn no_touch_follows_the_acl_categories_of_each_release() {
    for release in Release::all() {
        let path = format!(
            "{}/data/redis-directives/acl-categories-{}-{}.json",
            env!("CARGO_MANIFEST_DIR"),
            release.engine().name(),
            release.exact_version()
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let listed = json["categories"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|commands| commands.as_array().unwrap())
            .any(|c| c == "client|no-touch");
        assert_eq!(
            has_no_touch(release.engine(), release.version()),
            listed,
            "{release}"
        );
    }
}
