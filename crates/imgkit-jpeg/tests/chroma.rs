//! Scaled decodes are at least as exact as libjpeg-turbo's, plane by plane (Y, Cb, Cr), for every chroma
//! layout and scale, odd sizes included.
//!
//! Each picture is encoded here at q90 in the four layouts cameras and phones write (4:2:0, 4:2:2,
//! 4:4:0, 4:4:4), baseline and progressive. Both decoders are scored against the picture itself shrunk
//! by box averaging, which is what a decode at 1/s stands for: ours, and libjpeg-turbo's through
//! Pillow's `draft` (Pillow from the tests' venv, `imgkit_testkit::pillow`). A chroma shortcut (chroma
//! transformed at luma's scale and upsampled after) shows in Cb and Cr by several dB at 1/8 and 1/4.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use imgkit_testkit::{box_mean, pillow, psnr_ycbcr};
use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};

const LAYOUTS: [(&str, SamplingFactor); 4] = [
    ("4:2:0", SamplingFactor::F_2_2),
    ("4:2:2", SamplingFactor::F_2_1),
    ("4:4:0", SamplingFactor::F_1_2),
    ("4:4:4", SamplingFactor::F_1_1),
];

/// How much more squared error (in levels², per sample) a plane may have than libjpeg-turbo's: a
/// twentieth of a level², under what rounding to 8 bits alone adds (a twelfth). Where both compute
/// the same thing their rounding differs (their integer transform and colour conversion, our float
/// ones), and near 55 dB, where small thumbnails of q90 files land, that alone moves PSNR by half a
/// dB; a chroma shortcut costs ten times this.
const TOLERANCE_MSE: f64 = 0.05;

/// A picture to encode: name, width, height, packed RGB.
struct Source {
    name: String,
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

/// The pictures: the testkit's photo-like scene (hard colour edges, stripes) at odd sizes, and a real
/// photo (the corpus's AVIF fox, decoded by Pillow) cut to odd sides.
fn sources(dir: &std::path::Path, python: &std::path::Path) -> Vec<Source> {
    let mut out: Vec<Source> = [(203usize, 117usize), (75, 61)]
        .into_iter()
        .map(|(width, height)| Source {
            name: format!("scene {width}x{height}"),
            width,
            height,
            rgb: imgkit_testkit::photo(width as u32, height as u32, 3).into_raw(),
        })
        .collect();
    let fox = dir.join("fox.avif");
    std::fs::copy(
        imgkit_testkit::manifest::corpus_dir().join("external/avif-libavif-8bit-420.avif"),
        &fox,
    )
    .unwrap();
    let decoded = pillow::decode_rgb(python, &[fox]).remove(0);
    let (width, height) = (decoded.width() as usize - 1, decoded.height() as usize - 1);
    let full = decoded.into_raw();
    let rgb = full
        .chunks_exact((width + 1) * 3)
        .take(height)
        .flat_map(|row| &row[..width * 3])
        .copied()
        .collect();
    out.push(Source {
        name: format!("fox photo {width}x{height}"),
        width,
        height,
        rgb,
    });
    out
}

fn encode(source: &Source, sampling: SamplingFactor, progressive: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, 90);
    encoder.set_sampling_factor(sampling);
    // Chroma averaged over the pixels each sample covers, as libjpeg and cameras do (jpeg-encoder's
    // default takes one pixel of them).
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    encoder.set_progressive(progressive);
    encoder
        .encode(
            &source.rgb,
            source.width as u16,
            source.height as u16,
            ColorType::Rgb,
        )
        .unwrap();
    out
}

#[test]
fn every_plane_at_every_scale_is_at_least_as_exact_as_libjpeg_turbo() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chroma");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let python = pillow::python();
    let sources = sources(&dir, &python);

    // Every (picture, file, scale), for one run of Pillow.
    let mut cases = Vec::new();
    for (s, source) in sources.iter().enumerate() {
        for (layout, sampling) in LAYOUTS {
            for progressive in [false, true] {
                let path = dir.join(format!("{s}-{}-{progressive}.jpg", layout.replace(':', "")));
                std::fs::write(&path, encode(source, sampling, progressive)).unwrap();
                let mode = if progressive { "progressive" } else { "baseline" };
                for scale in [1u32, 2, 4, 8] {
                    let name = format!("{} {layout} {mode}", source.name);
                    cases.push((source, name, path.clone(), scale));
                }
            }
        }
    }
    let jobs: Vec<(PathBuf, u32)> = cases.iter().map(|(_, _, p, s)| (p.clone(), *s)).collect();
    let theirs = pillow::draft_rgb(&python, &jobs);

    let mut failures = Vec::new();
    let mut report =
        String::from("picture layout mode | scale | Y ours/turbo | Cb ours/turbo | Cr ours/turbo\n");
    for ((source, name, path, scale), turbo) in cases.iter().zip(&theirs) {
        let scale = *scale;
        let ours = imgkit_jpeg::decode(&std::fs::read(path).unwrap(), scale, u64::MAX)
            .unwrap_or_else(|e| panic!("{name} 1/{scale}: {e}"));
        let size = (
            source.width.div_ceil(scale as usize),
            source.height.div_ceil(scale as usize),
        );
        assert_eq!(
            (ours.width as usize, ours.height as usize),
            size,
            "{name} 1/{scale}"
        );
        assert_eq!(
            turbo.dimensions(),
            (size.0 as u32, size.1 as u32),
            "{name} 1/{scale}"
        );
        let exact = box_mean(&source.rgb, source.width, source.height, 3, scale as usize);
        let (mine, turbo) = (
            psnr_ycbcr(&exact, &ours.pixels),
            psnr_ycbcr(&exact, turbo.as_raw()),
        );
        report.push_str(&format!(
            "{name} | 1/{scale} | {:.1}/{:.1} | {:.1}/{:.1} | {:.1}/{:.1}\n",
            mine[0], turbo[0], mine[1], turbo[1], mine[2], turbo[2]
        ));
        let mse = |db: f64| 255.0 * 255.0 / 10f64.powf(db / 10.0);
        for (plane, (m, t)) in ["Y", "Cb", "Cr"].iter().zip(mine.iter().zip(&turbo)) {
            if mse(*m) > mse(*t) + TOLERANCE_MSE {
                failures.push(format!(
                    "{name} 1/{scale} {plane}: {m:.2} dB, libjpeg-turbo {t:.2} dB"
                ));
            }
        }
    }
    eprintln!("{report}");
    assert!(
        failures.is_empty(),
        "under libjpeg-turbo:\n{}",
        failures.join("\n")
    );
}
