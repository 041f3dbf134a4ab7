#!/usr/bin/env python3
"""The safetensors writer at every header length, read back by vramfit.

The `safetensors` library pads its JSON header with spaces to a multiple of
8, so the first byte of a file (the low byte of the header length) takes
every value a multiple of 8 can have: 0x20 (a space) for 1 file in 32, and
0x80 followed by 0x02..0x05 (a pickle's PROTO opcode) for header lengths
640, 896, 1152, 1408 mod 65536.  This writes, with the real writer, one file
for every header length from 8 bytes to past 64 KiB (every multiple of 8),
under three names (.safetensors, no extension, .bin: hard links), and checks
that `vramfit inspect --json --tensors PATH` reports for each exactly the
tensors safe_open reports (names, dtypes, shapes; offsets from the header
the writer wrote).  Lengths the writer cannot produce are counted and said.

usage: sweep.py VRAMFIT WORKDIR [STEP]
  STEP: test every STEP-th length only (the ASan tier uses 16); the lengths
  whose first bytes look like JSON or a pickle are always tested.
Prints a closing 'N passed, N failed' line.
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np
import safetensors.numpy as stn
from safetensors import safe_open

MAX_LEN = 65536 + 512  # past 64 KiB, so the second byte wraps too
DT = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "U8": np.uint8}


def content(length):
    """Tensors and metadata whose header the writer pads to `length`, or None."""
    if length == 8:
        return {}, None
    for ntensors in (2, 1, 0):
        tensors = {}
        for i in range(ntensors):
            dt = ("F32", "F16", "I64")[(length // 8 + i) % 3]
            tensors[f"w{i}"] = np.zeros((1 + i, 2), DT[dt])
        h = header_of(tensors, {"p": ""})
        bare = len(h.rstrip(b" "))  # the JSON before the writer's padding
        # the pad string takes the rest, leaving a few spaces of the
        # writer's own padding in some lengths (length//8 % 4 of them)
        for spaces in range((length // 8) % 4, -1, -1):
            k = length - bare - spaces
            if k >= 0 and len(header_of(tensors, {"p": "x" * k})) == length:
                return tensors, {"p": "x" * k}
    return None


def header_of(tensors, meta):
    b = stn.save(tensors, metadata=meta)
    n = struct.unpack("<Q", b[:8])[0]
    return b[8:8 + n]


def first_bytes_matter(length):
    lo, hi = length & 0xFF, (length >> 8) & 0xFF
    return lo in (0x20, 0x0A, 0x7B) or (lo == 0x80 and 2 <= hi <= 5)


def write(workdir, step):
    """Writes the files; returns [(length, base path, expected tensors)]."""
    cases, skipped = [], []
    os.makedirs(workdir, exist_ok=True)
    for length in range(8, MAX_LEN + 1, 8):
        if (length // 8) % step and not first_bytes_matter(length):
            continue
        c = content(length)
        if c is None:
            skipped.append(length)
            continue
        tensors, meta = c
        base = os.path.join(workdir, f"h{length}")
        path = base + ".safetensors"
        if not os.path.exists(path):
            stn.save_file(tensors, path, metadata=meta)
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            assert n == length, (length, n)
            header = json.loads(f.read(n))
        for alias in (base, base + ".bin"):
            if not os.path.exists(alias):
                os.link(path, alias)
        want = {}
        with safe_open(path, framework="np") as f:
            for name in f.keys():
                sl = f.get_slice(name)
                begin = header[name]["data_offsets"][0]
                want[name] = (sl.get_dtype(), list(sl.get_shape()), 8 + n + begin)
        cases.append((length, base, want))
    return cases, skipped


def run_all(binary, paths):
    """vramfit inspect --json --tensors on each path, in one shell loop."""
    script = 'for p in "$@"; do "$0" inspect --json --tensors "$p" 2>&1; echo "@@rc=$?"; done'
    out = subprocess.run(["bash", "-c", script, binary, *paths], capture_output=True,
                         text=True).stdout
    parts = out.split("@@rc=")  # records of "<output>@@rc=N\n"
    results = []
    for i in range(len(paths)):
        body = parts[i] if i == 0 else parts[i].partition("\n")[2]
        rc = int(parts[i + 1].partition("\n")[0])
        results.append((rc, body))
    return results


def main():
    binary, workdir = os.path.abspath(sys.argv[1]), sys.argv[2]
    step = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    cases, skipped = write(workdir, step)
    passed = failed = 0
    for suffix in (".safetensors", "", ".bin"):
        paths = [base + suffix for _, base, _ in cases]
        for (length, base, want), (rc, body) in zip(cases, run_all(binary, paths)):
            errs = []
            if rc != 0:
                errs.append(f"exit {rc}: {body.strip()}")
            else:
                got = json.loads(body)
                if got["format"] != "safetensors":
                    errs.append(f"format {got['format']}")
                have = {t["name"]: (t["dtype"], t["shape"], t["offset"])
                        for t in got.get("tensor_list", [])}
                if have != want:
                    errs.append(f"tensors {have} != safe_open's {want}")
            if errs:
                failed += 1
                if failed <= 20:
                    print(f"FAIL header {length} ({base + suffix}): {'; '.join(errs)}")
            else:
                passed += 1
    first = {}
    for length, _, _ in cases:
        first.setdefault(length & 0xFF, 0)
        first[length & 0xFF] += 1
    print(f"sweep: {len(cases)} header lengths 8..{MAX_LEN} (step {step}), 3 names each; "
          f"{len(first)} distinct first bytes; writer cannot produce {skipped}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
