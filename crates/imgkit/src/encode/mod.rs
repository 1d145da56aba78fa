//! Encode: fresh encoding. Only pixels go in, so no input metadata (EXIF, XMP, text, comments) or
//! input bytes ever reach an output.

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder};

use crate::error::{Error, Result};
use crate::{Format, OutputFormat, MIN_BUDGET_QUALITY};

#[cfg(feature = "avif")]
mod avif;
mod jpeg;
mod pixels;

use jpeg::jpeg;

/// Encodes `image` as `format` (already resolved: never [`OutputFormat::Same`]).
pub(crate) fn encode(
    image: DynamicImage,
    format: OutputFormat,
    background: [u8; 3],
) -> Result<(Vec<u8>, Format)> {
    match format {
        OutputFormat::Jpeg { quality } => jpeg(image, quality, background).map(|b| (b, Format::Jpeg)),
        OutputFormat::WebP { quality } => webp(image, quality).map(|b| (b, Format::WebP)),
        #[cfg(feature = "avif")]
        OutputFormat::Avif { quality, speed } => avif::avif(image, quality, speed).map(|b| (b, Format::Avif)),
        // Spec validation refuses AVIF in a build without the encoder.
        #[cfg(not(feature = "avif"))]
        OutputFormat::Avif { .. } => Err(Error::Encode {
            format: Format::Avif,
            reason: "imgkit was built without its `avif` feature".into(),
        }),
        _ => png(&image).map(|b| (b, Format::Png)),
    }
}

/// [`encode`], within `max_bytes` when given (see [`Spec::max_bytes`](crate::Spec::max_bytes)): at the
/// format's quality if that fits, else at the highest quality down to [`MIN_BUDGET_QUALITY`] that does,
/// by bisection (each step keeps one quality that fits and one that does not; sizes grow with quality).
pub(crate) fn within_budget(
    image: DynamicImage,
    format: OutputFormat,
    background: [u8; 3],
    max_bytes: Option<u64>,
) -> Result<(Vec<u8>, Format)> {
    let Some(max) = max_bytes else {
        return encode(image, format, background);
    };
    let (width, height) = (image.width(), image.height());
    let at = |quality: u8| encode(image.clone(), format.with_quality(quality), background);
    let fits = |out: &(Vec<u8>, Format)| out.0.len() as u64 <= max;
    let over = |(bytes, written): (Vec<u8>, Format), quality: u8| Error::OverBudget {
        format: written,
        width,
        height,
        max_bytes: max,
        bytes: bytes.len() as u64,
        quality,
    };
    // PNG (an input written as itself) has no quality to lower: 100 stands for lossless.
    let top = format.quality().unwrap_or(100);
    let first = at(top)?;
    if fits(&first) {
        return Ok(first);
    }
    if format.quality().is_none() || top <= MIN_BUDGET_QUALITY {
        return Err(over(first, top));
    }
    let lowest = at(MIN_BUDGET_QUALITY)?;
    if !fits(&lowest) {
        return Err(over(lowest, MIN_BUDGET_QUALITY));
    }
    let (mut low, mut high, mut best) = (MIN_BUDGET_QUALITY, top, lowest);
    while high - low > 1 {
        let mid = low + (high - low) / 2;
        let out = at(mid)?;
        if fits(&out) {
            (low, best) = (mid, out);
        } else {
            high = mid;
        }
    }
    Ok(best)
}

fn png(image: &DynamicImage) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    // Fast (fdeflate) is far faster than Default on photos and still beats libvips' output size.
    let encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Fast, FilterType::Adaptive);
    encoder
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .map_err(|e| Error::Encode {
            format: Format::Png,
            reason: e.to_string(),
        })?;
    Ok(out)
}

fn webp(image: DynamicImage, quality: u8) -> Result<Vec<u8>> {
    let fail = |reason: String| Error::Encode {
        format: Format::WebP,
        reason,
    };
    let image = match image {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => image,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    };
    let layout = if image.color().has_alpha() {
        webp::PixelLayout::Rgba
    } else {
        webp::PixelLayout::Rgb
    };
    let mut config = webp::WebPConfig::new().map_err(|()| fail("libwebp config init failed".into()))?;
    config.quality = f32::from(quality);
    config.alpha_compression = 1;
    let encoded = webp::Encoder::new(image.as_bytes(), layout, image.width(), image.height())
        .encode_advanced(&config)
        .map_err(|e| fail(format!("{e:?}")))?;
    Ok(encoded.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    #[test]
    fn every_format_decodes_back_to_its_size() {
        let img = DynamicImage::ImageRgba8(RgbaImage::from_pixel(7, 5, Rgba([10, 200, 30, 255])));
        for format in [
            OutputFormat::Jpeg { quality: 90 },
            OutputFormat::Png,
            OutputFormat::WebP { quality: 90 },
        ] {
            let (bytes, written) = encode(img.clone(), format, [0, 0, 0]).unwrap();
            let back = image::load_from_memory(&bytes).unwrap();
            assert_eq!((back.width(), back.height()), (7, 5), "{written}");
            let p = back.to_rgb8().get_pixel(3, 2).0;
            assert!(
                p.iter().zip([10u8, 200, 30]).all(|(a, b)| a.abs_diff(b) <= 8),
                "{written}: {p:?}"
            );
        }
    }
}
