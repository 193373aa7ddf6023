//! The verifier's credentials on real servers: with the generated ACL file
//! (and replication credentials) loaded, holding them reveals no secret
//! and no value, and where the verifier keeps `CONFIG GET` it shows no
//! password.
mod support;

use support::Reply;
use support::access::*;
use support::credentials::login;

/// Every secret the servers hold: the installed passwords (admin,
/// replication, services) and a value stored under a key.
fn assert_reveals_nothing(what: &str, reply: &Reply, secrets: &[&str]) {
    let text = format!("{reply:?}");
    for s in secrets {
        assert!(!text.contains(s), "{what}: the reply reveals `{s}`: {text}");
    }
}

/// Holding the verifier's credentials reveals no secret and no value, on a
/// store whose configuration holds one (`masterauth`, for its replicas),
/// with the generated ACL file and replication credentials loaded.
#[test]
fn the_verifiers_credentials_reveal_no_secret_and_no_value() {
    let mut policy = load("policies/quizmentor.yaml");
    as_local_redis(&mut policy);
    add_services(&mut policy);
    let files = render(&policy);
    let store = &policy.stores["cache"];
    assert!(store.config_holds_secret() && !store.verifier_may_config_get());
    let (server, installed) = start(&files, store);
    let mut admin = login(server.port, "admin", installed.password("admin"));
    let replication_pw = installed.password("replication").to_owned();
    // The secret is there: the admin reads masterauth back.
    assert_eq!(
        admin.config_get("masterauth").as_deref(),
        Some(replication_pw.as_str())
    );
    assert_eq!(
        admin.config_get("masteruser").as_deref(),
        Some("replication")
    );
    let value = "the-value-of-a-session-0xC0FFEE";
    admin
        .command(&["SET", "v2:{user:42}:profile", value])
        .unwrap();
    admin
        .command(&["HSET", "v2:{user:42}:stats", "f", value])
        .unwrap();
    let secrets: Vec<&str> = installed
        .passwords
        .values()
        .map(String::as_str)
        .chain([value])
        .collect();
    let mut verifier = login(
        server.port,
        "cachegen-verify",
        installed.password("cachegen-verify"),
    );
    for cmd in [
        &["CONFIG", "GET", "*"][..],
        &["CONFIG", "GET", "requirepass"],
        &["CONFIG", "GET", "masterauth"],
        &["CONFIG", "GET", "masteruser"],
        &["ACL", "LIST"],
        &["ACL", "GETUSER", "admin"],
        &["ACL", "GETUSER", "replication"],
        &["DEBUG", "OBJECT", "v2:{user:42}:profile"],
        &["CLIENT", "LIST"],
        &["GET", "v2:{user:42}:profile"],
        &["HGET", "v2:{user:42}:stats", "f"],
        &["HGETALL", "v2:{user:42}:stats"],
        &["DUMP", "v2:{user:42}:profile"],
        &["SYNC"],
        &["PSYNC", "?", "-1"],
        &["MONITOR"],
        // Slow log entries carry the arguments of slow commands: values.
        &["SLOWLOG", "GET", "128"],
        &[
            "EVAL",
            "return redis.call('get', KEYS[1])",
            "1",
            "v2:{user:42}:profile",
        ],
    ] {
        let reply = verifier.command(cmd).unwrap();
        assert_noperm("cachegen-verify", cmd, &reply);
        assert_reveals_nothing(&format!("{cmd:?}"), &reply, &secrets);
    }
    // What verify does send reveals nothing either (INFO has no secret).
    for cmd in [
        &["INFO"][..],
        &["INFO", "latencystats"],
        &["CLUSTER", "NODES"],
    ] {
        let reply = verifier.command(cmd).unwrap();
        assert!(!matches!(reply, Reply::Error(_)), "{cmd:?}: {reply:?}");
        assert_reveals_nothing(&format!("{cmd:?}"), &reply, &secrets);
    }
    // GETRANGE (verify's compression probe) returns value bytes: the one
    // read of a value the verifier has while `verifier::COMMANDS` lists it.
    let getrange = ["GETRANGE", "v2:{user:42}:profile", "0", "7"];
    let reply = verifier.command(&getrange).unwrap();
    if cachegen::verifier::COMMANDS.contains(&"getrange") {
        assert_eq!(
            reply,
            Reply::Bulk(Some(value[..8].to_owned())),
            "value bytes leak"
        );
    } else {
        assert_noperm("cachegen-verify", &getrange, &reply);
    }
}

/// Where the configuration holds no secret (no replicas), the verifier keeps
/// CONFIG GET, and `CONFIG GET *` reveals no password: they live only
/// hashed in the ACL file.
#[test]
fn config_get_reveals_no_password_where_the_verifier_keeps_it() {
    let mut policy = load("policies/quizmentor.yaml");
    as_local_redis(&mut policy);
    add_services(&mut policy);
    let files = render(&policy);
    let store = &policy.stores["durable"];
    assert!(!store.config_holds_secret() && store.verifier_may_config_get());
    let (server, installed) = start(&files, store);
    let mut verifier = login(
        server.port,
        "cachegen-verify",
        installed.password("cachegen-verify"),
    );
    let reply = verifier.command(&["CONFIG", "GET", "*"]).unwrap();
    let Reply::Array(items) = &reply else {
        panic!("{reply:?}")
    };
    assert!(items.len() > 100, "{reply:?}");
    let secrets: Vec<&str> = installed.passwords.values().map(String::as_str).collect();
    assert!(secrets.len() >= 5, "{secrets:?}");
    assert_reveals_nothing("CONFIG GET *", &reply, &secrets);
}
