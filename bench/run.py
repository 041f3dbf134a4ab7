#!/usr/bin/env python3
"""Times vramfit against what users run instead, on the sparse checkpoints of
bench/gen_sparse.py, and writes bench/results.md.

usage: run.py [--vramfit ./vramfit] [--bench build/bench] [--python PY]
              [--reps 15] [--budget 60] [--out bench/results.md] [--only NAME,...]
              [--skip-slow] [--measure PATH]

Every measurement is one child process per run, started by bench/measure.c
(a small helper, so that the child's ru_maxrss does not start from the
Python driver's ~16 MiB):
  wall      CLOCK_MONOTONIC from spawn to exit (process start-up included, for
            vramfit and Python alike); median and min over the runs
  peak RSS  ru_maxrss of the child (wait4); /bin/true measures ~1 MiB
  read      rchar of /proc/<pid>/io, read after the child exits but before it
            is reaped (waitid WNOWAIT): every byte the process got from read()
            and pread(), its own executable's and libraries' ELF headers and,
            for Python, its .py/.pyc files too.  Pages reached through mmap
            (gguf.GGUFReader uses numpy.memmap) do not count.
Each measurement gets one warm-up run, then up to --reps runs, stopping early
(at 3 runs at least) once --budget seconds are spent: the slow baselines get
fewer runs, and the table says how many.

`vramfit plan` is timed when `vramfit --help` lists it, with
VRAMFIT_PLAN_ARGS (default "--json --gpu h200:8"); the accelerate baseline
gets the same 8 x 140 GiB.
"""
import datetime
import hashlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


MEASURE = None  # bench/measure.c, built by bench.mk or by ensure_measure()


def ensure_measure(path, tmp):
    """The measuring helper: PATH if given, else compiled from bench/measure.c."""
    global MEASURE
    if path:
        MEASURE = os.path.abspath(path)
        return
    MEASURE = os.path.join(tmp, "measure")
    subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-O2", "-o", MEASURE,
                    os.path.join(HERE, "measure.c")], check=True)


def measure_once(argv, out_path):
    r = subprocess.run([MEASURE, out_path, out_path + ".err"] + argv, capture_output=True,
                       text=True)
    if r.returncode != 0:
        return {"rc": 127, "error": r.stderr.strip()}
    wall, cpu, rss, rchar, rbytes, rc = (int(x) for x in r.stdout.split())
    return {"wall": wall / 1e9, "cpu": cpu / 1e9, "rss_kib": rss,
            "rchar": rchar if rchar >= 0 else None,
            "read_bytes": rbytes if rbytes >= 0 else None, "rc": rc}


def measure(argv, reps, budget, tmp):
    out = os.path.join(tmp, "out")
    warm = measure_once(argv, out)
    if warm["rc"] != 0:
        err = open(out + ".err").read().strip().splitlines() if "error" not in warm else \
            [warm["error"]]
        return {"error": "exit %d: %s" % (warm["rc"], err[-1] if err else ""), "argv": argv}
    runs, spent = [], 0.0
    while len(runs) < reps and (len(runs) < 3 or spent < budget):
        r = measure_once(argv, out)
        if r["rc"] != 0:
            return {"error": "exit %d on a repeat" % r["rc"], "argv": argv}
        j = last_json(open(out).read())
        r["work"] = j.get("work_s") if isinstance(j, dict) else None
        runs.append(r)
        spent += r["wall"]
    walls = [r["wall"] for r in runs]
    with open(out) as f:
        stdout = f.read()
    return {"argv": argv, "runs": len(runs), "median": statistics.median(walls),
            "min": min(walls), "max": max(walls),
            "cpu": statistics.median(r["cpu"] for r in runs),
            "work": statistics.median(r["work"] for r in runs) if all(
                r["work"] is not None for r in runs) else None,
            "rss_kib": max(r["rss_kib"] for r in runs),
            "rchar": statistics.median(r["rchar"] for r in runs),
            "read_bytes": max(r["read_bytes"] or 0 for r in runs), "stdout": stdout}


def last_json(s):
    for line in reversed(s.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    try:
        return json.loads(s)
    except ValueError:
        return None


def fmt_ms(s):
    return "%.1f" % (s * 1e3) if s < 10 else "%.0f" % (s * 1e3)


def fmt_bytes(n):
    if n is None:
        return "-"
    for unit, d in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= d:
            return "%.2f %s" % (n / d, unit)
    return "%d B" % n


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 2**20)
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "mem": mem,
            "kernel": platform.release(), "python": platform.python_version()}


def load():
    return tuple(float(x) for x in open("/proc/loadavg").read().split()[:3])


def main():
    a = sys.argv[1:]

    def opt(name, default):
        if name in a:
            return a[a.index(name) + 1]
        return default

    vramfit = os.path.abspath(opt("--vramfit", "./vramfit"))
    bench = opt("--bench", "build/bench")
    py = os.path.abspath(opt("--python", "build/venv/bin/python"))
    reps = int(opt("--reps", "15"))
    budget = float(opt("--budget", "60"))
    out_md = opt("--out", os.path.join(HERE, "results.md"))
    only = opt("--only", None)
    skip_slow = "--skip-slow" in a
    man = json.load(open(os.path.join(bench, "manifest.json")))
    for m in man.values():  # what a header reader must read: headers, index, config
        d = m["path"] if os.path.isdir(m["path"]) else os.path.dirname(m["path"])
        m["meta_bytes"] = m["header_bytes"] + sum(
            os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".json"))
    bl = os.path.join(HERE, "baselines.py")
    load_before = load()
    started = datetime.datetime.now()
    rows = []  # (checkpoint, tool, result, extra)
    tmp = tempfile.mkdtemp(prefix="vfbench.")
    # Time a private copy: others may rebuild ./vramfit while the bench runs.
    shutil.copy2(vramfit, os.path.join(tmp, "vramfit"))
    vramfit = os.path.join(tmp, "vramfit")
    with open(vramfit, "rb") as f:
        vf_sha = hashlib.sha256(f.read()).hexdigest()[:12]
    ensure_measure(opt("--measure", None), tmp)
    help_text = subprocess.run([vramfit, "--help"], capture_output=True, text=True).stdout
    has_plan = any(line.split()[:1] == ["plan"] for line in help_text.splitlines())
    plan_args = shlex.split(os.environ.get("VRAMFIT_PLAN_ARGS", "--json --gpu h200:8"))
    notes = []
    if not has_plan:
        notes.append("`vramfit plan` is not in `vramfit --help` yet: not timed.")
        print("note: " + notes[-1])
    version = subprocess.run([vramfit, "--version"], capture_output=True, text=True).stdout.strip()
    try:
        commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        commit += " (with uncommitted changes)" if dirty else ""
    except OSError:
        commit = "?"
    floors = [measure_once(["/bin/true"], os.path.join(tmp, "out")) for _ in range(7)]
    floor = {"wall": statistics.median(f["wall"] for f in floors),
             "rss_kib": max(f["rss_kib"] for f in floors)}
    order = ["deepseek-v3", "llama-3.1-70b", "llama-2-7b-bin", "llama-3.1-8b-gguf"]
    for name in order:
        if name not in man or (only and name not in only.split(",")):
            continue
        m = man[name]
        path = m["path"]
        print("== %s (%s, %d files, %d tensors, %s apparent, %s on disk)" % (
            name, m["kind"], len(m["files"]), m["tensors"], fmt_bytes(m["apparent_bytes"]),
            fmt_bytes(m["disk_bytes"])), flush=True)
        jobs = [("vramfit inspect --json", [vramfit, "inspect", "--json", path]),
                ("vramfit estimate --json", [vramfit, "estimate", "--json", path])]
        if has_plan:
            jobs.append(("vramfit plan " + " ".join(plan_args),
                         [vramfit, "plan"] + plan_args + [path]))
        if m["kind"] == "safetensors":
            jobs.append(("python header reader", [py, bl, "st_headers", path]))
        if m["kind"] == "torch":
            f = os.path.join(path, m["torch_load_file"])
            jobs.append(("vramfit inspect --json (shard 2 only)",
                         [vramfit, "inspect", "--json", f]))
            jobs.append(("torch.load (shard 2 only, %s)" % fmt_bytes(m["torch_load_bytes"]),
                         [py, bl, "torch_load", f]))
        if m["kind"] == "gguf":
            jobs.append(("gguf.GGUFReader", [py, bl, "gguf_reader", path]))
        if m.get("accelerate") and not skip_slow:
            jobs.append(("accelerate meta model + device map",
                         [py, bl, "accelerate", path, "8", "140"]))
        for label, argv in jobs:
            r = measure(argv, reps, budget, tmp)
            if "error" in r and label.startswith("vramfit plan") and "--gpu" in plan_args:
                argv2 = [vramfit, "plan", path]
                r = measure(argv2, reps, budget, tmp)
                label = "vramfit plan"
            if "error" in r:
                print("  %-44s FAILED: %s" % (label, r["error"]), flush=True)
                rows.append((name, label, r, None))
                continue
            j = last_json(r["stdout"]) if "--json" in argv or argv[0] == py else None
            print("  %-44s %9s ms median (min %s, cpu %s, %d runs)  RSS %6.1f MiB  read %s" % (
                label, fmt_ms(r["median"]), fmt_ms(r["min"]), fmt_ms(r["cpu"]), r["runs"],
                r["rss_kib"] / 1024, fmt_bytes(r["rchar"])), flush=True)
            if r["work"] is not None:
                print("  %-44s %9s ms of it after imports" % ("", fmt_ms(r["work"])))
            rows.append((name, label, r, j))
    load_after = load()
    # ----- report
    mach = machine()
    L = []
    L.append("# vramfit benchmark")
    L.append("")
    L.append("Written by `make bench` (bench/run.py) on %s." % started.strftime("%Y-%m-%d %H:%M"))
    L.append("")
    L.append("- machine: %d CPUs (`nproc`), %s, %s RAM, Linux %s, Python %s" % (
        mach["nproc"], mach["cpu"], mach["mem"], mach["kernel"], mach["python"]))
    L.append("- floor of the method: /bin/true measures %s ms wall (median), %.1f MiB RSS" % (
        fmt_ms(floor["wall"]), floor["rss_kib"] / 1024))
    L.append("- load average (1/5/15 min): %.2f %.2f %.2f before, %.2f %.2f %.2f after" % (
        load_before + load_after))
    L.append("- vramfit: %s, commit %s, binary sha256 %s (a copy of ./vramfit taken at the "
             "start)" % (version or "?", commit, vf_sha))
    L.append("- runs: one warm-up, then up to %d runs per row (at least 3; fewer when a row "
             "would take more than %.0f s); the page cache is warm" % (reps, budget))
    L.append("- median/min ms = wall clock of the whole process, spawn to exit (start-up "
             "included for both sides); CPU ms = median user+sys time (less sensitive to other "
             "load); RSS = ru_maxrss; read = rchar (all bytes returned by read/pread, "
             "including the program's own start-up reads: ~16 kB for vramfit, ~0.5 MB of "
             ".py/.pyc for Python; mmap'ed pages are not counted)")
    L.append("")
    L.append("## Checkpoints (sparse files from bench/gen_sparse.py)")
    L.append("")
    L.append("| checkpoint | format | files | tensors | size (apparent) | headers + index + "
             "config | on disk |")
    L.append("|---|---|--:|--:|--:|--:|--:|")
    for name in order:
        if name in man:
            m = man[name]
            L.append("| %s | %s | %d | %s | %s | %s | %s |" % (
                name, m["kind"], len(m["files"]), "{:,}".format(m["tensors"]),
                fmt_bytes(m["apparent_bytes"]), fmt_bytes(m["meta_bytes"]),
                fmt_bytes(m["disk_bytes"])))
    L.append("")
    L.append("## Results")
    L.append("")
    L.append("| checkpoint | command | median ms | min ms | CPU ms | runs | peak RSS MiB | read | "
             "read / size |")
    L.append("|---|---|--:|--:|--:|--:|--:|--:|--:|")
    for name, label, r, j in rows:
        m = man[name]
        if "error" in r:
            L.append("| %s | %s | failed: %s | | | | | | |" % (name, label,
                                                              r["error"].replace("|", "/")))
            continue
        extra = ""
        if r["work"] is not None:
            extra = " (%s after imports)" % fmt_ms(r["work"])
        L.append("| %s | %s | %s%s | %s | %s | %d | %.1f | %s | %.1e |" % (
            name, label, fmt_ms(r["median"]), extra, fmt_ms(r["min"]), fmt_ms(r["cpu"]), r["runs"],
            r["rss_kib"] / 1024, fmt_bytes(r["rchar"]), (r["rchar"] or 0) / m["apparent_bytes"]))
    L.append("")
    # ratios
    L.append("## Ratios (baseline / vramfit, medians, same checkpoint)")
    L.append("")
    L.append("| checkpoint | baseline | vs vramfit | wall ratio | CPU ratio | "
             "baseline's work after its imports / vramfit's wall |")
    L.append("|---|---|---|--:|--:|--:|")
    by = {(n, l): (r, j) for n, l, r, j in rows}
    for name, label, r, j in rows:
        if label.startswith("vramfit") or "error" in r:
            continue
        ref_label = "vramfit inspect --json"
        if label.startswith("torch.load"):
            ref_label = "vramfit inspect --json (shard 2 only)"
        if label.startswith("accelerate"):
            ref_label = next((l for n, l in by if n == name and l.startswith("vramfit plan")),
                             "vramfit estimate --json")
        ref = by.get((name, ref_label))
        if not ref or "error" in ref[0]:
            continue
        work = r["work"]
        L.append("| %s | %s | %s | %.1fx | %.1fx | %s |" % (
            name, label, ref_label, r["median"] / ref[0]["median"], r["cpu"] / ref[0]["cpu"],
            "%.1fx" % (work / ref[0]["median"]) if work else "-"))
    L.append("")
    # cross-checks
    L.append("## Same numbers?")
    L.append("")
    L.append("| checkpoint | tool | tensors | parameters | bytes | bytes - vramfit's |")
    L.append("|---|---|--:|--:|--:|--:|")
    vf_bytes = {}
    for name, label, r, j in rows:
        if "error" not in r and j and label.startswith("vramfit inspect --json"):
            vf_bytes[(name, label)] = j.get("bytes")
    for name, label, r, j in rows:
        if "error" in r or not j or (label.startswith("vramfit") and
                                      not label.startswith("vramfit inspect --json")):
            continue
        b = j.get("bytes")
        ref = (name, "vramfit inspect --json (shard 2 only)" if label.startswith("torch.load")
               else "vramfit inspect --json")
        diff = "-"
        if ref in vf_bytes and b is not None and not label.startswith("vramfit"):
            diff = "{:+,}".format(b - vf_bytes[ref])
        L.append("| %s | %s | %s | %s | %s | %s |" % (
            name, label, "{:,}".format(j["tensors"]) if "tensors" in j else "-",
            "{:,}".format(j.get("parameters", 0)), "{:,}".format(b or 0), diff))
    L.append("")
    for name, label, r, j in rows:
        if label.startswith("accelerate") and j and "error" not in r:
            L.append("- %s, accelerate: %.2f s building the model on the meta device, %.3f s "
                     "compute_module_sizes, %.3f s infer_auto_device_map; devices used %s%s" % (
                         name, j["build_s"], j["sizes_s"], j["map_s"], ", ".join(j["devices"]),
                         "; " + j["note"] if j.get("note") else ""))
    L.append("")
    # targets
    L.append("## Targets (issue 8)")
    L.append("")
    ds = [(l, r) for n, l, r, j in rows if n == "deepseek-v3" and l.startswith("vramfit")
          and "error" not in r]
    head = by.get(("deepseek-v3", "python header reader"))
    # Judged on wall-clock time, the time a user waits: vramfit reads shards
    # on worker threads, so its CPU time (shown too) is the sum over threads.
    L.append("Judged on the median wall-clock time of the whole process, what a user waits "
             "for; vramfit reads DeepSeek-V3's shards on %d threads, so its CPU time (given "
             "beside it) is the sum over them." % min(os.cpu_count() or 1, 8))
    L.append("")
    for l, r in ds:
        ok = r["median"] < 0.050
        L.append("- DeepSeek-V3 `%s` under 50 ms: %s (median %s ms wall, min %s; %s ms CPU)" % (
            l, "met" if ok else "**missed**", fmt_ms(r["median"]), fmt_ms(r["min"]),
            fmt_ms(r["cpu"])))
        if head and "error" not in head[0]:
            ratio = head[0]["median"] / r["median"]
            cratio = head[0]["cpu"] / r["cpu"]
            L.append("- DeepSeek-V3 `%s` at least 5x faster than the Python header reader: %s "
                     "(%.2fx wall; %.2fx CPU against the whole Python process; %.2fx wall "
                     "against its work after imports)" % (
                         l, "met" if ratio >= 5 else "**missed**", ratio, cratio,
                         head[0]["work"] / r["median"]))
    rss = [(n, l, r["rss_kib"]) for n, l, r, j in rows if l.startswith("vramfit") and "error" not in r]
    if rss:
        worst = max(rss, key=lambda x: x[2])
        L.append("- under 64 MiB RSS: %s (largest: %.1f MiB, %s `%s`)" % (
            "met" if worst[2] < 64 * 1024 else "**missed**", worst[2] / 1024, worst[0], worst[1]))
    L.append("- bytes read independent of checkpoint size: vramfit's reads per checkpoint "
             "against its header bytes:")
    for name, label, r, j in rows:
        if label == "vramfit inspect --json" and "error" not in r:
            m = man[name]
            L.append("  - %s: read %s for %s of headers, index and config, of a %s "
                     "checkpoint" % (name, fmt_bytes(r["rchar"]), fmt_bytes(m["meta_bytes"]),
                fmt_bytes(m["apparent_bytes"])))
    L.append("")
    for n in notes:
        L.append("- " + n)
    for name in order:
        if name in man and man[name].get("note"):
            L.append("- %s: %s" % (name, man[name]["note"]))
    text = "\n".join(L) + "\n"
    path_md = out_md
    with open(path_md + ".tmp", "w") as f:
        f.write(text)
    # keep hand-written analysis below the marker, if the file has one
    marker = "<!-- analysis -->"
    if os.path.exists(path_md):
        old = open(path_md).read()
        if marker in old:
            with open(path_md + ".tmp", "a") as f:
                f.write("\n" + old[old.index(marker):])
    os.replace(path_md + ".tmp", path_md)
    shutil.rmtree(tmp, ignore_errors=True)
    print("\nwrote %s (load %.2f before, %.2f after)" % (path_md, load_before[0], load_after[0]))


if __name__ == "__main__":
    main()
