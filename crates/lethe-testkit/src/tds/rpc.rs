//! RPC requests (MS-TDS 2.2.6.6): the procedure called and its typed
//! parameters, converted to the values SQLite stores.

use chrono::{Duration, NaiveDate};

use super::types::{datetime_text, Value};

/// The procedure an RPC names: by well-known id or by name.
#[derive(Debug, PartialEq)]
pub(crate) enum Proc {
    Id(u16),
    Name(String),
}

/// One parsed RPC request.
#[derive(Debug)]
pub(crate) struct Rpc {
    pub proc: Proc,
    pub params: Vec<(String, Value)>,
}

/// `sp_executesql`'s well-known procedure id.
pub(crate) const SP_EXECUTESQL: u16 = 10;

struct Reader<'a> {
    b: &'a [u8],
    p: usize,
}

type R<T> = Result<T, String>;

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let s = self
            .b
            .get(self.p..self.p + n)
            .ok_or_else(|| "RPC request truncated".to_string())?;
        self.p += n;
        Ok(s)
    }
    fn u8(&mut self) -> R<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> R<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> R<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> R<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn uint(&mut self, n: usize) -> R<u64> {
        let b = self.take(n)?;
        let mut a = [0u8; 8];
        a[..n.min(8)].copy_from_slice(&b[..n.min(8)]);
        Ok(u64::from_le_bytes(a))
    }
    fn utf16(&mut self, chars: usize) -> R<String> {
        utf16(self.take(chars * 2)?)
    }
    fn eof(&self) -> bool {
        self.p >= self.b.len()
    }
    /// A partially length-prefixed value (`max` types): chunks up to a zero terminator.
    fn plp(&mut self) -> R<Option<Vec<u8>>> {
        if self.u64()? == u64::MAX {
            return Ok(None);
        }
        let mut out = Vec::new();
        loop {
            let n = self.u32()? as usize;
            if n == 0 {
                return Ok(Some(out));
            }
            out.extend_from_slice(self.take(n)?);
        }
    }
}

fn utf16(b: &[u8]) -> R<String> {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).map_err(|_| "invalid UTF-16 in request".to_string())
}

/// Decodes the text of a SQL batch (after its ALL_HEADERS).
pub(crate) fn batch_text(payload: &[u8]) -> R<String> {
    let mut r = Reader { b: payload, p: 0 };
    let headers = r.u32()? as usize;
    utf16(payload.get(headers..).ok_or("batch truncated")?)
}

fn date_from_days(days: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default() + Duration::days(days as i64)
}

/// Reads one parameter's TYPE_INFO and value.
fn value(r: &mut Reader<'_>) -> R<Value> {
    let ty = r.u8()?;
    let fixed = |r: &mut Reader<'_>, n: usize| r.take(n).map(<[u8]>::to_vec);
    Ok(match ty {
        0x1F => Value::Null,
        // Fixed-length types (not sent by tiberius, cheap to accept).
        0x30 => Value::Int(i64::from(r.u8()?)),
        0x32 => Value::Int(i64::from(r.u8()? != 0)),
        0x34 => Value::Int(i64::from(r.u16()? as i16)),
        0x38 => Value::Int(i64::from(r.u32()? as i32)),
        0x7F => Value::Int(r.u64()? as i64),
        0x3E => Value::Float(f64::from_bits(r.u64()?)),
        0x26 | 0x68 | 0x6D | 0x24 | 0x6F | 0x6E => {
            r.u8()?; // max length
            let n = usize::from(r.u8()?);
            if n == 0 {
                return Ok(Value::Null);
            }
            // The lengths each nullable fixed type has (MS-TDS 2.2.5.4.1);
            // any other would be cut short or overrun below.
            let lengths: &[usize] = match ty {
                0x26 => &[1, 2, 4, 8],
                0x68 => &[1],
                0x24 => &[16],
                _ => &[4, 8],
            };
            if !lengths.contains(&n) {
                return Err(format!(
                    "parameter type 0x{ty:02X} cannot be {n} bytes long"
                ));
            }
            let raw = fixed(r, n)?;
            match ty {
                0x26 => Value::Int(match n {
                    1 => i64::from(raw[0]),
                    2 => i64::from(i16::from_le_bytes([raw[0], raw[1]])),
                    4 => i64::from(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
                    _ => i64::from_le_bytes(raw[..8].try_into().map_err(|_| "bad int")?),
                }),
                0x68 => Value::Int(i64::from(raw[0] != 0)),
                0x6D if n == 4 => Value::Float(f64::from(f32::from_le_bytes(
                    raw[..4].try_into().map_err(|_| "bad real")?,
                ))),
                0x6D => Value::Float(f64::from_le_bytes(
                    raw[..8].try_into().map_err(|_| "bad float")?,
                )),
                0x24 => {
                    let id = uuid::Uuid::from_slice_le(&raw).map_err(|e| e.to_string())?;
                    Value::Text(id.hyphenated().to_string().to_uppercase())
                }
                0x6E => {
                    let v = if n == 4 {
                        i64::from(i32::from_le_bytes(
                            raw[..4].try_into().map_err(|_| "bad money")?,
                        ))
                    } else {
                        let hi = i64::from(i32::from_le_bytes(
                            raw[..4].try_into().map_err(|_| "bad money")?,
                        ));
                        let lo = i64::from(u32::from_le_bytes(
                            raw[4..8].try_into().map_err(|_| "bad money")?,
                        ));
                        (hi << 32) | lo
                    };
                    Value::Float(v as f64 / 10_000.0)
                }
                _ => {
                    // DATETIMEN: days since 1900 and 1/300 s ticks, or smalldatetime.
                    let (days, nanos) = if n == 8 {
                        let days =
                            i32::from_le_bytes(raw[..4].try_into().map_err(|_| "bad datetime")?);
                        let ticks =
                            u32::from_le_bytes(raw[4..8].try_into().map_err(|_| "bad datetime")?);
                        (i64::from(days), i64::from(ticks) * 10_000_000 / 3)
                    } else {
                        let days = u16::from_le_bytes([raw[0], raw[1]]);
                        let mins = u16::from_le_bytes([raw[2], raw[3]]);
                        (i64::from(days), i64::from(mins) * 60_000_000_000)
                    };
                    // Round to milliseconds as SQL Server shows datetime.
                    let nanos = (nanos + 500_000) / 1_000_000 * 1_000_000;
                    let dt = NaiveDate::from_ymd_opt(1900, 1, 1)
                        .unwrap_or_default()
                        .and_hms_opt(0, 0, 0)
                        .unwrap_or_default()
                        .checked_add_signed(Duration::days(days) + Duration::nanoseconds(nanos))
                        .ok_or("datetime out of range")?;
                    Value::Text(datetime_text(&dt))
                }
            }
        }
        0xE7 | 0xEF | 0xA7 | 0xAF | 0xA5 | 0xAD => {
            let max = r.u16()?;
            if matches!(ty, 0xE7 | 0xEF | 0xA7 | 0xAF) {
                r.take(5)?; // collation
            }
            let raw = if max == 0xFFFF {
                r.plp()?
            } else {
                let n = r.u16()?;
                if n == 0xFFFF {
                    None
                } else {
                    Some(r.take(usize::from(n))?.to_vec())
                }
            };
            match raw {
                None => Value::Null,
                Some(raw) => match ty {
                    0xE7 | 0xEF => Value::Text(utf16(&raw)?),
                    0xA7 | 0xAF => Value::Text(raw.iter().map(|b| char::from(*b)).collect()),
                    _ => Value::Blob(raw),
                },
            }
        }
        0x28 => {
            let n = usize::from(r.u8()?);
            if n == 0 {
                return Ok(Value::Null);
            }
            Value::Text(date_from_days(r.uint(3)?).format("%Y-%m-%d").to_string())
        }
        0x29..=0x2B => {
            let scale = u32::from(r.u8()?);
            let n = usize::from(r.u8()?);
            if n == 0 {
                return Ok(Value::Null);
            }
            let tlen = match scale {
                0..=2 => 3,
                3 | 4 => 4,
                _ => 5,
            };
            let increments = r.uint(tlen)?;
            let nanos = increments * 10u64.pow(9 - scale.min(7));
            let rest = n.saturating_sub(tlen);
            let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(
                (nanos / 1_000_000_000) as u32,
                (nanos % 1_000_000_000) as u32,
            )
            .unwrap_or_default();
            if ty == 0x29 {
                Value::Text(time.format("%H:%M:%S%.f").to_string())
            } else {
                let date = date_from_days(r.uint(3)?);
                r.take(rest.saturating_sub(3))?; // datetimeoffset's offset: stored as UTC
                Value::Text(datetime_text(&date.and_time(time)))
            }
        }
        0x6A | 0x6C => {
            r.u8()?; // max length
            r.u8()?; // precision
            let scale = r.u8()?;
            let n = usize::from(r.u8()?);
            if n == 0 {
                return Ok(Value::Null);
            }
            let positive = r.u8()? == 1;
            let raw = r.take(n - 1)?;
            let mut a = [0u8; 16];
            a[..raw.len().min(16)].copy_from_slice(&raw[..raw.len().min(16)]);
            let magnitude = u128::from_le_bytes(a);
            let signed = if positive {
                magnitude as i128
            } else {
                -(magnitude as i128)
            };
            if scale == 0 {
                match i64::try_from(signed) {
                    Ok(i) => Value::Int(i),
                    Err(_) => Value::Float(signed as f64),
                }
            } else {
                Value::Float(signed as f64 / 10f64.powi(i32::from(scale)))
            }
        }
        other => {
            return Err(format!(
                "parameter type 0x{other:02X} is not supported by the TDS test server"
            ))
        }
    })
}

/// Parses an RPC payload (after its ALL_HEADERS).
pub(crate) fn parse(payload: &[u8]) -> R<Rpc> {
    let mut r = Reader { b: payload, p: 0 };
    let headers = r.u32()? as usize;
    r.p = headers;
    let name_len = r.u16()?;
    let proc = if name_len == 0xFFFF {
        Proc::Id(r.u16()?)
    } else {
        Proc::Name(r.utf16(usize::from(name_len))?)
    };
    r.u16()?; // option flags
    let mut params = Vec::new();
    while !r.eof() {
        let n = usize::from(r.u8()?);
        let name = r.utf16(n)?;
        r.u8()?; // status flags (output parameters are not supported)
        params.push((name, value(&mut r)?));
    }
    Ok(Rpc { proc, params })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An `sp_executesql` RPC with one unnamed parameter of `ty`, `max`,
    /// then `value` (its length byte and bytes).
    fn rpc_with(ty: u8, max: u8, value: &[u8]) -> Vec<u8> {
        let mut b = 4u32.to_le_bytes().to_vec();
        b.extend_from_slice(&0xFFFFu16.to_le_bytes());
        b.extend_from_slice(&SP_EXECUTESQL.to_le_bytes());
        b.extend_from_slice(&[0, 0, 0, 0, ty, max]);
        b.extend_from_slice(value);
        b
    }

    /// Found by the fuzz target `tds_packets`: a nullable integer of 3
    /// bytes (and money or datetime shorter than 4) indexed past its end.
    #[test]
    fn fixed_types_of_the_wrong_length_are_refused() {
        for (ty, n) in [
            (0x26, 3),
            (0x26, 5),
            (0x6D, 2),
            (0x6E, 3),
            (0x6F, 1),
            (0x68, 2),
        ] {
            let mut value = vec![n];
            value.extend(std::iter::repeat_n(7, usize::from(n)));
            let err = parse(&rpc_with(ty, 8, &value)).unwrap_err();
            assert!(err.contains("cannot be"), "{ty:02X}/{n}: {err}");
        }
        let ok = parse(&rpc_with(0x26, 8, &[4, 1, 0, 0, 0])).unwrap();
        assert!(matches!(ok.params[0].1, Value::Int(1)));
    }

    /// Seen while fixing the finding above: a datetime whose day count lies
    /// past the calendar would overflow (a panic) instead of failing.
    #[test]
    fn a_datetime_out_of_range_is_refused() {
        let mut value = vec![8];
        value.extend_from_slice(&i32::MAX.to_le_bytes());
        value.extend_from_slice(&0u32.to_le_bytes());
        assert!(parse(&rpc_with(0x6F, 8, &value)).is_err());
    }
}
