//! YCbCr to RGB, a row at a time.

/// Converts one row of JFIF YCbCr samples (T.871) to interleaved RGB in `out`, as many pixels as `out`
/// holds (the sample rows may be longer). `planar` is scratch space, reused from row to row.
pub(crate) fn ycbcr_row(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8], planar: &mut Vec<u8>) {
    let n = out.len() / 3;
    let (y, cb, cr) = (&y[..n], &cb[..n], &cr[..n]);
    // One channel at a time into planar rows, then interleaved: simple loops over bytes the compiler
    // vectorises, where converting pixel by pixel into interleaved output stays scalar.
    planar.resize(3 * n, 0);
    let (r, gb) = planar.split_at_mut(n);
    let (g, b) = gb.split_at_mut(n);
    for ((r, &y), &cr) in r.iter_mut().zip(y).zip(cr) {
        *r = clamp(i16::from(y) + scaled(mul_high(chroma(cr), R_CR)));
    }
    for (((g, &y), &cb), &cr) in g.iter_mut().zip(y).zip(cb).zip(cr) {
        *g = clamp(i16::from(y) - scaled(mul_high(chroma(cb), G_CB) + mul_high(chroma(cr), G_CR)));
    }
    for ((b, &y), &cb) in b.iter_mut().zip(y).zip(cb) {
        *b = clamp(i16::from(y) + scaled(mul_high(chroma(cb), B_CB)));
    }
    // Interleaved sixteen pixels at a time through a fixed-size buffer (one 48-byte copy), the rest one
    // by one.
    let whole = n / 16 * 16;
    for (((px, r), g), b) in out[..3 * whole]
        .chunks_exact_mut(48)
        .zip(r.chunks_exact(16))
        .zip(g.chunks_exact(16))
        .zip(b.chunks_exact(16))
    {
        let mut buf = [0u8; 48];
        for i in 0..16 {
            buf[3 * i] = r[i];
            buf[3 * i + 1] = g[i];
            buf[3 * i + 2] = b[i];
        }
        px.copy_from_slice(&buf);
    }
    for (((px, &r), &g), &b) in out[3 * whole..]
        .chunks_exact_mut(3)
        .zip(&r[whole..])
        .zip(&g[whole..])
        .zip(&b[whole..])
    {
        px.copy_from_slice(&[r, g, b]);
    }
}

// T.871's coefficients in 2.14 fixed point. Every step below stays in 16 bits, so each loop is eight
// lanes per SSE2 instruction (the high half of a 16-bit product is one instruction, `pmulhw`), twice
// the lanes of 32-bit arithmetic.
const R_CR: i16 = 22_970; // 1.402
const G_CB: i16 = 5_638; // 0.344136
const G_CR: i16 = 11_700; // 0.714136
const B_CB: i16 = 29_032; // 1.772

/// A chroma sample's difference from the middle, times 32: ±4096, so that the high half of its
/// product with a 2.14 coefficient keeps three fractional bits.
#[inline(always)]
fn chroma(c: u8) -> i16 {
    (i16::from(c) - 128) << 5
}

/// The high 16 bits of a 16-bit product: here the product of a chroma difference and a coefficient,
/// with three fractional bits.
#[inline(always)]
fn mul_high(a: i16, b: i16) -> i16 {
    ((i32::from(a) * i32::from(b)) >> 16) as i16
}

/// Rounds a value with three fractional bits to an integer.
#[inline(always)]
fn scaled(v: i16) -> i16 {
    (v + 4) >> 3
}

#[inline(always)]
fn clamp(v: i16) -> u8 {
    v.clamp(0, 255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against T.871's formulas in floating point, rounded, for every Cb and Cr at several Y: at most
    /// one level apart (the 16-bit products drop fractions below an eighth), and rarely that.
    #[test]
    fn conversion_follows_the_formulas_to_one_level() {
        let (mut apart, mut total) = (0usize, 0usize);
        for y in [0u8, 1, 64, 128, 200, 254, 255] {
            for cb in 0..=255u8 {
                let cr: Vec<u8> = (0..=255).collect();
                let mut out = vec![0u8; 3 * 256];
                ycbcr_row(&[y; 256], &[cb; 256], &cr, &mut out, &mut Vec::new());
                for (cr, px) in cr.iter().zip(out.chunks_exact(3)) {
                    let (l, b, r) = (f64::from(y), f64::from(cb) - 128.0, f64::from(*cr) - 128.0);
                    let want = [l + 1.402 * r, l - 0.344_136 * b - 0.714_136 * r, l + 1.772 * b];
                    for (&got, want) in px.iter().zip(want) {
                        let want = want.round().clamp(0.0, 255.0);
                        let off = (f64::from(got) - want).abs();
                        assert!(off <= 1.0, "Y {y} Cb {cb} Cr {cr}: {got} for {want}");
                        apart += usize::from(off > 0.0);
                        total += 1;
                    }
                }
            }
        }
        assert!(apart * 50 < total, "{apart} of {total} values one level off");
    }
}
