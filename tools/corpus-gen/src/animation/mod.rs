//! The animation set, `animation/`: animated GIF, WebP and APNG files and what an animated WebP rendition
//! of each must keep (frames, delays, loop count) or why it must be refused.
//!
//! As for the rest of the corpus, every expectation is what this generator wrote, not what imgkit answers:
//! delays and loop counts come from the same tables the files are written from, the hostile counts from
//! imgkit's documented default limits.

pub mod manifest;

use gif::{DisposalMethod, Repeat};
use png::{BlendOp, DisposeOp};

use crate::gifw::{self, GifFrame, TRANSPARENT};
use crate::manifest::{Format, Reject};
use crate::picture::Picture;
use crate::pngw::{self, ApngFrame, FrameControl};
use crate::webpw::{self, Anmf};
use crate::{err, Entry, Result};
use manifest::{Animated, Row};

/// The folder, under the corpus directory.
pub const DIR: &str = "animation";

/// imgkit's default `Limits::max_frames`: the hostile counts sit on either side of it.
pub(crate) const MAX_FRAMES: u32 = 1024;
/// imgkit's default `Limits::max_animation_pixels` (frames × canvas pixels).
pub(crate) const MAX_ANIMATION_PIXELS: u64 = 400_000_000;
/// imgkit's default `Limits::max_animated_output_pixels` (frames × output pixels).
pub(crate) const MAX_ANIMATED_OUTPUT_PIXELS: u64 = 50_000_000;

/// An animation file and its row.
pub type AnimEntry = Entry<Row>;

/// What the animated rendition and the still of a file must come to (`None`: the still is accepted).
type Outcome = (Animated, Option<Reject>);

/// Every animation file, in no particular order (the manifest sorts).
pub(crate) fn entries() -> Result<Vec<AnimEntry>> {
    let mut out = gifs()?;
    out.extend(hostile_gifs()?);
    out.extend(apngs()?);
    out.extend(webps()?);
    Ok(out)
}

fn entry(
    name: &str,
    format: Format,
    canvas: (u32, u32),
    bytes: Vec<u8>,
    (animated, still): Outcome,
    note: &str,
) -> AnimEntry {
    Entry {
        row: Row {
            file: format!("{DIR}/{name}"),
            format,
            canvas,
            animated,
            still,
            note: note.to_owned(),
        },
        bytes,
    }
}

/// Every frame kept with its delay and the file's loop count; the still accepted.
fn kept(delays_ms: Vec<u32>, loops: u32) -> Outcome {
    (Animated::Ok { delays_ms, loops }, None)
}

/// The animated rendition refused with `kind` (after `decoded` frames), the still as `still`.
fn refused(kind: Reject, decoded: Option<u32>, still: Option<Reject>) -> Outcome {
    (Animated::Reject { kind, decoded }, still)
}

/// A picture of `width × height` from `seed`; a cut-out (transparent border around an opaque ellipse) if
/// `cutout`.
fn picture(width: u32, height: u32, seed: u64, cutout: bool) -> Picture {
    let p = Picture::photo(width, height, seed);
    if cutout {
        p.with_transparent_border()
    } else {
        p
    }
}

// ---- GIF ----

/// A GIF frame of a table: `(left, top, width, height)`, picture seed, cut-out (its border then takes the
/// transparent index), disposal, delay in centiseconds.
type GifRow = ((u16, u16, u16, u16), u64, bool, DisposalMethod, u16);

fn gif_frames(rows: &[GifRow], interlaced: bool) -> Result<Vec<GifFrame>> {
    rows.iter()
        .map(|&((left, top, width, height), seed, cutout, dispose, delay_cs)| {
            let pic = picture(u32::from(width), u32::from(height), seed, cutout);
            Ok(GifFrame {
                left,
                top,
                interlaced,
                dispose,
                delay_cs,
                ..GifFrame::from_picture(&pic, cutout.then_some(TRANSPARENT))?
            })
        })
        .collect()
}

/// How many times a GIF plays, in WebP's terms (where the loop count is the number of plays): a NETSCAPE
/// loop count of n repeats the animation n times after it first plays, as browsers and libwebp's gif2webp
/// read it; 0 is forever; a GIF without the block plays once.
fn gif_plays(repeat: Option<Repeat>) -> u32 {
    match repeat {
        None => 1,
        Some(Repeat::Infinite | Repeat::Finite(0)) => 0,
        Some(Repeat::Finite(n)) => u32::from(n) + 1,
    }
}

/// Each frame's delay in milliseconds as the WebP shows it: a frame that repeats the one before it (same
/// rectangle and picture over a kept frame) leaves the canvas as it was, and an animated WebP folds it
/// into that frame, whose delay grows by its own (libwebp's encoder does so, as gif2webp does).
fn gif_delays(rows: &[GifRow]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let ms = u32::from(row.4) * 10;
        let repeats = i > 0 && {
            let before = &rows[i - 1];
            (before.0, before.1, before.2, before.3) == (row.0, row.1, row.2, DisposalMethod::Keep)
        };
        match out.last_mut() {
            Some(last) if repeats => *last += ms,
            _ => out.push(ms),
        }
    }
    out
}

/// A GIF table row: file name, logical screen, loop block, interlaced frames, frames, note.
type GifFile<'a> = (&'a str, (u16, u16), Option<Repeat>, bool, Vec<GifRow>, &'a str);

fn gifs() -> Result<Vec<AnimEntry>> {
    use DisposalMethod::{Background, Keep, Previous};
    let files: Vec<GifFile<'_>> = vec![
        (
            "gif-subframes-disposal.gif",
            (64, 48),
            Some(Repeat::Finite(2)),
            false,
            vec![
                ((0, 0, 64, 48), 100, true, Keep, 10),
                ((8, 6, 20, 16), 101, true, Background, 0),
                ((40, 24, 16, 16), 102, false, Previous, 5),
                ((30, 4, 24, 12), 103, true, Keep, 0),
                ((2, 36, 10, 10), 104, false, Keep, 25),
            ],
            "GIF of a cut-out and four smaller frames at offsets, disposed Keep, Background and Previous, two \
             with transparent borders, two with 0 delay; loop count 2 (three plays).",
        ),
        (
            "gif-interlaced.gif",
            (57, 41),
            Some(Repeat::Infinite),
            true,
            vec![
                ((0, 0, 57, 41), 110, false, Keep, 8),
                ((10, 8, 30, 21), 111, false, Keep, 12),
                ((30, 20, 25, 17), 112, false, Keep, 16),
            ],
            "Looping GIF of odd size whose three frames (one full, two smaller) are all interlaced.",
        ),
        (
            "gif-frame-past-screen.gif",
            (48, 32),
            Some(Repeat::Infinite),
            false,
            vec![
                ((0, 0, 48, 32), 120, false, Keep, 10),
                ((32, 16, 32, 24), 121, false, Keep, 10),
                ((0, 0, 8, 8), 122, false, Keep, 10),
            ],
            "Looping GIF whose second frame (32x24 at 32,16) extends 16 px past the right and 8 px past the \
             bottom of the 48x32 logical screen: clipped to the screen.",
        ),
        (
            "gif-no-loop-block.gif",
            (48, 36),
            None,
            false,
            vec![
                ((0, 0, 48, 36), 130, false, Keep, 5),
                ((0, 0, 48, 36), 131, false, Keep, 15),
                ((0, 0, 48, 36), 132, false, Keep, 25),
            ],
            "Three-frame GIF without a NETSCAPE2.0 block: it plays once, so the WebP must not loop.",
        ),
        (
            "gif-repeated-frame.gif",
            (48, 32),
            Some(Repeat::Infinite),
            false,
            vec![
                ((0, 0, 48, 32), 135, false, Keep, 10),
                ((0, 0, 48, 32), 135, false, Keep, 20),
                ((0, 0, 48, 32), 136, false, Keep, 30),
                ((0, 0, 48, 32), 137, false, Keep, 40),
            ],
            "Looping GIF whose second frame repeats the first (a hold, as GIF editors write): the WebP folds it \
             into the first, shown for 300 ms, so three frames.",
        ),
    ];
    let mut out = files
        .into_iter()
        .map(|(name, (w, h), repeat, interlaced, rows, note)| {
            let bytes = gifw::encode_looping(w, h, &gif_frames(&rows, interlaced)?, repeat)?;
            let canvas = (u32::from(w), u32::from(h));
            let outcome = kept(gif_delays(&rows), gif_plays(repeat));
            Ok(entry(name, Format::Gif, canvas, bytes, outcome, note))
        })
        .collect::<Result<Vec<_>>>()?;

    // Cut in the middle of the third frame's LZW data: the first two frames decode, the third cannot.
    let rows = [
        ((0, 0, 48, 32), 140, false, Keep, 10),
        ((8, 8, 16, 16), 141, false, Keep, 10),
        ((16, 8, 32, 24), 142, false, Keep, 10),
    ];
    let full = gifw::encode_looping(48, 32, &gif_frames(&rows, false)?, Some(Repeat::Infinite))?;
    let third = gifw::frame_data(&full)
        .get(2)
        .cloned()
        .ok_or_else(|| err("the truncated GIF has no third frame"))?;
    if third.len() < 200 {
        return Err(err("the third frame is too small to cut inside its data"));
    }
    out.push(entry(
        "gif-truncated-in-frame-3.gif",
        Format::Gif,
        (48, 32),
        full[..third.start + third.len() / 2].to_vec(),
        refused(Reject::Malformed, Some(2), None),
        "Looping GIF cut halfway through the LZW data of its third frame (no trailer): the animation fails \
         at that frame, the still (the intact first frame) is fine.",
    ));
    Ok(out)
}

/// A GIF of `count` 1x1 frames on a `screen`, one after another along its rows, each a different colour
/// from the one before, shown 2 cs each, looping: the cheapest file with that many frames.
fn tiny_frames(screen: (u16, u16), count: u32) -> Result<Vec<u8>> {
    let area = u32::from(screen.0) * u32::from(screen.1);
    let frames = (0..count)
        .map(|i| {
            let at = i % area;
            Ok(GifFrame {
                left: u16::try_from(at % u32::from(screen.0))?,
                top: u16::try_from(at / u32::from(screen.0))?,
                width: 1,
                height: 1,
                indices: vec![u8::try_from(i % 252)?],
                transparent: None,
                interlaced: false,
                delay_cs: 2,
                dispose: DisposalMethod::Keep,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    gifw::encode_looping(screen.0, screen.1, &frames, Some(Repeat::Infinite))
}

/// A table row of [`tiny_frames`] GIFs: file name, logical screen, frames, outcome, note.
type TinyFile<'a> = (&'a str, (u16, u16), u32, Outcome, &'a str);

fn hostile_gifs() -> Result<Vec<AnimEntry>> {
    use Reject::{MaxAnimatedOutputPixels, MaxAnimationPixels, MaxFrames};
    let files: Vec<TinyFile<'_>> = vec![
        (
            "gif-1024-frames.gif",
            (4, 4),
            MAX_FRAMES,
            kept(vec![20; MAX_FRAMES as usize], 0),
            "4x4 looping GIF of exactly max_frames (1024) 1x1 frames of 20 ms: at the limit, accepted.",
        ),
        (
            "gif-1025-frames.gif",
            (4, 4),
            MAX_FRAMES + 1,
            refused(MaxFrames, None, Some(MaxFrames)),
            "4x4 looping GIF of 1025 1x1 frames, one past max_frames: refused at the probe, still or not.",
        ),
        (
            "gif-1000-frames-2000x1000.gif",
            (2000, 1000),
            1000,
            refused(MaxAnimationPixels, None, None),
            "1000 1x1 frames on a 2000x1000 screen: 2,000,000,000 canvas pixels to decode, five times \
             max_animation_pixels, in 25 KB; the still (one 2 MP canvas) is fine.",
        ),
        (
            "gif-1000-frames-40x1300.gif",
            (40, 1300),
            1000,
            refused(MaxAnimatedOutputPixels, None, None),
            "1000 1x1 frames on a 40x1300 screen, which a 40-wide rendition keeps: 52,000,000 output pixels, \
             over max_animated_output_pixels but within max_animation_pixels.",
        ),
    ];
    files
        .into_iter()
        .map(|(name, (w, h), count, outcome, note)| {
            let canvas = (u32::from(w), u32::from(h));
            Ok(entry(
                name,
                Format::Gif,
                canvas,
                tiny_frames((w, h), count)?,
                outcome,
                note,
            ))
        })
        .collect()
}

// ---- APNG ----

/// An APNG frame of a table: its control, picture seed, cut-out.
type ApngRow = (FrameControl, u64, bool);

/// A frame control for a table: `(x, y, width, height)`, delay as a fraction of a second, disposal, blending.
fn control(
    (x, y, width, height): (u32, u32, u32, u32),
    delay: (u16, u16),
    dispose: DisposeOp,
    blend: BlendOp,
) -> FrameControl {
    FrameControl {
        width,
        height,
        x,
        y,
        delay,
        dispose,
        blend,
    }
}

/// The APNG of `rows` on `canvas`, its acTL declaring `declared` frames and `plays`; with `default`, the
/// IDAT is a picture of that seed outside the animation.
fn apng_file(
    canvas: (u32, u32),
    declared: u32,
    plays: u32,
    default: Option<u64>,
    rows: &[ApngRow],
) -> Vec<u8> {
    let frames: Vec<ApngFrame> = rows
        .iter()
        .map(|&(control, seed, cutout)| ApngFrame {
            control,
            rgba: picture(control.width, control.height, seed, cutout).rgba8(),
        })
        .collect();
    let default = default.map(|seed| Picture::photo(canvas.0, canvas.1, seed).rgba8());
    pngw::apng(canvas, declared, plays, default.as_deref(), &frames)
}

/// A frame's delay in whole milliseconds (half up): `num / den` seconds, a `den` of 0 meaning 100.
fn apng_ms((num, den): (u16, u16)) -> u32 {
    let den = if den == 0 { 100 } else { u32::from(den) };
    (u32::from(num) * 1000 + den / 2) / den
}

/// An APNG table row: file name, canvas, plays, seed of a default image outside the animation, frames, note.
type ApngFile<'a> = (&'a str, (u32, u32), u32, Option<u64>, Vec<ApngRow>, &'a str);

fn apngs() -> Result<Vec<AnimEntry>> {
    use BlendOp::{Over, Source};
    use DisposeOp::{Background, None as Keep, Previous};
    let files: Vec<ApngFile<'_>> = vec![
        (
            "apng-subframes.png",
            (48, 32),
            2,
            None,
            vec![
                (control((0, 0, 48, 32), (1, 10), Keep, Source), 150, false),
                (control((4, 4, 20, 12), (0, 0), Background, Over), 151, true),
                (control((28, 12, 16, 16), (7, 0), Previous, Source), 152, false),
                (control((10, 18, 12, 12), (1, 3), Keep, Over), 153, true),
            ],
            "APNG (IDAT the first frame) then three fcTL sub-frames at offsets: dispose none, background and \
             previous, blend source and over (cut-outs), delays 1/10, 0/0, 7/0 (a denominator of 0 means \
             1/100 s) and 1/3 s; plays twice.",
        ),
        (
            "apng-default-image-outside.png",
            (32, 24),
            0,
            Some(160),
            vec![
                (control((0, 0, 32, 24), (50, 1000), Previous, Source), 161, false),
                (control((0, 0, 32, 24), (3, 20), Keep, Source), 162, false),
                (control((0, 0, 32, 24), (1, 1), Keep, Source), 163, false),
            ],
            "Looping APNG whose IDAT (the still) has no fcTL, so is not part of the three-frame animation; the \
             first frame disposes to previous, which the spec reads as background.",
        ),
    ];
    let mut out = files
        .into_iter()
        .map(|(name, canvas, plays, default, rows, note)| {
            let declared = u32::try_from(rows.len())?;
            let bytes = apng_file(canvas, declared, plays, default, &rows);
            let delays = rows.iter().map(|r| apng_ms(r.0.delay)).collect();
            Ok(entry(name, Format::Png, canvas, bytes, kept(delays, plays), note))
        })
        .collect::<Result<Vec<_>>>()?;

    // acTL against the frames held: three full frames of 1/10 s, plays once.
    let rows: Vec<ApngRow> = (0..3)
        .map(|i| (control((0, 0, 32, 24), (1, 10), Keep, Source), 170 + i, false))
        .collect();
    out.push(entry(
        "apng-actl-more-frames.png",
        Format::Png,
        (32, 24),
        apng_file((32, 24), 5, 1, None, &rows),
        refused(Reject::Malformed, Some(3), None),
        "APNG whose acTL declares 5 frames but which holds 3 (the spec calls it an error): the animation \
         fails where the fourth frame should be; the still (its IDAT) is fine.",
    ));
    out.push(entry(
        "apng-actl-fewer-frames.png",
        Format::Png,
        (32, 24),
        apng_file((32, 24), 2, 1, None, &rows),
        kept(vec![100; 2], 1),
        "APNG whose acTL declares 2 frames but which holds 3: only the declared frames, the count the limits \
         were checked against, are read.",
    ));
    Ok(out)
}

// ---- WebP ----

/// A frame of an animated WebP assembled here: `(x, y, width, height)`, picture seed, lossy (else
/// lossless), cut-out, blended (else replacing its rectangle), disposed to the background after, duration
/// in milliseconds.
type AnmfRow = ((u32, u32, u32, u32), u64, bool, bool, bool, bool, u32);

fn webps() -> Result<Vec<AnimEntry>> {
    // libwebp's own animation encoder: its choice of sub-rectangles and blending, as real files have.
    let durations = [40, 120, 200, 120];
    let pictures: Vec<Picture> = (0..4).map(|i| Picture::photo(64, 48, 180 + i)).collect();
    let mut out = vec![entry(
        "webp-durations.webp",
        Format::Webp,
        (64, 48),
        webpw::animated(&pictures, &durations, 5)?,
        kept(durations.iter().map(|&d| d.unsigned_abs()).collect(), 5),
        "Animated WebP from libwebp's encoder, four lossy frames of 40, 120, 200 and 120 ms, plays five times.",
    )];

    let rows: Vec<AnmfRow> = vec![
        ((0, 0, 64, 48), 190, false, true, false, false, 100),
        ((8, 8, 24, 16), 191, true, true, true, true, 60),
        ((36, 20, 20, 20), 192, false, true, false, false, 250),
        ((0, 36, 16, 12), 193, false, false, true, false, 30),
    ];
    let frames = rows
        .iter()
        .map(
            |&((x, y, width, height), seed, lossy, cutout, blend, dispose, duration_ms)| {
                let pic = picture(width, height, seed, cutout);
                let still = if lossy {
                    webpw::lossy(&pic, cutout, 80.0)?
                } else {
                    webpw::lossless(&pic, cutout)?
                };
                Ok(Anmf {
                    x,
                    y,
                    blend,
                    dispose,
                    ..Anmf::of(&still, (width, height), duration_ms)?
                })
            },
        )
        .collect::<Result<Vec<_>>>()?;
    out.push(entry(
        "webp-alpha-subframes.webp",
        Format::Webp,
        (64, 48),
        webpw::animation((64, 48), true, 0, &frames),
        kept(rows.iter().map(|r| r.6).collect(), 0),
        "Looping animated WebP with alpha: a lossless cut-out, then frames at offsets (lossy with ALPH, and \
         lossless), replacing or blended, one disposed to the background; 100, 60, 250 and 30 ms.",
    ));
    Ok(out)
}
