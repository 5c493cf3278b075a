/*
 * gridsample.h: helpers of the GridSample kernels (codegen/emit_spatial.c).
 *
 * dlcc_gs_index maps an integer sample position of one axis to the index
 * to read under the padding mode (0 zeros: -1 outside, 1 border: clamped,
 * 2 reflection: reflected between lo and hi, as onnxruntime does it).
 */
#include <stdint.h>

#ifndef DLCC_RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define DLCC_RT_FN static __attribute__((unused))
#else
#define DLCC_RT_FN static inline
#endif
#endif

DLCC_RT_FN double dlcc_gs_reflect(double x, double lo, double hi) {
    double range = hi - lo;
    if (x < lo) {
        double dx = lo - x;
        int n = (int)(dx / range);
        double r = dx - n * range;
        return n % 2 == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
        double dx = x - hi;
        int n = (int)(dx / range);
        double r = dx - n * range;
        return n % 2 == 0 ? hi - r : lo + r;
    }
    return x;
}

DLCC_RT_FN int64_t dlcc_gs_index(int64_t i, int64_t size, int pad, double lo, double hi) {
    if (pad == 0)
        return i >= 0 && i < size ? i : -1;
    if (pad == 1)
        return i < 0 ? 0 : i >= size ? size - 1 : i;
    int64_t r = (int64_t)dlcc_gs_reflect((double)i, lo, hi);
    return r < 0 ? 0 : r >= size ? size - 1 : r;
}

/* Keys cubic convolution weights (A = -0.75) of the taps at floor-1 ..
 * floor+2 for fractional offset x in [0, 1). */
DLCC_RT_FN void dlcc_gs_cubic(double x, double c[4]) {
    const double A = -0.75;
    c[0] = ((A * (x + 1) - 5 * A) * (x + 1) + 8 * A) * (x + 1) - 4 * A;
    c[1] = ((A + 2) * x - (A + 3)) * x * x + 1;
    c[2] = ((A + 2) * (1 - x) - (A + 3)) * (1 - x) * (1 - x) + 1;
    c[3] = ((A * (2 - x) - 5 * A) * (2 - x) + 8 * A) * (2 - x) - 4 * A;
}
