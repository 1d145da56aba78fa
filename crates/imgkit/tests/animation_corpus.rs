//! Every file under `corpus/animation/` against `corpus/animation/manifest.tsv` (one test per file).
//!
//! The animated rendition (`40w,webp`): an ok row's output has the manifest's size and `Output::frames`,
//! and the WebP read back holds that many frames with the manifest's delays and loop count; a reject row
//! fails with the manifest's error kind, as the input's fault, naming the failing frame where the row gives
//! one. The still rendition (`40w,webp,still`): one frame of the same size, or the manifest's error kind.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a test failure

use std::io::Cursor;

use image::codecs::webp::WebPDecoder;
use image::metadata::LoopCount;
use image::AnimationDecoder;
use imgkit::{Class, Format, Limits, Output, Processor, Spec};
use imgkit_testkit::manifest::{self, animation::Row};
use libtest_mimic::{Arguments, Failed, Trial};

/// Each frame's delay in milliseconds and the loop count (0: forever), as `image` reads the WebP back.
fn read_back(webp: &[u8]) -> Result<(Vec<u32>, u32), Failed> {
    let decoder = WebPDecoder::new(Cursor::new(webp)).map_err(|e| format!("output does not decode: {e}"))?;
    let loops = match decoder.loop_count() {
        LoopCount::Infinite => 0,
        LoopCount::Finite(n) => n.get(),
    };
    let delays = decoder
        .into_frames()
        .map(|frame| {
            let (numer, denom) = frame?.delay().numer_denom_ms();
            Ok((numer + denom / 2) / denom.max(1))
        })
        .collect::<image::ImageResult<Vec<u32>>>()
        .map_err(|e| format!("output frame does not decode: {e}"))?;
    Ok((delays, loops))
}

/// A WebP of the manifest's output size.
fn sized(out: &Output, row: &Row, rendition: &str) -> Result<(), Failed> {
    if out.format != Format::WebP || (out.width, out.height) != row.thumb {
        return Err(format!(
            "{rendition}: expected a {:?} WebP, got a {}x{} {}",
            row.thumb, out.width, out.height, out.format
        )
        .into());
    }
    Ok(())
}

/// The error must be `kind`, and the input's fault.
fn refused(err: &imgkit::Error, kind: &str, rendition: &str) -> Result<(), Failed> {
    if err.kind().to_string() != kind {
        return Err(format!("{rendition}: expected {kind}, got {} ({err})", err.kind()).into());
    }
    if err.class() != Class::Rejected {
        return Err(format!(
            "{rendition}: {kind} must be the input's fault, got {:?}",
            err.class()
        )
        .into());
    }
    Ok(())
}

fn check(row: &Row) -> Result<(), Failed> {
    let bytes = row.bytes();
    let animated: Spec = "40w,webp".parse()?;
    let still: Spec = "40w,webp,still".parse()?;
    let mut processor = Processor::new(Limits::default());

    match (&row.animated, processor.process(&bytes, &animated)) {
        (Ok(want), Ok(out)) => {
            sized(&out, row, "animated")?;
            if out.frames != want.frames() {
                return Err(format!("Output::frames is {}, expected {}", out.frames, want.frames()).into());
            }
            let (delays, loops) = read_back(&out.bytes)?;
            if delays != want.delays_ms {
                return Err(format!(
                    "the WebP holds {} frames of {delays:?} ms, expected {} of {:?}",
                    delays.len(),
                    want.frames(),
                    want.delays_ms
                )
                .into());
            }
            if loops != want.loops {
                return Err(format!(
                    "the WebP plays {loops} times (0: forever), expected {}",
                    want.loops
                )
                .into());
            }
        }
        (Ok(want), Err(err)) => {
            return Err(format!("expected {} frames, got {} ({err})", want.frames(), err.kind()).into())
        }
        (Err(want), Ok(out)) => {
            return Err(format!(
                "expected {}, got {} frames of {}x{}",
                want.kind, out.frames, out.width, out.height
            )
            .into())
        }
        (Err(want), Err(err)) => {
            refused(&err, &want.kind, "animated")?;
            if let Some(n) = want.decoded_before_failure {
                let message = err.to_string();
                // Frames are numbered from 1 in messages; the manifest counts those decoded before.
                let named = n + 1;
                if !message.contains(&format!("frame {named}:")) {
                    return Err(format!("the error does not name frame {named}: {message}").into());
                }
            }
        }
    }

    match (&row.still, processor.process(&bytes, &still)) {
        (Ok(()), Ok(out)) => {
            sized(&out, row, "still")?;
            if out.frames != 1 {
                return Err(format!("the still has {} frames", out.frames).into());
            }
        }
        (Ok(()), Err(err)) => return Err(format!("the still fails: {} ({err})", err.kind()).into()),
        (Err(kind), Ok(_)) => {
            return Err(format!("expected the still to fail with {kind}, it succeeded").into())
        }
        (Err(kind), Err(err)) => refused(&err, kind, "still")?,
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let rows = manifest::animation::rows();
    assert!(
        rows.len() >= 12,
        "animation corpus too small: {} files",
        rows.len()
    );
    let mut listed: Vec<String> = rows.iter().map(|r| r.file.clone()).collect();
    listed.sort();
    let folder = manifest::animation::FOLDER;
    let mut on_disk: Vec<String> = std::fs::read_dir(manifest::corpus_dir().join(folder))
        .expect("corpus/animation")
        .map(|e| format!("{folder}/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|f| f != manifest::animation::MANIFEST)
        .collect();
    on_disk.sort();
    assert_eq!(
        listed, on_disk,
        "the animation manifest and folder list different files"
    );

    let trials = rows
        .into_iter()
        .map(|row| Trial::test(row.file.clone(), move || check(&row)))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
