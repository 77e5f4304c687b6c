//! Which files a call reads: the target's tree, walked recursively, kept
//! when the relative path matches the globs. Sorted, so results and errors
//! come out in the same order on every run.

use std::fs;
use std::path::PathBuf;

use super::compiled::Compiled;
use super::failure;
use super::leftovers;
use crate::ConnectorError;

/// One selected file.
#[derive(Debug, Clone)]
pub(crate) struct FileEntry {
    /// Relative to the root, `/`-separated: the `place` in reports.
    pub rel: String,
    pub path: PathBuf,
}

/// Every selected file under the target's root. A directory that cannot be
/// listed is an error, not a skip: an erasure that silently missed a folder
/// would report success on data it never saw.
pub(crate) fn select(target: &Compiled) -> Result<Vec<FileEntry>, ConnectorError> {
    let root = &target.target.root;
    let meta = fs::metadata(root).map_err(|e| failure::root(target.name(), &e))?;
    if !meta.is_dir() {
        return Err(ConnectorError::permanent(format!(
            "files target `{}`: `root` is not a directory",
            target.name()
        )));
    }
    let mut out = Vec::new();
    // (directory, its relative path) still to list.
    let mut todo = vec![(root.clone(), String::new())];
    while let Some((dir, rel_dir)) = todo.pop() {
        let listing = fs::read_dir(&dir).map_err(|e| dir_error(target, &rel_dir, &e))?;
        for entry in listing {
            let entry = entry.map_err(|e| dir_error(target, &rel_dir, &e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel_dir.is_empty() {
                name.clone()
            } else {
                format!("{rel_dir}/{name}")
            };
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| failure::io(target.name(), &rel, &e))?;
            if kind.is_dir() {
                todo.push((path, rel));
                continue;
            }
            // A symlink counts when it points at a file; symlinked
            // directories are not followed (loops).
            let is_file = kind.is_file()
                || (kind.is_symlink() && fs::metadata(&path).is_ok_and(|m| m.is_file()));
            if is_file && name.starts_with(leftovers::PREFIX) {
                leftovers::sweep(&name, &path);
                continue;
            }
            if is_file && target.selects(&rel) {
                out.push(FileEntry { rel, path });
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

fn dir_error(target: &Compiled, rel_dir: &str, e: &std::io::Error) -> ConnectorError {
    if rel_dir.is_empty() {
        failure::root(target.name(), e)
    } else {
        failure::io(target.name(), &format!("{rel_dir}/"), e)
    }
}
