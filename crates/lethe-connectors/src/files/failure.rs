//! Turning IO and format problems into [`ConnectorError`]s the worker can
//! act on. A message names the target, the relative path and the OS error
//! kind, never file content or identifier values: it is stored on the step
//! and shown to officers.

use std::io;

use crate::ConnectorError;

/// An IO error while reading or rewriting `rel` in target `target`.
///
/// Transient: permission problems (a share remounted with other rights, a
/// file locked by the console), missing paths (an unmounted share) and other
/// OS errors usually clear up. Permanent: a corrupt `.gz`, which will be just
/// as corrupt on the next attempt.
pub(crate) fn io(target: &str, rel: &str, e: &io::Error) -> ConnectorError {
    let kind = e.kind();
    if kind == io::ErrorKind::Interrupted {
        return ConnectorError::transient(format!(
            "files target `{target}`: `{rel}` changed while it was being rewritten and was left as it was; retry"
        ));
    }
    let gz_corrupt = matches!(
        kind,
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    );
    // A redacted copy is written beside the original and renamed over it,
    // so a full disk fails before anything is replaced.
    if matches!(
        kind,
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge
    ) {
        return ConnectorError::transient(format!(
            "files target `{target}`: no space left to rewrite `{rel}` ({kind:?}); the file was left as it was. \
             A rewrite needs about the file's size free beside it; free space and the step is retried"
        ));
    }
    if rel.to_ascii_lowercase().ends_with(".gz") && gz_corrupt {
        return ConnectorError::permanent(format!(
            "files target `{target}`: `{rel}` is not a readable gzip file ({kind:?}); repair or remove it"
        ));
    }
    ConnectorError::transient(format!(
        "files target `{target}`: cannot read `{rel}` ({kind:?})"
    ))
}

/// The root directory itself cannot be listed.
pub(crate) fn root(target: &str, e: &io::Error) -> ConnectorError {
    ConnectorError::transient(format!(
        "files target `{target}`: cannot read the root directory ({:?}); is the share mounted?",
        e.kind()
    ))
}

/// A file whose content does not fit the declaration (malformed CSV, an
/// invalid ADF mapping): retrying cannot help, a person must look.
pub(crate) fn malformed(target: &str, rel: &str, what: &str) -> ConnectorError {
    ConnectorError::permanent(format!("files target `{target}`: `{rel}`: {what}"))
}
