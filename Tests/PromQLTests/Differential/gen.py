#!/usr/bin/env python3
"""Random PromQL instant queries over a fixed data set, with expectations from real Prometheus 2.42.

Usage: python3 gen.py SEED COUNT > random.test
       PROMQL_TEST_SCRIPTS=$PWD/random.test swift test --filter ExternalScriptTests

Writes a promqltest script whose expected results are promtool's (`promtool test rules`).
Known, expected mismatches when the engine runs it: topk/bottomk ties (Prometheus's order is
storage/map order), queries that only fail at a neighbouring step in the runner's range-mode
check, scalar results written as `{} v` rows, and last-bit differences of transcendental
functions (C library vs Go) where they become count_values labels."""
import random, sys, diffcheck as d
from diffcheck import lab_text, val_text

DATA = """load 1m
  http{job="api", instance="a", code="200"} 0+60x8 10+30x12
  http{job="api", instance="b", code="500"} 0+5x20
  http{job="db", instance="a", code="200"} _x3 100+20x17
  gauge{job="api", instance="a"} 1 5 2 NaN 3 9 4 -2 0 7 7 7 3 1 Inf 2 5 8 6 4 2
  gauge{job="db", instance="c"} 10 _ _ 12 14 stale _ _ 20 21 22 _x5 30 31 32 33 34
  lat_bucket{job="api", le="0.1"} 0+3x20
  lat_bucket{job="api", le="1"} 0+7x20
  lat_bucket{job="api", le="+Inf"} 0+9x20
  lat_bucket{job="db", le="0.5"} 0+1x20
  lat_bucket{job="db", le="+Inf"} 0+4x20
  info{job="api", version="1.0"} 1x20
  info{job="db", version="2.0"} 1x20
"""

R = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
def pick(xs): return R.choice(xs)
def chance(p): return R.random() < p

SEL = ['http', 'gauge', 'info', 'lat_bucket', 'http{job="api"}', 'http{code="200"}', 'gauge{job="db"}',
       'http{instance=~"a|b"}', '{__name__=~"http|gauge"}', 'http{job!="db"}', 'nothing']
DUR = ['1m', '2m', '3m', '5m', '90s', '10m', '30s']
LBL = ['job', 'instance', 'code', 'version', 'le']
RANGEF = ['rate', 'increase', 'delta', 'irate', 'idelta', 'deriv', 'resets', 'changes', 'avg_over_time',
          'min_over_time', 'max_over_time', 'sum_over_time', 'count_over_time', 'last_over_time',
          'stddev_over_time', 'stdvar_over_time', 'present_over_time', 'absent_over_time']
INSTF = ['abs', 'ceil', 'floor', 'sqrt', 'exp', 'ln', 'log2', 'log10', 'sgn', 'timestamp', 'sort', 'sort_desc',
         'absent', 'hour', 'minute', 'day_of_week', 'round', 'clamp_min', 'clamp_max', 'sin', 'deg']
AGG = ['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values']
OPS = ['+', '-', '*', '/', '%', '^', '==', '!=', '>', '<', '>=', '<=', 'and', 'or', 'unless', 'atan2']

def mods(s):
    if chance(0.2): s += ' offset ' + pick(['1m', '-1m', '2m', '30s'])
    if chance(0.1): s += ' @ ' + pick(['300', '600', '900.5', '61', '1199.999'])
    return s

def rangevec(depth):
    if chance(0.75): return mods(pick(SEL) + '[' + pick(DUR) + ']')
    return '(' + vec(depth + 1) + ')[' + pick(['2m', '5m', '3m']) + ':' + pick(['', '1m', '30s', '45s']) + ']'

def scalar(depth):
    r = R.random()
    if r < 0.6: return pick(['0', '1', '2', '0.5', '-1', '3', '0.9'])
    if r < 0.8: return 'scalar(' + vec(depth + 1) + ')'
    return pick(['time()', 'pi()', '(1 + 2)'])

def grouping():
    return '(' + ', '.join(R.sample(LBL, R.randint(0, 2))) + ')'

def vec(depth):
    r = R.random() if depth < 3 else R.random() * 0.35
    if r < 0.2: return mods(pick(SEL))
    if r < 0.4:
        f = pick(RANGEF)
        return f + '(' + rangevec(depth) + ')'
    if r < 0.45:
        return pick(['quantile_over_time(' + pick(['0.5', '0.9', '0']) + ', ' + rangevec(depth) + ')',
                     'predict_linear(' + rangevec(depth) + ', ' + pick(['60', '0', '-30']) + ')'])
    if r < 0.55:
        f = pick(INSTF)
        if f == 'round': return 'round(' + vec(depth + 1) + (', ' + pick(['0.5', '2', '10']) if chance(0.5) else '') + ')'
        if f in ('clamp_min', 'clamp_max'): return f + '(' + vec(depth + 1) + ', ' + scalar(depth + 1) + ')'
        return f + '(' + vec(depth + 1) + ')'
    if r < 0.58:
        return pick(['histogram_quantile(' + pick(['0.5', '0.9', '0.99']) + ', ' + pick(['lat_bucket', 'rate(lat_bucket[5m])', 'sum by (le) (rate(lat_bucket[3m]))']) + ')',
                     'label_replace(' + vec(depth + 1) + ', "x", "$1", "job", "(.)pi")',
                     'label_join(' + vec(depth + 1) + ', "j", "-", "job", "instance")',
                     'vector(' + scalar(depth + 1) + ')',
                     'clamp(' + vec(depth + 1) + ', 0, 5)'])
    if r < 0.75:
        op = pick(AGG)
        g = (' ' + pick(['by', 'without']) + ' ' + grouping()) if chance(0.6) else ''
        arg = vec(depth + 1)
        if op in ('topk', 'bottomk'): args = pick(['1', '2', '3']) + ', ' + arg
        elif op == 'quantile': args = pick(['0.5', '0.1', '1']) + ', ' + arg
        elif op == 'count_values': args = '"v", ' + arg
        else: args = arg
        return op + g + ' (' + args + ')'
    if r < 0.95:
        op = pick(OPS)
        m = ''
        if op in ('==', '!=', '>', '<', '>=', '<=') and chance(0.3): m += ' bool'
        if chance(0.4):
            m += ' ' + pick(['on', 'ignoring']) + ' ' + grouping()
            if op not in ('and', 'or', 'unless') and chance(0.4):
                m += ' ' + pick(['group_left', 'group_right']) + (grouping() if chance(0.5) else '')
        l = vec(depth + 1) if chance(0.8) else scalar(depth + 1)
        rr = vec(depth + 1) if chance(0.7) else scalar(depth + 1)
        if op in ('and', 'or', 'unless'): l, rr = vec(depth + 1), vec(depth + 1)
        return '(' + l + ' ' + op + m + ' ' + rr + ')'
    return '-' + vec(depth + 1)

def main():
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    out = [DATA]
    cmds = d.parse_script_text(DATA) if hasattr(d, 'parse_script_text') else None
    data = {}
    for line in DATA.strip().split('\n')[1:]:
        lab, vals = d.split_series(line.strip())
        data[lab] = {k * 60000: v for k, v in enumerate(d.expand(vals)) if v is not None}
    errors = 0
    for i in range(n):
        q = vec(0)
        t = R.randint(0, 50) * 30000
        status, got = d.run_promtool(data, q, t)
        ts = '%dms' % t
        if status == 'error':
            errors += 1
            out.append('eval_fail instant at %s %s\n' % (ts, q))
        elif status == 'ok':
            if q.startswith('(') and not any(c.isalpha() for c in q.replace('pi()', '').replace('time()', '').replace('atan2','')):
                lines = ['eval instant at %s %s' % (ts, q), '  ' + val_text(got[0][1])]
            else:
                lines = ['eval instant at %s %s' % (ts, q)] + ['  %s %s' % (lab_text(l), val_text(v)) for l, v in sorted(got)]
            out.append('\n'.join(lines) + '\n')
        else:
            print('UNKNOWN', q, got, file=sys.stderr)
    sys.stderr.write('%d queries, %d errors\n' % (n, errors))
    print('\n'.join(out))

if __name__ == "__main__": main()
