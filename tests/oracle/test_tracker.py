#!/usr/bin/env python3
"""Tests of the oracle itself: hand arithmetic for single ops, views counted
once, storages released when their last tensor dies, and torch.profiler
(profile_memory=True, raw kineto events) as an independent count."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402

import tracker  # noqa: E402


def main():
    a, b = torch.randn(300, 700), torch.randn(700, 500)
    with tracker.Tracker() as tr:
        c = a @ b
    assert tr.peak == 600064, tr.peak  # 300*500*4 = 600,000 -> 1172 blocks of 512
    with tracker.Tracker() as tr:
        v1, v2 = c.t(), c[:10]  # views of a storage seen before: foreign, not counted
        d = c + 1
        e, f = d.view(-1), d.t()  # views of d: d's storage once
    assert tr.now == 600064, tr.now
    del d, e
    assert tr.now == 600064, tr.now  # f still holds the storage
    del f
    assert tr.now == 0, tr.now
    with tracker.Tracker(baseline=1000) as tr:
        x = torch.randn(1000, requires_grad=True)
        (x * 2).sum().backward()
    assert tr.peak == 1000 + 4096 * 2 + 512 * 2, tr.peak  # x, x*2, sum, grad_output
    # the profiler counts the same allocations (unrounded) for a small MLP step
    lin = torch.nn.Sequential(torch.nn.Linear(256, 1024), torch.nn.GELU(),
                              torch.nn.Linear(1024, 256))
    inp = torch.randn(64, 256)

    def step():
        lin(inp).square().mean().backward()
        lin.zero_grad(set_to_none=True)

    step()
    with tracker.Tracker(rounding=False) as tr:
        step()
    prof = tracker.profiler_peak(step)
    assert abs(tr.peak - prof) <= 0.05 * prof, (tr.peak, prof)
    print(f"tracker self-test passed (matmul 600,064 B; MLP step: oracle {tr.peak:,} B, "
          f"profiler {prof:,} B)")


if __name__ == "__main__":
    main()
