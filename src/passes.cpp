#include "passes.hpp"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "payload.hpp"

namespace dlbfgs::internal {
namespace {

// Rows per block: 8192 doubles = 64 KiB per vector. Every stored column streams through once per
// pass, 64 KiB at a time, while the short vectors of the block (d; or g_t, y_t, s_t) stay in L2.
// Segments of 16 pages keep the hardware prefetchers on (4 KiB segments halved the bandwidth);
// with the software prefetch below, 4096 to 16384 rows measure the same.
constexpr Eigen::Index kBlock = kPassBlock;

// Software prefetch distance in rows: 2 KiB, 32 cache lines ahead in each stream. The trial pass
// does 3 multiply-adds per stored double, and the core then issued too few misses to keep the
// memory busy: 24 GB/s against a 36 GB/s triad on the development machine (AMD EPYC, one core).
// Prefetching each stored stream at this distance gives 34-35 GB/s (the direction pass: 31 -> 35
// GB/s); 128 rows is too short, 512 no better. Near a column's end the address is clamped into
// the column; past the block's end it warms the start of the column's next segment.
constexpr Eigen::Index kAhead = 256;

// Four doubles, one AVX2 register. The kernels below are written on packs rather than as
// `omp simd` loops because a prefetch inside a loop stops GCC from vectorizing it. GCC and Clang
// lower the vector extension to whatever the target has (two SSE2 or NEON registers, or one AVX2
// register in the x86-64-v3 clone); other compilers get a plain struct, correct but not
// vectorized. The helpers are forced inline so that each clone compiles them for its own ISA.
#if defined(__GNUC__)
typedef double Pack __attribute__((vector_size(4 * sizeof(double))));
typedef float FloatPack __attribute__((vector_size(4 * sizeof(float))));
#define DLBFGS_PREFETCH(p) __builtin_prefetch(p)
#define DLBFGS_INLINE inline __attribute__((always_inline))
#define DLBFGS_VECTOR_PACKS 1
#else
struct Pack {
  double v[4];
  double operator[](int l) const { return v[l]; }
};
inline Pack operator+(const Pack& a, const Pack& b) {
  return {{a.v[0] + b.v[0], a.v[1] + b.v[1], a.v[2] + b.v[2], a.v[3] + b.v[3]}};
}
inline Pack operator-(const Pack& a, const Pack& b) {
  return {{a.v[0] - b.v[0], a.v[1] - b.v[1], a.v[2] - b.v[2], a.v[3] - b.v[3]}};
}
inline Pack operator*(const Pack& a, const Pack& b) {
  return {{a.v[0] * b.v[0], a.v[1] * b.v[1], a.v[2] * b.v[2], a.v[3] * b.v[3]}};
}
inline Pack operator*(const Pack& a, double s) {
  return {{a.v[0] * s, a.v[1] * s, a.v[2] * s, a.v[3] * s}};
}
inline Pack& operator+=(Pack& a, const Pack& b) { return a = a + b; }
#define DLBFGS_PREFETCH(p) static_cast<void>(p)
#define DLBFGS_INLINE inline
#endif

constexpr int kLanes = 4;
// Rows per step: two packs, one 64-byte cache line of each stream, one prefetch each. A block's
// last len % kStep rows run the same step on zero-padded copies: there is no scalar tail, so every
// sum is formed by the same operations whichever kernel forms it (see GramPartials).
constexpr Eigen::Index kStep = 2 * kLanes;

// Packs move through memcpy: the vectors carry no alignment guarantee, and this compiles to
// unaligned loads and stores. Packs are passed by reference: by value, a 32-byte vector is passed
// differently with and without AVX (GCC's -Wpsabi).
DLBFGS_INLINE void Load(Pack& v, const double* p) { std::memcpy(&v, p, sizeof v); }
DLBFGS_INLINE void Store(double* p, const Pack& v) { std::memcpy(p, &v, sizeof v); }
DLBFGS_INLINE double Sum(const Pack& v) { return (v[0] + v[1]) + (v[2] + v[3]); }

// A float32 history (HistoryPrecision::kFloat32): its columns are loaded as four floats widened
// exactly to a Pack, so every sum below runs in double precision on the stored values. A stored
// value is rounded to nearest once, when the trial pass writes it; StoreRounded also returns the
// rounded value widened, so that the trial's own sums see what is stored.
#if defined(DLBFGS_VECTOR_PACKS)
DLBFGS_INLINE void Load(Pack& v, const float* p) {
  FloatPack f;
  std::memcpy(&f, p, sizeof f);
  v = __builtin_convertvector(f, Pack);
}
DLBFGS_INLINE void StoreRounded(float* p, Pack& v) {
  const FloatPack f = __builtin_convertvector(v, FloatPack);
  std::memcpy(p, &f, sizeof f);
  v = __builtin_convertvector(f, Pack);
}
#else
DLBFGS_INLINE void Load(Pack& v, const float* p) {
  for (int l = 0; l < kLanes; ++l) v.v[l] = p[l];
}
DLBFGS_INLINE void StoreRounded(float* p, Pack& v) {
  for (int l = 0; l < kLanes; ++l) {
    p[l] = static_cast<float>(v.v[l]);
    v.v[l] = p[l];
  }
}
#endif
DLBFGS_INLINE void StoreRounded(double* p, Pack& v) { Store(p, v); }

// The stored columns of slot j, of storage type T.
template <typename T>
DLBFGS_INLINE const T* SCol(const History& h, int j) {
  if constexpr (std::is_same_v<T, float>) {
    return h.Sf.col(j).data();
  } else {
    return h.S.col(j).data();
  }
}
template <typename T>
DLBFGS_INLINE const T* YCol(const History& h, int j) {
  if constexpr (std::is_same_v<T, float>) {
    return h.Yf.col(j).data();
  } else {
    return h.Y.col(j).data();
  }
}
template <typename T>
DLBFGS_INLINE T* SCol(History& h, int j) {
  return const_cast<T*>(SCol<T>(static_cast<const History&>(h), j));
}
template <typename T>
DLBFGS_INLINE T* YCol(History& h, int j) {
  return const_cast<T*>(YCol<T>(static_cast<const History&>(h), j));
}

// Zero-padded copies of rows [i, i + rows) of N streams, rows < kStep, for a block's last step.
template <int N, typename T = double>
struct Tail {
  T buf[N][kStep] = {};
  const T* p[N];
  DLBFGS_INLINE Tail(const T* const* src, Eigen::Index i, Eigen::Index rows) {
    for (int k = 0; k < N; ++k) {
      std::copy_n(src[k] + i, rows, buf[k]);
      p[k] = buf[k];
    }
  }
};

// One step of AddColumns: d[q, q + kStep) (+)= sum_r c[r] col[r][q, q + kStep).
template <int R, bool kAssign, typename T>
DLBFGS_INLINE void AddStep(const T* const* col, const double* c, Eigen::Index q, double* d) {
  for (Eigen::Index l = q; l < q + kStep; l += kLanes) {
    Pack dv = {};
    if (!kAssign) Load(dv, d + l);
    for (int r = 0; r < R; ++r) {
      Pack u;
      Load(u, col[r] + l);
      dv += u * c[r];
    }
    Store(d + l, dv);
  }
}

// d[0, len) += sum_r c[r] col[r][0, len) over R columns (the rows of one block); with kAssign,
// d = instead of d +=. `last` (rows left in the columns, minus one) bounds the prefetch addresses.
template <int R, bool kAssign, typename T>
DLBFGS_INLINE void AddColumns(const T* const* col, const double* c, Eigen::Index len,
                              Eigen::Index last, double* d) {
  Eigen::Index i = 0;
  for (; i + kStep <= len; i += kStep) {
    const Eigen::Index ahead = std::min(i + kAhead, last);
    for (int r = 0; r < R; ++r) DLBFGS_PREFETCH(col[r] + ahead);
    AddStep<R, kAssign, T>(col, c, i, d);
  }
  if (i < len) {
    const Tail<R, T> t(col, i, len - i);
    double dt[kStep] = {};
    if (!kAssign) std::copy_n(d + i, len - i, dt);
    AddStep<R, kAssign, T>(t.p, c, 0, dt);
    std::copy_n(dt, len - i, d + i);
  }
}

// One step of AddColumnAndDot.
template <bool kAssign>
DLBFGS_INLINE void AddDotStep(const double* u, double c, Eigen::Index q, double* d, Pack& acc) {
  for (Eigen::Index l = q; l < q + kStep; l += kLanes) {
    Pack dv = {}, uv;
    if (!kAssign) Load(dv, d + l);
    Load(uv, u + l);
    dv += uv * c;
    Store(d + l, dv);
    acc += uv * dv;
  }
}

// d[0, len) += c u[0, len) (with kAssign, d =) and returns the partial sum of u'd over the rows:
// the direction pass's last step (u = g), so that g'd costs no pass of its own.
template <bool kAssign>
DLBFGS_INLINE double AddColumnAndDot(const double* u, double c, Eigen::Index len, Eigen::Index last,
                                     double* d) {
  Pack acc = {};
  Eigen::Index i = 0;
  for (; i + kStep <= len; i += kStep) {
    DLBFGS_PREFETCH(u + std::min(i + kAhead, last));
    AddDotStep<kAssign>(u, c, i, d, acc);
  }
  if (i < len) {
    const Tail<1> t(&u, i, len - i);
    double dt[kStep] = {};
    if (!kAssign) std::copy_n(d + i, len - i, dt);
    AddDotStep<kAssign>(t.p[0], c, 0, dt, acc);
    std::copy_n(dt, len - i, d + i);
  }
  return Sum(acc);
}

// One step of CrossProducts. Each product feeds one sum only, so that it fuses into a
// multiply-add in every kernel alike.
template <int R, int V, typename TC, typename TV>
DLBFGS_INLINE void CrossStep(const TC* const* col, const TV* const* vec, Eigen::Index q,
                             Pack* acc) {
  for (Eigen::Index l = q; l < q + kStep; l += kLanes) {
    for (int r = 0; r < R; ++r) {
      Pack u;
      Load(u, col[r] + l);
      for (int v = 0; v < V; ++v) {
        Pack w;  // the same address for every r: loaded once, or folded into the FMA
        Load(w, vec[v] + l);
        acc[V * r + v] += u * w;
      }
    }
  }
}

// o[V r + v] = col[r]'vec[v] over the rows [0, len) of one block, for R columns against V short
// vectors: V R accumulators (12 for the trial pass's R = 4, V = 3, which with the three vectors
// and one loaded column fill the 16 AVX2 registers). TC, TV: the storage of the columns and of
// the short vectors.
template <int R, int V, typename TC, typename TV>
DLBFGS_INLINE void CrossProducts(const TC* const* col, const TV* const* vec, Eigen::Index len,
                                 Eigen::Index last, double* o) {
  Pack acc[V * R] = {};
  Eigen::Index i = 0;
  for (; i + kStep <= len; i += kStep) {
    const Eigen::Index ahead = std::min(i + kAhead, last);
    for (int r = 0; r < R; ++r) DLBFGS_PREFETCH(col[r] + ahead);
    CrossStep<R, V, TC, TV>(col, vec, i, acc);
  }
  if (i < len) {
    const Tail<R, TC> tc(col, i, len - i);
    const Tail<V, TV> tv(vec, i, len - i);
    CrossStep<R, V, TC, TV>(tc.p, tv.p, 0, acc);
  }
  for (int a = 0; a < V * R; ++a) o[a] = Sum(acc[a]);
}

// One step of the trial's own pass: writes s_t = x_t - x and y_t = g_t - g, and accumulates
// v_t'd, v_t'v_t, s_t'y_t, y_t'y_t, s_t's_t, s_t'v_t, y_t'v_t in acc[0..6], where v_t is the
// gradient the direction sees (g_t itself unless kSeparateV). With a float32 history (T =
// float) s_t and y_t are rounded as they are stored, every sum is formed from the rounded values,
// and these are also written, widened, to sd and yd for the cross products.
template <bool kSeparateV, typename T>
DLBFGS_INLINE void TrialStep(const double* x, const double* xt, const double* g, const double* gt,
                             const double* vt, const double* d, Eigen::Index q, T* st, T* yt,
                             double* sd, double* yd, Pack* acc) {
  for (Eigen::Index l = q; l < q + kStep; l += kLanes) {
    Pack xv, xtv, gv, gtv, vtv, dv;
    Load(xv, x + l);
    Load(xtv, xt + l);
    Load(gv, g + l);
    Load(gtv, gt + l);
    if (kSeparateV) {
      Load(vtv, vt + l);
    } else {
      vtv = gtv;
    }
    Load(dv, d + l);
    Pack s = xtv - xv;
    Pack y = gtv - gv;
    StoreRounded(st + l, s);
    StoreRounded(yt + l, y);
    if constexpr (std::is_same_v<T, float>) {
      Store(sd + l, s);
      Store(yd + l, y);
    }
    acc[0] += vtv * dv;
    acc[1] += vtv * vtv;
    acc[2] += s * y;
    acc[3] += y * y;
    acc[4] += s * s;
    acc[5] += s * vtv;
    acc[6] += y * vtv;
  }
}

// The trial's own sums over the rows [0, len) of one block (see TrialStep).
template <bool kSeparateV, typename T>
DLBFGS_INLINE void TrialSums(const double* xp, const double* xtp, const double* gp,
                             const double* gtp, const double* vtp, const double* dp,
                             Eigen::Index len, Eigen::Index last, T* st, T* yt, double* sd,
                             double* yd, Pack* acc) {
  Eigen::Index i = 0;
  for (; i + kStep <= len; i += kStep) {
    const Eigen::Index ahead = std::min(i + kAhead, last);
    DLBFGS_PREFETCH(xp + ahead);
    DLBFGS_PREFETCH(xtp + ahead);
    DLBFGS_PREFETCH(gp + ahead);
    DLBFGS_PREFETCH(gtp + ahead);
    if (kSeparateV) DLBFGS_PREFETCH(vtp + ahead);
    DLBFGS_PREFETCH(dp + ahead);
    TrialStep<kSeparateV, T>(xp, xtp, gp, gtp, vtp, dp, i, st, yt, sd, yd, acc);
  }
  if (i < len) {
    const double* in[6] = {xp, xtp, gp, gtp, vtp, dp};
    const Tail<6> tin(in, i, len - i);
    T stt[kStep], ytt[kStep];
    double sdt[kStep], ydt[kStep];
    TrialStep<kSeparateV, T>(tin.p[0], tin.p[1], tin.p[2], tin.p[3], tin.p[4], tin.p[5], 0, stt,
                             ytt, sdt, ydt, acc);
    std::copy_n(stt, len - i, st + i);
    std::copy_n(ytt, len - i, yt + i);
    if constexpr (std::is_same_v<T, float>) {
      std::copy_n(sdt, len - i, sd + i);
      std::copy_n(ydt, len - i, yd + i);
    }
  }
}

}  // namespace

// The passes are compiled twice on x86-64 with GCC, for the baseline ISA and for AVX2+FMA, and the
// loader picks the best at run time. The trial pass does 3 multiply-adds per stored double:
// without FMA it is compute-bound below memory bandwidth. The library's interface is not
// affected (no -march flag leaks into users' code). An AVX-512 clone (x86-64-v4) measured no
// faster: the passes are memory-bound once prefetched.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DLBFGS_KERNEL __attribute__((target_clones("default", "arch=x86-64-v3")))
#else
#define DLBFGS_KERNEL
#endif

namespace {

template <typename T>
DLBFGS_INLINE double FormDirectionOn(const History& h, const DirectionCoefficients& c,
                                     const Eigen::VectorXd& g, Eigen::VectorXd& d) {
  const Eigen::Index n = g.size();
  const int count = h.count();
  double gd = 0;
  for (Eigen::Index b = 0; b < n; b += kBlock) {
    const Eigen::Index len = std::min(kBlock, n - b);
    const Eigen::Index last = n - b - 1;
    const double* gp = g.data() + b;
    double* dp = d.data() + b;
    // Stored pairs two at a time: each pass over the block's d (in L2) adds four columns; the
    // first pass writes d, the last adds -cg g and forms g'd on the way.
    int k = 0;
    for (; k + 1 < count; k += 2) {
      const int ja = h.Slot(k), jb = h.Slot(k + 1);
      const T* col[4] = {SCol<T>(h, ja) + b, YCol<T>(h, ja) + b, SCol<T>(h, jb) + b,
                         YCol<T>(h, jb) + b};
      const double coef[4] = {-c.cs(k), -c.cy(k), -c.cs(k + 1), -c.cy(k + 1)};
      if (k == 0) {
        AddColumns<4, true, T>(col, coef, len, last, dp);
      } else {
        AddColumns<4, false, T>(col, coef, len, last, dp);
      }
    }
    if (k < count) {
      const int j = h.Slot(k);
      const T* col[2] = {SCol<T>(h, j) + b, YCol<T>(h, j) + b};
      const double coef[2] = {-c.cs(k), -c.cy(k)};
      if (k == 0) {
        AddColumns<2, true, T>(col, coef, len, last, dp);
      } else {
        AddColumns<2, false, T>(col, coef, len, last, dp);
      }
    }
    gd += count == 0 ? AddColumnAndDot<true>(gp, -c.cg, len, last, dp)
                     : AddColumnAndDot<false>(gp, -c.cg, len, last, dp);
  }
  return gd;
}

// The stored pairs' entries of a cross block (CrossSlot layout), before the blocks add into them.
DLBFGS_INLINE void ZeroCross(const History& h, double* cross) {
  for (int k = 0; k < h.count(); ++k) std::fill_n(cross + kCrossPerPair * h.Slot(k), 6, 0.0);
}

// Adds rows [b, b + len) of the cross products of every stored pair with vec = {v_t, y_t, s_t}
// (the block's rows) into cross: two pairs (four columns) per pass over the block's short vectors
// (in L2). prod[3 r + 0, 1, 2] = col[r]'v_t, col[r]'y_t, col[r]'s_t. TrialPass and CrossPass both
// run this, so that their sums are formed by the same operations in the same order.
template <typename T>
DLBFGS_INLINE void CrossBlock(const History& h, Eigen::Index b, Eigen::Index len, Eigen::Index last,
                              const double* const* vec, double* cross) {
  auto add = [cross](int j, const double* prod) {
    double* o = cross + kCrossPerPair * j;
    o[kSjVt] += prod[0];
    o[kYjVt] += prod[3];
    o[kSjYt] += prod[1];
    o[kYjYt] += prod[4];
    o[kSjSt] += prod[2];
    o[kYjSt] += prod[5];
  };
  const int count = h.count();
  int k = 0;
  for (; k + 1 < count; k += 2) {
    const int ja = h.Slot(k), jb = h.Slot(k + 1);
    const T* col[4] = {SCol<T>(h, ja) + b, YCol<T>(h, ja) + b, SCol<T>(h, jb) + b,
                       YCol<T>(h, jb) + b};
    double prod[12];
    CrossProducts<4, 3, T, double>(col, vec, len, last, prod);
    add(ja, prod);
    add(jb, prod + 6);
  }
  if (k < count) {
    const int j = h.Slot(k);
    const T* col[2] = {SCol<T>(h, j) + b, YCol<T>(h, j) + b};
    double prod[6];
    CrossProducts<2, 3, T, double>(col, vec, len, last, prod);
    add(j, prod);
  }
}

template <typename T>
DLBFGS_INLINE TrialPartials TrialPassOn(History& h, const TrialVectors& v, double* cross) {
  constexpr bool kSingle = std::is_same_v<T, float>;
  const Eigen::Index n = v.x.size();
  const int t = h.Spare();
  const bool separate_v = v.vt.data() != v.gt.data();
  TrialPartials p;
  if (cross != nullptr) ZeroCross(h, cross);
  for (Eigen::Index b = 0; b < n; b += kBlock) {
    const Eigen::Index len = std::min(kBlock, n - b);
    const Eigen::Index last = n - b - 1;
    T* st = SCol<T>(h, t) + b;
    T* yt = YCol<T>(h, t) + b;
    // float32: the block's rounded pair, widened, for the cross products below.
    double* sd = kSingle ? h.rounded_pair() : nullptr;
    double* yd = kSingle ? sd + std::min(kBlock, n) : nullptr;
    const double* gtp = v.gt.data() + b;
    const double* vtp = v.vt.data() + b;

    // The candidate pair and the trial's own sums.
    Pack acc[7] = {};
    if (separate_v) {
      TrialSums<true, T>(v.x.data() + b, v.xt.data() + b, v.g.data() + b, gtp, vtp, v.d.data() + b,
                         len, last, st, yt, sd, yd, acc);
    } else {
      TrialSums<false, T>(v.x.data() + b, v.xt.data() + b, v.g.data() + b, gtp, vtp, v.d.data() + b,
                          len, last, st, yt, sd, yd, acc);
    }
    p.gtd += Sum(acc[0]);
    p.gg += Sum(acc[1]);
    p.sy += Sum(acc[2]);
    p.yy += Sum(acc[3]);
    p.ss += Sum(acc[4]);
    p.sg += Sum(acc[5]);
    p.yg += Sum(acc[6]);
    if (cross == nullptr) continue;

    // Cross products with the stored pairs; float32: with the widened copy of the rounded pair.
    const double* vec[3] = {vtp, nullptr, nullptr};
    if constexpr (kSingle) {
      vec[1] = yd;
      vec[2] = sd;
    } else {
      vec[1] = yt;
      vec[2] = st;
    }
    CrossBlock<T>(h, b, len, last, vec, cross);
  }
  return p;
}

// The products TrialPassOn forms with `cross`, without the trial's own sums: the candidate pair is
// read back from the spare slot (float32: widened, block by block, into the same copy the trial
// pass wrote, so the kernel sees the same doubles).
template <typename T>
DLBFGS_INLINE void CrossPassOn(History& h, const Eigen::VectorXd& vt, double* cross) {
  const Eigen::Index n = h.local_size();
  const int t = h.Spare();
  ZeroCross(h, cross);
  for (Eigen::Index b = 0; b < n; b += kBlock) {
    const Eigen::Index len = std::min(kBlock, n - b);
    const Eigen::Index last = n - b - 1;
    const T* st = SCol<T>(h, t) + b;
    const T* yt = YCol<T>(h, t) + b;
    const double* vec[3] = {vt.data() + b, nullptr, nullptr};
    if constexpr (std::is_same_v<T, float>) {
      double* sd = h.rounded_pair();
      double* yd = sd + std::min(kBlock, n);
      std::copy_n(st, len, sd);
      std::copy_n(yt, len, yd);
      vec[1] = yd;
      vec[2] = sd;
    } else {
      vec[1] = yt;
      vec[2] = st;
    }
    CrossBlock<T>(h, b, len, last, vec, cross);
  }
}

// The refresh must reproduce bit for bit the entries that TrialPass formed when each pair was
// created (MinimizeTest.GramRefreshReproducesTheSameRun), so it runs the same kernel: the same
// lanes, tail and multiply-adds, and products commute exactly. CrossProducts of the columns of
// pairs j against (s_i, y_i) gives s_j's_i = SS(i, j), y_j's_i = SY(i, j), y_j'y_i = YY(i, j);
// the trial pass formed them as s_j's_t, y_j's_t, y_j'y_t, and the diagonal from its own sums,
// which have the same lanes and tail. Each vector must be passed once: a vector passed twice
// would let the compiler share a product between two sums and skip the fused multiply-add. In
// float32 the trial pass read the new pair from its widened copy (sd, yd) and the refresh reads
// the stored floats widened: the same doubles.
template <typename T>
DLBFGS_INLINE void GramPartialsOn(const History& h, double* out) {
  const Eigen::Index n = h.local_size();
  const int slots = h.slots();
  const int count = h.count();
  double* ss = out;
  double* sy = out + slots * slots;
  double* yy = out + 2 * slots * slots;
  std::fill_n(out, 3 * slots * slots, 0.0);
  // prod[2 r + 0, 1] = col[r]'s_i, col[r]'y_i with col = s_j, y_j (and s_j2, y_j2)
  auto add = [&](int i, int j, const double* prod) {
    ss[i + slots * j] += prod[0];
    sy[i + slots * j] += prod[2];
    yy[i + slots * j] += prod[3];
  };
  for (Eigen::Index b = 0; b < n; b += kBlock) {
    const Eigen::Index len = std::min(kBlock, n - b);
    const Eigen::Index last = n - b - 1;
    for (int k = 0; k < count; ++k) {
      const int i = h.Slot(k);
      const T* vec[2] = {SCol<T>(h, i) + b, YCol<T>(h, i) + b};
      int l = 0;
      for (; l + 1 < count; l += 2) {
        const int ja = h.Slot(l), jb = h.Slot(l + 1);
        const T* col[4] = {SCol<T>(h, ja) + b, YCol<T>(h, ja) + b, SCol<T>(h, jb) + b,
                           YCol<T>(h, jb) + b};
        double prod[8];
        CrossProducts<4, 2, T, T>(col, vec, len, last, prod);
        add(i, ja, prod);
        add(i, jb, prod + 4);
      }
      if (l < count) {
        const int j = h.Slot(l);
        const T* col[2] = {SCol<T>(h, j) + b, YCol<T>(h, j) + b};
        double prod[4];
        CrossProducts<2, 2, T, T>(col, vec, len, last, prod);
        add(i, j, prod);
      }
    }
  }
}

}  // namespace

// Each kernel is instantiated for both storage types inside the clone, so that each clone
// compiles them for its own ISA; the float64 instantiation is the kernel as it was before the
// float32 history, operation for operation.
DLBFGS_KERNEL double FormDirection(const History& h, const DirectionCoefficients& c,
                                   const Eigen::VectorXd& g, Eigen::VectorXd& d) {
  return h.single() ? FormDirectionOn<float>(h, c, g, d) : FormDirectionOn<double>(h, c, g, d);
}

DLBFGS_KERNEL TrialPartials TrialPass(History& h, const TrialVectors& v, double* cross) {
  return h.single() ? TrialPassOn<float>(h, v, cross) : TrialPassOn<double>(h, v, cross);
}

DLBFGS_KERNEL void CrossPass(History& h, const Eigen::VectorXd& vt, double* cross) {
  if (h.single()) {
    CrossPassOn<float>(h, vt, cross);
  } else {
    CrossPassOn<double>(h, vt, cross);
  }
}

DLBFGS_KERNEL void GramPartials(const History& h, double* out) {
  if (h.single()) {
    GramPartialsOn<float>(h, out);
  } else {
    GramPartialsOn<double>(h, out);
  }
}

}  // namespace dlbfgs::internal
