/*
 * conv_grad.h: the backward of runtime/conv.h's im2col for generated
 * training code.
 *
 * dlcc_col2im2d adds a (C * KH * KW) x (OH * OW) matrix of receptive-field
 * gradients back onto the image gradient dx[C, H, W] (which the caller has
 * zeroed or holds earlier contributions): the adjoint of dlcc_im2col2d, with
 * the same per-row valid spans so the inner loop has no bounds tests.
 * Together with dlcc_sgemm this gives the input gradient of a convolution:
 * col = W^T dY, then col2im.
 */
#include <stdint.h>

#ifndef DLCC_RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define DLCC_RT_FN static __attribute__((unused))
#else
#define DLCC_RT_FN static inline
#endif
#endif

DLCC_RT_FN void dlcc_col2im2d(const float *restrict col, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
                              int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH,
                              int64_t OW, float *restrict dx) {
    for (int64_t c = 0; c < C; c++)
        for (int64_t kh = 0; kh < KH; kh++)
            for (int64_t kw = 0; kw < KW; kw++) {
                const float *src = col + ((c * KH + kh) * KW + kw) * OH * OW;
                int64_t off = kw * dw - pw;
                int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
                int64_t hi = W - off <= 0 ? 0 : (W - off + sw - 1) / sw;
                if (hi > OW)
                    hi = OW;
                if (lo > hi)
                    lo = hi;
                for (int64_t oh = 0; oh < OH; oh++, src += OW) {
                    int64_t ih = oh * sh - ph + kh * dh;
                    if (ih < 0 || ih >= H)
                        continue;
                    float *dst = dx + (c * H + ih) * W + off;
                    if (sw == 1) {
                        for (int64_t ow = lo; ow < hi; ow++)
                            dst[ow] += src[ow];
                    } else {
                        for (int64_t ow = lo; ow < hi; ow++)
                            dst[ow * sw] += src[ow];
                    }
                }
            }
}
