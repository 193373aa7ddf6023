//! Owns reading a policy's bytes from where a user names it: a file path, or
//! `git:REF:path` (a committed version, for `cachegen diff` in CI). Only
//! `git cat-file` is run, never a shell, and a ref cannot be read as an option.

/// The bytes of the policy named by `spec`.
pub fn read(spec: &str) -> Result<Vec<u8>, String> {
    let Some(rest) = spec.strip_prefix("git:") else {
        return std::fs::read(spec).map_err(|e| format!("cannot read `{spec}`: {e}"));
    };
    let (reference, path) = rest
        .split_once(':')
        .ok_or_else(|| format!("`{spec}` is not `git:REF:path`"))?;
    // A ref starting with `-` would be read by git as an option.
    if reference.starts_with('-') || reference.is_empty() {
        return Err(format!("`{reference}` is not a git revision"));
    }
    let out = std::process::Command::new("git")
        .args(["cat-file", "blob", &format!("{reference}:{path}")])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git cat-file blob {reference}:{path} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}
