/*
 * shape_misc.h: compile-time plans shared by the shape functions and the
 * emitters of the quantization (ir/shape_quant.c, codegen/emit_quant.c) and
 * miscellaneous (ir/shape_misc.c, codegen/emit_misc.c) operators, so that a
 * kernel and its shape never disagree.
 */
#ifndef DLCC_SHAPE_MISC_H
#define DLCC_SHAPE_MISC_H

#include "ir.h"

/* Where the scale / zero point of element (o, a, i) of a quantized tensor
 * viewed as [outer, len, inner] around `axis` lives:
 *   per tensor: 0;  per axis: a;  blocked: (o * nblk + a / block) * inner + i. */
typedef struct QuantLayout {
    int kind;           /* 0 per tensor, 1 per axis, 2 blocked */
    int axis;
    int64_t outer, len, inner, block, nblk;
} QuantLayout;

/* Layout of scale for data x (axis and block_size attributes of n). */
bool quant_layout(const Node *n, const Value *x, const Value *scale, QuantLayout *q, Ctx *c);
/* float8 kind of runtime/half.h (0 e4m3fn, 1 e4m3fnuz, 2 e5m2, 3 e5m2fnuz), -1 otherwise. */
int quant_f8_kind(DType t);
/* Saturation range of an integer quantized type. */
void quant_int_range(DType t, int64_t *lo, int64_t *hi);
/* Whether t is a supported quantized storage type. */
bool quant_type_ok(DType t);

/* Batched matrix product geometry with numpy broadcasting of batch dims
 * (MatMulInteger, QLinearMatMul). a_off[b] / b_off[b]: element offsets of
 * the operands' matrices for output batch b. */
typedef struct MatGeom {
    int64_t m, k, n, batch;
    int64_t *a_off, *b_off;
    int rank;           /* output rank */
    int64_t dims[DLCC_MAX_RANK];
} MatGeom;

bool quant_matmul_geom(const Node *n, const Value *a, const Value *b, MatGeom *g, Arena *arena, Ctx *c);

/* Resize / Upsample: per axis, for each output index, taps (input index,
 * weight) and whether the output is outside the crop (extrapolation). */
typedef struct ResizeAxis {
    int64_t in, out;
    int taps;           /* taps per output index */
    int64_t *idx;       /* [out * taps] input indices (clamped) */
    double *w;          /* [out * taps] */
    unsigned char *ext; /* [out]: extrapolate */
} ResizeAxis;

typedef struct ResizePlan {
    int rank;
    int64_t out_dims[DLCC_MAX_RANK];
    ResizeAxis ax[DLCC_MAX_RANK];
    double extrapolation;
    bool any_ext;
} ResizePlan;

/* Output dims only (arena NULL) or the full plan. */
bool resize_plan(const Node *n, Arena *arena, ResizePlan *p, Ctx *c);

/* DFT: transform axis and length; STFT: frame step, length and count;
 * CenterCropPad: output dims (ir/shape_misc.c). */
bool dft_params(const Node *n, const Value *x, int *axis, int64_t *len, Ctx *c);
bool stft_params(const Node *n, int64_t *step, int64_t *flen, int64_t *frames, Ctx *c);
bool center_crop_pad_dims(const Node *n, int64_t *out, Ctx *c);
/* Kernel of ops whose outputs the shape function computed (codegen/emit_misc.c). */
bool emit_known_outputs(Emit *e);

#endif
