"""tracker.py - the measuring oracle: the peak of live tensor storage during a
run, counted the way torch.cuda.max_memory_allocated() counts it, measured on
the CPU with torch 1.13.

How it counts
  * Every storage an op creates while the tracker is on (seen as an op's output
    in a TorchDispatchMode, below autograd, so the ops autograd runs in backward
    and the optimizer's ops are seen too) is counted once, by its data pointer,
    rounded up to 512 bytes like the CUDA caching allocator
    (c10/cuda/CUDACachingAllocator.cpp, kMinBlockSize), however many views
    share it.
  * A storage lives while any tensor of it lives.  Storages cannot be
    weak-referenced in torch 1.13, tensors can: each output tensor gets a
    weakref finalizer, each storage a count of the live tensors the tracker saw
    on it; the storage is released when the count reaches 0.  PyTorch keeps a
    tensor's Python object alive while C++ still owns the tensor (autograd's
    saved variables, .grad, optimizer state), so the finalizer runs only when
    the tensor itself dies.
  * Storages that exist before tracing (parameters, buffers, the input ids) are
    the baseline: `baseline` bytes are given by the caller (the weights) and
    every storage first seen as an op's input rather than output is foreign and
    never counted.
  * peak = baseline + the largest sum of live counted storages at any op's
    output.

What it cannot see (documented in tests/oracle/README.md): the CUDA context,
cuBLAS/cuDNN workspaces, the caching allocator's block splitting and its
2 MiB/20 MiB segments (max_memory_allocated does not count those either; the
reserved number does), allocations inside a kernel that do not become a
tensor (CUDA kernels' internals), and CUDA-only code paths (SDPA/flash: torch
1.13 has none, compare with --attn eager).
"""
import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

ROUND = 512


def round512(n):
    return 0 if n <= 0 else -(-n // ROUND) * ROUND


def storage_of(t):
    """(data pointer, bytes) of t's storage, or None for what holds none."""
    if not isinstance(t, torch.Tensor) or t.is_meta or t.layout != torch.strided:
        return None
    try:
        s = t._storage() if hasattr(t, "_storage") else t.storage()
    except (RuntimeError, NotImplementedError):
        return None
    n = s.nbytes()
    p = s.data_ptr()
    if not n or not p:
        return None
    return p, n


class Tracker(TorchDispatchMode):
    """with Tracker(baseline=W) as tr: ...; tr.peak, tr.current, tr.phase_peaks."""

    def __init__(self, baseline=0, rounding=True):
        super().__init__()
        self.baseline = baseline
        self.rounding = rounding
        self.live = {}  # ptr -> [bytes, live tensors seen on it]
        self.foreign = set()  # storages that existed before tracing
        self.current = 0  # counted live bytes, without the baseline
        self.peak_extra = 0
        self.phase = "start"
        self.phase_peaks = {}  # phase name -> peak (with baseline) during it
        self.allocs = 0

    # -- bookkeeping --
    def _release(self, ptr):
        e = self.live.get(ptr)
        if e is None:
            return
        e[1] -= 1
        if e[1] == 0:
            self.current -= e[0]
            del self.live[ptr]

    def _out(self, t):
        so = storage_of(t)
        if so is None:
            return
        ptr, n = so
        if ptr in self.foreign:
            return
        e = self.live.get(ptr)
        if e is None:
            sz = round512(n) if self.rounding else n
            e = self.live[ptr] = [sz, 0]
            self.current += sz
            self.allocs += 1
        e[1] += 1
        weakref.finalize(t, self._release, ptr)

    def _note_peak(self):
        if self.current > self.peak_extra:
            self.peak_extra = self.current
        tot = self.baseline + self.current
        if tot > self.phase_peaks.get(self.phase, 0):
            self.phase_peaks[self.phase] = tot

    def set_phase(self, name):
        self.phase = name
        self._note_peak()

    @property
    def peak(self):
        return self.baseline + self.peak_extra

    @property
    def now(self):
        return self.baseline + self.current

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        ins, _ = tree_flatten((args, kwargs))
        for a in ins:
            so = storage_of(a)
            if so is not None and so[0] not in self.live:
                self.foreign.add(so[0])
        out = func(*args, **kwargs)
        outs, _ = tree_flatten(out)
        for t in outs:
            self._out(t)
        self._note_peak()
        return out


def live_bytes(tensors):
    """Bytes of the distinct storages of tensors, each rounded to 512."""
    seen = {}
    for t in tensors:
        so = storage_of(t)
        if so is not None:
            seen[so[0]] = so[1]
    return sum(round512(n) for n in seen.values())


def profiler_peak(fn):
    """Cross-check: the peak of CPU allocations torch.profiler records
    (profile_memory=True) while fn runs, from the raw kineto event list
    (prof.events() folds allocations inside an op into that op).  Sizes are
    the allocator's requests, not rounded."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    evs = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    evs.sort(key=lambda e: (e.start_us(), -1 if e.nbytes() < 0 else 1))
    cur = peak = 0
    for e in evs:
        cur += e.nbytes()
        peak = max(peak, cur)
    return peak
