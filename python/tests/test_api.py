"""Partition, options by name, callbacks, status/reason and the result fields."""

import os
import re

import numpy as np

from mpi_unittest import MpiTestCase, main
from rosenbrock import rosenbrock, starting_point

import dlbfgs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def quadratic(x):
    # f = 1/2 sum (x_i - 3)^2: minimiser 3, from any start.
    r = x - 3.0
    return 0.5 * float(r @ r), r


class PartitionTest(MpiTestCase):
    def test_blocks_tile_the_range_and_may_be_empty(self):
        for n in (0, 3, 10):
            part = dlbfgs.Partition(self.comm, n)
            blocks = self.comm.allgather((part.offset, part.local_size))
            self.assertEqual(blocks[0][0], 0)
            for (o, s), (o2, _) in zip(blocks, blocks[1:]):
                self.assertEqual(o + s, o2)
            self.assertEqual(sum(s for _, s in blocks), n)
            self.assertEqual((part.global_size, part.rank, part.size),
                             (n, self.comm.rank, self.comm.size))
            self.assertIs(part.comm, self.comm)

    def test_bad_arguments_raise_on_every_rank(self):
        with self.assertRaisesRegex(ValueError, "not a multiple of the granularity"):
            dlbfgs.Partition(self.comm, 7, granularity=2)
        with self.assertRaisesRegex(TypeError, "mpi4py.MPI.Comm"):
            dlbfgs.Partition("world", 7)


class OptionsTest(MpiTestCase):
    def test_every_field_of_LbfgsOptions_is_an_option(self):
        # The fields of the C++ struct, read from its header: a field added there and not to
        # python/src/options_table.hpp fails here.
        with open(os.path.join(ROOT, "include", "dlbfgs", "options.hpp")) as f:
            text = f.read()
        body = text[text.index("struct LbfgsOptions {"):]
        body = body[:body.index("\n};")]
        fields = re.findall(r"^\s+[\w:<>]+\s+(\w+)(?:\s*=[^;]*)?;", body, re.M)
        fields = [f for f in fields if f != "callback"]
        self.assertGreater(len(fields), 20)
        self.assertEqual(list(dlbfgs.default_options()), fields)

    def test_options_take_effect_by_name(self):
        part = dlbfgs.Partition(self.comm, 40, granularity=2)
        x0 = starting_point(part)
        res = dlbfgs.minimize(rosenbrock, x0, part, max_iterations=3)
        self.assertEqual((res.nit, res.reason, res.success), (3, "max_iterations", False))
        res = dlbfgs.minimize(rosenbrock, x0, part, max_evaluations=5)
        self.assertEqual((res.nfev, res.reason), (5, "max_evaluations"))
        m3 = dlbfgs.minimize(rosenbrock, x0, part, history_size=1, grad_tol=1e-6)
        m10 = dlbfgs.minimize(rosenbrock, x0, part, history_size=10, grad_tol=1e-6)
        self.assertTrue(m3.success and m10.success)
        self.assertNotEqual((m3.nit, m3.fun), (m10.nit, m10.fun))
        self.assertLessEqual(m3.optimality, 1e-6)
        back = dlbfgs.minimize(rosenbrock, x0, part, line_search="backtracking", two_loop="classic",
                               grad_rel_tol=1e-3, grad_tol=0.0)
        self.assertEqual(back.reason, "relative_gradient_tolerance")
        self.assertNotEqual(back.nfev, m10.nfev)
        # The classic two-loop adds 2m + 1 reductions per iteration: more allreduce calls.
        self.assertGreater(back.allreduce_calls, back.nfev + 1)
        self.assertEqual(m10.allreduce_calls, m10.nfev + 1)

    def test_trial_products_keep_the_run_and_count_the_extra_allreduces(self):
        part = dlbfgs.Partition(self.comm, 200, granularity=2)
        problem = dlbfgs.Problem("trigonometric", part)
        x0 = np.full(part.local_size, 1.0 / 200)
        every = dlbfgs.minimize(problem, x0, part)
        self.assertEqual(dlbfgs.default_options()["trial_products"], "every")
        self.assertEqual(every.product_allreduces, 0)
        for mode in ("first", "after"):
            res = dlbfgs.minimize(problem, x0, part, trial_products=mode)
            self.assertEqual((res.fun, res.nit, res.nfev), (every.fun, every.nit, every.nfev))
            self.assertGreater(res.product_allreduces, 0)
            self.assertEqual(res.allreduce_calls, res.nfev + 1 + res.product_allreduces)
        with self.assertRaisesRegex(ValueError, "trial_products"):
            dlbfgs.minimize(problem, x0, part, trial_products="sometimes")

    def test_l1_weight_runs_owlqn_and_reports_sparsity(self):
        # f = 1/2 sum (x_i - c_i)^2 + lam sum |x_i|: x_i = soft(c_i, lam), zero where |c_i| <= lam.
        n, lam = 50, 1.0
        part = dlbfgs.Partition(self.comm, n)
        c = np.linspace(-3.0, 3.0, n)[part.offset:part.offset + part.local_size]

        def fun(x):
            r = x - c
            return 0.5 * float(r @ r), r

        res = dlbfgs.minimize(fun, np.zeros(part.local_size), part, l1_weight=lam, grad_tol=1e-8)
        self.assertTrue(res.success, res.message)
        self.assertEqual(res.line_search, "backtracking")
        want = np.sign(c) * np.maximum(np.abs(c) - lam, 0.0)
        self.assertLessEqual(float(np.max(np.abs(res.x - want), initial=0.0)), 1e-8)
        full = np.linspace(-3.0, 3.0, n)
        self.assertEqual(res.nonzeros, int(np.count_nonzero(np.abs(full) > lam)))
        self.assertLessEqual(res.optimality, 1e-8)
        plain = dlbfgs.minimize(fun, np.zeros(part.local_size), part, grad_tol=1e-8)
        self.assertIsNone(plain.nonzeros)

    def test_unknown_or_mistyped_options_raise_on_every_rank(self):
        part = dlbfgs.Partition(self.comm, 4)
        x0 = np.zeros(part.local_size)
        cases = [({"histroy_size": 5}, TypeError, "unknown option 'histroy_size'"),
                 ({"history_size": "ten"}, TypeError, "history_size must be an int, got str"),
                 ({"history_size": True}, TypeError, "history_size must be an int, got bool"),
                 ({"grad_tol": None}, TypeError, "grad_tol must be a float"),
                 ({"line_search": "wolfe"}, ValueError, "unknown line search 'wolfe'"),
                 ({"history_size": -1}, ValueError, r"history_size = -1: must be in \[0, 1000\]"),
                 ({"l1_weight": -1.0}, ValueError, r"l1_weight = -1: must be >= 0"),
                 ({"c2": 1e-5}, ValueError, r"c2 = 1e-05: must be in \(c1, 1\)")]
        for kwargs, kind, pattern in cases:
            with self.subTest(kwargs=kwargs):
                with self.assertRaisesRegex(kind, pattern):
                    dlbfgs.minimize(quadratic, x0, part, **kwargs)

    def test_an_option_wrong_on_one_rank_only_raises_on_every_rank(self):
        part = dlbfgs.Partition(self.comm, 4)
        x0 = np.zeros(part.local_size)
        last = self.comm.size - 1
        bad = {"history_size": "x"} if self.comm.rank == last else {"history_size": 5}
        with self.assertRaises(TypeError) as caught:
            dlbfgs.minimize(quadratic, x0, part, **bad)
        self.assertSameOnAllRanks(str(caught.exception), "message")
        # Valid on every rank but different: the solver's start-up check names the field.
        if self.comm.size > 1:
            with self.assertRaisesRegex(ValueError, "history_size differs between ranks"):
                dlbfgs.minimize(quadratic, x0, part, history_size=5 + (self.comm.rank == last))

    def test_ranks_that_own_nothing_take_part(self):
        part = dlbfgs.Partition(self.comm, 3)  # at 4 ranks, rank 3 owns no entry
        res = dlbfgs.minimize(quadratic, np.zeros(part.local_size), part)
        self.assertTrue(res.success, res.message)
        self.assertEqual(res.x.shape, (part.local_size,))
        np.testing.assert_allclose(res.x, 3.0, atol=1e-6)
        self.assertSameOnAllRanks((res.fun, res.nfev), "result")
        other = dlbfgs.Problem("rosenbrock", dlbfgs.Partition(self.comm, 4, granularity=2))
        with self.assertRaisesRegex(ValueError, "built on another partition"):
            dlbfgs.minimize(other, np.zeros(part.local_size), part)

    def test_reasons_list_every_termination_reason_in_order(self):
        # The enumerators of the C++ enum, read from its header: a reason added there and not
        # reached by dlbfgs.reasons() fails here.
        with open(os.path.join(ROOT, "include", "dlbfgs", "result.hpp")) as f:
            text = f.read()
        body = text[text.index("enum class TerminationReason {"):]
        body = body[:body.index("\n};")]
        names = re.findall(r"^\s+k(\w+),", body, re.M)
        self.assertGreater(len(names), 12)
        snake = [re.sub(r"(?<!^)(?=[A-Z])", "_", n).lower() for n in names]
        self.assertEqual(dlbfgs.reasons(), snake)

    def test_result_has_scipy_and_dlbfgs_fields(self):
        part = dlbfgs.Partition(self.comm, 9)
        res = dlbfgs.minimize(quadratic, np.zeros(part.local_size), part)
        for key in ("x", "fun", "jac", "nit", "nfev", "success", "status", "message", "reason",
                    "optimality", "active_bounds", "allreduce_calls", "phases"):
            self.assertIn(key, res)
        self.assertTrue(res.success)
        self.assertEqual(res.reason, "gradient_tolerance")
        self.assertEqual(dlbfgs.reasons()[res.status], res.reason)
        np.testing.assert_allclose(res.x, 3.0, atol=1e-6)
        np.testing.assert_allclose(res.jac, res.x - 3.0, atol=0, rtol=0)  # g at the returned x
        self.assertEqual(set(res.phases), {"objective", "direction", "communication", "other"})
        self.assertSameOnAllRanks((res.fun, res.nit, res.nfev, res.message), "result")


class CallbackTest(MpiTestCase):
    def test_callback_sees_every_iteration_and_can_stop_the_run(self):
        part = dlbfgs.Partition(self.comm, 30, granularity=2)
        x0 = starting_point(part)
        seen = []
        res = dlbfgs.minimize(rosenbrock, x0, part,
                              callback=lambda s: seen.append((s.iteration, s.fun, s.nfev)))
        self.assertEqual([i for i, _, _ in seen], list(range(res.nit + 1)))
        self.assertEqual(seen[-1][1:], (res.fun, res.nfev))
        # Returning True on one rank stops every rank after that iteration.
        last = self.comm.size - 1
        stop = dlbfgs.minimize(rosenbrock, x0, part,
                               callback=lambda s: s.iteration == 4 and self.comm.rank == last)
        self.assertEqual((stop.reason, stop.nit, stop.success), ("user_requested", 4, False))
        self.assertSameOnAllRanks(stop.message, "message")

        def raise_stop(s):
            if s.iteration == 2:
                raise StopIteration

        self.assertEqual(dlbfgs.minimize(rosenbrock, x0, part, callback=raise_stop).nit, 2)

    def test_callback_exception_ends_the_run_on_every_rank(self):
        part = dlbfgs.Partition(self.comm, 30, granularity=2)

        def bad(s):
            if s.iteration == 3 and self.comm.rank == 0:
                raise RuntimeError("plot window closed")

        res = dlbfgs.minimize(rosenbrock, starting_point(part), part, callback=bad)
        self.assertEqual(res.reason, "objective_error")
        self.assertIn("rank 0", res.message)
        self.assertIn("RuntimeError: plot window closed", res.message)
        self.assertSameOnAllRanks(res.message, "message")

    def test_builtin_problem_runs_without_python_in_the_loop(self):
        part = dlbfgs.Partition(self.comm, 24, granularity=2)
        problem = dlbfgs.Problem("rosenbrock", part)
        res = dlbfgs.minimize(problem, problem.starting_point(), part, grad_tol=1e-8)
        self.assertTrue(res.success, res.message)
        np.testing.assert_allclose(res.x, problem.known_minimizer(), atol=1e-7)
        self.assertIn("rosenbrock", [p["name"] for p in dlbfgs.problems()])


if __name__ == "__main__":
    main()
