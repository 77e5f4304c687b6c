//! Idle TDS connections per distinct connection setting and database. A
//! connection goes back only after a call that left it clean; one that
//! failed below SQL (I/O, protocol, timeout) is dropped together with every
//! idle one (a server that went away took them all with it), so the first
//! call after an outage logs in afresh instead of failing once per stale
//! connection. Azure-style routing (the login
//! answered with "connect there instead") is followed once.

use std::time::Duration;

use tiberius::{Client, Config};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

/// A logged-in client.
pub(crate) type TdsClient = Client<Compat<TcpStream>>;

/// Most idle connections kept per pool.
const MAX_IDLE: usize = 4;

/// Idle connections to one server and database.
pub(crate) struct Pool {
    config: Config,
    connect_timeout: Duration,
    idle: std::sync::Mutex<Vec<TdsClient>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    pub(crate) fn new(config: Config, connect_timeout: Duration) -> Self {
        Self {
            config,
            connect_timeout,
            idle: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// An idle connection, or a new one.
    pub(crate) async fn get(&self) -> Result<TdsClient, tiberius::error::Error> {
        if let Some(c) = self.idle.lock().expect("pool lock").pop() {
            return Ok(c);
        }
        match tokio::time::timeout(self.connect_timeout, connect(self.config.clone())).await {
            Ok(r) => r,
            Err(_) => Err(tiberius::error::Error::Io {
                kind: std::io::ErrorKind::TimedOut,
                message: format!(
                    "no login within {} s (connect_timeout_secs)",
                    self.connect_timeout.as_secs()
                ),
            }),
        }
    }

    /// Drops every idle connection, after one failed below SQL.
    pub(crate) fn discard_idle(&self) {
        self.idle.lock().expect("pool lock").clear();
    }

    /// Returns a connection that is clean (no open transaction, no
    /// unread results).
    pub(crate) fn put(&self, client: TdsClient) {
        let mut idle = self.idle.lock().expect("pool lock");
        if idle.len() < MAX_IDLE {
            idle.push(client);
        }
    }
}

/// Connects and logs in, following one routing redirect.
async fn connect(mut config: Config) -> Result<TdsClient, tiberius::error::Error> {
    let mut redirected = false;
    loop {
        let tcp = TcpStream::connect(config.get_addr()).await?;
        tcp.set_nodelay(true)?;
        match Client::connect(config.clone(), tcp.compat_write()).await {
            Err(tiberius::error::Error::Routing { host, port }) if !redirected => {
                tracing::debug!(connector.name = "mssql", "login redirected, following");
                config.host(&host);
                config.port(port);
                redirected = true;
            }
            other => return other,
        }
    }
}
