//! Times a scaled decode of one file against jpeg-decoder's: `cargo run --release -p imgkit-jpeg --example timing FILE [SCALE]`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: timing FILE [SCALE]");
    let scale: u32 = args.next().map_or(4, |s| s.parse().unwrap());
    let data = std::fs::read(path).unwrap();
    if std::env::var_os("ONCE").is_some() {
        // For instruction counts under valgrind, which timings on a shared machine cannot give.
        imgkit_jpeg::decode(&data, scale, u64::MAX).unwrap();
        return;
    }
    let median = |f: &mut dyn FnMut()| {
        let mut times: Vec<f64> = (0..41)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let ours = median(&mut || {
        imgkit_jpeg::decode(&data, scale, u64::MAX).unwrap();
    });
    let theirs = median(&mut || {
        let mut d = jpeg_decoder::Decoder::new(&data[..]);
        d.read_info().unwrap();
        let i = d.info().unwrap();
        d.scale(i.width.div_ceil(scale as u16), i.height.div_ceil(scale as u16))
            .unwrap();
        d.decode().unwrap();
    });
    println!(
        "1/{scale}: imgkit-jpeg {ours:.1} ms, jpeg-decoder {theirs:.1} ms, ratio {:.2}",
        ours / theirs
    );
}
