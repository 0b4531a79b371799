#!/usr/bin/env bash
# Builds dlbfgs (Release) and runs the main job: the extended Rosenbrock function with a million
# unknowns, minimised on 2 MPI ranks, with progress lines and a result.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"${DLBFGS_ROOT}/scripts/setup.sh"
dlbfgs_mpi_env

build_dir="${DLBFGS_BUILD_DIR:-${DLBFGS_ROOT}/build}"
dlbfgs_build "${build_dir}"

exe="${build_dir}/apps/dlbfgs"
if [ ! -x "${exe}" ]; then
  dlbfgs_log "${exe} was not built"
  exit 1
fi

cmd=(mpirun -np 2 "${exe}" solve --problem rosenbrock --n 1000000 --grad-tol 1e-5)
dlbfgs_log "running: ${cmd[*]}"
exec "${cmd[@]}"
