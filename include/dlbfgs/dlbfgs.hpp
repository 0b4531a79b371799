#pragma once

/// Umbrella header of dlbfgs, the distributed-memory L-BFGS solver.

#include "dlbfgs/deferred_error.hpp"
#include "dlbfgs/gradient_check.hpp"
#include "dlbfgs/interrupt.hpp"
#include "dlbfgs/libsvm.hpp"
#include "dlbfgs/logistic.hpp"
#include "dlbfgs/minimize.hpp"
#include "dlbfgs/objective.hpp"
#include "dlbfgs/options.hpp"
#include "dlbfgs/partition.hpp"
#include "dlbfgs/problems.hpp"
#include "dlbfgs/replicated.hpp"
#include "dlbfgs/result.hpp"
#include "dlbfgs/version.hpp"
