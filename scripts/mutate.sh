#!/usr/bin/env bash
# Mutation sweep: applies each deliberate bug of scripts/mutations.txt alone to a scratch copy
# of the tree, rebuilds, runs the tests meant to notice it, and reports the bugs that survived.
# Slow (one rebuild per bug): not part of ./scripts/test.sh.
#   scripts/mutate.sh [--list] [--check] [--only REGEX] [--scratch DIR] [--timeout S]
# Exit status: 0 every bug killed, 3 some survived, 2 a mutation no longer applies, 1 build error.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dlbfgs_mpi_env
exec /usr/bin/python3 "${DLBFGS_ROOT}/scripts/mutate.py" "$@"
