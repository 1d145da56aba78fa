//! Stage 2: pixels. Takes only `Checked` input, so nothing reaches a decoder without passing the limits.

use image::DynamicImage;

use crate::error::{Error, Result};
use crate::probe::Checked;
use crate::{ImageInfo, Limits};

/// A decoded first frame that passed every limit, ready to render any number of renditions with
/// [`Processor::render`](crate::Processor::render).
///
/// Pixels are held in one of the 8-bit layouts the resizer and encoders work on (gray, gray+alpha, RGB,
/// RGBA), in stored orientation.
pub struct Decoded {
    pub(crate) image: DynamicImage,
    pub(crate) info: ImageInfo,
    pub(crate) icc_profile: Option<Vec<u8>>,
}

impl Decoded {
    /// What the probe learned about the input.
    pub fn info(&self) -> &ImageInfo {
        &self.info
    }

    /// Width of the decoded pixels (stored orientation).
    pub fn width(&self) -> u32 {
        self.image.width()
    }

    /// Height of the decoded pixels (stored orientation).
    pub fn height(&self) -> u32 {
        self.image.height()
    }

    /// Channels of the decoded pixels (1–4, 8 bits each).
    pub fn channels(&self) -> u8 {
        self.image.color().channel_count()
    }
}

/// Probes, checks against `limits`, and decodes the first frame of `bytes`.
///
/// ```
/// use imgkit::{decode, Limits};
/// # let png = imgkit::doc_png(64, 48);
/// let decoded = decode(&png, &Limits::default())?;
/// assert_eq!((decoded.width(), decoded.height(), decoded.channels()), (64, 48, 3));
/// # Ok::<(), imgkit::Error>(())
/// ```
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded> {
    decode_checked(Checked::new(bytes, limits)?)
}

pub(crate) fn decode_checked(checked: Checked<'_>) -> Result<Decoded> {
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
