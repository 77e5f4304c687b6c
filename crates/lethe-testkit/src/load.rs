//! Loading rows with `COPY ... FROM STDIN` (text format), in chunks of
//! about a megabyte: a million rows take seconds, not minutes.

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::Client;

use crate::call_history::quoted;
use crate::generate::CallRow;
use crate::time::timestamp;

const COLUMNS: &str =
    "console_id, operator_login, call_start, call_answer, call_end, duration_s, direction, \
    caller_number, caller_name, called_number, called_name, dialed_digits, trunk, disposition, \
    transferred_to_number, transferred_to_name, company_name";

const CHUNK: usize = 1 << 20;

/// Appends `rows` to `schema.call_history`; returns how many were copied.
pub async fn load_call_history(
    client: &Client,
    schema: &str,
    rows: impl Iterator<Item = CallRow>,
) -> Result<u64, tokio_postgres::Error> {
    let sql = format!(
        "copy {}.call_history ({COLUMNS}) from stdin",
        quoted(schema)
    );
    let sink = client.copy_in::<_, Bytes>(sql.as_str()).await?;
    futures_util::pin_mut!(sink);
    let mut buf = String::with_capacity(CHUNK + 1024);
    for row in rows {
        line(&mut buf, &row);
        if buf.len() >= CHUNK {
            sink.send(Bytes::from(std::mem::take(&mut buf))).await?;
            buf.reserve(CHUNK + 1024);
        }
    }
    if !buf.is_empty() {
        sink.send(Bytes::from(buf)).await?;
    }
    sink.finish().await
}

/// One row in COPY text format.
fn line(buf: &mut String, r: &CallRow) {
    let ts = |t: Option<i64>| t.map(timestamp);
    let fields: [Option<String>; 17] = [
        Some(r.console_id.clone()),
        r.operator_login.clone(),
        Some(timestamp(r.call_start)),
        ts(r.call_answer),
        ts(r.call_end),
        r.duration_s.map(|d| d.to_string()),
        Some(r.direction.to_owned()),
        r.caller_number.clone(),
        r.caller_name.clone(),
        r.called_number.clone(),
        r.called_name.clone(),
        r.dialed_digits.clone(),
        r.trunk.clone(),
        Some(r.disposition.to_owned()),
        r.transferred_to_number.clone(),
        r.transferred_to_name.clone(),
        r.company_name.clone(),
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            buf.push('\t');
        }
        match f {
            None => buf.push_str("\\N"),
            Some(v) => escape(buf, v),
        }
    }
    buf.push('\n');
}

fn escape(buf: &mut String, v: &str) {
    for c in v.chars() {
        match c {
            '\\' => buf.push_str("\\\\"),
            '\t' => buf.push_str("\\t"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            c => buf.push(c),
        }
    }
}
