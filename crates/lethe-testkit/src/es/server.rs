//! An `osmem-server` (an in-memory, OpenSearch-compatible server from PyPI,
//! see TEST-SERVICES.md) per test: started on a free port, stopped when the
//! handle drops, and restartable on the same port so a test can take
//! Elasticsearch down and bring it back. It keeps everything in memory: a
//! restarted server is empty, reload the fixture with [`super::load`]
//! (idempotent).
//!
//! The binary is `LETHE_TEST_OSMEM_BIN`, or the one the test virtualenv
//! (`.venv-test`, `pip install osmem-server==0.1.6`, installed by
//! `scripts/test`) resolves. Without either, tests print a SKIP line and
//! pass; under `CI` they panic, so a CI run never skips silently.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

pub const OSMEM_ENV: &str = "LETHE_TEST_OSMEM_BIN";

/// A running server. Dropping it closes its stdin (the server exits on
/// that) and reaps the child.
pub struct EsServer {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    pub pid: u32,
    bin: PathBuf,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
}

impl EsServer {
    /// `127.0.0.1:PORT`, what [`start_on`] takes to come back on the same port.
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// Kills the server and waits for it: Elasticsearch is down until
    /// [`EsServer::restart`]. Idempotent.
    pub fn stop(&mut self) {
        drop(self.stdin.take());
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether [`EsServer::stop`] was called (and no restart since).
    pub fn is_stopped(&self) -> bool {
        self.child.is_none()
    }

    /// Stops the server (if running) and starts a new, empty one on the
    /// same port; the URL stays valid. Reload data with [`super::load`].
    pub fn restart(&mut self) {
        self.stop();
        let addr = self.addr().to_owned();
        let fresh = start_on(&self.bin, &addr);
        *self = fresh;
    }
}

impl Drop for EsServer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let Some(mut child) = self.child.take() else {
            return;
        };
        // It exits on stdin close; kill only our own child if it lingers.
        for _ in 0..50 {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
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
    try_start(bin, "127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"))
}

/// Starts `bin` on `addr` (`127.0.0.1:PORT`), retrying for a few seconds
/// while the port is still held by a server just stopped.
pub fn start_on(bin: &Path, addr: &str) -> EsServer {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match try_start(bin, addr) {
            Ok(s) => return s,
            Err(e) if Instant::now() > deadline => panic!("{e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// A new server on `addr` (e.g. the [`EsServer::addr`] of one stopped), with
/// the binary [`find_binary`] finds; panics without one.
pub fn restart_on(addr: &str) -> EsServer {
    let bin = find_binary().expect("osmem-server binary (see start_or_skip)");
    start_on(&bin, addr)
}

fn try_start(bin: &Path, addr: &str) -> Result<EsServer, String> {
    let mut child = Command::new(bin)
        .args(["--addr", addr, "--parent-pid"])
        .arg(std::process::id().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    let read = reader.read_line(&mut line);
    let ready: Option<serde_json::Value> = match read {
        Ok(n) if n > 0 => serde_json::from_str(line.trim()).ok(),
        _ => None,
    };
    let Some(ready) = ready else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "osmem-server on {addr} gave no JSON ready line: {line:?}"
        ));
    };
    let url = ready["url"]
        .as_str()
        .ok_or("ready line has no url")?
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
    Ok(EsServer {
        url,
        pid,
        bin: bin.to_path_buf(),
        child: Some(child),
        stdin,
    })
}
