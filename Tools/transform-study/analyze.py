# Thresholds from sweep results: bits/element where a level is reached at that point and at every higher-rate point.
import json, sys, numpy as np
from collections import defaultdict
f = sys.argv[1]; key = sys.argv[2] if len(sys.argv) > 2 else 'bits'
res = json.load(open(f)); G = defaultdict(list)
for r in res: G[(r['method'], r['dz'])].append(r)
levels = [('top1', .90, 'top1>=90%'), ('top1', .99, 'top1>=99%'), ('snr', 30, 'SNR>=30'), ('top5', .95, 'top5ov>=.95'), ('kl', -0.01, 'KL<=.01'), ('kl', -0.001, 'KL<=.001')]
def cross(pts, m, T):
    b = np.array([p[key] for p in pts]); v = np.array([p[m] for p in pts]) * (np.sign(T) if m == 'kl' else 1); T = abs(T) * (-1 if m == 'kl' else 1)
    ok = v >= T - 1e-12
    if ok.all(): return (b[0], b[0], 0, 'lt')
    if not ok[-1]: return (np.nan, np.nan, 0, 'gt')
    i = len(ok) - np.argmin(ok[::-1])  # first index of the all-ok tail
    x = b[i - 1] + (T - v[i - 1]) / (v[i] - v[i - 1]) * (b[i] - b[i - 1])
    first = np.argmax(ok); nonmono = int((ok[:i]).sum())
    return (x, b[first], nonmono, '')
out = {}
for k, pts in G.items():
    pts.sort(key=lambda p: p[key]); out[k] = [cross(pts, m, T) for m, T, _ in levels]
ref = out[('sp_task', 0.5)]
print('%s  rate=%s  (ratio to sp_task dz=0.5; [first-reach bits, #lower-rate points already reaching it] for top1)' % (f, key))
print('%-13s %4s ' % ('method', 'dz') + ' '.join('%17s' % l for _, _, l in levels))
for k in sorted(out, key=lambda k: (k[0] != 'sp_task', k[0], -k[1])):
    cells = []
    for j, (x, first, nm, flag) in enumerate(out[k]):
        s = ('<' if flag == 'lt' else '') + ('%.3f' % x) + ' %.2fx' % (x / ref[j][0])
        if j < 2: s += ' [%.2f,%d]' % (first, nm)
        cells.append('%17s' % s)
    print('%-13s %4.2f ' % k + ' '.join(cells))
# churn: frames flipping between neighbouring Q points near the 90% crossing of the reference
pts = sorted(G[('sp_task', 0.5)], key=lambda p: p['Q'])
print('reference sp_task: Q, snr, top1, #flipped frames, flips changed vs previous point')
prev = set()
for p in pts:
    s = set(p['flips']); print('  Q=%.0f snr=%.1f bits=%.3f top1=%.3f nflip=%d churn=%d top5=%.3f kl=%.4f' % (p['Q'], p['snr'], p[key], p['top1'], len(s), len(s ^ prev), p['top5'], p['kl'])); prev = s
