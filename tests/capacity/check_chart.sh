#!/usr/bin/env bash
# check_chart.sh VRAMFIT MODELS - estimate --sweep --svg writes a chart that
# parses as XML (python's xml.etree) and renders with rsvg-convert
# (Debian librsvg2-bin); the one GPU line of each --gpu is there.
set -eu
bin=$(realpath "$1") models=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" estimate --engine vllm --sweep seq=1k..128k --svg "$tmp/c.svg" --gpu rtx4090 --gpu h100 \
	"$models/meta-llama__Llama-2-7b-hf.json" >"$tmp/table"
[ "$(wc -l <"$tmp/table")" = 9 ] || { echo "want 8 points and a header"; exit 1; }
python3 - "$tmp/c.svg" <<'PY'
import sys, xml.etree.ElementTree as E
ns = {"s": "http://www.w3.org/2000/svg"}
root = E.parse(sys.argv[1]).getroot()
lines = [l for l in root.iter("{http://www.w3.org/2000/svg}line") if l.get("stroke-dasharray")]
assert len(lines) == 2, len(lines)
polys = list(root.iter("{http://www.w3.org/2000/svg}polygon"))
assert len(polys) >= 3, len(polys)
PY
if command -v rsvg-convert >/dev/null; then
	rsvg-convert -o "$tmp/c.png" "$tmp/c.svg"
	[ -s "$tmp/c.png" ]
else
	echo "rsvg-convert missing (apt-get install librsvg2-bin)"; exit 1
fi
echo "chart: XML parses, 2 GPU lines, renders to PNG"
