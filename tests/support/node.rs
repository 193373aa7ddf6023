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

/// The compiler options every TypeScript test compiles with: `strict` and
/// the stricter checks a careful Node service turns on, so the generated
/// module compiles in any project that is stricter than the default.
/// `skipLibCheck` skips only dependencies' `.d.ts` files (ioredis 6's
/// declarations import an untyped package), as nearly every project does;
/// every `.ts` file is still checked.
pub const TSCONFIG: &str = r#"{
  "compilerOptions": {
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "exactOptionalPropertyTypes": true,
    "noImplicitOverride": true,
    "noImplicitReturns": true,
    "noFallthroughCasesInSwitch": true,
    "noPropertyAccessFromIndexSignature": true,
    "useUnknownInCatchVariables": true,
    "skipLibCheck": true,
    "target": "es2022",
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "types": ["node"],
    "outDir": "out",
    "rootDir": ".",
    "declaration": false,
    "sourceMap": false
  }
}
"#;

/// A throwaway TypeScript project: `files` (relative path, text), a
/// package.json making them ES modules, [`TSCONFIG`] listing them, and a
/// `node_modules` link to the pinned tools (so `@types/node`, `ioredis` and
/// `node:test` resolve as in a real service).
pub fn ts_project(files: &[(&str, &str)]) -> tempfile::TempDir {
    ts_project_with(TSCONFIG, files)
}

/// [`ts_project`] with other compiler options (`config`, a tsconfig.json
/// text; its `files` are set here).
pub fn ts_project_with(config: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::os::unix::fs::symlink(node_modules(), root.join("node_modules"))
        .expect("link node_modules");
    std::fs::write(root.join("package.json"), "{\"type\": \"module\"}\n").expect("package.json");
    let mut config: serde_json::Value = serde_json::from_str(config).expect("a tsconfig is JSON");
    config["files"] = files
        .iter()
        .map(|(path, _)| serde_json::Value::from(*path))
        .collect();
    std::fs::write(root.join("tsconfig.json"), config.to_string()).expect("tsconfig.json");
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write a source file");
    }
    dir
}

/// Runs the pinned `tsc -p` in `project`; emits JavaScript into `out/`
/// (same relative paths, `.ts` → `.js`). Returns (success, diagnostics).
pub fn tsc(project: &Path) -> (bool, String) {
    let mut cmd = Command::new(node_binary());
    cmd.arg(tsc_script())
        .args(["-p", "tsconfig.json", "--pretty", "false"])
        .current_dir(project);
    run(cmd, &project.join("tsc.log"), Duration::from_secs(180))
}

/// Runs `node --test` on compiled test files (paths relative to
/// `project`, e.g. `out/keys.test.js`) with extra environment variables.
pub fn node_test(
    project: &Path,
    tests: &[&str],
    env: &[(&str, &str)],
    deadline: Duration,
) -> (bool, String) {
    let mut cmd = Command::new(node_binary());
    cmd.arg("--test")
        .arg("--test-reporter=spec")
        .args(tests)
        .current_dir(project);
    for (key, value) in env {
        cmd.env(key, value);
    }
    run(cmd, &project.join("node-test.log"), deadline)
}
