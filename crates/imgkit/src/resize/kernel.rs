//! The filters: which fast_image_resize algorithm each `Filter` is, how far it reaches, and the call
//! options both the whole-image and the row-by-row resize build from it.

use fast_image_resize as fr;

use crate::error::Error;
use crate::Filter;

/// The source columns `x0..x1` (of `source_width`) that the horizontal filter reads to resize `width`
/// columns from `left` to `out_width`: its radius grows with the downscale factor.
pub(super) fn reach(left: f64, width: f64, source_width: u32, out_width: u32, filter: Filter) -> (u32, u32) {
    let scale = (width / f64::from(out_width)).max(1.0);
    let reach = (support(filter) * scale).ceil() + 1.0;
    let x0 = (left - reach).floor().max(0.0);
    let x1 = (left + width + reach).ceil().min(f64::from(source_width));
    // Whole numbers within the image width, so the casts are exact.
    (x0 as u32, x1 as u32)
}

/// `filter` over the source box `(left, top, width, height)`; `alpha`: premultiply around the call.
pub(super) fn options(
    filter: Filter,
    alpha: bool,
    (left, top, width, height): (f64, f64, f64, f64),
) -> fr::ResizeOptions {
    fr::ResizeOptions::new()
        .resize_alg(algorithm(filter))
        .use_alpha(alpha)
        .crop(left, top, width, height)
}

pub(super) fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        stage: "resize",
        reason: e.to_string(),
    }
}

/// Half-width of each convolution filter at scale 1, in source pixels.
pub(super) fn support(filter: Filter) -> f64 {
    match filter {
        Filter::Lanczos3 => 3.0,
        Filter::CatmullRom | Filter::Mitchell => 2.0,
        Filter::Bilinear => 1.0,
        Filter::Box | Filter::Nearest => 0.5,
    }
}

/// sinc(x) · sinc(x / 3) on (-3, 3): with s = sin(πx / 3), sin(πx) = 3s − 4s³, so the product is
/// 3s²(3 − 4s²) / (πx)².
fn lanczos3(x: f64) -> f64 {
    if x == 0.0 {
        return 1.0;
    }
    if !(-3.0..3.0).contains(&x) {
        return 0.0;
    }
    let s = (x * std::f64::consts::FRAC_PI_3).sin();
    let px = x * std::f64::consts::PI;
    3.0 * s * s * (3.0 - 4.0 * s * s) / (px * px)
}

fn algorithm(filter: Filter) -> fr::ResizeAlg {
    use fr::FilterType as F;
    match filter {
        // fast_image_resize's Lanczos3 with one sine where it takes two: the weights are computed anew
        // for each call (every band of a resize from rows), and its sines were 2.4% of a 12 MP → 1600 +
        // 800 + 200 job. (`new` fails only on a support that is not positive.)
        Filter::Lanczos3 => fr::ResizeAlg::Convolution(
            fr::Filter::new("Lanczos3", lanczos3, 3.0).map_or(F::Lanczos3, F::Custom),
        ),
        Filter::CatmullRom => fr::ResizeAlg::Convolution(F::CatmullRom),
        Filter::Mitchell => fr::ResizeAlg::Convolution(F::Mitchell),
        Filter::Bilinear => fr::ResizeAlg::Convolution(F::Bilinear),
        Filter::Box => fr::ResizeAlg::Convolution(F::Box),
        Filter::Nearest => fr::ResizeAlg::Nearest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-sine Lanczos3 against the definition, sinc(x) · sinc(x / 3), inside and outside its support.
    #[test]
    fn lanczos3_is_the_product_of_two_sincs() {
        let sinc = |x: f64| {
            let px = x * std::f64::consts::PI;
            if px == 0.0 {
                1.0
            } else {
                px.sin() / px
            }
        };
        for i in -4000..=4000 {
            let x = f64::from(i) / 1000.0 + 1e-7;
            let want = if x.abs() < 3.0 {
                sinc(x) * sinc(x / 3.0)
            } else {
                0.0
            };
            assert!((lanczos3(x) - want).abs() < 1e-12, "x = {x}");
        }
        assert_eq!(lanczos3(0.0), 1.0);
    }
}
