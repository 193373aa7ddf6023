//! Owns judging the server's engine against the one the policy declares:
//! Redis or Valkey, read from `INFO server` (`server::flavour`), never from
//! `redis_version` alone.
//!
//! A pure function of the declared engine and version and the observed
//! flavour, so the caller that knows where the policy declares them (a
//! store, once the model has stores) passes the span.

use crate::diag::{Diagnostic, codes};
use crate::source::Span;
use crate::verify::server::{Engine, Flavour};

/// What the policy declares about one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared {
    pub engine: crate::facts::Engine,
    /// (major, minor) of that engine's own releases (`8.0` for Valkey 8).
    pub version: (u32, u32),
}

/// CG419 when the observed engine is not the declared one (an error: the
/// directive facts, defaults and commands are another engine's). A version
/// that differs is not a finding: verify has never judged the version
/// itself, only what follows from it (a directive the server does not have
/// is CG402, from the server's own version), and that stays so. An unknown
/// fork (`server_name` neither redis nor valkey) is a mismatch too.
pub fn judge(declared: Declared, span: Span, observed: &Flavour) -> Option<Diagnostic> {
    if observed.engine.known() == Some(declared.engine) {
        return None;
    }
    let declared_engine = declared.engine.name();
    let help = match observed.engine {
        Engine::Valkey | Engine::Redis => format!(
            "point verify at the {declared_engine} server, or declare `engine: {}` (and its version)",
            observed.engine.name()
        ),
        Engine::Other(_) => format!("point verify at the {declared_engine} server"),
    };
    Some(
        Diagnostic::new(
            codes::ENGINE_MISMATCH,
            format!(
                "the policy declares {declared_engine} {}.{}, but the server is {} {} (INFO server)",
                declared.version.0,
                declared.version.1,
                observed.engine.name(),
                observed.version
            ),
        )
        .with_span(span, "declared here")
        .with_help(help),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::server::{flavour, parse_info};

    /// INFO server as Valkey 8.0.1 sends it (valkey src/server.c, 8.0.1):
    /// `redis_version` first, then `server_name` and `valkey_version`.
    const VALKEY_801: &str = "# Server\r\nredis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:8.0.1\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\n";
    /// Redis 7.0.15 and 7.2.6: no `server_name` at all.
    const REDIS_7015: &str =
        "# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\n";
    const REDIS_726: &str = "# Server\r\nredis_version:7.2.6\r\nredis_mode:standalone\r\n";

    fn run(engine: &str, version: (u32, u32), info: &str) -> Option<String> {
        let engine = match engine {
            "redis" => crate::facts::Engine::Redis,
            "valkey" => crate::facts::Engine::Valkey,
            other => panic!("no engine {other}"),
        };
        judge(
            Declared { engine, version },
            Span::new(3, 9),
            &flavour(&parse_info(info)),
        )
        .map(|d| {
            assert_eq!(d.span, Some(Span::new(3, 9)));
            format!("{} {:?} {}", d.code.code, d.severity, d.message)
        })
    }

    #[test]
    fn valkey_is_told_from_its_server_name_not_its_redis_version() {
        // Valkey 8.0.1 says redis_version:7.2.4: declared Redis 7.2, a
        // mismatch all the same.
        assert_eq!(
            run("redis", (7, 2), VALKEY_801).as_deref(),
            Some(
                "CG419 Error the policy declares redis 7.2, but the server is valkey 8.0.1 (INFO server)"
            )
        );
        assert_eq!(run("valkey", (8, 0), VALKEY_801), None);
        let shouted = VALKEY_801.replace("server_name:valkey", "server_name:Valkey");
        assert_eq!(
            run("valkey", (8, 0), &shouted),
            None,
            "case is not a mismatch"
        );
    }

    #[test]
    fn redis_without_server_name_is_redis() {
        assert_eq!(
            run("valkey", (8, 0), REDIS_7015).as_deref(),
            Some(
                "CG419 Error the policy declares valkey 8.0, but the server is redis 7.0.15 (INFO server)"
            )
        );
        assert_eq!(run("redis", (7, 0), REDIS_7015), None);
        assert_eq!(run("redis", (7, 2), REDIS_726), None);
    }

    #[test]
    fn a_version_that_differs_is_not_a_finding_here() {
        // As before engines: directives the server lacks are CG402 from its
        // own version; the version itself is not judged.
        assert_eq!(run("redis", (7, 2), REDIS_7015), None);
        assert_eq!(run("valkey", (7, 2), VALKEY_801), None);
    }

    #[test]
    fn an_unknown_fork_is_a_mismatch_named_as_it_says() {
        let info = "redis_version:7.2.4\r\nserver_name:keydb\r\n";
        let found = run("redis", (7, 2), info).unwrap();
        assert!(found.contains("the server is keydb 7.2.4"), "{found}");
    }
}
