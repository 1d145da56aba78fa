//! imgkit-jpeg against the general JPEG decoders, per scale: the decoder's own targets (issue 15: full
//! size no slower than zune-jpeg, 1/2 at most 0.6× imgkit-jpeg's own full size) measured side by side.
//!
//! ```text
//! cargo bench -p imgkit-benches --bench jpeg                              # the generated 12 MP photo
//! IMGKIT_BENCH_IMAGES=~/photos cargo bench -p imgkit-benches --bench jpeg # every *.jpg in a folder
//! ```
//!
//! Ids are `INPUT/DECODER`: `imgkit_jpeg_1_{1,2,4,8}` (8-bit RGB out at that scale), `zune_jpeg` (full size, RGB,
//! one thread) and `jpeg_decoder` (full size, RGB; it runs its IDCT on a thread of its own). Files imgkit-jpeg does not handle (progressive, for now)
//! skip its rows with a message.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

const ENV: &str = "IMGKIT_BENCH_IMAGES";

fn inputs() -> Vec<(String, Vec<u8>)> {
    let Some(dir) = std::env::var_os(ENV) else {
        let jpeg = imgkit_testkit::encode::photo_jpeg(4032, 3024, 90);
        return vec![("jpeg_12mp".to_owned(), jpeg)];
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{ENV}={}: {e}", dir.to_string_lossy()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
            p.is_file() && ["jpg", "jpeg"].iter().any(|x| ext.eq_ignore_ascii_case(x))
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let stem = p.file_stem().unwrap().to_string_lossy();
            let label: String = stem
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            (label, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    for (label, bytes) in inputs() {
        let mut group = c.benchmark_group(&label);
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        let full = imgkit_jpeg::decode(&bytes, 1, u64::MAX);
        if let Ok(image) = &full {
            group.throughput(Throughput::Elements(
                u64::from(image.width) * u64::from(image.height),
            ));
            for scale in [1, 2, 4, 8] {
                group.bench_function(format!("imgkit_jpeg_1_{scale}"), |b| {
                    b.iter(|| imgkit_jpeg::decode(black_box(&bytes), scale, u64::MAX).unwrap())
                });
            }
        } else if let Err(e) = &full {
            eprintln!("{label}: imgkit-jpeg does not decode it ({e}); general decoders only");
        }
        group.bench_function("zune_jpeg", |b| {
            let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGB);
            b.iter(|| {
                zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(black_box(&bytes)), options)
                    .decode()
                    .unwrap()
            })
        });
        group.bench_function("jpeg_decoder", |b| {
            b.iter(|| {
                jpeg_decoder::Decoder::new(black_box(&bytes[..]))
                    .decode()
                    .unwrap()
            })
        });
        group.finish();
    }
    c.final_summary();
}
