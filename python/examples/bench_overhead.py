"""Time per iteration of a NumPy objective through Python against the same objective in C++.

    mpirun -n 2 --bind-to core /usr/bin/python3 python/examples/bench_overhead.py [n] [reps] [iterations]

Both run the same solver on the extended Rosenbrock function from its standard start, for a
fixed number of iterations (grad_tol = 0): "cpp" is the built-in C++ problem (dlbfgs.Problem, no
Python in the loop); "numpy" is python/examples/rosenbrock.py's NumPy twin with the gradient
written in place; "numpy-return" returns a new gradient array (one copy into the solver);
"numpy-buffered" works in place in preallocated arrays (no temporaries). The runs are bitwise
the same, so they make the same iterations. Runs are interleaved (cpp, numpy, numpy-return,
numpy-buffered, cpp, ...) so that a change in the machine's load hits every variant alike; the
time of a run is its slowest rank's. Prints one line per variant (median seconds per iteration,
the objective's share), the ratios, the Python layer's own fixed cost per evaluation (the same
comparison at 2 entries per rank, where the arithmetic costs nothing), then one JSON line.
"""

import json
import os
import statistics
import sys

from mpi4py import MPI

import dlbfgs
from rosenbrock import RosenbrockBuffered, rosenbrock, rosenbrock_inplace, starting_point


def main():
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    iterations = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    comm = MPI.COMM_WORLD
    part = dlbfgs.Partition(comm, n, granularity=2)
    problem = dlbfgs.Problem("rosenbrock", part)
    variants = {"cpp": (problem, False), "numpy": (rosenbrock_inplace, True),
                "numpy-return": (rosenbrock, False),
                "numpy-buffered": (RosenbrockBuffered(part.local_size), True)}
    per_iteration = {k: [] for k in variants}
    objective = {k: [] for k in variants}
    load_before = os.getloadavg()
    nits = set()
    for _ in range(reps):
        for name, (fun, inplace) in variants.items():
            res = dlbfgs.minimize(fun, starting_point(part), part, inplace=inplace, grad_tol=0.0,
                                  max_iterations=iterations)
            seconds = comm.allreduce(res.seconds, op=MPI.MAX)
            per_iteration[name].append(seconds / res.nit)
            objective[name].append(comm.allreduce(res.phases["objective"], op=MPI.MAX) / res.nit)
            nits.add((res.nit, res.nfev))
    # The Python layer's own cost per evaluation (the call, the views, the checks): the same
    # comparison on 2 entries per rank, where the objective's arithmetic costs nothing.
    tiny = dlbfgs.Partition(comm, 2 * comm.size, granularity=2)
    tiny_problem = dlbfgs.Problem("rosenbrock", tiny)
    fixed = {}
    for name, (fun, inplace) in (("cpp", (tiny_problem, False)), ("numpy", (rosenbrock_inplace, True))):
        best = float("inf")
        for _ in range(3):
            r = dlbfgs.minimize(fun, starting_point(tiny), tiny, inplace=inplace, grad_tol=0.0,
                                max_iterations=200, max_evaluations=400)
            best = min(best, comm.allreduce(r.phases["objective"] / r.nfev, op=MPI.MAX))
        fixed[name] = best
    per_call = fixed["numpy"] - fixed["cpp"]
    load_after = os.getloadavg()
    if comm.rank != 0:
        return 0
    median = {k: statistics.median(v) for k, v in per_iteration.items()}
    print(f"n = {n}, {comm.size} rank(s), {reps} interleaved runs of {iterations} iterations "
          f"(iterations, evaluations per run: {sorted(nits)}); load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after, {os.cpu_count()} cores")
    for k in variants:
        print(f"  {k:13s} {1e3 * median[k]:8.3f} ms/iteration (objective "
              f"{1e3 * statistics.median(objective[k]):7.3f} ms); runs: "
              + " ".join(f"{1e3 * t:.2f}" for t in per_iteration[k]))
    ratios = {k: median[k] / median["cpp"] for k in variants if k != "cpp"}
    for k, r in ratios.items():
        print(f"  {k} / cpp = {r:.3f} ({100 * (r - 1):+.1f}%)")
    evaluations_per_iteration = max(nits)[1] / max(nits)[0]
    print(f"  the Python layer's fixed cost (2 entries per rank, best of 3): "
          f"{1e6 * per_call:.1f} us per evaluation, {evaluations_per_iteration:.2f} evaluations "
          f"per iteration: {100 * per_call * evaluations_per_iteration / median['cpp']:.3f}% of "
          f"cpp's iteration at n = {n}")
    print(json.dumps({"n": n, "ranks": comm.size, "reps": reps, "iterations": iterations,
                      "median_seconds_per_iteration": median, "ratios": ratios,
                      "python_call_seconds_per_evaluation": per_call,
                      "load_before": load_before[0], "load_after": load_after[0]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
