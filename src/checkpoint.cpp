// The checkpoint protocol: one binary file per rank with its blocks of x, g, S and Y (S and Y in
// their storage precision, so that a float32 history is saved and restored bitwise), and a text
// manifest with every replicated scalar (hexadecimal floats, so that a resumed run is bitwise the
// same). Every file is written to a temporary name, fsync'ed and renamed; the manifest is written
// only after every rank's file is on disk, and LATEST is switched only after the manifest: at any
// moment LATEST names a complete checkpoint.

#include "checkpoint.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <type_traits>

#include "fingerprint.hpp"
#include "io/atomic_file.hpp"
#include "io/manifest.hpp"
#include "option_fields.hpp"

namespace dlbfgs::internal {
namespace {

constexpr char kMagic[8] = {'D', 'L', 'B', 'F', 'G', 'S', 'C', '1'};
// 2: label; 3: checksum; 4: L1 scalars; 5: history precision; 6: the bounds' tag and the two
// scalars of the projected-gradient restart (descent_slope, unclipped_sq)
constexpr const char* kFormat = "dlbfgs-checkpoint-6";
// Read too, for runs without bounds: what it lacks is what only a run with bounds reads.
constexpr const char* kFormat5 = "dlbfgs-checkpoint-5";
constexpr const char* kUnrecorded = "unrecorded";

// Fixed-size header of a rank file; the vectors follow: x, g (doubles), S, Y (column-major, of
// history_bytes per element: 8 or 4), then the 64-bit FNV-1a checksum of header and data.
struct RankHeader {
  char magic[8];
  std::int64_t n;
  std::int64_t offset;
  std::int64_t local_size;
  std::int32_t slots;
  std::int32_t rank;
  std::int32_t history_bytes;
  std::int32_t reserved;
};

// Bytes per stored element of S and Y.
std::size_t HistoryBytes(const History& h) { return h.single() ? sizeof(float) : sizeof(double); }

std::string CheckpointName(int iteration) {
  char name[32];
  std::snprintf(name, sizeof(name), "ckpt-%08d", iteration);
  return name;
}

std::string RankFileName(int rank) { return "rank-" + std::to_string(rank) + ".bin"; }

// Writes one manifest line per scalar of the solver state (ForEachScalar's visitor): integers in
// decimal, reals as hexadecimal floats.
struct ScalarWriter {
  std::ostringstream& out;
  void operator()(const char* key, int v) const { out << key << ' ' << v << "\n"; }
  void operator()(const char* key, double v) const { out << key << ' ' << Hex(v) << "\n"; }
  void operator()(const char* key, bool v) const { out << key << ' ' << (v ? 1 : 0) << "\n"; }
};

template <typename T>
void AppendArray(std::string& out, const T* data, Eigen::Index count) {
  out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(count) * sizeof(T));
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

// A format-5 manifest: the keys format 6 added, with the values that a run without bounds never
// reads (the restart scalars) and the bounds marked as not recorded.
void UpgradeFormat5(Manifest& m) {
  m["descent_slope"] = {Hex(0.0)};
  m["unclipped_sq"] = {Hex(0.0)};
  m["bounds"] = {kUnrecorded};
}

// Why a checkpoint whose bounds tag is `saved` cannot resume this run (tag `mine`), or "".
std::string BoundsMismatch(const std::string& saved, const std::string& mine,
                           const std::string& ckdir) {
  if (saved == mine || (saved == kUnrecorded && mine == kNoBounds)) return "";
  if (saved == kUnrecorded) {
    return "checkpoint " + ckdir + " (format 5) does not record its bounds: a run with bounds " +
           "cannot resume from it";
  }
  if (saved == kNoBounds) return "checkpoint " + ckdir + " was written without bounds";
  if (mine == kNoBounds) return "checkpoint " + ckdir + " was written with bounds";
  return "checkpoint " + ckdir + " was written with other bounds (checksum " + saved +
         ", this run's " + mine + ")";
}

}  // namespace

std::string BoundsTag(const double* lower, const double* upper, const Partition& part,
                      Reducer& reducer) {
  std::uint64_t local = 0;
  for (Eigen::Index i = 0; i < part.local_size(); ++i) {
    Fingerprint h;
    h.Add(static_cast<std::int64_t>(part.offset() + i));
    h.Add(lower[i]);
    h.Add(upper[i]);
    local += h.value();  // unsigned: wraps mod 2^64
  }
  // The sum over ranks, exactly, through the reducer's sum of doubles: four 16-bit limbs, each
  // summed exactly while ranks * 65535 < 2^53.
  double limbs[4];
  for (int k = 0; k < 4; ++k) limbs[k] = static_cast<double>((local >> (16 * k)) & 0xffffU);
  reducer.Sum(limbs, 4);
  std::uint64_t total = 0;
  for (int k = 0; k < 4; ++k) total += static_cast<std::uint64_t>(limbs[k]) << (16 * k);
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(total));
  return text;
}

std::string WriteCheckpoint(const std::string& dir, const Partition& part,
                            const LbfgsOptions& options, const CheckpointState& state,
                            Reducer& reducer) {
  const SolverState& sc = state.scalars;
  History& h = state.history;
  const std::string name = CheckpointName(sc.iterations);
  const std::string ckdir = dir + "/" + name;
  const int slots = h.slots();

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
    header.history_bytes = static_cast<std::int32_t>(HistoryBytes(h));
    std::string data(reinterpret_cast<const char*>(&header), sizeof(header));
    data.reserve(sizeof(header) +
                 (2 * sizeof(double) + 2 * slots * HistoryBytes(h)) * part.local_size() + 8);
    AppendArray(data, state.x.data(), state.x.size());
    AppendArray(data, state.g.data(), state.g.size());
    if (h.single()) {
      AppendArray(data, h.Sf.data(), h.Sf.size());
      AppendArray(data, h.Yf.data(), h.Yf.size());
    } else {
      AppendArray(data, h.S.data(), h.S.size());
      AppendArray(data, h.Y.data(), h.Y.size());
    }
    const std::uint64_t checksum = Fingerprint::Of(data.data(), data.size());
    data.append(reinterpret_cast<const char*>(&checksum), sizeof(checksum));
    error = WriteFileAtomically(ckdir + "/" + RankFileName(part.rank()), data);
  }
  error = reducer.AgreeOnFailure(!error.empty(), error);
  if (!error.empty()) return "checkpoint " + ckdir + " not written: " + error;

  // 2. Rank 0 writes the manifest, then switches LATEST, then removes the previous checkpoint.
  if (part.rank() == 0) {
    std::ostringstream m;
    m << "format " << kFormat << "\n";
    m << "n " << part.global_size() << "\n";
    m << "ranks " << part.size() << "\n";
    m << "history_size " << options.history_size << "\n";
    m << "history_precision " << ToString(h.precision()) << "\n";
    m << "algorithm " << AlgorithmFingerprint(options) << "\n";
    m << "label " << EncodeLabel(options.checkpoint_label) << "\n";
    m << "bounds " << state.bounds << "\n";
    ForEachScalar(sc, ScalarWriter{m});
    m << "head " << h.head() << "\n";
    m << "count " << h.count() << "\n";
    auto reals = [&m](const char* key, const double* v, Eigen::Index count) {
      m << key;
      for (Eigen::Index i = 0; i < count; ++i) m << ' ' << Hex(v[i]);
      m << "\n";
    };
    reals("past_f", state.past_f.data(), static_cast<Eigen::Index>(state.past_f.size()));
    for (const GramArray& a : h.GramArrays()) reals(a.name, a.data, a.size);
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
  error = reducer.AgreeOnFailure(!error.empty(), error);
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
  const int slots = h.slots();
  SolverState& sc = state.scalars;

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
    if (manifest.count("format") > 0 && manifest["format"] == std::vector<std::string>{kFormat5}) {
      UpgradeFormat5(manifest);
    }
    ManifestReader r(manifest, ckdir + "/manifest");
    if (r.Text("format") != kFormat && r.Text("format") != kFormat5 && r.error().empty()) {
      error = "manifest " + ckdir + "/manifest has an unknown format";
    }
    const std::string bounds = r.Text("bounds");
    const long long n = r.Integer("n");
    old_ranks = static_cast<int>(r.Integer("ranks"));
    const long long m = r.Integer("history_size");
    const std::string precision = r.Text("history_precision");
    const std::string algorithm = r.Text("algorithm");
    std::string label;
    if (!DecodeLabel(r.Text("label"), label) && r.error().empty()) {
      error = "manifest " + ckdir + "/manifest has a malformed 'label'";
    }
    ForEachScalar(sc, r);
    const long long head = r.Integer("head");
    const long long count = r.Integer("count");
    if (r.error().empty() && error.empty()) {
      if (n != part.global_size()) {
        error = "checkpoint " + ckdir + " is for n = " + std::to_string(n) + ", not " +
                std::to_string(part.global_size());
      } else if (precision != ToString(options.history_precision)) {
        error = "checkpoint " + ckdir + " holds a " + precision + " history, not " +
                ToString(options.history_precision) + " (history_precision)";
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
      } else {
        error = BoundsMismatch(bounds, state.bounds, ckdir);
      }
    }
    if (error.empty() && r.error().empty()) {
      r.Reals("past_f", state.past_f.data(), state.past_f.size());
      for (const GramArray& a : h.GramArrays()) {
        r.Reals(a.name, a.data, static_cast<std::size_t>(a.size));
      }
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
    const std::size_t bytes = HistoryBytes(h);
    const std::size_t expected =
        sizeof(RankHeader) +
        (2 * sizeof(double) + 2 * static_cast<std::size_t>(slots) * bytes) *
            static_cast<std::size_t>(ql) +
        8;
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
        header.offset != qlo || header.local_size != ql || header.slots != slots ||
        header.history_bytes != static_cast<std::int32_t>(bytes)) {
      error = path + " does not match its manifest";
      break;
    }
    const char* body = data.data() + sizeof(RankHeader);
    const char* stored_s = body + 2 * sizeof(double) * static_cast<std::size_t>(ql);
    const long long len = b - a;
    const long long src = a - qlo;  // within the saved block
    const long long dst = a - lo;   // within this rank's block
    // Element k of the saved array at `from` (element size sizeof(T)) to this rank's array `to`.
    auto copy = [&](const char* from, auto* to) {
      using T = std::remove_pointer_t<decltype(to)>;
      std::memcpy(to + dst, from + sizeof(T) * static_cast<std::size_t>(src),
                  sizeof(T) * static_cast<std::size_t>(len));
    };
    const std::size_t column = bytes * static_cast<std::size_t>(ql);
    const std::size_t vector = sizeof(double) * static_cast<std::size_t>(ql);
    copy(body, state.x.data());
    copy(body + vector, state.g.data());
    for (int j = 0; j < slots; ++j) {
      const char* sj = stored_s + j * column;
      const char* yj = stored_s + (slots + j) * column;
      if (h.single()) {
        copy(sj, h.Sf.col(j).data());
        copy(yj, h.Yf.col(j).data());
      } else {
        copy(sj, h.S.col(j).data());
        copy(yj, h.Y.col(j).data());
      }
    }
  }
  error = reducer.AgreeOnFailure(!error.empty(), error);
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
