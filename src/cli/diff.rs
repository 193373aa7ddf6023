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
    #[arg(long, value_enum, value_name = "CATEGORY")]
    fail_on: Vec<CategoryArg>,
}

/// `--fail-on`: the library's `diff::Category` as a command-line choice.
#[derive(Clone, Copy, clap::ValueEnum)]
enum CategoryArg {
    /// A TTL of a key pattern, tag set or route changed.
    Ttl,
    /// A worst-case staleness budget changed.
    Staleness,
    /// A key pattern, route, event or tag set was added.
    Added,
    /// A key pattern, route, event or tag set was removed.
    Removed,
    /// A key shape or the version prefix changed: existing keys are orphaned.
    Keys,
    /// What an event purges changed.
    Invalidation,
    /// What the edge caches changed (a route's match, cache level, visibility).
    Edge,
    /// A managed Redis directive changed.
    Directive,
    /// A changed directive cannot be applied at runtime (restart needed).
    Restart,
    /// Cluster masters, replicas or settings changed.
    Topology,
    /// The expected memory use changed.
    Memory,
}

impl From<CategoryArg> for Category {
    fn from(arg: CategoryArg) -> Self {
        match arg {
            CategoryArg::Ttl => Category::Ttl,
            CategoryArg::Staleness => Category::Staleness,
            CategoryArg::Added => Category::Added,
            CategoryArg::Removed => Category::Removed,
            CategoryArg::Keys => Category::Keys,
            CategoryArg::Invalidation => Category::Invalidation,
            CategoryArg::Edge => Category::Edge,
            CategoryArg::Directive => Category::Directive,
            CategoryArg::Restart => Category::Restart,
            CategoryArg::Topology => Category::Topology,
            CategoryArg::Memory => Category::Memory,
        }
    }
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
    let fail_on: Vec<Category> = args.fail_on.into_iter().map(Category::from).collect();
    let failed = changes
        .iter()
        .any(|c| fail_on.iter().any(|f| f.selects(c.category)));
    Ok(u8::from(failed))
}
