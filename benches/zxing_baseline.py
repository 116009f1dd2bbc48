#!/usr/bin/env python3
"""zxing-cpp as the decode bench's baseline (run by `cargo bench --bench decode -- --baseline`).

Reads one JSON request on stdin:

    {"luma": "/path/to/pixels.raw",            # every image as 8-bit luma, back to back
     "all_formats": "QRCode,DataMatrix,...",    # zxing-cpp names of the "every format" set
     "images": [{"offset": 0, "width": 640, "height": 480,
                 "formats": "EAN13"}, ...]}     # zxing-cpp names of the symbology given

The bench hands over the very pixels it decodes itself, so both readers see the same luma. For
each image it times `zxingcpp.read_barcode(image, formats=...)` with the symbology given, then,
in a second pass over the same images, `zxingcpp.read_barcodes(image, formats=all_formats)`.
Only the call is timed (default options: rotation, downscaling and inversion on; plain text
mode so GS1 separators come back as ASCII 29, as ours do). It prints one JSON object:

    {"version": "3.1.1",
     "given": [{"ms": 0.05, "found": [{"format": "EAN-13", "text": "...", "bytes": "hex"}]}, ...],
     "all":   [...same shape...]}

The bench compares the results with the expected payloads under its own rules, the ones it
applies to our decoder. When the package is missing it prints {"error": "..."} and exits 3.
"""

import json
import sys
import time


def main():
    try:
        import zxingcpp
    except ImportError as e:
        print(json.dumps({"error": f"the zxing-cpp Python package is not installed ({e}); "
                                   "pip install zxing-cpp==3.1.1"}))
        return 3
    try:
        from importlib.metadata import version
        ver = version("zxing-cpp")
    except Exception:  # the version is informative only
        ver = "unknown"

    req = json.load(sys.stdin)
    with open(req["luma"], "rb") as f:
        pixels = memoryview(f.read())
    views = []
    for im in req["images"]:
        w, h, off = im["width"], im["height"], im["offset"]
        views.append(pixels[off:off + w * h].cast("B", (h, w)))
    plain = zxingcpp.TextMode.Plain

    def found(results):
        return [{"format": str(r.format), "text": r.text, "bytes": r.bytes.hex()} for r in results]

    given = []
    for im, view in zip(req["images"], views):
        formats = zxingcpp.barcode_formats_from_str(im["formats"])
        t = time.perf_counter()
        r = zxingcpp.read_barcode(view, formats=formats, text_mode=plain)
        ms = (time.perf_counter() - t) * 1e3
        given.append({"ms": ms, "found": found([r] if r is not None else [])})

    every = zxingcpp.barcode_formats_from_str(req["all_formats"])
    all_ = []
    for view in views:
        t = time.perf_counter()
        rs = zxingcpp.read_barcodes(view, formats=every, text_mode=plain)
        ms = (time.perf_counter() - t) * 1e3
        all_.append({"ms": ms, "found": found(rs)})

    json.dump({"version": ver, "given": given, "all": all_}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
