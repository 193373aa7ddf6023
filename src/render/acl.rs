//! Owns the verifier ACL target: the least-privilege Redis user that
//! `cachegen verify` connects as. Read-only by construction: `-@all`, then
//! only the commands verify sends (`crate::verifier::COMMANDS`), less
//! `client|no-touch` for servers that do not have it (an ACL naming an
//! unknown command is refused as a whole).

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
/// (`%R~*`), no pub/sub, no commands but the allow-list. `no_touch`: the
/// target server has `CLIENT NO-TOUCH` (Redis 7.2+, Valkey); without it,
/// `+client|no-touch` would make `ACL SETUSER` fail (Redis 7.0 does not know
/// the command), and verify does not send it there.
pub fn verifier_rules(no_touch: bool) -> String {
    let mut rules = vec![
        "reset".to_owned(),
        "on".into(),
        "%R~*".into(),
        "resetchannels".into(),
        "-@all".into(),
    ];
    rules.extend(
        verifier::COMMANDS
            .iter()
            .filter(|c| no_touch || **c != verifier::NEEDS_NO_TOUCH)
            .map(|c| format!("+{c}")),
    );
    rules.join(" ")
}

#[derive(Serialize)]
struct Context {
    user: &'static str,
    rules: String,
}

pub fn render(
    _policy: &Policy,
    store: &Store,
    r: &Renderer<'_>,
) -> Result<Vec<OutputFile>, RenderError> {
    // Every Valkey has NO-TOUCH; Redis from 7.2 (the ACL CAT facts of each
    // release list `client|no-touch`). An ACL naming a command the server
    // lacks fails to load, so the rule follows the store's engine and version.
    let no_touch = crate::facts::has_no_touch(store.engine, store.redis.version);
    let context = Context {
        user: VERIFIER_USER,
        rules: verifier_rules(no_touch),
    };
    Ok(vec![OutputFile {
        path: "verifier.acl".into(),
        contents: r.render("redis/verifier.acl.j2", Some("#"), &context)?,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_touch_is_granted_only_where_the_server_has_it() {
        let with = verifier_rules(true);
        let without = verifier_rules(false);
        assert!(with.contains(" +client|no-touch "), "{with}");
        assert!(!without.contains("no-touch"), "{without}");
        // Everything else is the same list, in the same order.
        assert_eq!(with.replace(" +client|no-touch", ""), without);
        use crate::facts::{Engine, has_no_touch};
        assert!(has_no_touch(Engine::Redis, (7, 2)) && has_no_touch(Engine::Redis, (8, 0)));
        assert!(!has_no_touch(Engine::Redis, (7, 0)) && !has_no_touch(Engine::Redis, (6, 2)));
        assert!(has_no_touch(Engine::Valkey, (8, 0)));
    }
}
