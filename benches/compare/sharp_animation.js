// sharp's side of the animation comparison (animation.py): every frame of an animated GIF to an
// animated WebP WIDTH px wide (Lanczos3), delays and loop count kept by sharp from the input.
//
//   node sharp_animation.js INPUT WIDTH QUALITY|lossless ITERS WARMUP OUT|-
//
// One thread: sharp.concurrency(1) here and UV_THREADPOOL_SIZE=1 in the environment (set before node
// starts); operation cache off. The input bytes are read once; each iteration is the whole call,
// sharp(bytes, {animated: true}).resize().webp().toBuffer(), timed in process after WARMUP untimed ones.
// ITERS=0 only loads sharp (the runtime's own RSS). Prints one JSON line; the output
// of the last iteration is written to OUT unless it is "-".
'use strict';
const fs = require('fs');
const sharp = require('sharp');
const { vmhwmKb } = require('./rss');

sharp.concurrency(1);
sharp.cache(false);

const [input, widthArg, qualityArg, itersArg, warmupArg, out] = process.argv.slice(2);
const webp = qualityArg === 'lossless' ? { lossless: true } : { quality: Number(qualityArg) };

function job(bytes) {
  return sharp(bytes, { animated: true })
    .resize({ width: Number(widthArg), kernel: 'lanczos3' })
    .webp(webp)
    .toBuffer({ resolveWithObject: true });
}

async function main() {
  const iters = Number(itersArg);
  const bytes = iters > 0 ? fs.readFileSync(input) : null;
  for (let i = 0; i < Number(warmupArg); i++) await job(bytes);
  const times = [];
  let last = null;
  for (let i = 0; i < iters; i++) {
    const start = process.hrtime.bigint();
    last = await job(bytes);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  if (last && out !== '-') fs.writeFileSync(out, last.data);
  console.log(
    JSON.stringify({
      tool: 'sharp',
      version: `${sharp.versions.sharp} (libvips ${sharp.versions.vips}, libwebp ${sharp.versions.webp})`,
      times_ms: times,
      bytes: last ? last.data.length : 0,
      width: last ? last.info.width : 0,
      // For an animation, sharp's info.height is the whole strip of pages; pageHeight is a frame's.
      height: last ? last.info.pageHeight || last.info.height : 0,
      pages: last ? last.info.pages || 1 : 0,
      vmhwm_kb: vmhwmKb(),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
