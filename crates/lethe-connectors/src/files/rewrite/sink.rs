//! Where a rewrite's output goes: a temp file beside the original, so the
//! final rename stays within one filesystem and is atomic; and the small
//! file-level steps around it (prefix copy, owner and mode, directory sync).

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use tempfile::NamedTempFile;

/// Output buffer: large, so a rewrite costs few `write` calls.
const WRITE_BUF: usize = 256 * 1024;

/// The temp file, plain or gzip-encoding. One per rewrite, so the size
/// difference of the variants (the encoder's state) costs nothing.
#[allow(clippy::large_enum_variant)]
pub(super) enum Sink {
    Plain(BufWriter<NamedTempFile>),
    Gz(GzEncoder<BufWriter<NamedTempFile>>),
}

impl Sink {
    /// Creates the temp file and copies into it the first `prefix` content
    /// bytes of the original (the unchanged lines before the first change,
    /// which were not kept in memory). A plain prefix is copied by the
    /// kernel (`copy_file_range`), not through our buffers.
    pub(super) fn create(
        path: &Path,
        meta: &fs::Metadata,
        gz: bool,
        prefix: u64,
    ) -> io::Result<Self> {
        let tmp = tempfile::Builder::new()
            .prefix(&crate::files::leftovers::own_prefix())
            .tempfile_in(parent(path))?;
        let src = open_same(path, meta)?;
        let copied = if gz {
            let mut enc = GzEncoder::new(
                BufWriter::with_capacity(WRITE_BUF, tmp),
                Compression::default(),
            );
            let mut plain = MultiGzDecoder::new(BufReader::new(src)).take(prefix);
            let n = io::copy(&mut plain, &mut enc)?;
            (n, Self::Gz(enc))
        } else {
            let mut dst: &File = tmp.as_file();
            let n = io::copy(&mut (&src).take(prefix), &mut dst)?;
            (n, Self::Plain(BufWriter::with_capacity(WRITE_BUF, tmp)))
        };
        if copied.0 != prefix {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank during rewrite; not replaced",
            ));
        }
        Ok(copied.1)
    }

    /// Flushes everything (the gzip trailer included) and fsyncs.
    pub(super) fn finish(self) -> io::Result<NamedTempFile> {
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

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.write_all(buf),
            Self::Gz(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Plain(w) => w.flush(),
            Self::Gz(w) => w.flush(),
        }
    }
}

/// Opens `path` again, refusing if it no longer names the file being
/// rewritten (rotated under us): its prefix is not ours to copy.
fn open_same(path: &Path, meta: &fs::Metadata) -> io::Result<File> {
    let file = File::open(path)?;
    if !same_file(&file.metadata()?, meta) {
        return Err(replaced());
    }
    Ok(file)
}

/// Same device and inode.
pub(super) fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.ino() == b.ino() && a.dev() == b.dev()
}

/// The error for a file rotated or truncated under a rewrite: retryable.
pub(super) fn replaced() -> io::Error {
    io::Error::new(
        io::ErrorKind::Interrupted,
        "file was replaced or truncated during rewrite; not replaced",
    )
}

/// The directory holding `path` (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Gives the temp file the original's owner (only root may, and the temp
/// file is root's exactly when we run as root) and then its mode (after
/// `chown`, which may clear set-id bits).
pub(super) fn copy_owner_and_mode(tmp: &NamedTempFile, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let ours = tmp.as_file().metadata()?;
    if ours.uid() == 0 && (ours.uid() != meta.uid() || ours.gid() != meta.gid()) {
        std::os::unix::fs::fchown(tmp.as_file(), Some(meta.uid()), Some(meta.gid()))?;
    }
    tmp.as_file().set_permissions(meta.permissions())
}

/// Fsyncs the directory holding `path`, so the rename is durable.
pub(super) fn sync_dir(path: &Path) -> io::Result<()> {
    File::open(parent(path))?.sync_all()
}
