//! Reduced-size inverse DCTs: an 8×8 block transformed straight to a `w`×`h` block of pixels (w, h ∈
//! {1, 2, 4, 8}: square at the decode's scale, larger on an axis a component is subsampled on).
//!
//! Each output pixel is the mean of the `8/w`×`8/h` pixels of the full 8×8 inverse transform that it
//! stands for: the exact box average, which is what libjpeg's reduced transforms (libjpeg-turbo's
//! `jidctred.c`) compute. That takes more than the block's low-frequency corner: averaging over a box
//! cancels some frequencies exactly (every one but DC at size 1; 2, 4 and 6 at size 2; 4 at size 4) and
//! keeps the others, so a 2-point axis reads frequencies 0, 1, 3, 5 and 7 and a 4-point one all but 4
//! ([`frequencies`]). Keeping only the `w`×`h` corner instead lost 7-10 dB of luma at 1/2 and 1/4
//! against the box average, where libjpeg-turbo's lost 1-3.
//!
//! The full 8×8 transform is the Arai-Agui-Nakajima factorisation (libjpeg's float IDCT) run on eight
//! columns, then eight rows, at once, so each step is one operation on eight lanes; its per-coefficient
//! scale factors are folded into dequantisation ([`prescale`]).

use std::f64::consts::PI;

use wide::{f32x4, f32x8, i16x8, u8x16};

/// The frequencies an `n`-point axis of a reduced transform reads: those whose cosine does not average
/// to zero over every `8/n` pixels an output stands for.
pub(crate) fn frequencies(n: usize) -> &'static [usize] {
    match n {
        1 => &[0],
        2 => TWO,
        4 => FOUR,
        _ => &[0, 1, 2, 3, 4, 5, 6, 7],
    }
}

const TWO: &[usize] = &[0, 1, 3, 5, 7];
const FOUR: &[usize] = &[0, 1, 2, 3, 5, 6, 7];
/// How many frequencies a 2-point and a 4-point axis read.
const R2: usize = TWO.len();
const R4: usize = FOUR.len();

/// `tables[log2 n][i][x]`: for output size n ∈ {1, 2, 4, 8}, the mean over output pixel `x`'s `8/n`
/// pixels of C(k)/2 · cos((2j+1)kπ / 16), k being the `i`-th of [`frequencies`]`(n)`: one row per
/// frequency, so a coefficient scales a whole row of outputs at once (which vectorises).
pub(crate) struct Basis {
    tables: [[[f32; 8]; 8]; 4],
    /// The 4-point table's rows as vectors: `quad[i]` = `tables[2][i][..4]`.
    quad: [f32x4; 8],
}

impl Basis {
    pub(crate) fn new() -> Basis {
        let mut tables = [[[0f32; 8]; 8]; 4];
        for (log, table) in tables.iter_mut().enumerate() {
            let n = 1usize << log;
            let span = 8 / n;
            for (row, &k) in table.iter_mut().zip(frequencies(n)) {
                let c = if k == 0 {
                    std::f64::consts::FRAC_1_SQRT_2
                } else {
                    1.0
                };
                for (x, cell) in row.iter_mut().enumerate().take(n) {
                    let sum: f64 = (x * span..(x + 1) * span)
                        .map(|j| (((2 * j + 1) * k) as f64 * PI / 16.0).cos())
                        .sum();
                    *cell = (c / 2.0 * sum / span as f64) as f32;
                }
            }
        }
        let quad = std::array::from_fn(|i| {
            f32x4::new([tables[2][i][0], tables[2][i][1], tables[2][i][2], tables[2][i][3]])
        });
        Basis { tables, quad }
    }

    /// Transforms the dequantised coefficients `coef` (the frequencies a `w`×`h` output reads, in the
    /// order of [`slot`]) into `w`×`h` pixels written to `out` with row stride `stride`, level-shifted and
    /// clamped. `nonzero_rows` has bit `i` set when the `i`-th row frequency read holds a non-zero AC
    /// coefficient; 0 means the block is flat (DC only).
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
        } else {
            self.detailed(coef, (w, h), nonzero_rows, out, stride);
        }
    }

    /// [`Basis::transform`] of a block with AC coefficients, `size` being its `(w, h)`.
    #[inline(never)]
    fn detailed(
        &self,
        coef: &[f32; 64],
        size: (usize, usize),
        nonzero_rows: u8,
        out: &mut [u8],
        stride: usize,
    ) {
        // Sizes are compile-time constants in each arm, so the loops unroll and vectorise. The second
        // pair is how many frequencies each axis reads (see `frequencies`).
        match size {
            (1, 1) => self.sized::<1, 1, 1, 1>(coef, nonzero_rows, out, stride),
            (2, 2) => self.sized::<2, 2, R2, R2>(coef, nonzero_rows, out, stride),
            (4, 4) => self.quad(coef, nonzero_rows, out, stride),
            // Subsampled chroma's transforms, sized on each axis (see `frame::transform_size`).
            (2, 1) => self.sized::<2, 1, R2, 1>(coef, nonzero_rows, out, stride),
            (1, 2) => self.sized::<1, 2, 1, R2>(coef, nonzero_rows, out, stride),
            (4, 1) => self.sized::<4, 1, R4, 1>(coef, nonzero_rows, out, stride),
            (1, 4) => self.sized::<1, 4, 1, R4>(coef, nonzero_rows, out, stride),
            (4, 2) => self.sized::<4, 2, R4, R2>(coef, nonzero_rows, out, stride),
            (2, 4) => self.sized::<2, 4, R2, R4>(coef, nonzero_rows, out, stride),
            (8, 1) => self.sized::<8, 1, 8, 1>(coef, nonzero_rows, out, stride),
            (1, 8) => self.sized::<1, 8, 1, 8>(coef, nonzero_rows, out, stride),
            (8, 2) => self.sized::<8, 2, 8, R2>(coef, nonzero_rows, out, stride),
            (2, 8) => self.sized::<2, 8, R2, 8>(coef, nonzero_rows, out, stride),
            (8, 4) => self.sized::<8, 4, 8, R4>(coef, nonzero_rows, out, stride),
            (4, 8) => self.sized::<4, 8, R4, 8>(coef, nonzero_rows, out, stride),
            _ => {
                debug_assert_eq!(size, (8, 8), "transform sizes are powers of two up to 8");
                aan_8x8(coef, out, stride)
            }
        }
    }

    /// The 4×4 transform (every 1/2 decode's) on vectors of four outputs: each row frequency's
    /// coefficients make one output row's worth of horizontal sums, then each output row is a sum of
    /// those; stored as `aan_8x8` stores.
    #[inline(always)]
    fn quad(&self, coef: &[f32; 64], nonzero_rows: u8, out: &mut [u8], stride: usize) {
        const READ: usize = R4;
        let by = &self.tables[2];
        let mut lines = [f32x4::ZERO; 4];
        for v in 0..READ {
            if (nonzero_rows | 1) & (1 << v) == 0 {
                continue;
            }
            let row = &coef[v * READ..v * READ + READ];
            let mut sum = self.quad[0] * f32x4::splat(row[0]);
            for (u, &c) in row.iter().enumerate().skip(1) {
                sum += self.quad[u] * f32x4::splat(c);
            }
            for (y, line) in lines.iter_mut().enumerate() {
                *line += sum * f32x4::splat(by[v][y]);
            }
        }
        let top: f32x8 = bytemuck::cast([lines[0], lines[1]]);
        let bottom: f32x8 = bytemuck::cast([lines[2], lines[3]]);
        let bytes = u8x16::narrow_i16x8(pack(top), pack(bottom)).to_array();
        // Indexed, not zipped with `chunks_mut`: that zip divides by the stride to count its chunks.
        for (y, px) in bytes.chunks_exact(4).enumerate() {
            out[y * stride..][..4].copy_from_slice(px);
        }
    }

    /// A `W`×`H` output from `KW`×`KH` frequencies.
    #[inline(always)]
    fn sized<const W: usize, const H: usize, const KW: usize, const KH: usize>(
        &self,
        coef: &[f32; 64],
        nonzero_rows: u8,
        out: &mut [u8],
        stride: usize,
    ) {
        let bx = &self.tables[W.trailing_zeros() as usize];
        let by = &self.tables[H.trailing_zeros() as usize];
        // Rows first: tmp[v] = Σ_u coef[v][u] · bx[u], skipping zero rows.
        let mut tmp = [[0f32; W]; KH];
        let rows = nonzero_rows | 1;
        for (v, t) in tmp.iter_mut().enumerate() {
            if rows & (1 << v) == 0 {
                continue;
            }
            // No test for zero coefficients here: a branch per coefficient costs more than the
            // multiplications it saves.
            for u in 0..KW {
                let c = coef[v * KW + u];
                let basis = &bx[u];
                for x in 0..W {
                    t[x] += c * basis[x];
                }
            }
        }
        // Then columns: out[y] = Σ_v by[v][y] · tmp[v].
        for (y, row) in out.chunks_mut(stride).take(H).enumerate() {
            let mut acc = [0f32; W];
            for v in 0..KH {
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

/// What each coefficient a `w`×`h` output reads (by [`slot`]) is multiplied by before [`Basis::transform`]:
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

/// Where coefficient (`row`, `col`) of an 8×8 block goes in the array [`Basis::transform`] takes for a
/// `w`×`h` output, and which of the row frequencies read it is in; `None` when that output does not
/// read it. Row-major over the frequencies read for the reduced sizes; column-major for 8×8 (so its
/// first pass reads whole columns as lanes and only one transpose is needed between the passes).
pub(crate) fn slot(w: usize, h: usize, row: usize, col: usize) -> Option<(usize, usize)> {
    if (w, h) == (8, 8) {
        return Some((col * 8 + row, row));
    }
    let (across, down) = (frequencies(w), frequencies(h));
    let u = across.iter().position(|&k| k == col)?;
    let v = down.iter().position(|&k| k == row)?;
    Some((v * across.len() + u, v))
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

/// The level shift, and a thousandth of a level more, so that halves round up, as libjpeg's `DESCALE`
/// rounds, rather than to even: a file's DC is often a multiple of four eighths (an even quantiser), and
/// rounding those blocks' means to even cost 0.1-0.4 dB against the exact means at 1/8.
const LEVEL: f32 = 128.0 + 1.0 / 1024.0;

/// Eight samples level-shifted and rounded to 16 bits. The clamp to 0-255 is left to the saturation of
/// packing them to 8 bits, so the rounding needs no range handling: in range it is `to_pixel`'s round half
/// to even, and a value past `i32` (only from a hostile DC) becomes some pixel value, not an error.
#[inline(always)]
fn pack(samples: f32x8) -> i16x8 {
    i16x8::from_i32x8_saturate((samples + f32x8::splat(LEVEL)).fast_round_int())
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
    let clamped = (v + LEVEL).clamp(0.0, 255.0);
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
                let (at, _) = slot(8, 8, i / 8, i % 8).unwrap();
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
        for (w, h) in [(1, 1), (2, 2), (4, 4), (2, 1), (4, 2)] {
            let mut small = [0f32; 64];
            for (i, &c) in coef.iter().enumerate() {
                if let Some((at, _)) = slot(w, h, i / 8, i % 8) {
                    small[at] = c;
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
