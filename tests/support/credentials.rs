//! Test support: a store's generated credentials installed for real. Runs
//! the rendered `install-credentials.sh` with test passwords in its
//! environment into a temporary directory, and writes the store's
//! redis.conf with its credentials directory pointed there, so a test server
//! loads the generated ACL file (and `replication.conf`) as a deployment would.

use cachegen::policy::model::{SecretRef, Store};
use cachegen::render::OutputFile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The test password of an environment variable reference.
pub fn env_password(name: &str) -> String {
    format!("t3st-{name}-pw")
}

/// The test password of a Kubernetes Secret reference.
pub fn secret_password(name: &str, key: &str) -> String {
    format!("t3st-{name}-{key}-pw")
}

/// The environment the installer needs for every `{env}` reference of the
/// store, and each user's password (from the environment, from the file a
/// `{file}` reference names, which the test wrote, or from a Kubernetes
/// Secret's file, written here under `secrets`, which the installer is
/// pointed at with `CACHEGEN_SECRETS_DIR`).
pub fn passwords(
    store: &Store,
    secrets: &Path,
) -> (Vec<(String, String)>, BTreeMap<String, String>) {
    let mut env = vec![(
        cachegen::render::credentials::SECRETS_DIR_ENV.to_owned(),
        secrets.to_str().unwrap().to_owned(),
    )];
    let mut users = BTreeMap::new();
    for (user, secret, _) in store.access.credentials() {
        let pw = match secret {
            SecretRef::Env(name) => {
                let pw = env_password(name);
                if !env.iter().any(|(n, _)| n == name) {
                    env.push((name.clone(), pw.clone()));
                }
                pw
            }
            SecretRef::File(path) => std::fs::read_to_string(path)
                .map(|t| t.trim_end_matches('\n').to_owned())
                .unwrap_or_default(),
            SecretRef::Kubernetes { name, key } => {
                let pw = secret_password(name, key);
                let dir = secrets.join(name);
                std::fs::create_dir_all(&dir).unwrap();
                // As Kubernetes mounts it: the value, no newline.
                std::fs::write(dir.join(key), &pw).unwrap();
                pw
            }
        };
        users.insert(user.to_owned(), pw);
    }
    (env, users)
}

/// Runs the store's rendered installer into `out` with exactly `env` (and
/// PATH) in its environment.
pub fn run_installer(
    files: &[OutputFile],
    store: &str,
    out: &Path,
    env: &[(String, String)],
    path_env: &str,
) -> Output {
    let script_dir = tempfile::tempdir().unwrap();
    let script = script_dir.path().join("install-credentials.sh");
    std::fs::write(
        &script,
        super::render::file(files, &format!("stores/{store}/install-credentials.sh")),
    )
    .unwrap();
    let mut cmd = Command::new("sh");
    cmd.arg(&script).arg(out).env_clear().env("PATH", path_env);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run sh")
}

/// A store's credentials installed with test passwords, and its redis.conf
/// pointing at them.
pub struct Installed {
    pub dir: tempfile::TempDir,
    pub conf: PathBuf,
    /// Every login user's password, by user name.
    pub passwords: BTreeMap<String, String>,
}

impl Installed {
    pub fn password(&self, user: &str) -> &str {
        self.passwords
            .get(user)
            .unwrap_or_else(|| panic!("no password for user {user}"))
    }
}

pub fn install(files: &[OutputFile], store: &Store) -> Installed {
    let dir = tempfile::tempdir().unwrap();
    let (env, passwords) = passwords(store, &dir.path().join("secrets"));
    let creds = dir.path().join("credentials");
    let output = run_installer(
        files,
        &store.name,
        &creds,
        &env,
        &std::env::var("PATH").unwrap_or_default(),
    );
    assert!(
        output.status.success(),
        "install-credentials.sh failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let default_dir = cachegen::render::access::default_credentials_dir(store);
    let conf_text = super::render::file(files, &format!("stores/{}/redis.conf", store.name))
        .replace(&default_dir, creds.to_str().unwrap());
    let conf = dir.path().join("redis.conf");
    std::fs::write(&conf, conf_text).unwrap();
    Installed {
        dir,
        conf,
        passwords,
    }
}

/// An authenticated client, or a panic saying why not.
pub fn login(port: u16, user: &str, password: &str) -> super::Client {
    let mut c = super::Client::connect(port).expect("connect");
    let reply = c.command(&["AUTH", user, password]).unwrap();
    assert_eq!(reply, super::Reply::Simple("OK".into()), "AUTH {user}");
    c
}

/// A redis.conf without its access-control lines (`protected-mode`,
/// `aclfile`, `include`): an open server, for tests about something else or
/// about what verify says of an open server.
pub fn without_access(conf_text: &str) -> String {
    conf_text
        .lines()
        .filter(|l| {
            !["protected-mode ", "aclfile ", "include "]
                .iter()
                .any(|d| l.starts_with(d))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}
