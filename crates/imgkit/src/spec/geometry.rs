//! Pure fit/crop arithmetic: from a source size and a target box to an output size and source crop.

use super::Fit;

/// The result of fitting: the output size and the part of the source that maps onto it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// Output width, at least 1.
    pub width: u32,
    /// Output height, at least 1.
    pub height: u32,
    /// Width and height of the source region to use, centred in the source; the whole source if `None`.
    pub crop: Option<(f64, f64)>,
}

/// Fits a `src_w × src_h` image to `width` and/or `height` (both `None` keeps the source size).
///
/// Without `enlarge`, the scale factor never exceeds 1. Sizes are rounded to the nearest pixel and never 0.
///
/// ```
/// use imgkit::{plan, Fit};
/// let p = plan(4000, 3000, Some(400), None, Fit::Inside, false);
/// assert_eq!((p.width, p.height), (400, 300));
/// let p = plan(4000, 3000, Some(300), Some(300), Fit::Cover, false);
/// assert_eq!((p.width, p.height, p.crop), (300, 300, Some((3000.0, 3000.0))));
/// ```
pub fn plan(
    src_w: u32,
    src_h: u32,
    width: Option<u32>,
    height: Option<u32>,
    fit: Fit,
    enlarge: bool,
) -> Plan {
    let (sw, sh) = (f64::from(src_w.max(1)), f64::from(src_h.max(1)));
    let cap = |scale: f64| if enlarge { scale } else { scale.min(1.0) };
    let whole = |scale: f64| Plan {
        width: scaled(sw, scale),
        height: scaled(sh, scale),
        crop: None,
    };
    match (width, height) {
        (None, None) => Plan {
            width: src_w.max(1),
            height: src_h.max(1),
            crop: None,
        },
        (Some(w), None) => whole(cap(f64::from(w) / sw)),
        (None, Some(h)) => whole(cap(f64::from(h) / sh)),
        (Some(w), Some(h)) => {
            let (tw, th) = (f64::from(w), f64::from(h));
            match fit {
                Fit::Inside => {
                    let scale = cap((tw / sw).min(th / sh));
                    // Rounding must not push the fitted side past the box.
                    let mut p = whole(scale);
                    p.width = p.width.min(w);
                    p.height = p.height.min(h);
                    p
                }
                Fit::Cover => {
                    let scale = cap((tw / sw).max(th / sh));
                    let (out_w, out_h) = if enlarge {
                        (w, h)
                    } else {
                        (w.min(scaled(sw, scale)), h.min(scaled(sh, scale)))
                    };
                    let crop = (
                        (f64::from(out_w) / scale).min(sw),
                        (f64::from(out_h) / scale).min(sh),
                    );
                    Plan {
                        width: out_w,
                        height: out_h,
                        crop: (crop != (sw, sh)).then_some(crop),
                    }
                }
                Fit::Fill => {
                    if enlarge {
                        Plan {
                            width: w,
                            height: h,
                            crop: None,
                        }
                    } else {
                        Plan {
                            width: w.min(src_w.max(1)),
                            height: h.min(src_h.max(1)),
                            crop: None,
                        }
                    }
                }
            }
        }
    }
}

fn scaled(len: f64, scale: f64) -> u32 {
    // f64 → u32 `as` saturates, so absurd scales cannot wrap.
    ((len * scale).round() as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn size(p: Plan) -> (u32, u32) {
        (p.width, p.height)
    }

    #[test]
    fn width_only_keeps_aspect_and_rounds() {
        assert_eq!(
            size(plan(4032, 3024, Some(400), None, Fit::Inside, false)),
            (400, 300)
        );
        assert_eq!(size(plan(33, 17, Some(10), None, Fit::Cover, false)), (10, 5)); // 5.15 → 5
        assert_eq!(
            size(plan(1000, 1, Some(10), None, Fit::Inside, false)),
            (10, 1),
            "never zero"
        );
    }

    #[test]
    fn no_enlargement_unless_asked() {
        assert_eq!(
            size(plan(100, 50, Some(400), None, Fit::Inside, false)),
            (100, 50)
        );
        assert_eq!(
            size(plan(100, 50, Some(400), None, Fit::Inside, true)),
            (400, 200)
        );
        assert_eq!(
            size(plan(100, 50, None, Some(100), Fit::Inside, true)),
            (200, 100)
        );
    }

    #[test]
    fn inside_fits_the_limiting_side() {
        assert_eq!(
            size(plan(4000, 3000, Some(500), Some(500), Fit::Inside, false)),
            (500, 375)
        );
        assert_eq!(
            size(plan(3000, 4000, Some(500), Some(500), Fit::Inside, false)),
            (375, 500)
        );
    }

    #[test]
    fn cover_fills_the_box_and_crops_the_centre() {
        let p = plan(4000, 3000, Some(200), Some(200), Fit::Cover, false);
        assert_eq!((size(p), p.crop), ((200, 200), Some((3000.0, 3000.0))));
        // Smaller source without enlargement: no upscaling, crop only what overflows.
        let p = plan(100, 50, Some(80), Some(80), Fit::Cover, false);
        assert_eq!((size(p), p.crop), ((80, 50), Some((80.0, 50.0))));
    }

    #[test]
    fn fill_stretches() {
        assert_eq!(
            size(plan(4000, 3000, Some(100), Some(400), Fit::Fill, false)),
            (100, 400)
        );
        assert_eq!(
            size(plan(50, 50, Some(100), Some(40), Fit::Fill, false)),
            (50, 40)
        );
    }

    proptest! {
        #[test]
        fn outputs_are_never_zero_and_stay_in_the_box(
            sw in 1u32..20000, sh in 1u32..20000,
            w in proptest::option::of(1u32..16385), h in proptest::option::of(1u32..16385),
            fit in prop_oneof![Just(Fit::Inside), Just(Fit::Cover), Just(Fit::Fill)],
            enlarge: bool,
        ) {
            let p = plan(sw, sh, w, h, fit, enlarge);
            prop_assert!(p.width >= 1 && p.height >= 1);
            if let Some(w) = w { prop_assert!(p.width <= w); }
            if let Some(h) = h { prop_assert!(p.height <= h); }
            if !enlarge { prop_assert!(p.width <= sw && p.height <= sh); }
            if let Some((cw, ch)) = p.crop {
                prop_assert!(cw > 0.0 && ch > 0.0 && cw <= f64::from(sw) && ch <= f64::from(sh));
            }
        }

        #[test]
        fn aspect_ratio_holds_within_a_pixel(
            sw in 1u32..20000, sh in 1u32..20000,
            w in proptest::option::of(1u32..4000), h in proptest::option::of(1u32..4000),
            enlarge: bool,
        ) {
            let p = plan(sw, sh, w, h, Fit::Inside, enlarge);
            // The short side predicted from the long side by the source aspect: off by at most one
            // pixel (or clamped to 1 for very thin images).
            let (long_out, short_out, long_src, short_src) =
                if sw >= sh { (p.width, p.height, sw, sh) } else { (p.height, p.width, sh, sw) };
            let predicted = f64::from(long_out) * f64::from(short_src) / f64::from(long_src);
            prop_assert!((f64::from(short_out) - predicted).abs() <= 1.0 || short_out == 1,
                "{sw}x{sh} -> {}x{}", p.width, p.height);
        }
    }
}
