/*
 * emit_control.c: the kernels of If, Loop and Scan.
 *
 * Each body (a planned Graph, see passes/subgraph.c) becomes its own set of
 * kernels plus a body function, written by codegen_emit_subgraph:
 *     static int B(void *state, const void *const in[], void *const out[])
 * The control kernel calls it with pointers to the body's inputs (its formal
 * inputs, then the captured outer values, which are the node's last inputs)
 * and to where the body outputs go.  The node's scratch holds, from its
 * start: the body arena (the largest of the node's bodies), then the
 * control kernel's own buffers:
 *   - If: none; the taken branch writes the node outputs directly;
 *   - Loop: iteration number, condition in and out, and one buffer per
 *     loop-carried value that the body writes before it is copied back over
 *     the node output (a body may swap its carried values).  The node
 *     outputs hold the carried values between iterations; the slice of a
 *     scan output for iteration i is written in place at row i;
 *   - Scan: one buffer per state as for Loop, and a gather (scatter) buffer
 *     for every scan input (output) whose axis is not the outermost one.
 * Generated code stays static: trip counts above a scan output's length, or
 * a loop with scan outputs that stops early, return -DLCC_ERR_SHAPE.
 */
#include <string.h>

#include "codegen.h"
#include "../ir/shape_control.h"
#include "../passes/passes.h"

static int64_t align64(int64_t x) { return (x + 63) & ~(int64_t)63; }

/* Emits the body function (not while measuring) and checks its arena fits. */
static const char *emit_body(Emit *e, Graph *body, int index, int64_t arena) {
    if (e->measure)
        return "";
    int64_t need = 0;
    const char *fn = codegen_emit_subgraph(e, body, index, &need);
    if (fn && need > arena) {
        emit_error(e, "internal error: body %d needs %lld arena bytes, %lld were planned", index, (long long)need,
                   (long long)arena);
        return NULL;
    }
    return fn;
}

/* `const void *in[n] = {...};` naming formal pointer expressions then the
 * node's captured inputs x<first>..x<n_in - 1>. */
static void emit_in_array(Emit *e, const char *const *formal, int n_formal, int first_cap) {
    int n = n_formal + (e->node->n_in - first_cap);
    emitf(e, "    const void *in[%d] = {", n > 0 ? n : 1);
    for (int i = 0; i < n_formal; i++)
        emitf(e, "%s%s", i ? ", " : "", formal[i]);
    for (int i = first_cap; i < e->node->n_in; i++)
        emitf(e, "%sx%d", i - first_cap + n_formal ? ", " : "", i);
    emitf(e, "%s};\n", n ? "" : "0");
}

static void emit_memcpy(Emit *e, const char *dst, const char *src, int64_t bytes) {
    if (bytes > 0)
        emitf(e, "    memcpy(%s, %s, %lld);\n", dst, src, (long long)bytes);
}

/* ---------------------------------------------------------------- If */

bool emit_if(Emit *e) {
    const Node *n = e->node;
    const Attr *ta = node_attr(n, "then_branch"), *ea = node_attr(n, "else_branch");
    if (!ta || !ea || !ta->g || !ea->g)
        return emit_error(e, "missing branch");
    int64_t at = subgraph_arena_bytes(ta->g), ae = subgraph_arena_bytes(ea->g);
    int64_t arena = at > ae ? at : ae;
    if (arena > 0)
        emit_scratch(e, (size_t)arena);
    const char *ft = emit_body(e, ta->g, 0, arena), *fe = emit_body(e, ea->g, 1, arena);
    if (!ft || !fe)
        return false;
    emit_in_array(e, NULL, 0, 1);
    emitf(e, "    void *out[%d] = {", n->n_out > 0 ? n->n_out : 1);
    for (int k = 0; k < n->n_out; k++)
        emitf(e, "%sy%d", k ? ", " : "", k);
    emitf(e, "%s};\n", n->n_out ? "" : "0");
    emitf(e, "    int rc = x0[0] ? %s(ws, in, out) : %s(ws, in, out);\n", ft, fe);
    emitf(e, "    if (rc < 0)\n        return rc;\n");
    return true;
}

/* ---------------------------------------------------------------- Loop */

bool emit_loop(Emit *e) {
    const Node *n = e->node;
    const Attr *ba = node_attr(n, "body");
    if (!ba || !ba->g)
        return emit_error(e, "missing body");
    Graph *body = ba->g;
    int first_cap = n->n_in - subgraph_n_captured(n);
    int N = first_cap - 2, K = n->n_out - N;
    int64_t arena = subgraph_arena_bytes(body);
    int64_t off = arena + 64; /* iteration, cond in, cond out */
    int64_t tmp[1024];
    if (N > 1024)
        return emit_error(e, "too many loop-carried values");
    for (int k = 0; k < N; k++) {
        tmp[k] = off;
        off += align64((int64_t)value_bytes(n->out[k]));
    }
    emit_scratch(e, (size_t)off);
    const char *fn = emit_body(e, body, 0, arena);
    if (!fn)
        return false;
    const Value *m = n->in[0], *cond = n->in[1];
    const Value *cout = body->outputs[0];
    int64_t trips = -1; /* static trip count, for scan outputs */
    if (K > 0)
        trips = n->out[N]->dims[0];

    emitf(e, "    char *w = (char *)ws;\n");
    emitf(e, "    int64_t *iter = (int64_t *)(void *)(w + %lld);\n", (long long)arena);
    emitf(e, "    uint8_t *cin = (uint8_t *)(w + %lld);\n", (long long)arena + 8);
    emitf(e, "    const %s *cout = (const %s *)(void *)(w + %lld);\n", dtype_ctype(cout->dtype),
          dtype_ctype(cout->dtype), (long long)arena + 16);
    if (trips >= 0)
        emitf(e, "    const int64_t trips = %lld;\n", (long long)trips);
    else if (m)
        emitf(e, "    const int64_t trips = (int64_t)x0[0];\n");
    else
        emitf(e, "    const int64_t trips = INT64_MAX;\n");
    if (cond)
        emitf(e, "    int go = x1[0] != 0;\n");
    else
        emitf(e, "    int go = 1;\n");
    for (int k = 0; k < N; k++)
        emit_memcpy(e, arena_printf(e->ctx->arena, "y%d", k), arena_printf(e->ctx->arena, "x%d", 2 + k),
                    (int64_t)value_bytes(n->out[k]));
    const char **formal = ARENA_ARRAY(e->ctx->arena, const char *, N + 2);
    formal[0] = "iter";
    formal[1] = "cin";
    for (int k = 0; k < N; k++)
        formal[2 + k] = arena_printf(e->ctx->arena, "y%d", k);
    emit_in_array(e, formal, N + 2, first_cap);
    emitf(e, "    void *out[%d];\n", 1 + N + K);
    emitf(e, "    out[0] = w + %lld;\n", (long long)arena + 16);
    for (int k = 0; k < N; k++)
        emitf(e, "    out[%d] = w + %lld;\n", 1 + k, (long long)tmp[k]);
    emitf(e, "    int64_t it = 0;\n");
    emitf(e, "    for (; it < trips && go; it++) {\n");
    emitf(e, "        *iter = it;\n        *cin = (uint8_t)go;\n");
    for (int j = 0; j < K; j++)
        emitf(e, "        out[%d] = (char *)y%d + it * %lld;\n", 1 + N + j, N + j,
              (long long)value_bytes(body->outputs[1 + N + j]));
    emitf(e, "        int rc = %s(w, in, out);\n        if (rc < 0)\n            return rc;\n", fn);
    for (int k = 0; k < N; k++)
        if (value_bytes(n->out[k]) > 0)
            emitf(e, "        memcpy(y%d, w + %lld, %zu);\n", k, (long long)tmp[k], value_bytes(n->out[k]));
    emitf(e, "        go = cout[0] != 0;\n    }\n");
    if (K > 0)
        emitf(e, "    if (it != trips) /* scan outputs are static: the loop must run all M iterations */\n"
                 "        return -DLCC_ERR_SHAPE;\n");
    return true;
}

/* ---------------------------------------------------------------- Scan */

/* Outer count, sequence length and inner bytes of a slice along axis ax
 * of v (skipping `skip` leading batch axes). */
static void scan_split(const Value *v, int ax, int skip, int64_t *outer, int64_t *inner) {
    *outer = 1;
    *inner = (int64_t)dtype_size(v->dtype);
    for (int d = skip; d < v->rank; d++) {
        if (d < ax)
            *outer *= v->dims[d];
        else if (d > ax)
            *inner *= v->dims[d];
    }
}

bool emit_scan(Emit *e) {
    const Node *n = e->node;
    Arena *a = e->ctx->arena;
    ScanInfo s;
    if (!scan_resolve(n, e->ctx, &s))
        return false;
    Graph *body = s.body;
    int first_cap = n->n_in - subgraph_n_captured(n);
    int skip = s.v8 ? 1 : 0;
    int64_t arena = subgraph_arena_bytes(body), off = arena;
    int64_t tmp[SCAN_MAX], gbuf[SCAN_MAX], sbuf[SCAN_MAX];
    int64_t in_outer[SCAN_MAX], in_inner[SCAN_MAX], out_outer[SCAN_MAX], out_inner[SCAN_MAX];
    int out_axis[SCAN_MAX];
    for (int k = 0; k < s.N; k++) {
        tmp[k] = off;
        off += align64((int64_t)value_bytes(body->outputs[k]));
    }
    for (int j = 0; j < s.M; j++) {
        const Value *x = n->in[s.first + s.N + j];
        scan_split(x, s.in_axis[j], skip, &in_outer[j], &in_inner[j]);
        gbuf[j] = -1;
        if (in_outer[j] > 1) {
            gbuf[j] = off;
            off += align64(in_outer[j] * in_inner[j]);
        }
    }
    for (int j = 0; j < s.K; j++) {
        const Value *y = n->out[s.N + j];
        out_axis[j] = norm_axis(s.out_axis_raw[j], body->outputs[s.N + j]->rank + 1) + skip;
        scan_split(y, out_axis[j], skip, &out_outer[j], &out_inner[j]);
        sbuf[j] = -1;
        if (out_outer[j] > 1) {
            sbuf[j] = off;
            off += align64(out_outer[j] * out_inner[j]);
        }
    }
    if (off > 0)
        emit_scratch(e, (size_t)off);
    const char *fn = emit_body(e, body, 0, arena);
    if (!fn)
        return false;

    int64_t L = s.len;
    emitf(e, "    char *w = (char *)ws;\n    (void)w;\n");
    const char **formal = ARENA_ARRAY(a, const char *, s.N + s.M + 1);
    for (int k = 0; k < s.N; k++)
        formal[k] = "0";
    for (int j = 0; j < s.M; j++)
        formal[s.N + j] = "0";
    emit_in_array(e, formal, s.N + s.M, first_cap);
    emitf(e, "    void *out[%d];\n", s.N + s.K > 0 ? s.N + s.K : 1);
    for (int k = 0; k < s.N; k++)
        emitf(e, "    out[%d] = w + %lld;\n", k, (long long)tmp[k]);
    for (int j = 0; j < s.K; j++)
        if (sbuf[j] >= 0)
            emitf(e, "    out[%d] = w + %lld;\n", s.N + j, (long long)sbuf[j]);
    for (int j = 0; j < s.M; j++)
        if (gbuf[j] >= 0)
            emitf(e, "    in[%d] = w + %lld;\n", s.N + j, (long long)gbuf[j]);
    emitf(e, "    for (int64_t b = 0; b < %lld; b++) {\n", (long long)s.batch);
    if (s.v8 && n->in[0]) {
        emitf(e, "        const int64_t len = (int64_t)x0[b];\n");
        emitf(e, "        if (len < 0 || len > %lld)\n            return -DLCC_ERR_INDEX;\n", (long long)L);
    } else {
        emitf(e, "        const int64_t len = %lld;\n", (long long)L);
    }
    /* per batch: states start from their initial values */
    for (int k = 0; k < s.N; k++) {
        int64_t sb = (int64_t)value_bytes(body->outputs[k]);
        emitf(e, "        char *st%d = (char *)y%d + b * %lld;\n", k, k, (long long)sb);
        if (sb > 0)
            emitf(e, "        memcpy(st%d, (const char *)x%d + b * %lld, %lld);\n", k, s.first + k, (long long)sb,
                  (long long)sb);
        emitf(e, "        in[%d] = st%d;\n", k, k);
    }
    for (int j = 0; j < s.K; j++) {
        int64_t total = out_outer[j] * L * out_inner[j];
        if (s.v8 && n->in[0] && total > 0) /* rows past len stay zero */
            emitf(e, "        memset((char *)y%d + b * %lld, 0, %lld);\n", s.N + j, (long long)total,
                  (long long)total);
    }
    emitf(e, "        for (int64_t t = 0; t < len; t++) {\n");
    for (int j = 0; j < s.M; j++) {
        int xi = s.first + s.N + j;
        int64_t slab = L * in_outer[j] * in_inner[j];
        const char *idx = s.in_rev[j] ? "(len - 1 - t)" : "t";
        if (gbuf[j] < 0) {
            emitf(e, "            in[%d] = (const char *)x%d + b * %lld + %s * %lld;\n", s.N + j, xi, (long long)slab,
                  idx, (long long)in_inner[j]);
        } else {
            emitf(e, "            for (int64_t o = 0; o < %lld; o++)\n", (long long)in_outer[j]);
            emitf(e, "                memcpy(w + %lld + o * %lld, (const char *)x%d + b * %lld + (o * %lld + %s) * %lld, "
                     "%lld);\n",
                  (long long)gbuf[j], (long long)in_inner[j], xi, (long long)slab, (long long)L, idx,
                  (long long)in_inner[j], (long long)in_inner[j]);
        }
    }
    for (int j = 0; j < s.K; j++) {
        int64_t slab = L * out_outer[j] * out_inner[j];
        const char *idx = s.out_rev[j] ? "(len - 1 - t)" : "t";
        if (sbuf[j] < 0)
            emitf(e, "            out[%d] = (char *)y%d + b * %lld + %s * %lld;\n", s.N + j, s.N + j, (long long)slab,
                  idx, (long long)out_inner[j]);
    }
    emitf(e, "            int rc = %s(w, in, out);\n            if (rc < 0)\n                return rc;\n", fn);
    for (int k = 0; k < s.N; k++) {
        int64_t sb = (int64_t)value_bytes(body->outputs[k]);
        if (sb > 0)
            emitf(e, "            memcpy(st%d, w + %lld, %lld);\n", k, (long long)tmp[k], (long long)sb);
    }
    for (int j = 0; j < s.K; j++) {
        if (sbuf[j] < 0)
            continue;
        int64_t slab = L * out_outer[j] * out_inner[j];
        const char *idx = s.out_rev[j] ? "(len - 1 - t)" : "t";
        emitf(e, "            for (int64_t o = 0; o < %lld; o++)\n", (long long)out_outer[j]);
        emitf(e, "                memcpy((char *)y%d + b * %lld + (o * %lld + %s) * %lld, w + %lld + o * %lld, %lld);\n",
              s.N + j, (long long)slab, (long long)L, idx, (long long)out_inner[j], (long long)sbuf[j],
              (long long)out_inner[j], (long long)out_inner[j]);
    }
    emitf(e, "        }\n    }\n");
    return true;
}
