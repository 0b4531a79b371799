#pragma once

#include <array>
#include <cstdint>

#include "dlbfgs/options.hpp"

namespace dlbfgs::internal {

/// A field of LbfgsOptions: its name and a hash of its value.
struct OptionField {
  const char* name;
  std::uint64_t hash;
};

/// Number of LbfgsOptions fields that every rank must agree on (all but the callback).
constexpr int kOptionFieldCount = 23;

/// Every field of `o` but the callback, in declaration order, so that ranks that disagree can
/// name the field. A field added to LbfgsOptions must be added here (and to ValidateOptions).
/// Local.
std::array<OptionField, kOptionFieldCount> OptionFields(const LbfgsOptions& o);

}  // namespace dlbfgs::internal
