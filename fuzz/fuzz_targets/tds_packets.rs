//! The TDS test server's parsers (`lethe_testkit::tds::decode`) on the
//! bytes a client could send: packet framing, then LOGIN7, RPC and SQL
//! batch payloads (the batch translated to SQLite as a session would).
//!
//! - never panics, whatever the bytes;
//! - framing round-trips: every message read, framed again at any packet
//!   size the server allows, reads back as exactly that one message;
//! - a stream cut anywhere reads as a prefix of the same messages;
//! - decoding is deterministic.
#![no_main]

use lethe_testkit::tds::decode::{decode, frame, read_messages};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[a, b, cut], bytes)) = data.split_first_chunk::<3>() else {
        return;
    };
    let (messages, _err) = read_messages(bytes);
    // 512..=32767, the range of packet sizes a LOGIN7 may ask for.
    let size = 512 + usize::from(u16::from_le_bytes([a, b]) % (32767 - 512 + 1));
    for (kind, payload) in &messages {
        let framed = frame(*kind, payload, size);
        let (again, err) = read_messages(&framed);
        assert_eq!(err, None, "a framed message does not read back");
        assert_eq!(again.len(), 1);
        assert_eq!(&again[0], &(*kind, payload.clone()));
        assert_eq!(decode(*kind, payload), decode(*kind, payload));
    }
    let cut = bytes.len() * usize::from(cut) / 255;
    let (prefix, _) = read_messages(&bytes[..cut]);
    assert!(prefix.len() <= messages.len());
    assert_eq!(
        prefix[..],
        messages[..prefix.len()],
        "a cut stream reads differently"
    );
});
