//! The server's parsers over bytes in memory, without a socket or SQLite:
//! packet framing, LOGIN7, RPC, SQL batch text and its translation. The
//! entry of the fuzz target `fuzz/fuzz_targets/tds_packets.rs`.

use std::collections::HashMap;
use std::future::Future;
use std::task::{Context, Poll, Waker};

use super::translate::{translate, Ctx};
use super::wire::{self, PKT_BATCH, PKT_LOGIN7, PKT_RPC};
use super::{login, rpc};

/// What the server reads from one client message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// LOGIN7: the fields the server checks (the password is left out).
    Login {
        user: String,
        database: String,
        packet_size: u32,
    },
    /// A LOGIN7 message the server refuses.
    BadLogin,
    /// An RPC: the procedure (id or name) and its parameter names.
    Rpc { proc: String, params: Vec<String> },
    /// A SQL batch, with how many SQLite statements it translates to, or
    /// SQL Server's error number for it.
    Batch { statements: Result<usize, i32> },
    /// A batch or RPC the server answers with a protocol error.
    Refused(String),
    /// Another packet type, passed through.
    Other(u8),
}

/// Runs in-memory IO to completion: a byte slice or a `Vec` never waits.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("in-memory IO does not wait"),
    }
}

/// Splits `bytes` into whole messages as the server reads them from a
/// socket: `(packet type, payload)` each, then the error that ended the
/// stream, if any (a bad length, or a message cut short).
pub fn read_messages(mut bytes: &[u8]) -> (Vec<(u8, Vec<u8>)>, Option<String>) {
    let mut out = Vec::new();
    loop {
        match ready(wire::read_message(&mut bytes)) {
            Ok(Some(m)) => out.push(m),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e.to_string())),
        }
    }
}

/// One message framed as the server writes replies: packets of at most
/// `packet_size` bytes.
pub fn frame(packet_type: u8, payload: &[u8], packet_size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    ready(wire::write_message(
        &mut out,
        packet_type,
        payload,
        packet_size,
        0,
    ))
    .expect("writing to a Vec cannot fail");
    out
}

/// What the server makes of one message's payload, as its session loop
/// would (a batch is translated against the fixture's two databases).
pub fn decode(packet_type: u8, payload: &[u8]) -> Decoded {
    match packet_type {
        PKT_LOGIN7 => match login::parse(payload) {
            Some(l) => Decoded::Login {
                user: l.user,
                database: l.database,
                packet_size: l.packet_size,
            },
            None => Decoded::BadLogin,
        },
        PKT_RPC => match rpc::parse(payload) {
            Ok(call) => Decoded::Rpc {
                proc: format!("{:?}", call.proc),
                params: call.params.into_iter().map(|(n, _)| n).collect(),
            },
            Err(e) => Decoded::Refused(e),
        },
        PKT_BATCH => match rpc::batch_text(payload) {
            Ok(sql) => {
                let databases = ["CCMData".to_owned(), "CCMStatisticalData".to_owned()];
                let ctx = Ctx {
                    main_db: "CCMData",
                    current_db: "CCMData",
                    databases: &databases,
                    params: &[],
                    globals: &HashMap::new(),
                };
                Decoded::Batch {
                    statements: translate(&sql, &ctx).map(|s| s.len()).map_err(|e| e.number),
                }
            }
            Err(e) => Decoded::Refused(e),
        },
        other => Decoded::Other(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_read_back_and_batches_translate() {
        let sql: Vec<u8> = "SELECT 1"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut payload = 4u32.to_le_bytes().to_vec();
        payload.extend_from_slice(&sql);
        let mut bytes = frame(PKT_BATCH, &payload, 12);
        bytes.extend(frame(0x06, &[], 512));
        let (messages, err) = read_messages(&bytes);
        assert_eq!(err, None);
        assert_eq!(messages, [(PKT_BATCH, payload.clone()), (0x06, Vec::new())]);
        assert_eq!(
            decode(PKT_BATCH, &payload),
            Decoded::Batch { statements: Ok(1) }
        );
        assert_eq!(decode(PKT_LOGIN7, &[0; 10]), Decoded::BadLogin);
        let (_, err) = read_messages(&[PKT_BATCH, 1, 0, 3]);
        assert!(err.is_some(), "a cut header is an error");
    }
}
