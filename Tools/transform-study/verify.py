import numpy as np, torch, subprocess, time, os
from common import *
m = model(); tail = Tail(m)
X = np.load('b5.npy')
t=time.time(); L = logits(tail, X); print('tail 54 frames %.2fs'%(time.time()-t))
import urllib
cats = torchvision.models.MobileNet_V2_Weights.IMAGENET1K_V1.meta['categories'] if hasattr(torchvision.models,'MobileNet_V2_Weights') else None
p = torch.softmax(torch.from_numpy(L),1).numpy()
for i in range(0,54,6): print(i, L[i].argmax(), cats[L[i].argmax()] if cats else '', '%.2f'%p[i].max())
# head in torch on ffmpeg frames at 5 fps: compare to featstream's tensors
raw = subprocess.run(['ffmpeg','-v','error','-i',HOME + '/footage/bikes.mp4','-vf','scale=224:224','-pix_fmt','rgb24','-f','rawvideo','-'],capture_output=True).stdout
fr = np.frombuffer(raw,np.uint8).reshape(-1,224,224,3)
print('frames', fr.shape)
idx = [0,5,10,15,20]
img = (fr[idx].astype(np.float32)/255 - np.array([0.485,0.456,0.406],np.float32))/np.array([0.229,0.224,0.225],np.float32)
with torch.no_grad():
    F6 = m.features[:7](torch.from_numpy(img.transpose(0,3,1,2).copy())).numpy()
    Lf = m(torch.from_numpy(img.transpose(0,3,1,2).copy())).numpy()
for k,i in enumerate(idx[:5]):
    d = F6[k]-X[k]; print('frame',i,'feat rel err %.2e'%(np.sqrt((d**2).mean()/ (X[k]**2).mean())), 'full top1',Lf[k].argmax(),'tail top1',L[k].argmax())
