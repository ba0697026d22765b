#!/usr/bin/env python3
"""Random range queries evaluated by a real Prometheus 2.42 server, as a promqltest script.

Usage: python3 rangegen.py SEED COUNT > range.test
       PROMQL_TEST_SCRIPTS=$PWD/range.test swift test --filter ExternalScriptTests

Backfills gen.py's data set (staleness markers dropped: OpenMetrics cannot carry them) with
`promtool tsdb create-blocks-from openmetrics`, starts `prometheus` on 127.0.0.1:19092, and
records /api/v1/query_range answers as `eval range` blocks. Besides gen.py's known mismatches,
`@` inside predict_linear or a call with a step-dependent argument differs by design (the
engine pins the window; Prometheus 2.42 slides it)."""
import json, math, random, subprocess, sys, time, urllib.parse, urllib.request, os, shutil, tempfile
import gen, diffcheck as d
from diffcheck import lab_text, val_text

DATA = gen.DATA.replace(' stale ', ' _ ')
PORT = 19092

def om(data_text):
    lines = []
    series = {}
    for line in data_text.strip().split('\n')[1:]:
        lab, vals = d.split_series(line.strip())
        series[lab] = d.expand(vals)
    by_name = {}
    for lab, vals in series.items():
        name = lab.split('{')[0]
        by_name.setdefault(name, []).append((lab, vals))
    for name, ss in by_name.items():
        lines.append('# TYPE %s gauge' % name)
        for lab, vals in ss:
            for k, v in enumerate(vals):
                if v is None: continue
                vs = 'NaN' if math.isnan(v) else ('+Inf' if v == math.inf else ('-Inf' if v == -math.inf else repr(v)))
                c = dict(d.canon_labels(lab)); nm = c.pop('__name__')
                lt = nm + ('{' + ','.join('%s="%s"' % kv for kv in sorted(c.items())) + '}' if c else '')
                lines.append('%s %s %d' % (lt, vs, k * 60))
    lines.append('# EOF')
    return '\n'.join(lines) + '\n'

def main():
    seed, n = int(sys.argv[1]), int(sys.argv[2])
    gen.R.seed(seed)
    work = tempfile.mkdtemp(prefix='rangegen')
    open(work + '/data.om', 'w').write(om(DATA))
    subprocess.run(['promtool', 'tsdb', 'create-blocks-from', 'openmetrics', work + '/data.om', work + '/db'], check=True, capture_output=True)
    open(work + '/prom.yml', 'w').write('global:\n  scrape_interval: 1h\n')
    p = subprocess.Popen(['prometheus', '--config.file=' + work + '/prom.yml', '--storage.tsdb.path=' + work + '/db',
                          '--storage.tsdb.retention.time=100y', '--web.listen-address=127.0.0.1:%d' % PORT],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)
        out = [DATA]
        errors = 0
        for i in range(n):
            q = gen.vec(0)
            start = gen.R.randint(0, 10) * 60
            end = start + gen.R.randint(1, 12) * 60
            step = gen.pick([60, 90, 120, 30])
            url = 'http://127.0.0.1:%d/api/v1/query_range?' % PORT + urllib.parse.urlencode({'query': q, 'start': start, 'end': end, 'step': step})
            try:
                res = json.load(urllib.request.urlopen(url))
            except urllib.error.HTTPError as e:
                res = json.load(e)
            head = 'eval range from %ds to %ds step %ds %s' % (start, end, step, q)
            if res['status'] != 'success':
                errors += 1
                out.append('eval_fail' + head[4:] + '\n')
                continue
            nsteps = (end - start) // step + 1
            rows = []
            for r in res['data']['result']:
                vals = ['_'] * nsteps
                for t, v in r['values']:
                    k = int(round((float(t) - start) / step))
                    f = float(v.replace('+Inf', 'inf'))
                    vals[k] = val_text(f)
                lab = tuple(sorted((k2, v2) for k2, v2 in r['metric'].items()))
                rows.append('  %s %s' % (lab_text(lab), ' '.join(vals)))
            out.append('\n'.join([head] + sorted(rows)) + '\n')
        sys.stderr.write('%d queries, %d errors\n' % (n, errors))
        print('\n'.join(out))
    finally:
        p.terminate(); p.wait()
        shutil.rmtree(work, ignore_errors=True)

main()
