"""PyTorch definitions of the architectures torchvision does not ship, written from their
papers and reference code (independently of featstream's Swift), for golden outputs."""
import math
import torch
from torch import nn
import torch.nn.functional as F


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow's 'SAME' padding (extra pixel at the bottom/right)."""

    def forward(self, x):
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        oh, ow = math.ceil(ih / sh), math.ceil(iw / sw)
        ph = max((oh - 1) * sh + kh - ih, 0)
        pw = max((ow - 1) * sw + kw - iw, 0)
        x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class LiteBlock(nn.Module):
    """MBConv without squeeze-and-excitation, ReLU6 (EfficientNet-Lite), EfficientNet-PyTorch names."""

    def __init__(self, expand, kernel, stride, cin, cout):
        super().__init__()
        hidden = cin * expand
        self.expand = expand
        if expand != 1:
            self._expand_conv = SameConv(cin, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, eps=1e-3)
        self._depthwise_conv = SameConv(hidden, hidden, kernel, stride, groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, eps=1e-3)
        self._project_conv = SameConv(hidden, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3)
        self.skip = stride == 1 and cin == cout

    def forward(self, x):
        y = x
        if self.expand != 1:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.skip else y


class EfficientNetLite0(nn.Module):
    STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
              (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]

    def __init__(self):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3)
        blocks = []
        for expand, kernel, stride, cin, cout, repeats in self.STAGES:
            for r in range(repeats):
                blocks.append(LiteBlock(expand, kernel, stride if r == 0 else 1, cin if r == 0 else cout, cout))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, eps=1e-3)
        self._fc = nn.Linear(1280, 1000)

    def head(self, x, split):
        """Output of the named split point."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        if split == "_conv_stem":
            return x
        for i, block in enumerate(self._blocks):
            x = block(x)
            if split == f"_blocks.{i}":
                return x
        x = F.relu6(self._bn1(self._conv_head(x)))
        if split == "_conv_head":
            return x
        raise ValueError(split)

    def forward(self, x):
        x = self.head(x, "_conv_head")
        return self._fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
