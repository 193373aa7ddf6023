//! Owns verify's access probes on one node, each a question whose expected
//! answer is a refusal: does a stranger get served (`PING` on a connection
//! that never authenticated), may verify's own user run a command outside
//! its list (`ECHO`), and does a TLS store also answer in plain text on
//! `--plain-port`? And did verify itself get in as `default`? It records
//! the answers (`observed::Probes`); the
//! `judge::access` functions decide what they mean.
//!
//! Nothing here sends a command other than `PING` and the probe variant of
//! `conn::Command`, and the probe connections carry no credentials.

use super::Options;
use super::conn::{Command, ConnError, Connection, Probe};
use super::observed::{Answer, Probes};
use super::resp::Reply;
use super::target::{Address, Target, printable};
use crate::policy::model::Store;

/// Probes the node `conn` is connected to (as verify's user). Only a lost
/// verify connection is an error; a probe that gets no answer is recorded.
pub fn probe(conn: &mut Connection, options: &Options, store: &Store) -> Result<Probes, ConnError> {
    let address = conn.address.clone();
    let anonymous = Some(ping(Connection::open_anonymous(
        &address,
        options.tls.as_ref(),
        options.limits,
    )));
    // As `default`, verify is not the user `build` generates: what that
    // user may do says nothing about the verifier ACL (and a `default`
    // without a password is the anonymous probe's finding).
    let outside_list = if connects_as_default(&options.target) {
        None
    } else {
        Some(answer(conn.call(Command::Probe(Probe::Echo))?))
    };
    let plain = store
        .access
        .tls
        .as_ref()
        .filter(|tls| tls.plain_port.is_none())
        .map(|_| {
            let at = Address {
                host: address.host.clone(),
                port: options.plain_port,
            };
            (
                options.plain_port,
                ping(Connection::open_anonymous(&at, None, options.limits)),
            )
        });
    Ok(Probes {
        anonymous,
        outside_list,
        plain,
        // The connection is open, so the AUTH it sent succeeded.
        default_user_on: connects_as_default(&options.target) && options.target.password.is_some(),
    })
}

/// Whether verify authenticates as the `default` user (no user named, or
/// `default` itself).
pub fn connects_as_default(target: &Target) -> bool {
    target.user.as_deref().is_none_or(|u| u == "default")
}

/// `PING` on a connection that sent nothing else.
fn ping(opened: Result<Connection, ConnError>) -> Answer {
    match opened.and_then(|mut c| c.call(Command::Ping)) {
        Ok(reply) => answer(reply),
        Err(e) => Answer::NoReply(e.to_string()),
    }
}

fn answer(reply: Reply) -> Answer {
    match reply {
        Reply::Error(e) => Answer::Reply(Err(printable(&e))),
        other => Answer::Reply(Ok(match other.as_text() {
            Some(text) => printable(&text),
            None => "a reply".into(),
        })),
    }
}
