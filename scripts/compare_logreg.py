#!/usr/bin/python3
"""dlbfgs train next to scikit-learn and liblinear on one LIBSVM file.

Trains the same regularised logistic regression three ways and prints, for each, the objective
F (always dlbfgs's definition, recomputed here from each tool's weights), the training accuracy
and the wall time:

  F(W, b) = (1/N) sum_i loss(y_i, W x_i + b) + (lambda2/2) ||W||^2 + lambda1 ||W||_1
  (intercept b unpenalised; L2 by default, L1 alone with --l1, lambda2 = 0 then)

- dlbfgs: `mpirun -np RANKS dlbfgs train --data FILE --l2 lambda2 --model-out ...`
- scikit-learn: LogisticRegression(solver="lbfgs", C=1/(N lambda2)), which minimises
  C sum_i loss + ||W||^2 / 2 with an unpenalised intercept: the same F times N C (softmax for
  more than two classes, as dlbfgs).
- liblinear: `liblinear-train -s 0 -c C -B 1` (Debian's name; `train` elsewhere) with the same C.
  It penalises its bias feature, so its F here is slightly above the optimum; with more than two
  classes -s 0 is one-vs-rest, another model, so F is not compared (n/a).
- With --l1 lambda1: dlbfgs `--l1 lambda1 --l2 0` (OWL-QN); scikit-learn
  LogisticRegression(penalty="l1", solver="saga" or "liblinear", C=1/(N lambda1)), which
  minimises C sum_i loss + ||W||_1 (saga leaves the intercept unpenalised, the same F times N C;
  its solver="liblinear" penalises it like liblinear); liblinear `-s 6 -c C -B 1` (L1-regularised
  logistic regression, bias penalised by the L1 term as well).

Uses Debian's /usr/bin/python3 with python3-sklearn, python3-scipy, python3-numpy and
liblinear-tools (./scripts/setup.sh installs them). Exit status 0, or 2 with one line on standard
error for bad arguments or a missing tool. The last line with --json is one JSON object.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(message):
    print(f"compare_logreg.py: error: {message}", file=sys.stderr)
    sys.exit(2)


try:
    import numpy as np
    from scipy.special import logsumexp
    from sklearn.datasets import load_svmlight_file
    from sklearn.linear_model import LogisticRegression
except ImportError as e:  # pragma: no cover - depends on the machine
    fail(f"{e} (install python3-sklearn python3-scipy python3-numpy: ./scripts/setup.sh)")


def objective(X, labels, classes, W, b, l2, l1=0.0):
    """F of dlbfgs at weights W (K x d) and intercepts b (K), K = 1 for two classes."""
    index = np.searchsorted(classes, labels)
    Z = X @ W.T + b
    if len(classes) == 2:
        y = np.where(index == 1, 1.0, -1.0)
        loss = np.logaddexp(0.0, -y * Z[:, 0])
        predicted = (Z[:, 0] > 0).astype(int)
    else:
        loss = logsumexp(Z, axis=1) - Z[np.arange(len(index)), index]
        predicted = np.argmax(Z, axis=1)
    f = loss.mean() + 0.5 * l2 * float(np.sum(W * W)) + l1 * float(np.sum(np.abs(W)))
    return f, float(np.mean(predicted == index))


def read_header(lines, i, end):
    """The "key value" lines of a model file from line i up to the line `end`: (dict, its index)."""
    header = {}
    while lines[i] != end:
        key, _, value = lines[i].partition(" ")
        header[key] = value
        i += 1
    return header, i


def read_dlbfgs_model(path, d):
    """W (K x d) and b (K) from a dlbfgs model file."""
    with open(path) as f:
        lines = f.read().split("\n")
    header, i = read_header(lines, 1, "weights")
    labels = [float(v) for v in header["labels"].split()]
    K = 1 if len(labels) == 2 else len(labels)
    base = int(header.get("index_base", "1"))
    W = np.zeros((K, d))
    b = np.zeros(K)
    for line in lines[i + 1:]:
        words = line.split()
        if not words or words[0] == "end":
            continue
        values = np.array([float(v) for v in words[1:]])
        if words[0] == "intercepts":
            b = values
        else:
            j = int(words[0]) - base
            if j < d:
                W[:, j] = values
    return W, b


def run_dlbfgs(args, l2, l1):
    exe = args.dlbfgs or os.environ.get("DLBFGS_EXE") or os.path.join(ROOT, "build/apps/dlbfgs")
    if not os.access(exe, os.X_OK):
        fail(f"no dlbfgs program at {exe} (build it, or give --dlbfgs PATH)")
    model = tempfile.NamedTemporaryFile(prefix="dlbfgs-model-", suffix=".txt", delete=False).name
    cmd = [exe, "train", "--data", args.file, "--l2", repr(l2), "--grad-tol", repr(args.grad_tol),
           "--layout", args.layout, "--model-out", model, "--json", "--quiet",
           "--max-iterations", "100000"]
    if l1 > 0:
        cmd += ["--l1", repr(l1)]
    if args.zero_based:
        cmd.append("--zero-based")
    if args.ranks > 0:
        mpirun = (os.environ.get("DLBFGS_MPIEXEC") or shutil.which("mpirun") or
                  shutil.which("mpiexec"))
        if mpirun is None:
            fail("no mpirun on PATH")
        cmd = [mpirun, "-q", "-np", str(args.ranks)] + cmd
    env = dict(os.environ)
    for key, value in (("OMPI_ALLOW_RUN_AS_ROOT", "1"), ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"),
                       ("OMPI_MCA_rmaps_base_oversubscribe", "1"),
                       ("OMPI_MCA_btl_vader_single_copy_mechanism", "none")):
        env.setdefault(key, value)
    start = time.time()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.time() - start
    if done.returncode not in (0, 1):
        fail("dlbfgs train failed: " + (done.stderr.strip().splitlines() or ["?"])[-1])
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result, model, wall


def run_liblinear(args, C, X_shape, classes, solver):
    exe = shutil.which("liblinear-train") or shutil.which("train")
    if exe is None:
        return None
    model = tempfile.NamedTemporaryFile(prefix="liblinear-", suffix=".model", delete=False).name
    cmd = [exe, "-s", solver, "-c", repr(C), "-B", "1", "-e", repr(args.liblinear_eps), "-q",
           args.file, model]
    start = time.time()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.time() - start
    if done.returncode != 0:
        fail("liblinear failed: " + (done.stderr.strip() or done.stdout.strip()))
    with open(model) as f:
        lines = f.read().split("\n")
    os.unlink(model)
    header, i = read_header(lines, 0, "w")
    labels = [float(v) for v in header["label"].split()]
    rows = [[float(v) for v in line.split()] for line in lines[i + 1:] if line.strip()]
    w = np.array(rows)  # (d + 1) x (1 or K): the last row is the bias (bias value 1)
    d = X_shape[1]
    if len(classes) != 2:
        return {"wall": wall, "W": None, "labels": labels}
    # Binary: decision w.x + b > 0 predicts labels[0]; dlbfgs's margin favours the larger label.
    sign = 1.0 if labels[0] == classes[1] else -1.0
    W = sign * w[:d, 0].reshape(1, -1)
    W = np.pad(W, ((0, 0), (0, max(0, d - W.shape[1]))))[:, :d]
    b = sign * np.array([w[-1, 0]])
    return {"wall": wall, "W": W, "b": b, "labels": labels}


class OneLineErrors(argparse.ArgumentParser):
    """Bad arguments: one line on standard error and exit 2 (argparse adds a usage line)."""

    def error(self, message):
        fail(f"{message} (see --help)")


def main():
    parser = OneLineErrors(description=__doc__.split("\n")[0])
    parser.add_argument("file", help="LIBSVM/SVMlight file")
    parser.add_argument("--l2", type=float, default=None,
                        help="lambda2 (default 1/N, i.e. C = 1 in scikit-learn and liblinear)")
    parser.add_argument("--l1", type=float, default=None,
                        help="lambda1: compare L1-regularised models instead (lambda2 = 0; "
                             "C = 1/(N lambda1))")
    parser.add_argument("--l1-solver", default="saga", choices=["saga", "liblinear"],
                        help="scikit-learn's solver with --l1 (saga: unpenalised intercept, "
                             "as dlbfgs); default saga")
    parser.add_argument("--l1-tol", type=float, default=1e-10,
                        help="scikit-learn's tol with --l1 (saga: the weights' largest relative "
                             "change per epoch); default 1e-10")
    parser.add_argument("--ranks", type=int, default=2,
                        help="MPI ranks of dlbfgs (0: run it without mpirun); default 2")
    parser.add_argument("--layout", default="auto", choices=["features", "samples", "auto"])
    parser.add_argument("--grad-tol", type=float, default=1e-6,
                        help="dlbfgs --grad-tol; scikit-learn gets tol = grad-tol N (it minimises "
                             "N F = sum loss + ||W||^2/(2C) internally)")
    parser.add_argument("--liblinear-eps", type=float, default=1e-4,
                        help="liblinear -e (relative to its initial gradient); default 1e-4")
    parser.add_argument("--dlbfgs", help="the dlbfgs program (default build/apps/dlbfgs)")
    parser.add_argument("--zero-based", action="store_true", help="0-based feature indices")
    parser.add_argument("--no-liblinear", action="store_true")
    parser.add_argument("--json", action="store_true", help="last line: one JSON object")
    args = parser.parse_args()
    if not os.path.isfile(args.file):
        fail(f"no such file: {args.file}")
    if args.l1 is not None:
        if not args.l1 > 0:
            fail("--l1 must be > 0 (scikit-learn's C = 1/(N l1))")
        if args.l2 is not None:
            fail("--l1 compares L1 models alone: leave out --l2 (scikit-learn's penalty='l1' "
                 "has no L2 term)")
    elif args.l2 is not None and not args.l2 > 0:
        fail("--l2 must be > 0 (scikit-learn's C = 1/(N l2))")

    start = time.time()
    X, labels = load_svmlight_file(args.file, zero_based=args.zero_based)
    read_seconds = time.time() - start
    N, d = X.shape
    classes = np.unique(labels)
    l1 = args.l1 or 0.0
    l2 = 0.0 if l1 > 0 else args.l2 if args.l2 is not None else 1.0 / N
    C = 1.0 / (N * (l1 if l1 > 0 else l2))
    rows = []

    result, model, wall = run_dlbfgs(args, l2, l1)
    W, b = read_dlbfgs_model(model, d)
    os.unlink(model)
    f, accuracy = objective(X, labels, classes, W, b, l2, l1)
    rows.append({"tool": f"dlbfgs ({max(args.ranks, 1)} ranks, {result['layout']})", "F": f,
                 "F_reported": result["objective"], "accuracy": accuracy,
                 "fit_seconds": result["seconds"] + result["setup_seconds"],
                 "total_seconds": wall, "iterations": result["iterations"]})

    start = time.time()
    if l1 > 0:
        sk = LogisticRegression(penalty="l1", solver=args.l1_solver, C=C, tol=args.l1_tol,
                                max_iter=100000)
        sk_name = f"scikit-learn {args.l1_solver} (l1)"
    else:
        sk = LogisticRegression(solver="lbfgs", C=C, tol=args.grad_tol * N, max_iter=100000)
        sk_name = "scikit-learn lbfgs"
    sk.fit(X, labels)
    fit = time.time() - start
    K = 1 if len(classes) == 2 else len(classes)
    f, accuracy = objective(X, labels, classes, sk.coef_.reshape(K, d),
                            sk.intercept_.reshape(K), l2, l1)
    rows.append({"tool": sk_name, "F": f, "accuracy": accuracy,
                 "fit_seconds": fit, "total_seconds": fit + read_seconds,
                 "iterations": int(np.max(sk.n_iter_))})

    if not args.no_liblinear:
        solver = "6" if l1 > 0 else "0"
        ll = run_liblinear(args, C, X.shape, classes, solver)
        if ll is None:
            print("liblinear: skipped (no liblinear-train or train on PATH: install "
                  "liblinear-tools)", file=sys.stderr)
        elif ll["W"] is None:
            rows.append({"tool": f"liblinear -s {solver} (one-vs-rest)", "F": None, "accuracy": None,
                         "fit_seconds": None, "total_seconds": ll["wall"], "iterations": None})
        else:
            f, accuracy = objective(X, labels, classes, ll["W"], ll["b"], l2, l1)
            rows.append({"tool": f"liblinear -s {solver} -B 1", "F": f, "accuracy": accuracy,
                         "fit_seconds": None, "total_seconds": ll["wall"], "iterations": None})

    best = min(r["F"] for r in rows if r["F"] is not None)
    print(f"data: {args.file}: N = {N}, d = {d}, {len(classes)} classes, nnz = {X.nnz}; "
          + (f"lambda1 = {l1:.6g}, lambda2 = 0, C = 1/(N lambda1) = {C:.6g}" if l1 > 0 else
             f"lambda2 = {l2:.6g}, C = 1/(N lambda2) = {C:.6g}"))
    print(f"{'tool':34} {'F (dlbfgs definition)':>24} {'F / best - 1':>13} {'accuracy':>9} "
          f"{'fit s':>8} {'total s':>8}")
    for r in rows:
        r["relative"] = None if r["F"] is None else r["F"] / best - 1
        F = "n/a" if r["F"] is None else f"{r['F']:.15e}"
        rel = "n/a" if r["relative"] is None else f"{r['relative']:.2e}"
        acc = "n/a" if r["accuracy"] is None else f"{r['accuracy']:.6f}"
        fit = "n/a" if r["fit_seconds"] is None else f"{r['fit_seconds']:.3f}"
        print(f"{r['tool']:34} {F:>24} {rel:>13} {acc:>9} {fit:>8} {r['total_seconds']:>8.3f}")
    print("(dlbfgs fit: set-up and iterations, after its parallel read; scikit-learn fit: "
          "LogisticRegression.fit after load_svmlight_file; totals include reading the file)")
    if args.json:
        print(json.dumps({"file": args.file, "rows": N, "features": d,
                          "classes": len(classes), "nnz": int(X.nnz), "l2": l2, "l1": l1, "C": C,
                          "tools": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
