//! Shared by the Elasticsearch tests: an `osmem-server` (an in-memory,
//! OpenSearch-compatible server from PyPI, see TEST-SERVICES.md) started on
//! port 0 for the test and stopped when the handle drops.
//!
//! The binary is `LETHE_TEST_OSMEM_BIN`, or the one the test virtualenv
//! (`.venv-test`, `pip install osmem-server==0.1.6`) resolves. Without
//! either, tests print a SKIP line and pass; under `CI` they panic.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

pub const OSMEM_ENV: &str = "LETHE_TEST_OSMEM_BIN";

/// A running server. Dropping it closes its stdin (the server exits on
/// that) and reaps the child.
pub struct EsServer {
    pub url: String,
    pub pid: u32,
    child: Child,
    stdin: Option<ChildStdin>,
}

impl EsServer {
    /// Kills the server now (an outage); the handle stays usable for drop.
    pub fn stop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for EsServer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        // It exits on stdin close; kill only our own child if it lingers.
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The workspace root (two levels above this crate).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

/// The osmem-server binary, if one can be found.
pub fn find_binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os(OSMEM_ENV) {
        let bin = PathBuf::from(bin);
        return bin.is_file().then_some(bin);
    }
    let python = workspace_root().join(".venv-test/bin/python");
    if !python.is_file() {
        return None;
    }
    let out = Command::new(python)
        .args([
            "-c",
            "import osmem_server; print(osmem_server.resolve_binary())",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let bin = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    bin.is_file().then_some(bin)
}

/// Starts a server, or `None` after a SKIP line (panics under `CI`).
pub fn start_or_skip(test: &str) -> Option<EsServer> {
    let Some(bin) = find_binary() else {
        let why = format!(
            "osmem-server not found: set {OSMEM_ENV} or run \
             `python3 -m venv .venv-test && .venv-test/bin/pip install osmem-server==0.1.6`"
        );
        if std::env::var_os("CI").is_some() {
            panic!("{why}");
        }
        let _ = writeln!(
            std::io::stderr(),
            "SKIP {test}: {why}; this Elasticsearch test did not run"
        );
        return None;
    };
    Some(start(&bin))
}

/// Starts `bin` on an ephemeral port and waits for its ready line.
pub fn start(bin: &Path) -> EsServer {
    let mut child = Command::new(bin)
        .args(["--addr", "127.0.0.1:0", "--parent-pid"])
        .arg(std::process::id().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line).expect("read ready line");
    let ready: serde_json::Value = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("osmem-server ready line is not JSON ({e}): {line:?}"));
    let url = ready["url"]
        .as_str()
        .expect("ready line has a url")
        .trim_end_matches('/')
        .to_owned();
    let pid = ready["pid"].as_u64().unwrap_or(0) as u32;
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    EsServer {
        url,
        pid,
        child,
        stdin,
    }
}
