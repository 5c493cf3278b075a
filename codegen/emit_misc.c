/*
 * emit_misc.c: kernels of the miscellaneous operators (ops_misc.def).
 *
 * Resize: the plan of ir/shape_misc.c gives, per axis, the taps of every
 * output index; they become static tables (input offsets pre-multiplied by
 * the axis stride, weights), and the kernel is one loop nest over the
 * output with an inner nest over the taps of every axis, accumulating in
 * double.  Axes whose weights are all 1 (nearest, untouched axes) skip the
 * multiplication.  TopK keeps, per slice, a sorted buffer of the k best
 * (value, index) pairs in scratch; an element enters only when strictly
 * better than the last kept one, so ties keep the lower index.  Ops whose
 * outputs were computed at compile time copy them from the weights.
 */
#include "codegen.h"
#include "../ir/shape_misc.h"

#include <math.h>
#include <string.h>

#define LL(x) ((long long)(x))

static int64_t prod(const int64_t *d, int from, int to) {
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= d[i];
    return p;
}

static void emit_table_i64(Emit *e, const char *name, const int64_t *v, int64_t cnt) {
    emitf(e, "static const int64_t %s[%lld] = {", name, LL(cnt > 0 ? cnt : 1));
    for (int64_t i = 0; i < cnt; i++)
        emitf(e, "%s%lldLL", i ? (i % 12 ? ", " : ",\n    ") : "", LL(v[i]));
    emitf(e, "%s};\n", cnt ? "" : "0");
}

static void emit_table_f64(Emit *e, const char *name, const double *v, int64_t cnt) {
    emitf(e, "static const double %s[%lld] = {", name, LL(cnt > 0 ? cnt : 1));
    for (int64_t i = 0; i < cnt; i++)
        emitf(e, "%s%.17g", i ? (i % 6 ? ", " : ",\n    ") : "", v[i]);
    emitf(e, "%s};\n", cnt ? "" : "0");
}

/* ---------------------------------------------------------------- Resize */

bool emit_resize(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    ResizePlan p;
    if (!resize_plan(n, e->ctx->arena, &p, NULL))
        return emit_error(e, "bad resize parameters");
    if (value_numel(y) == 0)
        return true;
    int r = x->rank;
    bool unit[DLCC_MAX_RANK];
    for (int d = 0; d < r; d++) {
        ResizeAxis *ax = &p.ax[d];
        int64_t stride = prod(x->dims, d + 1, r), cnt = ax->out * ax->taps;
        int64_t *off = ARENA_ARRAY(e->ctx->arena, int64_t, cnt + 1);
        unit[d] = true;
        for (int64_t i = 0; i < cnt; i++) {
            off[i] = ax->idx[i] * stride;
            if (ax->w[i] != 1.0)
                unit[d] = false;
        }
        if (ax->taps != 1)
            unit[d] = false;
        emit_table_i64(e, arena_printf(e->ctx->arena, "off%d", d), off, cnt);
        if (!unit[d])
            emit_table_f64(e, arena_printf(e->ctx->arena, "w%d", d), ax->w, cnt);
        if (p.any_ext) {
            emitf(e, "static const unsigned char ext%d[%lld] = {", d, LL(ax->out));
            for (int64_t i = 0; i < ax->out; i++)
                emitf(e, "%s%d", i ? ", " : "", ax->ext[i]);
            emitf(e, "};\n");
        }
    }
    emitf(e, "int64_t j = 0;\n");
    for (int d = 0; d < r; d++)
        emitf(e, "for (int64_t o%d = 0; o%d < %lldLL; o%d++)\n", d, d, LL(p.ax[d].out), d);
    emitf(e, "{\n");
    if (p.any_ext) {
        emitf(e, "    if (0");
        for (int d = 0; d < r; d++)
            emitf(e, " || ext%d[o%d]", d, d);
        emitf(e, ") {\n");
        e->indent = 2;
        emit_store(e, y->dtype, "y0", "j", emit_literal(e, y->dtype, p.extrapolation));
        e->indent = 0;
        emitf(e, "        j++;\n        continue;\n    }\n");
    }
    emitf(e, "    double acc = 0.0;\n");
    const char *idx = "0", *wt = "1.0";
    for (int d = 0; d < r; d++) {
        emitf(e, "    for (int64_t t%d = 0; t%d < %d; t%d++)\n", d, d, p.ax[d].taps, d);
        idx = arena_printf(e->ctx->arena, "%s + off%d[o%d * %d + t%d]", idx, d, d, p.ax[d].taps, d);
        if (!unit[d])
            wt = arena_printf(e->ctx->arena, "%s * w%d[o%d * %d + t%d]", wt, d, d, p.ax[d].taps, d);
    }
    emitf(e, "        acc += %s * (double)%s;\n", wt, emit_load(e, x->dtype, "x0", arena_printf(e->ctx->arena, "(%s)", idx)));
    const char *val = "acc";
    if (dtype_is_int(y->dtype) || y->dtype == DT_BOOL)
        val = arena_printf(e->ctx->arena, "(%s)acc", dtype_ctype(y->dtype));
    else
        val = arena_printf(e->ctx->arena, "(%s)acc", dtype_ctype_compute(y->dtype));
    e->indent = 1;
    emit_store(e, y->dtype, "y0", "j", val);
    e->indent = 0;
    emitf(e, "    j++;\n}\n");
    return true;
}

/* ---------------------------------------------------------------- TopK */

bool emit_topk(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    int64_t k = y->dims[axis], len = x->dims[axis];
    int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, x->rank);
    bool largest = attr_int(n, "largest", 1) != 0;
    if (k == 0 || value_numel(y) == 0)
        return true;
    const char *ct = dtype_ctype_compute(x->dtype);
    size_t vsz = dtype_size(x->dtype) < 8 && strcmp(ct, "float") ? 8 : (strcmp(ct, "float") ? 8 : 4);
    const char *ws = emit_scratch(e, (size_t)k * (vsz + 8) + 64);
    emitf(e, "%s *bv = (%s *)%s;\n", ct, ct, ws);
    emitf(e, "int64_t *bi = (int64_t *)((char *)%s + %zu);\n", ws, ((size_t)k * vsz + 63) / 64 * 64);
    emitf(e, "for (int64_t o = 0; o < %lldLL; o++)\n", LL(outer));
    emitf(e, "for (int64_t i = 0; i < %lldLL; i++) {\n", LL(inner));
    emitf(e, "    int64_t cnt = 0;\n");
    emitf(e, "    for (int64_t a = 0; a < %lldLL; a++) {\n", LL(len));
    emitf(e, "        const %s v = %s;\n", ct,
          emit_load(e, x->dtype, "x0", arena_printf(e->ctx->arena, "(o * %lldLL + a) * %lldLL + i", LL(len), LL(inner))));
    /* better(v, w): v strictly better than w; NaN counts as the largest value */
    const char *better = largest ? "(v > bv[p - 1] || (v != v && bv[p - 1] == bv[p - 1]))"
                                 : "(v < bv[p - 1] || (v == v && bv[p - 1] != bv[p - 1]))";
    if (dtype_is_int(x->dtype) || x->dtype == DT_BOOL)
        better = largest ? "(v > bv[p - 1])" : "(v < bv[p - 1])";
    emitf(e, "        if (cnt == %lldLL) {\n", LL(k));
    emitf(e, "            int64_t p = cnt;\n");
    emitf(e, "            if (!%s) continue;\n", better);
    emitf(e, "        } else cnt++;\n");
    emitf(e, "        int64_t p = cnt - 1;\n");
    emitf(e, "        while (p > 0 && %s) {\n", better);
    emitf(e, "            bv[p] = bv[p - 1];\n            bi[p] = bi[p - 1];\n            p--;\n        }\n");
    emitf(e, "        bv[p] = v;\n        bi[p] = a;\n    }\n");
    emitf(e, "    for (int64_t t = 0; t < %lldLL; t++) {\n", LL(k));
    emitf(e, "        const int64_t q = (o * %lldLL + t) * %lldLL + i;\n", LL(k), LL(inner));
    e->indent = 2;
    emit_store(e, y->dtype, "y0", "q", "bv[t]");
    e->indent = 0;
    emitf(e, "        y1[q] = bi[t];\n    }\n}\n");
    return true;
}

/* ---------------------------------------------------------------- compile-time outputs */

bool emit_known_outputs(Emit *e) {
    const Node *n = e->node;
    for (int i = 0; i < n->n_out; i++) {
        const Value *y = n->out[i];
        if (!y || value_numel(y) == 0)
            continue;
        if (!y->data)
            return emit_error(e, "output %d not known at compile time", i);
        const char *src = emit_weight(e, y->data, value_bytes(y), y->dtype);
        emitf(e, "memcpy(y%d, %s, %zu);\n", i, src, value_bytes(y));
    }
    return true;
}

/* ---------------------------------------------------------------- DFT, STFT */

/* cos / sin of 2 pi m / len for m < len, as tables tc / ts. */
static void emit_twiddles(Emit *e, int64_t len) {
    double *co = ARENA_ARRAY(e->ctx->arena, double, len + 1), *si = ARENA_ARRAY(e->ctx->arena, double, len + 1);
    for (int64_t m = 0; m < len; m++) {
        co[m] = cos(2 * 3.14159265358979323846 * (double)m / (double)len);
        si[m] = sin(2 * 3.14159265358979323846 * (double)m / (double)len);
    }
    emit_table_f64(e, "tc", co, len);
    emit_table_f64(e, "ts", si, len);
}

bool emit_dft(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    int axis;
    int64_t len;
    if (!dft_params(n, x, &axis, &len, NULL))
        return emit_error(e, "bad DFT parameters");
    if (value_numel(y) == 0)
        return true;
    int r = x->rank;
    int64_t outer = prod(x->dims, 0, axis), inner = prod(x->dims, axis + 1, r - 1), cx = x->dims[r - 1];
    int64_t in_len = x->dims[axis], used = in_len < len ? in_len : len, out_len = y->dims[axis];
    bool inverse = attr_int(n, "inverse", 0) != 0;
    emit_twiddles(e, len);
    emitf(e, "for (int64_t o = 0; o < %lldLL; o++)\n", LL(outer));
    emitf(e, "for (int64_t k = 0; k < %lldLL; k++)\n", LL(out_len));
    emitf(e, "for (int64_t i = 0; i < %lldLL; i++) {\n", LL(inner));
    emitf(e, "    double re = 0.0, im = 0.0;\n");
    bool irfft = inverse && attr_int(n, "onesided", 0);
    if (irfft) { /* the full spectrum is the half one extended by conjugate symmetry */
        emitf(e, "    for (int64_t t = 0; t < %lldLL; t++) {\n", LL(len));
        emitf(e, "        const int64_t u = t < %lldLL ? t : %lldLL - t;\n", LL(in_len), LL(len));
        emitf(e, "        if (u < 0 || u >= %lldLL) continue;\n", LL(in_len));
        emitf(e, "        const int64_t q = ((o * %lldLL + u) * %lldLL + i) * %lldLL;\n", LL(in_len), LL(inner), LL(cx));
    } else {
        emitf(e, "    for (int64_t t = 0; t < %lldLL; t++) {\n", LL(used));
        emitf(e, "        const int64_t q = ((o * %lldLL + t) * %lldLL + i) * %lldLL;\n", LL(in_len), LL(inner), LL(cx));
    }
    emitf(e, "        const double xr = (double)%s;\n", emit_load(e, x->dtype, "x0", "q"));
    if (cx == 2)
        emitf(e, "        const double xi = %s(double)%s;\n", irfft ? "(t == u ? 1.0 : -1.0) * " : "",
              emit_load(e, x->dtype, "x0", "q + 1"));
    else
        emitf(e, "        const double xi = 0.0;\n");
    emitf(e, "        const int64_t m = (k * t) %% %lldLL;\n", LL(len));
    emitf(e, "        const double c = tc[m], s = %sts[m];\n", inverse ? "" : "-");
    emitf(e, "        re += xr * c - xi * s;\n        im += xr * s + xi * c;\n    }\n");
    emitf(e, "    const int64_t p = ((o * %lldLL + k) * %lldLL + i) * %d;\n", LL(out_len), LL(inner), irfft ? 1 : 2);
    const char *sc = inverse ? arena_printf(e->ctx->arena, " / %lld.0", LL(len)) : "";
    e->indent = 1;
    if (irfft) {
        emit_store(e, y->dtype, "y0", "p", arena_printf(e->ctx->arena, "(%s)(re%s)", dtype_ctype_compute(y->dtype), sc));
        e->indent = 0;
        emitf(e, "    (void)im;\n}\n");
        return true;
    }
    emit_store(e, y->dtype, "y0", "p", arena_printf(e->ctx->arena, "(%s)(re%s)", dtype_ctype_compute(y->dtype), sc));
    emit_store(e, y->dtype, "y0", "p + 1", arena_printf(e->ctx->arena, "(%s)(im%s)", dtype_ctype_compute(y->dtype), sc));
    e->indent = 0;
    emitf(e, "}\n");
    return true;
}

bool emit_stft(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *w = n->n_in > 2 ? n->in[2] : NULL, *y = n->out[0];
    int64_t step, flen, frames;
    if (!stft_params(n, &step, &flen, &frames, NULL))
        return emit_error(e, "bad STFT parameters");
    if (value_numel(y) == 0)
        return true;
    int64_t cx = x->dims[2], bins = y->dims[2];
    emit_twiddles(e, flen);
    emitf(e, "for (int64_t b = 0; b < %lldLL; b++)\n", LL(x->dims[0]));
    emitf(e, "for (int64_t f = 0; f < %lldLL; f++)\n", LL(frames));
    emitf(e, "for (int64_t k = 0; k < %lldLL; k++) {\n", LL(bins));
    emitf(e, "    double re = 0.0, im = 0.0;\n");
    emitf(e, "    for (int64_t t = 0; t < %lldLL; t++) {\n", LL(flen));
    emitf(e, "        const int64_t q = (b * %lldLL + f * %lldLL + t) * %lldLL;\n", LL(x->dims[1]), LL(step), LL(cx));
    emitf(e, "        const double wv = %s;\n", w ? arena_printf(e->ctx->arena, "(double)%s", emit_load(e, w->dtype, "x2", "t")) : "1.0");
    emitf(e, "        const double xr = wv * (double)%s;\n", emit_load(e, x->dtype, "x0", "q"));
    emitf(e, "        const double xi = %s;\n",
          cx == 2 ? arena_printf(e->ctx->arena, "wv * (double)%s", emit_load(e, x->dtype, "x0", "q + 1")) : "0.0");
    emitf(e, "        const int64_t m = (k * t) %% %lldLL;\n", LL(flen));
    emitf(e, "        re += xr * tc[m] + xi * ts[m];\n        im += xi * tc[m] - xr * ts[m];\n    }\n");
    emitf(e, "    const int64_t p = ((b * %lldLL + f) * %lldLL + k) * 2;\n", LL(frames), LL(bins));
    e->indent = 1;
    emit_store(e, y->dtype, "y0", "p", arena_printf(e->ctx->arena, "(%s)re", dtype_ctype_compute(y->dtype)));
    emit_store(e, y->dtype, "y0", "p + 1", arena_printf(e->ctx->arena, "(%s)im", dtype_ctype_compute(y->dtype)));
    e->indent = 0;
    emitf(e, "}\n");
    return true;
}

/* ---------------------------------------------------------------- Det */

bool emit_det(Emit *e) {
    const Value *x = e->node->in[0], *y = e->node->out[0];
    int64_t m = x->dims[x->rank - 1], cnt = value_numel(y);
    if (cnt == 0)
        return true;
    const char *ws = emit_scratch(e, (size_t)(m * m) * sizeof(double) + 64);
    emitf(e, "double *a = (double *)%s;\n", ws);
    emitf(e, "for (int64_t b = 0; b < %lldLL; b++) {\n", LL(cnt));
    emitf(e, "    for (int64_t i = 0; i < %lldLL; i++)\n", LL(m * m));
    emitf(e, "        a[i] = (double)%s;\n", emit_load(e, x->dtype, "x0", arena_printf(e->ctx->arena, "b * %lldLL + i", LL(m * m))));
    emitf(e, "    double det = 1.0;\n");
    emitf(e, "    for (int64_t c = 0; c < %lldLL; c++) {\n", LL(m));
    emitf(e, "        int64_t p = c;\n");
    emitf(e, "        for (int64_t r = c + 1; r < %lldLL; r++)\n", LL(m));
    emitf(e, "            if (fabs(a[r * %lldLL + c]) > fabs(a[p * %lldLL + c])) p = r;\n", LL(m), LL(m));
    emitf(e, "        if (a[p * %lldLL + c] == 0.0) { det = 0.0; break; }\n", LL(m));
    emitf(e, "        if (p != c) {\n            det = -det;\n");
    emitf(e, "            for (int64_t j = 0; j < %lldLL; j++) {\n", LL(m));
    emitf(e, "                const double t = a[c * %lldLL + j];\n", LL(m));
    emitf(e, "                a[c * %lldLL + j] = a[p * %lldLL + j];\n                a[p * %lldLL + j] = t;\n            }\n        }\n",
          LL(m), LL(m), LL(m));
    emitf(e, "        det *= a[c * %lldLL + c];\n", LL(m));
    emitf(e, "        for (int64_t r = c + 1; r < %lldLL; r++) {\n", LL(m));
    emitf(e, "            const double f = a[r * %lldLL + c] / a[c * %lldLL + c];\n", LL(m), LL(m));
    emitf(e, "            for (int64_t j = c; j < %lldLL; j++)\n", LL(m));
    emitf(e, "                a[r * %lldLL + j] -= f * a[c * %lldLL + j];\n        }\n    }\n", LL(m), LL(m));
    e->indent = 1;
    emit_store(e, y->dtype, "y0", "b", arena_printf(e->ctx->arena, "(%s)det", dtype_ctype_compute(y->dtype)));
    e->indent = 0;
    emitf(e, "}\n");
    return true;
}

/* ---------------------------------------------------------------- CenterCropPad */

bool emit_center_crop_pad(Emit *e) {
    const Value *x = e->node->in[0], *y = e->node->out[0];
    if (value_numel(y) == 0)
        return true;
    int r = x->rank;
    for (int d = 0; d < r; d++) {
        int64_t in = x->dims[d], on = y->dims[d], stride = prod(x->dims, d + 1, r);
        int64_t delta = in >= on ? (in - on) / 2 : -((on - in) / 2);
        int64_t *src = ARENA_ARRAY(e->ctx->arena, int64_t, on + 1);
        for (int64_t o = 0; o < on; o++) {
            int64_t s = o + delta;
            src[o] = s >= 0 && s < in ? s * stride : -1;
        }
        emit_table_i64(e, arena_printf(e->ctx->arena, "src%d", d), src, on);
    }
    emitf(e, "int64_t j = 0;\n");
    for (int d = 0; d < r; d++)
        emitf(e, "for (int64_t o%d = 0; o%d < %lldLL; o%d++)\n", d, d, LL(y->dims[d]), d);
    emitf(e, "{\n    int64_t s = 0, ok = 1;\n");
    for (int d = 0; d < r; d++)
        emitf(e, "    ok &= src%d[o%d] >= 0; s += src%d[o%d];\n", d, d, d, d);
    emitf(e, "    if (ok) y0[j] = x0[s]; else memset(&y0[j], 0, sizeof y0[j]);\n    j++;\n}\n");
    return true;
}
