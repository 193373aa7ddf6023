//! Owns TLS for verify's connections: the trust roots (a private CA from
//! `--tls-ca`, else the system's), the client certificate a server with
//! `tls-auth-clients yes` asks for (`--tls-cert`/`--tls-key`), the rustls
//! client configuration (ring provider), and the handshake, bounded by one timeout in total and by the
//! run's deadline.

use super::conn::{ConnError, Limits};
use super::stop;
use super::target::Address;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// TLS settings shared by every connection of one run.
#[derive(Clone)]
pub struct Tls {
    config: Arc<rustls::ClientConfig>,
    /// Name to check certificates against instead of each node's host.
    server_name: Option<String>,
}

impl Tls {
    /// Trusts the PEM certificates in `ca_file`, or the system's roots, and
    /// presents `client` (a PEM certificate chain and its key) when given.
    pub fn new(
        ca_file: Option<&std::path::Path>,
        server_name: Option<String>,
        client: Option<(&std::path::Path, &std::path::Path)>,
    ) -> Result<Self, String> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let mut roots = rustls::RootCertStore::empty();
        match ca_file {
            Some(path) => {
                let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                    .map_err(|e| format!("cannot read --tls-ca {}: {e}", path.display()))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--tls-ca {} is not PEM: {e}", path.display()))?;
                if certs.is_empty() {
                    return Err(format!("--tls-ca {} holds no certificate", path.display()));
                }
                for cert in certs {
                    roots
                        .add(cert)
                        .map_err(|e| format!("--tls-ca {}: {e}", path.display()))?;
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                for cert in found.certs {
                    // A broken system certificate is the system's problem;
                    // the ones that parse still verify.
                    let _ = roots.add(cert);
                }
                if roots.is_empty() {
                    return Err("no system CA certificates found; pass --tls-ca FILE".into());
                }
            }
        }
        // The ring provider is passed explicitly: no process-wide default to
        // install, and no aws-lc C build.
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots);
        let config = match client {
            None => builder.with_no_client_auth(),
            Some((cert_file, key_file)) => {
                let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
                    .map_err(|e| format!("cannot read --tls-cert {}: {e}", cert_file.display()))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--tls-cert {} is not PEM: {e}", cert_file.display()))?;
                if chain.is_empty() {
                    return Err(format!(
                        "--tls-cert {} holds no certificate",
                        cert_file.display()
                    ));
                }
                // The key's bytes never reach a message: only its path.
                let key = PrivateKeyDer::from_pem_file(key_file).map_err(|_| {
                    format!(
                        "--tls-key {} holds no readable PEM private key",
                        key_file.display()
                    )
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    format!("--tls-cert and --tls-key do not make a client identity: {e}")
                })?
            }
        };
        Ok(Tls {
            config: Arc::new(config),
            server_name,
        })
    }
}

pub(super) fn handshake(
    address: &Address,
    mut tcp: TcpStream,
    tls: &Tls,
    limits: &Limits,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, ConnError> {
    let name = tls
        .server_name
        .clone()
        .unwrap_or_else(|| address.host.clone());
    let server_name = rustls_pki_types::ServerName::try_from(name.clone()).map_err(|_| {
        ConnError::Tls(format!(
            "{address}: `{name}` is not a valid TLS server name"
        ))
    })?;
    let mut conn = rustls::ClientConnection::new(tls.config.clone(), server_name)
        .map_err(|e| ConnError::Tls(format!("{address}: {e}")))?;
    // Complete the handshake now, so a certificate problem is reported as
    // one instead of surfacing as a failed PING. The whole handshake gets
    // one timeout (a server dripping a byte per read timeout cannot stretch
    // it), read in short slices so the run's deadline and a signal are
    // noticed.
    let give_up = Instant::now() + limits.timeout.min(limits.deadline.remaining());
    let timed_out = || {
        ConnError::Tls(format!(
            "{address}: TLS handshake timed out (is this a TLS port?)"
        ))
    };
    while conn.is_handshaking() {
        if let Some(why) = limits.deadline.stopped() {
            return Err(ConnError::Stopped(format!("{address}: {why}")));
        }
        let left = give_up.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        tcp.set_read_timeout(Some(left.min(stop::SLICE).max(Duration::from_millis(1))))
            .map_err(|e| ConnError::Tls(format!("{address}: {e}")))?;
        if let Err(e) = conn.complete_io(&mut tcp) {
            use std::io::ErrorKind::*;
            let message = match e.kind() {
                WouldBlock | TimedOut | Interrupted => continue,
                InvalidData => format!(
                    "{address}: TLS handshake failed: {e} (wrong CA? pass --tls-ca; a plain-text port? use redis://)"
                ),
                _ => format!("{address}: TLS handshake failed: {e} (is this a TLS port?)"),
            };
            return Err(ConnError::Tls(message));
        }
    }
    Ok(rustls::StreamOwned::new(conn, tcp))
}
