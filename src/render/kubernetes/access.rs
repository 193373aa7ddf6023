//! Owns the access decisions of the Kubernetes target, as plain values the
//! manifest template only prints: where each credential of a store comes
//! from inside a pod (Secret references, never values), what the init
//! container mounts, how the probes and the create Job authenticate as the
//! operator user, and which peers the store's NetworkPolicy admits on which
//! ports.
//!
//! References map to Kubernetes as follows:
//! - `{env: X}`: key `X` of the store's own Secret `<name>-credentials`,
//!   given to the init container as the variable `X` (`secretKeyRef`), which
//!   is what the installer reads.
//! - `{secret: {name, key}}`: that Secret, mounted read-only at
//!   `/run/secrets/cachegen/<name>/<key>`, where the installer reads it.
//! - `{file: /path}`: read from that path in the pod. Nothing cachegen can
//!   mount puts it there (it names no Secret), so the manifest lists such
//!   paths in a comment and the operator provides them (a CSI secrets-store
//!   volume, say); the installer fails naming the path when it is missing.

use crate::policy::model::{Access, ClientCerts, Kubernetes, SecretRef};

/// Where the installer writes `users.acl` and `replication.conf` in a pod:
/// an in-memory `emptyDir` shared by the init container and the node, so the
/// hashed ACL and `masterauth` never reach a disk or the image.
pub const CREDENTIALS_DIR: &str = crate::render::access::DEFAULT_CREDENTIALS_ROOT;
/// Where `{secret: {name, key}}` references are mounted: the installer's
/// default (it reads `<here>/<name>/<key>`).
pub use crate::render::credentials::SECRETS_DIR;

/// The store's own Secret holding every `{env: X}` password under key `X`.
pub fn env_secret_name(k8s: &Kubernetes) -> String {
    // A Secret name is a DNS-1123 subdomain (≤ 253): the name's 52
    // characters plus 12 fit.
    format!("{}-credentials", k8s.name)
}

/// A `secretKeyRef`: a key of a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKey {
    pub secret: String,
    pub key: String,
}

/// An environment variable filled from a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEnv {
    pub name: String,
    pub from: SecretKey,
}

/// A Secret mounted as a volume: only the keys the store uses, each as a
/// file named after its key, at `SECRETS_DIR/<secret>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVolume {
    /// The pod's volume name (`secret-<n>`: a Secret name may be longer
    /// than a volume name's 63 characters).
    pub volume: String,
    pub secret: String,
    pub keys: Vec<String>,
    pub mount_path: String,
}

/// How a script in a pod gets the operator's password into
/// `REDISCLI_AUTH` (redis-cli reads it from there, so it never appears on a
/// command line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminAuth {
    /// The container's `REDISCLI_AUTH` comes from this Secret key.
    Secret(SecretKey),
    /// The script reads this file into `REDISCLI_AUTH` (a `{file}` reference).
    File(String),
}

/// Everything the pods need to authenticate, derived from the store's
/// access section.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The Secret of `{env}` references (named in comments even when unused).
    pub env_secret: String,
    /// The init container's environment: one variable per distinct `{env}`
    /// reference, in the order of `Access::credentials`.
    pub env: Vec<SecretEnv>,
    /// One volume per Secret named by a `{secret}` reference.
    pub volumes: Vec<SecretVolume>,
    /// Paths of `{file}` references, which the operator must provide.
    pub files: Vec<String>,
    /// The operator user probes and the create Job authenticate as.
    pub admin_user: String,
    pub admin: AdminAuth,
    /// Every key of `env_secret`, for the `kubectl create secret` line.
    pub env_secret_keys: Vec<String>,
}

/// The references of the users a store actually has: replication only where
/// there are replicas (`install-credentials.sh` reads no other).
pub fn credentials(access: &Access, k8s: &Kubernetes, has_replicas: bool) -> Credentials {
    let env_secret = env_secret_name(k8s);
    let mut env: Vec<SecretEnv> = Vec::new();
    let mut volumes: Vec<SecretVolume> = Vec::new();
    let mut files: Vec<String> = Vec::new();
    for (user, reference, _) in access.credentials() {
        if user == access.replication.user && !has_replicas {
            continue;
        }
        match reference {
            SecretRef::Env(var) => {
                if !env.iter().any(|e| &e.name == var) {
                    env.push(SecretEnv {
                        name: var.clone(),
                        from: SecretKey {
                            secret: env_secret.clone(),
                            key: var.clone(),
                        },
                    });
                }
            }
            SecretRef::Kubernetes { name, key } => {
                match volumes.iter_mut().find(|v| &v.secret == name) {
                    Some(v) => {
                        if !v.keys.contains(key) {
                            v.keys.push(key.clone());
                        }
                    }
                    None => volumes.push(SecretVolume {
                        volume: format!("secret-{}", volumes.len()),
                        secret: name.clone(),
                        keys: vec![key.clone()],
                        mount_path: format!("{SECRETS_DIR}/{name}"),
                    }),
                }
            }
            SecretRef::File(path) => {
                if !files.contains(path) {
                    files.push(path.clone());
                }
            }
        }
    }
    let admin = match &access.admin.password {
        SecretRef::Env(var) => AdminAuth::Secret(SecretKey {
            secret: env_secret.clone(),
            key: var.clone(),
        }),
        SecretRef::Kubernetes { name, key } => AdminAuth::Secret(SecretKey {
            secret: name.clone(),
            key: key.clone(),
        }),
        SecretRef::File(path) => AdminAuth::File(path.clone()),
    };
    Credentials {
        env_secret_keys: env.iter().map(|e| e.from.key.clone()).collect(),
        env_secret,
        env,
        volumes,
        files,
        admin_user: access.admin.user.clone(),
        admin,
    }
}

/// A peer of the NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// Pods with these labels in this namespace (matched by its
    /// `kubernetes.io/metadata.name` label, which Kubernetes sets itself).
    Pods {
        namespace: String,
        labels: Vec<(String, String)>,
    },
    /// An `ipBlock`.
    Cidr(String),
}

/// The store's NetworkPolicy: who may open which port of a node pod.
#[derive(Debug, Clone)]
pub struct Network {
    /// The ports clients use: the TLS port when the store has TLS (and the
    /// plain port only if the policy keeps one open), else the client port.
    pub client_ports: Vec<u16>,
    /// Every port the nodes talk to each other on: client ports (replication
    /// and cluster redirects use them) and the bus port.
    pub peer_ports: Vec<u16>,
    /// The declared clients (`clients_from`), in file order: pods first,
    /// then CIDRs.
    pub clients: Vec<Peer>,
}

/// The NetworkPolicy's rules. `port` is the nodes' plain client port in the
/// pod, `bus_port` the cluster bus.
pub fn network(access: &Access, k8s: &Kubernetes, port: u16, bus_port: u16) -> Network {
    let client_ports = match &access.tls {
        Some(tls) => std::iter::once(tls.port).chain(tls.plain_port).collect(),
        None => vec![port],
    };
    let mut peer_ports = client_ports.clone();
    peer_ports.push(bus_port);
    let mut clients: Vec<Peer> = access
        .clients_from
        .kubernetes
        .iter()
        .map(|w| Peer::Pods {
            namespace: w.namespace.clone().unwrap_or_else(|| k8s.namespace.clone()),
            labels: w
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
        .collect();
    clients.extend(access.clients_from.cidrs.iter().cloned().map(Peer::Cidr));
    Network {
        client_ports,
        peer_ports,
        clients,
    }
}

/// How the pods' own `redis-cli` calls (probes, the create Job) reach a
/// node: the port clients use, and the TLS options when the store has TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConn {
    /// The TLS port with TLS (the plain port may be closed), else `port`.
    pub port: u16,
    /// `--tls --cacert CA`, plus the node's own certificate and key when
    /// the server asks clients for one; empty without TLS.
    pub tls_args: Vec<String>,
    /// Files the pods must hold (the TLS references are `{file}` paths,
    /// which the operator mounts); empty without TLS.
    pub tls_files: Vec<String>,
}

/// The pods' own connection to a node; `port` is the plain client port.
pub fn client_conn(access: &Access, port: u16) -> ClientConn {
    let Some(tls) = &access.tls else {
        return ClientConn {
            port,
            tls_args: Vec::new(),
            tls_files: Vec::new(),
        };
    };
    let mut tls_args = vec![
        "--tls".to_owned(),
        "--cacert".to_owned(),
        tls.ca_file.clone(),
    ];
    if tls.client_certs != ClientCerts::None {
        tls_args.extend([
            "--cert".to_owned(),
            tls.cert_file.clone(),
            "--key".to_owned(),
            tls.key_file.clone(),
        ]);
    }
    ClientConn {
        port: tls.port,
        tls_args,
        tls_files: vec![
            tls.cert_file.clone(),
            tls.key_file.clone(),
            tls.ca_file.clone(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::model::{Credential, Service, Tls, Workload};

    fn k8s() -> Kubernetes {
        Kubernetes {
            namespace: "prod".into(),
            name: "cache".into(),
            image: "redis:7.0".into(),
            memory_limit: "1Gi".into(),
            cpu: None,
            storage: "1Gi".into(),
            storage_class: None,
        }
    }

    fn service(name: &str, password: SecretRef) -> Service {
        Service {
            name: name.into(),
            pointer: String::new(),
            password,
            reads: vec![],
            writes: vec![],
            owns: vec![],
            events: vec![],
            scan: false,
            scripting: false,
            channels: vec![],
        }
    }

    #[test]
    fn every_reference_kind_has_its_place_in_the_pod() {
        let mut access = Access::undeclared("/stores/cache");
        access.admin = Credential {
            user: "ops".into(),
            password: SecretRef::Kubernetes {
                name: "redis-admin".into(),
                key: "password".into(),
            },
            pointer: String::new(),
        };
        let shared = SecretRef::Kubernetes {
            name: "apps".into(),
            key: "api".into(),
        };
        access
            .services
            .insert("api".into(), service("api", shared.clone()));
        access.services.insert(
            "worker".into(),
            service(
                "worker",
                SecretRef::Kubernetes {
                    name: "apps".into(),
                    key: "worker".into(),
                },
            ),
        );
        access.services.insert(
            "batch".into(),
            service("batch", SecretRef::File("/vault/batch".into())),
        );
        // Two users on one variable (CG503 warns) give one variable.
        access.services.insert(
            "twin".into(),
            service("twin", SecretRef::Env(Access::DEFAULT_VERIFIER_ENV.into())),
        );

        let c = credentials(&access, &k8s(), true);
        assert_eq!(c.env_secret, "cache-credentials");
        let names: Vec<&str> = c.env.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                Access::DEFAULT_VERIFIER_ENV,
                Access::DEFAULT_REPLICATION_ENV
            ]
        );
        assert!(
            c.env
                .iter()
                .all(|e| e.from.secret == "cache-credentials" && e.from.key == e.name)
        );
        assert_eq!(
            c.volumes,
            [
                SecretVolume {
                    volume: "secret-0".into(),
                    secret: "redis-admin".into(),
                    keys: vec!["password".into()],
                    mount_path: "/run/secrets/cachegen/redis-admin".into(),
                },
                SecretVolume {
                    volume: "secret-1".into(),
                    secret: "apps".into(),
                    keys: vec!["api".into(), "worker".into()],
                    mount_path: "/run/secrets/cachegen/apps".into(),
                },
            ]
        );
        assert_eq!(c.files, ["/vault/batch"]);
        assert_eq!(c.admin_user, "ops");
        assert_eq!(
            c.admin,
            AdminAuth::Secret(SecretKey {
                secret: "redis-admin".into(),
                key: "password".into()
            })
        );

        // Without replicas the replication user has no password to read.
        let c = credentials(&access, &k8s(), false);
        assert!(
            !c.env
                .iter()
                .any(|e| e.name == Access::DEFAULT_REPLICATION_ENV)
        );

        // A file reference for the operator: the scripts read the file.
        access.admin.password = SecretRef::File("/vault/admin".into());
        let c = credentials(&access, &k8s(), false);
        assert_eq!(c.admin, AdminAuth::File("/vault/admin".into()));
    }

    #[test]
    fn the_network_policy_admits_the_declared_clients_on_the_client_ports() {
        let mut access = Access::undeclared("/stores/cache");
        let n = network(&access, &k8s(), 6379, 16379);
        assert_eq!(n.client_ports, [6379]);
        assert_eq!(n.peer_ports, [6379, 16379]);
        assert!(n.clients.is_empty(), "no declared clients, no client peers");

        access.clients_from.cidrs = vec!["10.0.0.0/8".into()];
        access.clients_from.kubernetes = vec![
            Workload {
                pointer: String::new(),
                namespace: None,
                labels: [("app".to_owned(), "api".to_owned())].into_iter().collect(),
            },
            Workload {
                pointer: String::new(),
                namespace: Some("jobs".into()),
                labels: [("app".to_owned(), "worker".to_owned())]
                    .into_iter()
                    .collect(),
            },
        ];
        access.tls = Some(Tls {
            pointer: String::new(),
            port: 6380,
            plain_port: None,
            cert_file: "/c".into(),
            key_file: "/k".into(),
            ca_file: "/ca".into(),
            client_certs: Default::default(),
        });
        let n = network(&access, &k8s(), 6379, 16379);
        assert_eq!(n.client_ports, [6380], "TLS only: the plain port is closed");
        assert_eq!(n.peer_ports, [6380, 16379]);
        assert_eq!(
            n.clients,
            [
                Peer::Pods {
                    namespace: "prod".into(),
                    labels: vec![("app".into(), "api".into())]
                },
                Peer::Pods {
                    namespace: "jobs".into(),
                    labels: vec![("app".into(), "worker".into())]
                },
                Peer::Cidr("10.0.0.0/8".into()),
            ]
        );
        access.tls.as_mut().unwrap().plain_port = Some(6379);
        assert_eq!(
            network(&access, &k8s(), 6379, 16379).client_ports,
            [6380, 6379]
        );

        // The pods' own calls go over TLS, with the node's certificate
        // where clients must present one.
        let conn = client_conn(&access, 6379);
        assert_eq!(conn.port, 6380);
        assert_eq!(
            conn.tls_args,
            ["--tls", "--cacert", "/ca", "--cert", "/c", "--key", "/k"]
        );
        assert_eq!(conn.tls_files, ["/c", "/k", "/ca"]);
        access.tls.as_mut().unwrap().client_certs = ClientCerts::None;
        assert_eq!(
            client_conn(&access, 6379).tls_args,
            ["--tls", "--cacert", "/ca"]
        );
        access.tls = None;
        let conn = client_conn(&access, 6379);
        assert_eq!((conn.port, conn.tls_args.len()), (6379, 0));
    }
}
