//! SQL Server faults sorted into what the worker can do about them:
//! retry later (deadlock victim, lock or statement timeout, lost or
//! refused connection, server starting or throttling) or stop and tell an
//! administrator what to fix (missing table or column, permission, login,
//! TLS, bad value). Messages name the target and its table, never a
//! password or a searched value.

use crate::ConnectorError;

/// Server error numbers that succeed when tried again.
const TRANSIENT: &[u32] = &[
    1205,  // chosen as deadlock victim
    1222,  // lock request time out
    233,   // no process on the other end of the pipe
    10053, // connection aborted
    10054, // connection reset
    10060, // connection timed out
    40197, // Azure: error processing the request
    40501, // Azure: service busy
    40613, // Azure: database unavailable
    49918, 49919, 49920, // Azure: not enough resources
    4221,  // login to read-secondary failed: replica not ready
    3960,  // snapshot isolation update conflict
];

/// Errors whose message names objects and logins only, never a value.
const QUOTES_NO_VALUE: &[u32] = &[208, 207, 229, 230, 262, 300, 18456, 4060, 515, 102, 156];

/// What to fix, per permanent server error number.
fn fix(code: u32) -> &'static str {
    match code {
        208 => "the table does not exist in that database: fix `table` or `database`",
        207 => "a declared column does not exist: fix `key`, `columns`, `free_text` or `context`",
        229 | 230 | 262 | 300 => {
            "the login lacks permission: grant it SELECT and UPDATE (DELETE for strategy `delete`) on the table"
        }
        18456 => "login failed: check `user` and the password in `password_env` (or the ADO `url`)",
        4060 => "the database cannot be opened by this login: check `database` and the login's access",
        515 => "a column is NOT NULL and cannot be anonymised with null: set `replace = { Column = \"token\" }`",
        2628 | 8152 => "a replacement is longer than the column allows: use a shorter `token` or `null`",
        _ => "see the server's message",
    }
}

/// Classifies a tiberius error for target `target` on `place`.
pub(crate) fn classify(target: &str, place: &str, e: &tiberius::error::Error) -> ConnectorError {
    use tiberius::error::Error as E;
    let at = format!("mssql target `{target}` (table `{place}`)");
    match e {
        E::Server(t) if TRANSIENT.contains(&t.code()) => ConnectorError::transient(format!(
            "{at}: SQL Server error {} ({}); will retry",
            t.code(),
            t.message()
        )),
        // Data errors (truncation, conversion) quote the value: only the
        // number goes into the message for those.
        E::Server(t) if QUOTES_NO_VALUE.contains(&t.code()) => ConnectorError::permanent(format!(
            "{at}: SQL Server error {}: {}; {}",
            t.code(),
            t.message(),
            fix(t.code())
        )),
        E::Server(t) => ConnectorError::permanent(format!(
            "{at}: SQL Server error {} (class {}); {}",
            t.code(),
            t.class(),
            fix(t.code())
        )),
        E::Io { message, .. } => ConnectorError::transient(format!(
            "{at}: connection to SQL Server failed or was lost ({message}); will retry"
        )),
        // A reply cut short by a dropped connection shows up as a protocol
        // fault: retrying on a fresh connection is safe (writes run in a
        // transaction the server rolls back).
        E::Protocol(m) => ConnectorError::transient(format!(
            "{at}: TDS protocol fault ({m}); will retry on a new connection"
        )),
        E::Tls(m) => ConnectorError::permanent(format!(
            "{at}: TLS with SQL Server failed ({m}); install the server's certificate chain or, \
             knowingly, set `trust_server_certificate = true`"
        )),
        E::Routing { .. } => ConnectorError::transient(format!(
            "{at}: the server redirected the login more than once; will retry"
        )),
        other => ConnectorError::permanent(format!("{at}: {other}")),
    }
}

/// Whether `e` means the connection cannot be used again.
pub(crate) fn breaks_connection(e: &tiberius::error::Error) -> bool {
    !matches!(e, tiberius::error::Error::Server(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_is_transient_and_names_the_target() {
        let e = tiberius::error::Error::Io {
            kind: std::io::ErrorKind::ConnectionReset,
            message: "reset".into(),
        };
        let c = classify("ccm-lc-note", "CCMStatisticalData.dbo.tblData_LC_Note", &e);
        assert_eq!(c.class, crate::RetryClass::Transient);
        assert!(c.message.contains("ccm-lc-note"));
    }
}
