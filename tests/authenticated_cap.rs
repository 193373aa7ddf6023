//! Issue 15 item 4: `ttl.authenticated_cap` lowers a longer TTL so that its
//! whole jittered range fits under the cap, decided once in lowering
//! (`Ttl::expiring`), and every consumer shows the same range: the model,
//! `explain`, the lock and the generated Rust module. A pattern's own TTL
//! that the cap lowers is reported (CG309, fixtures under
//! `tests/fixtures/lint/ttl-above-authenticated-cap/`); the arithmetic of
//! `Ttl::expiring` is unit-tested in `policy::model`.

mod support;

use cachegen::explain::{self, Target};
use cachegen::load::units::parse_duration;

const FIRES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/lint/ttl-above-authenticated-cap/fires.yaml"
);

fn secs(text: &str) -> u64 {
    parse_duration(text).unwrap().as_secs()
}

#[test]
fn model_explain_lock_and_rust_module_show_one_capped_range() {
    // 15m cap, 10% jitter: 819 s + 81 s = 900 s, not 15m..15m.
    let (base, max) = (819, 900);
    assert_eq!(secs("15m"), max);
    let (report, files) = support::render::render(FIRES);
    let policy = report.policy.as_ref().unwrap();

    for name in [
        "user_profile",
        "user_recommendations",
        "user_quizzes",
        "user_stats",
    ] {
        let p = &policy.keys.patterns[name];
        assert_eq!(
            (
                p.ttl.base().map(|d| d.as_secs()),
                p.ttl.max().map(|d| d.as_secs())
            ),
            (Some(base), Some(max)),
            "model: {name}"
        );
    }
    let v = explain::explain(policy, &Target::Key("user:7:profile".into()), &[]).unwrap();
    assert_eq!(v["owner"]["ttl"]["base_secs"], base);
    assert_eq!(v["owner"]["ttl"]["max_secs"], max);
    assert_eq!(v["owner"]["ttl"]["capped_from_secs"], secs("1h"));
    let text = explain::human(&v);
    assert!(text.contains("TTL: 13m39s to 15m"), "{text}");
    assert!(text.contains("lowered from 1h"), "{text}");

    let lock: serde_json::Value = serde_json::from_str(
        &files
            .iter()
            .find(|f| f.path.ends_with("policy.lock.json"))
            .expect("a lock")
            .contents,
    )
    .unwrap();
    let ttl = &lock["keys"]["patterns"]["user_profile"]["ttl"];
    assert_eq!(
        (ttl["base_secs"].as_u64(), ttl["max_secs"].as_u64()),
        (Some(base), Some(max)),
        "{lock}"
    );

    let rust = &files
        .iter()
        .find(|f| f.path.ends_with(".rs"))
        .expect("a Rust module")
        .contents;
    assert!(rust.contains(&format!("pub const USER_PROFILE_TTL_SECS: u64 = {base};")));
    assert!(rust.contains(&format!(
        "pub const USER_PROFILE_MAX_TTL_SECS: u64 = {max};"
    )));
    assert!(
        rust.contains(&format!(
            "TTL {base} s (13m39s), at most {max} s with 10% jitter"
        )),
        "{rust}"
    );
}
