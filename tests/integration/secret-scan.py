#!/usr/bin/env python3
"""Look for secrets in files, in every form they can leak in, without ever
printing one. Used by t-secrets-all.sh.

  secret-scan.py SECRETS forms            list the forms (names and lengths only)
  secret-scan.py SECRETS scan ROOT PATH...
      scan files and directories (recursively); exit 1 and one line per
      (file, secret) with the forms found and a masked context, else exit 0
      and a one-line summary. Paths are shown relative to ROOT.
  secret-scan.py SECRETS mask < TEXT
      copy TEXT with every form and every piece of a secret masked: for the
      diagnostics of a failed test, which quote reports and consoles
  secret-scan.py SECRETS control DIR
      plant every form of every secret in its own file under DIR and check
      that the scan finds each one under its own name: the scanner cannot
      pass by seeing nothing.

SECRETS is a JSON object: name -> {"value": ..., "user": ...}; "user" is the
user name of Basic auth (base64 of "user:password").
"""
import base64
import html
import json
import os
import re
import sys
import urllib.parse

# A costd session token (32 lowercase hex digits, not part of a longer hex
# string such as a SHA-256 digest): captured as a secret, never to be shown.
TOKEN = re.compile(rb"(?<![0-9a-fA-F])[0-9a-f]{32}(?![0-9a-fA-F])")


def lower_hex(s):
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), s)


def b64_inside(b, shift):
    """The base64 characters that encode only the secret's bits when it
    starts `shift` bytes into a 3-byte group of a longer value."""
    enc = base64.b64encode(b"\0" * shift + b)
    return enc[(8 * shift + 5) // 6 : (8 * (shift + len(b))) // 6]


def json_esc(s, ascii_only=False, slash=False, upper=False):
    j = json.dumps(s, ensure_ascii=ascii_only)[1:-1]
    if upper:
        j = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), j)
    return j.replace("/", "\\/") if slash else j


def xml_esc(s, quotes):
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace('"', "&quot;").replace("'", "&apos;") if quotes else s


def char_refs(s):
    return "".join(c if ord(c) < 128 else "&#%d;" % ord(c) for c in s)


def forms(name, spec):
    """[(name, label, bytes)]: each distinct form of one secret."""
    v = spec["value"]
    user = spec.get("user", "user")
    b = v.encode()
    out = []

    def add(label, f):
        f = f.encode() if isinstance(f, str) else f
        if f and all(f != x[2] for x in out):
            out.append((name, label, f))

    add("as is", v)
    add("base64", base64.b64encode(b).rstrip(b"="))
    add("base64url", base64.urlsafe_b64encode(b).rstrip(b"="))
    for shift in (1, 2):
        add("base64 inside a longer value (+%d)" % shift, b64_inside(b, shift))
    add("base64 of '%s:password' (Basic auth)" % user,
        base64.b64encode(("%s:%s" % (user, v)).encode()).rstrip(b"="))
    q = urllib.parse.quote(v, safe="")
    add("URL-encoded", q)
    add("URL-encoded, lowercase hex", lower_hex(q))
    qp = urllib.parse.quote_plus(v, safe="")
    add("form-encoded (+ for space)", qp)
    add("form-encoded, lowercase hex", lower_hex(qp))
    add("URL-encoded, / kept", urllib.parse.quote(v))
    add("URL-encoded, sub-delims kept", urllib.parse.quote(v, safe="!$&'()*+,;=:@/"))
    add("URL-encoded twice", urllib.parse.quote(q, safe=""))
    add("JSON-escaped", json_esc(v))
    add("JSON-escaped, \\/", json_esc(v, slash=True))
    add("JSON-escaped, ASCII", json_esc(v, ascii_only=True))
    add("JSON-escaped, ASCII, uppercase hex", json_esc(v, ascii_only=True, upper=True))
    add("JSON-escaped, ASCII, \\/", json_esc(v, ascii_only=True, slash=True))
    add("JSON in JSON", json_esc(json_esc(v)))
    add("JSON in JSON, ASCII", json_esc(json_esc(v, ascii_only=True), ascii_only=True))
    add("XML-escaped", xml_esc(v, False))
    add("XML-escaped, quotes too", xml_esc(v, True))
    add("HTML-escaped (&#x27;)", html.escape(v))
    add("XML-escaped, character references", char_refs(xml_esc(v, True)))
    add("XML-escaped JSON", xml_esc(json_esc(v), True))
    add("conninfo-quoted", v.replace("\\", "\\\\").replace("'", "\\'"))
    add("printable ASCII only ('?' for other bytes)",
        bytes(c if 0x20 <= c < 0x7F else 0x3F for c in b))
    # Runs of letters and digits survive every text encoding and show a value
    # that was cut short or encoded in a way not listed above.
    for i, frag in enumerate(re.findall(r"[A-Za-z0-9]{5,}", v)):
        add("fragment %d" % (i + 1), frag)
    return out


def all_forms(secrets):
    return [f for name in secrets for f in forms(name, secrets[name])]


def grams(fs):
    """Every 4-byte piece of every form: masked out of contexts."""
    g = set()
    for _, _, f in fs:
        for i in range(len(f) - 3):
            g.add(f[i : i + 4])
    return g


def mask_runs(seg, marked, fs, g):
    """seg as a list of bytes objects: the bytes in `marked`, every form of
    every secret, every token and every 4-byte piece of a form replaced with
    "[N bytes masked]"."""
    mask = list(marked)
    for _, _, f in fs:
        i = seg.find(f)
        while i >= 0:
            mask[i : i + len(f)] = [True] * len(f)
            i = seg.find(f, i + 1)
    for m in TOKEN.finditer(seg):
        mask[m.start() : m.end()] = [True] * (m.end() - m.start())
    for i in range(len(seg) - 3):
        if seg[i : i + 4] in g:
            mask[i : i + 4] = [True] * 4
    out = []
    i = 0
    while i < len(seg):
        j = i
        while j < len(seg) and mask[j] == mask[i]:
            j += 1
        out.append(b"[%d bytes masked]" % (j - i) if mask[i] else seg[i:j])
        i = j
    return out


def masked(data, start, end, fs, g):
    """40 bytes either side of a finding, masked, printable."""
    a = max(0, start - 40)
    seg = data[a : min(len(data), end + 40)]
    marked = [start <= a + i < end for i in range(len(seg))]
    out = []
    for run in mask_runs(seg, marked, fs, g):
        if run.startswith(b"[") and run.endswith(b" bytes masked]"):
            out.append(run.decode())
        else:
            out.extend(chr(c) if 0x20 <= c < 0x7F else "\\x%02x" % c for c in run)
    return "".join(out)


def files_of(paths):
    for p in paths:
        if os.path.isdir(p):
            for d, dirs, names in os.walk(p):
                dirs.sort()
                for n in sorted(names):
                    yield os.path.join(d, n)
        else:
            yield p  # a missing file is reported by scan()


def scan_data(data, fs):
    """{(name, label): [offsets]} for every form found, and token hits."""
    hits = {}
    for name, label, f in fs:
        i = data.find(f)
        while i >= 0:
            hits.setdefault((name, label), []).append((i, i + len(f)))
            i = data.find(f, i + 1)
    for m in TOKEN.finditer(data):
        hits.setdefault(("session token", "32 hex digits"), []).append(m.span())
    return hits


def scan(secrets, root, paths):
    fs = all_forms(secrets)
    g = grams(fs)
    n_files = n_bytes = 0
    report = []
    for path in files_of(paths):
        rel = os.path.relpath(path, root)
        try:
            with open(path, "rb") as fp:
                data = fp.read()
        except OSError as e:
            report.append("%s: cannot read: %s" % (rel, e.strerror))
            continue
        n_files += 1
        n_bytes += len(data)
        by_secret = {}
        for (name, label), spans in scan_data(data, fs).items():
            by_secret.setdefault(name, []).append((label, spans))
        for name, found in by_secret.items():
            first = min(s for _, spans in found for s in spans)
            line = data.count(b"\n", 0, first[0]) + 1
            what = ", ".join("'%s' (%dx)" % (label, len(spans)) for label, spans in found)
            report.append("%s:%d: %s as %s; context: %s"
                          % (rel, line, name, what, masked(data, first[0], first[1], fs, g)))
    summary = "%d files, %d bytes, %d secrets in %d forms" % (
        n_files, n_bytes, len(secrets), len(fs))
    return summary, report


def control(secrets, d):
    os.makedirs(d, exist_ok=True)
    fs = all_forms(secrets)
    planted = {}
    for i, (name, label, f) in enumerate(fs):
        p = os.path.join(d, "planted-%03d.txt" % i)
        with open(p, "wb") as fp:
            fp.write(b"<failure message=\"got '" + f + b"'\">\n")
        planted[p] = (name, label)
    missed = []
    for p, key in planted.items():
        with open(p, "rb") as fp:
            if key not in scan_data(fp.read(), fs):
                missed.append("%s: '%s' not found" % key)
    if missed:
        print("\n".join(missed))
        return 1
    print("all %d planted forms of %d secrets found" % (len(fs), len(secrets)))
    return 0


def main(argv):
    with open(argv[1], encoding="utf-8") as fp:
        secrets = json.load(fp)
    if argv[2] == "forms":
        for name, label, f in all_forms(secrets):
            print("%s: %s (%d bytes)" % (name, label, len(f)))
        return 0
    if argv[2] == "mask":
        fs = all_forms(secrets)
        data = sys.stdin.buffer.read()
        sys.stdout.buffer.write(b"".join(mask_runs(data, [False] * len(data), fs, grams(fs))))
        return 0
    if argv[2] == "control":
        return control(secrets, argv[3])
    if argv[2] == "scan":
        summary, report = scan(secrets, argv[3], argv[4:])
        if report:
            print("%s: %d finding%s" % (summary, len(report), "" if len(report) == 1 else "s"))
            print("\n".join(report[:40]))
            if len(report) > 40:
                print("... and %d more" % (len(report) - 40))
            return 1
        print(summary + ": none found")
        return 0
    print("usage: secret-scan.py SECRETS forms|scan ROOT PATH...|control DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
