"""Softmax regression on scikit-learn's digits with dlbfgs.minimize_replicated.

    mpirun -n 4 /usr/bin/python3 python/examples/digits_softmax.py [--check]

Every rank holds the whole model W (65 x 10: 64 pixels and a bias, 10 classes) and its own
shard of the 1438 training images (rows r, r + p, ...); it returns its share of the mean
cross-entropy plus the L2 penalty and of their gradient. The library sums the shares with one
reduce-scatter and keeps the L-BFGS history sharded over the ranks. The images left out (359)
measure the test accuracy. --check exits with 1 unless the run converges with test accuracy
>= 0.93 (ctest runs it so at 1-4 ranks).
"""

import sys

import numpy as np
from mpi4py import MPI
from sklearn.datasets import load_digits

import dlbfgs

L2 = 1e-3  # weight of 1/2 ||W||^2


def load(seed=0, test_fraction=0.2):
    """Standardised digits with a bias column, split into train and test (same on every rank)."""
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    x = np.hstack([x, np.ones((x.shape[0], 1))])
    order = np.random.RandomState(seed).permutation(x.shape[0])
    cut = int(round(x.shape[0] * (1 - test_fraction)))
    return x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]


def softmax_share(x_shard, y_shard, n_train, ranks, classes=10):
    """fun(w) -> (f_share, g_share) of mean cross-entropy over n_train rows + L2 / 2 ||w||^2."""
    onehot = np.eye(classes)[y_shard]
    features = x_shard.shape[1]

    def fun(w):
        W = w.reshape(features, classes)
        z = x_shard @ W
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        s = p.sum(axis=1, keepdims=True)
        log_likelihood = (z * onehot).sum() - np.log(s).sum()
        p /= s
        f = -log_likelihood / n_train + 0.5 * L2 * float(w @ w) / ranks
        g = (x_shard.T @ (p - onehot)) / n_train + (L2 / ranks) * W
        return float(f), g.ravel()

    return fun


def accuracy(w, x, y, classes=10):
    return float(np.mean(np.argmax(x @ w.reshape(x.shape[1], classes), axis=1) == y))


def main():
    comm = MPI.COMM_WORLD
    x_train, y_train, x_test, y_test = load()
    mine = slice(comm.rank, None, comm.size)
    fun = softmax_share(x_train[mine], y_train[mine], len(y_train), comm.size)
    w0 = np.zeros(x_train.shape[1] * 10)
    res = dlbfgs.minimize_replicated(fun, w0, comm, grad_tol=1e-6, max_iterations=500)
    train, test = accuracy(res.x, x_train, y_train), accuracy(res.x, x_test, y_test)
    if comm.rank == 0:
        print(f"digits softmax regression, {len(y_train)} train / {len(y_test)} test images, "
              f"{w0.size} parameters, {comm.size} rank(s): {res.reason} after {res.nit} "
              f"iterations ({res.nfev} evaluations); objective {res.fun:.6f}, "
              f"train accuracy {train:.4f}, test accuracy {test:.4f}")
    if "--check" in sys.argv[1:]:
        return 0 if res.success and test >= 0.93 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
