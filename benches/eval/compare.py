#!/usr/bin/env python3
"""Side-by-side page-reading measurement: citecheck against trafilatura and htmldate.

Re-run from the repository root (after `cargo build --release`):

    python3 benches/eval/compare.py            # every set that is present
    python3 benches/eval/compare.py text-dev zh-text dates-dev zh-dates

Sets:
  text-dev   ../shared/eval/text-dev.tar.gz   main text, 61 English news pages (development set)
  dates-dev  ../shared/eval/dates-dev.tar.gz  page dates, 400 pages, many languages (development set)
  zh-text    tests/fixtures/zh-pages/         main text, Chinese government/news pages (ours)
  zh-dates   tests/fixtures/zh-pages/         page dates, same Chinese pages (ours)

Scoring is that of ../shared/eval/score.py: dates count when the first YYYY-MM-DD equals the
truth (a null truth needs no prediction); main text is the benchmark's shingle F1 (4-token
shingles, counts normalised per page, precision and recall averaged over pages). For Chinese
text every CJK character is one token (a `\\w+` run would be a whole clause), other tokens are
`\\w+` runs. The title is not part of the body.

Tools: citecheck (`target/release/citecheck inspect FILE --url URL --format json`), trafilatura
(`extract(html, url=…)`, with and without comments: the better figure is shown), htmldate
(`find_date(html, url=…, extensive_search=True)`). Extra extractors may be added with
CITECHECK_EXTRA="name=command {file} {url}" (several separated by `;;`), each printing JSON with
"main_text" and/or "page_date". Missing sets or tools are reported and skipped, never silently.
"""
import json, os, re, shlex, statistics, subprocess, sys, tarfile, tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EVAL = os.environ.get('CITECHECK_EVAL', os.path.join(ROOT, '..', 'shared', 'eval'))
ZH = os.path.join(ROOT, 'tests', 'fixtures', 'zh-pages')
BIN = os.environ.get('CITECHECK_BIN', os.path.join(ROOT, 'target', 'release', 'citecheck'))
ISO = re.compile(r'^(\d{4})-(\d{2})-(\d{2})')
CJK = re.compile(r'[\u3400-\u9fff\uf900-\ufaff]')
TOKEN = re.compile(r'[\u3400-\u9fff\uf900-\ufaff]|[^\W\u3400-\u9fff\uf900-\ufaff]+', re.UNICODE)
WORD = re.compile(r'\w+', re.UNICODE)


def unpack(name):
    """The directory of a development set (unpacked once into a temporary directory)."""
    tar = os.path.join(EVAL, name + '.tar.gz')
    if not os.path.exists(tar):
        return None
    dest = os.path.join(tempfile.gettempdir(), 'citecheck-eval')
    if not os.path.exists(os.path.join(dest, name, 'truth.json')):
        os.makedirs(dest, exist_ok=True)
        with tarfile.open(tar) as t:
            t.extractall(dest)
    return os.path.join(dest, name)


def load_set(name):
    """[(file, url, truth)] of a set; truth is a date or a body text."""
    if name in ('text-dev', 'dates-dev'):
        d = unpack(name)
        if d is None:
            return None, f'{name}: absent ({EVAL}/{name}.tar.gz not found) -- skipped'
        truth = json.load(open(os.path.join(d, 'truth.json'), encoding='utf-8'))
        if name == 'text-dev':
            return [(os.path.join(d, 'pages', k + '.html'), t.get('url', ''), t.get('articleBody', ''))
                    for k, t in sorted(truth.items())], None
        return [(os.path.join(d, 'pages', t['file']), url, t['date']) for url, t in truth.items()], None
    path = os.path.join(ZH, 'truth.json')
    if not os.path.exists(path):
        return None, f'{name}: absent ({path} not found) -- skipped'
    truth = json.load(open(path, encoding='utf-8'))
    key = 'body' if name == 'zh-text' else 'date'
    return [(os.path.join(ZH, f), t['url'], t[key]) for f, t in sorted(truth.items())
            if key in t], None


def find(obj, want):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if want == 'date' and 'date' in k.lower() and 'claim' not in k.lower() and isinstance(v, str) and ISO.match(v):
                return v[:10]
            if want == 'text' and k == 'main_text' and isinstance(v, str):
                return v
        for v in obj.values():
            r = find(v, want)
            if r is not None:
                return r
    elif isinstance(obj, list):
        for v in obj:
            r = find(v, want)
            if r is not None:
                return r
    return None


def command_tool(template):
    def run(file, url, want):
        cmd = [a.replace('{file}', file).replace('{url}', url or '') for a in shlex.split(template)]
        try:
            out = subprocess.run(cmd, capture_output=True, timeout=120).stdout
            return find(json.loads(out.decode('utf-8', 'replace')), want)
        except Exception:
            return None
    return run


def read_html(file):
    with open(file, 'rb') as f:
        return f.read()


def trafilatura_tool(comments):
    import trafilatura

    def run(file, url, want):
        try:
            return trafilatura.extract(read_html(file), url=url or None, include_comments=comments) or ''
        except Exception:
            return ''
    return run


def htmldate_tool(file, url, want):
    from htmldate import find_date
    try:
        return find_date(read_html(file), url=url or None, extensive_search=True)
    except Exception:
        return None


def shingles(text, chinese):
    toks = (TOKEN if chinese else WORD).findall(text or '')
    return Counter(tuple(toks[i:i + 4]) for i in range(0, max(1, len(toks) - 3)) if toks[i:i + 4])


def text_score(items, got, chinese):
    xs = []
    for (_, _, true), pred in zip(items, got):
        a, b = shingles(true, chinese), shingles(pred or '', chinese)
        tp = fp = fn = 0.0
        for k in set(a) | set(b):
            tc, pc = a.get(k, 0), b.get(k, 0)
            tp += min(tc, pc); fp += max(0, pc - tc); fn += max(0, tc - pc)
        s = tp + fp + fn
        xs.append((tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0))
    p = lambda tp, fp, fn: 1.0 if fp == fn == 0 else (0.0 if tp == fp == 0 else tp / (tp + fp))
    r = lambda tp, fp, fn: 1.0 if fp == fn == 0 else (0.0 if tp == fn == 0 else tp / (tp + fn))
    P = statistics.mean([p(*x) for x in xs if x[0] + x[1] > 0] or [0.0])
    R = statistics.mean([r(*x) for x in xs if x[0] + x[2] > 0] or [0.0])
    f1 = 2 * P * R / (P + R) if P + R else 0.0
    return f1, P, R, [r(*x) for x in xs], [p(*x) for x in xs]


def main():
    sets = sys.argv[1:] or ['text-dev', 'zh-text', 'dates-dev', 'zh-dates']
    verbose = os.environ.get('VERBOSE') == '1'
    tools = {}
    if os.path.exists(BIN):
        tools['citecheck'] = command_tool(f'{shlex.quote(BIN)} inspect {{file}} --url {{url}} --format json')
    else:
        print(f'citecheck: {BIN} not found (run `cargo build --release`) -- skipped')
    try:
        import trafilatura  # noqa: F401
        tools['trafilatura'] = trafilatura_tool(False)
        tools['trafilatura+comments'] = trafilatura_tool(True)
    except ImportError:
        print('trafilatura: not installed (pip install trafilatura lxml_html_clean) -- skipped')
    try:
        import htmldate  # noqa: F401
        tools['htmldate'] = htmldate_tool
    except ImportError:
        print('htmldate: not installed (pip install htmldate) -- skipped')
    for spec in filter(None, os.environ.get('CITECHECK_EXTRA', '').split(';;')):
        name, _, template = spec.partition('=')
        tools[name.strip()] = command_tool(template.strip())
    for name in sets:
        items, why = load_set(name)
        if items is None:
            print(why)
            continue
        want = 'text' if name.endswith('text') or name == 'text-dev' else 'date'
        print(f'\n## {name}: {len(items)} pages ({want})')
        for tool, run in tools.items():
            if want == 'text' and tool == 'htmldate':
                continue
            if want == 'date' and tool.startswith('trafilatura'):
                continue
            with ThreadPoolExecutor(2) as ex:
                got = list(ex.map(lambda i: run(i[0], i[1], want), items))
            if want == 'date':
                right = sum(g == t for (_, _, t), g in zip(items, got))
                print(f'{tool:24} dates right {right}/{len(items)} = {right / len(items):.3f}')
                if verbose:
                    for (f, url, t), g in zip(items, got):
                        if g != t:
                            print(f'    want {t} got {g}  {url}  ({os.path.basename(f)})')
            else:
                f1, P, R, rs, ps = text_score(items, got, name.startswith('zh'))
                print(f'{tool:24} main text F1 {f1:.3f} (precision {P:.3f}, recall {R:.3f})')
                if verbose:
                    worst = sorted(zip(items, ps, rs), key=lambda x: min(x[1], x[2]))[:8]
                    for (f, url, _), p, r in worst:
                        print(f'    P {p:.2f} R {r:.2f}  {url} ({os.path.basename(f)})')


if __name__ == '__main__':
    main()
