"""Distributed extended Rosenbrock function with NumPy, minimised by dlbfgs.minimize.

    mpirun -n 4 /usr/bin/python3 python/examples/rosenbrock.py [n]

Each rank owns a block of x (an even number of entries: partition granularity 2) and returns its
share of f and its gradient block. The arithmetic is that of the C++ built-in problem
`rosenbrock` (src/problems/rosenbrock.cpp), term by term and summed in the same order, so both
give bitwise the same iterates.
"""

import sys

import numpy as np


def rosenbrock(x):
    """(f_share, g_local) of the extended Rosenbrock function (MGH 21) on this rank's block."""
    x1 = x[0::2]
    x2 = x[1::2]
    t = x2 - x1 * x1
    u = 1 - x1
    terms = 100 * t * t + u * u
    # np.cumsum adds sequentially, as the C++ loop does (np.sum adds pairwise).
    f = float(np.cumsum(terms)[-1]) if terms.size else 0.0
    g = np.empty_like(x)
    g[0::2] = -400 * x1 * t - 2 * u
    g[1::2] = 200 * t
    return f, g


def rosenbrock_inplace(x, g):
    """The same, writing the gradient into g (no new gradient array)."""
    x1 = x[0::2]
    x2 = x[1::2]
    t = x2 - x1 * x1
    u = 1 - x1
    terms = 100 * t * t + u * u
    g[0::2] = -400 * x1 * t - 2 * u
    g[1::2] = 200 * t
    return float(np.cumsum(terms)[-1]) if terms.size else 0.0


class RosenbrockBuffered:
    """The same again, in place and with its work arrays allocated once: no temporaries, so
    fewer passes over memory (what a tuned NumPy objective looks like). Same bits."""

    def __init__(self, local_size):
        self.a, self.b, self.c = (np.empty(local_size // 2) for _ in range(3))

    def __call__(self, x, g):
        a, b, c = self.a, self.b, self.c
        x1 = x[0::2]
        x2 = x[1::2]
        np.multiply(x1, x1, out=a)
        t = np.subtract(x2, a, out=a)         # t = x2 - x1 * x1
        u = np.subtract(1.0, x1, out=b)       # u = 1 - x1
        np.multiply(t, 200, out=g[1::2])      # g2 = 200 t
        np.multiply(x1, -400, out=c)
        c *= t
        np.subtract(c, np.multiply(u, 2, out=g[0::2]), out=g[0::2])  # g1 = -400 x1 t - 2 u
        np.multiply(t, 100, out=c)
        c *= t
        u *= u
        c += u                                 # 100 t t + u u
        return float(np.cumsum(c, out=c)[-1]) if c.size else 0.0


def starting_point(part):
    """(-1.2, 1, -1.2, 1, ...) on this rank's block (its offset is even)."""
    x = np.ones(part.local_size)
    x[0::2] = -1.2
    return x


def main():
    from mpi4py import MPI

    import dlbfgs

    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1000
    comm = MPI.COMM_WORLD
    part = dlbfgs.Partition(comm, n, granularity=2)
    res = dlbfgs.minimize(rosenbrock, starting_point(part), part, history_size=10, grad_tol=1e-6)
    err = comm.allreduce(float(np.max(np.abs(res.x - 1), initial=0.0)), op=MPI.MAX)
    if comm.rank == 0:
        print(f"n = {n} on {comm.size} rank(s): {res.reason} after {res.nit} iterations, "
              f"{res.nfev} evaluations; f = {res.fun:.3e}, ||g|| = {res.optimality:.3e}, "
              f"max |x - 1| = {err:.3e}")
    return 0 if res.success else 1


if __name__ == "__main__":
    sys.exit(main())
