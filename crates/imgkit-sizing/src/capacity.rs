//! What a Lambda function of a given memory size runs: its CPU share, and how many images it processes
//! at once. One model, used by the function to size its worker pool and by sizing to budget memory, so
//! the two can never disagree.

/// Memory that buys one vCPU on Lambda (AWS: CPU share is proportional to memory).
pub const MB_PER_VCPU: u64 = 1769;

/// The most cores a Lambda function sees (10,240 MB is about 5.8 vCPU, shown as 6 cores).
pub const MAX_CORES: usize = 6;

/// A function's capacity at one memory size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Capacity {
    /// CPU share, in vCPUs: memory / 1,769 MB.
    pub vcpu: f64,
    /// Images decoded and resized at once: min(cores, ceil(memory / 1,769 MB)), at least 1. The core is
    /// single-threaded per image, so a fraction of a vCPU above a whole one still runs one more image
    /// (sharing the CPU), and its memory must be budgeted.
    pub images_in_flight: usize,
}

impl Capacity {
    /// The capacity of a function with `memory_mb` MB and `cores` visible cores (`None`: as many as
    /// Lambda shows, [`MAX_CORES`]).
    ///
    /// ```
    /// use imgkit_sizing::capacity::Capacity;
    /// assert_eq!(Capacity::of(1769, None).images_in_flight, 1);
    /// assert_eq!(Capacity::of(1770, None).images_in_flight, 2);
    /// assert_eq!(Capacity::of(10_240, Some(2)).images_in_flight, 2);
    /// ```
    pub fn of(memory_mb: u64, cores: Option<usize>) -> Capacity {
        let cores = cores.unwrap_or(MAX_CORES).max(1);
        let shares = usize::try_from(memory_mb.div_ceil(MB_PER_VCPU)).unwrap_or(usize::MAX);
        Capacity {
            vcpu: memory_mb as f64 / MB_PER_VCPU as f64,
            images_in_flight: cores.min(shares).max(1),
        }
    }

    /// How much longer one image takes when `k` run at once than alone on a whole vCPU: each image gets
    /// at most one core, and `k` images share the function's CPU share.
    pub fn slowdown(&self, k: usize) -> f64 {
        (k.max(1) as f64 / self.vcpu).max(1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_in_flight_follow_memory_and_cores() {
        for (mb, cores, want) in [
            (128, None, 1),
            (1769, None, 1),
            (1770, None, 2),
            (3538, None, 2),
            (3539, None, 3),
            (5307, None, 3),
            (10_240, None, 6),
            (10_240, Some(2), 2),
            (512, Some(0), 1),
        ] {
            assert_eq!(
                Capacity::of(mb, cores).images_in_flight,
                want,
                "{mb} MB, {cores:?} cores"
            );
        }
    }

    #[test]
    fn images_share_the_cpu_share() {
        let half = Capacity::of(884, None);
        assert!((half.slowdown(1) - 1769.0 / 884.0).abs() < 1e-9);
        let just_over_one = Capacity::of(1770, None);
        // Two images on 1.0006 vCPU: each takes about twice as long.
        assert!((just_over_one.slowdown(2) - 2.0 * 1769.0 / 1770.0).abs() < 1e-9);
        assert_eq!(Capacity::of(3538, None).slowdown(2), 1.0);
    }
}
