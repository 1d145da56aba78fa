//! The imgkit criterion suite: every pipeline stage on its own and the whole pipeline end to end, on JPEG,
//! PNG and WebP inputs of 1, 3, 12 and 24 MP, plus the peak heap of every job.
//!
//! ```text
//! cargo bench -p imgkit-benches                          # everything (slow: filter, or --quick)
//! cargo bench -p imgkit-benches -- jpeg_12mp             # one input (criterion's usual regex filter)
//! cargo bench -p imgkit-benches -- '/decode'             # one stage, every input
//! cargo bench -p imgkit-benches -- --quick               # criterion's quick mode: rough, fast
//! IMGKIT_BENCH_IMAGES=~/photos cargo bench -p imgkit-benches   # real photos instead
//! ```
//!
//! Criterion writes its HTML report (every benchmark's charts, and comparisons with the previous run) to
//! `target/criterion/report/index.html`.
//!
//! Benchmark ids are `INPUT/JOB`. INPUT is `{jpeg,png,webp}_{1,3,12,24}mp` for the generated inputs:
//! deterministic [`photo`](imgkit_testkit::photo) scenes of 1152×864, 2048×1536, 4032×3024
//! and 6000×4000, as a baseline 4:2:0 JPEG at q90, an RGB PNG (noise-free, `image`'s default
//! compression) and a lossy WebP at q90 (libwebp). JOB is one of:
//!
//! - `probe`: [`imgkit::probe`] (both sniffers, container walk, header, limits).
//! - `decode_full`: [`imgkit::decode`]; for JPEG also `decode_1_2`, `decode_1_4`, `decode_1_8`: the
//!   DCT-scaled [`imgkit::decode_scaled`] that shrink-on-load uses. Other formats always decode in full.
//! - `resize_{1600,800,200}w` (JPEG inputs, targets narrower than the input): resampling the full decode
//!   to that width, Lanczos3. Timed with [`Processor::render`] and criterion's `iter_custom`, adding up
//!   only the render's own `timings.resize` (resample + orientation + colour conversion, the latter two
//!   no-ops on these inputs), so the encode that `render` also does is not counted.
//! - `encode_{W}w_{jpeg_q80,png,webp_q80}` (JPEG inputs): encoding the 1600 px wide rendition (or the
//!   whole image when it is narrower), timed the same way from `timings.encode`. Its pixels are the
//!   real rendition, decoded back from a lossless PNG, so rendering it again needs no resampling.
//! - `e2e_400w`: [`Processor::process`], one 400 px wide JPEG q80, shrink-on-load on (the default).
//! - `e2e_3x`: [`Processor::process_many`], 1600, 800 and 200 px wide JPEG q80 from one decode (a 1 MP
//!   input keeps its own width for the "1600" rendition: imgkit does not enlarge).
//!
//! Resize and encode time the same pixels whatever the input format (every decoder here yields 8-bit
//! RGB), so they run on the JPEG inputs only, which keeps the full suite to about 85 benchmarks.
//! Throughput is reported in input pixels, or output pixels for `encode_*`. The `Processor` is reused
//! across iterations, as a warm Lambda or a batch worker would.
//!
//! **Real photos**: `IMGKIT_BENCH_IMAGES=DIR` replaces the generated inputs with every `*.jpg`, `*.jpeg`,
//! `*.png` and `*.webp` file directly in DIR (not in subdirectories; extension case ignored), in name
//! order. The format is sniffed from the content; files that fail [`imgkit::probe`] under the default
//! limits are skipped with a message. INPUT is then `{format}_{N}mp_{file stem}` (non-alphanumerics in
//! the stem become `_`); resize and encode run on the JPEG files, or on every file if there is none.
//! Every file runs the whole set of jobs, so keep the directory small or filter.
//!
//! **Peak heap**: the bench binary's global allocator counts live heap bytes. The first time criterion
//! runs a job (after its input is generated and decoded, before any timed iteration) the job runs once
//! more, untimed, with a fresh `Processor`, and the largest number of heap bytes live during it above
//! those live when it started is recorded: input bytes and a decode the job starts from are not
//! counted, the processor's resize buffers and the outputs are. `resize_*` and `encode_*` record the whole
//! `render` call (the resized image and the encoded output together). After criterion is done, the table
//! of this run's jobs is printed on stdout and merged into `peak-heap.json` in criterion's output
//! directory (see [`write_peak_json`] for the format), so jobs left out by a filter keep their last
//! figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::cell::{OnceCell, RefCell};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use imgkit::{Decoded, Format, Limits, Output, OutputFormat, Processor, Spec, Timings};

/// Generated inputs: megapixel label, width, height.
const SIZES: [(u32, u32, u32); 4] = [
    (1, 1152, 864),
    (3, 2048, 1536),
    (12, 4032, 3024),
    (24, 6000, 4000),
];
/// Rendition widths of the `resize_*` and `e2e_3x` jobs; the first is also the `encode_*` size.
const WIDTHS: [u32; 3] = [1600, 800, 200];
/// Width of the single-rendition `e2e_400w` job (the headline job of the comparison with sharp).
const SINGLE: u32 = 400;
const JPEG_Q80: OutputFormat = OutputFormat::Jpeg { quality: 80 };
const ENV: &str = "IMGKIT_BENCH_IMAGES";

fn main() {
    let (source, inputs) = match std::env::var_os(ENV) {
        Some(dir) => real_inputs(Path::new(&dir)),
        None => ("generated".to_owned(), generated_inputs()),
    };
    let mut c = Criterion::default().configure_from_args();
    let peaks = Peaks::default();
    for input in &inputs {
        bench_input(&mut c, input, &peaks);
    }
    c.final_summary();
    peaks.report(&source);
}

/// One input of the suite. Its bytes are made (or read) only when a benchmark of it passes the filter.
struct Input {
    label: String,
    format: Format,
    width: u32,
    height: u32,
    /// Width as displayed (EXIF orientation applied): what `Spec::width` refers to.
    display_width: u32,
    display_height: u32,
    /// Whether the resize and encode stages run on this input.
    stages: bool,
    origin: Origin,
}

enum Origin {
    Generated,
    File(PathBuf),
}

impl Input {
    fn load(&self) -> Vec<u8> {
        match &self.origin {
            Origin::File(path) => {
                std::fs::read(path).unwrap_or_else(|e| panic!("{ENV}: reading {}: {e}", path.display()))
            }
            Origin::Generated => {
                let (w, h) = (self.width, self.height);
                match self.format {
                    Format::Jpeg => imgkit_testkit::encode::photo_jpeg(w, h, 90),
                    Format::Png => imgkit_testkit::encode::photo_png(w, h),
                    _ => imgkit_testkit::encode::photo_webp(w, h, 90.0),
                }
            }
        }
    }

    fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

fn generated_inputs() -> Vec<Input> {
    let mut inputs = Vec::new();
    for (mp, width, height) in SIZES {
        for format in [Format::Jpeg, Format::Png, Format::WebP] {
            inputs.push(Input {
                label: format!("{format}_{mp}mp"),
                format,
                width,
                height,
                display_width: width,
                display_height: height,
                stages: format == Format::Jpeg,
                origin: Origin::Generated,
            });
        }
    }
    inputs
}

fn real_inputs(dir: &Path) -> (String, Vec<Input>) {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{ENV}={}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
            path.is_file()
                && ["jpg", "jpeg", "png", "webp"]
                    .iter()
                    .any(|known| ext.eq_ignore_ascii_case(known))
        })
        .collect();
    paths.sort();
    let mut inputs = Vec::new();
    for path in paths {
        let info = std::fs::read(&path).map_err(|e| e.to_string()).and_then(|bytes| {
            imgkit::probe(&bytes, &Limits::default())
                .map(imgkit::Probed::into_info)
                .map_err(|e| e.to_string())
        });
        let info = match info {
            Ok(info) => info,
            Err(e) => {
                eprintln!("{ENV}: skipping {}: {e}", path.display());
                continue;
            }
        };
        let stem: String = path
            .file_stem()
            .map(|s| s.to_string_lossy())
            .unwrap_or_default()
            .chars()
            .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '_' })
            .collect();
        let pixels = u64::from(info.width) * u64::from(info.height);
        let size = if pixels >= 1_000_000 {
            format!("{}mp", (pixels + 500_000) / 1_000_000)
        } else {
            format!("{}kp", pixels / 1000)
        };
        inputs.push(Input {
            label: format!("{}_{size}_{stem}", info.format),
            format: info.format,
            width: info.width,
            height: info.height,
            display_width: info.display_size().0,
            display_height: info.display_size().1,
            stages: info.format == Format::Jpeg,
            origin: Origin::File(path),
        });
    }
    assert!(
        !inputs.is_empty(),
        "{ENV}={}: no usable .jpg, .jpeg, .png or .webp file",
        dir.display()
    );
    if !inputs.iter().any(|i| i.stages) {
        inputs.iter_mut().for_each(|i| i.stages = true);
    }
    (dir.display().to_string(), inputs)
}

/// Criterion settings by input size, chosen to keep the whole suite short enough to run routinely: many
/// cheap samples for small inputs, 10 flat samples (at least one run each) for 12 and 24 MP ones, whose
/// pipelines are too slow per run for criterion's default sampling.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>, pixels: u64) {
    group.warm_up_time(Duration::from_secs(1));
    if pixels >= 8_000_000 {
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .measurement_time(Duration::from_secs(3));
    } else {
        group.sample_size(20).measurement_time(Duration::from_secs(2));
    }
}

fn bench_input(c: &mut Criterion, input: &Input, peaks: &Peaks) {
    let limits = Limits::default();
    // Made on first use and dropped when this input is done, so a filter that skips an input skips its
    // generation too, and only one input's data is alive at a time.
    let bytes: OnceCell<Vec<u8>> = OnceCell::new();
    let bytes = || -> &[u8] { bytes.get_or_init(|| input.load()) };
    let full: OnceCell<Decoded> = OnceCell::new();
    let full = || full.get_or_init(|| imgkit::decode(bytes(), &limits).expect("full decode"));
    let mut processor = Processor::new(limits);

    let mut group = c.benchmark_group(&input.label);
    configure(&mut group, input.pixels());
    group.throughput(Throughput::Elements(input.pixels()));
    let id = |job: &str| format!("{}/{job}", input.label);

    group.bench_function("probe", |b| {
        let bytes = bytes();
        peaks.once(&id("probe"), input, bytes.len(), || imgkit::probe(bytes, &limits));
        b.iter(|| imgkit::probe(black_box(bytes), &limits).expect("probe"));
    });

    let scales: &[u32] = if input.format == Format::Jpeg {
        &[1, 2, 4, 8]
    } else {
        &[1]
    };
    for &denominator in scales {
        let job = match denominator {
            1 => "decode_full".to_owned(),
            d => format!("decode_1_{d}"),
        };
        let decode = || imgkit::decode_scaled(bytes(), &limits, denominator).expect("decode");
        group.bench_function(&job, |b| {
            let len = bytes().len();
            peaks.once(&id(&job), input, len, decode);
            b.iter(decode);
        });
    }

    if input.stages {
        for width in WIDTHS.into_iter().filter(|&w| w < input.display_width) {
            let job = format!("resize_{width}w");
            let spec = Spec::new().with_width(width).with_format(JPEG_Q80);
            group.bench_function(&job, |b| {
                let decoded = full();
                peaks.once(&id(&job), input, bytes().len(), || {
                    Processor::new(limits).render(decoded, &spec)
                });
                b.iter_custom(|iters| stage_time(iters, |t| t.resize, || processor.render(decoded, &spec)));
            });
        }

        // The 1600 px rendition as a Decoded of exactly that size: rendered once, losslessly.
        let width = WIDTHS[0].min(input.display_width);
        let rendition: OnceCell<Decoded> = OnceCell::new();
        let rendition = || {
            rendition.get_or_init(|| {
                let spec = Spec::new().with_width(width).with_format(OutputFormat::Png);
                let png = Processor::new(limits).render(full(), &spec).expect("render");
                imgkit::decode(&png.bytes, &limits).expect("decode rendition")
            })
        };
        let formats = [
            ("jpeg_q80", JPEG_Q80),
            ("png", OutputFormat::Png),
            ("webp_q80", OutputFormat::WebP { quality: 80 }),
        ];
        // Throughput in the rendition's pixels (its height rounded as the plan would).
        let height = (u64::from(width) * u64::from(input.display_height))
            .div_ceil(u64::from(input.display_width).max(1));
        group.throughput(Throughput::Elements(u64::from(width) * height));
        for (name, format) in formats {
            let job = format!("encode_{width}w_{name}");
            let spec = Spec::new().with_width(width).with_format(format);
            group.bench_function(&job, |b| {
                let decoded = rendition();
                peaks.once(&id(&job), input, bytes().len(), || {
                    Processor::new(limits).render(decoded, &spec)
                });
                b.iter_custom(|iters| stage_time(iters, |t| t.encode, || processor.render(decoded, &spec)));
            });
        }
    }

    group.throughput(Throughput::Elements(input.pixels()));
    let single = Spec::new().with_width(SINGLE).with_format(JPEG_Q80);
    group.bench_function(format!("e2e_{SINGLE}w"), |b| {
        let bytes = bytes();
        peaks.once(&id(&format!("e2e_{SINGLE}w")), input, bytes.len(), || {
            Processor::new(limits).process(bytes, &single)
        });
        b.iter(|| processor.process(black_box(bytes), &single).expect("process"));
    });
    let three = WIDTHS.map(|w| Spec::new().with_width(w).with_format(JPEG_Q80));
    group.bench_function("e2e_3x", |b| {
        let bytes = bytes();
        peaks.once(&id("e2e_3x"), input, bytes.len(), || {
            Processor::new(limits).process_many(bytes, &three)
        });
        b.iter(|| {
            processor
                .process_many(black_box(bytes), &three)
                .expect("process_many")
        });
    });
    group.finish();
}

/// Runs `render` `iters` times and adds up the one stage of its [`Timings`] that `stage` picks: the wall
/// time criterion sees for the iterations is that stage alone. The other stages' work still happens, so
/// a benchmark takes longer than its reported time.
fn stage_time(
    iters: u64,
    stage: impl Fn(&Timings) -> Duration,
    mut render: impl FnMut() -> imgkit::Result<Output>,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let out = render().expect("render");
        total += stage(&out.timings);
        black_box(out);
    }
    total
}

// The counting allocator behind the peak-heap figures: live heap bytes of this thread (the bench's jobs
// run on it) and their high-water mark. Two cell updates per allocation; the pipeline makes a few dozen
// allocations per image, mostly large, so the timed loops are not measurably slowed.
#[global_allocator]
static ALLOCATOR: imgkit_testkit::memory::CountingAlloc = imgkit_testkit::memory::CountingAlloc;

struct PeakRow {
    id: String,
    input: String,
    format: Format,
    width: u32,
    height: u32,
    input_bytes: usize,
    peak_bytes: usize,
}

/// Peak heap per job, measured once per job and run (see the module docs).
#[derive(Default)]
struct Peaks {
    rows: RefCell<Vec<PeakRow>>,
}

impl Peaks {
    /// Measures `job` unless a job of this `id` was measured already (criterion calls a benchmark's
    /// closure several times: warm-up, then samples).
    fn once<R>(&self, id: &str, input: &Input, input_bytes: usize, job: impl FnOnce() -> R) {
        if self.rows.borrow().iter().any(|row| row.id == id) {
            return;
        }
        let (out, peak_bytes) = imgkit_testkit::memory::peak_heap_during(job);
        drop(black_box(out));
        self.rows.borrow_mut().push(PeakRow {
            id: id.to_owned(),
            input: input.label.clone(),
            format: input.format,
            width: input.width,
            height: input.height,
            input_bytes,
            peak_bytes,
        });
    }

    fn report(&self, source: &str) {
        let rows = self.rows.borrow();
        if rows.is_empty() {
            return;
        }
        let mib = |bytes: usize| bytes as f64 / f64::from(1u32 << 20);
        let wide = rows.iter().map(|r| r.id.len()).max().unwrap_or(0).max(3);
        println!();
        println!(
            "Peak heap per job (source: {source}; MiB = 2^20 bytes; above the heap live at the job's start:"
        );
        println!(
            "input bytes and a decode the job starts from excluded, fresh Processor and outputs included)"
        );
        println!(
            "{:<wide$}  {:>11}  {:>13}  {:>9}",
            "job", "input px", "peak heap MiB", "input MiB"
        );
        for r in rows.iter() {
            println!(
                "{:<wide$}  {:>11}  {:>13.1}  {:>9.1}",
                r.id,
                format!("{}x{}", r.width, r.height),
                mib(r.peak_bytes),
                mib(r.input_bytes)
            );
        }
        match write_peak_json(source, &rows) {
            Ok(path) => println!("peak heap written to {}", path.display()),
            Err(e) => eprintln!("peak heap not written: {e}"),
        }
    }
}

/// Where criterion writes its reports, found the way criterion does: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else `criterion/` in the target directory this binary was built in
/// (`target/release/deps/pipeline-HASH`).
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// Writes `peak-heap.json` in criterion's output directory and returns its path. The format, for
/// `imgkit sizing` and other readers:
///
/// ```json
/// {
///   "version": 1,
///   "source": "generated",
///   "jobs": [
///     {"id": "jpeg_12mp/e2e_400w", "input": "jpeg_12mp", "format": "jpeg", "width": 4032,
///      "height": 3024, "input_bytes": 2771184, "peak_heap_bytes": 12345678}
///   ]
/// }
/// ```
///
/// `source` is "generated" or the `IMGKIT_BENCH_IMAGES` directory; `id` is the criterion benchmark id
/// (`INPUT/JOB`); `width`/`height` are the input's stored size; `peak_heap_bytes` is as in the module
/// docs (the input's own bytes are `input_bytes`, not included). Jobs are sorted by id. If the file
/// exists with the same `source` and `version`, jobs this run did not measure are kept from it.
fn write_peak_json(source: &str, rows: &[PeakRow]) -> std::io::Result<PathBuf> {
    use serde_json::{json, Value};
    let dir = criterion_home();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("peak-heap.json");
    let mut jobs = std::collections::BTreeMap::new();
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Ok(old) = serde_json::from_str::<Value>(&text) {
            if old["version"] == 1 && old["source"] == source {
                for job in old["jobs"].as_array().into_iter().flatten() {
                    if let Some(id) = job["id"].as_str() {
                        jobs.insert(id.to_owned(), job.clone());
                    }
                }
            }
        }
    }
    for r in rows {
        jobs.insert(
            r.id.clone(),
            json!({
                "id": r.id,
                "input": r.input,
                "format": r.format.name(),
                "width": r.width,
                "height": r.height,
                "input_bytes": r.input_bytes,
                "peak_heap_bytes": r.peak_bytes,
            }),
        );
    }
    let doc = json!({
        "version": 1,
        "source": source,
        "jobs": jobs.into_values().collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    std::fs::write(&path, text + "\n")?;
    Ok(path)
}
