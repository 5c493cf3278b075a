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
#include <tgmath.h>

#if defined(__GNUC__)
#define DLCC_MATH_FN static inline __attribute__((unused))
#else
#define DLCC_MATH_FN static inline
#endif

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
