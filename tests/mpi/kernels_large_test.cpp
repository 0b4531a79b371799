// The streaming kernels (src/passes.cpp) on vectors longer than two kernel blocks (8192 rows) with
// an odd tail, filled with values that never repeat (a hash of the global index), against plain
// Eigen expressions. Short vectors live inside the first block, and periodic values give every
// block the same sums, so a pointer that loses its block offset passes both; here it cannot.
// White-box: includes private headers (namespace dlbfgs::internal).

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <vector>

#include "dlbfgs/partition.hpp"
#include "history.hpp"
#include "history_test_helpers.hpp"
#include "mpi_test_helpers.hpp"
#include "passes.hpp"
#include "reducer.hpp"
#include "two_loop.hpp"

namespace {

using dlbfgs::Partition;
using dlbfgs::internal::DirectionCoefficients;
using dlbfgs::internal::History;
using Eigen::Index;
using Eigen::VectorXd;

// Rows per kernel block in src/passes.cpp (kBlock).
constexpr Index kKernelBlock = 8192;
// Two full blocks and a third of 37 rows: 37 is odd and not a multiple of the 8-row step, so the
// last block also ends in a zero-padded tail of 5 rows.
constexpr Index kLocalSize = 2 * kKernelBlock + 37;

// A value in [-1, 1) from (seed, global index): splitmix64 (Steele, Lea & Flood 2014), so that no
// two blocks, ranks or vectors hold the same numbers.
double Hash(std::uint64_t seed, Index i) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(i) + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-52 - 1.0;
}

// This rank's block of the hashed global vector `seed`.
VectorXd Hashed(const Partition& part, std::uint64_t seed) {
  VectorXd v(part.local_size());
  for (Index k = 0; k < v.size(); ++k) v[k] = Hash(seed, part.offset() + k);
  return v;
}

// Global a'b from this rank's blocks: a plain Eigen dot product and one MPI_Allreduce.
double Dot(const Eigen::Ref<const VectorXd>& a, const Eigen::Ref<const VectorXd>& b) {
  double v = a.dot(b);
  MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return v;
}

double Norm(const Eigen::Ref<const VectorXd>& a) { return std::sqrt(Dot(a, a)); }

// Largest |v_i| over every rank's block.
double MaxAbs(const Eigen::Ref<const VectorXd>& v) {
  return dlbfgs::test_support::MaxOverRanks(v.size() > 0 ? v.cwiseAbs().maxCoeff() : 0.0);
}

// Sums `count` doubles over the ranks in place.
void SumOverRanks(double* v, int count) {
  MPI_Allreduce(MPI_IN_PLACE, v, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

// |got - want| within 1e-12 of the Cauchy-Schwarz scale ||a|| ||b|| of the dot product a'b.
void ExpectDot(double got, const Eigen::Ref<const VectorXd>& a, const Eigen::Ref<const VectorXd>& b,
               const char* what) {
  const double want = Dot(a, b);
  EXPECT_NEAR(got, want, 1e-12 * Norm(a) * Norm(b)) << what;
}

// A history of capacity m holding the last min(pairs, m) of `pairs` pushed pairs (the ring wraps
// when pairs > m), with y = D s + noise for a positive diagonal D (positive curvature), and Gram
// scalars computed by Eigen: the reference, independent of the kernels.
struct LargeFixture {
  LargeFixture(int m, int pairs)
      : part(Partition::FromLocalSizes(MPI_COMM_WORLD, kLocalSize)),
        reducer(MPI_COMM_WORLD),
        h(part.local_size(), m),
        g(Hashed(part, 1)) {
    const VectorXd diag = 1 + 9 * Hashed(part, 2).array().abs();
    for (int k = 0; k < pairs; ++k) {
      const int t = h.Spare();
      h.S.col(t) = Hashed(part, 100 + k);
      h.Y.col(t) = diag.cwiseProduct(h.S.col(t)) + 0.1 * Hashed(part, 200 + k);
      h.AcceptSpare();
    }
    dlbfgs::test_support::SetGram(
        h, [&](int i, int j) { return Dot(h.S.col(i), h.S.col(j)); },
        [&](int i, int j) { return Dot(h.S.col(i), h.Y.col(j)); },
        [&](int i, int j) { return Dot(h.Y.col(i), h.Y.col(j)); },
        [&](int i) { return Dot(h.S.col(i), g); }, [&](int i) { return Dot(h.Y.col(i), g); });
    gg = Dot(g, g);
  }

  Partition part;
  dlbfgs::internal::Reducer reducer;
  History h;
  VectorXd g;
  double gg = 0;
};

// The history counts the kernels branch on: empty, one pair (the two-column path), two and three
// (four columns, plus two), a full ring and a wrapped one (slots out of order).
const int kCapacity = 4;
const int kPairCounts[] = {0, 1, 2, 3, 4, 6};

TEST(KernelsLargeTest, FixtureSpansMoreThanTwoKernelBlocksOnEveryRank) {
  const LargeFixture fx(kCapacity, 1);
  EXPECT_EQ(fx.part.local_size(), kLocalSize);
  EXPECT_GT(fx.part.local_size(), 2 * kKernelBlock);
  EXPECT_NE(fx.part.local_size() % 8, 0);
  // The data does not repeat from one block to the next.
  EXPECT_TRUE(fx.g.segment(0, 64) != fx.g.segment(kKernelBlock, 64));
}

TEST(KernelsLargeTest, TrialPassMatchesEigenInEveryBlock) {
  for (int pairs : kPairCounts) {
    SCOPED_TRACE(testing::Message() << pairs << " pairs pushed");
    LargeFixture fx(kCapacity, pairs);
    const VectorXd x = Hashed(fx.part, 11), xt = Hashed(fx.part, 12), gt = Hashed(fx.part, 13),
                   d = Hashed(fx.part, 14);
    std::vector<double> old(6 * (kCapacity + 1), 0.0);
    const auto p = dlbfgs::internal::TrialPass(fx.h, {x, xt, fx.g, gt, gt, d}, old.data());
    const int t = fx.h.Spare();

    // The candidate pair, row by row: one subtraction each, so exactly Eigen's.
    const VectorXd s = xt - x, y = gt - fx.g;
    EXPECT_EQ(MaxAbs(fx.h.S.col(t) - s), 0.0) << "s_t";
    EXPECT_EQ(MaxAbs(fx.h.Y.col(t) - y), 0.0) << "y_t";

    double sums[7] = {p.gtd, p.gg, p.sy, p.yy, p.ss, p.sg, p.yg};
    SumOverRanks(sums, 7);
    ExpectDot(sums[0], gt, d, "g_t'd");
    ExpectDot(sums[1], gt, gt, "g_t'g_t");
    ExpectDot(sums[2], s, y, "s_t'y_t");
    ExpectDot(sums[3], y, y, "y_t'y_t");
    ExpectDot(sums[4], s, s, "s_t's_t");
    ExpectDot(sums[5], s, gt, "s_t'g_t");
    ExpectDot(sums[6], y, gt, "y_t'g_t");

    // The six cross products of every stored pair with the trial.
    SumOverRanks(old.data(), static_cast<int>(old.size()));
    for (int k = 0; k < fx.h.count(); ++k) {
      SCOPED_TRACE(testing::Message() << "stored pair " << k);
      const int j = fx.h.Slot(k);
      const double* o = old.data() + 6 * j;
      const VectorXd sj = fx.h.S.col(j), yj = fx.h.Y.col(j);
      ExpectDot(o[0], sj, gt, "s_j'g_t");
      ExpectDot(o[1], yj, gt, "y_j'g_t");
      ExpectDot(o[2], sj, y, "s_j'y_t");
      ExpectDot(o[3], yj, y, "y_j'y_t");
      ExpectDot(o[4], sj, s, "s_j's_t");
      ExpectDot(o[5], yj, s, "y_j's_t");
    }

    // Without the cross products the trial's own sums are the same numbers.
    LargeFixture again(kCapacity, pairs);
    const auto q = dlbfgs::internal::TrialPass(again.h, {x, xt, again.g, gt, gt, d}, nullptr);
    EXPECT_EQ(q.gtd, p.gtd);
    EXPECT_EQ(q.sy, p.sy);
    EXPECT_EQ(q.yg, p.yg);
  }
}

TEST(KernelsLargeTest, FormDirectionMatchesEigenInEveryBlock) {
  for (int pairs : kPairCounts) {
    SCOPED_TRACE(testing::Message() << pairs << " pairs pushed");
    LargeFixture fx(kCapacity, pairs);
    // Arbitrary coefficients, distinct for every column, so that a column read from the wrong
    // block or slot shows.
    DirectionCoefficients c(kCapacity);
    for (int k = 0; k < kCapacity; ++k) {
      c.cs(k) = 0.3 + 0.7 * k;
      c.cy(k) = -1.1 + 0.45 * k;
    }
    c.cg = 0.8;
    VectorXd d = VectorXd::Constant(fx.part.local_size(), 1e300);  // overwritten, never read
    double gd = dlbfgs::internal::FormDirection(fx.h, c, fx.g, d);
    VectorXd want = -c.cg * fx.g;
    for (int k = 0; k < fx.h.count(); ++k) {
      const int j = fx.h.Slot(k);
      want -= c.cs(k) * fx.h.S.col(j) + c.cy(k) * fx.h.Y.col(j);
    }
    EXPECT_LE(Norm(d - want), 1e-13 * Norm(want));
    SumOverRanks(&gd, 1);
    ExpectDot(gd, fx.g, want, "g'd");
  }
}

TEST(KernelsLargeTest, FusedDirectionEqualsClassicOnLongVectors) {
  for (int pairs : kPairCounts) {
    SCOPED_TRACE(testing::Message() << pairs << " pairs pushed");
    LargeFixture fx(kCapacity, pairs);
    VectorXd d_classic(fx.part.local_size()), alpha(kCapacity);
    const double gtd_classic =
        dlbfgs::internal::ClassicTwoLoop(fx.h, fx.g, fx.gg, d_classic, alpha, fx.reducer);
    DirectionCoefficients c(kCapacity);
    dlbfgs::internal::FusedTwoLoop(fx.h, fx.gg, c);
    VectorXd d_fused(fx.part.local_size());
    double gd = dlbfgs::internal::FormDirection(fx.h, c, fx.g, d_fused);
    SumOverRanks(&gd, 1);
    EXPECT_LE(Norm(d_fused - d_classic), 1e-12 * Norm(d_classic));
    EXPECT_NEAR(gd, gtd_classic, 1e-12 * Norm(fx.g) * Norm(d_classic));
    EXPECT_NEAR(dlbfgs::internal::GramSlope(fx.h, fx.gg, c), gtd_classic,
                1e-12 * Norm(fx.g) * Norm(d_classic));
  }
}

TEST(KernelsLargeTest, GramPartialsMatchEigenInEveryBlock) {
  const int slots = kCapacity + 1;
  for (int pairs : kPairCounts) {
    SCOPED_TRACE(testing::Message() << pairs << " pairs pushed");
    const LargeFixture fx(kCapacity, pairs);
    std::vector<double> out(3 * slots * slots, -1.0);
    dlbfgs::internal::GramPartials(fx.h, out.data());
    SumOverRanks(out.data(), static_cast<int>(out.size()));
    std::vector<bool> stored(slots, false);
    for (int k = 0; k < fx.h.count(); ++k) stored[fx.h.Slot(k)] = true;
    for (int i = 0; i < slots; ++i) {
      for (int j = 0; j < slots; ++j) {
        SCOPED_TRACE(testing::Message() << "slots " << i << ", " << j);
        const double* ss = &out[i + slots * j];
        const double* sy = &out[slots * slots + i + slots * j];
        const double* yy = &out[2 * slots * slots + i + slots * j];
        if (!stored[i] || !stored[j]) {
          EXPECT_EQ(*ss, 0.0);
          EXPECT_EQ(*sy, 0.0);
          EXPECT_EQ(*yy, 0.0);
          continue;
        }
        ExpectDot(*ss, fx.h.S.col(i), fx.h.S.col(j), "s_i's_j");
        ExpectDot(*sy, fx.h.S.col(i), fx.h.Y.col(j), "s_i'y_j");
        ExpectDot(*yy, fx.h.Y.col(i), fx.h.Y.col(j), "y_i'y_j");
      }
    }
  }
}

}  // namespace
