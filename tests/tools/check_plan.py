#!/usr/bin/env python3
"""Conformance of `vramfit plan` with transformers 4.36 + accelerate 0.25.

For real configs (../shared/models) and budgets written below, on the meta
device (nothing is allocated):
  1. every key of vramfit's device_map names a module or parameter of the real
     model class, and accelerate's check_device_map accepts the map (every
     parameter covered);
  2. no device holds more weights than its budget (accelerate's own
     compute_module_sizes are the weights);
  3. tied parameters share a device;
  4. compared with accelerate's infer_auto_device_map at the same budgets:
     when accelerate's map leaves room on each GPU for the workload (KV cache
     of its layers, one block's activations, the logits, and the reserve for
     offloaded layers: vramfit estimate --layers gives these), vramfit puts at
     least as many bytes on GPUs; otherwise accelerate's map would run out of
     memory at generate time, which is reported.
Then a real load: a small Llama written by transformers (safetensors) is
planned onto a CPU budget with disk offload, loaded with
from_pretrained(device_map=map, offload_folder=...), and must generate the
same tokens as the model loaded whole.

usage: check_plan.py VRAMFIT MODELS_DIR
"""
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import torch  # noqa: E402
import transformers  # noqa: E402
from accelerate import init_empty_weights  # noqa: E402
from accelerate.utils import (check_device_map, compute_module_sizes,  # noqa: E402
                              find_tied_parameters, infer_auto_device_map)

GiB = 1 << 30
SEQ = "1024"
# (config, GPU budgets as fractions of the model's weights, extra flags)
CASES = [
    ("meta-llama__Llama-2-7b-hf.json", [0.45, 0.45], []),
    ("meta-llama__Llama-2-7b-hf.json", [0.30], []),
    ("meta-llama__Llama-2-7b-hf.json", [0.80, 0.80], []),  # roomy: both maps fit
    ("openai-community__gpt2.json", [1.50], []),
    ("TinyLlama__TinyLlama-1.1B-Chat-v1.0.json", [0.70], []),
    ("mistralai__Mistral-7B-v0.1.json", [0.40, 0.40, 0.40], ["--batch", "4"]),
    ("openai-community__gpt2.json", [0.80], []),
    ("google-bert__bert-large-uncased.json", [0.50], []),
    ("microsoft__Phi-3-mini-4k-instruct.json", [0.60], []),  # 4.36 has no phi3: skipped
]


def vramfit(binary, *args):
    r = subprocess.run([binary, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"vramfit {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def build(path):
    with open(path) as f:
        arch = (json.load(f).get("architectures") or [None])[0]
    cls = getattr(transformers, arch, None) if arch else None
    if cls is None:
        return None, None, f"transformers {transformers.__version__} has no {arch}"
    cfg = cls.config_class.from_json_file(path)
    dtype = cfg.torch_dtype if isinstance(cfg.torch_dtype, torch.dtype) else torch.float32
    if isinstance(cfg.torch_dtype, str):
        dtype = getattr(torch, cfg.torch_dtype)
    with init_empty_weights():
        model = cls._from_config(cfg, torch_dtype=dtype)
    model.tie_weights()
    return model, dtype, None


def owner(name, keys):
    """The device_map key covering a module/parameter name."""
    best = None
    for k in keys:
        if k == "" or name == k or name.startswith(k + "."):
            if best is None or len(k) > len(best):
                best = k
    return best


def check_case(binary, models, cfg_name, fracs, extra):
    path = os.path.join(models, cfg_name)
    model, dtype, skip = build(path)
    if skip:
        return None, skip
    sizes = compute_module_sizes(model, dtype=dtype)
    total = sizes[""]
    budgets = {i: int(f * total) for i, f in enumerate(fracs)}
    budgets["cpu"] = int(4 * total)
    spec = ",".join(f"{k}={v}" for k, v in budgets.items())
    ours = vramfit(binary, "plan", "--json", "--seq", SEQ, "--engine", "hf436", "--no-disk",
                   "--max-memory", spec, *extra, path)
    est = vramfit(binary, "estimate", "--json", "--layers", "--seq", SEQ, "--engine", "hf436",
                  *extra, path)
    dm = ours["device_map"]
    errs = []
    modules = dict(model.named_modules())
    params = dict(model.named_parameters())
    for k in dm:
        if k not in modules and k not in params:
            errs.append(f"device_map key {k!r} is not a module of {type(model).__name__}")
    try:
        check_device_map(model, dm)
    except ValueError as e:
        errs.append(f"accelerate check_device_map: {e}")
    # weights per device, by accelerate's own sizes
    used = {}
    for k, d in dm.items():
        used[d] = used.get(d, 0) + sizes.get(k, 0)
    for d, b in used.items():
        cap = budgets[d]
        if b > cap:
            errs.append(f"device {d}: {b} bytes of weights over its budget {cap}")
    for group in find_tied_parameters(model):
        devs = {dm[owner(n, dm)] for n in group if owner(n, dm) is not None}
        if len(devs) > 1:
            errs.append(f"tied {group} split across {devs}")

    # accelerate's map at the same budgets, and whether it leaves the workload room
    with contextlib.redirect_stdout(io.StringIO()):  # "Device 0 is not available"
        acc = infer_auto_device_map(model, max_memory=budgets,
                                    no_split_module_classes=model._no_split_modules, dtype=dtype)
    gpu_bytes = lambda m: sum(sizes.get(k, 0) for k, d in m.items() if isinstance(d, int))
    ours_gpu, acc_gpu = gpu_bytes(dm), gpu_bytes(acc)
    layers = est["layers"]
    transient = est["details"]["layer_activations"]
    logits = est["memory"]["activations"] - transient
    need = {d: 0 for d in budgets if isinstance(d, int)}
    for d, b in acc.items():
        if isinstance(b, int):
            need[b] += sizes.get(d, 0)
    offloaded_kv = largest_off = 0
    ran_blocks = set()
    for lay in layers:
        k = owner(lay["name"], acc)
        if k is None:  # accelerate split this layer: use its first part's device
            k = next(x for x in acc if x.startswith(lay["name"] + "."))
        d = acc[k]
        if isinstance(d, int):
            need[d] += lay["kv_cache"]
            if lay["kind"] == "block":
                ran_blocks.add(d)
            if lay["kind"] == "head":
                need[d] += logits
        else:
            offloaded_kv += lay["kv_cache"]
            largest_off = max(largest_off, lay["bytes"])
    for d in ran_blocks:
        need[d] += transient
    if offloaded_kv or largest_off:
        need[0] += offloaded_kv + largest_off + transient
    oom = [f"GPU {d} needs {need[d] / GiB:.2f} GiB > {budgets[d] / GiB:.2f}"
           for d in need if need[d] > budgets[d]]
    note = (f"vramfit {ours['verdict']}, {ours_gpu / GiB:.2f} GiB on GPUs; accelerate "
            f"{acc_gpu / GiB:.2f} GiB on GPUs")
    if oom:
        note += " but would run out of memory at generate time (" + "; ".join(oom) + ")"
    elif ours_gpu < acc_gpu:
        errs.append(f"accelerate's map fits the workload with {acc_gpu} bytes on GPUs, "
                    f"vramfit's only {ours_gpu}")
    return errs, note


def real_load(binary):
    """A small Llama saved by transformers, planned onto cpu + disk, loaded, run."""
    cfg = transformers.LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128,
                                   num_hidden_layers=6, num_attention_heads=4,
                                   num_key_value_heads=2, max_position_embeddings=128)
    torch.manual_seed(0)
    model = transformers.LlamaForCausalLM(cfg).eval()
    ids = torch.tensor([[1, 5, 9, 23]])
    with tempfile.TemporaryDirectory() as d:
        model.save_pretrained(d, safe_serialization=True)
        size = sum(p.numel() * p.element_size() for p in model.parameters())
        ours = vramfit(binary, "plan", "--json", "--seq", "64", "--engine", "hf436",
                       "--max-memory", f"cpu={int(size * 0.5)}", "--offload-folder",
                       os.path.join(d, "off"), d)
        dm = ours["device_map"]
        where = set(dm.values())
        if where != {"cpu", "disk"}:
            return [f"expected a cpu + disk map, got {where}"], ""
        loaded = transformers.AutoModelForCausalLM.from_pretrained(
            d, device_map=dm, offload_folder=os.path.join(d, "off"), torch_dtype=torch.float32)
        want = model.generate(ids, max_new_tokens=4, do_sample=False)
        got = loaded.generate(ids, max_new_tokens=4, do_sample=False)
        if not torch.equal(want, got):
            return [f"offloaded model generated {got.tolist()}, whole model {want.tolist()}"], ""
        n_disk = sum(1 for v in dm.values() if v == "disk")
    return [], f"loaded with {n_disk} of {len(dm)} layers on disk; generate() matches"


def main():
    binary, models = os.path.abspath(sys.argv[1]), sys.argv[2]
    passed = failed = 0
    for cfg_name, fracs, extra in CASES:
        label = f"{cfg_name} gpus={fracs} {' '.join(extra)}".strip()
        with contextlib.redirect_stdout(io.StringIO()):  # accelerate's device notices
            errs, note = check_case(binary, models, cfg_name, fracs, extra)
        if errs is None:
            print(f"skip {label}: {note}")
            continue
        if errs:
            failed += 1
            print(f"FAIL {label}")
            for e in errs:
                print(f"     {e}")
        else:
            passed += 1
            print(f"ok   {label}: {note}")
    errs, note = real_load(binary)
    if errs:
        failed += 1
        print("FAIL real load")
        for e in errs:
            print(f"     {e}")
    else:
        passed += 1
        print(f"ok   real load: {note}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
