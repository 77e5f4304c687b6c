//! Retry timing for transient step failures (STYLE "Store and queue").

use std::time::Duration;

/// The delay before attempt `attempt + 1`: `min(cap, base * 2^attempt)`,
/// then scaled by up to ±20% so that steps failing together (one system
/// down) do not all come back at the same instant.
///
/// `jitter` is a uniform sample in `0..=1` supplied by the caller (0.5 means
/// no jitter), which keeps this function pure and testable. Out-of-range or
/// non-finite samples are clamped. Large attempts saturate at `cap` instead
/// of overflowing; the result is never negative and never panics.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let exponential = 1u32
        .checked_shl(attempt)
        .and_then(|factor| base.checked_mul(factor))
        .unwrap_or(cap);
    let delay = exponential.min(cap);
    let sample = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.5
    };
    // 0 -> 0.8, 0.5 -> 1.0, 1 -> 1.2.
    let scale = 0.8 + 0.4 * sample;
    Duration::try_from_secs_f64(delay.as_secs_f64() * scale).unwrap_or(delay)
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use std::time::Duration;

    const BASE: Duration = Duration::from_secs(2);
    const CAP: Duration = Duration::from_secs(600);

    #[test]
    fn doubles_per_attempt_without_jitter() {
        assert_eq!(backoff(0, BASE, CAP, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(1, BASE, CAP, 0.5), Duration::from_secs(4));
        assert_eq!(backoff(5, BASE, CAP, 0.5), Duration::from_secs(64));
    }

    #[test]
    fn is_capped() {
        assert_eq!(backoff(10, BASE, CAP, 0.5), CAP);
    }

    #[test]
    fn jitter_is_at_most_twenty_percent() {
        assert_eq!(backoff(3, BASE, CAP, 0.0), Duration::from_secs_f64(12.8));
        assert_eq!(backoff(3, BASE, CAP, 1.0), Duration::from_secs_f64(19.2));
        for i in 0..=100 {
            let d = backoff(4, BASE, CAP, f64::from(i) / 100.0).as_secs_f64();
            assert!((25.6..=38.4).contains(&d), "{d}");
        }
    }

    #[test]
    fn out_of_range_samples_are_clamped() {
        assert_eq!(backoff(1, BASE, CAP, -3.0), backoff(1, BASE, CAP, 0.0));
        assert_eq!(backoff(1, BASE, CAP, 7.0), backoff(1, BASE, CAP, 1.0));
        assert_eq!(backoff(1, BASE, CAP, f64::NAN), Duration::from_secs(4));
    }

    #[test]
    fn large_attempts_do_not_overflow() {
        for attempt in [31, 32, 63, 64, 1000, u32::MAX] {
            let d = backoff(attempt, BASE, CAP, 1.0);
            assert_eq!(d, Duration::from_secs(720));
        }
        let huge = Duration::MAX;
        assert_eq!(backoff(u32::MAX, huge, huge, 1.0), huge);
        assert_eq!(backoff(3, Duration::ZERO, CAP, 0.0), Duration::ZERO);
    }
}
