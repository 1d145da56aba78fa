//! Colour management: outputs are sRGB and carry no profile.
//!
//! Converting instead of embedding the source profile keeps outputs small and right in every viewer,
//! including those that ignore profiles; it is what sharp does. The conversion runs on the resized image,
//! where it is cheap.

use image::DynamicImage;
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

/// Converts RGB(A) pixels from the embedded profile to sRGB in place. A profile that cannot be parsed or
/// does not describe RGB data (gray, CMYK) is ignored: the pixels are taken as sRGB already, and the
/// image never fails because of its profile.
pub(crate) fn to_srgb(image: &mut DynamicImage, icc: &[u8]) {
    let Ok(source) = ColorProfile::new_from_slice(icc) else {
        return;
    };
    if source.color_space != DataColorSpace::Rgb {
        return;
    }
    let (layout, pixels) = match image {
        DynamicImage::ImageRgb8(buf) => (Layout::Rgb, buf.as_mut()),
        DynamicImage::ImageRgba8(buf) => (Layout::Rgba, buf.as_mut()),
        _ => return,
    };
    let srgb = ColorProfile::new_srgb();
    let Ok(transform) = source.create_transform_8bit(layout, &srgb, layout, TransformOptions::default())
    else {
        return;
    };
    let mut converted = vec![0u8; pixels.len()];
    if transform.transform(pixels, &mut converted).is_ok() {
        pixels.copy_from_slice(&converted);
    }
}
