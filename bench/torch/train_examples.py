"""PyTorch mirror of examples/mlp.kiln's and examples/lenet5.kiln's training epochs, for
bench/training.ts (CPU seconds per epoch, as Kiln's are measured there): the same layers, batch
sizes, Adam(lr = 2e-3), cosine schedule and random pixel shifts, on the MNIST training digits Kiln trains on (written by
bench/training.ts as DIR/x.f32 [count, 784] and DIR/y.i32). One thread. Prints one JSON object:
seconds per epoch for each network.
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


CONFIG = {"mlp": (Mlp, 64, 2), "lenet5": (LeNet5, 32, 1)}
result = {"torch": torch.__version__}
for name in names:
    make, batch, s = CONFIG[name]
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * ((x_all.shape[0] + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    times = []
    for e in range(epochs):
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
            sched.step()
        times.append(time.process_time() - t0)
        print(f"torch {name} epoch {e + 1}: {times[-1]:.2f} s", file=sys.stderr)
    result[name] = times
print(json.dumps(result))
