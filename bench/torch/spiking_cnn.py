"""spiking_cnn (examples/spiking_cnn.kiln) in PyTorch, timed the way bench/spiking.ts times Kiln.

The same network and training step: conv2d(1->12, 5) -> batchnorm -> LIF (fast-sigmoid surrogate,
slope 25) -> maxpool 2, conv2d(12->32, 5) -> batchnorm -> LIF -> maxpool 2, flatten -> dense(10)
-> membrane readout (a leaky integrator that never fires, averaged over the steps); LIF threshold
1, decay 0.9, reset by subtraction, gradient through the reset. Each step presents the digit
again (direct encoding); the first conv and batch norm run once per batch, as Kiln runs layers
that cannot change over time; cross-entropy on the readout; Adam, lr 2e-3; batch 32; one thread.
The digits are random 0-1 images of MNIST's shape: the time per epoch depends on shapes and on
nothing else here (dense kernels), so no data set is needed.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch/spiking_cnn.py [--steps 5] [--train 1600] [--epochs 3]

Exits 0 with a message when torch is not installed (the benchmark is optional).
"""
import argparse
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError:
    print("bench/torch/spiking_cnn.py: skipped, PyTorch is not installed "
          "(Debian: apt-get install python3-torch libopenblas0-pthread)")
    sys.exit(0)


class FastSigmoidSpike(torch.autograd.Function):
    """Heaviside forward; SuperSpike's 1 / (1 + slope*|x|)^2 backward (snnTorch's fast_sigmoid)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + 25 * x.abs()) ** 2


spike = FastSigmoidSpike.apply


class SpikingCNN(nn.Module):
    def __init__(self, steps):
        super().__init__()
        self.steps = steps
        self.conv1, self.bn1 = nn.Conv2d(1, 12, 5), nn.BatchNorm2d(12)
        self.conv2, self.bn2 = nn.Conv2d(12, 32, 5), nn.BatchNorm2d(32)
        self.fc = nn.Linear(512, 10)

    def forward(self, x):
        i1 = self.bn1(self.conv1(x))
        v1 = v2 = v3 = 0
        readout = 0
        for _ in range(self.steps):
            u1 = 0.9 * v1 + i1
            s1 = spike(u1 - 1)
            v1 = u1 - s1
            u2 = 0.9 * v2 + self.bn2(self.conv2(nn.functional.max_pool2d(s1, 2)))
            s2 = spike(u2 - 1)
            v2 = u2 - s2
            v3 = 0.9 * v3 + self.fc(nn.functional.max_pool2d(s2, 2).flatten(1))
            readout = readout + v3
        return readout / self.steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--train", type=int, default=1600)
    ap.add_argument("--epochs", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    net = SpikingCNN(a.steps)
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    loss_fn = nn.CrossEntropyLoss()
    x_all = torch.rand(a.train, 1, 28, 28)
    y_all = torch.randint(0, 10, (a.train,))
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread, spiking_cnn, {a.steps} time steps, "
          f"one training epoch of {a.train} digits")
    times = []
    for epoch in range(a.epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        for b in range(0, a.train - 31, 32):
            opt.zero_grad()
            loss = loss_fn(net(x_all[b:b + 32]), y_all[b:b + 32])
            loss.backward()
            opt.step()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        times.append(cpu)
        print(f"  epoch {epoch + 1}{' (cold)' if epoch == 0 else '       '}  {wall:6.2f} s wall  {cpu:6.2f} s CPU")
    rest = sorted(times[1:] or times)
    print(f"  steady state: {rest[len(rest) // 2]:.2f} s CPU per epoch")


if __name__ == "__main__":
    main()
