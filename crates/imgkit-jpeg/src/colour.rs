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
        *r = to_u8(f32::from(y) + R_CR * (f32::from(cr) - 128.0));
    }
    for (((g, &y), &cb), &cr) in g.iter_mut().zip(y).zip(cb).zip(cr) {
        *g = to_u8(f32::from(y) - G_CB * (f32::from(cb) - 128.0) - G_CR * (f32::from(cr) - 128.0));
    }
    for ((b, &y), &cb) in b.iter_mut().zip(y).zip(cb) {
        *b = to_u8(f32::from(y) + B_CB * (f32::from(cb) - 128.0));
    }
    for (((px, &r), &g), &b) in out.chunks_exact_mut(3).zip(&*r).zip(&*g).zip(&*b) {
        px.copy_from_slice(&[r, g, b]);
    }
}

const R_CR: f32 = 1.402;
const G_CB: f32 = 0.344_136_3;
const G_CR: f32 = 0.714_136_3;
const B_CB: f32 = 1.772;

/// Clamped and rounded: adding 1.5 * 2^23 leaves the rounded integer in the low mantissa bits, which
/// vectorises where a float-to-integer cast does not.
#[inline(always)]
fn to_u8(v: f32) -> u8 {
    ((v.clamp(0.0, 255.0) + 12_582_912.0).to_bits() & 0xFF) as u8
}
