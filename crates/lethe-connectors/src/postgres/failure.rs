//! PostgreSQL faults as [`ConnectorError`]s the worker can act on. A
//! message names the target, the table and what to fix; it never carries
//! a server message that could quote a value (data errors echo input),
//! only SQLSTATE codes and the names of objects.

use std::error::Error as _;
use std::io;

use tokio_postgres::error::SqlState;

use crate::ConnectorError;

/// Classifies `e`, raised while working on `table` for target `target`.
pub(crate) fn classify(target: &str, table: &str, e: &tokio_postgres::Error) -> ConnectorError {
    let at = format!("postgres target `{target}` (table `{table}`)");
    if let Some(db) = e.as_db_error() {
        return database(&at, table, db);
    }
    if let Some(tls) = find::<rustls::Error>(e) {
        return match tls {
            rustls::Error::InvalidCertificate(why) => ConnectorError::permanent(format!(
                "{at}: the server's TLS certificate was refused ({why:?}); with sslmode `verify-full` set \
                 `ca_file` to the CA that signed it and connect by a host name the certificate names"
            )),
            other => ConnectorError::permanent(format!("{at}: TLS handshake failed ({other})")),
        };
    }
    let text = e.to_string();
    if text.contains("does not support TLS") {
        return ConnectorError::permanent(format!(
            "{at}: the server does not offer TLS but sslmode requires it; enable `ssl` on the server or use sslmode `prefer`"
        ));
    }
    if text.starts_with("invalid configuration") {
        return ConnectorError::permanent(format!("{at}: {text}; fix `url`"));
    }
    if text.contains("serializing") {
        // A value of lethe's does not convert to or from a column's type.
        return ConnectorError::permanent(format!(
            "{at}: {text}; check the declared columns' types"
        ));
    }
    if let Some(io) = find::<io::Error>(e) {
        return ConnectorError::transient(format!(
            "{at}: cannot reach the server ({:?}); is PostgreSQL running and reachable?",
            io.kind()
        ));
    }
    // Closed connections, timeouts, protocol hiccups: worth a retry.
    ConnectorError::transient(format!("{at}: {text}"))
}

fn database(at: &str, table: &str, db: &tokio_postgres::error::DbError) -> ConnectorError {
    let code = db.code();
    let c = code.code();
    let transient =
        |why: &str| ConnectorError::transient(format!("{at}: {why} (SQLSTATE {c}); retry"));
    let permanent = |why: String| ConnectorError::permanent(format!("{at}: {why} (SQLSTATE {c})"));
    match *code {
        SqlState::T_R_SERIALIZATION_FAILURE => transient("serialization failure"),
        SqlState::T_R_DEADLOCK_DETECTED => transient("deadlock detected"),
        SqlState::UNDEFINED_TABLE => permanent(format!(
            "table `{table}` does not exist or the connecting role cannot see it; fix `table`"
        )),
        SqlState::UNDEFINED_COLUMN => permanent(format!(
            "a declared column does not exist in `{table}` ({}); fix `key`, `columns`, `free_text` or `context`",
            // Class 42 messages name objects, not values.
            db.message()
        )),
        SqlState::INSUFFICIENT_PRIVILEGE => permanent(format!(
            "permission denied ({}); grant the connecting role SELECT, UPDATE and DELETE on `{table}`",
            db.message()
        )),
        _ if c.starts_with("28") => permanent(
            "authentication failed; check the user and password in `url` and the server's pg_hba.conf".to_owned(),
        ),
        _ if c == "3D000" => permanent("the database in `url` does not exist".to_owned()),
        _ if c.starts_with("57") || c.starts_with("53") || c.starts_with("08") || c.starts_with("40") => {
            transient("the server is shutting down, out of resources or lost the connection")
        }
        _ if c.starts_with("23") => permanent(format!(
            "erasure would break a constraint on `{table}`{}; use a `token` replacement for NOT NULL columns or another strategy",
            db.column().map(|col| format!(" (column `{col}`)")).unwrap_or_default()
        )),
        _ if c.starts_with("22") => permanent(format!(
            "a value does not fit a column of `{table}`{}; check the column types and the replacement token",
            db.column().map(|col| format!(" (column `{col}`)")).unwrap_or_default()
        )),
        _ if c.starts_with("42") || c.starts_with("0A") => permanent(format!(
            "the server refused the statement ({})",
            db.message()
        )),
        _ => transient("the server reported an error"),
    }
}

/// The first error of type `T` in `e`'s source chain, looking inside
/// `io::Error`s too (their `source` skips the wrapped error).
fn find<T: std::error::Error + 'static>(e: &tokio_postgres::Error) -> Option<&T> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(err) = next {
        if let Some(t) = err.downcast_ref::<T>() {
            return Some(t);
        }
        if let Some(inner) = err.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            if let Some(t) = inner.downcast_ref::<T>() {
                return Some(t);
            }
            next = inner.source();
            continue;
        }
        next = err.source();
    }
    None
}
