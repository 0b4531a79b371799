"""Failures end the run on every rank alike, with no hang (each test is bounded by the runner's
timeout): an exception in fun on some ranks, a bad gradient, bad start points, Ctrl-C."""

import signal

import numpy as np

from mpi_unittest import MpiTestCase, main
from rosenbrock import rosenbrock, starting_point

import dlbfgs


class ObjectiveFailureTest(MpiTestCase):
    def setUp(self):
        super().setUp()
        self.part = dlbfgs.Partition(self.comm, 20, granularity=2)
        self.last = self.comm.size - 1
        self.calls = 0

    def failing_on_last_rank(self, make_gradient):
        def fun(x):
            self.calls += 1
            f, g = rosenbrock(x)
            if self.calls == 4 and self.comm.rank == self.last:
                return f, make_gradient(g)
            return f, g
        return fun

    def check_objective_error(self, res, *fragments):
        self.assertFalse(res.success)
        self.assertEqual(res.reason, "objective_error")
        self.assertEqual(res.status, dlbfgs.reasons().index("objective_error"))
        self.assertIn(f"rank {self.last}", res.message)
        for fragment in fragments:
            self.assertIn(fragment, res.message)
        self.assertEqual(res.nfev, 4)
        self.assertSameOnAllRanks((res.message, res.nfev, res.fun), "outcome")

    def test_exception_on_one_rank_ends_the_run_on_every_rank(self):
        def boom(g):
            raise ValueError("NaN in the shard's data")
        res = dlbfgs.minimize(self.failing_on_last_rank(boom), starting_point(self.part),
                              self.part)
        self.check_objective_error(res, "ValueError: NaN in the shard's data")

    def test_wrong_gradient_dtype_shape_or_layout_is_named(self):
        part = self.part
        cases = [(lambda g: g.astype(np.float32), "has dtype float32; expected float64"),
                 (lambda g: g[:-1] if g.size else np.zeros(1), "has shape"),
                 (lambda g: np.repeat(g, 2)[::2], "is not C-contiguous"),
                 (lambda g: list(g), "must be a numpy.ndarray, got list")]
        for make, fragment in cases:
            with self.subTest(fragment=fragment):
                self.calls = 0
                res = dlbfgs.minimize(self.failing_on_last_rank(make), starting_point(part), part)
                self.check_objective_error(res, "g_local", fragment)

    def test_replicated_exception_on_one_rank_ends_the_run_on_every_rank(self):
        def fun(x):
            self.calls += 1
            if self.calls == 4 and self.comm.rank == self.last:
                raise KeyError("label")
            f, g = rosenbrock(x)
            return f / self.comm.size, g / self.comm.size
        x0 = np.ones(8)
        x0[0::2] = -1.2
        res = dlbfgs.minimize_replicated(fun, x0, self.comm)
        self.check_objective_error(res, "KeyError: 'label'")


class BadStartTest(MpiTestCase):
    def test_bad_start_on_one_rank_raises_the_same_error_on_every_rank(self):
        part = dlbfgs.Partition(self.comm, 12)
        last = self.comm.size - 1
        good = np.zeros(part.local_size)
        cases = [(np.zeros(part.local_size, dtype=complex), TypeError, "dtype complex128"),
                 (np.zeros(part.local_size + 1), ValueError, "has shape"),
                 ("zeros", TypeError, "dtype <U5")]
        for bad, kind, fragment in cases:
            with self.subTest(fragment=fragment):
                x0 = bad if self.comm.rank == last else good
                with self.assertRaises(kind) as caught:
                    dlbfgs.minimize(rosenbrock, x0, part)
                self.assertIn(fragment, str(caught.exception))
                self.assertSameOnAllRanks(str(caught.exception), "message")
        # Other real dtypes and strided arrays are converted (x0 is copied anyway).
        strided = np.zeros(2 * part.local_size, dtype=np.int32)[::2]
        res = dlbfgs.minimize(lambda x: (0.5 * float(x @ x), x.copy()), strided, part)
        self.assertTrue(res.success, res.message)

    def test_replicated_sizes_differing_between_ranks_raise_on_every_rank(self):
        if self.comm.size == 1:
            return
        x0 = np.zeros(5 + (self.comm.rank == self.comm.size - 1))
        with self.assertRaisesRegex(ValueError, "differ between ranks"):
            dlbfgs.minimize_replicated(lambda x: (0.0, x), x0, self.comm)


class InterruptTest(MpiTestCase):
    def test_sigint_on_one_rank_stops_every_rank_cleanly(self):
        # Python's own SIGINT handler raises KeyboardInterrupt inside fun; the module turns it
        # into the library's stop request, which travels in the evaluation's allreduce.
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)
        part = dlbfgs.Partition(self.comm, 20, granularity=2)
        calls = [0]

        def fun(x):
            calls[0] += 1
            if calls[0] == 5 and self.comm.rank == 0:
                signal.raise_signal(signal.SIGINT)  # as Ctrl-C does
            return rosenbrock(x)

        res = dlbfgs.minimize(fun, starting_point(part), part)
        self.assertEqual((res.reason, res.success, res.nfev), ("interrupted", False, 5))
        self.assertIn("rank 0", res.message)
        self.assertSameOnAllRanks(res.message, "message")
        # Python's handler is untouched and the stop request does not outlive the run.
        self.assertIs(signal.getsignal(signal.SIGINT), signal.default_int_handler)
        again = dlbfgs.minimize(rosenbrock, starting_point(part), part)
        self.assertTrue(again.success, again.message)

    def test_sigint_during_a_cpp_only_run_stops_it(self):
        # A dlbfgs.Problem runs no Python code; the signal arrives while C++ runs, and Python's
        # handler (here the SIGINT one, on a timer signal) runs at the next iteration.
        part = dlbfgs.Partition(self.comm, 200_000)
        problem = dlbfgs.Problem("quadratic", part, condition=1e8)  # minutes to converge
        previous = signal.signal(signal.SIGALRM, signal.default_int_handler)
        try:
            if self.comm.rank == 0:
                signal.setitimer(signal.ITIMER_REAL, 0.2)
            res = dlbfgs.minimize(problem, problem.starting_point(), part, grad_tol=0.0,
                                  max_iterations=20_000)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        self.assertEqual(res.reason, "interrupted")
        self.assertLess(res.nit, 20_000)
        self.assertSameOnAllRanks((res.message, res.nit), "outcome")


if __name__ == "__main__":
    main()
