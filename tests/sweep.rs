//! The personal-data sweep, run by `./scripts/test` after every other test
//! (`cargo test --test sweep -- --ignored`): the logs of every `lethe`
//! process the suite started (`LETHE_LOG_FILE`), the in-process engines'
//! and API's logs, every audit row, step error, metrics scrape and error
//! body the harnesses left in `LETHE_TEST_SWEEP_DIR` are searched for the
//! identifiers of every planted person in every shape. Any hit fails, by
//! file and line, never by value. (`lethe_testkit::sweep`'s own test plants
//! an identifier in a log line and shows it is found.)

use lethe_testkit::sweep::{sweep_dir, SWEEP_DIR_ENV};

#[test]
#[ignore = "run last by ./scripts/test, over what the whole suite left"]
fn nothing_the_suite_logged_or_stored_names_a_planted_person() {
    let Some(dir) = std::env::var_os(SWEEP_DIR_ENV) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{SWEEP_DIR_ENV} is not set"
        );
        eprintln!("SKIP sweep: {SWEEP_DIR_ENV} is not set; run ./scripts/test");
        return;
    };
    let (files, hits) = sweep_dir(std::path::Path::new(&dir)).unwrap();
    assert!(files > 0, "the suite left nothing to sweep in {dir:?}");
    eprintln!("swept {files} files");
    assert!(
        hits.is_empty(),
        "personal data in {} places:\n{}",
        hits.len(),
        hits.join("\n")
    );
}
