//! `cachegen explain URL|KEY`: what the policy does with one request or key.

use super::{GlobalArgs, print};
use cachegen::explain::{self, Header, Target};
use cachegen::output::Format;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
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

pub fn run(args: Args, global: &GlobalArgs) -> Result<u8, String> {
    let report = super::check_single(args.policy)?;
    let Some(policy) = super::usable_policy(&report, global)? else {
        return Ok(2);
    };
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
    match global.format() {
        Format::Json => print(&(serde_json::to_string_pretty(&answer).expect("JSON") + "\n"))?,
        Format::Human | Format::Markdown => print(&explain::human(&answer))?,
        other => return Err(format!("explain prints human or json, not {other:?}")),
    }
    Ok(0)
}
