//! The process's peak resident memory, as the kernel reports it: what calibration measures a pipeline
//! run by, and what `imgkit resize` prints in its summary.

/// Peak resident memory (`VmHWM`) of process `pid`, or of this process, in KiB; `None` where `/proc`
/// does not tell (not Linux, or the process is gone).
pub fn peak_rss_kib(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    vm_hwm_kib(&status)
}

/// The `VmHWM:` line of a `/proc/PID/status` text, in KiB.
fn vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_high_water_mark_line_is_read_in_kib() {
        let status = "Name:\timgkit\nVmPeak:\t  20000 kB\nVmHWM:\t    1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(vm_hwm_kib(status), Some(1234));
        assert_eq!(vm_hwm_kib("Name:\timgkit\n"), None);
        if cfg!(target_os = "linux") {
            assert!(peak_rss_kib(None).is_some_and(|kib| kib > 0));
            assert!(peak_rss_kib(Some(std::process::id())).is_some());
        }
    }
}
