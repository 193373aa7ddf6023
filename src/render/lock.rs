//! Owns rendering `policy.lock.json`: the lock types of `policy::lock`,
//! built once per render by the driver (`check::lock_for`, which adds the
//! `CONFIG GET` strings and the resolved lint levels) and held by `Origin`,
//! whose header hash comes from it; serialized here. Reviewers diff the file to see what a policy change
//! really changes, and `verify` can run from it where the YAML source is not
//! deployed.

use super::{OutputFile, RenderError, Renderer};
use crate::policy::model::Policy;
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[(
    "lock/policy.lock.json.j2",
    include_str!("../../templates/lock/policy.lock.json.j2"),
)];

#[derive(Serialize)]
struct Context {
    json: String,
}

pub fn render(_policy: &Policy, r: &Renderer<'_>) -> Result<Vec<OutputFile>, RenderError> {
    let json = serde_json::to_string_pretty(&r.origin().lock)
        .map_err(|e| RenderError(format!("policy.lock.json: {e}")))?;
    Ok(vec![OutputFile {
        path: "policy.lock.json".into(),
        contents: r.render("lock/policy.lock.json.j2", None, &Context { json })?,
    }])
}
