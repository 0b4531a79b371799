#!/usr/bin/env bash
# Benchmarks of the fused vs classic two-loop recursion (issue: one allreduce per evaluation), of
# the fused one with a float32 history (fused-f32), and of the trial_products modes (-first,
# -after: rejected trials that skip the history). Builds Release, then runs dlbfgs-bench,
# which times the variants side by side, interleaved, in one process
# next to the triad bandwidth and allreduce latency measured in the same run:
#   1. bandwidth-bound: rosenbrock, n = N_LARGE (1e7), m = 10 (shared-memory transport);
#   2. latency-bound:   rosenbrock, n = 2e4, m = 10 over TCP loopback (--mca btl self,tcp),
#                       which mimics a network.
# Both solve to ||g|| <= 1e-5. Each run prints a table and, last, one JSON line. See usage below.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
usage: scripts/bench.sh [-h|--help] [N_LARGE] [RANKS] [REPEATS]
Times fused, classic, fused-f32 (float32 history) and the trial-products variants (fused-first,
fused-f32-first, fused-after: --trial-products first/after) with dlbfgs-bench:
rosenbrock at n = N_LARGE (shared memory), then at n = 2e4 over TCP loopback; tables and JSON
lines go to bench-results/.
  N_LARGE   variables of the bandwidth-bound run, 1e7-style accepted  (default 1e7)
  RANKS     MPI ranks of both runs                                    (default 2)
  REPEATS   solves per variant, medians reported                      (default 5)
Environment:
  DLBFGS_BUILD_DIR      build tree to configure and build             (default build/)
  DLBFGS_BENCH          an already built dlbfgs-bench: skips set-up and build
  DLBFGS_OUT            results directory                             (default bench-results/)
  DLBFGS_VARIANTS       comma-separated dlbfgs-bench --two-loop variants, interleaved
                        (default fused,classic,fused-f32,fused-first,fused-f32-first,fused-after)
  DLBFGS_MPIEXEC_FLAGS  extra mpirun flags, e.g. "--mca btl self,tcp"; ranks are bound to
                        cores (--bind-to core) when RANKS <= cores, unless these name --bind-to
USAGE
}

dlbfgs_positional bench.sh 3 "$@"
args=("${dlbfgs_args[@]}")
# Validated before anything is installed or built.
n_large="$(dlbfgs_count N_LARGE "${args[0]-1e7}")" || exit 2
ranks="$(dlbfgs_count RANKS "${args[1]-2}")" || exit 2
repeats="$(dlbfgs_count REPEATS "${args[2]-5}")" || exit 2

dlbfgs_mpi_env
bench="$(dlbfgs_find_bench)" || exit 1
out="${DLBFGS_OUT:-${DLBFGS_ROOT}/bench-results}"
mkdir -p "${out}"
read -r -a flags <<< "$(dlbfgs_mpiexec_flags "${ranks}")"
variants="${DLBFGS_VARIANTS:-fused,classic,fused-f32,fused-first,fused-f32-first,fused-after}"

run() {
  local name="$1"
  shift
  dlbfgs_log "${name}: $*"
  "$@" | tee "${out}/${name}.txt"
  tail -n 1 "${out}/${name}.txt" > "${out}/${name}.json"
}

run bandwidth mpirun -np "${ranks}" "${flags[@]}" "${bench}" --n "${n_large}" --history 10 \
  --repeats "${repeats}" --two-loop "${variants}"
run latency mpirun -np "${ranks}" "${flags[@]}" --mca btl self,tcp "${bench}" --n 20000 \
  --history 10 --repeats "${repeats}" --two-loop "${variants}"
dlbfgs_log "results in ${out}/"
