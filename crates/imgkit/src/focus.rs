//! Focus: where a cover crop goes, chosen on the decoded image (already reduced by shrink-on-load) shrunk
//! to at most 256 pixels a side, so it costs a few milliseconds whatever the input.
//!
//! A cover crop cuts one axis only, so the choice is one position along that axis: for `entropy` the
//! window of the crop's size whose luminance has the most entropy, for `attention` the window centred on
//! the peak of the saliency profile (blurred). Scores are integers summed exactly, and equal ones are
//! settled by position alone (the middle of a run of equal values, the run nearest the centre), so a
//! mirrored or rotated input (an EXIF twin) gets the mirrored crop.

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
    let best = match focus {
        Focus::Entropy => best_entropy(lines, across, window, |l, i| luma(pixel(l, i))),
        _ => {
            let scores = attention(&small);
            let score = |l: u32, i: u32| {
                let (x, y) = if horizontal { (l, i) } else { (i, l) };
                scores[(y * aw + x) as usize]
            };
            let profile: Vec<u64> = (0..lines)
                .map(|l| (0..across).map(|i| u64::from(score(l, i))).sum())
                .collect();
            // As libvips' smartcrop: the crop is centred on the peak of the blurred saliency (here its
            // profile along the cut axis, blurred over a sixteenth of it).
            let peak = nearest_centre_max(&box_blur(&profile, (lines / 16).max(1) as usize));
            let last_start = f64::from(lines - window);
            peak.map(|p| (p + 0.5 - f64::from(window) / 2.0).clamp(0.0, last_start))
        }
    };
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

/// Each value summed with its `radius` neighbours on both sides (fewer at the ends).
fn box_blur(values: &[u64], radius: usize) -> Vec<u64> {
    let last = values.len().saturating_sub(1);
    (0..values.len())
        .map(|i| {
            values[i.saturating_sub(radius)..=(i + radius).min(last)]
                .iter()
                .sum()
        })
        .collect()
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

/// Per pixel, what draws the eye, in the manner of sharp's `attention` (libvips' smartcrop): luminance
/// edges, colour saturation and skin tones, each 0–255, summed; transparent pixels count for nothing.
fn attention(image: &image::RgbaImage) -> Vec<u32> {
    let (w, h) = image.dimensions();
    let luma: Vec<i32> = image.pixels().map(|p| i32::from(luma(p.0))).collect();
    let at = |x: i64, y: i64| {
        let (x, y) = (x.clamp(0, i64::from(w) - 1), y.clamp(0, i64::from(h) - 1));
        luma[(y * i64::from(w) + x) as usize]
    };
    image
        .enumerate_pixels()
        .map(|(x, y, p)| {
            let (xi, yi) = (i64::from(x), i64::from(y));
            // The 4-neighbour Laplacian of luminance: high on edges and texture, zero on flat areas and
            // even gradients.
            let laplacian =
                4 * at(xi, yi) - at(xi - 1, yi) - at(xi + 1, yi) - at(xi, yi - 1) - at(xi, yi + 1);
            let edge = laplacian.unsigned_abs().min(255);
            let [r, g, b, a] = p.0;
            let saturation = u32::from(r.max(g).max(b) - r.min(g).min(b));
            let score = edge + saturation + if skin(r, g, b) { 255 } else { 0 };
            score * u32::from(a) / 255
        })
        .collect()
}

/// A skin tone, by the chroma box of Chai and Ngan (Cb 77–127, Cr 133–173), away from the darkest
/// shadows.
fn skin(r: u8, g: u8, b: u8) -> bool {
    let (r, g, b) = (f64::from(r), f64::from(g), f64::from(b));
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = 128.0 + (b - y) * 0.564;
    let cr = 128.0 + (r - y) * 0.713;
    y > 40.0 && (77.0..=127.0).contains(&cb) && (133.0..=173.0).contains(&cr)
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
