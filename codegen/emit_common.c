/*
 * emit_common.c: helpers every operator emitter uses, and the emitters of
 * the ops that only move bytes (Identity/Reshape/Flatten, Constant).
 *
 * An emitter writes the body of one kernel with emitf().  The driver
 * (codegen.c) runs every emitter twice: first with e->measure set and
 * e->buf NULL, where emitf writes nothing and only scratch requests count,
 * then for real.  The helpers therefore never depend on e->buf, and strings
 * they return (loads, literals) live in the compilation arena.
 *
 * Indentation: e->indent counts levels of four spaces; the driver starts a
 * body at level 1.  emit_store writes one whole statement at that level.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codegen.h"

void emitf(Emit *e, const char *fmt, ...) {
    if (e->measure || !e->buf)
        return;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(e->buf, fmt, ap);
    va_end(ap);
}

const char *emit_scratch(Emit *e, size_t bytes) {
    size_t at = e->scratch;
    e->scratch += (bytes + 63) & ~(size_t)63;
    if (at == 0)
        return "ws";
    return arena_printf(e->ctx->arena, "((char *)ws + %zu)", at);
}

void emit_use_runtime(Emit *e, const char *name) {
    if (!runtime_piece(name)) {
        emit_error(e, "internal error: unknown runtime piece '%s'", name);
        return;
    }
    if (e->cg)
        codegen_use_runtime(e->cg, name);
}

static bool emit_is_ident(const char *s) {
    if (!*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

/* "p[i]" for an identifier p, "(p)[i]" for an expression. */
static const char *emit_elem(Emit *e, const char *ptr, const char *idx) {
    return arena_printf(e->ctx->arena, emit_is_ident(ptr) ? "%s[%s]" : "(%s)[%s]", ptr, idx);
}

/* Name of the runtime conversion between storage type t and float, or NULL
 * when t is stored as its compute type. */
static const char *emit_conv_name(DType t) {
    switch (t) {
    case DT_F16: return "f16";
    case DT_BF16: return "bf16";
    case DT_F8E4M3FN: return "f8e4m3fn";
    case DT_F8E4M3FNUZ: return "f8e4m3fnuz";
    case DT_F8E5M2: return "f8e5m2";
    case DT_F8E5M2FNUZ: return "f8e5m2fnuz";
    case DT_F8E8M0: return "f8e8m0"; /* encode rounds up and saturates (Cast's defaults) */
    default: return NULL; /* f4e2m1: emit_load/emit_store call runtime/math.h */
    }
}

const char *emit_load(Emit *e, DType t, const char *ptr, const char *idx) {
    const char *elem = emit_elem(e, ptr, idx);
    if (t == DT_F4E2M1) { /* unpacked, one code per byte (runtime/math.h) */
        emit_use_runtime(e, "math");
        return arena_printf(e->ctx->arena, "dlcc_f4e2m1_to_f32(%s)", elem);
    }
    const char *conv = emit_conv_name(t);
    if (!conv)
        return elem;
    emit_use_runtime(e, "half");
    if (t == DT_F16 || t == DT_BF16)
        return arena_printf(e->ctx->arena, "dlcc_%s_to_f32(%s)", conv, elem);
    return arena_printf(e->ctx->arena, "dlcc_%s_decode(%s)", conv, elem);
}

void emit_store(Emit *e, DType t, const char *ptr, const char *idx, const char *val) {
    const char *elem = emit_elem(e, ptr, idx);
    if (t == DT_F4E2M1) { /* round to nearest even, saturating (runtime/math.h) */
        emit_use_runtime(e, "math");
        emitf(e, "%*s%s = dlcc_f32_to_f4e2m1((float)(%s));\n", 4 * e->indent, "", elem, val);
        return;
    }
    const char *conv = emit_conv_name(t);
    if (conv)
        emit_use_runtime(e, "half");
    if (conv && (t == DT_F16 || t == DT_BF16))
        emitf(e, "%*s%s = dlcc_f32_to_%s(%s);\n", 4 * e->indent, "", elem, conv, val);
    else if (conv)
        emitf(e, "%*s%s = dlcc_%s_encode(%s);\n", 4 * e->indent, "", elem, conv, val);
    else
        emitf(e, "%*s%s = %s;\n", 4 * e->indent, "", elem, val);
}

/* Floating literal with a '.' or exponent so that a suffix may follow. */
static const char *emit_float_literal(Emit *e, double x, bool is_float) {
    if (isnan(x))
        return "NAN";
    if (isinf(x))
        return x > 0 ? "INFINITY" : "(-INFINITY)";
    char s[64];
    snprintf(s, sizeof s, is_float ? "%.9g" : "%.17g", is_float ? (double)(float)x : x);
    if (!strpbrk(s, ".e"))
        strcat(s, ".0");
    return arena_printf(e->ctx->arena, x < 0 ? "(%s%s)" : "%s%s", s, is_float ? "f" : "");
}

const char *emit_literal(Emit *e, DType t, double x) {
    Arena *a = e->ctx->arena;
    if (t == DT_F64 || t == DT_C128)
        return emit_float_literal(e, x, false);
    if (dtype_is_float(t) || t == DT_C64)
        return emit_float_literal(e, x, true);
    if (t == DT_BOOL)
        return x != 0 ? "1" : "0";
    if (isnan(x))
        x = 0;
    if (dtype_is_signed(t) || !dtype_is_int(t)) {
        if (x <= -9223372036854775808.0)
            return "(-9223372036854775807LL - 1)";
        if (x >= 9223372036854775807.0)
            return "9223372036854775807LL";
        long long v = (long long)x;
        if (v < -2147483647LL || v > 2147483647LL)
            return arena_printf(a, v < 0 ? "(%lldLL)" : "%lldLL", v);
        return arena_printf(a, v < 0 ? "(%lld)" : "%lld", v);
    }
    if (x <= 0)
        return "0";
    if (x >= 18446744073709551615.0)
        return "18446744073709551615ULL";
    unsigned long long u = (unsigned long long)x;
    return arena_printf(a, u > 2147483647ULL ? "%lluULL" : "%llu", u);
}

bool emit_error(Emit *e, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    node_error(e->ctx, e->node, "%s", msg);
    return false;
}

/* Identity, Reshape, Flatten: the output holds the bytes of input 0.  When
 * the planner made the output share the input's bytes the driver skips the
 * call; the pointer test covers the rest. */
bool emit_copy(Emit *e) {
    const Node *n = e->node;
    if (n->n_in < 1 || !n->in[0])
        return emit_error(e, "missing input");
    size_t bytes = value_bytes(n->out[0]);
    if (bytes != value_bytes(n->in[0]))
        return emit_error(e, "internal error: copy of %zu bytes into %zu", value_bytes(n->in[0]), bytes);
    if (bytes)
        emitf(e, "    if ((const void *)y0 != (const void *)x0)\n        memcpy(y0, x0, %zu);\n", bytes);
    return true;
}

/* Constant nodes that reach codegen (folding normally turns their output
 * into data, and then the driver skips them): copy from the weights. */
bool emit_constant(Emit *e) {
    const Node *n = e->node;
    const Value *out = n->out[0];
    const void *data = out->data;
    const Attr *a = node_attr(n, "value");
    if (!data && a && a->kind == AT_TENSOR && a->t)
        data = a->t->data;
    if (!data) {
        int64_t count = value_numel(out);
        void *buf = arena_alloc(e->ctx->arena, value_bytes(out) + 8);
        if ((a = node_attr(n, "value_float")) || (a = node_attr(n, "value_int"))) {
            data_set_f64(out->dtype, buf, 0, a->kind == AT_FLOAT ? a->f : (double)a->i);
        } else if ((a = node_attr(n, "value_floats")) || (a = node_attr(n, "value_ints"))) {
            for (int64_t i = 0; i < count && i < a->n; i++) {
                if (a->kind == AT_FLOATS)
                    data_set_f64(out->dtype, buf, i, a->floats[i]);
                else if (out->dtype == DT_I64)
                    ((int64_t *)buf)[i] = a->ints[i];
                else
                    data_set_f64(out->dtype, buf, i, (double)a->ints[i]);
            }
        } else {
            return emit_error(e, "constant has no value this code generator understands");
        }
        data = buf;
    }
    size_t bytes = value_bytes(out);
    if (bytes)
        emitf(e, "    memcpy(y0, %s, %zu);\n", emit_weight(e, data, bytes, out->dtype), bytes);
    return true;
}

/* emitf with indentation: every line gets e->indent levels, which follow
 * the braces that open and close lines (emit_store indents the same way). */
void emit_code(Emit *e, const char *fmt, ...) {
    if (e->measure)
        return;
    Buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    for (const char *p = b.data; p && *p;) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        if (*p == '}' && e->indent > 0)
            e->indent--;
        emitf(e, "%*s%.*s\n", 4 * e->indent, "", len, p);
        if (len > 0 && p[len - 1] == '{')
            e->indent++;
        p += len + (nl ? 1 : 0);
    }
    buf_free(&b);
}
