#!/usr/bin/env bash
# Writes the logs of every corpus capture (and the bench capture's VXLAN twin) with a fixed uid
# seed into <out>/<capture path>/, so two builds can be compared with `diff -r`: the proof that a
# refactor changed no output.  Usage: tools/corpus-logs.sh <out-dir> [corpus-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:?usage: tools/corpus-logs.sh <out-dir> [corpus-dir]}"
corpus="${2:-$here/../shared/corpus}"
mkdir -p "$out"
# The pinned Node.js 24 (the node devDependency) when installed: the runtime production runs.
node="$here/node_modules/.bin/node"
[ -x "$node" ] || node=node
twin="$here/.bench/bench.vxlan.pcap"
if [ ! -f "$twin" ]; then
  mkdir -p "$here/.bench"
  python3 "$corpus/../tools/vxlan-wrap.py" "$corpus/bench/bench.pcap" "$twin"
fi
while IFS= read -r cap; do
  if [ "$cap" = "$twin" ]; then rel="bench/bench.vxlan.pcap"; else rel="${cap#"$corpus"/}"; fi
  for fmt in json tsv; do
    dir="$out/$rel.$fmt"
    mkdir -p "$dir"
    # Exit 3 (capture cut off) is a normal outcome for some corpus files; record it with the logs.
    set +e
    "$node" "$here/sensor-ami/bin/spanless.js" analyze "$cap" --out "$dir" --seed 1 --format "$fmt" --quiet \
      2>"$dir/stderr.txt"
    echo "$?" >"$dir/exit-code.txt"
    set -e
    # TSV headers carry wall-clock #open/#close lines; they are the only run-dependent text.
    if [ "$fmt" = tsv ]; then
      for f in "$dir"/*.log; do [ -f "$f" ] && sed -i -E '/^#(open|close)\t/d' "$f"; done
    fi
  done
done < <(find "$corpus" "$twin" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
echo "logs in $out"
