//! The listener an HTTP worker's axum serves (edge.rs): plain TCP, or TLS (`serve
//! --tls-cert/--tls-key`, rustls with ring, the provider reqwest already brings). Each TLS
//! handshake runs in its own task with a timeout, so a slow or silent client cannot hold up
//! the others.
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::{server::TlsStream, TlsAcceptor};
use tokio_util::either::Either;

/// A connection: TLS or plain.
pub type Io = Either<TlsStream<TcpStream>, TcpStream>;

/// How long a client has to finish its TLS handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// The server's TLS configuration from a PEM certificate chain and a PEM private key.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the certificate {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate in {}", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read the private key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| format!("unusable certificate or key: {e}"))?;
    // axum serves HTTP/1.1 (its http2 feature is off)
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The connections handed to an HTTP worker (`edge::serve`), handshaken when TLS is on.
pub struct Edge {
    accepted: mpsc::Receiver<(Io, SocketAddr)>,
    local: SocketAddr,
}

impl Edge {
    /// Registers each connection handed to this worker with the runtime this is called on.
    pub fn new(
        mut handed: mpsc::Receiver<(std::net::TcpStream, SocketAddr)>,
        tls: Option<TlsAcceptor>,
        local: SocketAddr,
    ) -> Edge {
        let (tx, accepted) = mpsc::channel(64);
        tokio::spawn(async move {
            while let Some((tcp, peer)) = handed.recv().await {
                let tcp = match TcpStream::from_std(tcp) {
                    Ok(tcp) => tcp,
                    Err(e) => {
                        tracing::warn!(%peer, error = %e, "cannot register a connection");
                        continue;
                    }
                };
                let Some(acceptor) = &tls else {
                    if tx.send((Either::Right(tcp), peer)).await.is_err() {
                        break;
                    }
                    continue;
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((Either::Left(tls), peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Edge { accepted, local }
    }
}

impl axum::serve::Listener for Edge {
    type Io = Io;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Io, SocketAddr) {
        match self.accepted.recv().await {
            Some(c) => c,
            // the accept task ended (not while this listener is served)
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}
