#!/usr/bin/env python3
"""The oracle for config-only parameter counts: every model type transformers
knows, built on the meta device from its default config.

For each model_type in transformers' CONFIG_MAPPING this builds the model
class a user would load (seq2seq LM, else causal LM, else masked LM, else
the base model) with accelerate's init_empty_weights (nothing is
allocated), ties made in __init__ kept (model.tie_weights()), and counts the
parameters the way transformers does (model.parameters() yields a shared
parameter once).  It writes, per type, the config.json a checkpoint of that
model would carry (to_dict() plus "architectures") and the count:

  OUTDIR/configs/<model_type>.json
  OUTDIR/counts.json   {"transformers": version, "types": {model_type:
                        {"class": name, "parameters": N} | {"error": why}}}

usage: gen_meta_counts.py OUTDIR   (run with the venv's python; re-run when
the pinned transformers changes; the sweep reads what it wrote)
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import transformers  # noqa: E402
from accelerate import init_empty_weights  # noqa: E402
from transformers.models.auto import modeling_auto as ma  # noqa: E402
from transformers.models.auto.configuration_auto import CONFIG_MAPPING  # noqa: E402

MAPPINGS = ["MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES", "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES",
            "MODEL_FOR_MASKED_LM_MAPPING_NAMES", "MODEL_MAPPING_NAMES"]


def class_for(model_type):
    for m in MAPPINGS:
        name = getattr(ma, m).get(model_type)
        if isinstance(name, (list, tuple)):
            name = name[0]
        if name and hasattr(transformers, name):
            return name
    return None


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "configs"), exist_ok=True)
    types = {}
    for mt in sorted(CONFIG_MAPPING.keys()):
        name = class_for(mt)
        if not name:
            types[mt] = {"error": "no model class"}
            continue
        try:
            cfg = CONFIG_MAPPING[mt]()
            cls = getattr(transformers, name)
            with init_empty_weights():
                model = cls(cfg)
            model.tie_weights()
            n = sum(p.numel() for p in model.parameters())
        except Exception as e:  # a type that needs other packages or inputs
            types[mt] = {"class": name, "error": f"{type(e).__name__}: {str(e)[:160]}"}
            continue
        d = cfg.to_dict()
        d["architectures"] = [name]
        d["model_type"] = mt
        with open(os.path.join(out, "configs", f"{mt}.json"), "w") as f:
            json.dump(d, f, indent=1, sort_keys=True, default=str)
        types[mt] = {"class": name, "parameters": n}
        print(f"{mt:28s} {name:40s} {n:>14,}", flush=True)
    with open(os.path.join(out, "counts.json"), "w") as f:
        json.dump({"transformers": transformers.__version__, "types": types}, f, indent=1,
                  sort_keys=True)


if __name__ == "__main__":
    main()
