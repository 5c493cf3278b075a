/*
 * shape_nn.h: window geometry shared by the convolution and pooling shape
 * functions (ir/shape_nn.c) and their emitters (codegen/emit_conv.c,
 * codegen/emit_pool.c), so both sides agree on pads and output sizes.
 */
#ifndef DLCC_SHAPE_NN_H
#define DLCC_SHAPE_NN_H

#include "ir.h"

#define NN_MAX_SPATIAL (DLCC_MAX_RANK - 2)

typedef struct NNWindow {
    int nsp;                        /* number of spatial dims */
    int64_t in[NN_MAX_SPATIAL];     /* input spatial sizes */
    int64_t k[NN_MAX_SPATIAL];      /* kernel */
    int64_t s[NN_MAX_SPATIAL];      /* strides */
    int64_t d[NN_MAX_SPATIAL];      /* dilations */
    int64_t pb[NN_MAX_SPATIAL];     /* pads at the beginning */
    int64_t pe[NN_MAX_SPATIAL];     /* pads at the end */
    int64_t out[NN_MAX_SPATIAL];    /* output spatial sizes */
} NNWindow;

/* Fills w for node n (Conv or a pool) whose data input x has layout
 * [N, C, spatial...].  kernel: the kernel sizes, or NULL to read the
 * kernel_shape attribute.  ceil_mode applies to pools.  Reports errors
 * with node_error when c is non-NULL. */
bool nn_window(const Node *n, const Value *x, const int64_t *kernel, bool ceil_mode, NNWindow *w, Ctx *c);

/* ConvTranspose geometry: in = input spatial sizes, out = output spatial
 * sizes, pb/pe the pads (from pads, or derived from output_shape/auto_pad),
 * k from W. */
bool nn_convtranspose_window(const Node *n, const Value *x, const Value *w, NNWindow *win, Ctx *c);

#endif
