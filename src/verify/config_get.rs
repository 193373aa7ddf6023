//! Owns reading directives with `CONFIG GET` for `gather`: the managed
//! ones by exact name, and `CONFIG GET *` for `--unmanaged`, secrets
//! dropped as the reply is read. A refusal (NOPERM, or an unknown command
//! where CONFIG is renamed away or disabled) is a value, `ConfigUnread`,
//! not an error: the run goes on with `INFO`.

use super::conn::{Command, ConnError, Connection};
use super::observed::ConfigUnread;
use super::resp::Reply;
use super::server;
use super::target;
use crate::policy::model::Store;
use crate::redis_directives;
use std::collections::BTreeMap;

/// Reads the managed directives with `CONFIG GET` (exact names: a glob also
/// returns alias names). `Err(why)` inside when the server refuses CONFIG (a
/// managed service, or an ACL without `config|get`): not checkable.
pub(super) fn read_config(
    conn: &mut Connection,
    store: &Store,
    version: Option<(u32, u32)>,
) -> Result<Result<BTreeMap<String, String>, ConfigUnread>, ConnError> {
    // A secret is never asked for, whatever the policy says (lower refuses
    // one in `config:`; a lock edited by hand is read through lower too):
    // its value must not reach a report.
    let names: Vec<&str> = redis_directives::managed_directives(store)
        .iter()
        .map(|d| d.name)
        .filter(|name| !crate::facts::secret_anywhere(name))
        .collect();
    let mut values = BTreeMap::new();
    // Several names per CONFIG GET exist since 7.0; before, one call each.
    let batches: Vec<Vec<&str>> = if version.is_some_and(|v| v >= (7, 0)) {
        vec![names]
    } else {
        names.into_iter().map(|n| vec![n]).collect()
    };
    for batch in batches {
        match conn.call(Command::ConfigGet(&batch))? {
            Reply::Array(items) => {
                // Only what was asked for is kept, however much comes back.
                for pair in items.chunks(2).take(batch.len()) {
                    if let [name, value] = pair {
                        values.insert(
                            server::cut(&name.as_text().unwrap_or_default(), 128)
                                .to_ascii_lowercase(),
                            server::cut(&value.as_text().unwrap_or_default(), 256),
                        );
                    }
                }
            }
            Reply::Error(e) => return Ok(Err(ConfigUnread::Refused(target::printable(&e)))),
            _ => {
                return Ok(Err(ConfigUnread::Refused(
                    "CONFIG GET returned an unexpected reply".into(),
                )));
            }
        }
    }
    Ok(Ok(values))
}

/// Most directives kept from one `CONFIG GET *`: Redis 8.0 has about 250;
/// a reply far longer is broken or hostile.
const MAX_DIRECTIVES: usize = 1000;

/// `CONFIG GET *` for `--unmanaged`, keeping only directives some release's
/// facts know and none marks secret: `requirepass`, `masterauth` and the
/// like never leave this function, so no report can print them.
pub(super) fn read_all_config(
    conn: &mut Connection,
) -> Result<Result<BTreeMap<String, String>, ConfigUnread>, ConnError> {
    match conn.call(Command::ConfigGetAll)? {
        Reply::Array(items) => {
            let mut values = BTreeMap::new();
            for pair in items.chunks(2).take(MAX_DIRECTIVES) {
                let [name, value] = pair else { continue };
                let name = name.as_text().unwrap_or_default().to_ascii_lowercase();
                let known = !crate::facts::releases_having(&name).is_empty();
                if !known || crate::facts::secret_anywhere(&name) {
                    continue;
                }
                values.insert(
                    server::cut(&name, 128),
                    server::cut(&value.as_text().unwrap_or_default(), 256),
                );
            }
            Ok(Ok(values))
        }
        Reply::Error(e) => Ok(Err(ConfigUnread::Refused(target::printable(&e)))),
        _ => Ok(Err(ConfigUnread::Refused(
            "CONFIG GET * returned an unexpected reply".into(),
        ))),
    }
}
