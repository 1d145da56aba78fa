#!/usr/bin/env python3
"""imgkit's shrink-on-load rule against sharp's, width by width (issue 15's fidelity floor).

For every JPEG in IMAGES and every width, the thumbnail from each tool's default path (PNG output, so
encoding is not counted) is compared with the exact one (full-size decode, Lanczos3) by PSNR. A row fails
when imgkit is under 38 dB, or more than 0.5 dB under sharp on the same job. Run through run.sh
(`WIDTHS=1 IMAGES=DIR bash benches/compare/run.sh`), which builds the runner and installs sharp.
"""

import argparse
import os
import sys

from compare import psnr, run_worker, write_exact

FLOOR_DB = 38.0
SHARP_SLACK_DB = 0.5
DEFAULT_WIDTHS = "200,320,400,640,800,1024,1600"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--node-modules", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--widths", default=DEFAULT_WIDTHS)
    opts = ap.parse_args()
    opts.venv_python = sys.executable  # unused: only sharp and imgkit run here
    os.makedirs(opts.out_dir, exist_ok=True)
    widths = [int(w) for w in opts.widths.split(",")]
    photos = sorted(
        os.path.join(opts.images, f)
        for f in os.listdir(opts.images)
        if f.lower().endswith((".jpg", ".jpeg"))
    )
    print("photo\twidth\tsharp_db\timgkit_db\timgkit_minus_sharp")
    failures, worst_margin, worst_db = [], None, None
    for path in photos:
        for width in widths:
            db, written = {}, set()
            for tool in ("sharp", "imgkit"):
                prefix = os.path.join(opts.out_dir, "%s-%d-%s" % (os.path.basename(path), width, tool))
                done = run_worker(tool, ["%d:png" % width, path, "1", "0", prefix], opts)
                out = done["outputs"][0]
                exact = os.path.join(opts.out_dir, "exact-%s-%dx%d.png" % (os.path.basename(path), out["w"],
                                                                           out["h"]))
                if exact not in written:  # the tools agree on the size but for rounding
                    write_exact(opts.runner, path, out, exact)
                    written.add(exact)
                db[tool] = psnr(opts.runner, exact, "%s-%d.png" % (prefix, out["w"]))
            margin = db["imgkit"] - db["sharp"]
            name = os.path.basename(path)
            print("%s\t%d\t%.2f\t%.2f\t%+.2f" % (name, width, db["sharp"], db["imgkit"], margin), flush=True)
            worst_margin = margin if worst_margin is None else min(worst_margin, margin)
            worst_db = db["imgkit"] if worst_db is None else min(worst_db, db["imgkit"])
            if db["imgkit"] < FLOOR_DB or margin < -SHARP_SLACK_DB:
                failures.append("%s at %d px: imgkit %.2f dB, sharp %.2f dB" % (name, width, db["imgkit"],
                                                                             db["sharp"]))
    print("\n%d thumbnails; imgkit's lowest %.2f dB; imgkit minus sharp at worst %+.2f dB"
          % (len(photos) * len(widths), worst_db, worst_margin))
    for failure in failures:
        print("below the floor: " + failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
