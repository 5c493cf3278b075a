/*
 * math.h: math for elementwise kernels.
 *
 * Kernels write their expressions once in a compute type T and call the
 * generic names (exp, tanh, erf...); <tgmath.h> picks expf for float and
 * exp for double.  Also Cast's conversions for the 4-bit types, stored
 * unpacked one per byte: float4 e2m1 (values 0, 0.5, 1, 1.5, 2, 3, 4, 6;
 * no inf or NaN) rounds to nearest even and saturates; NaN becomes code 8
 * (-0) as in the ONNX reference.
 * (The float8 conversions live in runtime/half.h.)
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <tgmath.h>

#if defined(__GNUC__)
#define DLCC_MATH_FN static inline __attribute__((unused))
#else
#define DLCC_MATH_FN static inline
#endif

/* exp for float, inline and branch-free so that elementwise loops vectorise
 * (libm's expf is a call per element): exp(x) = 2^n e^r with n = round(x /
 * ln 2) and |r| <= ln 2 / 2, e^r by Cephes' degree-7 polynomial (within 1
 * ulp of expf over the normal range), 2^n as two exponent-field scalings so
 * that n reaches the subnormal range.  NaN stays NaN, x > 88.72 gives inf,
 * x < -103.97 gives 0.  DLCC_EXP(x) picks it for float and libm's exp for
 * double (used by Sigmoid, Exp and Swish). */
DLCC_MATH_FN float dlcc_expf(float x) {
    float xc = x > 89.0f ? 89.0f : (x < -104.0f ? -104.0f : x);
    if (xc != xc)
        xc = 0.0f;
    float n = floorf(xc * 1.44269504088896341f + 0.5f);
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float e = p * r * r + r + 1.0f;
    int32_t ni = (int32_t)n, n1 = ni / 2, n2 = ni - n1;
    uint32_t b1 = (uint32_t)(n1 + 127) << 23, b2 = (uint32_t)(n2 + 127) << 23;
    float s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    float y = e * s1 * s2;
    return x != x ? x : y;
}
#define DLCC_EXP(x) _Generic((x), float: dlcc_expf, default: exp)(x)

/* tanh for float, inline and branch-free like dlcc_expf (libm's tanhf is a
 * call that goes through expm1f): for |x| < 0.3 the odd Taylor series to
 * x^11 (truncation below 1e-9 relative), else sign(x) (1 - 2 / (e^2|x| +
 * 1)), within a few ulp (max relative error 2.5e-7, near |x| = 0.3, over
 * every float in [-20, 20]; tests/unit/test_math.c checks a sample against
 * libm); +-1 for large |x|, NaN kept.
 * DLCC_TANH(x) picks it for float and libm's tanh for double (Tanh, and the
 * tanh activations and sigmoid gates of RNN, GRU and LSTM). */
DLCC_MATH_FN float dlcc_tanhf(float x) {
    float a = fabsf(x), x2 = x * x;
    float p = -8.86323553e-3f;
    p = p * x2 + 2.18694885e-2f;
    p = p * x2 - 5.39682540e-2f;
    p = p * x2 + 1.33333333e-1f;
    p = p * x2 - 3.33333333e-1f;
    float small = x + x * x2 * p;
    float big = 1.0f - 2.0f / (dlcc_expf(2.0f * a) + 1.0f);
    big = x < 0.0f ? -big : big;
    return a < 0.3f ? small : big;
}
#define DLCC_TANH(x) _Generic((x), float: dlcc_tanhf, default: tanh)(x)

/* erf for float, inline and branch-free (Erf, Gelu): for |x| < 0.75 the
 * Maclaurin series to x^17 (truncation below 1e-9 relative), else
 * sign(x) (1 - erfc(|x|)) with erfc from the Chebyshev fit of Numerical
 * Recipes' erfcc (relative error below 1.2e-7) around dlcc_expf; max
 * relative error 2.1e-7 over every float in [-10, 10] (tests/unit/
 * test_math.c checks a sample); +-1 for large |x|, NaN kept. */
DLCC_MATH_FN float dlcc_erff(float x) {
    float a = fabsf(x), x2 = x * x;
    float p = 1.0f / 685440.0f;
    p = p * x2 - 1.0f / 75600.0f;
    p = p * x2 + 1.0f / 9360.0f;
    p = p * x2 - 1.0f / 1320.0f;
    p = p * x2 + 1.0f / 216.0f;
    p = p * x2 - 1.0f / 42.0f;
    p = p * x2 + 1.0f / 10.0f;
    p = p * x2 - 1.0f / 3.0f;
    float small = 1.12837916709551257390f * (x + x * x2 * p);
    float t = 1.0f / (1.0f + 0.5f * a);
    float q = 0.17087277f;
    q = q * t - 0.82215223f;
    q = q * t + 1.48851587f;
    q = q * t - 1.13520398f;
    q = q * t + 0.27886807f;
    q = q * t - 0.18628806f;
    q = q * t + 0.09678418f;
    q = q * t + 0.37409196f;
    q = q * t + 1.00002368f;
    q = q * t - 1.26551223f;
    float big = 1.0f - t * dlcc_expf(q - a * a);
    big = x < 0.0f ? -big : big;
    return a < 0.75f ? small : big;
}
#define DLCC_ERF(x) _Generic((x), float: dlcc_erff, default: erf)(x)

DLCC_MATH_FN float dlcc_f4e2m1_to_f32(uint8_t v) {
    static const float mag[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    return (v & 8) ? -mag[v & 7] : mag[v & 7];
}

DLCC_MATH_FN uint8_t dlcc_f32_to_f4e2m1(float x) {
    if (isnan(x))
        return 8;
    uint8_t sign = signbit(x) ? 8 : 0;
    float a = fabsf(x);
    uint8_t code;
    if (a < 2.0f) {
        code = (uint8_t)nearbyintf(a * 2.0f); /* 0, 0.5, 1, 1.5, (2) */
    } else if (a < 4.0f) {
        code = (uint8_t)(2 + (int)nearbyintf(a)); /* 2 -> 4, 3 -> 5, 4 -> 6 */
    } else {
        float q = nearbyintf(a * 0.5f);          /* 4 -> 2, 6 -> 3, beyond saturates */
        code = q <= 2.0f ? 6 : 7;
    }
    return (uint8_t)(code | sign);
}
