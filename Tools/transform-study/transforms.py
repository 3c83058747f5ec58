import numpy as np
def dctmat(n):
    k = np.arange(n)[:, None]; i = np.arange(n)[None, :]
    D = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    D[0] /= np.sqrt(2.0)
    return D  # orthonormal, rows = basis
def fwd(X, T):
    """X (N,C,28,28) -> coefficients (N,C,T,T,28/T,28/T) [u,v,ty,tx]"""
    if T == 1: return X.reshape(X.shape[0], X.shape[1], 1, 1, X.shape[2], X.shape[3])
    N, C, H, W = X.shape; D = dctmat(T)
    Y = X.reshape(N, C, H // T, T, W // T, T)
    return np.einsum('ui,vj,ncaibj->ncuvab', D, D, Y, optimize=True)
def inv(Y, T):
    if T == 1: return Y.reshape(Y.shape[0], Y.shape[1], Y.shape[4], Y.shape[5])
    N, C = Y.shape[:2]; D = dctmat(T); nt = Y.shape[4]
    X = np.einsum('ui,vj,ncuvab->ncaibj', D, D, Y, optimize=True)
    return X.reshape(N, C, nt * T, nt * T)
def klt_fwd(X, V):  # V (C,K) orthonormal columns: y_k = sum_c V[c,k] x_c
    return np.einsum('ck,nchw->nkhw', V, X, optimize=True)
def klt_inv(Y, V):
    return np.einsum('ck,nkhw->nchw', V, Y, optimize=True)
