//! Owns the checks that cachegen fits the tools around it: shell completions
//! and the man page cover the whole CLI, policies name the committed schema for
//! editors, the pre-commit hooks and the documented GitHub Actions workflow run
//! real cachegen commands, and README's lint-rule table matches the registry.
//!
//! What "the whole CLI" is comes from `cachegen --help` and `cachegen SUB
//! --help`, not from the clap definition the generators read: a test that
//! asked the generators' own source what to expect could not catch them
//! leaving something out.

use cachegen::load::{self, NodeKind};
use cachegen::source::SourceFile;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary from the repository root.
fn cachegen(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_cachegen"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("cachegen runs");
    Run {
        code: out.status.code().expect("cachegen exits, not killed"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn ok(args: &[&str]) -> String {
    let run = cachegen(args);
    assert_eq!(
        run.code, 0,
        "cachegen {args:?}:\n{}{}",
        run.stdout, run.stderr
    );
    run.stdout
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// The subcommands `cachegen --help` lists (clap's own `help` left out).
fn subcommands() -> Vec<String> {
    let help = ok(&["--help"]);
    let mut names = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line == "Commands:" {
            in_commands = true;
        } else if in_commands && line.is_empty() {
            break;
        } else if in_commands {
            // A command starts two spaces in; wrapped descriptions are deeper.
            if let Some(rest) = line.strip_prefix("  ")
                && !rest.starts_with(' ')
            {
                let name = rest.split_whitespace().next().expect("a name");
                if name != "help" {
                    names.push(name.to_owned());
                }
            }
        }
    }
    assert!(
        names.len() >= 5,
        "could not read the commands from --help:\n{help}"
    );
    names
}

/// The long options (`--format`) and argument names (`POLICIES`) of one
/// subcommand (or, with `""`, of cachegen itself), from its `--help`.
fn options_of(sub: &str) -> (Vec<String>, Vec<String>) {
    let help = if sub.is_empty() {
        ok(&["--help"])
    } else {
        ok(&[sub, "--help"])
    };
    let mut options = Vec::new();
    let mut arguments = Vec::new();
    let mut section = "";
    for line in help.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            section = line;
            continue;
        }
        let trimmed = line.trim_start();
        // `  -h, --help` or `      --deny <RULE>`; `- human` (a possible value) is neither.
        let first = trimmed.split_whitespace().next().unwrap_or("");
        let long = if first.len() == 3 && first.starts_with('-') && first.ends_with(',') {
            trimmed.split_whitespace().nth(1).unwrap_or("")
        } else {
            first
        };
        if long.starts_with("--") && long.len() > 2 {
            options.push(long.trim_end_matches(',').to_owned());
        } else if section == "Arguments:" && line.starts_with("  ") && !line.starts_with("   ") {
            // `[POLICIES]...` / `<SHELL>`: the bare name is what the man page shows.
            let name: String = first
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            arguments.push(name);
        }
    }
    (options, arguments)
}

/// Parses YAML with cachegen's own loader (strict YAML 1.2, duplicate keys
/// refused: stricter than pre-commit's and GitHub's parsers, so what passes
/// here parses there).
fn yaml(name: &str, text: &str) -> Value {
    let loaded = load::parse(&SourceFile::new(name, text));
    assert!(
        loaded.diagnostics.is_empty(),
        "{name} is not valid YAML: {:?}",
        loaded.diagnostics
    );
    let root = loaded.root.expect("a document");
    assert!(!matches!(root.kind, NodeKind::Null), "{name} is empty");
    load::to_json(&root).0
}

// ---------------------------------------------------------------------------
// Shell completions
// ---------------------------------------------------------------------------

#[test]
fn bash_completion_is_valid_bash_and_completes_every_subcommand() {
    let script = ok(&["completions", "bash"]);
    let mut bash = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash is on PATH");
    use std::io::Write;
    bash.stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write to bash");
    let out = bash.wait_with_output().expect("bash -n finishes");
    assert!(
        out.status.success(),
        "bash -n rejects the completion script: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for sub in subcommands() {
        // The case arm that recognises the word after `cachegen`.
        assert!(
            script.contains(&format!("cachegen,{sub})")),
            "bash completion lacks `{sub}`"
        );
        for option in options_of(&sub).0 {
            assert!(
                script.contains(&option),
                "bash completion lacks `{sub} {option}`"
            );
        }
    }
}

#[test]
fn every_shell_gets_a_script_naming_every_subcommand() {
    let subs = subcommands();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = ok(&["completions", shell]);
        for sub in &subs {
            assert!(
                script.contains(sub.as_str()),
                "{shell} completion lacks `{sub}`"
            );
        }
    }
    let run = cachegen(&["completions", "tcsh"]);
    assert_eq!(run.code, 2, "an unknown shell is a usage error");
}

// ---------------------------------------------------------------------------
// Man page
// ---------------------------------------------------------------------------

/// `cachegen man` rendered by groff as plain text (no bold, no underline, no
/// hyphenation: option names must come out whole to be found).
fn rendered_man_page() -> String {
    let page = ok(&["man"]);
    assert!(
        page.lines().any(|l| l.starts_with(".TH cachegen ")),
        "not roff:\n{page}"
    );
    let groff = Command::new("groff")
        // -ww: every warning, so malformed roff fails the test below.
        .args(["-man", "-Tutf8", "-ww", "-rLL=200n", "-rHY=0"])
        // grotty: no SGR escapes, no overstriking; plain characters only.
        .args(["-P-c", "-P-b", "-P-u"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut groff = match groff {
        Ok(child) => child,
        Err(e) => panic!(
            "groff is needed to render the man page ({e}); install it with \
             `sudo apt-get install -y groff-base` (Debian/Ubuntu)"
        ),
    };
    use std::io::Write;
    groff
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("write to groff");
    let out = groff.wait_with_output().expect("groff finishes");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "groff complains about the man page:\n{stderr}"
    );
    String::from_utf8(out.stdout)
        .expect("groff -Tutf8 writes UTF-8")
        // groff prints `\-` as U+2212 and `-` as U+2010.
        .replace(['\u{2212}', '\u{2010}'], "-")
}

#[test]
fn man_page_renders_and_documents_every_subcommand_and_option() {
    let text = rendered_man_page();
    assert!(text.contains("NAME") && text.contains("SYNOPSIS"), "{text}");
    // Everything before the first subcommand's own section, as words.
    let overview: Vec<&str> = text
        .lines()
        .take_while(|l| !l.starts_with("CACHEGEN "))
        .flat_map(|l| l.split_whitespace())
        .collect();
    let overview = overview.join(" ");
    let globals = options_of("").0;
    assert!(globals.iter().any(|g| g == "--format"), "{globals:?}");
    for sub in subcommands() {
        let heading = format!("CACHEGEN {}", sub.to_uppercase());
        // The subcommand's own section: from its heading to the next one at
        // the left margin.
        let start = text
            .lines()
            .position(|l| l == heading)
            .unwrap_or_else(|| panic!("no section `{heading}` in the man page:\n{text}"));
        // Words only: groff pads justified lines with extra spaces.
        let section: Vec<&str> = text
            .lines()
            .skip(start + 1)
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .flat_map(|l| l.split_whitespace())
            .collect();
        let section = section.join(" ");
        assert!(
            section.contains(&format!("cachegen {sub}")),
            "`{heading}` has no synopsis:\n{section}"
        );
        let (options, arguments) = options_of(&sub);
        for name in options.iter().chain(&arguments) {
            // Global options are documented once, at the top of the page.
            let documented = section.contains(name.as_str())
                || (globals.contains(name) && overview.contains(name.as_str()));
            assert!(
                documented,
                "the man page's `{heading}` section does not document `{name}`:\n{section}"
            );
        }
        assert!(
            overview.contains(&format!("cachegen {sub} ")),
            "the SUBCOMMANDS list lacks `{sub}`:\n{overview}"
        );
    }
    for global in &globals {
        assert!(
            overview.contains(global.as_str()),
            "the top of the page lacks `{global}`"
        );
    }
}

// ---------------------------------------------------------------------------
// Editors: the yaml-language-server modeline
// ---------------------------------------------------------------------------

const MODELINE: &str = "# yaml-language-server: $schema=";

#[test]
fn every_policy_names_the_committed_schema_for_editors() {
    let schema = root()
        .join("schema/policy.schema.json")
        .canonicalize()
        .expect("schema/policy.schema.json exists");
    let mut policies: Vec<PathBuf> = std::fs::read_dir(root().join("policies"))
        .expect("policies/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    assert!(!policies.is_empty());
    // The second sample policy, used by the build tests, is edited by hand too.
    policies.push(root().join("tests/fixtures/build-shop.yaml"));
    for policy in policies {
        let text = std::fs::read_to_string(&policy).expect("read policy");
        let first = text.lines().next().unwrap_or("");
        let target = first.strip_prefix(MODELINE).unwrap_or_else(|| {
            panic!(
                "{} must start with `{MODELINE}<relative path to schema/policy.schema.json>` \
                 so editors validate it; its first line is `{first}`",
                policy.display()
            )
        });
        // yaml-language-server resolves a relative path from the file's own
        // directory. A URL would validate against whatever is published, not
        // against the schema this checkout's cachegen enforces.
        assert!(
            !target.contains("://") && !target.starts_with('/'),
            "{}: use a relative path, not `{target}`",
            policy.display()
        );
        let resolved = policy
            .parent()
            .expect("in a directory")
            .join(target.trim())
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: `{target}` does not exist: {e}", policy.display()));
        assert_eq!(
            resolved,
            schema,
            "{}: the modeline points elsewhere",
            policy.display()
        );
    }
    // And the committed schema is the one cachegen enforces.
    assert_eq!(ok(&["schema"]), read("schema/policy.schema.json"));
}

// ---------------------------------------------------------------------------
// pre-commit
// ---------------------------------------------------------------------------

#[test]
fn pre_commit_hooks_run_real_cachegen_commands() {
    let hooks = yaml(".pre-commit-hooks.yaml", &read(".pre-commit-hooks.yaml"));
    let hooks = hooks.as_array().expect("a list of hooks");
    let field = |hook: &Value, key: &str| -> String {
        hook[key]
            .as_str()
            .unwrap_or_else(|| panic!("hook {hook} lacks `{key}`"))
            .to_owned()
    };
    let ids: Vec<String> = hooks.iter().map(|h| field(h, "id")).collect();
    assert_eq!(ids, ["cachegen-check", "cachegen-build-check"]);
    let subs = subcommands();
    for hook in hooks {
        for key in ["name", "entry", "language"] {
            field(hook, key);
        }
        // pre-commit builds the hook from this repository with `cargo install`.
        assert_eq!(field(hook, "language"), "rust", "{hook}");
        let entry = field(hook, "entry");
        let args: Vec<&str> = entry.split_whitespace().collect();
        assert_eq!(
            args[0], "cachegen",
            "{hook}: entry must run the cachegen binary"
        );
        assert!(
            subs.iter().any(|s| s == args[1]),
            "{hook}: no subcommand `{}`",
            args[1]
        );
        // The flags parse (clap validates them before it acts on --help).
        let mut with_help = args[1..].to_vec();
        with_help.push("--help");
        ok(&with_help);
        // `files` must at least select the shipped policy.
        let files =
            regex_automata::meta::Regex::new(&field(hook, "files")).expect("files is a regex");
        assert!(files.is_match("policies/quizmentor.yaml"), "{hook}");
        assert!(!files.is_match("src/main.rs"), "{hook}");
    }
    // cachegen-check gets the changed policies as arguments, exactly as
    // pre-commit passes them; build --check renders every policy itself.
    assert_eq!(hooks[0].get("pass_filenames"), None);
    assert_eq!(hooks[1]["pass_filenames"], Value::Bool(false));
    let run = cachegen(&["check", "policies/quizmentor.yaml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

// ---------------------------------------------------------------------------
// GitHub Actions
// ---------------------------------------------------------------------------

/// The one ```yaml block of docs/github-actions.md.
fn documented_workflow() -> (String, Value) {
    let doc = read("docs/github-actions.md");
    let blocks: Vec<&str> = doc.split("```yaml\n").skip(1).collect();
    assert_eq!(
        blocks.len(),
        1,
        "docs/github-actions.md should hold one ```yaml block"
    );
    let text = blocks[0]
        .split("\n```")
        .next()
        .expect("closed block")
        .to_owned();
    let value = yaml("docs/github-actions.md (workflow)", &text);
    (text, value)
}

#[test]
fn documented_workflow_checks_uploads_sarif_builds_and_comments_the_diff() {
    let (_, workflow) = documented_workflow();
    let steps = workflow["jobs"]["cachegen"]["steps"]
        .as_array()
        .expect("jobs.cachegen.steps");
    let run_of = |needle: &str| -> &Value {
        steps
            .iter()
            .find(|s| s["run"].as_str().is_some_and(|r| r.contains(needle)))
            .unwrap_or_else(|| panic!("no step runs `{needle}`"))
    };
    let position = |step: &Value| steps.iter().position(|s| s == step).expect("a step");

    let check = run_of("cachegen check --format sarif > cachegen.sarif");
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("a step uploads the SARIF with github/codeql-action/upload-sarif");
    assert_eq!(upload["with"]["sarif_file"], "cachegen.sarif");
    // check exits 1 on findings: without always() the upload would be skipped
    // exactly when it has something to show.
    assert!(
        upload["if"]
            .as_str()
            .is_some_and(|c| c.contains("always()")),
        "the SARIF upload must run when check fails: {upload}"
    );
    assert!(position(check) < position(upload));
    run_of("cachegen build --check");
    let diff = run_of(
        "cachegen diff git:origin/${{ github.base_ref }}:policies/quizmentor.yaml \
         policies/quizmentor.yaml --format markdown",
    );
    assert!(
        diff["run"].as_str().unwrap().contains("gh pr comment"),
        "the diff is posted as a pull-request comment: {diff}"
    );
    let permissions = &workflow["jobs"]["cachegen"]["permissions"];
    assert_eq!(permissions["security-events"], "write");
    assert_eq!(permissions["pull-requests"], "write");
}

#[test]
fn every_cachegen_command_in_the_documented_workflow_parses() {
    let (text, _) = documented_workflow();
    let mut seen = 0;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let command = trimmed.strip_prefix("run: ").unwrap_or(trimmed);
        if !command.starts_with("cachegen ") {
            continue;
        }
        // What the runner would pass, up to a redirection; a branch for
        // `${{ github.base_ref }}`.
        let command = command.replace("${{ github.base_ref }}", "main");
        let mut args: Vec<&str> = command
            .split_whitespace()
            .skip(1)
            .take_while(|a| !a.starts_with('>') && *a != "|")
            .collect();
        if args == ["--version"] {
            continue;
        }
        if args[0] == "diff" {
            // Run the comment's diff for real, the base read from the working
            // tree instead of `git:origin/main:…` (a test cannot count on
            // that ref): the flags must work, not only parse.
            let real: Vec<&str> = args
                .iter()
                .map(|a| a.strip_prefix("git:origin/main:").unwrap_or(a))
                .collect();
            let run = cachegen(&real);
            assert_eq!(
                run.code, 0,
                "the documented `{command}` fails:\n{}{}",
                run.stdout, run.stderr
            );
            assert!(!run.stdout.trim().is_empty(), "`{command}` printed nothing");
        }
        // clap validates every flag and value before it acts on --help, so
        // this fails on a misspelt option or a value the CLI does not take.
        args.push("--help");
        let run = cachegen(&args);
        assert_eq!(
            run.code, 0,
            "the documented `{command}` does not parse:\n{}",
            run.stderr
        );
        seen += 1;
    }
    assert!(seen >= 3, "check, build --check and diff are documented");
}

// ---------------------------------------------------------------------------
// README's lint-rule table
// ---------------------------------------------------------------------------

const RULES_START: &str = "<!-- rules:start -->\n";
const RULES_END: &str = "<!-- rules:end -->";

#[test]
fn readme_lists_every_lint_rule_as_the_registry_does() {
    // The binary renders the table from lint::registry::RULES as compiled now,
    // so a rule added by anyone shows up here without touching this test.
    let table = ok(&["rule", "--all", "--markdown"]);
    for rule in cachegen::lint::registry::RULES {
        assert!(table.contains(&format!("| {} | {} |", rule.code.code, rule.code.name)));
    }
    let readme = read("README.md");
    let start = readme
        .find(RULES_START)
        .expect("README.md has a `<!-- rules:start -->` line")
        + RULES_START.len();
    let end = start
        + readme[start..]
            .find(RULES_END)
            .expect("README.md has a `<!-- rules:end -->` line after the start marker");
    if readme[start..end] == table {
        return;
    }
    if std::env::var_os("CACHEGEN_UPDATE_README").is_some() {
        let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
        std::fs::write(root().join("README.md"), updated).expect("write README.md");
        return;
    }
    panic!(
        "README.md's lint-rule table is not what the registry says. Regenerate it with\n\n    \
         CACHEGEN_UPDATE_README=1 cargo test --test ecosystem readme\n\n\
         (or paste `cargo run -q -- rule --all --markdown` between the markers).\n\n\
         README has:\n{}\nregistry says:\n{table}",
        &readme[start..end]
    );
}
