// qfence/kernels/reference/signal/fft.hpp: the real FFTs of TFLM's signal
// library (SignalRfft, SignalIrfft: signal/src/rfft_*.cc, irfft_*.cc), which
// run KISS FFT v130 (with TFLM's patch) in int16, int32 or float.
//
// Bit-exact means KISS FFT's own algorithm, not any FFT: its factoring of
// the length (4s first, then 2s, then odd factors), its recursive
// decimation in time, its radix-2/3/4/5 butterflies, its fixed-point
// arithmetic (each butterfly first divides its inputs by the radix, products
// rounded to nearest, sums wrapping at the scalar's width), its twiddles
// (cos and sin in double, rounded to the scalar) and its real-FFT split
// step. This file follows it operation for operation, in the same order;
// what it does is written out here, not copied.
//
// TFLM's patch leaves KISS FFT without a heap, so its generic butterfly
// (radix 7 and above) and the length-1 complex FFT write through a null
// pointer: the supported lengths are even, at least 4, with half of them a
// product of 2s, 3s and 5s (real_fft_length_supported).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "qfence/core/exact_float.hpp"

QFENCE_EXACT_FLOAT_BEGIN

namespace qfence::reference::signal {

/// One complex value of scalar T (KISS FFT's kiss_fft_cpx; the int16 and
/// float spectra of TFLM's ops are these pairs, real part first).
template <class T>
struct fft_complex {
  T r, i;
};

/// Whether KISS FFT as TFLM builds it computes a real FFT of `fft_length`.
constexpr bool real_fft_length_supported(std::int64_t fft_length) noexcept {
  if (fft_length < 4 || fft_length % 2 != 0 || fft_length > (std::int64_t{1} << 30)) return false;
  std::int64_t n = fft_length / 2;
  for (const std::int64_t p : {2, 3, 5})
    while (n % p == 0) n /= p;
  return n == 1;
}

/// The arithmetic of KISS FFT's macros for scalar T. Fixed point (int16,
/// int32): sums are formed exactly in int64 and wrap when stored (C forms
/// them in int and truncates to the scalar: the same bits, also where
/// int32's int sum overflows, which wraps on every target TFLM runs);
/// products are rounded to nearest (sround); HALF_OF shifts C's int sum.
/// Float: each macro's float operations in its order.
template <class T>
struct kiss_math {
  static constexpr bool fixed = std::is_integral_v<T>;
  using acc = std::conditional_t<fixed, std::int64_t, float>;
  using cpx = fft_complex<T>;
  static constexpr int frac_bits = fixed ? static_cast<int>(sizeof(T)) * 8 - 1 : 0;
  static constexpr std::int64_t samp_max = fixed ? (std::int64_t{1} << frac_bits) - 1 : 0;

  static constexpr T store(acc x) noexcept { return static_cast<T>(x); }  // int: modular (C++20)
  static constexpr acc wide(T x) noexcept { return static_cast<acc>(x); }
  /// sround: a product with frac_bits fraction bits, rounded to a scalar.
  static constexpr T round_product(std::int64_t x) noexcept {
    return static_cast<T>((x + (std::int64_t{1} << (frac_bits - 1))) >> frac_bits);
  }
  /// S_MUL.
  static constexpr T mul(T a, T b) noexcept {
    if constexpr (fixed) return round_product(std::int64_t{a} * b);
    else return a * b;
  }
  /// C_MUL.
  static constexpr cpx cmul(cpx a, cpx b) noexcept {
    if constexpr (fixed)
      return {round_product(std::int64_t{a.r} * b.r - std::int64_t{a.i} * b.i),
              round_product(std::int64_t{a.r} * b.i + std::int64_t{a.i} * b.r)};
    else return {a.r * b.r - a.i * b.i, a.r * b.i + a.i * b.r};
  }
  static constexpr cpx cadd(cpx a, cpx b) noexcept { return {add(a.r, b.r), add(a.i, b.i)}; }
  static constexpr cpx csub(cpx a, cpx b) noexcept { return {sub(a.r, b.r), sub(a.i, b.i)}; }
  static constexpr T add(T a, T b) noexcept { return store(wide(a) + wide(b)); }
  static constexpr T sub(T a, T b) noexcept { return store(wide(a) - wide(b)); }
  static constexpr T neg(T a) noexcept { return store(-wide(a)); }
  /// C_FIXDIV: divides by the radix before a butterfly (fixed point only).
  static constexpr void fixdiv(cpx& c, int k) noexcept {
    if constexpr (fixed) {
      const std::int64_t s = samp_max / k;
      c.r = round_product(std::int64_t{c.r} * s);
      c.i = round_product(std::int64_t{c.i} * s);
    }
  }
  /// C_MULBYSCALAR.
  static constexpr void scale(cpx& c, T s) noexcept {
    c.r = mul(c.r, s);
    c.i = mul(c.i, s);
  }
  /// HALF_OF of a sum C formed in int: shifted there (wrapping at 32 bits
  /// first, as C's int), or halved in float. Not yet stored.
  static constexpr acc half(acc x) noexcept {
    if constexpr (fixed) return static_cast<std::int32_t>(static_cast<std::uint32_t>(x)) >> 1;
    else return x * 0.5f;
  }
  /// kf_cexp: a twiddle from its phase.
  static cpx twiddle(double phase) noexcept {
    if constexpr (fixed)
      return {static_cast<T>(std::floor(0.5 + static_cast<double>(samp_max) * std::cos(phase))),
              static_cast<T>(std::floor(0.5 + static_cast<double>(samp_max) * std::sin(phase)))};
    else return {static_cast<T>(std::cos(phase)), static_cast<T>(std::sin(phase))};
  }
};

/// KISS FFT's factors of n (kf_factor): radix, remaining length, ... 4s
/// first, then 2, then odd candidates up to sqrt(n). At most 2 * 32 ints.
inline int kiss_factor(int n, int* factors) noexcept {
  int p = 4, count = 0;
  const double floor_sqrt = std::floor(std::sqrt(static_cast<double>(n)));
  do {
    while (n % p) {
      switch (p) {
        case 4: p = 2; break;
        case 2: p = 3; break;
        default: p += 2; break;
      }
      if (p > floor_sqrt) p = n;
    }
    n /= p;
    factors[count++] = p;
    factors[count++] = n;
  } while (n > 1);
  return count;
}

/// A real FFT of one length and direction, prepared (kiss_fftr_alloc): the
/// complex FFT of half the length (its factors and twiddles) and the split
/// step's twiddles, in storage the caller owns.
template <class T>
struct real_fft_plan {
  int ncfft = 0;  // the complex FFT's length: fft_length / 2
  bool inverse = false;
  int factors[64] = {};
  std::span<const fft_complex<T>> twiddles;        // ncfft
  std::span<const fft_complex<T>> super_twiddles;  // ncfft / 2
};

/// The storage a real_fft_plan<T> of `fft_length` needs, in complex values.
constexpr std::size_t real_fft_plan_values(std::int64_t fft_length) noexcept {
  const auto ncfft = static_cast<std::size_t>(fft_length / 2);
  return ncfft + ncfft / 2;
}

/// Prepares a plan in `storage` (real_fft_plan_values(fft_length) values);
/// fft_length must be supported (real_fft_length_supported).
template <class T>
real_fft_plan<T> make_real_fft_plan(std::int64_t fft_length, bool inverse, std::span<fft_complex<T>> storage) {
  using m = kiss_math<T>;
  real_fft_plan<T> plan;
  plan.ncfft = static_cast<int>(fft_length / 2);
  plan.inverse = inverse;
  const int n = plan.ncfft;
  fft_complex<T>* tw = storage.data();
  fft_complex<T>* super = tw + n;
  for (int i = 0; i < n; ++i) {
    const double pi = 3.141592653589793238462643383279502884197169399375105820974944;
    double phase = -2 * pi * i / n;
    if (inverse) phase *= -1;
    tw[i] = m::twiddle(phase);
  }
  kiss_factor(n, plan.factors);
  for (int i = 0; i < n / 2; ++i) {
    double phase = -3.14159265358979323846264338327 * (static_cast<double>(i + 1) / n + .5);
    if (inverse) phase *= -1;
    super[i] = m::twiddle(phase);
  }
  plan.twiddles = {tw, static_cast<std::size_t>(n)};
  plan.super_twiddles = {super, static_cast<std::size_t>(n / 2)};
  return plan;
}

namespace detail {

template <class T>
void butterfly2(fft_complex<T>* out, std::size_t fstride, const real_fft_plan<T>& plan, int m) noexcept {
  using k = kiss_math<T>;
  fft_complex<T>* out2 = out + m;
  const fft_complex<T>* tw1 = plan.twiddles.data();
  for (int j = 0; j < m; ++j) {
    k::fixdiv(out[j], 2);
    k::fixdiv(out2[j], 2);
    const fft_complex<T> t = k::cmul(out2[j], *tw1);
    tw1 += fstride;
    out2[j] = k::csub(out[j], t);
    out[j] = k::cadd(out[j], t);
  }
}

template <class T>
void butterfly3(fft_complex<T>* out, std::size_t fstride, const real_fft_plan<T>& plan, std::size_t m) noexcept {
  using k = kiss_math<T>;
  const std::size_t m2 = 2 * m;
  const fft_complex<T>* tw = plan.twiddles.data();
  const fft_complex<T> epi3 = tw[fstride * m];
  const fft_complex<T>*tw1 = tw, *tw2 = tw;
  for (std::size_t j = 0; j < m; ++j, ++out) {
    k::fixdiv(out[0], 3);
    k::fixdiv(out[m], 3);
    k::fixdiv(out[m2], 3);
    const fft_complex<T> s1 = k::cmul(out[m], *tw1), s2 = k::cmul(out[m2], *tw2);
    const fft_complex<T> s3 = k::cadd(s1, s2);
    fft_complex<T> s0 = k::csub(s1, s2);
    tw1 += fstride;
    tw2 += fstride * 2;
    out[m].r = k::store(k::wide(out[0].r) - k::half(k::wide(s3.r)));
    out[m].i = k::store(k::wide(out[0].i) - k::half(k::wide(s3.i)));
    k::scale(s0, epi3.i);
    out[0] = k::cadd(out[0], s3);
    out[m2].r = k::add(out[m].r, s0.i);
    out[m2].i = k::sub(out[m].i, s0.r);
    out[m].r = k::sub(out[m].r, s0.i);
    out[m].i = k::add(out[m].i, s0.r);
  }
}

template <class T>
void butterfly4(fft_complex<T>* out, std::size_t fstride, const real_fft_plan<T>& plan, std::size_t m) noexcept {
  using k = kiss_math<T>;
  const std::size_t m2 = 2 * m, m3 = 3 * m;
  const fft_complex<T>*tw1 = plan.twiddles.data(), *tw2 = tw1, *tw3 = tw1;
  for (std::size_t j = 0; j < m; ++j, ++out) {
    k::fixdiv(out[0], 4);
    k::fixdiv(out[m], 4);
    k::fixdiv(out[m2], 4);
    k::fixdiv(out[m3], 4);
    const fft_complex<T> s0 = k::cmul(out[m], *tw1), s1 = k::cmul(out[m2], *tw2), s2 = k::cmul(out[m3], *tw3);
    const fft_complex<T> s5 = k::csub(out[0], s1);
    out[0] = k::cadd(out[0], s1);
    const fft_complex<T> s3 = k::cadd(s0, s2), s4 = k::csub(s0, s2);
    out[m2] = k::csub(out[0], s3);
    tw1 += fstride;
    tw2 += fstride * 2;
    tw3 += fstride * 3;
    out[0] = k::cadd(out[0], s3);
    if (plan.inverse) {
      out[m] = {k::sub(s5.r, s4.i), k::add(s5.i, s4.r)};
      out[m3] = {k::add(s5.r, s4.i), k::sub(s5.i, s4.r)};
    } else {
      out[m] = {k::add(s5.r, s4.i), k::sub(s5.i, s4.r)};
      out[m3] = {k::sub(s5.r, s4.i), k::add(s5.i, s4.r)};
    }
  }
}

template <class T>
void butterfly5(fft_complex<T>* out, std::size_t fstride, const real_fft_plan<T>& plan, int m) noexcept {
  using k = kiss_math<T>;
  const fft_complex<T>* tw = plan.twiddles.data();
  const fft_complex<T> ya = tw[fstride * static_cast<std::size_t>(m)], yb = tw[fstride * 2 * static_cast<std::size_t>(m)];
  fft_complex<T>*f0 = out, *f1 = out + m, *f2 = out + 2 * m, *f3 = out + 3 * m, *f4 = out + 4 * m;
  auto w = [](T x) { return k::wide(x); };
  for (int u = 0; u < m; ++u, ++f0, ++f1, ++f2, ++f3, ++f4) {
    for (fft_complex<T>* f : {f0, f1, f2, f3, f4}) k::fixdiv(*f, 5);
    const auto us = static_cast<std::size_t>(u);
    const fft_complex<T> s0 = *f0;
    const fft_complex<T> s1 = k::cmul(*f1, tw[us * fstride]), s2 = k::cmul(*f2, tw[2 * us * fstride]),
                         s3 = k::cmul(*f3, tw[3 * us * fstride]), s4 = k::cmul(*f4, tw[4 * us * fstride]);
    const fft_complex<T> s7 = k::cadd(s1, s4), s10 = k::csub(s1, s4), s8 = k::cadd(s2, s3), s9 = k::csub(s2, s3);
    f0->r = k::store(w(f0->r) + (w(s7.r) + w(s8.r)));
    f0->i = k::store(w(f0->i) + (w(s7.i) + w(s8.i)));
    const fft_complex<T> s5{k::store(w(s0.r) + w(k::mul(s7.r, ya.r)) + w(k::mul(s8.r, yb.r))),
                            k::store(w(s0.i) + w(k::mul(s7.i, ya.r)) + w(k::mul(s8.i, yb.r)))};
    const fft_complex<T> s6{k::store(w(k::mul(s10.i, ya.i)) + w(k::mul(s9.i, yb.i))),
                            k::store(-w(k::mul(s10.r, ya.i)) - w(k::mul(s9.r, yb.i)))};
    *f1 = k::csub(s5, s6);
    *f4 = k::cadd(s5, s6);
    const fft_complex<T> s11{k::store(w(s0.r) + w(k::mul(s7.r, yb.r)) + w(k::mul(s8.r, ya.r))),
                             k::store(w(s0.i) + w(k::mul(s7.i, yb.r)) + w(k::mul(s8.i, ya.r)))};
    const fft_complex<T> s12{k::store(-w(k::mul(s10.i, yb.i)) + w(k::mul(s9.i, ya.i))),
                             k::store(w(k::mul(s10.r, yb.i)) - w(k::mul(s9.r, ya.i)))};
    *f2 = k::cadd(s11, s12);
    *f3 = k::csub(s11, s12);
  }
}

/// kf_work: the FFT of `in` (stride fstride * in_stride) into `out` for the
/// factors from `factors` on.
template <class T>
void fft_stage(fft_complex<T>* out, const fft_complex<T>* in, std::size_t fstride, const int* factors,
               const real_fft_plan<T>& plan) noexcept {
  const int p = factors[0], m = factors[1];
  fft_complex<T>* const begin = out;
  const fft_complex<T>* const end = out + static_cast<std::ptrdiff_t>(p) * m;
  if (m == 1) {
    for (; out != end; ++out, in += fstride) *out = *in;
  } else {
    for (; out != end; out += m, in += fstride) fft_stage(out, in, fstride * static_cast<std::size_t>(p), factors + 2, plan);
  }
  switch (p) {
    case 2: butterfly2(begin, fstride, plan, m); break;
    case 3: butterfly3(begin, fstride, plan, static_cast<std::size_t>(m)); break;
    case 4: butterfly4(begin, fstride, plan, static_cast<std::size_t>(m)); break;
    default: butterfly5(begin, fstride, plan, m); break;  // only 5 remains for a supported length
  }
}

}  // namespace detail

/// The scratch a real FFT of plan.ncfft needs, in complex values.
constexpr std::size_t real_fft_scratch_values(std::int64_t fft_length) noexcept {
  return static_cast<std::size_t>(fft_length);  // two complex buffers of fft_length / 2
}

/// kiss_fftr of one frame: `in` [length], zero-padded to 2 * ncfft, to its
/// spectrum [ncfft + 1] complex values, real and imaginary parts
/// interleaved in `spectrum`. `scratch`: real_fft_scratch_values.
template <class T>
void real_fft(const real_fft_plan<T>& plan, const T* in, std::int64_t length, T* spectrum,
              fft_complex<T>* scratch) noexcept {
  using k = kiss_math<T>;
  const int n = plan.ncfft;
  // The real frame as ncfft complex values (even samples real, odd
  // imaginary), as KISS FFT reads it.
  fft_complex<T>* packed = scratch;
  fft_complex<T>* tmp = scratch + n;
  for (int j = 0; j < n; ++j) {
    packed[j].r = 2 * j < length ? in[2 * j] : T{};
    packed[j].i = 2 * j + 1 < length ? in[2 * j + 1] : T{};
  }
  detail::fft_stage(tmp, packed, 1, plan.factors, plan);
  auto put = [&](int j, T r, T i) {
    spectrum[2 * j] = r;
    spectrum[2 * j + 1] = i;
  };
  fft_complex<T> tdc = tmp[0];
  k::fixdiv(tdc, 2);
  put(0, k::add(tdc.r, tdc.i), T{});
  put(n, k::sub(tdc.r, tdc.i), T{});
  for (int j = 1; j <= n / 2; ++j) {
    fft_complex<T> fpk = tmp[j];
    fft_complex<T> fpnk{tmp[n - j].r, k::neg(tmp[n - j].i)};
    k::fixdiv(fpk, 2);
    k::fixdiv(fpnk, 2);
    const fft_complex<T> f1k = k::cadd(fpk, fpnk), f2k = k::csub(fpk, fpnk);
    const fft_complex<T> tw = k::cmul(f2k, plan.super_twiddles[static_cast<std::size_t>(j - 1)]);
    put(j, k::store(k::half(k::wide(f1k.r) + k::wide(tw.r))), k::store(k::half(k::wide(f1k.i) + k::wide(tw.i))));
    put(n - j, k::store(k::half(k::wide(f1k.r) - k::wide(tw.r))), k::store(k::half(k::wide(tw.i) - k::wide(f1k.i))));
  }
}

/// kiss_fftri of one frame: the spectrum [ncfft + 1] (interleaved) to `out`
/// [2 * ncfft]. KISS FFT's inverse is unscaled: ncfft times the signal in
/// float (SignalIrfft divides), the butterflies' divisions in fixed point.
template <class T>
void inverse_real_fft(const real_fft_plan<T>& plan, const T* spectrum, T* out, fft_complex<T>* scratch) noexcept {
  using k = kiss_math<T>;
  const int n = plan.ncfft;
  auto at = [&](int j) { return fft_complex<T>{spectrum[2 * j], spectrum[2 * j + 1]}; };
  fft_complex<T>* tmp = scratch;
  fft_complex<T>* result = scratch + n;
  tmp[0].r = k::add(at(0).r, at(n).r);
  tmp[0].i = k::sub(at(0).r, at(n).r);
  k::fixdiv(tmp[0], 2);
  for (int j = 1; j <= n / 2; ++j) {
    fft_complex<T> fk = at(j);
    fft_complex<T> fnkc{at(n - j).r, k::neg(at(n - j).i)};
    k::fixdiv(fk, 2);
    k::fixdiv(fnkc, 2);
    const fft_complex<T> fek = k::cadd(fk, fnkc), diff = k::csub(fk, fnkc);
    const fft_complex<T> fok = k::cmul(diff, plan.super_twiddles[static_cast<std::size_t>(j - 1)]);
    tmp[j] = k::cadd(fek, fok);
    tmp[n - j] = k::csub(fek, fok);
    if constexpr (k::fixed) tmp[n - j].i = k::neg(tmp[n - j].i);
    else tmp[n - j].i *= -1.0f;
  }
  detail::fft_stage(result, tmp, 1, plan.factors, plan);
  for (int j = 0; j < n; ++j) {
    out[2 * j] = result[j].r;
    out[2 * j + 1] = result[j].i;
  }
}

/// SignalRfft: each frame of `in` (`frames` of `length` values) to its
/// spectrum, ncfft + 1 complex values per frame in `out`.
template <class T>
void rfft(const real_fft_plan<T>& plan, const T* in, std::int64_t frames, std::int64_t length, T* out,
          fft_complex<T>* scratch) noexcept {
  const std::int64_t spectrum = 2 * (std::int64_t{plan.ncfft} + 1);
  for (std::int64_t f = 0; f < frames; ++f) real_fft(plan, in + f * length, length, out + f * spectrum, scratch);
}

/// SignalIrfft: each spectrum of `in` (`frames` of ncfft + 1 complex
/// values) to its frame of 2 * ncfft values in `out`; float frames divided
/// by the length, as TFLM's IrfftFloatApply does.
template <class T>
void irfft(const real_fft_plan<T>& plan, const T* in, std::int64_t frames, T* out, fft_complex<T>* scratch) noexcept {
  const std::int64_t spectrum = 2 * (std::int64_t{plan.ncfft} + 1), length = 2 * std::int64_t{plan.ncfft};
  for (std::int64_t f = 0; f < frames; ++f) {
    T* frame = out + f * length;
    inverse_real_fft(plan, in + f * spectrum, frame, scratch);
    if constexpr (!kiss_math<T>::fixed)
      for (std::int64_t i = 0; i < length; ++i) frame[i] /= static_cast<T>(length);
  }
}

}  // namespace qfence::reference::signal

QFENCE_EXACT_FLOAT_END
