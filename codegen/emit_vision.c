/*
 * emit_vision.c: kernels of RoiAlign, DeformConv and FlexAttention.
 *
 * RoiAlign follows onnx/reference (and onnxruntime) to the letter: for
 * each ROI it computes the bin sizes (ROIs of at least 1x1 in
 * output_half_pixel mode), a sampling grid of sampling_ratio (or
 * ceil(bin size)) points per bin axis, and for every sample the four
 * bilinear taps, clamped at the far border and zero for a sample more than
 * one pixel outside; "avg" averages the interpolated samples, "max" takes
 * the largest weighted tap (as the reference does).  Coordinates and sums
 * are computed in double.
 *
 * DeformConv (2-D) works one output pixel at a time: it samples every
 * input channel at the kernel taps moved by the offsets (bilinear, zero
 * outside the image, as GridSample with align_corners=1 and zero padding),
 * times the mask, into a column of C * kh * kw values in scratch, then
 * every output channel is the dot product of its weights with its group's
 * part of the column, plus the bias.
 *
 * FlexAttention writes the scaled scores Q.K^T of all heads into a scratch
 * tensor [b, hq, l, s] (query head h reads key/value head h / (hq / hkv)),
 * runs the score_mod and mask_mod bodies over it, takes the softmax of each
 * row, runs prob_mod, and multiplies by V.  The bodies are planned graphs
 * (passes/subgraph.c) compiled by codegen_emit_subgraph into functions that
 * run on an arena at the start of the node's scratch; the two score
 * buffers behind it alternate as a body's input and output.
 */
#include "codegen.h"
#include "emit_nn.h"
#include "../ir/shape_vision.h"
#include "../passes/passes.h"

#include <string.h>

static int64_t align64(int64_t x) { return (x + 63) & ~(int64_t)63; }

/* ---------------------------------------------------------------- RoiAlign */

bool emit_roi_align(Emit *e) {
    const Node *n = e->node;
    Arena *ar = e->ctx->arena;
    RoiAlignInfo ri;
    if (!roi_align_resolve(n, e->ctx, &ri))
        return false;
    const Value *x = n->in[0], *rois = n->in[1], *y = n->out[0];
    if (value_numel(y) == 0)
        return true;
    int64_t H = ri.h, W = ri.w, OH = ri.oh, OW = ri.ow;
    emitf(e, "    for (int64_t r = 0; r < %lld; r++) {\n", LL(ri.r));
    emitf(e, "        const int64_t b = (int64_t)x2[r];\n");
    emitf(e, "        if (b < 0 || b >= %lld)\n            return -DLCC_ERR_INDEX;\n", LL(ri.n));
    const char *off = ri.half_pixel ? "0.5" : "0.0";
    const char *coord[4] = {"sw", "sh", "ew", "eh"};
    for (int k = 0; k < 4; k++)
        emitf(e, "        const double %s = (double)%s * %.17g - %s;\n", coord[k],
              emit_load(e, rois->dtype, "x1", arena_printf(ar, "r * 4 + %d", k)), ri.spatial_scale, off);
    emitf(e, "        double rw = ew - sw, rh = eh - sh;\n");
    if (!ri.half_pixel)
        emitf(e, "        if (rw < 1.0) rw = 1.0;\n        if (rh < 1.0) rh = 1.0;\n");
    emitf(e, "        const double bh = rh / %lld.0, bw = rw / %lld.0;\n", LL(OH), LL(OW));
    if (ri.sampling_ratio > 0)
        emitf(e, "        const int64_t gh = %lld, gw = %lld;\n", LL(ri.sampling_ratio), LL(ri.sampling_ratio));
    else
        emitf(e, "        const int64_t gh = (int64_t)ceil(rh / %lld.0), gw = (int64_t)ceil(rw / %lld.0);\n", LL(OH),
              LL(OW));
    emitf(e, "        const double cnt = gh * gw > 1 ? (double)(gh * gw) : 1.0;\n        (void)cnt;\n");
    emitf(e, "        for (int64_t c = 0; c < %lld; c++) {\n", LL(ri.c));
    emitf(e, "            const int64_t base = (b * %lld + c) * %lld;\n", LL(ri.c), LL(H * W));
    emitf(e, "            for (int64_t ph = 0; ph < %lld; ph++)\n", LL(OH));
    emitf(e, "                for (int64_t pw = 0; pw < %lld; pw++) {\n", LL(OW));
    emitf(e, "                    double acc = 0;\n                    int first = 1;\n                    (void)first;\n");
    emitf(e, "                    for (int64_t iy = 0; iy < gh; iy++) {\n");
    emitf(e, "                        double yy = sh + ph * bh + (iy + 0.5) * bh / (double)gh;\n");
    emitf(e, "                        for (int64_t ix = 0; ix < gw; ix++) {\n");
    emitf(e, "                            double xx = sw + pw * bw + (ix + 0.5) * bw / (double)gw;\n");
    emitf(e, "                            int64_t p1 = 0, p2 = 0, p3 = 0, p4 = 0;\n");
    emitf(e, "                            double w1 = 0, w2 = 0, w3 = 0, w4 = 0;\n");
    emitf(e, "                            if (!(yy < -1.0 || yy > %lld.0 || xx < -1.0 || xx > %lld.0)) {\n", LL(H), LL(W));
    emitf(e, "                                if (yy < 0) yy = 0;\n                                if (xx < 0) xx = 0;\n");
    emitf(e, "                                int64_t yl = (int64_t)yy, xl = (int64_t)xx, yh, xh;\n");
    emitf(e, "                                if (yl >= %lld) { yh = yl = %lld; yy = (double)yl; } else yh = yl + 1;\n",
          LL(H - 1), LL(H - 1));
    emitf(e, "                                if (xl >= %lld) { xh = xl = %lld; xx = (double)xl; } else xh = xl + 1;\n",
          LL(W - 1), LL(W - 1));
    emitf(e, "                                const double ly = yy - yl, lx = xx - xl, hy = 1.0 - ly, hx = 1.0 - lx;\n");
    emitf(e, "                                w1 = hy * hx, w2 = hy * lx, w3 = ly * hx, w4 = ly * lx;\n");
    emitf(e, "                                p1 = yl * %lld + xl, p2 = yl * %lld + xh, p3 = yh * %lld + xl, p4 = yh * %lld + xh;\n",
          LL(W), LL(W), LL(W), LL(W));
    emitf(e, "                            }\n");
    const char *v[4];
    for (int k = 0; k < 4; k++)
        v[k] = arena_printf(ar, "(double)%s", emit_load(e, x->dtype, "x0", arena_printf(ar, "base + p%d", k + 1)));
    if (ri.max_mode) {
        emitf(e, "                            double v = w1 * %s, t;\n", v[0]);
        emitf(e, "                            t = w2 * %s;\n                            if (t > v) v = t;\n", v[1]);
        emitf(e, "                            t = w3 * %s;\n                            if (t > v) v = t;\n", v[2]);
        emitf(e, "                            t = w4 * %s;\n                            if (t > v) v = t;\n", v[3]);
        emitf(e, "                            if (first || v > acc) acc = v;\n                            first = 0;\n");
    } else {
        emitf(e, "                            acc += w1 * %s + w2 * %s + w3 * %s + w4 * %s;\n", v[0], v[1], v[2], v[3]);
    }
    emitf(e, "                        }\n                    }\n");
    if (!ri.max_mode)
        emitf(e, "                    acc /= cnt;\n");
    e->indent = 5;
    emit_store(e, y->dtype, "y0", arena_printf(ar, "((r * %lld + c) * %lld + ph) * %lld + pw", LL(ri.c), LL(OH), LL(OW)),
               arena_printf(ar, "(%s)acc", dtype_ctype_compute(y->dtype)));
    e->indent = 0;
    emitf(e, "                }\n        }\n    }\n");
    return true;
}

/* ---------------------------------------------------------------- DeformConv */

bool emit_deform_conv(Emit *e) {
    const Node *n = e->node;
    Arena *ar = e->ctx->arena;
    DeformConvInfo di;
    if (!deform_conv_resolve(n, e->ctx, &di))
        return false;
    const Value *x = n->in[0], *w = n->in[1], *off = n->in[2];
    const Value *b = n->n_in > 3 ? n->in[3] : NULL, *m = n->n_in > 4 ? n->in[4] : NULL;
    const Value *y = n->out[0];
    if (value_numel(y) == 0)
        return true;
    int64_t C = di.c, H = di.h, Wd = di.w, KH = di.kh, KW = di.kw, KK = KH * KW, OH = di.oh, OW = di.ow;
    int64_t CG = C / di.group, OCG = di.oc / di.group, COG = C / di.offset_group, P = OH * OW;
    const char *ws = emit_scratch(e, (size_t)(C * KK) * sizeof(double));
    emitf(e, "    double *restrict col = (double *)%s;\n", ws);
    emitf(e, "    for (int64_t n = 0; n < %lld; n++)\n", LL(di.n));
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n", LL(OH));
    emitf(e, "            for (int64_t j = 0; j < %lld; j++) {\n", LL(OW));
    emitf(e, "                const int64_t p = i * %lld + j;\n", LL(OW));
    emitf(e, "                for (int64_t c = 0; c < %lld; c++) {\n", LL(C));
    emitf(e, "                    const int64_t g = c / %lld, xb = (n * %lld + c) * %lld;\n", LL(COG), LL(C), LL(H * Wd));
    emitf(e, "                    for (int64_t k = 0; k < %lld; k++) {\n", LL(KK));
    emitf(e, "                        const int64_t ki = k / %lld, kj = k %% %lld;\n", LL(KW), LL(KW));
    emitf(e, "                        const int64_t oi = ((n * %lld + g * %lld + k) * 2) * %lld + p;\n",
          LL(di.offset_group * KK), LL(KK), LL(P));
    emitf(e, "                        const double fy = (double)(i * %lld - %lld + ki * %lld) + (double)%s;\n", LL(di.sh),
          LL(di.ph), LL(di.dh), emit_load(e, off->dtype, "x2", "oi"));
    emitf(e, "                        const double fx = (double)(j * %lld - %lld + kj * %lld) + (double)%s;\n", LL(di.sw),
          LL(di.pw), LL(di.dw), emit_load(e, off->dtype, "x2", arena_printf(ar, "oi + %lld", LL(P))));
    emitf(e, "                        double s = 0;\n");
    emitf(e, "                        if (fy > -1.0 && fy < %lld.0 && fx > -1.0 && fx < %lld.0) {\n", LL(H), LL(Wd));
    emitf(e, "                            const double fy0 = floor(fy), fx0 = floor(fx), ly = fy - fy0, lx = fx - fx0;\n");
    emitf(e, "                            const int64_t yi = (int64_t)fy0, xi = (int64_t)fx0;\n");
    emitf(e, "                            for (int t = 0; t < 4; t++) {\n");
    emitf(e, "                                const int64_t yy = yi + (t >> 1), xx = xi + (t & 1);\n");
    emitf(e, "                                if (yy < 0 || yy >= %lld || xx < 0 || xx >= %lld)\n                                    continue;\n",
          LL(H), LL(Wd));
    emitf(e, "                                const double wt = ((t >> 1) ? ly : 1.0 - ly) * ((t & 1) ? lx : 1.0 - lx);\n");
    emitf(e, "                                s += wt * (double)%s;\n", emit_load(e, x->dtype, "x0", arena_printf(ar, "xb + yy * %lld + xx", LL(Wd))));
    emitf(e, "                            }\n                        }\n");
    if (m)
        emitf(e, "                        s *= (double)%s;\n",
              emit_load(e, m->dtype, "x4", arena_printf(ar, "(n * %lld + g * %lld + k) * %lld + p", LL(di.offset_group * KK),
                                                        LL(KK), LL(P))));
    emitf(e, "                        col[c * %lld + k] = s;\n", LL(KK));
    emitf(e, "                    }\n                }\n");
    emitf(e, "                for (int64_t o = 0; o < %lld; o++) {\n", LL(di.oc));
    emitf(e, "                    const int64_t c0 = (o / %lld) * %lld;\n", LL(OCG), LL(CG));
    if (b)
        emitf(e, "                    double acc = (double)%s;\n", emit_load(e, b->dtype, "x3", "o"));
    else
        emitf(e, "                    double acc = 0;\n");
    emitf(e, "                    for (int64_t q = 0; q < %lld; q++)\n", LL(CG * KK));
    emitf(e, "                        acc += (double)%s * col[c0 * %lld + q];\n",
          emit_load(e, w->dtype, "x1", arena_printf(ar, "o * %lld + q", LL(CG * KK))), LL(KK));
    e->indent = 5;
    emit_store(e, y->dtype, "y0", arena_printf(ar, "(n * %lld + o) * %lld + p", LL(di.oc), LL(P)),
               arena_printf(ar, "(%s)acc", dtype_ctype_compute(y->dtype)));
    e->indent = 0;
    emitf(e, "                }\n            }\n");
    return true;
}

/* ---------------------------------------------------------------- FlexAttention */

/* `rc = BODY(ws, in, out)` on buffers src -> dst. */
static void flex_emit_call(Emit *e, const char *fn, const char *src, const char *dst, int first_cap) {
    int ncap = e->node->n_in - first_cap;
    emitf(e, "    {\n        const void *in[%d] = {%s", 1 + ncap, src);
    for (int i = first_cap; i < e->node->n_in; i++)
        emitf(e, ", x%d", i);
    emitf(e, "};\n        void *out[1] = {%s};\n", dst);
    emitf(e, "        int rc = %s(ws, in, out);\n        if (rc < 0)\n            return rc;\n    }\n", fn);
}

bool emit_flex_attention(Emit *e) {
    const Node *n = e->node;
    Arena *ar = e->ctx->arena;
    FlexAttnInfo fi;
    if (!flex_attention_resolve(n, e->ctx, &fi))
        return false;
    const Value *q = n->in[0], *k = n->in[1], *v = n->in[2], *y = n->out[0];
    int first_cap = n->n_in - subgraph_n_captured(n);
    Graph *mods[FLEX_N_MODS];
    int64_t arena = 0;
    for (int i = 0; i < FLEX_N_MODS; i++) {
        mods[i] = flex_attention_mod(n, flex_mod_names[i]);
        int64_t need = mods[i] ? subgraph_arena_bytes(mods[i]) : 0;
        if (need > arena)
            arena = need;
    }
    arena = align64(arena);
    DType st = fi.score;
    const char *T = dtype_ctype(st);
    int64_t B = fi.b, HQ = fi.hq, L = fi.l, S = fi.s, D = fi.d, DV = fi.dv, G = fi.hq / fi.hkv;
    int64_t count = B * HQ * L * S;
    int64_t bytes = align64(count * (int64_t)dtype_size(st));
    emit_scratch(e, (size_t)(arena + 2 * bytes + 64));
    const char *fn[FLEX_N_MODS] = {NULL, NULL, NULL};
    for (int i = 0; i < FLEX_N_MODS && !e->measure; i++) {
        if (!mods[i])
            continue;
        int64_t need = 0;
        fn[i] = codegen_emit_subgraph(e, mods[i], i, &need);
        if (!fn[i])
            return false;
        if (need > arena)
            return emit_error(e, "internal error: %s needs %lld arena bytes, %lld were planned", flex_mod_names[i],
                              (long long)need, (long long)arena);
    }
    if (value_numel(y) == 0)
        return true;
    const char *EXP = nn_math_fn(e, st, "exp");
    emitf(e, "    %s *restrict sa = (%s *)(void *)((char *)ws + %lld);\n", T, T, LL(arena));
    emitf(e, "    %s *restrict sb = (%s *)(void *)((char *)ws + %lld);\n", T, T, LL(arena + bytes));
    emitf(e, "    (void)sb;\n");
    /* scores */
    emitf(e, "    for (int64_t b = 0; b < %lld; b++)\n", LL(B));
    emitf(e, "        for (int64_t h = 0; h < %lld; h++) {\n", LL(HQ));
    emitf(e, "            const int64_t kh = b * %lld + h / %lld;\n", LL(fi.hkv), LL(G));
    emitf(e, "            for (int64_t i = 0; i < %lld; i++)\n", LL(L));
    emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", LL(S));
    emitf(e, "                    %s acc = 0;\n", T);
    emitf(e, "                    for (int64_t d = 0; d < %lld; d++)\n", LL(D));
    emitf(e, "                        acc += (%s)%s * (%s)%s;\n", T,
          emit_load(e, q->dtype, "x0", arena_printf(ar, "((b * %lld + h) * %lld + i) * %lld + d", LL(HQ), LL(L), LL(D))), T,
          emit_load(e, k->dtype, "x1", arena_printf(ar, "(kh * %lld + j) * %lld + d", LL(S), LL(D))));
    emitf(e, "                    sa[((b * %lld + h) * %lld + i) * %lld + j] = acc * %s;\n", LL(HQ), LL(L), LL(S),
          emit_literal(e, st, fi.scale));
    emitf(e, "                }\n        }\n");
    /* score_mod, mask_mod: the scores alternate between sa and sb */
    const char *cur = "sa", *other = "sb";
    for (int i = 0; i < 2; i++) {
        if (!mods[i])
            continue;
        flex_emit_call(e, fn[i] ? fn[i] : "", cur, other, first_cap);
        const char *t = cur;
        cur = other;
        other = t;
    }
    /* softmax of each row (none when kv_seq is 0: Y is then all zeros) */
    emitf(e, "    for (int64_t r = 0; r < %lld; r++) {\n", LL(S > 0 ? B * HQ * L : 0));
    emitf(e, "        %s *restrict row = %s + r * %lld;\n", T, cur, LL(S));
    emitf(e, "        %s mx = row[0], sum = 0;\n", T);
    emitf(e, "        for (int64_t j = 1; j < %lld; j++)\n            if (row[j] > mx) mx = row[j];\n", LL(S));
    emitf(e, "        for (int64_t j = 0; j < %lld; j++) {\n", LL(S));
    emitf(e, "            row[j] = %s(row[j] - mx);\n            sum += row[j];\n        }\n", EXP);
    emitf(e, "        for (int64_t j = 0; j < %lld; j++)\n            row[j] /= sum;\n    }\n", LL(S));
    if (mods[2]) {
        flex_emit_call(e, fn[2] ? fn[2] : "", cur, other, first_cap);
        cur = other;
    }
    /* probabilities times V */
    emitf(e, "    for (int64_t b = 0; b < %lld; b++)\n", LL(B));
    emitf(e, "        for (int64_t h = 0; h < %lld; h++) {\n", LL(HQ));
    emitf(e, "            const int64_t vh = b * %lld + h / %lld;\n", LL(fi.hkv), LL(G));
    emitf(e, "            for (int64_t i = 0; i < %lld; i++) {\n", LL(L));
    emitf(e, "                const %s *restrict row = %s + ((b * %lld + h) * %lld + i) * %lld;\n", T, cur, LL(HQ),
          LL(L), LL(S));
    emitf(e, "                for (int64_t d = 0; d < %lld; d++) {\n", LL(DV));
    emitf(e, "                    %s o = 0;\n", T);
    emitf(e, "                    for (int64_t j = 0; j < %lld; j++)\n", LL(S));
    emitf(e, "                        o += row[j] * (%s)%s;\n", T,
          emit_load(e, v->dtype, "x2", arena_printf(ar, "(vh * %lld + j) * %lld + d", LL(S), LL(DV))));
    e->indent = 5;
    emit_store(e, y->dtype, "y0", arena_printf(ar, "((b * %lld + h) * %lld + i) * %lld + d", LL(HQ), LL(L), LL(DV)),
               arena_printf(ar, "(%s)o", dtype_ctype_compute(y->dtype)));
    e->indent = 0;
    emitf(e, "                }\n            }\n        }\n");
    return true;
}
