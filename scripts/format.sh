#!/usr/bin/env bash
# Formats the C++ sources in place with clang-format and the repository's .clang-format.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v clang-format >/dev/null 2>&1; then
  dlbfgs_log "clang-format is not installed (apt-get install clang-format)"
  exit 1
fi

cd "${DLBFGS_ROOT}"
dirs=()
for d in include src apps tests bench; do
  [ -d "${d}" ] && dirs+=("${d}")
done
find "${dirs[@]}" -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' -o -name '*.cc' \) \
  -print0 | xargs -0 -r clang-format -i --style=file
