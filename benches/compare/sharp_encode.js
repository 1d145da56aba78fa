// sharp's side of the bytes-versus-score benchmark (bytes.py): encodes one image's pixels, decoded once
// beforehand so that only encoding is timed.
//   node sharp_encode.js PNG OUT_PREFIX ITERS JOB...
// JOB: jpeg:Q (sharp's default JPEG: libjpeg-turbo, 4:2:0), jpegmoz:Q (`mozjpeg: true`: mozjpeg's
// trellis, progressive scans and tables), webp:Q (effort 4, sharp's default) or avif:Q (effort 4). Prints
// one JSON line per job: {"encoder", "quality", "bytes", "encode_ms"} (median of ITERS), and writes
// OUT_PREFIX-ENCODER-Q.EXT. One thread (sharp.concurrency(1), UV_THREADPOOL_SIZE=1 from bytes.py).
'use strict';
const fs = require('fs');
const sharp = require('sharp');

sharp.concurrency(1);
sharp.cache(false);

const [png, outPrefix, itersArg, ...jobs] = process.argv.slice(2);
const iters = Number(itersArg);
const encoders = {
  jpeg: { name: 'sharp-jpeg', ext: 'jpg', apply: (img, q) => img.jpeg({ quality: q }) },
  jpegmoz: { name: 'sharp-mozjpeg', ext: 'jpg', apply: (img, q) => img.jpeg({ quality: q, mozjpeg: true }) },
  webp: { name: 'sharp-webp', ext: 'webp', apply: (img, q) => img.webp({ quality: q }) },
  avif: { name: 'sharp-avif', ext: 'avif', apply: (img, q) => img.avif({ quality: q }) },
};

(async () => {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  for (const job of jobs) {
    const [kind, q] = job.split(':');
    const enc = encoders[kind];
    const times = [];
    let out;
    for (let i = 0; i < iters; i++) {
      const start = process.hrtime.bigint();
      out = await enc.apply(sharp(data, raw), Number(q)).toBuffer();
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    times.sort((a, b) => a - b);
    fs.writeFileSync(`${outPrefix}-${enc.name}-${q}.${enc.ext}`, out);
    console.log(JSON.stringify({ encoder: enc.name, quality: Number(q), bytes: out.length,
      encode_ms: times[Math.floor(times.length / 2)] }));
  }
})().catch((e) => { console.error(e); process.exit(1); });
