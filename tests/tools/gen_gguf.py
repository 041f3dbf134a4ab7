#!/usr/bin/env python3
"""Writes GGUF fixtures with the real `gguf` package (llama.cpp's gguf-py) and
the numbers vramfit must report for them (OUTDIR/expected.json, the schema of
gen_fixtures.py, checked by check_inspect.py).

Independence: files are written by gguf.GGUFWriter; quantized blocks come from
gguf.quants.quantize where the package can quantize that type, and are zero
bytes of the package's own byte shape (quant_shape_to_byte_shape) where it
cannot.  Every expected number (tensor count, elements, bytes, ggml type name)
comes from gguf.GGUFReader reading the file back, and the bytes are
cross-checked against the file: the padded sizes must tile the data section
exactly.  Expected layers come from the module structure declared here, in
execution order (token_embd, blk.0 .. blk.N, output_norm, output).

Types left out: Q8_1 (gguf-py says 40 bytes a block; ggml's block_q8_1 is 36,
and no converter writes it), NVFP4 and Q1_0 (newer than vramfit's dtype table).

The architecture values written here are asserted by tests/unit/test_gguf.c.

usage: gen_gguf.py OUTDIR
"""
import json
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf import GGUFReader, GGUFWriter, quants

# general.* keys vramfit keeps as metadata (scalar strings and integers)
META_KEYS = ("general.architecture", "general.name", "general.basename", "general.size_label",
             "general.file_type", "general.quantization_version", "general.alignment")

PLAIN = {Q.F32: np.float32, Q.F16: np.float16, Q.F64: np.float64, Q.I8: np.int8,
         Q.I16: np.int16, Q.I32: np.int32, Q.I64: np.int64}

rng = np.random.default_rng(7)


def tensor(qtype, shape):
    """(array, raw_dtype) for add_tensor; shape is outermost first, as torch."""
    if qtype in PLAIN:
        return np.zeros(shape, PLAIN[qtype]), None
    x = rng.standard_normal(shape).astype(np.float32)
    try:
        return quants.quantize(x, qtype), qtype
    except NotImplementedError:
        return np.zeros(quants.quant_shape_to_byte_shape(shape, qtype), np.uint8), qtype


class Model:
    """A checkpoint declared module by module, in execution order."""

    def __init__(self):
        self.tensors = {}  # name -> (array, raw_dtype)
        self.groups = []
        self.layer_of = {}

    def layer(self, name, params):
        self.groups.append([name])
        for pname, t in params.items():
            full = f"{name}.{pname}"
            self.tensors[full] = t
            self.layer_of[full] = name


def write(path, arch, model, kv, alignment=None, version=None):
    w = GGUFWriter(path, arch)
    if alignment:
        w.add_custom_alignment(alignment)
    kv(w)
    for name, (arr, raw) in model.tensors.items():
        w.add_tensor(name, arr, raw_dtype=raw)
    if version is not None:
        # v2 and v3 have the same layout (v3 only added big-endian files), so a
        # v2 file is the writer's own bytes with the version it writes swapped.
        old = gguf.gguf_writer.GGUF_VERSION
        gguf.gguf_writer.GGUF_VERSION = version
        try:
            w.write_header_to_file()
        finally:
            gguf.gguf_writer.GGUF_VERSION = old
    else:
        w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def expected(model, path, ordered=True):
    r = GGUFReader(path)
    facts = {t.name: t for t in r.tensors}
    assert set(facts) == set(model.tensors), "package read back other tensors"
    by, layers = {}, {}
    total_p = total_b = padded = 0
    for t in sorted(r.tensors, key=lambda t: t.data_offset):
        assert t.data_offset == r.data_offset + padded, f"{t.name} is not where expected"
        padded += -(-t.n_bytes // r.alignment) * r.alignment
    assert r.data_offset + padded == os.path.getsize(path), "data section is not tiled"
    for name, t in facts.items():
        p, b = int(t.n_elements), int(t.n_bytes)
        d = by.setdefault(t.tensor_type.name, {"tensors": 0, "parameters": 0, "bytes": 0})
        d["tensors"] += 1
        d["parameters"] += p
        d["bytes"] += b
        total_p += p
        total_b += b
        if model.layer_of:
            lay = layers.setdefault(model.layer_of[name], {"parameters": 0, "bytes": 0})
            lay["parameters"] += p
            lay["bytes"] += b
    meta = {}
    for k in META_KEYS:
        f = r.get_field(k)
        if f is not None and f.types[0] != gguf.GGUFValueType.ARRAY:
            meta[k] = str(f.contents())
    return {
        "format": "gguf", "tensors": len(facts), "parameters": total_p, "bytes": total_b,
        "by_dtype": by, "layers": layers, "groups": model.groups, "ordered": ordered,
        "metadata": meta,
    }


def llama_like(L, h, heads, kv, ff, V, types, bias=False, tied=False):
    """token_embd, blk.N.{attn,ffn}_*, output_norm, output (llama.cpp names)."""
    d = h // heads
    m = Model()
    m.layer("token_embd", {"weight": tensor(types["embd"], [V, h])})
    for i in range(L):
        p = {"attn_norm.weight": tensor(Q.F32, [h])}
        for w, rows in (("attn_q", heads * d), ("attn_k", kv * d), ("attn_v", kv * d)):
            p[f"{w}.weight"] = tensor(types[w], [rows, h])
            if bias:
                p[f"{w}.bias"] = tensor(Q.F32, [rows])
        p["attn_output.weight"] = tensor(types["attn_output"], [h, heads * d])
        p["ffn_norm.weight"] = tensor(Q.F32, [h])
        p["ffn_gate.weight"] = tensor(types["ffn_gate"], [ff, h])
        p["ffn_up.weight"] = tensor(types["ffn_up"], [ff, h])
        p["ffn_down.weight"] = tensor(types["ffn_down"], [h, ff])
        m.layer(f"blk.{i}", p)
    m.layer("output_norm", {"weight": tensor(Q.F32, [h])})
    if not tied:
        m.layer("output", {"weight": tensor(types["output"], [V, h])})
    return m


def tokens(w, n):
    w.add_tokenizer_model("llama")
    w.add_token_list([f"tok{i}" for i in range(n)])
    w.add_token_scores([float(-i) for i in range(n)])
    w.add_token_types([1] * n)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    exp = {}

    # llama, K-quants and legacy quants mixed as llama-quantize does (Q4_K_M-like)
    qt = {"embd": Q.Q4_K, "attn_q": Q.Q8_0, "attn_k": Q.Q8_0, "attn_v": Q.Q6_K,
          "attn_output": Q.Q4_0, "ffn_gate": Q.Q5_K, "ffn_up": Q.Q4_1, "ffn_down": Q.Q5_0,
          "output": Q.Q6_K}
    m = llama_like(3, 256, 4, 2, 512, 32, qt)

    def kv_llama(w):
        w.add_name("tiny llama")
        w.add_basename("tiny-llama")
        w.add_size_label("3x256")
        w.add_file_type(15)  # LLAMA_FTYPE_MOSTLY_Q4_K_M
        w.add_quantization_version(2)
        w.add_context_length(2048)
        w.add_embedding_length(256)
        w.add_block_count(3)
        w.add_feed_forward_length(512)
        w.add_head_count(4)
        w.add_head_count_kv(2)
        w.add_rope_dimension_count(64)
        w.add_layer_norm_rms_eps(1e-5)
        w.add_array("vramfit.test.nested", [[1, 2], [3, 4, 5]])  # arrays of arrays
        w.add_bool("vramfit.test.flag", True)
        w.add_float64("vramfit.test.f64", 0.5)
        w.add_int64("vramfit.test.i64", -3)
        tokens(w, 32)  # no vocab_size key: the vocabulary is the token list

    p = os.path.join(out, "llama_q4km.gguf")
    write(p, "llama", m, kv_llama)
    exp["llama_q4km.gguf"] = expected(m, p)

    # the same family, as a GGUF v2 file
    ft = {k: Q.F16 for k in qt}
    m = llama_like(2, 64, 4, 4, 128, 16, ft)

    def kv_v2(w):
        w.add_block_count(2)
        w.add_embedding_length(64)
        w.add_head_count(4)
        w.add_feed_forward_length(128)
        w.add_context_length(512)
        tokens(w, 16)

    p = os.path.join(out, "llama_v2.gguf")
    write(p, "llama", m, kv_v2, version=2)
    exp["llama_v2.gguf"] = expected(m, p)

    # qwen2: biases, BF16 embedding, F16 weights, tied head, alignment 64
    qt = {"embd": Q.BF16, "attn_q": Q.F16, "attn_k": Q.F16, "attn_v": Q.F16,
          "attn_output": Q.F16, "ffn_gate": Q.F16, "ffn_up": Q.F16, "ffn_down": Q.F16}
    m = llama_like(2, 64, 4, 2, 96, 100, qt, bias=True, tied=True)

    def kv_qwen(w):
        w.add_name("tiny qwen2")
        w.add_file_type(1)  # MOSTLY_F16
        w.add_context_length(4096)
        w.add_embedding_length(64)
        w.add_block_count(2)
        w.add_feed_forward_length(96)
        w.add_head_count(4)
        w.add_head_count_kv(2)
        w.add_vocab_size(100)
        w.add_sliding_window(32)
        tokens(w, 90)  # vocab_size wins over the token list

    p = os.path.join(out, "qwen2_tied.gguf")
    write(p, "qwen2", m, kv_qwen, alignment=64)
    exp["qwen2_tied.gguf"] = expected(m, p)

    # MoE (qwen2moe names): routed experts stacked in one 3-D tensor each, shared
    # expert, per-layer arrays for the feed-forward length and head counts
    E, h, eff = 4, 64, 32
    m = Model()
    m.layer("token_embd", {"weight": tensor(Q.Q8_0, [50, h])})
    for i in range(2):
        m.layer(f"blk.{i}", {
            "attn_norm.weight": tensor(Q.F32, [h]),
            "attn_q.weight": tensor(Q.Q8_0, [h, h]),
            "attn_k.weight": tensor(Q.Q8_0, [32, h]),
            "attn_v.weight": tensor(Q.Q8_0, [32, h]),
            "attn_output.weight": tensor(Q.IQ4_NL, [h, h]),
            "ffn_norm.weight": tensor(Q.F32, [h]),
            "ffn_gate_inp.weight": tensor(Q.F32, [E, h]),
            "ffn_gate_exps.weight": tensor(Q.MXFP4, [E, eff, h]),
            "ffn_up_exps.weight": tensor(Q.MXFP4, [E, eff, h]),
            "ffn_down_exps.weight": tensor(Q.Q5_1, [E, h, eff]),
            "ffn_gate_inp_shexp.weight": tensor(Q.F32, [1, h]),
            "ffn_gate_shexp.weight": tensor(Q.Q4_0, [128, h]),
            "ffn_up_shexp.weight": tensor(Q.Q4_0, [128, h]),
            "ffn_down_shexp.weight": tensor(Q.Q8_0, [h, 128]),
        })
    m.layer("output_norm", {"weight": tensor(Q.F32, [h])})
    m.layer("output", {"weight": tensor(Q.Q8_0, [50, h])})

    def kv_moe(w):
        w.add_name("tiny moe")
        w.add_context_length(8192)
        w.add_embedding_length(h)
        w.add_block_count(2)
        w.add_feed_forward_length([96, 160])  # per layer: the largest is 160
        w.add_head_count([4, 2])
        w.add_head_count_kv([2, 1])
        w.add_key_length(16)
        w.add_expert_count(E)
        w.add_expert_used_count(2)
        w.add_expert_feed_forward_length(eff)
        w.add_expert_shared_feed_forward_length(128)
        tokens(w, 50)

    p = os.path.join(out, "moe.gguf")
    write(p, "qwen2moe", m, kv_moe)
    exp["moe.gguf"] = expected(m, p)

    # DeepSeek-2 style: multi-head latent attention, a leading dense block,
    # shared experts
    m = Model()
    m.layer("token_embd", {"weight": tensor(Q.F16, [40, h])})
    for i in range(2):
        p_ = {
            "attn_norm.weight": tensor(Q.F32, [h]),
            "attn_q_a.weight": tensor(Q.Q8_0, [64, h]),
            "attn_q_a_norm.weight": tensor(Q.F32, [64]),
            "attn_q_b.weight": tensor(Q.Q8_0, [4 * 48, 64]),
            "attn_kv_a_mqa.weight": tensor(Q.Q8_0, [32 + 16, h]),
            "attn_kv_a_norm.weight": tensor(Q.F32, [32]),
            "attn_kv_b.weight": tensor(Q.F16, [4 * (32 + 32), 32]),
            "attn_output.weight": tensor(Q.Q8_0, [h, 4 * 32]),
            "ffn_norm.weight": tensor(Q.F32, [h]),
        }
        if i == 0:
            for w_, shp in (("ffn_gate", [128, h]), ("ffn_up", [128, h]), ("ffn_down", [h, 128])):
                p_[f"{w_}.weight"] = tensor(Q.Q4_1, shp)
        else:
            p_["ffn_gate_inp.weight"] = tensor(Q.F32, [E, h])
            p_["ffn_gate_exps.weight"] = tensor(Q.IQ4_NL, [E, eff, h])
            p_["ffn_up_exps.weight"] = tensor(Q.IQ4_NL, [E, eff, h])
            p_["ffn_down_exps.weight"] = tensor(Q.Q8_0, [E, h, eff])
            p_["ffn_gate_shexp.weight"] = tensor(Q.Q5_0, [eff, h])
            p_["ffn_up_shexp.weight"] = tensor(Q.Q5_0, [eff, h])
            p_["ffn_down_shexp.weight"] = tensor(Q.Q8_0, [h, eff])
        m.layer(f"blk.{i}", p_)
    m.layer("output_norm", {"weight": tensor(Q.F32, [h])})
    m.layer("output", {"weight": tensor(Q.F16, [40, h])})

    def kv_ds(w):
        w.add_name("tiny deepseek2")
        w.add_context_length(163840)
        w.add_embedding_length(h)
        w.add_block_count(2)
        w.add_leading_dense_block_count(1)
        w.add_feed_forward_length(128)
        w.add_head_count(4)
        w.add_head_count_kv(4)
        w.add_key_length(48)
        w.add_value_length(32)
        w.add_q_lora_rank(64)
        w.add_kv_lora_rank(32)
        w.add_rope_dimension_count(16)
        w.add_expert_count(E)
        w.add_expert_used_count(2)
        w.add_expert_shared_count(1)
        w.add_expert_feed_forward_length(eff)
        w.add_vocab_size(40)

    p = os.path.join(out, "deepseek2.gguf")
    write(p, "deepseek2", m, kv_ds)
    exp["deepseek2.gguf"] = expected(m, p)

    # every ggml type vramfit and the package agree on, plus edge shapes
    m = Model()
    for t in Q:
        if t in (Q.Q8_1, Q.NVFP4, Q.Q1_0):
            continue
        m.tensors[f"t_{t.name.lower()}"] = tensor(t, [2, 256])
    m.tensors["scalar"] = tensor(Q.F32, [])
    m.tensors["zero_size"] = tensor(Q.F16, [0, 4])
    m.tensors["four_d"] = tensor(Q.Q8_0, [2, 3, 4, 32])
    m.tensors["one_d"] = tensor(Q.I32, [7])

    p = os.path.join(out, "all_types.gguf")
    write(p, "llama", m, lambda w: w.add_name("all ggml types"), alignment=128)
    exp["all_types.gguf"] = expected(m, p, ordered=False)

    # a directory: the config.json beside the GGUF describes the architecture
    d = os.path.join(out, "with_config")
    os.makedirs(d)
    m = llama_like(2, 64, 4, 4, 128, 16, ft)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
                   "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                   "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 16,
                   "max_position_embeddings": 512, "torch_dtype": "bfloat16"}, f, indent=2)
    p = os.path.join(d, "model-f16.gguf")
    write(p, "llama", m, kv_v2)
    exp["with_config"] = expected(m, p)

    # metadata only (a vocabulary file, as llama.cpp ships): no tensors at all
    m = Model()
    p = os.path.join(out, "vocab_only.gguf")
    write(p, "llama", m, lambda w: tokens(w, 8))
    exp["vocab_only.gguf"] = expected(m, p)

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
