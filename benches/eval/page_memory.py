#!/usr/bin/env python3
"""Peak RSS of reading one hostile page: `citecheck inspect FILE --format json` per page.

    cargo build --release && python3 benches/eval/page_memory.py [CITECHECK_BINARY]

Each page is at most 5 MiB (the default fetch.max_body_bytes: a gzip bomb is cut there
after decompression, so its body is one of these). Prints peak RSS and wall time per page.
"""
import os, resource, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, 'target', 'release', 'citecheck')
MIB = 5 * 1024 * 1024
ARTICLE = b'<p>The harbour bridge opened to traffic on 12 April 2018, the transport office said.</p>'
PAGES = {
    'ordinary article (10 KB)': b'<html><body><article>' + ARTICLE * 100 + b'</article></body></html>',
    '5 MiB of NUL, no markup': b'\0' * MIB,
    '5 MiB of NUL after <body>': b'<html><body>' + ARTICLE + b'\0' * MIB,
    '100,000 nested <div>': b'<html><body>' + b'<div>' * 100000 + ARTICLE + b'</div>' * 100000,
    '1,000,000 unclosed <b>': b'<html><body>' + ARTICLE + b'<b>x' * 1000000,
    '5 MiB of <br>': b'<html><body>' + ARTICLE + b'<br>' * (MIB // 4),
    '5 MiB of stray </p>': b'<html><body>' + ARTICLE + b'</p>' * (MIB // 4),
}


def main():
    if not os.path.exists(BIN):
        sys.exit(f'{BIN} not found: run `cargo build --release` first')
    with tempfile.TemporaryDirectory() as d:
        for name, body in PAGES.items():
            path = os.path.join(d, 'page.html')
            with open(path, 'wb') as f:
                f.write(body)
            # A fresh process per page: ru_maxrss of the children is the peak of this one
            # (the previous children were smaller or it is reported separately below).
            start = time.time()
            out = subprocess.run(['/usr/bin/env', 'python3', '-c',
                                  'import resource,subprocess,sys;'
                                  'subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);'
                                  'print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)',
                                  BIN, 'inspect', path, '--format', 'json'],
                                 capture_output=True, text=True)
            rss_kb = int(out.stdout.strip() or 0)
            print(f'{name:40} {len(body) / 1e6:6.1f} MB page  peak RSS {rss_kb / 1024:7.1f} MB  {time.time() - start:6.2f} s')


if __name__ == '__main__':
    main()
