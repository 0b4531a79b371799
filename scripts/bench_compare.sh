#!/usr/bin/env bash
# Runs two dlbfgs-bench binaries interleaved (A B A B ...) on the same arguments and reports the
# median time per iteration of each and their ratio: the check that a change kept the speed.
#
#   scripts/bench_compare.sh [--rounds K] [--ranks P] OLD_BENCH NEW_BENCH [-- BENCH ARGS...]
#
# Defaults: 5 rounds, 2 ranks, bench args --n 1e7 --two-loop fused --repeats 1. Each round runs
# A then B (B then A on odd rounds, so that neither always runs second). Prints one line per run
# and a summary: median ms/iter (min-max) of each and the ratio NEW/OLD of the medians.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rounds=5
ranks=2
usage() { sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --ranks) ranks="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) break ;;
  esac
done
if [[ $# -lt 2 ]]; then
  echo "bench_compare.sh: need OLD_BENCH and NEW_BENCH (see --help)" >&2
  exit 2
fi
old="$1"; new="$2"; shift 2
[[ "${1:-}" == "--" ]] && shift
args=("$@")
[[ ${#args[@]} -eq 0 ]] && args=(--n 10000000 --two-loop fused --repeats 1)
for b in "${old}" "${new}"; do
  [[ -x "${b}" ]] || { echo "bench_compare.sh: ${b} is not an executable" >&2; exit 2; }
done
dlbfgs_mpi_env
read -r -a flags <<< "$(dlbfgs_mpiexec_flags "${ranks}")"

run() {  # prints ms per iteration of the first variant of one run
  mpiexec -q -n "${ranks}" "${flags[@]}" "$1" "${args[@]}" | tail -1 |
    /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); v=next(iter(j["variants"].values())); print(1e3*v["seconds_per_iteration"], j["triad_bytes_per_second"]/1e9)'
}

results=()
for ((k = 0; k < rounds; ++k)); do
  order=(old new)
  ((k % 2 == 1)) && order=(new old)
  for which in "${order[@]}"; do
    binary="${old}"; [[ "${which}" == new ]] && binary="${new}"
    read -r ms triad < <(run "${binary}")
    printf 'round %d %-3s %9.3f ms/iter  (triad %.1f GB/s)\n' "${k}" "${which}" "${ms}" "${triad}"
    results+=("${which} ${ms}")
  done
done
printf '%s\n' "${results[@]}" | /usr/bin/python3 -c '
import statistics, sys
t = {"old": [], "new": []}
for line in sys.stdin:
    w, ms = line.split()
    t[w].append(float(ms))
mo, mn = statistics.median(t["old"]), statistics.median(t["new"])
for w in ("old", "new"):
    print(f"{w}: median {statistics.median(t[w]):.3f} ms/iter (min {min(t[w]):.3f}, max {max(t[w]):.3f}, {len(t[w])} runs)")
print(f"ratio new/old of the medians: {mn / mo:.3f}")'
