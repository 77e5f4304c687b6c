//! In-place rewrite of a text file, line by line, that never leaves a
//! half-written file behind: output goes to a temp file in the same
//! directory, which is fsynced, given the original's permissions (and owner,
//! when running as root) and renamed over the original; then the directory
//! is fsynced so the rename itself survives a crash.
//!
//! `.gz` files are read through a gzip decoder and written back gzipped, so
//! rotated console logs (`MiVBConsole.1.log.gz`) are handled like live ones.
//!
//! A plain file is live: writers append to it while it is rewritten, and
//! some of them opened it before the rename. After the rename the original
//! inode (now nameless) is kept open and read on; lines that land there
//! late go through the same callback and are appended to the new file.

mod lock;
mod sink;

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use flate2::read::MultiGzDecoder;

use self::sink::{copy_owner_and_mode, replaced, same_file, sync_dir, Sink};
use super::linebuf::{LineReader, Peeked};

/// Input buffer: large, so a rewrite costs few `read` calls.
const READ_BUF: usize = 256 * 1024;

/// What to do with one line. The callback sees the line without its
/// terminator; `Keep` and `Replace` write the original terminator back
/// (`\n`, `\r\n` or none on a last line), so line endings never change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineOutcome {
    /// Leave the line as it is.
    Keep,
    /// Write these bytes instead (without a terminator).
    Replace(Vec<u8>),
    /// Drop the line and its terminator.
    Delete,
}

/// What a rewrite did, for the step's evidence and metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RewriteStats {
    /// Bytes of content read (decompressed, for `.gz`).
    pub bytes_read: u64,
    /// Lines seen, including lines appended while the rewrite ran.
    pub lines: u64,
    /// Lines replaced with different bytes.
    pub lines_changed: u64,
    /// Lines deleted.
    pub lines_deleted: u64,
    /// True when the file was replaced; false when no line changed and the
    /// file was not touched at all (same inode, same mtime).
    pub rewritten: bool,
}

/// Looks at a file that ends in a partial line before the line is taken as
/// final, and the pause between them.
const PARTIAL_LOOKS: u32 = 5;
const PARTIAL_WAIT: Duration = Duration::from_millis(20);

/// How long the old inode is watched after the rename, for writers that
/// opened the file before it and write after it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grace {
    /// Pause between two looks at the old inode.
    pub(crate) poll: Duration,
    /// Consecutive looks without growth that end the watch of a live file.
    pub(crate) quiet_polls: u32,
    /// A file written within this window before the rename (or during the
    /// watch) is live and watched for `quiet_polls`; any other file gets
    /// one look, without sleeping, so rewriting a tree of old logs does not
    /// pay a pause per file.
    pub(crate) live_window: Duration,
    /// Upper bound on the watch, for a writer that keeps writing into the
    /// old inode and never reopens the path.
    pub(crate) max: Duration,
}

impl Grace {
    /// 5 quiet looks 20 ms apart: 100 ms without a byte from any writer
    /// that opened the old file before the rename.
    pub(crate) const DEFAULT: Self = Self {
        poll: Duration::from_millis(20),
        quiet_polls: 5,
        live_window: Duration::from_secs(60),
        max: Duration::from_secs(2),
    };
}

/// Streams `path` through `f` and replaces it when at least one line
/// changed. A `Replace` with the same bytes counts as `Keep`.
///
/// Appends to a plain file lose no line. The file is read to its end; a
/// last line without a newline is only treated as final once the file
/// stopped growing, so a half-written append is not split. The original
/// stays open across the rename: whatever reaches the old inode afterwards
/// (appended after the read reached the end, or by a writer that opened
/// the file before the rename) is read on, passed through `f` and appended
/// to the new file, until the old inode has been quiet for a grace period
/// (100 ms for a file written within the last minute; one look for an
/// older one). Writers that open, append and close per line (log4net
/// `MinimalLock`, `echo >>`) therefore lose nothing.
///
/// Caveats, stated plainly: (1) order: a late line is appended after
/// whatever writers that opened the new file already wrote there, so it
/// can appear after newer lines; (2) a writer that holds its descriptor
/// open across the rename (most loggers with an exclusive lock) keeps
/// writing into the old inode until it reopens the path; that is read on
/// for at most 2 s, and what it writes after that is lost. Configure such
/// loggers to reopen per write (`MinimalLock`) or rewrite their files after
/// rotation; copytruncate rotation never cooperates with a rewrite. (3) A
/// file not written for a minute gets one look, not the grace period: a
/// writer that opens it, after a minute of silence, just before the
/// rename, and writes after that look, loses that line.
///
/// Fails with `ErrorKind::Interrupted` (retryable) without replacing
/// anything when the path was replaced or truncated during the rewrite,
/// or when a `.gz` file changed. An I/O error while appending late lines
/// is returned too, though the file has been replaced by then (late lines
/// not yet appended are lost with the old inode).
pub fn rewrite_file(path: &Path, f: impl FnMut(&[u8]) -> LineOutcome) -> io::Result<RewriteStats> {
    rewrite_file_with(path, f, Grace::DEFAULT)
}

/// [`rewrite_file`] with an explicit grace period.
pub(crate) fn rewrite_file_with(
    path: &Path,
    f: impl FnMut(&[u8]) -> LineOutcome,
    grace: Grace,
) -> io::Result<RewriteStats> {
    let file = lock::open_locked(path)?;
    let meta = file.metadata()?;
    if is_gz(path) {
        let reader = MultiGzDecoder::new(BufReader::with_capacity(READ_BUF, file));
        let mut run = Run::new(path, meta, true, reader, f);
        run.drain(None, Settle::Now)?;
        let Some(sink) = run.sink.take() else {
            return Ok(run.stats);
        };
        let tmp = sink.finish()?;
        if fs::metadata(path)?.len() != run.meta.len() {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "gzip file changed during rewrite; not replaced",
            ));
        }
        copy_owner_and_mode(&tmp, &run.meta)?;
        tmp.persist(path).map_err(|e| e.error)?;
        sync_dir(path)?;
        run.stats.rewritten = true;
        return Ok(run.stats);
    }
    let mut run = Run::new(path, meta, false, file, f);
    run.drain(None, Settle::IfStable)?;
    let Some(sink) = run.sink.take() else {
        return Ok(run.stats);
    };
    let tmp = sink.finish()?;
    run.check_same_file()?;
    copy_owner_and_mode(&tmp, &run.meta)?;
    // An appending handle on the new inode itself, opened before the
    // rename: late lines reach the new file even if the path moves again,
    // and `O_APPEND` keeps them whole next to other writers' lines.
    let late = OpenOptions::new().append(true).open(tmp.path())?;
    let live = run.is_live(grace.live_window)?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(path)?;
    run.stats.rewritten = true;
    run.tail(&late, live, grace)?;
    Ok(run.stats)
}

/// How a last line without `\n` is treated when the source has no more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    /// Final if the file is not longer than what was read.
    IfStable,
    /// Final: the source is finished (gzip), or the watch is over.
    Now,
    /// Not yet: leave it for a later look.
    Never,
}

/// What happened to one line.
enum Out {
    Same,
    New(Vec<u8>),
    Dropped,
}

/// A source whose current length can be asked (a plain file; gzip cannot).
trait Source: Read {
    fn len_now(&self) -> io::Result<Option<u64>>;
}

impl Source for File {
    fn len_now(&self) -> io::Result<Option<u64>> {
        Ok(Some(self.metadata()?.len()))
    }
}

impl<R: io::BufRead> Source for MultiGzDecoder<R> {
    fn len_now(&self) -> io::Result<Option<u64>> {
        Ok(None)
    }
}

/// The state of one rewrite.
struct Run<'p, R, F> {
    path: &'p Path,
    meta: fs::Metadata,
    gz: bool,
    lines: LineReader<R>,
    stats: RewriteStats,
    /// The temp file, created at the first changed line.
    sink: Option<Sink>,
    f: F,
}

impl<'p, R: Source, F: FnMut(&[u8]) -> LineOutcome> Run<'p, R, F> {
    fn new(path: &'p Path, meta: fs::Metadata, gz: bool, source: R, f: F) -> Self {
        Self {
            path,
            meta,
            gz,
            lines: LineReader::with_capacity(READ_BUF, source),
            stats: RewriteStats::default(),
            sink: None,
            f,
        }
    }

    /// Processes lines to the current end of the source: into the temp
    /// file (created at the first change) in the main pass, or into `late`
    /// when watching the old inode after the rename.
    fn drain(&mut self, mut late: Option<&mut Vec<u8>>, settle: Settle) -> io::Result<()> {
        loop {
            let len = match self.lines.peek()? {
                Peeked::End => return Ok(()),
                Peeked::Complete(n) => n,
                Peeked::Partial(n) => match settle {
                    Settle::Now => n,
                    Settle::Never => return Ok(()),
                    Settle::IfStable => {
                        // One write() of a line that crosses a page boundary
                        // becomes visible in two steps: a writer may be
                        // between them. Give it a few short looks before
                        // calling the line final (only files that end
                        // without a newline pay this).
                        let read = self.stats.bytes_read + n as u64;
                        let mut grew = false;
                        for look in 0..PARTIAL_LOOKS {
                            if self.lines.get_ref().len_now()?.is_some_and(|l| l > read) {
                                grew = true;
                                break;
                            }
                            if look + 1 < PARTIAL_LOOKS {
                                std::thread::sleep(PARTIAL_WAIT);
                            }
                        }
                        if grew {
                            continue;
                        }
                        n
                    }
                },
            };
            let start = self.stats.bytes_read;
            self.stats.bytes_read += len as u64;
            self.stats.lines += 1;
            let line = self.lines.line(len);
            let (content, ending) = split_ending(line);
            let out = match (self.f)(content) {
                LineOutcome::Keep => Out::Same,
                LineOutcome::Replace(new) if new == content => Out::Same,
                LineOutcome::Replace(new) => {
                    self.stats.lines_changed += 1;
                    Out::New(new)
                }
                LineOutcome::Delete => {
                    self.stats.lines_deleted += 1;
                    Out::Dropped
                }
            };
            let dest: &mut dyn Write = match (&mut late, &mut self.sink) {
                (Some(buf), _) => &mut **buf,
                (None, Some(sink)) => sink,
                (None, None) if matches!(out, Out::Same) => {
                    self.lines.consume(len);
                    continue;
                }
                (None, None) => self
                    .sink
                    .insert(Sink::create(self.path, &self.meta, self.gz, start)?),
            };
            match out {
                Out::Same => dest.write_all(line)?,
                Out::New(new) => {
                    dest.write_all(&new)?;
                    dest.write_all(ending)?;
                }
                Out::Dropped => {}
            }
            self.lines.consume(len);
        }
    }
}

impl<F: FnMut(&[u8]) -> LineOutcome> Run<'_, File, F> {
    /// Refuses to rename over a path that now names another file or a file
    /// shorter than what was read (rotated or truncated under us): that
    /// would destroy someone else's data.
    fn check_same_file(&self) -> io::Result<()> {
        let now = fs::metadata(self.path)?;
        if !same_file(&now, &self.meta) || now.len() < self.stats.bytes_read {
            return Err(replaced());
        }
        Ok(())
    }

    /// Whether the original was written within `window` (or has a
    /// modification time in the future): someone may be writing to it.
    fn is_live(&self, window: Duration) -> io::Result<bool> {
        let modified = self.lines.get_ref().metadata()?.modified()?;
        Ok(SystemTime::now()
            .duration_since(modified)
            .map_or(true, |age| age < window))
    }

    /// After the rename: reads the old inode on, appending late lines to
    /// the new file through `late`, until it has been quiet long enough.
    fn tail(&mut self, late: &File, mut live: bool, grace: Grace) -> io::Result<()> {
        let started = Instant::now();
        let mut out = Vec::new();
        let mut appended = false;
        let mut seen = self.stats.bytes_read;
        let mut quiet = 0;
        loop {
            self.drain(Some(&mut out), Settle::Never)?;
            appended |= append(late, &mut out)?;
            let len = self.lines.get_ref().len_now()?.unwrap_or(seen);
            if len != seen {
                (seen, quiet, live) = (len, 0, true);
            } else {
                quiet += 1;
            }
            let enough = if live { grace.quiet_polls } else { 1 };
            if quiet >= enough || len < self.stats.bytes_read || started.elapsed() >= grace.max {
                break;
            }
            std::thread::sleep(grace.poll);
        }
        self.drain(Some(&mut out), Settle::Now)?;
        appended |= append(late, &mut out)?;
        if appended {
            late.sync_all()?;
        }
        Ok(())
    }
}

/// Appends `out` (whole lines) to the new file in one `write`, so it never
/// interleaves with a concurrent writer's line; true if there was any.
fn append(mut late: &File, out: &mut Vec<u8>) -> io::Result<bool> {
    if out.is_empty() {
        return Ok(false);
    }
    late.write_all(out)?;
    out.clear();
    Ok(true)
}

/// `.gz`, any case, means gzip in and gzip out.
fn is_gz(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Splits a line into content and terminator (`\r\n`, `\n` or nothing).
fn split_ending(line: &[u8]) -> (&[u8], &[u8]) {
    let cut = if line.ends_with(b"\r\n") {
        2
    } else if line.ends_with(b"\n") {
        1
    } else {
        0
    };
    line.split_at(line.len() - cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endings_split() {
        assert_eq!(split_ending(b"a\r\n"), (&b"a"[..], &b"\r\n"[..]));
        assert_eq!(split_ending(b"a\n"), (&b"a"[..], &b"\n"[..]));
        assert_eq!(split_ending(b"a"), (&b"a"[..], &b""[..]));
        assert_eq!(split_ending(b"\r"), (&b"\r"[..], &b""[..]));
    }

    #[test]
    fn gz_by_extension() {
        assert!(is_gz(Path::new("x/MiVBConsole.1.log.GZ")));
        assert!(!is_gz(Path::new("x/MiVBConsole.log")));
    }
}
