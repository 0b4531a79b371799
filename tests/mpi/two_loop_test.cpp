#include "two_loop.hpp"

#include <gtest/gtest.h>
#include <mpi.h>

#include <Eigen/Dense>
#include <random>
#include <vector>

#include "dlbfgs/partition.hpp"
#include "history.hpp"
#include "history_test_helpers.hpp"
#include "mpi_test_helpers.hpp"
#include "passes.hpp"
#include "reducer.hpp"

namespace {

using dlbfgs::test_support::GatherToAll;

using dlbfgs::Partition;
using dlbfgs::internal::History;

// The same global vector on every rank, from a seed.
Eigen::VectorXd RandomGlobal(Eigen::Index n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  Eigen::VectorXd v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = u(gen);
  return v;
}

// Serial reference: the dense BFGS inverse-Hessian recursion (Nocedal & Wright, (6.17) and
// (7.19)) from H0 = gamma I with the newest pair's gamma, applied to g.
Eigen::VectorXd DenseDirection(const std::vector<Eigen::VectorXd>& s,
                               const std::vector<Eigen::VectorXd>& y, const Eigen::VectorXd& g) {
  const Eigen::Index n = g.size();
  Eigen::MatrixXd h = Eigen::MatrixXd::Identity(n, n);
  if (!s.empty()) h *= s.back().dot(y.back()) / y.back().squaredNorm();
  for (size_t i = 0; i < s.size(); ++i) {
    const double rho = 1 / s[i].dot(y[i]);
    const Eigen::MatrixXd v = Eigen::MatrixXd::Identity(n, n) - rho * y[i] * s[i].transpose();
    h = v.transpose() * h * v + rho * s[i] * s[i].transpose();
  }
  return -h * g;
}

// Fills `pairs` pairs into a history of capacity m (wrapping the ring when pairs > m), with
// y = A s for an SPD A so that every pair has positive curvature, and returns the stored pairs
// (oldest first) as global vectors. Fills the Gram scalars from reduced dot products.
struct Fixture {
  Fixture(Eigen::Index n, int m, int pairs)
      : part(Partition::Uniform(MPI_COMM_WORLD, n)),
        reducer(MPI_COMM_WORLD),
        h(part.local_size(), m),
        g_global(RandomGlobal(n, 7)) {
    const Eigen::VectorXd diag = 1 + 10 * RandomGlobal(n, 3).array().abs();
    for (int k = 0; k < pairs; ++k) {
      const Eigen::VectorXd s = RandomGlobal(n, 100 + k);
      const Eigen::VectorXd y = diag.cwiseProduct(s) + 0.1 * RandomGlobal(n, 200 + k);
      const int t = h.Spare();
      h.S.col(t) = s.segment(part.offset(), part.local_size());
      h.Y.col(t) = y.segment(part.offset(), part.local_size());
      h.AcceptSpare();
      s_global.push_back(s);
      y_global.push_back(y);
      if (static_cast<int>(s_global.size()) > m) {
        s_global.erase(s_global.begin());
        y_global.erase(y_global.begin());
      }
    }
    g = g_global.segment(part.offset(), part.local_size());
    // Slot -> position among the stored pairs (oldest first).
    std::vector<int> pos(m + 1, 0);
    for (int k = 0; k < h.count(); ++k) pos[h.Slot(k)] = k;
    dlbfgs::test_support::SetGram(
        h, [&](int i, int j) { return s_global[pos[i]].dot(s_global[pos[j]]); },
        [&](int i, int j) { return s_global[pos[i]].dot(y_global[pos[j]]); },
        [&](int i, int j) { return y_global[pos[i]].dot(y_global[pos[j]]); },
        [&](int i) { return s_global[pos[i]].dot(g_global); },
        [&](int i) { return y_global[pos[i]].dot(g_global); });
    gg = g_global.squaredNorm();
  }

  Partition part;
  dlbfgs::internal::Reducer reducer;
  History h;
  Eigen::VectorXd g_global, g;
  double gg = 0;
  std::vector<Eigen::VectorXd> s_global, y_global;
};

TEST(TwoLoopTest, ClassicEqualsDenseBfgsProduct) {
  for (int pairs : {0, 1, 3, 5, 8}) {
    Fixture fx(37, 5, pairs);
    Eigen::VectorXd d(fx.part.local_size()), alpha(5);
    const double gtd = dlbfgs::internal::ClassicTwoLoop(fx.h, fx.g, fx.gg, d, alpha, fx.reducer);
    const Eigen::VectorXd expected = DenseDirection(fx.s_global, fx.y_global, fx.g_global);
    const Eigen::VectorXd got = GatherToAll(fx.part, d);
    EXPECT_LE((got - expected).norm(), 1e-12 * expected.norm()) << pairs << " pairs";
    EXPECT_NEAR(gtd, expected.dot(fx.g_global), 1e-12 * std::fabs(gtd)) << pairs << " pairs";
  }
}

TEST(TwoLoopTest, ClassicCostsTwoReductionsPerPairPlusOne) {
  Fixture fx(20, 4, 3);
  Eigen::VectorXd d(fx.part.local_size()), alpha(4);
  const long long before = fx.reducer.stats().allreduce_calls;
  dlbfgs::internal::ClassicTwoLoop(fx.h, fx.g, fx.gg, d, alpha, fx.reducer);
  EXPECT_EQ(fx.reducer.stats().allreduce_calls - before, 2 * 3 + 1);
}

TEST(TwoLoopTest, FusedEqualsClassicWithoutCommunication) {
  for (int pairs : {0, 1, 4, 6, 13}) {
    Fixture fx(41, 6, pairs);
    Eigen::VectorXd d_classic(fx.part.local_size()), alpha(6);
    const double gtd_classic =
        dlbfgs::internal::ClassicTwoLoop(fx.h, fx.g, fx.gg, d_classic, alpha, fx.reducer);

    const long long before = fx.reducer.stats().allreduce_calls;
    dlbfgs::internal::DirectionCoefficients c(6);
    dlbfgs::internal::FusedTwoLoop(fx.h, fx.gg, c);
    Eigen::VectorXd d_fused(fx.part.local_size());
    double gd_partial = dlbfgs::internal::FormDirection(fx.h, c, fx.g, d_fused);
    EXPECT_EQ(fx.reducer.stats().allreduce_calls, before) << "the fused direction communicates";

    const Eigen::VectorXd a = GatherToAll(fx.part, d_classic);
    const Eigen::VectorXd b = GatherToAll(fx.part, d_fused);
    EXPECT_LE((a - b).norm(), 1e-12 * a.norm()) << pairs << " pairs";
    const double gtd_gram = dlbfgs::internal::GramSlope(fx.h, fx.gg, c);
    EXPECT_NEAR(gtd_gram, gtd_classic, 1e-12 * std::fabs(gtd_classic));
    fx.reducer.Sum(&gd_partial, 1);
    EXPECT_NEAR(gd_partial, gtd_classic, 1e-12 * std::fabs(gtd_classic));
    const double dd = dlbfgs::internal::GramSquaredNorm(fx.h, fx.gg, c);
    EXPECT_NEAR(dd, a.squaredNorm(), 1e-10 * a.squaredNorm());
  }
}

TEST(TwoLoopTest, TrialPassWritesTheCandidatePairAndItsCrossProducts) {
  // vt = gt (plain L-BFGS) and vt != gt (OWL-QN: the products with the gradient use v_t, the pair
  // uses y = g_t - g).
  for (const bool separate : {false, true}) {
    Fixture fx(33, 4, 6);  // a full, wrapped ring
    const Eigen::Index n = fx.part.global_size();
    const Eigen::VectorXd x = RandomGlobal(n, 11), xt = RandomGlobal(n, 12),
                          gt = RandomGlobal(n, 13), d = RandomGlobal(n, 14);
    const Eigen::VectorXd vt = separate ? RandomGlobal(n, 15) : gt;
    auto local = [&](const Eigen::VectorXd& v) {
      return Eigen::VectorXd(v.segment(fx.part.offset(), fx.part.local_size()));
    };
    std::vector<double> cross(6 * 5, 0.0);
    const Eigen::VectorXd xl = local(x), xtl = local(xt), gtl = local(gt), vtl = local(vt),
                          dl = local(d);
    auto p = dlbfgs::internal::TrialPass(fx.h, {xl, xtl, fx.g, gtl, separate ? vtl : gtl, dl},
                                         cross.data());
    fx.reducer.Sum(cross.data(), static_cast<int>(cross.size()));
    double sums[7] = {p.gtd, p.gg, p.sy, p.yy, p.ss, p.sg, p.yg};
    fx.reducer.Sum(sums, 7);
    const Eigen::VectorXd s = xt - x, y = gt - fx.g_global;
    EXPECT_LE((GatherToAll(fx.part, fx.h.S.col(fx.h.Spare())) - s).norm(), 1e-15 * s.norm());
    EXPECT_LE((GatherToAll(fx.part, fx.h.Y.col(fx.h.Spare())) - y).norm(), 1e-15 * y.norm());
    const double expected[7] = {vt.dot(d), vt.dot(vt), s.dot(y), y.dot(y),
                                s.dot(s),  s.dot(vt),  y.dot(vt)};
    for (int i = 0; i < 7; ++i) {
      EXPECT_NEAR(sums[i], expected[i], 1e-12 * (1 + std::fabs(expected[i]))) << separate;
    }
    for (int k = 0; k < fx.h.count(); ++k) {
      const double* o = cross.data() + 6 * fx.h.Slot(k);
      const Eigen::VectorXd& sk = fx.s_global[k];
      const Eigen::VectorXd& yk = fx.y_global[k];
      const double want[6] = {sk.dot(vt), yk.dot(vt), sk.dot(y), yk.dot(y), sk.dot(s), yk.dot(s)};
      for (int i = 0; i < 6; ++i) {
        EXPECT_NEAR(o[i], want[i], 1e-12 * (1 + std::fabs(want[i]))) << separate;
      }
    }
  }
}

// Stored column j of S (or of Y), widened to double: what every product must be formed from.
Eigen::VectorXd Stored(const History& h, bool s, int j) {
  if (h.single()) return (s ? h.Sf : h.Yf).col(j).cast<double>();
  return (s ? h.S : h.Y).col(j);
}

// The fused update path of the solver, pair after pair through the ring's wrap-arounds: each
// trial's reduced products go into the History only through ApplyGradientProducts and
// AppendPair, and afterwards every Gram entry equals the dense product of the stored vectors.
// In float32 the stored pair is s_t, y_t rounded to nearest, and the products are those of the
// rounded vectors (1e-12 here; the unrounded ones differ by ~1e-8). A refresh (GramPartials)
// then reproduces every entry bit for bit.
TEST(TwoLoopTest, GramUpdatesEqualTheDenseProductsOfTheStoredVectors) {
  for (auto precision : {dlbfgs::HistoryPrecision::kFloat64, dlbfgs::HistoryPrecision::kFloat32}) {
    SCOPED_TRACE(dlbfgs::ToString(precision));
    const int m = 3;
    const Eigen::Index n = 31;
    const Partition part = Partition::Uniform(MPI_COMM_WORLD, n);
    dlbfgs::internal::Reducer reducer(MPI_COMM_WORLD);
    History h(part.local_size(), m, precision);
    auto local = [&](const Eigen::VectorXd& v) {
      return Eigen::VectorXd(v.segment(part.offset(), part.local_size()));
    };
    Eigen::VectorXd x = local(RandomGlobal(n, 1)), g = local(RandomGlobal(n, 2));
    const Eigen::VectorXd d = local(RandomGlobal(n, 3));
    for (int k = 0; k < 8; ++k) {
      const Eigen::VectorXd xt = local(RandomGlobal(n, 10 + k));
      const Eigen::VectorXd gt = x + 0.5 * local(RandomGlobal(n, 30 + k));
      std::vector<double> cross(6 * (m + 1), 0.0);
      const auto p = dlbfgs::internal::TrialPass(h, {x, xt, g, gt, gt, d}, cross.data());
      if (h.single()) {  // the candidate pair, rounded to nearest once
        const Eigen::VectorXf s = (xt - x).cast<float>(), y = (gt - g).cast<float>();
        EXPECT_TRUE((h.Sf.col(h.Spare()).array() == s.array()).all()) << k;
        EXPECT_TRUE((h.Yf.col(h.Spare()).array() == y.array()).all()) << k;
      }
      double sums[5] = {p.sy, p.yy, p.ss, p.sg, p.yg};
      reducer.Sum(sums, 5);
      reducer.Sum(cross.data(), static_cast<int>(cross.size()));
      h.ApplyGradientProducts(cross.data());
      h.AppendPair({sums[0], sums[1], sums[2], sums[3], sums[4]}, cross.data());
      x = xt;
      g = gt;
      ASSERT_EQ(h.count(), std::min(k + 1, m));
      auto dot = [&](const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
        double v = a.dot(b);
        reducer.Sum(&v, 1);
        return v;
      };
      auto near = [](double a, double b) { return std::fabs(a - b) <= 1e-12 * (1 + std::fabs(b)); };
      for (int a = 0; a < h.count(); ++a) {
        const int i = h.Slot(a);
        const Eigen::VectorXd si = Stored(h, true, i), yi = Stored(h, false, i);
        EXPECT_TRUE(near(h.Sg(i), dot(si, g))) << "after " << k + 1 << " pairs, slot " << i;
        EXPECT_TRUE(near(h.Yg(i), dot(yi, g))) << "after " << k + 1 << " pairs, slot " << i;
        for (int b = 0; b < h.count(); ++b) {
          const int j = h.Slot(b);
          const Eigen::VectorXd sj = Stored(h, true, j), yj = Stored(h, false, j);
          EXPECT_TRUE(near(h.SS(i, j), dot(si, sj))) << k << ": SS(" << i << ", " << j << ")";
          EXPECT_TRUE(near(h.SY(i, j), dot(si, yj))) << k << ": SY(" << i << ", " << j << ")";
          EXPECT_TRUE(near(h.YY(i, j), dot(yi, yj))) << k << ": YY(" << i << ", " << j << ")";
        }
      }
      const int slots = m + 1;
      std::vector<double> refresh(3 * slots * slots);
      dlbfgs::internal::GramPartials(h, refresh.data());
      reducer.Sum(refresh.data(), static_cast<int>(refresh.size()));
      for (int a = 0; a < h.count(); ++a) {
        for (int b = 0; b < h.count(); ++b) {
          const int i = h.Slot(a), j = h.Slot(b);
          EXPECT_EQ(refresh[i + slots * j], h.SS(i, j)) << k << ": refresh SS";
          EXPECT_EQ(refresh[slots * slots + i + slots * j], h.SY(i, j)) << k << ": refresh SY";
          EXPECT_EQ(refresh[2 * slots * slots + i + slots * j], h.YY(i, j)) << k << ": refresh YY";
        }
      }
    }
  }
}

TEST(TwoLoopTest, GramPartialsMatchTheStoredVectors) {
  Fixture fx(29, 3, 5);
  const int slots = 4;
  std::vector<double> out(3 * slots * slots);
  dlbfgs::internal::GramPartials(fx.h, out.data());
  fx.reducer.Sum(out.data(), static_cast<int>(out.size()));
  for (int k = 0; k < fx.h.count(); ++k) {
    for (int l = 0; l < fx.h.count(); ++l) {
      const int i = fx.h.Slot(k), j = fx.h.Slot(l);
      EXPECT_NEAR(out[i + slots * j], fx.h.SS(i, j), 1e-12 * (1 + std::fabs(fx.h.SS(i, j))));
      EXPECT_NEAR(out[slots * slots + i + slots * j], fx.h.SY(i, j),
                  1e-12 * (1 + std::fabs(fx.h.SY(i, j))));
      EXPECT_NEAR(out[2 * slots * slots + i + slots * j], fx.h.YY(i, j),
                  1e-12 * (1 + std::fabs(fx.h.YY(i, j))));
    }
  }
}

}  // namespace
