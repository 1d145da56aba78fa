//! Stage 4: resampling with fast_image_resize (SIMD), alpha-correct, with reused scratch buffers.

use fast_image_resize as fr;
use image::DynamicImage;

use crate::error::{Error, Result};
use crate::{Filter, Plan};

/// Owns fast_image_resize's scratch buffers, so a [`Processor`](crate::Processor) reuses them across images.
#[derive(Default)]
pub(crate) struct Resizer {
    inner: fr::Resizer,
}

impl Resizer {
    /// Resamples `src` (stored orientation) to `width × height`, using the centred crop of `plan`.
    ///
    /// Alpha is premultiplied before filtering and divided out after (fast_image_resize's `mul_div_alpha`),
    /// so transparent pixels' colours cannot bleed into edges as dark fringes.
    pub(crate) fn resize(
        &mut self,
        src: &DynamicImage,
        width: u32,
        height: u32,
        crop: Option<(f64, f64)>,
        filter: Filter,
    ) -> Result<DynamicImage> {
        if (width, height) == (src.width(), src.height()) && crop.is_none() {
            return Ok(src.clone());
        }
        let mut dst = DynamicImage::new(width, height, src.color());
        let mut options = fr::ResizeOptions::new()
            .resize_alg(algorithm(filter))
            .use_alpha(true);
        if let Some((cw, ch)) = crop {
            let (sw, sh) = (f64::from(src.width()), f64::from(src.height()));
            options = options.crop((sw - cw) / 2.0, (sh - ch) / 2.0, cw, ch);
        }
        self.inner
            .resize(src, &mut dst, &options)
            .map_err(|e| Error::Internal {
                stage: "resize",
                reason: e.to_string(),
            })?;
        Ok(dst)
    }
}

/// The plan's crop and size in stored orientation: orientations 5–8 swap the axes, and since crops are
/// always centred, swapping width and height is the whole mapping.
pub(crate) fn stored_plan(plan: Plan, swaps: bool) -> Plan {
    if swaps {
        Plan {
            width: plan.height,
            height: plan.width,
            crop: plan.crop.map(|(w, h)| (h, w)),
        }
    } else {
        plan
    }
}

fn algorithm(filter: Filter) -> fr::ResizeAlg {
    use fr::FilterType as F;
    match filter {
        Filter::Lanczos3 => fr::ResizeAlg::Convolution(F::Lanczos3),
        Filter::CatmullRom => fr::ResizeAlg::Convolution(F::CatmullRom),
        Filter::Mitchell => fr::ResizeAlg::Convolution(F::Mitchell),
        Filter::Bilinear => fr::ResizeAlg::Convolution(F::Bilinear),
        Filter::Box => fr::ResizeAlg::Convolution(F::Box),
        Filter::Nearest => fr::ResizeAlg::Nearest,
    }
}

/// The resize and orient stages alone, from a synthetic image, for the `resize` fuzz target. Returns the
/// displayed output size, which the target compares with [`plan`](crate::plan).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn fuzz_resize(
    width: u32,
    height: u32,
    channels: u8,
    fill: &[u8],
    target: (Option<u32>, Option<u32>),
    fit: crate::Fit,
    enlarge: bool,
    filter: Filter,
    orientation: crate::Orientation,
) -> Result<(u32, u32)> {
    use image::{GrayAlphaImage, GrayImage, RgbImage, RgbaImage};
    let len = width as usize * height as usize * usize::from(channels.clamp(1, 4));
    let pixels: Vec<u8> = fill
        .iter()
        .copied()
        .chain(std::iter::repeat(0x80))
        .take(len)
        .collect();
    let bad = || Error::Internal {
        stage: "fuzz_resize",
        reason: "buffer size".into(),
    };
    let src = match channels.clamp(1, 4) {
        1 => DynamicImage::ImageLuma8(GrayImage::from_raw(width, height, pixels).ok_or_else(bad)?),
        2 => DynamicImage::ImageLumaA8(GrayAlphaImage::from_raw(width, height, pixels).ok_or_else(bad)?),
        3 => DynamicImage::ImageRgb8(RgbImage::from_raw(width, height, pixels).ok_or_else(bad)?),
        _ => DynamicImage::ImageRgba8(RgbaImage::from_raw(width, height, pixels).ok_or_else(bad)?),
    };
    let swaps = orientation.swaps_dimensions();
    let (dw, dh) = if swaps { (height, width) } else { (width, height) };
    let stored = stored_plan(crate::plan(dw, dh, target.0, target.1, fit, enlarge), swaps);
    let mut out = Resizer::default().resize(&src, stored.width, stored.height, stored.crop, filter)?;
    crate::orient::apply(&mut out, orientation);
    Ok((out.width(), out.height()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    /// Opaque white square in the middle of fully transparent *black* pixels: without premultiplied
    /// alpha, the black bleeds into the square's edge and the edge pixels come out grey.
    #[test]
    fn transparent_edges_leave_no_dark_fringe() {
        let mut img = RgbaImage::from_pixel(64, 64, Rgba([0, 0, 0, 0]));
        for y in 16..48 {
            for x in 16..48 {
                img.put_pixel(x, y, Rgba([255, 255, 255, 255]));
            }
        }
        let out = Resizer::default()
            .resize(&DynamicImage::ImageRgba8(img), 21, 21, None, Filter::Lanczos3)
            .unwrap()
            .to_rgba8();
        for p in out.pixels().filter(|p| p[3] >= 16) {
            assert!(
                p[0] >= 250 && p[1] >= 250 && p[2] >= 250,
                "dark fringe pixel {p:?}"
            );
        }
        assert!(
            out.pixels().any(|p| p[3] > 0 && p[3] < 255),
            "the edge should be partially transparent"
        );
    }

    #[test]
    fn crop_takes_the_centre() {
        // Left third red, middle green, right third blue; a centred square crop must be all green.
        let img = image::RgbImage::from_fn(90, 30, |x, _| match x / 30 {
            0 => image::Rgb([255, 0, 0]),
            1 => image::Rgb([0, 255, 0]),
            _ => image::Rgb([0, 0, 255]),
        });
        let out = Resizer::default()
            .resize(
                &DynamicImage::ImageRgb8(img),
                10,
                10,
                Some((30.0, 30.0)),
                Filter::Bilinear,
            )
            .unwrap()
            .to_rgb8();
        assert!(
            out.pixels().all(|p| p[1] > 200 && p[0] < 60 && p[2] < 60),
            "{:?}",
            out.get_pixel(0, 0)
        );
    }

    #[test]
    fn stored_plan_swaps_for_transposing_orientations() {
        let p = Plan {
            width: 40,
            height: 30,
            crop: Some((400.0, 300.0)),
        };
        assert_eq!(stored_plan(p, false), p);
        assert_eq!(
            stored_plan(p, true),
            Plan {
                width: 30,
                height: 40,
                crop: Some((300.0, 400.0))
            }
        );
    }
}
