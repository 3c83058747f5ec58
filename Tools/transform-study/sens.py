# Task sensitivity per (channel|KLT component, DCT frequency) of MobileNetV2's tail at features.6.
# s = E ||J b||^2 for unit basis vector b (mean over tiles/frames) = diag(J^T J) in the transform
# domain, estimated with Hutchinson probes: g = J^T r, r ~ N(0, I_1000); s_i = E[(T g)_i^2].
import numpy as np, torch, subprocess, os, sys, time
from common import *; from transforms import *
torch.manual_seed(0); np.random.seed(0)
m = model(); tail = Tail(m)
def head_png(p):
    raw = subprocess.run(['ffmpeg','-v','error','-i',p,'-vf','scale=224:224','-pix_fmt','rgb24','-f','rawvideo','-'],capture_output=True).stdout
    im = np.frombuffer(raw,np.uint8).reshape(1,224,224,3).astype(np.float32)/255
    im = (im - np.array([0.485,0.456,0.406],np.float32))/np.array([0.229,0.224,0.225],np.float32)
    with torch.no_grad(): return m.features[:7](torch.from_numpy(im.transpose(0,3,1,2).copy())).numpy()
cal = np.concatenate([np.load('p5.npy')] + [head_png(HOME + '/footage/%s.png' % n) for n in ['chelsea','coffee']])
np.save('cal.npy', cal)
print('calibration frames', cal.shape, 'top1', logits(tail, cal).argmax(1))
# KLT from calibration covariance (uncentred: the codec has no mean removal either)
Xc = cal.transpose(1,0,2,3).reshape(32,-1).astype(np.float64)
ev, V = np.linalg.eigh(Xc @ Xc.T / Xc.shape[1]); V = V[:, ::-1]; ev = ev[::-1]
print('KLT energy fractions', np.round(ev/ev.sum(),4)[:10], 'top8 %.3f'%(ev[:8].sum()/ev.sum()))
def grads(X, K):
    G = []
    for i in range(len(X)):
        x = torch.from_numpy(np.repeat(X[i:i+1], K, 0)).requires_grad_(True)
        L = tail(x); r = torch.randn_like(L)
        g, = torch.autograd.grad((L*r).sum(), x)
        G.append(g.numpy())
    return np.concatenate(G)
def sens_all(G):
    out = {'sp': (G**2).mean((0,2,3))}
    Gk = klt_fwd(G, V)
    out['klt'] = (Gk**2).mean((0,2,3))
    for T in [4,7,28]:
        out['dct%d'%T] = (fwd(G,T)**2).mean((0,4,5))
        out['kltdct%d'%T] = (fwd(Gk,T)**2).mean((0,4,5))
    return out
t=time.time(); G = grads(cal, 48); print('cal grads', G.shape, '%.0fs'%(time.time()-t))
S = sens_all(G)
# half-split reproducibility
S1 = sens_all(G[::2]); S2 = sens_all(G[1::2])
t=time.time(); Gb = grads(np.load('b5.npy'), 12); print('b5 grads %.0fs'%(time.time()-t))
Sb = sens_all(Gb)
np.savez('sens.npz', V=V, ev=ev, **{'cal_'+k:v for k,v in S.items()}, **{'b5_'+k:v for k,v in Sb.items()},
         **{'h1_'+k:v for k,v in S1.items()}, **{'h2_'+k:v for k,v in S2.items()})
cw, cs = channel_weights()
print('corr(log channel sens: codec cache vs cal grads) %.3f, vs b5 %.3f' % (np.corrcoef(np.log(cs), np.log(S['sp']))[0,1], np.corrcoef(np.log(cs), np.log(Sb['sp']))[0,1]))
for k in S:
    a,b,c = np.log(S[k]).ravel(), np.log(Sb[k]).ravel(), np.log(S1[k]).ravel()
    print('%-9s corr log s: cal vs b5 %.3f, half vs half %.3f' % (k, np.corrcoef(a,b)[0,1], np.corrcoef(c, np.log(S2[k]).ravel())[0,1]))
# finite-difference check on DCT 4x4 (noise in one (c,u,v) across all tiles)
X = cal; L0 = logits(tail, X); D = dctmat(4)
rng = np.random.default_rng(1)
for (c,u,v) in [(1,0,0),(1,3,3),(14,0,1),(14,2,2),(8,0,0),(8,3,3),(21,1,3)]:
    for sig in [0.02, 0.2]:
        B = np.einsum('i,j->ij', D[u], D[v])
        Z = rng.standard_normal((len(X),7,7))
        n = np.einsum('nab,ij->naibj', Z, B).reshape(len(X),28,28) * sig
        Xn = X.copy(); Xn[:,c] += n
        dL = logits(tail, Xn) - L0
        fd = (dL**2).sum()/ (n**2).sum()
        print('FD dct4 c=%d (u,v)=(%d,%d) sigma=%.2f: %.4g  VJP %.4g' % (c,u,v,sig,fd,S['dct4'][c,u,v]))
