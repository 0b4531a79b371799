#!/usr/bin/env bash
# Builds dlbfgs (Release) and runs the main job: the extended Rosenbrock function with a million
# unknowns, minimised on 2 MPI ranks, with progress lines and a result.
#
#   ./scripts/demo.sh           the Rosenbrock solve
#   ./scripts/demo.sh logreg    logistic regression at scale: generates (once, into
#                               $DLBFGS_DATA_DIR, default data/) a binary set of 10^6 rows x
#                               10^5 features with 10^8 non-zeros and a 10-class set of 10^6 x
#                               10^4 with 2*10^7, plus held-out test rows of each, and trains
#                               each on 2 ranks in both layouts (--measure-bandwidth: one
#                               evaluation against 2*12*nnz/triad). JSON lines go to
#                               $DLBFGS_OUT/logreg.jsonl (default bench-results/). With
#                               --compare, scripts/compare_logreg.py then runs scikit-learn and
#                               liblinear on the binary set (minutes, a few GB).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  echo "usage: scripts/demo.sh [logreg [--compare]]"
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

mode=solve
compare=0
for arg in "$@"; do
  case "${arg}" in
    -h|--help) usage; exit 0 ;;
    logreg) mode=logreg ;;
    --compare) compare=1 ;;
    *) dlbfgs_log "demo.sh: unknown argument '${arg}' (see --help)"; exit 2 ;;
  esac
done
if [ "${compare}" = 1 ] && [ "${mode}" != logreg ]; then
  dlbfgs_log "demo.sh: --compare goes with logreg"
  exit 2
fi

"${DLBFGS_ROOT}/scripts/setup.sh"
dlbfgs_mpi_env

build_dir="${DLBFGS_BUILD_DIR:-${DLBFGS_ROOT}/build}"
dlbfgs_build "${build_dir}"

exe="${build_dir}/apps/dlbfgs"
if [ ! -x "${exe}" ]; then
  dlbfgs_log "${exe} was not built"
  exit 1
fi

if [ "${mode}" = solve ]; then
  cmd=(mpirun -np 2 "${exe}" solve --problem rosenbrock --n 1000000 --grad-tol 1e-5)
  dlbfgs_log "running: ${cmd[*]}"
  exec "${cmd[@]}"
fi

data_dir="${DLBFGS_DATA_DIR:-${DLBFGS_ROOT}/data}"
out_dir="${DLBFGS_OUT:-${DLBFGS_ROOT}/bench-results}"
mkdir -p "${data_dir}" "${out_dir}"
read -r -a flags <<< "$(dlbfgs_mpiexec_flags 2)"
mpi=(mpirun -np 2 "${flags[@]}")

# generate NAME ARGS...: writes data_dir/NAME.svm unless it is there (same seed: same file).
generate() {
  local name="$1"
  shift
  if [ -s "${data_dir}/${name}.svm" ]; then
    dlbfgs_log "using ${data_dir}/${name}.svm"
    return
  fi
  dlbfgs_log "generating ${data_dir}/${name}.svm"
  "${mpi[@]}" "${exe}" gen-data --out "${data_dir}/${name}.svm" "$@"
}

generate binary --rows 1e6 --features 1e5 --nnz-per-row 100 --classes 2 --seed 1
generate binary-test --rows 1e5 --features 1e5 --nnz-per-row 100 --classes 2 --seed 1 \
  --first-row 1e8
generate classes10 --rows 1e6 --features 1e4 --nnz-per-row 20 --classes 10 --seed 2
generate classes10-test --rows 1e5 --features 1e4 --nnz-per-row 20 --classes 10 --seed 2 \
  --first-row 1e8

for set in binary classes10; do
  for layout in samples features; do
    cmd=("${mpi[@]}" "${exe}" train --data "${data_dir}/${set}.svm"
         --test "${data_dir}/${set}-test.svm" --layout "${layout}" --measure-bandwidth --json)
    dlbfgs_log "running: ${cmd[*]}"
    "${cmd[@]}" | tee "${out_dir}/logreg-${set}-${layout}.txt"
    tail -n 1 "${out_dir}/logreg-${set}-${layout}.txt" >> "${out_dir}/logreg.jsonl"
  done
done
dlbfgs_log "results: ${out_dir}/logreg.jsonl"

if [ "${compare}" = 1 ]; then
  cmd=(/usr/bin/python3 "${DLBFGS_ROOT}/scripts/compare_logreg.py" "${data_dir}/binary.svm"
       --ranks 2 --dlbfgs "${exe}")
  dlbfgs_log "running: ${cmd[*]}"
  "${cmd[@]}" | tee "${out_dir}/logreg-compare.txt"
fi
