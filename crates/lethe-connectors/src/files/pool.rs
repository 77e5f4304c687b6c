//! Files of one call are processed in parallel on scoped threads, one
//! worker per available core: scans are CPU-bound (automaton, gunzip) and
//! the call already runs on tokio's blocking pool, so plain threads are the
//! simplest fit and need no extra dependency.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Runs `f(i)` for `i` in `0..n` and returns the results in index order,
/// or the error of the lowest failing index. After a failure no new index
/// is started; work already running finishes (each unit is atomic).
pub(crate) fn map<T, E>(n: usize, f: impl Fn(usize) -> Result<T, E> + Sync) -> Result<Vec<T>, E>
where
    T: Send,
    E: Send,
{
    let workers = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .min(n)
        .max(1);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let done: Mutex<Vec<(usize, Result<T, E>)>> = Mutex::new(Vec::with_capacity(n));
    let work = || loop {
        if failed.load(Ordering::Relaxed) {
            return;
        }
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= n {
            return;
        }
        let result = f(i);
        if result.is_err() {
            failed.store(true, Ordering::Relaxed);
        }
        done.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((i, result));
    };
    if workers == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(work);
            }
        });
    }
    let mut done = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_and_reports_the_first_error() {
        let ok: Result<Vec<usize>, ()> = super::map(100, |i| Ok(i * 2));
        assert_eq!(ok.unwrap(), (0..100).map(|i| i * 2).collect::<Vec<_>>());
        let err = super::map(10, |i| if i >= 3 { Err(i) } else { Ok(i) });
        assert_eq!(err, Err(3));
    }
}
