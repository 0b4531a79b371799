#include "history.hpp"

#include "assert.hpp"
#include "first_touch.hpp"

namespace dlbfgs::internal {

History::History(Eigen::Index n_local, int m)
    : S(Eigen::MatrixXd::Zero(n_local, m + 1)),
      Y(Eigen::MatrixXd::Zero(n_local, m + 1)),
      SS(Eigen::MatrixXd::Zero(m + 1, m + 1)),
      SY(Eigen::MatrixXd::Zero(m + 1, m + 1)),
      YY(Eigen::MatrixXd::Zero(m + 1, m + 1)),
      Sg(Eigen::VectorXd::Zero(m + 1)),
      Yg(Eigen::VectorXd::Zero(m + 1)),
      m_(m) {
  FirstTouch(S.data(), S.size());
  FirstTouch(Y.data(), Y.size());
}

void History::AcceptSpare() {
  DLBFGS_ASSERT(count_ <= m_, "history ring holds more than m pairs");
  if (count_ == m_) {
    head_ = (head_ + 1) % (m_ + 1);
  } else {
    ++count_;
  }
}

}  // namespace dlbfgs::internal
