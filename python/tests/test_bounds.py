"""Bounds and per-variable L1 weights through Python: known solutions (clamp(c, l, u) and soft
thresholding), the built-in C++ problem and its NumPy twin bitwise alike, both entry points, and
bad input raising the same exception on every rank (each test bounded by the runner's
timeout)."""

import numpy as np

from mpi_unittest import MpiTestCase, main
from quadratic import Quadratic

import dlbfgs

INF = np.inf
N = 53  # uneven blocks at 2-4 ranks


def c_of(j):
    # c_j in [-3, 3], a different value at every global index j.
    return 3.0 * np.sin(1.3 * j + 0.1)


def d_of(j):
    # Curvatures from 1 to 10, so that the problem is not a scaled identity.
    return 1.0 + 9.0 * (j % 7) / 6.0


def mixed_bounds(j):
    """By global index: [-1, 0.75], [0, inf), (-inf, 0.5], l = u = 0.25, (-inf, inf)."""
    table = [(-1.0, 0.75), (0.0, INF), (-INF, 0.5), (0.25, 0.25), (-INF, INF)]
    lower = np.array([table[k % 5][0] for k in j])
    upper = np.array([table[k % 5][1] for k in j])
    return lower, upper


class Separable:
    """f = 1/2 sum_j d_j (x_j - c_j)^2 on the indices j (this rank's block, or all of them for
    minimize_replicated, where each rank returns the share 1/p)."""

    def __init__(self, j, share=1.0):
        self.c, self.d, self.share = c_of(j), d_of(j), share

    def __call__(self, x):
        r = x - self.c
        g = self.d * r
        return self.share * 0.5 * float(r @ g), self.share * g


class Boxes:
    """scipy.optimize.Bounds without SciPy: an object with lb and ub."""

    def __init__(self, lb, ub):
        self.lb, self.ub = lb, ub


class BoundsTest(MpiTestCase):
    def setUp(self):
        super().setUp()
        self.part = dlbfgs.Partition(self.comm, N)
        self.j = np.arange(self.part.offset, self.part.offset + self.part.local_size)

    def check_clamped(self, res, c, lower, upper, active):
        self.assertTrue(res.success, res.message)
        want = np.clip(c, lower, upper)
        self.assertLessEqual(float(np.max(np.abs(res.x - want), initial=0.0)), 1e-8)
        self.assertTrue(np.all((res.x >= lower) & (res.x <= upper)))
        self.assertEqual(res.active_bounds, active)
        self.assertLessEqual(res.optimality, 1e-10)
        self.assertSameOnAllRanks((res.fun, res.nit, res.nfev, res.active_bounds), "result")

    def test_bounded_separable_quadratic_reaches_clamp_c_l_u(self):
        lower, upper = mixed_bounds(self.j)
        c = c_of(self.j)
        all_j = np.arange(N)
        lo_all, up_all = mixed_bounds(all_j)
        x_all = np.clip(c_of(all_j), lo_all, up_all)
        active = int(np.count_nonzero((x_all == lo_all) | (x_all == up_all)))
        self.assertGreater(active, N // 3)
        fun = Separable(self.j)
        x0 = np.full(self.part.local_size, 5.0)  # outside most boxes: projected first
        res = dlbfgs.minimize(fun, x0, self.part, bounds=(lower, upper), grad_tol=1e-10)
        self.check_clamped(res, c, lower, upper, active)
        self.assertEqual(res.line_search, "backtracking")
        # The same run from a scipy.optimize.Bounds-like object, and with the gradient in place.
        like = dlbfgs.minimize(fun, x0, self.part, bounds=Boxes(lower, upper), grad_tol=1e-10)
        self.assertEqual(like.x.tobytes(), res.x.tobytes())

        def inplace(x, g):
            f, g_new = fun(x)
            g[:] = g_new
            return f

        same = dlbfgs.minimize(inplace, x0, self.part, inplace=True, bounds=(lower, upper),
                               grad_tol=1e-10)
        self.assertEqual(same.x.tobytes(), res.x.tobytes())

    def test_scalar_and_none_bounds_are_broadcast(self):
        c = c_of(self.j)
        fun = Separable(self.j)
        x0 = np.zeros(self.part.local_size)
        res = dlbfgs.minimize(fun, x0, self.part, bounds=(-1, None), grad_tol=1e-10)
        active = int(np.count_nonzero(c_of(np.arange(N)) < -1))
        self.check_clamped(res, c, -1.0, INF, active)
        arrays = dlbfgs.minimize(fun, x0, self.part, grad_tol=1e-10,
                                 bounds=(np.full(self.part.local_size, -1, dtype=np.int32),
                                         np.full(self.part.local_size, INF)))
        self.assertEqual(arrays.x.tobytes(), res.x.tobytes())

    def test_infinite_bounds_give_the_unconstrained_run_bitwise(self):
        fun = Separable(self.j)
        x0 = np.zeros(self.part.local_size)
        plain = dlbfgs.minimize(fun, x0, self.part)
        for bounds in ((None, None), (-INF, INF)):
            with self.subTest(bounds=bounds):
                res = dlbfgs.minimize(fun, x0, self.part, bounds=bounds)
                self.assertEqual(res.x.tobytes(), plain.x.tobytes())
                self.assertEqual((res.nit, res.nfev, res.line_search),
                                 (plain.nit, plain.nfev, plain.line_search))
                self.assertIsNone(res.active_bounds)
        self.assertIsNone(plain.active_bounds)

    def test_builtin_quadratic_and_its_numpy_twin_are_bitwise_alike_with_bounds(self):
        # The C++ problem (no Python in the loop) with per-variable bounds, and the NumPy twin:
        # the same iterates, bit for bit, ending at clamp(1, l, u).
        problem = dlbfgs.Problem("quadratic", self.part, condition=100.0)
        twin = Quadratic(problem)
        lower, upper = mixed_bounds(self.j)
        runs = []
        for fun in (problem, twin):
            rows = []
            res = dlbfgs.minimize(fun, problem.starting_point(), self.part, grad_tol=1e-10,
                                  bounds=(lower, upper),
                                  callback=lambda s: rows.append((s.f, s.optimality, s.step)))
            runs.append((res, rows))
        (builtin, rows_builtin), (numpy_res, rows_numpy) = runs
        self.assertEqual(rows_numpy, rows_builtin)
        self.assertEqual(numpy_res.x.tobytes(), builtin.x.tobytes())
        lo_all, up_all = mixed_bounds(np.arange(N))
        x_all = np.clip(1.0, lo_all, up_all)
        active = int(np.count_nonzero((x_all == lo_all) | (x_all == up_all)))
        self.check_clamped(builtin, np.ones(self.part.local_size), lower, upper, active)

    def test_replicated_takes_full_length_bounds(self):
        # Every rank holds the whole x; each returns 1/p of f: the optimum is clamp(c, l, u).
        j = np.arange(N)
        lower, upper = mixed_bounds(j)
        fun = Separable(j, share=1.0 / self.comm.size)
        res = dlbfgs.minimize_replicated(fun, np.zeros(N), self.comm, bounds=(lower, upper),
                                         grad_tol=1e-11)
        x_all = np.clip(c_of(j), lower, upper)
        active = int(np.count_nonzero((x_all == lower) | (x_all == upper)))
        self.check_clamped(res, c_of(j), lower, upper, active)
        self.assertSameOnAllRanks(res.x.tobytes(), "x")


class L1WeightsTest(MpiTestCase):
    def setUp(self):
        super().setUp()
        self.part = dlbfgs.Partition(self.comm, N)
        self.j = np.arange(self.part.offset, self.part.offset + self.part.local_size)

    @staticmethod
    def weights(j):
        # Every third variable unpenalised (w = 0, e.g. an intercept), the others w in [0.5, 2.5]
        # growing with j, so that no two ranks' blocks hold the same weights.
        return np.where(j % 3 == 0, 0.0, 0.5 + 2.0 * j / N)

    def test_per_variable_weights_give_soft_thresholding(self):
        # f = 1/2 sum (x - c)^2 + lam sum w |x|: x_j = sign(c_j) max(|c_j| - lam w_j, 0).
        lam = 1.0
        c = c_of(self.j)

        def fun(x):
            r = x - c
            return 0.5 * float(r @ r), r

        w = self.weights(self.j)
        res = dlbfgs.minimize(fun, np.zeros(self.part.local_size), self.part, l1_weight=lam,
                              l1_weights=w, grad_tol=1e-10)
        self.assertTrue(res.success, res.message)
        want = np.sign(c) * np.maximum(np.abs(c) - lam * w, 0.0)
        self.assertLessEqual(float(np.max(np.abs(res.x - want), initial=0.0)), 1e-9)
        self.assertTrue(np.all(res.x[want == 0.0] == 0.0))  # exact zeros
        all_j = np.arange(N)
        c_all, w_all = c_of(all_j), self.weights(all_j)
        want_all = np.sign(c_all) * np.maximum(np.abs(c_all) - lam * w_all, 0.0)
        self.assertEqual(res.nonzeros, int(np.count_nonzero(want_all)))
        self.assertGreater(res.nonzeros, 0)
        self.assertLess(res.nonzeros, N)
        self.assertAlmostEqual(res.l1_penalty, float(np.sum(lam * w_all * np.abs(want_all))),
                               delta=1e-8)
        self.assertSameOnAllRanks((res.fun, res.nit, res.nonzeros), "result")
        # Weights of 1 (or the scalar 1) are the plain l1_weight run, bit for bit.
        plain = dlbfgs.minimize(fun, np.zeros(self.part.local_size), self.part, l1_weight=lam)
        for ones in (np.ones(self.part.local_size), 1.0):
            same = dlbfgs.minimize(fun, np.zeros(self.part.local_size), self.part,
                                   l1_weight=lam, l1_weights=ones)
            self.assertEqual(same.x.tobytes(), plain.x.tobytes())

    def test_replicated_takes_full_length_weights(self):
        lam = 1.0
        j = np.arange(N)
        c, w = c_of(j), self.weights(j)
        p = self.comm.size

        def fun(x):
            r = x - c
            return 0.5 * float(r @ r) / p, r / p

        res = dlbfgs.minimize_replicated(fun, np.zeros(N), self.comm, l1_weight=lam,
                                         l1_weights=w, grad_tol=1e-10)
        self.assertTrue(res.success, res.message)
        want = np.sign(c) * np.maximum(np.abs(c) - lam * w, 0.0)
        self.assertLessEqual(float(np.max(np.abs(res.x - want))), 1e-9)
        self.assertEqual(res.nonzeros, int(np.count_nonzero(want)))
        self.assertSameOnAllRanks(res.x.tobytes(), "x")


class BadInputTest(MpiTestCase):
    """Bad bounds or weights on the last rank only: every rank raises the same exception (the
    module's agreement before any collective, or the solver's start-up check), and a good run
    afterwards still works."""

    def setUp(self):
        super().setUp()
        self.part = dlbfgs.Partition(self.comm, 12)
        self.last = self.comm.size - 1
        self.good = np.zeros(self.part.local_size)

    def fun(self, x):
        r = x - 3.0
        return 0.5 * float(r @ r), r

    def check_same_error_everywhere(self, kind, fragment, make_kwargs, replicated=False):
        kwargs = make_kwargs(self.comm.rank == self.last)
        with self.assertRaises(kind) as caught:
            if replicated:
                dlbfgs.minimize_replicated(self.fun, np.zeros(12), self.comm, **kwargs)
            else:
                dlbfgs.minimize(self.fun, self.good, self.part, **kwargs)
        self.assertIn(fragment, str(caught.exception))
        self.assertSameOnAllRanks(str(caught.exception), "message")

    def test_bad_bounds_raise_on_every_rank(self):
        n = self.part.local_size
        ok = np.zeros(n)
        hi = np.ones(n)

        def nan_lower():
            lo = ok.copy()
            lo[-1:] = np.nan  # a rank with no entries keeps no NaN: the last rank owns some
            return lo

        cases = [
            (ValueError, "bounds[0] (lower) has shape", lambda: (np.zeros(n + 1), hi)),
            (ValueError, "bounds[1] (upper) has shape", lambda: (ok, np.ones((n, 1)))),
            (TypeError, "bounds[0] (lower) has dtype complex128", lambda: (ok.astype(complex), hi)),
            (TypeError, "has dtype bool", lambda: (ok, hi.astype(bool))),
            (TypeError, "has dtype object", lambda: ([None] * n, hi)),
            (TypeError, "bounds[1] (upper) has dtype <U3", lambda: (ok, "one")),
            (TypeError, "bounds must be a pair (lower, upper)", lambda: (ok,)),
            (TypeError, "per-variable (min, max) pairs are not accepted",
             lambda: [(0, 1)] * 3),
            (ValueError, "lower bound of x[11] is nan", lambda: (nan_lower(), hi)),
            (ValueError, "is above its upper bound", lambda: (hi, ok)),
            (ValueError, "the bounds of x[", lambda: (np.full(n, INF), np.full(n, INF))),
        ]
        for kind, fragment, make in cases:
            with self.subTest(fragment=fragment):
                self.check_same_error_everywhere(
                    kind, fragment,
                    lambda bad: {"bounds": make() if bad else (ok, hi)})
        res = dlbfgs.minimize(self.fun, self.good, self.part, bounds=(ok, hi))
        self.assertTrue(res.success, res.message)
        self.assertEqual(res.active_bounds, self.part.global_size)  # x = 1 everywhere

    def test_bad_l1_weights_raise_on_every_rank(self):
        n = self.part.local_size
        w = np.ones(n)
        cases = [
            (ValueError, "l1_weights has shape", lambda: np.ones(n + 2)),
            (TypeError, "l1_weights has dtype complex128", lambda: w.astype(complex)),
            (TypeError, "l1_weights has dtype object", lambda: object()),
            (ValueError, "L1 weight of x[11] is -1",
             lambda: np.where(np.arange(n) == n - 1, -1.0, 1.0)),
            (ValueError, "must be >= 0 and finite", lambda: np.full(n, np.inf)),
        ]
        for kind, fragment, make in cases:
            with self.subTest(fragment=fragment):
                self.check_same_error_everywhere(
                    kind, fragment,
                    lambda bad: {"l1_weight": 1.0, "l1_weights": make() if bad else w})

    def test_l1_and_bounds_together_are_refused_on_every_rank(self):
        n = self.part.local_size
        self.check_same_error_everywhere(
            ValueError, "bounds and l1_weights exclude each other",
            lambda bad: {"l1_weight": 1.0, "l1_weights": np.ones(n),
                         **({"bounds": (0, 1)} if bad else {})})
        # l1_weight > 0 with bounds (the same arguments on every rank): the solver refuses it.
        self.check_same_error_everywhere(
            ValueError, "l1_weight > 0 together with bounds is not supported",
            lambda bad: {"l1_weight": 1.0, "bounds": (0, 1)})

    def test_replicated_bad_full_length_bounds_raise_on_every_rank(self):
        self.check_same_error_everywhere(
            ValueError, "bounds[0] (lower) has shape (11,); expected (12,)",
            lambda bad: {"bounds": (np.zeros(11 if bad else 12), 1.0)}, replicated=True)
        self.check_same_error_everywhere(
            ValueError, "is above its upper bound",
            lambda bad: {"bounds": (np.full(12, 2.0 if bad else 0.0), 1.0)}, replicated=True)
        self.check_same_error_everywhere(
            ValueError, "l1_weights has shape",
            lambda bad: {"l1_weight": 1.0, "l1_weights": np.ones(13 if bad else 12)},
            replicated=True)


if __name__ == "__main__":
    main()
