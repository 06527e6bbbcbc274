//! Row-parallel execution with `std::thread::scope`.
//!
//! Spawning a scoped thread costs tens of microseconds, so work is only split when
//! every thread gets at least `MIN_ROWS` rows and `MIN_WORK` element operations.
//! `BACKSERV_NATIVE_THREADS` caps the thread count (several worker threads may each
//! call a kernel at once; the cap keeps them from oversubscribing the cores).

use std::ops::Range;
use std::sync::OnceLock;

const MIN_ROWS: usize = 64;
const MIN_WORK: usize = 1 << 19;

fn max_threads() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| {
        let hw = std::thread::available_parallelism().map_or(1, |n| n.get());
        let cap = std::env::var("BACKSERV_NATIVE_THREADS")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .filter(|&n| n > 0);
        cap.map_or(hw, |c| c.min(hw)).max(1)
    })
}

/// Balanced row ranges covering `0..rows`, one per thread worth starting.
pub fn row_ranges(rows: usize, work_per_row: usize) -> Vec<Range<usize>> {
    let by_work = rows.saturating_mul(work_per_row) / MIN_WORK;
    let n = max_threads().min(rows / MIN_ROWS).min(by_work).max(1);
    (0..n).map(|i| rows * i / n..rows * (i + 1) / n).collect()
}

/// Split `data` (rows of `row_len` elements, starting at row `ranges[0].start`) into
/// one mutable chunk per range.
pub fn split_rows<'a, T>(mut data: &'a mut [T], row_len: usize, ranges: &[Range<usize>]) -> Vec<&'a mut [T]> {
    let mut chunks = Vec::with_capacity(ranges.len());
    for r in ranges {
        // The last chunk may be short (element-chunked work such as f16 conversion).
        let n = (r.len() * row_len).min(data.len());
        let (head, tail) = data.split_at_mut(n);
        chunks.push(head);
        data = tail;
    }
    chunks
}

/// Run `f` on every job, the first on the calling thread and the rest on scoped threads.
pub fn run<J: Send, F: Fn(J) + Sync>(jobs: Vec<J>, f: F) {
    let mut jobs = jobs.into_iter();
    let Some(first) = jobs.next() else { return };
    let f = &f;
    std::thread::scope(|s| {
        for job in jobs {
            s.spawn(move || f(job));
        }
        f(first);
    });
}
