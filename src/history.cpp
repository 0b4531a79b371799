#include "history.hpp"

#include <algorithm>

#include "assert.hpp"
#include "first_touch.hpp"
#include "payload.hpp"

namespace dlbfgs::internal {

namespace {
Eigen::Index RowsIf(bool keep, Eigen::Index n_local) { return keep ? n_local : 0; }
}  // namespace

History::History(Eigen::Index n_local, int m, HistoryPrecision precision)
    : S(Eigen::MatrixXd::Zero(RowsIf(precision == HistoryPrecision::kFloat64, n_local), m + 1)),
      Y(Eigen::MatrixXd::Zero(RowsIf(precision == HistoryPrecision::kFloat64, n_local), m + 1)),
      Sf(Eigen::MatrixXf::Zero(RowsIf(precision == HistoryPrecision::kFloat32, n_local), m + 1)),
      Yf(Eigen::MatrixXf::Zero(RowsIf(precision == HistoryPrecision::kFloat32, n_local), m + 1)),
      precision_(precision),
      n_local_(n_local),
      rounded_(precision == HistoryPrecision::kFloat32 ? 2 * std::min(kPassBlock, n_local) : 0),
      m_(m),
      ss_(Eigen::MatrixXd::Zero(m + 1, m + 1)),
      sy_(Eigen::MatrixXd::Zero(m + 1, m + 1)),
      yy_(Eigen::MatrixXd::Zero(m + 1, m + 1)),
      sg_(Eigen::VectorXd::Zero(m + 1)),
      yg_(Eigen::VectorXd::Zero(m + 1)) {
  FirstTouch(S.data(), S.size());
  FirstTouch(Y.data(), Y.size());
  FirstTouch(Sf.data(), Sf.size());
  FirstTouch(Yf.data(), Yf.size());
}

void History::AcceptSpare() {
  DLBFGS_ASSERT(count_ <= m_, "history ring holds more than m pairs");
  if (count_ == m_) {
    head_ = (head_ + 1) % (m_ + 1);
  } else {
    ++count_;
  }
}

void History::AppendPair(const PairProducts& p, const double* cross) {
  const int t = Spare();
  sy_(t, t) = p.sy;
  yy_(t, t) = p.yy;
  ss_(t, t) = p.ss;
  sg_(t) = p.sg;
  yg_(t) = p.yg;
  if (cross != nullptr) {
    for (int k = 0; k < count_; ++k) {
      const int j = Slot(k);
      const double* o = cross + kCrossPerPair * j;
      sy_(j, t) = o[kSjYt];
      yy_(j, t) = yy_(t, j) = o[kYjYt];
      ss_(j, t) = ss_(t, j) = o[kSjSt];
      sy_(t, j) = o[kYjSt];
    }
  }
  AcceptSpare();
}

void History::ApplyGradientProducts(const double* cross) {
  for (int k = 0; k < count_; ++k) {
    const int j = Slot(k);
    sg_(j) = cross[kCrossPerPair * j + kSjVt];
    yg_(j) = cross[kCrossPerPair * j + kYjVt];
  }
}

void History::ApplyRefresh(const double* blocks) {
  const int n = slots();
  for (int k = 0; k < count_; ++k) {
    for (int l = 0; l < count_; ++l) {
      const int i = Slot(k);
      const int j = Slot(l);
      ss_(i, j) = blocks[i + n * j];
      sy_(i, j) = blocks[n * n + i + n * j];
      yy_(i, j) = blocks[2 * n * n + i + n * j];
    }
  }
}

std::array<GramArray, 5> History::GramArrays() {
  return {{{"SS", ss_.data(), ss_.size()},
           {"SY", sy_.data(), sy_.size()},
           {"YY", yy_.data(), yy_.size()},
           {"Sg", sg_.data(), sg_.size()},
           {"Yg", yg_.data(), yg_.size()}}};
}

}  // namespace dlbfgs::internal
