#!/bin/sh
# seed.sh FIXTURES CORPUS [MODELS] - seeds each harness's corpus from the test
# fixtures (build/fixtures, made by `make fixtures`), the real config.json files
# in MODELS (../shared/models) and the hand-made seeds in tests/fuzz/seeds.
# Files over 1 MiB (the harnesses' input cap) are left out.  Files are copied
# as seed-<path>, so running this again refreshes the seeds without touching
# what the fuzzer has added to the corpus.
set -eu
fix=$1
out=$(mkdir -p "$2" && cd "$2" && pwd) # absolute: zip runs in another folder
models=${3:-}
max=1048576

add() { # add HARNESS FILE
	[ -f "$2" ] || return 0
	[ "$(wc -c <"$2")" -le $max ] || return 0
	mkdir -p "$out/$1"
	cp "$2" "$out/$1/seed-$(printf '%s' "${2#"$fix"/}" | tr '/' '_')"
}

for h in safetensors index config pickle zip legacy gguf archive; do
	mkdir -p "$out/$h"
	if [ -d "tests/fuzz/seeds/$h" ]; then
		for f in tests/fuzz/seeds/"$h"/*; do
			[ -f "$f" ] && cp "$f" "$out/$h/seed-hand-$(basename "$f")"
		done
	fi
done

find "$fix" -type f -name '*.safetensors' | while read -r f; do add safetensors "$f"; done
find "$fix" -type f -name '*.index.json' | while read -r f; do add index "$f"; done
find "$fix" -type f -name 'config.json' | while read -r f; do add config "$f"; done
if [ -n "$models" ] && [ -d "$models" ]; then
	for f in "$models"/*.json; do
		[ -f "$f" ] && cp "$f" "$out/config/seed-model-$(basename "$f")"
	done
fi
find "$fix" -type f -name '*.gguf' | while read -r f; do add gguf "$f"; done

# PyTorch files by their first bytes: "PK\3\4" is a zip, a PROTO opcode a
# legacy file.  The pickle harness gets the legacy files whole and each zip's
# data.pkl on its own, up to 64 KiB: the big hostile pickles (bomb, deep) only
# fill the pool to its budget, which test_bounds measures, and under ASan each
# run of one takes a second that the fuzzer is better off spending elsewhere.
find "$fix/torch" -type f \( -name '*.bin' -o -name '*.pt' -o -name '*.pth' \) |
	while read -r f; do
		magic=$(head -c 2 "$f" | od -An -tx1 | tr -d ' \n')
		case $magic in
		504b)
			add zip "$f"
			[ "$(wc -c <"$f")" -le $max ] || continue
			python3 - "$f" "$out/pickle/seed-$(printf '%s' "${f#"$fix"/}" | tr '/' '_').pkl" 2>/dev/null <<'PY' || true
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if n.endswith('/data.pkl') and z.getinfo(n).file_size <= 64 << 10:
            open(sys.argv[2], 'wb').write(z.read(n))
            break
PY
			;;
		80*)
			add legacy "$f"
			[ "$(wc -c <"$f")" -gt 65536 ] || add pickle "$f"
			;;
		esac
	done
# Archives of model folders (formats/source.c): tar, tar.gz, stored and
# deflated zip, a NeMo-style tar, and a tar with links, made here from the
# fixtures (tar and zip are in the Makefile's packages).
tmp=$(mktemp -d)
mkdir -p "$tmp/m/sub"
cp "$fix/tiny_llama/config.json" "$fix/bert_dir/part-a.safetensors" "$tmp/m/"
ln -s part-a.safetensors "$tmp/m/sub/link.safetensors"
tar -cf "$out/archive/seed-tar-links.tar" -C "$tmp" m
tar -cf "$out/archive/seed-tiny-llama.tar" -C "$fix" tiny_llama
tar -czf "$out/archive/seed-tiny-llama.tar.gz" -C "$fix" tiny_llama
tar -cf "$out/archive/seed-bert.tar" -C "$fix" bert_dir
[ ! -f "$fix/torch/tied.bin" ] || {
	cp "$fix/torch/tied.bin" "$tmp/model_weights.ckpt"
	printf 'name: x\n' >"$tmp/model_config.yaml"
	tar -cf "$out/archive/seed-nemo.tar" -C "$tmp" model_config.yaml model_weights.ckpt
}
if command -v zip >/dev/null; then
	rm -f "$out/archive/seed-tiny-llama-stored.zip" "$out/archive/seed-bert-deflated.zip"
	(cd "$fix" && zip -q -0 -r "$out/archive/seed-tiny-llama-stored.zip" tiny_llama &&
		zip -q -r "$out/archive/seed-bert-deflated.zip" bert_dir)
fi
rm -rf "$tmp"

for h in safetensors index config pickle zip legacy gguf archive; do
	printf '%s: %s seeds\n' "$h" "$(find "$out/$h" -name 'seed-*' | wc -l)"
done
