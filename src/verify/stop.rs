//! Owns when a run must stop early: its whole-run deadline (`--deadline`)
//! and an interruption (SIGINT or SIGTERM, recorded by the binary's signal
//! handler). Every blocking wait in `conn` and every loop in `keyspace`
//! asks [`Deadline::stopped`], so a stopped run returns what it saw within
//! a fraction of a second and the report of it is printed (incomplete,
//! exit 3) instead of nothing.

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// The signal that interrupted the run, 0 while none has.
static INTERRUPTED: AtomicI32 = AtomicI32::new(0);

/// Records an interruption. Async-signal-safe (one atomic store), so a
/// signal handler may call it.
pub fn interrupt(signal: i32) {
    INTERRUPTED.store(signal.max(1), Ordering::SeqCst);
}

/// The longest one blocking read waits before it looks at the deadline and
/// the interruption flag again.
pub const SLICE: Duration = Duration::from_millis(100);

/// When the whole run must end.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// `budget` from now.
    pub fn after(budget: Duration) -> Deadline {
        let now = Instant::now();
        Deadline {
            at: now
                .checked_add(budget)
                .unwrap_or(now + Duration::from_secs(86_400 * 365)),
            budget,
        }
    }

    /// Time left (zero once passed or interrupted).
    pub fn remaining(&self) -> Duration {
        if INTERRUPTED.load(Ordering::SeqCst) != 0 {
            return Duration::ZERO;
        }
        self.at.saturating_duration_since(Instant::now())
    }

    /// Why the run must stop now, if it must.
    pub fn stopped(&self) -> Option<String> {
        match INTERRUPTED.load(Ordering::SeqCst) {
            0 if Instant::now() >= self.at => Some(format!(
                "the run reached its deadline (--deadline {})",
                crate::load::units::Duration::from_micros(self.budget.as_micros() as u64)
            )),
            0 => None,
            15 => Some("the run was stopped (SIGTERM)".into()),
            2 => Some("the run was interrupted (SIGINT)".into()),
            n => Some(format!("the run was stopped (signal {n})")),
        }
    }
}
