//! The `kubernetes/` target's credentials: every password reaches the pods
//! from a Secret reference only (the init container's environment or a
//! mounted Secret), never as text in the manifest.

mod support;
use cachegen::policy::model::SecretRef;
use k8s_openapi::api::core::v1::{Container, EnvVar};
use std::collections::BTreeMap;
use std::process::Command;
use support::kubernetes::*;
use support::render::render;

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
