#!/usr/bin/env python3
"""Writes PyTorch checkpoints with Debian's torch (the real writer) and the
numbers vramfit must report for them (expected.json), plus hostile files.

Independence: the expected numbers come from torch.load of the same files:
named tensor entries, and bytes/parameters summed over unique storages
(data_ptr), attributed to the first tensor that uses a storage in state_dict
order -- the rule vramfit documents.  Layer groups are declared from the
module structure built here.

Hostile entries carry "error": a substring the one-line error must contain,
and optionally "absent_after": a file that must not exist after vramfit ran
(a pickle that would have created it had it been executed).

usage: gen_torch.py OUTDIR
"""
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import torch
import torch.nn as nn

ST_NAME = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL", torch.complex64: "C64",
}


def walk(obj, prefix=""):
    """Named tensors in pickle order, as dotted key paths."""
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(k, (str, int)) and not isinstance(k, bool):
                yield from walk(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from walk(v, f"{prefix}.{i}" if prefix else str(i))


def expected(paths, groups, layer_of, fmt, key=None, ordered=True):
    seen = set()
    by, layers = {}, {}
    n = tp = tb = 0
    for p in paths:
        obj = torch.load(p, map_location="cpu")
        if key is not None:
            obj = obj[key]
        for name, t in walk(obj):
            n += 1
            st = t.storage()
            sid = st.data_ptr()
            nb = st.nbytes() if sid not in seen else 0
            ne = st.size() if sid not in seen else 0
            seen.add(sid)
            d = by.setdefault(ST_NAME[t.dtype], {"tensors": 0, "parameters": 0, "bytes": 0})
            d["tensors"] += 1
            d["parameters"] += ne
            d["bytes"] += nb
            tp += ne
            tb += nb
            if layer_of:
                lay = layers.setdefault(layer_of(name), {"parameters": 0, "bytes": 0})
                lay["parameters"] += ne
                lay["bytes"] += nb
    return {"format": fmt, "tensors": n, "parameters": tp, "bytes": tb, "by_dtype": by,
            "layers": layers, "groups": groups, "ordered": ordered}


class Block(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.ln = nn.LayerNorm(h)
        self.fc = nn.Linear(h, 4 * h)
        self.proj = nn.Linear(4 * h, h, bias=False)


class TinyLM(nn.Module):
    """embed -> layers.N -> norm -> head, head tied to embed."""

    def __init__(self, V=40, h=8, L=11, dtype=torch.float16):
        super().__init__()
        self.embed = nn.Embedding(V, h)
        self.layers = nn.ModuleList(Block(h) for _ in range(L))
        self.norm = nn.LayerNorm(h)
        self.head = nn.Linear(h, V, bias=False)
        self.head.weight = self.embed.weight
        self.to(dtype)


def lm_layer(name):
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "layers" else parts[0]


def lm_groups(L):
    return [["embed"]] + [[f"layers.{i}"] for i in range(L)] + [["norm"], ["head"]]


def raw_zip(path, pkl, entries=(), prefix="archive"):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", pkl)
        for name, data in entries:
            z.writestr(f"{prefix}/{name}", data)
        z.writestr(f"{prefix}/version", "3\n")


class Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    exp = {}
    torch.manual_seed(0)

    m = TinyLM()
    p = os.path.join(out, "tied.bin")
    torch.save(m.state_dict(), p)
    exp["tied.bin"] = expected([p], lm_groups(11), lm_layer, "pytorch-zip")

    p = os.path.join(out, "tied_legacy.bin")
    torch.save(m.state_dict(), p, _use_new_zipfile_serialization=False)
    exp["tied_legacy.bin"] = expected([p], lm_groups(11), lm_layer, "pytorch-legacy")

    # views of one storage (a fused qkv split with chunk)
    w = torch.arange(48, dtype=torch.bfloat16).reshape(12, 4)
    q, k, v = w.chunk(3)
    sd = {"attn.q": q, "attn.k": k, "attn.v": v, "out": torch.ones(4, 4, dtype=torch.bfloat16)}
    p = os.path.join(out, "views.pt")
    torch.save(sd, p)
    exp["views.pt"] = expected([p], [["attn"], ["out"]], lambda n: n.split(".")[0], "pytorch-zip")

    sd = {f"t_{ST_NAME[dt].lower()}": torch.zeros(3, 5, dtype=dt) for dt in ST_NAME}
    sd["scalar"] = torch.tensor(2.5, dtype=torch.float64)
    sd["empty"] = torch.zeros(0, 7)
    p = os.path.join(out, "dtypes.pt")
    torch.save(sd, p)
    exp["dtypes.pt"] = expected([p], [], None, "pytorch-zip", ordered=False)

    # a training checkpoint: model, optimizer state after one Adam step, epoch
    m2 = TinyLM(L=2, dtype=torch.float32)
    opt = torch.optim.Adam(m2.parameters(), lr=1e-3)
    m2(torch.zeros(1, dtype=torch.long)) if False else None
    loss = m2.head(m2.norm(m2.embed(torch.tensor([1, 2])))).sum()
    loss.backward()
    opt.step()
    ck = {"model": m2.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
          "note": "vramfit test", "lr": 1e-3}
    p = os.path.join(out, "train.pt")
    torch.save(ck, p)
    exp["train.pt"] = expected([p], [], None, "pytorch-zip", ordered=False)
    e = expected([p], lm_groups(2), lm_layer, "pytorch-zip", key="model")
    e["path"], e["args"] = "train.pt", ["--key", "model"]
    exp["train.pt --key model"] = e

    # a sharded .bin set with transformers' index layout
    d = os.path.join(out, "sharded")
    os.makedirs(d)
    m3 = TinyLM(L=4, dtype=torch.bfloat16)
    m3.head.weight = nn.Parameter(torch.zeros(40, 8, dtype=torch.bfloat16))  # untied here
    sd = m3.state_dict()
    names = list(sd)
    parts = [names[: len(names) // 2], names[len(names) // 2:]]
    wm, paths, total = {}, [], 0
    for i, part in enumerate(parts):
        fn = f"pytorch_model-{i + 1:05d}-of-00002.bin"
        torch.save({n: sd[n] for n in part}, os.path.join(d, fn))
        paths.append(os.path.join(d, fn))
        for n in part:
            wm[n] = fn
            total += sd[n].numel() * sd[n].element_size()
    with open(os.path.join(d, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": wm}, f, indent=2)
    exp["sharded"] = expected(paths, lm_groups(4), lm_layer, "pytorch-zip")

    # a 128 MiB checkpoint: the C test proves only the directory and data.pkl are read
    p = os.path.join(out, "big.bin")
    torch.save({"big": torch.zeros(32 * 1024 * 1024), "small": torch.ones(3)}, p)

    # ---- hostile files ----
    bad = os.path.join(out, "bad")
    os.makedirs(bad)
    marker = os.path.join(bad, "PWNED")

    def hostile(name, error, **extra):
        exp[f"bad/{name}"] = {"error": error, **extra}
        return os.path.join(bad, name)

    raw_zip(hostile("os_system.pt", "refers to 'posix.system'", absent_after="bad/PWNED"),
            pickle.dumps(Evil(os.system, f"touch {marker}"), protocol=2))
    raw_zip(hostile("eval.pt", "refers to '__builtin__.eval'", absent_after="bad/PWNED"),
            pickle.dumps(Evil(eval, f"open('{marker}','w')"), protocol=2))
    torch.save(nn.Linear(2, 2), hostile("whole_module.pt", "a whole pickled model"))
    good = open(os.path.join(out, "tied.bin"), "rb").read()
    with open(hostile("truncated.bin", "not a readable zip archive"), "wb") as f:
        f.write(good[: len(good) // 2])
    raw_zip(hostile("no_data_pkl.pt", "no data.pkl"), b"", prefix="x")
    with zipfile.ZipFile(hostile("no_data_pkl.pt", "no data.pkl"), "w") as z:
        z.writestr("archive/version", "3\n")
    # storage 0 claims 6 floats (24 bytes) but its entry holds 20
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(6)}, buf)
    zin = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    pfx = zin.namelist()[0].split("/")[0]
    raw_zip(hostile("size_mismatch.pt", "needs 24 bytes but data/0 holds 20"),
            zin.read(f"{pfx}/data.pkl"), [("data/0", b"\0" * 20)])
    # absurd numel: 2^62 floats overflow the byte count
    pkl = zin.read(f"{pfx}/data.pkl").replace(b"K\x06", b"\x8a\x08" + struct.pack("<q", 1 << 62), 1)
    raw_zip(hostile("absurd_numel.pt", "claims 4611686018427387904 elements"), pkl,
            [("data/0", b"\0" * 24)])
    # 100000 nested lists
    deep = b"\x80\x02" + b"]" * 100000 + b"a" * 99999 + b"."
    raw_zip(hostile("deep.pt", "nests deeper than 64 levels"), deep)
    # a zip bomb: data.pkl declares 300 MiB (it deflates to almost nothing)
    with zipfile.ZipFile(hostile("bomb.pt", "more than the 268435456 allowed"), "w",
                         zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", b"\x80\x02" + b"N" * (300 << 20) + b".")
    raw_zip(hostile("memo.pt", "memo index past any possible one"),
            b"\x80\x02N" + b"r\xff\xff\xff\xff" + b".")
    raw_zip(hostile("inst.pt", "opcode 0x69"), b"\x80\x02i__builtin__\nlist\n.")
    with open(hostile("bad_magic.bin", "without torch's magic number"), "wb") as f:
        f.write(pickle.dumps(12345, protocol=2) + b"\0" * 64)
    # a view past its storage: offset 5 of a 6-element storage with 4 elements
    pkl2 = zin.read(f"{pfx}/data.pkl")
    i = pkl2.index(b"Q")  # after BINPERSID comes the offset BININT1 0
    pkl2 = pkl2[: i + 1] + b"K\x05" + pkl2[i + 3:]
    raw_zip(hostile("view_past_end.pt", "views elements past the end of storage"), pkl2,
            [("data/0", b"\0" * 24)])

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
