//! Owns lowering a store's `access:` section: password references (a value
//! written in place of one is CG030, never echoed), the verifier, the
//! services (the fixed users are `fixed_users`'), user and service names,
//! what each service reads, writes, owns and invalidates (names resolved
//! against this store's patterns, tags and the policy's events), TLS and
//! the peers that may connect. A broken entry is reported and dropped, so
//! one run reports every problem.

use super::Cx;
use super::names::{is_dns_label, is_dns_subdomain};
use crate::diag::codes;
use crate::load::escape_pointer_token as esc;
use crate::policy::model::*;
use crate::policy::raw;
use indexmap::IndexMap;
use std::net::IpAddr;

/// What service entries resolve against.
pub(super) struct Names<'a> {
    pub keys: &'a Keys,
    pub tags: &'a IndexMap<String, Tag>,
    pub events: &'a IndexMap<String, Event>,
}

impl Cx<'_> {
    /// Fills `store.access` from its section (left `undeclared` when absent).
    pub(super) fn access(&mut self, store: &mut Store, raw: raw::Access, names: &Names) {
        let pointer = format!("{}/access", store.pointer);
        let mut access = Access::undeclared(&store.pointer);
        access.declared = true;
        if let Some(v) = raw.verifier {
            let at = format!("{pointer}/verifier");
            access.verifier.pointer = at.clone();
            if let Some(p) = v.password
                && let Some(p) = self.secret(p, &format!("{at}/password"), "password")
            {
                access.verifier.password = p;
            }
            access.verifier.config_get = match v.config_get {
                None | Some(raw::ConfigGet::Auto) => ConfigGet::Auto,
                Some(raw::ConfigGet::Allow) => ConfigGet::Allow,
                Some(raw::ConfigGet::Deny) => ConfigGet::Deny,
            };
        }
        let reserved =
            self.fixed_users(store, &mut access, raw.admin, raw.replication, raw.sentinel);
        for (name, service) in raw.services {
            let at = format!("{pointer}/services/{}", esc(&name));
            if let Some(s) = self.service(name.clone(), service, &at, store, &reserved, names) {
                access.services.insert(name, s);
            } else {
                self.mark_unknown(&at);
            }
        }
        if let Some(tls) = raw.tls {
            access.tls = self.tls(tls, &format!("{pointer}/tls"));
        }
        if let Some(from) = raw.clients_from {
            access.clients_from = self.clients_from(from, &format!("{pointer}/clients_from"));
        }
        access.pointer = pointer;
        store.access = access;
    }

    /// An ACL user name: a lowercase label, so it is safe unquoted in an
    /// ACL file, a shell script and a Kubernetes object name.
    pub(super) fn user_name(&mut self, name: &str, pointer: &str, key: bool) -> bool {
        let ok = is_dns_label(name) && name.starts_with(|c: char| c.is_ascii_lowercase());
        if !ok {
            let span = if key {
                self.key_span(pointer)
            } else {
                self.span(pointer)
            };
            self.report(
                codes::INVALID_SYNTAX,
                format!("user name `{}` is not a lowercase label", name.escape_debug()),
                span,
                "invalid user name",
                Some("lowercase letters, digits and `-`, starting with a letter, at most 63 characters".into()),
            );
        }
        ok
    }

    /// A password (or TLS key) reference, checked; `None` after reporting.
    pub(super) fn secret(
        &mut self,
        raw: raw::SecretRef,
        pointer: &str,
        what: &str,
    ) -> Option<SecretRef> {
        match raw {
            raw::SecretRef::Literal(_) => {
                // Never repeat the value: the diagnostic is printed in CI logs.
                self.report(
                    codes::LITERAL_SECRET,
                    format!("a {what} is written into the policy; give a reference instead"),
                    self.span(pointer),
                    "secret in the policy",
                    Some("write `{env: NAME}`, `{file: /path}` or `{secret: {name: ..., key: ...}}`, and remove the value from the file and its history: the policy is reviewed in pull requests and copied into generated files".into()),
                );
                self.mark_unknown(pointer);
                None
            }
            raw::SecretRef::Env(r) => {
                let ok = is_env_name(&r.env);
                if ok && r.env.starts_with(INSTALLER_PREFIX) {
                    // The installer keeps each `{env}` value in a variable
                    // of its own (`_cachegen_pw_<n>`): a reference named
                    // like one would read another user's password.
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!(
                            "`{}` is a name install-credentials.sh uses for itself",
                            r.env.escape_debug()
                        ),
                        self.span(&format!("{pointer}/env")),
                        "reserved variable name",
                        Some(format!("rename the variable: names starting `{INSTALLER_PREFIX}` are the installer's own")),
                    );
                    return None;
                }
                if !ok {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!(
                            "`{}` is not an environment variable name",
                            r.env.escape_debug()
                        ),
                        self.span(&format!("{pointer}/env")),
                        "invalid variable name",
                        Some("letters, digits and `_`, not starting with a digit".into()),
                    );
                }
                ok.then_some(SecretRef::Env(r.env))
            }
            raw::SecretRef::File(r) => self
                .file_path(&r.file, &format!("{pointer}/file"))
                .then_some(SecretRef::File(r.file)),
            raw::SecretRef::Kubernetes(r) => {
                let name_ok = is_dns_subdomain(&r.secret.name) && !r.secret.name.is_empty();
                if !name_ok {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("`{}` is not a Kubernetes Secret name", r.secret.name.escape_debug()),
                        self.span(&format!("{pointer}/secret/name")),
                        "invalid Secret name",
                        Some("a DNS-1123 subdomain: lowercase letters, digits, `-` and `.`, at most 253 characters".into()),
                    );
                }
                let key_ok = is_secret_key(&r.secret.key);
                if !key_ok {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!(
                            "`{}` is not a Kubernetes Secret key",
                            r.secret.key.escape_debug()
                        ),
                        self.span(&format!("{pointer}/secret/key")),
                        "invalid Secret key",
                        Some("letters, digits, `-`, `_` and `.`, at most 253 characters, neither `.` nor `..` nor starting with `..` (Kubernetes refuses those: the key is a file name in the mounted Secret)".into()),
                    );
                }
                (name_ok && key_ok).then_some(SecretRef::Kubernetes {
                    name: r.secret.name,
                    key: r.secret.key,
                })
            }
        }
    }

    fn file_path(&mut self, path: &str, pointer: &str) -> bool {
        let ok = is_file_path(path);
        if !ok {
            self.report(
                codes::INVALID_SYNTAX,
                format!("`{}` is not an absolute file path cachegen can write safely", path.escape_debug()),
                self.span(pointer),
                "invalid path",
                Some("an absolute path to a file (not a directory: no trailing `/`) without whitespace, quotes, control characters or `..` (it is written into redis.conf and shell scripts)".into()),
            );
        }
        ok
    }

    fn service(
        &mut self,
        name: String,
        raw: raw::Service,
        at: &str,
        store: &Store,
        reserved: &[(String, &str)],
        names: &Names,
    ) -> Option<Service> {
        let mut ok = self.user_name(&name, at, true);
        if ok && let Some((_, what)) = reserved.iter().find(|(n, _)| *n == name) {
            self.report(
                codes::INCONSISTENT,
                format!("service `{name}` has the name of {what}"),
                self.key_span(at),
                "name taken",
                Some("each service is an ACL user of its own: rename the service".into()),
            );
            ok = false;
        }
        let password = self.secret(raw.password, &format!("{at}/password"), "password");
        let reads = self.targets(raw.reads, &format!("{at}/reads"), store, names);
        let writes = self.targets(raw.writes, &format!("{at}/writes"), store, names);
        let owns = self.owned(raw.owns, &format!("{at}/owns"), store, names);
        let mut events = Vec::new();
        for (i, event) in raw.events.into_iter().enumerate() {
            if names.events.contains_key(&event) {
                events.push(event);
            } else if !self.declared.events.contains(&event) {
                let candidates: Vec<&str> = names.events.keys().map(String::as_str).collect();
                self.unresolved(
                    "event",
                    &event,
                    candidates,
                    self.span(&format!("{at}/events/{i}")),
                );
            }
        }
        let mut channels = Vec::new();
        for (i, channel) in raw.channels.into_iter().enumerate() {
            if channel.is_empty()
                || channel
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\'')
            {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!("`{}` is not a channel glob", channel.escape_debug()),
                    self.span(&format!("{at}/channels/{i}")),
                    "invalid channel",
                    Some("no whitespace, quotes or control characters (it is written into the ACL file)".into()),
                );
            } else {
                channels.push(channel);
            }
        }
        if !ok {
            return None;
        }
        Some(Service {
            name,
            pointer: at.to_owned(),
            password: password?,
            reads,
            writes,
            owns,
            events,
            scan: raw.scan,
            scripting: raw.scripting,
            channels,
        })
    }

    /// Pattern or tag names of this store; others are reported and dropped.
    fn targets(
        &mut self,
        list: Vec<String>,
        at: &str,
        store: &Store,
        names: &Names,
    ) -> Vec<String> {
        let mut out = Vec::new();
        for (i, name) in list.into_iter().enumerate() {
            let pointer = format!("{at}/{i}");
            let home = match (names.keys.patterns.get(&name), names.tags.get(&name)) {
                (Some(p), _) => Some(("pattern", p.store.as_str())),
                (None, Some(t)) => Some(("tag set", t.store.as_str())),
                (None, None) => None,
            };
            match home {
                Some((_, s)) if s == store.name => out.push(name),
                Some((what, other)) => self.other_store(what, &name, other, store, &pointer),
                None if self.declared.patterns.contains(&name)
                    || self.declared.tags.contains(&name) => {}
                None => {
                    let candidates = self.candidates(store, names, true);
                    self.unresolved(
                        "key pattern or tag set",
                        &name,
                        candidates,
                        self.span(&pointer),
                    );
                }
            }
        }
        out
    }

    fn owned(&mut self, list: Vec<String>, at: &str, store: &Store, names: &Names) -> Vec<String> {
        let mut out = Vec::new();
        for (i, name) in list.into_iter().enumerate() {
            let pointer = format!("{at}/{i}");
            match names.keys.patterns.get(&name) {
                Some(p) if p.store != store.name => {
                    self.other_store("pattern", &name, &p.store, store, &pointer)
                }
                Some(p) if !p.durable => self.report(
                    codes::INCONSISTENT,
                    format!("`owns` names `{name}`, which is not durable"),
                    self.span(&pointer),
                    "not a durable pattern",
                    Some("`owns` is for durable patterns (`durable: true`), whose keys only their owner should write; list a cache pattern under `writes`".into()),
                ),
                Some(_) => out.push(name),
                None if self.declared.patterns.contains(&name) => {}
                None => {
                    let candidates = self.candidates(store, names, false);
                    self.unresolved("key pattern", &name, candidates, self.span(&pointer));
                }
            }
        }
        out
    }

    fn candidates<'n>(&self, store: &Store, names: &'n Names, tags: bool) -> Vec<&'n str> {
        let patterns = names
            .keys
            .patterns
            .values()
            .filter(|p| p.store == store.name);
        let mut out: Vec<&str> = patterns.map(|p| p.name.as_str()).collect();
        if tags {
            out.extend(
                names
                    .tags
                    .values()
                    .filter(|t| t.store == store.name)
                    .map(|t| t.name.as_str()),
            );
        }
        out
    }

    fn other_store(&mut self, what: &str, name: &str, other: &str, store: &Store, pointer: &str) {
        self.report(
            codes::INCONSISTENT,
            format!(
                "{what} `{name}` lives in store `{other}`, not `{}`",
                store.name
            ),
            self.span(pointer),
            "another store's keys",
            Some(format!(
                "declare the service under store `{other}`'s `access.services` for these keys"
            )),
        );
    }

    fn tls(&mut self, raw: raw::Tls, at: &str) -> Option<Tls> {
        let mut ok = true;
        let mut port = |cx: &mut Self, value: u64, field: &str| -> u16 {
            match u16::try_from(value) {
                Ok(p) if p > 0 => p,
                _ => {
                    cx.report(
                        codes::OUT_OF_RANGE,
                        format!("`{field}` {value} is not a TCP port"),
                        cx.span(&format!("{at}/{field}")),
                        "not a port",
                        Some("1 to 65535".into()),
                    );
                    ok = false;
                    0
                }
            }
        };
        let tls_port = port(self, raw.port, "port");
        let plain_port = raw.plain_port.map(|p| port(self, p, "plain_port"));
        if tls_port != 0 && plain_port == Some(tls_port) {
            self.report(
                codes::INCONSISTENT,
                format!("`plain_port` and `port` are both {tls_port}"),
                self.span(&format!("{at}/plain_port")),
                "same port as TLS",
                Some("one port cannot serve TLS and plain text; omit `plain_port` to close plain text".into()),
            );
            ok = false;
        }
        let cert = self.tls_file(raw.cert, &format!("{at}/cert"), false);
        let key = self.tls_file(raw.key, &format!("{at}/key"), true);
        let ca = self.tls_file(raw.ca, &format!("{at}/ca"), false);
        let client_certs = match raw.client_certs {
            None | Some(raw::ClientCerts::Required) => ClientCerts::Required,
            Some(raw::ClientCerts::Optional) => ClientCerts::Optional,
            Some(raw::ClientCerts::None) => ClientCerts::None,
        };
        let (Some(cert_file), Some(key_file), Some(ca_file)) = (cert, key, ca) else {
            self.mark_unknown(at);
            return None;
        };
        if !ok {
            self.mark_unknown(at);
            return None;
        }
        Some(Tls {
            pointer: at.to_owned(),
            port: tls_port,
            plain_port,
            cert_file,
            key_file,
            ca_file,
            client_certs,
        })
    }

    /// A TLS file: the server reads it by path, so only `{file: ...}` fits.
    fn tls_file(&mut self, raw: raw::SecretRef, pointer: &str, secret: bool) -> Option<String> {
        match raw {
            raw::SecretRef::File(f) => self
                .file_path(&f.file, &format!("{pointer}/file"))
                .then_some(f.file),
            raw::SecretRef::Literal(_) if secret => {
                self.secret(raw, pointer, "private key");
                None
            }
            _ => {
                self.report(
                    codes::INCONSISTENT,
                    "redis.conf reads TLS files by path: write `{file: /path}`".into(),
                    self.span(pointer),
                    "not a file reference",
                    Some("mount the certificate, key or CA where the server can read it and give that path".into()),
                );
                None
            }
        }
    }

    fn clients_from(&mut self, raw: raw::ClientsFrom, at: &str) -> ClientsFrom {
        let mut out = ClientsFrom::default();
        for (i, cidr) in raw.cidrs.into_iter().enumerate() {
            let pointer = format!("{at}/cidrs/{i}");
            match check_cidr(&cidr) {
                Ok(()) => out.cidrs.push(cidr),
                Err(help) => {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("`{}` is not a CIDR block", cidr.escape_debug()),
                        self.span(&pointer),
                        "invalid CIDR",
                        Some(help),
                    );
                    self.mark_unknown(&pointer);
                }
            }
        }
        for (i, w) in raw.kubernetes.into_iter().enumerate() {
            let pointer = format!("{at}/kubernetes/{i}");
            let mut ok = true;
            if let Some(ns) = &w.namespace
                && !is_dns_label(ns)
            {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!("namespace `{}` is not a DNS-1123 label", ns.escape_debug()),
                    self.span(&format!("{pointer}/namespace")),
                    "invalid namespace",
                    Some("lowercase letters, digits and `-`, at most 63 characters".into()),
                );
                ok = false;
            }
            for (key, value) in &w.labels {
                let lp = format!("{pointer}/labels/{}", esc(key));
                if !is_label_key(key) {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("`{}` is not a Kubernetes label key", key.escape_debug()),
                        self.key_span(&lp),
                        "invalid label key",
                        Some("an optional DNS subdomain prefix and `/`, then up to 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit".into()),
                    );
                    ok = false;
                }
                if !is_label_value(value) {
                    self.report(
                        codes::INVALID_SYNTAX,
                        format!("`{}` is not a Kubernetes label value", value.escape_debug()),
                        self.span(&lp),
                        "invalid label value",
                        Some("up to 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit".into()),
                    );
                    ok = false;
                }
            }
            if w.labels.is_empty() {
                self.report(
                    codes::INCONSISTENT,
                    "a Kubernetes peer without labels admits every pod of its namespace".into(),
                    self.span(&format!("{pointer}/labels")),
                    "no labels",
                    Some("name the labels of the pods that connect".into()),
                );
                ok = false;
            }
            if ok {
                out.kubernetes.push(Workload {
                    pointer,
                    namespace: w.namespace,
                    labels: w.labels,
                });
            } else {
                self.mark_unknown(&pointer);
            }
        }
        out
    }
}

/// POSIX environment variable name.
pub(crate) fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

use crate::policy::model::INSTALLER_PREFIX;

/// An absolute path to a file, safe unquoted in redis.conf and in a shell
/// word. A path ending in `/` (`/` itself) names a directory.
pub(crate) fn is_file_path(s: &str) -> bool {
    s.starts_with('/')
        && !s.ends_with('/')
        && s.len() <= 4096
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"'`$\\;&|<>*?[]{}()#!~".contains(c))
        && !s.split('/').any(|seg| seg == ".." || seg == ".")
}

/// A key of a Kubernetes Secret (`IsConfigMapKey`): mounted as a file name,
/// so never `.`, `..` or `..`-prefixed.
fn is_secret_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s != "."
        && !s.starts_with("..")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
}

/// The name part of a label key, and a label value (which may be empty).
fn is_label_name(s: &str) -> bool {
    s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn is_label_key(s: &str) -> bool {
    match s.rsplit_once('/') {
        Some((prefix, name)) => {
            !prefix.is_empty() && is_dns_subdomain(prefix) && is_label_name(name)
        }
        None => is_label_name(s),
    }
}

fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_label_name(s)
}

/// `address/prefix` with no host bits set; `Err` holds the help text.
fn check_cidr(s: &str) -> Result<(), String> {
    let usage = "an address and a prefix length, e.g. `10.0.0.0/8` or `fd00::/8`".to_owned();
    let Some((addr, len)) = s.split_once('/') else {
        return Err(usage);
    };
    let (Ok(addr), Ok(len)) = (addr.parse::<IpAddr>(), len.parse::<u8>()) else {
        return Err(usage);
    };
    if len.to_string() != s.rsplit_once('/').map(|x| x.1).unwrap_or_default() {
        return Err(usage);
    }
    let network = match addr {
        IpAddr::V4(a) if len <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
            IpAddr::from((u32::from(a) & mask).to_be_bytes())
        }
        IpAddr::V6(a) if len <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
            IpAddr::from((u128::from(a) & mask).to_be_bytes())
        }
        _ => {
            return Err(format!(
                "the prefix length is at most {}",
                if addr.is_ipv4() { 32 } else { 128 }
            ));
        }
    };
    if network != addr {
        return Err(format!("host bits are set: the block is `{network}/{len}`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        assert!(check_cidr("10.0.0.0/8").is_ok());
        assert!(check_cidr("0.0.0.0/0").is_ok());
        assert!(check_cidr("fd00::/8").is_ok());
        assert!(check_cidr("10.1.0.0/8").unwrap_err().contains("10.0.0.0/8"));
        assert!(check_cidr("10.0.0.0/33").is_err());
        assert!(check_cidr("10.0.0.0").is_err());
        assert!(check_cidr("10.0.0.0/08").is_err());
        assert!(check_cidr("banana/8").is_err());
    }

    #[test]
    fn names() {
        assert!(
            is_env_name("_A1") && !is_env_name("1A") && !is_env_name("A-B") && !is_env_name("")
        );
        assert!(is_file_path("/etc/redis/tls.crt"));
        assert!(!is_file_path("etc/x") && !is_file_path("/a/../b") && !is_file_path("/a b"));
        assert!(is_label_key("app.kubernetes.io/name") && is_label_key("app"));
        assert!(!is_label_key("/app") && !is_label_key("-app") && !is_label_key("Foo_/x"));
        assert!(is_label_value("") && is_label_value("api-v1") && !is_label_value("a b"));
        assert!(is_secret_key("tls.crt") && !is_secret_key("a/b"));
        assert!(is_secret_key(".hidden") && is_secret_key("a..b"));
        assert!(!is_secret_key(".") && !is_secret_key("..") && !is_secret_key("..data"));
        assert!(!is_file_path("/") && !is_file_path("/etc/redis/"));
    }
}
