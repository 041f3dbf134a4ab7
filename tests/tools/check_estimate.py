#!/usr/bin/env python3
"""Conformance of `vramfit estimate` against transformers 4.36 and accelerate 0.25.

For each config below, the transformers 4.36 model class is built on the meta
device (accelerate's init_empty_weights, then tie_weights() as from_pretrained
does) in the config's dtype, and compared with what vramfit synthesizes from
the same config.json alone (`estimate --json --layers --tensors --engine hf436`):

  - every tensor: state_dict() names and shapes (persistent), and the
    non-persistent buffers (named_buffers() not in the state_dict);
  - parameters: the model's deduplicated parameter count (num_parameters());
  - every layer: its name is a module of the model, its parameters, and its
    bytes (weights + buffers) equal accelerate's compute_module_sizes() for
    that module name; the sum equals compute_module_sizes()[""];
  - the layers cover every state_dict key (a complete device_map).

accelerate's dtype_byte_size() counts a bool as 1/8 byte; torch stores one
byte, so the script adds 7/8 of each bool buffer (read from the model itself)
back to accelerate's numbers before comparing.  Families transformers 4.36
does not have are skipped with the reason printed.

usage: check_estimate.py VRAMFIT [MODELS_DIR]
Prints one line per case and 'N passed, N failed'; exits 1 on any failure.
"""
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
from accelerate.utils import compute_module_sizes  # noqa: E402

TINY_LLAMA = dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=64,
                  intermediate_size=96, num_hidden_layers=3, num_attention_heads=8,
                  num_key_value_heads=2, vocab_size=320, max_position_embeddings=64,
                  torch_dtype="float16")

CASES = [
    # (name, config (dict, or a file name in MODELS_DIR), extra vramfit args)
    ("llama-2-7b", "meta-llama__Llama-2-7b-hf.json", []),
    ("tinyllama-1.1b", "TinyLlama__TinyLlama-1.1B-Chat-v1.0.json", []),
    ("mistral-7b", "mistralai__Mistral-7B-v0.1.json", []),
    ("gpt2", "openai-community__gpt2.json", []),
    ("bert-large-uncased (BertForMaskedLM)", "google-bert__bert-large-uncased.json", []),
    ("llama tiny, GQA, bias, tied", dict(TINY_LLAMA, attention_bias=True,
                                         tie_word_embeddings=True), []),
    ("llama tiny, LlamaModel", dict(TINY_LLAMA, architectures=["LlamaModel"]), []),
    ("llama tiny, sequence classification",
     dict(TINY_LLAMA, architectures=["LlamaForSequenceClassification"],
          id2label={"0": "a", "1": "b", "2": "c"}, label2id={"a": 0, "b": 1, "c": 2}), []),
    ("llama tiny, fp32 stored as fp16 (--dtype fp16)", dict(TINY_LLAMA, torch_dtype="float32"),
     ["--dtype", "fp16"]),
    ("mixtral-8x7b", dict(model_type="mixtral", architectures=["MixtralForCausalLM"],
                          hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                          num_attention_heads=32, num_key_value_heads=8, vocab_size=32000,
                          max_position_embeddings=32768, num_local_experts=8,
                          num_experts_per_tok=2, rms_norm_eps=1e-5, rope_theta=1e6,
                          sliding_window=None, tie_word_embeddings=False,
                          torch_dtype="bfloat16"), []),
    ("mistral tiny", dict(TINY_LLAMA, model_type="mistral", architectures=["MistralForCausalLM"],
                          sliding_window=16), []),
    ("gpt2 tiny, n_inner, GPT2Model", dict(model_type="gpt2", architectures=["GPT2Model"],
                                           n_embd=48, n_layer=2, n_head=4, n_inner=80,
                                           vocab_size=300, n_positions=40, n_ctx=40), []),
    ("gpt2 tiny, fp16 (bool mask, int buffers keep their size)",
     dict(model_type="gpt2", architectures=["GPT2LMHeadModel"], n_embd=48, n_layer=2,
          n_head=4, vocab_size=300, n_positions=40), ["--dtype", "fp16"]),
    ("bert-base-uncased (BertModel)", dict(model_type="bert", architectures=["BertModel"],
                                           hidden_size=768, num_hidden_layers=12,
                                           num_attention_heads=12, intermediate_size=3072,
                                           vocab_size=30522, max_position_embeddings=512,
                                           type_vocab_size=2), []),
    ("bert tiny, sequence classification",
     dict(model_type="bert", architectures=["BertForSequenceClassification"], hidden_size=32,
          num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, vocab_size=200,
          max_position_embeddings=40, id2label={"0": "x", "1": "y", "2": "z", "3": "w"},
          label2id={"x": 0, "y": 1, "z": 2, "w": 3}), []),
    ("bert tiny, pre-training heads",
     dict(model_type="bert", architectures=["BertForPreTraining"], hidden_size=32,
          num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, vocab_size=200,
          max_position_embeddings=40), []),
    ("t5-small", dict(model_type="t5", architectures=["T5ForConditionalGeneration"], d_model=512,
                      d_kv=64, d_ff=2048, num_layers=6, num_heads=8, vocab_size=32128,
                      relative_attention_num_buckets=32, feed_forward_proj="relu",
                      tie_word_embeddings=True), []),
    ("t5 v1.1 tiny, gated, untied, 3 decoder layers",
     dict(model_type="t5", architectures=["T5ForConditionalGeneration"], d_model=32, d_kv=8,
          d_ff=48, num_layers=2, num_decoder_layers=3, num_heads=4, vocab_size=100,
          feed_forward_proj="gated-gelu", tie_word_embeddings=False), []),
    ("t5 tiny, T5EncoderModel", dict(model_type="t5", architectures=["T5EncoderModel"],
                                     d_model=32, d_kv=8, d_ff=48, num_layers=2, num_heads=4,
                                     vocab_size=100), []),
    ("mt5 tiny", dict(model_type="mt5", architectures=["MT5ForConditionalGeneration"],
                      d_model=32, d_kv=8, d_ff=48, num_layers=2, num_heads=4, vocab_size=100),
     []),
    ("falcon-7b (multi-query, parallel)",
     dict(model_type="falcon", architectures=["FalconForCausalLM"], hidden_size=4544,
          num_hidden_layers=32, num_attention_heads=71, vocab_size=65024, alibi=False,
          bias=False, multi_query=True, new_decoder_architecture=False, parallel_attn=True,
          torch_dtype="bfloat16"), []),
    ("falcon tiny, new decoder architecture",
     dict(model_type="falcon", architectures=["FalconForCausalLM"], hidden_size=64,
          num_hidden_layers=2, num_attention_heads=8, num_kv_heads=2, vocab_size=128,
          new_decoder_architecture=True, max_position_embeddings=64), []),
    ("falcon tiny, alibi, bias, sequential, untied",
     dict(model_type="falcon", architectures=["FalconForCausalLM"], hidden_size=64,
          num_hidden_layers=2, num_attention_heads=4, vocab_size=128, alibi=True, bias=True,
          multi_query=False, parallel_attn=False, tie_word_embeddings=False), []),
    ("opt-125m", dict(model_type="opt", architectures=["OPTForCausalLM"], hidden_size=768,
                      num_hidden_layers=12, num_attention_heads=12, ffn_dim=3072,
                      vocab_size=50272, max_position_embeddings=2048, do_layer_norm_before=True,
                      word_embed_proj_dim=768, torch_dtype="float16"), []),
    ("opt-350m (projections, post-LN)",
     dict(model_type="opt", architectures=["OPTForCausalLM"], hidden_size=1024,
          num_hidden_layers=24, num_attention_heads=16, ffn_dim=4096, vocab_size=50272,
          max_position_embeddings=2048, do_layer_norm_before=False, word_embed_proj_dim=512,
          torch_dtype="float16"), []),
    ("opt tiny, OPTModel", dict(model_type="opt", architectures=["OPTModel"], hidden_size=32,
                                num_hidden_layers=2, num_attention_heads=4, ffn_dim=64,
                                vocab_size=100, max_position_embeddings=50), []),
]

# Families vramfit models that transformers 4.36 does not have.
SKIPPED = ["qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "gemma", "gemma2", "gemma3_text", "phi3",
           "deepseek_v2", "deepseek_v3"]

DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}


def build(cfg_dict, dtype):
    d = dict(cfg_dict)
    arch = d["architectures"][0]
    cfg = transformers.AutoConfig.for_model(**{k: v for k, v in d.items()
                                               if k not in ("architectures",)})
    cfg.architectures = [arch]
    cls = getattr(transformers, arch)
    with init_empty_weights(include_buffers=True):
        model = cls._from_config(cfg, torch_dtype=dtype)
    model.tie_weights()  # what from_pretrained does after building
    return model


def prefixes(name):
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) + 1)]


def under(name, layer):
    return name == layer or name.startswith(layer + ".")


def check(binary, name, cfg_dict, extra):
    errs = []
    dtype_name = cfg_dict.get("torch_dtype", "float32")
    if "--dtype" in extra:
        dtype_name = {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32"}[
            extra[extra.index("--dtype") + 1]]
    model = build(cfg_dict, DTYPES[dtype_name])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "config.json")
        with open(path, "w") as f:
            json.dump(cfg_dict, f)
        r = subprocess.run([binary, "estimate", "--json", "--layers", "--tensors", "--engine",
                            "hf436", *extra, path], capture_output=True, text=True)
    if r.returncode != 0:
        return [f"vramfit exit {r.returncode}: {r.stderr.strip()}"]
    got = json.loads(r.stdout)

    # tensors: names and shapes of the state_dict, and the non-persistent buffers
    sd = {k: list(v.shape) for k, v in model.state_dict().items()}
    npb = {k: list(v.shape) for k, v in model.named_buffers() if k not in sd}
    mine = {t["name"]: t["shape"] for t in got["tensors"] if t["role"] != "npbuffer"}
    mine_np = {t["name"]: t["shape"] for t in got["tensors"] if t["role"] == "npbuffer"}
    if mine != sd:
        miss = sorted(set(sd) - set(mine))[:3]
        more = sorted(set(mine) - set(sd))[:3]
        shp = [(k, mine[k], sd[k]) for k in sorted(set(sd) & set(mine)) if mine[k] != sd[k]][:3]
        errs.append(f"state_dict: missing {miss}, extra {more}, shapes {shp}")
    if mine_np != npb:
        errs.append(f"buffers: got {sorted(mine_np)[:4]}, want {sorted(npb)[:4]}")

    # parameters, tied ones once
    nparams = sum(p.numel() for p in model.parameters())
    if got["parameters"]["total"] != nparams:
        errs.append(f"parameters: got {got['parameters']['total']}, want {nparams}")

    # bytes per module (accelerate), with bool buffers at their real size
    sizes = compute_module_sizes(model)
    for bname, b in model.named_buffers():
        if b.dtype == torch.bool:
            for p in prefixes(bname):
                sizes[p] += b.numel() * 7 / 8
    # every name a device_map may use, shared modules under each of their names
    # (T5's encoder.embed_tokens is the module `shared`)
    modules = dict(model.named_modules(remove_duplicate=False))
    dedup = list(model.named_parameters())  # removes tied duplicates, keeps the first name
    total = 0
    for lay in got["layers"]:
        n = lay["name"]
        have = lay["bytes"] + lay["buffer_bytes"]
        total += have
        if n not in modules:
            errs.append(f"layer {n}: not a module of {type(model).__name__}")
            continue
        want = sizes.get(n, 0)
        if have != want:
            errs.append(f"layer {n}: {have} bytes, accelerate says {want}")
        p = sum(t.numel() for k, t in dedup if under(k, n))
        if lay["parameters"] != p:
            errs.append(f"layer {n}: {lay['parameters']} parameters, want {p}")
    if total != sizes[""]:
        errs.append(f"total: {total} bytes, accelerate says {sizes['']}")
    names = [lay["name"] for lay in got["layers"]]
    for k in sd:
        if not any(under(k, n) for n in names):
            errs.append(f"{k} is in no layer (the device_map would be incomplete)")
            break
    return errs


def main():
    binary = os.path.abspath(sys.argv[1])
    models = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(__file__), "../../../shared/models")
    print(f"transformers {transformers.__version__}, accelerate "
          f"{__import__('accelerate').__version__}, torch {torch.__version__}")
    passed = failed = 0
    for name, cfg, extra in CASES:
        if isinstance(cfg, str):
            with open(os.path.join(models, cfg)) as f:
                cfg = json.load(f)
        try:
            errs = check(binary, name, cfg, extra)
        except Exception as e:  # a crash is a failure, with its reason
            errs = [f"{type(e).__name__}: {e}"]
        if errs:
            failed += 1
            print(f"FAIL {name}")
            for e in errs[:8]:
                print(f"     {e}")
        else:
            passed += 1
            print(f"ok   {name}")
    for fam in SKIPPED:
        print(f"skip {fam}: transformers {transformers.__version__} has no {fam} model class "
              "(checked against published parameter counts in test_params.c instead)")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
