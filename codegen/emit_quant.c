/*
 * emit_quant.c: kernels of the quantization operators (ops_quant.def).
 *
 * (De)quantization loops over the data viewed as [outer, len, inner]
 * around the quantization axis (QuantLayout, ir/shape_misc.h), so the
 * index of the scale is one expression for the per-tensor, per-axis and
 * blocked cases.  Quantizing divides in float, rounds half to even (rint in
 * the default rounding mode), adds the zero point and saturates to the
 * output type; float8 outputs go through runtime/half.h's encoder, which
 * honours `saturate`, float4e2m1 through runtime/math.h's (always
 * saturating); int2/int4 stay one element per byte like the wider ones.  The integer products accumulate in int32 after
 * subtracting the zero points; the quantized-linear ones then rescale by
 * a_scale * b_scale / y_scale, round half to even and saturate.  Batch
 * offsets of broadcast matrix products are tables computed at compile
 * time.  Convolutions are direct loops over the NNWindow geometry.
 */
#include "codegen.h"
#include "../ir/shape_misc.h"
#include "../ir/shape_nn.h"

#include <string.h>

#define LL(x) ((long long)(x))

/* Scale index expression for loop variables o, a, i. */
static const char *quant_index(Emit *e, const QuantLayout *q) {
    switch (q->kind) {
    case 1: return "a";
    case 2:
        return arena_printf(e->ctx->arena, "((o * %lldLL + a / %lldLL) * %lldLL + i)", LL(q->nblk), LL(q->block),
                            LL(q->inner));
    default: return "0";
    }
}

static void quant_open_loops(Emit *e, const QuantLayout *q) {
    emitf(e, "for (int64_t o = 0; o < %lldLL; o++)\n", LL(q->outer));
    emitf(e, "for (int64_t a = 0; a < %lldLL; a++)\n", LL(q->len));
    emitf(e, "for (int64_t i = 0; i < %lldLL; i++) {\n", LL(q->inner));
    emitf(e, "    const int64_t j = (o * %lldLL + a) * %lldLL + i;\n", LL(q->len), LL(q->inner));
    emitf(e, "    const int64_t s = %s;\n", quant_index(e, q));
    emitf(e, "    (void)s;\n");
}

/* Stores float v (already divided by the scale) into y0[j] as type t with zero point zp (a float expression). */
static void quant_store(Emit *e, DType t, const char *v, const char *zp, int saturate) {
    int kind = quant_f8_kind(t);
    if (kind >= 0) {
        emit_use_runtime(e, "half");
        emitf(e, "    y0[j] = dlcc_f8_encode(%s + %s, %d, %d);\n", v, zp, kind, saturate);
        return;
    }
    if (t == DT_F4E2M1) { /* round to nearest even, always saturating (runtime/math.h) */
        emit_use_runtime(e, "math");
        emitf(e, "    y0[j] = dlcc_f32_to_f4e2m1(%s + %s);\n", v, zp);
        return;
    }
    int64_t lo, hi;
    quant_int_range(t, &lo, &hi);
    emitf(e, "    double q = rint((double)(%s)) + %s;\n", v, zp);
    emitf(e, "    q = q < %lld.0 ? %lld.0 : q > %lld.0 ? %lld.0 : q;\n", LL(lo), LL(lo), LL(hi), LL(hi));
    emitf(e, "    y0[j] = (%s)q;\n", dtype_ctype(t));
}

bool emit_quantize_linear(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *scale = n->in[1], *zp = n->n_in > 2 ? n->in[2] : NULL, *y = n->out[0];
    QuantLayout q;
    if (!quant_layout(n, x, scale, &q, NULL))
        return emit_error(e, "bad scale layout");
    if (value_numel(y) == 0)
        return true;
    quant_open_loops(e, &q);
    emitf(e, "    const float v = (float)%s / (float)%s;\n", emit_load(e, x->dtype, "x0", "j"),
          emit_load(e, scale->dtype, "x1", "s"));
    const char *zpv = "0.0";
    if (zp)
        zpv = arena_printf(e->ctx->arena, "(double)%s", emit_load(e, zp->dtype, "x2", "s"));
    bool to_float = quant_f8_kind(y->dtype) >= 0 || y->dtype == DT_F4E2M1;
    if (to_float && zp)
        zpv = arena_printf(e->ctx->arena, "(float)%s", emit_load(e, zp->dtype, "x2", "s"));
    else if (to_float)
        zpv = "0.0f";
    quant_store(e, y->dtype, "v", zpv, (int)attr_int(n, "saturate", 1));
    emitf(e, "}\n");
    return true;
}

bool emit_dequantize_linear(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *scale = n->in[1], *zp = n->n_in > 2 ? n->in[2] : NULL, *y = n->out[0];
    QuantLayout q;
    if (!quant_layout(n, x, scale, &q, NULL))
        return emit_error(e, "bad scale layout");
    if (value_numel(y) == 0)
        return true;
    quant_open_loops(e, &q);
    const char *xv = arena_printf(e->ctx->arena, "(float)%s", emit_load(e, x->dtype, "x0", "j"));
    if (zp)
        xv = arena_printf(e->ctx->arena, "(%s - (float)%s)", xv, emit_load(e, zp->dtype, "x2", "s"));
    e->indent = 1;
    emit_store(e, y->dtype, "y0", "j",
               arena_printf(e->ctx->arena, "%s * (float)%s", xv, emit_load(e, scale->dtype, "x1", "s")));
    e->indent = 0;
    emitf(e, "}\n");
    return true;
}

bool emit_dynamic_quantize_linear(Emit *e) {
    const Value *x = e->node->in[0];
    int64_t cnt = value_numel(x);
    emitf(e, "float lo = 0.0f, hi = 0.0f;\n");
    emitf(e, "for (int64_t j = 0; j < %lldLL; j++) {\n", LL(cnt));
    emitf(e, "    const float v = %s;\n", emit_load(e, x->dtype, "x0", "j"));
    emitf(e, "    lo = v < lo ? v : lo;\n    hi = v > hi ? v : hi;\n}\n");
    emitf(e, "const float scale = (hi - lo) / 255.0f;\n");
    emitf(e, "double zpd = scale != 0.0f ? rint((double)(0.0f - lo / scale)) : 0.0;\n");
    emitf(e, "zpd = zpd < 0.0 ? 0.0 : zpd > 255.0 ? 255.0 : zpd;\n");
    emitf(e, "y1[0] = scale;\ny2[0] = (uint8_t)zpd;\n");
    emitf(e, "for (int64_t j = 0; j < %lldLL; j++) {\n", LL(cnt));
    emitf(e, "    double q = scale != 0.0f ? rint((double)(%s / scale)) + zpd : zpd;\n",
          emit_load(e, x->dtype, "x0", "j"));
    emitf(e, "    y0[j] = (uint8_t)(q < 0.0 ? 0.0 : q > 255.0 ? 255.0 : q);\n}\n");
    return true;
}

static void emit_i64_table(Emit *e, const char *name, const int64_t *v, int64_t cnt) {
    emitf(e, "static const int64_t %s[%lld] = {", name, LL(cnt > 0 ? cnt : 1));
    for (int64_t i = 0; i < cnt; i++)
        emitf(e, "%s%lldLL", i ? (i % 12 ? ", " : ",\n    ") : "", LL(v[i]));
    if (cnt == 0)
        emitf(e, "0");
    emitf(e, "};\n");
}

/* Index expression of a zero point / scale that is a scalar or a vector
 * along the rows (var "r") or columns (var "c"). */
static const char *vec_index(const Value *v, int64_t len, const char *var) {
    if (!v || value_numel(v) == 1 || value_numel(v) != len)
        return "0";
    return var;
}

/* acc = sum_k (A[r,k] - azp) * (B[k,c] - bzp) for batch bi, into `acc`. */
static void emit_int_product(Emit *e, const MatGeom *g, const Value *a, const Value *b, const Value *azp, int azp_in,
                             const Value *bzp, int bzp_in) {
    emit_i64_table(e, "aoff", g->a_off, g->batch);
    emit_i64_table(e, "boff", g->b_off, g->batch);
    emitf(e, "for (int64_t bi = 0; bi < %lldLL; bi++)\n", LL(g->batch));
    emitf(e, "for (int64_t r = 0; r < %lldLL; r++)\n", LL(g->m));
    emitf(e, "for (int64_t c = 0; c < %lldLL; c++) {\n", LL(g->n));
    emitf(e, "    const int32_t za = %s;\n",
          azp ? arena_printf(e->ctx->arena, "(int32_t)x%d[%s]", azp_in, vec_index(azp, g->m, "r")) : "0");
    emitf(e, "    const int32_t zb = %s;\n",
          bzp ? arena_printf(e->ctx->arena, "(int32_t)x%d[%s]", bzp_in, vec_index(bzp, g->n, "c")) : "0");
    emitf(e, "    const %s *pa = x0 + aoff[bi] + r * %lldLL;\n", dtype_ctype(a->dtype), LL(g->k));
    emitf(e, "    const %s *pb = x%d + boff[bi] + c;\n", dtype_ctype(b->dtype), bzp_in == 3 ? 1 : 3);
    emitf(e, "    int32_t acc = 0;\n");
    emitf(e, "    for (int64_t k = 0; k < %lldLL; k++)\n", LL(g->k));
    emitf(e, "        acc += ((int32_t)pa[k] - za) * ((int32_t)pb[k * %lldLL] - zb);\n", LL(g->n));
    emitf(e, "    const int64_t j = (bi * %lldLL + r) * %lldLL + c;\n", LL(g->m), LL(g->n));
}

bool emit_matmul_integer(Emit *e) {
    const Node *n = e->node;
    const Value *a = n->in[0], *b = n->in[1];
    const Value *azp = n->n_in > 2 ? n->in[2] : NULL, *bzp = n->n_in > 3 ? n->in[3] : NULL;
    MatGeom g;
    if (!quant_matmul_geom(n, a, b, &g, e->ctx->arena, NULL))
        return emit_error(e, "bad operand shapes");
    if (value_numel(n->out[0]) == 0)
        return true;
    emit_int_product(e, &g, a, b, azp, 2, bzp, 3);
    emitf(e, "    y0[j] = acc;\n}\n");
    return true;
}

/* The factor a_scale * b_scale / y_scale, rounded through the scales' type like the reference. */
static const char *rescale_expr(Emit *e, const Value *as, const char *ai, const Value *bs, const char *bi,
                                const Value *ys) {
    const char *p = arena_printf(e->ctx->arena, "(float)%s * (float)%s", emit_load(e, as->dtype, "xa_s", ai),
                                 emit_load(e, bs->dtype, "xb_s", bi));
    if (as->dtype == DT_F16) {
        emit_use_runtime(e, "half");
        p = arena_printf(e->ctx->arena, "dlcc_f16_to_f32(dlcc_f32_to_f16(%s))", p);
        return arena_printf(e->ctx->arena, "dlcc_f16_to_f32(dlcc_f32_to_f16(%s / %s))", p,
                            emit_load(e, ys->dtype, "xy_s", "0"));
    }
    return arena_printf(e->ctx->arena, "(%s) / (float)%s", p, emit_load(e, ys->dtype, "xy_s", "0"));
}

static void emit_requant_store(Emit *e, DType t, const char *acc, const char *mult, const char *zp) {
    int64_t lo, hi;
    quant_int_range(t, &lo, &hi);
    emitf(e, "    double q = rint((double)((float)(%s) * (%s))) + (double)%s;\n", acc, mult, zp);
    emitf(e, "    y0[j] = (%s)(q < %lld.0 ? %lld.0 : q > %lld.0 ? %lld.0 : q);\n", dtype_ctype(t), LL(lo), LL(lo), LL(hi),
          LL(hi));
}

bool emit_qlinear_matmul(Emit *e) {
    const Node *n = e->node;
    const Value *a = n->in[0], *as = n->in[1], *azp = n->in[2], *b = n->in[3], *bs = n->in[4], *bzp = n->in[5];
    const Value *ys = n->in[6], *y = n->out[0];
    MatGeom g;
    if (!quant_matmul_geom(n, a, b, &g, e->ctx->arena, NULL))
        return emit_error(e, "bad operand shapes");
    if (value_numel(y) == 0)
        return true;
    emitf(e, "const %s *xa_s = x1;\nconst %s *xb_s = x4;\nconst %s *xy_s = x6;\n", dtype_ctype(as->dtype),
          dtype_ctype(bs->dtype), dtype_ctype(ys->dtype));
    emit_int_product(e, &g, a, b, azp, 2, bzp, 5);
    const char *mult = rescale_expr(e, as, vec_index(as, g.m, "r"), bs, vec_index(bs, g.n, "c"), ys);
    emit_requant_store(e, y->dtype, "acc", mult, "x7[0]");
    emitf(e, "}\n");
    return true;
}

/* Direct convolution: acc = sum (x - xzp) * (w - wzp) over the window. */
static bool emit_conv_q(Emit *e, int xi, int wi, const Value *xzp, int xzp_in, const Value *wzp, int wzp_in) {
    const Node *n = e->node;
    const Value *x = n->in[xi], *w = n->in[wi], *y = n->out[0];
    NNWindow win;
    if (!nn_window(n, x, w->dims + 2, false, &win, NULL))
        return emit_error(e, "bad convolution geometry");
    if (value_numel(y) == 0)
        return true;
    int64_t group = attr_int(n, "group", 1), cg = w->dims[1], mg = w->dims[0] / group, osp = 1, ksp = 1, isp = 1;
    for (int d = 0; d < win.nsp; d++) {
        osp *= win.out[d];
        ksp *= win.k[d];
        isp *= win.in[d];
    }
    emitf(e, "for (int64_t nb = 0; nb < %lldLL; nb++)\n", LL(x->dims[0]));
    emitf(e, "for (int64_t m = 0; m < %lldLL; m++)\n", LL(w->dims[0]));
    emitf(e, "for (int64_t op = 0; op < %lldLL; op++) {\n", LL(osp));
    emitf(e, "    const int64_t g = m / %lldLL;\n", LL(mg));
    emitf(e, "    const int32_t zx = %s;\n",
          xzp ? arena_printf(e->ctx->arena, "(int32_t)x%d[0]", xzp_in) : "0");
    emitf(e, "    const int32_t zw = %s;\n",
          wzp ? arena_printf(e->ctx->arena, "(int32_t)x%d[%s]", wzp_in, value_numel(wzp) > 1 ? "m" : "0") : "0");
    emitf(e, "    int64_t oc[%d], rem = op;\n", win.nsp);
    for (int d = win.nsp - 1; d >= 0; d--)
        emitf(e, "    oc[%d] = rem %% %lldLL; rem /= %lldLL;\n", d, LL(win.out[d]), LL(win.out[d]));
    emitf(e, "    int32_t acc = 0;\n");
    emitf(e, "    for (int64_t ci = 0; ci < %lldLL; ci++)\n", LL(cg));
    emitf(e, "    for (int64_t kp = 0; kp < %lldLL; kp++) {\n", LL(ksp));
    emitf(e, "        int64_t kr = kp, xoff = 0, ok = 1;\n");
    emitf(e, "        int64_t kc[%d];\n", win.nsp);
    for (int d = win.nsp - 1; d >= 0; d--)
        emitf(e, "        kc[%d] = kr %% %lldLL; kr /= %lldLL;\n", d, LL(win.k[d]), LL(win.k[d]));
    int64_t stride = 1;
    for (int d = win.nsp - 1; d >= 0; d--) {
        emitf(e, "        { const int64_t ic = oc[%d] * %lldLL - %lldLL + kc[%d] * %lldLL;\n", d, LL(win.s[d]),
              LL(win.pb[d]), d, LL(win.d[d]));
        emitf(e, "          ok &= ic >= 0 && ic < %lldLL; xoff += ic * %lldLL; }\n", LL(win.in[d]), LL(stride));
        stride *= win.in[d];
    }
    emitf(e, "        if (!ok) continue;\n");
    emitf(e, "        const int32_t xv = (int32_t)x%d[((nb * %lldLL) + g * %lldLL + ci) * %lldLL + xoff] - zx;\n", xi,
          LL(x->dims[1]), LL(cg), LL(isp));
    emitf(e, "        const int32_t wv = (int32_t)x%d[(m * %lldLL + ci) * %lldLL + kp] - zw;\n", wi, LL(cg), LL(ksp));
    emitf(e, "        acc += xv * wv;\n    }\n");
    emitf(e, "    const int64_t j = (nb * %lldLL + m) * %lldLL + op;\n", LL(w->dims[0]), LL(osp));
    return true;
}

bool emit_conv_integer(Emit *e) {
    const Node *n = e->node;
    const Value *xzp = n->n_in > 2 ? n->in[2] : NULL, *wzp = n->n_in > 3 ? n->in[3] : NULL;
    if (value_numel(n->out[0]) == 0)
        return true;
    if (!emit_conv_q(e, 0, 1, xzp, 2, wzp, 3))
        return false;
    emitf(e, "    y0[j] = acc;\n}\n");
    return true;
}

bool emit_qlinear_conv(Emit *e) {
    const Node *n = e->node;
    const Value *xs = n->in[1], *ws = n->in[4], *ys = n->in[6], *y = n->out[0];
    const Value *bias = n->n_in > 8 ? n->in[8] : NULL;
    if (value_numel(y) == 0)
        return true;
    emitf(e, "const %s *xa_s = x1;\nconst %s *xb_s = x4;\nconst %s *xy_s = x6;\n", dtype_ctype(xs->dtype),
          dtype_ctype(ws->dtype), dtype_ctype(ys->dtype));
    if (!emit_conv_q(e, 0, 3, n->in[2], 2, n->in[5], 5))
        return false;
    if (bias)
        emitf(e, "    acc += x8[m];\n");
    const char *mult = rescale_expr(e, xs, "0", ws, value_numel(ws) > 1 ? "m" : "0", ys);
    emit_requant_store(e, y->dtype, "acc", mult, "x7[0]");
    emitf(e, "}\n");
    return true;
}
