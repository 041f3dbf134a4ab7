#!/usr/bin/env python3
"""Folders as transformers 4.36 writes them, read by vramfit as
from_pretrained reads them.

Each folder is written by the real writers (save_pretrained, Trainer, peft
when installed) and loaded back with from_pretrained; vramfit must read the
same files: its parameter count equals the loaded model's unique parameters
(ties counted once), its files are the ones from_pretrained names, a
Trainer's optimizer.pt is reported apart with the bytes torch.load finds in
it, and a PEFT adapter folder is recognised and refused by estimate.

usage: folders.py VRAMFIT WORKDIR
Prints one line per case and a closing 'N passed, N failed' line.
"""
import json
import os
import shutil
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("WANDB_DISABLED", "true")

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import (LlamaConfig, LlamaForCausalLM, Trainer,  # noqa: E402
                          TrainingArguments)

torch.manual_seed(0)
transformers.utils.logging.disable_progress_bar()


def tiny(tied):
    cfg = LlamaConfig(vocab_size=96, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=64, tie_word_embeddings=tied)
    return LlamaForCausalLM(cfg)


def inspect(binary, path, *args):
    r = subprocess.run([binary, "inspect", "--json", *args, path], capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise AssertionError(f"inspect exit {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def unique_params(model):
    return sum(p.numel() for p in model.parameters())


def storage_bytes(obj, seen):
    if isinstance(obj, torch.Tensor):
        key = obj.untyped_storage().data_ptr() if hasattr(obj, "untyped_storage") \
            else obj.storage().data_ptr()
        if key in seen:
            return 0
        seen.add(key)
        return obj.storage().nbytes()
    if isinstance(obj, dict):
        return sum(storage_bytes(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(storage_bytes(v, seen) for v in obj)
    return 0


def loaded_like(binary, d, want_files, *args, variant=None):
    got = inspect(binary, d, *args)
    model = transformers.AutoModelForCausalLM.from_pretrained(d, variant=variant)
    errs = []
    if got["parameters"] != unique_params(model):
        errs.append(f"parameters {got['parameters']}, from_pretrained {unique_params(model)}")
    names = sorted(os.path.basename(f) for f in got["files"])
    if names != sorted(want_files):
        errs.append(f"files {names}, want {sorted(want_files)}")
    return got, errs


def train_folder(work, name, safe):
    model = tiny(False)
    data = [{"input_ids": torch.arange(8), "labels": torch.arange(8)} for _ in range(2)]
    args = TrainingArguments(output_dir=os.path.join(work, name), max_steps=1, save_steps=1,
                             per_device_train_batch_size=1, report_to=[],
                             save_safetensors=safe, use_cpu=True, disable_tqdm=True)
    trainer = Trainer(model=model, args=args, train_dataset=data)
    trainer.train()
    trainer.save_model()  # the output folder: the model + training_args.bin
    return os.path.join(work, name)


def main():
    binary, work = os.path.abspath(sys.argv[1]), sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    passed = failed = 0

    def case(name, fn):
        nonlocal passed, failed
        try:
            errs = fn()
        except Exception as e:  # a failing check is a failed case, not a crash
            errs = [f"{type(e).__name__}: {e}"]
        if errs:
            failed += 1
            print(f"FAIL {name}: {'; '.join(errs)}")
        else:
            passed += 1
            print(f"ok   {name}")

    def single_tied():
        d = os.path.join(work, "tied")
        tiny(True).save_pretrained(d)
        got, errs = loaded_like(binary, d, ["model.safetensors"])
        if any(t["name"] == "lm_head.weight" for t in inspect(binary, d, "--tensors")
               ["tensor_list"]):
            errs.append("the writer left lm_head.weight out, yet vramfit lists it")
        return errs

    def sharded(safe):
        d = os.path.join(work, f"sharded-{safe}")
        tiny(False).save_pretrained(d, max_shard_size="20KB", safe_serialization=safe)
        index = json.load(open(os.path.join(d, "model.safetensors.index.json" if safe
                                            else "pytorch_model.bin.index.json")))
        return loaded_like(binary, d, set(index["weight_map"].values()))[1]

    def single_bin():
        d = os.path.join(work, "bin")
        tiny(False).save_pretrained(d, safe_serialization=False)
        return loaded_like(binary, d, ["pytorch_model.bin"])[1]

    def single_beats_index():
        # model.safetensors is read before an index, as from_pretrained does
        d = os.path.join(work, "both")
        tiny(False).save_pretrained(d, max_shard_size="20KB")
        m = tiny(False)
        m.config.num_hidden_layers = 1
        m.model.layers = m.model.layers[:1]
        save_file({k: v.contiguous() for k, v in m.state_dict().items()},
                  os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
        # from_pretrained reads this file (and initialises the layer it
        # lacks): vramfit must count this file's tensors, not the shards'
        got = inspect(binary, d)
        want = sum(v.numel() for v in m.state_dict().values())
        errs = [] if got["parameters"] == want else [f"parameters {got['parameters']}, "
                                                      f"model.safetensors has {want}"]
        if [os.path.basename(f) for f in got["files"]] != ["model.safetensors"]:
            errs.append(f"files {got['files']}")
        return errs

    def consolidated():
        # Mistral's repos: consolidated.safetensors beside the HF shards
        d = os.path.join(work, "consolidated")
        m = tiny(False)
        m.save_pretrained(d, max_shard_size="20KB")
        save_file({k: v.contiguous() for k, v in m.state_dict().items()},
                  os.path.join(d, "consolidated.safetensors"))
        index = json.load(open(os.path.join(d, "model.safetensors.index.json")))
        return loaded_like(binary, d, set(index["weight_map"].values()))[1]

    def variant():
        d = os.path.join(work, "variant")
        m = tiny(False)
        m.save_pretrained(d)
        m.half().save_pretrained(d, variant="fp16")
        plain = inspect(binary, d)
        got, errs = loaded_like(binary, d, ["model.fp16.safetensors"], "--variant", "fp16",
                                variant="fp16")
        if list(got["by_dtype"]) != ["F16"] or list(plain["by_dtype"]) != ["F32"]:
            errs.append(f"dtypes {list(got['by_dtype'])} with --variant fp16, "
                        f"{list(plain['by_dtype'])} without")
        r = subprocess.run([binary, "inspect", "--variant", "int4", d], capture_output=True,
                           text=True)
        if r.returncode != 1 or "--variant int4" not in r.stderr:
            errs.append(f"--variant int4: exit {r.returncode}, {r.stderr.strip()!r}")
        return errs

    def trainer(safe):
        out = train_folder(work, f"trainer-{safe}", safe)
        weights = "model.safetensors" if safe else "pytorch_model.bin"
        errs = []
        for d in (out, os.path.join(out, "checkpoint-1")):
            got, e = loaded_like(binary, d, [weights])
            errs += [f"{os.path.basename(d)}: {x}" for x in e]
            opt = os.path.join(d, "optimizer.pt")
            if os.path.exists(opt):
                want = storage_bytes(torch.load(opt, map_location="cpu"), set())
                if got["optimizer_bytes"] != want:
                    errs.append(f"optimizer_bytes {got['optimizer_bytes']}, torch.load "
                                f"{want}")
                if not any("optimizer.pt" in w for w in got["warnings"]):
                    errs.append("optimizer.pt is not reported")
            elif d != out:
                errs.append("the Trainer wrote no optimizer.pt")
        return errs

    def adapter():
        d = os.path.join(work, "adapter")
        import peft  # pinned in tests/requirements-nodeps.txt: the real writer
        base = tiny(False)
        model = peft.get_peft_model(base, peft.LoraConfig(r=4, target_modules=["q_proj"]))
        model.save_pretrained(d)
        writer = f"peft {peft.__version__}"
        got = inspect(binary, d)
        errs = []
        if not got.get("adapter") or "PEFT adapter" not in got["adapter"]["note"]:
            errs.append(f"adapter not recognised ({writer}): {got.get('adapter')}")
        r = subprocess.run([binary, "estimate", d], capture_output=True, text=True)
        if r.returncode != 1 or "a PEFT adapter (LORA, r=4)" not in r.stderr or r.stdout:
            errs.append(f"estimate: exit {r.returncode}, {r.stderr.strip()!r}")
        return errs

    case("tied Llama, model.safetensors without lm_head", single_tied)
    case("sharded safetensors + index", lambda: sharded(True))
    case("sharded .bin + index", lambda: sharded(False))
    case("pytorch_model.bin", single_bin)
    case("model.safetensors before its index", single_beats_index)
    case("consolidated.safetensors beside HF shards", consolidated)
    case("--variant fp16", variant)
    case("Trainer output and checkpoint-1 (safetensors)", lambda: trainer(True))
    case("Trainer output and checkpoint-1 (.bin)", lambda: trainer(False))
    case("PEFT adapter folder", adapter)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
