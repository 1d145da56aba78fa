//! Resize: resampling with fast_image_resize (SIMD), alpha-correct, with reused scratch buffers: of a
//! whole image, or ([`rows`]) of one handed over a row at a time.

use fast_image_resize as fr;
use image::DynamicImage;

use crate::error::Result;
use crate::scale::Region;
use crate::Filter;

#[cfg(feature = "fuzzing")]
mod fuzz;
mod kernel;
mod rows;

#[cfg(feature = "fuzzing")]
pub use fuzz::fuzz_resize;
use kernel::{internal, options, reach};
pub(crate) use rows::RowResize;

/// Owns fast_image_resize's scratch buffers, and those of [`RowResize`], so a
/// [`Processor`](crate::Processor) reuses them across images.
#[derive(Default)]
pub(crate) struct Resizer {
    inner: fr::Resizer,
    mul_div: fr::MulDiv,
    /// [`RowResize`]'s source rows and vertical-pass band.
    window: Vec<u8>,
    band: Vec<u8>,
}

impl Resizer {
    /// Resamples the `region` of `src` (stored orientation) to `width × height`.
    ///
    /// Alpha is premultiplied before filtering and divided out after (fast_image_resize's `mul_div_alpha`),
    /// so transparent pixels' colours cannot bleed into edges as dark fringes.
    pub(crate) fn resize(
        &mut self,
        src: &DynamicImage,
        width: u32,
        height: u32,
        region: Region,
        filter: Filter,
    ) -> Result<DynamicImage> {
        let size = (src.width(), src.height());
        if (width, height) == size && region.is_whole(size) {
            return Ok(src.clone());
        }
        let Region {
            left,
            top,
            width: cw,
            height: ch,
        } = region;
        let mut dst = DynamicImage::new(width, height, src.color());
        if filter == Filter::Nearest || !both_axes(width, height, region) {
            let options = options(filter, true, (left, top, cw, ch));
            self.inner.resize(src, &mut dst, &options).map_err(internal)?;
            return Ok(dst);
        }
        self.resize_in_two_calls(src, &mut dst, (left, top, cw, ch), filter)?;
        Ok(dst)
    }

    /// Both axes through fast_image_resize, one axis per call.
    ///
    /// In one call, fast_image_resize 6.1 sizes its intermediate image from the first and last filter
    /// windows, assuming the windows in between never start earlier or end later. Trimming exact zero
    /// weights breaks that (found by the `resize` fuzz target: a 270×2 image, cover-enlarged to 769×512
    /// with Catmull-Rom), and the release build then reads out of bounds and crashes. A call that
    /// resamples one axis indexes each window on its own, so two calls are safe. They do what the
    /// library does inside one call for 8-bit pixels (vertical pass first, an 8-bit intermediate
    /// limited to the columns the horizontal filter reaches) and give the same pixels; alpha is
    /// premultiplied once around both calls, as the library does around its two passes.
    fn resize_in_two_calls(
        &mut self,
        src: &DynamicImage,
        dst: &mut DynamicImage,
        (left, top, cw, ch): (f64, f64, f64, f64),
        filter: Filter,
    ) -> Result<()> {
        let alpha = src.color().has_alpha();
        let premultiplied;
        let src = if alpha {
            let mut p = DynamicImage::new(src.width(), src.height(), src.color());
            self.mul_div.multiply_alpha(src, &mut p).map_err(internal)?;
            premultiplied = p;
            &premultiplied
        } else {
            src
        };
        let (x0, x1) = reach(left, cw, src.width(), dst.width(), filter);
        let columns = x1 - x0;
        let mut between = DynamicImage::new(columns, dst.height(), src.color());
        let vertical = options(filter, false, (f64::from(x0), top, f64::from(columns), ch));
        self.inner
            .resize(src, &mut between, &vertical)
            .map_err(internal)?;
        let horizontal = options(
            filter,
            false,
            (left - f64::from(x0), 0.0, cw, f64::from(dst.height())),
        );
        self.inner.resize(&between, dst, &horizontal).map_err(internal)?;
        if alpha {
            self.mul_div.divide_alpha_inplace(dst).map_err(internal)?;
        }
        Ok(())
    }
}

/// Whether resizing `region` to `width × height` resamples both axes (else fast_image_resize makes one
/// pass, or copies).
pub(crate) fn both_axes(width: u32, height: u32, region: Region) -> bool {
    let horizontal = f64::from(width) != region.width || region.left != region.left.round();
    let vertical = f64::from(height) != region.height || region.top != region.top.round();
    horizontal && vertical
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    fn noise(width: u32, height: u32, color: image::ColorType) -> DynamicImage {
        let mut img = DynamicImage::new(width, height, color);
        let mut state = 0x9e37_79b9_u32;
        match &mut img {
            DynamicImage::ImageLuma8(i) => i.iter_mut(),
            DynamicImage::ImageLumaA8(i) => i.iter_mut(),
            DynamicImage::ImageRgb8(i) => i.iter_mut(),
            DynamicImage::ImageRgba8(i) => i.iter_mut(),
            _ => unreachable!("8-bit layouts only"),
        }
        .for_each(|v| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *v = (state >> 24) as u8;
        });
        img
    }

    const LAYOUTS: [image::ColorType; 4] = [
        image::ColorType::L8,
        image::ColorType::La8,
        image::ColorType::Rgb8,
        image::ColorType::Rgba8,
    ];

    /// Found by the `resize` fuzz target: fast_image_resize 6.1 in one call overflowed (debug) or read out
    /// of bounds and crashed (release) on this tiny, fractional, enlarged crop.
    #[test]
    fn a_tiny_enlarged_crop_resizes_without_crashing() {
        let plan = crate::plan(270, 2, Some(769), Some(512), crate::Fit::Cover, true);
        for color in LAYOUTS {
            for filter in [
                Filter::CatmullRom,
                Filter::Lanczos3,
                Filter::Mitchell,
                Filter::Bilinear,
                Filter::Box,
            ] {
                let out = Resizer::default()
                    .resize(
                        &noise(270, 2, color),
                        plan.width,
                        plan.height,
                        Region::centred((270, 2), plan.crop),
                        filter,
                    )
                    .unwrap();
                assert_eq!((out.width(), out.height()), (769, 512), "{color:?} {filter:?}");
            }
        }
    }

    /// The two-call path gives the pixels fast_image_resize gives in one call, where that call is sound.
    #[test]
    fn two_calls_match_one_call() {
        let cases = [
            (300, 200, 97, 61, None),
            (300, 200, 120, 120, Some((200.0, 200.0))),
            (64, 48, 200, 150, None),
            (101, 77, 40, 40, Some((77.0, 77.0))),
        ];
        for color in LAYOUTS {
            for (sw, sh, w, h, crop) in cases {
                let src = noise(sw, sh, color);
                let ours = Resizer::default()
                    .resize(&src, w, h, Region::centred((sw, sh), crop), Filter::Lanczos3)
                    .unwrap();
                let mut theirs = DynamicImage::new(w, h, color);
                let (cw, ch) = crop.unwrap_or((f64::from(sw), f64::from(sh)));
                let options = fr::ResizeOptions::new().crop(
                    (f64::from(sw) - cw) / 2.0,
                    (f64::from(sh) - ch) / 2.0,
                    cw,
                    ch,
                );
                fr::Resizer::new().resize(&src, &mut theirs, &options).unwrap();
                let worst = ours
                    .as_bytes()
                    .iter()
                    .zip(theirs.as_bytes())
                    .map(|(a, b)| a.abs_diff(*b))
                    .max()
                    .unwrap();
                assert!(
                    worst <= 1,
                    "{color:?} {sw}x{sh} -> {w}x{h} {crop:?}: differs by {worst}"
                );
            }
        }
    }

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
            .resize(
                &DynamicImage::ImageRgba8(img),
                21,
                21,
                Region::centred((64, 64), None),
                Filter::Lanczos3,
            )
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
                Region::centred((90, 30), Some((30.0, 30.0))),
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
}
