#!/usr/bin/env python3
"""zxing-cpp as the decode bench's baseline (run by `cargo bench --bench decode -- --baseline`).

Talks one JSON object per line on stdin and stdout. The bench first sends the images:

    {"luma": "/path/to/pixels.raw",            # every image as 8-bit luma, back to back
     "all_formats": "QRCode,DataMatrix,...",    # zxing-cpp names of the "every format" set
     "images": [{"offset": 0, "width": 640, "height": 480,
                 "formats": "EAN13"}, ...]}     # zxing-cpp names of the symbology given

and this answers {"ready": true} (or {"error": "..."} when the package is missing, and exits 3).
Then, as often as the bench asks, one round over every image:

    {"round": "given"}   # times zxingcpp.read_barcode(image, formats=...), the symbology given
    {"round": "all"}     # times zxingcpp.read_barcodes(image, formats=all_formats)

each answered {"done": true} once the round is over, so the bench can take its own turn between
two of them (a slow spell on a shared machine then falls on both readers). Last, {"finish": true}
is answered with the results: per image, the median of its timings and the first round's symbols.

    {"version": "3.1.1",
     "given": [{"ms": 0.05, "found": [{"format": "EAN-13", "text": "...", "bytes": "hex"}]}, ...],
     "all":   [...same shape...]}

The bench hands over the very pixels it decodes itself, so both readers see the same luma. Only
the call is timed (default options: rotation, downscaling and inversion on; plain text mode so
GS1 separators come back as ASCII 29, as ours do). The bench compares the results with the
expected payloads under its own rules, the ones it applies to our decoder.
"""

import json
import sys
import time


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    req = json.loads(sys.stdin.readline())
    try:
        import zxingcpp
    except ImportError as e:
        say({"error": f"the zxing-cpp Python package is not installed ({e}); "
                      "pip install zxing-cpp==3.1.1"})
        return 3
    try:
        from importlib.metadata import version
        ver = version("zxing-cpp")
    except Exception:  # the version is informative only
        ver = "unknown"

    with open(req["luma"], "rb") as f:
        pixels = memoryview(f.read())
    views = []
    for im in req["images"]:
        w, h, off = im["width"], im["height"], im["offset"]
        views.append(pixels[off:off + w * h].cast("B", (h, w)))
    plain = zxingcpp.TextMode.Plain
    every = zxingcpp.barcode_formats_from_str(req["all_formats"])
    given_formats = [zxingcpp.barcode_formats_from_str(im["formats"]) for im in req["images"]]

    def one(view, formats):
        r = zxingcpp.read_barcode(view, formats=formats, text_mode=plain)
        return [r] if r is not None else []

    def many(view, _formats):
        return zxingcpp.read_barcodes(view, formats=every, text_mode=plain)

    calls = {"given": one, "all": many}
    times = {k: [[] for _ in views] for k in calls}
    first = {k: [] for k in calls}
    say({"ready": True})
    for line in sys.stdin:
        msg = json.loads(line)
        kind = msg.get("round")
        if kind in calls:
            call, ms, out = calls[kind], times[kind], first[kind]
            keep = not out
            for i, view in enumerate(views):
                t = time.perf_counter()
                rs = call(view, given_formats[i])
                ms[i].append((time.perf_counter() - t) * 1e3)
                if keep:
                    out.append(rs)
            say({"done": True})
        elif msg.get("finish"):
            def results(kind):
                return [{"ms": sorted(t)[len(t) // 2],
                         "found": [{"format": str(r.format), "text": r.text,
                                    "bytes": r.bytes.hex()} for r in rs]}
                        for t, rs in zip(times[kind], first[kind])]
            say({"version": ver, "given": results("given"), "all": results("all")})
            return 0
        else:
            say({"error": f"unknown request {line.strip()!r}"})
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
