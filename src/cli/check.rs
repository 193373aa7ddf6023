//! `cachegen check`: validate and lint policies, print every diagnostic.

use super::{GlobalArgs, LevelArgs, print};
use cachegen::output;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Policy files to check.
    policies: Vec<PathBuf>,
    #[command(flatten)]
    levels: LevelArgs,
}

pub fn run(args: Args, global: &GlobalArgs) -> Result<u8, String> {
    let reports = super::check_all(&args.policies, &args.levels.check_options()?)?;
    print(&output::render(global.format(), &reports, global.color()))?;
    Ok(super::check_exit_code(&reports))
}
