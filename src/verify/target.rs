//! Owns where verify connects and as whom: the `redis://` / `rediss://` URL,
//! the ACL user and password from the URL, a file or the environment, and the
//! rule that a password is never printed (`Secret` has no `Display`, and its
//! `Debug` is a placeholder).

use crate::policy::model::Store;
use std::fmt;

/// A password. Deliberately not `Display`; `Debug` prints `***`, so a
/// `{:?}` of any struct holding one cannot leak it into a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The only way to the value: spelled out, so every use is easy to audit.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// One host and port, as given or as a cluster node announces itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Everything needed to open a connection to any node of the deployment.
#[derive(Debug, Clone)]
pub struct Target {
    pub seed: Address,
    pub tls: bool,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub db: u32,
}

impl Target {
    /// The URL as it may be printed: scheme, user, host, port; no password.
    pub fn display_url(&self) -> String {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let user = match &self.user {
            Some(u) => format!("{}@", printable(u)),
            None => String::new(),
        };
        let db = if self.db == 0 {
            String::new()
        } else {
            format!("/{}", self.db)
        };
        format!("{scheme}://{user}{}{db}", self.seed)
    }
}

/// Where credentials may come from besides the URL.
#[derive(Debug, Default)]
pub struct CredentialSources {
    pub user: Option<String>,
    pub password_file: Option<std::path::PathBuf>,
    /// Value of `CACHEGEN_REDIS_PASSWORD`, else `REDISCLI_AUTH` (what
    /// redis-cli users already have set).
    pub password_env: Option<String>,
}

impl CredentialSources {
    /// The sources beside the URL: a user and a password file from the
    /// command line, and the password variables of the environment
    /// (`CACHEGEN_REDIS_PASSWORD`, else redis-cli's `REDISCLI_AUTH`).
    pub fn with_env(user: Option<String>, password_file: Option<std::path::PathBuf>) -> Self {
        let password_env = std::env::var("CACHEGEN_REDIS_PASSWORD")
            .ok()
            .or_else(|| std::env::var("REDISCLI_AUTH").ok());
        CredentialSources {
            user,
            password_file,
            password_env,
        }
    }
}

/// Refuses to send a password in plain text (`redis://`) to a store that
/// declares `access.tls`: the network the policy encrypts would carry it
/// in the clear. Checked before any connection; without a password verify
/// connects, and a TLS store answering plain text is CG442.
pub fn refuse_plain_text_credentials(target: &Target, store: &Store) -> Result<(), String> {
    if store.access.tls.is_some() && !target.tls && target.password.is_some() {
        return Err(format!(
            "store `{}` declares `access.tls`: verify will not send its password in plain text; use a rediss:// URL (its TLS port, with --tls-ca)",
            printable(&store.name)
        ));
    }
    Ok(())
}

/// Parses `redis://[user[:password]@]host[:port][/db]` (or `rediss://`).
/// Errors never quote the password.
pub fn parse(url: &str, extra: &CredentialSources) -> Result<Target, String> {
    let (tls, rest) = if let Some(rest) = url.strip_prefix("rediss://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("redis://") {
        (false, rest)
    } else if is_sentinel_url(url) {
        return Err(
            "a redis+sentinel:// URL names Sentinels, not a node: give it as --redis STORE=URL"
                .into(),
        );
    } else {
        return Err("the Redis URL must start with redis:// or rediss://".into());
    };
    let (login, hostport, path) = split_url(rest)?;
    let seed = parse_host_port(hostport)?;
    let db = match path.split(['?', '#']).next().unwrap_or("") {
        "" | "/" => 0,
        p => p[1..]
            .parse::<u32>()
            .map_err(|_| format!("`{}` is not a database number", printable(&p[1..])))?,
    };
    let (user, password) =
        complete_login(login, extra, "--password-file, or CACHEGEN_REDIS_PASSWORD")?;
    Ok(Target {
        seed,
        tls,
        user,
        password,
        db,
    })
}

/// The login for the data nodes of a store reached through its Sentinels
/// alone (no `--redis` URL): the user and password from `extra`
/// (`--user`, `--password-file`, `CACHEGEN_REDIS_PASSWORD`, `REDISCLI_AUTH`),
/// and `seed`, which the primary the Sentinels name replaces.
pub fn from_sources(seed: Address, tls: bool, extra: &CredentialSources) -> Result<Target, String> {
    let (user, password) = complete_login(
        (None, None),
        extra,
        "--password-file, or CACHEGEN_REDIS_PASSWORD",
    )?;
    Ok(Target {
        seed,
        tls,
        user,
        password,
        db: 0,
    })
}

/// A user and password as a URL or the other sources give them.
type Login = (Option<String>, Option<Secret>);

/// Splits what follows the scheme into its user info (decoded), its
/// `host:port` part and the rest (path, query, fragment).
fn split_url(rest: &str) -> Result<(Login, &str, &str), String> {
    // The user info ends at the last `@`: passwords (base64 ones especially)
    // may hold unencoded `/`, `?` or `#`, which must not be taken for the
    // start of the path, or an error message would quote part of them.
    let (userinfo, after) = match rest.rfind('@') {
        Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
        None => (None, rest),
    };
    let (hostport, path) = match after.find(['/', '?', '#']) {
        Some(i) => (&after[..i], &after[i..]),
        None => (after, ""),
    };
    let (mut user, mut password) = (None, None);
    if let Some(info) = userinfo {
        let (u, p) = match info.split_once(':') {
            Some((u, p)) => (u, Some(p)),
            None => (info, None),
        };
        let u = percent_decode(u).map_err(|e| format!("the URL's user name {e}"))?;
        if !u.is_empty() {
            user = Some(u);
        }
        if let Some(p) = p {
            let p = percent_decode(p).map_err(|e| format!("the URL's password {e}"))?;
            if !p.is_empty() {
                password = Some(Secret(p));
            }
        }
    }
    Ok(((user, password), hostport, path))
}

/// Fills in what the URL left out from the other sources (`extra`), and
/// refuses a user without a password. `sources` names them for the error.
fn complete_login(
    (mut user, mut password): Login,
    extra: &CredentialSources,
    sources: &str,
) -> Result<Login, String> {
    if user.is_none() {
        user = extra.user.clone().filter(|u| !u.is_empty());
    }
    if password.is_none() {
        if let Some(file) = &extra.password_file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read the password file {}: {e}", file.display()))?;
            // A trailing newline is how files end, not part of the password.
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let text = text.strip_suffix('\r').unwrap_or(text);
            password = Some(Secret(text.to_owned()));
        } else if let Some(p) = extra.password_env.clone().filter(|p| !p.is_empty()) {
            password = Some(Secret(p));
        }
    }
    if user.is_some() && password.is_none() {
        return Err(format!(
            "user `{}` has no password: put it in the URL, {sources}",
            printable(user.as_deref().unwrap_or_default())
        ));
    }
    Ok((user, password))
}

/// Where a store's Sentinels are and as whom verify asks them: a
/// `redis+sentinel://` URL, or `--sentinel` flags.
#[derive(Debug, Clone)]
pub struct SentinelTarget {
    pub sentinels: Vec<Address>,
    /// The master name the URL's path gives (else `--master-name`, else the
    /// policy's `sentinel.master_name`).
    pub master_name: Option<String>,
    pub tls: bool,
    pub user: Option<String>,
    pub password: Option<Secret>,
}

impl SentinelTarget {
    /// The Sentinels as they may be printed: no password.
    pub fn display_url(&self, master_name: &str) -> String {
        let scheme = if self.tls {
            "rediss+sentinel"
        } else {
            "redis+sentinel"
        };
        let user = match &self.user {
            Some(u) => format!("{}@", printable(u)),
            None => String::new(),
        };
        let hosts: Vec<String> = self.sentinels.iter().map(Address::to_string).collect();
        format!(
            "{scheme}://{user}{}/{}",
            hosts.join(","),
            printable(master_name)
        )
    }

    /// The login for one Sentinel (a `Target` whose seed is that Sentinel).
    pub fn login(&self, sentinel: &Address) -> Target {
        Target {
            seed: sentinel.clone(),
            tls: self.tls,
            user: self.user.clone(),
            password: self.password.clone(),
            db: 0,
        }
    }
}

/// Whether `url` names Sentinels (`redis+sentinel://`, `rediss+sentinel://`).
pub fn is_sentinel_url(url: &str) -> bool {
    url.starts_with("redis+sentinel://") || url.starts_with("rediss+sentinel://")
}

/// Most Sentinels one run asks: a deployment has a handful.
pub const MAX_SENTINELS: usize = 32;

/// Parses `redis+sentinel://[user[:password]@]host:port[,host:port...][/master-name]`
/// (or `rediss+sentinel://`). The user info is the Sentinels' login; what
/// it leaves out comes from `extra` (`--sentinel-user`,
/// `--sentinel-password-file`, `CACHEGEN_SENTINEL_PASSWORD`). Errors never
/// quote the password.
pub fn parse_sentinel(url: &str, extra: &CredentialSources) -> Result<SentinelTarget, String> {
    let (tls, rest) = if let Some(rest) = url.strip_prefix("rediss+sentinel://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("redis+sentinel://") {
        (false, rest)
    } else {
        return Err(
            "a Sentinel URL must start with redis+sentinel:// or rediss+sentinel://".into(),
        );
    };
    let (login, hosts, path) = split_url(rest)?;
    let sentinels = sentinel_addresses(hosts.split(','))?;
    let master_name = match path.split(['?', '#']).next().unwrap_or("") {
        "" | "/" => None,
        p => Some(p[1..].to_owned()),
    };
    let (user, password) = complete_login(
        login,
        extra,
        "--sentinel-password-file, or CACHEGEN_SENTINEL_PASSWORD",
    )?;
    Ok(SentinelTarget {
        sentinels,
        master_name,
        tls,
        user,
        password,
    })
}

/// `--sentinel host:port` flags (no URL): the login from `extra` alone.
pub fn sentinel_flags<'a>(
    hosts: impl IntoIterator<Item = &'a str>,
    tls: bool,
    extra: &CredentialSources,
) -> Result<SentinelTarget, String> {
    let sentinels = sentinel_addresses(hosts)?;
    let (user, password) = complete_login(
        (None, None),
        extra,
        "--sentinel-password-file, or CACHEGEN_SENTINEL_PASSWORD",
    )?;
    Ok(SentinelTarget {
        sentinels,
        master_name: None,
        tls,
        user,
        password,
    })
}

/// Distinct Sentinel addresses (Sentinel's port, 26379, when none is
/// given), at least one and at most [`MAX_SENTINELS`].
fn sentinel_addresses<'a>(
    hosts: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Address>, String> {
    let mut out: Vec<Address> = Vec::new();
    for host in hosts {
        let mut address = parse_host_port(host)?;
        if !host.trim_end_matches(']').contains(':') || host.ends_with(']') {
            address.port = SENTINEL_PORT;
        }
        if out.contains(&address) {
            return Err(format!("Sentinel {address} is named twice"));
        }
        out.push(address);
    }
    if out.is_empty() {
        return Err("no Sentinel given".into());
    }
    if out.len() > MAX_SENTINELS {
        return Err(format!(
            "{} Sentinels given; verify asks at most {MAX_SENTINELS}",
            out.len()
        ));
    }
    Ok(out)
}

/// Sentinel's own port (`render::sentinel::SENTINEL_PORT` is the same
/// number; verify may not reach into `render`).
const SENTINEL_PORT: u16 = 26379;

/// The password of the Sentinels' login from the environment
/// (`CACHEGEN_SENTINEL_PASSWORD`).
impl CredentialSources {
    pub fn for_sentinels(user: Option<String>, password_file: Option<std::path::PathBuf>) -> Self {
        CredentialSources {
            user,
            password_file,
            password_env: std::env::var("CACHEGEN_SENTINEL_PASSWORD").ok(),
        }
    }
}

/// `host:port`, `[v6]:port`, or a bare host (port 6379).
pub fn parse_host_port(text: &str) -> Result<Address, String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| format!("`{}` has an unclosed `[`", printable(text)))?;
        let port = match &rest[end + 1..] {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("`{}` is not host:port", printable(text)))?,
            ),
        };
        (&rest[..end], port)
    } else {
        match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err("the Redis URL has no host".into());
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err(format!("`{}` is not a host name", printable(host)));
    }
    let port = match port {
        None => 6379,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("`{}` is not a port", printable(p)))?,
    };
    Ok(Address {
        host: host.to_owned(),
        port,
    })
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("has a `%` that is not followed by two hex digits")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "is not UTF-8 once decoded".to_owned())
}

/// Longest text `printable` passes on, in bytes: a server's error reply or
/// a user's URL needs far less, and nothing a server sends may make the
/// report grow with it.
pub const MAX_PRINTED: usize = 300;

/// Escapes control characters so user- or server-supplied text cannot drive
/// the terminal, and cuts it to [`MAX_PRINTED`] bytes.
pub fn printable(text: &str) -> String {
    crate::output::neutralize(&super::server::cut(text, MAX_PRINTED))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> CredentialSources {
        CredentialSources::default()
    }

    #[test]
    fn parses_user_password_host_port_db() {
        let t = parse(
            "rediss://cachegen-verify:s%40cret@redis.internal:6380/2",
            &none(),
        )
        .unwrap();
        assert!(t.tls);
        assert_eq!(t.user.as_deref(), Some("cachegen-verify"));
        assert_eq!(t.password.as_ref().unwrap().expose(), "s@cret");
        assert_eq!(t.seed.to_string(), "redis.internal:6380");
        assert_eq!(t.db, 2);
        assert_eq!(
            t.display_url(),
            "rediss://cachegen-verify@redis.internal:6380/2"
        );
    }

    #[test]
    fn password_never_in_debug_or_display_url() {
        let t = parse("redis://u:hunter2@127.0.0.1", &none()).unwrap();
        assert!(!format!("{t:?}").contains("hunter2"));
        // Unencoded `/`, `?`, `#` in a password stay in the password.
        for (url, pw) in [
            ("redis://u:ab/cd@host:7000/1", "ab/cd"),
            ("redis://u:p#ss?x@host", "p#ss?x"),
        ] {
            let t = parse(url, &none()).unwrap();
            assert_eq!(t.password.unwrap().expose(), pw);
        }
        let err = parse("redis://u:12/secret@host:x", &none()).unwrap_err();
        assert!(!err.contains("secret"), "{err}");
        assert!(!t.display_url().contains("hunter2"));
        assert_eq!(t.seed.port, 6379);
    }

    #[test]
    fn credentials_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "from-file\n").unwrap();
        let sources = CredentialSources {
            user: Some("v".into()),
            password_file: Some(file),
            password_env: Some("from-env".into()),
        };
        let t = parse("redis://[::1]:7000", &sources).unwrap();
        assert_eq!(t.password.unwrap().expose(), "from-file");
        assert_eq!(t.seed.host, "::1");
        let sources = CredentialSources {
            user: None,
            password_file: None,
            password_env: Some("from-env".into()),
        };
        assert_eq!(
            parse("redis://h", &sources)
                .unwrap()
                .password
                .unwrap()
                .expose(),
            "from-env"
        );
    }

    #[test]
    fn parses_sentinel_urls_and_never_prints_their_password() {
        let t = parse_sentinel(
            "redis+sentinel://cachegen-verify:s%40cret@127.0.0.1:7111,[::1]:7112,sentinel.corp/shop-durable",
            &none(),
        )
        .unwrap();
        assert!(!t.tls);
        assert_eq!(t.user.as_deref(), Some("cachegen-verify"));
        assert_eq!(t.password.as_ref().unwrap().expose(), "s@cret");
        let hosts: Vec<String> = t.sentinels.iter().map(Address::to_string).collect();
        assert_eq!(
            hosts,
            ["127.0.0.1:7111", "[::1]:7112", "sentinel.corp:26379"]
        );
        assert_eq!(t.master_name.as_deref(), Some("shop-durable"));
        let shown = t.display_url("shop-durable");
        assert_eq!(
            shown,
            "redis+sentinel://cachegen-verify@127.0.0.1:7111,[::1]:7112,sentinel.corp:26379/shop-durable"
        );
        assert!(!format!("{t:?}").contains("s@cret"));
        let login = t.login(&t.sentinels[1]);
        assert_eq!(login.seed.port, 7112);
        assert_eq!(login.db, 0);
        let t = parse_sentinel("rediss+sentinel://h:1", &none()).unwrap();
        assert!(t.tls && t.master_name.is_none() && t.password.is_none());
        // The Sentinels' own sources fill what the URL leaves out.
        let sources = CredentialSources {
            user: Some("v".into()),
            password_file: None,
            password_env: Some("from-env".into()),
        };
        let t = sentinel_flags(["127.0.0.1:7111"], false, &sources).unwrap();
        assert_eq!(t.password.unwrap().expose(), "from-env");
        for bad in [
            "redis+sentinel://",
            "redis+sentinel://h:1,h:1/m",
            "redis+sentinel://u@h:1/m",
            "redis+sentinel://u:pw%zz@h:1/m",
        ] {
            let err = parse_sentinel(bad, &none()).unwrap_err();
            assert!(!err.contains("pw"), "{err}");
        }
        // A Sentinel URL is not a node's.
        assert!(
            parse("redis+sentinel://h:1/m", &none())
                .unwrap_err()
                .contains("--redis STORE=URL")
        );
    }

    #[test]
    fn rejects_bad_urls_without_echoing_secrets() {
        for bad in [
            "http://h",
            "redis://",
            "redis://h:0",
            "redis://h:99999",
            "redis://h/x",
            "redis://u:p%zz@h",
            "redis://h\u{1b}[31m",
        ] {
            let err = parse(bad, &none()).unwrap_err();
            assert!(!err.contains('\u{1b}'), "{err}");
        }
        let err = parse("redis://user@h", &none()).unwrap_err();
        assert!(err.contains("no password"));
    }
}
