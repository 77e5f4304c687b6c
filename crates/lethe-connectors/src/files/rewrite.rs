//! In-place rewrite of a text file, line by line, that never leaves a
//! half-written file behind: output goes to a temp file in the same
//! directory, which is fsynced, given the original's permissions (and owner,
//! when running as root) and renamed over the original; then the directory
//! is fsynced so the rename itself survives a crash.
//!
//! `.gz` files are read through a gzip decoder and written back gzipped, so
//! rotated console logs (`MiVBConsole.1.log.gz`) are handled like live ones.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use tempfile::NamedTempFile;

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

/// Streams `path` through `f` and replaces it when at least one line
/// changed. A `Replace` with the same bytes counts as `Keep`.
///
/// Appends: a plain file that grows while it is rewritten is read on to its
/// new end before the rename, and again until its length is stable, so a
/// line appended before the final length check is processed and kept. A
/// last line without a newline is only treated as final once the length is
/// stable, so a half-written append is not split.
///
/// Remaining race, stated plainly: (1) a line appended between the final
/// length check and the rename (microseconds: permissions, owner, rename) is
/// lost; (2) a writer that keeps its file open (most loggers) writes into the
/// old inode after the rename, and everything it writes from then on is lost
/// until it reopens the path. Rewrite live logs only after rotation or with
/// the writer stopped; this function narrows the window, it cannot close it.
/// A `.gz` file that changes during the rewrite is not replaced: the call
/// fails with `ErrorKind::Interrupted` and can be retried.
pub fn rewrite_file(path: &Path, f: impl FnMut(&[u8]) -> LineOutcome) -> io::Result<RewriteStats> {
    let gz = is_gz(path);
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let mut run = Run {
        path,
        gz,
        meta,
        reader: logical_reader(file, gz),
        stats: RewriteStats::default(),
        sink: None,
        f,
    };
    run.drain()?;
    let Some(sink) = run.sink.take() else {
        return Ok(run.stats);
    };
    let tmp = if gz {
        let tmp = sink.finish()?;
        if fs::metadata(path)?.len() != run.meta.len() {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "gzip file changed during rewrite; not replaced",
            ));
        }
        tmp
    } else {
        let mut tmp = sink.finish()?;
        // Appends that arrived while we flushed: read them on, until stable.
        while run.grew(run.stats.bytes_read)? {
            run.sink = Some(Sink::Plain(BufWriter::new(tmp)));
            run.drain()?;
            tmp = run.sink.take().expect("sink set above").finish()?;
        }
        tmp
    };
    copy_owner_and_mode(&tmp, &run.meta)?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(path)?;
    run.stats.rewritten = true;
    Ok(run.stats)
}

/// The state of one rewrite.
struct Run<'p, F> {
    path: &'p Path,
    gz: bool,
    meta: fs::Metadata,
    reader: Box<dyn BufRead>,
    stats: RewriteStats,
    /// The temp file, created at the first changed line.
    sink: Option<Sink>,
    f: F,
}

impl<F: FnMut(&[u8]) -> LineOutcome> Run<'_, F> {
    /// Reads and processes lines to the current end of the file (for a plain
    /// file being rewritten: to its end once it stopped growing).
    fn drain(&mut self) -> io::Result<()> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let start = self.stats.bytes_read;
            self.reader.read_until(b'\n', &mut buf)?;
            // A line without a newline is final only once the file stopped growing.
            while !buf.is_empty()
                && buf.last() != Some(&b'\n')
                && !self.gz
                && self.grew(start + buf.len() as u64)?
            {
                if self.reader.read_until(b'\n', &mut buf)? == 0 {
                    break;
                }
            }
            if buf.is_empty() {
                if self.sink.is_some() && !self.gz && self.grew(start)? {
                    continue;
                }
                return Ok(());
            }
            self.stats.bytes_read += buf.len() as u64;
            self.stats.lines += 1;
            let (content, ending) = split_ending(&buf);
            let out: Option<Option<Vec<u8>>> = match (self.f)(content) {
                LineOutcome::Keep => None,
                LineOutcome::Replace(new) if new == content => None,
                LineOutcome::Replace(new) => {
                    self.stats.lines_changed += 1;
                    Some(Some(new))
                }
                LineOutcome::Delete => {
                    self.stats.lines_deleted += 1;
                    Some(None)
                }
            };
            let sink = match (&mut self.sink, &out) {
                (Some(s), _) => s,
                (None, None) => continue,
                (None, Some(_)) => {
                    let mut s = Sink::create(self.path, self.gz)?;
                    copy_prefix(self.path, self.gz, start, &mut s)?;
                    self.sink.insert(s)
                }
            };
            match out {
                None => sink.write_all(&buf)?,
                Some(Some(new)) => {
                    sink.write_all(&new)?;
                    sink.write_all(ending)?;
                }
                Some(None) => {}
            }
        }
    }

    /// Whether the original now holds more than `consumed` bytes. Fails if
    /// the path now names another file or shrank (rotated or truncated
    /// under us): replacing it would destroy someone else's data.
    fn grew(&self, consumed: u64) -> io::Result<bool> {
        use std::os::unix::fs::MetadataExt;
        let now = fs::metadata(self.path)?;
        if now.ino() != self.meta.ino() || now.dev() != self.meta.dev() || now.len() < consumed {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "file was replaced or truncated during rewrite; not replaced",
            ));
        }
        Ok(now.len() > consumed)
    }
}

/// `.gz`, any case, means gzip in and gzip out.
fn is_gz(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// The file's content as lines: decompressed for gzip (all members, as
/// `gzip -d` does for concatenated files).
fn logical_reader(file: File, gz: bool) -> Box<dyn BufRead> {
    if gz {
        Box::new(BufReader::new(MultiGzDecoder::new(BufReader::new(file))))
    } else {
        Box::new(BufReader::new(file))
    }
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

/// Where rewritten content goes: a temp file beside the original, so the
/// final rename stays within one filesystem and is atomic.
enum Sink {
    Plain(BufWriter<NamedTempFile>),
    Gz(GzEncoder<BufWriter<NamedTempFile>>),
}

impl Sink {
    fn create(path: &Path, gz: bool) -> io::Result<Self> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".lethe-rewrite-")
            .tempfile_in(dir)?;
        let w = BufWriter::new(tmp);
        Ok(if gz {
            Self::Gz(GzEncoder::new(w, Compression::default()))
        } else {
            Self::Plain(w)
        })
    }

    /// Flushes everything (the gzip trailer included) and fsyncs.
    fn finish(self) -> io::Result<NamedTempFile> {
        let w = match self {
            Self::Plain(w) => w,
            Self::Gz(g) => g.finish()?,
        };
        let tmp = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        tmp.as_file().sync_all()?;
        Ok(tmp)
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Plain(w) => w.write(buf),
            Self::Gz(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.flush(),
            Self::Gz(w) => w.flush(),
        }
    }
}

/// Copies the first `len` content bytes of the original into the sink: the
/// unchanged lines read before the first change, which were not buffered.
fn copy_prefix(path: &Path, gz: bool, len: u64, sink: &mut Sink) -> io::Result<()> {
    let mut prefix = logical_reader(File::open(path)?, gz).take(len);
    let copied = io::copy(&mut prefix, sink)?;
    if copied != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file shrank during rewrite; not replaced",
        ));
    }
    Ok(())
}

/// Gives the temp file the original's owner (only root may, and the temp
/// file is root's exactly when we run as root) and then its mode (after
/// `chown`, which may clear set-id bits).
fn copy_owner_and_mode(tmp: &NamedTempFile, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let ours = tmp.as_file().metadata()?;
    if ours.uid() == 0 && (ours.uid() != meta.uid() || ours.gid() != meta.gid()) {
        std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid()))?;
    }
    tmp.as_file().set_permissions(meta.permissions())
}

/// Fsyncs the directory holding `path`, so the rename is durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
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
