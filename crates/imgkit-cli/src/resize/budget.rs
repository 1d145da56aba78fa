//! The memory budget: a file's work waits for room instead of running the machine out of memory when
//! many large images arrive together.
//!
//! Each file reserves an estimate of its peak memory, the core's plan's
//! [`peak_bytes`](imgkit::Planned::peak_bytes) made from its header before anything is decoded, and gives
//! it back when done. The estimate is an upper bound for the core's pipeline, so the sum of reservations bounds what the
//! workers hold on top of the process's own baseline. A worker first reserves the input's size to read
//! it, then grows the reservation to the estimate once the header is known; if that does not fit at
//! once, it lets go of everything (bytes included) and waits for the whole estimate.

use std::sync::{Condvar, Mutex, PoisonError};

const MIB: u64 = 1024 * 1024;

/// Shared by all workers of a run.
#[derive(Debug)]
pub struct Budget {
    total: u64,
    used: Mutex<u64>,
    freed: Condvar,
    /// Workers waiting in [`Budget::reserve`], for tests that act while one waits.
    #[cfg(test)]
    waiting: std::sync::atomic::AtomicUsize,
}

/// Memory held by one file's work; returned to the budget when dropped.
#[derive(Debug)]
pub struct Reservation<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    /// A budget of `total` bytes.
    pub fn new(total: u64) -> Budget {
        Budget {
            total,
            used: Mutex::new(0),
            freed: Condvar::new(),
            #[cfg(test)]
            waiting: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Workers waiting in [`Budget::reserve`] right now.
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Waits until `bytes` fit beside the other reservations, then holds them. A request larger than the
    /// whole budget can never fit and fails at once.
    pub fn reserve(&self, bytes: u64) -> Result<Reservation<'_>, String> {
        if bytes > self.total {
            return Err(format!(
                "needs about {} MiB of memory, more than --max-memory {} MiB",
                bytes.div_ceil(MIB),
                self.total / MIB
            ));
        }
        // A worker that panicked while holding the lock cannot leave the count inconsistent (it is only
        // updated in one statement), so a poisoned lock is still usable.
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        while *used + bytes > self.total {
            #[cfg(test)]
            self.waiting.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            used = self.freed.wait(used).unwrap_or_else(PoisonError::into_inner);
            #[cfg(test)]
            self.waiting.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }
        *used += bytes;
        Ok(Reservation { budget: self, bytes })
    }
}

impl Reservation<'_> {
    /// Takes `extra` more bytes if they are free right now; never waits. Together with [`Budget::reserve`]
    /// waiting only while holding nothing, this keeps workers from deadlocking on each other's partial
    /// reservations.
    pub fn try_grow(&mut self, extra: u64) -> bool {
        let mut used = self.budget.used.lock().unwrap_or_else(PoisonError::into_inner);
        if *used + extra > self.budget.total {
            return false;
        }
        *used += extra;
        self.bytes += extra;
        true
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut used = self.budget.used.lock().unwrap_or_else(PoisonError::into_inner);
        *used -= self.bytes;
        self.budget.freed.notify_all();
    }
}

/// Half the memory the kernel reports available, or 2 GiB where that cannot be read.
pub fn default_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map(|kib| kib * 1024 / 2)
        .unwrap_or(2048 * MIB)
}

/// Parses sizes such as `512M`, `2G`, `1.5GiB` or a plain byte count.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid size {text:?}: expected e.g. 512M or 2G"))?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("invalid size unit {other:?} in {text:?}: use K, M or G")),
    };
    let bytes = value * scale;
    if !(1.0..=1e15).contains(&bytes) {
        return Err(format!("size {text:?} is out of range"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("512M"), Ok(512 * MIB));
        assert_eq!(parse_size("2g"), Ok(2048 * MIB));
        assert_eq!(parse_size("1.5GiB"), Ok(1536 * MIB));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("12T").is_err());
        assert!(parse_size("0").is_err());
    }

    #[test]
    fn an_over_budget_request_fails_at_once() {
        let budget = Budget::new(10 * MIB);
        let err = budget.reserve(11 * MIB).unwrap_err();
        assert!(err.contains("11 MiB") && err.contains("10 MiB"), "{err}");
        assert!(budget.reserve(10 * MIB).is_ok());
    }

    #[test]
    fn growing_takes_only_free_memory() {
        let budget = Budget::new(100);
        let mut a = budget.reserve(40).unwrap();
        let b = budget.reserve(40).unwrap();
        assert!(!a.try_grow(30));
        assert!(a.try_grow(20));
        drop(b);
        assert!(a.try_grow(40));
        assert!(!a.try_grow(1));
        drop(a);
        assert!(budget.reserve(100).is_ok());
    }

    #[test]
    fn reservations_never_exceed_the_total() {
        let budget = Arc::new(Budget::new(100));
        let held = Arc::new(AtomicU64::new(0));
        let peak = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (budget, held, peak) = (budget.clone(), held.clone(), peak.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let size = 30 + (i % 3) * 20;
                        let _r = budget.reserve(size).unwrap();
                        let now = held.fetch_add(size, Ordering::SeqCst) + size;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_micros(200));
                        held.fetch_sub(size, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= 100, "peak {peak}");
        assert!(peak >= 60, "never ran two at once: peak {peak}");
    }
}
