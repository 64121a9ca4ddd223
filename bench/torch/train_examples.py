"""PyTorch mirror of examples/mlp.kiln's, examples/lenet5.kiln's and examples/binary_mlp.kiln's
training epochs, for bench/training.ts (CPU seconds per epoch, as Kiln's are measured there): the
same layers, batch sizes, optimizer, schedule and random pixel shifts as each train block (mlp and
lenet5: Adam(lr = 2e-3) with a cosine schedule; binary_mlp: Adam(lr = 3e-3) decayed ×0.75 per
epoch, latent weights clipped to [-1, 1] after every step), on the MNIST training digits Kiln
trains on (written by bench/training.ts as DIR/x.f32 [count, 784] and DIR/y.i32). One thread.
Batchwise dropout here is a mask over full matrices, the usual PyTorch way; Kiln multiplies only
the kept units' submatrices (the technique's point), about 0.69x these multiply-adds on binary_mlp.
Prints one JSON object: seconds per epoch for each network.
usage: OPENBLAS_NUM_THREADS=1 python3 train_examples.py DIR EPOCHS NAME..."""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(1)
folder, epochs, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
x_all = torch.from_numpy(np.fromfile(f"{folder}/x.f32", dtype=np.float32).reshape(-1, 784))
y_all = torch.from_numpy(np.fromfile(f"{folder}/y.i32", dtype=np.int32).astype(np.int64))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.h, self.y = nn.Linear(784, 256), nn.Linear(256, 10)

    def forward(self, x):
        return self.y(F.relu(self.h(x.view(x.shape[0], 784))))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.f1, self.f2, self.y = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2).flatten(1)
        x = F.dropout(F.relu(self.f2(F.relu(self.f1(x)))), 0.5, self.training)
        return self.y(x)


class SignSte(torch.autograd.Function):
    """sign with +1 at 0, and Kiln's default straight-through estimator for binary weights and the
    sign op, `clipped` (BNN's hardtanh): the gradient passes where |x| <= 1."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, 1.0, -1.0)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1)


class BinaryDense(nn.Linear):
    """Binary weights (the sign of real latent weights, Glorot-uniform at the start as Kiln's), real bias."""

    def __init__(self, n_in, n_out):
        super().__init__(n_in, n_out)
        nn.init.xavier_uniform_(self.weight)
        nn.init.zeros_(self.bias)

    def forward(self, x):
        return F.linear(x, SignSte.apply(self.weight), self.bias)


class BinaryMlp(nn.Module):
    """784 -> 3 x (binary dense 1024 -> batch norm -> sign -> batchwise dropout 0.2) -> binary dense 10
    -> batch norm. Batchwise dropout draws one mask of units per minibatch, as Kiln's mode = batchwise."""

    def __init__(self, hidden=1024):
        super().__init__()
        widths = [784, hidden, hidden, hidden]
        self.dense = nn.ModuleList(BinaryDense(a, b) for a, b in zip(widths, widths[1:] + [10]))
        self.bn = nn.ModuleList(nn.BatchNorm1d(b, eps=1e-5, momentum=0.1) for b in widths[1:] + [10])

    def forward(self, x):
        x = x.view(x.shape[0], 784)
        for d, bn in list(zip(self.dense, self.bn))[:-1]:
            x = SignSte.apply(bn(d(x)))
            if self.training:
                x = x * ((torch.rand(x.shape[1]) >= 0.2).float() / 0.8)
        return self.bn[-1](self.dense[-1](x))

    def clip(self):
        with torch.no_grad():
            for d in self.dense:
                d.weight.clamp_(-1, 1)


def shift(x, s):
    """Each image moved by a random whole number of pixels in [-s, s], zeros filling in."""
    if s == 0:
        return x
    n = x.shape[0]
    padded = F.pad(x, (s, s, s, s))
    out = torch.empty_like(x)
    d = torch.randint(0, 2 * s + 1, (n, 2))
    for i in range(n):
        dy, dx = int(d[i, 0]), int(d[i, 1])
        out[i] = padded[i, :, dy:dy + 28, dx:dx + 28]
    return out


# network: (model, batch, pixel shift, Adam's lr, schedule: cosine over all steps, or step = x0.75 per epoch)
CONFIG = {
    "mlp": (Mlp, 64, 2, 2e-3, "cosine"),
    "lenet5": (LeNet5, 32, 1, 2e-3, "cosine"),
    "binary_mlp": (BinaryMlp, 100, 1, 3e-3, "step"),
}
result = {"torch": torch.__version__}
for name in names:
    make, batch, s, lr, schedule = CONFIG[name]
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps = epochs * ((x_all.shape[0] + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps) if schedule == "cosine" \
        else torch.optim.lr_scheduler.StepLR(opt, 1, 0.75)
    clip = getattr(model, "clip", None)
    times = []
    for e in range(epochs):
        loss_sum, batches = 0.0, 0
        t0 = time.process_time()
        model.train()
        order = torch.randperm(x_all.shape[0])
        for b0 in range(0, x_all.shape[0], batch):
            idx = order[b0:b0 + batch]
            x = shift(x_all[idx].view(-1, 1, 28, 28), s)
            loss = F.cross_entropy(model(x), y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum, batches = loss_sum + float(loss), batches + 1
            if clip:
                clip()
            if schedule == "cosine":
                sched.step()
        if schedule == "step":
            sched.step()
        times.append(time.process_time() - t0)
        print(f"torch {name} epoch {e + 1}: {times[-1]:.2f} s, loss {loss_sum / batches:.4f}", file=sys.stderr)
    result[name] = times
print(json.dumps(result))
