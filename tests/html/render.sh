#!/usr/bin/env bash
# Render an HTML report with a real headless browser (Debian's chromium) and
# check the screenshot: a valid PNG of the window's size that shows the page
# as styled, not a blank or unstyled one.
#
#   render.sh REPORT.html [OUT.png]
#   render.sh --make-report PROG [OUT.png]   # PROG OUT.html writes the report first
#
# The checks decode the PNG (zlib, PNG row filters) and look for the colours
# the page's inline CSS paints: the verdict banner filling the top of the page
# (inline styles were applied: the Content-Security-Policy allows them) and
# the histogram's three bar colours (the inline SVG was drawn). Exit 77 (a
# skip, which ci/test counts as a failure) when chromium is not installed.
set -euo pipefail

WIDTH=1280
HEIGHT=2000

make_report=
if [ "${1:-}" = "--make-report" ]; then
	make_report=${2:?--make-report needs a program}
	shift 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -n "$make_report" ]; then
	report=$tmp/report.html
	out=${1:-$tmp/report.png}
	"$make_report" "$report"
else
	report=${1:?usage: render.sh REPORT.html [OUT.png]}
	out=${2:-$tmp/report.png}
fi
[ -f "$report" ] || { echo "render.sh: no report '$report'" >&2; exit 1; }
report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
case $out in /*) ;; *) out=$PWD/$out ;; esac

browser=$(command -v chromium || true)
if [ -z "$browser" ]; then
	echo "render.sh: chromium is not installed (apt-get install chromium)" >&2
	exit 77
fi

rm -f "$out"
# A fresh profile and home: nothing of a previous run, nothing written to the
# user's. Everything that could reach the network in the background is off.
HOME=$tmp XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache \
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic \
	--no-first-run --disable-background-networking --disable-component-update \
	--disable-sync --disable-extensions --hide-scrollbars \
	--user-data-dir="$tmp/profile" --screenshot="$out" \
	--window-size="$WIDTH,$HEIGHT" "file://$report" >"$tmp/chromium.log" 2>&1 || {
	echo "render.sh: chromium failed:" >&2
	cat "$tmp/chromium.log" >&2
	exit 1
}
[ -s "$out" ] || { echo "render.sh: chromium wrote no '$out'" >&2; cat "$tmp/chromium.log" >&2; exit 1; }

python3 - "$out" "$WIDTH" "$HEIGHT" <<'PY'
import struct, sys, zlib

path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()

def die(msg):
    print("render.sh: %s: %s" % (path, msg), file=sys.stderr)
    sys.exit(1)

if data[:8] != b"\x89PNG\r\n\x1a\n":
    die("not a PNG")
pos, idat, ihdr = 8, [], None
while pos < len(data):
    if pos + 8 > len(data):
        die("truncated chunk")
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    crc = data[pos + 8 + n:pos + 12 + n]
    if len(body) != n or len(crc) != 4 or struct.unpack(">I", crc)[0] != zlib.crc32(kind + body):
        die("bad chunk %r" % kind)
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat.append(body)
    elif kind == b"IEND":
        break
    pos += 12 + n
if not ihdr:
    die("no IHDR")
w, h, depth, ctype, _, _, interlace = ihdr
if (w, h) != (want_w, want_h):
    die("size %dx%d, expected %dx%d" % (w, h, want_w, want_h))
if depth != 8 or ctype not in (2, 6) or interlace:
    die("unexpected format: depth %d, colour type %d, interlace %d" % (depth, ctype, interlace))
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(b"".join(idat))
stride = w * bpp
if len(raw) != h * (stride + 1):
    die("image data is %d bytes, expected %d" % (len(raw), h * (stride + 1)))

# Undo the PNG row filters (None, Sub, Up, Average, Paeth).
rows, prev = [], bytearray(stride)
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    if f == 1:
        for i in range(bpp, stride):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif f == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    elif f == 3:
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif f == 4:
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + pred) & 255
    elif f != 0:
        die("bad filter %d on row %d" % (f, y))
    rows.append(bytes(line))
    prev = line

counts = {}
top = {}
for y, line in enumerate(rows):
    for x in range(0, stride, bpp):
        px = line[x:x + 3]
        counts[px] = counts.get(px, 0) + 1
        if y < 300:
            top[px] = top.get(px, 0) + 1

def near(px, rgb, tol=6):
    return all(abs(a - b) <= tol for a, b in zip(px, rgb))

def amount(table, rgb):
    return sum(n for px, n in table.items() if near(px, rgb))

total = w * h
background = max(counts.values())
problems = []
if len(counts) < 50:
    problems.append("only %d distinct colours: blank or unstyled" % len(counts))
if background > 0.97 * total:
    problems.append("one colour covers %.1f%% of the page" % (100.0 * background / total))
verdict = {"FAIL red": (0xB3, 0x26, 0x1E), "PASS green": (0x1B, 0x7F, 0x3B)}
banner = {k: amount(top, v) for k, v in verdict.items()}
if max(banner.values()) < 100000:
    problems.append("no verdict banner at the top (%s)" % banner)
for name, rgb in (("exact", (0x1B, 0x7F, 0x3B)), ("within", (0xE0, 0xA1, 0x00)),
                  ("out", (0xB3, 0x26, 0x1E))):
    if amount(counts, rgb) < 200:
        problems.append("no %s bars of the histogram" % name)
if problems:
    die("; ".join(problems))
print("render.sh: %s: %dx%d PNG, %d colours, banner %s"
      % (path, w, h, len(counts), max(banner, key=banner.get)))
PY
