//! The generated `install-credentials.sh` and its sha256 tool: it hashes
//! with `sha256sum`, else `shasum -a 256`, else `openssl dgst -sha256`, and
//! fails naming the problem (never a password), leaving no file, when none
//! is on PATH or the tool prints no 64-hex-character digest. Each case runs
//! the real script under `sh` with a PATH holding only the programs it uses.

mod support;

use cachegen::policy::model::Policy;
use cachegen::render::OutputFile;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use support::render::render;

const SINGLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/verify/single.yaml"
);

/// What the installer runs besides a sha256 tool.
const TOOLS: &[&str] = &[
    "sh", "cut", "sed", "cat", "mktemp", "chmod", "mv", "mkdir", "rm",
];

fn real(program: &str) -> String {
    let o = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .unwrap();
    let path = String::from_utf8(o.stdout).unwrap().trim().to_owned();
    assert!(
        !path.is_empty(),
        "{program} is not on PATH; this test needs it"
    );
    path
}

/// A directory with links to `TOOLS` and to `extra` (each a program on
/// PATH), to be the installer's whole PATH.
fn bin_with(extra: &[&str]) -> tempfile::TempDir {
    let bin = tempfile::tempdir().unwrap();
    for program in TOOLS.iter().chain(extra) {
        std::os::unix::fs::symlink(real(program), bin.path().join(program)).unwrap();
    }
    bin
}

fn setup() -> (Policy, Vec<OutputFile>) {
    let (report, files) = render(SINGLE);
    (report.policy.unwrap(), files)
}

struct Run {
    ok: bool,
    stderr: String,
    out: tempfile::TempDir,
    passwords: std::collections::BTreeMap<String, String>,
}

impl Run {
    fn users_acl(&self) -> Option<String> {
        std::fs::read_to_string(self.out.path().join("creds/users.acl")).ok()
    }

    /// Files the installer left in its output directory (none after a failure).
    fn left(&self) -> Vec<String> {
        match std::fs::read_dir(self.out.path().join("creds")) {
            Ok(dir) => dir
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

fn run(policy: &Policy, files: &[OutputFile], bin: &Path) -> Run {
    let store = &policy.stores["redis"];
    let out = tempfile::tempdir().unwrap();
    let (env, passwords) = support::credentials::passwords(store, &out.path().join("secrets"));
    let o = support::credentials::run_installer(
        files,
        "redis",
        &out.path().join("creds"),
        &env,
        bin.to_str().unwrap(),
    );
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    for pw in passwords.values() {
        assert!(!stderr.contains(pw.as_str()), "a password in: {stderr}");
    }
    Run {
        ok: o.status.success(),
        stderr,
        out,
        passwords,
    }
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Each tool alone on PATH (sha256sum missing in two of them) writes the
/// same, right hashes.
#[test]
fn each_sha256_tool_alone_gives_the_right_hash() {
    let (policy, files) = setup();
    for tool in ["sha256sum", "shasum", "openssl"] {
        let bin = bin_with(&[tool]);
        let run = run(&policy, &files, bin.path());
        assert!(run.ok, "{tool}: {}", run.stderr);
        let acl = run.users_acl().expect("users.acl");
        for user in ["admin", "cachegen-verify"] {
            let line = acl
                .lines()
                .find(|l| l.starts_with(&format!("user {user} ")))
                .unwrap_or_else(|| panic!("{tool}: no {user} line in {acl}"));
            let want = format!(" #{}", sha256_hex(&run.passwords[user]));
            assert!(line.ends_with(&want), "{tool}: {line}");
        }
    }
}

#[test]
fn no_sha256_tool_fails_before_writing_anything() {
    let (policy, files) = setup();
    let bin = bin_with(&[]);
    let run = run(&policy, &files, bin.path());
    assert!(!run.ok, "succeeded without a sha256 tool");
    assert!(
        run.stderr.contains("no sha256 tool found") && run.stderr.contains("sha256sum"),
        "{}",
        run.stderr
    );
    assert_eq!(run.left(), Vec::<String>::new());
}

/// A `sha256sum` that prints no digest (a broken or foreign tool): the run
/// fails naming the tool and the reference, instead of writing `#` with no
/// hash (the pipeline's status is `cut`'s, 0).
#[test]
fn a_tool_printing_no_digest_fails_naming_it() {
    let (policy, files) = setup();
    for (name, script) in [
        ("silent", "#!/bin/sh\nexit 1\n"),
        ("short", "#!/bin/sh\nprintf 'abc123  -\\n'\n"),
        (
            "not hex",
            "#!/bin/sh\nprintf '%064d  -\\n' 0 | sed 's/0/g/'\n",
        ),
    ] {
        let bin = bin_with(&[]);
        let fake = bin.path().join("sha256sum");
        std::fs::write(&fake, script).unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let run = run(&policy, &files, bin.path());
        assert!(!run.ok, "{name}: succeeded");
        assert!(
            run.stderr.contains("`sha256sum` did not print a sha256")
                && run
                    .stderr
                    .contains("environment variable REDIS_ADMIN_PASSWORD"),
            "{name}: {}",
            run.stderr
        );
        assert_eq!(run.left(), Vec::<String>::new(), "{name}");
    }
}
