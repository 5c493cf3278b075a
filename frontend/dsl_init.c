/*
 * dsl_init.c: literals, constants and initializers of the .dl parser.
 *
 * Number and list literals are read into a Lit (flat elements, dims checked
 * for raggedness) and stay pending (Operand.lit) until the operator that
 * consumes them is known, so that `2 * x` makes 2 a constant of x's dtype
 * (dsl_operand_value); unused, a literal is i64 when every element is written
 * as an integer, f32 otherwise.  The same literals fill `param` and `const`
 * data and tensor attributes (dsl_lit_fill).  The initializers zeros, ones,
 * uniform, normal, xavier_*, he_*, orthogonal and file("...") are only
 * described here (Value.init); ir/init.c materialises them after parsing.
 */
#include "dsl_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- numbers and literals */

typedef struct LitBuf {
    double *f;
    int64_t *i;
    const char **s;
    size_t *s_len;
    int64_t n, cap;
    bool all_int, any_num, any_str;
} LitBuf;

static void litbuf_push(Parser *p, LitBuf *b, double f, int64_t i, const char *s, size_t s_len) {
    if (b->n == b->cap) {
        int64_t cap = b->cap ? b->cap * 2 : 16;
        double *nf = ARENA_ARRAY(p->c->arena, double, cap);
        int64_t *ni = ARENA_ARRAY(p->c->arena, int64_t, cap);
        const char **ns = ARENA_ARRAY(p->c->arena, const char *, cap);
        size_t *nl = ARENA_ARRAY(p->c->arena, size_t, cap);
        if (b->n) {
            memcpy(nf, b->f, sizeof(double) * (size_t)b->n);
            memcpy(ni, b->i, sizeof(int64_t) * (size_t)b->n);
            memcpy(ns, b->s, sizeof(char *) * (size_t)b->n);
            memcpy(nl, b->s_len, sizeof(size_t) * (size_t)b->n);
        }
        b->f = nf, b->i = ni, b->s = ns, b->s_len = nl, b->cap = cap;
    }
    b->f[b->n] = f;
    b->i[b->n] = i;
    b->s[b->n] = s;
    b->s_len[b->n] = s_len;
    b->n++;
}

/* Whether the next tokens form one scalar literal element. */
bool dsl_at_scalar(Parser *p) {
    Tok *t = dsl_peek(p);
    if (dsl_is_punct(t, '-'))
        t = dsl_peek_at(p, 1);
    return t->kind == TK_NUMBER || dsl_is_kw(t, "inf") || dsl_is_kw(t, "nan") || dsl_is_kw(t, "true") || dsl_is_kw(t, "false");
}

/* NUMBER | '-' NUMBER | inf | nan | true | false; is_int tells whether it was written as an integer. */
void dsl_parse_scalar(Parser *p, double *f, int64_t *i, bool *is_int) {
    bool neg = dsl_accept(p, '-');
    Tok *t = dsl_next(p);
    if (t->kind == TK_NUMBER) {
        *is_int = t->is_int;
        *f = strtod(t->val, NULL);
        if (t->is_int) {
            errno = 0;
            long long v = strtoll(t->val, NULL, 10);
            if (errno == ERANGE) {
                errno = 0;
                unsigned long long u = strtoull(t->val, NULL, 10);
                if (errno == ERANGE || neg)
                    dsl_fatal(p, t, "integer %s%s is out of range", neg ? "-" : "", t->val);
                v = (long long)u; /* u64 bit pattern */
            }
            *i = neg ? -(int64_t)v : (int64_t)v;
        } else {
            *i = (int64_t)*f;
        }
    } else if (dsl_is_kw(t, "inf") || dsl_is_kw(t, "nan")) {
        *is_int = false;
        *f = dsl_is_kw(t, "inf") ? INFINITY : NAN;
        *i = 0;
    } else if (!neg && (dsl_is_kw(t, "true") || dsl_is_kw(t, "false"))) {
        *is_int = true;
        *i = dsl_is_kw(t, "true");
        *f = (double)*i;
        return;
    } else {
        dsl_fatal(p, t, "expected a number, found %s", dsl_tok_desc(p, t));
    }
    if (neg)
        *f = -*f;
}

static void lit_level(Parser *p, LitBuf *b, int depth, int64_t *dims, int *rank, bool *seen) {
    Tok *t = dsl_peek(p);
    if (dsl_is_punct(t, '[')) {
        if (depth >= DLCC_MAX_RANK)
            dsl_fatal(p, t, "literal nests deeper than %d levels", DLCC_MAX_RANK);
        dsl_next(p);
        int64_t count = 0;
        if (!dsl_is_punct(dsl_peek(p), ']')) {
            do {
                lit_level(p, b, depth + 1, dims, rank, seen);
                count++;
            } while (dsl_accept(p, ','));
        } else if (*rank < 0) {
            *rank = depth + 1;
        } else if (*rank != depth + 1) {
            dsl_fatal(p, t, "ragged literal: the nested lists differ in depth");
        }
        dsl_expect(p, ']', "to close the literal");
        if (seen[depth] && dims[depth] != count)
            dsl_fatal(p, t, "ragged literal: lists of %lld and %lld elements at the same depth", (long long)dims[depth],
                  (long long)count);
        seen[depth] = true;
        dims[depth] = count;
        return;
    }
    if (*rank < 0)
        *rank = depth;
    else if (*rank != depth)
        dsl_fatal(p, t, "ragged literal: the nested lists differ in depth");
    if (t->kind == TK_STRING) {
        dsl_next(p);
        b->any_str = true;
        litbuf_push(p, b, 0, 0, t->val, t->val_len);
    } else {
        double f;
        int64_t i;
        bool is_int;
        if (!dsl_at_scalar(p))
            dsl_fatal(p, t, "expected a number in the literal, found %s", dsl_tok_desc(p, t));
        dsl_parse_scalar(p, &f, &i, &is_int);
        b->any_num = true;
        if (!is_int)
            b->all_int = false;
        litbuf_push(p, b, f, i, NULL, 0);
    }
    if (b->any_str && b->any_num)
        dsl_fatal(p, t, "a literal mixes strings and numbers");
}

/* literal := '[' ... ']' | scalar | STRING */
Lit *dsl_parse_literal(Parser *p) {
    LitBuf b = {.all_int = true};
    int64_t dims[DLCC_MAX_RANK + 1] = {0};
    bool seen[DLCC_MAX_RANK + 1] = {0};
    int rank = -1;
    lit_level(p, &b, 0, dims, &rank, seen);
    Lit *l = ARENA_NEW(p->c->arena, Lit);
    l->rank = rank;
    memcpy(l->dims, dims, sizeof(int64_t) * (size_t)rank);
    l->n = b.n;
    l->f = b.f;
    l->i = b.i;
    l->s = b.s;
    l->s_len = b.s_len;
    l->all_int = b.all_int;
    l->is_str = b.any_str;
    return l;
}

static void store_int(DType t, void *data, int64_t k, int64_t x) {
    switch (t) {
    case DT_I64: ((int64_t *)data)[k] = x; break;
    case DT_U64: ((uint64_t *)data)[k] = (uint64_t)x; break;
    case DT_I32: ((int32_t *)data)[k] = (int32_t)x; break;
    case DT_U32: ((uint32_t *)data)[k] = (uint32_t)x; break;
    case DT_I16: ((int16_t *)data)[k] = (int16_t)x; break;
    case DT_U16: ((uint16_t *)data)[k] = (uint16_t)x; break;
    case DT_I8: case DT_I4: ((int8_t *)data)[k] = (int8_t)x; break;
    case DT_U8: case DT_U4: ((uint8_t *)data)[k] = (uint8_t)x; break;
    case DT_BOOL: ((uint8_t *)data)[k] = x != 0; break;
    default: data_set_f64(t, data, k, (double)x); break;
    }
}

/* Fills n elements of dtype dt from the literal (one element is repeated). */
bool dsl_lit_fill(Parser *p, const Lit *l, DType dt, void *data, int64_t n, Loc loc) {
    if (l->n != n && l->n != 1)
        return diag_error(p->c, loc, "bad initializer: the literal has %lld elements, the type needs %lld",
                          (long long)l->n, (long long)n);
    if ((dt == DT_STRING) != l->is_str)
        return diag_error(p->c, loc, "bad initializer: %s literal for a %s tensor", l->is_str ? "string" : "number",
                          dtype_name(dt));
    bool is_int = dtype_is_int(dt) || dt == DT_BOOL;
    for (int64_t k = 0; k < n; k++) {
        int64_t src = l->n == 1 ? 0 : k;
        if (dt == DT_STRING) {
            ((const char **)data)[k] = l->s[src];
        } else if (is_int) {
            double f = l->f[src];
            if (!l->all_int && (!isfinite(f) || f != floor(f)))
                return diag_error(p->c, loc, "bad initializer: %.9g is not an integer but the type is %s", f,
                                  dtype_name(dt));
            store_int(dt, data, k, l->all_int ? l->i[src] : (int64_t)f);
        } else {
            data_set_f64(dt, data, k, l->f[src]);
        }
    }
    return true;
}

Value *dsl_operand_value(Parser *p, Operand *o, DType want) {
    if (!o->lit)
        return o->v;
    const Lit *l = o->lit;
    DType dt = l->is_str ? DT_STRING : l->all_int ? DT_I64 : DT_F32;
    if (want != DT_UNDEF && want != DT_STRING && !l->is_str && (dtype_is_float(want) || l->all_int))
        dt = want;
    Value *v = graph_add_const(p->sc->g, dsl_fresh_name(p, "c"), dt, l->rank, l->dims, NULL);
    size_t bytes = dt == DT_STRING ? sizeof(char *) * (size_t)l->n : value_bytes(v);
    void *data = arena_alloc(p->c->arena, bytes ? bytes : 1);
    dsl_lit_fill(p, l, dt, data, l->n, o->loc);
    v->data = data;
    v->loc = o->loc;
    dsl_temp_register(p, v, dt);
    o->v = v;
    o->lit = NULL;
    return v;
}

Value *dsl_const_scalar(Parser *p, DType dt, double x) {
    if (dt == DT_UNDEF)
        dt = DT_F32;
    Value *v = graph_add_const(p->sc->g, dsl_fresh_name(p, "c"), dt, 0, NULL, NULL);
    void *data = arena_alloc(p->c->arena, dtype_size(dt) ? dtype_size(dt) : 1);
    data_set_f64(dt, data, 0, x);
    v->data = data;
    dsl_temp_register(p, v, dt);
    return v;
}

Value *dsl_const_i64s(Parser *p, const int64_t *vals, int n) {
    int64_t dim = n;
    Value *v = graph_add_const(p->sc->g, dsl_fresh_name(p, "c"), DT_I64, 1, &dim,
                               arena_memdup(p->c->arena, vals, sizeof(int64_t) * (size_t)(n ? n : 1)));
    dsl_temp_register(p, v, DT_I64);
    return v;
}

double dsl_parse_number(Parser *p) {
    double f;
    int64_t i;
    bool is_int;
    if (!dsl_at_scalar(p))
        dsl_fatal(p, dsl_peek(p), "expected a number, found %s", dsl_tok_desc(p, dsl_peek(p)));
    dsl_parse_scalar(p, &f, &i, &is_int);
    return f;
}

static const struct {
    const char *name;
    InitKind kind;
} init_calls[] = {
    {"uniform", INIT_UNIFORM},         {"normal", INIT_NORMAL},       {"xavier_uniform", INIT_XAVIER_UNIFORM},
    {"xavier_normal", INIT_XAVIER_NORMAL}, {"he_uniform", INIT_HE_UNIFORM}, {"he_normal", INIT_HE_NORMAL},
    {"orthogonal", INIT_ORTHOGONAL},   {"file", INIT_FILE},           {"zeros", INIT_ZEROS},
    {"ones", INIT_ONES},
};

/* init := zeros | ones | literal | call */
void dsl_parse_init(Parser *p, Value *v, const Type *ty) {
    Tok *t = dsl_peek(p);
    Loc loc = dsl_loc(p, t);
    if (dsl_is_punct(t, '[') || dsl_at_scalar(p) || t->kind == TK_STRING) {
        Lit *l = dsl_parse_literal(p);
        if (!dsl_type_concrete(ty)) {
            diag_error(p->c, loc, "bad initializer: a literal needs concrete dimensions");
            return;
        }
        int64_t n = value_numel(v);
        size_t bytes = v->dtype == DT_STRING ? sizeof(char *) * (size_t)n : value_bytes(v);
        void *data = arena_alloc(p->c->arena, bytes ? bytes : 1);
        if (dsl_lit_fill(p, l, v->dtype, data, n, loc))
            v->data = data;
        v->init.kind = INIT_DATA;
        return;
    }
    InitKind kind = INIT_DATA;
    for (size_t i = 0; i < sizeof init_calls / sizeof *init_calls; i++)
        if (dsl_is_kw(t, init_calls[i].name))
            kind = init_calls[i].kind;
    if (kind == INIT_DATA)
        dsl_fatal(p, t, "bad initializer %s: expected zeros, ones, a literal, uniform, normal, xavier_uniform, "
                    "xavier_normal, he_uniform, he_normal, orthogonal or file(\"...\")",
              dsl_tok_desc(p, t));
    dsl_next(p);
    Init in = {.kind = kind};
    if (kind == INIT_NORMAL)
        in.b = 1;
    if (kind == INIT_UNIFORM)
        in.b = 1;
    if (dsl_accept(p, '(')) {
        int n_pos = 0;
        if (!dsl_is_punct(dsl_peek(p), ')')) {
            do {
                Tok *a = dsl_peek(p);
                if (kind == INIT_FILE && a->kind == TK_STRING && n_pos == 0) {
                    dsl_next(p);
                    in.path = a->val;
                    n_pos++;
                    continue;
                }
                if (a->kind == TK_NAME && dsl_is_punct(dsl_peek_at(p, 1), '=')) {
                    dsl_next(p);
                    dsl_next(p);
                    Tok *vt = dsl_peek(p);
                    double x = dsl_parse_number(p);
                    if (!strcmp(a->val, "seed")) {
                        if (x < 0 || x != floor(x))
                            diag_error(p->c, dsl_loc(p, vt), "bad initializer: seed must be a non-negative integer");
                        in.seed = (uint64_t)x;
                    } else if ((!strcmp(a->val, "lo") && kind == INIT_UNIFORM) ||
                               (!strcmp(a->val, "mean") && kind == INIT_NORMAL)) {
                        in.a = x;
                    } else if ((!strcmp(a->val, "hi") && kind == INIT_UNIFORM) ||
                               (!strcmp(a->val, "std") && kind == INIT_NORMAL)) {
                        in.b = x;
                    } else if (!strcmp(a->val, "gain") &&
                               (kind == INIT_XAVIER_UNIFORM || kind == INIT_XAVIER_NORMAL || kind == INIT_ORTHOGONAL)) {
                        in.a = x;
                    } else {
                        diag_error(p->c, dsl_loc(p, a), "bad initializer: %s has no argument '%s'", t->val, a->val);
                    }
                    continue;
                }
                Tok *vt = dsl_peek(p);
                double x = dsl_parse_number(p);
                if ((kind == INIT_UNIFORM || kind == INIT_NORMAL) && n_pos < 2)
                    *(n_pos == 0 ? &in.a : &in.b) = x;
                else
                    diag_error(p->c, dsl_loc(p, vt), "bad initializer: too many arguments for %s", t->val);
                n_pos++;
            } while (dsl_accept(p, ','));
        }
        dsl_expect(p, ')', "to close the initializer");
    }
    if (kind == INIT_FILE && !in.path)
        diag_error(p->c, loc, "bad initializer: file needs a path, file(\"w.bin\")");
    if (kind == INIT_UNIFORM && in.a > in.b)
        diag_error(p->c, loc, "bad initializer: uniform(%g, %g) has lo > hi", in.a, in.b);
    if (kind == INIT_NORMAL && in.b < 0)
        diag_error(p->c, loc, "bad initializer: normal std %g is negative", in.b);
    if (kind != INIT_ZEROS && kind != INIT_ONES && kind != INIT_FILE && !dtype_is_float(v->dtype))
        diag_error(p->c, loc, "bad initializer: %s needs a floating-point type, not %s", t->val,
                   dtype_name(v->dtype));
    if (v->dtype == DT_STRING && (kind == INIT_ZEROS || kind == INIT_ONES || kind == INIT_FILE))
        diag_error(p->c, loc, "bad initializer: string tensors take a literal");
    v->init = in;
}
