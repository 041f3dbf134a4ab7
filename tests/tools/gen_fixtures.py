#!/usr/bin/env python3
"""Writes safetensors fixtures with the real `safetensors` package and the
numbers vramfit must report for them (expected.json).

Independence: tensors are written by safetensors' own serializer (which
validates every byte count against its shape); the expected dtype and shape
of each tensor are read back through safetensors.safe_open; byte totals are
cross-checked against the file size.  Expected layers come from the module
structure declared here, in true execution order; layers that run side by side
(GPT-2's wte and wpe) form one group whose internal order is free.

usage: gen_fixtures.py OUTDIR          all test fixtures + OUTDIR/expected.json
       gen_fixtures.py --example DIR   the bundled example (tiny Llama, sharded)
"""
import json
import math
import os
import struct
import sys

from safetensors import safe_open, serialize_file

# Bits per element of each writer dtype name (safetensors' Python-side names).
BITS = {
    "bool": 8, "uint8": 8, "int8": 8, "int16": 16, "uint16": 16, "float16": 16,
    "bfloat16": 16, "int32": 32, "uint32": 32, "float32": 32, "float64": 64,
    "int64": 64, "uint64": 64, "complex64": 64, "float8_e4m3fn": 8,
    "float8_e5m2": 8, "float8_e8m0fnu": 8, "float4_e2m1fn_x2": 8,
}


def tensor(dtype, shape):
    n = math.prod(shape)
    return {"dtype": dtype, "shape": list(shape), "data": bytes(n * BITS[dtype] // 8)}


class Model:
    """A checkpoint declared module by module, in execution order."""

    def __init__(self):
        self.tensors = {}     # name -> writer dict
        self.groups = []      # [[layer name, ...], ...] in execution order
        self.layer_of = {}

    def layer(self, name, params, parallel=False):
        if parallel and self.groups:
            self.groups[-1].append(name)
        else:
            self.groups.append([name])
        for pname, t in params.items():
            full = f"{name}.{pname}"
            self.tensors[full] = t
            self.layer_of[full] = name


def write(path, tensors, metadata=None):
    serialize_file(tensors, path, metadata)


def read_back(paths):
    """Facts as the safetensors package reports them."""
    out = {}
    for p in paths:
        with safe_open(p, framework="numpy") as f:
            for k in f.keys():
                sl = f.get_slice(k)
                out[k] = (sl.get_dtype(), list(sl.get_shape()))
    return out


def data_bytes(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
    return os.path.getsize(path) - 8 - n


def expected(model, paths, fmt="safetensors", ordered=True):
    facts = read_back(paths)
    assert set(facts) == set(model.tensors), "package read back other tensors"
    by = {}
    layers = {}
    total_p = total_b = 0
    for name, t in model.tensors.items():
        dt, shape = facts[name]
        p = math.prod(shape)
        b = len(t["data"])
        d = by.setdefault(dt, {"tensors": 0, "parameters": 0, "bytes": 0})
        d["tensors"] += 1
        d["parameters"] += p
        d["bytes"] += b
        total_p += p
        total_b += b
        if model.layer_of:
            lay = layers.setdefault(model.layer_of[name], {"parameters": 0, "bytes": 0})
            lay["parameters"] += p
            lay["bytes"] += b
    assert total_b == sum(data_bytes(p) for p in paths), "bytes disagree with file sizes"
    return {
        "format": fmt, "tensors": len(facts), "parameters": total_p, "bytes": total_b,
        "by_dtype": by, "layers": layers, "groups": model.groups, "ordered": ordered,
    }


def llama(L, h, I, V, heads, kv, dtype="bfloat16", experts=0):
    d = h // heads
    m = Model()
    m.layer("model.embed_tokens", {"weight": tensor(dtype, [V, h])})
    for i in range(L):
        p = {
            "input_layernorm.weight": tensor(dtype, [h]),
            "self_attn.q_proj.weight": tensor(dtype, [heads * d, h]),
            "self_attn.k_proj.weight": tensor(dtype, [kv * d, h]),
            "self_attn.v_proj.weight": tensor(dtype, [kv * d, h]),
            "self_attn.o_proj.weight": tensor(dtype, [h, heads * d]),
            "post_attention_layernorm.weight": tensor(dtype, [h]),
        }
        if experts:
            p["block_sparse_moe.gate.weight"] = tensor(dtype, [experts, h])
            for e in range(experts):
                for w, shp in (("w1", [I, h]), ("w2", [h, I]), ("w3", [I, h])):
                    p[f"block_sparse_moe.experts.{e}.{w}.weight"] = tensor(dtype, shp)
        else:
            p["mlp.gate_proj.weight"] = tensor(dtype, [I, h])
            p["mlp.up_proj.weight"] = tensor(dtype, [I, h])
            p["mlp.down_proj.weight"] = tensor(dtype, [h, I])
        m.layer(f"model.layers.{i}", p)
    m.layer("model.norm", {"weight": tensor(dtype, [h])})
    m.layer("lm_head", {"weight": tensor(dtype, [V, h])})
    return m


def llama_config(L, h, I, V, heads, kv):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": h, "intermediate_size": I, "num_hidden_layers": L,
        "num_attention_heads": heads, "num_key_value_heads": kv, "vocab_size": V,
        "max_position_embeddings": 2048, "rms_norm_eps": 1e-5,
        "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    }


def write_sharded(model, outdir, nshards, config=None):
    """Shards the way transformers names them, with its index layout."""
    os.makedirs(outdir, exist_ok=True)
    names = list(model.tensors)
    per = math.ceil(len(names) / nshards)
    weight_map, paths = {}, []
    for s in range(nshards):
        fn = f"model-{s + 1:05d}-of-{nshards:05d}.safetensors"
        part = {n: model.tensors[n] for n in names[s * per:(s + 1) * per]}
        write(os.path.join(outdir, fn), part, {"format": "pt"})
        weight_map.update({n: fn for n in part})
        paths.append(os.path.join(outdir, fn))
    total = sum(len(t["data"]) for t in model.tensors.values())
    with open(os.path.join(outdir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total},
                   "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)
    if config:
        with open(os.path.join(outdir, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
    return paths


def gpt2(L, h, V, P):
    m = Model()
    m.layer("wte", {"weight": tensor("float32", [V, h])})
    m.layer("wpe", {"weight": tensor("float32", [P, h])}, parallel=True)
    for i in range(L):
        p = {}
        for ln in ("ln_1", "ln_2"):
            p[f"{ln}.weight"] = tensor("float32", [h])
            p[f"{ln}.bias"] = tensor("float32", [h])
        for mod, shp in (("attn.c_attn", [h, 3 * h]), ("attn.c_proj", [h, h]),
                         ("mlp.c_fc", [h, 4 * h]), ("mlp.c_proj", [4 * h, h])):
            p[f"{mod}.weight"] = tensor("float32", shp)
            p[f"{mod}.bias"] = tensor("float32", [shp[1]])
        m.layer(f"h.{i}", p)
    m.layer("ln_f", {"weight": tensor("float32", [h]), "bias": tensor("float32", [h])})
    return m


def t5(L, h, ff, V):
    m = Model()
    m.layer("shared", {"weight": tensor("float32", [V, h])})
    for stack in ("encoder", "decoder"):
        for i in range(L):
            p = {}
            for w in "qkvo":
                p[f"layer.0.SelfAttention.{w}.weight"] = tensor("float32", [h, h])
            p["layer.0.layer_norm.weight"] = tensor("float32", [h])
            p["layer.1.DenseReluDense.wi.weight"] = tensor("float32", [ff, h])
            p["layer.1.DenseReluDense.wo.weight"] = tensor("float32", [h, ff])
            p["layer.1.layer_norm.weight"] = tensor("float32", [h])
            m.layer(f"{stack}.block.{i}", p)
        m.layer(f"{stack}.final_layer_norm", {"weight": tensor("float32", [h])})
    m.layer("lm_head", {"weight": tensor("float32", [V, h])})
    return m


def bert(L, h, I, V, P):
    m = Model()
    m.layer("bert.embeddings", {
        "word_embeddings.weight": tensor("float16", [V, h]),
        "position_embeddings.weight": tensor("float16", [P, h]),
        "token_type_embeddings.weight": tensor("float16", [2, h]),
        "LayerNorm.weight": tensor("float16", [h]), "LayerNorm.bias": tensor("float16", [h]),
    })
    for i in range(L):
        p = {}
        for mod, shp in (("attention.self.query", [h, h]), ("attention.self.key", [h, h]),
                         ("attention.self.value", [h, h]), ("attention.output.dense", [h, h]),
                         ("intermediate.dense", [I, h]), ("output.dense", [h, I])):
            p[f"{mod}.weight"] = tensor("float16", shp)
            p[f"{mod}.bias"] = tensor("float16", [shp[0]])
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            p[f"{ln}.weight"] = tensor("float16", [h])
            p[f"{ln}.bias"] = tensor("float16", [h])
        m.layer(f"bert.encoder.layer.{i}", p)
    m.layer("bert.pooler", {"dense.weight": tensor("float16", [h, h]),
                            "dense.bias": tensor("float16", [h])})
    m.layer("cls", {"predictions.bias": tensor("float16", [V]),
                    "predictions.transform.dense.weight": tensor("float16", [h, h])})
    return m


def all_dtypes():
    m = Model()
    params = {}
    for dt in BITS:
        if dt == "float4_e2m1fn_x2":
            params["t_float4"] = tensor(dt, [2, 2])  # two values a byte: F4 [2, 4]
        else:
            params[f"t_{dt}"] = tensor(dt, [2, 4])
    params["scalar"] = tensor("float32", [])
    params["zero_size"] = tensor("float16", [0, 3])
    m.tensors = params
    return m


def main():
    if sys.argv[1] == "--example":
        out = sys.argv[2]
        cfg = llama_config(12, 64, 128, 256, 8, 4)
        write_sharded(llama(12, 64, 128, 256, 8, 4), out, 2, cfg)
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    exp = {}

    m = llama(12, 16, 32, 64, 4, 2)
    paths = write_sharded(m, os.path.join(out, "tiny_llama"), 2, llama_config(12, 16, 32, 64, 4, 2))
    exp["tiny_llama"] = expected(m, paths)
    exp["tiny_llama/model.safetensors.index.json"] = exp["tiny_llama"]

    m = gpt2(11, 8, 50, 16)
    p = os.path.join(out, "gpt2_style.safetensors")
    write(p, m.tensors, {"format": "pt"})
    exp["gpt2_style.safetensors"] = expected(m, [p])

    m = t5(3, 8, 16, 40)
    p = os.path.join(out, "t5_style.safetensors")
    write(p, m.tensors)
    exp["t5_style.safetensors"] = expected(m, [p])

    m = bert(2, 8, 16, 30, 12)
    d = os.path.join(out, "bert_dir")
    os.makedirs(d)
    names = list(m.tensors)
    half = len(names) // 2
    pa, pb = os.path.join(d, "part-a.safetensors"), os.path.join(d, "part-b.safetensors")
    write(pa, {n: m.tensors[n] for n in names[:half]})
    write(pb, {n: m.tensors[n] for n in names[half:]})
    exp["bert_dir"] = expected(m, [pa, pb])

    m = llama(2, 8, 16, 32, 2, 1, experts=4)
    p = os.path.join(out, "tiny_moe.safetensors")
    write(p, m.tensors)
    exp["tiny_moe.safetensors"] = expected(m, [p])

    m = all_dtypes()
    p = os.path.join(out, "all_dtypes.safetensors")
    write(p, m.tensors, {"format": "pt", "source": "vramfit tests"})
    exp["all_dtypes.safetensors"] = expected(m, [p], ordered=False)
    exp["all_dtypes.safetensors"]["metadata"] = {"format": "pt", "source": "vramfit tests"}

    m = Model()
    p = os.path.join(out, "empty.safetensors")
    write(p, {})
    exp["empty.safetensors"] = expected(m, [p])

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
