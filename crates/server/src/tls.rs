//! HTTPS and WSS served directly (`--tls-cert`, `--tls-key`): the certificate
//! store that SIGHUP reloads, and the listener that TLS-handshakes accepted
//! connections concurrently, so that a slow or silent client never holds up the
//! next accept.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::net::{CountedStream, PeerAddr, TunedListener};

/// How long a client may take to complete its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshaken connections waiting for the server to take them.
const READY_QUEUE: usize = 128;

/// The PEM files of the served certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// The certificate being served; [`CertStore::reload`] swaps it for the
/// current contents of the files.
pub struct CertStore {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl fmt::Debug for CertStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertStore").field("files", &self.files).finish_non_exhaustive()
    }
}

impl CertStore {
    /// Loads the certificate and key; fails with a message naming the bad file.
    pub fn load(files: TlsFiles) -> anyhow::Result<Arc<CertStore>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let key = certified_key(&files, &provider)?;
        Ok(Arc::new(CertStore { files, provider, current: RwLock::new(Arc::new(key)) }))
    }

    /// Reads the files again; on error the certificate served so far stays.
    pub fn reload(&self) -> anyhow::Result<()> {
        let key = certified_key(&self.files, &self.provider)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(key);
        Ok(())
    }

    /// A rustls server configuration that serves this store's certificate.
    pub fn server_config(self: &Arc<Self>) -> anyhow::Result<Arc<ServerConfig>> {
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

fn certified_key(files: &TlsFiles, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let cert_pem = std::fs::read(&files.cert)
        .map_err(|e| anyhow::anyhow!("cannot read --tls-cert {}: {e}", files.cert.display()))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("--tls-cert {} is not a PEM certificate chain: {e}", files.cert.display()))?;
    anyhow::ensure!(!chain.is_empty(), "--tls-cert {} holds no certificate", files.cert.display());
    let key_pem =
        std::fs::read(&files.key).map_err(|e| anyhow::anyhow!("cannot read --tls-key {}: {e}", files.key.display()))?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| anyhow::anyhow!("--tls-key {} is not a PEM private key: {e}", files.key.display()))?;
    let key = CertifiedKey::from_der(chain, key, provider)
        .map_err(|e| anyhow::anyhow!("--tls-key {} does not fit --tls-cert: {e}", files.key.display()))?;
    Ok(key)
}

/// Reloads `store` on every SIGHUP for as long as the process runs; a bad file
/// is logged and the previous certificate stays.
pub fn reload_on_sighup(store: Arc<CertStore>) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup())?;
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match store.reload() {
                    Ok(()) => tracing::info!(cert = %store.files.cert.display(), "TLS certificate reloaded"),
                    Err(err) => tracing::error!(%err, "TLS certificate not reloaded; still serving the previous one"),
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = store;
    Ok(())
}

/// A listener that hands out connections whose TLS handshake is complete.
/// Accepting and handshaking run in tasks of their own; the listener's task
/// stops when the listener is dropped.
#[derive(Debug)]
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<CountedStream>, SocketAddr)>,
    local_addr: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `tcp` and handshaking with `config`.
    pub fn new(mut tcp: TunedListener, config: Arc<ServerConfig>) -> io::Result<TlsListener> {
        let local_addr = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let (stream, addr) = tokio::select! {
                    accepted = tcp.accept() => accepted,
                    () = tx.closed() => return,
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, addr)).await;
                        }
                        Ok(Err(err)) => tracing::debug!(%addr, %err, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { ready, local_addr })
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<CountedStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // The accepting task only ends once this listener is gone.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_cert(dir: &std::path::Path, name: &str) -> TlsFiles {
        let cert = rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
        let files = TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
        std::fs::write(&files.cert, cert.cert.pem()).unwrap();
        std::fs::write(&files.key, cert.signing_key.serialize_pem()).unwrap();
        files
    }

    fn served(store: &CertStore) -> Vec<u8> {
        store.current.read().unwrap().cert[0].to_vec()
    }

    #[test]
    fn reload_swaps_the_certificate_and_keeps_it_when_the_files_are_bad() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_cert(dir.path(), "one.example");
        let store = CertStore::load(files.clone()).unwrap();
        let first = served(&store);

        write_cert(dir.path(), "two.example");
        store.reload().unwrap();
        let second = served(&store);
        assert_ne!(first, second, "reload must serve the new certificate");

        std::fs::write(&files.cert, "not a certificate").unwrap();
        let err = store.reload().unwrap_err().to_string();
        assert!(err.contains("--tls-cert"), "{err}");
        assert_eq!(served(&store), second, "a bad file must keep the previous certificate");

        let other = rcgen::generate_simple_self_signed(vec!["three.example".to_owned()]).unwrap();
        write_cert(dir.path(), "four.example");
        std::fs::write(&files.key, other.signing_key.serialize_pem()).unwrap();
        let err = store.reload().unwrap_err().to_string();
        assert!(err.contains("does not fit"), "{err}");
        assert_eq!(served(&store), second);
    }

    #[test]
    fn load_names_the_missing_file() {
        let files = TlsFiles { cert: "/nonexistent/cert.pem".into(), key: "/nonexistent/key.pem".into() };
        let err = CertStore::load(files).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    }
}
