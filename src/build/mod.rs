//! Owns `cachegen build` as a library operation: render every checked policy
//! in memory, refuse two policies with one output name, then write each
//! policy's directory (or, with `--check`, compare it) and deal with the
//! directories of policies that no longer exist. What happens is reported
//! through events, so the binary only prints them.

mod files;

pub use files::{MANIFEST, Stale, check, orphans, remove_generated, write};

use crate::FileReport;
use crate::render::{OutputFile, Templates};
use std::path::{Path, PathBuf};

/// Write the generated files, or only compare them (`build --check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

/// What to build and where.
#[derive(Debug)]
pub struct Options<'a> {
    /// Output root; each policy goes to `out/<policy name>/`.
    pub out: &'a Path,
    pub mode: Mode,
    /// The policies are every policy there is (none named on the command
    /// line), so an output directory without a policy is an orphan.
    pub every_policy: bool,
    pub templates: &'a Templates,
}

/// One thing `build` did or found, in the order it happened.
#[derive(Debug)]
pub enum Event<'a> {
    /// The policy has error-level findings (or could not be read).
    NothingBuilt {
        policy: &'a str,
    },
    Wrote {
        dir: &'a Path,
        files: usize,
    },
    UpToDate {
        dir: &'a Path,
    },
    Stale {
        dir: &'a Path,
        stale: &'a [Stale],
    },
    /// In `--check`: an output directory whose policy no longer exists.
    OrphanFound {
        dir: &'a Path,
    },
    OrphanRemoved {
        dir: &'a Path,
    },
}

/// Builds every report without error-level findings. `Ok(true)` when
/// `--check` found stale or orphaned output. `Err` is for what stops a build
/// as a whole (a template error, two policies with one name, an I/O failure);
/// findings in the policies themselves are in the reports.
pub fn run(
    reports: &[FileReport],
    options: &Options,
    on_event: &mut dyn FnMut(Event),
) -> Result<bool, String> {
    let rendered = render_every(reports, options, on_event)?;
    let mut stale_found = false;
    for Rendered { dir, files, .. } in &rendered {
        match options.mode {
            Mode::Check => {
                let stale = check(dir, files);
                if stale.is_empty() {
                    on_event(Event::UpToDate { dir });
                } else {
                    on_event(Event::Stale { dir, stale: &stale });
                    stale_found = true;
                }
            }
            Mode::Write => {
                write(dir, files).map_err(|e| format!("cannot write {}: {e}", dir.display()))?;
                on_event(Event::Wrote {
                    dir,
                    files: files.len(),
                });
            }
        }
    }
    if options.every_policy {
        let built: Vec<String> = rendered.iter().map(|r| r.name.clone()).collect();
        for orphan in orphans(options.out, &built) {
            match options.mode {
                Mode::Check => {
                    on_event(Event::OrphanFound { dir: &orphan });
                    stale_found = true;
                }
                Mode::Write => {
                    remove_generated(&orphan)
                        .map_err(|e| format!("cannot clean {}: {e}", orphan.display()))?;
                    on_event(Event::OrphanRemoved { dir: &orphan });
                }
            }
        }
    }
    Ok(stale_found)
}

/// One policy's output, rendered in memory.
struct Rendered {
    name: String,
    dir: PathBuf,
    files: Vec<OutputFile>,
}

/// Renders everything before anything is written: a template error in the
/// second policy must not leave the first half-updated.
fn render_every(
    reports: &[FileReport],
    options: &Options,
    on_event: &mut dyn FnMut(Event),
) -> Result<Vec<Rendered>, String> {
    let mut rendered: Vec<Rendered> = Vec::new();
    for report in reports {
        let Some(result) = crate::render_report(report, options.templates) else {
            on_event(Event::NothingBuilt {
                policy: report.source.name(),
            });
            continue;
        };
        let files = result.map_err(|e| e.to_string())?;
        let name = report
            .policy
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default();
        if rendered.iter().any(|r| r.name == name) {
            return Err(format!(
                "two policies are named `{name}`; each needs its own output directory"
            ));
        }
        rendered.push(Rendered {
            dir: options.out.join(&name),
            name,
            files,
        });
    }
    Ok(rendered)
}
