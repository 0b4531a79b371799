"""Runs a unittest module on every rank of MPI.COMM_WORLD (the Python twin of
tests/support/mpi_gtest_main.cpp): rank 0 prints in full, other ranks print only their failures,
prefixed "[rank r]", and the exit status is the largest over the ranks. Every test is bounded by
a timeout: a rank still inside one test after DLBFGS_TEST_TIMEOUT seconds (default 60) prints
every thread's stack and exits with status 1, so that a hang fails instead of waiting."""

import faulthandler
import io
import os
import sys
import unittest

from mpi4py import MPI

TIMEOUT = float(os.environ.get("DLBFGS_TEST_TIMEOUT", "60"))
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(os.path.dirname(HERE), "examples")
if EXAMPLES not in sys.path:
    sys.path.insert(0, EXAMPLES)


class MpiTestCase(unittest.TestCase):
    """A test case whose every test is bounded by TIMEOUT seconds."""

    comm = MPI.COMM_WORLD

    def setUp(self):
        faulthandler.dump_traceback_later(TIMEOUT, exit=True)

    def tearDown(self):
        faulthandler.cancel_dump_traceback_later()

    def assertSameOnAllRanks(self, value, what="value"):
        """Asserts that `value` (any picklable) is equal on every rank. Collective."""
        values = self.comm.allgather(value)
        self.assertTrue(all(v == values[0] for v in values), f"{what} differs: {values}")


def main():
    comm = MPI.COMM_WORLD
    stream = sys.stderr if comm.rank == 0 else io.StringIO()
    program = unittest.main(module="__main__", exit=False, verbosity=2 if comm.rank == 0 else 1,
                            testRunner=unittest.TextTestRunner(stream=stream,
                                                               verbosity=2 if comm.rank == 0 else 1))
    failed = 0 if program.result.wasSuccessful() else 1
    if failed and comm.rank != 0:
        for line in stream.getvalue().splitlines():
            print(f"[rank {comm.rank}] {line}", file=sys.stderr)
    worst = comm.allreduce(failed, op=MPI.MAX)
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(worst)
