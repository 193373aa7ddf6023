//! Owns drawing `cachegen verify`'s progress on the terminal: one bar per
//! primary being scanned, on stderr, fed by the library's `verify::Progress`
//! events. Binary-side because the library never draws.

use cachegen::verify::Progress;
use cachegen::verify::target::Address;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

/// Per-node progress bars on a terminal; nothing otherwise.
pub struct Bars {
    multi: Option<MultiProgress>,
    /// The bar of each node being scanned. Bars are added before any scan
    /// starts; scan threads then only look theirs up. One lock for all is
    /// enough: a thread takes it once per SCAN batch (up to 1,000 keys).
    bars: Mutex<Vec<(Address, ProgressBar)>>,
}

impl Bars {
    /// Draws only when `wanted` and stderr is a terminal: bars in a log file
    /// or a pipe are noise.
    pub fn new(wanted: bool) -> Bars {
        Bars {
            multi: (wanted && std::io::stderr().is_terminal())
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            bars: Mutex::new(Vec::new()),
        }
    }

    /// Draws one event; the callback `verify::run` is given.
    pub fn show(&self, event: Progress<'_>) {
        let Some(multi) = &self.multi else {
            return;
        };
        // A poisoned lock means a drawing thread panicked; the bars are
        // still usable, and progress must never stop the run.
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            Progress::ScanPlanned { node, keys } => {
                let bar = multi.add(ProgressBar::new(keys));
                let style = ProgressStyle::with_template(
                    "{prefix:>22} [{bar:30}] {human_pos}/{human_len} keys, {eta} left",
                )
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar.set_prefix(node.to_string());
                bars.push((node.clone(), bar));
            }
            Progress::Scanned { node, keys } => {
                if let Some((_, bar)) = bars.iter().find(|(a, _)| a == node) {
                    bar.inc(keys);
                }
            }
            Progress::ScansDone => {
                let _ = multi.clear();
            }
        }
    }
}
