//! Column types: T-SQL declared types (as kept by SQLite's `table_info`)
//! mapped to TDS types, the COLMETADATA type info, and row values encoded
//! from SQLite's dynamic values into the declared type.

use chrono::{NaiveDate, NaiveDateTime, Timelike};

use super::wire::COLLATION;

/// A value as SQLite stores it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// The TDS type a result column is announced with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ColType {
    /// INTN of 1, 2, 4 or 8 bytes (tinyint, smallint, int, bigint).
    Int(u8),
    Bit,
    Float,
    Money,
    Decimal {
        precision: u8,
        scale: u8,
    },
    Guid,
    DateTime,
    DateTime2(u8),
    Date,
    /// NVARCHAR with its maximum length in bytes; `u16::MAX` is `nvarchar(max)`.
    NVarChar(u16),
    /// VARBINARY with its maximum length; `u16::MAX` is `varbinary(max)`.
    VarBinary(u16),
}

/// A conversion SQL Server would refuse (Msg 245 and friends).
#[derive(Debug)]
pub(crate) struct ConversionError(pub i32, pub String);

const MAX: u16 = u16::MAX;

/// Maps a declared column type (`nvarchar(50)`, `decimal(10, 2)`, `int`, ...)
/// to its TDS type; `None` for a type the server does not know (then the
/// values decide).
pub(crate) fn from_declared(decl: &str) -> Option<ColType> {
    let decl = decl.trim().to_ascii_lowercase();
    let (base, args) = match decl.find('(') {
        Some(i) => (decl[..i].trim(), decl[i + 1..].trim_end_matches(')').trim()),
        None => (decl.as_str(), ""),
    };
    let nums: Vec<u32> = args
        .split(',')
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    // `(max)` is stored as `(-1)`: SQLite type names only take numbers.
    let is_max = args.eq_ignore_ascii_case("max") || args == "-1";
    let len = |chars_to_bytes: u32| -> u16 {
        if is_max {
            MAX
        } else {
            let n = nums.first().copied().unwrap_or(1) * chars_to_bytes;
            u16::try_from(n).ok().filter(|n| *n <= 8000).unwrap_or(MAX)
        }
    };
    Some(match base {
        "tinyint" => ColType::Int(1),
        "smallint" => ColType::Int(2),
        "int" | "integer" => ColType::Int(4),
        "bigint" => ColType::Int(8),
        "bit" => ColType::Bit,
        "float" | "real" | "double" => ColType::Float,
        "money" | "smallmoney" => ColType::Money,
        "decimal" | "numeric" => ColType::Decimal {
            precision: nums.first().map_or(18, |p| (*p).clamp(1, 38) as u8),
            scale: nums.get(1).map_or(0, |s| (*s).min(38) as u8),
        },
        "uniqueidentifier" => ColType::Guid,
        "datetime" | "smalldatetime" => ColType::DateTime,
        "datetime2" => ColType::DateTime2(nums.first().map_or(7, |s| (*s).min(7) as u8)),
        "date" => ColType::Date,
        "nvarchar" | "nchar" | "varchar" | "char" => ColType::NVarChar(len(2)),
        "ntext" | "text" | "xml" => ColType::NVarChar(MAX),
        "varbinary" | "binary" => ColType::VarBinary(len(1)),
        "image" => ColType::VarBinary(MAX),
        _ => return None,
    })
}

/// The type of a computed column, from its values as SQL Server would type
/// the expression: integers are `int` unless one needs `bigint`; a column of
/// NULLs only is `nvarchar`.
pub(crate) fn from_values<'a>(values: impl Iterator<Item = &'a Value>) -> ColType {
    let (mut ints, mut wide, mut floats, mut texts, mut blobs, mut long) =
        (0, false, 0, 0, 0, false);
    for v in values {
        match v {
            Value::Null => {}
            Value::Int(i) => {
                ints += 1;
                wide |= i32::try_from(*i).is_err();
            }
            Value::Float(_) => floats += 1,
            Value::Text(s) => {
                texts += 1;
                long |= s.encode_utf16().count() > 4000;
            }
            Value::Blob(b) => {
                blobs += 1;
                long |= b.len() > 8000;
            }
        }
    }
    let size = if long { MAX } else { 8000 };
    match (ints, floats, texts, blobs) {
        // Only NULLs: nothing says what the expression is. Text, because a
        // client reads text from it either way and the connector's casts to
        // nvarchar are the common case.
        (0, 0, 0, 0) => ColType::NVarChar(size),
        (_, 0, 0, 0) => ColType::Int(if wide { 8 } else { 4 }),
        (_, _, 0, 0) => ColType::Float,
        (0, 0, 0, _) => ColType::VarBinary(size),
        _ => ColType::NVarChar(size),
    }
}

/// Writes the TYPE_INFO of a COLMETADATA column.
pub(crate) fn put_type_info(out: &mut Vec<u8>, ty: ColType) {
    match ty {
        ColType::Int(n) => out.extend_from_slice(&[0x26, n]),
        ColType::Bit => out.extend_from_slice(&[0x68, 1]),
        ColType::Float => out.extend_from_slice(&[0x6D, 8]),
        ColType::Money => out.extend_from_slice(&[0x6E, 8]),
        ColType::Decimal { precision, scale } => {
            out.extend_from_slice(&[0x6A, 17, precision, scale]);
        }
        ColType::Guid => out.extend_from_slice(&[0x24, 16]),
        ColType::DateTime => out.extend_from_slice(&[0x6F, 8]),
        ColType::DateTime2(scale) => out.extend_from_slice(&[0x2A, scale]),
        ColType::Date => out.push(0x28),
        ColType::NVarChar(n) => {
            out.push(0xE7);
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&COLLATION);
        }
        ColType::VarBinary(n) => {
            out.push(0xA5);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

fn type_name(ty: ColType) -> &'static str {
    match ty {
        ColType::Int(1) => "tinyint",
        ColType::Int(2) => "smallint",
        ColType::Int(4) => "int",
        ColType::Int(_) => "bigint",
        ColType::Bit => "bit",
        ColType::Float => "float",
        ColType::Money => "money",
        ColType::Decimal { .. } => "numeric",
        ColType::Guid => "uniqueidentifier",
        ColType::DateTime | ColType::DateTime2(_) | ColType::Date => "datetime",
        ColType::NVarChar(_) => "nvarchar",
        ColType::VarBinary(_) => "varbinary",
    }
}

fn conversion(v: &Value, ty: ColType) -> ConversionError {
    let shown = match v {
        Value::Text(s) => s.clone(),
        other => format!("{other:?}"),
    };
    ConversionError(
        245,
        format!(
            "Conversion failed when converting the value '{shown}' to data type {}.",
            type_name(ty)
        ),
    )
}

fn as_i64(v: &Value, ty: ColType) -> Result<i64, ConversionError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(f) => Ok(f.trunc() as i64),
        Value::Text(s) => s.trim().parse().map_err(|_| conversion(v, ty)),
        _ => Err(conversion(v, ty)),
    }
}

fn as_f64(v: &Value, ty: ColType) -> Result<f64, ConversionError> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Float(f) => Ok(*f),
        Value::Text(s) => s.trim().parse().map_err(|_| conversion(v, ty)),
        _ => Err(conversion(v, ty)),
    }
}

/// Parses the text forms a date/time is stored in.
pub(crate) fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return Some(dt);
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

fn as_datetime(v: &Value, ty: ColType) -> Result<NaiveDateTime, ConversionError> {
    match v {
        Value::Text(s) => parse_datetime(s).ok_or_else(|| {
            ConversionError(
                241,
                "Conversion failed when converting date and/or time from character string.".into(),
            )
        }),
        _ => Err(conversion(v, ty)),
    }
}

fn days_from(date: NaiveDate, epoch: (i32, u32, u32)) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(epoch.0, epoch.1, epoch.2).unwrap_or_default();
    (date - epoch).num_days()
}

fn nanos_of_day(dt: &NaiveDateTime) -> u64 {
    u64::from(dt.num_seconds_from_midnight()) * 1_000_000_000
        + u64::from(dt.nanosecond() % 1_000_000_000)
}

/// Text as SQL Server would show a value converted to nvarchar.
fn as_text(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Text(s) => s.clone(),
        Value::Blob(b) => {
            let mut s = String::from("0x");
            for byte in b {
                s.push_str(&format!("{byte:02X}"));
            }
            s
        }
        Value::Null => String::new(),
    }
}

/// Writes a PLP (`max`) value in one chunk, or PLP NULL.
fn put_plp(out: &mut Vec<u8>, data: Option<&[u8]>) {
    match data {
        None => out.extend_from_slice(&u64::MAX.to_le_bytes()),
        Some(d) => {
            out.extend_from_slice(&(d.len() as u64).to_le_bytes());
            if !d.is_empty() {
                out.extend_from_slice(&(d.len() as u32).to_le_bytes());
                out.extend_from_slice(d);
            }
            out.extend_from_slice(&0u32.to_le_bytes());
        }
    }
}

fn put_var(out: &mut Vec<u8>, max: u16, data: Option<&[u8]>) {
    if max == MAX {
        put_plp(out, data);
    } else {
        match data {
            None => out.extend_from_slice(&0xFFFFu16.to_le_bytes()),
            Some(d) => {
                out.extend_from_slice(
                    &(d.len().min(usize::from(u16::MAX - 1)) as u16).to_le_bytes(),
                );
                out.extend_from_slice(d);
            }
        }
    }
}

/// Writes one ROW value of a column of type `ty`.
pub(crate) fn put_value(out: &mut Vec<u8>, ty: ColType, v: &Value) -> Result<(), ConversionError> {
    if let Value::Null = v {
        match ty {
            ColType::NVarChar(n) | ColType::VarBinary(n) => put_var(out, n, None),
            _ => out.push(0),
        }
        return Ok(());
    }
    match ty {
        ColType::Int(n) => {
            let i = as_i64(v, ty)?;
            out.push(n);
            out.extend_from_slice(&i.to_le_bytes()[..usize::from(n)]);
        }
        ColType::Bit => {
            out.push(1);
            out.push(u8::from(as_i64(v, ty)? != 0));
        }
        ColType::Float => {
            out.push(8);
            out.extend_from_slice(&as_f64(v, ty)?.to_le_bytes());
        }
        ColType::Money => {
            let cents = match v {
                Value::Int(i) => i.saturating_mul(10_000),
                _ => (as_f64(v, ty)? * 10_000.0).round() as i64,
            };
            out.push(8);
            out.extend_from_slice(&((cents >> 32) as i32).to_le_bytes());
            out.extend_from_slice(&(cents as u32).to_le_bytes());
        }
        ColType::Decimal { scale, .. } => {
            let scaled: i128 = match v {
                Value::Int(i) => i128::from(*i) * 10i128.pow(u32::from(scale)),
                _ => (as_f64(v, ty)? * 10f64.powi(i32::from(scale))).round() as i128,
            };
            out.push(17);
            out.push(u8::from(scaled >= 0));
            out.extend_from_slice(&scaled.unsigned_abs().to_le_bytes());
        }
        ColType::Guid => {
            let parsed = match v {
                Value::Text(s) => uuid::Uuid::parse_str(s.trim()).ok(),
                Value::Blob(b) => uuid::Uuid::from_slice_le(b).ok(),
                _ => None,
            };
            let Some(id) = parsed else {
                return Err(ConversionError(
                    8169,
                    "Conversion failed when converting from a character string to uniqueidentifier."
                        .into(),
                ));
            };
            out.push(16);
            out.extend_from_slice(&id.to_bytes_le());
        }
        ColType::DateTime => {
            let dt = as_datetime(v, ty)?;
            let days = days_from(dt.date(), (1900, 1, 1));
            let ticks = (nanos_of_day(&dt) * 300)
                .div_ceil(1_000_000_000)
                .min(25_919_999);
            out.push(8);
            out.extend_from_slice(&(days as i32).to_le_bytes());
            out.extend_from_slice(&(ticks as u32).to_le_bytes());
        }
        ColType::DateTime2(scale) => {
            let dt = as_datetime(v, ty)?;
            let increments = nanos_of_day(&dt) / 10u64.pow(9 - u32::from(scale));
            let tlen = match scale {
                0..=2 => 3,
                3 | 4 => 4,
                _ => 5,
            };
            let days = days_from(dt.date(), (1, 1, 1));
            out.push((tlen + 3) as u8);
            out.extend_from_slice(&increments.to_le_bytes()[..tlen]);
            out.extend_from_slice(&(days as u32).to_le_bytes()[..3]);
        }
        ColType::Date => {
            let dt = as_datetime(v, ty)?;
            out.push(3);
            out.extend_from_slice(&(days_from(dt.date(), (1, 1, 1)) as u32).to_le_bytes()[..3]);
        }
        ColType::NVarChar(n) => {
            let bytes: Vec<u8> = as_text(v)
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect();
            put_var(out, n, Some(&bytes));
        }
        ColType::VarBinary(n) => {
            let bytes = match v {
                Value::Blob(b) => b.clone(),
                other => as_text(other).into_bytes(),
            };
            put_var(out, n, Some(&bytes));
        }
    }
    Ok(())
}

/// The canonical text a date/time parameter is stored as: ISO date, a space,
/// the time, and the fraction only when it is not zero (so that literals in
/// fixtures such as `'2024-01-01 10:00:00'` compare equal).
pub(crate) fn datetime_text(dt: &NaiveDateTime) -> String {
    let base = dt.format("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = dt.nanosecond() % 1_000_000_000;
    if nanos == 0 {
        base
    } else {
        let frac = format!("{:09}", nanos);
        format!("{base}.{}", frac.trim_end_matches('0'))
    }
}
