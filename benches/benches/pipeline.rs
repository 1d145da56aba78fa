//! End-to-end: JPEG in, 400 px JPEG out. Compare runs by ratio, not by absolute time.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use imgkit::{Limits, OutputFormat, Processor, Spec};

fn end_to_end(c: &mut Criterion) {
    let mut group = c.benchmark_group("end_to_end");
    let spec = Spec::width(400).format(OutputFormat::Jpeg { quality: 80 });
    for (w, h) in [(1152, 864), (2048, 1536)] {
        let bytes = imgkit_benches::photo_jpeg(w, h);
        let mut processor = Processor::new(Limits::default());
        group.throughput(Throughput::Elements(u64::from(w * h)));
        group.bench_function(format!("jpeg_{w}x{h}_to_400w"), |b| {
            b.iter(|| processor.process(&bytes, &spec).map(|o| o.bytes.len()))
        });
    }
    group.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
