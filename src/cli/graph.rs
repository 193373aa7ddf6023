//! `cachegen graph`: print the invalidation graph as Mermaid or DOT.

use super::{GlobalArgs, print};
use cachegen::graph::{Graph, Syntax};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The policy (default: the one policies/*.yaml).
    policy: Option<PathBuf>,
    /// The graph language to print. (`--format` stays the format of the
    /// diagnostics shown when the policy has errors.)
    #[arg(long, value_enum, default_value_t = SyntaxArg::Mermaid)]
    syntax: SyntaxArg,
}

/// `--syntax`: the library's `graph::Syntax` as a command-line choice.
#[derive(Clone, Copy, clap::ValueEnum)]
enum SyntaxArg {
    /// A Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

pub fn run(args: Args, global: &GlobalArgs) -> Result<u8, String> {
    let report = cachegen::check_path(
        &super::single_policy(args.policy)?,
        &cachegen::CheckOptions::default(),
    );
    let Some(policy) = super::usable_policy(&report, global)? else {
        return Ok(2);
    };
    let syntax = match args.syntax {
        SyntaxArg::Mermaid => Syntax::Mermaid,
        SyntaxArg::Dot => Syntax::Dot,
    };
    print(&Graph::new(policy).render(syntax))?;
    Ok(0)
}
