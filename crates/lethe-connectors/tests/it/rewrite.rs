//! `rewrite_file` on real files in temp directories.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use lethe_connectors::files::{redact_line, rewrite_file, LineOutcome, Matcher, DEFAULT_TOKEN};

use crate::matcher;

/// The line callback a redacting step uses.
fn redactor(m: &Matcher) -> impl FnMut(&[u8]) -> LineOutcome + '_ {
    |line| {
        let (out, hits) = redact_line(m, line, DEFAULT_TOKEN);
        if hits.is_empty() {
            LineOutcome::Keep
        } else {
            LineOutcome::Replace(out.into_owned())
        }
    }
}

const LOG: &str = "2024-03-14 09:02:11.417 INFO  [CallMgr] Incoming call id=4711 ANI=0441632960855 Name=\"SMITH, JOHN\" DNIS=8200 Console=OP1 User=jdoe\r\n\
2024-03-14 09:05:00.000 INFO  [CallMgr] Idle\r\n\
2024-03-14 09:08:52.003 INFO  [CallMgr] Call id=4711 released duration=00:06:41 transferredTo=2281 (\"Jones,Mary\")";

const REDACTED: &str = "2024-03-14 09:02:11.417 INFO  [CallMgr] Incoming call id=4711 ANI=[REDACTED] Name=\"[REDACTED]\" DNIS=8200 Console=OP1 User=jdoe\r\n\
2024-03-14 09:05:00.000 INFO  [CallMgr] Idle\r\n\
2024-03-14 09:08:52.003 INFO  [CallMgr] Call id=4711 released duration=00:06:41 transferredTo=2281 (\"[REDACTED]\")";

#[test]
fn redacts_keeping_crlf_and_missing_final_newline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("MiVBConsole.log");
    fs::write(&path, LOG).unwrap();
    let m = matcher();
    let stats = rewrite_file(&path, redactor(&m)).unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), REDACTED);
    assert_eq!(stats.lines, 3);
    assert_eq!(stats.lines_changed, 2);
    assert_eq!(stats.bytes_read, LOG.len() as u64);
    assert!(stats.rewritten);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "no temp left");
}

#[test]
fn gzip_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("MiVBConsole.1.log.gz");
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(LOG.as_bytes()).unwrap();
    fs::write(&path, enc.finish().unwrap()).unwrap();
    let m = matcher();
    let stats = rewrite_file(&path, redactor(&m)).unwrap();
    assert!(stats.rewritten);
    let mut text = String::new();
    MultiGzDecoder::new(fs::File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, REDACTED);
}

#[test]
fn permissions_preserved_and_delete_drops_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ScratchPad.txt");
    fs::write(&path, "keep\nJohn Smith rang\nkeep too\n").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let before = fs::metadata(&path).unwrap();
    let m = matcher();
    let stats = rewrite_file(&path, |line| {
        if m.find(line).is_empty() {
            LineOutcome::Keep
        } else {
            LineOutcome::Delete
        }
    })
    .unwrap();
    assert_eq!((stats.lines, stats.lines_deleted), (3, 1));
    assert_eq!(fs::read_to_string(&path).unwrap(), "keep\nkeep too\n");
    let after = fs::metadata(&path).unwrap();
    assert_eq!(after.mode() & 0o7777, 0o640);
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert_ne!(after.ino(), before.ino(), "replaced by rename");
}

#[test]
fn unchanged_file_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.log");
    fs::write(&path, "nobody here\nDNIS=8200\n").unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let before = fs::metadata(&path).unwrap();
    let stats = rewrite_file(&path, redactor(&matcher())).unwrap();
    assert!(!stats.rewritten);
    assert_eq!(stats.lines, 2);
    let after = fs::metadata(&path).unwrap();
    assert_eq!(after.modified().unwrap(), old);
    assert_eq!(after.ino(), before.ino());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
}

fn append(path: &Path, text: &str) {
    OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

#[test]
fn lines_appended_during_rewrite_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("MiVBConsole.log");
    let n = 50_000;
    let mut body = String::new();
    for i in 0..n {
        if i % 1000 == 7 {
            body.push_str(&format!("{i} ANI=0441632960855 Name=\"SMITH, JOHN\"\n"));
        } else {
            body.push_str(&format!("{i} idle line with some padding text\n"));
        }
    }
    fs::write(&path, &body).unwrap();
    let m = matcher();
    let mut redact = redactor(&m);
    let mut seen = 0u64;
    let p = path.clone();
    let stats = rewrite_file(&path, |line| {
        seen += 1;
        // Early (while the reader is mid-file), at the last original line
        // (right before the reader hits end of file), and a partial last
        // line completed while it is pending.
        if seen == 10 {
            append(&p, "appended-early 01632 960855\n");
        }
        if seen == n {
            append(&p, "appended-late john.smith@example.com\nappended-partial");
        }
        if seen == n + 1 {
            append(&p, " completed\n");
        }
        redact(line)
    })
    .unwrap();
    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), n as usize + 3);
    assert_eq!(stats.lines, n + 3);
    assert_eq!(stats.lines_changed, n / 1000 + 2);
    assert_eq!(lines[n as usize], "appended-early [REDACTED]");
    assert_eq!(lines[n as usize + 1], "appended-late [REDACTED]");
    assert_eq!(lines[n as usize + 2], "appended-partial completed");
    assert!(!text.contains("SMITH"));
    assert!(text.ends_with('\n'));
}

#[test]
fn long_unchanged_prefix_is_copied_exactly_plain_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::new();
    for i in 0..40_000 {
        body.push_str(&format!("{i} idle line, nothing personal here\n"));
    }
    body.push_str("late ANI=0441632960855\r\ntail without newline");
    let want = body.replace("0441632960855", "[REDACTED]");
    let plain = dir.path().join("MiVBConsole.log");
    fs::write(&plain, &body).unwrap();
    let gz = dir.path().join("MiVBConsole.1.log.gz");
    let mut enc = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(body.as_bytes()).unwrap();
    fs::write(&gz, enc.finish().unwrap()).unwrap();
    let m = matcher();
    for path in [&plain, &gz] {
        let stats = rewrite_file(path, redactor(&m)).unwrap();
        assert_eq!((stats.lines, stats.lines_changed), (40_002, 1));
        assert_eq!(stats.bytes_read, body.len() as u64);
    }
    assert_eq!(fs::read_to_string(&plain).unwrap(), want);
    let mut text = String::new();
    MultiGzDecoder::new(fs::File::open(&gz).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, want);
}
