# Shared by the study's scripts: the MobileNetV2 tail after features.6 (torchvision, the
# checkpoint featstream uses) and featstream's cached channel weights (its TaskWeights formula).
import numpy as np, torch, torchvision, os, json
torch.set_num_threads(2)
HOME = os.environ.get('FEATSTREAM_HOME', os.path.expanduser('~/.cache/featstream'))
W = HOME + '/weights/mobilenet_v2-b0353104.pth'
def model():
    m = torchvision.models.mobilenet_v2()
    m.load_state_dict(torch.load(W, map_location='cpu'))
    m.eval()
    return m
class Tail(torch.nn.Module):
    def __init__(self, m):
        super().__init__(); self.f = m.features[7:]; self.c = m.classifier
    def forward(self, x):
        x = self.f(x)
        x = torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.c(x)
def logits(tail, X, bs=64):
    out = []
    with torch.no_grad():
        for i in range(0, len(X), bs):
            out.append(tail(torch.from_numpy(np.ascontiguousarray(X[i:i+bs], dtype=np.float32))).numpy())
    return np.concatenate(out)
def channel_weights():
    s = np.array(json.load(open(HOME + '/sensitivity/b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889-mobilenet_v2-features.6.json')))
    raw = 1/np.sqrt(np.maximum(s, s.max()*1e-6))
    return np.clip(raw/np.exp(np.log(raw).mean()), 0.25, 4), s
