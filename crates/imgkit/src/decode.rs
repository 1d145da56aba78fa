//! Stage 2: pixels. Takes only [`Checked`] input, so nothing reaches a decoder without passing the limits.

use image::DynamicImage;

use crate::error::{Error, Result};
use crate::probe::Checked;
use crate::ImageInfo;

/// A decoded first frame in one of the 8-bit layouts the resizer and encoders work on
/// (gray, gray+alpha, RGB, RGBA), with what the pipeline needs from the header.
pub(crate) struct Decoded {
    pub(crate) image: DynamicImage,
    pub(crate) info: ImageInfo,
    pub(crate) icc_profile: Option<Vec<u8>>,
}

pub(crate) fn decode(checked: Checked<'_>) -> Result<Decoded> {
    let Checked {
        info,
        decoder,
        icc_profile,
    } = checked;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| Error::from_decoder(info.format, e))?;
    Ok(Decoded {
        image: to_8bit(image),
        info,
        icc_profile,
    })
}

/// Every output format we write is 8-bit; converting once here keeps the resizer and encoders on four
/// layouts. 16-bit sources are reduced with rounding by `image`; palettes were expanded by the decoder.
fn to_8bit(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_) => image,
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma8(image.to_luma8()),
        DynamicImage::ImageLumaA16(_) => DynamicImage::ImageLumaA8(image.to_luma_alpha8()),
        DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgb32F(_) => {
            DynamicImage::ImageRgb8(image.to_rgb8())
        }
        _ => DynamicImage::ImageRgba8(image.to_rgba8()),
    }
}
