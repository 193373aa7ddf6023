//! Test support: a replicated store's generated configs run for real. The
//! primary from its redis.conf and replicas from its replica.conf, with the
//! credentials the generated installer wrote, on free loopback ports; the
//! configs name the primary at 127.0.0.1:6379, and each replica's copy has
//! that one line rewritten to the test primary's port (never 6379).
//! `tests/build_replicated.rs` and `tests/verify_replicas.rs` share it.

use super::credentials::{Installed, install, login};
use super::render::file;
use super::{Client, RedisServer, bulk, info_field};
use cachegen::FileReport;
use cachegen::policy::model::Store;
use cachegen::render::OutputFile;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// shop's policy (`policies/shop.yaml`) with its `durable` store at Redis
/// 7.0, the `redis-server` on PATH: its 7.2 verifier ACL line names
/// `client|no-touch`, which 7.0 refuses.
pub fn shop_at_7_0() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/shop.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    super::render::store_at_version(&text, "durable", "7.2", "7.0")
}

/// One store's rendered files, model and installed credentials.
pub struct Replicated {
    pub files: Vec<OutputFile>,
    pub store: Store,
    pub installed: Installed,
}

impl Replicated {
    /// `store` of a checked and rendered policy, its credentials installed.
    pub fn new(mut report: FileReport, files: Vec<OutputFile>, store: &str) -> Replicated {
        let mut policy = report.policy.take().expect("lowers");
        let store = policy
            .stores
            .shift_remove(store)
            .unwrap_or_else(|| panic!("no store {store}"));
        let installed = install(&files, &store);
        Replicated {
            files,
            store,
            installed,
        }
    }

    /// The primary, from the installed redis.conf.
    pub fn start_primary(&self) -> RedisServer {
        RedisServer::start(Some(&self.installed.conf), &[])
    }

    /// A generated file of the store with its credentials directory pointed
    /// at the installed one and `primary_line.0` replaced by `.1`.
    pub fn localised(&self, name: &str, primary_line: (&str, String)) -> String {
        let default_dir = cachegen::render::access::default_credentials_dir(&self.store);
        let text = file(&self.files, &format!("stores/{}/{name}", self.store.name));
        assert!(
            text.contains(primary_line.0),
            "{name} names the primary as `{}`",
            primary_line.0
        );
        text.replace(
            &default_dir,
            self.installed
                .dir
                .path()
                .join("credentials")
                .to_str()
                .unwrap(),
        )
        .replace(primary_line.0, &primary_line.1)
    }

    /// A replica from the generated replica.conf, replicating `primary`
    /// (a port; nothing need answer there).
    pub fn start_replica(&self, primary: u16) -> RedisServer {
        let text = self.localised(
            "replica.conf",
            (
                "replicaof 127.0.0.1 6379",
                format!("replicaof 127.0.0.1 {primary}"),
            ),
        );
        // One file per replica started (several may follow one primary).
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let conf = write(
            self.installed.dir.path(),
            &format!("replica-{primary}-{n}.conf"),
            &text,
        );
        RedisServer::start(Some(&conf), &[])
    }

    pub fn admin(&self, port: u16) -> Client {
        login(port, "admin", self.installed.password("admin"))
    }

    /// Waits until the replica on `replica` reports its link up.
    pub fn wait_link_up(&self, replica: u16) {
        wait_for(
            "the replica's link to the primary",
            Duration::from_secs(10),
            || {
                let info = bulk(
                    self.admin(replica)
                        .command(&["INFO", "replication"])
                        .unwrap(),
                );
                (info_field(&info, "master_link_status").as_deref() == Some("up")).then_some(())
            },
        );
    }
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Polls `probe` until it returns `Some`, or panics with `what` after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
