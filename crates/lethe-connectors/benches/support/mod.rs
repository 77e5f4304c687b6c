//! Shared by the connector benches: peak RSS of this process and the one
//! machine-readable result line `scripts/bench` gathers into its table.
//!
//! Each bench prints, besides its own report, one line per measurement:
//! `RESULT<TAB>benchmark<TAB>lethe<TAB>baseline<TAB>ratio<TAB>peak RSS`,
//! figures already formatted with their units. The ratio is always "how
//! many times the baseline's throughput lethe reaches" (above 1: lethe is
//! faster).

#![allow(dead_code)] // each bench uses its own subset

pub mod tree;

/// Resets this process's peak RSS (`VmHWM`) to its current RSS, so the
/// next reading covers only what follows (Linux ≥ 4.0: `clear_refs` 5),
/// and returns that current RSS in KiB. Memory already held (fixtures,
/// subjects, heap the allocator kept after loading) still counts as
/// resident: the table shows it beside the peak.
pub fn reset_peak_rss() -> Option<u64> {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    status_kib("self", "VmRSS:")
}

/// Peak RSS of this process in KiB (`VmHWM`), `None` off Linux.
pub fn peak_rss_kib() -> Option<u64> {
    peak_rss_of("self")
}

/// Peak RSS (`VmHWM`) of `/proc/<pid>` in KiB.
pub fn peak_rss_of(pid: &str) -> Option<u64> {
    status_kib(pid, "VmHWM:")
}

/// One `kB` field of `/proc/<pid>/status`.
fn status_kib(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `123 MiB`, or `n/a`.
pub fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "n/a".to_owned(),
        |k| format!("{:.0} MiB", k as f64 / 1024.0),
    )
}

/// Prints the line `scripts/bench` turns into a table row: the peak RSS
/// of lethe's phase and, in brackets, the RSS when it started.
pub fn result(
    benchmark: &str,
    lethe: &str,
    baseline: &str,
    ratio: f64,
    peak_rss_kib: Option<u64>,
    start_rss_kib: Option<u64>,
) {
    let ratio = if ratio >= 100.0 {
        format!("{ratio:.0}x")
    } else {
        format!("{ratio:.2}x")
    };
    println!(
        "RESULT\t{benchmark}\t{lethe}\t{baseline}\t{ratio}\t{} (at start {})",
        mib(peak_rss_kib),
        mib(start_rss_kib)
    );
}

/// `usize` from the environment (`_` allowed as a digit separator).
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}
