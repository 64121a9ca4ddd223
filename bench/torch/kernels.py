"""PyTorch peer for bench/kernels.ts: fp32 GEMM 1024^3 and the 3x3 conv 64->64 on 1x64x56x56,
one thread (run with OPENBLAS_NUM_THREADS=1). Prints one JSON object of median milliseconds of
CPU time, as bench/kernels.ts measures Kiln's."""
import json
import sys
import time

import torch

torch.set_num_threads(1)
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def median_ms(fn):
    for _ in range(2):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.process_time()
        fn()
        ts.append((time.process_time() - t0) * 1000)
    ts.sort()
    return ts[len(ts) // 2]


g = torch.Generator().manual_seed(1)
a = torch.randn(1024, 1024, generator=g)
b = torch.randn(1024, 1024, generator=g)
x = torch.randn(1, 64, 56, 56, generator=g)
w = torch.randn(64, 64, 3, 3, generator=g)
with torch.no_grad():
    out = {
        "torch": torch.__version__,
        "gemm1024": median_ms(lambda: torch.mm(a, b)),
        "conv64": median_ms(lambda: torch.nn.functional.conv2d(x, w, padding=1)),
    }
print(json.dumps(out))
