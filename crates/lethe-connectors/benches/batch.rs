//! Batch scaling of the files connector: `LETHE_BENCH_SUBJECTS` requests
//! (default 1,000) for the same target run as one batch, against one
//! request alone, on a generated log tree of `LETHE_BENCH_MIB` MiB
//! (default 64; the tree of `benches/files.rs`, every subject planted
//! three times).
//!
//! The worker hands a connector every claimed step of one target as one
//! batch (`Connector::discover`/`erase` take `&[BatchSubject]`), so a
//! thousand requests cost one walk of the tree plus a bigger matcher. This
//! measures that through the connector's batch API: discovery of one
//! subject (median of three), discovery of all of them at once; erasure of
//! one subject (subject 0, its three files rewritten), then erasure of all
//! of them at once (subject 0's lines are already gone). Reports the time
//! per request in the batch beside the time of a request alone, and the
//! ratio (how many times cheaper a request is in the batch). Peak RSS is
//! this process's `VmHWM`, reset right before each batch.
//!
//! ```sh
//! cargo bench -p lethe-connectors --bench batch   # or ./scripts/bench batch
//! ```

use std::fs;
use std::time::Instant;

use lethe_connectors::files::FilesConnector;
use lethe_connectors::Connector;

mod support;
use support::tree::{batch, generate, subjects, target, target_dir, tree_bytes, warm};

fn main() {
    let mib = support::env_usize("LETHE_BENCH_MIB", 64);
    let n = support::env_usize("LETHE_BENCH_SUBJECTS", 1_000).clamp(3, 1_000);
    let work = target_dir().join("lethe-bench-batch");
    let tree = work.join("tree");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&tree).unwrap();
    let subjects = subjects(n);
    let planted = generate(&tree, mib, &subjects, false);
    let total_mib = tree_bytes(&tree) as f64 / (1 << 20) as f64;
    println!("tree: {total_mib:.0} MiB, {planted} planted lines of {n} subjects");

    let rt = tokio::runtime::Runtime::new().unwrap();
    let connector = FilesConnector::new(vec![target(&tree)], None).unwrap();
    let batch = batch(&subjects);
    let items = |found: &[lethe_connectors::Finding]| -> u64 {
        found.iter().map(|f| f.matched + f.weak).sum()
    };

    // Discovery: one request alone (three of them, the median), then all.
    let mut alone = Vec::new();
    for one in batch.chunks(1).take(3) {
        warm(&tree);
        let t = Instant::now();
        let found = rt.block_on(connector.discover("bench", one)).unwrap();
        alone.push(t.elapsed().as_secs_f64());
        assert_eq!(items(&found), 3, "each subject is planted three times");
    }
    alone.sort_by(f64::total_cmp);
    let discover_one = alone[1];
    warm(&tree);
    let discover_start = support::reset_peak_rss();
    let t = Instant::now();
    let found = rt.block_on(connector.discover("bench", &batch)).unwrap();
    let discover_all = t.elapsed().as_secs_f64();
    let discover_rss = support::peak_rss_kib();
    assert_eq!(items(&found), planted);
    let discover_per = discover_all / n as f64;
    println!("discover 1 request:     {:>9.2} ms", discover_one * 1e3);
    println!(
        "discover {n} in a batch: {:>9.2} ms in all, {:.3} ms per request ({:.0}x cheaper), peak RSS {}",
        discover_all * 1e3,
        discover_per * 1e3,
        discover_one / discover_per,
        support::mib(discover_rss)
    );

    // Erasure: subject 0 alone, then the whole batch.
    warm(&tree);
    let t = Instant::now();
    let erased = rt.block_on(connector.erase("bench", &batch[..1])).unwrap();
    let erase_one = t.elapsed().as_secs_f64();
    let first: u64 = erased.iter().map(|e| e.affected).sum();
    warm(&tree);
    let erase_start = support::reset_peak_rss();
    let t = Instant::now();
    let erased = rt.block_on(connector.erase("bench", &batch)).unwrap();
    let erase_all = t.elapsed().as_secs_f64();
    let erase_rss = support::peak_rss_kib();
    let rest: u64 = erased.iter().map(|e| e.affected).sum();
    let erase_per = erase_all / n as f64;
    println!("erase 1 request:        {:>9.2} ms", erase_one * 1e3);
    println!(
        "erase {n} in a batch:    {:>9.2} ms in all, {:.3} ms per request ({:.0}x cheaper), peak RSS {}",
        erase_all * 1e3,
        erase_per * 1e3,
        erase_one / erase_per,
        support::mib(erase_rss)
    );
    let left = items(&rt.block_on(connector.verify("bench", &batch)).unwrap());
    let ok = first == 3 && first + rest == planted && left == 0;
    println!(
        "sanity: planted {planted}, redacted {first} + {rest}, left {left}: {}",
        if ok { "ok" } else { "MISMATCH" }
    );

    support::result(
        &format!("batch discover, {n} requests, {total_mib:.0} MiB"),
        &format!("{:.2} ms/request", discover_per * 1e3),
        &format!("1 request {:.0} ms", discover_one * 1e3),
        discover_one / discover_per,
        discover_rss,
        discover_start,
    );
    support::result(
        &format!("batch erase, {n} requests, {total_mib:.0} MiB"),
        &format!("{:.2} ms/request", erase_per * 1e3),
        &format!("1 request {:.0} ms", erase_one * 1e3),
        erase_one / erase_per,
        erase_rss,
        erase_start,
    );
    let _ = fs::remove_dir_all(&work);
    if !ok {
        std::process::exit(1);
    }
}
