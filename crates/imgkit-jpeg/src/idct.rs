//! Reduced-size inverse DCTs: an 8×8 block's low-frequency `h`×`v` corner transformed straight to an
//! `h`×`v` block of pixels (h, v ∈ {1, 2, 4, 8}).
//!
//! Each output pixel samples the block's continuous cosine series at the centre of the larger pixel it
//! stands for, which is what libjpeg's scaled IDCTs compute; at size 1 that is the block mean.

use std::f32::consts::PI;

/// `basis[n][x][u]` = C(u)/2 · cos((2x+1)uπ / 2n) for output size n ∈ {1, 2, 4, 8} (index log2 n).
pub(crate) struct Basis {
    tables: [[[f32; 8]; 8]; 4],
}

impl Basis {
    pub(crate) fn new() -> Basis {
        let mut tables = [[[0f32; 8]; 8]; 4];
        for (log, table) in tables.iter_mut().enumerate() {
            let n = 1usize << log;
            for (x, row) in table.iter_mut().enumerate().take(n) {
                for (u, cell) in row.iter_mut().enumerate().take(n) {
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
        let bx = &self.tables[w.trailing_zeros() as usize];
        let by = &self.tables[h.trailing_zeros() as usize];
        // Rows first: tmp[v][x] = Σ_u coef[v][u] · bx[x][u], only for rows holding anything.
        let mut tmp = [[0f32; 8]; 8];
        let nonzero_rows = nonzero_rows | 1;
        for v in 0..h {
            if nonzero_rows & (1 << v) == 0 {
                continue;
            }
            let src = &coef[v * w..v * w + w];
            for (x, t) in tmp[v].iter_mut().enumerate().take(w) {
                let basis = &bx[x];
                *t = src.iter().zip(basis).map(|(c, b)| c * b).sum();
            }
        }
        for (y, row) in out.chunks_mut(stride).take(h).enumerate() {
            let basis = &by[y];
            for (x, px) in row[..w].iter_mut().enumerate() {
                let mut sum = 0.0;
                for v in 0..h {
                    sum += basis[v] * tmp[v][x];
                }
                *px = to_pixel(sum);
            }
        }
    }
}

#[inline(always)]
fn to_pixel(v: f32) -> u8 {
    (v + 128.5).clamp(0.0, 255.0) as u8
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
