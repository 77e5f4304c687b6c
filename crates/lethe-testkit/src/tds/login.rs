//! LOGIN7 (MS-TDS 2.2.6.4): the fields the server checks, namely user,
//! password, database and requested packet size.

/// What a client asked for in its LOGIN7 message.
#[derive(Debug, Clone)]
pub(crate) struct Login {
    pub user: String,
    pub password: String,
    pub database: String,
    pub packet_size: u32,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Reads the UTF-16 string whose offset/length pair sits at `at`.
fn field(b: &[u8], at: usize, password: bool) -> Option<String> {
    let offset = usize::from(u16_at(b, at)?);
    let chars = usize::from(u16_at(b, at + 2)?);
    let raw = b.get(offset..offset + 2 * chars)?;
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| {
            let [lo, hi] = [c[0], c[1]].map(|x| {
                if password {
                    // Undo the client's scrambling: XOR 0xA5, then swap the nibbles.
                    let y = x ^ 0xA5;
                    y.rotate_left(4)
                } else {
                    x
                }
            });
            u16::from_le_bytes([lo, hi])
        })
        .collect();
    String::from_utf16(&units).ok()
}

/// Parses a LOGIN7 payload; `None` when it is too short or malformed.
pub(crate) fn parse(b: &[u8]) -> Option<Login> {
    let packet_size = u32::from_le_bytes(b.get(8..12)?.try_into().ok()?);
    Some(Login {
        user: field(b, 40, false)?,
        password: field(b, 44, true)?,
        database: field(b, 68, false)?,
        packet_size,
    })
}
