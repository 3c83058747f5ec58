import numpy as np
z = np.load('sens.npz'); np.set_printoptions(precision=3, suppress=True, linewidth=150)
for T in [4,7]:
    s = z['cal_dct%d'%T]; r = s / s[:, :1, :1]
    print('DCT%d: s(c,u,v)/s(c,0,0), geometric mean over 32 channels (rows u vertical, cols v horizontal)' % T)
    print(np.exp(np.log(r).mean(0)))
    print('  min/max over channels of s(c,T-1,T-1)/s(c,0,0): %.4f %.4f' % (r[:, -1, -1].min(), r[:, -1, -1].max()))
s = z['cal_dct28']; u = np.add.outer(np.arange(28), np.arange(28))
print('DCT28 whole: s vs u+v (diagonal index), geo-mean over channels and frequencies on the diagonal, relative to DC')
g = np.exp(np.log(s / s[:, :1, :1]).mean(0))
print(' '.join('%d:%.3g' % (d, np.exp(np.log(g[u == d]).mean())) for d in [0,1,2,3,4,6,8,12,16,20,27,36,44,54]))
for k in ['dct4','dct7','dct28','kltdct4']:
    L = np.log(z['cal_'+k]).reshape(32, -1); tot = ((L - L.mean())**2).sum()
    ch = (L.mean(1, keepdims=True) - L.mean()); fr = (L.mean(0, keepdims=True) - L.mean())
    res = L - L.mean() - ch - fr
    print('%s: variance of log s explained by channel %.1f%%, by frequency %.1f%%, interaction %.1f%%; sd(log10 s) total %.2f' % (k, 100*(ch**2).sum()*L.shape[1]/tot, 100*(fr**2).sum()*L.shape[0]/tot, 100*(res**2).sum()/tot, np.sqrt(tot/L.size)/np.log(10)))
print('KLT component sensitivity (per unit energy), comps 0..31:', z['cal_klt'] / z['cal_klt'].mean())
print('KLT eigen energy fraction:', z['ev'] / z['ev'].sum())
print('channel sens spread (max/min): %.1f' % (z['cal_sp'].max()/z['cal_sp'].min()))
