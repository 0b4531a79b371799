"""Python and C++ give bitwise the same iterates with bounds. Usage (ctest runs it at 1-4 ranks):

    mpiexec -n N dlbfgs solve --problem rosenbrock --n 70 --lower 0 --upper 0.8 --trace T.csv
    mpiexec -n N python3 cli_bitwise_bounds.py T.csv

The program's trace (every iteration's f, ||P(x - g) - x||, step and evaluation count, with 17
significant digits, so exactly) must equal what dlbfgs.minimize reports to its callback for the
built-in C++ Rosenbrock and for its NumPy twin (python/examples/rosenbrock.py; returned and
in-place gradients), with the same bounds given as scalars and as arrays. The box cuts off the
minimiser (1, 1): at the solution every odd-numbered x_i (x_1, x_3, ...) sits on its upper bound
0.8 exactly and the others are free at 0.8^2."""

import csv
import sys

import numpy as np

from mpi_unittest import MpiTestCase, main
from rosenbrock import rosenbrock, rosenbrock_inplace

import dlbfgs

N = 70  # 35 pairs: uneven blocks at 2-4 ranks
LOWER, UPPER = 0.0, 0.8
TRACE = sys.argv.pop(1) if len(sys.argv) > 1 else None


def run(fun, part, problem, bounds, **kwargs):
    rows = []

    def record(s):
        rows.append((s.iteration, s.f, s.optimality, s.step, s.nfev))

    res = dlbfgs.minimize(fun, problem.starting_point(), part, callback=record, bounds=bounds,
                          **kwargs)
    return res, rows


class BoundsBitwiseTest(MpiTestCase):
    def test_python_bounded_iterates_equal_the_cpp_programs_bitwise(self):
        self.assertIsNotNone(TRACE, "usage: cli_bitwise_bounds.py TRACE.csv")
        with open(TRACE, newline="") as f:
            cpp = [(int(r["iteration"]), float(r["f"]), float(r["grad_norm"]), float(r["step"]),
                    int(r["evaluations"])) for r in csv.DictReader(f)]
        part = dlbfgs.Partition(self.comm, N, granularity=2)
        problem = dlbfgs.Problem("rosenbrock", part)
        arrays = (np.full(part.local_size, LOWER), np.full(part.local_size, UPPER))
        builtin, rows_builtin = run(problem, part, problem, (LOWER, UPPER))
        numpy_res, rows_numpy = run(rosenbrock, part, problem, arrays)
        inplace_res, rows_inplace = run(rosenbrock_inplace, part, problem, (LOWER, UPPER),
                                        inplace=True)
        self.assertGreater(len(cpp), 5)
        self.assertEqual(rows_builtin, cpp)
        self.assertEqual(rows_numpy, cpp)
        self.assertEqual(rows_inplace, cpp)
        self.assertTrue(builtin.success, builtin.message)
        # Every rank's block starts at an even global index (granularity 2).
        self.assertEqual(builtin.x[0::2].tobytes(), np.full(part.local_size // 2, UPPER).tobytes())
        np.testing.assert_allclose(builtin.x[1::2], UPPER * UPPER, rtol=1e-6)
        self.assertEqual(builtin.active_bounds, N // 2)
        for other in (numpy_res, inplace_res):
            self.assertEqual(other.x.tobytes(), builtin.x.tobytes())
            self.assertEqual(other.jac.tobytes(), builtin.jac.tobytes())
            self.assertEqual((other.fun, other.nit, other.nfev, other.message,
                              other.active_bounds, other.optimality),
                             (builtin.fun, builtin.nit, builtin.nfev, builtin.message,
                              builtin.active_bounds, builtin.optimality))


if __name__ == "__main__":
    main()
