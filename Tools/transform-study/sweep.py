# Intra-only (and optional closed-loop temporal) quantizer study on featstream features.6 tensors.
# usage: sweep.py CLIP(b5|b25|w5|p5) [--methods m1,m2] [--dz 0.5,0.333] [--q 4:46:1] [--temporal]
import numpy as np, json, sys, time, argparse
from common import *; from transforms import *
ap = argparse.ArgumentParser()
ap.add_argument('clip'); ap.add_argument('--methods', default='all'); ap.add_argument('--dz', default='0.5,0.3333')
ap.add_argument('--q', default='4:46:1'); ap.add_argument('--temporal', action='store_true'); ap.add_argument('--tag', default='')
a = ap.parse_args()
X = np.load(a.clip + '.npy').astype(np.float64); N = len(X)
tail = Tail(model()).to(memory_format=torch.channels_last)
def logit(Xh):
    with torch.no_grad():
        return tail(torch.from_numpy(Xh.astype(np.float32)).contiguous(memory_format=torch.channels_last)).double().numpy()
L0 = logit(X); P0 = torch.softmax(torch.from_numpy(L0), 1).numpy(); top1 = L0.argmax(1); top5 = np.argsort(-L0, 1)[:, :5]
S = np.load('sens.npz'); V = S['V']; cw, _ = channel_weights()
def wfrom(s, clamp):
    raw = 1 / np.sqrt(np.maximum(s, s.max() * 1e-6)); return np.clip(raw / np.exp(np.log(raw).mean()), 1 / clamp, clamp)
band28 = np.minimum(np.add.outer(np.arange(28), np.arange(28)), 54)
edges = np.array([0, 1, 2, 3, 5, 8, 12, 18, 26, 37, 55]); band28 = np.searchsorted(edges, band28, side='right') - 1  # 10 bands
def method(name):
    """-> (forward, inverse, weights shape (K,T,T), class ids shape (K,T,T))"""
    klt = name.startswith('klt'); T = 1
    if 'dct' in name: T = int(name.split('dct')[1].split('_')[0])
    F = (lambda Z: fwd(klt_fwd(Z, V), T)) if klt else (lambda Z: fwd(Z, T))
    I = (lambda Y: klt_inv(inv(Y, T), V)) if klt else (lambda Y: inv(Y, T))
    key = ('kltdct%d' % T if T > 1 else 'klt') if klt else ('dct%d' % T if T > 1 else 'sp')
    if name.endswith('_fq') or name == 'klt_task': w = wfrom(S['cal_' + key], 8 if name.endswith('_fq') else 4)
    elif name.endswith('_mse'): w = np.ones(32)
    else: w = cw  # channel task weights, the codec's
    w = np.broadcast_to(w.reshape(32, *([1, 1] if w.ndim == 1 else w.shape[1:])), (32, T, T)) if T > 1 else w.reshape(32, 1, 1)
    if T == 28: cls = np.arange(32)[:, None, None] * 10 + band28[None]
    else: cls = np.arange(32 * T * T).reshape(32, T, T)
    return F, I, w[..., None, None], cls[..., None, None]
def rate(lev, cls):
    """lev (N,K,T,T,a,b) ints; cls broadcastable class ids. -> bits/el: H0 per class, + adaptive model cost, pooled H0"""
    c = np.broadcast_to(cls, lev.shape).ravel(); l = lev.ravel().astype(np.int64)
    off = -l.min(); M = l.max() + off + 1; ncls = c.max() + 1
    cnt = np.bincount(c * M + l + off, minlength=ncls * M).reshape(ncls, M).astype(np.float64)
    n = cnt.sum(1); p = cnt / np.maximum(n[:, None], 1)
    H = -(cnt * np.log2(np.where(cnt > 0, p, 1))).sum()
    used = (cnt > 0).sum(1); model = ((np.maximum(used - 1, 0) / 2) * np.log2(np.maximum(n, 2))).sum()
    pc = cnt.sum(0); pp = pc / pc.sum(); Hp = -(pc * np.log2(np.where(pc > 0, pp, 1))).sum()
    E = lev.size; return H / E, (H + model) / E, Hp / E
def quant(Y, d, r): return np.sign(Y) * np.floor(np.abs(Y) / d + r)
rms = np.sqrt((X ** 2).mean((1, 2, 3)))  # per frame, as the codec
q0, q1, qs = map(float, a.q.split(':')); Qs = np.arange(q0, q1 + 1e-9, qs)
methods = ['sp_task', 'sp_mse', 'dct4_ch', 'dct7_ch', 'dct28_ch', 'dct4_fq', 'dct7_fq', 'dct28_fq', 'klt_task', 'kltdct4_fq', 'kltdct7_fq', 'kltdct28_fq'] if a.methods == 'all' else a.methods.split(',')
res = []
for name in methods:
    F, I, w, cls = method(name)
    Y = F(X)
    for r in map(float, a.dz.split(',')):
        t = time.time()
        for Q in Qs:
            d = (rms * np.sqrt(12) * 10 ** (-Q / 20)).reshape(N, 1, 1, 1, 1, 1) * w
            if not a.temporal:
                lev = quant(Y, d, r); Yh = lev * d
            else:  # closed loop, per component: skip / a*prev for a in {1, 3/4, 1/2} / intra; pick min sum|level|
                lev = np.zeros_like(Y); Yh = np.zeros_like(Y); prev = None
                for n in range(N):
                    if prev is None:
                        lv = quant(Y[n], d[n], r); lev[n] = lv; Yh[n] = lv * d[n]; prev = Yh[n]; continue
                    best = None
                    for al in (1.0, 0.75, 0.5, 0.0):
                        lv = quant(Y[n] - al * prev, d[n], r)
                        cost = np.abs(lv).reshape(32, -1).sum(1) + (al != 1.0) * 0  # per component
                        cand = (cost, lv, al)
                        if best is None: best = [cost.copy(), lv.copy(), np.full(32, al)]
                        else:
                            better = cost < best[0]
                            best[0][better] = cost[better]; best[1][better] = lv[better]; best[2][better] = al
                    lev[n] = best[1]; Yh[n] = best[1] * d[n] + best[2].reshape(32, *[1] * (Y.ndim - 2)) * prev; prev = Yh[n]
            Xh = I(Yh)
            snr = 10 * np.log10((X ** 2).sum() / max(((X - Xh) ** 2).sum(), 1e-30))
            L = logit(Xh); P = torch.softmax(torch.from_numpy(L), 1).numpy()
            t1 = (L.argmax(1) == top1); t5 = np.mean([len(set(top5[i]) & set(np.argsort(-L[i])[:5])) / 5 for i in range(N)])
            kl = np.mean((P0 * (np.log(P0 + 1e-30) - np.log(P + 1e-30))).sum(1))
            hc, hm, hp = rate(lev, cls)
            res.append(dict(method=name, dz=r, Q=float(Q), snr=snr, top1=float(t1.mean()), flips=np.flatnonzero(~t1).tolist(), top5=t5, kl=kl, bits=hc, bits_model=hm, bits_pooled=hp))
        print('%s dz=%.2f done %.0fs; Q=30: snr %.1f top1 %.3f bits %.3f' % (name, r, time.time() - t, *[(x['snr'], x['top1'], x['bits']) for x in res if x['Q'] == 30 and x['method'] == name and x['dz'] == r][0]) if 30 in Qs else name, flush=True)
json.dump(res, open('res_%s%s%s.json' % (a.clip, '_temporal' if a.temporal else '', a.tag), 'w'))
