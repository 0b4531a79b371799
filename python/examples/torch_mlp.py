"""A small PyTorch MLP on scikit-learn's digits, trained with dlbfgs.minimize_replicated.

    mpirun -n 4 /usr/bin/python3 python/examples/torch_mlp.py [--check]

torch computes the loss and its gradient on each rank's shard of the training images; dlbfgs
sums the gradient shares with one reduce-scatter, keeps the L-BFGS history sharded and hands
every rank the same new parameter vector. Needs Debian's python3-torch
(scripts/setup.sh --with-torch); without it the script says so and exits with 77 (ctest: skipped).
--check exits with 1 unless the test accuracy is >= 0.93.
"""

import sys

try:
    import torch
except ImportError:
    print("SKIPPED: torch is not installed (scripts/setup.sh --with-torch installs python3-torch)")
    sys.exit(77)

import numpy as np
from mpi4py import MPI

import dlbfgs
from digits_softmax import load

L2 = 1e-4
HIDDEN = 32


def main():
    comm = MPI.COMM_WORLD
    torch.manual_seed(0)  # the same initial weights on every rank
    torch.set_num_threads(1)  # one core per rank
    x_train, y_train, x_test, y_test = load()
    x_train, x_test = x_train[:, :-1], x_test[:, :-1]  # torch's layers have their own bias
    model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.Tanh(),
                                torch.nn.Linear(HIDDEN, 10)).double()
    params = list(model.parameters())
    mine = slice(comm.rank, None, comm.size)
    xs = torch.from_numpy(np.ascontiguousarray(x_train[mine]))
    ys = torch.from_numpy(y_train[mine])
    n_train = len(y_train)

    def fun(w):
        # w is a read-only view of dlbfgs's buffer: copy it into the model's parameters.
        torch.nn.utils.vector_to_parameters(torch.tensor(w), params)
        model.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(xs), ys, reduction="sum") / n_train
        loss = loss + 0.5 * L2 / comm.size * sum((p * p).sum() for p in params)
        loss.backward()
        g = torch.nn.utils.parameters_to_vector([p.grad for p in params])
        return float(loss), g.detach().numpy()

    w0 = torch.nn.utils.parameters_to_vector(params).detach().numpy().copy()
    res = dlbfgs.minimize_replicated(fun, w0, comm, grad_tol=1e-5, max_iterations=300)
    torch.nn.utils.vector_to_parameters(torch.tensor(res.x), params)
    with torch.no_grad():
        test = float((model(torch.from_numpy(x_test)).argmax(1).numpy() == y_test).mean())
        train = float((model(torch.from_numpy(x_train)).argmax(1).numpy() == y_train).mean())
    if comm.rank == 0:
        print(f"torch MLP 64-{HIDDEN}-10 ({w0.size} parameters) on digits, {comm.size} rank(s): "
              f"{res.reason} after {res.nit} iterations ({res.nfev} evaluations); objective "
              f"{res.fun:.6f}, train accuracy {train:.4f}, test accuracy {test:.4f}")
    if "--check" in sys.argv[1:]:
        return 0 if test >= 0.93 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
