#pragma once

#include <map>
#include <string>
#include <vector>

namespace dlbfgs::internal {

// The checkpoint's manifest: a text file of "key value..." lines, then "checksum H" (FNV-1a of
// the lines before it) and "end". Reals are hexadecimal floats, so that they round-trip exactly.

/// The manifest as key -> tokens.
using Manifest = std::map<std::string, std::vector<std::string>>;

/// A real as a hexadecimal float ("%a"): exact.
std::string Hex(double v);
/// The line "checksum H" for a manifest whose lines before it are `body`.
std::string ChecksumLine(const std::string& body);
/// Checks the manifest's last lines against the bytes before them: "" or the error.
std::string VerifyManifest(const std::string& text, const std::string& path);
/// Parses the lines before "end" into `m`: "" or the error.
std::string ParseManifest(const std::string& text, const std::string& path, Manifest& m);
/// The label as one token: 'x' and two hex digits per byte (it may hold spaces).
std::string EncodeLabel(const std::string& label);
/// The label of a token, or false when the token is not one EncodeLabel writes.
bool DecodeLabel(const std::string& token, std::string& label);

/// Typed reads of a manifest; the first problem is kept in error().
class ManifestReader {
 public:
  ManifestReader(const Manifest& m, const std::string& path) : m_(m), path_(path) {}
  const std::string& error() const { return error_; }

  const std::vector<std::string>& Tokens(const std::string& key, std::size_t count);
  std::string Text(const std::string& key);
  long long Integer(const std::string& key);
  double Real(const std::string& key);
  void Reals(const std::string& key, double* out, std::size_t count);
  long long ParseInteger(const std::string& key, const std::string& s);
  double ParseReal(const std::string& key, const std::string& s);
  /// Reads `key` into a field of the matching type (ForEachScalar's visitor).
  void operator()(const char* key, int& v) { v = static_cast<int>(Integer(key)); }
  void operator()(const char* key, double& v) { v = Real(key); }
  void operator()(const char* key, bool& v) { v = Integer(key) != 0; }

 private:
  void Fail(const std::string& what) {
    if (error_.empty()) error_ = "manifest " + path_ + " " + what;
  }
  const Manifest& m_;
  std::string path_;
  std::string error_;
};

}  // namespace dlbfgs::internal
