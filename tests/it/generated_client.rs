//! A client generated from `openapi/openapi.json` drives lethe. On every run
//! openapi-python-client (installed in `.venv-test` by `scripts/test`, which
//! exports `LETHE_TEST_PY_VENV`) generates a Python package from the
//! committed spec with `clients/python/openapi-python-client.yaml` and no
//! edit; the generator must print no warning about the spec; mypy --strict
//! accepts the package and `clients/python/lifecycle.py`; the script then
//! completes an access and an erasure request against `lethe demo`, and
//! fails with a clear line when the approver is the requester.

use crate::demo_server::{start, tool_or_skip};
use std::path::Path;
use std::process::{Command, Output};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `PATH` with the venv's `bin` first: the generator runs `ruff` from it.
fn path_with(bin: &Path) -> std::ffi::OsString {
    let mut dirs = vec![bin.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// Generates the client into `out`. The generator must print its one
/// `Generating` line and nothing else: anything else is a warning or an
/// error about the spec.
fn generate(bin: &Path, root: &Path, out: &Path) {
    let gen = Command::new(bin.join("openapi-python-client"))
        .arg("generate")
        .arg("--path")
        .arg(root.join("openapi/openapi.json"))
        .arg("--config")
        .arg(root.join("clients/python/openapi-python-client.yaml"))
        .arg("--output-path")
        .arg(out)
        .arg("--overwrite")
        .env("PATH", path_with(bin))
        .output()
        .unwrap();
    let printed = text(&gen);
    assert!(gen.status.success(), "generation failed:\n{printed}");
    let warnings: Vec<&str> = printed
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Generating "))
        .collect();
    assert!(
        warnings.is_empty(),
        "openapi-python-client warned about openapi/openapi.json (fix the spec, not the client):\n{printed}"
    );
    assert!(out
        .join("lethe_client/api/requests/get_package.py")
        .is_file());
}

#[test]
fn generated_python_client_completes_an_access_and_an_erasure() {
    let Some(venv) = tool_or_skip("LETHE_TEST_PY_VENV") else {
        return;
    };
    let bin = venv.join("bin");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let client = work.path().join("lethe-client");
    generate(&bin, root, &client);

    let script = root.join("clients/python/lifecycle.py");
    let mypy = Command::new(bin.join("mypy"))
        .args(["--strict", "--cache-dir"])
        .arg(work.path().join("mypy-cache"))
        .arg("lethe_client")
        .arg(&script)
        .current_dir(&client)
        .output()
        .unwrap();
    assert!(
        mypy.status.success(),
        "mypy --strict on the generated client and lifecycle.py:\n{}",
        text(&mypy)
    );

    let estate = work.path().join("demo");
    let demo = start(&estate);
    let run = |requester: &str, approver: &str, extra: &[&str]| {
        Command::new(bin.join("python"))
            .arg(&script)
            .args(["--url", &demo.url, "--timeout", "120"])
            .args(extra)
            .env("PYTHONPATH", &client)
            .env("LETHE_REQUESTER_TOKEN", requester)
            .env("LETHE_APPROVER_TOKEN", approver)
            .output()
            .unwrap()
    };

    let out = run(&demo.alice, &demo.bob, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", text(&out));
    let finals: Vec<(&str, &str)> = stdout
        .lines()
        .filter_map(|l| {
            let mut w = l.split(' ');
            match (w.next(), w.next(), w.next(), w.next()) {
                (Some(kind @ ("access" | "erasure")), Some(id), Some(status), None)
                    if uuid::Uuid::parse_str(id).is_ok() =>
                {
                    Some((kind, status))
                }
                _ => None,
            }
        })
        .collect();
    assert_eq!(
        finals,
        [("access", "completed"), ("erasure", "completed")],
        "{stdout}"
    );
    assert!(
        stdout.contains("  package: ") && stdout.contains("manifest.json"),
        "{stdout}"
    );
    assert!(stdout.contains(" 0 remaining"), "{stdout}");
    assert!(stdout.ends_with("lifecycle: OK\n"), "{stdout}");

    // An admin approving the erasure they created: four-eyes refuses it,
    // and the script says so and exits 1.
    let out = run(
        &demo.root,
        &demo.root,
        &["--email", "mary.jones@example.com"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr.contains("lifecycle: FAILED: approve: expected 200 RequestView, got 403 urn:lethe:problem:four-eyes"),
        "{stderr}"
    );
}
