#!/usr/bin/env bash
# Builds dlbfgs (Release, in build/ or $DLBFGS_BUILD_DIR) and runs the whole test suite with
# ctest: unit tests, MPI tests at 1-4 ranks, the package test. Extra arguments go to ctest
# (e.g. -L mpi, -R partition).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

"${DLBFGS_ROOT}/scripts/setup.sh"
dlbfgs_mpi_env

build_dir="${DLBFGS_BUILD_DIR:-${DLBFGS_ROOT}/build}"
dlbfgs_build "${build_dir}" -DDLBFGS_BUILD_TESTS=ON

dlbfgs_log "running ctest $*"
cd "${build_dir}"
status=0
ctest --output-on-failure "$@" || status=$?
exit "${status}"
