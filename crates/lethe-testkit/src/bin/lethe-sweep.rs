//! The personal-data sweep, run by `./scripts/test` after every test:
//! the logs of every `lethe` process the suite started (`LETHE_LOG_FILE`),
//! the in-process engines' and API's logs, and every audit row, step
//! error, metrics scrape and error body the harnesses left in
//! `LETHE_TEST_SWEEP_DIR` are searched for the identifiers of every
//! planted person in every shape. Any hit fails, named by file and line,
//! never by value. (`lethe_testkit::sweep`'s unit test plants an
//! identifier in a log line and shows it is found.)

use std::process::ExitCode;

use lethe_testkit::sweep::{sweep_dir, SWEEP_DIR_ENV};

fn main() -> ExitCode {
    let Some(dir) = std::env::var_os(SWEEP_DIR_ENV) else {
        eprintln!("sweep: {SWEEP_DIR_ENV} is not set; run ./scripts/test");
        return ExitCode::from(2);
    };
    let (files, hits) = match sweep_dir(std::path::Path::new(&dir)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sweep: cannot read {}: {e}", dir.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    if files == 0 {
        eprintln!(
            "sweep: the suite left nothing to sweep in {}",
            dir.to_string_lossy()
        );
        return ExitCode::FAILURE;
    }
    if !hits.is_empty() {
        eprintln!(
            "sweep: personal data in {} places:\n{}",
            hits.len(),
            hits.join("\n")
        );
        return ExitCode::FAILURE;
    }
    println!("sweep: {files} files, no personal data");
    ExitCode::SUCCESS
}
