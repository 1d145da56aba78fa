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
        *r = clamp(i32::from(y) + scaled(R_CR * chroma(cr)));
    }
    for (((g, &y), &cb), &cr) in g.iter_mut().zip(y).zip(cb).zip(cr) {
        *g = clamp(i32::from(y) - scaled(G_CB * chroma(cb) + G_CR * chroma(cr)));
    }
    for ((b, &y), &cb) in b.iter_mut().zip(y).zip(cb) {
        *b = clamp(i32::from(y) + scaled(B_CB * chroma(cb)));
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

// T.871's coefficients in 2.14 fixed point: small enough that every product of a coefficient and a
// chroma difference fits 16-bit multiplies, which vectorise even on plain SSE2.
const R_CR: i32 = 22_970; // 1.402
const G_CB: i32 = 5_638; // 0.344136
const G_CR: i32 = 11_700; // 0.714136
const B_CB: i32 = 29_032; // 1.772

#[inline(always)]
fn chroma(c: u8) -> i32 {
    i32::from(c) - 128
}

/// A 2.14 fixed-point product, rounded to an integer.
#[inline(always)]
fn scaled(v: i32) -> i32 {
    (v + (1 << 13)) >> 14
}

#[inline(always)]
fn clamp(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}
