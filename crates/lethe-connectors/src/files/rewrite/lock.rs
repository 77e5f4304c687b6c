//! One rewriter per file at a time, across processes.
//!
//! Several workers may hold erase steps of one files target at once (each
//! for other requests); both then rewrite the same files. The path check
//! before the rename catches most overlaps, but not a rename by the other
//! rewriter between our check and our own rename: ours, made from the old
//! content, would then put back what the other one had just erased. So a
//! rewrite holds an exclusive advisory lock (`flock`) on the file it reads
//! from start to finish; a second rewriter waits for it, sees the path now
//! names the new file, and opens that one instead. Writers (loggers) take
//! no such lock and are never held up. On a network share the lock is only
//! as good as the share's `flock` support; one worker per share is the safe
//! deployment there (README).

use std::fs::{self, File};
use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use super::sink::same_file;

/// How long a rewrite waits for another process's lock before giving up
/// (transient: the step is retried).
const WAIT: Duration = Duration::from_secs(30);

/// Opens `path` for reading with the exclusive rewrite lock held, and
/// checks the lock is on the file the path names now (a rewriter that held
/// it meanwhile may have renamed a new file over it).
pub(super) fn open_locked(path: &Path) -> io::Result<File> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        let file = File::open(path)?;
        match file.try_lock() {
            Ok(()) => {
                if same_file(&fs::metadata(path)?, &file.metadata()?) {
                    return Ok(file);
                }
                // Renamed over while we waited: take the new file.
                continue;
            }
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
        if started.elapsed() >= WAIT {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "another process holds the file's rewrite lock; not rewritten",
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_rewriter_waits_and_then_gets_the_renamed_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        fs::write(&path, "old\n").unwrap();
        let first = open_locked(&path).unwrap();
        let p = path.clone();
        let second = std::thread::spawn(move || {
            let f = open_locked(&p).unwrap();
            io::read_to_string(f).unwrap()
        });
        std::thread::sleep(Duration::from_millis(50));
        // The first rewriter renames its new file over the path, then lets go.
        let tmp = dir.path().join("a.log.new");
        fs::write(&tmp, "new\n").unwrap();
        fs::rename(&tmp, &path).unwrap();
        drop(first);
        assert_eq!(second.join().unwrap(), "new\n");
    }
}
