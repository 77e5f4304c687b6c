//! `sslmode` against the test server, which `./scripts/test` starts with a
//! throwaway CA's certificate for 127.0.0.1 and localhost
//! (`LETHE_TEST_PG_CA`) and accepts plaintext and TLS alike.

use std::path::PathBuf;

use lethe_connectors::postgres::{PostgresTargetSpec, SslMode};
use lethe_connectors::{Connector, RetryClass};
use lethe_testkit::Fixture;

use crate::pg::{batch, env_or_skip, plants, PgTest, CA_ENV};

fn spec(t: &PgTest, mode: SslMode, ca: Option<PathBuf>) -> PostgresTargetSpec {
    PostgresTargetSpec {
        sslmode: Some(mode),
        ca_file: ca,
        ..t.preset()
    }
}

#[tokio::test]
async fn each_sslmode_does_what_libpq_does() {
    let Some(t) = PgTest::call_history(&Fixture::standard(200)).await else {
        return;
    };
    let Some(ca) = env_or_skip(CA_ENV) else {
        return;
    };
    let ca = PathBuf::from(ca);
    for (mode, ca_file, tls) in [
        (SslMode::Disable, None, false),
        (SslMode::Prefer, None, true),
        (SslMode::Require, None, true),
        (SslMode::VerifyFull, Some(ca.clone()), true),
    ] {
        let c = t.connector(vec![spec(&t, mode, ca_file)]);
        let info = c.connection_info("console-call-history").await.unwrap();
        assert_eq!(info.tls, tls, "sslmode {}", mode.as_str());
        // The connector's own work runs over the same kind of session.
        let found = c
            .discover("console-call-history", &batch(&plants()[..1], false))
            .await
            .unwrap();
        assert_eq!(found[0].matched, 16, "sslmode {}", mode.as_str());
    }
    // verify-full also accepts the host name the certificate names.
    let by_name = PostgresTargetSpec {
        url: Some(t.url.replace("127.0.0.1", "localhost").into()),
        ..spec(&t, SslMode::VerifyFull, Some(ca))
    };
    let c = t.connector(vec![by_name]);
    assert!(c.connection_info("console-call-history").await.unwrap().tls);
    t.cleanup().await;
}

#[tokio::test]
async fn verify_full_without_the_ca_fails_permanently_and_says_why() {
    let Some(t) = PgTest::new().await else { return };
    if env_or_skip(CA_ENV).is_none() {
        return;
    }
    let c = t.connector(vec![spec(&t, SslMode::VerifyFull, None)]);
    let e = c.connection_info("console-call-history").await.unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent, "{e}");
    assert!(
        e.message.contains("certificate") && e.message.contains("ca_file"),
        "{e}"
    );
    let e = c
        .discover("console-call-history", &batch(&plants()[..1], false))
        .await
        .unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent, "{e}");
    assert!(
        !e.message.contains("postgres://"),
        "no URL in messages: {e}"
    );
    t.cleanup().await;
}

#[tokio::test]
async fn verify_full_checks_the_host_name() {
    let Some(t) = PgTest::new().await else { return };
    let Some(ca) = env_or_skip(CA_ENV) else {
        return;
    };
    // The same server, reached by address, but expected under a name the
    // certificate does not hold (`hostaddr` connects, `host` is verified).
    let hostport = t.url.split('@').nth(1).unwrap().split('/').next().unwrap();
    let port = hostport.rsplit(':').next().unwrap();
    let url =
        format!("postgres://postgres@not-the-server.invalid:{port}/postgres?hostaddr=127.0.0.1");
    let c = t.connector(vec![PostgresTargetSpec {
        url: Some(url.into()),
        ..spec(&t, SslMode::VerifyFull, Some(ca.into()))
    }]);
    let e = c.connection_info("console-call-history").await.unwrap_err();
    assert_eq!(e.class, RetryClass::Permanent, "{e}");
    assert!(e.message.contains("NotValidForName"), "{e}");
    t.cleanup().await;
}
