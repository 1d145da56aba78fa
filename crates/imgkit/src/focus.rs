//! Focus: where a cover crop goes, chosen on the decoded image (already reduced by shrink-on-load) shrunk
//! to at most 256 pixels a side, so it costs a few milliseconds whatever the input.
//!
//! A cover crop cuts one axis only, so the choice is one position along that axis: for `entropy` the
//! window of the crop's size whose luminance has the most entropy, for `attention` the window centred on
//! the peak of a blurred 32×32 grid of saliency, as libvips' smartcrop does. Equal scores are settled by
//! position alone (the middle of a run of equal values, the run nearest the centre), so a mirrored or
//! rotated input (an EXIF twin) gets the mirrored crop.

use image::DynamicImage;

use crate::error::Result;
use crate::resize::Resizer;
use crate::scale::Region;
use crate::{Filter, Focus};

/// Longest side of the image the scores are computed on.
const ANALYSIS_SIDE: u32 = 256;

/// The top-left corner, in `full`-size stored pixels, of a `crop`-sized window of the image that `image`
/// shows whole, placed as `focus` says.
pub(crate) fn crop_origin(
    image: &DynamicImage,
    full: (u32, u32),
    crop: (f64, f64),
    focus: Focus,
    resizer: &mut Resizer,
) -> Result<(f64, f64)> {
    let (fw, fh) = (f64::from(full.0), f64::from(full.1));
    let centred = ((fw - crop.0) / 2.0, (fh - crop.1) / 2.0);
    let horizontal = crop.0 < fw;
    if focus == Focus::Center || (crop.0 >= fw && crop.1 >= fh) {
        return Ok(centred);
    }
    if focus == Focus::Attention {
        return attention_origin(image, (fw, fh), crop, resizer).map(|origin| origin.unwrap_or(centred));
    }
    let small = analysis_image(image, resizer)?;
    let (aw, ah) = small.dimensions();
    // Per column (a horizontal crop) or row (a vertical one) of the analysis image.
    let (lines, across, window) = if horizontal {
        (aw, ah, (crop.0 / fw * f64::from(aw)).round())
    } else {
        (ah, aw, (crop.1 / fh * f64::from(ah)).round())
    };
    let window = (window as u32).clamp(1, lines);
    let pixel = |line: u32, i: u32| {
        if horizontal {
            small.get_pixel(line, i).0
        } else {
            small.get_pixel(i, line).0
        }
    };
    let best = best_entropy(lines, across, window, |l, i| luma(pixel(l, i)));
    let Some(best) = best else {
        return Ok(centred);
    };
    // Back to full-size pixels, inside the image.
    let origin = best / f64::from(lines);
    Ok(if horizontal {
        ((origin * fw).clamp(0.0, fw - crop.0), centred.1)
    } else {
        (centred.0, (origin * fh).clamp(0.0, fh - crop.1))
    })
}

/// `image` as 8-bit RGBA, shrunk to at most [`ANALYSIS_SIDE`] a side.
fn analysis_image(image: &DynamicImage, resizer: &mut Resizer) -> Result<image::RgbaImage> {
    let size = (image.width(), image.height());
    let longest = size.0.max(size.1).max(1);
    if longest <= ANALYSIS_SIDE {
        return Ok(image.to_rgba8());
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(ANALYSIS_SIDE) + u64::from(longest) / 2) / u64::from(longest)).max(1)
            as u32
    };
    let region = Region::centred(size, None);
    Ok(resizer
        .resize(image, scale(size.0), scale(size.1), region, Filter::Box)?
        .to_rgba8())
}

/// BT.601 luma, 0–255, of an RGBA pixel.
fn luma([r, g, b, _]: [u8; 4]) -> u8 {
    ((299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b) + 500) / 1000) as u8
}

/// The start of the `window`-line run whose luminance histogram has the highest Shannon entropy; ties
/// to the centre, `None` for the centre itself.
fn best_entropy(lines: u32, across: u32, window: u32, luma_at: impl Fn(u32, u32) -> u8) -> Option<f64> {
    let mut histogram = [0u32; 256];
    let add = |histogram: &mut [u32; 256], line: u32, delta: i32| {
        for i in 0..across {
            let bin = &mut histogram[usize::from(luma_at(line, i))];
            *bin = bin.wrapping_add_signed(delta);
        }
    };
    (0..window).for_each(|l| add(&mut histogram, l, 1));
    let total = f64::from(window * across);
    // Entropy in millibits, so that windows with the same histogram compare equal.
    let entropy = |histogram: &[u32; 256]| -> u64 {
        let bits: f64 = histogram
            .iter()
            .filter(|&&n| n > 0)
            .map(|&n| {
                let p = f64::from(n) / total;
                -p * p.log2()
            })
            .sum();
        (bits * 1000.0).round() as u64
    };
    let mut scores = vec![entropy(&histogram)];
    for start in 1..=(lines - window) {
        add(&mut histogram, start + window - 1, 1);
        add(&mut histogram, start - 1, -1);
        scores.push(entropy(&histogram));
    }
    nearest_centre_max(&scores)
}

/// The index of the highest score. Equal scores side by side (a subject that fits in many windows) are
/// one run, and the run's middle is taken, so the subject ends up in the middle of the crop; of several
/// runs, the one nearest the middle of `scores`. `None` when a run covers that middle: the crop stays
/// exactly centred.
fn nearest_centre_max(scores: &[u64]) -> Option<f64> {
    let last = scores.len().saturating_sub(1);
    let best = scores.iter().copied().max().unwrap_or(0);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, &score) in scores.iter().enumerate() {
        match runs.last_mut() {
            Some((_, end)) if score == best && *end + 1 == i => *end = i,
            _ if score == best => runs.push((i, i)),
            _ => {}
        }
    }
    // Twice the distance to the middle, so that an even count compares in integers.
    let off_centre = |&(start, end): &(usize, usize)| {
        if 2 * start <= last && last <= 2 * end {
            0
        } else {
            (2 * start).abs_diff(last).min((2 * end).abs_diff(last))
        }
    };
    let run = runs.iter().min_by_key(|run| (off_centre(run), run.0))?;
    if off_centre(run) == 0 {
        return None;
    }
    // Halfway, which may fall between two windows: a mirrored input gets the mirrored position.
    Some((run.0 + run.1) as f64 / 2.0)
}

/// The side of the grid `attention` is placed on: libvips' smartcrop sums its scores into 32×32 cells,
/// which is also how finely it places the crop.
const GRID: usize = 32;

/// `attention` as libvips' smartcrop (sharp's strategy of that name) computes it. Per pixel of the
/// analysis image, weighted by alpha: the Sobel gradient of CIE L* (|gx| + |gy|), 255 for a skin tone
/// (a* 3–22, b* 4–31, L* ≥ 15) and 255 for a saturated colour (LCh chroma over 60). Those are summed into
/// a 32×32 grid of cell means, blurred by a Gaussian of a sixth of the crop's diagonal in cells, and the
/// crop is centred on the highest cell (of equal ones, the nearest the middle; `None` when that is one of
/// the four middle cells).
fn attention_origin(
    image: &DynamicImage,
    (fw, fh): (f64, f64),
    (cw, ch): (f64, f64),
    resizer: &mut Resizer,
) -> Result<Option<(f64, f64)>> {
    let small = analysis_image(image, resizer)?;
    let (w, h) = (small.width() as usize, small.height() as usize);
    let linear: [f64; 256] = std::array::from_fn(|v| srgb_to_linear(v as u8));
    let lab: Vec<[f64; 3]> = small.pixels().map(|p| lab(xyz(p.0, &linear))).collect();
    let l_at = |x: isize, y: isize| {
        let (x, y) = (
            x.clamp(0, w as isize - 1) as usize,
            y.clamp(0, h as isize - 1) as usize,
        );
        lab[y * w + x][0]
    };
    let mut sums = [[0.0f64; GRID]; GRID];
    let mut counts = [[0u32; GRID]; GRID];
    for (i, p) in small.pixels().enumerate() {
        let (x, y) = ((i % w) as isize, (i / w) as isize);
        let gx = l_at(x + 1, y - 1) + 2.0 * l_at(x + 1, y) + l_at(x + 1, y + 1)
            - l_at(x - 1, y - 1)
            - 2.0 * l_at(x - 1, y)
            - l_at(x - 1, y + 1);
        let gy = l_at(x - 1, y + 1) + 2.0 * l_at(x, y + 1) + l_at(x + 1, y + 1)
            - l_at(x - 1, y - 1)
            - 2.0 * l_at(x, y - 1)
            - l_at(x + 1, y - 1);
        let [l, a, b] = lab[i];
        let skin = (3.0..=22.0).contains(&a) && (4.0..=31.0).contains(&b) && l >= 15.0;
        let saturated = a.hypot(b) > 60.0;
        let mask = |on: bool| if on { 255.0 } else { 0.0 };
        let score = gx.abs() + gy.abs() + mask(skin) + mask(saturated);
        let (cx, cy) = (i % w * GRID / w, i / w * GRID / h);
        sums[cy][cx] += score * f64::from(p.0[3]) / 255.0;
        counts[cy][cx] += 1;
    }
    // A cell no pixel falls in (an analysis image under 32 pixels on a side) takes the mean of the cell
    // of the pixel nearest its start, as a stretch would.
    let means: Vec<f64> = (0..GRID * GRID)
        .map(|i| {
            let (mut cx, mut cy) = (i % GRID, i / GRID);
            if counts[cy][cx] == 0 {
                (cx, cy) = (cx * w / GRID * GRID / w, cy * h / GRID * GRID / h);
            }
            sums[cy][cx] / f64::from(counts[cy][cx].max(1))
        })
        .collect();
    let cells = GRID as f64;
    let sigma = (cw * cells / fw).hypot(ch * cells / fh) / 6.0;
    let blurred = gaussian_blur(&means, GRID, sigma.max(0.5));
    let best = blurred.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let off_centre = |i: usize| {
        let (x, y) = (
            (2 * (i % GRID)).abs_diff(GRID - 1),
            (2 * (i / GRID)).abs_diff(GRID - 1),
        );
        x * x + y * y
    };
    let peak = (0..GRID * GRID)
        .filter(|&i| blurred[i] == best)
        .min_by_key(|&i| (off_centre(i), i));
    let Some(peak) = peak.filter(|&i| off_centre(i) > 2) else {
        return Ok(None);
    };
    // The centre of the peak cell, in full-size pixels.
    let (x, y) = ((peak % GRID) as f64 + 0.5, (peak / GRID) as f64 + 0.5);
    let (ax, ay) = (x * fw / cells, y * fh / cells);
    Ok(Some((
        (ax - cw / 2.0).clamp(0.0, (fw - cw).max(0.0)),
        (ay - ch / 2.0).clamp(0.0, (fh - ch).max(0.0)),
    )))
}

/// The linear light of an 8-bit sRGB value, 0–1.
fn srgb_to_linear(v: u8) -> f64 {
    let c = f64::from(v) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// CIE XYZ (D65, white Y = 100) of an 8-bit sRGB pixel, with `linear` the table of [`srgb_to_linear`].
fn xyz([r, g, b, _]: [u8; 4], linear: &[f64; 256]) -> [f64; 3] {
    let (r, g, b) = (
        linear[usize::from(r)],
        linear[usize::from(g)],
        linear[usize::from(b)],
    );
    [
        100.0 * (0.4124 * r + 0.3576 * g + 0.1805 * b),
        100.0 * (0.2126 * r + 0.7152 * g + 0.0722 * b),
        100.0 * (0.0193 * r + 0.1192 * g + 0.9505 * b),
    ]
}

/// CIE L*a*b* (D65) of an XYZ colour.
fn lab([x, y, z]: [f64; 3]) -> [f64; 3] {
    let (x, y, z) = (x / 95.047, y / 100.0, z / 108.883);
    let f = |t: f64| {
        if t > 216.0 / 24389.0 {
            t.cbrt()
        } else {
            (24389.0 / 27.0 * t + 16.0) / 116.0
        }
    };
    let (fx, fy, fz) = (f(x), f(y), f(z));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// A separable Gaussian blur of an `n`×`n` grid, edges extended.
fn gaussian_blur(values: &[f64], n: usize, sigma: f64) -> Vec<f64> {
    let radius = (3.0 * sigma).ceil() as i64;
    let kernel: Vec<f64> = (-radius..=radius)
        .map(|d| (-((d * d) as f64) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    let pass = |src: &[f64], horizontal: bool| -> Vec<f64> {
        (0..n * n)
            .map(|i| {
                let (x, y) = ((i % n) as i64, (i / n) as i64);
                let sum: f64 = (-radius..=radius)
                    .map(|d| {
                        let (sx, sy) = if horizontal { (x + d, y) } else { (x, y + d) };
                        let at = |v: i64| v.clamp(0, n as i64 - 1) as usize;
                        kernel[(d + radius) as usize] * src[at(sy) * n + at(sx)]
                    })
                    .sum();
                sum / total
            })
            .collect()
    };
    pass(&pass(values, true), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    /// A flat grey 400×200 field with a textured, coloured 40×40 subject whose left edge is at `x`.
    fn subject_at(x: u32) -> DynamicImage {
        DynamicImage::ImageRgba8(RgbaImage::from_fn(400, 200, |px, py| {
            if (x..x + 40).contains(&px) && (80..120).contains(&py) {
                if (px / 4 + py / 4) % 2 == 0 {
                    Rgba([220, 40, 40, 255])
                } else {
                    Rgba([40, 40, 200, 255])
                }
            } else {
                Rgba([128, 128, 128, 255])
            }
        }))
    }

    #[test]
    fn content_aware_crops_hold_an_off_centre_subject() {
        let image = subject_at(20);
        for focus in [Focus::Entropy, Focus::Attention] {
            let (left, top) =
                crop_origin(&image, (400, 200), (200.0, 200.0), focus, &mut Resizer::default()).unwrap();
            assert_eq!(top, 0.0);
            assert!(left <= 20.0 && left + 200.0 >= 60.0, "{focus}: {left}");
        }
        let centre = crop_origin(
            &image,
            (400, 200),
            (200.0, 200.0),
            Focus::Center,
            &mut Resizer::default(),
        );
        assert_eq!(centre.unwrap(), (100.0, 0.0));
    }

    #[test]
    fn a_flat_image_is_cropped_in_the_middle() {
        let flat = DynamicImage::ImageRgba8(RgbaImage::from_pixel(300, 100, Rgba([9, 99, 199, 255])));
        for focus in Focus::ALL {
            let origin = crop_origin(&flat, (300, 100), (100.0, 100.0), focus, &mut Resizer::default());
            assert_eq!(origin.unwrap(), (100.0, 0.0), "{focus}");
        }
    }

    #[test]
    fn a_mirrored_image_gets_the_mirrored_crop() {
        let image = subject_at(300);
        let mirrored = image.fliph();
        for focus in [Focus::Entropy, Focus::Attention] {
            let (a, _) =
                crop_origin(&image, (400, 200), (150.0, 200.0), focus, &mut Resizer::default()).unwrap();
            let (b, _) = crop_origin(
                &mirrored,
                (400, 200),
                (150.0, 200.0),
                focus,
                &mut Resizer::default(),
            )
            .unwrap();
            assert_eq!(a, 400.0 - 150.0 - b, "{focus}");
        }
    }

    /// CIE Lab of sRGB white, black and primaries, against the published values (within 0.1).
    #[test]
    fn lab_matches_the_reference_values() {
        let linear: [f64; 256] = std::array::from_fn(|v| srgb_to_linear(v as u8));
        let cases = [
            ([255, 255, 255], [100.0, 0.0, 0.0]),
            ([0, 0, 0], [0.0, 0.0, 0.0]),
            ([255, 0, 0], [53.24, 80.09, 67.20]),
            ([0, 255, 0], [87.73, -86.18, 83.18]),
            ([0, 0, 255], [32.30, 79.19, -107.86]),
        ];
        for ([r, g, b], want) in cases {
            let got = lab(xyz([r, g, b, 255], &linear));
            assert!(
                got.iter().zip(want).all(|(g, w)| (g - w).abs() < 0.1),
                "{r},{g},{b}: {got:?}"
            );
        }
    }

    #[test]
    fn ties_go_to_the_middle() {
        assert_eq!(nearest_centre_max(&[1, 1, 1, 1, 1]), None);
        assert_eq!(nearest_centre_max(&[1, 2, 2, 1]), None);
        assert_eq!(nearest_centre_max(&[1, 1, 2, 1]), Some(2.0));
        assert_eq!(nearest_centre_max(&[5, 1, 1, 1, 5]), Some(0.0));
        assert_eq!(nearest_centre_max(&[0, 9, 1, 1, 9, 9]), Some(1.0));
        assert_eq!(nearest_centre_max(&[0, 9, 1, 1, 1, 9, 0]), Some(1.0));
        assert_eq!(nearest_centre_max(&[9, 9, 1, 1, 1, 1, 1, 1]), Some(0.5));
        assert_eq!(nearest_centre_max(&[1, 1, 1, 1, 1, 1, 9, 9]), Some(6.5));
    }
}
