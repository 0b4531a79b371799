#!/usr/bin/env bash
# Strong-scaling study: dlbfgs-bench (fused and classic side by side) on the same problem at
# several rank counts. Writes each table to bench-results/scaling-<n>-np<p>.txt, one JSON line per
# rank count to bench-results/scaling-<n>.jsonl and, when Debian's python3 has matplotlib
# (scripts/setup.sh --with-plots), a plot bench-results/scaling-<n>.png of the time per iteration
# and the speed-up over one rank.
# See usage below; e.g. scripts/scaling.sh 2e7 "1 2 4 8 16"
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
usage: scripts/scaling.sh [-h|--help] [N] ["RANK COUNTS"] [REPEATS]
Runs dlbfgs-bench (rosenbrock, fused and classic) at each rank count; one JSON line per count
goes to bench-results/scaling-N.jsonl (tables: scaling-N-npP.txt), a plot to scaling-N.png.
  N             variables, 2e7-style accepted                         (default 2e7)
  "RANK COUNTS" rank counts, separated by spaces                      (default "1 2")
  REPEATS       solves per variant, medians reported                  (default 3)
Environment:
  DLBFGS_BUILD_DIR      build tree to configure and build             (default build/)
  DLBFGS_BENCH          an already built dlbfgs-bench: skips set-up and build
  DLBFGS_OUT            results directory                             (default bench-results/)
  DLBFGS_MPIEXEC_FLAGS  extra mpirun flags, e.g. "--mca btl self,tcp" (older name: MPIRUN_ARGS);
                        ranks are bound to cores (--bind-to core) when a count <= cores,
                        unless these name --bind-to
The plot needs matplotlib for /usr/bin/python3: scripts/setup.sh --with-plots.
USAGE
}

dlbfgs_positional scaling.sh 3 "$@"
args=("${dlbfgs_args[@]}")
# Validated before anything is installed or built.
n="$(dlbfgs_count N "${args[0]-2e7}")" || exit 2
read -r -a words <<< "${args[1]-1 2}"
counts=()
for p in "${words[@]}"; do
  counts+=("$(dlbfgs_count "rank count" "${p}")") || exit 2
done
if [ "${#counts[@]}" -eq 0 ]; then
  dlbfgs_log "scaling.sh: no rank counts given (see --help)"
  exit 2
fi
repeats="$(dlbfgs_count REPEATS "${args[2]-3}")" || exit 2

dlbfgs_mpi_env
bench="$(dlbfgs_find_bench)" || exit 1
out="${DLBFGS_OUT:-${DLBFGS_ROOT}/bench-results}"
mkdir -p "${out}"
results="${out}/scaling-${n}.jsonl"
: > "${results}"
for p in "${counts[@]}"; do
  dlbfgs_log "n = ${n}, ${p} rank(s)"
  read -r -a flags <<< "$(dlbfgs_mpiexec_flags "${p}")"
  # Each table goes to its own file and to the inherited standard error, so a redirected log
  # (2>log) keeps appending; `tee /dev/stderr` would reopen that log and truncate it.
  table="${out}/scaling-${n}-np${p}.txt"
  mpirun -np "${p}" "${flags[@]}" "${bench}" --n "${n}" --repeats "${repeats}" | tee "${table}" >&2
  tail -n 1 "${table}" >> "${results}"
done
dlbfgs_log "results in ${results}"

python=/usr/bin/python3  # Debian's, where setup.sh installs matplotlib; not the first on PATH
if [ ! -x "${python}" ]; then
  dlbfgs_log "plot skipped: ${python} is missing (scripts/setup.sh --with-plots installs it)"
elif ! "${python}" -c 'import matplotlib' 2>/dev/null; then
  dlbfgs_log "plot skipped: ${python} has no matplotlib (scripts/setup.sh --with-plots installs it)"
else
  "${python}" "${DLBFGS_ROOT}/scripts/plot_scaling.py" "${results}" "${results%.jsonl}.png"
  dlbfgs_log "plot in ${results%.jsonl}.png"
fi
