#!/usr/bin/env bash
# Strong-scaling study: dlbfgs-bench (fused and classic side by side) on the same problem at
# several rank counts. Writes one JSON line per rank count to bench-results/scaling-<n>.jsonl and,
# when python3 with matplotlib is available (scripts/setup.sh --with-plots), a plot
# bench-results/scaling-<n>.png of the time per iteration and the speed-up over one rank.
# Usage: scripts/scaling.sh [N] ["RANK COUNTS"] [REPEATS]     e.g. scripts/scaling.sh 2e7 "1 2 4 8 16"
# Set DLBFGS_BENCH to use an already built dlbfgs-bench (skips the build), MPIRUN_ARGS for more
# mpirun options (e.g. "--mca btl self,tcp").
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

n="${1:-20000000}"
counts="${2:-1 2}"
repeats="${3:-3}"
n=$(printf '%.0f' "${n}")

dlbfgs_mpi_env
bench="${DLBFGS_BENCH:-}"
if [ -z "${bench}" ]; then
  "${DLBFGS_ROOT}/scripts/setup.sh"
  build_dir="${DLBFGS_BUILD_DIR:-${DLBFGS_ROOT}/build}"
  dlbfgs_build "${build_dir}"
  bench="${build_dir}/bench/dlbfgs-bench"
fi
out="${DLBFGS_OUT:-${DLBFGS_ROOT}/bench-results}"
mkdir -p "${out}"
results="${out}/scaling-${n}.jsonl"
: > "${results}"
for p in ${counts}; do
  dlbfgs_log "n = ${n}, ${p} rank(s)"
  # shellcheck disable=SC2086
  mpirun -np "${p}" --bind-to core ${MPIRUN_ARGS:-} "${bench}" --n "${n}" --repeats "${repeats}" \
    | tee /dev/stderr | tail -n 1 >> "${results}"
done
dlbfgs_log "results in ${results}"
if python3 -c 'import matplotlib' 2>/dev/null; then
  python3 "${DLBFGS_ROOT}/scripts/plot_scaling.py" "${results}" "${results%.jsonl}.png"
fi
