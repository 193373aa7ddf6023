//! What the replicated manifest's pods run, proven on real local Redis
//! (there is no Kubernetes API server here): each data pod and Sentinel is
//! a temp dir standing for the pod (the ConfigMap's files, a credentials
//! volume filled by the init container's installer, a data volume), its
//! start script run with the environment the manifest gives it, and only
//! the addresses changed through the variables the script reads (every
//! host is `localhost` where that is 127.0.0.1, so Sentinel's host-name
//! settings are exercised; every pod its own port). Pod 0 becomes the primary,
//! the others its replicas, three Sentinels agree; after a failover a
//! restarted pod 0 asks the Sentinels and comes back as a replica.

mod support;
use k8s_openapi::api::apps::v1::StatefulSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::credentials::login;
use support::fake_redis::{Action, FakeRedis, bulk, status};
use support::kubernetes::*;
use support::render::render_text;
use support::replicated::wait_for;
use support::{Client, Reply, info_field, reply_pairs};

const MASTER: &str = "shop-durable";
const ADMIN_KEY: &str = "SHOP_DURABLE_ADMIN_PASSWORD";

/// A pod: its directories and its running start script (which execs the
/// server). Killed when dropped.
struct Pod {
    name: String,
    port: u16,
    script: PathBuf,
    env: Vec<(String, String)>,
    /// The ConfigMap's files, the credentials volume, the data volume.
    etc: tempfile::TempDir,
    credentials: tempfile::TempDir,
    data: tempfile::TempDir,
    child: Option<Child>,
}

impl Pod {
    /// Sets up the pod of `set` named `name`: the init container's
    /// installer into a fresh credentials volume, the ConfigMap's files
    /// with the volume's path where the pod has /run/cachegen (and
    /// `bind 127.0.0.1`: the tests stay on loopback), and the container's
    /// environment plus `vars`.
    fn new(
        o: &ReplicatedObjects,
        set: &StatefulSet,
        secrets: &Secrets,
        name: String,
        port: u16,
        vars: &[(&str, String)],
    ) -> Pod {
        let credentials = install_credentials(
            &o.config_map,
            &["users.acl", "install-credentials.sh"],
            pod_spec(set),
            init_container(set),
            secrets,
        );
        let etc = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let volume = format!("{}/", credentials.path().display());
        for name in [
            "redis.conf",
            "replica.conf",
            "start-redis.sh",
            "start-sentinel.sh",
        ] {
            let mut text = o.config_file(name).to_owned();
            if name.ends_with(".conf") {
                assert!(
                    text.contains("\naclfile /run/cachegen/users.acl\n"),
                    "{text}"
                );
                text = text.replace("/run/cachegen/", &volume) + "bind 127.0.0.1\n";
            }
            std::fs::write(etc.path().join(name), text).unwrap();
        }
        // The Sentinel's working copy, as the installer wrote it.
        let sentinel = credentials.path().join("sentinel.conf");
        let text = std::fs::read_to_string(&sentinel).unwrap();
        std::fs::write(&sentinel, text + "bind 127.0.0.1\n").unwrap();

        let container = container(set);
        let command = container.command.as_ref().unwrap();
        assert_eq!(command[0], "sh");
        let script = etc.path().join(Path::new(&command[1]).file_name().unwrap());
        // The container's own variables: its name (fieldRef) and the
        // operator's password (secretKeyRef).
        let mut env = secrets.env_of(container);
        for e in container.env.iter().flatten() {
            if let Some(field) = e.value_from.as_ref().and_then(|v| v.field_ref.as_ref()) {
                assert_eq!(field.field_path, "metadata.name");
                env.push((e.name.clone(), name.clone()));
            }
        }
        env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        env.extend([
            ("PORT".to_owned(), port.to_string()),
            ("CONFIG_DIR".to_owned(), etc.path().display().to_string()),
            (
                "WORK_DIR".to_owned(),
                credentials.path().display().to_string(),
            ),
            ("DATA_DIR".to_owned(), data.path().display().to_string()),
        ]);
        Pod {
            name,
            port,
            script,
            env,
            etc,
            credentials,
            data,
            child: None,
        }
    }

    fn log(&self) -> PathBuf {
        self.etc.path().join("pod.log")
    }

    /// Runs the start script (in the foreground, as the container's
    /// command), its environment with `overrides` last.
    fn spawn(&mut self, overrides: &[(&str, &str)]) {
        let log = std::fs::File::create(self.log()).unwrap();
        let child = Command::new("sh")
            .arg(&self.script)
            // The data volume, as the redis image's WORKDIR /data is.
            .current_dir(self.data.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(overrides.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// Runs the start script with `overrides` and waits for it to exit:
    /// whether it succeeded, and what it said.
    fn run_to_exit(&mut self, overrides: &[(&str, &str)]) -> (bool, String) {
        self.spawn(overrides);
        let what = format!("{}'s start script to exit", self.name);
        let status = wait_for(&what, Duration::from_secs(30), || {
            self.child.as_mut().unwrap().try_wait().unwrap()
        });
        self.child = None;
        (status.success(), self.output())
    }

    /// Runs the start script and waits until the server answers the
    /// operator's PING.
    fn start(&mut self, password: &str) {
        self.spawn(&[]);
        let what = format!("{} to answer PING", self.name);
        wait_for(&what, Duration::from_secs(30), || {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("{} exited with {status}:\n{}", self.name, self.output());
            }
            let mut c = Client::connect(self.port).ok()?;
            c.command(&["AUTH", "admin", password]).ok()?;
            (c.command(&["PING"]).ok()? == Reply::Simple("PONG".into())).then_some(())
        });
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }
}

impl Drop for Pod {
    fn drop(&mut self) {
        self.stop();
    }
}

fn replication(port: u16, password: &str) -> String {
    match login(port, "admin", password)
        .command(&["INFO", "replication"])
        .unwrap()
    {
        Reply::Bulk(Some(text)) => text,
        other => panic!("{other:?}"),
    }
}

/// `host:port` of the primary a Sentinel names.
fn named_primary(sentinel: u16, password: &str) -> Option<String> {
    let mut c = login(sentinel, "admin", password);
    match c
        .command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER])
        .ok()?
    {
        Reply::Array(items) => match &items[..] {
            [Reply::Bulk(Some(host)), Reply::Bulk(Some(port))] => Some(format!("{host}:{port}")),
            _ => None,
        },
        _ => None,
    }
}

/// Whether the data pod on `port` replicates the primary on `primary`,
/// link up.
fn replicates(port: u16, primary: u16, password: &str) -> bool {
    let info = replication(port, password);
    info_field(&info, "role").as_deref() == Some("slave")
        && info_field(&info, "master_port") == Some(primary.to_string())
        && info_field(&info, "master_link_status").as_deref() == Some("up")
}

/// The shop's durable store at the release the local redis-server runs,
/// and that release's image: its manifest's objects, the Secrets, the
/// operator's password and the Kubernetes name.
fn shop_durable() -> (ReplicatedObjects, Secrets, String, String) {
    let text = edit(
        &support::replicated::shop_at_7_0(),
        "image: \"redis:7.2.6\"",
        "image: \"redis:7.0.15\"",
    );
    let (report, files) = render_text("shop.yaml", &text);
    let o = replicated_objects(
        &files
            .iter()
            .find(|f| f.path == REPLICATED_MANIFEST)
            .unwrap()
            .contents,
    );
    let store = &policy_of(&report).stores["durable"];
    let k8s_name = &store.kubernetes().unwrap().0.name;
    let secrets = Secrets::for_store(store, k8s_name);
    let password = secrets.0[&format!("{k8s_name}-credentials")][ADMIN_KEY].clone();
    (o, secrets, password, k8s_name.clone())
}

/// The name the pods' addresses use: `localhost` where it resolves to
/// 127.0.0.1 only (what the servers bind), so the host-name path
/// (`replica-announce-ip` a name, Sentinel's `resolve-hostnames` and
/// `announce-hostnames`) is exercised; else 127.0.0.1.
fn loopback_name() -> &'static str {
    let out = Command::new("getent")
        .args(["ahosts", "localhost"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut addrs = out
        .split_whitespace()
        .filter(|w| w.parse::<std::net::IpAddr>().is_ok());
    match (addrs.next(), addrs.all(|a| a == "127.0.0.1")) {
        (Some("127.0.0.1"), true) => "localhost",
        _ => "127.0.0.1",
    }
}

/// A Sentinel's reply is split into words with globbing off: a reply `*`
/// is no answer, even where the working directory holds files named like
/// a host and a port.
#[test]
fn a_sentinel_reply_is_never_expanded_as_a_file_name_pattern() {
    support::redis_cli_binary();
    let (o, secrets, _, k8s_name) = shop_durable();
    let sentinel = FakeRedis::start(|args, _| match args[0].as_str() {
        "AUTH" => Action::Reply(status("OK")),
        _ => Action::Reply(bulk(b"*")),
    });
    let vars = [
        ("SENTINEL_HOST", "127.0.0.1".to_owned()),
        ("SENTINEL_PORT", sentinel.port.to_string()),
        ("SENTINEL_TRIES", "1".to_owned()),
        // Where the server would start: nothing to run.
        ("REDIS_SERVER", "true".to_owned()),
    ];
    let port = support::free_ports(1)[0];
    let mut pod = Pod::new(&o, &o.data, &secrets, format!("{k8s_name}-1"), port, &vars);
    for name in ["127.0.0.1", "6390"] {
        std::fs::write(pod.data.path().join(name), "").unwrap();
    }
    let (ok, output) = pod.run_to_exit(&[]);
    assert!(!ok, "{output}");
    assert!(
        output.contains("answered but named no primary for shop-durable (exit 0): *"),
        "{output}"
    );
    assert!(!output.contains("the Sentinels name"), "{output}");
}

#[test]
fn pods_start_as_primary_and_replicas_and_follow_the_sentinels_after_a_failover() {
    support::redis_cli_binary(); // a clear message when it is missing
    let (o, secrets, password, k8s_name) = shop_durable();
    let k8s_name = &k8s_name;
    let host = loopback_name();
    let data_pods = o.data.spec.as_ref().unwrap().replicas.unwrap() as usize;
    let sentinels = o.sentinels.spec.as_ref().unwrap().replicas.unwrap() as usize;
    assert_eq!((data_pods, sentinels), (3, 3));
    let ports = support::free_ports(data_pods + sentinels);
    let (data_ports, sentinel_ports) = ports.split_at(data_pods);
    // Every host is this machine; the Sentinel Service is the first
    // Sentinel's port (nothing answers there until it starts).
    let vars = |first_primary: u16| {
        vec![
            ("ANNOUNCE_HOST", host.to_owned()),
            ("FIRST_PRIMARY_HOST", host.to_owned()),
            ("FIRST_PRIMARY_PORT", first_primary.to_string()),
            ("SENTINEL_HOST", host.to_owned()),
            ("SENTINEL_PORT", sentinel_ports[0].to_string()),
            ("SENTINEL_TRIES", "1".to_owned()),
            ("PRIMARY_WAIT", "20".to_owned()),
        ]
    };

    // The data pods, no Sentinel running: pod 0 is the primary, the others
    // replicate it.
    let mut pods: Vec<Pod> = data_ports
        .iter()
        .enumerate()
        .map(|(i, &port)| {
            let name = format!("{k8s_name}-{i}");
            Pod::new(&o, &o.data, &secrets, name, port, &vars(data_ports[0]))
        })
        .collect();
    for pod in &mut pods {
        pod.start(&password);
        assert!(
            pod.output().contains("no Sentinel could be reached"),
            "{}",
            pod.output()
        );
    }
    let info = replication(data_ports[0], &password);
    assert_eq!(
        info_field(&info, "role").as_deref(),
        Some("master"),
        "{info}"
    );
    for &port in &data_ports[1..] {
        wait_for("a replica's link", Duration::from_secs(20), || {
            replicates(port, data_ports[0], &password).then_some(())
        });
    }
    // The working copy is in the credentials volume, with the pod's lines.
    let copy = std::fs::read_to_string(pods[1].credentials.path().join("redis.conf")).unwrap();
    assert!(
        copy.contains(&format!("\nreplicaof {host} {}\n", data_ports[0])),
        "{copy}"
    );
    assert!(
        copy.contains(&format!("\nreplica-announce-ip {host}\n")),
        "{copy}"
    );

    // The Sentinels: the first finds no other and monitors pod 0, the
    // others ask it.
    let mut sentinel_pods: Vec<Pod> = Vec::new();
    for (i, &port) in sentinel_ports.iter().enumerate() {
        let name = format!("{k8s_name}-sentinel-{i}");
        let mut pod = Pod::new(&o, &o.sentinels, &secrets, name, port, &vars(data_ports[0]));
        pod.start(&password);
        let asked = if i == 0 {
            "no Sentinel could be reached".to_owned()
        } else {
            format!("the Sentinels name {host}:")
        };
        assert!(pod.output().contains(&asked), "{}", pod.output());
        if i == 0 {
            // Alone, the first Sentinel is alive but not ready: it cannot
            // reach the quorum (CKQUORUM), so a rollout would wait for it.
            let env = vec![("REDISCLI_AUTH".to_owned(), password.clone())];
            let [ready, alive] = ReplicatedObjects::probes(&o.sentinels)
                .map(|s| s.replace("-p 26379 ", &format!("-p {port} ")));
            assert!(!succeeds(&ready, &env), "{ready}");
            assert!(succeeds(&alive, &env), "{alive}");
        }
        sentinel_pods.push(pod);
    }
    let primary = format!("{host}:{}", data_ports[0]);
    for &port in sentinel_ports {
        wait_for("the Sentinels to agree", Duration::from_secs(40), || {
            let mut c = login(port, "admin", &password);
            let master = reply_pairs(&c.command(&["SENTINEL", "MASTER", MASTER]).ok()?);
            let field = |k: &str| master.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let ok = named_primary(port, &password).as_deref() == Some(primary.as_str())
                && field("num-other-sentinels") == Some(Reply::Bulk(Some("2".into())))
                && field("num-slaves") == Some(Reply::Bulk(Some("2".into())))
                && matches!(c.command(&["SENTINEL", "CKQUORUM", MASTER]).ok()?, Reply::Simple(s) if s.starts_with("OK"));
            ok.then_some(())
        });
    }
    // Sentinel rewrote its working copy, in the credentials volume, with
    // the host-name settings the start script put first.
    let copy =
        std::fs::read_to_string(sentinel_pods[1].credentials.path().join("sentinel.conf")).unwrap();
    assert!(copy.contains("sentinel resolve-hostnames yes"), "{copy}");
    assert!(copy.contains("sentinel announce-hostnames yes"), "{copy}");
    assert!(
        copy.contains(&format!("sentinel announce-ip \"{host}\""))
            || copy.contains(&format!("sentinel announce-ip {host}\n")),
        "{copy}"
    );

    // The probes pass on every pod.
    let probe_env = vec![("REDISCLI_AUTH".to_owned(), password.clone())];
    for (i, &port) in data_ports.iter().enumerate() {
        for script in ReplicatedObjects::probes(&o.data) {
            assert!(
                succeeds(&probe_on(script, port), &probe_env),
                "data pod {i}: {script}"
            );
        }
    }
    for &port in sentinel_ports {
        for script in ReplicatedObjects::probes(&o.sentinels) {
            assert!(script.contains("-p 26379 "), "{script}");
            let script = script.replace("-p 26379 ", &format!("-p {port} "));
            assert!(succeeds(&script, &probe_env), "Sentinel {port}: {script}");
        }
    }

    // A failover: the Sentinels promote a replica, and pod 0 follows it.
    let reply = login(sentinel_ports[0], "admin", &password)
        .command(&["SENTINEL", "FAILOVER", MASTER])
        .unwrap();
    assert_eq!(reply, Reply::Simple("OK".into()));
    let promoted = wait_for("the failover", Duration::from_secs(60), || {
        let named: Vec<String> = sentinel_ports
            .iter()
            .map(|&s| named_primary(s, &password))
            .collect::<Option<_>>()?;
        let port: u16 = named[0].strip_prefix(&format!("{host}:"))?.parse().ok()?;
        (port != data_ports[0] && named.iter().all(|n| *n == named[0])).then_some(port)
    });
    assert!(data_ports[1..].contains(&promoted));

    // Pod 0 restarts with a password the Sentinels refuse (a rotation
    // that has reached the data pods before the Sentinels): they run, so
    // it must not fall back to starting as a second primary; it stops,
    // naming the refusal, and nothing listens on its port.
    pods[0].stop();
    let (ok, output) = pods[0].run_to_exit(&[("REDISCLI_AUTH", "rotated-new-pw")]);
    assert!(!ok, "{output}");
    assert!(
        output.contains("answered but named no primary for shop-durable")
            && output.contains("WRONGPASS"),
        "{output}"
    );
    assert!(!output.contains("starting as"), "{output}");
    assert!(Client::connect(data_ports[0]).is_err());

    // Pod 0 restarts, with the Sentinels naming the new primary: it asks
    // them and starts as its replica, not as a second primary.
    pods[0].start(&password);
    let output = pods[0].output();
    assert!(
        output.contains(&format!(
            "the Sentinels name {host}:{promoted} as the primary"
        )),
        "{output}"
    );
    assert!(
        output.contains(&format!("starting as the replica of {host}:{promoted}")),
        "{output}"
    );
    wait_for(
        "the restarted pod 0's link",
        Duration::from_secs(30),
        || replicates(data_ports[0], promoted, &password).then_some(()),
    );
    let copy = std::fs::read_to_string(pods[0].credentials.path().join("redis.conf")).unwrap();
    assert!(
        copy.contains(&format!("\nreplicaof {host} {promoted}\n")),
        "{copy}"
    );

    // With no Sentinel answering, the fallback is pod 0 again (what a
    // first deployment does): a replica that restarts then follows pod 0.
    for s in &mut sentinel_pods {
        s.stop();
    }
    pods[2].stop();
    pods[2].start(&password);
    assert!(
        pods[2].output().contains("no Sentinel could be reached"),
        "{}",
        pods[2].output()
    );
    let copy = std::fs::read_to_string(pods[2].credentials.path().join("redis.conf")).unwrap();
    assert!(
        copy.contains(&format!("\nreplicaof {host} {}\n", data_ports[0])),
        "{copy}"
    );
}
