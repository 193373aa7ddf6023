//! The binary's command handlers, one file per subcommand (each with its own
//! clap arguments), and what they share: the global options, `choices`
//! (a clap parser over a library enum), finding the default policy, and
//! printing.
//! Everything a handler does beyond arguments and printing is a library call.

pub mod build;
pub mod check;
pub mod diff;
pub mod ecosystem;
pub mod explain;
pub mod graph;
pub mod progress;
pub mod rule;
pub mod signals;
pub mod verify;

use cachegen::diag::Severity;
use cachegen::lint::{LevelOverrides, registry};
use cachegen::output::{self, Format};
use cachegen::policy::model::LintLevel;
use cachegen::{CheckOptions, FileReport};
use clap::builder::TypedValueParser as _;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Options every subcommand takes.
#[derive(clap::Args)]
pub struct GlobalArgs {
    /// Output format for diagnostics.
    #[arg(long, global = true, default_value = "human",
          value_parser = choices(&Format::ALL, |f| (f.name(), f.about())))]
    format: Format,
    /// Colour in human output.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

impl GlobalArgs {
    pub fn format(&self) -> Format {
        self.format
    }

    pub fn color(&self) -> bool {
        match self.color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

/// A command-line choice among a library enum's values, each named and
/// described by the library. The library stays free of clap, and the binary
/// needs no mirror enum that could drift from it.
pub fn choices<T: Copy + Send + Sync + 'static>(
    all: &'static [T],
    describe: fn(T) -> (&'static str, Option<&'static str>),
) -> impl clap::builder::TypedValueParser<Value = T> {
    let values = all.iter().map(move |&value| {
        let (name, about) = describe(value);
        clap::builder::PossibleValue::new(name).help(about)
    });
    clap::builder::PossibleValuesParser::new(values).map(move |chosen: String| {
        *all.iter()
            .find(|&&value| describe(value).0 == chosen)
            .expect("clap accepts only the listed names")
    })
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// Lint level overrides, shared by `check` and `build`.
#[derive(clap::Args)]
pub struct LevelArgs {
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
    pub fn check_options(&self) -> Result<CheckOptions, String> {
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
        Ok(CheckOptions { overrides })
    }
}

/// Checks the given policies, or every policies/*.yaml when none is given.
pub fn check_all(policies: &[PathBuf], options: &CheckOptions) -> Result<Vec<FileReport>, String> {
    let paths = if policies.is_empty() {
        default_policies()?
    } else {
        policies.to_vec()
    };
    Ok(paths
        .iter()
        .map(|p| cachegen::check_path(p, options))
        .collect())
}

/// Exit code of `check`: 2 when a file is unreadable, 1 for error-level findings.
pub fn check_exit_code(reports: &[FileReport]) -> u8 {
    if reports.iter().any(|r| r.unreadable) {
        2
    } else if reports.iter().any(|r| r.count(Severity::Error) > 0) {
        1
    } else {
        0
    }
}

/// The one policy a command works on: the one given, or the only
/// policies/*.yaml.
pub fn single_policy(given: Option<PathBuf>) -> Result<PathBuf, String> {
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

/// Checks the one policy a command works on, with the default lint levels.
pub fn check_single(given: Option<PathBuf>) -> Result<FileReport, String> {
    Ok(cachegen::check_path(
        &single_policy(given)?,
        &CheckOptions::default(),
    ))
}

fn default_policies() -> Result<Vec<PathBuf>, String> {
    let dir = Path::new("policies");
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

/// The validated policy of a report, for commands that need one; if there
/// is none, prints why and returns `None` (the caller exits 2).
pub fn usable_policy<'r>(
    report: &'r FileReport,
    global: &GlobalArgs,
) -> Result<Option<&'r cachegen::policy::model::Policy>, String> {
    if let Some(policy) = &report.policy
        && !report.unreadable
        && report.count(Severity::Error) == 0
    {
        return Ok(Some(policy));
    }
    let shown = match global.format() {
        // JUnit describes a test run; a policy that cannot be used is shown to a person.
        Format::Junit => Format::Human,
        other => other,
    };
    print(&output::render(
        shown,
        std::slice::from_ref(report),
        global.color(),
    ))?;
    eprintln!(
        "cachegen: {} has errors; fix them (cachegen check) first",
        report.source.name()
    );
    Ok(None)
}

pub fn print(text: &str) -> Result<(), String> {
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
