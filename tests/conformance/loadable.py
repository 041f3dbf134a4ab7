#!/usr/bin/env python3
"""The loadability matrix, judged by transformers itself.

For each family vramfit models and transformers builds small, a model with
random weights at a tiny size is saved the ways save_pretrained saves it
(safetensors and .bin, single file and sharded by max_shard_size; GPT-2 also
as the hub stores it, without the "transformer." prefix and without the tied
lm_head; BERT also as a BertModel file read as BertLMHeadModel).  vramfit
plans it onto this machine's CPU with disk offload at CPU budgets of 100%,
50% and 25% of the weights (`vramfit plan -o map.json --max-memory
cpu=N`); `vramfit estimate` must count the parameters the loaded model
has; then from_pretrained(dir, device_map=map, offload_folder=...) must
load it and generate the same greedy tokens as the same files loaded plainly
(encoders: the same last hidden state).  `plan -o` may instead refuse with
exit 11 and one line when no loadable map exists (every layer on disk);
that is counted apart, and is an error only when a map with a CPU layer
existed (never at 100%).

usage: loadable.py VRAMFIT ENGINE FAMILY...   (ENGINE hf436 or hf)
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import safetensors.torch  # noqa: E402
import torch  # noqa: E402
import transformers as T  # noqa: E402

T.logging.set_verbosity_error()
T.logging.disable_progress_bar()
import logging  # noqa: E402
logging.getLogger().setLevel(logging.ERROR)  # accelerate's "offloaded to the disk" notice
SMALL = dict(vocab_size=256, max_position_embeddings=128)
IDS = torch.tensor([[3, 17, 42, 9, 100]])


def llama_cfg(cls, **kw):
    return cls(hidden_size=64, intermediate_size=128, num_hidden_layers=4,
               num_attention_heads=4, num_key_value_heads=2, **SMALL, **kw)


FAMILIES = {
    "llama": lambda: (T.LlamaForCausalLM, llama_cfg(T.LlamaConfig, tie_word_embeddings=False)),
    "llama-tied": lambda: (T.LlamaForCausalLM, llama_cfg(T.LlamaConfig, tie_word_embeddings=True)),
    "mistral": lambda: (T.MistralForCausalLM, llama_cfg(T.MistralConfig)),
    "mixtral": lambda: (T.MixtralForCausalLM, llama_cfg(T.MixtralConfig, num_local_experts=4,
                                                        num_experts_per_tok=2)),
    "gpt2": lambda: (T.GPT2LMHeadModel, T.GPT2Config(n_embd=64, n_layer=4, n_head=4,
                                                     vocab_size=256, n_positions=128)),
    "bert": lambda: (T.BertModel, T.BertConfig(hidden_size=64, num_hidden_layers=4,
                                               num_attention_heads=4, intermediate_size=128,
                                               **SMALL)),
    "t5": lambda: (T.T5ForConditionalGeneration,
                   T.T5Config(vocab_size=256, d_model=64, d_kv=16, d_ff=128, num_layers=3,
                              num_heads=4, decoder_start_token_id=0)),
    "opt": lambda: (T.OPTForCausalLM, T.OPTConfig(hidden_size=64, num_hidden_layers=4,
                                                  num_attention_heads=4, ffn_dim=128,
                                                  word_embed_proj_dim=64, **SMALL)),
    "falcon": lambda: (T.FalconForCausalLM, T.FalconConfig(hidden_size=64, num_hidden_layers=4,
                                                           num_attention_heads=4, vocab_size=256)),
    # transformers 4.4x adds these
    "qwen2": lambda: (T.Qwen2ForCausalLM, llama_cfg(T.Qwen2Config, tie_word_embeddings=True)),
    "gemma2": lambda: (T.Gemma2ForCausalLM, llama_cfg(T.Gemma2Config, head_dim=16,
                                                      pad_token_id=0)),
    "phi3": lambda: (T.Phi3ForCausalLM, llama_cfg(T.Phi3Config, pad_token_id=0,
                                                  bos_token_id=1, eos_token_id=2)),
}


def outputs(model, cls):
    with torch.no_grad():
        if cls in (T.BertModel, T.BertLMHeadModel):
            return model(IDS, output_hidden_states=True).hidden_states[-1]
        # greedy decoding, written out: transformers 4.46's generate() imports
        # torch.distributed.fsdp, which Debian's torch 1.13 cannot import on
        # Python 3.11; argmax of the last position, four tokens
        if model.config.is_encoder_decoder:
            dec = torch.zeros((1, 1), dtype=torch.long)
            for _ in range(4):
                nxt = model(input_ids=IDS, decoder_input_ids=dec).logits[:, -1].argmax(-1)
                dec = torch.cat([dec, nxt[:, None]], 1)
            return dec
        ids = IDS
        for _ in range(4):
            nxt = model(ids, use_cache=False).logits[:, -1].argmax(-1)
            ids = torch.cat([ids, nxt[:, None]], 1)
        return ids


def save_variants(fam, cls, model, root):
    """(label, dir, class to load) for each way the model is saved."""
    out = []
    for label, kw in [("st", dict(safe_serialization=True)),
                      ("st-shards", dict(safe_serialization=True, max_shard_size="200KB")),
                      ("bin", dict(safe_serialization=False)),
                      ("bin-shards", dict(safe_serialization=False, max_shard_size="200KB"))]:
        d = os.path.join(root, label)
        model.save_pretrained(d, **kw)
        out.append((label, d, cls))
    if fam == "gpt2":  # as on the hub: no "transformer." prefix, no tied lm_head
        d = os.path.join(root, "st-noprefix")
        os.makedirs(d)
        model.config.save_pretrained(d)
        sd = {k[len("transformer."):]: v.contiguous() for k, v in model.state_dict().items()
              if k.startswith("transformer.") and not k.endswith((".attn.bias", ".masked_bias"))}
        safetensors.torch.save_file(sd, os.path.join(d, "model.safetensors"), {"format": "pt"})
        out.append(("st-noprefix", d, cls))
    if fam == "bert":  # a BertModel file read as BertLMHeadModel: cls is created
        # (without the pooler: BertLMHeadModel has none, and transformers 4.36
        # raises KeyError on a disk-offloaded safetensors file with keys the
        # class lacks, whatever the map)
        d = os.path.join(root, "st-lmhead")
        T.BertModel(model.config, add_pooling_layer=False).save_pretrained(
            d, safe_serialization=True)
        cfg = json.load(open(os.path.join(d, "config.json")))
        cfg["architectures"] = ["BertLMHeadModel"]
        cfg["is_decoder"] = True
        json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
        out.append(("st-lmhead", d, T.BertLMHeadModel))
        # as older transformers saved it (MiniLM on the hub): position_ids stored
        d = os.path.join(root, "st-posids")
        model.save_pretrained(d, safe_serialization=True)
        sd = safetensors.torch.load_file(os.path.join(d, "model.safetensors"))
        sd["embeddings.position_ids"] = torch.arange(model.config.max_position_embeddings)[None]
        safetensors.torch.save_file(sd, os.path.join(d, "model.safetensors"), {"format": "pt"})
        out.append(("st-posids", d, cls))
    return out


def run_case(binary, engine, d, cls, budget, off):
    mp = os.path.join(d, "map.json")
    if os.path.exists(mp):
        os.remove(mp)
    r = subprocess.run([binary, "plan", "--engine", engine, "--seq", "16", "-o", mp,
                        "--max-memory", f"cpu={budget}", "--offload-folder", off, d],
                       capture_output=True, text=True)
    if r.returncode == 11 and not os.path.exists(mp) and len(r.stderr.strip().splitlines()) == 1:
        return "refused", r.stderr.strip()
    if r.returncode != 0:
        return "fail", f"vramfit exit {r.returncode}: {r.stderr.strip()}"
    if not os.path.exists(mp):
        return "fail", "exit 0 and no map written"
    dm = json.load(open(mp))
    try:
        loaded = cls.from_pretrained(d, device_map=dm, offload_folder=off,
                                     torch_dtype=torch.float32).eval()
    except Exception as e:  # noqa: BLE001 - transformers' verdict is the test
        return "fail", f"from_pretrained(device_map=...) refused: {type(e).__name__}: {e}"
    mods = dict(loaded.named_modules(remove_duplicate=False))  # T5's shared embeddings
    alien = [k for k in dm if k not in mods]
    if alien:
        return "fail", f"keys that are not modules of {cls.__name__}: {alien}"
    plain = cls.from_pretrained(d, torch_dtype=torch.float32).eval()
    est = json.loads(subprocess.run([binary, "estimate", "--json", "--engine", engine, d],
                                    capture_output=True, text=True, check=True).stdout)
    # the model as the map loaded it (4.36 unties BertLMPredictionHead's
    # decoder.bias when it builds the model empty for a device_map)
    if est["parameters"]["total"] != loaded.num_parameters():
        return "fail", (f"vramfit counts {est['parameters']['total']} parameters, "
                        f"{cls.__name__} loaded with the map has {loaded.num_parameters()}")
    want, got = outputs(plain, cls), outputs(loaded, cls)
    if want.shape != got.shape or not torch.equal(want, got):
        return "fail", "outputs differ from the plainly loaded model"
    where = sorted({str(v) for v in dm.values()})
    return "ok", f"{len(dm)} keys on {','.join(where)}"


def main():
    binary, engine, fams = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3:]
    counts = {"ok": 0, "refused": 0, "fail": 0}
    torch.manual_seed(0)
    for fam in fams:
        cls, cfg = FAMILIES[fam]()
        model = cls(cfg).eval()
        size = sum(p.numel() * p.element_size() for p in model.parameters())
        with tempfile.TemporaryDirectory() as root:
            for label, d, lcls in save_variants(fam, cls, model, root):
                for frac in (1.0, 0.5, 0.25):
                    off = os.path.join(root, "offload-" + label)
                    status, note = run_case(binary, engine, d, lcls, int(size * frac), off)
                    if status == "refused" and frac == 1.0:
                        status = "fail"
                    counts[status] += 1
                    word = {"ok": "ok  ", "refused": "ref ", "fail": "FAIL"}[status]
                    print(f"{word} {fam:10s} {label:11s} cpu={int(frac * 100):3d}%  {note}",
                          flush=True)
    print(f"transformers {T.__version__}: {counts['ok']} loaded and equal, "
          f"{counts['refused']} refused by vramfit (exit 11), {counts['fail']} failed")
    sys.exit(1 if counts["fail"] else 0)


if __name__ == "__main__":
    main()
