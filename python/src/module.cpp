// The Python module dlbfgs._core: a thin pybind11 layer over the public C++ API (partition.hpp,
// minimize.hpp, replicated.hpp, problems.hpp, interrupt.hpp). Vectors reach the user's function
// as NumPy views of the solver's own buffers; every check of the user's input is agreed between
// the ranks before the solver's first collective, so that an error is raised on every rank alike.

#include <mpi.h>
#include <mpi4py/mpi4py.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"
#include "options_table.hpp"

namespace dlbfgs::python {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// ---- communicators and agreement --------------------------------------------------------------

MPI_Comm ToComm(py::handle comm) {
  if (!PyObject_TypeCheck(comm.ptr(), &PyMPIComm_Type)) {
    throw py::type_error("comm must be an mpi4py.MPI.Comm, got " + TypeName(comm));
  }
  MPI_Comm* c = PyMPIComm_Get(comm.ptr());
  if (c == nullptr) throw py::error_already_set();
  if (*c == MPI_COMM_NULL) throw py::value_error("comm is MPI.COMM_NULL");
  return *c;
}

// A local problem with the caller's input, found before any collective.
struct InputError {
  enum Kind { kNone, kType, kValue } kind = kNone;
  std::string message;
  void Set(Kind k, std::string m) {
    if (kind == kNone) {
      kind = k;
      message = std::move(m);
    }
  }
};

// Collective on comm: every rank learns the lowest rank with an input error and raises that
// rank's exception (same type, same message), so that no rank enters the solver alone.
void Agree(MPI_Comm comm, const InputError& error) {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const int mine = error.kind != InputError::kNone ? rank : size;
  int first = size;
  MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == size) return;
  int header[2] = {static_cast<int>(error.kind), static_cast<int>(error.message.size())};
  MPI_Bcast(header, 2, MPI_INT, first, comm);
  std::string text = error.message;
  text.resize(static_cast<std::size_t>(header[1]));
  MPI_Bcast(text.data(), header[1], MPI_CHAR, first, comm);
  const std::string what = text + (size > 1 ? " (on rank " + std::to_string(first) + ")" : "");
  if (header[0] == InputError::kType) throw py::type_error(what);
  throw py::value_error(what);
}

// ---- NumPy views ------------------------------------------------------------------------------

// A 1-D float64 view of `data` (no copy), kept alive by `owner`; read-only unless `writeable`.
py::array_t<double> View(const double* data, Eigen::Index size, py::handle owner, bool writeable) {
  py::array_t<double> a({static_cast<py::ssize_t>(size)},
                        {static_cast<py::ssize_t>(sizeof(double))}, data, owner);
  if (!writeable)
    py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// Checks an array that the user's function returned as a gradient: float64, 1-D, `size`
// entries, C-contiguous. Throws std::invalid_argument (reported by the solver as the rank's
// objective error) otherwise. Returns its data.
const double* CheckGradient(py::handle g, Eigen::Index size, const char* what) {
  if (!py::isinstance<py::array>(g)) {
    throw std::invalid_argument(std::string(what) + " must be a numpy.ndarray, got " + TypeName(g));
  }
  const auto a = py::reinterpret_borrow<py::array>(g);
  if (!a.dtype().is(py::dtype::of<double>())) {
    throw std::invalid_argument(std::string(what) + " has dtype " +
                                std::string(py::str(a.dtype())) + "; expected float64");
  }
  if (a.ndim() != 1 || a.shape(0) != size) {
    throw std::invalid_argument(std::string(what) + " has shape " +
                                std::string(py::str(g.attr("shape"))) + "; expected (" +
                                std::to_string(size) + ",)");
  }
  if (!(a.flags() & py::array::c_style)) {
    throw std::invalid_argument(std::string(what) +
                                " is not C-contiguous; pass numpy.ascontiguousarray(g)");
  }
  return static_cast<const double*>(a.data());
}

// g of Problem.__call__(x, g): a writeable array that CheckGradient accepts. Throws
// py::type_error / py::value_error (a local call: no agreement needed).
double* WriteableGradient(py::handle g, Eigen::Index size) {
  const double* data = nullptr;
  try {
    data = CheckGradient(g, size, "g");
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
  if (!py::reinterpret_borrow<py::array>(g).writeable()) throw py::value_error("g is read-only");
  return const_cast<double*>(data);
}

// `v` as a NumPy array of real numbers in `a`; false with the problem in `error` when it is not
// one (`expected` completes "NAME must be ...").
bool AsRealArray(py::handle v, const std::string& name, const std::string& expected,
                 InputError& error, py::array& a) {
  try {
    a = py::array::ensure(v);
  } catch (const py::error_already_set&) {
  }
  if (!a) {
    error.Set(InputError::kType, name + " must be " + expected + ", got " + TypeName(v));
    return false;
  }
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u') {
    error.Set(InputError::kType, name + " has dtype " + std::string(py::str(a.dtype())) +
                                     "; expected float64 (or another real type)");
    return false;
  }
  return true;
}

// The 1-D array `a` of `size` entries converted to float64 into out[0, size): astype copies with
// the dtype conversion and any stride, then into the caller's contiguous buffer.
void CopyAsDouble(const py::array& a, Eigen::Index size, double* out) {
  py::array converted = a.attr("astype")("float64", "C");
  std::memcpy(out, converted.data(), static_cast<std::size_t>(size) * sizeof(double));
}

// The message for an array of the wrong shape.
std::string ShapeError(const std::string& name, const py::array& a, Eigen::Index size,
                       const char* alternative) {
  return name + " has shape " + std::string(py::str(a.attr("shape"))) + "; expected (" +
         std::to_string(size) + ",)" + alternative;
}

// x0 (local block or full vector): a new C-contiguous float64 copy when x0 is a 1-D array of
// real numbers of `size` entries, else an InputError (the caller agrees on it).
py::array_t<double> ConvertStart(py::handle x0, Eigen::Index size, const char* name,
                                 InputError& error) {
  py::array a;
  if (!AsRealArray(x0, name, "an array of float64", error, a)) return py::array_t<double>(0);
  if (a.ndim() != 1 || a.shape(0) != size) {
    error.Set(InputError::kValue, ShapeError(name, a, size, ""));
    return py::array_t<double>(0);
  }
  py::array_t<double> copy(static_cast<py::ssize_t>(size));
  CopyAsDouble(a, size, copy.mutable_data());
  return copy;
}

// A bound or weight vector of `size` entries (this rank's block, or the full vector of
// minimize_replicated): None gives `fill` everywhere, a real scalar is broadcast, else a 1-D array
// of real numbers of `size` entries (converted to float64). Wrong types and shapes go to `error`
// (the caller agrees); the values (NaN, l > u, negative weights) are checked by the solver's
// start-up check, which agrees on them between the ranks and names the global index.
Eigen::VectorXd ConvertVector(py::handle v, Eigen::Index size, double fill, const std::string& name,
                              InputError& error) {
  Eigen::VectorXd out = Eigen::VectorXd::Constant(size, fill);
  if (v.is_none()) return out;
  py::array a;
  if (!AsRealArray(v, name, "a real number or an array of float64", error, a)) return out;
  if (a.ndim() == 0) {
    out.setConstant(py::float_(a.attr("item")()).cast<double>());
    return out;
  }
  if (a.ndim() != 1 || a.shape(0) != size) {
    error.Set(InputError::kValue, ShapeError(name, a, size, " or a scalar"));
    return out;
  }
  CopyAsDouble(a, size, out.data());
  return out;
}

// What minimize() is asked to respect beside the options: bounds or per-variable L1 weights
// (not both: the library refuses L1 with bounds). Vectors of `size` entries.
struct Constraints {
  bool has_bounds = false;
  Eigen::VectorXd lower, upper;
  bool has_weights = false;
  Eigen::VectorXd l1_weights;

  // `bounds`: None, (lower, upper) or an object with .lb and .ub (scipy.optimize.Bounds);
  // `weights`: None or an array or scalar. Problems go to `error` (the caller agrees).
  Constraints(py::handle bounds, py::handle weights, Eigen::Index size, InputError& error) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    if (!bounds.is_none()) {
      py::object lb, ub;
      if (py::hasattr(bounds, "lb") && py::hasattr(bounds, "ub")) {
        lb = bounds.attr("lb");
        ub = bounds.attr("ub");
      } else if ((py::isinstance<py::tuple>(bounds) || py::isinstance<py::list>(bounds)) &&
                 py::len(bounds) == 2) {
        lb = bounds[py::int_(0)];
        ub = bounds[py::int_(1)];
      } else {
        error.Set(InputError::kType,
                  "bounds must be a pair (lower, upper) of arrays or scalars, or a "
                  "scipy.optimize.Bounds, got " +
                      TypeName(bounds) +
                      (py::isinstance<py::sequence>(bounds) && !py::isinstance<py::str>(bounds)
                           ? " of length " + std::to_string(py::len(bounds)) +
                                 " (per-variable (min, max) pairs are not accepted)"
                           : ""));
      }
      if (lb || ub) {
        has_bounds = true;
        lower = ConvertVector(lb, size, -kInf, "bounds[0] (lower)", error);
        upper = ConvertVector(ub, size, kInf, "bounds[1] (upper)", error);
      }
    }
    if (!weights.is_none()) {
      has_weights = true;
      l1_weights = ConvertVector(weights, size, 1.0, "l1_weights", error);
    }
    if (has_bounds && has_weights) {
      error.Set(InputError::kValue,
                "bounds and l1_weights exclude each other (L1 with bounds is not supported)");
    }
  }
  // This rank's part [offset, offset + local_size) of full-length constraints.
  void Restrict(Eigen::Index offset, Eigen::Index local_size) {
    if (has_bounds) {
      lower = Eigen::VectorXd(lower.segment(offset, local_size));
      upper = Eigen::VectorXd(upper.segment(offset, local_size));
    }
    if (has_weights) l1_weights = Eigen::VectorXd(l1_weights.segment(offset, local_size));
  }
};

// ---- the user's Python function --------------------------------------------------------------

// Turns a Python exception into the solver's objective error ("TypeName: message"), except for
// KeyboardInterrupt (Ctrl-C), which becomes a stop request: the solver ends the run cleanly on
// every rank at this evaluation with reason "interrupted". Python's own SIGINT handler stays in
// place; the library installs none.
struct PythonCaller {
  bool interrupted = false;  // this rank turned a KeyboardInterrupt into RequestStop()

  [[noreturn]] void Fail(py::error_already_set& e) {
    std::string text = std::string(py::str(e.type().attr("__name__")));
    const std::string message = py::str(e.value());
    if (!message.empty()) text += ": " + message;
    throw std::runtime_error(text);
  }
  // Python signal handlers run here when a signal arrived while C++ code ran.
  bool CheckSignals() {
    if (PyErr_CheckSignals() == 0) return true;
    py::error_already_set e;
    if (e.matches(PyExc_KeyboardInterrupt)) {
      Interrupt();
      return false;
    }
    Fail(e);
  }
  void Interrupt() {
    interrupted = true;
    RequestStop();
  }
};

// f from a Python value (float, int, numpy scalar).
double ToDouble(py::handle f) {
  if (!(py::isinstance<py::float_>(f) || py::isinstance<py::int_>(f) ||
        py::hasattr(f, "__float__"))) {
    throw std::invalid_argument("fun must return a float as f, got " + TypeName(f));
  }
  return py::float_(py::reinterpret_borrow<py::object>(f));
}

// Calls fun and writes its gradient into g (size n): fun(x) -> (f, g_new) or, when `inplace`,
// fun(x, g) -> f or (f, g). A returned array that is g itself is not copied.
double CallFun(PythonCaller& caller, const py::object& fun, const py::array_t<double>& x,
               const py::array_t<double>* g_view, double* g, Eigen::Index n, const char* what) {
  if (!caller.CheckSignals()) return kNaN;
  py::object ret;
  try {
    ret = g_view != nullptr ? fun(x, *g_view) : fun(x);
  } catch (py::error_already_set& e) {
    if (e.matches(PyExc_KeyboardInterrupt)) {
      caller.Interrupt();
      return kNaN;
    }
    caller.Fail(e);
  }
  if (g_view != nullptr && !py::isinstance<py::tuple>(ret)) return ToDouble(ret);
  if (!py::isinstance<py::tuple>(ret) || py::len(ret) != 2) {
    throw std::invalid_argument(std::string("fun must return a tuple (f, ") + what + "), got " +
                                TypeName(ret));
  }
  const auto t = py::reinterpret_borrow<py::tuple>(ret);
  const double f = ToDouble(t[0]);
  const double* data = CheckGradient(t[1], n, what);
  if (data != g) std::memcpy(g, data, static_cast<std::size_t>(n) * sizeof(double));
  return f;
}

// Partitioned: fun(x_local) -> (f_share, g_local).
class PyObjective final : public Objective {
 public:
  PyObjective(py::object fun, bool inplace, PythonCaller& caller, py::handle owner)
      : fun_(std::move(fun)), inplace_(inplace), caller_(caller), owner_(owner) {}
  double EvaluateLocal(const Eigen::Ref<const Eigen::VectorXd>& x_local,
                       Eigen::Ref<Eigen::VectorXd> g_local) override {
    // The solver alternates between two buffers for x and for g: the views are rebuilt (cheap,
    // no copy) at every call.
    const auto x = View(x_local.data(), x_local.size(), owner_, false);
    if (inplace_) {
      const auto g = View(g_local.data(), g_local.size(), owner_, true);
      return CallFun(caller_, fun_, x, &g, g_local.data(), g_local.size(), "g_local");
    }
    return CallFun(caller_, fun_, x, nullptr, g_local.data(), g_local.size(), "g_local");
  }

 private:
  py::object fun_;
  bool inplace_;
  PythonCaller& caller_;
  py::handle owner_;
};

// Data-parallel: fun(x_full) -> (f_share, g_full_share). The adapter's full x and g buffers are
// stable, so the views are made once.
class PyShare final : public ReplicatedObjective {
 public:
  PyShare(py::object fun, bool inplace, PythonCaller& caller)
      : fun_(std::move(fun)), inplace_(inplace), caller_(caller) {}
  void Bind(ReplicatedAdapter& adapter, py::handle owner) {
    x_ = View(adapter.x_full(), adapter.size(), owner, false);
    g_ = View(adapter.g_full(), adapter.size(), owner, true);
  }
  double EvaluateShare(const Eigen::Ref<const Eigen::VectorXd>& x,
                       Eigen::Ref<Eigen::VectorXd> g) override {
    if (x.data() != x_.data() || g.data() != g_.data()) {
      throw std::logic_error("dlbfgs: the adapter's buffers moved");
    }
    return CallFun(caller_, fun_, x_, inplace_ ? &g_ : nullptr, g.data(), g.size(), "g_full");
  }

 private:
  py::object fun_;
  bool inplace_;
  PythonCaller& caller_;
  py::array_t<double> x_, g_;
};

// ---- options, callback, result ----------------------------------------------------------------

// Sets the named options; an unknown name or a wrong value is recorded in `error`.
void ParseOptions(const py::dict& kwargs, LbfgsOptions& options, InputError& error) {
  for (const auto& item : kwargs) {
    const std::string name = py::str(item.first);
    const OptionRow* row = nullptr;
    for (const OptionRow& r : kOptionTable) {
      if (name == r.name) row = &r;
    }
    if (row == nullptr) {
      std::string valid;
      for (const OptionRow& r : kOptionTable)
        valid += std::string(valid.empty() ? "" : ", ") + r.name;
      error.Set(InputError::kType, "unknown option '" + name + "' (valid: " + valid +
                                       ", callback, inplace, bounds, l1_weights)");
      continue;
    }
    try {
      row->set(options, item.second, row->name);
    } catch (const py::type_error& e) {
      error.Set(InputError::kType, e.what());
    } catch (const py::value_error& e) {
      error.Set(InputError::kValue, e.what());
    }
  }
  if (error.kind == InputError::kNone) {
    if (const std::string invalid = ValidateOptions(options); !invalid.empty()) {
      error.Set(InputError::kValue, invalid);
    }
  }
}

// What the iteration callback wrapper keeps: the gradient at the last summary (the returned
// iterate's, for SciPy's `jac`), and the user's callback.
struct CallbackState {
  py::object user;          // None: no user callback
  py::array_t<double> jac;  // this rank's block, copied at each summary
  PythonCaller* caller = nullptr;
  py::object summary_type;  // types.SimpleNamespace
};

CallbackResult RunCallback(CallbackState& s, const IterationSummary& summary) {
  // Python's signal handlers run here too, so that Ctrl-C stops a dlbfgs.Problem (no Python in
  // the loop) at the next iteration.
  s.caller->CheckSignals();
  std::memcpy(s.jac.mutable_data(), summary.g_local,
              static_cast<std::size_t>(summary.local_size) * sizeof(double));
  if (s.user.is_none()) return CallbackResult::kContinue;
  py::object owner = py::none();
  py::object info = s.summary_type(
      py::arg("iteration") = summary.iteration, py::arg("nit") = summary.iteration,
      py::arg("fun") = summary.f, py::arg("f") = summary.f,
      py::arg("grad_norm") = summary.grad_norm, py::arg("optimality") = summary.optimality,
      py::arg("step") = summary.step, py::arg("nfev") = summary.evaluations,
      py::arg("history_count") = summary.history_count, py::arg("seconds") = summary.seconds,
      py::arg("x") = View(summary.x_local, summary.local_size, s.jac, false),
      py::arg("jac") = View(summary.g_local, summary.local_size, s.jac, false));
  py::object ret;
  try {
    ret = s.user(info);
  } catch (py::error_already_set& e) {
    if (e.matches(PyExc_StopIteration)) return CallbackResult::kStop;
    if (e.matches(PyExc_KeyboardInterrupt)) {
      s.caller->Interrupt();
      return CallbackResult::kContinue;
    }
    s.caller->Fail(e);
  }
  return (!ret.is_none() && py::bool_(ret)) ? CallbackResult::kStop : CallbackResult::kContinue;
}

py::dict ResultDict(const LbfgsResult& r) {
  py::dict d;
  d["fun"] = r.f;
  d["nit"] = r.iterations;
  d["nfev"] = r.evaluations;
  d["success"] = r.Converged();
  d["status"] = static_cast<int>(r.reason);
  d["message"] = r.message;
  d["reason"] = ToString(r.reason);
  d["optimality"] = r.optimality;
  d["grad_norm"] = r.grad_norm;
  d["line_search"] = r.line_search;
  if (r.nonzeros >= 0) {  // with an L1 term
    d["l1_norm"] = r.l1_norm;
    d["l1_penalty"] = r.l1_penalty;
    d["nonzeros"] = r.nonzeros;
  } else {
    for (const char* key : {"l1_norm", "l1_penalty", "nonzeros"}) d[key] = py::none();
  }
  if (r.active_bounds >= 0) {  // with (some finite) bounds
    d["active_bounds"] = r.active_bounds;
  } else {
    d["active_bounds"] = py::none();
  }
  d["allreduce_calls"] = r.comm.allreduce_calls;
  d["allreduce_seconds"] = r.comm.allreduce_seconds;
  py::dict phases;
  phases["objective"] = r.phases.objective;
  phases["direction"] = r.phases.direction;
  phases["communication"] = r.phases.communication;
  phases["other"] = r.phases.other;
  d["phases"] = phases;
  d["seconds"] = r.seconds;
  d["setup_seconds"] = r.setup_seconds;
  d["skipped_updates"] = r.skipped_updates;
  d["history_resets"] = r.history_resets;
  d["gram_refreshes"] = r.gram_refreshes;
  d["product_allreduces"] = r.product_allreduces;
  d["checkpoints"] = r.checkpoints;
  d["resumed"] = r.resumed;
  return d;
}

// The options, the callback wrapper and the agreement shared by both entry points. Collective.
struct Run {
  LbfgsOptions options;
  CallbackState callback;
  PythonCaller caller;

  // Parses the options and checks the callback; problems go to `error` (the caller agrees).
  Run(const py::object& user_callback, const py::dict& kwargs, InputError& error) {
    ParseOptions(kwargs, options, error);
    if (!user_callback.is_none() && !PyCallable_Check(user_callback.ptr())) {
      error.Set(InputError::kType,
                "callback must be callable or None, got " + TypeName(user_callback));
    }
    callback.user = user_callback;
    callback.caller = &caller;
    callback.summary_type = py::module_::import("types").attr("SimpleNamespace");
  }
  // Allocates the gradient block kept for `jac` and installs the callback wrapper. Local.
  void Bind(Eigen::Index jac_size) {
    callback.jac = py::array_t<double>(static_cast<py::ssize_t>(jac_size));
    std::fill_n(callback.jac.mutable_data(), jac_size, kNaN);
    options.callback = [this](const IterationSummary& s) { return RunCallback(callback, s); };
  }
  // A stop request of ours must not outlive the run (a later run would stop at once).
  void Finish() {
    if (caller.interrupted) ClearStopRequest();
  }
};

// The Minimize() overload that `constraints` calls for. Collective.
LbfgsResult MinimizeWith(Objective& objective, const Partition& part, Eigen::Ref<Eigen::VectorXd> x,
                         const LbfgsOptions& options, const Constraints& constraints) {
  if (constraints.has_bounds) {
    return Minimize(objective, part, x, options, constraints.lower, constraints.upper);
  }
  if (constraints.has_weights) return Minimize(objective, part, x, options, constraints.l1_weights);
  return Minimize(objective, part, x, options);
}

LbfgsResult Solve(Objective& objective, const Partition& part, Eigen::Ref<Eigen::VectorXd> x,
                  const Constraints& constraints, Run& run) {
  try {
    LbfgsResult r = MinimizeWith(objective, part, x, run.options, constraints);
    run.Finish();
    return r;
  } catch (const std::invalid_argument& e) {
    run.Finish();
    throw py::value_error(e.what());  // thrown on every rank alike by Minimize
  }
}

// ---- Python classes ---------------------------------------------------------------------------

/// dlbfgs.Partition: the C++ Partition and the mpi4py communicator it refers to (kept alive).
struct PyPartition {
  py::object comm_object;
  Partition part;
};

/// dlbfgs.Problem: a built-in C++ objective; passed to minimize() it runs without Python in the
/// loop.
struct PyProblem {
  py::object partition;  // keeps the PyPartition (and its communicator) alive
  std::unique_ptr<Problem> problem;
};

// Partitioned minimisation; see the docstring in __init__.py.
py::dict MinimizePartitioned(py::object fun, py::handle x0, const PyPartition& p, bool inplace,
                             py::object callback, py::handle bounds, py::handle l1_weights,
                             py::kwargs kwargs) {
  const Partition& part = p.part;
  InputError error;
  const bool is_problem = py::isinstance<PyProblem>(fun);
  if (!is_problem && !PyCallable_Check(fun.ptr())) {
    error.Set(InputError::kType, "fun must be callable or a dlbfgs.Problem, got " + TypeName(fun));
  }
  if (is_problem) {
    const Partition& own = fun.cast<PyProblem&>().partition.cast<PyPartition&>().part;
    if (own.global_size() != part.global_size() || own.offset() != part.offset() ||
        own.local_size() != part.local_size()) {
      error.Set(InputError::kValue, "fun is a dlbfgs.Problem built on another partition");
    }
  }
  py::array_t<double> x = ConvertStart(x0, part.local_size(), "x0_local", error);
  const Constraints constraints(bounds, l1_weights, part.local_size(), error);
  Run run(callback, kwargs, error);
  Agree(part.comm(), error);
  run.Bind(part.local_size());

  Eigen::Map<Eigen::VectorXd> xm(x.mutable_data(), part.local_size());
  LbfgsResult r;
  if (is_problem) {
    r = Solve(*fun.cast<PyProblem&>().problem, part, xm, constraints, run);
  } else {
    PyObjective objective(fun, inplace, run.caller, run.callback.jac);
    r = Solve(objective, part, xm, constraints, run);
  }
  py::dict d = ResultDict(r);
  d["x"] = x;
  d["jac"] = run.callback.jac;
  return d;
}

// Data-parallel minimisation; see the docstring in __init__.py.
py::dict MinimizeReplicatedPy(py::object fun, py::handle x0, py::handle comm_object, bool inplace,
                              py::object callback, Eigen::Index granularity, py::handle bounds,
                              py::handle l1_weights, py::kwargs kwargs) {
  const MPI_Comm comm = ToComm(comm_object);
  InputError error;
  if (!PyCallable_Check(fun.ptr())) {
    error.Set(InputError::kType, "fun must be callable, got " + TypeName(fun));
  }
  // The size every rank passed must agree before the partition is built on it.
  Eigen::Index n = -1;
  {
    py::array a;
    try {
      a = py::array::ensure(x0);
    } catch (const py::error_already_set&) {
    }
    if (a && a.ndim() == 1) n = a.shape(0);
  }
  py::array_t<double> x = ConvertStart(x0, n, "x0", error);
  // Full-length (n entries, like x0); each rank keeps its block once the partition is known.
  Constraints constraints(bounds, l1_weights, std::max<Eigen::Index>(n, 0), error);
  if (error.kind == InputError::kNone && granularity < 1) {
    error.Set(InputError::kValue, "granularity must be >= 1, got " + std::to_string(granularity));
  }
  Run run(callback, kwargs, error);
  Agree(comm, error);
  Partition part = [&] {
    try {
      return Partition::Uniform(comm, n, granularity);
    } catch (const std::invalid_argument& e) {
      throw py::value_error(std::string("x0: ") + e.what());  // on every rank alike
    }
  }();
  run.Bind(part.local_size());
  constraints.Restrict(part.offset(), part.local_size());

  PyShare share(fun, inplace, run.caller);
  std::unique_ptr<ReplicatedAdapter> adapter;
  try {
    adapter = std::make_unique<ReplicatedAdapter>(share, part);
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());  // n too large: the same on every rank
  }
  share.Bind(*adapter, x);
  Eigen::VectorXd x_local =
      Eigen::Map<const Eigen::VectorXd>(x.data(), n).segment(part.offset(), part.local_size());
  const LbfgsResult r = Solve(*adapter, part, x_local, constraints, run);

  // The full x and the full gradient on every rank (two allgathers).
  adapter->Allgather(x_local, x.mutable_data());
  py::array_t<double> jac(static_cast<py::ssize_t>(n));
  adapter->Allgather(Eigen::Map<const Eigen::VectorXd>(run.callback.jac.data(), part.local_size()),
                     jac.mutable_data());
  py::dict d = ResultDict(r);
  d["x"] = x;
  d["jac"] = jac;
  d["allgather_calls"] = adapter->allgather_calls();
  d["reduce_scatter_calls"] = adapter->reduce_scatter_calls();
  return d;
}

py::dict Info(const ProblemInfo& i) {
  py::dict d;
  d["name"] = i.name;
  d["description"] = i.description;
  d["start"] = i.start;
  d["optimum"] = i.optimum;
  d["granularity"] = i.granularity;
  d["min_n"] = i.min_n;
  d["f_star"] = i.f_star;
  d["has_local_minimum"] = i.has_local_minimum;
  return d;
}

}  // namespace
}  // namespace dlbfgs::python

PYBIND11_MODULE(_core, m) {
  using namespace dlbfgs::python;
  namespace py = pybind11;
  if (import_mpi4py() < 0) throw py::error_already_set();
  m.doc() = "dlbfgs: distributed-memory L-BFGS (the compiled part; use the package dlbfgs)";
  m.attr("__version__") = DLBFGS_VERSION_STRING;

  py::class_<PyPartition>(m, "Partition",
                          "Contiguous block partition of [0, n) over the ranks of an mpi4py "
                          "communicator (dlbfgs::Partition::Uniform). Collective on comm.")
      .def(py::init([](py::object comm, Eigen::Index n, Eigen::Index granularity) {
             const MPI_Comm c = ToComm(comm);
             try {
               return PyPartition{comm, dlbfgs::Partition::Uniform(c, n, granularity)};
             } catch (const std::invalid_argument& e) {
               throw py::value_error(e.what());
             }
           }),
           py::arg("comm"), py::arg("n"), py::arg("granularity") = 1)
      .def_property_readonly("comm", [](const PyPartition& p) { return p.comm_object; })
      .def_property_readonly("rank", [](const PyPartition& p) { return p.part.rank(); })
      .def_property_readonly("size", [](const PyPartition& p) { return p.part.size(); })
      .def_property_readonly("global_size",
                             [](const PyPartition& p) { return p.part.global_size(); })
      .def_property_readonly("offset", [](const PyPartition& p) { return p.part.offset(); })
      .def_property_readonly("local_size", [](const PyPartition& p) { return p.part.local_size(); })
      .def_property_readonly("granularity",
                             [](const PyPartition& p) { return p.part.granularity(); })
      .def(
          "offset_of", [](const PyPartition& p, int r) { return p.part.OffsetOf(r); },
          py::arg("rank"))
      .def("__repr__", [](const PyPartition& p) {
        return "Partition(n=" + std::to_string(p.part.global_size()) + ", rank " +
               std::to_string(p.part.rank()) + " of " + std::to_string(p.part.size()) + ": [" +
               std::to_string(p.part.offset()) + ", " +
               std::to_string(p.part.offset() + p.part.local_size()) + "))";
      });

  py::class_<PyProblem>(m, "Problem",
                        "A built-in test problem (C++), distributed over a Partition. Local.")
      .def(py::init([](const std::string& name, py::object partition, double condition) {
             dlbfgs::ProblemParams params;
             params.condition = condition;
             try {
               auto problem =
                   dlbfgs::MakeProblem(name, partition.cast<PyPartition&>().part, params);
               return PyProblem{partition, std::move(problem)};
             } catch (const std::invalid_argument& e) {
               throw py::value_error(e.what());
             }
           }),
           py::arg("name"), py::arg("partition"), py::arg("condition") = 1e4)
      .def_property_readonly("info", [](const PyProblem& p) { return Info(p.problem->info()); })
      .def("starting_point",
           [](const PyProblem& p) {
             const auto n = p.partition.cast<PyPartition&>().part.local_size();
             py::array_t<double> x(static_cast<py::ssize_t>(n));
             p.problem->StartingPoint(Eigen::Map<Eigen::VectorXd>(x.mutable_data(), n));
             return x;
           })
      .def("known_minimizer",
           [](const PyProblem& p) -> py::object {
             const auto n = p.partition.cast<PyPartition&>().part.local_size();
             py::array_t<double> x(static_cast<py::ssize_t>(n));
             if (!p.problem->KnownMinimizer(Eigen::Map<Eigen::VectorXd>(x.mutable_data(), n))) {
               return py::none();
             }
             return std::move(x);
           })
      .def(
          "__call__",
          [](PyProblem& p, py::array_t<double, py::array::c_style | py::array::forcecast> x,
             py::object g) -> py::object {
            // Collective (as EvaluateLocal): (f_share, g_local) at this rank's block x, or with
            // g (a writeable float64 array of local_size entries) f_share, the gradient written
            // into g.
            const auto n = p.partition.cast<PyPartition&>().part.local_size();
            if (x.ndim() != 1 || x.shape(0) != n) throw py::value_error("x has the wrong shape");
            const Eigen::Map<const Eigen::VectorXd> xm(x.data(), n);
            if (!g.is_none()) {
              double* out = WriteableGradient(g, n);
              return py::float_(p.problem->EvaluateLocal(xm, Eigen::Map<Eigen::VectorXd>(out, n)));
            }
            py::array_t<double> fresh(static_cast<py::ssize_t>(n));
            const double f =
                p.problem->EvaluateLocal(xm, Eigen::Map<Eigen::VectorXd>(fresh.mutable_data(), n));
            return py::make_tuple(f, fresh);
          },
          py::arg("x"), py::arg("g") = py::none());

  m.def(
      "problems",
      [] {
        py::list out;
        for (const auto& i : dlbfgs::BuiltinProblems()) out.append(Info(i));
        return out;
      },
      "The built-in problems, as dicts. Local.");

  m.def(
      "default_options",
      [] {
        const dlbfgs::LbfgsOptions defaults;
        py::dict d;
        for (const OptionRow& r : kOptionTable) d[r.name] = r.get(defaults);
        return d;
      },
      "Every option of minimize() by name, with its default. Local.");

  m.def(
      "reasons",
      [] {
        py::list out;
        for (int k = 0; k <= static_cast<int>(dlbfgs::TerminationReason::kNoDescentDirection);
             ++k) {
          out.append(dlbfgs::ToString(static_cast<dlbfgs::TerminationReason>(k)));
        }
        return out;
      },
      "The termination reasons, indexed by `status`. Local.");

  m.def("request_stop", &dlbfgs::RequestStop,
        "Asks a running minimize() to stop at the next evaluation (dlbfgs::RequestStop). Local.");

  m.def("_minimize", &MinimizePartitioned, py::arg("fun"), py::arg("x0_local"), py::arg("part"),
        py::kw_only(), py::arg("inplace") = false, py::arg("callback") = py::none(),
        py::arg("bounds") = py::none(), py::arg("l1_weights") = py::none());
  m.def("_minimize_replicated", &MinimizeReplicatedPy, py::arg("fun"), py::arg("x0"),
        py::arg("comm"), py::kw_only(), py::arg("inplace") = false,
        py::arg("callback") = py::none(), py::arg("granularity") = 1,
        py::arg("bounds") = py::none(), py::arg("l1_weights") = py::none());
}
