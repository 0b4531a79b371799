"""dlbfgs: distributed-memory L-BFGS for NumPy and mpi4py.

Two ways to call the solver, both collective on a communicator:

* ``minimize(fun, x0_local, part, **options)``: the vector is split into blocks, one per rank
  (``Partition``); ``fun(x_local) -> (f_share, g_local)`` returns this rank's share of f and its
  block of the gradient.
* ``minimize_replicated(fun, x0, comm, **options)``: data parallel; every rank sees the whole x
  and returns ``(f_share, g_full_share)`` computed on its own data. The shares are summed with one
  reduce-scatter and the solver's state (the L-BFGS history) stays sharded: about 2m n / p
  doubles per rank.

``x`` reaches ``fun`` as a read-only NumPy view of the solver's own buffer (no copy). With
``inplace=True`` fun is called as ``fun(x, g)`` and writes the gradient into the view ``g``,
returning f (no copy either). Results use SciPy's names (``x fun jac nit nfev success status
message``) plus dlbfgs's own (``reason optimality active_bounds allreduce_calls phases ...``).

Both take ``bounds=(lower, upper)`` (projected L-BFGS) or, with ``l1_weight > 0``,
``l1_weights=w`` (OWL-QN with lambda_i = l1_weight * w_i), not both.
"""

from mpi4py import MPI  # noqa: F401  (initialises MPI before the extension uses it)

from ._core import Partition, Problem, __version__, default_options, problems, reasons, request_stop
from ._core import _minimize, _minimize_replicated

__all__ = ["OptimizeResult", "Partition", "Problem", "minimize", "minimize_replicated",
           "default_options", "problems", "reasons", "request_stop", "__version__"]


class OptimizeResult(dict):
    """The outcome of a run, as in ``scipy.optimize.OptimizeResult``: a dict whose keys are also
    attributes. Identical on every rank except ``x`` and ``jac`` of ``minimize`` (this rank's
    block) and the timings (``seconds``, ``setup_seconds``, ``phases``, ``allreduce_seconds``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    __setattr__ = dict.__setitem__
    __delattr__ = dict.__delitem__

    def __repr__(self):
        keys = ["success", "status", "reason", "message", "fun", "nit", "nfev", "optimality"]
        return "OptimizeResult(" + ", ".join(f"{k}={self[k]!r}" for k in keys if k in self) + ")"

    def __dir__(self):
        return list(self.keys())


def minimize(fun, x0_local, part, *, inplace=False, callback=None, bounds=None, l1_weights=None,
             **options):
    """Minimises f = sum over ranks of f_share with L-BFGS. Collective on ``part.comm``.

    fun: ``fun(x_local) -> (f_share, g_local)`` (float, float64 array of ``part.local_size``
        entries), or with ``inplace=True`` ``fun(x_local, g_local) -> f_share`` writing the
        gradient block into ``g_local``; or a ``dlbfgs.Problem`` (C++, no Python in the loop).
        An exception raised on any rank ends the run on every rank with ``success=False``,
        ``reason="objective_error"`` and a message naming the lowest failing rank and the
        exception. KeyboardInterrupt (Ctrl-C) ends it with ``reason="interrupted"``.
    x0_local: this rank's block of the start point (any real dtype; copied, never modified).
    callback: ``callback(summary)`` after every accepted iteration (and at the start point);
        ``summary`` has ``iteration f grad_norm step nfev history_count seconds x jac`` (``x`` and
        ``jac`` are read-only views valid during the call). Returning True or raising
        StopIteration stops the run (``reason="user_requested"``) on every rank.
    bounds: ``(lower, upper)``, this rank's blocks, each an array of ``part.local_size`` reals,
        a scalar (broadcast) or None (unbounded); or a ``scipy.optimize.Bounds`` (its ``lb`` and
        ``ub``). -inf and +inf are allowed and ``lower == upper`` fixes a variable. The start is
        projected into the box and the run is projected L-BFGS (backtracking line search); it
        stops on ``optimality = ||P(x - g) - x||_2 <= grad_tol`` and reports ``active_bounds``,
        the number of x_i on a bound (None without a finite bound). SciPy's other form, a
        sequence of per-variable ``(min, max)`` pairs, is not accepted.
    l1_weights: this rank's block of per-variable L1 weights w_i >= 0 (an array or a scalar):
        with ``l1_weight > 0`` the run minimises f + sum_i l1_weight w_i |x_i| (OWL-QN);
        w_i = 0 leaves x_i unpenalised. Without l1_weights every w_i is 1. Not with bounds.
    options: every field of dlbfgs::LbfgsOptions by name (``default_options()`` lists them),
        enums by their names: ``two_loop="fused"|"classic"``, ``line_search=
        "more-thuente"|"backtracking"``, ``existing_checkpoint="refuse"|"resume"|"overwrite"``.

    Raises TypeError / ValueError on every rank alike for a bad argument (unknown option, wrong
    dtype or shape of x0_local, bounds or l1_weights; a NaN bound, lower > upper, a negative
    weight, L1 with bounds), before any of the solver's communication or in its start-up check,
    which agrees between the ranks.
    """
    return OptimizeResult(_minimize(fun, x0_local, part, inplace=inplace, callback=callback,
                                    bounds=bounds, l1_weights=l1_weights, **options))


def minimize_replicated(fun, x0, comm, *, inplace=False, callback=None, granularity=1,
                        bounds=None, l1_weights=None, **options):
    """Data-parallel L-BFGS with a sharded optimizer state. Collective on ``comm``.

    fun: ``fun(x) -> (f_share, g_share)``: this rank's share of f and of its full gradient
        (n entries) at the full x, computed on this rank's data; with ``inplace=True``
        ``fun(x, g) -> f_share`` writes into ``g``. ``x`` is the same read-only buffer at every
        call. Per evaluation: one MPI_Allgatherv of x, one MPI_Reduce_scatter of the gradient
        shares (each rank receives only its block) and the solver's one MPI_Allreduce.
    x0: the full start point (each rank takes its own block from its own copy).
    bounds, l1_weights: as for ``minimize``, but full-length (n entries, or scalars); each rank
        takes its own block from its own copy, as for x0.
    Returns the full ``x`` and ``jac`` on every rank, plus ``allgather_calls`` and
    ``reduce_scatter_calls``. Options, callback (``summary.x``, ``summary.jac``: this rank's
    block) and failures as for ``minimize``.
    """
    return OptimizeResult(_minimize_replicated(fun, x0, comm, inplace=inplace, callback=callback,
                                               granularity=granularity, bounds=bounds,
                                               l1_weights=l1_weights, **options))
