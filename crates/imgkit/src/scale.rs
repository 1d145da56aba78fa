//! Where each rendition's pixels come from: the DCT scale a JPEG is decoded at, which larger rendition a
//! smaller one may start from, and a plan's crop box in the pixels of either. The one place that does
//! this arithmetic; everything else asks it.

use crate::Plan;

/// How far below full size a JPEG may be decoded (shrink-on-load): see
/// [`Processor::shrink_on_load`](crate::Processor::shrink_on_load).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub enum ShrinkOnLoad {
    /// Decode at full size and resize every rendition from it: exact, and the slowest.
    Exact,
    /// The fastest DCT scale 1/s at which every rendition's residual shrink factor (the reduction the
    /// resize still makes after the decode) is at least [`MEASURED_MIN_RESIDUAL`] for s: the rule measured
    /// to keep thumbnails within 38 dB of the exact ones and never coarser than sharp's default.
    #[default]
    Measured,
    /// Every rendition keeps `margin` times its size at the decode scale (libvips' `thumbnail` keeps 2;
    /// values below 1 count as 1).
    Margin(f64),
}

/// `None` is [`ShrinkOnLoad::Exact`], `Some(margin)` [`ShrinkOnLoad::Margin`].
impl From<Option<f64>> for ShrinkOnLoad {
    fn from(margin: Option<f64>) -> Self {
        margin.map_or(ShrinkOnLoad::Exact, ShrinkOnLoad::Margin)
    }
}

/// The smallest residual shrink factor at which [`ShrinkOnLoad::Measured`] decodes at 1/s, per s: at
/// 1/8, 1.6 (below it a detailed 10 MP photo fell under 38 dB: 37.7 dB at 1.57); at 1/4, 1.25 (38 dB
/// needs 1.2; sharp's rule, decode at 1/s when the shrink is at least s + 1, asks 1.25); at 1/2, 1.5
/// (sharp's rule; 41 dB and more from 1.0). Measured on ten JPEG photos, thumbnails 150-1600 px
/// wide (`cargo run --release -p imgkit-benches --bin fidelity -- DIR`; README, "Shrink-on-load").
pub const MEASURED_MIN_RESIDUAL: [(u32, f64); 3] = [(8, 1.6), (4, 1.25), (2, 1.5)];

/// How many times its size a source must keep for a smaller rendition to start from it, under every rule
/// but [`ShrinkOnLoad::Exact`] (libvips' margin): resizing an already-resized image costs less than a
/// coarse DCT scale, and 2 keeps such cascades within 40 dB of the exact thumbnail.
pub(crate) const CASCADE_MARGIN: f64 = 2.0;

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
    Region::centred(full, plan.crop).in_view(view)
}

impl Region {
    /// This region of the full-size image in `view`'s pixels.
    pub(crate) fn in_view(self, view: View) -> Region {
        let (sx, sy) = view.scale;
        // Kept inside the view: the scale is a ratio of integers, so the far edge can land a rounding
        // error past it (767 × 24/767 is 24.000000000000004), which the resizer refuses.
        let (w, h) = (f64::from(view.size.0), f64::from(view.size.1));
        let (left, top) = ((self.left * sx).min(w), (self.top * sy).min(h));
        Region {
            left,
            top,
            width: (self.width * sx).min(w - left),
            height: (self.height * sy).min(h - top),
        }
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

/// The shrink (the DCT scale denominator: 8, 4, 2, else 1) a JPEG is decoded at for `plans` under
/// `rule`: the largest at which every plan's residual shrink factor on both axes (the pixels it reads
/// at full size over its output size, divided by the shrink) meets the rule's minimum.
pub(crate) fn decode_shrink<'a>(
    plans: impl IntoIterator<Item = &'a Plan>,
    full: (u32, u32),
    rule: ShrinkOnLoad,
) -> u32 {
    // The total reduction of the most demanding plan on its most demanding axis.
    let factor = plans
        .into_iter()
        .flat_map(|p| needs(p, View::full(full), full))
        .map(|(available, needed)| available / needed)
        .fold(f64::INFINITY, f64::min);
    let min_residual = |s: u32| match rule {
        ShrinkOnLoad::Exact => f64::INFINITY,
        ShrinkOnLoad::Margin(m) => Margin::new(m, CASCADE_MARGIN).0,
        ShrinkOnLoad::Measured => MEASURED_MIN_RESIDUAL
            .iter()
            .find(|(d, _)| *d == s)
            .map_or(f64::INFINITY, |(_, r)| *r),
    };
    [8, 4, 2]
        .into_iter()
        .find(|&s| factor / f64::from(s) >= min_residual(s))
        .unwrap_or(1)
}

/// The order a call's renditions are made in, and where each one's pixels come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    /// Indices of the plans, largest first.
    pub(crate) order: Vec<usize>,
    /// Per plan: the earlier rendition (a plan index) it is resized from, or `None`: from the decode.
    pub(crate) from: Vec<Option<usize>>,
    /// Per plan: whether a later rendition is resized from it, so it must be kept.
    pub(crate) kept: Vec<bool>,
}

impl Route {
    /// The one rendition resized from the decode, when exactly one is: the others all start from
    /// renditions, so the decoded pixels are needed only once, in order.
    pub(crate) fn only_from_decode(&self) -> Option<usize> {
        let mut from_decode = self.order.iter().filter(|&&i| self.from[i].is_none());
        match (from_decode.next(), from_decode.next()) {
            (Some(&i), None) => Some(i),
            _ => None,
        }
    }
}

/// The route of `plans` over a `full`-sized image: largest first, each from the smallest rendition made
/// before it that keeps `cascade` times its size (uncropped ones only: a crop shows part of the image),
/// else from the decode; `None` means every rendition from the decode.
pub(crate) fn route(plans: &[Plan], full: (u32, u32), cascade: Option<Margin>) -> Route {
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(u64::from(plans[i].width) * u64::from(plans[i].height)));
    let view_of = |i: usize| View::resized((plans[i].width, plans[i].height), full);
    let mut from = vec![None; plans.len()];
    let mut kept = vec![false; plans.len()];
    if let Some(margin) = cascade {
        let mut sources: Vec<usize> = Vec::new();
        for (k, &i) in order.iter().enumerate() {
            from[i] = sources
                .iter()
                .rev()
                .copied()
                .find(|&s| holds(view_of(s), &plans[i], full, margin));
            kept[i] = plans[i].crop.is_none()
                && order[k + 1..]
                    .iter()
                    .any(|&j| holds(view_of(i), &plans[j], full, margin));
            if kept[i] {
                sources.push(i);
            }
        }
    }
    Route { order, from, kept }
}

/// The margin cascades keep under `rule` (`None`: no cascades, every rendition from the decode).
pub(crate) fn cascade_margin(rule: ShrinkOnLoad) -> Option<Margin> {
    match rule {
        ShrinkOnLoad::Exact => None,
        ShrinkOnLoad::Margin(m) => Some(Margin::new(m, CASCADE_MARGIN)),
        ShrinkOnLoad::Measured => Some(Margin::new(CASCADE_MARGIN, CASCADE_MARGIN)),
    }
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
        let two = ShrinkOnLoad::Margin(2.0);
        assert_eq!(decode_shrink(&[plan(400, 300)], full, two), 4);
        assert_eq!(decode_shrink(&[plan(250, 188)], full, two), 4);
        assert_eq!(decode_shrink(&[plan(250, 187)], full, two), 8);
        assert_eq!(decode_shrink(&[plan(400, 300), plan(1600, 1200)], full, two), 1);
        assert_eq!(decode_shrink(&[plan(400, 300)], full, ShrinkOnLoad::Exact), 1);
        // Below 1 counts as 1; not a number takes the fallback.
        assert_eq!(
            decode_shrink(&[plan(500, 375)], full, ShrinkOnLoad::Margin(0.2)),
            8
        );
        assert_eq!(ShrinkOnLoad::from(None), ShrinkOnLoad::Exact);
        assert_eq!(Margin::new(f64::NAN, 2.0), Margin::new(2.0, 2.0));
    }

    #[test]
    fn the_measured_rule_takes_the_fastest_scale_that_keeps_its_residual() {
        let full = (4000, 3000);
        let measured = |plans: &[Plan]| decode_shrink(plans, full, ShrinkOnLoad::Measured);
        // 4000 -> 400: 10x; at 1/8 the resize would have 1.25x left (< 1.4), at 1/4 2.5x.
        assert_eq!(measured(&[plan(400, 300)]), 4);
        // 4000 -> 280: 14.3x; 1/8 leaves 1.79x.
        assert_eq!(measured(&[plan(280, 210)]), 8);
        // 4000 -> 1000: 4x; 1/4 leaves 1.0x (< 1.25), 1/2 leaves 2x.
        assert_eq!(measured(&[plan(1000, 750)]), 2);
        // 4000 -> 2700: 1.48x; 1/2 would leave 0.74x.
        assert_eq!(measured(&[plan(2700, 2025)]), 1);
        // The most demanding rendition decides.
        assert_eq!(measured(&[plan(280, 210), plan(1000, 750)]), 2);
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
    fn a_region_never_passes_the_edge_of_its_view() {
        // A 767×14342 image resized to 24×449 (as a cascade source): 767 × 24/767 is not exactly 24.
        let full = (767, 14342);
        let view = View::resized((24, 449), full);
        let region = source_region(&plan(3, 48), view, full);
        assert!(region.left + region.width <= 24.0 && region.top + region.height <= 449.0);
        assert!(region.width > 23.999 && region.height > 448.999);
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
