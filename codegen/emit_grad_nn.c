/*
 * emit_grad_nn.c: kernels of the backward helpers of convolution, pooling,
 * normalisation and dropout (ir/ops_grad.def), f32 and f64.
 *
 * Convolution.  The input gradient of an f32 1-D/2-D convolution is, per
 * image and group, one GEMM col = W_g^T dY_g into scratch followed by
 * col2im (runtime/conv_grad.h) onto dx, or a GEMM straight into dx for a
 * pointwise kernel; the weight gradient is dW_g += dY_g col^T with col the
 * im2col of the input (runtime/conv.h).  Both use the runtime GEMM with
 * strides, so no transpose is materialised.  Other cases (f64, depthwise,
 * 3-D) are direct loop nests that scatter, with the same tap arithmetic as
 * the forward kernel.  Window geometry comes from nn_window() on the
 * forward attributes, copied onto the helper node.
 *
 * Pools recompute the forward window: MaxPool sends dy to the first
 * maximal tap (the one the forward kernel picks), AveragePool spreads dy
 * over the taps it averaged.  BatchNormTrain and the two norm gradients are
 * two-pass loops per channel / row.  Dropout draws its mask from
 * runtime/philox.h; compiling the generated file with
 * -DPREFIX_DROPOUT_HOOK=fn replaces the draw by `int fn(int id, int64_t
 * step, int64_t i)` (nonzero: keep element i), the test hook for injected
 * masks (tests/grad/dropout_hook.py checks it).  InstanceNormGrad is the
 * per-(n, c) form of the normalisation gradient; LRNGrad recomputes each
 * channel window's sum of squares and scatters over the same window;
 * ResizeGrad scatters dy onto the taps of the forward's Resize plan.
 */
#include "emit_nn.h"

#include "../ir/shape_misc.h"
#include "../ir/shape_nn.h"

#include <string.h>

static bool nn_grad_dtype_ok(Emit *e, DType t) {
    if (t == DT_F32 || t == DT_F64)
        return true;
    return emit_error(e, "training in %s is not supported (f32 and f64 are)", dtype_name(t));
}

/* "i0 * s1 * s2 + i1 * s2 + i2" for variables pfx0.. over dims. */
static const char *grad_nn_index(Arena *a, const char *pfx, const int64_t *dims, int n) {
    const char *s = "0";
    for (int i = 0; i < n; i++) {
        int64_t stride = nn_prod(dims, i + 1, n);
        s = i == 0 ? arena_printf(a, "%s%d * %lld", pfx, i, LL(stride))
                   : arena_printf(a, "%s + %s%d * %lld", s, pfx, i, LL(stride));
    }
    return s;
}

/* A Value with the dims of the node's `shape` attribute (for nn_window). */
static bool value_from_shape_attr(const Node *n, Value *v) {
    memset(v, 0, sizeof *v);
    v->rank = attr_ints(n, "shape", v->dims, DLCC_MAX_RANK);
    return v->rank >= 3;
}

/* ---------------------------------------------------------------- convolution */

typedef enum ConvWrt { WRT_INPUT, WRT_WEIGHT } ConvWrt;

/* Direct loops: over n, m, output positions, c of the group, taps. */
static void emit_conv_grad_direct(Emit *e, ConvWrt wrt, const NNWindow *w, const Value *x, const Value *wt,
                                  int64_t group, int64_t M) {
    Arena *ar = e->ctx->arena;
    const char *T = dtype_ctype(e->node->out[0]->dtype);
    int nsp = w->nsp;
    int64_t N = x->dims[0], C = x->dims[1], Cg = C / group, Mg = M / group;
    int64_t IS = nn_prod(w->in, 0, nsp), OS = nn_prod(w->out, 0, nsp), KK = nn_prod(w->k, 0, nsp);
    (void)wt;
    emitf(e, "    memset(y0, 0, sizeof(%s) * %lld);\n", T,
          LL(wrt == WRT_INPUT ? value_numel(x) : M * Cg * KK));
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "    for (int64_t m = 0; m < %lld; m++) {\n", LL(M));
    emitf(e, "        const int64_t g = m / %lld;\n", LL(Mg));
    for (int d = 0; d < nsp; d++)
        emitf(e, "        for (int64_t o%d = 0; o%d < %lld; o%d++)\n", d, d, LL(w->out[d]), d);
    emitf(e, "        {\n");
    emitf(e, "            const %s gy = x0[(n * %lld + m) * %lld + %s];\n", T, LL(M), LL(OS),
          grad_nn_index(ar, "o", w->out, nsp));
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
    const char *xi = arena_printf(ar, "xc + %s", grad_nn_index(ar, "i", w->in, nsp));
    const char *wi = arena_printf(ar, "wc + %s", grad_nn_index(ar, "k", w->k, nsp));
    if (wrt == WRT_INPUT)
        emitf(e, "                    y0[%s] += gy * x1[%s];\n", xi, wi);
    else
        emitf(e, "                    y0[%s] += gy * x1[%s];\n", wi, xi);
    for (int d = 0; d < nsp; d++)
        emitf(e, "                }\n");
    emitf(e, "            }\n        }\n    }\n");
}

static bool emit_conv_grad(Emit *e, ConvWrt wrt) {
    const Node *n = e->node;
    const Value *dy = n->in[0], *other = n->in[1], *out = n->out[0];
    if (!nn_grad_dtype_ok(e, out->dtype))
        return false;
    Value shaped;
    if (!value_from_shape_attr(n, &shaped))
        return emit_error(e, "bad 'shape' attribute");
    const Value *x = wrt == WRT_INPUT ? &shaped : other, *wt = wrt == WRT_INPUT ? other : &shaped;
    int64_t group = attr_int(n, "group", 1);
    int nsp = x->rank - 2;
    NNWindow w;
    if (!nn_window(n, x, wt->dims + 2, false, &w, e->ctx))
        return false;
    int64_t M = dy->dims[1];
    if (value_numel(out) == 0)
        return true;
    int64_t N = x->dims[0], C = x->dims[1], Cg = C / group, Mg = M / group;
    bool depthwise = Cg == 1 && Mg == 1 && group > 1;
    if (out->dtype != DT_F32 || nsp > 2 || depthwise) {
        emit_conv_grad_direct(e, wrt, &w, x, wt, group, M);
        return true;
    }
    int64_t IS = nn_prod(w.in, 0, nsp), OS = nn_prod(w.out, 0, nsp), KK = nn_prod(w.k, 0, nsp), CK = Cg * KK;
    bool pointwise = KK == 1;
    for (int d = 0; d < nsp; d++)
        if (w.s[d] != 1 || w.pb[d] || w.pe[d])
            pointwise = false;
    emit_use_runtime(e, "gemm");
    emit_use_runtime(e, "conv");
    emit_use_runtime(e, "conv_grad");
    const char *col = pointwise ? NULL : emit_scratch(e, (size_t)(CK * OS) * sizeof(float));
    const char *pack = wrt == WRT_INPUT ? emit_scratch(e, nn_sgemm_pack_bytes(CK, OS, Mg))
                                        : emit_scratch(e, nn_sgemm_pack_bytes(Mg, CK, OS));
    if (col)
        emitf(e, "    float *col = (float *)%s;\n", col);
    int h = nsp == 2 ? 0 : -1, v = nsp - 1;
#define AT(arr, i, dflt) ((i) >= 0 ? (arr)[i] : (dflt))
    const char *geom = arena_printf(e->ctx->arena, "%lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld, %lld",
                                    LL(Cg), LL(AT(w.in, h, 1)), LL(w.in[v]), LL(AT(w.k, h, 1)), LL(w.k[v]),
                                    LL(AT(w.s, h, 1)), LL(w.s[v]), LL(AT(w.pb, h, 0)), LL(w.pb[v]), LL(AT(w.d, h, 1)),
                                    LL(w.d[v]), LL(AT(w.out, h, 1)), LL(w.out[v]));
#undef AT
    if (wrt == WRT_INPUT) {
        if (col)
            emitf(e, "    memset(y0, 0, %zu);\n", value_bytes(out));
        emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
        emitf(e, "        for (int64_t g = 0; g < %lld; g++) {\n", LL(group));
        emitf(e, "            const float *dys = x0 + (n * %lld + g * %lld) * %lld;\n", LL(M), LL(Mg), LL(OS));
        emitf(e, "            float *dxs = y0 + (n * %lld + g * %lld) * %lld;\n", LL(C), LL(Cg), LL(IS));
        /* A = W_g^T: element (ck, m) at w[(g Mg + m) CK + ck]. */
        emitf(e, "            dlcc_sgemm(%lld, %lld, %lld, 1.0f, x1 + g * %lld, 1, %lld, dys, %lld, 1, 0.0f, %s, %lld, "
                 "(float *)%s);\n",
              LL(CK), LL(OS), LL(Mg), LL(Mg * CK), LL(CK), LL(OS), col ? "col" : "dxs", LL(OS), pack);
        if (col)
            emitf(e, "            dlcc_col2im2d(col, %s, dxs);\n", geom);
        emitf(e, "        }\n");
    } else {
        emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
        emitf(e, "        for (int64_t g = 0; g < %lld; g++) {\n", LL(group));
        emitf(e, "            const float *xs = x1 + (n * %lld + g * %lld) * %lld;\n", LL(C), LL(Cg), LL(IS));
        emitf(e, "            const float *dys = x0 + (n * %lld + g * %lld) * %lld;\n", LL(M), LL(Mg), LL(OS));
        if (col)
            emitf(e, "            dlcc_im2col2d(xs, %s, col);\n", geom);
        /* B = col^T: element (s, ck) at col[ck OS + s]. */
        emitf(e, "            dlcc_sgemm(%lld, %lld, %lld, 1.0f, dys, %lld, 1, %s, 1, %lld, n == 0 ? 0.0f : 1.0f, "
                 "y0 + g * %lld, %lld, (float *)%s);\n",
              LL(Mg), LL(CK), LL(OS), LL(OS), col ? "col" : "xs", LL(OS), LL(Mg * CK), LL(CK), pack);
        emitf(e, "        }\n");
    }
    return true;
}

bool emit_conv_grad_input(Emit *e) { return emit_conv_grad(e, WRT_INPUT); }
bool emit_conv_grad_weight(Emit *e) { return emit_conv_grad(e, WRT_WEIGHT); }

/* ---------------------------------------------------------------- pooling */

bool emit_pool_grad(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[1], *dy = n->in[0];
    DType t = x->dtype;
    if (!nn_grad_dtype_ok(e, t))
        return false;
    Arena *ar = e->ctx->arena;
    bool is_max = !strcmp(attr_string(n, "mode", "max"), "max");
    NNWindow w;
    if (!nn_window(n, x, NULL, attr_int(n, "ceil_mode", 0) != 0, &w, e->ctx))
        return false;
    const char *T = dtype_ctype(t);
    int nsp = w.nsp;
    int64_t NC = x->dims[0] * x->dims[1], IS = nn_prod(w.in, 0, nsp), OS = nn_prod(w.out, 0, nsp);
    if (OS != nn_prod(dy->dims, 2, dy->rank))
        return emit_error(e, "pool gradient: output size mismatch");
    bool include_pad = attr_int(n, "count_include_pad", 0) != 0;
    emitf(e, "    memset(y0, 0, %zu);\n", value_bytes(x));
    if (value_numel(dy) == 0)
        return true;
    emitf(e, "    for (int64_t nc = 0; nc < %lld; nc++) {\n", LL(NC));
    emitf(e, "        const int64_t xb = nc * %lld;\n", LL(IS));
    for (int d = 0; d < nsp; d++)
        emitf(e, "        for (int64_t o%d = 0; o%d < %lld; o%d++)\n", d, d, LL(w.out[d]), d);
    emitf(e, "        {\n");
    emitf(e, "            const %s gy = x0[nc * %lld + %s];\n", T, LL(OS), grad_nn_index(ar, "o", w.out, nsp));
    const char *idx = grad_nn_index(ar, "i", w.in, nsp);
    /* pass 0: find the max / count the taps; pass 1 (avg): spread */
    for (int pass = 0; pass < (is_max ? 1 : 2); pass++) {
        if (pass == 0 && is_max)
            emitf(e, "            %s best = 0;\n            int64_t bi = -1;\n", T);
        else if (pass == 0)
            emitf(e, "            int64_t cnt = 0, cntp = 0;\n            (void)cnt;\n            (void)cntp;\n");
        else
            emitf(e, "            const %s share = %s > 0 ? gy / (%s)%s : (%s)0;\n", T, include_pad ? "cntp" : "cnt",
                  T, include_pad ? "cntp" : "cnt", T);
        for (int d = 0; d < nsp; d++) {
            emitf(e, "            for (int64_t k%d = 0; k%d < %lld; k%d++) {\n", d, d, LL(w.k[d]), d);
            emitf(e, "                const int64_t i%d = o%d * %lld - %lld + k%d * %lld;\n", d, d, LL(w.s[d]),
                  LL(w.pb[d]), d, LL(w.d[d]));
            if (!is_max) {
                emitf(e, "                if (i%d < %lld || i%d >= %lld)\n                    continue;\n", d,
                      LL(-w.pb[d]), d, LL(w.in[d] + w.pe[d]));
                emitf(e, "                const int inside%d = %s(i%d >= 0 && i%d < %lld);\n", d,
                      d == 0 ? "" : arena_printf(ar, "inside%d && ", d - 1), d, d, LL(w.in[d]));
            } else {
                emitf(e, "                if (i%d < 0 || i%d >= %lld)\n                    continue;\n", d, d,
                      LL(w.in[d]));
            }
        }
        if (is_max) {
            emitf(e, "                const %s v = x1[xb + %s];\n", T, idx);
            emitf(e, "                if (bi < 0 || v > best) {\n                    best = v;\n");
            emitf(e, "                    bi = %s;\n                }\n", idx);
        } else if (pass == 0) {
            emitf(e, "                cntp++;\n                cnt += inside%d;\n", nsp - 1);
        } else {
            emitf(e, "                if (inside%d)\n                    y0[xb + %s] += share;\n", nsp - 1, idx);
        }
        for (int d = 0; d < nsp; d++)
            emitf(e, "            }\n");
    }
    if (is_max)
        emitf(e, "            if (bi >= 0)\n                y0[xb + bi] += gy;\n");
    emitf(e, "        }\n    }\n");
    return true;
}

/* ---------------------------------------------------------------- BatchNormalization */

/* x0 x [N, C, S], x1 scale, x2 bias, x3 running mean, x4 running var ->
 * y0 y, y1 mean, y2 invstd, y3 running mean', y4 running var'. */
bool emit_batchnorm_train(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    if (!nn_grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    int64_t N = x->dims[0], C = x->dims[1], S = nn_prod(x->dims, 2, x->rank), cnt = N * S;
    double eps = attr_float(n, "epsilon", 1e-5), mom = attr_float(n, "momentum", 0.9);
    const char *sq = t == DT_F32 ? "sqrtf" : "sqrt";
    emitf(e, "    for (int64_t c = 0; c < %lld; c++) {\n", LL(C));
    emitf(e, "        %s s = 0, v = 0;\n", T);
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n            for (int64_t k = 0; k < %lld; k++)\n", LL(N),
          LL(S));
    emitf(e, "                s += x0[(i * %lld + c) * %lld + k];\n", LL(C), LL(S));
    emitf(e, "        const %s mean = s / (%s)%lld;\n", T, T, LL(cnt));
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n            for (int64_t k = 0; k < %lld; k++) {\n", LL(N),
          LL(S));
    emitf(e, "                const %s d = x0[(i * %lld + c) * %lld + k] - mean;\n                v += d * d;\n"
             "            }\n", T, LL(C), LL(S));
    emitf(e, "        const %s var = v / (%s)%lld;\n", T, T, LL(cnt));
    emitf(e, "        const %s inv = (%s)1 / %s(var + %s);\n", T, T, sq, emit_literal(e, t, eps));
    emitf(e, "        const %s a = x1[c] * inv, b = x2[c] - mean * a;\n", T);
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n            for (int64_t k = 0; k < %lld; k++) {\n", LL(N),
          LL(S));
    emitf(e, "                const int64_t j = (i * %lld + c) * %lld + k;\n                y0[j] = x0[j] * a + b;\n"
             "            }\n", LL(C), LL(S));
    emitf(e, "        y1[c] = mean;\n        y2[c] = inv;\n");
    emitf(e, "        y3[c] = x3[c] * %s + mean * %s;\n", emit_literal(e, t, mom), emit_literal(e, t, 1 - mom));
    emitf(e, "        y4[c] = x4[c] * %s + var * %s * %s;\n    }\n", emit_literal(e, t, mom),
          emit_literal(e, t, cnt > 1 ? (double)cnt / (double)(cnt - 1) : 1.0), emit_literal(e, t, 1 - mom));
    return true;
}

/* x0 dy, x1 x, x2 scale, x3 mean, x4 invstd -> y0 dx, y1 dscale, y2 dbias. */
bool emit_batchnorm_grad(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[1];
    DType t = x->dtype;
    if (!nn_grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    int64_t N = x->dims[0], C = x->dims[1], S = nn_prod(x->dims, 2, x->rank), cnt = N * S;
    const char *J = arena_printf(e->ctx->arena, "(i * %lld + c) * %lld + k", LL(C), LL(S));
    emitf(e, "    for (int64_t c = 0; c < %lld; c++) {\n", LL(C));
    emitf(e, "        const %s mean = x3[c], inv = x4[c];\n        %s sg = 0, sgx = 0;\n", T, T);
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n            for (int64_t k = 0; k < %lld; k++) {\n", LL(N),
          LL(S));
    emitf(e, "                const int64_t j = %s;\n", J);
    emitf(e, "                sg += x0[j];\n                sgx += x0[j] * (x1[j] - mean);\n            }\n");
    emitf(e, "        sgx *= inv;\n        y1[c] = sgx;\n        y2[c] = sg;\n");
    emitf(e, "        const %s f = x2[c] * inv / (%s)%lld, mg = sg, mx = sgx * inv;\n", T, T, LL(cnt));
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n            for (int64_t k = 0; k < %lld; k++) {\n", LL(N),
          LL(S));
    emitf(e, "                const int64_t j = %s;\n", J);
    emitf(e, "                y0[j] = f * ((%s)%lld * x0[j] - mg - (x1[j] - mean) * mx);\n            }\n    }\n", T,
          LL(cnt));
    return true;
}

/* ---------------------------------------------------------------- LayerNormalization */

/* x0 dy, x1 x, x2 scale -> y0 dx, y1 dscale [D], y2 dbias [D]. */
bool emit_layernorm_grad(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[1], *sc = n->in[2];
    DType t = x->dtype;
    if (!nn_grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    int64_t R = nn_prod(x->dims, 0, axis), D = nn_prod(x->dims, axis, x->rank);
    const char *si = value_numel(sc) == 1 ? "0" : "d";
    double eps = attr_float(n, "epsilon", 1e-5);
    emitf(e, "    for (int64_t d = 0; d < %lld; d++)\n        y1[d] = y2[d] = 0;\n", LL(D));
    emitf(e, "    for (int64_t r = 0; r < %lld; r++) {\n", LL(R));
    emitf(e, "        const %s *xr = x1 + r * %lld, *gr = x0 + r * %lld;\n        %s *dr = y0 + r * %lld;\n", T,
          LL(D), LL(D), T, LL(D));
    emitf(e, "        %s s = 0, v = 0, a = 0, b = 0;\n", T);
    emitf(e, "        for (int64_t d = 0; d < %lld; d++)\n            s += xr[d];\n", LL(D));
    emitf(e, "        const %s mean = s / (%s)%lld;\n", T, T, LL(D));
    emitf(e, "        for (int64_t d = 0; d < %lld; d++)\n            v += (xr[d] - mean) * (xr[d] - mean);\n", LL(D));
    emitf(e, "        const %s inv = (%s)1 / %s(v / (%s)%lld + %s);\n", T, T, t == DT_F32 ? "sqrtf" : "sqrt", T, LL(D),
          emit_literal(e, t, eps));
    emitf(e, "        for (int64_t d = 0; d < %lld; d++) {\n", LL(D));
    emitf(e, "            const %s xh = (xr[d] - mean) * inv, g = gr[d] * x2[%s];\n", T, si);
    emitf(e, "            a += g;\n            b += g * xh;\n");
    emitf(e, "            y1[d] += gr[d] * xh;\n            y2[d] += gr[d];\n        }\n");
    emitf(e, "        a /= (%s)%lld;\n        b /= (%s)%lld;\n", T, LL(D), T, LL(D));
    emitf(e, "        for (int64_t d = 0; d < %lld; d++)\n", LL(D));
    emitf(e, "            dr[d] = inv * (gr[d] * x2[%s] - a - (xr[d] - mean) * inv * b);\n    }\n", si);
    return true;
}

/* ---------------------------------------------------------------- Dropout */

static bool emit_dropout_common(Emit *e, bool backward) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    if (!nn_grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    double ratio = attr_float(n, "ratio", 0.5);
    int64_t seed = attr_int(n, "seed", 0), id = attr_int(n, "id", 0), cnt = value_numel(x);
    double thr = ratio * 4294967296.0;
    if (thr > 4294967295.0)
        thr = 4294967295.0;
    bool mask = !backward && n->n_out > 1 && n->out[1];
    const char *hook = arena_printf(e->ctx->arena, "%s_DROPOUT_HOOK", codegen_prefix_upper(e->cg));
    emit_use_runtime(e, "philox");
    emitf(e, "    const uint64_t step = (uint64_t)x1[0];\n");
    emitf(e, "    const %s scale = %s;\n", T, emit_literal(e, t, ratio < 1 ? 1.0 / (1.0 - ratio) : 0.0));
    emitf(e, "#ifdef %s\n    extern int %s(int id, int64_t step, int64_t i);\n#endif\n", hook, hook);
    emitf(e, "    for (int64_t b = 0; b < %lld; b++) {\n        unsigned char keep[4];\n", LL((cnt + 3) / 4));
    emitf(e, "#ifdef %s\n", hook);
    emitf(e, "        for (int j = 0; j < 4; j++)\n            keep[j] = %s(%lld, (int64_t)step, b * 4 + j) != 0;\n",
          hook, LL(id));
    emitf(e, "#else\n");
    emitf(e, "        dlcc_dropout_block(%lluu, %lluu, step, (uint64_t)b, %lluu, keep);\n", (unsigned long long)seed,
          (unsigned long long)id, (unsigned long long)thr);
    emitf(e, "#endif\n");
    emitf(e, "        for (int64_t j = 0; j < 4 && b * 4 + j < %lld; j++) {\n", LL(cnt));
    emitf(e, "            const int64_t i = b * 4 + j;\n");
    emitf(e, "            y0[i] = keep[j] ? x0[i] * scale : (%s)0;\n", T);
    if (mask)
        emitf(e, "            y1[i] = keep[j];\n");
    emitf(e, "        }\n    }\n");
    return true;
}

bool emit_dropout_train(Emit *e) { return emit_dropout_common(e, false); }
bool emit_dropout_grad(Emit *e) { return emit_dropout_common(e, true); }

/* ---------------------------------------------------------------- ResizeGrad
 * x0..x3 the forward Resize's inputs (x only for its shape), x4 dy.  The
 * plan of ir/shape_misc.c gives the same taps as the forward kernel
 * (codegen/emit_misc.c); every dy element is scattered onto its taps with
 * the product of the per-axis weights.  Extrapolated outputs
 * (tf_crop_and_resize) took no input and send nothing back. */

static void rg_table_i64(Emit *e, const char *name, const int64_t *v, int64_t cnt) {
    emitf(e, "static const int64_t %s[%lld] = {", name, (long long)(cnt > 0 ? cnt : 1));
    for (int64_t i = 0; i < cnt; i++)
        emitf(e, "%s%lldLL", i ? (i % 12 ? ", " : ",\n    ") : "", (long long)v[i]);
    emitf(e, "%s};\n", cnt ? "" : "0");
}

static void rg_table_f64(Emit *e, const char *name, const double *v, int64_t cnt) {
    emitf(e, "static const double %s[%lld] = {", name, (long long)(cnt > 0 ? cnt : 1));
    for (int64_t i = 0; i < cnt; i++)
        emitf(e, "%s%.17g", i ? (i % 6 ? ", " : ",\n    ") : "", v[i]);
    emitf(e, "%s};\n", cnt ? "" : "0");
}

bool emit_resize_grad(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *dy = n->in[4], *y = n->out[0];
    if (!nn_grad_dtype_ok(e, y->dtype))
        return false;
    ResizePlan p;
    if (!resize_plan(n, e->ctx->arena, &p, NULL))
        return emit_error(e, "bad resize parameters");
    int r = x->rank;
    emitf(e, "memset(y0, 0, %zu);\n", value_bytes(y));
    if (value_numel(dy) == 0 || value_numel(y) == 0)
        return true;
    for (int d = 0; d < r; d++)
        if (p.ax[d].out != dy->dims[d])
            return emit_error(e, "dy does not have the forward output's shape");
    const char *T = dtype_ctype(y->dtype);
    for (int d = 0; d < r; d++) {
        ResizeAxis *ax = &p.ax[d];
        int64_t stride = 1, cnt = ax->out * ax->taps;
        for (int k = d + 1; k < r; k++)
            stride *= x->dims[k];
        int64_t *off = ARENA_ARRAY(e->ctx->arena, int64_t, cnt + 1);
        for (int64_t i = 0; i < cnt; i++)
            off[i] = ax->idx[i] * stride;
        rg_table_i64(e, arena_printf(e->ctx->arena, "off%d", d), off, cnt);
        rg_table_f64(e, arena_printf(e->ctx->arena, "w%d", d), ax->w, cnt);
        if (p.any_ext) {
            emitf(e, "static const unsigned char ext%d[%lld] = {", d, (long long)ax->out);
            for (int64_t i = 0; i < ax->out; i++)
                emitf(e, "%s%d", i ? ", " : "", ax->ext[i]);
            emitf(e, "};\n");
        }
    }
    emitf(e, "int64_t j = 0;\n");
    for (int d = 0; d < r; d++)
        emitf(e, "for (int64_t o%d = 0; o%d < %lldLL; o%d++)\n", d, d, (long long)p.ax[d].out, d);
    emitf(e, "{\n");
    if (p.any_ext) {
        emitf(e, "    if (0");
        for (int d = 0; d < r; d++)
            emitf(e, " || ext%d[o%d]", d, d);
        emitf(e, ") {\n        j++;\n        continue;\n    }\n");
    }
    emitf(e, "    const double g = (double)x4[j++];\n");
    const char *idx = "0", *wt = "g";
    for (int d = 0; d < r; d++) {
        emitf(e, "    for (int64_t t%d = 0; t%d < %d; t%d++)\n", d, d, p.ax[d].taps, d);
        idx = arena_printf(e->ctx->arena, "%s + off%d[o%d * %d + t%d]", idx, d, d, p.ax[d].taps, d);
        wt = arena_printf(e->ctx->arena, "%s * w%d[o%d * %d + t%d]", wt, d, d, p.ax[d].taps, d);
    }
    emitf(e, "        y0[%s] += (%s)(%s);\n", idx, T, wt);
    emitf(e, "}\n");
    return true;
}

/* ---------------------------------------------------------------- InstanceNormGrad
 * x0 dy, x1 x [N, C, ...], x2 scale [C] -> y0 dx, y1 dscale, y2 dbias.  Per
 * (n, c): mean and 1/sqrt(var + eps) over the spatial size, then
 * dx = invstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * scale. */
bool emit_instancenorm_grad(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[1];
    DType t = x->dtype;
    if (!nn_grad_dtype_ok(e, t))
        return false;
    if (x->rank < 2)
        return emit_error(e, "input must have rank >= 2");
    const char *T = dtype_ctype(t);
    int64_t N = x->dims[0], C = x->dims[1], S = nn_prod(x->dims, 2, x->rank);
    double eps = attr_float(n, "epsilon", 1e-5);
    emitf(e, "    for (int64_t c = 0; c < %lld; c++)\n        y1[c] = y2[c] = 0;\n", LL(C));
    if (N * C * S == 0)
        return true;
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "    for (int64_t c = 0; c < %lld; c++) {\n", LL(C));
    emitf(e, "        const %s *xr = x1 + (n * %lld + c) * %lld, *gr = x0 + (n * %lld + c) * %lld;\n", T, LL(C),
          LL(S), LL(C), LL(S));
    emitf(e, "        %s *dr = y0 + (n * %lld + c) * %lld;\n", T, LL(C), LL(S));
    emitf(e, "        double m = 0, v = 0, a = 0, b = 0;\n");
    emitf(e, "        for (int64_t s = 0; s < %lld; s++)\n            m += (double)xr[s];\n", LL(S));
    emitf(e, "        m /= %lld.0;\n", LL(S));
    emitf(e, "        for (int64_t s = 0; s < %lld; s++)\n            v += ((double)xr[s] - m) * ((double)xr[s] - m);\n",
          LL(S));
    emitf(e, "        const double is = 1.0 / sqrt(v / %lld.0 + %.17g);\n", LL(S), eps);
    emitf(e, "        for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    emitf(e, "            const double xh = ((double)xr[s] - m) * is, g = (double)gr[s];\n");
    emitf(e, "            a += g;\n            b += g * xh;\n        }\n");
    emitf(e, "        y1[c] += (%s)b;\n        y2[c] += (%s)a;\n", T, T);
    emitf(e, "        const double sc = (double)x2[c];\n");
    emitf(e, "        for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    emitf(e, "            const double xh = ((double)xr[s] - m) * is;\n");
    emitf(e, "            dr[s] = (%s)(sc * is * ((double)gr[s] - a / %lld.0 - xh * b / %lld.0));\n", T, LL(S), LL(S));
    emitf(e, "        }\n    }\n");
    return true;
}

/* ---------------------------------------------------------------- LRNGrad
 * x0 dy, x1 x [N, C, ...] -> y0 dx.  With D_c = bias + alpha/size *
 * sum_{k in window(c)} x_k^2 and y_c = x_c D_c^-beta:
 * dx_j = dy_j D_j^-beta - 2 beta alpha/size x_j sum_{c: j in window(c)}
 * dy_c x_c D_c^(-beta-1); the window is the forward kernel's
 * (codegen/emit_norm.c). */
bool emit_lrn_grad(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[1];
    DType t = x->dtype;
    if (!nn_grad_dtype_ok(e, t))
        return false;
    if (x->rank < 2)
        return emit_error(e, "input must have rank >= 2");
    const char *T = dtype_ctype(t);
    int64_t size = attr_int(n, "size", 1);
    double alpha = attr_float(n, "alpha", 1e-4), beta = attr_float(n, "beta", 0.75), bias = attr_float(n, "bias", 1.0);
    int64_t N = x->dims[0], C = x->dims[1], S = nn_prod(x->dims, 2, x->rank);
    int64_t lo = (size - 1) / 2, hi = size - 1 - lo;
    emitf(e, "    memset(y0, 0, %zu);\n", value_bytes(n->out[0]));
    if (N * C * S == 0)
        return true;
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "    for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    emitf(e, "        const %s *xr = x1 + n * %lld + s, *gr = x0 + n * %lld + s;\n", T, LL(C * S), LL(C * S));
    emitf(e, "        %s *dr = y0 + n * %lld + s;\n", T, LL(C * S));
    emitf(e, "        for (int64_t c = 0; c < %lld; c++) {\n", LL(C));
    emitf(e, "            double sq = 0;\n");
    emitf(e, "            for (int64_t k = c - %lld; k <= c + %lld; k++)\n", LL(lo), LL(hi));
    emitf(e, "                if (k >= 0 && k < %lld)\n", LL(C));
    emitf(e, "                    sq += (double)xr[k * %lld] * (double)xr[k * %lld];\n", LL(S), LL(S));
    emitf(e, "            const double d = %.17g + %.17g * sq, g = (double)gr[c * %lld];\n", bias, alpha / (double)size,
          LL(S));
    emitf(e, "            dr[c * %lld] += (%s)(g * pow(d, %.17g));\n", LL(S), T, -beta);
    emitf(e, "            const double f = %.17g * g * (double)xr[c * %lld] * pow(d, %.17g);\n",
          -2.0 * beta * alpha / (double)size, LL(S), -beta - 1.0);
    emitf(e, "            for (int64_t k = c - %lld; k <= c + %lld; k++)\n", LL(lo), LL(hi));
    emitf(e, "                if (k >= 0 && k < %lld)\n", LL(C));
    emitf(e, "                    dr[k * %lld] += (%s)(f * (double)xr[k * %lld]);\n", LL(S), T, LL(S));
    emitf(e, "        }\n    }\n");
    return true;
}
