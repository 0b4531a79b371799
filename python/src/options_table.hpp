#pragma once

// LbfgsOptions by name, for the Python module: one table row per field. A field added to
// dlbfgs::LbfgsOptions is one more row in kOptionTable below (and, for a field of a new type, one
// more FromPython/ToPython overload).

#include <pybind11/pybind11.h>

#include <string>
#include <type_traits>

#include "dlbfgs/options.hpp"

namespace dlbfgs::python {

namespace py = pybind11;

/// One field of LbfgsOptions: its Python name, how to set it from a Python value (throws
/// py::type_error for a value of the wrong type, py::value_error for an unknown enum name) and
/// how to read it back. Local.
struct OptionRow {
  const char* name;
  void (*set)(LbfgsOptions& options, py::handle value, const char* name);
  py::object (*get)(const LbfgsOptions& options);
};

/// The Python type names in error messages ("int", "str", ...). Local.
inline std::string TypeName(py::handle value) {
  return py::str(py::type::handle_of(value).attr("__name__"));
}

[[noreturn]] inline void WrongType(const char* name, py::handle value, const char* expected) {
  throw py::type_error("option " + std::string(name) + " must be " + expected + ", got " +
                       TypeName(value));
}

// Python value -> field value. bool is a subclass of int in Python: refuse it for numbers, so
// that history_size=True is an error rather than 1.
inline void FromPython(py::handle v, const char* name, int& out) {
  if (py::isinstance<py::bool_>(v) || !py::isinstance<py::int_>(v)) WrongType(name, v, "an int");
  const long long value = v.cast<long long>();
  if (value < INT32_MIN || value > INT32_MAX) {
    throw py::value_error("option " + std::string(name) + " = " + std::to_string(value) +
                          " does not fit a 32-bit int");
  }
  out = static_cast<int>(value);
}
inline void FromPython(py::handle v, const char* name, double& out) {
  if (py::isinstance<py::bool_>(v) ||
      !(py::isinstance<py::float_>(v) || py::isinstance<py::int_>(v))) {
    WrongType(name, v, "a float");
  }
  out = v.cast<double>();
}
inline void FromPython(py::handle v, const char* name, bool& out) {
  if (!py::isinstance<py::bool_>(v)) WrongType(name, v, "a bool");
  out = v.cast<bool>();
}
inline void FromPython(py::handle v, const char* name, std::string& out) {
  // str or os.PathLike (pathlib.Path for checkpoint_dir).
  py::object text = py::reinterpret_borrow<py::object>(v);
  if (!py::isinstance<py::str>(v)) {
    if (!py::hasattr(v, "__fspath__")) WrongType(name, v, "a str or path");
    text = v.attr("__fspath__")();
    if (!py::isinstance<py::str>(text)) WrongType(name, v, "a str or path");
  }
  out = text.cast<std::string>();
}
template <typename Enum, Enum (*Parse)(const std::string&)>
void FromPythonEnum(py::handle v, const char* name, Enum& out) {
  if (!py::isinstance<py::str>(v)) WrongType(name, v, "a str");
  try {
    out = Parse(v.cast<std::string>());
  } catch (const std::invalid_argument& e) {
    throw py::value_error("option " + std::string(name) + ": " + e.what());
  }
}
inline ExistingCheckpoint ParseExistingCheckpoint(const std::string& name) {
  if (name == "refuse") return ExistingCheckpoint::kRefuse;
  if (name == "resume") return ExistingCheckpoint::kResume;
  if (name == "overwrite") return ExistingCheckpoint::kOverwrite;
  throw std::invalid_argument("unknown value '" + name +
                              "' (expected refuse, resume or overwrite)");
}
inline const char* ToString(ExistingCheckpoint e) {
  return e == ExistingCheckpoint::kRefuse   ? "refuse"
         : e == ExistingCheckpoint::kResume ? "resume"
                                            : "overwrite";
}
inline void FromPython(py::handle v, const char* name, TwoLoopType& out) {
  FromPythonEnum<TwoLoopType, ParseTwoLoopType>(v, name, out);
}
inline void FromPython(py::handle v, const char* name, HistoryPrecision& out) {
  FromPythonEnum<HistoryPrecision, ParseHistoryPrecision>(v, name, out);
}
inline void FromPython(py::handle v, const char* name, TrialProducts& out) {
  FromPythonEnum<TrialProducts, ParseTrialProducts>(v, name, out);
}
inline void FromPython(py::handle v, const char* name, LineSearchType& out) {
  FromPythonEnum<LineSearchType, ParseLineSearchType>(v, name, out);
}
inline void FromPython(py::handle v, const char* name, ExistingCheckpoint& out) {
  FromPythonEnum<ExistingCheckpoint, ParseExistingCheckpoint>(v, name, out);
}

// Field value -> Python value (enums by their names).
template <typename T>
py::object ToPython(const T& value) {
  return py::cast(value);
}
inline py::object ToPython(TwoLoopType value) { return py::str(dlbfgs::ToString(value)); }
inline py::object ToPython(HistoryPrecision value) { return py::str(dlbfgs::ToString(value)); }
inline py::object ToPython(TrialProducts value) { return py::str(dlbfgs::ToString(value)); }
inline py::object ToPython(LineSearchType value) { return py::str(dlbfgs::ToString(value)); }
inline py::object ToPython(ExistingCheckpoint value) { return py::str(ToString(value)); }

/// Row of the field at member pointer M.
template <auto M>
constexpr OptionRow Row(const char* name) {
  return {name, [](LbfgsOptions& o, py::handle v, const char* n) { FromPython(v, n, o.*M); },
          [](const LbfgsOptions& o) { return ToPython(o.*M); }};
}

/// Every field of LbfgsOptions but the callback (passed separately), in declaration order.
inline const OptionRow kOptionTable[] = {
    Row<&LbfgsOptions::history_size>("history_size"),
    Row<&LbfgsOptions::history_precision>("history_precision"),
    Row<&LbfgsOptions::l1_weight>("l1_weight"),
    Row<&LbfgsOptions::grad_tol>("grad_tol"),
    Row<&LbfgsOptions::grad_rel_tol>("grad_rel_tol"),
    Row<&LbfgsOptions::f_rel_tol>("f_rel_tol"),
    Row<&LbfgsOptions::past>("past"),
    Row<&LbfgsOptions::max_iterations>("max_iterations"),
    Row<&LbfgsOptions::max_evaluations>("max_evaluations"),
    Row<&LbfgsOptions::two_loop>("two_loop"),
    Row<&LbfgsOptions::line_search>("line_search"),
    Row<&LbfgsOptions::c1>("c1"),
    Row<&LbfgsOptions::c2>("c2"),
    Row<&LbfgsOptions::backtracking_wolfe>("backtracking_wolfe"),
    Row<&LbfgsOptions::max_line_search_evaluations>("max_line_search_evaluations"),
    Row<&LbfgsOptions::min_step>("min_step"),
    Row<&LbfgsOptions::max_step>("max_step"),
    Row<&LbfgsOptions::curvature_eps>("curvature_eps"),
    Row<&LbfgsOptions::gram_refresh_interval>("gram_refresh_interval"),
    Row<&LbfgsOptions::gram_check_tol>("gram_check_tol"),
    Row<&LbfgsOptions::trial_products>("trial_products"),
    Row<&LbfgsOptions::checkpoint_dir>("checkpoint_dir"),
    Row<&LbfgsOptions::checkpoint_every>("checkpoint_every"),
    Row<&LbfgsOptions::existing_checkpoint>("existing_checkpoint"),
    Row<&LbfgsOptions::resume_dir>("resume_dir"),
    Row<&LbfgsOptions::checkpoint_label>("checkpoint_label"),
};

}  // namespace dlbfgs::python
