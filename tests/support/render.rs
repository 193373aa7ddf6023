//! Test support for build tests: looking up rendered files and masking the
//! policy hash in snapshots.

use cachegen::render::OutputFile;

/// The contents of the rendered file at `path`; panics naming it if absent.
pub fn file<'a>(files: &'a [OutputFile], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} not generated"))
        .contents
}

/// The rendered paths under `dir/`.
pub fn paths_under<'a>(files: &'a [OutputFile], dir: &str) -> Vec<&'a str> {
    files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.starts_with(&format!("{dir}/")))
        .collect()
}

/// The policy's hash changes with every edit of the policy, even of a
/// comment; snapshots are about the layout, so it is masked.
pub fn without_policy_hash(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once("policy sha256: ") {
            Some((prefix, _)) => format!("{prefix}policy sha256: [policy hash]"),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
