//! The `cachegen` binary: parses arguments and hands each subcommand to its
//! handler in `cli/`, then maps the outcome to an exit code (0 clean, 1
//! error-level findings or stale output, 2 unreadable policy, bad command
//! line or I/O failure; `verify` adds 3 for incomplete).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

#[derive(Parser)]
#[command(name = "cachegen", version, about = "Policy-as-code compiler for cache configuration", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    global: cli::GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate and lint policies (default: every policies/*.yaml).
    Check(cli::check::Args),
    /// Render policies into OUT/<policy name>/ (default: every policies/*.yaml into generated/).
    Build(cli::build::Args),
    /// Check a live Redis or Redis Cluster against a policy: config drift,
    /// topology, keyspace conformance, hit ratio. Read-only; exit 0 conforms,
    /// 1 violations, 2 usage or policy error, 3 could not connect or incomplete.
    Verify(Box<cli::verify::Args>),
    /// Explain what the policy does with a URL (edge rules in order, TTLs,
    /// origin headers, staleness) or a Redis key (pattern, parameters, TTL,
    /// tags, hash slot, what invalidates it).
    Explain(cli::explain::Args),
    /// The semantic impact of a policy change: TTLs, staleness, added and
    /// removed patterns and routes, directives (and restarts), topology,
    /// memory. BASE and HEAD are files or `git:REF:path`.
    Diff(cli::diff::Args),
    /// Draw the invalidation graph: events, their `when_changed` branches,
    /// key patterns, cascades and tags; dashed patterns no event reaches.
    /// Prints Mermaid (default) or Graphviz DOT; exit 2 if the policy has errors.
    Graph(cli::graph::Args),
    /// Print the policy format's JSON Schema.
    Schema,
    /// Explain a diagnostic code or lint rule, or list them all.
    Rule(cli::rule::Args),
    /// Print a shell completion script (e.g. `cachegen completions bash > /etc/bash_completion.d/cachegen`).
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page, every subcommand included, as roff (`cachegen man > cachegen.1`).
    Man,
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
    let global = &cli.global;
    match cli.command {
        Command::Check(args) => cli::check::run(args, global),
        Command::Build(args) => cli::build::run(args, global),
        Command::Verify(args) => cli::verify::run(*args, global),
        Command::Explain(args) => cli::explain::run(args, global),
        Command::Diff(args) => cli::diff::run(args, global),
        Command::Graph(args) => cli::graph::run(args, global),
        Command::Schema => cli::print(&cachegen::schema::policy_schema_text()).map(|()| 0),
        Command::Rule(args) => cli::rule::run(args),
        Command::Completions { shell } => cli::ecosystem::print_completions(shell),
        Command::Man => cli::ecosystem::print_man_page(),
    }
}
