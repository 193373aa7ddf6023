//! Owns the binary's signal handling: SIGINT and SIGTERM during `verify`
//! are recorded (`verify::stop::interrupt`), so the run stops talking to
//! servers and prints the partial report (exit 3). A second signal of the
//! same kind gets the default behaviour (`SA_RESETHAND`): a user who presses
//! Ctrl-C twice is not held up by the report.

/// Installs the handlers. Does nothing where they cannot be installed: the
/// run then ends on a signal the way it always did.
pub fn stop_on_interrupt() {
    #[cfg(unix)]
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: `on_signal` only stores into an atomic, which is
        // async-signal-safe; the `sigaction` struct is zeroed, then its
        // handler, an empty mask and the flags are set before use.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART | libc::SA_RESETHAND;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    cachegen::verify::stop::interrupt(signal);
}
