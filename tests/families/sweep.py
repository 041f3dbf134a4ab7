#!/usr/bin/env python3
"""Config-only parameter counts against transformers' own, for every model
type it knows (the oracle's counts: gen_meta_counts.py, stored under
tests/data/families-<version>/).

Each stored config.json is given to `vramfit estimate --json`; the result is
classed as
  exact        parameters.total equals the meta-device model's
  approximate  labelled "approximate" and within 1%
  refused      exit 1 with one line naming the file
  wrong        exit 0 with another count (unlabelled, or off by more than 1%)
  crash        any other exit, a signal, or an error that is not one line
The sweep prints every type and the counts, and fails on any wrong or crash
and when fewer types are exact than the README claims ("N of the M model
types").

usage: sweep.py VRAMFIT DATADIR README
"""
import json
import os
import re
import subprocess
import sys


def classify(binary, path, want, engine):
    r = subprocess.run([binary, "estimate", "--json", "--engine", engine, path],
                       capture_output=True, text=True)
    lines = r.stderr.splitlines()
    if r.returncode == 1 and len(lines) == 1 and lines[0].startswith(f"vramfit: {path}: "):
        return "refused", lines[0][len(f"vramfit: {path}: "):]
    if r.returncode != 0:
        return "crash", f"exit {r.returncode}: {r.stderr.strip()[:200]}"
    got = json.loads(r.stdout)
    n = got["parameters"]["total"]
    err = (n - want) / want if want else float(n != 0)
    if n == want:
        return "exact", ""
    if got.get("approximate") and abs(err) <= 0.01:
        return "approximate", f"{err:+.2%}"
    return "wrong", f"{n:,} vs {want:,} ({err:+.1%}){' approximate' if got.get('approximate') else ''}"


def main():
    binary, data, readme = sys.argv[1:4]
    binary = os.path.abspath(binary)
    counts = json.load(open(os.path.join(data, "counts.json")))
    # the oracle's transformers decides the engine: 4.36's ties as built for
    # a device_map (BERT's decoder bias is a second tensor there) are hf436's
    engine = "hf436" if counts["transformers"].startswith("4.36") else "hf"
    classes = {}
    for mt, c in sorted(counts["types"].items()):
        if "parameters" not in c:
            continue  # transformers itself could not build it here
        path = os.path.join(data, "configs", f"{mt}.json")
        cls, why = classify(binary, path, c["parameters"], engine)
        classes.setdefault(cls, []).append(mt)
        print(f"{cls:12s} {mt:28s} {why}")
    total = sum(len(v) for v in classes.values())
    summary = ", ".join(f"{len(classes.get(k, []))} {k}" for k in
                        ("exact", "approximate", "refused", "wrong", "crash"))
    print(f"families (transformers {counts['transformers']}): {total} types: {summary}")
    m = re.search(r"\*\*(\d+) of the (\d+) model types\*\*", open(readme).read())
    claimed = int(m.group(1)) if m else None
    fails = len(classes.get("wrong", [])) + len(classes.get("crash", []))
    exact = len(classes.get("exact", []))
    if claimed is None:
        print("README claims no count (\"**N of the M model types**\")")
        fails += 1
    elif exact < claimed:
        print(f"README claims {claimed} exact types, the sweep finds {exact}")
        fails += 1
    print(f"{total - fails} passed, {fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
