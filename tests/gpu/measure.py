#!/usr/bin/env python3
"""Measured peak GPU memory beside vramfit's prediction (needs an NVIDIA GPU
and PyTorch with CUDA; run it through the device tool when a session has one).

For each config (random weights, built on the GPU in the config's dtype), and
for each workload: load, prefill, generate, one training step; it records
torch.cuda.max_memory_allocated() and the driver's used memory
(torch.cuda.mem_get_info) and prints them beside `vramfit estimate --json`
with the same workload, as a markdown table for the README.  It also measures
the CUDA context of a fresh process (driver used memory after the first CUDA
call minus before), the number vramfit keeps as a default per GPU generation.

usage: measure.py VRAMFIT MODELS_DIR [config ...]
"""
import json
import os
import subprocess
import sys

import torch
import transformers

WORKLOADS = [  # (batch, seq, gen, train)
    (1, 512, 0, False),
    (4, 2048, 0, False),
    (1, 512, 64, False),
    (1, 512, 0, True),
]


def vramfit(binary, path, b, s, g, train):
    args = [binary, "estimate", "--json", "--batch", str(b), "--seq", str(s), "--gen", str(g),
            "--engine", "hf436", path]
    if train:
        args.insert(3, "--train")
    return json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def driver_used():
    free, total = torch.cuda.mem_get_info()
    return total - free


def context_overhead():
    code = ("import torch,subprocess;"
            "q=lambda:int(subprocess.check_output(['nvidia-smi','--query-gpu=memory.used',"
            "'--format=csv,noheader,nounits']).split()[0]);"
            "a=q();torch.zeros(1,device='cuda');torch.cuda.synchronize();print((q()-a)*2**20)")
    return int(subprocess.check_output([sys.executable, "-c", code]).decode())


def run(binary, path, b, s, g, train):
    with open(path) as f:
        arch = json.load(f)["architectures"][0]
    cls = getattr(transformers, arch)
    cfg = cls.config_class.from_json_file(path)
    dtype = getattr(torch, cfg.torch_dtype) if isinstance(cfg.torch_dtype, str) else torch.float32
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    model = cls._from_config(cfg, torch_dtype=dtype).cuda()
    ids = torch.randint(0, cfg.vocab_size, (b, s), device="cuda")
    if train:
        model.train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
        out = model(input_ids=ids, labels=ids)
        out.loss.backward()
        opt.step()
    elif g:
        model.generate(ids, max_new_tokens=g, min_new_tokens=g, do_sample=False)
    else:
        with torch.no_grad():
            model(input_ids=ids)
    torch.cuda.synchronize()
    peak, used = torch.cuda.max_memory_allocated(), driver_used()
    del model
    torch.cuda.empty_cache()
    est = vramfit(binary, path, b, s, g, train)
    return peak, used, est["memory"]["total"] - est["memory"]["overhead"], est["memory"]["total"]


def main():
    binary, models = sys.argv[1], sys.argv[2]
    configs = sys.argv[3:] or ["TinyLlama__TinyLlama-1.1B-Chat-v1.0.json",
                               "openai-community__gpt2.json",
                               "google-bert__bert-large-uncased.json"]
    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}, "
          f"transformers {transformers.__version__}")
    print(f"CUDA context of a fresh process: {context_overhead() / 2**20:.0f} MiB\n")
    print("| model | batch | seq | gen | train | measured peak allocated | driver used "
          "| vramfit (no overhead) | vramfit total | error |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for c in configs:
        for b, s, g, t in WORKLOADS:
            try:
                peak, used, pred, total = run(binary, os.path.join(models, c), b, s, g, t)
            except torch.cuda.OutOfMemoryError:
                print(f"| {c} | {b} | {s} | {g} | {t} | OOM | | | | |")
                continue
            print(f"| {c} | {b} | {s} | {g} | {t} | {peak / 2**30:.3f} GiB | "
                  f"{used / 2**30:.3f} GiB | {pred / 2**30:.3f} GiB | {total / 2**30:.3f} GiB | "
                  f"{(pred - peak) / peak * 100:+.1f}% |")


if __name__ == "__main__":
    main()
