//! A `lethe demo` started on a free port for tests that drive it from
//! outside (the generated client, schemathesis), with the URL and the
//! role tokens it prints; killed when dropped, panicking or not.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lethe");

/// A running demo and what it printed.
pub struct DemoServer {
    child: Child,
    pub url: String,
    /// alice: requester and viewer.
    pub alice: String,
    /// bob: approver and viewer.
    pub bob: String,
    /// root: admin.
    pub root: String,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `lethe demo` with its estate and store under `dir`.
pub fn start(dir: &Path) -> DemoServer {
    let mut child = Command::new(BIN)
        .args(["demo", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (mut url, mut alice, mut bob, mut root) = (None, None, None, None);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(u) = line.strip_prefix("lethe demo: API on ") {
            url = Some(u.trim().to_owned());
        } else if let Some(t) = line.strip_prefix("  export ALICE=") {
            alice = Some(t.to_owned());
        } else if let Some(t) = line.strip_prefix("  export BOB=") {
            bob = Some(t.to_owned());
        } else if let Some(t) = line.strip_prefix("  export ROOT=") {
            root = Some(t.to_owned());
        } else if line.starts_with("Press Ctrl-C") {
            break;
        }
    }
    DemoServer {
        child,
        url: url.expect("demo printed its URL"),
        alice: alice.expect("demo printed alice's token"),
        bob: bob.expect("demo printed bob's token"),
        root: root.expect("demo printed root's token"),
    }
}

/// The path in the environment variable `var` (set by `./scripts/test`),
/// or `None` after a SKIP line; missing under `CI` is a failure.
pub fn tool_or_skip(var: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) => Some(PathBuf::from(v)),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{var} is not set: run ./scripts/test"
            );
            eprintln!("SKIP: {var} is not set (./scripts/test sets it)");
            None
        }
    }
}
