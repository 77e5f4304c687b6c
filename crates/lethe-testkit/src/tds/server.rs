//! The listener, the per-connection loop (PRELOGIN, LOGIN7, then requests),
//! and the handles tests use to stop the server, take it down and bring it
//! back ([`TdsServer::pause`], [`TdsServer::resume`]), or drop its
//! connections.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

use super::rpc::{self, Proc, SP_EXECUTESQL};
use super::session::{self, Origin, Session};
use super::wire::{
    self, DONE_ATTN, DONE_ERROR, PKT_ATTENTION, PKT_BATCH, PKT_LOGIN7, PKT_PRELOGIN, PKT_REPLY,
    PKT_RPC, TOK_DONE, TOK_DONEPROC,
};

/// What the server accepts: one SQL login and a set of databases.
#[derive(Debug, Clone)]
pub struct TdsConfig {
    /// The SQL login name (`sa` by default).
    pub user: String,
    /// The login's password; a wrong one fails with Msg 18456.
    pub password: String,
    /// Database names; each is one SQLite file, all attached to every session
    /// so three-part names work. A login without a database gets the first.
    pub databases: Vec<String>,
}

impl Default for TdsConfig {
    fn default() -> Self {
        TdsConfig {
            user: "sa".into(),
            password: "Lethe-Test-1".into(),
            databases: vec![
                "master".into(),
                "CCMData".into(),
                "CCMStatisticalData".into(),
            ],
        }
    }
}

/// State shared by the listener and every session.
pub(crate) struct Shared {
    pub config: TdsConfig,
    pub dir: PathBuf,
    pub statements: AtomicU64,
    /// When not 0, the session running statement number `drop_at` drops its connection instead.
    pub drop_at: AtomicU64,
    connections: Mutex<Vec<AbortHandle>>,
    next_spid: AtomicU16,
}

/// A TDS 7.4 server on 127.0.0.1 backed by SQLite; see the [module docs](super).
pub struct TdsServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// The accept loop; `None` while [paused](TdsServer::pause).
    accept: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TdsStartError {
    #[error("TDS test server: {0}")]
    Io(#[from] std::io::Error),
    #[error("TDS test server: preparing SQLite: {0}")]
    Sqlite(#[from] sqlx::Error),
    #[error("TDS test server: no database configured")]
    NoDatabase,
}

impl TdsServer {
    /// Creates the databases in a fresh temporary directory and listens on
    /// 127.0.0.1 on a free port.
    pub async fn start(config: TdsConfig) -> Result<TdsServer, TdsStartError> {
        let first = config
            .databases
            .first()
            .ok_or(TdsStartError::NoDatabase)?
            .clone();
        let dir = tempfile::tempdir()?;
        // Create every file once, in WAL mode so sessions read while another writes.
        let mut conn = session::open(dir.path(), &config.databases, &first).await?;
        for db in &config.databases {
            let schema = if db.eq_ignore_ascii_case(&first) {
                "main".to_string()
            } else {
                format!("\"{db}\"")
            };
            sqlx::Executor::execute(
                &mut conn,
                format!("PRAGMA {schema}.journal_mode = WAL").as_str(),
            )
            .await?;
        }
        sqlx::Connection::close(conn).await?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            dir: dir.path().to_path_buf(),
            statements: AtomicU64::new(0),
            drop_at: AtomicU64::new(0),
            connections: Mutex::new(Vec::new()),
            next_spid: AtomicU16::new(51),
        });
        let accept = Some(accept_loop(listener, shared.clone()));
        Ok(TdsServer {
            addr,
            shared,
            accept,
            _dir: dir,
        })
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many statements sessions have executed (transaction statements included).
    pub fn statements_executed(&self) -> u64 {
        self.shared.statements.load(Ordering::SeqCst)
    }

    /// Drops every open client connection at once, as a network failure would;
    /// open transactions roll back. New connections are still accepted.
    pub fn kill_connections(&self) {
        let mut conns = self
            .shared
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for h in conns.drain(..) {
            h.abort();
        }
    }

    /// Makes the session that would execute statement number `n` (counted
    /// over the server's life, see [`statements_executed`](Self::statements_executed))
    /// drop its connection instead, without running it: a connection lost
    /// mid-batch, deterministically.
    pub fn drop_connection_at_statement(&self, n: u64) {
        self.shared.drop_at.store(n, Ordering::SeqCst);
    }

    /// Takes the server down as a stopped SQL Server is: the port is
    /// closed (new connections are refused) and every open connection is
    /// dropped (open transactions roll back), both done when this returns.
    /// The databases are kept, so [`resume`](Self::resume) brings back the
    /// same data: what a restart of a real server looks like to a client.
    pub async fn pause(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
            // The listener goes with the task: once it is gone, the port is closed.
            let _ = accept.await;
        }
        let conns: Vec<AbortHandle> = {
            let mut conns = self
                .shared
                .connections
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            conns.drain(..).collect()
        };
        for h in &conns {
            h.abort();
        }
        // An aborted task drops its socket when the runtime next reaches
        // it; wait for that so a client's next call meets a closed peer.
        while !conns.iter().all(AbortHandle::is_finished) {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    /// Listens again on the same address after [`pause`](Self::pause)
    /// (does nothing if the server is up). Fails only if another socket
    /// took the port meanwhile.
    pub async fn resume(&mut self) -> std::io::Result<()> {
        if self.accept.is_none() {
            let listener = TcpListener::bind(self.addr).await?;
            self.accept = Some(accept_loop(listener, self.shared.clone()));
        }
        Ok(())
    }

    /// Stops listening and drops every connection.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for TdsServer {
    fn drop(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
        }
        self.kill_connections();
    }
}

/// Accepts connections on `listener` until aborted, one session task each.
fn accept_loop(listener: TcpListener, shared: Arc<Shared>) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let _ = socket.set_nodelay(true);
            let spid = shared.next_spid.fetch_add(1, Ordering::Relaxed);
            let task = tokio::spawn(serve(socket, shared.clone(), spid));
            let mut conns = shared.connections.lock().unwrap_or_else(|p| p.into_inner());
            conns.retain(|h| !h.is_finished());
            conns.push(task.abort_handle());
        }
    })
}

async fn reply(
    socket: &mut TcpStream,
    payload: &[u8],
    packet_size: usize,
    spid: u16,
) -> std::io::Result<()> {
    wire::write_message(socket, PKT_REPLY, payload, packet_size, spid).await
}

/// One connection: PRELOGIN, LOGIN7, then requests until the client leaves.
async fn serve(mut socket: TcpStream, shared: Arc<Shared>, spid: u16) {
    let Ok(Some((PKT_PRELOGIN, _))) = wire::read_message(&mut socket).await else {
        return;
    };
    if reply(&mut socket, &wire::prelogin_reply(), 4096, spid)
        .await
        .is_err()
    {
        return;
    }
    let Ok(Some((PKT_LOGIN7, payload))) = wire::read_message(&mut socket).await else {
        return;
    };
    let Some(login) = super::login::parse(&payload) else {
        return;
    };
    let packet_size = usize::try_from(login.packet_size.clamp(512, 32767)).unwrap_or(4096);
    let config = &shared.config;
    let database = if login.database.is_empty() {
        Some(config.databases[0].clone())
    } else {
        config
            .databases
            .iter()
            .find(|d| d.eq_ignore_ascii_case(&login.database))
            .cloned()
    };
    let mut out = Vec::new();
    let database = match database {
        Some(db) if login.user == config.user && login.password == config.password => db,
        Some(_) => {
            wire::error(
                &mut out,
                18456,
                14,
                &format!("Login failed for user '{}'.", login.user),
            );
            wire::done(&mut out, TOK_DONE, DONE_ERROR, 0, 0);
            let _ = reply(&mut socket, &out, packet_size, spid).await;
            return;
        }
        None => {
            wire::error(
                &mut out,
                4060,
                11,
                &format!(
                    "Cannot open database \"{}\" requested by the login. The login failed.",
                    login.database
                ),
            );
            wire::done(&mut out, TOK_DONE, DONE_ERROR, 0, 0);
            let _ = reply(&mut socket, &out, packet_size, spid).await;
            return;
        }
    };
    let conn = match session::open(&shared.dir, &config.databases, &database).await {
        Ok(c) => c,
        Err(e) => {
            wire::error(
                &mut out,
                4060,
                11,
                &format!("Cannot open database \"{database}\": {e}"),
            );
            wire::done(&mut out, TOK_DONE, DONE_ERROR, 0, 0);
            let _ = reply(&mut socket, &out, packet_size, spid).await;
            return;
        }
    };
    wire::env_change_str(&mut out, 1, &database, "master");
    let mut collation = vec![5u8];
    collation.extend_from_slice(&wire::COLLATION);
    wire::env_change(&mut out, 7, &collation, &[0]);
    wire::env_change_str(&mut out, 4, &packet_size.to_string(), "4096");
    wire::login_ack(&mut out);
    wire::done(&mut out, TOK_DONE, 0, 0, 0);
    if reply(&mut socket, &out, packet_size, spid).await.is_err() {
        return;
    }
    let mut session = Session::new(conn, shared.clone(), database, spid);
    while let Ok(Some((kind, payload))) = wire::read_message(&mut socket).await {
        let result = match kind {
            PKT_BATCH => match rpc::batch_text(&payload) {
                Ok(sql) => session.run(&sql, &[], Origin::Batch).await,
                Err(e) => Ok(protocol_error(&e, TOK_DONE)),
            },
            PKT_RPC => match rpc::parse(&payload) {
                Ok(call) => run_rpc(&mut session, call).await,
                Err(e) => Ok(protocol_error(&e, TOK_DONEPROC)),
            },
            PKT_ATTENTION => {
                // Requests run to completion before the next is read, so
                // there is nothing left to cancel: acknowledge.
                let mut out = Vec::new();
                wire::done(&mut out, TOK_DONE, DONE_ATTN, 0, 0);
                Ok(out)
            }
            other => Ok(protocol_error(
                &format!("packet type {other} is not supported"),
                TOK_DONE,
            )),
        };
        let Ok(out) = result else { break };
        if reply(&mut socket, &out, packet_size, spid).await.is_err() {
            break;
        }
    }
    session.close().await;
}

fn protocol_error(message: &str, done_tok: u8) -> Vec<u8> {
    let mut out = Vec::new();
    wire::error(&mut out, 50001, 16, message);
    wire::done(&mut out, done_tok, DONE_ERROR, 0, 0);
    out
}

/// `sp_executesql @stmt, @params, @P1, ...`; other procedures do not exist here.
async fn run_rpc(session: &mut Session, call: rpc::Rpc) -> Result<Vec<u8>, session::Dropped> {
    let is_executesql = match &call.proc {
        Proc::Id(id) => *id == SP_EXECUTESQL,
        Proc::Name(n) => n.eq_ignore_ascii_case("sp_executesql"),
    };
    if !is_executesql {
        let name = match &call.proc {
            Proc::Id(id) => format!("#{id}"),
            Proc::Name(n) => n.clone(),
        };
        let mut out = Vec::new();
        wire::error(
            &mut out,
            2812,
            16,
            &format!("Could not find stored procedure '{name}'."),
        );
        wire::done(&mut out, TOK_DONEPROC, DONE_ERROR, 0, 0);
        return Ok(out);
    }
    let mut params = call.params.into_iter();
    let sql = match params.next() {
        Some((_, super::types::Value::Text(s))) => s,
        _ => {
            return Ok(protocol_error(
                "sp_executesql needs a statement",
                TOK_DONEPROC,
            ))
        }
    };
    let _declarations = params.next();
    let binds: Vec<_> = params.collect();
    session.run(&sql, &binds, Origin::Rpc).await
}
