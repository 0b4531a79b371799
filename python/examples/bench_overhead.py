"""Time per iteration of Python objectives against the same objectives in C++.

    mpirun -n 2 --bind-to core /usr/bin/python3 python/examples/bench_overhead.py [n] [reps] [iterations]

Every variant runs the same solver for a fixed number of iterations (grad_tol = 0) from the
problem's standard start; the runs are interleaved (variant 1, 2, ..., 1, 2, ...) so that a change
in the machine's load hits every variant alike, and the time of a run is its slowest rank's.
Two groups, each against its own C++ reference (the built-in problem as a dlbfgs.Problem: no
Python in the loop):

rosenbrock (the extended Rosenbrock function; python/examples/rosenbrock.py)
  cpp             the built-in C++ problem: the reference
  python-cpp      a Python objective that calls the same C++ kernel in place, problem(x, g): the
                  module's own cost at this n (the call, the views, the checks), nothing else
  numpy           NumPy, gradient written in place
  numpy-return    NumPy, returning a new gradient array (one copy into the solver)
  numpy-buffered  NumPy in place, work arrays allocated once (no temporaries)
  numba           the C++ loop compiled by Numba, in place (skipped when numba is absent:
                  scripts/setup.sh --with-numba installs Debian's python3-numba)
quadratic (the built-in separable quadratic, 1/2 sum lambda_i (x_i - 1)^2; quadratic.py)
  cpp-quadratic           the reference: one pass, x and lambda read, g written
  numpy-quadratic         NumPy, in place, bitwise the C++ sums (a sequential cumsum)
  numpy-quadratic-buffered NumPy with out= buffers and a BLAS dot: three passes, the fewest
                          NumPy allows for this objective (not counted as bitwise: that
                          depends on the BLAS's ddot)

The python-cpp, numpy, numpy-return, numpy-buffered, numba and numpy-quadratic variants give
their reference's iterates bit for bit, so they make the same evaluations; the script checks
that and exits 1 otherwise (ctest runs it at n = 2000 as a smoke test; its timings are not
tested). Prints `uptime` before and after, one line per variant (median ms per iteration, the
range over the runs, the objective's median share, x its reference), the module's fixed cost per
evaluation (cpp against python-cpp at 2 entries per rank, where the arithmetic costs nothing),
then one JSON line. The machine's load changes the numbers: on a shared machine compare the
objective column and the ranges, and rerun on a quiet one.
"""

import json
import os
import statistics
import subprocess
import sys

import numpy as np
from mpi4py import MPI

import dlbfgs
from quadratic import Quadratic, QuadraticBuffered
from rosenbrock import RosenbrockBuffered, rosenbrock, rosenbrock_inplace, starting_point

# Variants that give their reference's iterates bit for bit.
BITWISE = ("python-cpp", "numpy", "numpy-return", "numpy-buffered", "numba", "numpy-quadratic")

try:
    import numba
except ImportError:
    numba = None


def numba_rosenbrock():
    """The C++ kernel's loop, compiled by Numba (no fastmath: the same operations in the same
    order); compiled here, before any timing."""

    @numba.njit(cache=False)
    def kernel(x, g):
        share = 0.0
        for k in range(0, x.size, 2):
            x1 = x[k]
            x2 = x[k + 1]
            t = x2 - x1 * x1
            u = 1.0 - x1
            share += 100.0 * t * t + u * u
            g[k] = -400.0 * x1 * t - 2.0 * u
            g[k + 1] = 200.0 * t
        return share

    x = np.ones(2)
    x.flags.writeable = False  # the solver's x is a read-only view: compile that signature
    kernel(x, np.empty(2))
    return kernel


def uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "load average %.2f, %.2f, %.2f" % os.getloadavg()


def variants(part):
    """{name: (fun, inplace, start, reference)}."""
    rosen = dlbfgs.Problem("rosenbrock", part)
    quad = dlbfgs.Problem("quadratic", part)
    x_rosen = starting_point(part)
    x_quad = quad.starting_point()
    out = {
        "cpp": (rosen, False, x_rosen, "cpp"),
        "python-cpp": (rosen, True, x_rosen, "cpp"),
        "numpy": (rosenbrock_inplace, True, x_rosen, "cpp"),
        "numpy-return": (rosenbrock, False, x_rosen, "cpp"),
        "numpy-buffered": (RosenbrockBuffered(part.local_size), True, x_rosen, "cpp"),
    }
    if numba is not None:
        out["numba"] = (numba_rosenbrock(), True, x_rosen, "cpp")
    out["cpp-quadratic"] = (quad, False, x_quad, "cpp-quadratic")
    out["numpy-quadratic"] = (Quadratic(quad).inplace, True, x_quad, "cpp-quadratic")
    out["numpy-quadratic-buffered"] = (QuadraticBuffered(quad), True, x_quad, "cpp-quadratic")
    return out


def run(comm, part, fun, inplace, x0, iterations, max_evaluations=0):
    if inplace and isinstance(fun, dlbfgs.Problem):
        problem = fun
        fun = lambda x, g: problem(x, g)  # noqa: E731  (Python in the loop, C++ arithmetic)
    res = dlbfgs.minimize(fun, x0, part, inplace=inplace, grad_tol=0.0,
                          max_iterations=iterations, max_evaluations=max_evaluations)
    seconds = comm.allreduce(res.seconds, op=MPI.MAX)
    objective = comm.allreduce(res.phases["objective"], op=MPI.MAX)
    return res, seconds, objective


def main():
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    comm = MPI.COMM_WORLD
    part = dlbfgs.Partition(comm, n, granularity=2)
    table = variants(part)
    per_iteration = {k: [] for k in table}
    objective = {k: [] for k in table}
    counts = {k: set() for k in table}
    outcome = {}  # the last run's (nit, nfev, f) of each variant
    load_before = uptime() if comm.rank == 0 else ""
    for _ in range(reps):
        for name, (fun, inplace, x0, _) in table.items():
            res, seconds, obj = run(comm, part, fun, inplace, x0, iterations)
            per_iteration[name].append(seconds / res.nit)
            objective[name].append(obj / res.nit)
            counts[name].add((res.nit, res.nfev))
            outcome[name] = (res.nit, res.nfev, res.fun)
    # The module's fixed cost per evaluation: C++ arithmetic called from Python against the
    # same without Python, on 2 entries per rank, where the arithmetic costs nothing.
    tiny = dlbfgs.Partition(comm, 2 * comm.size, granularity=2)
    tiny_problem = dlbfgs.Problem("rosenbrock", tiny)
    fixed = {}
    for name, inplace in (("cpp", False), ("python-cpp", True)):
        best = float("inf")
        for _ in range(3):
            r, _, obj = run(comm, tiny, tiny_problem, inplace, starting_point(tiny), 200, 400)
            best = min(best, obj / r.nfev)
        fixed[name] = best
    per_call = fixed["python-cpp"] - fixed["cpp"]
    load_after = uptime() if comm.rank == 0 else ""
    # The variants that compute the C++ sums term by term must end where their reference does.
    differ = [k for k in BITWISE if k in table and outcome[k] != outcome[table[k][3]]]
    if comm.rank != 0:
        return 1 if differ else 0

    median = {k: statistics.median(v) for k, v in per_iteration.items()}
    ratio = {k: median[k] / median[table[k][3]] for k in table}
    print(f"n = {n}, {comm.size} rank(s), {reps} interleaved runs of {iterations} iterations "
          f"each; {os.cpu_count()} cores")
    print(f"  before: {load_before}")
    print(f"  after:  {load_after}")
    if numba is None:
        print("  numba: skipped (python3-numba not installed; scripts/setup.sh --with-numba)")
    print(f"  {'variant':25s} {'ms/iter':>8s} {'range':>17s} {'objective':>10s} {'x ref':>7s}"
          f"  (iterations, evaluations)")
    for k in table:
        lo, hi = min(per_iteration[k]), max(per_iteration[k])
        print(f"  {k:25s} {1e3 * median[k]:8.3f} [{1e3 * lo:7.3f}, {1e3 * hi:7.3f}] "
              f"{1e3 * statistics.median(objective[k]):10.3f} {ratio[k]:6.3f}x  "
              f"{sorted(counts[k])}")
    evaluations_per_iteration = max(counts["cpp"])[1] / max(counts["cpp"])[0]
    print(f"  the module's fixed cost (python-cpp - cpp at 2 entries per rank, best of 3): "
          f"{1e6 * per_call:.1f} us per evaluation, {evaluations_per_iteration:.2f} evaluations "
          f"per iteration: {100 * per_call * evaluations_per_iteration / median['cpp']:.3f}% of "
          f"cpp's iteration at n = {n}")
    print("  bitwise the reference's run (iterations, evaluations, f): "
          + ("all of " + ", ".join(k for k in BITWISE if k in table) if not differ
             else "NOT " + ", ".join(differ)))
    print(json.dumps({"n": n, "ranks": comm.size, "reps": reps, "iterations": iterations,
                      "median_seconds_per_iteration": median,
                      "range_seconds_per_iteration": {k: [min(v), max(v)]
                                                      for k, v in per_iteration.items()},
                      "ratio_to_reference": ratio,
                      "python_call_seconds_per_evaluation": per_call,
                      "uptime_before": load_before, "uptime_after": load_after}))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
