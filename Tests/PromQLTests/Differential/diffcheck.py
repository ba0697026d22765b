#!/usr/bin/env python3
"""Checks the expectations of a promqltest script against real Prometheus 2.42 (`promtool test rules`).

Usage: python3 diffcheck.py SCRIPT.test...

Every instant eval (and every step of a range eval without start()/end()) becomes a promtool rule
unit test with the data loaded so far; promtool's answer is compared with the script's expected
values (relative tolerance 1e-6), and an eval_fail must make promtool fail. The engine's own
scripts in ../Scripts were all checked this way. Needs `promtool` (Debian's prometheus package).
Order (eval_ordered) and error messages are not compared: promtool loads series in map order."""
import sys, re, math, subprocess, os, json, tempfile
from functools import reduce

def parse_dur(s):
    if s == '0': return 0
    units = {'y':31536000000,'w':604800000,'d':86400000,'h':3600000,'m':60000,'s':1000,'ms':1}
    total = 0
    for num, unit in re.findall(r'(\d+)(ms|y|w|d|h|m|s)', s):
        total += int(num)*units[unit]
    assert re.fullmatch(r'(\d+(ms|y|w|d|h|m|s))+', s), s
    return total

STALE = 'stale'
def scan_num(s, i):
    m = re.match(r'[+-]?(?:[iI][nN][fF]|[nN][aA][nN]|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)', s[i:])
    if not m: return None, i
    return float(m.group(0)), i+len(m.group(0))

def expand(values):
    out = []
    for item in values.split():
        if item == '_': out.append(None); continue
        if item.startswith('_x'): out += [None]*int(item[2:]); continue
        if item == 'stale': out.append(STALE); continue
        v, i = scan_num(item, 0)
        assert v is not None, item
        if i == len(item): out.append(v); continue
        d = 0.0
        if item[i] in '+-':
            d, i = scan_num(item, i)
        assert item[i] == 'x', item
        n = int(item[i+1:])
        for _ in range(n+1):
            out.append(v); v += d
    return out

def split_series(line):
    # metric{...} rest  -- find end of labels
    i = 0
    while i < len(line) and (line[i].isalnum() or line[i] in '_:'): i += 1
    if i < len(line) and line[i] == '{':
        q = None
        i += 1
        while i < len(line):
            c = line[i]
            if q:
                if c == '\\' and q != '`': i += 2; continue
                if c == q: q = None
            elif c in '"\'`': q = c
            elif c == '}': break
            i += 1
        i += 1
    return line[:i], line[i:].strip()

def canon_labels(text):
    # Use promtool-style: produce dict via crude parse.
    name, rest = '', text
    m = re.match(r'([A-Za-z_:][A-Za-z0-9_:]*)', text)
    labels = {}
    if m:
        labels['__name__'] = m.group(1); rest = text[m.end():]
    if rest.startswith('{'):
        for k, v in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"', rest):
            labels[k] = bytes(v, 'utf-8').decode('unicode_escape')
        for k, v in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*'((?:[^'\\]|\\.)*)'", rest):
            labels[k] = v
    return tuple(sorted((k, v) for k, v in labels.items() if v != ''))

def fmt(v):
    if v is STALE: return 'stale'
    if v is None: return '_'
    if math.isnan(v): return 'NaN'
    if math.isinf(v): return 'Inf' if v > 0 else '-Inf'
    return repr(v)

def almost(a, b):
    if math.isnan(a) and math.isnan(b): return True
    if a == b: return True
    d = abs(a-b)
    mn = 2.2250738585072014e-308
    if a == 0 or b == 0 or d < mn: return d < 1e-6*mn
    return d/(abs(a)+abs(b)) < 1e-6

def parse_script(path):
    lines = open(path).read().split('\n')
    tl = [('' if l.strip().startswith('#') else l.strip()) for l in lines]
    cmds = []
    i = 0
    while i < len(tl):
        l = tl[i]
        if not l: i += 1; continue
        w = l.split()[0].lower()
        if w == 'clear': cmds.append(('clear',)); i += 1; continue
        if w == 'load':
            step = parse_dur(l.split()[1]); series = []
            i += 1
            while i < len(tl) and tl[i]:
                lab, vals = split_series(tl[i]); series.append((lab, expand(vals))); i += 1
            cmds.append(('load', step, series)); continue
        if w.startswith('eval'):
            lineno = i+1
            fail = w == 'eval_fail'; ordered = w == 'eval_ordered'
            m = re.match(r'^\S+\s+instant\s+at\s+(\S+)\s+(.+)$', l)
            mode = None
            if m:
                mode = ('instant', parse_dur(m.group(1))); q = m.group(2)
            else:
                m = re.match(r'^\S+\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$', l)
                assert m, l
                mode = ('range', parse_dur(m.group(1)), parse_dur(m.group(2)), parse_dur(m.group(3))); q = m.group(4)
            exp = []; scalar = None; i += 1
            while i < len(tl) and tl[i]:
                e = tl[i]
                if e.startswith('expect '):
                    if e.startswith('expect fail'): fail = True
                    i += 1; continue
                try:
                    scalar = float(e.replace('+Inf','inf')); i += 1; break
                except ValueError: pass
                lab, vals = split_series(e); exp.append((canon_labels(lab), expand(vals))); i += 1
            cmds.append(('eval', lineno, mode, q, fail, exp, scalar)); continue
        raise Exception('bad line %d: %s' % (i+1, l))
    return cmds

def run_promtool(data, q, t):
    # data: dict labels_text -> {ts: value}
    steps = [ts for d in data.values() for ts in d]
    interval = reduce(math.gcd, [s for s in steps if s > 0], 0) or 60000
    series = []
    for lab, pts in data.items():
        if not pts: continue
        mx = max(pts)
        vals = [pts.get(k*interval) for k in range(mx//interval+1)]
        # compress runs of None
        toks = []; k = 0
        while k < len(vals):
            if vals[k] is None:
                n = 0
                while k < len(vals) and vals[k] is None: n += 1; k += 1
                toks.append('_' if n == 1 else '_x%d' % n)
            else:
                toks.append(fmt(vals[k])); k += 1
        series.append({'series': lab, 'values': ' '.join(toks)})
    doc = {'rule_files': [], 'evaluation_interval': '1m', 'tests': [{
        'interval': '%dms' % interval, 'input_series': series,
        'promql_expr_test': [{'expr': q, 'eval_time': '%dms' % t, 'exp_samples': [{'labels': '{__promtool_never="1"}', 'value': 0}]},
                             # promtool loads samples only up to the last evaluation step before the
                             # latest eval_time: push it past all data.
                             {'expr': 'vector(1)', 'eval_time': '%dms' % ((max(steps + [t]) // 60000 + 2) * 60000),
                              'exp_samples': [{'labels': '{}', 'value': 1}]}]}]}
    with tempfile.NamedTemporaryFile('w', suffix='.yml', delete=False) as f:
        json.dump(doc, f); name = f.name
    r = subprocess.run(['promtool', 'test', 'rules', name], capture_output=True, text=True)
    os.unlink(name)
    out = r.stdout + r.stderr
    m = re.search(r'err: (.*)', out)
    if m: return ('error', m.group(1))
    m = re.search(r'got: (.*?)(?:\n\s*\n|\Z)', out, re.S)
    if not m: return ('unknown', out)
    got = m.group(1).strip()
    if got == 'nil': return ('ok', [])
    res = []
    for lab, val in re.findall(r'(\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\}) ([^,\s]+)', got):
        res.append((canon_labels(lab), float(val.replace('+Inf','inf'))))
    return ('ok', res)

def lab_text(lab):
    name = dict(lab).get('__name__', '')
    rest = [(k, v) for k, v in lab if k != '__name__']
    body = ', '.join('%s="%s"' % (k, v.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')) for k, v in rest)
    return name + '{' + body + '}' if (rest or not name) else name

def val_text(v):
    if math.isnan(v): return 'NaN'
    if math.isinf(v): return '+Inf' if v > 0 else '-Inf'
    r = repr(v)
    if r.endswith('.0'): r = r[:-2]
    return r

def main(path):
    cmds = parse_script(path)
    data = {}
    problems = 0; checked = 0
    for c in cmds:
        if c[0] == 'clear': data = {}; continue
        if c[0] == 'load':
            _, step, series = c
            for lab, vals in series:
                # within one load the last definition wins
                pts = {}
                for k, v in enumerate(vals):
                    if v is not None: pts[k*step] = v
                data.setdefault(lab, {}).update(pts)
            continue
        _, lineno, mode, q, fail, exp, scalar = c
        times = []
        if mode[0] == 'instant': times = [(mode[1], 0)]
        else:
            if 'start()' in q or 'end()' in q: continue
            k = 0; t = mode[1]
            while t <= mode[2]: times.append((t, k)); t += mode[3]; k += 1
        for t, k in times:
            status, got = run_promtool(data, q, t)
            checked += 1
            where = '%s:%d (t=%dms)' % (os.path.basename(path), lineno, t)
            if fail:
                if status != 'error': print('MISMATCH %s: expected failure, promtool got %s' % (where, got)); problems += 1
                continue
            if status != 'ok': print('MISMATCH %s: promtool %s %s' % (where, status, got)); problems += 1; continue
            if scalar is not None and mode[0] == 'instant':
                want = {(): scalar}
            elif scalar is not None:
                want = {(): scalar}
            else:
                want = {}
                for lab, vals in exp:
                    v = vals[k] if k < len(vals) else None
                    if v is not None: want[lab] = v
            gotd = dict(got)
            bad = set(want) ^ set(gotd) or [l for l in want if not almost(want[l], gotd[l])]
            if bad:
                problems += 1
                print('MISMATCH %s: %s\n   want %s\n   got  %s' % (where, q, sorted(want.items()), sorted(gotd.items())))
    print('%s: %d checks, %d mismatches' % (path, checked, problems))
    return problems

if __name__ == '__main__':
    total = sum(main(p) for p in sys.argv[1:])
    sys.exit(1 if total else 0)
