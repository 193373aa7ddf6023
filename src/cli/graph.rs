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
    #[arg(long, default_value = "mermaid",
          value_parser = super::choices(&Syntax::ALL, |s| (s.name(), Some(s.about()))))]
    syntax: Syntax,
}

pub fn run(args: Args, global: &GlobalArgs) -> Result<u8, String> {
    let report = super::check_single(args.policy)?;
    let Some(policy) = super::usable_policy(&report, global)? else {
        return Ok(2);
    };
    print(&Graph::new(policy).render(args.syntax))?;
    Ok(0)
}
