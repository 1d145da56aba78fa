// sharp's side of the comparison (benches/compare/run.sh). Same arguments and JSON line as compare-runner:
//   node sharp_worker.js SPECS INPUT ITERS WARMUP OUT_PREFIX
// SPECS: comma-separated WIDTH:jpeg:QUALITY or WIDTH:png. One thread: sharp.concurrency(1) here, and
// UV_THREADPOOL_SIZE=1 in the environment (it must be set before node starts). Each rendition is its own
// pipeline from the same input bytes. Lanczos3, aspect ratio kept, sharp's default shrink-on-load
// (fastShrinkOnLoad: decode at 1/s when the integer shrink exceeds s), EXIF orientation applied, metadata
// not kept, baseline 4:2:0 JPEG without optimised Huffman tables (as imgkit, pyvips and Pillow write).
'use strict';
const fs = require('fs');
const sharp = require('sharp');
const { vmhwmKb } = require('./rss');

sharp.concurrency(1);
sharp.cache(false); // no reuse of operations between iterations

const [specsArg, input, itersArg, warmupArg, outPrefix] = process.argv.slice(2);
const pngLevel = Number(process.env.PNG_COMPRESSION || 6);
const specs = specsArg.split(',').map((text) => {
  const [width, format, quality] = text.split(':');
  return { width: Number(width), format, quality: Number(quality) };
});

function pipeline(bytes, spec) {
  const img = sharp(bytes, { autoOrient: true }).resize({
    width: spec.width,
    kernel: 'lanczos3',
  });
  if (spec.format === 'png') {
    return img.png({ compressionLevel: pngLevel }).toBuffer({ resolveWithObject: true });
  }
  return img
    .jpeg({ quality: spec.quality, chromaSubsampling: '4:2:0', optimiseCoding: false })
    .toBuffer({ resolveWithObject: true });
}

async function job(bytes) {
  const outs = [];
  for (const spec of specs) outs.push(await pipeline(bytes, spec)); // one after another
  return outs;
}

async function main() {
  const bytes = fs.readFileSync(input);
  for (let i = 0; i < Number(warmupArg); i++) await job(bytes);
  const times = [];
  let outs = [];
  for (let i = 0; i < Math.max(1, Number(itersArg)); i++) {
    const start = process.hrtime.bigint();
    outs = await job(bytes);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  if (outPrefix !== '-') {
    for (const o of outs) {
      fs.writeFileSync(`${outPrefix}-${o.info.width}.${o.info.format === 'png' ? 'png' : 'jpg'}`, o.data);
    }
  }
  times.sort((a, b) => a - b);
  const n = times.length;
  const meta = await sharp(bytes).metadata();
  console.log(
    JSON.stringify({
      tool: 'sharp',
      version: `${sharp.versions.sharp} (libvips ${sharp.versions.vips})`,
      input: { w: meta.width, h: meta.height },
      iters: n,
      median_ms: (times[(n - 1) >> 1] + times[n >> 1]) / 2,
      min_ms: times[0],
      outputs: outs.map((o) => ({ w: o.info.width, h: o.info.height, bytes: o.data.length })),
      vmhwm_kb: vmhwmKb(),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
