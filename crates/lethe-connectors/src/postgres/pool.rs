//! A small connection pool: at most `pool_size` connections per distinct
//! connection setting, opened on demand, reused while healthy. A
//! connection that saw a fault that is not an SQL error is dropped rather
//! than returned, so after an outage the next call opens a fresh one.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::{Client, Config};

use super::tls::MakeRustls;

/// Connections to one database with one setting.
pub(crate) struct Pool {
    config: Config,
    tls: MakeRustls,
    idle: Mutex<Vec<Client>>,
    permits: Semaphore,
}

impl std::fmt::Debug for Pool {
    // The configuration holds the password: show nothing of it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("size", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl Pool {
    pub(crate) fn new(
        mut config: Config,
        tls: MakeRustls,
        size: usize,
        connect_timeout: Duration,
    ) -> Self {
        config
            .connect_timeout(connect_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(60))
            .application_name("lethe");
        Self {
            config,
            tls,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(size.max(1)),
        }
    }

    /// A connection: an idle healthy one, or a new one. Waits while
    /// `pool_size` connections are in use.
    pub(crate) async fn get(&self) -> Result<Conn<'_>, tokio_postgres::Error> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("the pool's semaphore is never closed");
        loop {
            let next = self.lock().pop();
            match next {
                Some(client) if client.is_closed() => continue,
                Some(client) => {
                    return Ok(Conn {
                        client: Some(client),
                        pool: self,
                        _permit: permit,
                    })
                }
                None => break,
            }
        }
        let (client, connection) = self.config.connect(self.tls.clone()).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Not an error for lethe: the next call notices and retries.
                tracing::debug!(
                    error.kind = "postgres connection",
                    "a PostgreSQL connection ended: {e}"
                );
            }
        });
        Ok(Conn {
            client: Some(client),
            pool: self,
            _permit: permit,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Client>> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A borrowed connection; returned to the pool on drop unless discarded
/// or closed.
pub(crate) struct Conn<'a> {
    client: Option<Client>,
    pool: &'a Pool,
    _permit: SemaphorePermit<'a>,
}

impl Conn<'_> {
    pub(crate) fn client(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until drop")
    }

    /// Drops the connection instead of returning it.
    pub(crate) fn discard(&mut self) {
        self.client = None;
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take().filter(|c| !c.is_closed()) {
            self.pool.lock().push(client);
        }
    }
}
