//! HTTPS (`serve --tls-cert FILE --tls-key FILE`): the PEM certificate chain and private key,
//! read once at start, in a rustls server configuration with the ring provider (no OpenSSL),
//! offering HTTP/2 and HTTP/1.1 by ALPN. A file that is missing, holds no certificate or key, or
//! a key that does not fit the certificate stops `serve` with the reason before it listens.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Where the server's certificate and key are.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain, PEM, the server's own certificate first.
    pub cert: PathBuf,
    /// Its private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// The acceptor for `files`' certificate and key.
pub(super) fn acceptor(files: &TlsFiles) -> anyhow::Result<TlsAcceptor> {
    let chain =
        read_chain(&files.cert).with_context(|| format!("--tls-cert {}", files.cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("--tls-key {}: no PEM private key", files.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .with_context(|| {
            format!(
                "--tls-key {} does not fit --tls-cert {}",
                files.key.display(),
                files.cert.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Every certificate of a PEM file, in order; at least one.
fn read_chain(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_file_iter(path)
        .context("reading the file")?
        .collect::<Result<Vec<_>, _>>()
        .context("a PEM certificate")?;
    if chain.is_empty() {
        bail!("no PEM certificate in the file");
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_files_are_refused_with_their_flag() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let files = TlsFiles {
            cert: empty.clone(),
            key: dir.path().join("missing.pem"),
        };
        let e = format!("{:#}", acceptor(&files).err().unwrap());
        assert!(
            e.contains("--tls-cert") && e.contains("no PEM certificate"),
            "{e}"
        );
    }
}
