import numpy as np, json, sys; from common import *
from collections import Counter
tail = Tail(model()); X = np.load(sys.argv[1] + '.npy'); L = logits(tail, X); s = np.sort(L, 1)
m = s[:, -1] - s[:, -2]; o = np.argsort(m)
print('smallest lossless top1-top2 logit margins (frame:margin):', ' '.join('%d:%.2f' % (i, m[i]) for i in o[:8]), ' median %.2f' % np.median(m))
res = json.load(open(sys.argv[2])); c = Counter(f for r in res if r['top1'] >= 0.85 for f in r['flips'])
print('frames flipping most often in points with top1>=85%:', c.most_common(8))
