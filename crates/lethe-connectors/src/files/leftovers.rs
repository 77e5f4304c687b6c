//! Temp files of rewrites that were cut short. A rewrite writes beside the
//! original (`.lethe-rewrite-<host>-<pid>-<random>`) and renames; a process
//! killed in between leaves the temp file behind, and it is a stale copy of
//! a log, personal data included. Every scan of a directory sweeps the ones
//! whose writer is certainly gone: written by a process of this host that
//! no longer runs, or (another host's, or an older name) not touched for an
//! hour. Never an item of any target.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// Every temp file of a rewrite starts with this.
pub(crate) const PREFIX: &str = ".lethe-rewrite-";

/// A leftover from another host is removed once it is this old: no rewrite
/// keeps a temp file open that long.
const FOREIGN_AGE: Duration = Duration::from_secs(3600);

/// The prefix this process gives its temp files.
pub(crate) fn own_prefix() -> String {
    format!("{PREFIX}{}-{}-", host(), std::process::id())
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().replace(['/', '\\'], "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned())
}

/// Whether the temp file `name` at `path` is debris of a dead rewrite.
pub(crate) fn is_stale(name: &str, path: &Path) -> bool {
    let Some(rest) = name.strip_prefix(PREFIX) else {
        return false;
    };
    // `<host>-<pid>-<random>`: the host may contain `-`, so split from the right.
    let mut parts = rest.rsplitn(3, '-');
    let (_random, pid, writer_host) = (parts.next(), parts.next(), parts.next());
    if let (Some(pid), Some(writer_host)) = (pid.and_then(|p| p.parse::<u32>().ok()), writer_host) {
        if writer_host == host() {
            return pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists();
        }
    }
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| SystemTime::now().duration_since(t).unwrap_or_default() > FOREIGN_AGE)
}

/// Removes `path` if it is stale debris; a failure is left for the next scan.
pub(crate) fn sweep(name: &str, path: &Path) {
    if is_stale(name, path) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_live_temp_files_are_kept_dead_ones_swept() {
        let dir = tempfile::tempdir().unwrap();
        let live = format!("{}abc123", own_prefix());
        std::fs::write(dir.path().join(&live), "x").unwrap();
        assert!(!is_stale(&live, &dir.path().join(&live)));
        // A pid that cannot exist on Linux (above pid_max's ceiling).
        let dead = format!("{PREFIX}{}-4294967-abc123", host());
        std::fs::write(dir.path().join(&dead), "x").unwrap();
        assert!(is_stale(&dead, &dir.path().join(&dead)));
        sweep(&dead, &dir.path().join(&dead));
        assert!(!dir.path().join(&dead).exists());
        // Another host's fresh temp file may belong to a live rewrite.
        let foreign = format!("{PREFIX}elsewhere-1-abc123");
        std::fs::write(dir.path().join(&foreign), "x").unwrap();
        assert!(!is_stale(&foreign, &dir.path().join(&foreign)));
    }
}
