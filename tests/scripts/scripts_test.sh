#!/usr/bin/env bash
# One case of the script tests (tests/scripts/CMakeLists.txt): scripts_test.sh CASE.
# Environment (set by ctest): DLBFGS_ROOT, DLBFGS_BENCH (the built dlbfgs-bench), DLBFGS_PROGRAM
# (the built dlbfgs), DLBFGS_MPIEXEC, and the Open MPI variables of DLBFGS_MPI_TEST_ENVIRONMENT.
# Exit 0 pass, 1 fail, 77 skipped.
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

python=/usr/bin/python3  # Debian's, as the scripts' #! lines say

# A matplotlib that fails to import, first on PYTHONPATH: the scripts must skip their plots.
hide_matplotlib() {
  mkdir -p "${tmp}/nompl/matplotlib"
  echo 'raise ImportError("hidden by scripts_test.sh")' > "${tmp}/nompl/matplotlib/__init__.py"
  export PYTHONPATH="${tmp}/nompl"
}

have_matplotlib() { "${python}" -c 'import matplotlib' 2> /dev/null; }

# expect_pngs FILE...: each a non-empty PNG (its signature), or matplotlib is missing and the
# log says so in exactly one line.
expect_pngs() {
  if ! have_matplotlib; then
    [ "$(grep -c 'plots skipped: .* has no matplotlib' "${tmp}/err")" -eq 1 ] ||
      fail "no matplotlib, and not one line saying the plots were skipped"
    echo "matplotlib missing: the PNG checks are skipped"
    return
  fi
  for png in "$@"; do
    [ -s "${png}" ] || fail "${png} is missing or empty"
    [ "$(head -c 4 "${png}" | tail -c 3)" = "PNG" ] || fail "${png} is not a PNG"
  done
}

# check_csv FILE PYTHON: runs the PYTHON statements with `rows` (the CSV's rows as dicts) and
# `header` (its columns); an AssertionError fails the case with its message.
check_csv() {
  "${python}" - "$1" "$2" <<'PY' || fail "$1: the check failed"
import csv, sys
with open(sys.argv[1], newline="") as f:
    reader = csv.DictReader(f)
    header = reader.fieldnames
    rows = list(reader)
try:
    exec(sys.argv[2])
except AssertionError as e:
    sys.exit("%s: %s" % (sys.argv[1], e))
PY
}

# The columns scaling.py promises (README), in order.
scaling_columns="mode,workload,problem,n,rows,n_per_rank,ranks,cores,oversubscribed,history_size,\
two_loop,repeat,reason,iterations,evaluations,seconds,seconds_per_iteration,allreduce_calls,\
allreduce_seconds,communication_fraction,triad_bytes_per_second,triad_bytes_per_second_min,\
triad_bytes_per_second_max,bound_bytes_per_iteration,bound_seconds_per_iteration,bound_fraction,\
launcher,command"

# scaling RUN-ARGS...: scaling.py on this tree's binaries, results in $tmp/out-dir.
scaling() {
  run "${scripts}/scaling.py" --dlbfgs "${DLBFGS_PROGRAM}" --bench "${DLBFGS_BENCH}" \
    --output-dir "${tmp}/results" "$@"
}

# Checks of every run row: the solver's own facts, carried into the CSV unchanged.
row_checks='
for r in rows:
    it, ev, calls = int(r["iterations"]), int(r["evaluations"]), int(r["allreduce_calls"])
    assert r["reason"] == "gradient_tolerance", r["reason"]
    assert it > 0 and ev >= it, (it, ev)
    if r["two_loop"] == "fused":
        assert calls == ev + 1, "fused: allreduce_calls %d != evaluations + 1 = %d" % (calls, ev + 1)
    else:
        assert calls > 2 * ev, "classic: allreduce_calls %d <= 2 evaluations" % calls
    t, per = float(r["seconds"]), float(r["seconds_per_iteration"])
    assert abs(per * it - t) <= 1e-9 * t, "seconds_per_iteration * iterations != seconds"
    assert 0 <= float(r["communication_fraction"]) <= 1, r["communication_fraction"]
    assert abs(float(r["communication_fraction"]) * t - float(r["allreduce_seconds"])) <= 1e-9
    assert float(r["triad_bytes_per_second_min"]) <= float(r["triad_bytes_per_second_max"])
    m, n = int(r["history_size"]), int(r["n"])
    assert float(r["bound_bytes_per_iteration"]) == 8 * (4 * m + 7) * n, "bound bytes"
    bound_t = float(r["bound_bytes_per_iteration"]) / float(r["triad_bytes_per_second"])
    assert abs(float(r["bound_fraction"]) - bound_t / per) <= 1e-6 * bound_t / per, "bound"
    p, over = int(r["ranks"]), int(r["oversubscribed"])
    assert over == (p > int(r["cores"])), "oversubscribed %d at %d ranks" % (over, p)
    assert ("--bind-to none" in r["command"]) == bool(over), r["command"]
    assert (" -np %d " % p) in r["command"], r["command"]
'

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
    expect_bad "${scripts}/compare_logreg.py" x.svm --l1-solver lbfgs
    printf '+1 1:1\n-1 2:1\n' > "${tmp}/two.svm"
    expect_bad "${scripts}/compare_logreg.py" "${tmp}/two.svm" --l1 0
    expect_bad "${scripts}/compare_logreg.py" "${tmp}/two.svm" --l1 1e-3 --l2 1e-3
    grep -q -- "--l2" "${tmp}/err" || fail "--l1 with --l2: the message does not name --l2"
    ;;
  bench_help)
    expect_usage "${scripts}/bench.sh" --help
    expect_usage "${scripts}/bench.sh" -h
    grep -q DLBFGS_MPIEXEC_FLAGS "${tmp}/out" || fail "usage does not name DLBFGS_MPIEXEC_FLAGS"
    ;;
  bench_bad_arguments)
    expect_bad "${scripts}/bench.sh" abc
    expect_bad "${scripts}/bench.sh" --bogus
    expect_bad "${scripts}/bench.sh" 1e6 0
    expect_bad "${scripts}/bench.sh" 1e6 2 1.5
    expect_bad "${scripts}/bench.sh" 1e6 2 3 4
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
  bench_binary_triad_only)
    run mpi "${DLBFGS_BENCH}" --triad-only --n 1e5 --repeats 3
    [ "${rc}" -eq 0 ] || fail "dlbfgs-bench --triad-only exited ${rc}"
    [ "$(lines "${tmp}/out")" -eq 1 ] || fail "expected one JSON line (rank 0) and no table"
    check_csv /dev/null "
import json
j = json.load(open('${tmp}/out'))
assert j['bench'] == 'triad' and j['n'] == 100000 and j['ranks'] == 2 and j['repeats'] == 3, j
assert 0 < j['triad_bytes_per_second_min'] <= j['triad_bytes_per_second'], j
assert j['triad_bytes_per_second'] <= j['triad_bytes_per_second_max'], j
assert j['allreduce_latency_seconds'] > 0, j"
    ;;
  scaling_py_help)
    expect_usage "${scripts}/scaling.py" --help
    for word in --launcher --launcher-flags --ranks --sizes --repeats --history --two-loop srun; do
      grep -q -- "${word}" "${tmp}/out" || fail "scaling.py --help does not name ${word}"
    done
    ;;
  scaling_py_bad_arguments)
    # shellcheck disable=SC2089  # the quote in --launcher-flags is meant literally
    for args in "--ranks 0" "--ranks 1,x" "--sizes 2.5" "--sizes ," "--repeats 0" \
                "--two-loop fused,bogus" "--launcher aprun" "--mode sideways" "--history -1" \
                "--bogus" "--launcher srun --launcher-flags=--bind-to=core" \
                "--launcher-flags=-x\"y" "--dlbfgs ${tmp}/missing" "--plot ${tmp}/missing.csv"; do
      # shellcheck disable=SC2086,SC2090
      run "${scripts}/scaling.py" --bench "${DLBFGS_BENCH}" --dlbfgs "${DLBFGS_PROGRAM}" \
        --output-dir "${tmp}/results" ${args}
      [ "${rc}" -eq 2 ] || fail "scaling.py ${args} exited ${rc}, expected 2"
      [ "$(lines "${tmp}/err")" -eq 1 ] || fail "scaling.py ${args}: expected one stderr line"
      [ ! -e "${tmp}/results/scaling-strong-solve-rosenbrock.csv" ] ||
        fail "scaling.py ${args}: wrote a CSV"
    done
    ;;
  scaling_py_weak_csv_and_plots)
    # Weak: n = 1000 per rank; 2 ranks counted against 1 core are oversubscribed (unbound).
    scaling --mode weak --sizes 1e3 --ranks 1,2 --repeats 1 --two-loop fused,classic --cores 1
    [ "${rc}" -eq 0 ] || fail "scaling.py exited ${rc}"
    stem="${tmp}/results/scaling-weak-solve-rosenbrock"
    check_csv "${stem}.csv" "
assert ','.join(header) == '${scaling_columns}', header
assert len(rows) == 4, len(rows)
assert sorted((r['ranks'], r['two_loop']) for r in rows) == [
    ('1', 'classic'), ('1', 'fused'), ('2', 'classic'), ('2', 'fused')]
for r in rows:
    assert int(r['n']) == 1000 * int(r['ranks']) and r['n_per_rank'] == '1000', r['n']
${row_checks}"
    check_csv "${stem}-summary.csv" "
assert len(rows) == 4, len(rows)
for r in rows:
    if r['ranks'] == '1':
        assert float(r['efficiency']) == 1.0, r['efficiency']
    assert r['oversubscribed'] == ('1' if r['ranks'] == '2' else '0'), r
    assert r['runs'] == '1', r['runs']"
    grep -q '| 2 (oversubscribed) |' "${stem}-summary.md" || fail "the table hides oversubscription"
    expect_pngs "${stem}"-{time,efficiency,communication,bandwidth}.png
    ;;
  scaling_py_strong_csv_and_plots)
    # Strong: n = 2000 at 1 and 2 ranks, 2 repeats each; medians over the repeats.
    scaling --mode strong --sizes 2e3 --ranks 1,2 --repeats 2 --two-loop fused --cores 2 \
      --name strong
    [ "${rc}" -eq 0 ] || fail "scaling.py exited ${rc}"
    stem="${tmp}/results/strong"
    check_csv "${stem}.csv" "
assert ','.join(header) == '${scaling_columns}', header
assert len(rows) == 4, len(rows)
assert sorted((r['ranks'], r['repeat']) for r in rows) == [
    ('1', '1'), ('1', '2'), ('2', '1'), ('2', '2')]
for r in rows:
    assert r['n'] == '2000' and int(r['n_per_rank']) * int(r['ranks']) == 2000, r['n']
    assert r['oversubscribed'] == '0', r
${row_checks}"
    # Efficiency at 2 ranks: the median over its runs of T1 / (2 T2), T1 the 1-rank median.
    check_csv "${stem}-summary.csv" "
import statistics
assert len(rows) == 2, len(rows)
one, two = sorted(rows, key=lambda r: int(r['ranks']))
assert one['runs'] == two['runs'] == '2'
with open('${stem}.csv') as f:
    runs = list(csv.DictReader(f))
t = {p: [float(r['seconds_per_iteration']) for r in runs if r['ranks'] == p] for p in '12'}
t1 = statistics.median(t['1'])
assert float(one['seconds_per_iteration']) == t1
assert float(one['seconds_per_iteration_min']) == min(t['1'])
assert float(one['seconds_per_iteration_max']) == max(t['1'])
eff = statistics.median(t1 / (2 * x) for x in t['2'])
assert abs(float(two['efficiency']) - eff) <= 1e-12 * eff, ('strong efficiency', two, eff)"
    # --plot redraws from the CSV alone, with the same summary.
    cp "${stem}-summary.csv" "${tmp}/summary-before.csv"
    rm -f "${stem}"-*.png "${stem}-summary.csv"
    run "${scripts}/scaling.py" --plot "${stem}.csv"
    [ "${rc}" -eq 0 ] || fail "scaling.py --plot exited ${rc}"
    cmp -s "${stem}-summary.csv" "${tmp}/summary-before.csv" || fail "--plot: another summary"
    expect_pngs "${stem}"-{time,efficiency,communication,bandwidth}.png
    ;;
  scaling_py_without_matplotlib)
    hide_matplotlib
    scaling --sizes 1e3 --ranks 1 --repeats 1
    [ "${rc}" -eq 0 ] || fail "scaling.py without matplotlib exited ${rc}"
    stem="${tmp}/results/scaling-strong-solve-rosenbrock"
    check_csv "${stem}.csv" "assert len(rows) == 1, len(rows)"
    [ "$(grep -c 'plots skipped: .* has no matplotlib' "${tmp}/err")" -eq 1 ] ||
      fail "not one line saying the plots were skipped"
    ! ls "${stem}"-*.png > /dev/null 2>&1 || fail "wrote a PNG without matplotlib"
    ;;
  scaling_py_srun_launcher)
    # A stand-in srun on PATH (records its arguments, runs the ranks with mpiexec); inside a
    # Slurm job of one task (SLURM_NTASKS=1) 2 ranks are oversubscribed.
    mkdir -p "${tmp}/bin"
    cat > "${tmp}/bin/srun" <<EOF
#!/bin/sh
echo "\$*" >> "${tmp}/srun-calls"
n=1
while [ \$# -gt 0 ]; do
  case "\$1" in
    --ntasks=*) n="\${1#--ntasks=}"; shift ;;
    --*) shift ;;
    *) break ;;
  esac
done
exec "${DLBFGS_MPIEXEC}" -n "\${n}" "\$@"
EOF
    chmod +x "${tmp}/bin/srun"
    PATH="${tmp}/bin:${PATH}" SLURM_NTASKS=1 scaling --launcher srun \
      --launcher-flags "--cpu-bind=cores" --sizes 1e3 --ranks 2 --repeats 1
    [ "${rc}" -eq 0 ] || fail "scaling.py --launcher srun exited ${rc}"
    check_csv "${tmp}/results/scaling-strong-solve-rosenbrock.csv" "
assert len(rows) == 1, len(rows)
r = rows[0]
assert r['launcher'] == 'srun' and r['cores'] == '1' and r['oversubscribed'] == '1', r
assert r['command'].startswith('srun --ntasks=2 --cpu-bind=cores '), r['command']"
    # The solve and the triads before and after it, all through srun with the flags.
    [ "$(grep -c '^--ntasks=2 --cpu-bind=cores ' "${tmp}/srun-calls")" -eq 3 ] ||
      fail "expected 3 srun calls (triad, solve, triad)"
    [ "$(grep -c -- '--triad-only' "${tmp}/srun-calls")" -eq 2 ] || fail "expected 2 triads"
    ;;
  scaling_py_train_workload)
    # Until the program has `train`, the workload is skipped in one line; then it must run.
    scaling --workload train --mode weak --sizes 200 --features 50 --nnz-per-row 5 --ranks 1,2 \
      --repeats 1
    [ "${rc}" -eq 0 ] || fail "scaling.py --workload train exited ${rc}"
    if "${DLBFGS_PROGRAM}" --help | grep -q '^  train '; then
      check_csv "${tmp}/results/scaling-weak-train.csv" "
assert len(rows) == 2, len(rows)
assert [r['rows'] for r in sorted(rows, key=lambda r: int(r['ranks']))] == ['200', '400']"
    else
      [ "$(lines "${tmp}/err")" -eq 1 ] || fail "expected one line saying train is skipped"
      # shellcheck disable=SC2016
      grep -q 'has no `train` subcommand: the train workload is skipped' "${tmp}/err" ||
        fail "the line does not say train is skipped"
      [ ! -e "${tmp}/results/scaling-weak-train.csv" ] || fail "wrote a CSV without train"
    fi
    ;;
  plot_trace_png_and_summary)
    for m in 3 10; do
      run "${DLBFGS_PROGRAM}" solve --problem rosenbrock --n 100 --history "${m}" --quiet \
        --trace "${tmp}/m${m}.csv"
      [ "${rc}" -eq 0 ] || fail "dlbfgs solve --history ${m} exited ${rc}"
    done
    # f - min f (no --f-star): the least f of both traces is the reference.
    run "${scripts}/plot_trace.py" --output "${tmp}/plot.png" "${tmp}/m3.csv=L-BFGS m=3" \
      "${tmp}/m10.csv"
    [ "${rc}" -eq 0 ] || fail "plot_trace.py exited ${rc}"
    check_csv "${tmp}/plot-summary.csv" "
traces = {}
for name in ('m3', 'm10'):
    with open('${tmp}/' + name + '.csv') as f:
        traces[name] = list(csv.DictReader(f))
least = min(float(r['f']) for t in traces.values() for r in t)
assert [r['label'] for r in rows] == ['L-BFGS m=3', 'm10'], [r['label'] for r in rows]
for r, name in zip(rows, ('m3', 'm10')):
    last = traces[name][-1]
    assert r['iterations'] == last['iteration'] and r['evaluations'] == last['evaluations']
    assert float(r['f_gap']) == float(last['f']) - least, (r['f_gap'], last['f'], least)
    assert float(r['grad_norm_0']) == float(traces[name][0]['grad_norm'])
assert min(float(r['f_gap']) for r in rows) == 0.0"
    expect_pngs "${tmp}/plot.png"
    # With --f-star, the gaps are against it.
    run "${scripts}/plot_trace.py" --f-star -1 --output "${tmp}/star.png" "${tmp}/m3.csv"
    [ "${rc}" -eq 0 ] || fail "plot_trace.py --f-star -1 exited ${rc}"
    check_csv "${tmp}/star-summary.csv" "assert float(rows[0]['f_gap']) == float(rows[0]['f']) + 1"
    ;;
  plot_trace_without_matplotlib)
    run "${DLBFGS_PROGRAM}" solve --problem rosenbrock --n 10 --quiet --trace "${tmp}/t.csv"
    hide_matplotlib
    run "${scripts}/plot_trace.py" --f-star 0 --output "${tmp}/plot.png" "${tmp}/t.csv"
    [ "${rc}" -eq 0 ] || fail "plot_trace.py without matplotlib exited ${rc}"
    check_csv "${tmp}/plot-summary.csv" "assert len(rows) == 1 and rows[0]['label'] == 't', rows"
    [ "$(grep -c 'plots skipped: .* has no matplotlib' "${tmp}/err")" -eq 1 ] ||
      fail "not one line saying the plot was skipped"
    [ ! -e "${tmp}/plot.png" ] || fail "wrote a PNG without matplotlib"
    ;;
  plot_trace_bad_input)
    printf 'a,b\n1,2\n' > "${tmp}/other.csv"
    printf 'iteration,f,grad_norm,step,evaluations,seconds\n' > "${tmp}/empty.csv"
    printf 'iteration,f,grad_norm,step,evaluations,seconds\n0,x,1,0,1,0\n' > "${tmp}/text.csv"
    for args in "${tmp}/missing.csv" "${tmp}/other.csv" "${tmp}/empty.csv" "${tmp}/text.csv" \
                "--f-star nan ${tmp}/other.csv" "--bogus ${tmp}/other.csv" ""; do
      # shellcheck disable=SC2086
      run "${scripts}/plot_trace.py" --output "${tmp}/bad.png" ${args}
      [ "${rc}" -eq 2 ] || fail "plot_trace.py ${args} exited ${rc}, expected 2"
      [ "$(lines "${tmp}/err")" -eq 1 ] || fail "plot_trace.py ${args}: expected one stderr line"
      [ ! -e "${tmp}/bad-summary.csv" ] || fail "plot_trace.py ${args}: wrote a summary"
    done
    ;;
  compare_scipy_small)
    # SciPy's L-BFGS-B against dlbfgs on the bounded problems at small n: every row present,
    # the same f on both sides, the median line.
    /usr/bin/python3 -c 'import scipy' 2>/dev/null || { echo "no python3-scipy: skipped"; exit 77; }
    run /usr/bin/python3 "${scripts}/compare_scipy.py" --program "${DLBFGS_PROGRAM}" --n 1000
    [ "${rc}" -eq 0 ] || fail "compare_scipy.py exited ${rc}, expected 0"
    for p in rosenbrock rosenbrock-low rosenbrock-box powell powell-box broyden-tridiagonal \
      quadratic; do
      grep -q "^${p} *1000 " "${tmp}/out" || fail "no row for ${p}"
    done
    grep -q '^median evaluation ratio dlbfgs / scipy: [0-9.]* over 7 runs' "${tmp}/out" ||
      fail "no median line"
    ;;
  compare_scipy_bad_arguments)
    for args in "--n x" "--problems nosuch" "--program ${tmp}/missing" "--grad-tol 0"; do
      # shellcheck disable=SC2086
      run /usr/bin/python3 "${scripts}/compare_scipy.py" --program "${DLBFGS_PROGRAM}" ${args}
      [ "${rc}" -eq 2 ] || fail "compare_scipy.py ${args} exited ${rc}, expected 2"
      [ "$(lines "${tmp}/err")" -eq 1 ] || fail "compare_scipy.py ${args}: expected one stderr line"
    done
    ;;
  make_docs_help)
    expect_usage "${scripts}/make_docs.sh" --help
    expect_bad "${scripts}/make_docs.sh" extra
    expect_bad env DLBFGS_DOCS_REPEATS=0 "${scripts}/make_docs.sh"
    expect_bad env DLBFGS_LAUNCHER=aprun "${scripts}/make_docs.sh"
    ;;
  *)
    echo "unknown case: $1" >&2
    exit 1
    ;;
esac
echo "PASS: $1"
