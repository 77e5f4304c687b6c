//! The elasticsearch connector over HTTPS with a private CA, with basic
//! auth and API keys, and with a dead first node: an HTTPS front
//! (tokio-rustls, the test PostgreSQL's throwaway certificate) terminates
//! TLS before osmem-server and keeps what clients sent, so the test sees
//! the credentials on the wire.

use std::sync::{Arc, Mutex};

use lethe_connectors::elasticsearch::{presets, ElasticsearchConnector, EsAuth, EsConnection};
use lethe_connectors::{BatchSubject, Connector, RetryClass};
use lethe_testkit::es::{self, EsConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The test certificate and key, or `None` after a SKIP line (fails
/// under `CI`): scripts/test makes them with the PostgreSQL cluster.
fn tls_files(test: &str) -> Option<(String, String, String)> {
    let vars = [
        "LETHE_TEST_TLS_CERT",
        "LETHE_TEST_TLS_KEY",
        "LETHE_TEST_PG_CA",
    ];
    let got: Vec<Option<String>> = vars.iter().map(|v| std::env::var(v).ok()).collect();
    if got.iter().any(Option::is_none) {
        assert!(
            std::env::var_os("CI").is_none(),
            "{vars:?} are not set (scripts/test sets them)"
        );
        eprintln!("SKIP {test}: {vars:?} are not set; run ./scripts/test");
        return None;
    }
    let mut it = got.into_iter().flatten();
    Some((it.next()?, it.next()?, it.next()?))
}

/// An HTTPS front on a free port forwarding to `upstream`; returns its
/// address and every byte clients sent through it.
async fn https_front(cert: &str, key: &str, upstream: String) -> (String, Arc<Mutex<Vec<u8>>>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, upstream, log) = (acceptor.clone(), upstream.clone(), Arc::clone(&log));
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(plain) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut tls_r, mut tls_w) = tokio::io::split(tls);
                let (mut up_r, mut up_w) = plain.into_split();
                let to_server = async {
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = match tls_r.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        log.lock().unwrap().extend_from_slice(&buf[..n]);
                        if up_w.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = up_w.shutdown().await;
                };
                let to_client = async {
                    let _ = tokio::io::copy(&mut up_r, &mut tls_w).await;
                    let _ = tls_w.shutdown().await;
                };
                tokio::join!(to_server, to_client);
            });
        }
    });
    // The certificate names localhost.
    (format!("https://localhost:{}", addr.port()), seen)
}

fn batch(subject: lethe_domain::Subject) -> Vec<BatchSubject> {
    vec![BatchSubject {
        subject,
        include_weak: false,
    }]
}

#[tokio::test]
async fn https_with_a_private_ca_carries_basic_auth_and_api_keys() {
    let Some((cert, key, ca)) = tls_files("es_tls::https_with_a_private_ca") else {
        return;
    };
    let Some(server) = es::start_or_skip("es_tls::https_with_a_private_ca") else {
        return;
    };
    let fixture = es::generate(&EsConfig {
        background_per_index: 5,
        ..EsConfig::default()
    });
    es::load(&server.url, &fixture).await.unwrap();
    let p = &fixture.planted()[0];
    let subject = super::subject(&[&p.email], &[&p.national], &[]);
    let want = p.family(es::Family::Contacts).strong as u64;
    let (url, seen) = https_front(&cert, &key, server.addr().to_owned()).await;

    let auths = [
        (
            EsAuth::Basic {
                username: "lethe".into(),
                password: SecretString::from("s3cret-pass"),
            },
            // base64("lethe:s3cret-pass")
            "authorization: Basic bGV0aGU6czNjcmV0LXBhc3M=",
        ),
        (
            EsAuth::ApiKey(SecretString::from(
                "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
            )),
            "authorization: ApiKey VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==",
        ),
        (
            EsAuth::Bearer(SecretString::from("eyJhbGciOi.test.token")),
            "authorization: Bearer eyJhbGciOi.test.token",
        ),
    ];
    for (auth, header) in auths {
        seen.lock().unwrap().clear();
        let mut target = presets::micc_contacts();
        target.connection = EsConnection {
            urls: vec![url.clone()],
            auth,
            ca_file: Some(ca.clone().into()),
            timeout_secs: 5,
        };
        let connector = ElasticsearchConnector::new(vec![target], None).unwrap();
        let found = connector
            .discover("micc-contacts", &batch(subject.clone()))
            .await
            .unwrap();
        assert_eq!(found[0].matched, want);
        let wire = String::from_utf8_lossy(&seen.lock().unwrap()).to_lowercase();
        assert!(wire.contains(&header.to_lowercase()), "{header} not sent");
    }

    // Without the CA the certificate is not trusted: a permanent failure
    // that says what to set, not a retry loop.
    let mut target = presets::micc_contacts();
    target.connection = EsConnection::plain(&url);
    let connector = ElasticsearchConnector::new(vec![target], None).unwrap();
    let err = connector
        .discover("micc-contacts", &batch(subject.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.class, RetryClass::Permanent, "{err:?}");
    assert!(err.message.contains("ca_file"), "{}", err.message);

    // A dead first node: the second answers.
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let mut target = presets::micc_contacts();
    target.connection = EsConnection::plain(&dead_url);
    target.connection.urls.push(server.url.clone());
    let connector = ElasticsearchConnector::new(vec![target], None).unwrap();
    let found = connector
        .discover("micc-contacts", &batch(subject))
        .await
        .unwrap();
    assert_eq!(found[0].matched, want);
}
