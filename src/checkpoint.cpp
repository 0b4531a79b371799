// Checkpoints: one binary file per rank with its blocks of x, g, S and Y, and a text manifest
// with every replicated scalar (hexadecimal floats, so that a resumed run is bitwise the same).
// Every file is written to a temporary name, fsync'ed and renamed; the manifest is written only
// after every rank's file is on disk, and LATEST is switched only after the manifest: at any
// moment LATEST names a complete checkpoint.

#include "checkpoint.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "fingerprint.hpp"

namespace dlbfgs::internal {
namespace {

constexpr char kMagic[8] = {'D', 'L', 'B', 'F', 'G', 'S', 'C', '1'};
constexpr const char* kFormat = "dlbfgs-checkpoint-3";  // 2: the label; 3: the checksum

// Fixed-size header of a rank file; the doubles follow: x, g, S, Y (column-major), then the
// 64-bit FNV-1a checksum of header and doubles.
struct RankHeader {
  char magic[8];
  std::int64_t n;
  std::int64_t offset;
  std::int64_t local_size;
  std::int32_t slots;
  std::int32_t rank;
};

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Writes `data` to path.tmp, fsyncs it and renames it to path. Returns "" or the error.
std::string WriteFileAtomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const std::string message = Errno("cannot write", tmp);
      ::close(fd);
      return message;
    }
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0) {
    const std::string message = Errno("cannot fsync", tmp);
    ::close(fd);
    return message;
  }
  if (::close(fd) != 0) return Errno("cannot close", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename", tmp);
  return "";
}

// Makes the directory's entries (the renames) durable.
void SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::string MakeDirectory(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return "cannot create directory " + path + ": " + ec.message();
  return "";
}

std::string CheckpointName(int iteration) {
  char name[32];
  std::snprintf(name, sizeof(name), "ckpt-%08d", iteration);
  return name;
}

std::string RankFileName(int rank) { return "rank-" + std::to_string(rank) + ".bin"; }

std::string Hex(double v) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%a", v);
  return buffer;
}

void AppendDoubles(std::string& out, const double* data, Eigen::Index count) {
  out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(count) * sizeof(double));
}

// Agrees on `local_error` over all ranks: "" everywhere, or the message of the lowest failing
// rank, prefixed with that rank, everywhere. One allreduce (plus two collectives on failure).
std::string Agree(const std::string& local_error, Reducer& reducer) {
  double failed = local_error.empty() ? 0.0 : 1.0;
  reducer.Sum(&failed, 1);
  if (failed == 0) return "";
  const int first = reducer.MinInt(local_error.empty() ? reducer.size() : reducer.rank());
  std::string text = local_error;
  reducer.Broadcast(text, first);
  return "rank " + std::to_string(first) + ": " + text;
}

// Removes every ckpt-* entry of dir but `keep` (best effort): older checkpoints, and partial ones
// that a crash left behind (never read: only the one LATEST names is).
void RemoveOtherCheckpoints(const std::string& dir, const std::string& keep) {
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("ckpt-", 0) == 0 && name != keep) {
      std::error_code ignored;
      std::filesystem::remove_all(it->path(), ignored);
    }
  }
}

std::string ChecksumLine(const std::string& body) {
  char line[40];
  std::snprintf(line, sizeof(line), "checksum %016" PRIx64 "\n",
                Fingerprint::Of(body.data(), body.size()));
  return line;
}

// Checks the manifest's last lines, "checksum H" and "end", against the bytes before them.
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

// The manifest as key -> tokens.
using Manifest = std::map<std::string, std::vector<std::string>>;

std::string ReadText(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Errno("cannot open", path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
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

class ManifestReader {
 public:
  ManifestReader(const Manifest& m, const std::string& path) : m_(m), path_(path) {}
  const std::string& error() const { return error_; }

  const std::vector<std::string>& Tokens(const std::string& key, std::size_t count) {
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
  std::string Text(const std::string& key) {
    const auto& t = Tokens(key, 1);
    return t.empty() ? "" : t[0];
  }
  long long Integer(const std::string& key) {
    const auto& t = Tokens(key, 1);
    return t.empty() ? 0 : ParseInteger(key, t[0]);
  }
  double Real(const std::string& key) {
    const auto& t = Tokens(key, 1);
    return t.empty() ? 0.0 : ParseReal(key, t[0]);
  }
  void Reals(const std::string& key, double* out, std::size_t count) {
    const auto& t = Tokens(key, count);
    for (std::size_t i = 0; i < t.size(); ++i) out[i] = ParseReal(key, t[i]);
  }
  long long ParseInteger(const std::string& key, const std::string& s) {
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno != 0 || end == s.c_str() || *end != '\0') Fail("'" + key + "' is not an integer");
    return v;
  }
  double ParseReal(const std::string& key, const std::string& s) {
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0') Fail("'" + key + "' is not a number");
    return v;
  }

 private:
  void Fail(const std::string& what) {
    if (error_.empty()) error_ = "manifest " + path_ + " " + what;
  }
  const Manifest& m_;
  std::string path_;
  std::string error_;
};

// The label as one manifest token: 'x' and two hex digits per byte (it may hold spaces).
std::string EncodeLabel(const std::string& label) {
  static const char* kHex = "0123456789abcdef";
  std::string out = "x";
  for (const unsigned char c : label) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The label of a manifest token, or false when the token is not one EncodeLabel writes.
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

}  // namespace

std::uint64_t AlgorithmFingerprint(const LbfgsOptions& o) {
  Fingerprint h;
  h.Add(o.history_size);
  h.Add(o.past);
  h.Add(static_cast<int>(o.two_loop));
  h.Add(static_cast<int>(o.line_search));
  h.Add(o.c1);
  h.Add(o.c2);
  h.Add(o.backtracking_wolfe);
  h.Add(o.max_line_search_evaluations);
  h.Add(o.min_step);
  h.Add(o.max_step);
  h.Add(o.curvature_eps);
  h.Add(o.gram_refresh_interval);
  h.Add(o.gram_check_tol);
  return h.value();
}

std::string WriteCheckpoint(const std::string& dir, const Partition& part,
                            const LbfgsOptions& options, const CheckpointState& state,
                            Reducer& reducer) {
  const SolverScalars& sc = state.scalars;
  const History& h = state.history;
  const std::string name = CheckpointName(sc.iterations);
  const std::string ckdir = dir + "/" + name;
  const int slots = static_cast<int>(h.S.cols());

  // 1. Every rank writes its own file.
  std::string error = MakeDirectory(ckdir);
  if (error.empty()) {
    RankHeader header = {};
    std::memcpy(header.magic, kMagic, sizeof(kMagic));
    header.n = part.global_size();
    header.offset = part.offset();
    header.local_size = part.local_size();
    header.slots = slots;
    header.rank = part.rank();
    std::string data(reinterpret_cast<const char*>(&header), sizeof(header));
    data.reserve(sizeof(header) + sizeof(double) * (2 + 2 * slots) * part.local_size() + 8);
    AppendDoubles(data, state.x.data(), state.x.size());
    AppendDoubles(data, state.g.data(), state.g.size());
    AppendDoubles(data, h.S.data(), h.S.size());
    AppendDoubles(data, h.Y.data(), h.Y.size());
    const std::uint64_t checksum = Fingerprint::Of(data.data(), data.size());
    data.append(reinterpret_cast<const char*>(&checksum), sizeof(checksum));
    error = WriteFileAtomically(ckdir + "/" + RankFileName(part.rank()), data);
  }
  error = Agree(error, reducer);
  if (!error.empty()) return "checkpoint " + ckdir + " not written: " + error;

  // 2. Rank 0 writes the manifest, then switches LATEST, then removes the previous checkpoint.
  if (part.rank() == 0) {
    std::ostringstream m;
    m << "format " << kFormat << "\n";
    m << "n " << part.global_size() << "\n";
    m << "ranks " << part.size() << "\n";
    m << "history_size " << options.history_size << "\n";
    m << "algorithm " << AlgorithmFingerprint(options) << "\n";
    m << "label " << EncodeLabel(options.checkpoint_label) << "\n";
    m << "iterations " << sc.iterations << "\n";
    m << "evaluations " << sc.evaluations << "\n";
    m << "f " << Hex(sc.f) << "\n";
    m << "gg " << Hex(sc.gg) << "\n";
    m << "g0_norm " << Hex(sc.g0_norm) << "\n";
    m << "step " << Hex(sc.step) << "\n";
    m << "skipped_updates " << sc.skipped_updates << "\n";
    m << "history_resets " << sc.history_resets << "\n";
    m << "gram_refreshes " << sc.gram_refreshes << "\n";
    m << "refresh_pending " << (sc.refresh_pending ? 1 : 0) << "\n";
    m << "head " << h.head() << "\n";
    m << "count " << h.count() << "\n";
    auto reals = [&m](const char* key, const double* v, Eigen::Index count) {
      m << key;
      for (Eigen::Index i = 0; i < count; ++i) m << ' ' << Hex(v[i]);
      m << "\n";
    };
    reals("past_f", state.past_f.data(), static_cast<Eigen::Index>(state.past_f.size()));
    reals("SS", h.SS.data(), h.SS.size());
    reals("SY", h.SY.data(), h.SY.size());
    reals("YY", h.YY.data(), h.YY.size());
    reals("Sg", h.Sg.data(), h.Sg.size());
    reals("Yg", h.Yg.data(), h.Yg.size());
    m << "offsets";
    for (int r = 0; r <= part.size(); ++r) m << ' ' << part.OffsetOf(r);
    m << "\n";
    const std::string body = m.str();
    error = WriteFileAtomically(ckdir + "/manifest", body + ChecksumLine(body) + "end\n");
    if (error.empty()) {
      SyncDirectory(ckdir);
      error = WriteFileAtomically(dir + "/LATEST", name + "\n");
      SyncDirectory(dir);
      if (error.empty()) RemoveOtherCheckpoints(dir, name);
    }
  }
  error = Agree(error, reducer);
  if (!error.empty()) return "checkpoint " + ckdir + " not completed: " + error;
  return "";
}

std::string ReadCheckpoint(const std::string& dir, const Partition& part,
                           const LbfgsOptions& options, const CheckpointState& state,
                           Reducer& reducer) {
  std::string error;
  std::string latest;
  std::string ckdir;
  Manifest manifest;
  int old_ranks = 0;
  std::vector<long long> offsets;
  History& h = state.history;
  const int slots = static_cast<int>(h.S.cols());
  SolverScalars& sc = state.scalars;

  std::uint64_t manifest_hash = 0;
  error = ReadText(dir + "/LATEST", latest);
  if (error.empty()) {
    latest.erase(std::remove(latest.begin(), latest.end(), '\n'), latest.end());
    if (latest.rfind("ckpt-", 0) != 0 || latest.find('/') != std::string::npos) {
      error = dir + "/LATEST does not name a checkpoint";
    }
  }
  if (error.empty()) {
    ckdir = dir + "/" + latest;
    std::string text;
    error = ReadText(ckdir + "/manifest", text);
    if (error.empty()) error = VerifyManifest(text, ckdir + "/manifest");
    if (error.empty()) error = ParseManifest(text, ckdir + "/manifest", manifest);
    manifest_hash =
        Fingerprint::Of(text.data(), text.size()) ^ Fingerprint::Of(latest.data(), latest.size());
  }
  if (error.empty()) {
    ManifestReader r(manifest, ckdir + "/manifest");
    if (r.Text("format") != kFormat && r.error().empty()) {
      error = "manifest " + ckdir + "/manifest has an unknown format";
    }
    const long long n = r.Integer("n");
    old_ranks = static_cast<int>(r.Integer("ranks"));
    const long long m = r.Integer("history_size");
    const std::string algorithm = r.Text("algorithm");
    std::string label;
    if (!DecodeLabel(r.Text("label"), label) && r.error().empty()) {
      error = "manifest " + ckdir + "/manifest has a malformed 'label'";
    }
    sc.iterations = static_cast<int>(r.Integer("iterations"));
    sc.evaluations = static_cast<int>(r.Integer("evaluations"));
    sc.f = r.Real("f");
    sc.gg = r.Real("gg");
    sc.g0_norm = r.Real("g0_norm");
    sc.step = r.Real("step");
    sc.skipped_updates = static_cast<int>(r.Integer("skipped_updates"));
    sc.history_resets = static_cast<int>(r.Integer("history_resets"));
    sc.gram_refreshes = static_cast<int>(r.Integer("gram_refreshes"));
    sc.refresh_pending = r.Integer("refresh_pending") != 0;
    const long long head = r.Integer("head");
    const long long count = r.Integer("count");
    if (r.error().empty() && error.empty()) {
      if (n != part.global_size()) {
        error = "checkpoint " + ckdir + " is for n = " + std::to_string(n) + ", not " +
                std::to_string(part.global_size());
      } else if (m != options.history_size ||
                 algorithm != std::to_string(AlgorithmFingerprint(options))) {
        error = "checkpoint " + ckdir +
                " was written with other algorithm options (history size, two-loop, line "
                "search, curvature or Gram settings, past)";
      } else if (old_ranks < 1 || head < 0 || head >= slots || count < 0 || count >= slots) {
        error = "manifest " + ckdir + "/manifest has inconsistent sizes";
      } else if (label != options.checkpoint_label) {
        error = "checkpoint " + ckdir + " is for '" + label + "', not '" +
                options.checkpoint_label + "'";
      }
    }
    if (error.empty() && r.error().empty()) {
      r.Reals("past_f", state.past_f.data(), state.past_f.size());
      r.Reals("SS", h.SS.data(), static_cast<std::size_t>(h.SS.size()));
      r.Reals("SY", h.SY.data(), static_cast<std::size_t>(h.SY.size()));
      r.Reals("YY", h.YY.data(), static_cast<std::size_t>(h.YY.size()));
      r.Reals("Sg", h.Sg.data(), static_cast<std::size_t>(h.Sg.size()));
      r.Reals("Yg", h.Yg.data(), static_cast<std::size_t>(h.Yg.size()));
      const auto& t = r.Tokens("offsets", static_cast<std::size_t>(old_ranks) + 1);
      for (const auto& s : t) offsets.push_back(r.ParseInteger("offsets", s));
      h.Restore(static_cast<int>(head), static_cast<int>(count));
    }
    if (error.empty()) error = r.error();
    if (error.empty() && (offsets.front() != 0 || offsets.back() != n ||
                          !std::is_sorted(offsets.begin(), offsets.end()))) {
      error = "manifest " + ckdir + "/manifest has inconsistent offsets";
    }
  }

  // Copy the overlap of every saved block with this rank's block [lo, hi).
  const long long lo = part.offset();
  const long long hi = lo + part.local_size();
  for (int q = 0; error.empty() && q < old_ranks; ++q) {
    const long long qlo = offsets[q];
    const long long qhi = offsets[q + 1];
    const long long a = std::max(lo, qlo);
    const long long b = std::min(hi, qhi);
    if (a >= b) continue;
    const std::string path = ckdir + "/" + RankFileName(q);
    std::string data;
    error = ReadText(path, data);
    if (!error.empty()) break;
    const long long ql = qhi - qlo;
    const std::size_t expected =
        sizeof(RankHeader) + sizeof(double) * static_cast<std::size_t>((2 + 2 * slots) * ql) + 8;
    if (data.size() != expected) {
      error = path + " has " + std::to_string(data.size()) + " bytes, expected " +
              std::to_string(expected) + " (truncated or from another run)";
      break;
    }
    std::uint64_t stored = 0;
    std::memcpy(&stored, data.data() + data.size() - 8, 8);
    if (stored != Fingerprint::Of(data.data(), data.size() - 8)) {
      error = path + " is corrupted (checksum mismatch)";
      break;
    }
    RankHeader header;
    std::memcpy(&header, data.data(), sizeof(header));
    if (std::memcmp(header.magic, kMagic, sizeof(kMagic)) != 0 || header.n != part.global_size() ||
        header.offset != qlo || header.local_size != ql || header.slots != slots) {
      error = path + " does not match its manifest";
      break;
    }
    const double* doubles = reinterpret_cast<const double*>(data.data() + sizeof(RankHeader));
    const long long len = b - a;
    const long long src = a - qlo;  // within the saved block
    const long long dst = a - lo;   // within this rank's block
    auto copy = [&](const double* from, double* to) {
      std::memcpy(to + dst, from + src, sizeof(double) * static_cast<std::size_t>(len));
    };
    copy(doubles, state.x.data());
    copy(doubles + ql, state.g.data());
    for (int j = 0; j < slots; ++j) {
      copy(doubles + (2 + j) * ql, h.S.col(j).data());
      copy(doubles + (2 + slots + j) * ql, h.Y.col(j).data());
    }
  }
  error = Agree(error, reducer);
  if (!error.empty()) return "cannot resume from " + dir + ": " + error;
  // Every rank must have read the same checkpoint (a file system that is not shared, or a writer
  // racing with the readers, would otherwise send the ranks down different paths).
  std::uint64_t same[2] = {manifest_hash, ~manifest_hash};
  reducer.Max(same, 2);
  if (same[0] != ~same[1]) {
    return "cannot resume from " + dir + ": the ranks read different checkpoints (is " + dir +
           " on a file system that every rank sees?)";
  }
  if (part.rank() == 0) RemoveOtherCheckpoints(dir, latest);
  return "";
}

long long ProbeCheckpoint(const std::string& dir, const std::string& unless_same_as) {
  if (dir.empty()) return -1;
  std::error_code ec;
  if (!unless_same_as.empty() && std::filesystem::equivalent(dir, unless_same_as, ec)) return -1;
  std::string latest;
  if (!ReadText(dir + "/LATEST", latest).empty()) return -1;
  return latest.rfind("ckpt-", 0) == 0 ? std::atoll(latest.c_str() + 5) : 0;
}

}  // namespace dlbfgs::internal
