#!/usr/bin/env bash
# One case of the script tests (tests/scripts/CMakeLists.txt): scripts_test.sh CASE.
# Environment (set by ctest): DLBFGS_ROOT, DLBFGS_BENCH (the built dlbfgs-bench), DLBFGS_MPIEXEC,
# and the Open MPI variables of DLBFGS_MPI_TEST_ENVIRONMENT. Exit 0 pass, 1 fail, 77 skipped.
set -euo pipefail

scripts="${DLBFGS_ROOT}/scripts"
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in out err; do [ -f "${tmp}/${f}" ] && { echo "--- std${f}:"; cat "${tmp}/${f}"; } >&2; done
  exit 1
}

# run CMD...: runs CMD with stdout in $tmp/out and stderr in $tmp/err; sets rc.
run() {
  rc=0
  "$@" > "${tmp}/out" 2> "${tmp}/err" || rc=$?
}

lines() { grep -c '' "$1" || true; }

expect_usage() {
  run "$@"
  [ "${rc}" -eq 0 ] || fail "$* exited ${rc}, expected 0"
  grep -q '^usage:' "${tmp}/out" || fail "$* printed no 'usage:' line"
  [ ! -s "${tmp}/err" ] || fail "$* wrote to stderr"
}

# expect_bad SCRIPT ARGS...: exit 2, one stderr line, and no set-up or build started (a cmake
# first on PATH that leaves a mark and fails makes a started build show at once).
expect_bad() {
  mkdir -p "${tmp}/bin"
  printf '#!/bin/sh\ntouch "%s/cmake-ran"; exit 1\n' "${tmp}" > "${tmp}/bin/cmake"
  chmod +x "${tmp}/bin/cmake"
  run env -u DLBFGS_BENCH PATH="${tmp}/bin:${PATH}" DLBFGS_BUILD_DIR="${tmp}/build" \
    DLBFGS_OUT="${tmp}/results" "$@"
  [ "${rc}" -eq 2 ] || fail "$* exited ${rc}, expected 2"
  [ "$(lines "${tmp}/err")" -eq 1 ] || fail "$*: expected one line on stderr"
  if [ -e "${tmp}/cmake-ran" ] || [ -e "${tmp}/results" ]; then fail "$*: started a build"; fi
}

mpi() { "${DLBFGS_MPIEXEC}" -q -n 2 "$@"; }  # -q: no Open MPI banner about a non-zero exit

case "$1" in
  demo_help)
    expect_usage "${scripts}/demo.sh" --help
    grep -q logreg "${tmp}/out" || fail "usage does not name logreg"
    ;;
  demo_bad_arguments)
    expect_bad "${scripts}/demo.sh" bogus
    expect_bad "${scripts}/demo.sh" --compare
    expect_bad "${scripts}/demo.sh" logreg --bogus
    ;;
  compare_logreg_arguments)
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import sklearn' 2>/dev/null || {
      echo "skipped: /usr/bin/python3 lacks scikit-learn (./scripts/setup.sh installs it)"
      exit 77
    }
    expect_usage "${scripts}/compare_logreg.py" --help
    expect_bad "${scripts}/compare_logreg.py"
    expect_bad "${scripts}/compare_logreg.py" "${tmp}/missing.svm"
    expect_bad "${scripts}/compare_logreg.py" x.svm --ranks two
    expect_bad "${scripts}/compare_logreg.py" x.svm --layout diagonal
    ;;
  bench_help)
    expect_usage "${scripts}/bench.sh" --help
    expect_usage "${scripts}/bench.sh" -h
    grep -q DLBFGS_MPIEXEC_FLAGS "${tmp}/out" || fail "usage does not name DLBFGS_MPIEXEC_FLAGS"
    ;;
  scaling_help)
    expect_usage "${scripts}/scaling.sh" --help
    expect_usage "${scripts}/scaling.sh" -h
    ;;
  bench_bad_arguments)
    expect_bad "${scripts}/bench.sh" abc
    expect_bad "${scripts}/bench.sh" --bogus
    expect_bad "${scripts}/bench.sh" 1e6 0
    expect_bad "${scripts}/bench.sh" 1e6 2 1.5
    expect_bad "${scripts}/bench.sh" 1e6 2 3 4
    ;;
  scaling_bad_arguments)
    expect_bad "${scripts}/scaling.sh" 2e7x
    expect_bad "${scripts}/scaling.sh" --bogus
    expect_bad "${scripts}/scaling.sh" 1e3 "1 x"
    expect_bad "${scripts}/scaling.sh" 1e3 ""
    expect_bad "${scripts}/scaling.sh" 1e3 1 0
    ;;
  bench_binary_accepts_exponent)
    run mpi "${DLBFGS_BENCH}" --n 1e3 --iterations 3 --repeats 1
    [ "${rc}" -eq 0 ] || fail "dlbfgs-bench --n 1e3 exited ${rc}"
    tail -n 1 "${tmp}/out" | grep -q '"n":1000,' || fail "the JSON line does not say n = 1000"
    ;;
  bench_binary_help_once)
    run mpi "${DLBFGS_BENCH}" --help
    [ "${rc}" -eq 0 ] || fail "dlbfgs-bench --help exited ${rc}"
    [ "$(grep -c '^Usage:' "${tmp}/out")" -eq 1 ] || fail "expected the help once (rank 0)"
    ;;
  bench_binary_bad_argument_one_line)
    # Under mpiexec (2 ranks), where one line per rank could show, for a parse error and an error
    # after parsing; the other messages as a singleton (mpiexec takes 2 s to end a failed job).
    for args in "mpi --n abc" "mpi --problem nosuch" "env --n 2.5" "env --n 0" "env --n 1e16" \
                "env --history 0" "env --bogus"; do
      read -r launcher flags <<< "${args}"
      # shellcheck disable=SC2086
      run "${launcher}" "${DLBFGS_BENCH}" ${flags} --repeats 1
      [ "${rc}" -eq 2 ] || fail "dlbfgs-bench ${flags} exited ${rc}, expected 2"
      [ "$(lines "${tmp}/err")" -eq 1 ] || fail "dlbfgs-bench ${flags}: expected one stderr line"
      grep -q '^dlbfgs-bench: error: ' "${tmp}/err" || fail "dlbfgs-bench ${flags}: message"
    done
    ;;
  bench_runs_on_existing_binary)
    run env DLBFGS_BUILD_DIR="${tmp}/build" DLBFGS_OUT="${tmp}/results" \
      "${scripts}/bench.sh" 1e4 2 1
    [ "${rc}" -eq 0 ] || fail "bench.sh 1e4 2 1 exited ${rc}"
    [ ! -e "${tmp}/build" ] || fail "bench.sh built although DLBFGS_BENCH was set"
    grep -q '"n":10000,' "${tmp}/results/bandwidth.json" || fail "bandwidth.json: n != 1e4"
    grep -q '"n":20000,' "${tmp}/results/latency.json" || fail "latency.json: n != 2e4"
    ;;
  scaling_log_binding_and_plot)
    # One core (taskset), 1 and 2 ranks: binds the first run, not the second. A python3 first on
    # PATH that is not Debian's must not be used. The log is a redirected stderr file.
    command -v taskset > /dev/null || { echo "taskset missing: skipped"; exit 77; }
    mkdir "${tmp}/bin"
    printf '#!/bin/sh\ntouch "%s/wrong-python"\n' "${tmp}" > "${tmp}/bin/python3"
    chmod +x "${tmp}/bin/python3"
    rc=0
    PATH="${tmp}/bin:${PATH}" DLBFGS_OUT="${tmp}/results" taskset -c 0 \
      "${scripts}/scaling.sh" 1e3 "1 2" 1 > "${tmp}/out" 2> "${tmp}/log" || rc=$?
    cp "${tmp}/log" "${tmp}/err"
    [ "${rc}" -eq 0 ] || fail "scaling.sh exited ${rc}"
    log="${tmp}/log"
    ! grep -qaP '\x00' "${log}" || fail "the log has NUL bytes (truncated and rewritten)"
    grep -q '^\[dlbfgs\] n = 1000, 1 rank(s)$' "${log}" || fail "the log lost its first lines"
    for p in 1 2; do
      grep -q "^dlbfgs-bench: rosenbrock, n = 1000, m = 10, ${p} rank(s)" "${log}" ||
        fail "the log lacks the table of ${p} rank(s)"
    done
    grep -q '1 rank(s) on 1 core(s): --bind-to core$' "${log}" || fail "no binding line for 1"
    grep -q '2 ranks > 1 cores: --bind-to none' "${log}" || fail "no --bind-to none line for 2"
    [ "$(lines "${tmp}/results/scaling-1000.jsonl")" -eq 2 ] || fail "expected 2 JSON lines"
    [ ! -e "${tmp}/wrong-python" ] || fail "ran the python3 first on PATH, not /usr/bin/python3"
    [ -s "${tmp}/results/scaling-1000.png" ] ||
      [ "$(grep -c '^\[dlbfgs\] plot skipped: .*scripts/setup.sh --with-plots' "${log}")" -eq 1 ] ||
      fail "neither a plot nor one line saying why it was skipped"
    ;;
  *)
    echo "unknown case: $1" >&2
    exit 1
    ;;
esac
echo "PASS: $1"
