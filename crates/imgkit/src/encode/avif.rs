//! AVIF output: the finished pixels as one AV1 key frame (rav1e, pure Rust) in an AVIF container
//! (avif-serialize). 8-bit BT.601 full-range YCbCr with 4:2:0 chroma and sRGB transfer, which every
//! AVIF decoder reads; alpha, when some pixel is not opaque, as a second, monochrome AV1 image.
//!
//! rav1e directly rather than through `ravif`, the usual wrapper, because ravif writes 4:4:4 only; 4:2:0
//! is what cameras, JPEG and WebP use, and it leaves half the samples to code.

use image::DynamicImage;
use rav1e::prelude::{
    ChromaSamplePosition, ChromaSampling, ColorDescription, ColorPrimaries, Config, Context, EncoderConfig,
    EncoderStatus, MatrixCoefficients, PixelRange, SpeedSettings, TransferCharacteristics,
};

use crate::error::{Error, Result};
use crate::Format;

/// AV1's largest quantiser index that `quality` 1 maps to (255 is allowed, but only blurs further).
const WORST_QUANTIZER: u32 = 252;

/// Encodes `image` at `quality` (1–100) with rav1e's speed preset `speed` (0–10).
pub(super) fn avif(image: DynamicImage, quality: u8, speed: u8) -> Result<Vec<u8>> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let quantizer = quantizer(quality);
    let alpha = image
        .color()
        .has_alpha()
        .then(|| image.to_rgba8())
        .filter(|rgba| rgba.pixels().any(|p| p[3] != 255))
        .map(|rgba| rgba.pixels().map(|p| p[3]).collect::<Vec<u8>>());
    let rgb = image.into_rgb8();
    let (y, cb, cr) = ycbcr_420(rgb.as_raw(), w, h);

    let colour = av1(
        w,
        h,
        ChromaSampling::Cs420,
        Some(ColorDescription {
            color_primaries: ColorPrimaries::BT709,
            transfer_characteristics: TransferCharacteristics::SRGB,
            matrix_coefficients: MatrixCoefficients::BT601,
        }),
        quantizer,
        speed,
        &[(&y, w), (&cb, w.div_ceil(2)), (&cr, w.div_ceil(2))],
    )?;
    let alpha = match &alpha {
        Some(a) => Some(av1(
            w,
            h,
            ChromaSampling::Cs400,
            None,
            quantizer,
            speed,
            &[(a, w)],
        )?),
        None => None,
    };
    let mut container = avif_serialize::Aviffy::new();
    container
        .set_chroma_subsampling((true, true))
        .set_seq_profile(0)
        .set_matrix_coefficients(avif_serialize::constants::MatrixCoefficients::Bt601)
        .set_full_color_range(true);
    Ok(container.to_vec(&colour, alpha.as_deref(), w as u32, h as u32, 8))
}

/// Quality 1–100 onto AV1's quantiser index, linearly: 100 → 0 (near lossless), 1 → 252.
fn quantizer(quality: u8) -> usize {
    let q = u32::from(quality.clamp(1, 100));
    ((100 - q) * WORST_QUANTIZER).div_ceil(99) as usize
}

/// BT.601 full-range Y, Cb, Cr planes from packed RGB, chroma averaged over each 2×2 block (over the
/// pixels there are, at odd edges).
fn ycbcr_420(rgb: &[u8], w: usize, h: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut y = vec![0u8; w * h];
    let mut cb = vec![0u8; cw * ch];
    let mut cr = vec![0u8; cw * ch];
    for cy in 0..ch {
        for cx in 0..cw {
            let (mut sum_b, mut sum_r, mut n) = (0f32, 0f32, 0f32);
            for py in (2 * cy)..(2 * cy + 2).min(h) {
                for px in (2 * cx)..(2 * cx + 2).min(w) {
                    let i = py * w + px;
                    let [r, g, b] = [rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]].map(f32::from);
                    let luma = 0.299 * r + 0.587 * g + 0.114 * b;
                    y[i] = to_u8(luma);
                    sum_b += (b - luma) / 1.772;
                    sum_r += (r - luma) / 1.402;
                    n += 1.0;
                }
            }
            cb[cy * cw + cx] = to_u8(128.0 + sum_b / n);
            cr[cy * cw + cx] = to_u8(128.0 + sum_r / n);
        }
    }
    (y, cb, cr)
}

fn to_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// One still AV1 key frame of `planes` (each with its row stride), single-threaded.
fn av1(
    w: usize,
    h: usize,
    chroma_sampling: ChromaSampling,
    color_description: Option<ColorDescription>,
    quantizer: usize,
    speed: u8,
    planes: &[(&[u8], usize)],
) -> Result<Vec<u8>> {
    let fail = |reason: String| Error::Encode {
        format: Format::Avif,
        reason,
    };
    let mut speed_settings = SpeedSettings::from_preset(speed);
    // One frame: no reference frames to search or look ahead to.
    speed_settings.multiref = false;
    speed_settings.rdo_lookahead_frames = 1;
    let config = Config::new()
        .with_encoder_config(EncoderConfig {
            width: w,
            height: h,
            bit_depth: 8,
            chroma_sampling,
            chroma_sample_position: ChromaSamplePosition::Unknown,
            pixel_range: PixelRange::Full,
            color_description,
            still_picture: true,
            quantizer,
            min_quantizer: u8::try_from(quantizer).unwrap_or(u8::MAX),
            speed_settings,
            ..EncoderConfig::default()
        })
        .with_threads(1);
    let mut ctx: Context<u8> = config
        .new_context()
        .map_err(|e| fail(format!("rav1e configuration: {e}")))?;
    let mut frame = ctx.new_frame();
    for (plane, &(data, stride)) in frame.planes.iter_mut().zip(planes) {
        plane.copy_from_raw_u8(data, stride, 1);
    }
    ctx.send_frame(frame).map_err(|e| fail(format!("rav1e: {e}")))?;
    ctx.flush();
    let mut out = Vec::new();
    loop {
        match ctx.receive_packet() {
            Ok(packet) => out.extend_from_slice(&packet.data),
            Err(EncoderStatus::Encoded) => {}
            Err(EncoderStatus::LimitReached) => break,
            Err(e) => return Err(fail(format!("rav1e: {e}"))),
        }
    }
    if out.is_empty() {
        return Err(fail("rav1e produced no frame".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_maps_onto_the_whole_quantiser_range() {
        assert_eq!(quantizer(100), 0);
        assert_eq!(quantizer(1), WORST_QUANTIZER as usize);
        assert!(quantizer(60) > quantizer(61));
    }

    /// The AV1 sequence header of the colour image, as an AVIF reader sees it.
    fn read_back(bytes: &[u8]) -> (avif_parse::AvifData, avif_parse::AV1Metadata) {
        let data = avif_parse::read_avif(&mut &bytes[..]).expect("a valid AVIF");
        let meta = data.primary_item_metadata().expect("an AV1 sequence header");
        (data, meta)
    }

    #[test]
    fn writes_8_bit_4_2_0_of_the_image_size_with_alpha_only_when_needed() {
        use image::{Rgba, RgbaImage};
        // Odd sides: the chroma planes round up.
        let opaque = RgbaImage::from_pixel(7, 5, Rgba([10, 200, 30, 255]));
        let bytes = avif(DynamicImage::ImageRgba8(opaque.clone()), 60, 10).unwrap();
        assert_eq!(&bytes[4..12], b"ftypavif");
        let (data, meta) = read_back(&bytes);
        assert_eq!((meta.max_frame_width.get(), meta.max_frame_height.get()), (7, 5));
        assert_eq!((meta.bit_depth, meta.seq_profile), (8, 0));
        assert_eq!(meta.chroma_subsampling, (true, true));
        assert!(meta.still_picture && !meta.monochrome);
        assert!(data.alpha_item.is_none(), "all opaque: no alpha image");

        let mut seen_through = opaque;
        seen_through.put_pixel(3, 2, Rgba([0, 0, 0, 0]));
        let (data, _) = read_back(&avif(DynamicImage::ImageRgba8(seen_through), 60, 10).unwrap());
        assert!(data.alpha_item.is_some());
        assert!(!data.premultiplied_alpha);
    }

    #[test]
    fn grey_has_neutral_chroma_and_odd_edges_average_what_is_there() {
        // 3×1: two grey pixels, then pure red alone in the last chroma column.
        let rgb = [100, 100, 100, 100, 100, 100, 255, 0, 0];
        let (y, cb, cr) = ycbcr_420(&rgb, 3, 1);
        assert_eq!(y, [100, 100, 76]);
        assert_eq!((cb[0], cr[0]), (128, 128));
        assert_eq!((cb[1], cr[1]), (85, 255));
    }
}
