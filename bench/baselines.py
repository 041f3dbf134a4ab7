#!/usr/bin/env python3
"""What a user runs instead of vramfit, one process per run (bench/run.py
times the whole process, as it times vramfit).  Each prints one JSON line:
the numbers it found (to cross-check vramfit) and `work_s`, the time spent
after its imports.

usage:
  baselines.py st_headers DIR     minimal safetensors header reader: the index,
                                  then per shard open, read 8 + N bytes,
                                  json.loads; counts tensors and bytes by dtype
  baselines.py torch_load FILE    torch.load(FILE, map_location="cpu") (reads
                                  every tensor byte)
  baselines.py accelerate DIR GPUS GIB
                                  transformers' model class on the meta device
                                  from DIR/config.json (init_empty_weights +
                                  from_config), compute_module_sizes,
                                  infer_auto_device_map with max_memory =
                                  GPUS x GIB GiB + cpu 64 GiB
  baselines.py gguf_reader FILE   gguf.GGUFReader(FILE) (llama.cpp's gguf-py)
"""
import json
import os
import struct
import sys
import time

ST_BITS = {"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
           "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
           "F64": 64, "I64": 64, "U64": 64}


def st_headers(path):
    t0 = time.perf_counter()
    if os.path.isdir(path):
        index = os.path.join(path, "model.safetensors.index.json")
        if os.path.exists(index):
            with open(index) as f:
                wm = json.load(f)["weight_map"]
            files = sorted(set(wm.values()))
        else:
            files = sorted(f for f in os.listdir(path) if f.endswith(".safetensors"))
        files = [os.path.join(path, f) for f in files]
    else:
        files = [path]
    tensors, params, nbytes, by_dtype = 0, 0, 0, {}
    for fn in files:
        with open(fn, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            hdr = json.loads(f.read(n))
        for name, t in hdr.items():
            if name == "__metadata__":
                continue
            numel = 1
            for d in t["shape"]:
                numel *= d
            b = t["data_offsets"][1] - t["data_offsets"][0]
            tensors += 1
            params += numel
            nbytes += b
            by_dtype[t["dtype"]] = by_dtype.get(t["dtype"], 0) + b
    return {"tensors": tensors, "parameters": params, "bytes": nbytes, "by_dtype": by_dtype,
            "work_s": time.perf_counter() - t0}


def torch_load(path):
    import torch
    t0 = time.perf_counter()
    sd = torch.load(path, map_location="cpu")
    seen, nbytes, params = set(), 0, 0
    for t in sd.values():
        s = t.storage()
        if s.data_ptr() not in seen:
            seen.add(s.data_ptr())
            nbytes += s.nbytes()
        params += t.numel()
    return {"tensors": len(sd), "parameters": params, "bytes": nbytes,
            "work_s": time.perf_counter() - t0}


def accelerate_map(path, gpus, gib):
    import torch
    import transformers
    from accelerate import init_empty_weights
    from accelerate.utils import compute_module_sizes, infer_auto_device_map
    t0 = time.perf_counter()
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    note = None
    rs = cfg.get("rope_scaling")
    if isinstance(rs, dict) and "type" not in rs:
        # transformers 4.36 accepts only {"type", "factor"}; Llama 3.1's "llama3"
        # rope came in 4.43.  rope_scaling holds no weights: drop it.
        cfg["rope_scaling"] = None
        note = "rope_scaling dropped"
    config = transformers.AutoConfig.for_model(**cfg)
    dtype = getattr(torch, cfg.get("torch_dtype") or "float32")
    t1 = time.perf_counter()
    with init_empty_weights():
        model = transformers.AutoModelForCausalLM.from_config(config, torch_dtype=dtype)
    t2 = time.perf_counter()
    sizes = compute_module_sizes(model, dtype=dtype)
    t3 = time.perf_counter()
    max_memory = {i: "%dGiB" % gib for i in range(gpus)}
    max_memory["cpu"] = "64GiB"
    dm = infer_auto_device_map(model, max_memory=max_memory, dtype=dtype,
                               no_split_module_classes=model._no_split_modules)
    t4 = time.perf_counter()
    params = sum(p.numel() for p in model.parameters())
    devices = sorted(set(str(v) for v in dm.values()))
    return {"parameters": params, "bytes": sizes[""], "device_map_entries": len(dm),
            "devices": devices, "note": note, "work_s": t4 - t0,
            "build_s": t2 - t1, "sizes_s": t3 - t2, "map_s": t4 - t3}


def gguf_reader(path):
    import gguf
    t0 = time.perf_counter()
    r = gguf.GGUFReader(path)
    nbytes = sum(int(t.n_bytes) for t in r.tensors)
    params = sum(int(t.n_elements) for t in r.tensors)
    return {"tensors": len(r.tensors), "parameters": params, "bytes": nbytes,
            "work_s": time.perf_counter() - t0}


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    if a[0] == "st_headers":
        r = st_headers(a[1])
    elif a[0] == "torch_load":
        r = torch_load(a[1])
    elif a[0] == "accelerate":
        r = accelerate_map(a[1], int(a[2]), int(a[3]))
    elif a[0] == "gguf_reader":
        r = gguf_reader(a[1])
    else:
        sys.exit(__doc__)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
