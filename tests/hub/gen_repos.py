#!/usr/bin/env python3
"""Writes the models the hub tests serve, and the hub's URL space over them.

usage: gen_repos.py OUT SPARSE_DIR

OUT/models/ORG__NAME/     the files as on disk (what `inspect DIR` reads)
OUT/www/                  the tree nginx serves (tests/hub/nginx.conf.in):
  api/models/ORG/NAME/revision/REV   {"sha", "siblings": [{"rfilename", "size"}]}
  ORG/NAME/resolve/SHA/FILE          links to OUT/models/ORG__NAME/FILE
OUT/repos.tsv             ID <tab> local folder, one line per good repo

Good repos: models written by transformers' save_pretrained (safetensors
single and sharded, .bin single and sharded, a tied GPT-2), and the real-size
sparse layouts of bench/gen_sparse.py found in SPARSE_DIR (Llama-3.1-70B 30
shards, DeepSeek-V3 163 shards, Llama-2-7b .bin zip64 shards, a GGUF).
Repos under bad/ misbehave (the nginx config says how, this script what they
hold).
"""
import hashlib
import json
import os
import struct
import sys


def sha_of(s):
    return hashlib.sha1(s.encode()).hexdigest()


def publish(out, repo, folder, rev="main", sha=None, siblings=None):
    sha = sha or sha_of(repo + "@" + rev)
    names = sorted(
        os.path.relpath(os.path.join(d, f), folder)
        for d, _, fs in os.walk(folder)
        for f in fs
    )
    sib = siblings if siblings is not None else [
        {"rfilename": n, "size": os.path.getsize(os.path.join(folder, n))} for n in names
    ]
    api = os.path.join(out, "www/api/models", repo, "revision")
    os.makedirs(api, exist_ok=True)
    with open(os.path.join(api, rev), "w") as f:
        json.dump({"id": repo, "sha": sha, "siblings": sib}, f)
    res = os.path.join(out, "www", repo, "resolve", sha)
    for n in names:
        p = os.path.join(res, n)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if not os.path.lexists(p):
            os.symlink(os.path.abspath(os.path.join(folder, n)), p)
    return sha


def tiny_models(models):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128,
                      num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=4,
                      max_position_embeddings=512)
    llama = LlamaForCausalLM(cfg).to(torch.bfloat16)
    made = {}
    for name, kw in [("llama-st", dict(safe_serialization=True)),
                     ("llama-st-sharded", dict(safe_serialization=True, max_shard_size="60KB")),
                     ("llama-bin", dict(safe_serialization=False)),
                     ("llama-bin-sharded", dict(safe_serialization=False, max_shard_size="60KB"))]:
        d = os.path.join(models, "tiny__" + name)
        if not os.path.isdir(d):
            llama.save_pretrained(d, **kw)
        made["tiny/" + name] = d
    # shards without an index, beside a subfolder (the listing is read)
    d = os.path.join(models, "tiny__noindex")
    if not os.path.isdir(d):
        src = made["tiny/llama-st-sharded"]
        os.makedirs(os.path.join(d, "original"))
        for f in os.listdir(src):
            if f != "model.safetensors.index.json":
                os.link(os.path.join(src, f), os.path.join(d, f))
        with open(os.path.join(d, "original", "params.json"), "w") as f:
            f.write('{"dim": 64}')
    made["tiny/noindex"] = d
    # a legacy (pre-zip) PyTorch pickle: read on demand
    d = os.path.join(models, "tiny__legacy")
    if not os.path.isdir(d):
        os.makedirs(d)
        torch.save(llama.state_dict(), os.path.join(d, "pytorch_model.bin"),
                   _use_new_zipfile_serialization=False)
        cfg.save_pretrained(d)
    made["tiny/legacy"] = d
    g = GPT2LMHeadModel(GPT2Config(vocab_size=128, n_positions=64, n_embd=32, n_layer=2,
                                   n_head=4))
    d = os.path.join(models, "tiny__gpt2-tied")
    if not os.path.isdir(d):
        g.save_pretrained(d, safe_serialization=True)
    made["tiny/gpt2-tied"] = d
    return made


def main():
    out, sparse = sys.argv[1], sys.argv[2]
    models = os.path.join(out, "models")
    os.makedirs(models, exist_ok=True)
    good = tiny_models(models)
    for name, repo in [("llama-3.1-70b", "meta-llama/Llama-3.1-70B"),
                       ("deepseek-v3", "deepseek-ai/DeepSeek-V3"),
                       ("llama-2-7b-bin", "meta-llama/Llama-2-7b-hf"),
                       ("llama-3.1-8b-gguf", "bartowski/Llama-3.1-8B-GGUF")]:
        if os.path.isdir(os.path.join(sparse, name)):
            good[repo] = os.path.join(sparse, name)
    with open(os.path.join(out, "repos.tsv"), "w") as f:
        for repo, d in good.items():
            publish(out, repo, d)
            f.write("%s\t%s\n" % (repo, os.path.abspath(d)))
    # a tag pointing at another commit of the same files
    publish(out, "tiny/llama-st", good["tiny/llama-st"], rev="v1", sha=sha_of("v1"))

    # ---- bad repos ----
    st = good["tiny/llama-st"]
    for r in ["bad/gated", "bad/slow", "bad/flaky", "bad/loop"]:
        publish(out, r, st)
    if "meta-llama/Llama-3.1-70B" in good:
        publish(out, "bad/norange", good["meta-llama/Llama-3.1-70B"])
    # a safetensors file whose header length claims more than the file holds
    d = os.path.join(models, "bad__truncated")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 1 << 20) + b'{"a":')
    publish(out, "bad/truncated", d)
    # file lists: not JSON; far too large; no commit; a name that leaves the repo
    api = os.path.join(out, "www/api/models")
    for r, body in [("bad/badjson", b'{"sha": "0123", "siblings": [ oops'),
                    ("bad/nosha", b'{"siblings": []}'),
                    ("bad/evilname", json.dumps({"sha": sha_of("e"), "siblings": [
                        {"rfilename": "../../etc/passwd"}]}).encode())]:
        os.makedirs(os.path.join(api, r, "revision"), exist_ok=True)
        with open(os.path.join(api, r, "revision", "main"), "wb") as f:
            f.write(body)
    os.makedirs(os.path.join(api, "bad/huge/revision"), exist_ok=True)
    with open(os.path.join(api, "bad/huge/revision/main"), "wb") as f:
        f.write(b'{"sha": "')
        f.truncate(80 << 20)  # sparse: 80 MiB of NULs after a start of JSON


main()
