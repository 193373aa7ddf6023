//! The `cachegen` binary: parses arguments, calls the library, prints, and maps
//! the outcome to an exit code (0 clean, 1 error-level findings or stale
//! output, 2 unreadable policy, bad command line or I/O failure).

use cachegen::diag::output::{self, Format};
use cachegen::diag::{Severity, codes};
use cachegen::lint::{LevelOverrides, registry};
use cachegen::policy::model::LintLevel;
use cachegen::{CheckOptions, FileReport};
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

mod ecosystem;
mod cli {
    pub mod progress;
}

#[derive(Parser)]
#[command(name = "cachegen", version, about = "Policy-as-code compiler for cache configuration", long_about = None)]
struct Cli {
    /// Output format for diagnostics.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Colour in human output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// Lint level overrides, shared by `check` and `build`.
#[derive(clap::Args)]
struct LevelArgs {
    /// Report this rule (code or name) as an error. Repeatable.
    #[arg(long, value_name = "RULE")]
    deny: Vec<String>,
    /// Report this rule as a warning. Repeatable.
    #[arg(long, value_name = "RULE")]
    warn: Vec<String>,
    /// Do not report this rule. Repeatable.
    #[arg(long, value_name = "RULE")]
    allow: Vec<String>,
}

impl LevelArgs {
    fn overrides(&self) -> Result<LevelOverrides, String> {
        let mut overrides = LevelOverrides::default();
        // Applied in this order, so the strictest wins when a rule is named twice.
        for (names, level) in [
            (&self.allow, LintLevel::Allow),
            (&self.warn, LintLevel::Warn),
            (&self.deny, LintLevel::Deny),
        ] {
            for name in names {
                let rule = registry::find(name).ok_or_else(|| {
                    format!("unknown lint rule `{name}` (see `cachegen rule --all`)")
                })?;
                overrides.entries.push((rule.code.code, level));
            }
        }
        Ok(overrides)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Validate and lint policies (default: every policies/*.yaml).
    Check {
        /// Policy files to check.
        policies: Vec<PathBuf>,
        #[command(flatten)]
        levels: LevelArgs,
    },
    /// Render policies into OUT/<policy name>/ (default: every policies/*.yaml into generated/).
    Build {
        /// Policy files to build.
        policies: Vec<PathBuf>,
        /// Output root; each policy goes to OUT/<policy name>/.
        #[arg(long, value_name = "DIR", default_value = "generated")]
        out: PathBuf,
        /// Write nothing; exit 1 with a unified diff if the output is stale.
        #[arg(long)]
        check: bool,
        /// Use templates from DIR (same layout as templates/) instead of the embedded ones.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        #[command(flatten)]
        levels: LevelArgs,
    },
    /// Check a live Redis or Redis Cluster against a policy: config drift,
    /// topology, keyspace conformance, hit ratio. Read-only; exit 0 conforms,
    /// 1 violations, 2 usage or policy error, 3 could not connect or incomplete.
    Verify(VerifyArgs),
    /// Explain what the policy does with a URL (edge rules in order, TTLs,
    /// origin headers, staleness) or a Redis key (pattern, parameters, TTL,
    /// tags, hash slot, what invalidates it).
    Explain(ExplainArgs),
    /// The semantic impact of a policy change: TTLs, staleness, added and
    /// removed patterns and routes, directives (and restarts), topology,
    /// memory. BASE and HEAD are files or `git:REF:path`.
    Diff(DiffArgs),
    /// Draw the invalidation graph: events, their `when_changed` branches,
    /// key patterns, cascades and tags; dashed patterns no event reaches.
    /// Prints Mermaid (default) or Graphviz DOT; exit 2 if the policy has errors.
    Graph {
        /// The policy (default: the one policies/*.yaml).
        policy: Option<PathBuf>,
        /// The graph language to print. (`--format` stays the format of the
        /// diagnostics shown when the policy has errors.)
        #[arg(long, value_enum, default_value_t = cachegen::graph::Syntax::Mermaid)]
        syntax: cachegen::graph::Syntax,
    },
    /// Print the policy format's JSON Schema.
    Schema,
    /// Explain a diagnostic code or lint rule, or list them all.
    Rule {
        /// A code (`CG101`) or name (`durable-keys-under-allkeys-eviction`).
        rule: Option<String>,
        /// List every code and rule.
        #[arg(long, conflicts_with = "rule")]
        all: bool,
        /// With --all: print the lint rules as the Markdown table README.md holds.
        #[arg(long, requires = "all")]
        markdown: bool,
    },
    /// Print a shell completion script (e.g. `cachegen completions bash > /etc/bash_completion.d/cachegen`).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page, every subcommand included, as roff (`cachegen man > cachegen.1`).
    Man,
}

#[derive(clap::Args)]
struct ExplainArgs {
    /// A URL or path (`https://host/api/x`, `/api/x`) or a Redis key as stored.
    target: String,
    /// The policy (default: the one policies/*.yaml).
    #[arg(long, value_name = "POLICY")]
    policy: Option<PathBuf>,
    /// A request header, `Name: value` (repeatable), e.g. `Authorization: Bearer x`.
    #[arg(long = "header", short = 'H', value_name = "HEADER")]
    headers: Vec<String>,
    /// Treat TARGET as a Redis key even if it starts with `/`.
    #[arg(long, conflicts_with = "url")]
    key: bool,
    /// Treat TARGET as a URL path.
    #[arg(long)]
    url: bool,
}

#[derive(clap::Args)]
struct DiffArgs {
    /// The policy before the change: a file, or `git:REF:path`.
    base: String,
    /// The policy after the change: a file, or `git:REF:path`.
    head: String,
    /// Exit 1 when the diff has changes of this kind (repeatable).
    #[arg(long, value_enum, value_name = "CATEGORY")]
    fail_on: Vec<cachegen::diff::Category>,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// A YAML policy, or the policy.lock.json `build` writes (default: the
    /// one policies/*.yaml).
    policy: Option<PathBuf>,
    /// redis:// or rediss:// URL of any one node; user and password may be in it.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, value_name = "URL")]
    redis: String,
    /// ACL user, when not in the URL.
    #[arg(long, env = "CACHEGEN_REDIS_USER", value_name = "USER")]
    user: Option<String>,
    /// Read the password from FILE (else the URL, CACHEGEN_REDIS_PASSWORD or REDISCLI_AUTH).
    #[arg(long, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Trust the CA certificates in this PEM file (rediss://) instead of the system's.
    #[arg(long, value_name = "FILE")]
    tls_ca: Option<PathBuf>,
    /// Check server certificates against NAME instead of each node's host.
    #[arg(long, value_name = "NAME")]
    tls_server_name: Option<String>,
    /// Keys to inspect per primary.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10_000,
        conflicts_with = "full"
    )]
    sample: u64,
    /// Inspect every key (a complete pass; pair with --rate on busy servers).
    #[arg(long)]
    full: bool,
    /// Most commands per second per node.
    #[arg(long, value_name = "OPS", value_parser = clap::value_parser!(u32).range(1..))]
    rate: Option<u32>,
    /// Connect timeout, and the longest wait for each whole reply.
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    timeout: String,
    /// SCAN COUNT per call (at most 1000, to keep other clients' latency low).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scan_count: u32,
    /// Never draw progress bars (they are drawn only on a terminal anyway).
    #[arg(long)]
    no_progress: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("cachegen: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8, String> {
    match cli.command {
        Command::Check { policies, levels } => {
            let options = CheckOptions {
                overrides: levels.overrides()?,
            };
            let reports = check_all(policies, &options)?;
            print(&output::render(cli.format, &reports, use_color(cli.color)))?;
            Ok(check_exit_code(&reports))
        }
        Command::Build {
            policies,
            out,
            check,
            templates,
            levels,
        } => {
            let options = CheckOptions {
                overrides: levels.overrides()?,
            };
            let every_policy = policies.is_empty();
            let reports = check_all(policies, &options)?;
            // Diagnostics go to stdout in the chosen format; status lines go to
            // stderr, so `--format json` stays one JSON document.
            if cli.format != Format::Human || reports.iter().any(|r| !r.diagnostics.is_empty()) {
                print(&output::render(cli.format, &reports, use_color(cli.color)))?;
            }
            let templates = cachegen::render::Templates {
                override_dir: templates,
            };
            build(&reports, &out, check, every_policy, &templates)
                .map(|exit| exit.max(check_exit_code(&reports)))
        }
        Command::Verify(args) => verify(args, cli.format, use_color(cli.color)),
        Command::Explain(args) => explain(args, cli.format, use_color(cli.color)),
        Command::Diff(args) => diff(args, cli.format, use_color(cli.color)),
        Command::Graph { policy, syntax } => {
            let report = cachegen::check_path(&single_policy(policy)?, &CheckOptions::default());
            if !usable_policy(&report, cli.format, use_color(cli.color))? {
                return Ok(2);
            }
            let Some(policy) = &report.policy else {
                return Ok(2);
            };
            print(&cachegen::graph::Graph::new(policy).render(syntax))?;
            Ok(0)
        }
        Command::Schema => {
            print(&cachegen::schema::policy_schema_text())?;
            Ok(0)
        }
        Command::Rule { markdown: true, .. } => {
            print(&ecosystem::rules_markdown())?;
            Ok(0)
        }
        Command::Rule { rule, all, .. } => explain_rule(rule, all),
        Command::Completions { shell } => {
            print(&ecosystem::completions(
                <Cli as clap::CommandFactory>::command(),
                shell,
            ))?;
            Ok(0)
        }
        Command::Man => {
            let page = ecosystem::man_page(<Cli as clap::CommandFactory>::command())
                .map_err(|e| format!("cannot render the man page: {e}"))?;
            print(&page)?;
            Ok(0)
        }
    }
}

/// The one policy a command works on: the one given, or the only
/// policies/*.yaml.
fn single_policy(given: Option<PathBuf>) -> Result<PathBuf, String> {
    match given {
        Some(p) => Ok(p),
        None => match default_policies()?.as_slice() {
            [one] => Ok(one.clone()),
            many => Err(format!(
                "{} policies in policies/; name the one to use",
                many.len()
            )),
        },
    }
}

/// Whether a checked policy can be used; if not, prints why (the caller
/// exits 2).
fn usable_policy(report: &FileReport, format: Format, color: bool) -> Result<bool, String> {
    if report.policy.is_some() && !report.unreadable && report.count(Severity::Error) == 0 {
        return Ok(true);
    }
    let shown = if matches!(format, Format::Junit) {
        Format::Human
    } else {
        format
    };
    print(&output::render(shown, std::slice::from_ref(report), color))?;
    eprintln!(
        "cachegen: {} has errors; fix them (cachegen check) first",
        report.source.name()
    );
    Ok(false)
}

fn explain(args: ExplainArgs, format: Format, color: bool) -> Result<u8, String> {
    use cachegen::explain::{self, Header, Target};
    let path = single_policy(args.policy)?;
    let report = cachegen::check_path(&path, &CheckOptions::default());
    if !usable_policy(&report, format, color)? {
        return Ok(2);
    }
    let policy = report.policy.as_ref().expect("checked above");
    let headers = args
        .headers
        .iter()
        .map(|h| Header::parse(h))
        .collect::<Result<Vec<_>, _>>()?;
    let target = if args.key {
        Target::Key(args.target)
    } else if args.url {
        Target::Url(args.target)
    } else {
        Target::guess(&args.target)
    };
    let answer = explain::explain(policy, &target, &headers)?;
    match format {
        Format::Json => print(&(serde_json::to_string_pretty(&answer).expect("JSON") + "\n"))?,
        Format::Human | Format::Markdown => print(&explain::human(&answer))?,
        other => return Err(format!("explain prints human or json, not {other:?}")),
    }
    Ok(0)
}

/// Reads a diff side: a file, or `git:REF:path` through `git show`.
fn diff_side(spec: &str) -> Result<FileReport, String> {
    let (name, bytes) = match spec.strip_prefix("git:") {
        Some(rest) => {
            let (reference, path) = rest
                .split_once(':')
                .ok_or_else(|| format!("`{spec}` is not `git:REF:path`"))?;
            // A ref starting with `-` would be read by git as an option.
            if reference.starts_with('-') || reference.is_empty() {
                return Err(format!("`{reference}` is not a git revision"));
            }
            let out = std::process::Command::new("git")
                .args(["cat-file", "blob", &format!("{reference}:{path}")])
                .output()
                .map_err(|e| format!("cannot run git: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "git cat-file blob {reference}:{path} failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            (spec.to_owned(), out.stdout)
        }
        None => (
            spec.to_owned(),
            std::fs::read(spec).map_err(|e| format!("cannot read `{spec}`: {e}"))?,
        ),
    };
    Ok(cachegen::check_bytes(
        &name,
        &bytes,
        &CheckOptions::default(),
    ))
}

fn diff(args: DiffArgs, format: Format, color: bool) -> Result<u8, String> {
    let base = diff_side(&args.base)?;
    let head = diff_side(&args.head)?;
    for side in [&base, &head] {
        if !usable_policy(side, format, color)? {
            return Ok(2);
        }
    }
    let (b, h) = (
        base.policy.as_ref().expect("checked above"),
        head.policy.as_ref().expect("checked above"),
    );
    let changes = cachegen::diff::changes(b, h);
    match format {
        Format::Json => print(
            &(serde_json::to_string_pretty(&cachegen::diff::json(
                &args.base, &args.head, &changes,
            ))
            .expect("JSON")
                + "\n"),
        )?,
        Format::Human | Format::Markdown => print(&cachegen::diff::markdown(
            &h.name, &args.base, &args.head, &changes,
        ))?,
        other => {
            return Err(format!(
                "diff prints markdown (the default) or json, not {other:?}"
            ));
        }
    }
    let failed = changes
        .iter()
        .any(|c| args.fail_on.iter().any(|f| f.selects(c.category)));
    Ok(u8::from(failed))
}

/// Loads the policy (YAML or lock), connects, checks, prints; exit 0/1/2/3.
fn verify(args: VerifyArgs, format: Format, color: bool) -> Result<u8, String> {
    use cachegen::verify;
    let path = single_policy(args.policy)?;
    let report = if path.extension().is_some_and(|x| x == "json") {
        let name = path.display().to_string();
        match std::fs::read(&path) {
            Ok(bytes) => cachegen::policy::from_lock::check_lock(&name, &bytes),
            Err(e) => return Err(format!("cannot read `{name}`: {e}")),
        }
    } else {
        cachegen::check_path(&path, &CheckOptions::default())
    };
    if !usable_policy(&report, format, color)? {
        return Ok(2);
    }
    let policy = report.policy.as_ref().expect("checked by usable_policy");
    let timeout = cachegen::load::units::parse_duration(&args.timeout)
        .map_err(|e| format!("--timeout: {e}"))?;
    if timeout.is_zero() {
        return Err("--timeout must be more than zero".into());
    }
    let password_env = std::env::var("CACHEGEN_REDIS_PASSWORD")
        .ok()
        .or_else(|| std::env::var("REDISCLI_AUTH").ok());
    let target = verify::target::parse(
        &args.redis,
        &verify::target::CredentialSources {
            user: args.user,
            password_file: args.password_file,
            password_env,
        },
    )?;
    let tls = if target.tls {
        Some(verify::conn::Tls::new(
            args.tls_ca.as_deref(),
            args.tls_server_name,
        )?)
    } else if args.tls_ca.is_some() || args.tls_server_name.is_some() {
        return Err("--tls-ca and --tls-server-name need a rediss:// URL".into());
    } else {
        None
    };
    let options = verify::Options {
        target,
        tls,
        limits: verify::conn::Limits {
            timeout: std::time::Duration::from_micros(timeout.as_micros()),
            rate: args.rate,
        },
        coverage: if args.full {
            verify::keyspace::Coverage::Full
        } else {
            verify::keyspace::Coverage::Sample(args.sample)
        },
        scan_count: args.scan_count,
    };
    let bars = cli::progress::Bars::new(!args.no_progress && format == Format::Human);
    let result = verify::run(policy, &options, &|event| bars.show(event));
    print(&verify::report::render(
        format,
        &result,
        &report.source,
        color,
    ))?;
    Ok(result.exit_code())
}

/// Renders and writes (or compares) every policy without error-level findings.
fn build(
    reports: &[FileReport],
    out: &std::path::Path,
    check: bool,
    every_policy: bool,
    templates: &cachegen::render::Templates,
) -> Result<u8, String> {
    let mut exit = 0;
    let mut built: Vec<String> = Vec::new();
    // Render everything before writing anything: a template error in the
    // second policy must not leave the first half-updated.
    let mut rendered = Vec::new();
    for report in reports {
        let Some(result) = cachegen::render_report(report, templates) else {
            eprintln!(
                "cachegen: {} has errors; nothing built for it",
                report.source.name()
            );
            continue;
        };
        let files = result.map_err(|e| e.to_string())?;
        let name = report
            .policy
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default();
        if built.contains(&name) {
            return Err(format!(
                "two policies are named `{name}`; each needs its own output directory"
            ));
        }
        built.push(name.clone());
        rendered.push((out.join(&name), files));
    }
    for (dir, files) in &rendered {
        if check {
            let stale = cachegen::build::check(dir, files);
            if stale.is_empty() {
                eprintln!("cachegen: {} is up to date", dir.display());
            } else {
                print(&stale.iter().map(|s| s.diff.as_str()).collect::<String>())?;
                eprintln!(
                    "cachegen: {} is stale ({} files differ); run `cachegen build`",
                    dir.display(),
                    stale.len()
                );
                exit = 1;
            }
        } else {
            cachegen::build::write(dir, files)
                .map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
            eprintln!(
                "cachegen: wrote {} ({} generated files)",
                dir.display(),
                files.len()
            );
        }
    }
    if every_policy {
        for orphan in cachegen::build::orphans(out, &built) {
            if check {
                eprintln!(
                    "cachegen: {} was generated from a policy that no longer exists",
                    orphan.display()
                );
                exit = 1;
            } else {
                cachegen::build::remove_generated(&orphan)
                    .map_err(|e| format!("cannot clean {}: {e}", orphan.display()))?;
                eprintln!(
                    "cachegen: removed the generated files in {} (its policy no longer exists)",
                    orphan.display()
                );
            }
        }
    }
    Ok(exit)
}

fn explain_rule(rule: Option<String>, all: bool) -> Result<u8, String> {
    let every = || {
        codes::ALL
            .iter()
            .chain(registry::RULES.iter().map(|r| &r.code))
    };
    if all || rule.is_none() {
        let mut out = String::new();
        for c in every() {
            let level = match (c.lint, c.severity) {
                (true, Severity::Error) => "deny",
                (true, Severity::Warning) => "warn",
                (false, Severity::Error) => "error (fixed)",
                (false, Severity::Warning) => "warn (fixed)",
                (true, Severity::Note) => "note",
                (false, Severity::Note) => "note (fixed)",
            };
            out.push_str(&format!(
                "{:<7} {:<40} {:<14} {}\n",
                c.code, c.name, level, c.summary
            ));
        }
        print(&out)?;
        return Ok(0);
    }
    let name = rule.unwrap_or_default();
    let found = every()
        .find(|c| c.code.eq_ignore_ascii_case(&name) || c.name == name)
        .ok_or_else(|| format!("no rule or code `{name}` (see `cachegen rule --all`)"))?;
    let level = match (found.lint, found.severity) {
        (true, Severity::Error) => "lint rule, default level: deny (error)",
        (true, Severity::Warning) => "lint rule, default level: warn",
        (false, Severity::Error) => "always an error; cannot be allowed or suppressed",
        (false, Severity::Warning) => "always a warning; cannot be allowed or suppressed",
        (true, Severity::Note) => "lint rule, default level: note (reported, never a failure)",
        (false, Severity::Note) => "a note: reported, never a failure",
    };
    print(&format!(
        "# {} {}\n\n{}\n\n{level}\n\n{}",
        found.code,
        found.name,
        found.summary,
        strip_doc_indent(found.docs)
    ))?;
    Ok(0)
}

fn check_all(policies: Vec<PathBuf>, options: &CheckOptions) -> Result<Vec<FileReport>, String> {
    let paths = if policies.is_empty() {
        default_policies()?
    } else {
        policies
    };
    Ok(paths
        .iter()
        .map(|p| cachegen::check_path(p, options))
        .collect())
}

fn use_color(color: Color) -> bool {
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn check_exit_code(reports: &[FileReport]) -> u8 {
    if reports.iter().any(|r| r.unreadable) {
        2
    } else if reports.iter().any(|r| r.count(Severity::Error) > 0) {
        1
    } else {
        0
    }
}

/// Doc comments arrive with a leading space on each line.
fn strip_doc_indent(docs: &str) -> String {
    docs.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_owned()
        + "\n"
}

fn default_policies() -> Result<Vec<PathBuf>, String> {
    let dir = std::path::Path::new("policies");
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("no policy given and cannot read `policies/`: {e}"))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err("no policy given and `policies/` has no .yaml files".into());
    }
    Ok(paths)
}

fn print(text: &str) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => Ok(()),
        // A closed pipe (`cachegen check | head`) is not an error worth reporting.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(format!("cannot write output: {e}")),
    }
}
