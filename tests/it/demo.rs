//! `lethe demo` as the README tells a new user to run it: start it, then
//! run the commands it prints, in order, in a shell. They must work as
//! printed: the access package downloads and lists the manifest, the
//! erasure is approved and verified, and no trace of the subject is left.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lethe");

#[test]
fn demo_and_its_printed_curl_commands_work() {
    for tool in ["bash", "curl", "grep"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .status()
            .unwrap()
            .success();
        assert!(found, "{tool} is needed to run the demo's commands");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Command::new(BIN)
        .args(["demo", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut printed = Vec::new();
    for line in BufReader::new(demo.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.starts_with("Press Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    // The commands are the lines indented by two spaces that a shell runs.
    let script: Vec<&str> = printed
        .iter()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| {
            ["export ", "ID=", "until ", "curl ", "grep "]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .collect();
    assert!(script.len() >= 12, "{printed:#?}");
    let out = Command::new("timeout")
        .args(["300", "bash", "-e", "-c", &script.join("\n")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    demo.kill().unwrap();
    demo.wait().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("access request "));
    assert!(
        stdout.contains("manifest.json") && stdout.contains("index.html"),
        "{stdout}"
    );
    assert!(stdout.contains("\"verify\":\"passed\""), "{stdout}");
    assert!(
        stdout.contains("no trace of john.smith@example.com left in the estate"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(dir.path().join("john-erasure.html")).unwrap();
    assert!(html.contains("<html"));
}
