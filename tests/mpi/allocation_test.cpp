#include <gtest/gtest.h>
#include <mpi.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "dlbfgs/dlbfgs.hpp"

// Counts every heap allocation of this process: operator new and, through glibc's entry points,
// malloc/calloc/realloc (Eigen allocates its storage with std::malloc).
namespace {
std::atomic<long long> allocations{0};
}

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, size);
}
}

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = __libc_malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

// The iteration loop allocates nothing: the count of allocations is the same at every iteration
// boundary once the run is under way (history, payload and workspace are preallocated). The solve
// runs on MPI_COMM_SELF because Open MPI's own collectives between processes allocate internally
// (about one block per allreduce here); the solver's code path is the same on any communicator.
TEST(AllocationTest, IterationLoopDoesNotAllocate) {
  for (auto variant : {dlbfgs::TwoLoopType::kFused, dlbfgs::TwoLoopType::kClassic})
    for (auto precision :
         {dlbfgs::HistoryPrecision::kFloat64, dlbfgs::HistoryPrecision::kFloat32}) {
      for (auto ls :
           {dlbfgs::LineSearchType::kMoreThuente, dlbfgs::LineSearchType::kBacktracking}) {
        for (const double l1 : {0.0, 0.1})  // the orthant geometry (OWL-QN) too
          for (auto products :
               {dlbfgs::TrialProducts::kEveryTrial, dlbfgs::TrialProducts::kFirstTrial,
                dlbfgs::TrialProducts::kAfterSearch}) {
            const auto part = dlbfgs::Partition::Uniform(MPI_COMM_SELF, 200, 2);
            auto problem = dlbfgs::MakeProblem("rosenbrock", part);
            Eigen::VectorXd x(part.local_size());
            problem->StartingPoint(x);
            std::vector<long long> counts;
            counts.reserve(1000);
            dlbfgs::LbfgsOptions o;
            o.two_loop = variant;
            o.history_precision = precision;
            o.line_search = ls;
            o.gram_refresh_interval = 4;  // the refresh path must not allocate either
            o.l1_weight = l1;
            o.trial_products = products;  // the extra products pass must not allocate either
            o.callback = [&counts](const dlbfgs::IterationSummary&) {
              counts.push_back(allocations.load());
              return dlbfgs::CallbackResult::kContinue;
            };
            const auto r = dlbfgs::Minimize(*problem, part, x, o);
            ASSERT_TRUE(r.Converged()) << r.message;
            ASSERT_GT(counts.size(), 20u);
            if (variant == dlbfgs::TwoLoopType::kFused &&
                products != dlbfgs::TrialProducts::kEveryTrial) {
              EXPECT_GT(r.product_allreduces, 0);
            }
            EXPECT_EQ(counts.back(), counts[1])
                << dlbfgs::ToString(variant) << " " << dlbfgs::ToString(precision) << " "
                << dlbfgs::ToString(ls) << " l1 " << l1 << " " << dlbfgs::ToString(products);
          }
      }
    }
}

long MinorPageFaults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// The workspace is mapped at setup, not page by page inside the timed iterations. Eigen's Zero()
// compiles to calloc, whose large blocks are unmapped until first written: without the solver's
// first touch, the history slots that the line search writes for the first time after the first
// iteration fault 2048 times here (512 pages per vector), against 0 or 1 with it.
TEST(AllocationTest, WorkspaceIsMappedBeforeTheIterations) {
  for (auto variant : {dlbfgs::TwoLoopType::kFused, dlbfgs::TwoLoopType::kClassic})
    for (auto precision :
         {dlbfgs::HistoryPrecision::kFloat64, dlbfgs::HistoryPrecision::kFloat32}) {
      const Eigen::Index n = 1 << 18;  // 2 MiB per vector
      const auto part = dlbfgs::Partition::Uniform(MPI_COMM_SELF, n, 2);
      auto problem = dlbfgs::MakeProblem("rosenbrock", part);
      Eigen::VectorXd x(part.local_size());
      problem->StartingPoint(x);
      std::vector<long> faults;
      faults.reserve(1000);
      dlbfgs::LbfgsOptions o;
      o.two_loop = variant;
      o.history_precision = precision;
      o.history_size = 4;
      o.max_iterations = 12;
      o.callback = [&faults](const dlbfgs::IterationSummary&) {
        faults.push_back(MinorPageFaults());
        return dlbfgs::CallbackResult::kContinue;
      };
      dlbfgs::Minimize(*problem, part, x, o);
      ASSERT_GT(faults.size(), 10u);  // the start and every iteration
      EXPECT_LT(faults.back() - faults[1], 256)
          << dlbfgs::ToString(variant) << " " << dlbfgs::ToString(precision);
    }
}

}  // namespace
