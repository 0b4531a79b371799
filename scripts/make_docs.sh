#!/usr/bin/env bash
# Regenerates docs/results.md and every CSV and PNG it shows: the convergence traces and plots
# (docs/convergence/) and the strong and weak scaling studies (docs/scaling/) of this machine.
# Each run's exact command goes into docs/results.md. See usage below.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
usage: scripts/make_docs.sh [-h|--help]
Rewrites docs/results.md, docs/convergence/ and docs/scaling/ from fresh runs on this machine:
L-BFGS m = 3, 10, 30 (and steepest descent, --history 0, when the solver accepts it) on
rosenbrock and discrete-boundary-value, fused vs classic, then weak (n/p = 2e6) and strong
(n = 2e6 x the largest power of two <= cores) scaling at 1, 2, 4, ... ranks up to 16 or the
cores, plus one oversubscribed count when there are fewer than 16 cores, and the train workload
when the program has it. About 5 minutes on 2 cores. Run it on a quiet machine.
Environment:
  DLBFGS_BUILD_DIR      build tree to configure and build             (default build/)
  DLBFGS_PROGRAM, DLBFGS_BENCH  already built dlbfgs and dlbfgs-bench: skip set-up and build
  DLBFGS_DOCS_REPEATS   repeats of each scaling point                 (default 3)
  DLBFGS_LAUNCHER       mpirun or srun                                (default mpirun)
  DLBFGS_MPIEXEC_FLAGS  extra launcher flags
USAGE
}

dlbfgs_positional make_docs.sh 0 "$@"
repeats="$(dlbfgs_count DLBFGS_DOCS_REPEATS "${DLBFGS_DOCS_REPEATS:-3}")" || exit 2
launcher="${DLBFGS_LAUNCHER:-mpirun}"
case "${launcher}" in
  mpirun|srun) ;;
  *) dlbfgs_log "make_docs.sh: DLBFGS_LAUNCHER must be mpirun or srun, got '${launcher}'"; exit 2 ;;
esac

dlbfgs_mpi_env
if [ -n "${DLBFGS_PROGRAM:-}" ] && [ -n "${DLBFGS_BENCH:-}" ]; then
  program="${DLBFGS_PROGRAM}"
  bench="${DLBFGS_BENCH}"
else
  bench="$(dlbfgs_find_bench)" || exit 1
  program="$(dirname "$(dirname "${bench}")")/apps/dlbfgs"
fi
python=/usr/bin/python3  # Debian's, where setup.sh installs numpy and matplotlib
docs="${DLBFGS_ROOT}/docs"
cores="$(dlbfgs_jobs)"
commands=()

# record CMD...: logs and runs CMD, keeps it for the page; a failure ends the script.
# record_solve CMD...: the same for a solve, whose exit 1 (not converged) is a result to plot.
record() {
  local rc=0 allowed="${allowed:-0}"
  commands+=("$(printf '%q ' "$@" | sed "s|${program}|build/apps/dlbfgs|g;
    s|${bench}|build/bench/dlbfgs-bench|g; s|${DLBFGS_ROOT}/||g")")
  dlbfgs_log "$*"
  "$@" || rc=$?
  if [ "${rc}" -ne 0 ] && [ "${rc}" -ne "${allowed}" ]; then
    dlbfgs_log "make_docs.sh: exited ${rc}: $*"
    exit 1
  fi
}
record_solve() { allowed=1 record "$@"; }

if [ "${launcher}" = srun ]; then
  launch=(srun --ntasks=2)
else
  read -r -a flags <<< "$(dlbfgs_mpiexec_flags 2)"
  launch=(mpirun -q -np 2 "${flags[@]}")
fi
# Steepest descent is the L-BFGS loop without pairs: plotted once the solver accepts m = 0.
histories=(3 10 30)
# Exit 2 is bad usage (m = 0 refused); 0 or 1 (converged or not in one iteration) is a run.
status=0
"${program}" solve --problem rosenbrock --n 2 --history 0 --max-iterations 1 --quiet \
  > /dev/null 2>&1 || status=$?
if [ "${status}" -ne 2 ]; then
  histories=(0 "${histories[@]}")
else
  dlbfgs_log "--history 0 (steepest descent) is refused by this build: its curves are left out"
fi
label() { if [ "$1" -eq 0 ]; then echo "steepest descent"; else echo "L-BFGS m=$1"; fi; }

rm -rf "${docs}/convergence" "${docs}/scaling"
mkdir -p "${docs}/convergence" "${docs}/scaling"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# Convergence: problem, n, solver flags. discrete-boundary-value's gradient is tiny at the start
# (||g0|| ~ 5/n^2), hence a relative test; at n = 20 it converges in 10^2-10^3 iterations.
convergence=("rosenbrock 10000 --max-iterations 3000"
             "discrete-boundary-value 20 --grad-tol 0 --grad-rel-tol 1e-6 --max-iterations 3000")
for spec in "${convergence[@]}"; do
  read -r problem n solver_flags <<< "${spec}"
  read -r -a solver_flags <<< "${solver_flags}"
  traces=()
  for m in "${histories[@]}"; do
    trace="${docs}/convergence/${problem}-m${m}.csv"
    record_solve "${launch[@]}" "${program}" solve --problem "${problem}" --n "${n}" --history "${m}" \
      "${solver_flags[@]}" --quiet --trace "${trace}"
    traces+=("${trace}=$(label "${m}")")
  done
  record "${python}" "${DLBFGS_ROOT}/scripts/plot_trace.py" --f-star 0 \
    --title "${problem}, n = ${n}, 2 ranks" --output "${docs}/convergence/${problem}.png" \
    "${traces[@]}"
done
for variant in fused classic; do
  record_solve "${launch[@]}" "${program}" solve --problem rosenbrock --n 1000000 --history 10 \
    --two-loop "${variant}" --quiet --trace "${docs}/convergence/rosenbrock-1e6-${variant}.csv"
done
record "${python}" "${DLBFGS_ROOT}/scripts/plot_trace.py" --f-star 0 \
  --title "rosenbrock, n = 10^6, m = 10, 2 ranks: fused vs classic" \
  --output "${docs}/convergence/rosenbrock-fused-classic.png" \
  "${docs}/convergence/rosenbrock-1e6-fused.csv=fused" \
  "${docs}/convergence/rosenbrock-1e6-classic.csv=classic"

# Scaling: 1, 2, 4, ... up to 16 ranks or the cores, and one oversubscribed count beyond them.
ranks=1
largest=1
for p in 2 4 8 16; do
  if [ "${p}" -le "${cores}" ]; then ranks="${ranks},${p}"; largest="${p}"; fi
done
if [ "${cores}" -lt 16 ]; then ranks="${ranks},$((largest * 2))"; fi
scaling=("${python}" "${DLBFGS_ROOT}/scripts/scaling.py" --dlbfgs "${program}" --bench "${bench}"
         --launcher "${launcher}" --ranks "${ranks}" --repeats "${repeats}" --history 10
         --two-loop "fused,classic" --cores "${cores}" --output-dir "${docs}/scaling")
record "${scaling[@]}" --mode weak --sizes 2e6
record "${scaling[@]}" --mode strong --sizes "$((2000000 * largest))"
record "${scaling[@]}" --workload train --mode weak --sizes 2e5 --features 100000 \
  --nnz-per-row 20 --classes 2
rm -rf "${docs}/scaling/data"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# The page: the machine, the figures, the numbers behind them, the commands.
page="${docs}/results.md"
{
  echo "# Results on $(uname -n)"
  echo
  echo "Generated by \`scripts/make_docs.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') from commit"
  echo "$(git -C "${DLBFGS_ROOT}" rev-parse --short HEAD 2>/dev/null || echo unknown):" \
    "$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), ${cores} cores," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), launcher" \
    "\`${launcher}\`. Load average (1, 5, 15 min) before: ${load_before}; after: ${load_after}."
  echo "Rank counts above ${cores} are oversubscribed (more ranks than cores, ranks unbound):"
  echo "they are marked in the CSVs (\`oversubscribed\`) and drawn as hollow rings, and their"
  echo "times measure the time sharing of cores, not the solver; so does their triad (the ranks'"
  echo "timed sections need not overlap), so their bound fraction means little. A load average"
  echo "well above 0 means other jobs shared the machine: those timings are noisy; rerun on a"
  echo "quiet machine."
  echo
  echo "## Convergence"
  echo
  echo "f − f* (f* = 0 for both problems) and ‖g‖ against iterations and seconds (2 ranks)."
  [ "${histories[0]}" -eq 0 ] ||
    echo "Steepest descent (\`--history 0\`) is missing: this build refuses m = 0."
  for name in rosenbrock discrete-boundary-value rosenbrock-fused-classic; do
    echo
    echo "![${name}](convergence/${name}.png)"
    echo
    cat "${docs}/convergence/${name}-summary.md"
  done
  echo
  echo "## Scaling"
  echo
  echo "Time per iteration = \`seconds / iterations\` of \`dlbfgs solve --json\`; parallel"
  echo "efficiency against the fewest ranks (strong: T₁·p₁/(Tₚ·p), weak: T₁/Tₚ);"
  echo "communication = \`allreduce_seconds / seconds\` (rank 0's time inside the solver's"
  echo "allreduce calls, waiting for slower ranks included); bound fraction = (8(4m+7)n bytes /"
  echo "triad) / time per iteration, the triad measured by \`dlbfgs-bench --triad-only\` at the same"
  echo "rank count just before and after each solve (their mean). Medians of ${repeats} runs, ranges"
  echo "in brackets. One row per run in the CSVs."
  for csv in "${docs}"/scaling/scaling-*-summary.md; do
    stem="$(basename "${csv}" -summary.md)"
    echo
    echo "### ${stem}"
    echo
    for kind in time efficiency communication bandwidth; do
      echo "![${stem} ${kind}](scaling/${stem}-${kind}.png)"
    done
    echo
    cat "${csv}"
  done
  [ -e "${docs}/scaling/scaling-weak-train-summary.md" ] ||
    { echo; echo "The train workload is missing: this build has no \`dlbfgs train\`."; }
  echo
  echo "## Commands"
  echo
  echo "Run from the repository root, after a build in \`build/\`:"
  echo
  echo '```sh'
  printf '%s\n' "${commands[@]}"
  echo '```'
} > "${page}"
dlbfgs_log "wrote ${page}"
