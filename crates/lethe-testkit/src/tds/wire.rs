//! TDS framing and reply tokens: the 8-byte packet header, messages split
//! over packets at the negotiated size, and the token encoders every reply
//! is built from (MS-TDS 2.2.3 and 2.2.7).

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Packet types a client sends (MS-TDS 2.2.3.1.1).
pub(crate) const PKT_BATCH: u8 = 0x01;
pub(crate) const PKT_RPC: u8 = 0x03;
pub(crate) const PKT_REPLY: u8 = 0x04;
pub(crate) const PKT_ATTENTION: u8 = 0x06;
pub(crate) const PKT_LOGIN7: u8 = 0x10;
pub(crate) const PKT_PRELOGIN: u8 = 0x12;

/// `SQL_Latin1_General_CP1_CI_AS`, the default collation of a SQL Server install.
pub(crate) const COLLATION: [u8; 5] = [0x09, 0x04, 0xD0, 0x00, 0x34];

/// DONE status bits.
pub(crate) const DONE_MORE: u16 = 0x01;
pub(crate) const DONE_ERROR: u16 = 0x02;
pub(crate) const DONE_COUNT: u16 = 0x10;
pub(crate) const DONE_ATTN: u16 = 0x20;

/// DONE token kinds.
pub(crate) const TOK_DONE: u8 = 0xFD;
pub(crate) const TOK_DONEPROC: u8 = 0xFE;
pub(crate) const TOK_DONEINPROC: u8 = 0xFF;

/// The largest message a client may send (a guard against a garbage header).
const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// Reads one whole message (all packets up to the one flagged end-of-message).
/// `None` when the peer closed the socket between messages.
pub(crate) async fn read_message<R: AsyncRead + Unpin>(
    r: &mut R,
) -> std::io::Result<Option<(u8, Vec<u8>)>> {
    let mut payload = Vec::new();
    let mut first = true;
    loop {
        let mut header = [0u8; 8];
        if first {
            // A clean close before a header is the end of the session, not an error.
            match r.read_exact(&mut header[..1]).await {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(e) => return Err(e),
            }
            r.read_exact(&mut header[1..]).await?;
        } else {
            r.read_exact(&mut header).await?;
        }
        first = false;
        let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
        if length < 8 || payload.len() + length > MAX_MESSAGE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "bad TDS packet length",
            ));
        }
        let start = payload.len();
        payload.resize(start + length - 8, 0);
        r.read_exact(&mut payload[start..]).await?;
        if header[1] & 0x01 != 0 {
            return Ok(Some((header[0], payload)));
        }
    }
}

/// Writes a reply message split into packets of at most `packet_size` bytes.
pub(crate) async fn write_message<W: AsyncWrite + Unpin>(
    w: &mut W,
    packet_type: u8,
    payload: &[u8],
    packet_size: usize,
    spid: u16,
) -> std::io::Result<()> {
    let chunk = packet_size.saturating_sub(8).max(1);
    let mut out = Vec::with_capacity(payload.len() + 8 * (payload.len() / chunk + 1));
    let mut parts: Vec<&[u8]> = payload.chunks(chunk).collect();
    if parts.is_empty() {
        parts.push(&[]);
    }
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        let len = u16::try_from(part.len() + 8).unwrap_or(u16::MAX);
        out.push(packet_type);
        out.push(u8::from(i == last));
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&spid.to_be_bytes());
        out.push(((i + 1) % 256) as u8);
        out.push(0);
        out.extend_from_slice(part);
    }
    w.write_all(&out).await?;
    w.flush().await
}

/// Appends a UTF-16 string prefixed with its length in characters as one byte.
pub(crate) fn put_b_varchar(out: &mut Vec<u8>, s: &str) {
    let units: Vec<u16> = s.encode_utf16().take(255).collect();
    out.push(units.len() as u8);
    for u in units {
        out.extend_from_slice(&u.to_le_bytes());
    }
}

/// Appends a UTF-16 string prefixed with its length in characters as two bytes.
pub(crate) fn put_us_varchar(out: &mut Vec<u8>, s: &str) {
    let units: Vec<u16> = s.encode_utf16().take(usize::from(u16::MAX)).collect();
    out.extend_from_slice(&(units.len() as u16).to_le_bytes());
    for u in units {
        out.extend_from_slice(&u.to_le_bytes());
    }
}

/// Appends a token whose body is prefixed by its length in two bytes.
fn put_sized_token(out: &mut Vec<u8>, token: u8, body: &[u8]) {
    out.push(token);
    out.extend_from_slice(&u16::try_from(body.len()).unwrap_or(u16::MAX).to_le_bytes());
    out.extend_from_slice(body);
}

/// ENVCHANGE with byte-length-prefixed new and old values.
pub(crate) fn env_change(out: &mut Vec<u8>, kind: u8, new: &[u8], old: &[u8]) {
    let mut body = vec![kind];
    body.extend_from_slice(new);
    body.extend_from_slice(old);
    put_sized_token(out, 0xE3, &body);
}

/// ENVCHANGE whose values are B_VARCHAR strings (database, packet size).
pub(crate) fn env_change_str(out: &mut Vec<u8>, kind: u8, new: &str, old: &str) {
    let (mut n, mut o) = (Vec::new(), Vec::new());
    put_b_varchar(&mut n, new);
    put_b_varchar(&mut o, old);
    env_change(out, kind, &n, &o);
}

/// A DONE, DONEPROC or DONEINPROC token (TDS 7.2+: eight-byte row count).
pub(crate) fn done(out: &mut Vec<u8>, token: u8, status: u16, cur_cmd: u16, rows: u64) {
    out.push(token);
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(&cur_cmd.to_le_bytes());
    out.extend_from_slice(&rows.to_le_bytes());
}

/// An ERROR token as SQL Server writes it (number, state, class, message,
/// server name, procedure name, line number).
pub(crate) fn error(out: &mut Vec<u8>, number: i32, class: u8, message: &str) {
    let mut body = Vec::new();
    body.extend_from_slice(&number.to_le_bytes());
    body.push(1); // state
    body.push(class);
    put_us_varchar(&mut body, message);
    put_b_varchar(&mut body, "lethe-tds");
    put_b_varchar(&mut body, "");
    body.extend_from_slice(&1i32.to_le_bytes());
    put_sized_token(out, 0xAA, &body);
}

/// LOGINACK: interface SQL, TDS 7.4 written **big-endian**, program name and version.
pub(crate) fn login_ack(out: &mut Vec<u8>) {
    let mut body = vec![0x01];
    body.extend_from_slice(&0x7400_0004u32.to_be_bytes());
    put_b_varchar(&mut body, "Microsoft SQL Server");
    body.extend_from_slice(&[16, 0, 0x0F, 0xA0]);
    put_sized_token(out, 0xAD, &body);
}

/// RETURNSTATUS of a stored procedure.
pub(crate) fn return_status(out: &mut Vec<u8>, status: i32) {
    out.push(0x79);
    out.extend_from_slice(&status.to_le_bytes());
}

/// The PRELOGIN answer: version 16.0, encryption NOT_SUP (the only value that
/// keeps tiberius in plaintext), no instance, no MARS.
pub(crate) fn prelogin_reply() -> Vec<u8> {
    let options: [(u8, &[u8]); 5] = [
        (0x00, &[0x10, 0x00, 0x0F, 0xA0, 0x00, 0x00]),
        (0x01, &[0x02]),
        (0x02, &[0x00]),
        (0x03, &[]),
        (0x04, &[0x00]),
    ];
    let head_len = 5 * options.len() + 1;
    let (mut head, mut data) = (Vec::new(), Vec::new());
    for (token, value) in options {
        head.push(token);
        head.extend_from_slice(&((head_len + data.len()) as u16).to_be_bytes());
        head.extend_from_slice(&(value.len() as u16).to_be_bytes());
        data.extend_from_slice(value);
    }
    head.push(0xFF);
    head.extend_from_slice(&data);
    head
}
