#!/usr/bin/python3
"""SciPy's L-BFGS-B against `dlbfgs solve --lower/--upper` on the same bounded problems.

Each problem is a built-in problem of dlbfgs, written again here in NumPy (the same f, gradient and
starting point), with one bound for every variable. Both solvers stop on the same measure, the
projected-gradient norm ||P(x - g) - x||_2 <= --grad-tol (SciPy's own tests are switched off:
gtol = ftol = 0, and a callback stops it), with the same history size. Prints f, iterations and
evaluations side by side, the evaluation ratio dlbfgs / SciPy per run, and their median.

Needs Debian's python3-scipy (scripts/setup.sh --with-scipy) and a built dlbfgs program.
Exit status: 0 when every run of both solvers reached the tolerance with the same f (relative
difference <= --f-rtol), 1 otherwise, 2 for bad arguments or a missing SciPy.
"""

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from script_support import OneLineParser  # noqa: E402

try:
    import numpy as np
except ImportError as e:  # pragma: no cover
    print("compare_scipy.py: error: %s has no numpy (%s)" % (sys.executable, e), file=sys.stderr)
    sys.exit(2)

INF = float("inf")


# ---- The problems, as in src/problems/*.cpp -------------------------------------------------

def rosenbrock(x):
    """MGH 21: sum over pairs of 100 (x2 - x1^2)^2 + (1 - x1)^2."""
    x1, x2 = x[0::2], x[1::2]
    t = x2 - x1 * x1
    u = 1 - x1
    g = np.empty_like(x)
    g[0::2] = -400 * x1 * t - 2 * u
    g[1::2] = 200 * t
    return float(np.sum(100 * t * t + u * u)), g


def rosenbrock_start(n):
    x = np.ones(n)
    x[0::2] = -1.2
    return x


def powell(x):
    """MGH 22: the extended Powell singular function, over quadruples."""
    x0, x1, x2, x3 = x[0::4], x[1::4], x[2::4], x[3::4]
    a = x0 + 10 * x1
    b = x2 - x3
    c = x1 - 2 * x2
    d = x0 - x3
    c2, d2 = c * c, d * d
    c3, d3 = c2 * c, d2 * d
    g = np.empty_like(x)
    g[0::4] = 2 * a + 40 * d3
    g[1::4] = 20 * a + 4 * c3
    g[2::4] = 10 * b - 8 * c3
    g[3::4] = -10 * b - 40 * d3
    return float(np.sum(a * a + 5 * b * b + c2 * c2 + 10 * d2 * d2)), g


def powell_start(n):
    return np.tile([3.0, -1.0, 0.0, 1.0], n // 4)


def broyden_tridiagonal(x):
    """MGH 30: F_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1, x_0 = x_{n+1} = 0."""
    xp = np.concatenate(([0.0], x, [0.0]))
    r = (3 - 2 * x) * x - xp[:-2] - 2 * xp[2:] + 1
    rp = np.concatenate(([0.0], r, [0.0]))
    g = 2 * ((3 - 4 * x) * r - 2 * rp[:-2] - rp[2:])
    return float(np.dot(r, r)), g


def quadratic_factory(n, condition):
    j = np.arange(n, dtype=float)
    lam = np.exp(np.log(condition) * j / (n - 1)) if n > 1 else np.ones(1)

    def quadratic(x):
        e = x - 1
        g = lam * e
        return 0.5 * float(np.dot(g, e)), g
    return quadratic


# name, dlbfgs problem, lower, upper, f and gradient (from n), start (from n), extra CLI flags.
# One-sided boxes that cut off the optimum (most variables active, or half of them), and two
# two-sided boxes: one that cuts off the optimum of every x_{2i-1} of Rosenbrock and that the start
# leaves (every variable starts on a bound), one that holds Powell's optimum (bounds active only on
# the way: the infeasible start is projected).
CONDITION = 1e3
PROBLEMS = [
    ("rosenbrock", "rosenbrock", "-inf", "0.5", lambda n: rosenbrock, rosenbrock_start, []),
    ("rosenbrock-low", "rosenbrock", "1.5", "inf", lambda n: rosenbrock, rosenbrock_start, []),
    ("rosenbrock-box", "rosenbrock", "0", "0.8", lambda n: rosenbrock, rosenbrock_start, []),
    ("powell", "powell", "0.1", "inf", lambda n: powell, powell_start, []),
    ("powell-box", "powell", "-1", "0.5", lambda n: powell, powell_start, []),
    ("broyden-tridiagonal", "broyden-tridiagonal", "-0.5", "inf",
     lambda n: broyden_tridiagonal, lambda n: -np.ones(n), []),
    ("quadratic", "quadratic", "-inf", "0.5", lambda n: quadratic_factory(n, CONDITION),
     lambda n: np.zeros(n), ["--condition", repr(CONDITION)]),
]
GRANULARITY = {"rosenbrock": 2, "powell": 4, "broyden-tridiagonal": 1, "quadratic": 1}


def projected_gradient_norm(x, g, lower, upper):
    return float(np.linalg.norm(np.clip(x - g, lower, upper) - x))


class _Converged(Exception):
    pass


def run_scipy(fg, x0, lower, upper, m, tol, max_iterations):
    from scipy.optimize import Bounds, minimize
    count = {"fev": 0, "nit": 0}
    last = {}

    def fun(x):
        count["fev"] += 1
        f, g = fg(x)
        last["x"], last["f"], last["g"] = x.copy(), f, g
        return f, g

    def callback(x):
        count["nit"] += 1
        if not np.array_equal(x, last["x"]):
            f, g = fg(x)  # not counted: L-BFGS-B evaluated x just before (a safety net only)
        else:
            g = last["g"]
        if projected_gradient_norm(x, g, lower, upper) <= tol:
            last["xbest"] = x.copy()
            raise _Converged()

    start = time.perf_counter()
    status = "converged"
    try:
        res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=Bounds(lower, upper),
                       callback=callback,
                       options={"maxcor": m, "ftol": 0.0, "gtol": 0.0, "maxiter": max_iterations,
                                "maxfun": 100 * max_iterations, "maxls": 20})
        x = res.x
        status = res.message if isinstance(res.message, str) else res.message.decode()
    except _Converged:
        x = last["xbest"]
    seconds = time.perf_counter() - start
    f, g = fg(np.clip(x, lower, upper))
    return {"f": f, "iterations": count["nit"], "evaluations": count["fev"],
            "optimality": projected_gradient_norm(x, g, lower, upper),
            "converged": status == "converged", "status": status, "seconds": seconds}


def run_dlbfgs(args, problem, n, lower, upper, extra):
    cmd = [args.program, "solve", "--problem", problem, "--n", str(n), "--lower", lower,
           "--upper", upper, "--grad-tol", repr(args.grad_tol), "--history", str(args.history),
           "--max-iterations", str(args.max_iterations), "--json", "--quiet"] + extra
    if args.ranks > 1:
        cmd = [os.environ.get("DLBFGS_MPIEXEC", "mpiexec"), "-n", str(args.ranks)] + cmd
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode not in (0, 1) or not lines:
        raise RuntimeError("%s failed (exit %d): %s" % (" ".join(cmd), proc.returncode,
                                                         proc.stderr.strip()))
    r = json.loads(lines[-1])
    return {"f": float(r["f"]), "iterations": r["iterations"], "evaluations": r["evaluations"],
            "optimality": float(r["optimality"]), "converged": r["converged"],
            "status": r["reason"], "active": r["active_bounds"], "seconds": seconds}


def parse_args(argv):
    p = OneLineParser(description=__doc__.split("\n")[0])
    p.add_argument("--program", default=os.environ.get("DLBFGS_PROGRAM", "build/apps/dlbfgs"),
                   help="the dlbfgs program (default: $DLBFGS_PROGRAM or build/apps/dlbfgs)")
    p.add_argument("--n", default="1000,100000,1000000",
                   help="comma-separated problem sizes (default 1000,100000,1000000)")
    p.add_argument("--problems", default=",".join(name for name, *_ in PROBLEMS),
                   help="comma-separated subset of: %s" % ", ".join(n for n, *_ in PROBLEMS))
    p.add_argument("--grad-tol", type=float, default=1e-5,
                   help="both stop on ||P(x - g) - x||_2 <= this (default 1e-5)")
    p.add_argument("--history", type=int, default=10, help="history size m of both (default 10)")
    p.add_argument("--max-iterations", type=int, default=10000)
    p.add_argument("--ranks", type=int, default=1, help="MPI ranks of dlbfgs (default 1)")
    p.add_argument("--f-rtol", type=float, default=1e-6,
                   help="largest relative difference of the two f accepted as the same optimum")
    args = p.parse_args(argv)
    try:
        args.sizes = [int(float(s)) for s in args.n.split(",") if s]
    except ValueError:
        p.error("--n: not a list of numbers: %s" % args.n)
    known = {name: rest for name, *rest in PROBLEMS}
    args.chosen = [s for s in args.problems.split(",") if s]
    for name in args.chosen:
        if name not in known:
            p.error("--problems: unknown problem %s" % name)
    if not os.path.exists(args.program):
        p.error("--program: %s does not exist (build dlbfgs first)" % args.program)
    if args.grad_tol <= 0 or args.history < 1 or args.ranks < 1 or not args.sizes:
        p.error("--grad-tol, --history, --ranks must be positive and --n not empty")
    return args


def main(argv):
    args = parse_args(argv)
    try:
        import scipy  # noqa: F401
    except ImportError as e:
        print("compare_scipy.py: error: %s has no scipy (%s; scripts/setup.sh --with-scipy "
              "installs python3-scipy)" % (sys.executable, e), file=sys.stderr)
        return 2
    header = ("%-20s %8s %-12s %22s %22s %9s %6s %6s %6s %6s %7s %9s %9s"
              % ("problem", "n", "box", "f scipy", "f dlbfgs", "rel diff", "it sp", "it dl",
                 "ev sp", "ev dl", "ev d/s", "opt sp", "opt dl"))
    print(header)
    print("-" * len(header))
    ratios, ok = [], True
    for name, problem, lower, upper, make_fg, make_x0, extra in PROBLEMS:
        if name not in args.chosen:
            continue
        for n in args.sizes:
            if n % GRANULARITY[problem] != 0:
                continue
            lo = np.full(n, float(lower))
            up = np.full(n, float(upper))
            s = run_scipy(make_fg(n), make_x0(n), lo, up, args.history, args.grad_tol,
                          args.max_iterations)
            d = run_dlbfgs(args, problem, n, lower, upper, extra)
            rel = abs(s["f"] - d["f"]) / max(1.0, abs(s["f"]))
            ratio = d["evaluations"] / max(1, s["evaluations"])
            ratios.append(ratio)
            same = rel <= args.f_rtol
            ok = ok and same and s["converged"] and d["converged"]
            print("%-20s %8d %-12s %22.15e %22.15e %9.2e %6d %6d %6d %6d %7.3f %9.2e %9.2e%s"
                  % (name, n, "[%s,%s]" % (lower, upper), s["f"], d["f"], rel, s["iterations"],
                     d["iterations"], s["evaluations"], d["evaluations"], ratio, s["optimality"],
                     d["optimality"],
                     "" if s["converged"] and d["converged"] else
                     "  (scipy: %s; dlbfgs: %s)" % (s["status"], d["status"])))
            sys.stdout.flush()
    if ratios:
        print("median evaluation ratio dlbfgs / scipy: %.3f over %d runs (min %.3f, max %.3f)"
              % (statistics.median(ratios), len(ratios), min(ratios), max(ratios)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
