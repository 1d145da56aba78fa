//! Where each rendition's pixels come from: the DCT scale a JPEG is decoded at, which larger rendition a
//! smaller one may start from, and a plan's crop box in the pixels of either. The one place that does
//! this arithmetic; everything else asks it.

use crate::Plan;

/// How many times a rendition's size its source must stay when imgkit decodes at reduced scale or
/// resizes from a larger rendition: at least 1 (a source smaller than the rendition would enlarge).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Margin(f64);

impl Margin {
    /// `margin`, or 1 when smaller; `fallback` when not a number.
    pub(crate) fn new(margin: f64, fallback: f64) -> Margin {
        Margin(if margin.is_nan() { fallback } else { margin }.max(1.0))
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

/// An image that shows the whole full-size image: its size, and how many of its pixels stand for one
/// full-size pixel on each axis.
///
/// The two differ for a DCT-scaled decode: at 1/s, a W-pixel side becomes ceil(W/s) pixels that cover
/// W/s of the image (the last pixel is partial). Treating them as ceil(W/s) whole pixels stretches the
/// picture by up to s-1 full-size pixels, a visible shift and blur in the thumbnail (a 4128×2322 photo at
/// 1/8 loses 10 dB PSNR that way), so every region is computed from the scale, never from the size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct View {
    pub(crate) size: (u32, u32),
    pub(crate) scale: (f64, f64),
}

impl View {
    /// The full-size image itself.
    pub(crate) fn full(full: (u32, u32)) -> View {
        View {
            size: full,
            scale: (1.0, 1.0),
        }
    }

    /// A decode at 1/`shrink` of the full image (1: full size).
    pub(crate) fn decoded(size: (u32, u32), shrink: u32) -> View {
        let s = 1.0 / f64::from(shrink.max(1));
        View { size, scale: (s, s) }
    }

    /// A rendition of `size` resized from the whole `full`-sized image (no crop).
    pub(crate) fn resized(size: (u32, u32), full: (u32, u32)) -> View {
        View {
            size,
            scale: (
                f64::from(size.0) / f64::from(full.0.max(1)),
                f64::from(size.1) / f64::from(full.1.max(1)),
            ),
        }
    }
}

/// A rectangle of source pixels; its edges may fall between pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Region {
    pub(crate) left: f64,
    pub(crate) top: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
}

impl Region {
    /// A `crop` of (width, height) centred in an image of `size`; all of it when `None`.
    pub(crate) fn centred(size: (u32, u32), crop: Option<(f64, f64)>) -> Region {
        let (w, h) = (f64::from(size.0), f64::from(size.1));
        let (cw, ch) = crop.unwrap_or((w, h));
        Region {
            left: (w - cw) / 2.0,
            top: (h - ch) / 2.0,
            width: cw,
            height: ch,
        }
    }

    /// Whether it is exactly the whole image of `size`.
    pub(crate) fn is_whole(&self, size: (u32, u32)) -> bool {
        *self == Region::centred(size, None)
    }
}

/// The exact region of `view` that `plan` reads: the plan's crop (or the whole `full`-sized image),
/// centred in full-size coordinates, then scaled by the view's scale. Its edges may fall inside pixels.
pub(crate) fn source_region(plan: &Plan, view: View, full: (u32, u32)) -> Region {
    let whole = Region::centred(full, plan.crop);
    let (sx, sy) = view.scale;
    Region {
        left: whole.left * sx,
        top: whole.top * sy,
        width: whole.width * sx,
        height: whole.height * sy,
    }
}

/// `(available, needed)` per axis: the pixels of `view` a rendition reads, and the rendition's size.
fn needs(plan: &Plan, view: View, full: (u32, u32)) -> [(f64, f64); 2] {
    let region = source_region(plan, view, full);
    [
        (region.width, f64::from(plan.width)),
        (region.height, f64::from(plan.height)),
    ]
}

/// Whether `view` still has `margin` times the pixels `plan` needs on both axes.
pub(crate) fn holds(view: View, plan: &Plan, full: (u32, u32), margin: Margin) -> bool {
    needs(plan, view, full)
        .iter()
        .all(|&(available, needed)| available >= needed * margin.0)
}

/// The largest DCT scale denominator (8, 4, 2, else 1) at which every plan still has `margin` times its
/// pixels; `None` (exact) decodes at full size.
///
/// Keeping `margin` ≥ 2 (the rule of libvips' `thumbnail`) leaves the exact Lanczos resize enough pixels
/// to keep the result indistinguishable from resizing the full image; decoding straight down to the
/// target costs sharpness.
pub(crate) fn decode_shrink<'a>(
    plans: impl IntoIterator<Item = &'a Plan>,
    full: (u32, u32),
    margin: Option<Margin>,
) -> u32 {
    let Some(margin) = margin else {
        return 1;
    };
    let allowed = plans
        .into_iter()
        .flat_map(|p| needs(p, View::full(full), full))
        .map(|(available, needed)| available / (needed * margin.0))
        .fold(f64::INFINITY, f64::min);
    [8, 4, 2]
        .into_iter()
        .find(|&d| f64::from(d) <= allowed)
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(width: u32, height: u32) -> Plan {
        Plan {
            width,
            height,
            crop: None,
        }
    }

    #[test]
    fn shrink_keeps_the_margin_for_every_plan() {
        let full = (4000, 3000);
        let two = Some(Margin::new(2.0, 2.0));
        assert_eq!(decode_shrink(&[plan(400, 300)], full, two), 4);
        assert_eq!(decode_shrink(&[plan(250, 188)], full, two), 4);
        assert_eq!(decode_shrink(&[plan(250, 187)], full, two), 8);
        assert_eq!(decode_shrink(&[plan(400, 300), plan(1600, 1200)], full, two), 1);
        assert_eq!(decode_shrink(&[plan(400, 300)], full, None), 1);
        // Below 1 counts as 1; not a number takes the fallback.
        assert_eq!(
            decode_shrink(&[plan(500, 375)], full, Some(Margin::new(0.2, 2.0))),
            8
        );
        assert_eq!(Margin::new(f64::NAN, 2.0), Margin::new(2.0, 2.0));
    }

    #[test]
    fn a_crop_counts_only_the_pixels_it_covers() {
        let full = (4000, 3000);
        let cover = Plan {
            width: 300,
            height: 300,
            crop: Some((3000.0, 3000.0)),
        };
        let quarter = View::resized((1000, 750), full);
        assert!(holds(quarter, &cover, full, Margin::new(2.0, 2.0)));
        assert!(!holds(
            View::resized((500, 375), full),
            &cover,
            full,
            Margin::new(2.0, 2.0)
        ));
        let region = source_region(&cover, quarter, full);
        assert_eq!((region.width, region.height), (750.0, 750.0));
        assert_eq!((region.left, region.top), (125.0, 0.0));
        assert!(source_region(&plan(10, 10), View::resized((40, 30), full), full).is_whole((40, 30)));
    }

    #[test]
    fn a_scaled_decode_covers_its_fraction_of_the_image_not_its_pixel_count() {
        // 4128x2322 at 1/8: 516x291 pixels, of which the last row is a quarter: 290.25 rows of image.
        let full = (4128, 2322);
        let view = View::decoded((516, 291), 8);
        let region = source_region(&plan(400, 225), view, full);
        assert_eq!(
            (region.left, region.top, region.width, region.height),
            (0.0, 0.0, 516.0, 290.25)
        );
        // A cover crop is centred in the image, not in the decoded pixels.
        let cover = Plan {
            width: 200,
            height: 200,
            crop: Some((2322.0, 2322.0)),
        };
        let region = source_region(&cover, view, full);
        assert_eq!((region.left, region.top), ((4128.0 - 2322.0) / 16.0, 0.0));
        assert_eq!((region.width, region.height), (290.25, 290.25));
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
