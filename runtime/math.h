/*
 * math.h: math for elementwise kernels.
 *
 * Kernels write their expressions once in a compute type T and call the
 * generic names (exp, tanh, erf...); <tgmath.h> picks expf for float and
 * exp for double.  Also the float8 conversions used by Cast: decoding is
 * exact; encoding rounds to nearest even on the format's grid, and values
 * beyond the largest finite one become it (saturate) or inf/NaN.
 */
#include <math.h>
#include <stdint.h>
#include <tgmath.h>

/* mbits mantissa bits, exponent bias, fnuz: no inf/-0 and NaN is 0x80. */
static inline float dlcc_f8_to_f32(uint8_t v, int mbits, int bias, int fnuz) {
    int ebits = 7 - mbits;
    int s = v >> 7, ex = (v >> mbits) & ((1 << ebits) - 1), m = v & ((1 << mbits) - 1);
    if (fnuz) {
        if (v == 0x80)
            return NAN;
    } else if (ex == (1 << ebits) - 1) {
        if (mbits == 2)
            return m ? NAN : (s ? -INFINITY : INFINITY);
        if (m == 7)
            return NAN;
    }
    float r = ex == 0 ? ldexpf((float)m, 1 - bias - mbits) : ldexpf((float)(m + (1 << mbits)), ex - bias - mbits);
    return s ? -r : r;
}

static inline uint8_t dlcc_f32_to_f8(float f, int mbits, int bias, int fnuz, int saturate) {
    uint8_t sign = signbit(f) ? 0x80 : 0;
    uint8_t nan = fnuz ? 0x80 : (uint8_t)(0x7f | sign);
    /* largest finite code and value */
    uint8_t maxc = fnuz ? 0x7f : mbits == 2 ? 0x7b : 0x7e;
    double maxv = dlcc_f8_to_f32(maxc, mbits, bias, fnuz);
    double a = fabs((double)f);
    if (isnan(f))
        return nan;
    if (isinf(f))
        return saturate ? (uint8_t)(maxc | sign) : (mbits == 2 && !fnuz) ? (uint8_t)(0x7c | sign) : nan;
    int e2;
    frexp(a, &e2);
    int e = e2 - 1, emin = 1 - bias;
    if (e < emin)
        e = emin;
    double r = nearbyint(ldexp(a, mbits - e));
    double val = ldexp(r, e - mbits);
    if (val > maxv)
        return saturate ? (uint8_t)(maxc | sign) : (mbits == 2 && !fnuz) ? (uint8_t)(0x7c | sign) : nan;
    if (val == 0)
        return fnuz ? 0 : sign;
    frexp(val, &e2);
    e = e2 - 1;
    if (e < emin)
        return (uint8_t)(sign | (int)ldexp(val, mbits - emin));
    int mant = (int)ldexp(val, mbits - e) - (1 << mbits);
    return (uint8_t)(sign | ((e + bias) << mbits) | mant);
}

static inline float dlcc_f8e4m3fn_to_f32(uint8_t v) { return dlcc_f8_to_f32(v, 3, 7, 0); }
static inline float dlcc_f8e4m3fnuz_to_f32(uint8_t v) { return dlcc_f8_to_f32(v, 3, 8, 1); }
static inline float dlcc_f8e5m2_to_f32(uint8_t v) { return dlcc_f8_to_f32(v, 2, 15, 0); }
static inline float dlcc_f8e5m2fnuz_to_f32(uint8_t v) { return dlcc_f8_to_f32(v, 2, 16, 1); }
static inline uint8_t dlcc_f32_to_f8e4m3fn(float f, int sat) { return dlcc_f32_to_f8(f, 3, 7, 0, sat); }
static inline uint8_t dlcc_f32_to_f8e4m3fnuz(float f, int sat) { return dlcc_f32_to_f8(f, 3, 8, 1, sat); }
static inline uint8_t dlcc_f32_to_f8e5m2(float f, int sat) { return dlcc_f32_to_f8(f, 2, 15, 0, sat); }
static inline uint8_t dlcc_f32_to_f8e5m2fnuz(float f, int sat) { return dlcc_f32_to_f8(f, 2, 16, 1, sat); }
