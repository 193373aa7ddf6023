//! Owns judging verify's access probes (`probe`, recorded in
//! `observed::Probes`), one finding per concern listing the nodes:
//! - CG440: a connection that never authenticated was served (any reply
//!   but `NOAUTH`/`DENIED`/unknown command, `Answer::served`): an error when
//!   the store declares `access:`, a warning when it does not (cachegen's
//!   output never allows it either way);
//! - CG441: verify's own user ran a command outside its list (anything but
//!   NOPERM to `ECHO`, `GET`, or `CONFIG GET` where the store withholds it);
//! - CG442: a TLS store without `plain_port` answered in plain text on
//!   `--plain-port` (any RESP reply; refused or silent is what it should be),
//!   or verify itself connected to a TLS store in plain text;
//! - CG443: verify got in as `default` with a password: that user is on
//!   (error or warning as CG440).

use super::nodes_text;
use crate::diag::{Diagnostic, Severity, codes};
use crate::policy::model::Policy;
use crate::verify::conn::Probe;
use crate::verify::observed::{Answer, Observed};

pub fn judge(policy: &Policy, observed: &Observed) -> Vec<Diagnostic> {
    let store = observed.store(policy);
    let access_span = if store.access.declared {
        policy.key_span(&store.access.pointer)
    } else {
        policy.key_span(&store.pointer)
    };
    let mut out = Vec::new();

    let (severity, why) = if store.access.declared {
        (Severity::Error, "the store declares `access:`")
    } else {
        (
            Severity::Warning,
            "the store declares no `access:`, but cachegen's output never allows it",
        )
    };
    let mut served = Vec::new();
    let mut default_on = Vec::new();
    let mut broader: Vec<(String, String)> = Vec::new();
    let mut plain: Vec<(String, String)> = Vec::new();
    for (node, facts) in observed.reached() {
        let probes = &facts.probes;
        if probes.default_user_on {
            default_on.push(node.address.to_string());
        }
        if let Some(answer @ Answer::Reply(reply)) = &probes.anonymous
            && answer.served()
        {
            let text = match reply {
                Ok(text) | Err(text) => text.clone(),
            };
            served.push((node.address.to_string(), text));
        }
        let mut ran = Vec::new();
        for (label, answer) in &probes.outside_list {
            match answer {
                Answer::Reply(Err(e)) if e.starts_with("NOPERM") => {}
                // A renamed or disabled CONFIG answers "unknown command"
                // before any ACL check, whoever asks: no proof of a broad
                // user. (ECHO and GET are never renamed away in practice.)
                Answer::Reply(Err(e))
                    if *label == Probe::ConfigGet.label()
                        && crate::verify::observed::is_unknown_command(e) => {}
                Answer::Reply(reply) => ran.push(format!(
                    "{label} answered {}",
                    match reply {
                        Ok(text) => format!("`{text}`"),
                        Err(e) => format!("error `{e}`"),
                    }
                )),
                Answer::NoReply(_) => {}
            }
        }
        if !ran.is_empty() {
            broader.push((node.address.to_string(), ran.join(", ")));
        }
        if probes.verify_in_plain_text {
            let at = node.address.to_string();
            if !plain.iter().any(|(seen, _)| *seen == at) {
                plain.push((at, "verify's own `redis://` connection".into()));
            }
        }
        if let Some((port, Answer::Reply(reply))) = &probes.plain {
            let at = format!("{}:{port}", node.address.host);
            if !plain.iter().any(|(seen, _)| *seen == at) {
                let text = match reply {
                    Ok(text) | Err(text) => format!("`{text}`"),
                };
                plain.push((at, text));
            }
        }
    }

    if !default_on.is_empty() {
        out.push(
            Diagnostic::new(
                codes::DEFAULT_USER_ENABLED,
                format!(
                    "verify authenticated as the `default` user on {}: it is on; {why}",
                    nodes_text(&default_on)
                ),
            )
            .with_severity(severity)
            .with_span(access_span, "access control")
            .with_help(format!(
                "load the store's ACL file (`user default off`) and verify as `{}`",
                crate::verifier::NAME
            )),
        );
    }
    if !served.is_empty() {
        out.push(
            Diagnostic::new(
                codes::UNAUTHENTICATED_ACCESS,
                format!(
                    "a connection that never authenticated was served on {} (PING answered `{}`, not NOAUTH); {why}",
                    nodes_text(&served.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()),
                    served[0].1
                ),
            )
            .with_severity(severity)
            .with_span(access_span, "access control")
            .with_help(
                "anyone who reaches the port reads and writes every key: load the store's users.acl (`user default off`) and keep protected-mode yes",
            ),
        );
    }
    if !broader.is_empty() {
        let nodes: Vec<String> = broader.iter().map(|(n, _)| n.clone()).collect();
        out.push(
            Diagnostic::new(
                codes::VERIFIER_TOO_BROAD,
                format!(
                    "verify's user ran commands outside its list on {} ({}): it may do more than the ACL build emits allows",
                    nodes_text(&nodes),
                    broader[0].1
                ),
            )
            .with_span(access_span, "verifier user")
            .with_help(format!(
                "give verify the `{}` user of the store's users.acl (reset, -@all, then only its commands), not an operator's",
                crate::verifier::NAME
            )),
        );
    }
    if !plain.is_empty() {
        let span = store
            .access
            .tls
            .as_ref()
            .map_or(access_span, |tls| policy.key_span(&tls.pointer));
        let at: Vec<String> = plain.iter().map(|(a, _)| a.clone()).collect();
        out.push(
            Diagnostic::new(
                codes::PLAIN_PORT_OPEN,
                format!(
                    "{} answered in plain text ({}), though the store's TLS sets no `plain_port`",
                    nodes_text(&at),
                    plain[0].1
                ),
            )
            .with_span(span, "TLS without a plain port")
            .with_help(
                "the node's config must say `port 0` (build renders it): passwords and values cross the network unencrypted on that port",
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{facts, node, observed, single};
    use super::*;
    use crate::verify::observed::Probes;

    fn probed(probes: Probes) -> crate::verify::observed::NodeFacts {
        let mut f = facts(&[]);
        f.probes = probes;
        f
    }

    fn pong() -> Option<Answer> {
        Some(Answer::Reply(Ok("PONG".into())))
    }

    fn codes_and_severities(policy: &Policy, seen: &Observed) -> Vec<(&'static str, Severity)> {
        judge(policy, seen)
            .iter()
            .map(|d| (d.code.code, d.severity))
            .collect()
    }

    #[test]
    fn an_anonymous_pong_is_an_error_only_where_access_is_declared() {
        let mut p = single();
        let open = Probes {
            anonymous: pong(),
            ..Probes::default()
        };
        let refused = Probes {
            anonymous: Some(Answer::Reply(Err("NOAUTH Authentication required.".into()))),
            ..Probes::default()
        };
        let seen = observed(
            false,
            vec![
                node("127.0.0.1:1", None, Some(probed(open))),
                node("127.0.0.1:2", None, Some(probed(refused))),
            ],
        );
        assert_eq!(
            codes_and_severities(&p, &seen),
            vec![("CG440", Severity::Warning)]
        );
        let message = &judge(&p, &seen)[0].message;
        assert!(
            message.contains("on 127.0.0.1:1 (PING answered `PONG`"),
            "{message}"
        );
        p.stores.values_mut().for_each(|s| s.access.declared = true);
        assert_eq!(
            codes_and_severities(&p, &seen),
            vec![("CG440", Severity::Error)]
        );
    }

    #[test]
    fn verify_getting_in_as_default_means_the_default_user_is_on() {
        let p = single();
        let on = Probes {
            default_user_on: true,
            ..Probes::default()
        };
        let seen = observed(false, vec![node("127.0.0.1:1", None, Some(probed(on)))]);
        assert_eq!(
            codes_and_severities(&p, &seen),
            vec![("CG443", Severity::Warning)]
        );
        let seen = observed(
            false,
            vec![node("127.0.0.1:1", None, Some(probed(Probes::default())))],
        );
        assert!(judge(&p, &seen).is_empty());
    }

    #[test]
    fn only_noperm_to_the_probe_is_fine() {
        let p = single();
        let answer = |a: Answer| Probes {
            outside_list: vec![("ECHO", a)],
            ..Probes::default()
        };
        let seen = observed(
            false,
            vec![
                node(
                    "127.0.0.1:1",
                    None,
                    Some(probed(answer(Answer::Reply(Err(
                        "NOPERM this user has no permissions to run the 'echo' command".into(),
                    ))))),
                ),
                node(
                    "127.0.0.1:2",
                    None,
                    Some(probed(answer(Answer::NoReply("lost".into())))),
                ),
                node("127.0.0.1:3", None, Some(probed(Probes::default()))),
            ],
        );
        assert!(judge(&p, &seen).is_empty());
        for broad in [
            Answer::Reply(Ok("cachegen-verify".into())),
            Answer::Reply(Err("ERR unknown command 'ECHO'".into())),
        ] {
            let seen = observed(
                false,
                vec![node("127.0.0.1:4", None, Some(probed(answer(broad))))],
            );
            assert_eq!(
                codes_and_severities(&p, &seen),
                vec![("CG441", Severity::Error)]
            );
        }
    }

    #[test]
    fn any_anonymous_reply_but_noauth_denied_or_unknown_command_is_served() {
        let p = single();
        let anonymous = |e: &str| Probes {
            anonymous: Some(Answer::Reply(Err(e.into()))),
            ..Probes::default()
        };
        for refused in [
            "NOAUTH Authentication required.",
            "DENIED Redis is running in protected mode because protected mode is enabled",
            "ERR unknown command 'PING', with args beginning with: ",
        ] {
            let seen = observed(
                false,
                vec![node("127.0.0.1:1", None, Some(probed(anonymous(refused))))],
            );
            assert!(judge(&p, &seen).is_empty(), "{refused}");
        }
        // Logged in as `default`, which may not PING: still served.
        let seen = observed(
            false,
            vec![node(
                "127.0.0.1:1",
                None,
                Some(probed(anonymous(
                    "NOPERM this user has no permissions to run the 'ping' command",
                ))),
            )],
        );
        assert_eq!(
            codes_and_severities(&p, &seen),
            vec![("CG440", Severity::Warning)]
        );
    }

    #[test]
    fn every_probe_must_be_refused_but_a_renamed_config_proves_nothing() {
        let p = single();
        let noperm = || Answer::Reply(Err("NOPERM no".into()));
        let with = |get: Answer, config: Answer| Probes {
            outside_list: vec![
                ("ECHO", noperm()),
                ("GET", get),
                ("CONFIG GET maxmemory", config),
            ],
            ..Probes::default()
        };
        let seen = |probes| observed(false, vec![node("127.0.0.1:1", None, Some(probed(probes)))]);
        assert!(judge(&p, &seen(with(noperm(), noperm()))).is_empty());
        let unknown = || {
            Answer::Reply(Err(
                "ERR unknown command 'CONFIG', with args beginning with: ".into(),
            ))
        };
        assert!(judge(&p, &seen(with(noperm(), unknown()))).is_empty());
        let read = judge(&p, &seen(with(Answer::Reply(Ok("(nil)".into())), noperm())));
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].code.code, "CG441");
        assert!(
            read[0].message.contains("(GET answered `(nil)`)"),
            "{}",
            read[0].message
        );
        let config = judge(
            &p,
            &seen(with(noperm(), Answer::Reply(Ok("a reply".into())))),
        );
        assert!(
            config[0].message.contains("CONFIG GET maxmemory answered"),
            "{}",
            config[0].message
        );
    }

    #[test]
    fn verify_in_plain_text_to_a_tls_store_is_cg442() {
        let p = single();
        let probes = Probes {
            verify_in_plain_text: true,
            ..Probes::default()
        };
        let seen = observed(false, vec![node("127.0.0.1:1", None, Some(probed(probes)))]);
        let found = judge(&p, &seen);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code.code, "CG442");
        assert!(
            found[0]
                .message
                .contains("verify's own `redis://` connection"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn any_plain_answer_is_a_finding_once_per_host_and_port() {
        let p = single();
        let plain = |a: Answer| Probes {
            plain: Some((7777, a)),
            ..Probes::default()
        };
        let seen = observed(
            false,
            vec![
                node(
                    "127.0.0.1:1",
                    None,
                    Some(probed(plain(Answer::Reply(Err(
                        "NOAUTH Authentication required.".into(),
                    ))))),
                ),
                node(
                    "127.0.0.1:2",
                    None,
                    Some(probed(plain(Answer::Reply(Ok("PONG".into()))))),
                ),
                node(
                    "127.0.0.2:1",
                    None,
                    Some(probed(plain(Answer::NoReply("connection refused".into())))),
                ),
            ],
        );
        let found = judge(&p, &seen);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].code.code, "CG442");
        assert!(
            found[0]
                .message
                .starts_with("127.0.0.1:7777 answered in plain text (`NOAUTH"),
            "{}",
            found[0].message
        );
    }
}
