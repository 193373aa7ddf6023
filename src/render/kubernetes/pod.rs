//! Owns what every manifest of the Kubernetes target shares, as template
//! context: the object labels, and the pieces of a pod that runs a server
//! with the store's credentials (the init container's Secret references and
//! volumes, the operator's password for probes and scripts, the comments
//! that tell the operator which Secrets to create) and the NetworkPolicy
//! peers the policy declares. The templates include the matching YAML from
//! `templates/kubernetes/*.yaml.j2` fragments, so both manifests print them
//! one way.

use super::access::{self, AdminAuth, Credentials, Network, Peer, SECRETS_DIR};
use super::yaml::{comment_text, yaml_quote};
use super::{CONFIG_DIR, INSTALLER, REDIS_UID};
use crate::policy::model::Kubernetes;
use serde::Serialize;

/// A label: the key is written plain (one of ours), the value quoted.
#[derive(Debug, Serialize)]
pub(super) struct Label {
    key: &'static str,
    value: String,
}

fn label(key: &'static str, value: &str) -> Label {
    Label {
        key,
        value: yaml_quote(value),
    }
}

/// On every object of a deployment named `name`.
pub(super) fn labels(name: &str) -> Vec<Label> {
    vec![
        label("app.kubernetes.io/name", "redis"),
        label("app.kubernetes.io/instance", name),
        label("app.kubernetes.io/managed-by", "cachegen"),
    ]
}

/// On the pods of one component: `labels` + the component.
pub(super) fn component_labels(name: &str, component: &str) -> Vec<Label> {
    let mut l = labels(name);
    l.push(label("app.kubernetes.io/component", component));
    l
}

/// What selects the pods of one component.
pub(super) fn selector(name: &str, component: &str) -> Vec<Label> {
    vec![
        label("app.kubernetes.io/instance", name),
        label("app.kubernetes.io/component", component),
    ]
}

pub(super) fn quote_all(v: &[String]) -> Vec<String> {
    v.iter().map(|s| yaml_quote(s)).collect()
}

/// `sh -c`, the start of every exec probe and inline script.
pub(super) fn sh_c() -> Vec<String> {
    quote_all(&["sh".to_owned(), "-c".to_owned()])
}

/// A container variable from the pod's own fields (`fieldRef`).
#[derive(Debug, Serialize)]
pub(super) struct EnvVar {
    name: String,
    field_path: String,
}

pub(super) fn field_env(vars: &[(&str, &str)]) -> Vec<EnvVar> {
    vars.iter()
        .map(|(name, field_path)| EnvVar {
            name: yaml_quote(name),
            field_path: yaml_quote(field_path),
        })
        .collect()
}

/// A `secretKeyRef`, quoted.
#[derive(Debug, Serialize)]
struct SecretKeyRef {
    secret: String,
    key: String,
}

/// A variable of the init container, from a Secret.
#[derive(Debug, Serialize)]
struct SecretEnvVar {
    name: String,
    secret: String,
    key: String,
}

#[derive(Debug, Serialize)]
struct SecretVolume {
    volume: String,
    secret: String,
    keys: Vec<String>,
    mount_path: String,
    secret_text: String,
    keys_text: String,
}

/// The credentials part of a server pod's context, under the names the
/// fragments `install-credentials`, `credential-volumes` and `admin-env`
/// (and the manifests' credentials comments) read.
#[derive(Debug, Serialize)]
pub(super) struct PodCredentials {
    image: String,
    uid: u32,
    config_dir: String,
    credentials_dir: String,
    install_command: Vec<String>,
    /// The operator's password for the probes and scripts, unless it is a
    /// `{file}` reference (the scripts read the file then).
    admin_secret: Option<SecretKeyRef>,
    admin_file: bool,
    init_env: Vec<SecretEnvVar>,
    secret_volumes: Vec<SecretVolume>,

    // Comments about credentials.
    namespace_text: String,
    credentials_dir_text: String,
    secrets_dir_text: String,
    admin_user_text: String,
    env_secret_text: String,
    env_secret_keys: Vec<String>,
    file_refs: Vec<String>,
}

pub(super) fn pod_credentials(k8s: &Kubernetes, credentials: &Credentials) -> PodCredentials {
    PodCredentials {
        image: yaml_quote(&k8s.image),
        uid: REDIS_UID,
        config_dir: yaml_quote(CONFIG_DIR),
        credentials_dir: yaml_quote(access::CREDENTIALS_DIR),
        install_command: quote_all(&[
            "sh".to_owned(),
            format!("{CONFIG_DIR}/{INSTALLER}"),
            access::CREDENTIALS_DIR.to_owned(),
        ]),
        admin_secret: match &credentials.admin {
            AdminAuth::Secret(k) => Some(SecretKeyRef {
                secret: yaml_quote(&k.secret),
                key: yaml_quote(&k.key),
            }),
            AdminAuth::File(_) => None,
        },
        admin_file: matches!(credentials.admin, AdminAuth::File(_)),
        init_env: credentials
            .env
            .iter()
            .map(|e| SecretEnvVar {
                name: yaml_quote(&e.name),
                secret: yaml_quote(&e.from.secret),
                key: yaml_quote(&e.from.key),
            })
            .collect(),
        secret_volumes: credentials
            .volumes
            .iter()
            .map(|v| SecretVolume {
                volume: yaml_quote(&v.volume),
                secret: yaml_quote(&v.secret),
                keys: quote_all(&v.keys),
                mount_path: yaml_quote(&v.mount_path),
                secret_text: comment_text(&v.secret),
                keys_text: comment_text(&v.keys.join(", ")),
            })
            .collect(),
        namespace_text: comment_text(&k8s.namespace),
        credentials_dir_text: access::CREDENTIALS_DIR.to_owned(),
        secrets_dir_text: SECRETS_DIR.to_owned(),
        admin_user_text: comment_text(&credentials.admin_user),
        env_secret_text: comment_text(&credentials.env_secret),
        env_secret_keys: credentials
            .env_secret_keys
            .iter()
            .map(|k| comment_text(k))
            .collect(),
        file_refs: credentials.files.iter().map(|f| comment_text(f)).collect(),
    }
}

/// A NetworkPolicy peer: `cidr`, or pods by namespace and labels.
#[derive(Debug, Serialize)]
pub(super) struct PeerContext {
    cidr: Option<String>,
    namespace: Option<String>,
    labels: Vec<PeerLabel>,
}

/// A label of a declared workload: key and value both the policy's, quoted.
#[derive(Debug, Serialize)]
struct PeerLabel {
    key: String,
    value: String,
}

/// The declared clients, for the `client-peers` fragment.
pub(super) fn client_peers(network: &Network) -> Vec<PeerContext> {
    network
        .clients
        .iter()
        .map(|p| match p {
            Peer::Cidr(cidr) => PeerContext {
                cidr: Some(yaml_quote(cidr)),
                namespace: None,
                labels: Vec::new(),
            },
            Peer::Pods { namespace, labels } => PeerContext {
                cidr: None,
                namespace: Some(yaml_quote(namespace)),
                labels: labels
                    .iter()
                    .map(|(k, v)| PeerLabel {
                        key: yaml_quote(k),
                        value: yaml_quote(v),
                    })
                    .collect(),
            },
        })
        .collect()
}
