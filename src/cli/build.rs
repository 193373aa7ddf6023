//! `cachegen build`: check, then render into `generated/` (or `--check` it),
//! printing one status line per policy directory.

use super::{GlobalArgs, LevelArgs, print};
use cachegen::build::{self, Event, Mode};
use cachegen::output::{self, Format};
use cachegen::render::Templates;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
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
}

pub fn run(args: Args, global: &GlobalArgs) -> Result<u8, String> {
    let reports = super::check_all(&args.policies, &args.levels.check_options()?)?;
    // Diagnostics go to stdout in the chosen format; status lines go to
    // stderr, so `--format json` stays one JSON document.
    if global.format() != Format::Human || reports.iter().any(|r| !r.diagnostics.is_empty()) {
        print(&output::render(global.format(), &reports, global.color()))?;
    } else {
        // Build checks before it renders; say so, or a clean run reads as
        // if nothing was checked.
        let names: Vec<&str> = reports.iter().map(|r| r.source.name()).collect();
        eprintln!("cachegen: checked {}: no problems", names.join(", "));
    }
    let templates = Templates {
        override_dir: args.templates,
    };
    let options = build::Options {
        out: &args.out,
        mode: if args.check { Mode::Check } else { Mode::Write },
        every_policy: args.policies.is_empty(),
        templates: &templates,
    };
    let mut printed = Ok(());
    let stale = build::run(&reports, &options, &mut |event| {
        if printed.is_ok() {
            printed = print_event(&event);
        }
    })?;
    printed?;
    Ok(u8::from(stale).max(super::check_exit_code(&reports)))
}

fn print_event(event: &Event) -> Result<(), String> {
    match event {
        Event::NothingBuilt { policy } => {
            eprintln!("cachegen: {policy} has errors; nothing built for it");
        }
        Event::Wrote { dir, files } => eprintln!(
            "cachegen: wrote {} ({files} generated files)",
            dir.display()
        ),
        Event::UpToDate { dir } => eprintln!("cachegen: {} is up to date", dir.display()),
        Event::Stale { dir, stale } => {
            print(&stale.iter().map(|s| s.diff.as_str()).collect::<String>())?;
            eprintln!(
                "cachegen: {} is stale ({} files differ); run `cachegen build`",
                dir.display(),
                stale.len()
            );
        }
        Event::OrphanFound { dir } => eprintln!(
            "cachegen: {} was generated from a policy that no longer exists",
            dir.display()
        ),
        Event::OrphanRemoved { dir } => eprintln!(
            "cachegen: removed the generated files in {} (its policy no longer exists)",
            dir.display()
        ),
    }
    Ok(())
}
