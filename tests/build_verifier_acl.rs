//! `verifier.acl` (the verifier user for a server whose ACL is managed by
//! hand) on real servers: such a server may hold `requirepass` or
//! `masterauth`, which `CONFIG GET` returns in clear text, so the file
//! grants `config|get` only where the policy says `config_get: allow`,
//! whatever the store's topology (users.acl keeps the `auto` rule: cachegen
//! writes that server's configuration and knows what it holds).

mod support;

use support::render::{file, render, render_text};
use support::{Client, RedisServer, Reply};

const QUIZMENTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/quizmentor.yaml");

/// The `ACL SETUSER` line of a rendered verifier.acl.
fn setuser_line(acl: &str) -> String {
    acl.lines()
        .find(|l| l.starts_with("ACL SETUSER "))
        .expect("an ACL SETUSER line")
        .to_owned()
}

/// The cachegen-verify line of a rendered users.acl.
fn users_acl_verifier(acl: &str) -> String {
    acl.lines()
        .find(|l| l.starts_with("user cachegen-verify "))
        .expect("a cachegen-verify line in users.acl")
        .to_owned()
}

const REQUIREPASS: &str = "hand-set-Requirepass-7731";
const MASTERAUTH: &str = "hand-set-Masterauth-5519";
const VERIFY_PW: &str = "verify-pw-2291";

/// A server as an operator manages it by hand: `requirepass` and
/// `masterauth` in its configuration, and the verifier.acl line applied
/// with a password. Returns the server and a client logged in as the
/// verifier.
fn hand_managed_server(line: &str) -> (RedisServer, Client) {
    let server = RedisServer::start(
        None,
        &[
            "--save",
            "",
            "--appendonly",
            "no",
            "--requirepass",
            REQUIREPASS,
            "--masterauth",
            MASTERAUTH,
        ],
    );
    let mut admin = server.client();
    assert_eq!(
        admin.command(&["AUTH", REQUIREPASS]).unwrap(),
        Reply::Simple("OK".into())
    );
    let args: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        admin.command(&args).unwrap(),
        Reply::Simple("OK".into()),
        "{line}"
    );
    let user = args[2];
    let password = format!(">{VERIFY_PW}");
    assert_eq!(
        admin.command(&["ACL", "SETUSER", user, &password]).unwrap(),
        Reply::Simple("OK".into())
    );
    let mut verifier = server.client();
    assert_eq!(
        verifier.command(&["AUTH", user, VERIFY_PW]).unwrap(),
        Reply::Simple("OK".into())
    );
    (server, verifier)
}

fn is_noperm(reply: &Reply) -> bool {
    matches!(reply, Reply::Error(e) if e.starts_with("NOPERM"))
}

/// Every reply's text, for "no secret anywhere in it".
fn text_of(reply: &Reply) -> String {
    format!("{reply:?}")
}

/// Both quizmentor stores (`durable`: no replicas, `config_get: auto`;
/// `cache`: replicas): verifier.acl has no `config|get`, and on a server
/// holding `requirepass` and `masterauth` the verifier gets NOPERM for
/// CONFIG GET and never sees either secret, while the commands it needs
/// still work.
#[test]
fn hand_managed_verifier_cannot_read_requirepass() {
    let (report, files) = render(QUIZMENTOR);
    let policy = report.policy.as_ref().expect("a policy");
    for store in ["durable", "cache"] {
        let line = setuser_line(file(&files, &format!("stores/{store}/verifier.acl")));
        assert!(!line.contains("config"), "{store}: {line}");
        let (_server, mut verifier) = hand_managed_server(&line);
        for args in [
            vec!["CONFIG", "GET", "requirepass"],
            vec!["CONFIG", "GET", "masterauth"],
            vec!["CONFIG", "GET", "*"],
        ] {
            let reply = verifier.command(&args).unwrap();
            assert!(is_noperm(&reply), "{store}: {args:?} gave {reply:?}");
            let text = text_of(&reply);
            assert!(!text.contains(REQUIREPASS) && !text.contains(MASTERAUTH));
        }
        // The control: logged in and allowed what verify needs, so the
        // refusals above are about CONFIG GET.
        for args in [vec!["PING"], vec!["INFO", "memory"], vec!["DBSIZE"]] {
            let reply = verifier.command(&args).unwrap();
            assert!(
                !matches!(reply, Reply::Error(_)),
                "{store}: {args:?}: {reply:?}"
            );
        }
    }
    // users.acl (cachegen's own configuration, which holds no secret where
    // there are no replicas) keeps the `auto` rule.
    assert!(policy.stores["durable"].verifier_may_config_get());
    let durable = users_acl_verifier(file(&files, "stores/durable/users.acl"));
    assert!(durable.contains(" +config|get "), "{durable}");
    let cache = users_acl_verifier(file(&files, "stores/cache/users.acl"));
    assert!(!cache.contains("config"), "{cache}");
}

/// `config_get: allow` is the one way to grant it in verifier.acl: the
/// verifier then reads the configuration (here the server holds no
/// secret), and the file says what that exposes.
#[test]
fn config_get_allow_grants_it_in_verifier_acl() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/verify/single.yaml"
    ))
    .unwrap();
    let allowed = text.replace(
        "redis:\n  version: \"7.0\"\n",
        "redis:\n  version: \"7.0\"\n  access:\n    verifier:\n      config_get: allow\n",
    );
    assert_ne!(allowed, text, "the fixture's `redis:` section moved");
    let (_, files) = render_text("allowed.yaml", &allowed);
    let acl = file(&files, "stores/redis/verifier.acl");
    assert!(acl.contains("`verifier.config_get: allow`"), "{acl}");
    let line = setuser_line(acl);
    assert!(line.contains(" +config|get "), "{line}");
    let server = RedisServer::start(None, &["--save", "", "--appendonly", "no"]);
    let mut admin = server.client();
    let args: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(admin.command(&args).unwrap(), Reply::Simple("OK".into()));
    let password = format!(">{VERIFY_PW}");
    admin
        .command(&["ACL", "SETUSER", "cachegen-verify", &password])
        .unwrap();
    let mut verifier = server.client();
    verifier
        .command(&["AUTH", "cachegen-verify", VERIFY_PW])
        .unwrap();
    let reply = verifier.command(&["CONFIG", "GET", "maxmemory"]).unwrap();
    assert!(
        matches!(&reply, Reply::Array(items) if items.len() == 2),
        "{reply:?}"
    );
    // Without the key: the same fixture's verifier.acl has none.
    let (_, files) = render_text("single.yaml", &text);
    let line = setuser_line(file(&files, "stores/redis/verifier.acl"));
    assert!(!line.contains("config"), "{line}");
}
