"""Python and C++ give bitwise the same iterates. Usage (ctest runs it at 1-4 ranks):

    mpiexec -n N dlbfgs solve --problem rosenbrock --n 70 --trace T.csv
    mpiexec -n N python3 cli_bitwise.py T.csv

The trace of the C++ program (every iteration's f, ||g||, step and evaluation count, written with
17 significant digits, so exactly) must equal what dlbfgs.minimize reports to its callback, on
every rank, for the built-in C++ problem and for the identical NumPy objective (returned,
in-place and buffered in-place gradients), and the three runs must return the same x bit for bit."""

import csv
import sys

from mpi_unittest import MpiTestCase, main
from rosenbrock import RosenbrockBuffered, rosenbrock, rosenbrock_inplace

import dlbfgs

N = 70  # 35 pairs: uneven blocks at 2-4 ranks
TRACE = sys.argv.pop(1) if len(sys.argv) > 1 else None


def run(fun, part, **kwargs):
    rows = []

    def record(s):
        rows.append((s.iteration, s.f, s.grad_norm, s.step, s.nfev))

    problem = dlbfgs.Problem("rosenbrock", part)
    res = dlbfgs.minimize(fun, problem.starting_point(), part, callback=record, **kwargs)
    return res, rows


class BitwiseTest(MpiTestCase):
    def test_python_iterates_equal_the_cpp_programs_bitwise(self):
        self.assertIsNotNone(TRACE, "usage: cli_bitwise.py TRACE.csv")
        with open(TRACE, newline="") as f:
            cpp = [(int(r["iteration"]), float(r["f"]), float(r["grad_norm"]), float(r["step"]),
                    int(r["evaluations"])) for r in csv.DictReader(f)]
        part = dlbfgs.Partition(self.comm, N, granularity=2)
        builtin, rows_builtin = run(dlbfgs.Problem("rosenbrock", part), part)
        numpy_res, rows_numpy = run(rosenbrock, part)
        inplace_res, rows_inplace = run(rosenbrock_inplace, part, inplace=True)
        buffered_res, rows_buffered = run(RosenbrockBuffered(part.local_size), part, inplace=True)
        self.assertGreater(len(cpp), 20)
        self.assertEqual(rows_builtin, cpp)
        self.assertEqual(rows_numpy, cpp)
        self.assertEqual(rows_inplace, cpp)
        self.assertEqual(rows_buffered, cpp)
        self.assertTrue(builtin.success, builtin.message)
        for other in (numpy_res, inplace_res, buffered_res):
            self.assertEqual(other.x.tobytes(), builtin.x.tobytes())
            self.assertEqual(other.jac.tobytes(), builtin.jac.tobytes())
            self.assertEqual((other.fun, other.nit, other.nfev, other.message),
                             (builtin.fun, builtin.nit, builtin.nfev, builtin.message))


if __name__ == "__main__":
    main()
