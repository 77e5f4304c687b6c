//! Call recordings named by database rows (`tblData_LC_CallRecording.
//! RecordingLocation`, often a UNC path whose file name holds the caller's
//! number): where such a location is on this machine, if anywhere, and
//! deleting it.
//!
//! A location is only ever touched when it falls under a configured root:
//! `\\rec01\calls\` mapped to `/mnt/rec01/calls`, say. Anything else is
//! left for a person (a manual step names it). A location with a `..`
//! component, a drive or stream colon, or a link that leads out of its
//! root is refused outright, whatever the roots: a database row must never
//! steer lethe to delete an arbitrary file.

use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One place recordings are stored, as the database writes it and as this
/// machine mounts it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingRoot {
    /// The location prefix in the rows (`\\rec01\calls\`), compared
    /// case-insensitively with `\` and `/` alike.
    pub prefix: String,
    /// Where that prefix is mounted here.
    pub dir: PathBuf,
}

/// Where a recording's location leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// A file under a configured root (it may not exist any more).
    Local(PathBuf),
    /// Under no configured root: for a person to delete where it is.
    Outside,
    /// Never to be touched: the reason says why.
    Refused(&'static str),
}

/// Splits a location into path components, `\` and `/` alike; empty and
/// `.` components are dropped.
fn components(s: &str) -> Vec<&str> {
    s.split(['\\', '/'])
        .filter(|c| !c.is_empty() && *c != ".")
        .collect()
}

/// Where `location` leads under `roots`.
pub fn locate(location: &str, roots: &[RecordingRoot]) -> Located {
    let location = location.trim();
    if location.is_empty() {
        return Located::Refused("an empty location");
    }
    if location.contains('\0') {
        return Located::Refused("a location with a NUL byte");
    }
    let parts = components(location);
    if parts.contains(&"..") {
        return Located::Refused("a location with a `..` component");
    }
    for root in roots {
        let prefix = components(&root.prefix);
        if prefix.is_empty() || parts.len() <= prefix.len() {
            continue;
        }
        let same = parts
            .iter()
            .zip(&prefix)
            .all(|(a, b)| a.eq_ignore_ascii_case(b));
        if !same {
            continue;
        }
        let rest = &parts[prefix.len()..];
        if rest.iter().any(|c| c.contains(':')) {
            return Located::Refused("a location with a drive or stream colon");
        }
        let path = rest.iter().fold(root.dir.clone(), |p, c| p.join(c));
        return match inside(&root.dir, &path) {
            Ok(true) => Located::Local(path),
            Ok(false) => Located::Refused("a location that leaves its root through a link"),
            Err(_) => Located::Refused("a location whose root cannot be read"),
        };
    }
    Located::Outside
}

/// Whether `path`'s deepest existing ancestor, links resolved, is still
/// under `root`.
fn inside(root: &Path, path: &Path) -> io::Result<bool> {
    let root = root.canonicalize()?;
    let mut probe = path.to_path_buf();
    while !probe.exists() {
        if !probe.pop() {
            return Ok(false);
        }
    }
    Ok(probe.canonicalize()?.starts_with(&root))
}

/// Deletes the recording at `path` (a [`Located::Local`] path) and makes
/// the removal durable. `Ok(false)` when it was already gone: a re-run
/// after a crash finds its work done.
pub fn delete(path: &Path) -> io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.is_file() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ))
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    }
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(dir: &Path) -> Vec<RecordingRoot> {
        vec![RecordingRoot {
            prefix: "\\\\rec01\\calls\\".into(),
            dir: dir.to_path_buf(),
        }]
    }

    #[test]
    fn maps_under_a_root_and_refuses_escapes() {
        let tmp = tempfile::tempdir().unwrap();
        let r = roots(tmp.path());
        assert_eq!(
            locate("\\\\REC01\\Calls\\2024\\03\\01632960855_1.wav", &r),
            Located::Local(tmp.path().join("2024/03/01632960855_1.wav"))
        );
        assert_eq!(
            locate("//rec01/calls/a.wav", &r),
            Located::Local(tmp.path().join("a.wav"))
        );
        assert_eq!(locate("\\\\rec02\\calls\\a.wav", &r), Located::Outside);
        assert_eq!(locate("\\\\rec01\\calls", &r), Located::Outside);
        assert!(matches!(
            locate("\\\\rec01\\calls\\..\\..\\etc\\passwd", &r),
            Located::Refused(_)
        ));
        assert!(matches!(
            locate("\\\\rec02\\x\\..\\y.wav", &r),
            Located::Refused(_)
        ));
        assert!(matches!(
            locate("\\\\rec01\\calls\\a.wav:stream", &r),
            Located::Refused(_)
        ));
        assert!(matches!(locate("  ", &r), Located::Refused(_)));
    }

    #[test]
    fn a_link_out_of_the_root_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), tmp.path().join("out")).unwrap();
        std::fs::write(outside.path().join("a.wav"), b"x").unwrap();
        assert!(matches!(
            locate("\\\\rec01\\calls\\out\\a.wav", &roots(tmp.path())),
            Located::Refused(_)
        ));
        assert!(outside.path().join("a.wav").exists());
    }

    #[test]
    fn delete_is_idempotent() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("a.wav");
        std::fs::write(&f, b"RIFF").unwrap();
        assert!(delete(&f).unwrap());
        assert!(!delete(&f).unwrap());
        std::fs::create_dir(tmp.path().join("d")).unwrap();
        assert!(delete(&tmp.path().join("d")).is_err());
    }
}
