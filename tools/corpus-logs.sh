#!/usr/bin/env bash
# Writes the logs of every corpus capture (and the bench capture's VXLAN twin) with a fixed uid
# seed into <out>/<capture path>/, so two builds can be compared with `diff -r`: the proof that a
# refactor changed no output. With --seed the output is byte-identical between runs, TSV #open/#close
# and summary.json included (their times come from the capture).  Usage: tools/corpus-logs.sh <out-dir> [corpus-dir]
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
  done
done < <(find "$corpus" "$twin" -type f \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
echo "logs in $out"
