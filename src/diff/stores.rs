//! Owns the store side of a diff: stores added or removed, and per store its
//! Redis directives (by the exact value `CONFIG GET` reports), version,
//! memory budget and topology (cluster, replicated with its Sentinels,
//! hosted). Every change names its store as
//! `stores.<name>`, whichever way the file writes it.

use super::{Category, Change, push};
use crate::analysis::memory::memory_budget;
use crate::load::units::human_bytes;
use crate::policy::model::{Policy, Store};
use crate::redis_directives::{immutable, managed_directives};
use std::collections::BTreeMap;

pub(super) fn changes(base: &Policy, head: &Policy, out: &mut Vec<Change>) {
    for (name, b) in &base.stores {
        if !head.stores.contains_key(name) {
            push(
                out,
                Category::Topology,
                subject(name),
                "",
                Some("declared".into()),
                None,
                "its patterns moved elsewhere or went away; the deployment itself is not touched",
            );
            continue;
        }
        store_changes(base, b, head, &head.stores[name], out);
    }
    for name in head.stores.keys() {
        if !base.stores.contains_key(name) {
            push(
                out,
                Category::Topology,
                subject(name),
                "",
                None,
                Some("declared".into()),
                "a new store: it starts empty",
            );
        }
    }
}

fn subject(store: &str) -> String {
    format!("stores.{store}")
}

fn store_changes(base: &Policy, b: &Store, head: &Policy, h: &Store, out: &mut Vec<Change>) {
    let who = subject(&h.name);
    let directives = |s: &Store| -> BTreeMap<&'static str, String> {
        managed_directives(s)
            .into_iter()
            .map(|d| (d.name, d.config_get))
            .collect()
    };
    let (bd, hd) = (directives(b), directives(h));
    let names: std::collections::BTreeSet<&str> = bd.keys().chain(hd.keys()).copied().collect();
    for name in names {
        let (bv, hv) = (bd.get(name), hd.get(name));
        if bv != hv {
            let restart = immutable(h.engine, h.redis.version, name);
            push(
                out,
                if restart {
                    Category::Restart
                } else {
                    Category::Directive
                },
                who.clone(),
                name,
                bv.cloned(),
                hv.cloned(),
                if restart {
                    "cannot be changed at runtime: restart every node"
                } else {
                    "CONFIG SET applies it live"
                },
            );
        }
    }
    if b.engine != h.engine {
        push(
            out,
            Category::Restart,
            who.clone(),
            "engine",
            Some(b.engine.name().to_owned()),
            Some(h.engine.name().to_owned()),
            "another server: its defaults and directives differ",
        );
    }
    if b.redis.version != h.redis.version {
        push(
            out,
            Category::Restart,
            who.clone(),
            "version",
            Some(format!("{}.{}", b.redis.version.0, b.redis.version.1)),
            Some(format!("{}.{}", h.redis.version.0, h.redis.version.1)),
            "a server upgrade",
        );
    }
    memory(base, b, head, h, &who, out);
    topology(b, h, &who, out);
}

/// The expected memory of the patterns that declare a cardinality.
fn memory(base: &Policy, b: &Store, head: &Policy, h: &Store, who: &str, out: &mut Vec<Change>) {
    let (bm, hm) = (memory_budget(base, b), memory_budget(head, h));
    if bm.total == hm.total {
        return;
    }
    let mut note = match hm.capacity {
        Some(c) => format!(
            "{:.0}% of maxmemory after the change",
            hm.total as f64 * 100.0 / c as f64
        ),
        None => "maxmemory 0: no limit".to_owned(),
    };
    let (mut bt, mut ht) = (human_bytes(bm.total), human_bytes(hm.total));
    if bt == ht {
        // Rounded alike (`1.9 GiB` both sides): without the bytes the row
        // would show no change, yet it counts for `--fail-on memory`.
        bt = format!("{bt} ({} B)", bm.total);
        ht = format!("{ht} ({} B)", hm.total);
        let delta = i128::from(hm.total) - i128::from(bm.total);
        note = format!("{delta:+} B; {note}");
    }
    push(
        out,
        Category::Memory,
        who.to_owned(),
        "expected memory",
        Some(bt),
        Some(ht),
        &note,
    );
}

/// A replicated or hosted store's topology as `field → value`, the
/// `min_replicas_*` left to the directive rows (they are directives too).
fn replicated_and_hosted(s: &Store) -> BTreeMap<&'static str, String> {
    let mut m = BTreeMap::new();
    if let Some(r) = &s.replicated {
        m.insert("replicated.replicas", r.replicas.to_string());
        if let Some(t) = &r.sentinel {
            m.insert("replicated.sentinel.sentinels", t.sentinels.to_string());
            m.insert("replicated.sentinel.quorum", t.quorum.to_string());
            m.insert("replicated.sentinel.down_after", t.down_after.to_string());
            m.insert(
                "replicated.sentinel.failover_timeout",
                t.failover_timeout.to_string(),
            );
            m.insert(
                "replicated.sentinel.parallel_syncs",
                t.parallel_syncs.to_string(),
            );
            m.insert("replicated.sentinel.master_name", t.master_name.clone());
        }
    }
    if let Some(h) = &s.hosted {
        m.insert("hosted.service", h.service.name().to_owned());
        if let Some(t) = &h.node_type {
            m.insert("hosted.node_type", t.clone());
        }
        if let Some(n) = h.replicas {
            m.insert("hosted.replicas", n.to_string());
        }
    }
    m
}

fn topology(b: &Store, h: &Store, who: &str, out: &mut Vec<Change>) {
    let (bm, hm) = (replicated_and_hosted(b), replicated_and_hosted(h));
    for field in bm.keys().chain(hm.keys().filter(|k| !bm.contains_key(*k))) {
        let (bv, hv) = (bm.get(field), hm.get(field));
        if bv != hv {
            let note = match *field {
                "replicated.sentinel.master_name" => {
                    "clients ask the Sentinels for the primary by this name"
                }
                "hosted.service" => "another service: a new deployment",
                _ => "",
            };
            push(
                out,
                Category::Topology,
                who.to_owned(),
                field,
                bv.cloned(),
                hv.cloned(),
                note,
            );
        }
    }
    let topo = |s: &Store| -> BTreeMap<&'static str, String> {
        let mut m = BTreeMap::new();
        if let Some(c) = &s.cluster {
            m.insert("masters", c.masters.to_string());
            m.insert("replicas_per_master", c.replicas_per_master.to_string());
            m.insert("node_timeout", c.node_timeout.to_string());
        }
        m
    };
    match (&b.cluster, &h.cluster) {
        (None, Some(_)) => push(
            out,
            Category::Topology,
            who.to_owned(),
            "cluster",
            Some("single node".into()),
            Some("cluster".into()),
            "keys gain hash-tag braces: the cache starts cold",
        ),
        (Some(_), None) => push(
            out,
            Category::Topology,
            who.to_owned(),
            "cluster",
            Some("cluster".into()),
            Some("single node".into()),
            "keys lose hash-tag braces: the cache starts cold",
        ),
        _ => {
            let (bt, ht) = (topo(b), topo(h));
            for (field, bv) in &bt {
                let hv = ht.get(field);
                if Some(bv) != hv {
                    let note = if *field == "masters" {
                        "resharding moves slots (and their keys)"
                    } else {
                        ""
                    };
                    push(
                        out,
                        Category::Topology,
                        who.to_owned(),
                        &format!("cluster.{field}"),
                        Some(bv.clone()),
                        hv.cloned(),
                        note,
                    );
                }
            }
        }
    }
}
