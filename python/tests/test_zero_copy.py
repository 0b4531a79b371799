"""No copies: fun sees NumPy views of the solver's own buffers, at the same addresses at every
call, and an in-place gradient is written straight into the solver's buffer."""

import numpy as np

from mpi_unittest import MpiTestCase, main
from rosenbrock import rosenbrock, rosenbrock_inplace, starting_point

import dlbfgs


def address(a):
    return a.__array_interface__["data"][0]


class PartitionedZeroCopyTest(MpiTestCase):
    def test_fun_sees_views_of_the_solvers_two_buffers(self):
        part = dlbfgs.Partition(self.comm, 60, granularity=2)
        x_addresses, g_addresses, callback_addresses = set(), set(), set()
        calls = [0]

        def fun(x, g):
            calls[0] += 1
            self.assertFalse(x.flags.owndata)  # a view, not an array of its own
            self.assertFalse(x.flags.writeable)  # the solver's iterate is read-only
            self.assertTrue(g.flags.writeable and not g.flags.owndata)
            if x.size:
                x_addresses.add(address(x))
                g_addresses.add(address(g))
            return rosenbrock_inplace(x, g)

        def callback(s):
            if s.x.size:
                callback_addresses.add(address(s.x))

        res = dlbfgs.minimize(fun, starting_point(part), part, inplace=True, callback=callback)
        self.assertTrue(res.success, res.message)
        self.assertGreater(calls[0], 20)
        if part.local_size:
            # The solver keeps x and the trial point in two buffers that it swaps when it
            # accepts a step, and likewise for g: two addresses over every call, and the
            # iterate the callback sees is one of them (a copy would be a third).
            self.assertEqual(len(x_addresses), 2)
            self.assertEqual(len(g_addresses), 2)
            self.assertTrue(callback_addresses <= x_addresses)
            self.assertFalse(x_addresses & g_addresses)
        # The same run with the gradient returned (and copied once into the solver) is bitwise
        # the same.
        plain = dlbfgs.minimize(rosenbrock, starting_point(part), part)
        self.assertEqual(plain.x.tobytes(), res.x.tobytes())
        self.assertEqual((plain.nit, plain.nfev), (res.nit, res.nfev))


class ReplicatedZeroCopyTest(MpiTestCase):
    def test_fun_sees_one_full_x_buffer_at_every_call(self):
        n = 13
        xs, gs = set(), set()
        target = np.arange(n, dtype=float)

        def fun(x, g):
            self.assertEqual(x.shape, (n,))
            self.assertFalse(x.flags.writeable or x.flags.owndata)
            xs.add(address(x))
            gs.add(address(g))
            np.subtract(x, target, out=g)
            g /= self.comm.size
            return 0.5 * float(g @ (x - target))

        res = dlbfgs.minimize_replicated(fun, np.zeros(n), self.comm, inplace=True)
        self.assertTrue(res.success, res.message)
        self.assertGreater(res.nfev, 1)
        self.assertEqual(len(xs), 1)  # the adapter's full x: one stable buffer
        self.assertEqual(len(gs), 1)
        np.testing.assert_allclose(res.x, target, atol=1e-6)


if __name__ == "__main__":
    main()
