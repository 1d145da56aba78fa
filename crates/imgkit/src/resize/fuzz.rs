//! The resize and orient stages alone, for the `resize` fuzz target.

use image::DynamicImage;

use super::{both_axes, Resizer, RowResize};
use crate::error::{Error, Result};
use crate::scale::Region;
use crate::Filter;

/// The resize and orient stages alone, from a synthetic image, for the `resize` fuzz target. Returns the
/// displayed output size, which the target compares with [`plan`](crate::plan).
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
    let stored = crate::scale::stored_plan(crate::plan(dw, dh, target.0, target.1, fit, enlarge), swaps);
    let region = Region::centred((width, height), stored.crop);
    let mut out = Resizer::default().resize(&src, stored.width, stored.height, region, filter)?;
    // The same resize from rows, where the pipeline would make it so (gray or RGB, a convolution on
    // both axes), must give the same size.
    if matches!(channels, 1 | 3)
        && filter != Filter::Nearest
        && both_axes(stored.width, stored.height, region)
    {
        use imgkit_jpeg::Rows;
        let mut resizer = Resizer::default();
        let mut rows = RowResize::new(&mut resizer, stored.width, stored.height, region, filter);
        let channels = usize::from(channels);
        rows.start(width as usize, height as usize, channels);
        for (y, row) in src.as_bytes().chunks_exact(width as usize * channels).enumerate() {
            rows.row(y).copy_from_slice(row);
        }
        let from_rows = rows.finish()?;
        if (from_rows.width(), from_rows.height()) != (out.width(), out.height()) {
            return Err(Error::Internal {
                stage: "fuzz_resize",
                reason: "the resize from rows has another size".into(),
            });
        }
    }
    crate::orient::apply(&mut out, orientation);
    Ok((out.width(), out.height()))
}
