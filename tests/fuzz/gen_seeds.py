#!/usr/bin/env python3
"""Writes the hand-made fuzz seeds in tests/fuzz/seeds/ with Debian's torch:
small checkpoints that the fixtures do not cover (pickle protocol 4 with FRAME
and MEMOIZE, parameters, meta tensors, training checkpoints, shared storages),
so the fuzzers start from inputs that reach deep into the readers.  Run once
by hand (build/venv/bin/python tests/fuzz/gen_seeds.py); the outputs are
committed, each a few KiB.

usage: gen_seeds.py [SEEDDIR]
"""
import io
import os
import sys
import zipfile

import torch
import torch.nn as nn

out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/seeds"


def state_dict():
    torch.manual_seed(0)
    emb = torch.zeros(4, 2)
    w = torch.zeros(4, 2, dtype=torch.float16)
    q, k = w.chunk(2)  # two views of one storage
    return {
        "model.embed_tokens.weight": emb,
        "model.layers.0.attn.q.weight": q,
        "model.layers.0.attn.k.weight": k,
        "model.layers.0.mlp.weight": torch.zeros(2, 2, dtype=torch.bfloat16),
        "model.layers.0.mask": torch.zeros(2, dtype=torch.bool),
        "model.layers.1.pos": torch.zeros(3, dtype=torch.int64),
        "model.norm.weight": nn.Parameter(torch.ones(2)),
        "lm_head.weight": emb,  # tied
    }


def train():
    sd = state_dict()
    return {"model": sd, "epoch": 3,
            "optimizer": {"state": {0: {"exp_avg": torch.zeros(2), "step": torch.tensor(1.0)}},
                          "param_groups": [{"lr": 0.1, "params": [0]}]}}


def save(obj, path, **kw):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(obj, path, **kw)


def data_pkl(src, dst):
    with zipfile.ZipFile(src) as z:
        name = next(n for n in z.namelist() if n.endswith("/data.pkl"))
        with open(dst, "wb") as f:
            f.write(z.read(name))


legacy = dict(_use_new_zipfile_serialization=False)
save(state_dict(), f"{out}/zip/state_p2.pt")
save(state_dict(), f"{out}/zip/state_p4.pt", pickle_protocol=4)
save(train(), f"{out}/zip/train_p4.pt", pickle_protocol=4)
save(state_dict(), f"{out}/legacy/state_p2.bin", **legacy)
save(state_dict(), f"{out}/legacy/state_p4.bin", pickle_protocol=4, **legacy)
save(train(), f"{out}/legacy/train_p2.bin", **legacy)
os.makedirs(f"{out}/pickle", exist_ok=True)
data_pkl(f"{out}/zip/state_p2.pt", f"{out}/pickle/state_p2.pkl")
data_pkl(f"{out}/zip/state_p4.pt", f"{out}/pickle/state_p4.pkl")
data_pkl(f"{out}/zip/train_p4.pt", f"{out}/pickle/train_p4.pkl")
# meta tensors have no storage: _rebuild_meta_tensor_no_storage
buf = io.BytesIO()
torch.save({"a.weight": torch.empty(3, 2, device="meta")}, buf)
with zipfile.ZipFile(buf) as z:
    name = next(n for n in z.namelist() if n.endswith("/data.pkl"))
    open(f"{out}/pickle/meta.pkl", "wb").write(z.read(name))
