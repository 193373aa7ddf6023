//! `cachegen rule`: explain one diagnostic code or lint rule, or list them
//! all (`--all`, and `--all --markdown` for README.md's table).

use super::print;
use cachegen::diag::codes::{self, Code};
use cachegen::lint::registry;

#[derive(clap::Args)]
pub struct Args {
    /// A code (`CG101`) or name (`durable-keys-under-allkeys-eviction`).
    rule: Option<String>,
    /// List every code and rule.
    #[arg(long, conflicts_with = "rule")]
    all: bool,
    /// With --all: print the lint rules as the Markdown table README.md holds.
    #[arg(long, requires = "all")]
    markdown: bool,
}

fn every_code() -> impl Iterator<Item = &'static Code> {
    codes::ALL
        .iter()
        .chain(registry::RULES.iter().map(|r| &r.code))
}

pub fn run(args: Args) -> Result<u8, String> {
    if args.markdown {
        print(&super::ecosystem::rules_markdown())?;
        return Ok(0);
    }
    let Some(name) = args.rule.filter(|_| !args.all) else {
        let mut out = String::new();
        for c in every_code() {
            out.push_str(&format!(
                "{:<7} {:<40} {:<14} {}\n",
                c.code,
                c.name,
                c.level_label(),
                c.summary
            ));
        }
        print(&out)?;
        return Ok(0);
    };
    let found = every_code()
        .find(|c| c.code.eq_ignore_ascii_case(&name) || c.name == name)
        .ok_or_else(|| format!("no rule or code `{name}` (see `cachegen rule --all`)"))?;
    print(&format!(
        "# {} {}\n\n{}\n\n{}\n\n{}",
        found.code,
        found.name,
        found.summary,
        found.level_sentence(),
        strip_doc_indent(found.docs)
    ))?;
    Ok(0)
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
