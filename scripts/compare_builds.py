#!/usr/bin/env python3
"""Runs `dlbfgs solve --json` of two builds on every built-in problem at 1-4 ranks, with both
two-loop variants and both line searches, and checks that f, iterations and evaluations are
bitwise the same (f is compared as the exact decimal that JSON round-trips).

    scripts/compare_builds.py OLD_DLBFGS NEW_DLBFGS [--ranks 1,2,3,4]

Exit status 0 when every run agrees, 1 otherwise. A restructure that must not change results is
checked with it against the previous commit's build (see README, "Checking a refactoring").
"""
import argparse
import json
import os
import subprocess
import sys

# (problem, n, extra flags): small sizes, each with the stopping test that suits it.
CASES = [
    ("rosenbrock", 1000, []),
    ("powell", 400, []),
    ("broyden-tridiagonal", 500, []),
    ("trigonometric", 200, []),
    ("discrete-boundary-value", 300, ["--grad-tol", "0", "--grad-rel-tol", "1e-6"]),
    ("quadratic", 500, ["--condition", "1e3"]),
]
VARIANTS = [
    ["--two-loop", "fused"],
    ["--two-loop", "classic"],
    ["--line-search", "backtracking"],
    ["--gram-refresh-interval", "5"],
]
FIELDS = ("reason", "f", "grad_norm", "iterations", "evaluations", "allreduce_calls")


def mpiexec_flags():
    flags = os.environ.get("DLBFGS_MPIEXEC_FLAGS", "--oversubscribe")
    if os.geteuid() == 0:
        flags += " --allow-run-as-root"
    return flags.split()


def run(binary, ranks, problem, n, extra):
    cmd = ["mpiexec", "-n", str(ranks)] + mpiexec_flags() + [
        binary, "solve", "--problem", problem, "--n", str(n), "--json", "--quiet"] + extra
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    lines = out.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(" ".join(cmd) + ": no output; stderr: " + out.stderr.strip())
    return json.loads(lines[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--ranks", default="1,2,3,4")
    args = parser.parse_args()
    ranks = [int(r) for r in args.ranks.split(",")]
    runs = differ = 0
    for problem, n, extra in CASES:
        for variant in VARIANTS:
            for p in ranks:
                flags = extra + variant
                a = run(args.old, p, problem, n, flags)
                b = run(args.new, p, problem, n, flags)
                runs += 1
                diff = [k for k in FIELDS if a.get(k) != b.get(k)]
                status = "same" if not diff else "DIFFERENT " + ", ".join(
                    f"{k}: {a.get(k)} vs {b.get(k)}" for k in diff)
                differ += bool(diff)
                print(f"{problem:24s} n={n:<5d} {' '.join(variant):28s} np={p}  "
                      f"iter={b['iterations']:<4d} eval={b['evaluations']:<4d} {status}")
    print(f"{runs - differ} of {runs} runs bitwise the same")
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
