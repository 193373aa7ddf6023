//! Owns the verifier ACL target: the least-privilege Redis user that
//! `cachegen verify` connects as. Read-only by construction: `-@all`, then
//! only the commands verify sends (`crate::verifier::COMMANDS`).

use super::{OutputFile, RenderError, Renderer};
use crate::policy::model::{Policy, Store};
use crate::verifier;
use serde::Serialize;

pub const TEMPLATES: &[(&str, &str)] = &[(
    "redis/verifier.acl.j2",
    include_str!("../../templates/redis/verifier.acl.j2"),
)];

/// The ACL user name verify expects by default.
pub const VERIFIER_USER: &str = crate::verifier::NAME;

/// The ACL rules after the user name: reset everything, enable, read any key
/// (`%R~*`), no pub/sub, no commands but the allow-list.
pub fn verifier_rules() -> String {
    let mut rules = vec![
        "reset".to_owned(),
        "on".into(),
        "%R~*".into(),
        "resetchannels".into(),
        "-@all".into(),
    ];
    rules.extend(verifier::COMMANDS.iter().map(|c| format!("+{c}")));
    rules.join(" ")
}

#[derive(Serialize)]
struct Context {
    user: &'static str,
    rules: String,
}

pub fn render(
    _policy: &Policy,
    _store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    let context = Context {
        user: VERIFIER_USER,
        rules: verifier_rules(),
    };
    Ok(vec![OutputFile {
        path: "verifier.acl".into(),
        contents: r.render("redis/verifier.acl.j2", Some("#"), &context)?,
    }])
}
