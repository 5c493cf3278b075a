/*
 * emit_conv.c: the Conv kernel.
 *
 * f32 1-D and 2-D convolutions (except depthwise) become GEMMs, one per
 * image and group: Y[Mg, OH*OW] = W[Mg, Cg*KH*KW] * col[Cg*KH*KW, OH*OW],
 * where col is the im2col matrix built in scratch by runtime/conv.h, or
 * the input itself for a 1x1, stride-1, unpadded kernel.  A bias is written
 * into Y first and the GEMM accumulates onto it.  Everything else (other
 * dtypes, 3-D and up, depthwise) is a direct loop nest with the shapes as
 * constants: over outputs, then input channels of the group, then kernel
 * taps, skipping taps that land in the padding.  f32 2-D depthwise
 * convolutions (one input channel per group, any channel multiplier) have
 * their own row-wise kernel (emit_conv_depthwise2d).
 *
 * A Conv may carry an activation fused by passes/fuse.c (internal
 * attributes __act = "relu" | "leaky_relu" | "clip", __act_alpha,
 * __act_lo, __act_hi): the direct loop applies it to each accumulator
 * before the store, the GEMM path to each group's rows right after the
 * GEMM wrote them (while they are still in cache).
 */
#include "emit_nn.h"

#include "../ir/shape_nn.h"

#include <string.h>

/* "i0 * s1 * s2 + i1 * s2 + i2" for variables named pfx0.. over dims. */
static const char *nn_index(Arena *a, const char *pfx, const int64_t *dims, int n) {
    const char *s = "0";
    for (int i = 0; i < n; i++) {
        int64_t stride = nn_prod(dims, i + 1, n);
        s = i == 0 ? arena_printf(a, "%s%d * %lld", pfx, i, LL(stride))
                   : arena_printf(a, "%s + %s%d * %lld", s, pfx, i, LL(stride));
    }
    return s;
}

/* The fused activation of n applied to variable v of compute type T, as a
 * C expression, or NULL when n has none. */
static const char *conv_act_expr(Emit *e, const char *T, const char *v) {
    const Node *n = e->node;
    const char *act = attr_string(n, "__act", NULL);
    Arena *a = e->ctx->arena;
    if (!act)
        return NULL;
    if (!strcmp(act, "relu"))
        return arena_printf(a, "(%s > (%s)0 ? %s : (%s)0)", v, T, v, T);
    if (!strcmp(act, "leaky_relu"))
        return arena_printf(a, "(%s >= (%s)0 ? %s : (%s)%.17g * %s)", v, T, v, T, attr_float(n, "__act_alpha", 0.01), v);
    if (!strcmp(act, "clip"))
        return arena_printf(a, "(%s < (%s)%.17g ? (%s)%.17g : %s > (%s)%.17g ? (%s)%.17g : %s)", v, T,
                            attr_float(n, "__act_lo", 0), T, attr_float(n, "__act_lo", 0), v, T,
                            attr_float(n, "__act_hi", 0), T, attr_float(n, "__act_hi", 0), v);
    return NULL;
}

static bool emit_conv_direct(Emit *e, const NNWindow *w, int64_t group) {
    const Node *n = e->node;
    const Value *x = n->in[0], *wt = n->in[1], *b = n->n_in > 2 ? n->in[2] : NULL, *y = n->out[0];
    DType t = y->dtype;
    Arena *ar = e->ctx->arena;
    const char *T = dtype_ctype_compute(t);
    int nsp = w->nsp;
    int64_t N = x->dims[0], C = x->dims[1], M = y->dims[1], Cg = C / group, Mg = M / group;
    int64_t IS = nn_prod(w->in, 0, nsp), OS = nn_prod(w->out, 0, nsp), KK = nn_prod(w->k, 0, nsp);
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "    for (int64_t m = 0; m < %lld; m++) {\n", LL(M));
    emitf(e, "        const int64_t g = m / %lld;\n", LL(Mg));
    for (int d = 0; d < nsp; d++)
        emitf(e, "        for (int64_t o%d = 0; o%d < %lld; o%d++)\n", d, d, LL(w->out[d]), d);
    emitf(e, "        {\n");
    emitf(e, "            %s acc = %s;\n", T, b ? arena_printf(ar, "(%s)%s", T, emit_load(e, b->dtype, "x2", "m")) : "0");
    emitf(e, "            for (int64_t c = 0; c < %lld; c++) {\n", LL(Cg));
    emitf(e, "                const int64_t xc = (n * %lld + g * %lld + c) * %lld;\n", LL(C), LL(Cg), LL(IS));
    emitf(e, "                const int64_t wc = (m * %lld + c) * %lld;\n", LL(Cg), LL(KK));
    for (int d = 0; d < nsp; d++) {
        emitf(e, "                for (int64_t k%d = 0; k%d < %lld; k%d++) {\n", d, d, LL(w->k[d]), d);
        emitf(e, "                    const int64_t i%d = o%d * %lld - %lld + k%d * %lld;\n", d, d, LL(w->s[d]),
              LL(w->pb[d]), d, LL(w->d[d]));
        emitf(e, "                    if (i%d < 0 || i%d >= %lld)\n                        continue;\n", d, d,
              LL(w->in[d]));
    }
    const char *xi = arena_printf(ar, "xc + %s", nn_index(ar, "i", w->in, nsp));
    const char *wi = arena_printf(ar, "wc + %s", nn_index(ar, "k", w->k, nsp));
    emitf(e, "                    acc += (%s)%s * (%s)%s;\n", T, emit_load(e, x->dtype, "x0", xi), T,
          emit_load(e, wt->dtype, "x1", wi));
    for (int d = 0; d < nsp; d++)
        emitf(e, "                }\n");
    emitf(e, "            }\n");
    const char *act = conv_act_expr(e, T, "acc");
    if (act)
        emitf(e, "            acc = %s;\n", act);
    e->indent = 3;
    emit_store(e, t, "y0", arena_printf(ar, "(n * %lld + m) * %lld + %s", LL(M), LL(OS), nn_index(ar, "o", w->out, nsp)),
               "acc");
    e->indent = 1;
    emitf(e, "        }\n    }\n");
    return true;
}

/* Depthwise f32 2-D convolution (one input channel per group): for every
 * output row, the bias, then for each kernel tap a multiply-add of a
 * contiguous run of the output row with a (strided) run of one input row.
 * The runs' bounds are compile-time constants per tap, so the inner loops
 * have no padding tests and vectorise; the row stays in L1 across taps.
 * A fused activation is applied to the row after its last tap. */
static bool emit_conv_depthwise2d(Emit *e, const NNWindow *w, int64_t group) {
    const Node *n = e->node;
    const Value *x = n->in[0], *b = n->n_in > 2 ? n->in[2] : NULL, *y = n->out[0];
    int64_t N = x->dims[0], C = x->dims[1], M = y->dims[1], Mg = M / group;
    int64_t H = w->in[0], W = w->in[1], KH = w->k[0], KW = w->k[1], OH = w->out[0], OW = w->out[1];
    int64_t sh = w->s[0], sw = w->s[1], dh = w->d[0], dw = w->d[1], ph = w->pb[0], pw = w->pb[1];
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "    for (int64_t m = 0; m < %lld; m++) {\n", LL(M));
    emitf(e, "        const float *restrict xp = x0 + (n * %lld + m / %lld) * %lld;\n", LL(C), LL(Mg), LL(H * W));
    emitf(e, "        const float *restrict wp = x1 + m * %lld;\n", LL(KH * KW));
    emitf(e, "        float *restrict yp = y0 + (n * %lld + m) * %lld;\n", LL(M), LL(OH * OW));
    emitf(e, "        const float bias = %s;\n", b ? "x2[m]" : "0.0f");
    emitf(e, "        for (int64_t oh = 0; oh < %lld; oh++) {\n", LL(OH));
    emitf(e, "            float *restrict yr = yp + oh * %lld;\n", LL(OW));
    emitf(e, "            for (int64_t ow = 0; ow < %lld; ow++)\n                yr[ow] = bias;\n", LL(OW));
    emitf(e, "            for (int64_t kh = 0; kh < %lld; kh++) {\n", LL(KH));
    emitf(e, "                const int64_t ih = oh * %lld - %lld + kh * %lld;\n", LL(sh), LL(ph), LL(dh));
    emitf(e, "                if (ih < 0 || ih >= %lld)\n                    continue;\n", LL(H));
    emitf(e, "                const float *restrict xr = xp + ih * %lld;\n", LL(W));
    for (int64_t kw = 0; kw < KW; kw++) {
        int64_t off = kw * dw - pw; /* valid ow: 0 <= ow * sw + off < W */
        int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
        int64_t hi = W - off <= 0 ? 0 : (W - off + sw - 1) / sw;
        if (hi > OW)
            hi = OW;
        if (lo >= hi)
            continue;
        emitf(e, "                {\n                    const float wv = wp[kh * %lld + %lld];\n", LL(KW), LL(kw));
        emitf(e, "                    for (int64_t ow = %lld; ow < %lld; ow++)\n", LL(lo), LL(hi));
        emitf(e, "                        yr[ow] += wv * xr[ow * %lld + %lld];\n                }\n", LL(sw), LL(off));
    }
    emitf(e, "            }\n");
    const char *act = conv_act_expr(e, "float", "v");
    if (act) {
        emitf(e, "            for (int64_t ow = 0; ow < %lld; ow++) {\n", LL(OW));
        emitf(e, "                const float v = yr[ow];\n                yr[ow] = %s;\n            }\n", act);
    }
    emitf(e, "        }\n    }\n");
    return true;
}

bool emit_conv(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *wt = n->in[1], *b = n->n_in > 2 ? n->in[2] : NULL, *y = n->out[0];
    int64_t group = attr_int(n, "group", 1);
    int nsp = x->rank - 2;
    NNWindow w;
    if (!nn_window(n, x, wt->dims + 2, false, &w, e->ctx))
        return false;
    if (value_numel(y) == 0)
        return true;
    int64_t N = x->dims[0], C = x->dims[1], M = y->dims[1], Cg = C / group, Mg = M / group;
    bool f32 = y->dtype == DT_F32 && x->dtype == DT_F32 && wt->dtype == DT_F32 && (!b || b->dtype == DT_F32);
    if (f32 && nsp == 2 && Cg == 1 && group > 1)
        return emit_conv_depthwise2d(e, &w, group);
    if (!f32 || nsp > 2 || (Cg == 1 && Mg == 1 && group > 1))
        return emit_conv_direct(e, &w, group);

    int64_t IS = nn_prod(w.in, 0, nsp), OS = nn_prod(w.out, 0, nsp), KK = nn_prod(w.k, 0, nsp);
    bool pointwise = KK == 1;
    for (int d = 0; d < nsp; d++)
        if (w.s[d] != 1 || w.pb[d] || w.pe[d])
            pointwise = false;
    emit_use_runtime(e, "gemm");
    emit_use_runtime(e, "conv");
    const char *col = pointwise ? NULL : emit_scratch(e, (size_t)(Cg * KK * OS) * sizeof(float));
    const char *pack = emit_scratch(e, nn_sgemm_pack_bytes(Mg, OS, Cg * KK));
    if (col)
        emitf(e, "    float *col = (float *)%s;\n", col);
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "        for (int64_t g = 0; g < %lld; g++) {\n", LL(group));
    emitf(e, "            const float *xs = x0 + (n * %lld + g * %lld) * %lld;\n", LL(C), LL(Cg), LL(IS));
    emitf(e, "            float *ys = y0 + (n * %lld + g * %lld) * %lld;\n", LL(M), LL(Mg), LL(OS));
    if (col) {
        int h = nsp == 2 ? 0 : -1, v = nsp - 1;
#define AT(arr, i, dflt) ((i) >= 0 ? (arr)[i] : (dflt))
        emitf(e,
              "            dlcc_im2col2d(xs, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, "
              "%lld, col);\n",
              LL(Cg), LL(AT(w.in, h, 1)), LL(w.in[v]), LL(AT(w.k, h, 1)), LL(w.k[v]), LL(AT(w.s, h, 1)), LL(w.s[v]),
              LL(AT(w.pb, h, 0)), LL(w.pb[v]), LL(AT(w.d, h, 1)), LL(w.d[v]), LL(AT(w.out, h, 1)), LL(w.out[v]));
#undef AT
    }
    if (b)
        emitf(e, "            dlcc_fill_rows(ys, x2 + g * %lld, %lld, %lld);\n", LL(Mg), LL(Mg), LL(OS));
    emitf(e,
          "            dlcc_sgemm(%lld, %lld, %lld, 1.0f, x1 + g * %lld, %lld, 1, %s, %lld, 1, %s, ys, %lld, (float *)%s);\n",
          LL(Mg), LL(OS), LL(Cg * KK), LL(Mg * Cg * KK), LL(Cg * KK), col ? "col" : "xs", LL(OS), b ? "1.0f" : "0.0f",
          LL(OS), pack);
    const char *act = conv_act_expr(e, "float", "v");
    if (act) {
        emitf(e, "            for (int64_t i = 0; i < %lld; i++) {\n", LL(Mg * OS));
        emitf(e, "                const float v = ys[i];\n");
        emitf(e, "                ys[i] = %s;\n", act);
        emitf(e, "            }\n");
    }
    emitf(e, "        }\n");
    return true;
}

/* ConvTranspose, as a scatter: every input element adds its products with
 * the kernel into the output window it spreads over (o = i*s - pad + k*d). */
bool emit_convtranspose(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *wt = n->in[1], *b = n->n_in > 2 ? n->in[2] : NULL, *y = n->out[0];
    DType t = y->dtype;
    Arena *ar = e->ctx->arena;
    const char *T = dtype_ctype_compute(t);
    int64_t group = attr_int(n, "group", 1);
    NNWindow w;
    if (!nn_convtranspose_window(n, x, wt, &w, e->ctx))
        return false;
    if (value_numel(y) == 0)
        return true;
    int nsp = w.nsp;
    int64_t N = x->dims[0], C = x->dims[1], M = y->dims[1], Cg = C / group, Mg = M / group;
    int64_t IS = nn_prod(w.in, 0, nsp), OS = nn_prod(w.out, 0, nsp), KK = nn_prod(w.k, 0, nsp);
    emitf(e, "    for (int64_t nm = 0; nm < %lld; nm++)\n", LL(N * M));
    emitf(e, "        for (int64_t o = 0; o < %lld; o++) {\n", LL(OS));
    e->indent = 3;
    emit_store(e, t, "y0", arena_printf(ar, "nm * %lld + o", LL(OS)), "0");
    e->indent = 1;
    emitf(e, "        }\n");
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "    for (int64_t ci = 0; ci < %lld; ci++) {\n", LL(C));
    emitf(e, "        const int64_t g = ci / %lld;\n", LL(Cg));
    for (int d = 0; d < nsp; d++)
        emitf(e, "        for (int64_t i%d = 0; i%d < %lld; i%d++)\n", d, d, LL(w.in[d]), d);
    emitf(e, "        {\n");
    emitf(e, "            const %s xv = %s;\n", T,
          emit_load(e, x->dtype, "x0", arena_printf(ar, "(n * %lld + ci) * %lld + %s", LL(C), LL(IS), nn_index(ar, "i", w.in, nsp))));
    emitf(e, "            for (int64_t m = 0; m < %lld; m++) {\n", LL(Mg));
    emitf(e, "                const int64_t wb = (ci * %lld + m) * %lld;\n", LL(Mg), LL(KK));
    emitf(e, "                const int64_t yb = (n * %lld + g * %lld + m) * %lld;\n", LL(M), LL(Mg), LL(OS));
    for (int d = 0; d < nsp; d++) {
        emitf(e, "                for (int64_t k%d = 0; k%d < %lld; k%d++) {\n", d, d, LL(w.k[d]), d);
        emitf(e, "                    const int64_t o%d = i%d * %lld - %lld + k%d * %lld;\n", d, d, LL(w.s[d]),
              LL(w.pb[d]), d, LL(w.d[d]));
        emitf(e, "                    if (o%d < 0 || o%d >= %lld)\n                        continue;\n", d, d,
              LL(w.out[d]));
    }
    const char *yi = arena_printf(ar, "yb + %s", nn_index(ar, "o", w.out, nsp));
    e->indent = 5;
    emit_store(e, t, "y0", yi,
               arena_printf(ar, "(%s)((%s)%s + xv * (%s)%s)", T, T, emit_load(e, t, "y0", yi), T,
                            emit_load(e, wt->dtype, "x1", arena_printf(ar, "wb + %s", nn_index(ar, "k", w.k, nsp)))));
    e->indent = 1;
    for (int d = 0; d < nsp; d++)
        emitf(e, "                }\n");
    emitf(e, "            }\n        }\n    }\n");
    if (b) {
        emitf(e, "    for (int64_t nm = 0; nm < %lld; nm++)\n", LL(N * M));
        emitf(e, "        for (int64_t o = 0; o < %lld; o++) {\n", LL(OS));
        e->indent = 3;
        emit_store(e, t, "y0", arena_printf(ar, "nm * %lld + o", LL(OS)),
                   arena_printf(ar, "(%s)((%s)%s + (%s)%s)", T, T, emit_load(e, t, "y0", arena_printf(ar, "nm * %lld + o", LL(OS))), T,
                                emit_load(e, b->dtype, "x2", arena_printf(ar, "nm %% %lld", LL(M)))));
        e->indent = 1;
        emitf(e, "        }\n");
    }
    return true;
}
