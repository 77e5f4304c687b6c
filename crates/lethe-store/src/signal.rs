//! Waking workers when there is work: a request was created, a status
//! changed, steps were planned, retried or released. Each store keeps a
//! version counter on a `watch` channel; a worker waits for it to move
//! (with its idle poll as timeout, so a lost signal costs one poll at most).
//!
//! SQLite: one process, so the counter is the whole story. PostgreSQL:
//! writers also `NOTIFY lethe_work`, and a background task per store that
//! `LISTEN`s moves the counter, so workers in other processes wake too.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::watch;

/// The PostgreSQL channel lethe notifies on.
pub(crate) const CHANNEL: &str = "lethe_work";

/// A version counter that moves on every signal.
#[derive(Debug, Clone)]
pub(crate) struct WorkSignal {
    tx: Arc<watch::Sender<u64>>,
    /// Started on the first subscription (PostgreSQL only).
    listening: Arc<OnceLock<()>>,
}

impl Default for WorkSignal {
    fn default() -> Self {
        Self {
            tx: Arc::new(watch::channel(0).0),
            listening: Arc::new(OnceLock::new()),
        }
    }
}

impl WorkSignal {
    pub(crate) fn bump(&self) {
        self.tx.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// Starts (once) the task that turns `NOTIFY lethe_work` from any
    /// process into a bump. It reconnects after errors; until then workers
    /// fall back to polling.
    pub(crate) fn listen(&self, pool: &PgPool) {
        if self.listening.set(()).is_err() {
            return;
        }
        let (signal, pool) = (self.clone(), pool.clone());
        tokio::spawn(async move {
            loop {
                match PgListener::connect_with(&pool).await {
                    Ok(mut listener) => {
                        if listener.listen(CHANNEL).await.is_ok() {
                            while listener.recv().await.is_ok() {
                                signal.bump();
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot listen for work; polling"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}
