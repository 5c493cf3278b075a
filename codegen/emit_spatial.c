/*
 * emit_spatial.c: kernels of GridSample, AffineGrid and Col2Im
 * (ir/ops_nn.def; shapes in ir/shape_spatial.c).
 *
 * GridSample works point by point: for each output position it reads the
 * grid coordinates (last axis ordered x, y[, z], i.e. the spatial axes
 * reversed), maps each from [-1, 1] to pixel space (align_corners decides
 * whether -1/1 are the corner pixels' centres or edges), and computes per
 * axis its taps (1 for nearest, rounded half to even; 2 for linear; 4 for
 * cubic, Keys weights with A = -0.75) with the index each tap reads after
 * the padding mode (runtime/gridsample.h: zeros gives no read, border
 * clamps, reflection reflects, as onnxruntime does).  Then every channel
 * sums weight products over the tap grid, in double.  AffineGrid writes
 * theta times the normalised base coordinates (x, y[, z], 1) of every
 * output position.  Col2Im zeroes the image and adds every column element
 * at its image position (position * stride - pad + offset * dilation),
 * skipping positions in the padding.
 */
#include <string.h>

#include "../ir/shape_spatial.h"
#include "emit_nn.h"

bool emit_gridsample(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *g = n->in[1], *y = n->out[0];
    Arena *ar = e->ctx->arena;
    int r = x->rank - 2;
    const char *mode = attr_string(n, "mode", n->opset >= 20 ? "linear" : "bilinear");
    const char *padm = attr_string(n, "padding_mode", "zeros");
    bool align = attr_int(n, "align_corners", 0) != 0;
    int K, pad;
    bool cubic = false, nearest = false;
    if (!strcmp(mode, "nearest"))
        K = 1, nearest = true;
    else if (!strcmp(mode, "linear") || !strcmp(mode, "bilinear"))
        K = 2;
    else if (!strcmp(mode, "cubic") || !strcmp(mode, "bicubic"))
        K = 4, cubic = true;
    else
        return emit_error(e, "unknown mode '%s'", mode);
    if (!strcmp(padm, "zeros"))
        pad = 0;
    else if (!strcmp(padm, "border"))
        pad = 1;
    else if (!strcmp(padm, "reflection"))
        pad = 2;
    else
        return emit_error(e, "unknown padding_mode '%s'", padm);
    int64_t N = x->dims[0], C = x->dims[1], S = nn_prod(x->dims, 2, x->rank), P = nn_prod(y->dims, 2, y->rank);
    if (value_numel(y) == 0)
        return true;
    emit_use_runtime(e, "gridsample");
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "        for (int64_t p = 0; p < %lld; p++) {\n", LL(P));
    emitf(e, "            int64_t ix[%d][%d];\n            double wx[%d][%d];\n", r, K, r, K);
    for (int a = 0; a < r; a++) {
        int64_t sz = x->dims[2 + a];
        double lo = align ? 0.0 : -0.5, hi = align ? (double)sz - 1 : (double)sz - 0.5;
        emitf(e, "            {\n");
        emitf(e, "                double c = (double)%s;\n",
              emit_load(e, g->dtype, "x1", arena_printf(ar, "(n * %lld + p) * %d + %d", LL(P), r, r - 1 - a)));
        if (align)
            emitf(e, "                c = (c + 1) / 2 * %lld;\n", LL(sz - 1));
        else
            emitf(e, "                c = ((c + 1) * %lld - 1) / 2;\n", LL(sz));
        emitf(e, "                if (!(c > -1e9)) c = -1e9;\n                if (c > 1e9) c = 1e9;\n");
        const char *idx = arena_printf(ar, "%lld, %d, %.17g, %.17g", LL(sz), pad, lo, hi);
        if (nearest) {
            emitf(e, "                ix[%d][0] = dlcc_gs_index((int64_t)nearbyint(c), %s);\n", a, idx);
            emitf(e, "                wx[%d][0] = 1;\n", a);
        } else {
            emitf(e, "                const double fl = floor(c), fr = c - fl;\n");
            emitf(e, "                const int64_t i0 = (int64_t)fl%s;\n", cubic ? " - 1" : "");
            if (cubic)
                emitf(e, "                dlcc_gs_cubic(fr, wx[%d]);\n", a);
            else
                emitf(e, "                wx[%d][0] = 1 - fr;\n                wx[%d][1] = fr;\n", a, a);
            emitf(e, "                for (int t = 0; t < %d; t++) ix[%d][t] = dlcc_gs_index(i0 + t, %s);\n", K, a, idx);
        }
        emitf(e, "            }\n");
    }
    emitf(e, "            for (int64_t ch = 0; ch < %lld; ch++) {\n", LL(C));
    emitf(e, "                const int64_t base = (n * %lld + ch) * %lld;\n", LL(C), LL(S));
    emitf(e, "                double acc = 0;\n");
    int ind = 4;
    const char *off = "base", *w = "1.0";
    int64_t st = S;
    for (int a = 0; a < r; a++) {
        st /= x->dims[2 + a];
        emitf(e, "%*sfor (int t%d = 0; t%d < %d; t%d++) {\n", 4 * ind, "", a, a, K, a);
        ind++;
        emitf(e, "%*sif (ix[%d][t%d] < 0) continue;\n", 4 * ind, "", a, a);
        off = arena_printf(ar, "%s + ix[%d][t%d] * %lld", off, a, a, LL(st));
        w = arena_printf(ar, "%s * wx[%d][t%d]", w, a, a);
    }
    emitf(e, "%*sacc += %s * (double)%s;\n", 4 * ind, "", w, emit_load(e, x->dtype, "x0", off));
    for (int a = r - 1; a >= 0; a--) {
        ind--;
        emitf(e, "%*s}\n", 4 * ind, "");
    }
    e->indent = 4;
    emit_store(e, y->dtype, "y0", arena_printf(ar, "(n * %lld + ch) * %lld + p", LL(C), LL(P)),
               arena_printf(ar, "(%s)acc", dtype_ctype_compute(y->dtype)));
    e->indent = 1;
    emitf(e, "            }\n        }\n");
    return true;
}

bool emit_affinegrid(Emit *e) {
    const Node *n = e->node;
    const Value *th = n->in[0], *y = n->out[0];
    Arena *ar = e->ctx->arena;
    bool align = attr_int(n, "align_corners", 0) != 0;
    int r = y->rank - 2; /* spatial axes */
    int64_t N = y->dims[0], P = nn_prod(y->dims, 1, 1 + r);
    if (value_numel(y) == 0)
        return true;
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(N));
    emitf(e, "        for (int64_t p = 0; p < %lld; p++) {\n", LL(P));
    emitf(e, "            double v[%d];\n", r + 1);
    int64_t st = P;
    for (int a = 0; a < r; a++) {
        int64_t sz = y->dims[1 + a];
        st /= sz;
        int k = r - 1 - a; /* v[0] is x (the last axis) */
        emitf(e, "            { const int64_t i = p / %lld %% %lld; (void)i;\n", LL(st), LL(sz));
        if (align)
            emitf(e, "              v[%d] = %s; }\n", k, sz > 1 ? arena_printf(ar, "-1.0 + 2.0 * (double)i / %lld", LL(sz - 1)) : "-1.0");
        else
            emitf(e, "              v[%d] = -1.0 + (2.0 * (double)i + 1.0) / %lld; }\n", k, LL(sz));
    }
    emitf(e, "            v[%d] = 1.0;\n", r);
    emitf(e, "            for (int k = 0; k < %d; k++) {\n", r);
    emitf(e, "                double acc = 0;\n");
    emitf(e, "                for (int j = 0; j < %d; j++) acc += (double)%s * v[j];\n", r + 1,
          emit_load(e, th->dtype, "x0", arena_printf(ar, "(n * %d + k) * %d + j", r, r + 1)));
    e->indent = 4;
    emit_store(e, y->dtype, "y0", arena_printf(ar, "(n * %lld + p) * %d + k", LL(P), r),
               arena_printf(ar, "(%s)acc", dtype_ctype_compute(y->dtype)));
    e->indent = 1;
    emitf(e, "            }\n        }\n");
    return true;
}

bool emit_col2im(Emit *e) {
    const Node *n = e->node;
    const Value *y = n->out[0];
    Arena *ar = e->ctx->arena;
    Col2ImGeom g;
    if (!spatial_col2im_geom(n, &g, e->ctx))
        return false;
    int r = g.nsp;
    int64_t N = y->dims[0], C = y->dims[1], bp = 1, L = 1, S = 1;
    for (int i = 0; i < r; i++)
        bp *= g.blk[i], L *= g.cnt[i], S *= g.img[i];
    DType t = y->dtype;
    if (value_numel(y) == 0)
        return true;
    emitf(e, "    memset(y0, 0, %zu);\n", value_bytes(y));
    emitf(e, "    for (int64_t nc = 0; nc < %lld; nc++)\n", LL(N * C));
    emitf(e, "        for (int64_t kb = 0; kb < %lld; kb++)\n", LL(bp));
    emitf(e, "            for (int64_t l = 0; l < %lld; l++) {\n", LL(L));
    emitf(e, "                int64_t off = 0;\n");
    int64_t sb = bp, sl = L, si = S;
    for (int a = 0; a < r; a++) {
        sb /= g.blk[a], sl /= g.cnt[a], si /= g.img[a];
        emitf(e, "                {\n");
        emitf(e, "                    const int64_t q = (l / %lld %% %lld) * %lld - %lld + (kb / %lld %% %lld) * %lld;\n",
              LL(sl), LL(g.cnt[a]), LL(g.str[a]), LL(g.pb[a]), LL(sb), LL(g.blk[a]), LL(g.dil[a]));
        emitf(e, "                    if (q < 0 || q >= %lld) continue;\n", LL(g.img[a]));
        emitf(e, "                    off += q * %lld;\n                }\n", LL(si));
    }
    const char *yi = arena_printf(ar, "nc * %lld + off", LL(S));
    const char *sum = arena_printf(ar, "%s + %s", emit_load(e, t, "y0", yi),
                                   emit_load(e, t, "x0", arena_printf(ar, "(nc * %lld + kb) * %lld + l", LL(bp), LL(L))));
    e->indent = 4;
    emit_store(e, t, "y0", yi, sum);
    e->indent = 1;
    emitf(e, "            }\n");
    return true;
}
