#!/usr/bin/env bash
# Installs what dlbfgs needs to build and test on Debian/Ubuntu; installs only what is missing,
# so a second run does nothing. Usage: scripts/setup.sh [--with-torch] [--with-scipy]
# [--with-numba]. Debian's python3 with numpy, matplotlib, mpi4py, pybind11 and scikit-learn is
# part of it: scripts/scaling.py, scripts/plot_trace.py, the Python module and their tests use
# them. PyTorch, for python/examples/torch_mlp.py only, is large and installed only with
# --with-torch; SciPy, for scripts/compare_scipy.py only, with --with-scipy; Numba, for the
# compiled-kernel line of python/examples/bench_overhead.py only, with --with-numba.
# --with-plots (what installed the plotting packages before) is still accepted.
# The logistic-regression tests compare dlbfgs train with scikit-learn and liblinear
# (python3-sklearn, python3-scipy, liblinear-tools, which ships heart_scale), so those are
# installed too: a test that skips on CI never runs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

packages=(cmake g++ make libopenmpi-dev openmpi-bin libeigen3-dev libgtest-dev libcli11-dev
          nlohmann-json3-dev procps python3 python3-numpy python3-matplotlib
          python3-dev python3-mpi4py pybind11-dev python3-sklearn python3-scipy liblinear-tools)
for arg in "$@"; do
  case "${arg}" in
    --with-plots) ;;  # the plotting packages are always installed now
    --with-torch) packages+=(python3-torch) ;;
    --with-scipy) packages+=(python3-scipy) ;;
    --with-numba) packages+=(python3-numba) ;;
    -h|--help) echo "usage: $0 [--with-torch] [--with-scipy] [--with-numba]"; exit 0 ;;
    *) dlbfgs_log "unknown argument: ${arg}"; exit 2 ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg -s "${pkg}" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("${pkg}")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  dlbfgs_log "all required packages are installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  dlbfgs_log "missing packages (${missing[*]}) and no apt-get: install them by hand"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
dlbfgs_log "installing: ${missing[*]}"
dlbfgs_as_root apt-get update -q
dlbfgs_as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
