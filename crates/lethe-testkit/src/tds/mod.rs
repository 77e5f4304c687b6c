//! A TDS 7.4 test server backed by SQLite, so the SQL Server connector is
//! tested over TCP with tiberius, unchanged, where no SQL Server can run.
//!
//! It speaks plaintext only (PRELOGIN answers encryption NOT_SUP; clients use
//! `EncryptionLevel::NotSupported`), checks one SQL login, and keeps one
//! SQLite file per database name, all attached to every session so that
//! three-part names `[CCMData].[dbo].[t]` work. Requests are SQL batches and
//! `sp_executesql` RPCs with typed parameters; result columns are typed from
//! the declared column types, as SQL Server types them.
//!
//! Only the T-SQL a connector emits is translated (see `translate`), and
//! SQLite-only syntax such as `LIMIT` or `||` fails with SQL Server's error
//! (Msg 102), so a connector tested here cannot come to depend on it.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use lethe_testkit::tds::{TdsConfig, TdsServer};
//! let server = TdsServer::start(TdsConfig::default()).await?;
//! let port = server.addr().port(); // connect tiberius to 127.0.0.1:port
//! # let _ = port; Ok(()) }
//! ```

mod ddl;
pub mod decode;
mod lex;
mod login;
mod rpc;
mod server;
mod session;
mod tokens;
mod translate;
mod types;
mod wire;

pub use server::{TdsConfig, TdsServer, TdsStartError};
