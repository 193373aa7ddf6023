//! `cachegen diff`: the semantic impact of a policy change between two
//! versions of a sample policy (snapshots as Markdown and JSON), `git:REF:path`
//! on a real repository, and `--fail-on`.

mod support;

use std::path::Path;
use std::process::Command;

const BASE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/diff/base.yaml");
const HEAD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/diff/head.yaml");
const GROUPING_BASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/diff/grouping-base.yaml"
);
const GROUPING_STALENESS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/diff/grouping-staleness.yaml"
);
const GROUPING_ROUTE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/diff/grouping-route.yaml"
);

fn cachegen(args: &[&str], dir: Option<&Path>) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cachegen"));
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Paths in the output are the ones given; make them stable for snapshots.
fn stable(text: &str) -> String {
    text.replace(env!("CARGO_MANIFEST_DIR"), "<repo>")
}

#[test]
fn markdown_and_json_snapshots() {
    let (code, md, err) = cachegen(&["diff", BASE, HEAD], None);
    assert_eq!(code, Some(0), "{err}");
    insta::assert_snapshot!("storefront-markdown", stable(&md));
    let (code, json, _) = cachegen(&["diff", BASE, HEAD, "--format", "json"], None);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["format"], "cachegen-diff");
    assert_eq!(v["summary"]["restart_needed"], true);
    insta::assert_snapshot!("storefront-json", stable(&json));
}

#[test]
fn the_change_list_is_exact() {
    let base = support::render::checked(BASE).policy.unwrap();
    let head = support::render::checked(HEAD).policy.unwrap();
    let changes = cachegen::diff::changes(&base, &head);
    let find = |subject: &str, field: &str| {
        changes
            .iter()
            .find(|c| c.subject == subject && c.field == field)
            .unwrap_or_else(|| panic!("no change {subject}/{field}: {changes:#?}"))
    };
    let product = find("pattern product", "ttl");
    assert_eq!(product.base.as_deref(), Some("15m–16m30s"));
    assert_eq!(product.head.as_deref(), Some("30m–33m"));
    assert_eq!(product.note, "longer");
    assert!(matches!(
        find("pattern price", "").category,
        cachegen::diff::Category::Removed
    ));
    assert!(matches!(
        find("pattern wishlist", "").category,
        cachegen::diff::Category::Added
    ));
    assert!(matches!(
        find("route search", "").category,
        cachegen::diff::Category::Added
    ));
    assert_eq!(
        find("route catalogue", "edge_ttl").head.as_deref(),
        Some("30m")
    );
    let io = find("stores.redis", "io-threads");
    assert!(matches!(io.category, cachegen::diff::Category::Restart));
    assert_eq!(
        find("stores.redis", "maxmemory").head.as_deref(),
        Some("2147483648")
    );
    assert_eq!(
        find("stores.redis", "cluster.replicas_per_master")
            .head
            .as_deref(),
        Some("2")
    );
    let cart = find("pattern cart", "key shape");
    assert!(matches!(cart.category, cachegen::diff::Category::Keys));
    // Edge rules and headers: only the fields that changed, by route name.
    let vary = find("route catalogue", "header Vary");
    assert!(matches!(vary.category, cachegen::diff::Category::Edge));
    assert_eq!(vary.base, None);
    assert_eq!(vary.head.as_deref(), Some("Accept-Encoding"));
    let edge_ttl = find("route catalogue", "cache rule edge_ttl.default");
    assert_eq!(edge_ttl.base.as_deref(), Some("600"));
    assert_eq!(edge_ttl.head.as_deref(), Some("1800"));
    // `account` is rule #2 before and #3 after (the new `search` rule comes
    // before the authenticated bypass), but nothing about it changed.
    assert!(
        !changes.iter().any(|c| c.subject == "route account"),
        "{changes:#?}"
    );
    let purge = find("event product.updated", "purges");
    assert_eq!(purge.base.as_deref(), Some("product, price"));
    assert_eq!(purge.head.as_deref(), Some("product"));
    // Same policy on both sides: nothing.
    assert!(cachegen::diff::changes(&base, &base).is_empty());
}

#[test]
fn git_refs_and_fail_on() {
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::create_dir(dir.join("policies")).unwrap();
    std::fs::copy(BASE, dir.join("policies/store.yaml")).unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    std::fs::copy(HEAD, dir.join("policies/store.yaml")).unwrap();
    let (code, md, err) = cachegen(
        &[
            "diff",
            "git:HEAD:policies/store.yaml",
            "policies/store.yaml",
        ],
        Some(dir),
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(md.contains("git:HEAD:policies/store.yaml"), "{md}");
    assert!(md.contains("needs a restart"));
    let (code, _, _) = cachegen(
        &[
            "diff",
            "git:HEAD:policies/store.yaml",
            "policies/store.yaml",
            "--fail-on",
            "restart",
        ],
        Some(dir),
    );
    assert_eq!(
        code,
        Some(1),
        "a restart-needing change fails CI when asked"
    );
    let (code, _, _) = cachegen(
        &[
            "diff",
            "git:HEAD:policies/store.yaml",
            "git:HEAD:policies/store.yaml",
            "--fail-on",
            "restart",
            "--fail-on",
            "ttl",
        ],
        Some(dir),
    );
    assert_eq!(code, Some(0), "no change, nothing fails");
    // A restart-needing change is a directive change too.
    let (code, _, _) = cachegen(
        &[
            "diff",
            "git:HEAD:policies/store.yaml",
            "policies/store.yaml",
            "--fail-on",
            "directive",
        ],
        Some(dir),
    );
    assert_eq!(code, Some(1));
    // A ref that looks like an option is refused, not handed to git.
    let (code, _, err) = cachegen(
        &[
            "diff",
            "git:--output=x:policies/store.yaml",
            "policies/store.yaml",
        ],
        Some(dir),
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(!dir.join("x:policies/store.yaml").exists());
    let (code, _, err) = cachegen(
        &[
            "diff",
            "git:nope:policies/store.yaml",
            "policies/store.yaml",
        ],
        Some(dir),
    );
    assert_eq!(code, Some(2), "an unknown ref is a usage error: {err}");
    assert!(err.contains("nope"), "{err}");
}

/// Issue 15, item 5(a): one more key of a pattern changes the expected
/// memory by less than the rounding of `human_bytes`, yet `--fail-on memory`
/// fails on it; the row must show the difference it fails on.
#[test]
fn a_memory_change_hidden_by_rounding_is_shown_in_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("head.yaml");
    let text = std::fs::read_to_string(BASE).unwrap();
    assert!(text.contains("cardinality: 10000\n"));
    std::fs::write(
        &head,
        text.replace("cardinality: 10000\n", "cardinality: 10001\n"),
    )
    .unwrap();
    let head = head.to_str().unwrap();

    let base_policy = support::render::checked(BASE).policy.unwrap();
    let head_policy = support::render::checked(head).policy.unwrap();
    let changes = cachegen::diff::changes(&base_policy, &head_policy);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let memory = &changes[0];
    assert!(matches!(memory.category, cachegen::diff::Category::Memory));
    let (before, after) = (
        memory.base.as_deref().unwrap(),
        memory.head.as_deref().unwrap(),
    );
    assert_ne!(before, after, "the change must be visible: {memory:?}");
    let bytes = |text: &str| -> i64 {
        let inner = text.split('(').nth(1).and_then(|t| t.strip_suffix(" B)"));
        inner
            .unwrap_or_else(|| panic!("no exact bytes in `{text}`"))
            .parse()
            .unwrap()
    };
    let delta = bytes(after) - bytes(before);
    assert!(delta > 0, "{memory:?}");
    assert!(
        memory.note.starts_with(&format!("+{delta} B; ")),
        "{memory:?}"
    );

    let (code, md, err) = cachegen(&["diff", BASE, head, "--fail-on", "memory"], None);
    assert_eq!(code, Some(1), "{err}");
    let row = md
        .lines()
        .find(|l| l.starts_with("| stores.redis | expected memory |"))
        .unwrap_or_else(|| panic!("no memory row:\n{md}"));
    assert!(row.contains(&format!("`{before}` | `{after}`")), "{row}");
}

/// A replicated store's Sentinel quorum and a hosted store's node type are
/// topology changes, one row each.
#[test]
fn sentinel_and_hosted_changes_are_topology() {
    let base = "tests/fixtures/build-replicated.yaml";
    let text = std::fs::read_to_string(base).unwrap();
    let edited = text
        .replace("        quorum: 2\n", "        quorum: 3\n")
        .replace("node_type: cache.r7g.large", "node_type: cache.r7g.xlarge");
    assert_ne!(edited, text);
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("head.yaml");
    std::fs::write(&head, edited).unwrap();
    let base_policy = support::render::checked(base).policy.unwrap();
    let head_policy = support::render::checked(head.to_str().unwrap())
        .policy
        .unwrap();
    let changes = cachegen::diff::changes(&base_policy, &head_policy);
    let rows: Vec<(String, String, Option<String>, Option<String>)> = changes
        .iter()
        .map(|c| {
            assert!(
                matches!(c.category, cachegen::diff::Category::Topology),
                "{c:?}"
            );
            (
                c.subject.clone(),
                c.field.clone(),
                c.base.clone(),
                c.head.clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "stores.orders".into(),
                "replicated.sentinel.quorum".into(),
                Some("2".into()),
                Some("3".into())
            ),
            (
                "stores.catalog".into(),
                "hosted.node_type".into(),
                Some("cache.r7g.large".into()),
                Some("cache.r7g.xlarge".into())
            ),
        ]
    );
}

/// `--fail-on` offers `Category::ALL`, named as the JSON names them: a new
/// category missing from `ALL` could not be chosen, and one whose `name`
/// differed from its JSON spelling would not select what JSON reports.
#[test]
fn every_category_is_a_choice_named_as_in_json() {
    use cachegen::diff::Category::{self, *};
    for c in Category::ALL {
        assert_eq!(serde_json::to_value(c).unwrap(), c.name(), "{c:?}");
    }
    // Exhaustive on purpose: adding a variant breaks this until it is in ALL.
    let place = |c: Category| match c {
        Ttl => 0,
        Staleness => 1,
        Added => 2,
        Removed => 3,
        Keys => 4,
        Invalidation => 5,
        Edge => 6,
        Directive => 7,
        Restart => 8,
        Topology => 9,
        Memory => 10,
    };
    let places: Vec<usize> = Category::ALL.iter().map(|&c| place(c)).collect();
    assert_eq!(places, (0..11).collect::<Vec<_>>());
}

/// The exit code of `cachegen diff BASE HEAD --fail-on CATEGORY`.
fn fails_on(base: &str, head: &str, category: &str) -> Option<i32> {
    cachegen(&["diff", base, head, "--fail-on", category], None).0
}

/// Issue 15, item 5(b): a new `ttl.max_staleness` listed one change per
/// pattern and route (the limit of each budget) and not the setting itself.
/// It is one change, the setting, with the budgets' limits folded under it;
/// budgets with a limit of their own do not move.
#[test]
fn issue_15_5b_a_max_staleness_change_is_one_change_with_its_consequences() {
    let (code, md, err) = cachegen(&["diff", GROUPING_BASE, GROUPING_STALENESS], None);
    assert_eq!(code, Some(0), "{err}");
    insta::assert_snapshot!("grouping-max-staleness-markdown", stable(&md));
    assert!(
        md.contains("**1 change** · 8 consequences folded under their cause"),
        "{md}"
    );
    assert!(
        md.contains("<details><summary>8 consequences of ttl.max_staleness</summary>"),
        "{md}"
    );
    for own in ["pattern recommendations", "route images"] {
        assert!(!md.contains(own), "{own} has its own limit:\n{md}");
    }

    let (code, json, _) = cachegen(
        &[
            "diff",
            GROUPING_BASE,
            GROUPING_STALENESS,
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, Some(0));
    insta::assert_snapshot!("grouping-max-staleness-json", stable(&json));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], cachegen::diff::JSON_VERSION);
    let top = v["changes"].as_array().unwrap();
    assert_eq!(top.len(), 1, "{json}");
    assert_eq!(top[0]["subject"], "ttl.max_staleness");
    assert_eq!(top[0]["base"], "5m");
    assert_eq!(top[0]["head"], "10m");
    let folded = top[0]["consequences"].as_array().unwrap();
    assert_eq!(folded.len(), 8, "{json}");
    assert!(
        folded
            .iter()
            .all(|c| c["field"] == "limit" && c["category"] == "staleness")
    );
    // Counted like any change: the summary and `--fail-on` see all nine.
    assert_eq!(v["summary"]["changes"], 9);
    assert_eq!(v["summary"]["by_category"]["staleness"], 9);
    assert_eq!(
        fails_on(GROUPING_BASE, GROUPING_STALENESS, "staleness"),
        Some(1)
    );
    assert_eq!(fails_on(GROUPING_BASE, GROUPING_STALENESS, "ttl"), Some(0));
}

/// Issue 15, item 5(b): adding one route before the others listed every
/// later rule as changed with its whole JSON, because rules were compared
/// with their position (`#2` → `#3`) in the text. Rules are matched by
/// route name, a position counts only when the order among the rules on both
/// sides changed, and only changed fields are shown.
#[test]
fn issue_15_5b_an_added_route_is_listed_once_and_unchanged_rules_not_at_all() {
    let (code, md, err) = cachegen(&["diff", GROUPING_BASE, GROUPING_ROUTE], None);
    assert_eq!(code, Some(0), "{err}");
    insta::assert_snapshot!("grouping-added-route-markdown", stable(&md));
    assert_eq!(md.matches("route blog").count(), 1, "{md}");
    for unchanged in ["assets", "catalogue", "prices", "images", "account"] {
        assert!(!md.contains(unchanged), "{unchanged} did not change:\n{md}");
    }
    let (code, json, _) = cachegen(
        &["diff", GROUPING_BASE, GROUPING_ROUTE, "--format", "json"],
        None,
    );
    assert_eq!(code, Some(0));
    insta::assert_snapshot!("grouping-added-route-json", stable(&json));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["changes"], 1, "{json}");
    assert_eq!(v["changes"][0]["subject"], "route blog");
    assert_eq!(v["changes"][0]["category"], "added");
    assert_eq!(fails_on(GROUPING_BASE, GROUPING_ROUTE, "added"), Some(1));
    assert_eq!(fails_on(GROUPING_BASE, GROUPING_ROUTE, "edge"), Some(0));
}

/// Issue 15, item 5(b): an added authenticated bypass really changes every
/// cacheable rule (each excludes the bypasses' paths). That is one cause,
/// the excluded paths, with the rules' expressions folded under it; the
/// rules' other fields did not change and are not listed.
#[test]
fn issue_15_5b_a_new_bypass_folds_the_rules_it_changes_under_one_cause() {
    use cachegen::diff::Category;
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("head.yaml");
    let text = std::fs::read_to_string(GROUPING_BASE).unwrap();
    let anchor = "redis:\n";
    assert!(text.contains(anchor));
    let admin = "    admin:\n      path: \"/admin/*\"\n      cache: bypass\n      authenticated: true\n      visibility: private\n";
    std::fs::write(&head, text.replacen(anchor, &format!("{admin}{anchor}"), 1)).unwrap();
    let head = head.to_str().unwrap();

    let base_policy = support::render::checked(GROUPING_BASE).policy.unwrap();
    let head_policy = support::render::checked(head).policy.unwrap();
    let changes = cachegen::diff::changes(&base_policy, &head_policy);
    let top: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c.cause.is_none())
        .map(|c| (c.subject.as_str(), c.field.as_str()))
        .collect();
    assert_eq!(
        top,
        [
            ("route admin", ""),
            (
                "edge exclusions",
                "paths and requests every cacheable rule excludes"
            )
        ],
        "{changes:#?}"
    );
    let mut folded: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c.cause.as_deref() == Some("edge exclusions"))
        .map(|c| (c.subject.as_str(), c.field.as_str()))
        .collect();
    folded.sort();
    assert_eq!(
        folded,
        [
            ("route assets", "cache rule expression"),
            ("route catalogue", "cache rule expression"),
            ("route images", "cache rule expression"),
            ("route prices", "cache rule expression"),
        ],
        "{changes:#?}"
    );
    assert!(folded.len() + top.len() == changes.len());
    assert!(changes.iter().skip(1).all(|c| c.category == Category::Edge));
    assert_eq!(fails_on(GROUPING_BASE, head, "edge"), Some(1));
}

/// Issue 15, item 5(b): the order of rules matters (the last match wins),
/// so a rule that moved among the others is a change, shown as its position
/// and nothing else about it.
#[test]
fn issue_15_5b_a_reordered_rule_shows_its_position_only() {
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("head.yaml");
    let text = std::fs::read_to_string(GROUPING_BASE).unwrap();
    let prices = "    prices:\n      path: \"/prices/*\"\n      edge_ttl: 1m\n      browser_ttl: 30s\n      serves: [price]\n";
    let catalogue = "    catalogue:\n";
    assert!(text.contains(prices) && text.contains(catalogue));
    let swapped = text
        .replace(prices, "")
        .replacen(catalogue, &format!("{prices}{catalogue}"), 1);
    std::fs::write(&head, swapped).unwrap();
    let head = head.to_str().unwrap();

    let base_policy = support::render::checked(GROUPING_BASE).policy.unwrap();
    let head_policy = support::render::checked(head).policy.unwrap();
    let changes = cachegen::diff::changes(&base_policy, &head_policy);
    let rows: Vec<(&str, &str, Option<&str>, Option<&str>)> = changes
        .iter()
        .map(|c| {
            (
                c.subject.as_str(),
                c.field.as_str(),
                c.base.as_deref(),
                c.head.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("route catalogue", "position", Some("#2"), Some("#3")),
            ("route prices", "position", Some("#3"), Some("#2")),
        ],
        "{changes:#?}"
    );
    assert_eq!(fails_on(GROUPING_BASE, head, "edge"), Some(1));
}

/// A changed `edge.credentials` changes every cacheable rule's exclusions
/// and the credentials bypass: one cause, the rules folded under it.
#[test]
fn a_credentials_change_is_one_edge_exclusions_change() {
    let dir = tempfile::tempdir().unwrap();
    let head = dir.path().join("head.yaml");
    let text = std::fs::read_to_string(GROUPING_BASE).unwrap();
    let anchor = "edge:\n";
    assert!(text.contains(anchor));
    std::fs::write(
        &head,
        text.replacen(anchor, "edge:\n  credentials:\n    cookies: [sid]\n", 1),
    )
    .unwrap();
    let base_policy = support::render::checked(GROUPING_BASE).policy.unwrap();
    let head_policy = support::render::checked(head.to_str().unwrap())
        .policy
        .unwrap();
    let changes = cachegen::diff::changes(&base_policy, &head_policy);
    let top: Vec<(&str, &str)> = changes
        .iter()
        .filter(|c| c.cause.is_none())
        .map(|c| (c.subject.as_str(), c.field.as_str()))
        .collect();
    assert_eq!(
        top,
        [(
            "edge exclusions",
            "paths and requests every cacheable rule excludes"
        )],
        "{changes:#?}"
    );
    assert!(
        changes.iter().any(|c| c
            .head
            .as_deref()
            .is_some_and(|h| h.contains("http.cookie contains \"sid=\""))),
        "{changes:#?}"
    );
}
