//! Chroma upsampling, a row at a time: libjpeg's "fancy" (triangle) filter where a plane has half the
//! output's resolution on an axis, plain replication for the rarer larger ratios.
//!
//! The triangle filter places each chroma sample between the two output pixels it covers, weighting it 3/4
//! and its neighbour 1/4 on each axis, with libjpeg's rounding (so a full-size decode matches libjpeg's and
//! jpeg-decoder's to the byte). Edges repeat the last real sample, as libjpeg does.

/// A component's decoded samples and how many output pixels each covers.
pub(crate) struct Plane<'a> {
    pub(crate) samples: &'a [u8],
    pub(crate) stride: usize,
    /// Sample rows held: row `r` of the component is at `r % rows` (a streaming frame's planes hold
    /// two rows of units in turn; a whole plane holds every row).
    pub(crate) rows: usize,
    pub(crate) up_x: usize,
    pub(crate) up_y: usize,
}

/// Buffers reused from row to row.
#[derive(Default)]
pub(crate) struct Scratch {
    sums: Vec<u16>,
    row: Vec<u8>,
}

/// Output row `y` of a `width`×`height` image, from `plane`: the plane's own row when it is at full
/// resolution, otherwise upsampled into `scratch`.
pub(crate) fn row<'a>(
    plane: &Plane<'a>,
    y: usize,
    width: usize,
    height: usize,
    scratch: &'a mut Scratch,
) -> &'a [u8] {
    let Plane {
        samples,
        stride,
        rows,
        up_x,
        up_y,
    } = *plane;
    let sample_row = |r: usize| {
        let at = r % rows * stride;
        &samples[at..at + stride]
    };
    if (up_x, up_y) == (1, 1) {
        return &sample_row(y)[..width];
    }
    let (real_w, real_h) = (width.div_ceil(up_x), height.div_ceil(up_y));
    let near_index = y / up_y;
    let near = &sample_row(near_index)[..real_w];
    // The vertical neighbour: the sample row above for the upper output row of a pair, below for the lower.
    let far = || {
        let far_index = if y.is_multiple_of(2) {
            near_index.saturating_sub(1)
        } else {
            (near_index + 1).min(real_h - 1)
        };
        &sample_row(far_index)[..real_w]
    };
    let Scratch { sums, row } = scratch;
    row.resize(real_w * up_x, 0);
    match (up_x, up_y) {
        (2, 1) => {
            sums.clear();
            sums.extend(near.iter().map(|&s| u16::from(s)));
            triangle(sums, row, [1, 2], 2);
        }
        (2, 2) => {
            sums.clear();
            sums.extend(
                near.iter()
                    .zip(far())
                    .map(|(&n, &f)| 3 * u16::from(n) + u16::from(f)),
            );
            triangle(sums, row, [8, 7], 4);
        }
        (1, 2) => {
            let bias = if y.is_multiple_of(2) { 1 } else { 2 };
            for ((out, &n), &f) in row.iter_mut().zip(near).zip(far()) {
                *out = ((3 * u16::from(n) + u16::from(f) + bias) >> 2) as u8;
            }
        }
        _ => {
            // Replication: `up_x` is a power of two.
            let shift = up_x.trailing_zeros();
            for (x, out) in row.iter_mut().enumerate() {
                *out = near[x >> shift];
            }
        }
    }
    &row[..width]
}

/// Doubles `sums` horizontally into `out` (twice as long) with the triangle filter: output `2i` is
/// `(3·sums[i] + sums[i-1] + bias[0]) >> shift`, output `2i+1` is `(3·sums[i] + sums[i+1] + bias[1]) >> shift`,
/// the missing neighbour at either end being the sample itself.
fn triangle(sums: &[u16], out: &mut [u8], bias: [u16; 2], shift: u32) {
    let pair = |here: u16, left: u16, right: u16| {
        [
            ((3 * here + left + bias[0]) >> shift) as u8,
            ((3 * here + right + bias[1]) >> shift) as u8,
        ]
    };
    let n = sums.len();
    if n == 1 {
        out[..2].copy_from_slice(&pair(sums[0], sums[0], sums[0]));
        return;
    }
    out[..2].copy_from_slice(&pair(sums[0], sums[0], sums[1]));
    // The inside, without edge tests, so it vectorises.
    for (o, w) in out[2..2 * n - 2].chunks_exact_mut(2).zip(sums.windows(3)) {
        o.copy_from_slice(&pair(w[1], w[0], w[2]));
    }
    out[2 * n - 2..2 * n].copy_from_slice(&pair(sums[n - 1], sums[n - 2], sums[n - 1]));
}
