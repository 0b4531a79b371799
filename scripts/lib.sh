# shellcheck shell=bash
# Shared shell helpers of the dlbfgs scripts. Source it; do not run it.
#   DLBFGS_ROOT         repository root
#   DLBFGS_BUILD_DIR    (environment, optional) build tree of the scripts; default build/
#   dlbfgs_log MSG      prints "[dlbfgs] MSG" on standard error
#   dlbfgs_as_root CMD  runs CMD as root (directly when root, else through sudo)
#   dlbfgs_mpi_env      exports what Open MPI needs to run as root, oversubscribed, in containers
#   dlbfgs_jobs         number of cores, for parallel builds
#   dlbfgs_build DIR [CMAKE ARGS...]  configures (Release) and builds DIR with all cores
#   dlbfgs_positional SCRIPT MAX ARGS...  sets the array dlbfgs_args to ARGS; -h/--help calls the
#                       script's `usage` and exits 0; an option, or more than MAX arguments: one
#                       line on stderr and exit 2
#   dlbfgs_find_bench   prints $DLBFGS_BENCH, or installs what is missing, builds
#                       (dlbfgs_build, output on stderr) and prints the build tree's dlbfgs-bench
#   dlbfgs_count NAME VALUE  prints VALUE as digits when it is a whole number in [1, 9e15]
#                       (1e6 and 2.5e7 accepted, as by `dlbfgs solve --n`); else one line on
#                       stderr and status 2
#   dlbfgs_mpiexec_flags RANKS  prints the launcher flags for RANKS ranks: --bind-to core when
#                       RANKS <= cores (nproc), else --bind-to none (said in a log line), then
#                       $DLBFGS_MPIEXEC_FLAGS (no binding of ours when those name --bind-to)

DLBFGS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DLBFGS_ROOT

dlbfgs_log() {
  echo "[dlbfgs] $*" >&2
}

dlbfgs_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo DEBIAN_FRONTEND=noninteractive "$@"
  else
    dlbfgs_log "need root to run: $* (and sudo is not installed)"
    return 1
  fi
}

dlbfgs_mpi_env() {
  # Open MPI refuses to run as root without both variables, and to start more ranks than cores
  # without oversubscription. Its default single-copy mechanism (CMA) needs ptrace, which many
  # containers forbid. Harmless outside containers and for other users.
  export OMPI_ALLOW_RUN_AS_ROOT=1
  export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1
  export OMPI_MCA_btl_vader_single_copy_mechanism=none
}

dlbfgs_jobs() {
  nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2
}

dlbfgs_build() {
  local dir="$1"
  shift
  dlbfgs_log "configuring ${dir} (Release)"
  cmake -S "${DLBFGS_ROOT}" -B "${dir}" -DCMAKE_BUILD_TYPE=Release -DMPIEXEC_MAX_NUMPROCS=4 "$@"
  dlbfgs_log "building ${dir} with $(dlbfgs_jobs) jobs"
  cmake --build "${dir}" --parallel "$(dlbfgs_jobs)"
}

dlbfgs_positional() {
  local script="$1" max="$2" arg
  shift 2
  dlbfgs_args=()
  for arg in "$@"; do
    case "${arg}" in
      -h|--help) usage; exit 0 ;;
      -*) dlbfgs_log "${script}: unknown option '${arg}' (see --help)"; exit 2 ;;
      *) dlbfgs_args+=("${arg}") ;;
    esac
  done
  if [ "${#dlbfgs_args[@]}" -gt "${max}" ]; then
    dlbfgs_log "${script}: at most ${max} arguments, got ${#dlbfgs_args[@]} (see --help)"
    exit 2
  fi
}

dlbfgs_find_bench() {
  if [ -n "${DLBFGS_BENCH:-}" ]; then
    echo "${DLBFGS_BENCH}"
    return
  fi
  local build_dir="${DLBFGS_BUILD_DIR:-${DLBFGS_ROOT}/build}"
  "${DLBFGS_ROOT}/scripts/setup.sh" >&2
  dlbfgs_build "${build_dir}" >&2
  echo "${build_dir}/bench/dlbfgs-bench"
}

dlbfgs_count() {
  local name="$1" value="$2" digits
  # A decimal number (no sign, no hex, no inf/nan); awk checks the range and that it is whole.
  if [[ "${value}" =~ ^[0-9]+([.][0-9]*)?([eE][+]?[0-9]+)?$ ]] &&
    digits=$(awk -v v="${value}" 'BEGIN { v += 0; if (v < 1 || v > 9e15 || v != int(v)) exit 1
                                          printf "%.0f", v }'); then
    echo "${digits}"
  else
    dlbfgs_log "${name} must be a whole number in [1, 9e15] (1e6 is accepted), got '${value}'"
    return 2
  fi
}

dlbfgs_mpiexec_flags() {
  local ranks="$1" cores extra="${DLBFGS_MPIEXEC_FLAGS:-${MPIRUN_ARGS:-}}"  # MPIRUN_ARGS: old name
  cores="$(dlbfgs_jobs)"
  if [[ " ${extra} " == *" --bind-to "* ]]; then
    dlbfgs_log "binding as DLBFGS_MPIEXEC_FLAGS says: ${extra}"
  elif [ "${ranks}" -le "${cores}" ]; then
    dlbfgs_log "${ranks} rank(s) on ${cores} core(s): --bind-to core"
    extra="--bind-to core ${extra}"
  else
    dlbfgs_log "${ranks} ranks > ${cores} cores: --bind-to none (oversubscribed: slow timings)"
    extra="--bind-to none ${extra}"
  fi
  echo "${extra}"
}
