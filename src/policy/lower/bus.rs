//! Owns the check that a cluster store's client ports (`access.tls.port`,
//! `plain_port`) do not take its cluster bus port: the config would build
//! cleanly and the node would then fail to bind at start (CG025).

use super::Cx;
use crate::diag::codes;
use crate::policy::model::{KUBERNETES_BUS_PORT, Store};

/// The port a cluster store's node binds for the cluster bus, given its
/// client ports: Kubernetes sets it (16379); elsewhere the store's
/// redis.conf leaves Redis' default, the first client port (`port`, else
/// `tls-port`) + 10000.
fn bus_port(store: &Store, tls_port: u16, plain_port: Option<u16>) -> Option<u32> {
    let cluster = store.cluster.as_ref()?;
    Some(if cluster.kubernetes.is_some() {
        u32::from(KUBERNETES_BUS_PORT)
    } else {
        u32::from(plain_port.unwrap_or(tls_port)) + 10000
    })
}

impl Cx<'_> {
    /// Reports a TLS or plain client port equal to the cluster bus port.
    pub(super) fn bus_port_clash(&mut self, store: &Store) {
        let Some(tls) = &store.access.tls else {
            return;
        };
        let Some(bus) = bus_port(store, tls.port, tls.plain_port) else {
            return;
        };
        let at = format!("{}/tls", store.access.pointer);
        for (field, port) in [("port", Some(tls.port)), ("plain_port", tls.plain_port)] {
            if port.map(u32::from) == Some(bus) {
                self.report(
                    codes::INCONSISTENT,
                    format!("`{field}` {bus} is the cluster bus port of store `{}`", store.name),
                    self.span(&format!("{at}/{field}")),
                    "the cluster bus port",
                    Some("a node cannot listen for clients and the cluster bus on one port: choose another port".into()),
                );
            }
        }
    }
}
