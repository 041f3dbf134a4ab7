#!/usr/bin/env python3
"""Measured GPU memory beside vramfit's prediction and the CPU oracle, for the
cases of tests/oracle/cases.py (needs an NVIDIA GPU and PyTorch with CUDA; run
it through the device tool when a session has one; under 8 minutes on one GPU).

For each case (the same 2-layer random-weight checkpoints the CPU oracle uses,
built with save_pretrained under WORKDIR/models) it runs the same workload
code (tests/oracle/workload.py) on cuda with the CudaProbe: the peak of
torch.cuda.max_memory_allocated() over the run, and beside it
max_memory_reserved() and NVML's used memory of the device (driver view:
context + reserved), then `vramfit estimate --json` with the matching flags
(--overhead 0: the prediction without the CUDA context).  Once, in a fresh
process, the CUDA context: NVML used memory after the first CUDA call minus
before (the number vramfit's --overhead default stands for).

Differences from the CPU oracle the table shows: cuBLAS workspaces (counted
by neither max_memory_allocated nor the oracle; in NVML's number), the caching
allocator's segments and block splitting (in reserved, not in allocated), and
on torch >= 2.1.1 transformers 4.36 would pick SDPA: the cases force eager
attention (attn_implementation="eager") to compare with --attn eager.

usage: measure.py VRAMFIT WORKDIR [--quick] [--only SUBSTR] [--cpu-oracle]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "oracle"))

import cases as C  # noqa: E402


def nvml_used():
    try:
        out = subprocess.check_output(["nvidia-smi", "--query-gpu=memory.used",
                                       "--format=csv,noheader,nounits", "-i", "0"])
        return int(out.split()[0]) << 20
    except (OSError, subprocess.CalledProcessError):
        import torch

        free, total = torch.cuda.mem_get_info()
        return total - free


def context_overhead():
    code = ("import subprocess,torch;"
            "q=lambda:int(subprocess.check_output(['nvidia-smi','--query-gpu=memory.used',"
            "'--format=csv,noheader,nounits','-i','0']).split()[0]);"
            "a=q();torch.zeros(1,device='cuda');torch.cuda.synchronize();print((q()-a)<<20)")
    return int(subprocess.check_output([sys.executable, "-c", code]).decode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vramfit")
    ap.add_argument("workdir")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--cpu-oracle", action="store_true", help="also run the CPU oracle")
    a = ap.parse_args()
    import torch
    import transformers

    import run as R
    import workload

    cs = C.all_cases()
    if a.quick:
        cs = [c for c in cs if c["name"] in C.QUICK]
    if a.only:
        cs = [c for c in cs if a.only in c["name"]]
    models = R.build_models(a.workdir, sorted({c["model"] for c in cs}))
    ctx = context_overhead()
    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}, "
          f"transformers {transformers.__version__}, {time.strftime('%Y-%m-%d')}")
    print(f"CUDA context of a fresh process (NVML): {ctx / 2**20:.0f} MiB\n")
    print("| case | vramfit MiB | max allocated MiB | error | max reserved MiB | NVML used MiB "
          "| CPU oracle MiB |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for c in cs:
        d, arch, mt, dt = models[c["model"]]
        c = dict(c, arch=arch, model_type=mt, dtype=dt)
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        try:
            m = workload.run_case(c, d, device="cuda", probe=workload.CudaProbe())
        except torch.cuda.OutOfMemoryError:
            print(f"| {c['name']} | | OOM | | | | |")
            continue
        if c["kind"] == "load":
            m["peak"] = torch.cuda.max_memory_allocated()
        reserved, used = torch.cuda.max_memory_reserved(), nvml_used()
        cpu = workload.run_case(c, d)["peak"] if a.cpu_oracle else None
        pred = R.predict(a.vramfit, d, c)["peak"]
        err = (pred - m["peak"]) / m["peak"] * 100
        rows.append(dict(case=c["name"], predicted=pred, allocated=m["peak"],
                         reserved=reserved, nvml=used, cpu=cpu))
        print(f"| {c['name']} | {pred / 2**20:.2f} | {m['peak'] / 2**20:.2f} | {err:+.2f}% | "
              f"{reserved / 2**20:.2f} | {used / 2**20:.0f} | "
              f"{'' if cpu is None else f'{cpu / 2**20:.2f}'} |", flush=True)
        import gc

        gc.collect()
    with open(os.path.join(a.workdir, "gpu.json"), "w") as f:
        json.dump({"context": ctx, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
