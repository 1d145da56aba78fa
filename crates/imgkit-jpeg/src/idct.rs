//! Reduced-size inverse DCTs: an 8×8 block's low-frequency `w`×`h` corner transformed straight to a
//! `w`×`h` block of pixels (w, h ∈ {1, 2, 4, 8}: square at the decode's scale, larger on an axis a
//! component is subsampled on).
//!
//! Each output pixel samples the block's continuous cosine series at the centre of the larger pixel it
//! stands for, which is what libjpeg's scaled IDCTs compute; at size 1 that is the block mean. The full
//! 8×8 transform is the Arai-Agui-Nakajima factorisation (libjpeg's float IDCT) run on eight columns, then
//! eight rows, at once, so each step is one operation on eight lanes; its per-coefficient scale factors
//! are folded into dequantisation ([`prescale`]).

use std::f32::consts::PI;

use wide::{f32x4, f32x8, i16x8, u8x16};

/// `tables[log2 n][u][x]` = C(u)/2 · cos((2x+1)uπ / 2n) for output size n ∈ {1, 2, 4, 8}: one row per
/// frequency, so a coefficient scales a whole row of outputs at once (which vectorises).
pub(crate) struct Basis {
    tables: [[[f32; 8]; 8]; 4],
    /// The 4-point table's values, each in all four lanes: `quad[u][x]` = `tables[2][u][x]`.
    quad: [[f32x4; 4]; 4],
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
        let quad = std::array::from_fn(|u| std::array::from_fn(|x| f32x4::splat(tables[2][u][x])));
        Basis { tables, quad }
    }

    /// Transforms the dequantised coefficients `coef` (row-major, `w` columns by `h` rows, natural order)
    /// into `w`×`h` pixels written to `out` with row stride `stride`, level-shifted and clamped.
    /// `nonzero_rows` has bit `v` set when row `v` of `coef` holds a non-zero AC coefficient; 0 means the
    /// block is flat (DC only).
    ///
    /// The coefficients must have been multiplied by [`prescale`] for the block's size.
    ///
    /// Flat blocks are filled here, inline in the decoding loop: they are the common case in smooth
    /// areas, most chroma blocks, and every block at 1/8, where a call per block would cost more than
    /// the fill.
    #[inline(always)]
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
            let dc = if (w, h) == (8, 8) { coef[0] } else { coef[0] / 8.0 };
            let value = to_pixel(dc);
            for row in out.chunks_mut(stride).take(h) {
                row[..w].fill(value);
            }
        } else if (w, h) == (2, 2) {
            // Every 2-point basis value is ±1/(2√2), so the 2×2 transform is a Hadamard sum over 8: inline
            // here it costs a few additions, where the general path cost a call and a loop nest per block
            // (15% of a 1/4 decode).
            let (a, b) = (coef[0] + coef[1], coef[0] - coef[1]);
            let (c, d) = (coef[2] + coef[3], coef[2] - coef[3]);
            out[0] = to_pixel((a + c) * 0.125);
            out[1] = to_pixel((b + d) * 0.125);
            out[stride] = to_pixel((a - c) * 0.125);
            out[stride + 1] = to_pixel((b - d) * 0.125);
        } else {
            self.detailed(coef, w, h, nonzero_rows, out, stride);
        }
    }

    #[inline(never)]
    fn detailed(
        &self,
        coef: &[f32; 64],
        w: usize,
        h: usize,
        nonzero_rows: u8,
        out: &mut [u8],
        stride: usize,
    ) {
        // Sizes are compile-time constants in each arm, so the loops unroll and vectorise.
        match (w, h) {
            (1, 1) => self.sized::<1, 1>(coef, nonzero_rows, out, stride),
            (4, 4) => self.quad(coef, out, stride),
            // Subsampled chroma's transforms, sized on each axis (see `frame::transform_size`).
            (2, 1) => self.sized::<2, 1>(coef, nonzero_rows, out, stride),
            (1, 2) => self.sized::<1, 2>(coef, nonzero_rows, out, stride),
            (4, 1) => self.sized::<4, 1>(coef, nonzero_rows, out, stride),
            (1, 4) => self.sized::<1, 4>(coef, nonzero_rows, out, stride),
            (4, 2) => self.sized::<4, 2>(coef, nonzero_rows, out, stride),
            (2, 4) => self.sized::<2, 4>(coef, nonzero_rows, out, stride),
            (8, 1) => self.sized::<8, 1>(coef, nonzero_rows, out, stride),
            (1, 8) => self.sized::<1, 8>(coef, nonzero_rows, out, stride),
            (8, 2) => self.sized::<8, 2>(coef, nonzero_rows, out, stride),
            (2, 8) => self.sized::<2, 8>(coef, nonzero_rows, out, stride),
            (8, 4) => self.sized::<8, 4>(coef, nonzero_rows, out, stride),
            (4, 8) => self.sized::<4, 8>(coef, nonzero_rows, out, stride),
            _ => {
                debug_assert_eq!((w, h), (8, 8), "transform sizes are powers of two up to 8");
                aan_8x8(coef, out, stride)
            }
        }
    }

    /// The 4×4 transform (every 1/2 decode's) on rows of four lanes: columns first, with each basis
    /// value already in all lanes, then a transpose, the rows, and a transpose back; stored as
    /// `aan_8x8` stores. Twice as fast as the general path, which skipped zero rows but spent more on
    /// gathering the values it multiplied.
    #[inline(always)]
    fn quad(&self, coef: &[f32; 64], out: &mut [u8], stride: usize) {
        let b = &self.quad;
        let row = |v: usize| f32x4::new([coef[4 * v], coef[4 * v + 1], coef[4 * v + 2], coef[4 * v + 3]]);
        let rows = [row(0), row(1), row(2), row(3)];
        // lines[y] = Σ_v b[v][y] · rows[v]: output row y, still in horizontal frequencies.
        let lines: [f32x4; 4] = std::array::from_fn(|y| {
            b[0][y] * rows[0] + b[1][y] * rows[1] + b[2][y] * rows[2] + b[3][y] * rows[3]
        });
        let freq = f32x4::transpose(lines);
        // columns[x] = Σ_u b[u][x] · freq[u]: output column x, lanes down the rows.
        let columns: [f32x4; 4] = std::array::from_fn(|x| {
            b[0][x] * freq[0] + b[1][x] * freq[1] + b[2][x] * freq[2] + b[3][x] * freq[3]
        });
        let [r0, r1, r2, r3] = f32x4::transpose(columns);
        let top: f32x8 = bytemuck::cast([r0, r1]);
        let bottom: f32x8 = bytemuck::cast([r2, r3]);
        let bytes = u8x16::narrow_i16x8(pack(top), pack(bottom)).to_array();
        // Indexed, not zipped with `chunks_mut`: that zip divides by the stride to count its chunks.
        for (y, px) in bytes.chunks_exact(4).enumerate() {
            out[y * stride..][..4].copy_from_slice(px);
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
        // Rows first: tmp[v] = Σ_u coef[v][u] · bx[u], skipping zero rows.
        let mut tmp = [[0f32; W]; H];
        let rows = nonzero_rows | 1;
        for (v, t) in tmp.iter_mut().enumerate() {
            if rows & (1 << v) == 0 {
                continue;
            }
            // No test for zero coefficients here: a branch per coefficient costs more than the
            // multiplications it saves.
            for u in 0..W {
                let c = coef[v * W + u];
                let basis = &bx[u];
                for x in 0..W {
                    t[x] += c * basis[x];
                }
            }
        }
        // Then columns: out[y] = Σ_v by[v][y] · tmp[v].
        for (y, row) in out.chunks_mut(stride).take(H).enumerate() {
            let mut acc = [0f32; W];
            for v in 0..H {
                if rows & (1 << v) == 0 {
                    continue;
                }
                let b = by[v][y];
                for x in 0..W {
                    acc[x] += b * tmp[v][x];
                }
            }
            store(&acc, &mut row[..W]);
        }
    }
}

/// What each coefficient of a `w`×`h` corner (row-major) is multiplied by before [`Basis::transform`]:
/// 1 for the reduced sizes; for 8×8 the AAN scale factors of its row and column, and the final /8.
pub(crate) fn prescale(w: usize, h: usize) -> [f32; 64] {
    let mut out = [1f32; 64];
    if (w, h) == (8, 8) {
        let aan = |k: usize| {
            if k == 0 {
                1.0
            } else {
                (k as f64 * std::f64::consts::PI / 16.0).cos() * std::f64::consts::SQRT_2
            }
        };
        for (i, cell) in out.iter_mut().enumerate() {
            *cell = (aan(i / 8) * aan(i % 8) / 8.0) as f32;
        }
    }
    out
}

/// Eight values side by side: one per column (first pass) or per row (second pass).
type Lanes = f32x8;

/// The 8-point AAN inverse DCT (libjpeg's `jidctflt.c`) of eight signals at once: `v[k]` holds frequency
/// `k` of each, prescaled; the result holds sample `n` of each in `[n]`.
#[inline(always)]
fn aan8(v: &[Lanes; 8]) -> [Lanes; 8] {
    let sqrt2 = f32x8::splat(std::f32::consts::SQRT_2);
    // Even part.
    let (t10, t11) = (v[0] + v[4], v[0] - v[4]);
    let t13 = v[2] + v[6];
    let t12 = (v[2] - v[6]) * sqrt2 - t13;
    let (e0, e3) = (t10 + t13, t10 - t13);
    let (e1, e2) = (t11 + t12, t11 - t12);
    // Odd part.
    let (z13, z10) = (v[5] + v[3], v[5] - v[3]);
    let (z11, z12) = (v[1] + v[7], v[1] - v[7]);
    let o7 = z11 + z13;
    let t11 = (z11 - z13) * sqrt2;
    let z5 = (z10 + z12) * f32x8::splat(1.847_759);
    let t10 = z12 * f32x8::splat(1.082_392_2) - z5;
    let t12 = z10 * f32x8::splat(-2.613_126) + z5;
    let o6 = t12 - o7;
    let o5 = t11 - o6;
    let o4 = t10 + o5;
    [
        e0 + o7,
        e1 + o6,
        e2 + o5,
        e3 - o4,
        e3 + o4,
        e2 - o5,
        e1 - o6,
        e0 - o7,
    ]
}

/// Where coefficient (`row`, `col`) of a `w`×`h` corner goes in the array [`Basis::transform`] takes:
/// row-major for the reduced sizes, column-major for 8×8 (so its first pass reads whole columns as lanes and
/// only one transpose is needed between the passes).
pub(crate) fn slot(w: usize, h: usize, row: usize, col: usize) -> usize {
    if (w, h) == (8, 8) {
        col * 8 + row
    } else {
        row * w + col
    }
}

/// The full 8×8 inverse DCT of prescaled coefficients (column-major, see [`slot`]), to level-shifted,
/// clamped pixels ([`pack`]).
#[inline(always)]
fn aan_8x8(coef: &[f32; 64], out: &mut [u8], stride: usize) {
    let mut cols = [f32x8::ZERO; 8];
    for (col, src) in cols.iter_mut().zip(coef.chunks_exact(8)) {
        let mut lanes = [0f32; 8];
        lanes.copy_from_slice(src);
        *col = f32x8::new(lanes);
    }
    // Horizontal pass: lane v of cols[u] is coefficient (v, u); the result's [x] holds, in lane v, the
    // row-frequency-v signal at column x. Transposed, lanes are columns for the vertical pass, whose
    // result is rows of pixels.
    let words = aan8(&transpose(aan8(&cols))).map(pack);
    let mut lines = out.chunks_mut(stride);
    for pair in words.chunks_exact(2) {
        let bytes = u8x16::narrow_i16x8(pair[0], pair[1]).to_array();
        for half in bytes.chunks_exact(8) {
            if let Some(line) = lines.next() {
                line[..8].copy_from_slice(half);
            }
        }
    }
}

/// Eight samples level-shifted and rounded to 16 bits. The clamp to 0-255 is left to the saturation of
/// packing them to 8 bits, so the rounding needs no range handling: in range it is `to_pixel`'s round half
/// to even, and a value past `i32` (only from a hostile DC) becomes some pixel value, not an error.
#[inline(always)]
fn pack(samples: f32x8) -> i16x8 {
    i16x8::from_i32x8_saturate((samples + f32x8::splat(128.0)).fast_round_int())
}

/// An 8×8 transpose as four 4×4 ones (wide's own 8×8 one moves single floats without AVX).
#[inline(always)]
fn transpose(m: [f32x8; 8]) -> [f32x8; 8] {
    let halves: [[f32x4; 2]; 8] = m.map(bytemuck::cast);
    let quarter = |x: usize, half: usize| {
        f32x4::transpose([
            halves[x][half],
            halves[x + 1][half],
            halves[x + 2][half],
            halves[x + 3][half],
        ])
    };
    // Output row r, half h comes from input rows 4h..4h+4, half r / 4, row r % 4 of that quarter.
    let q = [[quarter(0, 0), quarter(4, 0)], [quarter(0, 1), quarter(4, 1)]];
    std::array::from_fn(|r| bytemuck::cast([q[r / 4][0][r % 4], q[r / 4][1][r % 4]]))
}

/// Level-shifts, clamps and rounds a row of samples into pixels.
#[inline(always)]
fn store<const N: usize>(row: &[f32; N], out: &mut [u8]) {
    for (px, &v) in out.iter_mut().zip(row) {
        *px = to_pixel(v);
    }
}

/// Level-shifted, clamped and rounded: adding 1.5 * 2^23 leaves the rounded integer in the low mantissa
/// bits, which vectorises where a float-to-integer cast does not.
#[inline(always)]
fn to_pixel(v: f32) -> u8 {
    let clamped = (v + 128.0).clamp(0.0, 255.0);
    ((clamped + 12_582_912.0).to_bits() & 0xFF) as u8
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
        let mut mixed = [0f32; 64];
        for (i, c) in mixed.iter_mut().enumerate() {
            *c = ((i * 37 % 23) as f32 - 11.0) * 3.0;
        }
        // Every basis function on its own, then all of them together.
        let singles = (0..64).map(|i| {
            let mut coef = [0f32; 64];
            coef[i] = if i == 0 { 400.0 } else { 150.0 };
            coef
        });
        for coef in singles.chain([mixed]) {
            let mut scaled = [0f32; 64];
            for (i, &c) in coef.iter().enumerate() {
                let at = slot(8, 8, i / 8, i % 8);
                scaled[at] = c * prescale(8, 8)[at];
            }
            let mut out = [0u8; 64];
            Basis::new().transform(&scaled, 8, 8, 0xFF, &mut out, 8);
            let want = reference(&coef);
            for (got, want) in out.iter().zip(want) {
                let want = (want + 128.0).round().clamp(0.0, 255.0);
                assert!((f32::from(*got) - want).abs() <= 1.0, "{got} vs {want}");
            }
        }
    }

    #[test]
    fn size_one_is_the_block_mean_and_smaller_sizes_keep_it() {
        let basis = Basis::new();
        let mut coef = [0f32; 64];
        coef[0] = 80.0; // mean 10 above mid-grey
        coef[1] = 40.0; // a horizontal ramp, which averages out
        for (w, h) in [(1, 1), (2, 2), (4, 4)] {
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
