//! Shared by the `build_kubernetes*.rs` tests: the rendered manifest parsed
//! into typed Kubernetes objects (unknown fields refused), accessors for
//! what the pods and the Job run, and a redis-server started the way the
//! StatefulSet starts it, with the Secrets a namespace would hold.

use super::{Client, Reply};
use cachegen::load;
use cachegen::policy::model::SecretRef;
use cachegen::render::OutputFile;
use cachegen::source::SourceFile;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Container, PodSpec, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub const QUIZMENTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/quizmentor.yaml");
pub const SHOP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/build-shop.yaml"
);
pub const MANIFEST: &str = "stores/cache/kubernetes/redis-cluster.yaml";

pub fn quizmentor_text() -> String {
    std::fs::read_to_string(QUIZMENTOR).unwrap()
}

/// `text` with `from` replaced by `to`, which must occur exactly once.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` once in the policy");
    text.replacen(from, to, 1)
}

pub fn check(name: &str, text: &str) -> cachegen::FileReport {
    cachegen::check_bytes(name, text.as_bytes(), &cachegen::CheckOptions::default())
}

pub fn manifest_text(files: &[OutputFile]) -> &str {
    &files
        .iter()
        .find(|f| f.path == MANIFEST)
        .unwrap_or_else(|| panic!("{MANIFEST} not generated"))
        .contents
}

/// The YAML documents of a `---`-separated stream, each read with cachegen's
/// own strict YAML 1.2 loader (it reads one document, hence the split).
/// Comment-only parts (the header) have no document and are left out.
pub fn yaml_documents(text: &str) -> Vec<Value> {
    let mut parts = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line.trim_end_matches('\n') == "---" {
            parts.push(String::new());
        } else {
            parts.last_mut().unwrap().push_str(line);
        }
    }
    assert!(
        parts[0].lines().all(|l| l.starts_with('#')),
        "the header comes first, before any document:\n{}",
        parts[0]
    );
    parts
        .into_iter()
        .enumerate()
        .filter_map(|(i, part)| {
            let src = SourceFile::new(format!("document {i}"), part.as_str());
            let loaded = load::parse(&src);
            assert!(
                loaded.diagnostics.is_empty(),
                "document {i} is not valid YAML: {:?}\n{part}",
                loaded.diagnostics
            );
            Some(load::to_json(&loaded.root?).0)
        })
        .collect()
}

/// Every key of `written` must survive deserialization into the typed object
/// (k8s-openapi ignores unknown fields, so a misspelt optional field would
/// otherwise pass unnoticed), with the same value. The typed side may add
/// keys (it writes `apiVersion`/`kind` into volumeClaimTemplates).
pub fn assert_known_fields(written: &Value, typed: &Value, path: &str) {
    match (written, typed) {
        (Value::Object(w), Value::Object(t)) => {
            for (k, v) in w {
                let tv = t.get(k).unwrap_or_else(|| {
                    panic!("{path}/{k} is not a field of the Kubernetes type (dropped when parsed)")
                });
                assert_known_fields(v, tv, &format!("{path}/{k}"));
            }
        }
        (Value::Array(w), Value::Array(t)) => {
            assert_eq!(w.len(), t.len(), "{path}");
            for (i, (w, t)) in w.iter().zip(t).enumerate() {
                assert_known_fields(w, t, &format!("{path}/{i}"));
            }
        }
        _ => assert_eq!(written, typed, "{path}"),
    }
}

pub fn typed<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &Value, what: &str) -> T {
    let object: T = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("{what} does not parse as its Kubernetes type: {e}"));
    assert_known_fields(doc, &serde_json::to_value(&object).unwrap(), what);
    object
}

/// The manifest's objects, in the order they are written.
pub struct Objects {
    pub docs: Vec<Value>,
    pub config_map: ConfigMap,
    pub headless: Service,
    pub client: Service,
    pub statefulset: StatefulSet,
    pub pdb: PodDisruptionBudget,
    pub network_policy: NetworkPolicy,
    pub job: Job,
}

pub fn objects(text: &str) -> Objects {
    let docs = yaml_documents(text);
    assert_eq!(
        kinds(&docs),
        [
            ("v1", "ConfigMap"),
            ("v1", "Service"),
            ("v1", "Service"),
            ("apps/v1", "StatefulSet"),
            ("policy/v1", "PodDisruptionBudget"),
            ("networking.k8s.io/v1", "NetworkPolicy"),
            ("batch/v1", "Job"),
        ]
    );
    Objects {
        config_map: typed(&docs[0], "ConfigMap"),
        headless: typed(&docs[1], "headless Service"),
        client: typed(&docs[2], "client Service"),
        statefulset: typed(&docs[3], "StatefulSet"),
        pdb: typed(&docs[4], "PodDisruptionBudget"),
        network_policy: typed(&docs[5], "NetworkPolicy"),
        job: typed(&docs[6], "Job"),
        docs,
    }
}

impl Objects {
    pub fn redis_conf(&self) -> &str {
        self.config_file("redis.conf")
    }

    pub fn config_file(&self, name: &str) -> &str {
        config_file(&self.config_map, name)
    }

    /// The sha256 the pods carry: every ConfigMap file as its name, a NUL
    /// and its contents.
    pub fn config_checksum(&self) -> String {
        files_checksum(
            &self.config_map,
            &["redis.conf", "users.acl", "install-credentials.sh"],
        )
    }

    pub fn node_pod_spec(&self) -> &PodSpec {
        pod_spec(&self.statefulset)
    }

    pub fn init_container(&self) -> &Container {
        init_container(&self.statefulset)
    }

    pub fn node_container(&self) -> &Container {
        container(&self.statefulset)
    }

    pub fn job_container(&self) -> &Container {
        let spec = self
            .job
            .spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap();
        assert_eq!(spec.containers.len(), 1);
        &spec.containers[0]
    }

    /// The shell script of an `sh -c SCRIPT` exec command.
    pub fn script(command: &[String]) -> &str {
        assert_eq!(&command[..2], ["sh", "-c"], "{command:?}");
        assert_eq!(command.len(), 3, "{command:?}");
        &command[2]
    }

    pub fn readiness(&self) -> &str {
        let probe = self.node_container().readiness_probe.as_ref().unwrap();
        Self::script(probe.exec.as_ref().unwrap().command.as_ref().unwrap())
    }

    pub fn liveness(&self) -> &str {
        let probe = self.node_container().liveness_probe.as_ref().unwrap();
        Self::script(probe.exec.as_ref().unwrap().command.as_ref().unwrap())
    }

    pub fn create_script(&self) -> &str {
        Self::script(self.job_container().command.as_ref().unwrap())
    }

    pub fn checksum(&self) -> &str {
        checksum(&self.statefulset)
    }

    pub fn selector(&self) -> &BTreeMap<String, String> {
        let spec = self.statefulset.spec.as_ref().unwrap();
        spec.selector.match_labels.as_ref().expect("matchLabels")
    }

    /// Every pod's stable DNS name, from the StatefulSet and its Service:
    /// `<statefulset>-<ordinal>.<service>.<namespace>.svc.cluster.local`.
    pub fn pod_dns_names(&self) -> Vec<String> {
        let meta = &self.statefulset.metadata;
        let spec = self.statefulset.spec.as_ref().unwrap();
        (0..spec.replicas.unwrap())
            .map(|i| {
                format!(
                    "{}-{i}.{}.{}.svc.cluster.local",
                    meta.name.as_ref().unwrap(),
                    spec.service_name.as_ref().unwrap(),
                    meta.namespace.as_ref().unwrap()
                )
            })
            .collect()
    }

    /// The arguments of the script's `redis-cli --cluster create` command
    /// (backslash-continued lines).
    pub fn create_command(&self) -> Vec<String> {
        let lines: Vec<&str> = self.create_script().lines().collect();
        let start = lines
            .iter()
            .position(|l| {
                l.trim_start()
                    .starts_with("redis-cli --user 'admin' --cluster create")
            })
            .expect("a create command");
        let mut words = Vec::new();
        for line in &lines[start..] {
            let line = line.trim();
            let continued = line.ends_with('\\');
            words.extend(
                line.trim_end_matches('\\')
                    .split_whitespace()
                    .map(str::to_owned),
            );
            if !continued {
                break;
            }
        }
        words
    }
}

/// A ConfigMap's file.
pub fn config_file<'a>(config_map: &'a ConfigMap, name: &str) -> &'a str {
    config_map
        .data
        .as_ref()
        .expect("data")
        .get(name)
        .unwrap_or_else(|| panic!("no {name} in the ConfigMap"))
}

/// The sha256 a pod template carries: each of `names` as its name, a NUL
/// and its contents.
pub fn files_checksum(config_map: &ConfigMap, names: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for name in names {
        h.update(name.as_bytes());
        h.update([0]);
        // Without the generated header's lines (the model sha256 changes
        // with every policy edit).
        for line in config_file(config_map, name).split_inclusive('\n') {
            if !line.starts_with("# Generated by cachegen from policy ")
                && !line.starts_with("# model sha256: ")
            {
                h.update(line.as_bytes());
            }
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

pub fn pod_spec(set: &StatefulSet) -> &PodSpec {
    set.spec.as_ref().unwrap().template.spec.as_ref().unwrap()
}

/// The one init container (the credentials installer).
pub fn init_container(set: &StatefulSet) -> &Container {
    let init = pod_spec(set).init_containers.as_ref().unwrap();
    assert_eq!(init.len(), 1);
    &init[0]
}

/// The one container.
pub fn container(set: &StatefulSet) -> &Container {
    let containers = &pod_spec(set).containers;
    assert_eq!(containers.len(), 1);
    &containers[0]
}

/// The pod template's `checksum/config` annotation.
pub fn checksum(set: &StatefulSet) -> &str {
    let template = &set.spec.as_ref().unwrap().template;
    let annotations = template.metadata.as_ref().unwrap().annotations.as_ref();
    &annotations.expect("pod template annotations")["checksum/config"]
}

/// The documents' (apiVersion, kind), in order.
fn kinds(docs: &[Value]) -> Vec<(&str, &str)> {
    docs.iter()
        .map(|d| {
            (
                d["apiVersion"].as_str().unwrap_or("?"),
                d["kind"].as_str().unwrap_or("?"),
            )
        })
        .collect()
}

/// Runs the init container's command with the ConfigMap's `files` where
/// the pod mounts them, its environment from `secrets`, into a fresh
/// directory standing for the credentials volume (its Secret volumes under
/// another, which CACHEGEN_SECRETS_DIR tells the installer).
pub fn install_credentials(
    config_map: &ConfigMap,
    files: &[&str],
    pod: &PodSpec,
    init: &Container,
    secrets: &Secrets,
) -> tempfile::TempDir {
    let command = init.command.as_ref().unwrap();
    assert_eq!(
        command[..],
        ["sh", "/etc/redis/install-credentials.sh", "/run/cachegen"]
    );
    let mounted = tempfile::tempdir().unwrap();
    secrets.mount(pod, init, mounted.path());
    let etc = tempfile::tempdir().unwrap();
    for name in files {
        std::fs::write(etc.path().join(name), config_file(config_map, name)).unwrap();
    }
    let volume = tempfile::tempdir().unwrap();
    let out = etc.path().join("installer.out");
    let mut cmd = Command::new("sh");
    cmd.arg(etc.path().join("install-credentials.sh"))
        .arg(volume.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CACHEGEN_SECRETS_DIR", mounted.path())
        .envs(secrets.env_of(init));
    let (status, output) = super::run_with_timeout(cmd, &out, Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "install-credentials.sh: {output}"
    );
    assert!(volume.path().join("users.acl").is_file());
    volume
}

/// The bundled shop policy, whose `durable` store is replicated under
/// Sentinel with `replicated.kubernetes`.
pub const SHOP_POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/shop.yaml");
pub const REPLICATED_MANIFEST: &str = "stores/durable/kubernetes/redis-replicated.yaml";

/// The replicated manifest's objects, in the order they are written.
pub struct ReplicatedObjects {
    pub docs: Vec<Value>,
    pub config_map: ConfigMap,
    pub headless: Service,
    pub sentinel_headless: Service,
    pub sentinel_service: Service,
    pub data: StatefulSet,
    pub sentinels: StatefulSet,
    pub data_pdb: PodDisruptionBudget,
    pub sentinel_pdb: PodDisruptionBudget,
    pub data_network: NetworkPolicy,
    pub sentinel_network: NetworkPolicy,
}

pub fn replicated_objects(text: &str) -> ReplicatedObjects {
    let docs = yaml_documents(text);
    assert_eq!(
        kinds(&docs),
        [
            ("v1", "ConfigMap"),
            ("v1", "Service"),
            ("v1", "Service"),
            ("v1", "Service"),
            ("apps/v1", "StatefulSet"),
            ("apps/v1", "StatefulSet"),
            ("policy/v1", "PodDisruptionBudget"),
            ("policy/v1", "PodDisruptionBudget"),
            ("networking.k8s.io/v1", "NetworkPolicy"),
            ("networking.k8s.io/v1", "NetworkPolicy"),
        ]
    );
    ReplicatedObjects {
        config_map: typed(&docs[0], "ConfigMap"),
        headless: typed(&docs[1], "data headless Service"),
        sentinel_headless: typed(&docs[2], "Sentinel headless Service"),
        sentinel_service: typed(&docs[3], "Sentinel Service"),
        data: typed(&docs[4], "data StatefulSet"),
        sentinels: typed(&docs[5], "Sentinel StatefulSet"),
        data_pdb: typed(&docs[6], "data PodDisruptionBudget"),
        sentinel_pdb: typed(&docs[7], "Sentinel PodDisruptionBudget"),
        data_network: typed(&docs[8], "data NetworkPolicy"),
        sentinel_network: typed(&docs[9], "Sentinel NetworkPolicy"),
        docs,
    }
}

impl ReplicatedObjects {
    pub fn config_file(&self, name: &str) -> &str {
        config_file(&self.config_map, name)
    }

    /// The exec probes' scripts of a StatefulSet's container: readiness,
    /// liveness.
    pub fn probes(set: &StatefulSet) -> [&str; 2] {
        let c = container(set);
        [&c.readiness_probe, &c.liveness_probe].map(|p| {
            let exec = p.as_ref().unwrap().exec.as_ref().unwrap();
            Objects::script(exec.command.as_ref().unwrap())
        })
    }
}

pub fn policy_of(report: &cachegen::FileReport) -> &cachegen::policy::model::Policy {
    report.policy.as_ref().unwrap()
}

/// Every file under `dir`.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A redis-server started the way the StatefulSet starts it, on loopback
/// ports. Killed when dropped.
pub struct Node {
    pub child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

impl Node {
    /// Starts `command` (the container's command line) with the ConfigMap's
    /// redis.conf. What differs from a pod, and only that: the client and
    /// bus ports (every node shares one machine here), the data directory
    /// (a temp dir instead of the `/data` volume) and the announced host
    /// name or IP (`$(POD_NAME)...` does not resolve here).
    pub fn start(conf: &str, credentials: &Path, command: &[String], port: u16, bus: u16) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let conf = conf.replace("\ndir /data\n", "\n");
        // The in-memory credentials volume is a directory the installer
        // wrote here.
        assert!(
            conf.contains("\naclfile /run/cachegen/users.acl\n"),
            "{conf}"
        );
        let conf = conf.replace("/run/cachegen/", &format!("{}/", credentials.display()));
        let conf_path = dir.path().join("redis.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        assert_eq!(command[..2], ["redis-server", "/etc/redis/redis.conf"]);
        let args: Vec<String> = command[2..]
            .iter()
            .map(|a| {
                if a.starts_with("$(POD_NAME)") || a == "$(POD_IP)" {
                    "127.0.0.1".to_owned()
                } else {
                    a.clone()
                }
            })
            .collect();
        let child = Command::new(super::redis_server_binary())
            .arg(&conf_path)
            .args(&args)
            .args([
                "--port",
                &port.to_string(),
                "--cluster-port",
                &bus.to_string(),
            ])
            .args(["--bind", "127.0.0.1", "--daemonize", "no"])
            .arg("--dir")
            .arg(&data)
            .arg("--logfile")
            .arg(dir.path().join("redis.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        let mut node = Node { child, port, dir };
        node.wait_ready();
        node
    }

    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("redis-server exited with {status}:\n{}", self.log());
            }
            // Up, and refusing a client that did not authenticate.
            if let Ok(mut c) = Client::connect(self.port)
                && matches!(c.command(&["PING"]), Ok(Reply::Error(e)) if e.starts_with("NOAUTH"))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server on {} did not answer:\n{}",
            self.port,
            self.log()
        );
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `sh -c SCRIPT` (as the pod does) with only `env` (and PATH) in
/// its environment, killed after `timeout`; the exit status (None when it
/// timed out) and its output.
pub fn run_sh(
    script: &str,
    env: &[(String, String)],
    timeout: Duration,
) -> (Option<ExitStatus>, String) {
    let out_dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("sh");
    cmd.args(["-c", script])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)));
    super::run_with_timeout(cmd, &out_dir.path().join("out"), timeout)
}

pub fn succeeds(script: &str, env: &[(String, String)]) -> bool {
    run_sh(script, env, Duration::from_secs(20))
        .0
        .is_some_and(|s| s.success())
}

/// The Secrets of a namespace, as the test creates them: name → key → value.
pub struct Secrets(pub BTreeMap<String, BTreeMap<String, String>>);

impl Secrets {
    /// A distinct test password for every reference of the store: the
    /// store's own Secret (`<name>-credentials`) holds every `{env: X}`
    /// under key X; `{secret: {name, key}}` names its Secret and key.
    /// (`{file}` references are the operator's to provide: none here.)
    pub fn for_store(store: &cachegen::policy::model::Store, k8s_name: &str) -> Secrets {
        let mut secrets: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (user, reference, _) in store.access.credentials() {
            let (secret, key) = match reference {
                SecretRef::Env(var) => (format!("{k8s_name}-credentials"), var.clone()),
                SecretRef::Kubernetes { name, key } => (name.clone(), key.clone()),
                other => panic!("{user}: no test Secret for {other:?}"),
            };
            let value = format!("pw-{user}-{secret}-{key}-7f3a9c");
            secrets
                .entry(secret)
                .or_default()
                .entry(key)
                .or_insert(value);
        }
        Secrets(secrets)
    }

    /// Writes the Secret volumes `container` mounts under
    /// `/run/secrets/cachegen` into `root` instead (same layout below it),
    /// as Kubernetes would from the pod's volumes.
    pub fn mount(
        &self,
        pod: &k8s_openapi::api::core::v1::PodSpec,
        container: &Container,
        root: &Path,
    ) {
        for m in container.volume_mounts.iter().flatten() {
            let Some(rest) = m.mount_path.strip_prefix("/run/secrets/cachegen/") else {
                continue;
            };
            let volume = pod
                .volumes
                .iter()
                .flatten()
                .find(|v| v.name == m.name)
                .unwrap();
            let source = volume.secret.as_ref().expect("a Secret volume");
            let data = &self.0[source.secret_name.as_ref().unwrap()];
            let dir = root.join(rest);
            std::fs::create_dir_all(&dir).unwrap();
            for item in source.items.iter().flatten() {
                std::fs::write(dir.join(&item.path), &data[&item.key]).unwrap();
            }
        }
    }

    /// A container's environment as Kubernetes fills it: every variable
    /// from a `secretKeyRef` (the one source of a password), resolved here.
    pub fn env_of(&self, container: &Container) -> Vec<(String, String)> {
        container
            .env
            .iter()
            .flatten()
            .filter_map(|e| {
                let from = e.value_from.as_ref()?.secret_key_ref.as_ref()?;
                let value = &self
                    .0
                    .get(&from.name)
                    .unwrap_or_else(|| panic!("{}: no Secret {}", e.name, from.name))[&from.key];
                Some((e.name.clone(), value.clone()))
            })
            .collect()
    }
}

/// A probe script aimed at a node on `port` instead of the pod's 6379.
pub fn probe_on(script: &str, port: u16) -> String {
    assert!(script.contains("-p 6379 "), "{script}");
    script.replace("-p 6379 ", &format!("-p {port} "))
}

/// The Job's script aimed at the nodes on loopback instead of the pods'
/// DNS names.
/// Each address is in ADDRS and, when redis-cli takes host names, in the
/// create command too (before 7.0 the script resolves ADDRS itself).
pub fn create_script_on(script: &str, dns: &[String], ports: &[u16]) -> String {
    let mut script = script.to_owned();
    let resolves = script.contains("getent hosts");
    for (host, port) in dns.iter().zip(ports) {
        let from = format!("{host}:6379");
        let want = if resolves { 1 } else { 2 };
        assert_eq!(script.matches(&from).count(), want, "{from}");
        script = script.replace(&from, &format!("127.0.0.1:{port}"));
    }
    // `6379` as a whole number: a free port such as 46379 contains it too.
    let bytes = script.as_bytes();
    let whole = script.match_indices("6379").any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + 4).copied();
        !before.is_some_and(|b| b.is_ascii_digit()) && !after.is_some_and(|b| b.is_ascii_digit())
    });
    assert!(!whole, "every address replaced:\n{script}");
    script
}
