"""Peak memory per rank of dlbfgs.minimize_replicated against the sharded-state estimate.

    mpirun -n P /usr/bin/python3 python/examples/replicated_memory.py [n] [history_size]

A data-parallel quadratic with n parameters (1e6 by default) runs 5 iterations with the given
history size (10). Prints, per rank, the growth of the peak resident memory over the run (Linux
VmHWM after resetting it) and the estimate: the solver's sharded state (2(m + 1) + 5) n / p
doubles, plus the adapter's full x and g (2n) and the start point, result and gradient copies
(3n): 5n doubles whatever p (the objective writes its gradient in place).
"""

import ctypes
import sys

import numpy as np
from mpi4py import MPI

import dlbfgs


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    raise RuntimeError(key)


def main():
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    comm = MPI.COMM_WORLD
    ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 16)  # M_MMAP_THRESHOLD: freed memory goes back
    c = 1.0 + np.arange(n) % 7
    x0 = np.ones(n)

    def fun(x, g):
        np.multiply(c, x, out=g)
        g /= comm.size
        return 0.5 * float(g @ x)

    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = status("VmRSS")
    res = dlbfgs.minimize_replicated(fun, x0, comm, inplace=True, history_size=m,
                                     max_iterations=5)
    growth = status("VmHWM") - before
    part = dlbfgs.Partition(comm, n)
    sharded = (2 * (m + 1) + 5) * part.local_size * 8
    replicated = 5 * n * 8
    rows = comm.gather((comm.rank, growth, sharded), root=0)
    if comm.rank == 0:
        print(f"n = {n}, m = {m}, {comm.size} rank(s), {res.nit} iterations")
        for r, g, s in rows:
            print(f"  rank {r}: peak growth {g / 2**20:7.1f} MiB; estimate {(s + replicated) / 2**20:7.1f}"
                  f" MiB = sharded state {s / 2**20:6.1f} + full vectors {replicated / 2**20:5.1f};"
                  f" an unsharded history would add {(2 * m * n - 2 * m * part.local_size) * 8 / 2**20:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
