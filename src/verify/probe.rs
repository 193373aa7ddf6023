//! Owns verify's access probes on one node, each a question whose expected
//! answer is a refusal: does a stranger get served (`PING` on a connection
//! that never authenticated), may verify's own user run a command outside
//! its list (`ECHO`, a value read `GET`, and `CONFIG GET` where the store
//! withholds it), and does a TLS store also answer in plain text on
//! `--plain-port`? And did verify itself get in as `default`, or over plain
//! text to a TLS store? It records the answers (`observed::Probes`); the
//! `judge::access` functions decide what they mean.
//!
//! Nothing here sends a command other than `PING` and the probe variant of
//! `conn::Command`, and the probe connections carry no credentials. A
//! probe's reply that is not an error is never recorded as text when it
//! could be a value (`GET`).

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
    let mut outside_list = Vec::new();
    if !connects_as_default(&options.target) {
        let mut probes = vec![Probe::Echo, Probe::Get(random_suffix())];
        // Where the store withholds CONFIG GET from the verifier, verify
        // never sends it to read config (`gather`); whether the server
        // agrees is a probe like the others.
        if !store.verifier_may_config_get() {
            probes.push(Probe::ConfigGet);
        }
        for p in probes {
            let reply = conn.call(Command::Probe(p))?;
            outside_list.push((p.label(), record(p, reply)));
        }
    }
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
        // `options.tls` is what verify's own connections use (`rediss://`).
        // With a password the CLI refuses a `redis://` URL to a TLS store
        // before connecting; without one, the node answering plain text is
        // the finding (a plain port the store does not declare).
        verify_in_plain_text: options.tls.is_none()
            && store
                .access
                .tls
                .as_ref()
                .is_some_and(|tls| tls.plain_port.is_none()),
    })
}

/// A suffix no one can guess ahead of a run: std's per-process random hash
/// keys (no extra dependency), mixed with the clock.
fn random_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
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

/// A probe's answer as recorded: a value read (`GET`) is never kept as
/// text, only whether it was nil.
fn record(probe: Probe, reply: Reply) -> Answer {
    match (probe, reply) {
        (Probe::Get(_), Reply::Nil) => Answer::Reply(Ok("(nil)".into())),
        // Not a random key's nil: whatever it is, it is not shown.
        (Probe::Get(_), reply) if !matches!(reply, Reply::Error(_)) => {
            Answer::Reply(Ok("a value (not shown)".into()))
        }
        (_, reply) => answer(reply),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_read_by_the_get_probe_is_never_recorded() {
        let probe = Probe::Get(0x5eed);
        for reply in [
            Reply::Bulk(b"s3cret-session".to_vec()),
            Reply::Status(b"s3cret-session".to_vec()),
            Reply::Array(vec![Reply::Bulk(b"s3cret-session".to_vec())]),
        ] {
            let recorded = format!("{:?}", record(probe, reply));
            assert!(!recorded.contains("s3cret"), "{recorded}");
            assert!(recorded.contains("not shown"), "{recorded}");
        }
        assert_eq!(record(probe, Reply::Nil), Answer::Reply(Ok("(nil)".into())));
        assert_eq!(
            record(probe, Reply::Error("NOPERM no".into())),
            Answer::Reply(Err("NOPERM no".into()))
        );
    }
}
