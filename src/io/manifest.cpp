#include "io/manifest.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "fingerprint.hpp"

namespace dlbfgs::internal {

std::string Hex(double v) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%a", v);
  return buffer;
}

std::string ChecksumLine(const std::string& body) {
  char line[40];
  std::snprintf(line, sizeof(line), "checksum %016" PRIx64 "\n",
                Fingerprint::Of(body.data(), body.size()));
  return line;
}

std::string VerifyManifest(const std::string& text, const std::string& path) {
  const std::size_t at = text.rfind("\nchecksum ");
  if (at == std::string::npos) {
    return "manifest " + path + " has no checksum (truncated, or written by an older version)";
  }
  const std::string body = text.substr(0, at + 1);
  if (text.compare(at + 1, std::string::npos, ChecksumLine(body) + "end\n") != 0) {
    return "manifest " + path + " is corrupted (checksum mismatch)";
  }
  return "";
}

std::string ParseManifest(const std::string& text, const std::string& path, Manifest& m) {
  std::istringstream lines(text);
  std::string line;
  bool ended = false;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key;
    if (!(words >> key)) continue;
    if (key == "end") {
      ended = true;
      break;
    }
    std::vector<std::string> values;
    for (std::string w; words >> w;) values.push_back(w);
    m[key] = std::move(values);
  }
  if (!ended) return "manifest " + path + " is truncated (no 'end' line)";
  return "";
}

std::string EncodeLabel(const std::string& label) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "x";
  for (const unsigned char c : label) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool DecodeLabel(const std::string& token, std::string& label) {
  if (token.empty() || token[0] != 'x' || token.size() % 2 != 1) return false;
  label.clear();
  for (std::size_t i = 1; i < token.size(); i += 2) {
    int byte = 0;
    for (const char c : {token[i], token[i + 1]}) {
      const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (v < 0) return false;
      byte = 16 * byte + v;
    }
    label += static_cast<char>(byte);
  }
  return true;
}

const std::vector<std::string>& ManifestReader::Tokens(const std::string& key, std::size_t count) {
  static const std::vector<std::string> kEmpty;
  const auto it = m_.find(key);
  if (it == m_.end()) {
    Fail("has no '" + key + "'");
    return kEmpty;
  }
  if (it->second.size() != count) {
    Fail("'" + key + "' has " + std::to_string(it->second.size()) + " values, expected " +
         std::to_string(count));
    return kEmpty;
  }
  return it->second;
}

std::string ManifestReader::Text(const std::string& key) {
  const auto& t = Tokens(key, 1);
  return t.empty() ? "" : t[0];
}

long long ManifestReader::Integer(const std::string& key) {
  const auto& t = Tokens(key, 1);
  return t.empty() ? 0 : ParseInteger(key, t[0]);
}

double ManifestReader::Real(const std::string& key) {
  const auto& t = Tokens(key, 1);
  return t.empty() ? 0.0 : ParseReal(key, t[0]);
}

void ManifestReader::Reals(const std::string& key, double* out, std::size_t count) {
  const auto& t = Tokens(key, count);
  for (std::size_t i = 0; i < t.size(); ++i) out[i] = ParseReal(key, t[i]);
}

long long ManifestReader::ParseInteger(const std::string& key, const std::string& s) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0') Fail("'" + key + "' is not an integer");
  return v;
}

double ManifestReader::ParseReal(const std::string& key, const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0') Fail("'" + key + "' is not a number");
  return v;
}

}  // namespace dlbfgs::internal
