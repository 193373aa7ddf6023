//! Test support for the generated TypeScript module: where Node.js and the
//! pinned npm tools (tests/typescript, installed by `scripts/test` with
//! `npm ci`) are, and running them with a deadline. A missing tool panics
//! with how to install it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// tests/typescript: package.json, its lock file and node_modules.
pub fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/typescript")
}

/// `node` from PATH.
pub fn node_binary() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("node"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "node is not on PATH; the TypeScript tests need Node.js 20 or later.\n\
             Install it with `sudo apt-get install -y nodejs npm` (Debian/Ubuntu) or from \
             https://nodejs.org, then run `scripts/test`."
        )
    })
}

/// tests/typescript/node_modules, checked to hold the pinned tools.
pub fn node_modules() -> PathBuf {
    let modules = tools_dir().join("node_modules");
    for package in ["typescript", "ioredis", "@types/node"] {
        assert!(
            modules.join(package).join("package.json").is_file(),
            "{package} is not installed in {}; run `scripts/test`, or \
             `npm ci --ignore-scripts` in tests/typescript (versions pinned by its package-lock.json)",
            modules.display()
        );
    }
    modules
}

/// The pinned TypeScript compiler's entry script (run with `node`).
pub fn tsc_script() -> PathBuf {
    node_modules().join("typescript/bin/tsc")
}

/// Runs `cmd` with a deadline, its output in `out_path`; returns whether it
/// exited 0, and its stdout + stderr.
pub fn run(cmd: Command, out_path: &Path, deadline: Duration) -> (bool, String) {
    let (status, output) = super::run_with_timeout(cmd, out_path, deadline);
    (status.is_some_and(|s| s.success()), output)
}
