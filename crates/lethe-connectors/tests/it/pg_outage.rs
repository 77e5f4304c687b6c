//! PostgreSQL unreachable mid-run: a TCP proxy between the connector and
//! the server is taken down (its connections cut, its port closed) and
//! brought back on the same port. Calls fail transiently while it is down
//! and the same calls succeed once it is back: the pool reconnects.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use lethe_connectors::postgres::PostgresTargetSpec;
use lethe_connectors::{Connector, RetryClass};
use lethe_testkit::Fixture;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::pg::{batch, plants, PgTest};

/// A loopback TCP proxy that can be stopped and restarted on its port.
struct Proxy {
    addr: SocketAddr,
    upstream: String,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let p = Proxy {
            addr: listener.local_addr().unwrap(),
            upstream: upstream.to_owned(),
            tasks: Arc::default(),
        };
        p.serve(listener);
        p
    }

    fn serve(&self, listener: TcpListener) {
        let upstream = self.upstream.clone();
        let tasks = Arc::clone(&self.tasks);
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(pipe);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Closes the port and cuts every connection through it.
    fn stop(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    async fn restart(&self) {
        let listener = TcpListener::bind(self.addr).await.unwrap();
        self.serve(listener);
    }
}

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
    let proxy = Proxy::start(&hostport).await;
    let url = t.url.replace(&hostport, &proxy.addr.to_string());
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

    proxy.restart().await;
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
