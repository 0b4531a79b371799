#pragma once

// Layout of the one allreduce per evaluation, in one place. The payload is
//
//   [ header | geometry block | direction block ]
//
// The header is always sent. The trial geometry (plain: nothing; orthant-projected, for L1, or
// box-projected, for bounds: its partial sums) and the direction (fused: cross products with the
// stored pairs and, on a refresh, the Gram blocks; classic: nothing) each say how many doubles they
// append, and read theirs back at the offsets below after the reduction.

namespace dlbfgs::internal {

/// The header's slots.
enum HeaderSlot : int {
  kF,            ///< this rank's share of f
  kSlope,        ///< v_t'd = phi'(alpha), v the gradient the direction sees
  kGradSq,       ///< v_t'v_t
  kErrors,       ///< ranks whose objective (or callback) threw
  kStopVotes,    ///< ranks whose callback asked to stop
  kSignalVotes,  ///< ranks with a pending RequestStop() (SIGTERM/SIGINT)
  kNonFinite,    ///< ranks whose f or gradient block is not finite at this trial
  kCheckSlope,   ///< first trial of a search: v'd summed directly (the fused Gram check)
  kPairSY,       ///< candidate pair s_t'y_t
  kPairYY,       ///< y_t'y_t
  kPairSS,       ///< s_t's_t
  kPairSG,       ///< s_t'v_t
  kPairYG,       ///< y_t'v_t
  kHeaderSize,
};

/// The fused direction's cross products of one stored pair j with the trial, 6 per slot, at
/// 6 j + k of its block (indexed by slot, so that a ring that wraps needs no reordering).
enum CrossSlot : int {
  kSjVt,  ///< s_j'v_t (the new S'g)
  kYjVt,  ///< y_j'v_t (the new Y'g)
  kSjYt,  ///< s_j'y_t
  kYjYt,  ///< y_j'y_t
  kSjSt,  ///< s_j's_t
  kYjSt,  ///< y_j's_t
  kCrossPerPair,
};

/// A Gram refresh: three column-major slots x slots blocks, s_i's_j, then s_i'y_j, then y_i'y_j.
constexpr int RefreshSize(int slots) { return 3 * slots * slots; }

/// The orthant (L1) geometry's partial sums.
enum OrthantSlot : int {
  kPenalty,       ///< sum_i lambda_i |x_t,i|
  kModel,         ///< v'(x_t - x): the Armijo model term along the projected path
  kL1Norm,        ///< ||x_t||_1
  kNonzeros,      ///< number of non-zero x_t,i
  kSmoothGradSq,  ///< g_t'g_t, the smooth gradient's squared norm
  kMovedSq,       ///< (x_t - x)'(x_t - x): zero when no coordinate moved
  kPathSlope,     ///< v_t'd over the coordinates that move at x_t: phi'(alpha) along the path
  kOrthantSize,
};

/// The box (bound constraints) geometry's partial sums.
enum BoxSlot : int {
  kBoxModel,         ///< v'(x_t - x): the Armijo model term along the projected path
  kBoxMovedSq,       ///< (x_t - x)'(x_t - x): zero when no coordinate moved
  kBoxPathSlope,     ///< g_t'd over the coordinates that move at x_t: phi'(alpha) along the path
  kBoxGradSq,        ///< g_t'g_t, the objective's gradient's squared norm
  kBoxProjGradSq,    ///< ||P(x_t - g_t) - x_t||^2: the stopping measure, squared
  kBoxActive,        ///< number of x_t,i on a bound (x_t,i = l_i or u_i)
  kBoxDescentSlope,  ///< g_t'(P(x_t - g_t) - x_t): phi'(0) along the projected-gradient direction
  kBoxUnclippedSq,   ///< g_t,i^2 summed where x_t,i - g_t,i lies inside [l_i, u_i]
  kBoxSize,
};

}  // namespace dlbfgs::internal
