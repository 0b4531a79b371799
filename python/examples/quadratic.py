"""NumPy twins of the built-in C++ problem `quadratic` (src/problems/quadratic.cpp),
f = 1/2 sum_i lambda_i (x_i - 1)^2, with bounds: projected L-BFGS through dlbfgs.minimize.

    mpirun -n 4 /usr/bin/python3 python/examples/quadratic.py [n] [upper]

The eigenvalues lambda_i are read off the C++ problem (its gradient at x = 2 is lambda exactly)
rather than recomputed: NumPy's exp need not round as the C library's does. `Quadratic` and its
in-place method add term by term in the C++ loop's order, so they give the C++ iterates bit for
bit; `QuadraticBuffered` works in preallocated arrays with `out=` and sums with a dot product
(the fewest passes over memory NumPy allows; the same bits only with a BLAS whose ddot adds
sequentially, as the reference BLAS does, not OpenBLAS's).
"""

import sys

import numpy as np


def eigenvalues(problem):
    """This rank's lambda_i of a dlbfgs.Problem("quadratic", ...). Local."""
    return problem(np.full(problem.starting_point().size, 2.0))[1]


class Quadratic:
    """fun(x) -> (f_share, g_local), and inplace(x, g) -> f_share; bitwise the C++ problem."""

    def __init__(self, problem):
        self.lam = eigenvalues(problem)

    def __call__(self, x):
        e = x - 1.0
        g = self.lam * e
        share = float(np.cumsum(g * e)[-1]) if e.size else 0.0  # sequential, as the C++ loop
        return 0.5 * share, g

    def inplace(self, x, g):
        e = x - 1.0
        np.multiply(self.lam, e, out=g)
        return 0.5 * float(np.cumsum(g * e)[-1]) if e.size else 0.0


class QuadraticBuffered:
    """In place, one work array allocated once: e = x - 1 (one pass), g = lambda e (one pass),
    f = e . g / 2 (one pass, BLAS). The C++ kernel does all three in one pass."""

    def __init__(self, problem):
        self.lam = eigenvalues(problem)
        self.e = np.empty_like(self.lam)

    def __call__(self, x, g):
        e = np.subtract(x, 1.0, out=self.e)
        np.multiply(self.lam, e, out=g)
        return 0.5 * float(np.dot(e, g))


def main():
    from mpi4py import MPI

    import dlbfgs

    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1000
    upper = float(sys.argv[2]) if len(sys.argv) > 2 else 0.5
    comm = MPI.COMM_WORLD
    part = dlbfgs.Partition(comm, n)
    problem = dlbfgs.Problem("quadratic", part)
    fun = Quadratic(problem)
    res = dlbfgs.minimize(fun, problem.starting_point(), part, bounds=(-1.0, upper))
    err = comm.allreduce(float(np.max(np.abs(res.x - min(1.0, upper)), initial=0.0)), op=MPI.MAX)
    if comm.rank == 0:
        print(f"n = {n} on {comm.size} rank(s), bounds [-1, {upper}]: {res.reason} after "
              f"{res.nit} iterations; f = {res.fun:.6e}, ||P(x - g) - x|| = "
              f"{res.optimality:.3e}, {res.active_bounds} on a bound, max |x - clamp(1)| = "
              f"{err:.3e}")
    return 0 if res.success else 1


if __name__ == "__main__":
    sys.exit(main())
