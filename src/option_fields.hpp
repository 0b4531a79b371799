#pragma once

#include <array>
#include <cstdint>

#include "dlbfgs/options.hpp"

namespace dlbfgs::internal {

/// A field of LbfgsOptions: its name, a hash of its value, and whether it shapes the sequence of
/// iterates (an algorithm option, which a resumed run must not change) or only when it stops or
/// where it writes.
struct OptionField {
  const char* name;
  std::uint64_t hash;
  bool algorithm;
};

/// Number of LbfgsOptions fields that every rank must agree on (all but the callback). A
/// static_assert in options.cpp counts the struct's fields, so a field added to LbfgsOptions
/// without an entry in OptionFields() does not compile.
constexpr int kOptionFieldCount = 26;

/// Every field of `o` but the callback, in declaration order, so that ranks that disagree can
/// name the field. A field added to LbfgsOptions must be added here (and to ValidateOptions).
/// Local.
std::array<OptionField, kOptionFieldCount> OptionFields(const LbfgsOptions& o);

/// Hash of the algorithm options (OptionField::algorithm): a checkpoint saves it, and a resume
/// with other values is refused. Local.
std::uint64_t AlgorithmFingerprint(const LbfgsOptions& o);

}  // namespace dlbfgs::internal
