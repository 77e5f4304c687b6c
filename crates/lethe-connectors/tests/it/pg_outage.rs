//! PostgreSQL unreachable mid-run: a TCP proxy between the connector and
//! the server is taken down (its connections cut, its port closed) and
//! brought back on the same port. Calls fail transiently while it is down
//! and the same calls succeed once it is back: the pool reconnects.

use lethe_connectors::postgres::PostgresTargetSpec;
use lethe_connectors::{Connector, RetryClass};
use lethe_testkit::Fixture;

use crate::pg::{batch, plants, PgTest};

#[tokio::test]
async fn calls_fail_transiently_while_the_server_is_away_and_recover() {
    let fixture = Fixture::standard(500);
    let Some(t) = PgTest::call_history(&fixture).await else {
        return;
    };
    let hostport = t
        .url
        .split('@')
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let proxy = lethe_testkit::proxy::TcpProxy::closed(&hostport)
        .await
        .unwrap();
    proxy.start().await.unwrap();
    let url = t.url.replace(&hostport, &proxy.addr().to_string());
    let c = t.connector(vec![PostgresTargetSpec {
        url: Some(url.into()),
        connect_timeout_secs: Some(2),
        ..t.preset()
    }]);
    let john = batch(&plants()[..1], false);
    assert_eq!(
        c.discover("console-call-history", &john).await.unwrap()[0].matched,
        16
    );

    proxy.stop();
    // Let the pooled connection notice, or not: both must be transient.
    for _ in 0..2 {
        let e = c.discover("console-call-history", &john).await.unwrap_err();
        assert_eq!(e.class, RetryClass::Transient, "{e}");
        assert!(!e.message.contains("postgres://"), "{e}");
    }
    let e = c.erase("console-call-history", &john).await.unwrap_err();
    assert_eq!(e.class, RetryClass::Transient, "{e}");

    proxy.start().await.unwrap();
    assert_eq!(
        c.discover("console-call-history", &john).await.unwrap()[0].matched,
        16
    );
    let erased = c.erase("console-call-history", &john).await.unwrap();
    assert_eq!(erased[0].affected, 16);
    assert_eq!(
        c.verify("console-call-history", &john).await.unwrap()[0].matched,
        0
    );
    proxy.stop();
    t.cleanup().await;
}
