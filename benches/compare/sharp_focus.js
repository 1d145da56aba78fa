// sharp's side of the focus comparison (focus.py): where sharp's `attention` and `entropy` strategies put
// a SIZE x SIZE cover crop of FILE (auto-rotated by its EXIF orientation first).
//
//   node sharp_focus.js FILE SIZE STRATEGY...
//
// Prints one JSON line: the displayed width and height, and per strategy the crop offset sharp reports
// (cropOffsetLeft/Top, in pixels of the image scaled to cover the box) and the milliseconds the call took.
// One thread (sharp.concurrency(1)).
'use strict';
const sharp = require('sharp');

sharp.concurrency(1);
sharp.cache(false);

async function main() {
  const [file, size, ...strategies] = process.argv.slice(2);
  const meta = await sharp(file).metadata();
  const turned = (meta.orientation || 1) >= 5;
  const out = { width: turned ? meta.height : meta.width, height: turned ? meta.width : meta.height };
  for (const strategy of strategies) {
    const start = process.hrtime.bigint();
    const { info } = await sharp(file)
      .rotate()
      .resize(Number(size), Number(size), { fit: 'cover', position: sharp.strategy[strategy] })
      .raw()
      .toBuffer({ resolveWithObject: true });
    out[strategy] = {
      left: info.cropOffsetLeft || 0,
      top: info.cropOffsetTop || 0,
      ms: Number(process.hrtime.bigint() - start) / 1e6,
    };
  }
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
