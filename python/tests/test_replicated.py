"""minimize_replicated: the same optimum at 1-4 ranks, the full x on every rank, exact
communication counts, and a sharded solver state (its memory per rank measured)."""

import ctypes
import os

import numpy as np

from mpi_unittest import MpiTestCase, main

import dlbfgs


def least_squares_data(rows=120, n=10):
    # The same data on every rank; each rank then uses its own rows (the data-parallel layout).
    rng = np.random.RandomState(0)
    a = rng.standard_normal((rows, n))
    b = rng.standard_normal(rows)
    return a, b


def peak_growth_bytes(run):
    """Peak resident memory during run() minus the resident memory before it (Linux). Local."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current VmRSS

    def status(key):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(key)

    before = status("VmRSS")
    run()
    return status("VmHWM") - before


class ReplicatedTest(MpiTestCase):
    def test_same_optimum_at_any_number_of_ranks_with_full_x_everywhere(self):
        a, b = least_squares_data()
        mine = slice(self.comm.rank, None, self.comm.size)  # 120 rows dealt round-robin
        a_r, b_r = a[mine], b[mine]

        def fun(x):
            r = a_r @ x - b_r
            return 0.5 * float(r @ r), a_r.T @ r

        res = dlbfgs.minimize_replicated(fun, np.zeros(a.shape[1]), self.comm, grad_tol=1e-7)
        self.assertTrue(res.success, res.message)
        x_star = np.linalg.lstsq(a, b, rcond=None)[0]
        np.testing.assert_allclose(res.x, x_star, atol=1e-7)
        self.assertSameOnAllRanks(res.x.tobytes(), "x")
        np.testing.assert_allclose(res.jac, a.T @ (a @ res.x - b), atol=1e-10)
        self.assertSameOnAllRanks(res.jac.tobytes(), "jac")
        # Per evaluation: one allgather of x, one reduce-scatter of the gradient shares, the
        # solver's one allreduce; plus the start-up check and the allgathers of x and jac.
        self.assertEqual(res.reduce_scatter_calls, res.nfev)
        self.assertEqual(res.allgather_calls, res.nfev + 2)
        self.assertEqual(res.allreduce_calls, res.nfev + 1)

    def test_history_memory_per_rank_is_sharded(self):
        # Large arrays straight from mmap and back on free, so that resident memory follows
        # what is allocated (glibc would otherwise keep freed blocks in its heap).
        libc = ctypes.CDLL("libc.so.6")
        M_MMAP_THRESHOLD = -3
        libc.mallopt(M_MMAP_THRESHOLD, 1 << 16)
        n = 200_000
        part = dlbfgs.Partition(self.comm, n)
        c = 1.0 + np.arange(n) % 7  # f = 1/2 sum c_i x_i^2 / p per rank: many iterations

        def fun(x, g):
            np.multiply(c, x, out=g)
            g /= self.comm.size
            return 0.5 * float(g @ x)

        def growth(m):
            def run():
                res = dlbfgs.minimize_replicated(fun, np.ones(n), self.comm, inplace=True,
                                                 history_size=m, max_iterations=3)
                self.assertEqual(res.nit, 3)
            return peak_growth_bytes(run)

        small, large = growth(5), growth(25)
        # The history holds 2 (m + 1) columns of n_local doubles: 40 n_local more for m = 25
        # than for m = 5, a p-th of the 40 n an unsharded history would add.
        expected = 2 * (25 - 5) * part.local_size * 8
        measured = large - small
        if os.environ.get("DLBFGS_VERBOSE"):
            print(f"[rank {self.comm.rank}] m=5: {small / 2**20:.1f} MiB, m=25: "
                  f"{large / 2**20:.1f} MiB, difference {measured / 2**20:.2f} MiB, "
                  f"expected {expected / 2**20:.2f} MiB")
        self.assertLess(abs(measured - expected), 0.1 * expected + (1 << 20),
                        f"history memory {measured} bytes, expected {expected}")


if __name__ == "__main__":
    main()
