#!/usr/bin/env bash
# Benchmarks of the fused vs classic two-loop recursion (issue: one allreduce per evaluation).
# Builds Release, then runs dlbfgs-bench, which times both variants side by side in one process
# next to the triad bandwidth and allreduce latency measured in the same run:
#   1. bandwidth-bound: rosenbrock, n = 1e7, m = 10, 2 ranks (shared-memory transport);
#   2. latency-bound:   rosenbrock, n = 2e4, m = 10, 2 ranks over TCP loopback (--mca btl self,tcp),
#                       which mimics a network.
# Both solve to ||g|| <= 1e-5. Each run prints a table and, last, one JSON line. Results go to bench-results/ (git-ignored).
# Usage: scripts/bench.sh [N_LARGE] [RANKS] [REPEATS]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

n_large="${1:-10000000}"
ranks="${2:-2}"
repeats="${3:-5}"

"${DLBFGS_ROOT}/scripts/setup.sh"
dlbfgs_mpi_env
build_dir="${DLBFGS_BUILD_DIR:-${DLBFGS_ROOT}/build}"
dlbfgs_build "${build_dir}"
bench="${build_dir}/bench/dlbfgs-bench"
out="${DLBFGS_ROOT}/bench-results"
mkdir -p "${out}"

run() {
  local name="$1"
  shift
  dlbfgs_log "${name}: $*"
  "$@" | tee "${out}/${name}.txt"
  tail -n 1 "${out}/${name}.txt" > "${out}/${name}.json"
}

run bandwidth mpirun -np "${ranks}" --bind-to core "${bench}" --n "${n_large}" --history 10 \
  --repeats "${repeats}"
run latency mpirun -np "${ranks}" --bind-to core --mca btl self,tcp "${bench}" --n 20000 \
  --history 10 --repeats "${repeats}"
dlbfgs_log "results in ${out}/"
