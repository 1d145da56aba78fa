//! The valid set: every file here must be accepted and decoded by the library.

use std::borrow::Cow;

use gif::DisposalMethod;
use jpeg_encoder::SamplingFactor;
use png::{BitDepth, ColorType};

use crate::gifw::{self, GifFrame, TRANSPARENT};
use crate::jpeg::{self, Color, Options};
use crate::manifest::{Expect, Format, Row};
use crate::picture::{CubePalette, Picture};
use crate::pngw::{self, PngBuilder};
use crate::webpw;
use crate::{err, Entry, Result};

/// An `ok` entry under `valid/` whose displayed size is `pic`'s size.
pub(crate) fn ok(
    name: &str,
    format: Format,
    (width, height): (u32, u32),
    bytes: Vec<u8>,
    note: &str,
) -> Entry {
    Entry {
        row: Row {
            file: format!("valid/{name}"),
            expect: Expect::Ok {
                format,
                width,
                height,
            },
            note: note.to_owned(),
        },
        bytes,
    }
}

pub(crate) fn size(p: &Picture) -> (u32, u32) {
    (p.width, p.height)
}

/// A real, non-sRGB ICC profile, so colour management has something to do.
pub(crate) fn display_p3_icc() -> Result<Vec<u8>> {
    let mut icc = moxcms::ColorProfile::new_display_p3()
        .encode()
        .map_err(|e| err(format!("moxcms: {e:?}")))?;
    // moxcms stamps the header's creation date (bytes 24..36, six big-endian u16) with the
    // current time, which would make the corpus differ on every run. Pin it to 2024-01-01
    // 00:00:00. The profile ID (bytes 84..100) is left all-zero by moxcms, meaning "not
    // computed", so no checksum needs updating.
    let date: Vec<u8> = [2024u16, 1, 1, 0, 0, 0]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    icc.get_mut(24..36)
        .ok_or_else(|| err("ICC profile shorter than its header"))?
        .copy_from_slice(&date);
    Ok(icc)
}

/// Every valid file, in no particular order (the manifest sorts).
pub(crate) fn entries() -> Result<Vec<Entry>> {
    let mut out = jpegs()?;
    out.extend(pngs()?);
    out.extend(gifs()?);
    out.extend(webps()?);
    Ok(out)
}

/// A table row: file name, picture, how to encode it, manifest note.
type Spec<'a, T> = (&'a str, Picture, T, &'a str);

/// An encoder of a whole file from its picture.
type Encode = fn(&Picture) -> Result<Vec<u8>>;

/// One `ok` entry of `format` per row, sized from its picture and encoded by `encode(picture, how)`.
fn table<T>(
    format: Format,
    rows: Vec<Spec<'_, T>>,
    encode: impl Fn(&Picture, T) -> Result<Vec<u8>>,
) -> Result<Vec<Entry>> {
    rows.into_iter()
        .map(|(name, pic, how, note)| Ok(ok(name, format, size(&pic), encode(&pic, how)?, note)))
        .collect()
}

/// Rows whose `how` is their own encoder.
fn encoded(format: Format, rows: Vec<Spec<'_, Encode>>) -> Result<Vec<Entry>> {
    table(format, rows, |pic, encode| encode(pic))
}

fn jpegs() -> Result<Vec<Entry>> {
    let rows = vec![
        (
            "jpeg-baseline-420.jpg",
            Picture::photo(160, 120, 1),
            Options::default(),
            "Baseline JPEG with 4:2:0 chroma subsampling, the most common camera/web layout.",
        ),
        (
            "jpeg-baseline-422.jpg",
            Picture::photo(160, 120, 2),
            Options {
                sampling: SamplingFactor::F_2_1,
                ..Options::default()
            },
            "Baseline JPEG with 4:2:2 chroma subsampling (horizontal only).",
        ),
        (
            "jpeg-baseline-444.jpg",
            Picture::photo(160, 120, 3),
            Options {
                quality: 90,
                sampling: SamplingFactor::F_1_1,
                ..Options::default()
            },
            "Baseline JPEG without chroma subsampling (4:4:4).",
        ),
        (
            "jpeg-gray.jpg",
            Picture::photo(120, 90, 4),
            Options {
                color: Color::Gray,
                ..Options::default()
            },
            "Single-component grayscale JPEG.",
        ),
        (
            "jpeg-progressive.jpg",
            Picture::photo(200, 150, 5),
            Options {
                progressive: true,
                ..Options::default()
            },
            "Progressive JPEG (DC scan then spectral-selection AC scans).",
        ),
        (
            "jpeg-cmyk.jpg",
            Picture::photo(96, 72, 6),
            Options {
                color: Color::Cmyk,
                sampling: SamplingFactor::F_1_1,
                ..Options::default()
            },
            "Four-component Adobe CMYK JPEG that must be converted to RGB.",
        ),
        (
            "jpeg-restart-interval.jpg",
            Picture::photo(128, 96, 7),
            Options {
                restart_interval: Some(2),
                ..Options::default()
            },
            "Baseline JPEG with DRI and RSTn markers every two MCUs.",
        ),
        (
            "jpeg-icc-display-p3.jpg",
            Picture::photo(96, 64, 8),
            Options {
                icc_profile: Some(display_p3_icc()?),
                ..Options::default()
            },
            "JPEG with an embedded Display P3 ICC profile in APP2, for colour management.",
        ),
        (
            "jpeg-1x1.jpg",
            Picture::photo(1, 1, 9),
            Options::default(),
            "Smallest possible JPEG, a single pixel padded to one MCU.",
        ),
        (
            "jpeg-33x17.jpg",
            Picture::photo(33, 17, 10),
            Options::default(),
            "Odd size that is not a multiple of the 16x16 MCU, below the thumbnail width.",
        ),
        (
            "jpeg-320x200.jpg",
            Picture::photo(320, 200, 11),
            Options::default(),
            "Largest valid JPEG, 16:10 landscape that must be downscaled.",
        ),
        (
            "jpeg-17x300.jpg",
            Picture::photo(17, 300, 12),
            Options::default(),
            "Very tall and narrow JPEG already narrower than the thumbnail width.",
        ),
    ];
    table(Format::Jpeg, rows, jpeg::encode)
}

/// Encodes with the `png` crate; `tweak` sets palette, text, animation, etc.
fn png_with(
    width: u32,
    height: u32,
    color: ColorType,
    depth: BitDepth,
    frames: &[Vec<u8>],
    tweak: impl FnOnce(&mut png::Encoder<'_, &mut Vec<u8>>) -> Result<()>,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(color);
        enc.set_depth(depth);
        tweak(&mut enc)?;
        let mut writer = enc.write_header()?;
        // For an APNG each call writes the next frame; for a still image there is one.
        for frame in frames {
            writer.write_image_data(frame)?;
        }
        writer.finish()?;
    }
    Ok(out)
}

fn png_simple(pic: &Picture, color: ColorType, depth: BitDepth, data: Vec<u8>) -> Result<Vec<u8>> {
    png_with(pic.width, pic.height, color, depth, &[data], |_| Ok(()))
}

/// 1-bit grayscale by ordered (Bayer 4x4) dithering: deterministic and keeps the picture
/// recognisable; rows are packed MSB first and padded to a byte as PNG requires.
fn gray1_packed(pic: &Picture) -> Vec<u8> {
    const BAYER: [[u8; 4]; 4] = [[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]];
    let gray = pic.gray8();
    let (w, h) = (pic.width as usize, pic.height as usize);
    let row_bytes = w.div_ceil(8);
    let mut out = vec![0u8; row_bytes * h];
    for y in 0..h {
        for x in 0..w {
            let threshold = u16::from(BAYER[y % 4][x % 4]) * 16 + 8;
            if u16::from(gray[y * w + x]) > threshold {
                out[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
            }
        }
    }
    out
}

/// An 8-bit palette PNG with the 252-colour cube as its PLTE. With `trns`, one more entry, made
/// fully transparent by a tRNS chunk, covers the picture's transparent pixels.
fn png_palette(p: &Picture, trns: bool) -> Result<Vec<u8>> {
    let transparent = trns.then_some(CubePalette::LEN as u8);
    let indices = CubePalette::indices(p, transparent);
    png_with(
        p.width,
        p.height,
        ColorType::Indexed,
        BitDepth::Eight,
        &[indices],
        |e| {
            let mut plte = CubePalette::rgb();
            if trns {
                plte.extend([0, 0, 0]);
            }
            e.set_palette(plte);
            if trns {
                // tRNS: every cube colour opaque, the extra entry fully transparent.
                let mut alpha = vec![255u8; CubePalette::LEN];
                alpha.push(0);
                e.set_trns(alpha);
            }
            Ok(())
        },
    )
}

/// An Adam7-interlaced 8-bit PNG of `raw` (`bpp` bytes a pixel, PNG colour type `color`), written
/// by hand because the png crate cannot write interlaced images.
fn png_adam7(p: &Picture, raw: &[u8], bpp: usize, color: u8) -> Vec<u8> {
    let data = pngw::zlib(&pngw::adam7(raw, p.width, p.height, bpp));
    PngBuilder::new(&pngw::ihdr(p.width, p.height, 8, color, 1))
        .chunk(b"IDAT", &data)
        .finish()
}

/// The zlib stream split over several IDAT chunks of uneven sizes, as streaming encoders do.
fn png_multi_idat(p: &Picture) -> Vec<u8> {
    let data = pngw::zlib(&pngw::scanlines(&p.rgb8(), p.width as usize * 3));
    let mut b = PngBuilder::new(&pngw::ihdr(p.width, p.height, 8, pngw::RGB, 0));
    let cuts = [0, 1, 100, data.len() / 3, data.len() / 2, data.len()];
    for w in cuts.windows(2) {
        b = b.chunk(b"IDAT", &data[w[0]..w[1]]);
    }
    b.finish()
}

fn png_text(p: &Picture) -> Result<Vec<u8>> {
    png_with(
        p.width,
        p.height,
        ColorType::Rgb,
        BitDepth::Eight,
        &[p.rgb8()],
        |e| {
            e.add_text_chunk("Title".into(), "imgkit corpus".into())?;
            e.add_ztxt_chunk("Comment".into(), "A small, legitimate compressed comment.".into())?;
            e.add_itxt_chunk(
                "Description".into(),
                "Petit texte international, UTF-8: ü ß é.".into(),
            )?;
            Ok(())
        },
    )
}

fn png_iccp(p: &Picture) -> Result<Vec<u8>> {
    let icc = display_p3_icc()?;
    let mut info = png::Info::with_size(p.width, p.height);
    info.color_type = ColorType::Rgb;
    info.bit_depth = BitDepth::Eight;
    info.icc_profile = Some(Cow::Owned(icc));
    let mut bytes = Vec::new();
    {
        let enc = png::Encoder::with_info(&mut bytes, info)?;
        let mut writer = enc.write_header()?;
        writer.write_image_data(&p.rgb8())?;
        writer.finish()?;
    }
    Ok(bytes)
}

/// A picture's pixels in one PNG layout.
type Pixels = fn(&Picture) -> Vec<u8>;

fn pngs() -> Result<Vec<Entry>> {
    // Written by the png crate as they are: colour type, bit depth and the pixels in that layout.
    let plain: Vec<Spec<'_, (ColorType, BitDepth, Pixels)>> = vec![
        (
            "png-rgb8.png",
            Picture::photo(96, 64, 20),
            (ColorType::Rgb, BitDepth::Eight, Picture::rgb8),
            "8-bit truecolour PNG.",
        ),
        (
            "png-rgba8.png",
            Picture::photo(80, 80, 21).with_transparent_border(),
            (ColorType::Rgba, BitDepth::Eight, Picture::rgba8),
            "8-bit RGBA PNG, opaque ellipse inside a fully transparent border.",
        ),
        (
            "png-gray8.png",
            Picture::photo(64, 48, 22),
            (ColorType::Grayscale, BitDepth::Eight, Picture::gray8),
            "8-bit grayscale PNG.",
        ),
        (
            "png-gray-alpha8.png",
            Picture::photo(72, 56, 23).with_transparent_border(),
            (ColorType::GrayscaleAlpha, BitDepth::Eight, Picture::gray_alpha8),
            "8-bit gray+alpha PNG with a transparent border.",
        ),
        (
            "png-rgb16.png",
            Picture::photo(48, 40, 24),
            (ColorType::Rgb, BitDepth::Sixteen, Picture::rgb16be),
            "16-bit truecolour PNG (6 bytes per pixel decoded).",
        ),
        (
            "png-gray16.png",
            Picture::photo(40, 40, 25),
            (ColorType::Grayscale, BitDepth::Sixteen, Picture::gray16be),
            "16-bit grayscale PNG exactly at the thumbnail width, so it is not resized.",
        ),
        (
            "png-rgba16.png",
            Picture::photo(56, 42, 26).with_transparent_border(),
            (ColorType::Rgba, BitDepth::Sixteen, Picture::rgba16be),
            "16-bit RGBA PNG (8 bytes per pixel decoded) with a transparent border.",
        ),
        (
            "png-gray1.png",
            Picture::photo(33, 17, 29),
            (ColorType::Grayscale, BitDepth::One, gray1_packed),
            "1-bit grayscale PNG (ordered dither) with rows not a multiple of 8 pixels.",
        ),
        (
            "png-1x1.png",
            Picture::photo(1, 1, 30),
            (ColorType::Rgb, BitDepth::Eight, Picture::rgb8),
            "Single-pixel truecolour PNG.",
        ),
    ];
    let mut out = table(Format::Png, plain, |p, (color, depth, pixels)| {
        png_simple(p, color, depth, pixels(p))
    })?;

    out.extend(encoded(
        Format::Png,
        vec![
            (
                "png-palette.png",
                Picture::photo(100, 75, 27),
                |p| png_palette(p, false),
                "8-bit palette PNG with a 252-colour PLTE.",
            ),
            (
                "png-palette-trns.png",
                Picture::photo(90, 60, 28).with_transparent_border(),
                |p| png_palette(p, true),
                "Palette PNG whose tRNS makes one entry transparent, used for the border.",
            ),
            (
                "png-adam7-rgba8.png",
                Picture::photo(37, 23, 31).with_transparent_border(),
                |p| Ok(png_adam7(p, &p.rgba8(), 4, pngw::RGBA)),
                "Adam7-interlaced RGBA PNG of odd size with a transparent border.",
            ),
            (
                "png-adam7-3x2.png",
                Picture::photo(3, 2, 32),
                |p| Ok(png_adam7(p, &p.rgb8(), 3, pngw::RGB)),
                "Tiny Adam7 PNG where several of the seven passes are empty and must be skipped.",
            ),
            (
                "png-multi-idat.png",
                Picture::photo(128, 96, 33),
                |p| Ok(png_multi_idat(p)),
                "Truecolour PNG whose image data is split across five IDAT chunks (one of a single byte).",
            ),
            (
                "png-text-metadata.png",
                Picture::photo(64, 64, 34),
                png_text,
                "PNG with small legitimate tEXt, zTXt and iTXt chunks, far below every metadata limit.",
            ),
            (
                "png-iccp-display-p3.png",
                Picture::photo(64, 64, 35),
                png_iccp,
                "PNG with a legitimate Display P3 iCCP profile, for colour management.",
            ),
        ],
    )?);

    // APNG: three full frames; the default image is frame 0, which is what is decoded.
    let frames: Vec<Vec<u8>> = (0..3).map(|i| Picture::photo(64, 48, 36 + i).rgba8()).collect();
    out.push(ok(
        "png-apng-3frames.png",
        Format::Png,
        (64, 48),
        png_with(64, 48, ColorType::Rgba, BitDepth::Eight, &frames, |e| {
            e.set_animated(3, 0)?;
            e.set_frame_delay(1, 10)?;
            Ok(())
        })?,
        "Animated PNG with three frames; this manifest's rendition (`same`: PNG, a still) is its first frame, a WebP rendition keeps every frame.",
    ));
    Ok(out)
}

/// A single-frame GIF of the whole picture; `transparent` is the index its transparent pixels take.
fn gif_still(p: &Picture, transparent: Option<u8>, interlaced: bool) -> Result<Vec<u8>> {
    let frame = GifFrame {
        interlaced,
        ..GifFrame::from_picture(p, transparent)?
    };
    gifw::encode(frame.width, frame.height, &[frame], false)
}

fn gifs() -> Result<Vec<Entry>> {
    let mut out = encoded(
        Format::Gif,
        vec![
            (
                "gif-static.gif",
                Picture::photo(120, 80, 40),
                |p| gif_still(p, None, false),
                "Single-frame GIF89a with a 256-entry global palette.",
            ),
            (
                "gif-transparent.gif",
                Picture::photo(80, 80, 41).with_transparent_border(),
                |p| gif_still(p, Some(TRANSPARENT), false),
                "GIF whose transparent index covers the border around an opaque ellipse.",
            ),
            (
                "gif-interlaced.gif",
                Picture::photo(57, 41, 44),
                |p| gif_still(p, None, true),
                "Interlaced GIF (rows stored in four passes) of odd size.",
            ),
        ],
    )?;

    // Animation: a full first frame, then two small patches composited over it.
    let base = Picture::photo(64, 48, 42);
    let patch = Picture::photo(16, 16, 43);
    let mut frames = vec![GifFrame {
        delay_cs: 10,
        ..GifFrame::from_picture(&base, None)?
    }];
    for (left, top) in [(8u16, 8u16), (40, 24)] {
        frames.push(GifFrame {
            left,
            top,
            delay_cs: 10,
            dispose: DisposalMethod::Keep,
            ..GifFrame::from_picture(&patch, None)?
        });
    }
    out.push(ok(
        "gif-animated-3frames.gif",
        Format::Gif,
        (64, 48),
        gifw::encode(64, 48, &frames, true)?,
        "Looping three-frame GIF whose later frames are sub-rectangles; a still rendition (the one this manifest describes) processes only its first frame, an animated WebP rendition every frame.",
    ));
    Ok(out)
}

fn webps() -> Result<Vec<Entry>> {
    let mut out = encoded(
        Format::Webp,
        vec![
            (
                "webp-lossless.webp",
                Picture::photo(96, 64, 50),
                |p| webpw::lossless(p, false),
                "Lossless VP8L WebP.",
            ),
            (
                "webp-lossless-alpha.webp",
                Picture::photo(80, 80, 51).with_transparent_border(),
                |p| webpw::lossless(p, true),
                "Lossless VP8L WebP with alpha: transparent border, opaque ellipse.",
            ),
            (
                "webp-lossy.webp",
                Picture::photo(150, 101, 52),
                |p| webpw::lossy(p, false, 80.0),
                "Lossy VP8 WebP of odd size.",
            ),
            (
                "webp-lossy-alpha.webp",
                Picture::photo(96, 96, 53).with_transparent_border(),
                |p| webpw::lossy(p, true, 80.0),
                "Lossy WebP with an ALPH chunk (VP8X extended format) and a transparent border.",
            ),
        ],
    )?;
    let frames: Vec<Picture> = (0..3).map(|i| Picture::photo(64, 48, 54 + i)).collect();
    out.push(ok(
        "webp-animated.webp",
        Format::Webp,
        (64, 48),
        webpw::animated(&frames, &[100; 3], 0)?,
        "Animated WebP (ANIM + three ANMF frames); this manifest's rendition (`same`: WebP) keeps every frame, a still or another format is its first frame.",
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::display_p3_icc;

    #[test]
    fn icc_profile_is_deterministic_and_parses() {
        let a = display_p3_icc().unwrap();
        assert_eq!(a, display_p3_icc().unwrap());
        assert_eq!(&a[36..40], b"acsp");
        moxcms::ColorProfile::new_from_slice(&a).unwrap();
    }
}
