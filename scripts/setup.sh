#!/usr/bin/env bash
# Installs what dlbfgs needs to build and test on Debian/Ubuntu; installs only what is missing,
# so a second run does nothing. Usage: scripts/setup.sh [--with-plots]
# The test suite compares the logistic models with scikit-learn and liblinear (Debian's
# /usr/bin/python3 with python3-sklearn, and liblinear-tools, which ships heart_scale), so those
# are installed too: a test that skips on CI never runs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

packages=(cmake g++ make libopenmpi-dev openmpi-bin libeigen3-dev libgtest-dev libcli11-dev
          nlohmann-json3-dev procps python3 python3-numpy python3-scipy python3-sklearn
          liblinear-tools)
for arg in "$@"; do
  case "${arg}" in
    --with-plots) packages+=(python3 python3-matplotlib) ;;
    -h|--help) echo "usage: $0 [--with-plots]"; exit 0 ;;
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
