//! The invalidation graph (`cachegen::graph`) and `cachegen graph`: blast
//! radii and never-invalidated patterns of the real policy, empty events, DOT
//! that Graphviz really renders (the SVG parsed as XML), the Mermaid drawing
//! (snapshot, and the copy embedded in README.md), and policy text that tries
//! to break out of either syntax.

use cachegen::graph::{EdgePath, Graph, Step, Via, mermaid_text};
use cachegen::policy::model::Policy;
use cachegen::{CheckOptions, FileReport, check_bytes};
use std::path::PathBuf;
use std::process::{Command, Stdio};

const QUIZMENTOR: &str = "policies/quizmentor.yaml";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Checks a policy (path relative to the crate root, or inline YAML) and
/// insists it has no errors: the graph is drawn only from valid policies.
fn checked(name: &str, yaml: &str) -> FileReport {
    let report = check_bytes(name, yaml.as_bytes(), &CheckOptions::default());
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == cachegen::diag::Severity::Error)
        .map(|d| format!("{} {}", d.code.code, d.message))
        .collect();
    assert!(errors.is_empty(), "{name} has errors: {errors:?}");
    report
}

/// The hostile fixture: valid but for its events `user.updated` and
/// `user_updated`, which `check` refuses because both become the Rust plan
/// `on_user_updated` (CG026). They stay here because the drawings must keep
/// two such nodes apart however the model was built.
fn hostile() -> FileReport {
    let report = check_bytes("hostile.yaml", HOSTILE.as_bytes(), &CheckOptions::default());
    let errors: Vec<String> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == cachegen::diag::Severity::Error)
        .map(|d| format!("{} {}", d.code.code, d.message))
        .collect();
    assert_eq!(
        errors,
        [
            "CG026 event `user_updated` and event `user.updated` become the same Rust identifier `on_user_updated`"
        ],
    );
    report
}

fn quizmentor() -> FileReport {
    let text = std::fs::read_to_string(root().join(QUIZMENTOR)).expect("read quizmentor");
    checked(QUIZMENTOR, &text)
}

fn policy(report: &FileReport) -> &Policy {
    report.policy.as_ref().expect("lowered")
}

fn names(steps: &[Step]) -> Vec<String> {
    steps.iter().map(Step::to_string).collect()
}

// --- Blast radius, uninvalidated patterns, empty events --------------------

#[test]
fn quiz_completed_blast_radius() {
    let report = quizmentor();
    let graph = Graph::new(policy(&report));
    let radius = graph.blast_radius("quiz.completed").expect("event exists");
    assert_eq!(
        radius.pattern_names(),
        ["quiz_leaderboard", "user_stats", "user_recent_quizzes"]
    );
    for r in &radius.patterns {
        assert_eq!(names(&r.path()), ["quiz.completed", r.pattern]);
        assert_eq!(r.when_changed, None);
    }
    assert!(radius.tags.is_empty());
}

#[test]
fn user_updated_blast_radius_includes_cascades_and_branches() {
    let report = quizmentor();
    let graph = Graph::new(policy(&report));
    let radius = graph.blast_radius("user.updated").expect("event exists");
    // Depth first, as the generated plan deletes them: `user_profile`'s
    // cascade comes right after it, so `user_stats` and
    // `user_recommendations` are reached through it before their own entries.
    assert_eq!(
        radius.pattern_names(),
        [
            "user_profile",
            "user_stats",
            "user_recommendations",
            "user_quizzes",
            "user_recent_quizzes",
            "user_progress",
            "user_preferences",
            "leaderboard_global",
            "leaderboard_topic",
        ]
    );
    let path_of = |p: &str| {
        radius
            .patterns
            .iter()
            .find(|r| r.pattern == p)
            .map(|r| r.path_text())
            .unwrap()
    };
    assert_eq!(
        path_of("user_stats"),
        "user.updated → user_profile → user_stats"
    );
    assert_eq!(
        path_of("leaderboard_topic"),
        "user.updated → when score changes → leaderboard_topic"
    );
    let conditional: Vec<(&str, Option<&str>)> = radius
        .patterns
        .iter()
        .filter(|r| r.when_changed.is_some())
        .map(|r| (r.pattern, r.when_changed))
        .collect();
    // `profile` and `preferences` list patterns the event always deletes.
    assert_eq!(
        conditional,
        [
            ("leaderboard_global", Some("score")),
            ("leaderboard_topic", Some("score"))
        ]
    );
    assert!(radius.tags.is_empty());
}

#[test]
fn question_updated_reaches_the_cascade_of_question_data() {
    let report = quizmentor();
    let radius = Graph::new(policy(&report))
        .blast_radius("question.updated")
        .unwrap();
    assert_eq!(
        radius.pattern_names(),
        ["question_data", "question_stats", "quiz_questions"]
    );
    assert_eq!(
        radius.patterns[1].path_text(),
        "question.updated → question_data → question_stats"
    );
}

#[test]
fn unknown_event_has_no_blast_radius() {
    let report = quizmentor();
    assert!(
        Graph::new(policy(&report))
            .blast_radius("quiz.deleted")
            .is_none()
    );
}

#[test]
fn quizmentor_uninvalidated_patterns() {
    let report = quizmentor();
    let graph = Graph::new(policy(&report));
    // `quiz.updated` reaches `quiz_data` and, by cascade, `quiz_analytics`;
    // `answer.persisted` deletes a pending answer once it is in the
    // database; what is left is TTL-only or data of record.
    assert_eq!(
        graph.uninvalidated_patterns(),
        [
            "session",
            "api_response",
            "computation",
            "answer_write_queue",
        ]
    );
    assert!(graph.empty_events().is_empty());
}

#[test]
fn runbook_notes_only_cached_patterns() {
    // The runbook as written has no event for quiz data (quizmentor adds
    // `quiz.updated`). Sessions and the write-behind data are data of
    // record: no note for them.
    let path = "tests/fixtures/hazards.yaml";
    let text = std::fs::read_to_string(root().join(path)).expect("read the runbook fixture");
    // It has error-level hazards on purpose; only its notes matter here.
    let report = check_bytes(path, text.as_bytes(), &CheckOptions::default());
    let noted: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code.code == "CG304")
        .map(|d| d.message.split('`').nth(1).unwrap())
        .collect();
    assert_eq!(
        noted,
        ["quiz_data", "quiz_analytics", "api_response", "computation"]
    );
    assert!(
        report
            .diagnostics
            .iter()
            .filter(|d| d.code.code == "CG304")
            .all(|d| d.severity == cachegen::diag::Severity::Note)
    );
}

const EMPTY_EVENT: &str = r#"version: 1
ttl:
  default: 5m
keys:
  placeholders:
    quiz_id: int
  patterns:
    quiz_data:
      pattern: "quiz:<quiz_id>:data"
invalidation:
  events:
    quiz.updated:
      params: [quiz_id]
      invalidate: [quiz_data]
    quiz.viewed:
      params: [quiz_id]
    quiz.tagged:
      when_changed:
        tags: []
redis:
  version: "7.0"
  maxmemory: 1gb
  maxmemory_policy: allkeys-lru
"#;

#[test]
fn empty_events_are_found_and_linted() {
    let report = checked("empty.yaml", EMPTY_EVENT);
    let graph = Graph::new(policy(&report));
    assert_eq!(graph.empty_events(), ["quiz.viewed", "quiz.tagged"]);
    let radius = graph.blast_radius("quiz.viewed").unwrap();
    assert!(radius.is_empty() && radius.edge_paths.is_empty());
    let cg305: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code.code == "CG305")
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(cg305.len(), 2, "{cg305:?}");
    assert!(cg305[0].contains("`quiz.viewed`"), "{cg305:?}");
}

#[test]
fn an_event_whose_targets_were_refused_is_left_to_the_error() {
    let yaml = EMPTY_EVENT.replace(
        "      params: [quiz_id]\n    quiz.tagged:",
        "      params: [quiz_id]\n      invalidate: [quiz_dta]\n    quiz.tagged:",
    );
    let report = check_bytes("typo.yaml", yaml.as_bytes(), &CheckOptions::default());
    let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.code).collect();
    assert!(codes.contains(&"CG020"), "{codes:?}");
    // Only `quiz.tagged` (really empty) is reported, not the misspelled one.
    assert_eq!(codes.iter().filter(|c| **c == "CG305").count(), 1);
}

#[test]
fn tags_cascades_and_edge_paths() {
    let yaml = r#"version: 1
ttl:
  default: 5m
keys:
  placeholders:
    quiz_id: int
  patterns:
    catalog:
      pattern: "catalog"
    quiz_data:
      pattern: "quiz:<quiz_id>:data"
      tags: [quizzes]
    quiz_questions:
      pattern: "quiz:<quiz_id>:questions"
      tags: [quizzes]
    quiz_stats:
      pattern: "quiz:<quiz_id>:stats"
tags:
  quizzes: { key: "tag:quizzes", ttl: 1h }
invalidation:
  cascade:
    quiz_questions: [quiz_stats]
  events:
    catalog.rebuilt:
      invalidate: [catalog]
      invalidate_tags: [quizzes]
edge:
  provider: cloudflare
  routes:
    assets:
      extensions: [js, css]
      edge_ttl: 1d
      serves: [quiz_stats]
    api_public:
      path: "/api/public/*"
      edge_ttl: 5m
      serves: [catalog, quiz_data]
    api_user:
      path: "/api/user/*"
      cache: bypass
      authenticated: true
      serves: [quiz_data]
redis:
  version: "7.0"
  maxmemory: 1gb
  maxmemory_policy: allkeys-lru
"#;
    let report = checked("tags.yaml", yaml);
    let radius = Graph::new(policy(&report))
        .blast_radius("catalog.rebuilt")
        .unwrap();
    let paths: Vec<String> = radius.patterns.iter().map(|r| r.path_text()).collect();
    assert_eq!(
        paths,
        [
            "catalog.rebuilt → catalog",
            "catalog.rebuilt → tag quizzes → quiz_data",
            "catalog.rebuilt → tag quizzes → quiz_questions",
            "catalog.rebuilt → tag quizzes → quiz_questions → quiz_stats",
        ]
    );
    assert_eq!(radius.tags, ["quizzes"]);
    // The bypassed, authenticated route stores nothing: nothing to purge.
    let edge: Vec<(&str, String, Vec<&str>)> = radius
        .edge_paths
        .iter()
        .map(|e: &EdgePath| (e.route, e.text(), e.patterns.clone()))
        .collect();
    assert_eq!(
        edge,
        [
            ("assets", "*.js, *.css".to_owned(), vec!["quiz_stats"]),
            (
                "api_public",
                "/api/public/*".to_owned(),
                vec!["catalog", "quiz_data"]
            ),
        ]
    );
}

#[test]
fn blast_radius_serializes_with_paths() {
    let report = quizmentor();
    let radius = Graph::new(policy(&report))
        .blast_radius("user.updated")
        .unwrap();
    let v = serde_json::to_value(&radius).unwrap();
    let stats = &v["patterns"][1];
    assert_eq!(stats["pattern"], "user_stats");
    assert_eq!(
        stats["via"],
        serde_json::json!({"kind": "cascade", "from": "user_profile"})
    );
    assert_eq!(
        stats["path"],
        serde_json::json!([
            {"kind": "event", "name": "user.updated"},
            {"kind": "pattern", "name": "user_profile"},
            {"kind": "pattern", "name": "user_stats"},
        ])
    );
    let topic = radius.get("leaderboard_topic").unwrap();
    assert_eq!(topic.via, Via::WhenChanged { field: "score" });
}

/// A cascade chain of 20,000 patterns: paths share their prefixes (no n²
/// steps), dropping them does not recurse, and the lint rules stay linear.
#[test]
fn a_long_cascade_chain_stays_cheap() {
    let n = 20_000;
    let mut yaml = String::from(
        "version: 1\nttl:\n  default: 5m\nkeys:\n  placeholders:\n    id: int\n  patterns:\n",
    );
    for i in 0..n {
        yaml.push_str(&format!("    p{i}: {{pattern: \"p{i}:<id>\"}}\n"));
    }
    yaml.push_str("invalidation:\n  cascade:\n");
    for i in 0..n - 1 {
        yaml.push_str(&format!("    p{i}: [p{}]\n", i + 1));
    }
    yaml.push_str("  events:\n    a.changed:\n      params: [id]\n      invalidate: [p0]\n");
    yaml.push_str(
        "redis:\n  version: \"7.0\"\n  maxmemory: 1gb\n  maxmemory_policy: allkeys-lru\n",
    );
    let report = checked("chain.yaml", &yaml);
    let graph = Graph::new(policy(&report));
    let radius = graph.blast_radius("a.changed").unwrap();
    assert_eq!(radius.patterns.len(), n);
    assert_eq!(radius.patterns[n - 1].path().len(), n + 1);
    assert!(graph.uninvalidated_patterns().is_empty());
    drop(radius);
}

// --- Drawings ---------------------------------------------------------------

/// Renders DOT with Graphviz and returns the SVG. Fails, rather than skips,
/// when `dot` is missing: the issue's "done when" needs the real renderer.
fn graphviz_svg(dot: &str) -> String {
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "Graphviz `dot` is not on PATH; install it with `sudo apt-get install -y graphviz` (Debian/Ubuntu; scripts/test does this when run as root)"
        ),
        Err(e) => panic!("cannot run `dot`: {e}"),
    };
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(dot.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "dot -Tsvg failed ({}):\n{stderr}\n--- input ---\n{dot}",
        out.status
    );
    String::from_utf8(out.stdout).expect("SVG is UTF-8")
}

/// Per node of the SVG: its title (the DOT ID) and its text lines.
fn svg_nodes(svg: &str) -> Vec<(String, Vec<String>)> {
    let doc = roxmltree::Document::parse_with_options(
        svg,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("SVG is not XML: {e}\n{svg}"));
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("node"))
        .map(|g| {
            let text_of = |tag: &str| -> Vec<String> {
                g.descendants()
                    .filter(|n| n.has_tag_name(tag))
                    .map(|n| n.text().unwrap_or("").to_owned())
                    .collect()
            };
            (text_of("title").concat(), text_of("text"))
        })
        .collect()
}

#[test]
fn quizmentor_dot_renders_with_graphviz() {
    let report = quizmentor();
    let graph = Graph::new(policy(&report));
    let svg = graphviz_svg(&graph.to_dot());
    let nodes = svg_nodes(&svg);
    assert_eq!(nodes.len(), graph.nodes().len());
    let find = |title: &str| {
        nodes
            .iter()
            .find(|(t, _)| t == title)
            .unwrap_or_else(|| panic!("no node `{title}` in the SVG"))
    };
    assert_eq!(find("event:quiz.completed").1, ["quiz.completed"]);
    assert_eq!(
        find("pattern:user_stats").1,
        ["user_stats", "user:<user_id>:stats"]
    );
    assert_eq!(find("when:user.updated:score").1, ["when score changes"]);
    assert_eq!(find("tag:user").1, ["tag user", "tag:user:<user_id>"]);
    let edges = svg.matches("class=\"edge\"").count();
    assert_eq!(edges, graph.edges().len());
}

#[test]
fn quizmentor_mermaid_snapshot() {
    let report = quizmentor();
    let mermaid = Graph::new(policy(&report)).to_mermaid();
    assert_mermaid_is_well_formed(&mermaid);
    insta::assert_snapshot!("quizmentor_mermaid", mermaid);
}

#[test]
fn drawings_are_deterministic() {
    let a = quizmentor();
    let b = quizmentor();
    let (ga, gb) = (Graph::new(policy(&a)), Graph::new(policy(&b)));
    assert_eq!(ga.to_dot(), gb.to_dot());
    assert_eq!(ga.to_mermaid(), gb.to_mermaid());
}

const README_BEGIN: &str = "<!-- cachegen graph policies/quizmentor.yaml: begin -->\n";
const README_END: &str = "<!-- cachegen graph policies/quizmentor.yaml: end -->\n";

/// README.md embeds the quizmentor graph; it must be the current one. With
/// `CACHEGEN_UPDATE_README=1` the test rewrites the block instead.
#[test]
fn readme_embeds_the_current_quizmentor_graph() {
    let report = quizmentor();
    let expected = format!(
        "```mermaid\n{}```\n",
        Graph::new(policy(&report)).to_mermaid()
    );
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    assert_eq!(
        readme.matches(README_BEGIN).count(),
        1,
        "README.md needs one `{}` marker",
        README_BEGIN.trim_end()
    );
    let start = readme.find(README_BEGIN).unwrap() + README_BEGIN.len();
    let len = readme[start..]
        .find(README_END)
        .expect("README.md: graph end marker after the begin marker");
    let embedded = &readme[start..start + len];
    if embedded == expected {
        return;
    }
    if std::env::var_os("CACHEGEN_UPDATE_README").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[start + len..]);
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    panic!(
        "README.md's quizmentor graph is stale; regenerate it with `CACHEGEN_UPDATE_README=1 cargo test --test graph readme`"
    );
}

// --- Hostile text -----------------------------------------------------------

/// Descriptions are the free text a drawing shows; names are identifiers.
const HOSTILE: &str = r#"version: 1
name: quiz-mentor-v2
ttl:
  default: 5m
keys:
  placeholders:
    user_id: int
  patterns:
    user_profile:
      pattern: "user:<user_id>:profile"
      description: "He said \"hi\"]; } -> x [label=\\N & &lt; <b>bold</b>"
    end:
      pattern: "end:<user_id>"
      description: "%% --> end \\\" ]) {{ }} |x| #35; `tick` \\l ü"
    long:
      pattern: "long:<user_id>"
      description: "first line is long enough to be cut at sixty characters, really\nsecond line"
invalidation:
  events:
    user.updated:
      params: [user_id]
      invalidate: [user_profile, end, long]
    user_updated:
      params: [user_id]
      invalidate: [user_profile]
redis:
  version: "7.0"
  maxmemory: 1gb
  maxmemory_policy: allkeys-lru
"#;

#[test]
fn hostile_text_survives_graphviz_literally() {
    let report = hostile();
    let svg = graphviz_svg(&Graph::new(policy(&report)).to_dot());
    let nodes = svg_nodes(&svg);
    let lines = |title: &str| {
        nodes
            .iter()
            .find(|(t, _)| t == title)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| panic!("no node `{title}`: {nodes:?}"))
    };
    assert_eq!(
        lines("pattern:user_profile"),
        [
            "user_profile",
            "user:<user_id>:profile",
            r#"He said "hi"]; } -> x [label=\N & &lt; <b>bold</b>"#
        ]
    );
    assert_eq!(
        lines("pattern:end")[2],
        r#"%% --> end \" ]) {{ }} |x| #35; `tick` \l ü"#
    );
    // The first line only, cut to 60 characters.
    let long = &lines("pattern:long")[2];
    assert_eq!(long.chars().count(), 60);
    assert!(long.ends_with('…'), "{long}");
    // Two events whose names differ only in `.`/`_` stay two nodes.
    assert!(nodes.iter().any(|(t, _)| t == "event:user.updated"));
    assert!(nodes.iter().any(|(t, _)| t == "event:user_updated"));
}

#[test]
fn hostile_text_stays_inside_mermaid_labels() {
    let report = hostile();
    let mermaid = Graph::new(policy(&report)).to_mermaid();
    assert_mermaid_is_well_formed(&mermaid);
    assert!(mermaid.contains("    ev_user_updated([\"user.updated\"])\n"));
    assert!(mermaid.contains("    ev_user_updated_2([\"user_updated\"])\n"));
    // `end` is a Mermaid keyword; the kind prefix keeps it an ID.
    assert!(mermaid.contains("    pat_end[\""));
    assert_eq!(
        mermaid_text("a\"b]<c>#d;`e`\n%%"),
        "a#34;b#93;#60;c#62;#35;d#59;#96;e#96; #37;#37;"
    );
}

/// Every line is a node, an edge or a class line built from safe IDs, and
/// every label is one quoted string without quotes, brackets or markup of its
/// own (`<br/>` is the drawing's). Checked by hand against Mermaid's own
/// parser (mermaid 11, `mermaid.parse`).
fn assert_mermaid_is_well_formed(text: &str) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"));
    let is_id = |s: &str| {
        !s.is_empty()
            && s.chars().next().unwrap().is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    for line in lines {
        let body = line
            .strip_prefix("    ")
            .unwrap_or_else(|| panic!("unindented line: {line}"));
        if let Some(rest) = body.strip_prefix("classDef ") {
            assert_eq!(rest, "uninvalidated stroke-dasharray:4 4");
            continue;
        }
        if let Some(rest) = body.strip_prefix("class ") {
            let (ids, class) = rest.split_once(' ').unwrap();
            assert_eq!(class, "uninvalidated");
            assert!(ids.split(',').all(is_id), "{line}");
            continue;
        }
        let parts: Vec<&str> = body.split(' ').collect();
        if parts.len() == 3 && ["-->", "-.->", "-->|cascade|", "-.-"].contains(&parts[1]) {
            assert!(is_id(parts[0]) && is_id(parts[2]), "{line}");
            continue;
        }
        let open = body
            .find(['[', '(', '{'])
            .unwrap_or_else(|| panic!("{line}"));
        assert!(is_id(&body[..open]), "{line}");
        let shape = &body[open..];
        let (opener, closer) = [
            ("([\"", "\"])"),
            ("{{\"", "\"}}"),
            ("[/\"", "\"/]"),
            ("[\"", "\"]"),
        ]
        .into_iter()
        .find(|(o, c)| shape.starts_with(o) && shape.ends_with(c))
        .unwrap_or_else(|| panic!("unknown shape: {line}"));
        let label = &shape[opener.len()..shape.len() - closer.len()];
        let bare = label.replace("<br/>", "");
        assert!(
            !bare.contains([
                '"', '<', '>', '[', ']', '{', '}', '(', ')', '|', '`', '%', '\\'
            ]),
            "label escapes nothing it should: {line}"
        );
    }
}

// --- The command ------------------------------------------------------------

fn cachegen(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cachegen"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("cachegen runs");
    (
        out.status.code().expect("exited"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn graph_command_prints_mermaid_by_default_and_dot_on_request() {
    let report = quizmentor();
    let graph = Graph::new(policy(&report));
    let (code, stdout, stderr) = cachegen(&["graph", QUIZMENTOR]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, graph.to_mermaid());
    let (code, stdout, _) = cachegen(&["graph", QUIZMENTOR, "--syntax", "dot"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, graph.to_dot());
    // The only policy in policies/ would be the default; with several
    // (quizmentor and shop are bundled) one must be named.
    let bundled = std::fs::read_dir(root().join("policies")).unwrap().count();
    let (code, stdout, stderr) = cachegen(&["graph"]);
    if bundled == 1 {
        assert_eq!(stdout, graph.to_mermaid());
    } else {
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!(
                "{bundled} policies in policies/; name the one to use"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn graph_command_exits_2_for_unreadable_or_invalid_policies() {
    let (code, stdout, _) = cachegen(&["graph", "policies/does-not-exist.yaml"]);
    assert_eq!(code, 2);
    assert!(!stdout.contains("flowchart"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        EMPTY_EVENT.replace("ttl:\n  default: 5m", "ttl:\n  default: 5"),
    )
    .unwrap();
    let (code, stdout, stderr) = cachegen(&["graph", bad.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    // The diagnostics, in the chosen format, instead of a drawing.
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON diagnostics");
    assert_eq!(v["diagnostics"][0]["code"], "CG012");
    let (code, _, stderr) = cachegen(&["graph", QUIZMENTOR, "--syntax", "svg"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("mermaid") && stderr.contains("dot"),
        "{stderr}"
    );
}
