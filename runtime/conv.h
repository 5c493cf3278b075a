/*
 * conv.h: convolution helpers for generated code (with gemm.h).
 *
 * dlcc_im2col2d lays out the receptive fields of one image group as a
 * (C * KH * KW) x (OH * OW) matrix, zero where a window reaches into the
 * padding, so a convolution becomes one GEMM with the weights.  Rows are
 * filled a whole output row at a time: the valid span of each output row
 * is computed once, so the inner loop has no bounds tests and, at stride 1,
 * is a memcpy.
 */
#include <stdint.h>
#include <string.h>

#ifndef DLCC_RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define DLCC_RT_FN static __attribute__((unused))
#else
#define DLCC_RT_FN static inline
#endif
#endif

DLCC_RT_FN void dlcc_im2col2d(const float *restrict x, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
                          int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH,
                          int64_t OW, float *restrict col) {
    for (int64_t c = 0; c < C; c++)
        for (int64_t kh = 0; kh < KH; kh++)
            for (int64_t kw = 0; kw < KW; kw++) {
                float *dst = col + ((c * KH + kh) * KW + kw) * OH * OW;
                int64_t off = kw * dw - pw;
                /* valid ow: 0 <= ow*sw + off < W */
                int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
                int64_t hi = W - off <= 0 ? 0 : (W - off + sw - 1) / sw;
                if (hi > OW)
                    hi = OW;
                if (lo > hi)
                    lo = hi;
                for (int64_t oh = 0; oh < OH; oh++, dst += OW) {
                    int64_t ih = oh * sh - ph + kh * dh;
                    if (ih < 0 || ih >= H) {
                        memset(dst, 0, sizeof(float) * (size_t)OW);
                        continue;
                    }
                    const float *src = x + (c * H + ih) * W + off;
                    for (int64_t ow = 0; ow < lo; ow++)
                        dst[ow] = 0.0f;
                    if (sw == 1) {
                        if (hi > lo)
                            memcpy(dst + lo, src + lo, sizeof(float) * (size_t)(hi - lo));
                    } else {
                        for (int64_t ow = lo; ow < hi; ow++)
                            dst[ow] = src[ow * sw];
                    }
                    for (int64_t ow = hi; ow < OW; ow++)
                        dst[ow] = 0.0f;
                }
            }
}

/* y[m, :] = b[m] for an M x S block (bias before an accumulating GEMM). */
DLCC_RT_FN void dlcc_fill_rows(float *restrict y, const float *restrict b, int64_t M, int64_t S) {
    for (int64_t m = 0; m < M; m++)
        for (int64_t s = 0; s < S; s++)
            y[m * S + s] = b[m];
}
