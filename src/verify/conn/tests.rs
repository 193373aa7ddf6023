//! Unit tests of `verify::conn`: the command allow-list against the verifier's
//! ACL, encoding, and the connection's limits.

use super::*;

#[test]
fn every_variant_is_listed_and_encodes_its_own_name() {
    let secret = Secret::new("pw");
    let names: &[&str] = &["maxmemory"];
    let all = [
        Command::Auth {
            user: Some("u"),
            password: &secret,
        },
        Command::Select(1),
        Command::Ping,
        Command::ClientSetName,
        Command::ClientNoTouch,
        Command::Info("stats"),
        Command::Dbsize,
        Command::ConfigGet(names),
        Command::ConfigGetAll,
        Command::Scan {
            cursor: b"0",
            count: 50_000,
        },
        Command::Pttl(b"k"),
        Command::Type(b"k"),
        Command::MemoryUsage(b"k"),
        Command::Strlen(b"k"),
        Command::Probe(Probe::Echo),
        Command::Probe(Probe::Get(0xfeed)),
        Command::Probe(Probe::ConfigGet),
        Command::ClusterNodes,
        Command::SentinelMasters,
        Command::SentinelMaster("m"),
        Command::SentinelReplicas("m"),
        Command::SentinelSentinels("m"),
        Command::SentinelCkquorum("m"),
        Command::SentinelMasterAddr("m"),
    ];
    // A new variant must be added to `all` above: this match has no
    // wildcard, so it stops compiling until the variant is handled here.
    for command in &all {
        match command {
            Command::Auth { .. }
            | Command::Select(_)
            | Command::Ping
            | Command::ClientSetName
            | Command::ClientNoTouch
            | Command::Info(_)
            | Command::Dbsize
            | Command::ConfigGet(_)
            | Command::ConfigGetAll
            | Command::Scan { .. }
            | Command::Pttl(_)
            | Command::Type(_)
            | Command::MemoryUsage(_)
            | Command::Strlen(_)
            | Command::Probe(_)
            | Command::ClusterNodes
            | Command::SentinelMasters
            | Command::SentinelMaster(_)
            | Command::SentinelReplicas(_)
            | Command::SentinelSentinels(_)
            | Command::SentinelCkquorum(_)
            | Command::SentinelMasterAddr(_) => {}
        }
    }
    // The variants and `verifier::COMMANDS` are the same set: nothing
    // verify sends is refused by the ACL, and the ACL grants nothing
    // verify never sends.
    let sent: Vec<&str> = all
        .iter()
        .filter(|c| !matches!(c, Command::Probe(_)) && !c.for_sentinel())
        .map(|c| c.acl_name())
        .collect();
    // Probes are the one exception: names the ACL never grants, or
    // (withheld probes) grants only where the store does not withhold
    // them, which is where verify sends them as probes instead.
    for command in &all {
        if let Command::Probe(p) = command {
            let name = p.acl_name();
            if crate::verifier::PROBES.contains(&name) {
                assert!(!SENDABLE.contains(&name), "`{name}` is granted");
            } else {
                assert!(
                    crate::verifier::WITHHELD_PROBES.contains(&name),
                    "`{name}` is no probe"
                );
            }
        }
    }
    for listed in crate::verifier::PROBES
        .iter()
        .chain(crate::verifier::WITHHELD_PROBES)
    {
        assert!(
            all.iter()
                .any(|c| matches!(c, Command::Probe(p) if p.acl_name() == *listed)),
            "probe `{listed}` has no variant"
        );
    }
    for name in &sent {
        assert!(
            *name == "auth" || SENDABLE.contains(name),
            "`{name}` is sent but not granted"
        );
    }
    for granted in SENDABLE {
        assert!(
            sent.contains(granted),
            "`{granted}` is granted but never sent"
        );
    }
    // The Sentinel variants and `verifier::SENTINEL_COMMANDS` are the same
    // set too, with what `open_sentinel` sends (AUTH, PING) and INFO: the
    // Sentinels' verifier ACL grants nothing verify never sends but the
    // handshake it names, and refuses nothing verify sends them.
    let sentinel = crate::verifier::SENTINEL_COMMANDS;
    let to_sentinels: Vec<&str> = all
        .iter()
        .filter(|c| {
            c.for_sentinel() || matches!(c, Command::Auth { .. } | Command::Ping | Command::Info(_))
        })
        .map(|c| c.acl_name())
        .collect();
    for name in &to_sentinels {
        assert!(
            sentinel.contains(name),
            "`{name}` is sent to Sentinels but not granted"
        );
        assert!(
            !SENDABLE.contains(name) || !name.starts_with("sentinel|"),
            "`{name}` is granted on data nodes"
        );
    }
    for granted in sentinel {
        assert!(
            to_sentinels.contains(granted)
                || crate::verifier::SENTINEL_GRANTED_UNSENT.contains(granted),
            "`{granted}` is granted on Sentinels but never sent"
        );
    }
    for unsent in crate::verifier::SENTINEL_GRANTED_UNSENT {
        assert!(
            !to_sentinels.contains(unsent),
            "`{unsent}` is sent after all"
        );
    }
    for command in all {
        let name = command.acl_name();
        let mut wire = Vec::new();
        command.encode(&mut wire);
        let (reply, _) = resp::parse(&wire).unwrap();
        let Reply::Array(parts) = reply else { panic!() };
        let words: Vec<String> = parts
            .iter()
            .take(2)
            .map(|p| p.as_text().unwrap().to_ascii_lowercase())
            .collect();
        let first = name.split('|').next().unwrap();
        assert_eq!(words[0], first);
        if let Some(sub) = name.split('|').nth(1) {
            assert_eq!(words[1], sub);
        }
        if let Command::Scan { .. } = command {
            // COUNT is clamped to the production-safe maximum.
            assert_eq!(parts[3].as_text().unwrap(), MAX_SCAN_COUNT.to_string());
        }
    }
}
