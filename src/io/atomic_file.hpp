#pragma once

#include <string>

namespace dlbfgs::internal {

// Files that are either complete or absent: the building blocks of checkpoints. Each returns ""
// on success or a one-line error naming the path and the system's reason. Local.

/// Writes `data` to path.tmp, fsyncs it and renames it to path.
std::string WriteFileAtomically(const std::string& path, const std::string& data);
/// Makes the directory's entries (the renames) durable (best effort).
void SyncDirectory(const std::string& dir);
/// Creates `path` and its parents.
std::string MakeDirectory(const std::string& path);
/// Reads the whole file into `text`.
std::string ReadText(const std::string& path, std::string& text);

}  // namespace dlbfgs::internal
