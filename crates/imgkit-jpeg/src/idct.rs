//! Reduced-size inverse DCTs: an 8×8 block's low-frequency `h`×`v` corner transformed straight to an
//! `h`×`v` block of pixels (h, v ∈ {1, 2, 4, 8}).
//!
//! Each output pixel samples the block's continuous cosine series at the centre of the larger pixel it
//! stands for, which is what libjpeg's scaled IDCTs compute; at size 1 that is the block mean.

use std::f32::consts::PI;

/// `tables[log2 n][u][x]` = C(u)/2 · cos((2x+1)uπ / 2n) for output size n ∈ {1, 2, 4, 8}: one row per
/// frequency, so a coefficient scales a whole row of outputs at once (which vectorises).
pub(crate) struct Basis {
    tables: [[[f32; 8]; 8]; 4],
}

impl Basis {
    pub(crate) fn new() -> Basis {
        let mut tables = [[[0f32; 8]; 8]; 4];
        for (log, table) in tables.iter_mut().enumerate() {
            let n = 1usize << log;
            for (u, row) in table.iter_mut().enumerate().take(n) {
                for (x, cell) in row.iter_mut().enumerate().take(n) {
                    let c = if u == 0 {
                        std::f32::consts::FRAC_1_SQRT_2
                    } else {
                        1.0
                    };
                    *cell = c / 2.0 * (((2 * x + 1) * u) as f32 * PI / (2 * n) as f32).cos();
                }
            }
        }
        Basis { tables }
    }

    /// Transforms the dequantised coefficients `coef` (row-major, `w` columns by `h` rows, natural order)
    /// into `w`×`h` pixels written to `out` with row stride `stride`, level-shifted and clamped.
    /// `nonzero_rows` has bit `v` set when row `v` of `coef` holds a non-zero AC coefficient; 0 means the
    /// block is flat (DC only).
    #[inline]
    pub(crate) fn transform(
        &self,
        coef: &[f32; 64],
        w: usize,
        h: usize,
        nonzero_rows: u8,
        out: &mut [u8],
        stride: usize,
    ) {
        if nonzero_rows == 0 {
            // Flat block, the common case in smooth areas and most chroma blocks.
            let value = to_pixel(coef[0] / 8.0);
            for row in out.chunks_mut(stride).take(h) {
                row[..w].fill(value);
            }
            return;
        }
        // Sizes are compile-time constants in each arm, so the loops unroll and vectorise.
        match (w, h) {
            (1, 1) => self.sized::<1, 1>(coef, nonzero_rows, out, stride),
            (2, 1) => self.sized::<2, 1>(coef, nonzero_rows, out, stride),
            (1, 2) => self.sized::<1, 2>(coef, nonzero_rows, out, stride),
            (2, 2) => self.sized::<2, 2>(coef, nonzero_rows, out, stride),
            (4, 2) => self.sized::<4, 2>(coef, nonzero_rows, out, stride),
            (2, 4) => self.sized::<2, 4>(coef, nonzero_rows, out, stride),
            (4, 4) => self.sized::<4, 4>(coef, nonzero_rows, out, stride),
            (8, 4) => self.sized::<8, 4>(coef, nonzero_rows, out, stride),
            (4, 8) => self.sized::<4, 8>(coef, nonzero_rows, out, stride),
            (8, 8) => self.sized::<8, 8>(coef, nonzero_rows, out, stride),
            _ => self.sized::<8, 8>(coef, nonzero_rows, out, stride),
        }
    }

    #[inline(always)]
    fn sized<const W: usize, const H: usize>(
        &self,
        coef: &[f32; 64],
        nonzero_rows: u8,
        out: &mut [u8],
        stride: usize,
    ) {
        let bx = &self.tables[W.trailing_zeros() as usize];
        let by = &self.tables[H.trailing_zeros() as usize];
        // Rows first: tmp[v] = Σ_u coef[v][u] · bx[u], skipping zero rows and zero coefficients.
        let mut tmp = [[0f32; W]; H];
        let rows = nonzero_rows | 1;
        for (v, t) in tmp.iter_mut().enumerate() {
            if rows & (1 << v) == 0 {
                continue;
            }
            for u in 0..W {
                let c = coef[v * W + u];
                if c != 0.0 {
                    let basis = &bx[u];
                    for x in 0..W {
                        t[x] += c * basis[x];
                    }
                }
            }
        }
        // Then columns: out[y] = Σ_v by[v][y] · tmp[v].
        for (y, row) in out.chunks_mut(stride).take(H).enumerate() {
            let mut acc = [128.5f32; W];
            for v in 0..H {
                if rows & (1 << v) == 0 {
                    continue;
                }
                let b = by[v][y];
                for x in 0..W {
                    acc[x] += b * tmp[v][x];
                }
            }
            for (px, a) in row[..W].iter_mut().zip(acc) {
                // Float-to-int casts saturate: this clamps to 0..=255 (and the +0.5 in acc rounds).
                *px = a as u8;
            }
        }
    }
}

#[inline(always)]
fn to_pixel(v: f32) -> u8 {
    (v + 128.5) as u8 // saturating
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook 8×8 IDCT, straight from the definition.
    fn reference(coef: &[f32; 64]) -> [f32; 64] {
        let mut out = [0f32; 64];
        for y in 0..8 {
            for x in 0..8 {
                let mut s = 0.0f64;
                for v in 0..8 {
                    for u in 0..8 {
                        let cu = if u == 0 { 0.5f64.sqrt() } else { 1.0 };
                        let cv = if v == 0 { 0.5f64.sqrt() } else { 1.0 };
                        s += cu
                            * cv
                            * f64::from(coef[v * 8 + u])
                            * (((2 * x + 1) * u) as f64 * std::f64::consts::PI / 16.0).cos()
                            * (((2 * y + 1) * v) as f64 * std::f64::consts::PI / 16.0).cos();
                    }
                }
                out[y * 8 + x] = (s / 4.0) as f32;
            }
        }
        out
    }

    #[test]
    fn full_size_matches_the_definition() {
        let mut coef = [0f32; 64];
        for (i, c) in coef.iter_mut().enumerate() {
            *c = ((i * 37 % 23) as f32 - 11.0) * 3.0;
        }
        let mut out = [0u8; 64];
        Basis::new().transform(&coef, 8, 8, 0xFF, &mut out, 8);
        let want = reference(&coef);
        for (got, want) in out.iter().zip(want) {
            let want = (want + 128.0).round().clamp(0.0, 255.0);
            assert!((f32::from(*got) - want).abs() <= 1.0, "{got} vs {want}");
        }
    }

    #[test]
    fn size_one_is_the_block_mean_and_smaller_sizes_keep_it() {
        let basis = Basis::new();
        let mut coef = [0f32; 64];
        coef[0] = 80.0; // mean 10 above mid-grey
        coef[1] = 40.0; // a horizontal ramp, which averages out
        for (w, h) in [(1, 1), (2, 2), (4, 2), (4, 4)] {
            let mut small = [0f32; 64];
            for v in 0..h {
                for u in 0..w {
                    small[v * w + u] = coef[v * 8 + u];
                }
            }
            let mut out = [0u8; 64];
            basis.transform(&small, w, h, 1, &mut out, w);
            let mean: f32 = out[..w * h].iter().map(|&p| f32::from(p)).sum::<f32>() / (w * h) as f32;
            assert!((mean - 138.0).abs() <= 0.5, "{w}x{h}: mean {mean}");
            if w > 1 {
                // A positive first horizontal coefficient is a ramp falling to the right.
                assert!(out[0] > out[w - 1], "{w}x{h}: the ramp survives");
            }
        }
    }
}
