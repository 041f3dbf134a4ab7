#!/usr/bin/env python3
"""Writes checkpoints of real architectures at their real sizes as sparse files
for `make bench`: every header byte is written, every tensor byte is a hole
(the file is extended with truncate), so a 688 GB DeepSeek-V3 costs a few
hundred MB of disk.

usage: gen_sparse.py DIR [--only NAME[,NAME...]] [--force] [--no-check] [--check-zip64]
  --force        rewrite models already listed in DIR/manifest.json
  --no-check     skip the checks against the real libraries (below)
  --check-zip64  also compare a 4.4 GB zip64 file with torch.save's (~10 s)

Models (DIR/<name>/, each with a config.json holding the model's real values):
  llama-3.1-70b   Llama-3.1-70B, bf16, 30 shards + model.safetensors.index.json
  deepseek-v3     DeepSeek-V3, fp8 (F8_E4M3 weights with F32 weight_scale_inv
                  block scales [ceil(N/128), ceil(K/128)]), 163 shards,
                  91,991 tensors including the MTP layer 61
  llama-2-7b-bin  Llama-2-7b-hf as PyTorch .bin: 2 zip shards (9.98 GB +
                  3.50 GB) + pytorch_model.bin.index.json
  llama-3.1-8b-gguf  Llama-3.1-8B-Instruct Q4_K_M GGUF (4.9 GB)

How each header is made, and how it is checked against the real writer:
  safetensors: the header is laid out as safetensors 0.7.0 lays it out (8-byte
    LE length, compact JSON, `__metadata__` first, tensors sorted by dtype
    (descending, the Rust enum's order) then name, data_offsets tiling from 0,
    padded with spaces to a multiple of 8).  Checked byte for byte: for every
    shard, the same tensor list with each dimension cut to 1 is serialized by
    the safetensors package itself and must equal our writer's output; then
    every real-size shard is opened with safetensors.safe_open (the Rust
    reader's validation) and its keys compared.  Shards are filled in
    state_dict order, greedily up to max_shard_size (huggingface_hub's
    split_torch_state_dict_into_shards); the index is what transformers
    writes: json.dumps({"metadata": {"total_size"}, "weight_map"}, indent=2,
    sort_keys=True) + "\\n".
  PyTorch zip: data.pkl is produced by torch's own torch.serialization._save
    (the installed torch, 1.13) run on tensors of the real shapes that are
    never touched (torch.empty: untouched pages cost no memory); the zip around
    it is written here with struct, exactly as torch 1.13's miniz writer lays
    it out (stored entries under one folder named after the file, FB padding
    extra field so data is 64-byte aligned, data descriptors, zip64 extra
    fields for sizes or offsets >= 4 GiB, a zip64 end record always).  CRCs
    are those of the zero bytes a hole reads as.  Checked byte for byte
    against torch.save of an all-zero small instance, then torch.load of that
    instance, then zipfile on the big shards.  `--check-zip64` also compares a
    4.4 GB zip64 file with torch.save's own (streamed, sparse) output.
  GGUF: gguf-py's GGUFWriter writes the header, kv data and tensor infos; the
    data section is a hole.  Checked with gguf.GGUFReader.

What is synthetic: tensor bytes (holes, read as zeros); GGUF tokenizer strings
(128,256 tokens and 280,147 merges of realistic length, not the real vocab);
the exact shard boundaries of DeepSeek-V3 (greedy fill to 163 shards, DeepSeek
did not publish how they cut).

DIR/manifest.json lists what was written, for bench/run.py.
"""
import io
import json
import math
import os
import random
import struct
import sys
import time
import zipfile
import zlib

GB = 10**9

# --------------------------------------------------------------------------
# safetensors


# safetensors 0.7.0's Dtype enum order (Rust derives Ord from it); the writer
# sorts by dtype descending, then by name.
ST_DTYPE_ORDER = ["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3",
                  "F8_E8M0", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64",
                  "I64", "U64"]
ST_RANK = {d: i for i, d in enumerate(ST_DTYPE_ORDER)}
ST_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
            "I16": 2, "U16": 2, "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4,
            "F64": 8, "I64": 8, "U64": 8}
# names the safetensors package's serialize() takes for these dtypes
ST_PYNAME = {"F32": "float32", "BF16": "bfloat16", "F16": "float16",
             "F8_E4M3": "float8_e4m3fn", "I64": "int64", "I32": "int32"}


def nbytes(dtype, shape):
    return math.prod(shape) * ST_BYTES[dtype]


def st_header(tensors, metadata):
    """tensors: [(name, dtype, shape)].  Returns (file prefix bytes, data length)."""
    order = sorted(tensors, key=lambda t: (-ST_RANK[t[1]], t[0]))
    parts = []
    if metadata is not None:
        parts.append('"__metadata__":' + json.dumps(metadata, separators=(",", ":"),
                                                     ensure_ascii=False))
    at = 0
    for name, dtype, shape in order:
        n = nbytes(dtype, shape)
        parts.append('%s:{"dtype":"%s","shape":[%s],"data_offsets":[%d,%d]}' % (
            json.dumps(name, ensure_ascii=False), dtype, ",".join(map(str, shape)), at, at + n))
        at += n
    text = ("{" + ",".join(parts) + "}").encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, at


def write_sparse(path, prefix, total):
    with open(path, "wb") as f:
        f.write(prefix)
        f.truncate(total)


def shard_greedy(tensors, max_size):
    """huggingface_hub split_state_dict_into_shards_factory: greedy, in order."""
    shards, cur, cur_size = [], [], 0
    for t in tensors:
        n = nbytes(t[1], t[2])
        if n > max_size:
            shards.append([t])
            continue
        if cur and cur_size + n > max_size:
            shards.append(cur)
            cur, cur_size = [], 0
        cur.append(t)
        cur_size += n
    if cur:
        shards.append(cur)
    return shards


def write_safetensors_model(out, tensors, shards, name_fmt, config, metadata={"format": "pt"}):
    os.makedirs(out, exist_ok=True)
    weight_map, total, files, header_bytes = {}, 0, [], 0
    n = len(shards)
    for i, sh in enumerate(shards):
        fname = name_fmt.format(i + 1, n)
        prefix, dlen = st_header(sh, metadata)
        write_sparse(os.path.join(out, fname), prefix, len(prefix) + dlen)
        header_bytes += len(prefix)
        files.append(fname)
        for t in sh:
            weight_map[t[0]] = fname
        total += dlen
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(out, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
    write_config(out, config)
    return {"files": files, "tensors": len(tensors), "bytes": total, "header_bytes": header_bytes}


def write_config(out, config):
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(config, indent=2, sort_keys=True) + "\n")


def check_safetensors_model(out, shards, name_fmt, metadata={"format": "pt"}):
    """Each shard's header vs the safetensors package, then safe_open."""
    from safetensors import _safetensors_rust as rust
    from safetensors import safe_open
    n = len(shards)
    for i, sh in enumerate(shards):
        tiny = [(nm, dt, [1] * len(shape)) for nm, dt, shape in sh]
        ref = rust.serialize({nm: {"dtype": ST_PYNAME[dt], "shape": shp,
                                   "data": b"\0" * nbytes(dt, shp)} for nm, dt, shp in tiny},
                             metadata)
        ours, dlen = st_header(tiny, metadata)
        if ref != ours + b"\0" * dlen:
            raise SystemExit("safetensors header layout differs from the safetensors package "
                             "for shard %d" % (i + 1))
        path = os.path.join(out, name_fmt.format(i + 1, n))
        with safe_open(path, "np") as f:
            if sorted(f.keys()) != sorted(t[0] for t in sh):
                raise SystemExit("%s: safe_open lists other tensors" % path)
    print("  checked %d shards: headers equal the safetensors package's, safe_open accepts "
          "every real-size shard" % n)


# --------------------------------------------------------------------------
# Llama-3.1-70B

LLAMA31_70B_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 128000,
    "eos_token_id": 128001,
    "hidden_act": "silu",
    "hidden_size": 8192,
    "initializer_range": 0.02,
    "intermediate_size": 28672,
    "max_position_embeddings": 131072,
    "mlp_bias": False,
    "model_type": "llama",
    "num_attention_heads": 64,
    "num_hidden_layers": 80,
    "num_key_value_heads": 8,
    "pretraining_tp": 1,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "rope_theta": 500000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.43.0.dev0",
    "use_cache": True,
    "vocab_size": 128256,
}


def llama_tensors(c, dtype, inv_freq=False):
    """state_dict order of transformers' LlamaForCausalLM."""
    h, inter, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    nh, nkv = c["num_attention_heads"], c["num_key_value_heads"]
    hd = h // nh
    t = [("model.embed_tokens.weight", dtype, [v, h])]
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % i
        t += [(p + "self_attn.q_proj.weight", dtype, [nh * hd, h]),
              (p + "self_attn.k_proj.weight", dtype, [nkv * hd, h]),
              (p + "self_attn.v_proj.weight", dtype, [nkv * hd, h]),
              (p + "self_attn.o_proj.weight", dtype, [h, nh * hd])]
        if inv_freq:  # a persistent buffer before transformers 4.32
            t.append((p + "self_attn.rotary_emb.inv_freq", "F32", [hd // 2]))
        t += [(p + "mlp.gate_proj.weight", dtype, [inter, h]),
              (p + "mlp.up_proj.weight", dtype, [inter, h]),
              (p + "mlp.down_proj.weight", dtype, [h, inter]),
              (p + "input_layernorm.weight", dtype, [h]),
              (p + "post_attention_layernorm.weight", dtype, [h])]
    t += [("model.norm.weight", dtype, [h])]
    if not c.get("tie_word_embeddings", False):
        t += [("lm_head.weight", dtype, [v, h])]
    return t


def gen_llama31_70b(out, check):
    tensors = llama_tensors(LLAMA31_70B_CONFIG, "BF16")
    shards = shard_greedy(tensors, 5 * GB)
    assert len(shards) == 30, len(shards)
    fmt = "model-{:05d}-of-{:05d}.safetensors"
    info = write_safetensors_model(out, tensors, shards, fmt, LLAMA31_70B_CONFIG)
    assert info["bytes"] == 141107412992, info["bytes"]  # the real index's total_size
    if check:
        check_safetensors_model(out, shards, fmt)
    info.update(kind="safetensors", path=out, accelerate=True,
                note="transformers 4.36 refuses rope_scaling rope_type=llama3 (added in 4.43): "
                     "the accelerate baseline drops rope_scaling, which holds no weights")
    return info


# --------------------------------------------------------------------------
# DeepSeek-V3

DEEPSEEK_V3_CONFIG = {
    "architectures": ["DeepseekV3ForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "auto_map": {
        "AutoConfig": "configuration_deepseek.DeepseekV3Config",
        "AutoModel": "modeling_deepseek.DeepseekV3Model",
        "AutoModelForCausalLM": "modeling_deepseek.DeepseekV3ForCausalLM",
    },
    "aux_loss_alpha": 0.001,
    "bos_token_id": 0,
    "eos_token_id": 1,
    "ep_size": 1,
    "first_k_dense_replace": 3,
    "hidden_act": "silu",
    "hidden_size": 7168,
    "initializer_range": 0.02,
    "intermediate_size": 18432,
    "kv_lora_rank": 512,
    "max_position_embeddings": 163840,
    "model_type": "deepseek_v3",
    "moe_intermediate_size": 2048,
    "moe_layer_freq": 1,
    "n_group": 8,
    "n_routed_experts": 256,
    "n_shared_experts": 1,
    "norm_topk_prob": True,
    "num_attention_heads": 128,
    "num_experts_per_tok": 8,
    "num_hidden_layers": 61,
    "num_key_value_heads": 128,
    "num_nextn_predict_layers": 1,
    "pretraining_tp": 1,
    "q_lora_rank": 1536,
    "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64,
    "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3",
                            "quant_method": "fp8", "weight_block_size": [128, 128]},
    "rms_norm_eps": 1e-06,
    "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0,
                     "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096,
                     "type": "yarn"},
    "rope_theta": 10000,
    "routed_scaling_factor": 2.5,
    "scoring_func": "sigmoid",
    "seq_aux": True,
    "tie_word_embeddings": False,
    "topk_group": 4,
    "topk_method": "noaux_tc",
    "torch_dtype": "bfloat16",
    "transformers_version": "4.33.1",
    "use_cache": True,
    "v_head_dim": 128,
    "vocab_size": 129280,
}


def deepseek_v3_tensors(c):
    h, v = c["hidden_size"], c["vocab_size"]
    nh = c["num_attention_heads"]
    qr, kvr = c["q_lora_rank"], c["kv_lora_rank"]
    nope, rope, vd = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"]
    blk = c["quantization_config"]["weight_block_size"]

    def fp8(name, n, k):
        return [(name + ".weight", "F8_E4M3", [n, k]),
                (name + ".weight_scale_inv", "F32", [-(-n // blk[0]), -(-k // blk[1])])]

    def mlp(p, inter):
        return (fp8(p + "gate_proj", inter, h) + fp8(p + "up_proj", inter, h) +
                fp8(p + "down_proj", h, inter))

    def layer(i):
        p = "model.layers.%d." % i
        t = (fp8(p + "self_attn.q_a_proj", qr, h) +
             [(p + "self_attn.q_a_layernorm.weight", "BF16", [qr])] +
             fp8(p + "self_attn.q_b_proj", nh * (nope + rope), qr) +
             fp8(p + "self_attn.kv_a_proj_with_mqa", kvr + rope, h) +
             [(p + "self_attn.kv_a_layernorm.weight", "BF16", [kvr])] +
             fp8(p + "self_attn.kv_b_proj", nh * (nope + vd), kvr) +
             fp8(p + "self_attn.o_proj", h, nh * vd))
        if i < c["first_k_dense_replace"]:
            t += mlp(p + "mlp.", c["intermediate_size"])
        else:
            t += [(p + "mlp.gate.weight", "BF16", [c["n_routed_experts"], h]),
                  (p + "mlp.gate.e_score_correction_bias", "F32", [c["n_routed_experts"]])]
            for e in range(c["n_routed_experts"]):
                t += mlp(p + "mlp.experts.%d." % e, c["moe_intermediate_size"])
            t += mlp(p + "mlp.shared_experts.",
                     c["moe_intermediate_size"] * c["n_shared_experts"])
        t += [(p + "input_layernorm.weight", "BF16", [h]),
              (p + "post_attention_layernorm.weight", "BF16", [h])]
        return t

    t = [("model.embed_tokens.weight", "BF16", [v, h])]
    for i in range(c["num_hidden_layers"]):
        t += layer(i)
    t += [("model.norm.weight", "BF16", [h]), ("lm_head.weight", "BF16", [v, h])]
    # the MTP module (num_nextn_predict_layers = 1) is stored as layer 61
    for j in range(c["num_nextn_predict_layers"]):
        i = c["num_hidden_layers"] + j
        p = "model.layers.%d." % i
        t += [(p + "embed_tokens.weight", "BF16", [v, h]),
              (p + "enorm.weight", "BF16", [h]),
              (p + "hnorm.weight", "BF16", [h]),
              (p + "eh_proj.weight", "BF16", [h, 2 * h])]
        t += layer(i)
        t += [(p + "shared_head.norm.weight", "BF16", [h]),
              (p + "shared_head.head.weight", "BF16", [v, h])]
    return t


def shards_to_count(tensors, want):
    """The smallest greedy max_shard_size that gives `want` shards."""
    lo, hi = max(nbytes(t[1], t[2]) for t in tensors), sum(nbytes(t[1], t[2]) for t in tensors)
    while lo < hi:
        mid = (lo + hi) // 2
        if len(shard_greedy(tensors, mid)) <= want:
            hi = mid
        else:
            lo = mid + 1
    shards = shard_greedy(tensors, lo)
    assert len(shards) == want, (len(shards), want)
    return shards


def gen_deepseek_v3(out, check):
    tensors = deepseek_v3_tensors(DEEPSEEK_V3_CONFIG)
    assert len(tensors) == 91991, len(tensors)
    shards = shards_to_count(tensors, 163)
    fmt = "model-{:05d}-of-{:06d}.safetensors"  # DeepSeek's own naming: -of-000163
    info = write_safetensors_model(out, tensors, shards, fmt, DEEPSEEK_V3_CONFIG)
    if check:
        check_safetensors_model(out, shards, fmt)
    info.update(kind="safetensors", path=out, accelerate=False,
                note="transformers 4.36 has no deepseek_v3 model class (it came much later; "
                     "before that only as trust_remote_code): no accelerate baseline")
    return info


# --------------------------------------------------------------------------
# PyTorch zip, as torch 1.13 (miniz 2.1.0 + caffe2/serialize/inline_container.cc) writes it

U32MAX = 0xFFFFFFFF


def _gf2_times(mat, vec):
    s = 0
    i = 0
    while vec:
        if vec & 1:
            s ^= mat[i]
        vec >>= 1
        i += 1
    return s


def _gf2_square(mat):
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc32_zeros(n):
    """zlib.crc32(bytes(n)) without the bytes (zlib's crc32_combine operator)."""
    crc = 0xFFFFFFFF  # pre-conditioned crc of the empty string
    odd = [0xEDB88320] + [1 << i for i in range(31)]  # one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while n:
        even = _gf2_square(odd)  # first pass: one zero byte
        if n & 1:
            crc = _gf2_times(even, crc)
        n >>= 1
        if not n:
            break
        odd = _gf2_square(even)
        if n & 1:
            crc = _gf2_times(odd, crc)
        n >>= 1
    return crc ^ 0xFFFFFFFF


def torch_zip(path, folder, records):
    """records: [(name, bytes or int)]: bytes are written, an int is a hole of
    that many zero bytes.  Layout of torch 1.13's PyTorchStreamWriter."""
    out = open(path, "wb")
    pos = 0
    central = []

    def put(b):
        nonlocal pos
        out.write(b)
        pos += len(b)

    for name, data in records:
        fname = ("%s/%s" % (folder, name)).encode()
        size = data if isinstance(data, int) else len(data)
        crc = crc32_zeros(size) if isinstance(data, int) else zlib.crc32(data)
        big, far = size >= U32MAX, pos >= U32MAX
        z64 = z64c = b""
        if big or far:
            # miniz writes the local extra before it knows the compressed size
            loc = (struct.pack("<QQ", size, 0) if big else b"") + \
                  (struct.pack("<Q", pos) if far else b"")
            cen = (struct.pack("<QQ", size, size) if big else b"") + \
                  (struct.pack("<Q", pos) if far else b"")
            z64 = struct.pack("<HH", 1, len(loc)) + loc
            z64c = struct.pack("<HH", 1, len(cen)) + cen
        start = pos + 30 + len(fname) + 4 + len(z64)
        pad = -start % 64
        extra = z64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        hdr_at = pos
        put(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, 0x0808, 0, 0, 0, 0, 0, 0,
                        len(fname), len(extra)) + fname + extra)
        if isinstance(data, int):
            out.seek(size, 1)
            pos += size
        else:
            put(data)
        if z64:
            put(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
        else:
            put(struct.pack("<IIII", 0x08074B50, crc, size, size))
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, 0x0808, 0, 0, 0,
                                   crc, min(size, U32MAX), min(size, U32MAX), len(fname),
                                   len(z64c), 0, 0, 0, 0, min(hdr_at, U32MAX)) + fname + z64c)
    cd_at = pos
    cd = b"".join(central)
    put(cd)
    z64_at = pos
    n = len(central)
    put(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x2D, 0, 0, n, n, len(cd), cd_at))
    put(struct.pack("<IIQI", 0x07064B50, 0, z64_at, 1))
    put(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                    min(len(cd), U32MAX), min(cd_at, U32MAX), 0))
    out.truncate(pos)
    out.close()
    return pos


class _Recorder:
    """Stands in for torch's zip writer inside torch.serialization._save."""

    def __init__(self):
        self.records = []

    def write_record(self, name, data, size):
        self.records.append((name, bytes(data) if name == "data.pkl" else size))


TORCH_DTYPE = {"F16": "float16", "BF16": "bfloat16", "F32": "float32"}


def torch_records(tensors, ordered=False, zeros=False):
    """data.pkl from torch's own pickler for tensors of these shapes (never
    touched: torch.empty), then the data/<key> records torch would write."""
    import pickle
    import collections
    import torch
    import torch.serialization as ts
    sd = collections.OrderedDict() if ordered else {}
    for name, dt, shape in tensors:
        make = torch.zeros if zeros else torch.empty
        sd[name] = make(shape, dtype=getattr(torch, TORCH_DTYPE[dt]))
    rec = _Recorder()
    ts._save(sd, rec, pickle, ts.DEFAULT_PROTOCOL)
    return rec.records + [("version", b"3\n")]


def gen_llama2_7b_bin(out, check):
    cfg = LLAMA2_7B_CONFIG
    tensors = llama_tensors(cfg, "F16", inv_freq=True)
    # transformers 4.31 shard_checkpoint, max_shard_size "10GB"
    shards = shard_greedy(tensors, 10 * GB)
    assert len(shards) == 2, len(shards)
    os.makedirs(out, exist_ok=True)
    weight_map, files, total, header_bytes = {}, [], 0, 0
    for i, sh in enumerate(shards):
        fname = "pytorch_model-%05d-of-%05d.bin" % (i + 1, len(shards))
        recs = torch_records(sh)
        size = torch_zip(os.path.join(out, fname), fname[:-4], recs)
        header_bytes += size - sum(r[1] for r in recs if isinstance(r[1], int))
        files.append(fname)
        for t in sh:
            weight_map[t[0]] = fname
        total += sum(nbytes(t[1], t[2]) for t in sh)
    assert total == 13476839424, total  # the real index's total_size
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    with open(os.path.join(out, "pytorch_model.bin.index.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(index, indent=2, sort_keys=True) + "\n")
    write_config(out, cfg)
    if check:
        check_torch_zip(out, files, shards)
    return {"kind": "torch", "path": out, "files": files, "tensors": len(tensors),
            "bytes": total, "header_bytes": header_bytes, "accelerate": True,
            "torch_load_file": files[-1], "torch_load_bytes":
            sum(nbytes(t[1], t[2]) for t in shards[-1])}


LLAMA2_7B_CONFIG = {  # meta-llama/Llama-2-7b-hf config.json
    "_name_or_path": "meta-llama/Llama-2-7b-hf", "architectures": ["LlamaForCausalLM"],
    "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 4096,
    "initializer_range": 0.02, "intermediate_size": 11008, "max_position_embeddings": 4096,
    "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32,
    "num_key_value_heads": 32, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
    "rope_scaling": None, "tie_word_embeddings": False, "torch_dtype": "float16",
    "transformers_version": "4.31.0.dev0", "use_cache": True, "vocab_size": 32000}


def check_torch_zip(out, files, shards):
    import tempfile
    import torch
    # 1. the same generator on a small Llama (2 layers, hidden 64) against torch.save
    small = dict(LLAMA2_7B_CONFIG, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=4, vocab_size=300)
    tens = llama_tensors(small, "F16", inv_freq=True)
    with tempfile.TemporaryDirectory() as d:
        mine = os.path.join(d, "pytorch_model-00001-of-00002.bin")
        theirs = os.path.join(d, "ref", "pytorch_model-00001-of-00002.bin")
        os.makedirs(os.path.dirname(theirs))
        torch_zip(mine, "pytorch_model-00001-of-00002", torch_records(tens))
        sd = {n: torch.zeros(s, dtype=getattr(torch, TORCH_DTYPE[dt])) for n, dt, s in tens}
        torch.save(sd, theirs)
        if open(mine, "rb").read() != open(theirs, "rb").read():
            raise SystemExit("the .bin writer differs from torch.save on the small instance")
        back = torch.load(mine)
        for n, dt, s in tens:
            if list(back[n].shape) != s or back[n].dtype != getattr(torch, TORCH_DTYPE[dt]):
                raise SystemExit("torch.load of the small instance: %s differs" % n)
    print("  checked: small instance byte-identical to torch.save, torch.load reads it back")
    # 2. the real shards: zipfile, alignment, sizes
    for fname, sh in zip(files, shards):
        with zipfile.ZipFile(os.path.join(out, fname)) as z:
            infos = z.infolist()
            sizes = {i.filename: i.file_size for i in infos}
            prefix = fname[:-4] + "/"
            if sorted(sizes) != sorted([prefix + "data.pkl", prefix + "version"] +
                                       [prefix + "data/%d" % k for k in range(len(sh))]):
                raise SystemExit("%s: unexpected entries" % fname)
            keys = sorted(str(k) for k in range(len(sh)))
            for i in infos:
                if i.compress_type != zipfile.ZIP_STORED:
                    raise SystemExit("%s: compressed entry" % i.filename)
                with open(os.path.join(out, fname), "rb") as f:
                    f.seek(i.header_offset + 28)
                    xl = struct.unpack("<H", f.read(2))[0]
                    data_at = i.header_offset + 30 + len(i.filename.encode()) + xl
                if data_at % 64:
                    raise SystemExit("%s: %s not 64-byte aligned" % (fname, i.filename))
            want = {prefix + "data/" + k: nbytes(sh[int(k)][1], sh[int(k)][2]) for k in keys}
            for k, v in want.items():
                if sizes[k] != v:
                    raise SystemExit("%s: %s is %d bytes, want %d" % (fname, k, sizes[k], v))
            z.read(prefix + "data.pkl")  # CRC checked by zipfile
    print("  checked %d shards with zipfile: stored, 64-byte aligned, sizes as the tensors" %
          len(files))


def check_zip64_against_torch(tmp):
    """torch.save of a 4.4 GB storage into a sparse stream vs our writer."""
    import torch

    class Sparse:
        def __init__(self, p):
            self.f = open(p, "wb")
            self.n = 0

        def write(self, b):
            if len(b) >= (1 << 20):
                self.f.seek(len(b), 1)
            else:
                self.f.write(bytes(b))
            self.n += len(b)
            return len(b)

        def flush(self):
            pass

    tens = [("a.weight", "F16", [2_200_000_000]), ("b.weight", "F16", [10]),
            ("c", "F32", [3, 4])]
    ref = os.path.join(tmp, "ref.bin")
    s = Sparse(ref)
    torch.save({n: (torch.empty if math.prod(sh) > 1e6 else torch.zeros)(
        sh, dtype=getattr(torch, TORCH_DTYPE[dt])) for n, dt, sh in tens}, s)
    s.f.truncate(s.n)
    s.f.close()
    mine = os.path.join(tmp, "mine.bin")
    torch_zip(mine, "archive", torch_records(tens))
    import filecmp
    same = filecmp.cmp(ref, mine, shallow=False)
    os.unlink(ref)
    os.unlink(mine)
    if not same:
        raise SystemExit("zip64 layout differs from torch.save")
    print("  checked: a 4.4 GB zip64 file is byte-identical to torch.save's")


# --------------------------------------------------------------------------
# GGUF: Llama-3.1-8B-Instruct Q4_K_M


def gen_llama31_8b_gguf(out, check):
    import numpy as np
    import gguf
    from gguf import GGMLQuantizationType as Q
    os.makedirs(out, exist_ok=True)
    fname = "Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"
    path = os.path.join(out, fname)
    n_layer, h, inter, v, nh, nkv = 32, 4096, 14336, 128256, 32, 8
    hd = h // nh
    w = gguf.GGUFWriter(path, "llama")
    w.add_type("model")
    w.add_name("Meta Llama 3.1 8B Instruct")
    w.add_finetune("Instruct")
    w.add_basename("Meta-Llama-3.1")
    w.add_size_label("8B")
    w.add_license("llama3.1")
    w.add_block_count(n_layer)
    w.add_context_length(131072)
    w.add_embedding_length(h)
    w.add_feed_forward_length(inter)
    w.add_head_count(nh)
    w.add_head_count_kv(nkv)
    w.add_rope_freq_base(500000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_file_type(15)  # LLAMA_FTYPE_MOSTLY_Q4_K_M
    w.add_vocab_size(v)
    w.add_rope_dimension_count(hd)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("llama-bpe")
    rnd = random.Random(31)
    alpha = "abcdefghijklmnopqrstuvwxyzĠ"
    toks = ["".join(rnd.choice(alpha) for _ in range(rnd.randint(1, 12))) + "%x" % i
            for i in range(v)]
    w.add_token_list(toks)
    w.add_token_types([1] * (v - 256) + [3] * 256)
    w.add_token_merges([toks[rnd.randrange(v)] + " " + toks[rnd.randrange(v)]
                        for _ in range(280147)])
    w.add_bos_token_id(128000)
    w.add_eos_token_id(128009)
    w.add_chat_template("{{- bos_token }}\n" + "{%- if messages %}x{%- endif %}\n" * 120)
    w.add_quantization_version(2)

    def more_bits(i, n):  # llama.cpp use_more_bits
        return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2

    def add(name, shape, qt):
        bs, ts = gguf.GGML_QUANT_SIZES[qt]
        nb = math.prod(shape) // bs * ts
        w.add_tensor_info(name, shape, np.float32, nb, raw_dtype=qt)
        return nb

    total = add("rope_freqs.weight", [hd // 2], Q.F32)
    total += add("token_embd.weight", [v, h], Q.Q4_K)
    for i in range(n_layer):
        p = "blk.%d." % i
        hi = Q.Q6_K if more_bits(i, n_layer) else Q.Q4_K
        total += add(p + "attn_k.weight", [nkv * hd, h], Q.Q4_K)
        total += add(p + "attn_norm.weight", [h], Q.F32)
        total += add(p + "attn_output.weight", [h, h], Q.Q4_K)
        total += add(p + "attn_q.weight", [h, h], Q.Q4_K)
        total += add(p + "attn_v.weight", [nkv * hd, h], hi)
        total += add(p + "ffn_down.weight", [h, inter], hi)
        total += add(p + "ffn_gate.weight", [inter, h], Q.Q4_K)
        total += add(p + "ffn_norm.weight", [h], Q.F32)
        total += add(p + "ffn_up.weight", [inter, h], Q.Q4_K)
    total += add("output_norm.weight", [h], Q.F32)
    total += add("output.weight", [v, h], Q.Q6_K)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    f = w.fout[0]
    f.flush()
    hdr = f.tell()
    data_at = hdr + (-hdr % w.data_alignment)
    size = data_at + sum(w.ggml_pad(ti.nbytes, w.data_alignment)
                         for ti in w.tensors[0].values())
    f.truncate(size)
    w.close()
    ntens = 2 + 9 * n_layer + 2
    if check:
        r = gguf.GGUFReader(path)
        if len(r.tensors) != ntens or sum(int(t.n_bytes) for t in r.tensors) != total:
            raise SystemExit("GGUFReader reads other tensors back")
        print("  checked with gguf.GGUFReader: %d tensors, %d bytes" % (ntens, total))
    return {"kind": "gguf", "path": path, "files": [fname], "tensors": ntens, "bytes": total,
            "header_bytes": data_at}


# --------------------------------------------------------------------------

MODELS = [("llama-3.1-70b", gen_llama31_70b), ("deepseek-v3", gen_deepseek_v3),
          ("llama-2-7b-bin", gen_llama2_7b_bin), ("llama-3.1-8b-gguf", gen_llama31_8b_gguf)]


def apparent(path):
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def on_disk(path):
    paths = [path] if os.path.isfile(path) else [os.path.join(path, f) for f in os.listdir(path)]
    return sum(os.stat(p).st_blocks * 512 for p in paths)


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    root = args[0]
    only = None
    force = "--force" in args
    check = "--no-check" not in args
    if "--only" in args:
        only = set(args[args.index("--only") + 1].split(","))
    os.makedirs(root, exist_ok=True)
    man_path = os.path.join(root, "manifest.json")
    manifest = json.load(open(man_path)) if os.path.exists(man_path) else {}
    for name, fn in MODELS:
        if only and name not in only:
            continue
        out = os.path.join(root, name)
        if name in manifest and os.path.exists(out) and not force:
            print("%s: present, kept" % name)
            continue
        if os.path.exists(out):
            for f in os.listdir(out):
                os.unlink(os.path.join(out, f))
        t0 = time.time()
        print("%s: writing %s" % (name, out), flush=True)
        info = fn(out, check)
        info["name"] = name
        info["apparent_bytes"] = apparent(out)
        info["disk_bytes"] = on_disk(out)
        print("  %d files, %d tensors, %.1f GB apparent, %.1f MB on disk, %.1f s" % (
            len(info["files"]), info["tensors"], info["apparent_bytes"] / 1e9,
            info["disk_bytes"] / 1e6, time.time() - t0), flush=True)
        manifest[name] = info
        with open(man_path + ".tmp", "w") as f:
            json.dump(manifest, f, indent=1)
        os.replace(man_path + ".tmp", man_path)
    if "--check-zip64" in args:
        check_zip64_against_torch(root)


if __name__ == "__main__":
    main()
