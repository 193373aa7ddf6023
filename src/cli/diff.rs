//! `cachegen diff BASE HEAD`: the semantic impact of a policy change, as a
//! pull-request comment (Markdown) or JSON; `--fail-on` sets the exit code.

use super::{GlobalArgs, print};
use cachegen::diff::{self, Category};
use cachegen::output::Format;
use cachegen::{CheckOptions, FileReport};

#[derive(clap::Args)]
pub struct Args {
    /// The policy before the change: a file, or `git:REF:path`.
    base: String,
    /// The policy after the change: a file, or `git:REF:path`.
    head: String,
    /// Exit 1 when the diff has changes of this kind (repeatable).
    #[arg(long, value_name = "CATEGORY",
          value_parser = super::choices(&Category::ALL, |c| (c.name(), Some(c.about()))))]
    fail_on: Vec<Category>,
}

/// Checks one side of the diff: a file, or `git:REF:path`.
fn check_side(spec: &str) -> Result<FileReport, String> {
    let bytes = cachegen::load::spec::read(spec)?;
    Ok(cachegen::check_bytes(
        spec,
        &bytes,
        &CheckOptions::default(),
    ))
}

pub fn run(args: Args, global: &GlobalArgs) -> Result<u8, String> {
    let base = check_side(&args.base)?;
    let head = check_side(&args.head)?;
    let Some(b) = super::usable_policy(&base, global)? else {
        return Ok(2);
    };
    let Some(h) = super::usable_policy(&head, global)? else {
        return Ok(2);
    };
    let changes = diff::changes(b, h);
    match global.format() {
        Format::Json => print(
            &(serde_json::to_string_pretty(&diff::json(&args.base, &args.head, &changes))
                .expect("JSON")
                + "\n"),
        )?,
        Format::Human | Format::Markdown => {
            print(&diff::markdown(&h.name, &args.base, &args.head, &changes))?
        }
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
