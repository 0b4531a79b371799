// The solver's one collective outside evaluations: options, sizes, workspace and an existing
// checkpoint, agreed on by every rank before the first evaluation.

#include "startup_check.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "checkpoint.hpp"
#include "fingerprint.hpp"
#include "option_fields.hpp"

namespace dlbfgs::internal {
namespace {

// The name of the first option (or "the problem size") whose hash differs between ranks; the
// buffer holds each hash h and ~h, maximised over ranks, so equal values give max(~h) == ~min(h).
std::string FirstDifference(const std::uint64_t* hashes, const char* const* names, int count) {
  for (int k = 0; k < count; ++k) {
    if (hashes[2 * k] != ~hashes[2 * k + 1]) return names[k];
  }
  return "";
}

// This rank's L1 weights: "" or what is wrong with them.
std::string CheckWeights(const double* weights, Eigen::Index size, const Partition& part) {
  if (weights == nullptr) return "";
  if (size != part.local_size()) {
    return "the L1 weights have " + std::to_string(size) + " elements on rank " +
           std::to_string(part.rank()) + " but the partition gives it " +
           std::to_string(part.local_size());
  }
  for (Eigen::Index i = 0; i < size; ++i) {
    if (!(weights[i] >= 0) || !std::isfinite(weights[i])) {
      return "the L1 weight of x[" + std::to_string(part.offset() + i) + "] is " +
             std::to_string(weights[i]) + ": must be >= 0 and finite";
    }
  }
  return "";
}

std::string Number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", v);
  return buffer;
}

// This rank's bounds: "" or what is wrong with them.
std::string CheckBounds(const BoundsInput& b, const Partition& part) {
  if (!b.given) return "";
  for (const auto& [name, size] : {std::pair<const char*, Eigen::Index>{"lower", b.lower_size},
                                   std::pair<const char*, Eigen::Index>{"upper", b.upper_size}}) {
    if (size != part.local_size()) {
      return std::string("the ") + name + " bounds have " + std::to_string(size) +
             " elements on rank " + std::to_string(part.rank()) + " but the partition gives it " +
             std::to_string(part.local_size());
    }
  }
  for (Eigen::Index i = 0; i < part.local_size(); ++i) {
    const double l = b.lower[i], u = b.upper[i];
    const std::string at = "x[" + std::to_string(part.offset() + i) + "]";
    if (std::isnan(l) || std::isnan(u)) {
      return "the " + std::string(std::isnan(l) ? "lower" : "upper") + " bound of " + at +
             " is nan";
    }
    if (l > u) {
      return "the lower bound of " + at + " (" + Number(l) + ") is above its upper bound (" +
             Number(u) + ")";
    }
    if (l == std::numeric_limits<double>::infinity() ||
        u == -std::numeric_limits<double>::infinity()) {
      return "the bounds of " + at + " are [" + Number(l) + ", " + Number(u) +
             "]: no finite x satisfies them";
    }
  }
  return "";
}

bool AnyFinite(const BoundsInput& b, Eigen::Index n) {
  if (!b.given) return false;
  for (Eigen::Index i = 0; i < n; ++i) {
    if (std::isfinite(b.lower[i]) || std::isfinite(b.upper[i])) return true;
  }
  return false;
}

}  // namespace

Startup CheckInputs(const LbfgsOptions& options, const Partition& part, Eigen::Index x_size,
                    const double* weights, Eigen::Index weights_size, const BoundsInput& bounds,
                    const std::string& invalid, bool allocated, Reducer& reducer) {
  const auto fields = OptionFields(options);
  constexpr int kHashes = kOptionFieldCount + 1;  // the fields and n
  const char* names[kHashes];
  std::uint64_t buffer[2 * kHashes + 7];
  Fingerprint n_hash;
  n_hash.Add(static_cast<std::int64_t>(part.global_size()));
  names[0] = "the problem size n";
  buffer[0] = n_hash.value();
  for (int k = 0; k < kOptionFieldCount; ++k) {
    names[k + 1] = fields[k].name;
    buffer[2 * (k + 1)] = fields[k].hash;
  }
  for (int k = 0; k < kHashes; ++k) buffer[2 * k + 1] = ~buffer[2 * k];
  std::uint64_t* flags = buffer + 2 * kHashes;
  const bool bad_size = x_size != part.local_size();
  const std::string bad_weights = CheckWeights(weights, weights_size, part);
  flags[0] = invalid.empty() ? 0 : 1;
  flags[1] = bad_size ? 1 : 0;
  flags[2] = allocated ? 0 : 1;
  flags[3] = part.rank() == 0 ? static_cast<std::uint64_t>(
                                    ProbeCheckpoint(options.checkpoint_dir, options.resume_dir) + 1)
                              : 0;
  flags[4] = bad_weights.empty() ? 0 : 1;
  const std::string bad_bounds = CheckBounds(bounds, part);
  flags[5] = bad_bounds.empty() ? 0 : 1;
  flags[6] = bad_bounds.empty() && AnyFinite(bounds, part.local_size()) ? 1 : 0;
  reducer.Max(buffer, 2 * kHashes + 7);
  if (const std::string field = FirstDifference(buffer, names, kHashes); !field.empty()) {
    const bool n = field == names[0];
    throw std::invalid_argument((n ? field : "LbfgsOptions." + field) +
                                " differs between ranks (every rank must pass the same value)");
  }
  if (flags[0] != 0) {
    // Identical options on every rank: every rank has the same message.
    throw std::invalid_argument(invalid);
  }
  if (flags[1] != 0) {
    throw std::invalid_argument(
        bad_size ? "x has " + std::to_string(x_size) + " elements on rank " +
                       std::to_string(part.rank()) + " but the partition gives it " +
                       std::to_string(part.local_size())
                 : std::string("x does not match the partition on another rank"));
  }
  if (flags[4] != 0) {
    // Error path only: every rank throws the lowest failing rank's message.
    throw std::invalid_argument(reducer.FirstFailure(!bad_weights.empty(), bad_weights).message);
  }
  if (flags[5] != 0) {
    throw std::invalid_argument(reducer.FirstFailure(!bad_bounds.empty(), bad_bounds).message);
  }
  return {flags[2] == 0, static_cast<long long>(flags[3]) - 1, flags[6] != 0};
}

}  // namespace dlbfgs::internal
