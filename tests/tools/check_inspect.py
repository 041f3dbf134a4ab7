#!/usr/bin/env python3
"""Conformance: `vramfit inspect --json` against what the safetensors package
reported when it wrote each fixture (see gen_fixtures.py).

usage: check_inspect.py VRAMFIT FIXTURES_DIR
Prints one line per fixture and a closing 'N passed, N failed' line.
"""
import json
import os
import subprocess
import sys


def check_error(binary, root, path, exp):
    """A hostile file: exit 1, nothing on stdout, one stderr line naming it."""
    r = subprocess.run([binary, "inspect", "--json", path], capture_output=True, text=True)
    errs = []
    lines = r.stderr.splitlines()
    if r.returncode != 1:
        errs.append(f"exit {r.returncode}, want 1")
    if r.stdout:
        errs.append("stdout is not empty")
    if len(lines) != 1 or not lines[0].startswith(f"vramfit: {path}: "):
        errs.append(f"stderr is not one line 'vramfit: {path}: ...': {r.stderr!r}")
    elif exp["error"] not in lines[0]:
        errs.append(f"message {lines[0]!r} lacks {exp['error']!r}")
    if "absent_after" in exp and os.path.exists(os.path.join(root, exp["absent_after"])):
        errs.append(f"{exp['absent_after']} exists: something was executed")
    return errs


def check(binary, path, exp):
    r = subprocess.run([binary, "inspect", "--json", *exp.get("args", []), path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return [f"exit {r.returncode}: {r.stderr.strip()}"]
    got = json.loads(r.stdout)
    errs = []
    for key in ("format", "tensors", "parameters", "bytes", "by_dtype"):
        if got[key] != exp[key]:
            errs.append(f"{key}: got {got[key]!r}, want {exp[key]!r}")
    layers = {l["name"]: {"parameters": l["parameters"], "bytes": l["bytes"]}
              for l in got["layers"]}
    if exp["layers"] and layers != exp["layers"]:
        errs.append(f"layers: got {sorted(layers)}, want {sorted(exp['layers'])}")
    if exp["ordered"] and exp["groups"]:
        names = [l["name"] for l in got["layers"]]
        at = 0
        for g in exp["groups"]:
            if set(names[at:at + len(g)]) != set(g):
                errs.append(f"layer order: at {at} got {names[at:at + len(g)]}, want {g}")
                break
            at += len(g)
    if "metadata" in exp and got["metadata"] != exp["metadata"]:
        errs.append(f"metadata: got {got['metadata']}, want {exp['metadata']}")
    if got["largest_layer"] is not None:
        biggest = max(got["layers"], key=lambda l: l["bytes"])["bytes"]
        lay = next(l for l in got["layers"] if l["name"] == got["largest_layer"])
        if lay["bytes"] != biggest:
            errs.append("largest_layer is not the layer with the most bytes")
    return errs


def main():
    binary, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    with open(f"{root}/expected.json") as f:
        expected = json.load(f)
    passed = failed = 0
    for rel, exp in sorted(expected.items()):
        path = f"{root}/{exp.get('path', rel)}"
        if "error" in exp:
            errs = check_error(binary, root, path, exp)
        else:
            errs = check(binary, path, exp)
        if errs:
            failed += 1
            print(f"FAIL {rel}")
            for e in errs:
                print(f"     {e}")
        else:
            passed += 1
            print(f"ok   {rel}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
