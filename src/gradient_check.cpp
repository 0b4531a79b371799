#include "dlbfgs/gradient_check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fingerprint.hpp"
#include "reducer.hpp"

namespace dlbfgs {
namespace {

using internal::Reducer;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// "GradientCheckOptions.<field> = <value>: must be <condition>", or "" when the options are valid.
std::string Validate(const GradientCheckOptions& o) {
  std::ostringstream out;
  if (o.directions < 1) {
    out << "GradientCheckOptions.directions = " << o.directions << ": must be >= 1";
  } else if (!(std::isfinite(o.step) && o.step > 0)) {
    out << "GradientCheckOptions.step = " << o.step << ": must be finite and > 0";
  }
  return out.str();
}

// SplitMix64's output function (Steele, Lea & Flood 2014): a bijective 64-bit mix whose outputs
// pass BigCrush for consecutive inputs, so hashing counters gives independent-looking draws.
std::uint64_t Mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Entry `index` (global) of the raw direction `d`: uniform in (-1, 1) and a pure function of
// (seed, d, index), so the global direction does not depend on the ranks or the layout.
double DirectionEntry(unsigned seed, int d, Eigen::Index index) {
  const std::uint64_t key =
      Mix(Mix(Mix(seed) ^ static_cast<std::uint64_t>(d)) ^ static_cast<std::uint64_t>(index));
  const double u = (static_cast<double>(key >> 11) + 0.5) * 0x1.0p-53;  // 53 bits, in (0, 1)
  return 2 * u - 1;
}

// Runs `f`; returns "" or what it threw (never lets an exception through: every rank must reach
// the next agreement).
template <typename F>
std::string Attempt(F&& f) {
  try {
    f();
    return "";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return what.empty() ? "an exception without a message" : what;
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

// Lowest rank for which `mine` holds, on every rank (error paths only). Collective.
// Bits of a non-negative double: ordered like the value (NaN above +inf), for an MPI_MAX of
// norms through Reducer::Max.
std::uint64_t Bits(double v) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

double FromBits(std::uint64_t bits) {
  double v = 0;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// The objective's calls and the agreement after each: one Sum of [threw, non-finite, values...]
// over the ranks, then (only when some rank threw) the lowest throwing rank's message.
class Evaluator {
 public:
  Evaluator(Objective& objective, Reducer& reducer, GradientCheckResult& result)
      : objective_(objective), reducer_(reducer), result_(result) {}

  // Evaluates at x, writing g and this rank's share of f into `share`. Returns the local error.
  std::string Call(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::Ref<Eigen::VectorXd> g,
                   double& share) {
    ++result_.evaluations;
    return Attempt([&] { share = objective_.EvaluateLocal(x, g); });
  }

  // Sums payload[2..) over the ranks, payload[0] = this rank threw, payload[1] = this rank saw a
  // non-finite value. Returns false on every rank, with result_ filled, when some rank threw or saw
  // a non-finite value; `where` names the evaluation in the message.
  bool Agree(std::vector<double>& payload, const std::string& error, bool non_finite,
             const std::string& where) {
    payload[0] = error.empty() ? 0.0 : 1.0;
    payload[1] = error.empty() && non_finite ? 1.0 : 0.0;
    reducer_.Sum(payload.data(), static_cast<int>(payload.size()));
    if (payload[0] > 0) {
      const Reducer::Failure f = reducer_.FirstFailure(!error.empty(), error);
      Fail("the objective threw on rank " + std::to_string(f.rank) + " at " + where + ": " +
           f.message);
      return false;
    }
    if (payload[1] > 0) {
      const int root = reducer_.LowestRank(non_finite);
      result_.finite = false;
      Fail("non-finite value at " + where + " (first on rank " + std::to_string(root) + ")");
      return false;
    }
    return true;
  }

  void Fail(const std::string& message) {
    result_.completed = false;
    result_.max_relative_error = kNaN;
    result_.message = "gradient check stopped: " + message;
  }

 private:
  Objective& objective_;
  Reducer& reducer_;
  GradientCheckResult& result_;
};

}  // namespace

GradientCheckResult CheckGradient(Objective& objective, const Partition& part,
                                  const Eigen::Ref<const Eigen::VectorXd>& x,
                                  const GradientCheckOptions& options) {
  const std::string invalid = Validate(options);
  const Eigen::Index n_local = part.local_size();
  const Eigen::Index offset = part.offset();
  const bool bad_size = x.size() != n_local;
  Reducer reducer(part.comm());

  // Workspace: g at x; a trial point (first the raw directions) and its unused gradient.
  Eigen::VectorXd g, x_t, g_t;
  const std::string alloc_error = Attempt([&] {
    g.resize(n_local);
    x_t.resize(n_local);
    g_t.resize(n_local);
  });

  // Start-up, one Max: options identical and valid, sizes right, workspace allocated, x finite,
  // and ||x||_inf (non-negative doubles compare like their bits).
  internal::Fingerprint fp;
  fp.Add(options.directions);
  fp.Add(options.step);
  fp.Add(options.seed);
  fp.Add(static_cast<std::int64_t>(part.global_size()));
  const bool x_finite = x.allFinite();
  const double x_inf = x_finite && x.size() > 0 ? x.cwiseAbs().maxCoeff() : 0.0;
  std::uint64_t flags[7] = {fp.value(),
                            ~fp.value(),
                            invalid.empty() ? 0u : 1u,
                            bad_size ? 1u : 0u,
                            alloc_error.empty() ? 0u : 1u,
                            x_finite ? 0u : 1u,
                            Bits(x_inf)};
  reducer.Max(flags, 7);
  if (flags[0] != ~flags[1]) {
    throw std::invalid_argument(
        "CheckGradient: GradientCheckOptions or the problem size differ between ranks");
  }
  if (flags[2] != 0) throw std::invalid_argument("CheckGradient: " + invalid);
  if (flags[3] != 0) {
    const int root = reducer.LowestRank(bad_size);
    throw std::invalid_argument("CheckGradient: x_local does not match the partition on rank " +
                                std::to_string(root));
  }

  GradientCheckResult result;
  Evaluator evaluator(objective, reducer, result);
  if (flags[4] != 0) {
    const int root = reducer.LowestRank(!alloc_error.empty());
    evaluator.Fail("could not allocate the workspace on rank " + std::to_string(root));
    return result;
  }
  if (flags[5] != 0) {
    const int root = reducer.LowestRank(!x_finite);
    result.finite = false;
    evaluator.Fail("x has a non-finite entry on rank " + std::to_string(root));
    return result;
  }
  if (part.global_size() == 0) {
    result.completed = true;
    result.max_relative_error = 0;
    result.message = "gradient check: nothing to check (n = 0)";
    return result;
  }
  const double h = options.step * std::max(1.0, FromBits(flags[6]));
  result.step = h;
  if (!std::isfinite(h)) {
    result.finite = false;
    evaluator.Fail("the step h = step * max(1, ||x||_inf) overflows");
    return result;
  }

  // At x: f, and for each raw direction w_d its squared norm and g.w_d, in one Sum.
  const int m = options.directions;
  std::vector<double> payload(3 + 2 * static_cast<std::size_t>(m), 0.0);
  double f_share = 0;
  std::string error = evaluator.Call(x, g, f_share);
  const bool bad_x = error.empty() && !(std::isfinite(f_share) && g.allFinite());
  payload[2] = f_share;
  for (int d = 0; d < m && error.empty() && !bad_x; ++d) {
    for (Eigen::Index k = 0; k < n_local; ++k) x_t[k] = DirectionEntry(options.seed, d, offset + k);
    payload[3 + 2 * d] = x_t.squaredNorm();
    payload[4 + 2 * d] = g.dot(x_t);
  }
  if (!evaluator.Agree(payload, error, bad_x, "x (f or its gradient)")) return result;
  result.f = payload[2];
  const std::vector<double> at_x = payload;

  // Per direction v = w / ||w||: g.v against (f(x + h v) - f(x - h v)) / (2 h). The shares'
  // differences are summed, not the two sums of shares: each rank's difference of nearby values
  // is exact (Sterbenz), so only the shares' own rounding, about eps |f| / h, enters fd.
  double worst = -1;
  for (int d = 0; d < m; ++d) {
    const double norm = std::sqrt(at_x[3 + 2 * d]);
    const double gtd = at_x[4 + 2 * d] / norm;
    const std::string which = "direction " + std::to_string(d);
    auto stop = [&](double fd) {
      result.worst_direction = d;
      result.directional_derivative = gtd;
      result.finite_difference = fd;
      return result;
    };

    double f_plus = 0;
    for (Eigen::Index k = 0; k < n_local; ++k) {
      x_t[k] = x[k] + (h / norm) * DirectionEntry(options.seed, d, offset + k);
    }
    error = evaluator.Call(x_t, g_t, f_plus);
    std::vector<double> plus(2, 0.0);
    if (!evaluator.Agree(plus, error, !std::isfinite(f_plus), "x + h v, " + which)) {
      return stop(kNaN);
    }

    double f_minus = 0;
    for (Eigen::Index k = 0; k < n_local; ++k) {
      x_t[k] = x[k] - (h / norm) * DirectionEntry(options.seed, d, offset + k);
    }
    error = evaluator.Call(x_t, g_t, f_minus);
    std::vector<double> minus = {0.0, 0.0, f_plus - f_minus};
    if (!evaluator.Agree(minus, error, !std::isfinite(f_minus), "x - h v, " + which)) {
      return stop(kNaN);
    }

    const double fd = minus[2] / (2 * h);
    const double relative = std::abs(gtd - fd) / std::max({std::abs(gtd), std::abs(fd),
                                                           std::numeric_limits<double>::min()});
    if (!std::isfinite(relative)) {  // e.g. the difference overflowed: reported, never hidden
      result.finite = false;
      evaluator.Fail("non-finite relative error at " + which);
      return stop(fd);
    }
    if (relative > worst) {
      worst = relative;
      result.worst_direction = d;
      result.directional_derivative = gtd;
      result.finite_difference = fd;
    }
    result.directions = d + 1;
  }

  result.completed = true;
  result.max_relative_error = worst;
  char line[256];
  std::snprintf(line, sizeof line,
                "gradient check: max relative error %.3e over %d directions (worst: direction %d, "
                "g.v = %.10e, fd = %.10e; h = %.3e)",
                worst, m, result.worst_direction, result.directional_derivative,
                result.finite_difference, h);
  result.message = line;
  return result;
}

}  // namespace dlbfgs
