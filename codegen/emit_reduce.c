/*
 * emit_reduce.c: kernels of reductions, arg-reductions and CumSum.
 *
 * Reduce*: the input's dimensions are merged into alternating runs of kept
 * and reduced dimensions (size-1 dimensions dropped); the kernel loops over
 * the kept runs (the output is contiguous in that order), and for each
 * output element over the reduced runs, accumulating in a wide type (double
 * for floats, 64-bit for integers).  What differs between the ops is three
 * strings from reduce_table: the initial value, the update of `acc` by the
 * element `v`, and the final expression of `acc` and the count N.
 */
#include "codegen.h"

#include <stdarg.h>
#include <string.h>

#define LL(x) ((long long)(x))


typedef struct ReduceRule {
    OpKind op;
    const char *init;   /* "LOW"/"HIGH": the type's lowest/highest value */
    const char *update; /* of acc and v */
    const char *final;  /* of acc and N */
} ReduceRule;

static const ReduceRule reduce_table[] = {
    {OP_REDUCESUM, "0", "acc + v", "acc"},
    {OP_REDUCEMEAN, "0", "acc + v", "acc / N"},
    {OP_REDUCEMAX, "LOW", "MAX", "acc"},
    {OP_REDUCEMIN, "HIGH", "MIN", "acc"},
    {OP_REDUCEPROD, "1", "acc * v", "acc"},
    {OP_REDUCEL1, "0", "acc + (v < 0 ? -v : v)", "acc"},
    {OP_REDUCEL2, "0", "acc + v * v", "sqrt((double)acc)"},
    {OP_REDUCELOGSUM, "0", "acc + v", "log((double)acc)"},
    {OP_REDUCELOGSUMEXP, "0", "acc + exp((double)v)", "log((double)acc)"},
    {OP_REDUCESUMSQUARE, "0", "acc + v * v", "acc"},
};

static const char *type_low(DType t) {
    switch (t) {
    case DT_I8: return "INT8_MIN";
    case DT_I16: return "INT16_MIN";
    case DT_I32: return "INT32_MIN";
    case DT_I64: return "INT64_MIN";
    case DT_U8: case DT_U16: case DT_U32: case DT_U64: case DT_BOOL: return "0";
    default: return "-INFINITY";
    }
}

static const char *type_high(DType t) {
    switch (t) {
    case DT_I8: return "INT8_MAX";
    case DT_I16: return "INT16_MAX";
    case DT_I32: return "INT32_MAX";
    case DT_I64: return "INT64_MAX";
    case DT_U8: case DT_BOOL: return "UINT8_MAX";
    case DT_U16: return "UINT16_MAX";
    case DT_U32: return "UINT32_MAX";
    case DT_U64: return "UINT64_MAX";
    default: return "INFINITY";
    }
}

/* Accumulator type of dtype t. */
static const char *acc_type(DType t) {
    if (dtype_is_float(t))
        return "double";
    return dtype_is_signed(t) ? "int64_t" : "uint64_t";
}

typedef struct Run {
    int64_t size, stride;
    bool reduced;
} Run;

bool emit_reduce(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    const ReduceRule *rule = NULL;
    for (size_t i = 0; i < sizeof reduce_table / sizeof reduce_table[0]; i++)
        if (reduce_table[i].op == n->op)
            rule = &reduce_table[i];
    if (!rule)
        return emit_error(e, "no reduction rule");
    bool red[DLCC_MAX_RANK];
    if (!reduce_resolve_axes(n, e->ctx, red))
        return false;
    if (value_numel(y) == 0)
        return true;
    emit_use_runtime(e, "math");
    int64_t stride[DLCC_MAX_RANK], s = 1, count = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        stride[d] = s;
        s *= x->dims[d];
        if (red[d])
            count *= x->dims[d];
    }
    Run runs[DLCC_MAX_RANK];
    int nr = 0;
    for (int d = 0; d < x->rank; d++) {
        if (x->dims[d] == 1)
            continue;
        if (nr > 0 && runs[nr - 1].reduced == red[d]) {
            runs[nr - 1].size *= x->dims[d];
            runs[nr - 1].stride = stride[d];
            continue;
        }
        runs[nr++] = (Run){x->dims[d], stride[d], red[d]};
    }
    const char *A = acc_type(x->dtype);
    if (count > 0)
        emit_code(e, "typedef %s T;\n", dtype_ctype_compute(x->dtype));
    emit_code(e, "const %s N = (%s)%lld;\n", A, A, LL(count));
    emit_code(e, "(void)N;\n");
    emit_code(e, "int64_t o = 0;\n");
    int depth = 0;
    Buf ib = {0};
    buf_puts(&ib, "0");
    for (int r = 0; r < nr; r++)
        if (!runs[r].reduced) {
            emit_code(e, "for (int64_t k%d = 0; k%d < %lld; k%d++) {\n", r, r, LL(runs[r].size), r);
            buf_printf(&ib, " + k%d * %lld", r, LL(runs[r].stride));
            depth++;
        }
    const char *init = !strcmp(rule->init, "LOW") ? type_low(x->dtype)
                       : !strcmp(rule->init, "HIGH") ? type_high(x->dtype) : rule->init;
    emit_code(e, "%s acc = (%s)%s;\n", A, A, init);
    if (count > 0) {
        Buf rb = {0};
        int rdepth = 0;
        for (int r = 0; r < nr; r++)
            if (runs[r].reduced) {
                emit_code(e, "for (int64_t r%d = 0; r%d < %lld; r%d++) {\n", r, r, LL(runs[r].size), r);
                buf_printf(&rb, " + r%d * %lld", r, LL(runs[r].stride));
                rdepth++;
            }
        const char *idx = arena_printf(e->ctx->arena, "%s%s", ib.data, rb.data ? rb.data : "");
        emit_code(e, "const T v = %s;\n", emit_load(e, x->dtype, "x0", idx));
        if (!strcmp(rule->update, "MAX"))
            emit_code(e, "acc = %s;\n", dtype_is_float(x->dtype) ? "(v > acc || isnan(v)) ? v : acc" : "v > acc ? v : acc");
        else if (!strcmp(rule->update, "MIN"))
            emit_code(e, "acc = %s;\n", dtype_is_float(x->dtype) ? "(v < acc || isnan(v)) ? v : acc" : "v < acc ? v : acc");
        else
            emit_code(e, "acc = %s;\n", rule->update);
        for (int r = 0; r < rdepth; r++)
            emit_code(e, "}\n");
        buf_free(&rb);
    }
    emit_store(e, y->dtype, "y0", "o", rule->final);
    emit_code(e, "o++;\n");
    for (int r = 0; r < depth; r++)
        emit_code(e, "}\n");
    buf_free(&ib);
    return true;
}

/* ArgMax/ArgMin over one axis: the first (or with select_last_index the
 * last) position of the extremum. */
bool emit_argreduce(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    int axis = norm_axis(attr_int(n, "axis", 0), x->rank);
    int64_t outer = 1, inner = 1, D = x->dims[axis];
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        inner *= x->dims[d];
    if (outer * inner == 0)
        return true;
    bool last = attr_int(n, "select_last_index", 0) != 0;
    const char *cmp = n->op == OP_ARGMAX ? (last ? ">=" : ">") : (last ? "<=" : "<");
    emit_code(e, "typedef %s T;\n", dtype_ctype_compute(x->dtype));
    emit_code(e, "for (int64_t a = 0; a < %lld; a++) {\n", LL(outer));
    emit_code(e, "for (int64_t i = 0; i < %lld; i++) {\n", LL(inner));
    emit_code(e, "const int64_t base = a * %lld + i;\n", LL(D * inner));
    emit_code(e, "T best = %s;\n", emit_load(e, x->dtype, "x0", "base"));
    emit_code(e, "int64_t bi = 0;\n");
    emit_code(e, "for (int64_t k = 1; k < %lld; k++) {\n", LL(D));
    emit_code(e, "const T v = %s;\n", emit_load(e, x->dtype, "x0", arena_printf(e->ctx->arena, "base + k * %lld", LL(inner))));
    emit_code(e, "if (v %s best) { best = v; bi = k; }\n", cmp);
    emit_code(e, "}\n");
    emit_code(e, "y0[a * %lld + i] = bi;\n", LL(inner));
    emit_code(e, "}\n}\n");
    return true;
}

/* CumSum along a constant axis (input 1), with exclusive and reverse. */
bool emit_cumsum(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *ax = n->in[1];
    if (!value_is_const(ax) || !ax->data)
        return emit_error(e, "the axis must be a constant");
    int axis = norm_axis(data_get_i64(ax->dtype, ax->data, 0), x->rank);
    if (axis < 0 || x->rank == 0)
        return emit_error(e, "bad axis");
    int64_t outer = 1, inner = 1, D = x->dims[axis];
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        inner *= x->dims[d];
    if (value_numel(x) == 0)
        return true;
    bool excl = attr_int(n, "exclusive", 0) != 0, rev = attr_int(n, "reverse", 0) != 0;
    emit_code(e, "typedef %s T;\n", dtype_ctype_compute(x->dtype));
    emit_code(e, "for (int64_t a = 0; a < %lld; a++) {\n", LL(outer));
    emit_code(e, "for (int64_t i = 0; i < %lld; i++) {\n", LL(inner));
    emit_code(e, "T acc = 0;\n");
    if (rev)
        emit_code(e, "for (int64_t k = %lld; k >= 0; k--) {\n", LL(D - 1));
    else
        emit_code(e, "for (int64_t k = 0; k < %lld; k++) {\n", LL(D));
    emit_code(e, "const int64_t p = a * %lld + k * %lld + i;\n", LL(D * inner), LL(inner));
    if (excl) {
        emit_store(e, x->dtype, "y0", "p", "acc");
        emit_code(e, "acc += %s;\n", emit_load(e, x->dtype, "x0", "p"));
    } else {
        emit_code(e, "acc += %s;\n", emit_load(e, x->dtype, "x0", "p"));
        emit_store(e, x->dtype, "y0", "p", "acc");
    }
    emit_code(e, "}\n}\n}\n");
    return true;
}
