//! A tiny fixed-seed PRNG, so generated pictures are byte-identical on every run and platform.
//!
//! The corpus must be byte-identical on every run, so nothing may come from the OS (time,
//! `RandomState`, `getrandom`). xorshift64 is plenty for "mild noise" and fits in a few lines.

/// Marsaglia xorshift64: not cryptographic, just reproducible.
pub struct XorShift(u64);

impl XorShift {
    /// A zero state would stay zero forever, so it is nudged to a fixed non-zero constant.
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 { 0x9E37_79B9_7F4A_7C15 } else { seed })
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// Uniform in `[0, 1)` with 53 bits of precision (exact in f64, so platform independent).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[-amplitude, amplitude)`.
    pub fn symmetric(&mut self, amplitude: f64) -> f64 {
        (self.next_f64() * 2.0 - 1.0) * amplitude
    }
}

#[cfg(test)]
mod tests {
    use super::XorShift;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = XorShift::new(42);
        let mut b = XorShift::new(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn zero_seed_does_not_stick() {
        let mut r = XorShift::new(0);
        assert_ne!(r.next_u64(), 0);
    }
}
