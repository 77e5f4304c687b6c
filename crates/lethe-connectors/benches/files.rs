//! Throughput of the files connector on a generated log tree, against
//! ripgrep counting the same identifier strings over the same files.
//!
//! `cargo bench -p lethe-connectors --bench files` (or `scripts/bench-files`).
//! `LETHE_BENCH_MIB` sets the tree size (default 256); `LETHE_BENCH_LIVE=1`
//! keeps the files' fresh modification times, so every rewrite also waits
//! out the append grace period of a live log (see `rewrite_file`);
//! `LETHE_BENCH_KEEP=1` keeps the tree (redacted) for a look afterwards.
//!
//! The tree is deterministic: console-log-like lines full of timestamps,
//! numbers, names and addresses of fake people, with 1,000 subjects planted
//! sparsely (one line each for an email, a phone in one of seven shapes and
//! a name in one of three). Measured, each on a warm page cache: (a) `rg -F
//! -c -f patterns.txt`, where `patterns.txt` holds every variant string the
//! matcher searches; (b) `FilesConnector::erase` of all 1,000 subjects
//! (redact); (c) `FilesConnector::discover`, the scan alone. Peak RSS is
//! this process's `VmHWM`, reset right before (b) and (c); the `RESULT`
//! lines feed `scripts/bench`'s table (see `support`).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use lethe_connectors::files::{FilesConnector, Matcher};
use lethe_connectors::Connector;

mod support;
use support::tree::{
    batch, generate, subjects, target, target_dir, tree_bytes, warm, write_patterns,
};

const SUBJECTS: usize = 1_000;

fn main() {
    let mib = support::env_usize("LETHE_BENCH_MIB", 256);
    let live = std::env::var("LETHE_BENCH_LIVE").is_ok_and(|v| v == "1");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let work = target_dir().join("lethe-bench-files");
    let tree = work.join("tree");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&tree).unwrap();

    let t = Instant::now();
    let subjects = subjects(SUBJECTS);
    let planted = generate(&tree, mib, &subjects, live);
    let bytes = tree_bytes(&tree);
    let total_mib = bytes as f64 / (1 << 20) as f64;
    println!(
        "tree: {} files, {total_mib:.0} MiB, {planted} planted lines of {SUBJECTS} subjects, generated in {:.1?} ({cores} cores)",
        mib,
        t.elapsed()
    );
    let patterns = work.join("patterns.txt");
    let n_patterns = write_patterns(&patterns, &subjects);
    let t = Instant::now();
    let matcher = Matcher::for_subjects(&subjects).unwrap();
    println!(
        "patterns: {n_patterns} strings in patterns.txt, {} compiled; matcher built in {:.2?}",
        matcher.len(),
        t.elapsed()
    );
    drop(matcher);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let connector = FilesConnector::new(vec![target(&tree)], None).unwrap();
    let batch = batch(&subjects);

    // (a) ripgrep, counting only.
    warm(&tree);
    let rg = ripgrep(&patterns, &tree, cores);
    if let Some((secs, lines)) = rg {
        println!(
            "rg -F -c:          {:>8.1} MiB/s  ({secs:.3} s, {lines} matching lines)",
            total_mib / secs
        );
    }

    // (c) discovery: the scan alone.
    warm(&tree);
    let discover_start = support::reset_peak_rss();
    let t = Instant::now();
    let found = rt.block_on(connector.discover("bench", &batch)).unwrap();
    let discover = t.elapsed().as_secs_f64();
    let discover_rss = support::peak_rss_kib();
    let found_items: u64 = found.iter().map(|f| f.matched + f.weak).sum();
    println!(
        "lethe discover:    {:>8.1} MiB/s  ({discover:.3} s, {found_items} items)",
        total_mib / discover
    );

    // (b) erasure: scan, then rewrite every file with a hit.
    warm(&tree);
    let erase_start = support::reset_peak_rss();
    let t = Instant::now();
    let erased = rt.block_on(connector.erase("bench", &batch)).unwrap();
    let erase = t.elapsed().as_secs_f64();
    let erase_rss = support::peak_rss_kib();
    let affected: u64 = erased.iter().map(|e| e.affected).sum();
    println!(
        "lethe erase:       {:>8.1} MiB/s  ({erase:.3} s, {affected} lines redacted)",
        total_mib / erase
    );
    println!(
        "peak RSS:          discover {}, erase {} (this process, reset before each)",
        support::mib(discover_rss),
        support::mib(erase_rss)
    );
    if let Some((secs, _)) = rg {
        println!(
            "ratio lethe/rg:    erase {:.2}, discover {:.2}",
            secs / erase,
            secs / discover
        );
        let rg_rate = format!("rg {:.0} MiB/s", total_mib / secs);
        support::result(
            &format!("files discover, {total_mib:.0} MiB"),
            &format!("{:.0} MiB/s", total_mib / discover),
            &rg_rate,
            secs / discover,
            discover_rss,
            discover_start,
        );
        support::result(
            &format!("files erase (redact), {total_mib:.0} MiB"),
            &format!("{:.0} MiB/s", total_mib / erase),
            &rg_rate,
            secs / erase,
            erase_rss,
            erase_start,
        );
    }

    let after = rt.block_on(connector.verify("bench", &batch)).unwrap();
    let left: u64 = after.iter().map(|f| f.matched + f.weak).sum();
    let ok = found_items == planted && affected == planted && left == 0;
    println!(
        "sanity: planted {planted}, found {found_items}, redacted {affected}, left after erase {left}: {}",
        if ok { "ok" } else { "MISMATCH" }
    );
    if std::env::var("LETHE_BENCH_KEEP").is_ok_and(|v| v == "1") {
        println!("kept {}", work.display());
    } else {
        let _ = fs::remove_dir_all(&work);
    }
    if !ok {
        std::process::exit(1);
    }
}

/// Runs rg the way the goal is stated; `None` when rg is not installed.
fn ripgrep(patterns: &Path, tree: &Path, cores: usize) -> Option<(f64, u64)> {
    let t = Instant::now();
    let out = Command::new("rg")
        .args(["-F", "-c", "-f"])
        .arg(patterns)
        .args(["--no-ignore", "--hidden", "-j", &cores.to_string()])
        .arg(tree)
        .output();
    let secs = t.elapsed().as_secs_f64();
    match out {
        Ok(out) if out.status.success() => {
            let lines = String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|l| l.rsplit(':').next()?.parse::<u64>().ok())
                .sum();
            Some((secs, lines))
        }
        Ok(out) => {
            println!("rg failed ({}); skipping (a)", out.status);
            None
        }
        Err(e) => {
            println!(
                "rg not available ({e}); skipping (a). Install ripgrep or run scripts/bench-files."
            );
            None
        }
    }
}
