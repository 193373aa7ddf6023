//! The `kubernetes/` target: one manifest, parsed document by document into
//! the typed Kubernetes objects (k8s-openapi) and checked against the policy
//! model. There is no Kubernetes API server here, so what a pod runs is
//! proven on a real local Redis instead: nodes started with the ConfigMap's
//! redis.conf and the StatefulSet's command line, formed into the policy's
//! cluster by the Job's script, and judged by the pods' probe scripts.

mod support;
use support::render::{render, render_text};

use support::render::{paths_under, quizmentor_cache_at, without_policy_hash};

use cachegen::load;
use cachegen::policy::model::{SecretRef, Workload};
use cachegen::render::{OutputFile, Templates};
use cachegen::source::SourceFile;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Container, EnvVar, Service};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use support::{Client, Reply};

const QUIZMENTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/quizmentor.yaml");
const SHOP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/build-shop.yaml"
);
const MANIFEST: &str = "stores/cache/kubernetes/redis-cluster.yaml";

fn quizmentor_text() -> String {
    std::fs::read_to_string(QUIZMENTOR).unwrap()
}

/// `text` with `from` replaced by `to`, which must occur exactly once.
fn edit(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` once in the policy");
    text.replacen(from, to, 1)
}

fn check(name: &str, text: &str) -> cachegen::FileReport {
    cachegen::check_bytes(name, text.as_bytes(), &cachegen::CheckOptions::default())
}

fn manifest_text(files: &[OutputFile]) -> &str {
    &files
        .iter()
        .find(|f| f.path == MANIFEST)
        .unwrap_or_else(|| panic!("{MANIFEST} not generated"))
        .contents
}

/// The YAML documents of a `---`-separated stream, each read with cachegen's
/// own strict YAML 1.2 loader (it reads one document, hence the split).
/// Comment-only parts (the header) have no document and are left out.
fn yaml_documents(text: &str) -> Vec<Value> {
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
fn assert_known_fields(written: &Value, typed: &Value, path: &str) {
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

fn typed<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &Value, what: &str) -> T {
    let object: T = serde_json::from_value(doc.clone())
        .unwrap_or_else(|e| panic!("{what} does not parse as its Kubernetes type: {e}"));
    assert_known_fields(doc, &serde_json::to_value(&object).unwrap(), what);
    object
}

/// The manifest's objects, in the order they are written.
struct Objects {
    docs: Vec<Value>,
    config_map: ConfigMap,
    headless: Service,
    client: Service,
    statefulset: StatefulSet,
    pdb: PodDisruptionBudget,
    network_policy: NetworkPolicy,
    job: Job,
}

fn objects(text: &str) -> Objects {
    let docs = yaml_documents(text);
    let kinds: Vec<(&str, &str)> = docs
        .iter()
        .map(|d| {
            (
                d["apiVersion"].as_str().unwrap_or("?"),
                d["kind"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
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
    fn redis_conf(&self) -> &str {
        self.config_file("redis.conf")
    }

    fn config_file(&self, name: &str) -> &str {
        &self.config_map.data.as_ref().expect("data")[name]
    }

    /// The sha256 the pods carry: every ConfigMap file as its name, a NUL
    /// and its contents.
    fn config_checksum(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for name in ["redis.conf", "users.acl", "install-credentials.sh"] {
            h.update(name.as_bytes());
            h.update([0]);
            h.update(self.config_file(name).as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn node_pod_spec(&self) -> &k8s_openapi::api::core::v1::PodSpec {
        let spec = self.statefulset.spec.as_ref().unwrap();
        spec.template.spec.as_ref().unwrap()
    }

    fn init_container(&self) -> &Container {
        let init = self.node_pod_spec().init_containers.as_ref().unwrap();
        assert_eq!(init.len(), 1);
        &init[0]
    }

    fn node_container(&self) -> &Container {
        let spec = self.statefulset.spec.as_ref().unwrap();
        let containers = &spec.template.spec.as_ref().unwrap().containers;
        assert_eq!(containers.len(), 1);
        &containers[0]
    }

    fn job_container(&self) -> &Container {
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
    fn script(command: &[String]) -> &str {
        assert_eq!(&command[..2], ["sh", "-c"], "{command:?}");
        assert_eq!(command.len(), 3, "{command:?}");
        &command[2]
    }

    fn readiness(&self) -> &str {
        let probe = self.node_container().readiness_probe.as_ref().unwrap();
        Self::script(probe.exec.as_ref().unwrap().command.as_ref().unwrap())
    }

    fn liveness(&self) -> &str {
        let probe = self.node_container().liveness_probe.as_ref().unwrap();
        Self::script(probe.exec.as_ref().unwrap().command.as_ref().unwrap())
    }

    fn create_script(&self) -> &str {
        Self::script(self.job_container().command.as_ref().unwrap())
    }

    fn checksum(&self) -> &str {
        let spec = self.statefulset.spec.as_ref().unwrap();
        let annotations = spec
            .template
            .metadata
            .as_ref()
            .unwrap()
            .annotations
            .as_ref();
        &annotations.expect("pod template annotations")["checksum/config"]
    }

    fn selector(&self) -> &BTreeMap<String, String> {
        let spec = self.statefulset.spec.as_ref().unwrap();
        spec.selector.match_labels.as_ref().expect("matchLabels")
    }

    /// Every pod's stable DNS name, from the StatefulSet and its Service:
    /// `<statefulset>-<ordinal>.<service>.<namespace>.svc.cluster.local`.
    fn pod_dns_names(&self) -> Vec<String> {
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
    fn create_command(&self) -> Vec<String> {
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

fn policy_of(report: &cachegen::FileReport) -> &cachegen::policy::model::Policy {
    report.policy.as_ref().unwrap()
}

#[test]
fn quizmentor_manifest_snapshot() {
    let (_, files) = render(QUIZMENTOR);
    assert_eq!(paths_under(&files, "stores/cache/kubernetes"), [MANIFEST]);
    let text = manifest_text(&files);
    assert!(
        text.starts_with("# Generated by cachegen from policy `quizmentor`"),
        "the header comes first"
    );
    insta::assert_snapshot!("quizmentor", without_policy_hash(text));
}

#[test]
fn every_document_is_its_typed_object_and_matches_the_policy() {
    let (report, files) = render(QUIZMENTOR);
    let policy = policy_of(&report);
    let cluster = policy.first_store().cluster.as_ref().unwrap();
    let k8s = cluster.kubernetes.as_ref().unwrap();
    let o = objects(manifest_text(&files));
    let nodes = cluster.masters * (1 + cluster.replicas_per_master);
    assert_eq!(
        (cluster.masters, cluster.replicas_per_master, nodes),
        (3, 2, 9)
    );

    // Every object lives in the policy's namespace and carries the names the
    // others refer to.
    for doc in &o.docs {
        assert_eq!(doc["metadata"]["namespace"], k8s.namespace.as_str());
        let name = doc["metadata"]["name"].as_str().unwrap();
        assert!(name.len() <= 63 && name.starts_with(&k8s.name), "{name}");
    }
    let sts_spec = o.statefulset.spec.as_ref().unwrap();
    assert_eq!(
        o.statefulset.metadata.name.as_deref(),
        Some(k8s.name.as_str())
    );
    assert_eq!(sts_spec.replicas, Some(i32::try_from(nodes).unwrap()));
    assert_eq!(sts_spec.pod_management_policy.as_deref(), Some("Parallel"));
    assert_eq!(sts_spec.service_name, o.headless.metadata.name);

    // The pods carry the selector's labels; the Services, the PDB and the
    // anti-affinity select exactly them.
    let selector = o.selector();
    let pod_labels = sts_spec
        .template
        .metadata
        .as_ref()
        .unwrap()
        .labels
        .as_ref()
        .unwrap();
    for (k, v) in selector {
        assert_eq!(pod_labels.get(k), Some(v), "pod label {k}");
    }
    for service in [&o.headless, &o.client] {
        assert_eq!(
            service.spec.as_ref().unwrap().selector.as_ref(),
            Some(selector)
        );
    }
    let headless = o.headless.spec.as_ref().unwrap();
    assert_eq!(headless.cluster_ip.as_deref(), Some("None"));
    assert_eq!(headless.publish_not_ready_addresses, Some(true));
    let client = o.client.spec.as_ref().unwrap();
    assert_ne!(client.cluster_ip.as_deref(), Some("None"));
    assert_eq!(
        client.ports.as_ref().unwrap()[0].target_port,
        Some(IntOrString::String("redis".into()))
    );

    // The node config: the policy's directives, a data dir on the volume.
    let conf = o.redis_conf();
    let lines: Vec<&str> = conf.lines().filter(|l| !l.starts_with('#')).collect();
    for want in [
        format!("maxmemory {}", policy.first_store().redis.maxmemory.bytes()),
        "cluster-enabled yes".into(),
        "cluster-config-file nodes.conf".into(),
        format!("cluster-node-timeout {}", cluster.node_timeout.as_millis()),
        "dir /data".into(),
        "port 6379".into(),
        "cluster-port 16379".into(),
        "cluster-preferred-endpoint-type hostname".into(),
    ] {
        assert!(
            lines.contains(&want.as_str()),
            "redis.conf lacks `{want}`:\n{conf}"
        );
    }
    // The rest of redis.conf's directives, unchanged.
    let redis_conf = files
        .iter()
        .find(|f| f.path == "stores/cache/redis.conf")
        .unwrap();
    // Where the credentials live is the pod's own (an in-memory volume):
    // `credentials_come_from_secret_references_only` checks those lines.
    let pod_owned = ["aclfile", "include", "protected-mode"];
    for line in redis_conf
        .contents
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter(|l| !pod_owned.contains(&l.split(' ').next().unwrap()))
    {
        assert!(lines.contains(&line), "redis.conf lacks `{line}`");
    }

    // The checksum that rolls the pods covers redis.conf and the users.
    assert_eq!(o.checksum(), o.config_checksum());

    // The node container: the ConfigMap mounted where the command reads it,
    // the volume where redis.conf's `dir` points (nodes.conf is relative to it).
    let c = o.node_container();
    let command = c.command.as_ref().unwrap();
    assert_eq!(command[..2], ["redis-server", "/etc/redis/redis.conf"]);
    let announce = command
        .iter()
        .position(|a| a == "--cluster-announce-hostname")
        .unwrap();
    let dns = o.pod_dns_names();
    assert_eq!(
        command[announce + 1],
        dns[0].replacen(&format!("{}-0", k8s.name), "$(POD_NAME)", 1)
    );
    let env = c.env.as_ref().unwrap();
    assert_eq!(env[0].name, "POD_NAME");
    assert_eq!(
        env[0]
            .value_from
            .as_ref()
            .unwrap()
            .field_ref
            .as_ref()
            .unwrap()
            .field_path,
        "metadata.name"
    );
    let mounts: BTreeMap<&str, &str> = c
        .volume_mounts
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| (m.name.as_str(), m.mount_path.as_str()))
        .collect();
    assert_eq!(mounts["data"], "/data");
    assert_eq!(mounts["config"], "/etc/redis");
    let volumes = sts_spec
        .template
        .spec
        .as_ref()
        .unwrap()
        .volumes
        .as_ref()
        .unwrap();
    assert_eq!(
        volumes[0].config_map.as_ref().unwrap().name,
        o.config_map.metadata.name.clone().unwrap()
    );
    let ports: BTreeMap<&str, i32> = c
        .ports
        .as_ref()
        .unwrap()
        .iter()
        .map(|p| (p.name.as_deref().unwrap(), p.container_port))
        .collect();
    assert_eq!(
        ports,
        BTreeMap::from([("cluster-bus", 16379), ("redis", 6379)])
    );

    // Resources: requests = limits = the policy's memory limit and cpu.
    let resources = c.resources.as_ref().unwrap();
    let limits = resources.limits.as_ref().unwrap();
    assert_eq!(limits["memory"], Quantity(k8s.memory_limit.clone()));
    assert_eq!(limits["cpu"], Quantity(k8s.cpu.clone().unwrap()));
    assert_eq!(resources.requests.as_ref(), Some(limits));

    // The volume: the policy's size, holding /data.
    let claims = sts_spec.volume_claim_templates.as_ref().unwrap();
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].metadata.name.as_deref(), Some("data"));
    let claim = claims[0].spec.as_ref().unwrap();
    assert_eq!(
        claim.resources.as_ref().unwrap().requests.as_ref().unwrap()["storage"],
        Quantity(k8s.storage.clone())
    );
    assert_eq!(claim.storage_class_name, k8s.storage_class);

    // Anti-affinity over every node pod, one per Kubernetes node.
    let pod_spec = sts_spec.template.spec.as_ref().unwrap();
    let anti = pod_spec
        .affinity
        .as_ref()
        .unwrap()
        .pod_anti_affinity
        .as_ref()
        .unwrap();
    let required = anti
        .required_during_scheduling_ignored_during_execution
        .as_ref()
        .unwrap();
    assert_eq!(required.len(), 1);
    assert_eq!(required[0].topology_key, "kubernetes.io/hostname");
    assert_eq!(
        required[0]
            .label_selector
            .as_ref()
            .unwrap()
            .match_labels
            .as_ref(),
        Some(selector)
    );

    // Non-root as the official image's redis user.
    let security = pod_spec.security_context.as_ref().unwrap();
    assert_eq!(security.run_as_user, Some(999));
    assert_eq!(security.fs_group, Some(999));
    assert_eq!(security.run_as_non_root, Some(true));
    // Redis and redis-cli never call the Kubernetes API: no token mounted.
    let job_spec = o.job.spec.as_ref().unwrap().template.spec.as_ref().unwrap();
    for (what, spec) in [("StatefulSet", pod_spec), ("Job", job_spec)] {
        assert_eq!(spec.automount_service_account_token, Some(false), "{what}");
    }

    // Probes: readiness is cluster health, liveness is PING.
    assert!(o.readiness().contains("cluster info"), "{}", o.readiness());
    assert!(o.readiness().contains("cluster_state:ok"));
    assert!(o.readiness().contains(" ping"));
    assert!(o.liveness().contains(" ping"));

    // At most one node pod down through voluntary disruptions.
    let pdb = o.pdb.spec.as_ref().unwrap();
    assert_eq!(pdb.max_unavailable, Some(IntOrString::Int(1)));
    assert_eq!(
        pdb.selector.as_ref().unwrap().match_labels.as_ref(),
        Some(selector)
    );

    // The Job creates the cluster from every pod's DNS name, with the policy's
    // replicas; its pods are not node pods.
    let words = o.create_command();
    let mut want: Vec<String> = vec![
        "redis-cli".into(),
        "--user".into(),
        "'admin'".into(),
        "--cluster".into(),
        "create".into(),
    ];
    want.extend(dns.iter().map(|h| format!("{h}:6379")));
    want.extend([
        "--cluster-replicas".into(),
        cluster.replicas_per_master.to_string(),
        "--cluster-yes".into(),
        "||".into(),
    ]);
    assert_eq!(words, want);
    assert_eq!(o.job_container().image.as_deref(), Some(k8s.image.as_str()));
    assert_eq!(
        o.node_container().image.as_deref(),
        Some(k8s.image.as_str())
    );
    let job_pod = o
        .job
        .spec
        .as_ref()
        .unwrap()
        .template
        .metadata
        .as_ref()
        .unwrap();
    let job_labels = job_pod.labels.as_ref().unwrap();
    assert!(
        selector.iter().any(|(k, v)| job_labels.get(k) != Some(v)),
        "the Job's pod must not match the node selector"
    );
}

/// The secret-key reference of a variable, or a panic: no variable of any
/// container may carry a literal value.
fn secret_key_ref(e: &EnvVar) -> (&str, &str) {
    assert!(e.value.is_none(), "{} has a literal value", e.name);
    let from = e.value_from.as_ref().unwrap();
    let r = from
        .secret_key_ref
        .as_ref()
        .unwrap_or_else(|| panic!("{} is not from a Secret", e.name));
    (r.name.as_str(), r.key.as_str())
}

#[test]
fn credentials_come_from_secret_references_only() {
    // The binary renders with every password of the policy in its
    // environment: none of them may reach any generated file.
    let (report, _) = render(QUIZMENTOR);
    let policy = policy_of(&report);
    let out = tempfile::tempdir().unwrap();
    let mut all_secrets = Vec::new();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cachegen"));
    cmd.args(["build", QUIZMENTOR, "--out"]).arg(out.path());
    for store in policy.stores.values() {
        let name = store
            .cluster
            .as_ref()
            .and_then(|c| c.kubernetes.as_ref())
            .map_or(store.name.as_str(), |k| k.name.as_str());
        let secrets = Secrets::for_store(store, name);
        let own = format!("{name}-credentials");
        for (secret, keys) in &secrets.0 {
            for (key, value) in keys {
                // The variables of `{env}` references.
                if *secret == own {
                    cmd.env(key, value);
                }
                all_secrets.push(value.clone());
            }
        }
    }
    let status = cmd.output().unwrap();
    assert!(status.status.success(), "{status:?}");
    let mut scanned = 0;
    for entry in walk(out.path()) {
        let text = std::fs::read_to_string(&entry).unwrap();
        for secret in &all_secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{} holds a password",
                entry.display()
            );
        }
        scanned += 1;
    }
    assert!(scanned > 10, "{scanned} files");

    let manifest = std::fs::read_to_string(
        out.path()
            .join("quizmentor")
            .join(MANIFEST)
            .to_str()
            .unwrap(),
    )
    .unwrap();
    let o = objects(&manifest);
    let store = policy.first_store();
    let k8s = store.cluster.as_ref().unwrap().kubernetes.as_ref().unwrap();
    let own_secret = format!("{}-credentials", k8s.name);
    // The manifest tells how to create the Secret without a password on a
    // command line.
    assert!(
        manifest.contains(&format!(
            "#   kubectl create secret generic {own_secret} --namespace {} \\\n",
            k8s.namespace
        )),
        "{manifest}"
    );

    // The init container gets every password as a Secret reference: each
    // `{env: X}` from key X of the store's Secret.
    let init = o.init_container();
    let refs: BTreeMap<&str, (&str, &str)> = init
        .env
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| (e.name.as_str(), secret_key_ref(e)))
        .collect();
    // Each `{secret: {name, key}}` is mounted read-only where the installer
    // reads it: /run/secrets/cachegen/<name>/<key>.
    let pod = o.node_pod_spec();
    for (user, reference, _) in store.access.credentials() {
        match reference {
            SecretRef::Env(var) => {
                assert_eq!(
                    refs.get(var.as_str()),
                    Some(&(own_secret.as_str(), var.as_str())),
                    "{user}'s {var}"
                );
                assert!(
                    manifest.contains(&format!("#     --from-file={var}=<file holding it>")),
                    "{var} in the kubectl line"
                );
            }
            SecretRef::Kubernetes { name, key } => {
                let mount = init
                    .volume_mounts
                    .iter()
                    .flatten()
                    .find(|m| m.mount_path == format!("/run/secrets/cachegen/{name}"))
                    .unwrap_or_else(|| panic!("{user}: Secret {name} not mounted"));
                assert_eq!(mount.read_only, Some(true));
                let volume = pod
                    .volumes
                    .iter()
                    .flatten()
                    .find(|v| v.name == mount.name)
                    .unwrap();
                let source = volume.secret.as_ref().unwrap();
                assert_eq!(source.secret_name.as_deref(), Some(name.as_str()));
                assert!(
                    source
                        .items
                        .iter()
                        .flatten()
                        .any(|i| i.key == *key && i.path == *key),
                    "{user}: key {key} of {name}"
                );
                // Never in the node container, which needs no password.
                assert!(
                    !o.node_container()
                        .volume_mounts
                        .iter()
                        .flatten()
                        .any(|m| m.name == mount.name)
                );
            }
            SecretRef::File(_) => panic!("{user}: quizmentor names no file"),
        }
    }
    // It writes into the in-memory volume that the node reads the ACL from.
    let mounts = |c: &Container| -> BTreeMap<String, (String, bool)> {
        c.volume_mounts
            .iter()
            .flatten()
            .map(|m| {
                (
                    m.name.clone(),
                    (m.mount_path.clone(), m.read_only.unwrap_or(false)),
                )
            })
            .collect()
    };
    assert_eq!(
        mounts(init)["credentials"],
        ("/run/cachegen".to_owned(), false)
    );
    assert_eq!(
        mounts(o.node_container())["credentials"],
        ("/run/cachegen".to_owned(), true)
    );
    let volume = o
        .node_pod_spec()
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .find(|v| v.name == "credentials")
        .unwrap();
    assert_eq!(
        volume.empty_dir.as_ref().unwrap().medium.as_deref(),
        Some("Memory")
    );
    let conf = o.redis_conf();
    for line in [
        "protected-mode yes",
        "aclfile /run/cachegen/users.acl",
        "include /run/cachegen/replication.conf",
    ] {
        assert!(conf.lines().any(|l| l == line), "redis.conf lacks {line}");
    }
    assert!(
        !conf
            .lines()
            .any(|l| l.starts_with("requirepass") || l.starts_with("masterauth"))
    );
    assert_eq!(o.config_file("users.acl"), {
        let path = out.path().join("quizmentor/stores/cache/users.acl");
        std::fs::read_to_string(path).unwrap()
    });

    // The probes and the Job authenticate as the operator: REDISCLI_AUTH
    // from the operator's Secret key, the user named on the command line,
    // no password anywhere in the scripts.
    let SecretRef::Env(admin_var) = &store.access.admin.password else {
        panic!("quizmentor's operator password is an env reference")
    };
    for (what, container) in [("node", o.node_container()), ("job", o.job_container())] {
        let auth = container
            .env
            .iter()
            .flatten()
            .find(|e| e.name == "REDISCLI_AUTH")
            .unwrap_or_else(|| panic!("{what}: no REDISCLI_AUTH"));
        assert_eq!(
            secret_key_ref(auth),
            (own_secret.as_str(), admin_var.as_str()),
            "{what}"
        );
    }
    for (what, script) in [
        ("readiness", o.readiness()),
        ("liveness", o.liveness()),
        ("create", o.create_script()),
    ] {
        let calls: Vec<&str> = script
            .lines()
            .filter(|l| {
                // Calls, not comments or messages naming the program.
                let l = l.trim_start();
                !l.starts_with('#') && !l.starts_with("die ") && l.contains("redis-cli ")
            })
            .collect();
        assert!(!calls.is_empty(), "{what}");
        for call in calls {
            assert!(
                call.contains("redis-cli --user 'admin' ")
                    || call.contains("redis-cli -p 6379 --user 'admin' "),
                "{what}: {call}"
            );
            assert!(
                !call.contains(" -a ") && !call.contains("--pass"),
                "{what}: {call}"
            );
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
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

#[test]
fn the_network_policy_admits_the_nodes_the_job_and_the_declared_clients() {
    let (report, _) = render(QUIZMENTOR);
    let mut policy = report.policy.unwrap();
    let store = policy.stores.get_mut("cache").unwrap();
    // Declared clients, whatever the bundled policy declares.
    store.access.clients_from.cidrs = vec!["10.20.0.0/16".into()];
    store.access.clients_from.kubernetes = vec![
        Workload {
            pointer: String::new(),
            namespace: None,
            labels: [("app".to_owned(), "api".to_owned())].into_iter().collect(),
        },
        Workload {
            pointer: String::new(),
            namespace: Some("ops".into()),
            labels: [
                ("app".to_owned(), "verify".to_owned()),
                ("team".to_owned(), "sre".to_owned()),
            ]
            .into_iter()
            .collect(),
        },
    ];
    let origin = cachegen::render::Origin::new(&policy, "quizmentor.yaml");
    let files = cachegen::render::render_all(&policy, &origin, &Templates::default()).unwrap();
    let o = objects(manifest_text(&files));
    let k8s = policy.stores["cache"]
        .cluster
        .as_ref()
        .unwrap()
        .kubernetes
        .as_ref()
        .unwrap();

    let np = &o.network_policy;
    assert_eq!(
        np.metadata.namespace.as_deref(),
        Some(k8s.namespace.as_str())
    );
    let spec = np.spec.as_ref().unwrap();
    assert_eq!(
        spec.pod_selector.as_ref().unwrap().match_labels.as_ref(),
        Some(o.selector())
    );
    assert_eq!(
        spec.policy_types.as_deref(),
        Some(&["Ingress".to_owned()][..])
    );
    let rules = spec.ingress.as_ref().unwrap();
    assert_eq!(rules.len(), 3);
    let ports = |i: usize| -> Vec<i32> {
        rules[i]
            .ports
            .iter()
            .flatten()
            .map(|p| {
                assert_eq!(p.protocol.as_deref(), Some("TCP"));
                match p.port.as_ref().unwrap() {
                    IntOrString::Int(n) => *n,
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    };
    let labels_of = |peer: &k8s_openapi::api::networking::v1::NetworkPolicyPeer| {
        peer.pod_selector
            .as_ref()
            .unwrap()
            .match_labels
            .clone()
            .unwrap()
    };

    // 1. The nodes: client and bus ports, from pods the StatefulSet's selector picks.
    let from = rules[0].from.as_ref().unwrap();
    assert_eq!(from.len(), 1);
    assert_eq!(&labels_of(&from[0]), o.selector());
    assert!(
        from[0].namespace_selector.is_none(),
        "the store's own namespace"
    );
    assert_eq!(ports(0), [6379, 16379]);

    // 2. The create Job's pods, on the client port only.
    let from = rules[1].from.as_ref().unwrap();
    let job_labels = o
        .job
        .spec
        .as_ref()
        .unwrap()
        .template
        .metadata
        .as_ref()
        .unwrap()
        .labels
        .clone()
        .unwrap();
    let selector = labels_of(&from[0]);
    assert!(
        selector.iter().all(|(k, v)| job_labels.get(k) == Some(v)),
        "{selector:?} selects the Job's pods"
    );
    assert!(
        selector.iter().any(|(k, v)| o.selector().get(k) != Some(v)),
        "not the nodes"
    );
    assert_eq!(ports(1), [6379]);

    // 3. The declared clients, as declared: pods by namespace and labels,
    //    CIDRs as ipBlocks; the client port only.
    let from = rules[2].from.as_ref().unwrap();
    let mut peers = Vec::new();
    for peer in from {
        if let Some(block) = &peer.ip_block {
            assert!(peer.pod_selector.is_none() && peer.namespace_selector.is_none());
            peers.push(format!("cidr {}", block.cidr));
        } else {
            let ns = peer
                .namespace_selector
                .as_ref()
                .unwrap()
                .match_labels
                .as_ref()
                .unwrap();
            assert_eq!(ns.len(), 1);
            peers.push(format!(
                "{} {:?}",
                ns["kubernetes.io/metadata.name"],
                labels_of(peer)
            ));
        }
    }
    assert_eq!(
        peers,
        [
            format!("{} {{\"app\": \"api\"}}", k8s.namespace),
            "ops {\"app\": \"verify\", \"team\": \"sre\"}".to_owned(),
            "cidr 10.20.0.0/16".to_owned(),
        ]
    );
    assert_eq!(ports(2), [6379]);

    // No declared clients: no client rule at all (nobody else may connect).
    let mut policy = policy;
    let store = policy.stores.get_mut("cache").unwrap();
    store.access.clients_from = Default::default();
    let files = cachegen::render::render_all(&policy, &origin, &Templates::default()).unwrap();
    let o = objects(manifest_text(&files));
    assert_eq!(
        o.network_policy
            .spec
            .as_ref()
            .unwrap()
            .ingress
            .as_ref()
            .unwrap()
            .len(),
        2
    );
}

/// A TLS store: clients, the probes and the Job use the TLS port, over TLS,
/// with the node's certificate where clients must present one; the plain
/// port is closed, and the NetworkPolicy opens the TLS port.
#[test]
fn a_tls_store_is_reached_over_tls() {
    let (report, _) = render(QUIZMENTOR);
    let mut policy = report.policy.unwrap();
    let store = policy.stores.get_mut("cache").unwrap();
    store.access.tls = Some(cachegen::policy::model::Tls {
        pointer: String::new(),
        port: 6380,
        plain_port: None,
        cert_file: "/etc/redis/tls/tls.crt".into(),
        key_file: "/etc/redis/tls/tls.key".into(),
        ca_file: "/etc/redis/tls/ca.crt".into(),
        client_certs: cachegen::policy::model::ClientCerts::Required,
    });
    let origin = cachegen::render::Origin::new(&policy, "quizmentor.yaml");
    let files = cachegen::render::render_all(&policy, &origin, &Templates::default()).unwrap();
    let text = manifest_text(&files);
    let o = objects(text);

    let ports: BTreeMap<&str, i32> = o
        .node_container()
        .ports
        .iter()
        .flatten()
        .map(|p| (p.name.as_deref().unwrap(), p.container_port))
        .collect();
    assert_eq!(
        ports,
        BTreeMap::from([("cluster-bus", 16379), ("redis", 6380)])
    );
    for service in [&o.headless, &o.client] {
        let p = &service.spec.as_ref().unwrap().ports.as_ref().unwrap()[0];
        assert_eq!((p.name.as_deref(), p.port), (Some("redis"), 6380));
    }
    assert!(
        !o.redis_conf().lines().any(|l| l == "port 6379"),
        "{}",
        o.redis_conf()
    );
    // The store's TLS lines: TLS port, plain port closed, bus and
    // replication over TLS.
    for line in [
        "tls-port 6380",
        "port 0",
        "tls-cluster yes",
        "tls-replication yes",
    ] {
        assert!(
            o.redis_conf().lines().any(|l| l == line),
            "{line}: {}",
            o.redis_conf()
        );
    }

    let tls = "--tls --cacert '/etc/redis/tls/ca.crt' --cert '/etc/redis/tls/tls.crt' --key '/etc/redis/tls/tls.key' ";
    for (what, script) in [("readiness", o.readiness()), ("liveness", o.liveness())] {
        assert!(
            script.contains(&format!("redis-cli {tls}-p 6380 --user 'admin' ")),
            "{what}: {script}"
        );
        assert!(!script.contains("6379"), "{what}");
    }
    let create = o.create_script();
    assert!(
        create.contains(&format!("redis-cli {tls}--user 'admin' --cluster create")),
        "{create}"
    );
    assert!(
        create.contains(&format!("redis-cli {tls}--user 'admin' -h ")),
        "{create}"
    );
    for name in o.pod_dns_names() {
        assert!(create.contains(&format!("{name}:6380")), "{name}");
    }
    for script in [o.readiness(), o.liveness(), create] {
        let status = Command::new("sh")
            .args(["-n", "-c", script])
            .status()
            .unwrap();
        assert!(status.success(), "{script}");
    }
    // The pods need the files: the header says so.
    assert!(text.contains("#   /etc/redis/tls/tls.key\n"), "{text}");

    let spec = o.network_policy.spec.as_ref().unwrap();
    let rule_ports = |i: usize| -> Vec<IntOrString> {
        spec.ingress.as_ref().unwrap()[i]
            .ports
            .iter()
            .flatten()
            .map(|p| p.port.clone().unwrap())
            .collect()
    };
    assert_eq!(
        rule_ports(0),
        [IntOrString::Int(6380), IntOrString::Int(16379)]
    );
    assert_eq!(rule_ports(1), [IntOrString::Int(6380)]);
}

#[test]
fn scripts_are_valid_posix_sh() {
    for version in ["7.0", "8.0"] {
        let text = quizmentor_cache_at(&quizmentor_text(), version);
        let (_, files) = render_text("quizmentor.yaml", &text);
        let o = objects(manifest_text(&files));
        for (what, script) in [
            ("readiness", o.readiness()),
            ("liveness", o.liveness()),
            ("create", o.create_script()),
        ] {
            let status = Command::new("sh")
                .args(["-n", "-c", script])
                .output()
                .unwrap();
            assert!(
                status.status.success(),
                "{version} {what}: {}",
                String::from_utf8_lossy(&status.stderr)
            );
        }
    }
}

#[test]
fn optional_cpu_and_storage_class() {
    let text = edit(
        &quizmentor_text(),
        "    cpu: \"8\"",
        "    storage_class: fast-ssd\n    # cpu: \"8\"",
    );
    let (_, files) = render_text("quizmentor.yaml", &text);
    let o = objects(manifest_text(&files));
    let resources = o.node_container().resources.as_ref().unwrap();
    for list in [&resources.limits, &resources.requests] {
        let list = list.as_ref().unwrap();
        assert_eq!(list.keys().collect::<Vec<_>>(), ["memory"]);
    }
    let claims = o
        .statefulset
        .spec
        .as_ref()
        .unwrap()
        .volume_claim_templates
        .as_ref()
        .unwrap();
    assert_eq!(
        claims[0]
            .spec
            .as_ref()
            .unwrap()
            .storage_class_name
            .as_deref(),
        Some("fast-ssd")
    );
}

#[test]
fn the_longest_name_fits_every_kubernetes_limit() {
    let name = format!("a{}", "b".repeat(51));
    assert_eq!(name.len(), 52);
    let text = edit(
        &quizmentor_text(),
        "        namespace: quizmentor\n",
        &format!("        namespace: quizmentor\n        name: {name}\n"),
    );
    let (_, files) = render_text("quizmentor.yaml", &text);
    let o = objects(manifest_text(&files));
    for doc in &o.docs {
        let object = doc["metadata"]["name"].as_str().unwrap();
        assert!(object.len() <= 63, "{object}");
    }
    // Pod names get `-<ordinal>`, the controller's revision label adds a
    // hash of 10 characters: both stay label-sized.
    assert!(name.len() + 1 + 10 <= 63);
    for host in o.pod_dns_names() {
        assert!(host.len() <= 253, "{host}");
        assert!(host.split('.').all(|label| label.len() <= 63), "{host}");
    }
    let job = o.job.metadata.name.as_ref().unwrap();
    assert!(
        job.len() <= 63,
        "the Job's name is a label value on its pods: {job}"
    );
}

#[test]
fn a_policy_without_kubernetes_renders_no_kubernetes_file() {
    let (report, files) = render(SHOP);
    assert!(policy_of(&report).first_store().cluster.is_none());
    assert_eq!(
        paths_under(&files, "stores/redis/kubernetes"),
        Vec::<&str>::new()
    );

    // A cluster without a `kubernetes` section: VM files only.
    let text = quizmentor_text();
    let start = text
        .find("      # Not in the runbook (it names hosts only)")
        .unwrap();
    let end = start + text[start..].find("\n\n").unwrap() + 1;
    let text = format!("{}{}", &text[..start], &text[end..]);
    let (report, files) = render_text("quizmentor.yaml", &text);
    let cluster = policy_of(&report).first_store().cluster.as_ref().unwrap();
    assert!(cluster.kubernetes.is_none());
    assert_eq!(
        paths_under(&files, "stores/cache/kubernetes"),
        Vec::<&str>::new()
    );
    assert!(
        files
            .iter()
            .any(|f| f.path == "stores/cache/cluster/bootstrap.sh")
    );
}

#[test]
fn deterministic_and_the_checksum_follows_the_config() {
    let text = quizmentor_text();
    let (_, a) = render_text("quizmentor.yaml", &text);
    let (_, b) = render_text("quizmentor.yaml", &text);
    assert_eq!(manifest_text(&a), manifest_text(&b), "byte-identical");
    let base = objects(manifest_text(&a));

    // A comment edit changes nothing: the header carries the model hash
    // (issue 15 item 9), and the pods do not roll.
    let (_, files) = render_text("quizmentor.yaml", &format!("{text}# a new comment\n"));
    let commented = manifest_text(&files);
    assert_eq!(commented, manifest_text(&a));
    assert_eq!(objects(commented).checksum(), base.checksum());
    assert_eq!(base.checksum(), base.config_checksum());

    // A different maxmemory changes redis.conf, and with it the checksum.
    let text = edit(&text, "  maxmemory: 2gb ", "  maxmemory: 2000mb ");
    let (_, files) = render_text("quizmentor.yaml", &text);
    let changed = objects(manifest_text(&files));
    assert!(changed.redis_conf().contains("\nmaxmemory 2097152000\n"));
    assert_ne!(changed.checksum(), base.checksum());
    assert_eq!(changed.checksum(), changed.config_checksum());
}

#[test]
fn maxmemory_above_the_memory_limit_is_never_fixed_by_the_renderer() {
    let text = edit(&quizmentor_text(), "  maxmemory: 2gb ", "  maxmemory: 3gb ");
    // CG105 is an error: nothing is rendered.
    let report = check("quizmentor.yaml", &text);
    assert!(report.diagnostics.iter().any(|d| d.code.code == "CG105"));
    assert!(cachegen::render_report(&report, &Templates::default()).is_none());

    // Downgraded on purpose, it renders both values exactly as written.
    let text = format!("{text}lint:\n  warn: [CG105]\n");
    let (_, files) = render_text("quizmentor.yaml", &text);
    let o = objects(manifest_text(&files));
    assert!(o.redis_conf().contains("\nmaxmemory 3221225472\n"));
    let limits = o
        .node_container()
        .resources
        .as_ref()
        .unwrap()
        .limits
        .as_ref()
        .unwrap();
    assert_eq!(limits["memory"], Quantity("3Gi".into()));
}

// --- A real Redis -----------------------------------------------------------

/// A redis-server started the way the StatefulSet starts it, on loopback
/// ports. Killed when dropped.
struct Node {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Node {
    /// Starts `command` (the container's command line) with the ConfigMap's
    /// redis.conf. What differs from a pod, and only that: the client and
    /// bus ports (every node shares one machine here), the data directory
    /// (a temp dir instead of the `/data` volume) and the announced host
    /// name or IP (`$(POD_NAME)...` does not resolve here).
    fn start(conf: &str, credentials: &Path, command: &[String], port: u16, bus: u16) -> Node {
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
        let child = Command::new(support::redis_server_binary())
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

    fn wait_ready(&mut self) {
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

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    fn data_dir(&self) -> PathBuf {
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
fn run_sh(
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
    support::run_with_timeout(cmd, &out_dir.path().join("out"), timeout)
}

fn succeeds(script: &str, env: &[(String, String)]) -> bool {
    run_sh(script, env, Duration::from_secs(20))
        .0
        .is_some_and(|s| s.success())
}

/// The Secrets of a namespace, as the test creates them: name → key → value.
struct Secrets(BTreeMap<String, BTreeMap<String, String>>);

impl Secrets {
    /// A distinct test password for every reference of the store: the
    /// store's own Secret (`<name>-credentials`) holds every `{env: X}`
    /// under key X; `{secret: {name, key}}` names its Secret and key.
    /// (`{file}` references are the operator's to provide: none here.)
    fn for_store(store: &cachegen::policy::model::Store, k8s_name: &str) -> Secrets {
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
    fn mount(&self, pod: &k8s_openapi::api::core::v1::PodSpec, container: &Container, root: &Path) {
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
    fn env_of(&self, container: &Container) -> Vec<(String, String)> {
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
fn probe_on(script: &str, port: u16) -> String {
    assert!(script.contains("-p 6379 "), "{script}");
    script.replace("-p 6379 ", &format!("-p {port} "))
}

/// The Job's script aimed at the nodes on loopback instead of the pods'
/// DNS names.
/// Each address is in ADDRS and, when redis-cli takes host names, in the
/// create command too (before 7.0 the script resolves ADDRS itself).
fn create_script_on(script: &str, dns: &[String], ports: &[u16]) -> String {
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

#[test]
fn the_pods_config_the_jobs_script_and_the_probes_on_a_real_redis() {
    on_a_real_redis(&quizmentor_text());
}

/// Runs the init container's command with the ConfigMap's files where the
/// pod mounts them, its environment from `secrets`, into a fresh directory
/// standing for the credentials volume.
fn install_credentials(o: &Objects, secrets: &Secrets) -> tempfile::TempDir {
    let init = o.init_container();
    let command = init.command.as_ref().unwrap();
    assert_eq!(
        command[..],
        ["sh", "/etc/redis/install-credentials.sh", "/run/cachegen"]
    );
    // The Secret volumes, mounted under a temp dir instead of
    // /run/secrets/cachegen: CACHEGEN_SECRETS_DIR tells the installer.
    let mounted = tempfile::tempdir().unwrap();
    secrets.mount(o.node_pod_spec(), init, mounted.path());
    let etc = tempfile::tempdir().unwrap();
    for name in ["redis.conf", "users.acl", "install-credentials.sh"] {
        std::fs::write(etc.path().join(name), o.config_file(name)).unwrap();
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
    let (status, output) = support::run_with_timeout(cmd, &out, Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "install-credentials.sh: {output}"
    );
    assert!(volume.path().join("users.acl").is_file());
    volume
}

fn on_a_real_redis(policy_text: &str) {
    support::redis_cli_binary(); // a clear message when it is missing
    let (report, files) = render_text("quizmentor.yaml", policy_text);
    let hostnames = policy_of(&report).first_store().redis.version >= (7, 0);
    let policy = policy_of(&report);
    let o = objects(manifest_text(&files));
    let nodes = o.statefulset.spec.as_ref().unwrap().replicas.unwrap() as usize;
    let command = o.node_container().command.clone().unwrap();
    // One client and one bus port per node, plus one pair for a spare node.
    let ports = support::free_ports(2 * (nodes + 1));
    let (client_ports, bus_ports) = ports.split_at(nodes + 1);
    let (client_ports, spare) = (&client_ports[..nodes], client_ports[nodes]);
    let spare_bus = bus_ports[nodes];

    // The init container: the ConfigMap's installer, run as its command
    // says, with its environment from the Secret, into the credentials
    // volume.
    let store = policy.first_store();
    let k8s_name = &store
        .cluster
        .as_ref()
        .unwrap()
        .kubernetes
        .as_ref()
        .unwrap()
        .name;
    let secrets = Secrets::for_store(store, k8s_name);
    let credentials = install_credentials(&o, &secrets);
    let start =
        |port: u16, bus: u16| Node::start(o.redis_conf(), credentials.path(), &command, port, bus);
    let started: Vec<Node> = (0..nodes)
        .map(|i| start(client_ports[i], bus_ports[i]))
        .collect();
    let probe_env = secrets.env_of(o.node_container());
    let job_env = secrets.env_of(o.job_container());
    let admin_password = &probe_env
        .iter()
        .find(|(k, _)| k == "REDISCLI_AUTH")
        .expect("the probes authenticate")
        .1;

    // Nobody gets in without a password, and `default` cannot log in.
    let mut c = Client::connect(started[0].port).unwrap();
    let Reply::Error(e) = c.command(&["PING"]).unwrap() else {
        panic!("an unauthenticated PING was served");
    };
    assert!(e.starts_with("NOAUTH"), "{e}");
    assert!(matches!(
        c.command(&["AUTH", "default", ""]).unwrap(),
        Reply::Error(e) if e.starts_with("WRONGPASS")
    ));
    assert_eq!(
        c.command(&["AUTH", &store.access.admin.user, admin_password])
            .unwrap(),
        Reply::Simple("OK".into())
    );

    // The ConfigMap's redis.conf, as Redis reads it.
    assert_eq!(
        c.config_get("maxmemory"),
        Some(policy.first_store().redis.maxmemory.bytes().to_string())
    );
    if hostnames {
        assert_eq!(
            c.config_get("cluster-preferred-endpoint-type").as_deref(),
            Some("hostname")
        );
        assert_eq!(
            c.config_get("cluster-announce-hostname").as_deref(),
            Some("127.0.0.1")
        );
    } else {
        assert_eq!(
            c.config_get("cluster-preferred-endpoint-type").as_deref(),
            Some("ip")
        );
        assert_eq!(
            c.config_get("cluster-announce-ip").as_deref(),
            Some("127.0.0.1")
        );
    }
    // quizmentor's cache does not persist (its durable data has a store of
    // its own); whatever the policy says, the node runs with it.
    let appendonly = if policy.first_store().redis.appendonly {
        "yes"
    } else {
        "no"
    };
    assert_eq!(c.config_get("appendonly").as_deref(), Some(appendonly));
    assert!(
        started[0].data_dir().join("nodes.conf").is_file(),
        "nodes.conf lives in `dir`, on the volume"
    );

    // Before the cluster exists: alive, not ready.
    let readiness: Vec<String> = started
        .iter()
        .map(|n| probe_on(o.readiness(), n.port))
        .collect();
    let liveness = probe_on(o.liveness(), started[0].port);
    assert!(
        succeeds(&liveness, &probe_env),
        "liveness before the cluster exists"
    );
    assert!(
        !succeeds(&readiness[0], &probe_env),
        "ready before the cluster exists"
    );
    // A wrong password (a stale Secret, say): neither alive nor ready.
    let wrong = [("REDISCLI_AUTH".to_owned(), "not-the-password".to_owned())];
    assert!(!succeeds(&liveness, &wrong));
    // Nothing answering: not alive.
    assert!(!succeeds(&probe_on(o.liveness(), spare), &probe_env));

    // The Job forms the cluster and waits until it is healthy.
    let dns = o.pod_dns_names();
    let script = create_script_on(o.create_script(), &dns, client_ports);
    let started_at = Instant::now();
    let (status, out) = run_sh(&script, &job_env, Duration::from_secs(120));
    assert!(
        status.is_some_and(|s| s.success()),
        "the create script failed ({status:?}) after {:?}:\n{out}",
        started_at.elapsed()
    );
    assert!(
        out.contains("create-cluster: healthy: 3 masters x 2 replicas"),
        "{out}"
    );
    eprintln!("create script: healthy in {:.1?}", started_at.elapsed());

    // Every pod is ready now, and the cluster has the policy's shape.
    for (i, probe) in readiness.iter().enumerate() {
        assert!(
            succeeds(probe, &probe_env),
            "node {i} not ready after the Job"
        );
        assert!(
            !succeeds(probe, &wrong),
            "node {i} ready to a wrong password"
        );
    }
    let info = match c.command(&["CLUSTER", "INFO"]).unwrap() {
        Reply::Bulk(Some(s)) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        support::info_field(&info, "cluster_known_nodes").as_deref(),
        Some("9")
    );
    assert_eq!(
        support::info_field(&info, "cluster_size").as_deref(),
        Some("3")
    );

    // Run again (a re-applied Job): it leaves the cluster alone.
    let (status, out) = run_sh(&script, &job_env, Duration::from_secs(60));
    assert!(status.is_some_and(|s| s.success()), "{out}");
    assert!(out.contains("the cluster exists"), "{out}");
    assert!(!out.contains("creating"), "{out}");

    // A pod that lost its volume comes back empty: a partly formed cluster is
    // an error, never created over.
    let _empty = start(spare, spare_bus);
    let mut partial_ports = client_ports.to_vec();
    partial_ports[nodes - 1] = spare;
    let script = create_script_on(o.create_script(), &dns, &partial_ports);
    let (status, out) = run_sh(&script, &job_env, Duration::from_secs(60));
    assert!(status.is_some_and(|s| !s.success()), "{out}");
    assert!(
        out.contains("partly formed (8 of 9 nodes know all 9 nodes, 1 are empty)"),
        "{out}"
    );
}

/// A Valkey store's manifest and loopback scripts run Valkey's own programs
/// (its image need not carry the `redis-*` links); a Redis store's keep
/// Redis's.
#[test]
fn each_engine_runs_its_own_programs() {
    let (_, files) = render(concat!(env!("CARGO_MANIFEST_DIR"), "/policies/shop.yaml"));
    let text = |path: &str| {
        &files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} not generated"))
            .contents
    };
    let manifest = text("stores/cache/kubernetes/redis-cluster.yaml");
    let parsed = objects(manifest).statefulset;
    let container = &parsed.spec.unwrap().template.spec.unwrap().containers[0];
    assert_eq!(container.command.as_ref().unwrap()[0], "valkey-server");
    let code: Vec<&str> = manifest
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    assert!(
        code.iter()
            .any(|l| l.contains("valkey-cli -p 6379 --user 'admin' ping"))
    );
    assert!(
        !code
            .iter()
            .any(|l| l.contains("redis-cli") || l.contains("redis-server")),
        "{code:#?}"
    );
    let bootstrap = text("stores/cache/cluster/bootstrap.sh");
    assert!(bootstrap.contains("REDIS_SERVER=${REDIS_SERVER:-valkey-server}"));
    assert!(bootstrap.contains("REDIS_CLI=${REDIS_CLI:-valkey-cli}"));
    let stop = text("stores/cache/cluster/stop.sh");
    assert!(stop.contains("REDIS_CLI=${REDIS_CLI:-valkey-cli}"));
    // No line of the Valkey scripts or manifest names a Redis program
    // (`REDIS_*` variables and `redis.conf`/`redis.log` files are names of
    // their own).
    for (path, text) in [
        ("manifest", manifest.as_str()),
        ("bootstrap.sh", bootstrap.as_str()),
        ("stop.sh", stop.as_str()),
    ] {
        assert!(
            !text.contains("redis-cli") && !text.contains("redis-server"),
            "{path} names a Redis program"
        );
    }

    let (_, files) = render(QUIZMENTOR);
    let bootstrap = files
        .iter()
        .find(|f| f.path == "stores/cache/cluster/bootstrap.sh")
        .unwrap();
    assert!(
        bootstrap
            .contents
            .contains("REDIS_SERVER=${REDIS_SERVER:-redis-server}")
    );
}
