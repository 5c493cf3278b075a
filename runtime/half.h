/*
 * half.h: conversions between float and the 16- and 8-bit float storage
 * types, for generated code (f16 and bf16 are stored as uint16_t, the float8
 * types as uint8_t, and computed in float).
 *
 * Plain integer code, branch-light so loops still vectorize: f16 follows
 * F. Giesen's half_to_float / float_to_half_rtne (round to nearest even,
 * NaN stays NaN); bf16 rounds to nearest even; the float8 encoders round to
 * nearest even and saturate (ONNX Cast's default saturate=1), dlcc_f8_encode(x, kind, 0)
 * overflows to inf or NaN like ONNX saturate=0; float8e8m0 (a bare power
 * of two) rounds its exponent up, down or to nearest.  (The float8 names
 * are _decode/_encode so they do not clash with runtime/math.h's Cast
 * helpers when both pieces are pasted.)
 */
#include <stdint.h>
#include <string.h>

/* Pasted into the .c file itself, where clang warns about unused static
 * inline functions. */
#if defined(__GNUC__)
#define DLCC_HALF_FN static inline __attribute__((unused))
#else
#define DLCC_HALF_FN static inline
#endif

DLCC_HALF_FN float dlcc_bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

DLCC_HALF_FN uint32_t dlcc_f32_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

DLCC_HALF_FN float dlcc_f16_to_f32(uint16_t h) {
    uint32_t o = ((uint32_t)h & 0x7fffu) << 13;
    uint32_t exp = o & (0x7c00u << 13);
    o += (127u - 15u) << 23;
    if (exp == (0x7c00u << 13)) {
        o += (128u - 16u) << 23; /* inf / NaN */
    } else if (exp == 0) {
        o += 1u << 23; /* zero / subnormal: renormalise */
        o = dlcc_f32_to_bits(dlcc_bits_to_f32(o) - dlcc_bits_to_f32(113u << 23));
    }
    return dlcc_bits_to_f32(o | ((uint32_t)h & 0x8000u) << 16);
}

DLCC_HALF_FN uint16_t dlcc_f32_to_f16(float x) {
    uint32_t f = dlcc_f32_to_bits(x);
    uint32_t sign = f & 0x80000000u;
    uint32_t o;
    f ^= sign;
    if (f >= (127u + 16u) << 23) {
        o = f > (255u << 23) ? 0x7e00u : 0x7c00u; /* NaN : overflow to inf */
    } else if (f < (113u << 23)) {
        /* subnormal or zero: let the float adder do the rounding */
        const uint32_t magic = ((127u - 15u) + (23u - 10u) + 1u) << 23;
        o = dlcc_f32_to_bits(dlcc_bits_to_f32(f) + dlcc_bits_to_f32(magic)) - magic;
    } else {
        uint32_t odd = (f >> 13) & 1u;
        f += (uint32_t)((15 - 127) * (1 << 23)) + 0xfffu + odd;
        o = f >> 13;
    }
    return (uint16_t)(o | sign >> 16);
}

DLCC_HALF_FN float dlcc_bf16_to_f32(uint16_t h) { return dlcc_bits_to_f32((uint32_t)h << 16); }

DLCC_HALF_FN uint16_t dlcc_f32_to_bf16(float x) {
    uint32_t u = dlcc_f32_to_bits(x);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

/* ---- float8: kind 0 e4m3fn, 1 e4m3fnuz, 2 e5m2, 3 e5m2fnuz */

DLCC_HALF_FN float dlcc_f8_decode(uint8_t v, int kind) {
    int mbits = kind < 2 ? 3 : 2, bias = kind == 0 ? 7 : kind == 1 ? 8 : kind == 2 ? 15 : 16;
    int fnuz = kind == 1 || kind == 3;
    uint32_t sign = (uint32_t)(v & 0x80u) << 24;
    uint32_t e = (uint32_t)(v & 0x7fu) >> mbits, m = v & ((1u << mbits) - 1u);
    if (fnuz ? v == 0x80u : kind == 0 ? (v & 0x7fu) == 0x7fu : e == 0x1fu) {
        if (kind == 2 && m == 0)
            return dlcc_bits_to_f32(sign | 0x7f800000u);
        return dlcc_bits_to_f32(0x7fc00000u);
    }
    if (e == 0) { /* subnormal: m * 2^(1 - bias - mbits) */
        float f = (float)m * dlcc_bits_to_f32((uint32_t)(127 + 1 - bias - mbits) << 23);
        return dlcc_bits_to_f32(dlcc_f32_to_bits(f) | sign);
    }
    return dlcc_bits_to_f32(sign | (e + 127u - (uint32_t)bias) << 23 | m << (23 - mbits));
}

DLCC_HALF_FN uint8_t dlcc_f8_encode(float x, int kind, int saturate) {
    int mbits = kind < 2 ? 3 : 2, bias = kind == 0 ? 7 : kind == 1 ? 8 : kind == 2 ? 15 : 16;
    int fnuz = kind == 1 || kind == 3;
    uint32_t maxcode = kind == 0 ? 0x7eu : kind == 2 ? 0x7bu : 0x7fu;
    uint32_t nan = fnuz ? 0x80u : kind == 2 ? 0x7eu : 0x7fu; /* ONNX (ml_dtypes) E5M2 NaN is 0x7e */
    uint32_t u = dlcc_f32_to_bits(x), sign = (u >> 24) & 0x80u, a = u & 0x7fffffffu, code;
    if (a > 0x7f800000u)
        return (uint8_t)(fnuz ? nan : nan | sign);
    if (a == 0x7f800000u) {
        if (saturate)
            return (uint8_t)(maxcode | sign);
        return (uint8_t)(kind == 2 ? 0x7cu | sign : fnuz ? nan : nan | sign);
    }
    int e = (int)(a >> 23) - 127 + bias;
    uint32_t sig = (a & 0x7fffffu) | (a >= 0x800000u ? 0x800000u : 0);
    int shift = 23 - mbits + (e < 1 ? 1 - e : 0);
    if (a < 0x800000u)
        shift = 32; /* f32 subnormal: far below the float8 range */
    if (shift >= 32) {
        code = 0;
    } else {
        uint32_t half = 1u << (shift - 1), rest = sig & ((1u << shift) - 1u);
        code = sig >> shift;
        if (rest > half || (rest == half && (code & 1u)))
            code++;
        if (e >= 1)
            code += (uint32_t)(e - 1) << mbits; /* implicit bit already adds one exponent step */
    }
    if (code > maxcode)
        code = saturate ? maxcode : kind == 2 ? 0x7cu : nan;
    if (fnuz && code == 0)
        return 0; /* no negative zero */
    if (fnuz && code == nan)
        return (uint8_t)nan;
    return (uint8_t)(code | sign);
}

DLCC_HALF_FN float dlcc_f8e4m3fn_decode(uint8_t v) { return dlcc_f8_decode(v, 0); }
DLCC_HALF_FN float dlcc_f8e4m3fnuz_decode(uint8_t v) { return dlcc_f8_decode(v, 1); }
DLCC_HALF_FN float dlcc_f8e5m2_decode(uint8_t v) { return dlcc_f8_decode(v, 2); }
DLCC_HALF_FN float dlcc_f8e5m2fnuz_decode(uint8_t v) { return dlcc_f8_decode(v, 3); }
DLCC_HALF_FN uint8_t dlcc_f8e4m3fn_encode(float x) { return dlcc_f8_encode(x, 0, 1); }
DLCC_HALF_FN uint8_t dlcc_f8e4m3fnuz_encode(float x) { return dlcc_f8_encode(x, 1, 1); }
DLCC_HALF_FN uint8_t dlcc_f8e5m2_encode(float x) { return dlcc_f8_encode(x, 2, 1); }
DLCC_HALF_FN uint8_t dlcc_f8e5m2fnuz_encode(float x) { return dlcc_f8_encode(x, 3, 1); }

/* ---- float8 e8m0 (the OCP MX scale type): code v is 2^(v - 127), no sign,
 * no zero, 0xff is NaN.  Encoding ignores the sign and rounds the exponent:
 * round_mode 0 "up" (ONNX's default: any mantissa bit rounds up), 1 "down"
 * (truncate), 2 "nearest" (1.5 * 2^e and above round up).  Results above
 * 2^127 and inf become 0xfe with saturate, NaN (0xff) without. */

DLCC_HALF_FN float dlcc_f8e8m0_decode(uint8_t v) {
    if (v == 0xffu)
        return dlcc_bits_to_f32(0x7fc00000u);
    return dlcc_bits_to_f32(v ? (uint32_t)v << 23 : 0x00400000u); /* 0: the f32 subnormal 2^-127 */
}

DLCC_HALF_FN uint8_t dlcc_e8m0_encode(float x, int round_mode, int saturate) {
    uint32_t u = dlcc_f32_to_bits(x) & 0x7fffffffu, e = u >> 23, m = u & 0x7fffffu, up;
    if (e == 0xffu)
        return (uint8_t)(m || !saturate ? 0xffu : 0xfeu);
    if (e == 0) { /* below 2^-126: compare with 2^-127 (m = 0x400000) */
        up = round_mode == 0 ? m > 0x400000u : round_mode == 2 ? m >= 0x600000u : 0;
        return (uint8_t)up;
    }
    up = round_mode == 0 ? m != 0 : round_mode == 2 ? m >= 0x400000u : 0;
    e += up;
    if (e == 0xffu)
        return (uint8_t)(saturate ? 0xfeu : 0xffu);
    return (uint8_t)e;
}

DLCC_HALF_FN uint8_t dlcc_f8e8m0_encode(float x) { return dlcc_e8m0_encode(x, 0, 1); }
