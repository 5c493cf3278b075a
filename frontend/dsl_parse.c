/*
 * dsl_parse.c: the .dl parser (grammar in shared/DSL.md).
 *
 * A recursive-descent parser over the token array of dsl_lex.c builds the
 * Graph directly: declarations become values, every operator (written as a
 * call or as + - * / @ and unary -) becomes a node appended in program
 * order, so the graph is topologically sorted by construction.  Each graph
 * (the model, and every `graph { ... }` subgraph attribute) has a Scope, a
 * hash map from name to value; a subgraph's scope falls back to its
 * parent's for outer-scope names.  Every value gets a name at once: node
 * outputs a temporary ("t12"), renamed when a statement binds it; a later
 * binding of a temporary's name renames the temporary instead.
 *
 * Number and list literals stay pending (Operand.lit) until the operator
 * that consumes them is known, so that `2 * x` makes 2 a constant of x's
 * dtype; the parser keeps a dtype guess for every value for this.
 *
 * Syntax errors are fatal (longjmp to dsl_parse_internal); semantic errors
 * (undefined or redefined names, unknown operators, wrong arity, bad
 * initializers) are recorded and parsing goes on, so one run reports many.
 *
 * Extensions of DSL.md, all produced by the IR printer (tests/golden/README.md):
 * backquoted names, `opset N`, `graph { ... }` and `tensor(TYPE, literal)`
 * attribute values, `?` dims, a NUMBER or `[]` as literal, inf/nan/true/false
 * in literals, `_` as a binding target, and any model statement inside a
 * train block.
 */
#include "dsl_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- errors, tokens */

Loc dsl_loc(Parser *p, const Tok *t) {
    Loc l = {.file = p->path, .line = t->line, .col = t->col};
    return l;
}

static const char *tok_desc(Parser *p, const Tok *t) {
    if (t->kind == TK_EOF)
        return "end of file";
    return arena_printf(p->c->arena, "'%.*s'", t->len > 40 ? 40 : t->len, t->text);
}

static _Noreturn void fatal(Parser *p, const Tok *t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static _Noreturn void fatal(Parser *p, const Tok *t, const char *fmt, ...) {
    Buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    diag_error(p->c, dsl_loc(p, t), "%s", b.data);
    buf_free(&b);
    longjmp(p->fail, 1);
}

static Tok *peek(Parser *p) { return &p->t[p->pos]; }
static Tok *peek_at(Parser *p, int k) { return &p->t[p->pos + k < p->n ? p->pos + k : p->n - 1]; }
static Tok *next(Parser *p) {
    Tok *t = &p->t[p->pos];
    if (t->kind != TK_EOF)
        p->pos++;
    return t;
}
static bool is_punct(const Tok *t, char ch) { return t->kind == TK_PUNCT && t->punct == ch; }
static bool is_kw(const Tok *t, const char *kw) { return t->kind == TK_NAME && !strcmp(t->val, kw); }
static bool accept(Parser *p, char ch) {
    if (!is_punct(peek(p), ch))
        return false;
    p->pos++;
    return true;
}
static Tok *expect(Parser *p, char ch, const char *context) {
    Tok *t = peek(p);
    if (!is_punct(t, ch))
        fatal(p, t, "expected '%c' %s, found %s", ch, context, tok_desc(p, t));
    return next(p);
}
static bool is_name(const Tok *t) { return t->kind == TK_NAME || t->kind == TK_QNAME; }
static Tok *expect_name(Parser *p, const char *context) {
    Tok *t = peek(p);
    if (!is_name(t))
        fatal(p, t, "expected a name %s, found %s", context, tok_desc(p, t));
    return next(p);
}

/* ---------------------------------------------------------------- scopes */

static Sym tombstone;
#define TOMBSTONE (&tombstone)

static uint64_t hash_name(const char *s) {
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static Scope *scope_new(Arena *a, Graph *g, Scope *parent) {
    Scope *s = ARENA_NEW(a, Scope);
    s->g = g;
    s->parent = parent;
    s->cap = 64;
    s->slots = ARENA_ARRAY(a, Sym *, s->cap);
    return s;
}

Sym *dsl_sym_find(Scope *s, const char *name) {
    for (uint64_t i = hash_name(name) & (uint64_t)(s->cap - 1);; i = (i + 1) & (uint64_t)(s->cap - 1)) {
        Sym *e = s->slots[i];
        if (!e)
            return NULL;
        if (e != TOMBSTONE && !strcmp(e->name, name))
            return e;
    }
}

static Sym *scope_lookup(Scope *s, const char *name) {
    for (; s; s = s->parent) {
        Sym *e = dsl_sym_find(s, name);
        if (e)
            return e;
    }
    return NULL;
}

static void scope_remove(Scope *s, const char *name) {
    for (uint64_t i = hash_name(name) & (uint64_t)(s->cap - 1);; i = (i + 1) & (uint64_t)(s->cap - 1)) {
        Sym *e = s->slots[i];
        if (!e)
            return;
        if (e != TOMBSTONE && !strcmp(e->name, name)) {
            s->slots[i] = TOMBSTONE;
            return;
        }
    }
}

static void scope_insert(Scope *s, Sym *sym) {
    for (uint64_t i = hash_name(sym->name) & (uint64_t)(s->cap - 1);; i = (i + 1) & (uint64_t)(s->cap - 1))
        if (!s->slots[i] || s->slots[i] == TOMBSTONE) {
            if (!s->slots[i])
                s->used++;
            s->slots[i] = sym;
            return;
        }
}

/* Adds name -> v to scope s (the name must not be there). */
static Sym *scope_put(Arena *a, Scope *s, Value *v, bool user, DType guess) {
    if (2 * (s->used + 1) > s->cap) {
        Sym **old = s->slots;
        int old_cap = s->cap;
        s->cap *= 2;
        s->slots = ARENA_ARRAY(a, Sym *, s->cap);
        s->used = 0;
        for (int i = 0; i < old_cap; i++)
            if (old[i] && old[i] != TOMBSTONE)
                scope_insert(s, old[i]);
    }
    Sym *e = ARENA_NEW(a, Sym);
    e->name = v->name;
    e->v = v;
    e->user = user;
    e->guess = guess;
    scope_insert(s, e);
    return e;
}

DType dsl_guess(Parser *p, const Value *v) {
    if (!v)
        return DT_UNDEF;
    Sym *s = scope_lookup(p->sc, v->name);
    if (s && s->v == v && s->guess != DT_UNDEF)
        return s->guess;
    return v->dtype;
}

/* A name not used in the current scope chain. */
static const char *fresh_name(Parser *p, const char *prefix) {
    for (;;) {
        const char *s = arena_printf(p->c->arena, "%s%d", prefix, p->tmp++);
        if (!scope_lookup(p->sc, s))
            return s;
    }
}

/* Registers a parser-made value (a node output or literal constant) as a temporary. */
static void temp_register(Parser *p, Value *v, DType guess) {
    if (scope_lookup(p->sc, v->name))
        v->name = fresh_name(p, "t");
    scope_put(p->c->arena, p->sc, v, false, guess);
}

/* Binds `name` to v, a temporary of the current scope, by renaming v. */
static void bind_temp(Parser *p, const char *name, Loc loc, Value *v) {
    Sym *old = dsl_sym_find(p->sc, name);
    if (old && old->v == v) {
        old->user = true;
        v->loc = loc;
        return;
    }
    if (old && old->user) {
        diag_error(p->c, loc, "'%s' is already defined (each name is bound once)", name);
        return;
    }
    if (old) { /* a temporary that happens to have this name moves aside */
        scope_remove(p->sc, name);
        old->v->name = fresh_name(p, "t");
        old->name = old->v->name;
        scope_insert(p->sc, old);
    }
    Sym *s = dsl_sym_find(p->sc, v->name);
    DType guess = s ? s->guess : v->dtype;
    if (s)
        scope_remove(p->sc, v->name);
    v->name = arena_strdup(p->c->arena, name);
    v->loc = loc;
    scope_put(p->c->arena, p->sc, v, true, guess);
}

/* Declares a new user name (input, param, const): an error if it exists. */
static bool declare_check(Parser *p, const char *name, Loc loc) {
    Sym *old = dsl_sym_find(p->sc, name);
    if (old && old->user)
        return diag_error(p->c, loc, "'%s' is already defined (each name is bound once)", name);
    if (old) {
        scope_remove(p->sc, name);
        old->v->name = fresh_name(p, "t");
        old->name = old->v->name;
        scope_insert(p->sc, old);
    }
    return true;
}

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
static bool at_scalar(Parser *p) {
    Tok *t = peek(p);
    if (is_punct(t, '-'))
        t = peek_at(p, 1);
    return t->kind == TK_NUMBER || is_kw(t, "inf") || is_kw(t, "nan") || is_kw(t, "true") || is_kw(t, "false");
}

/* NUMBER | '-' NUMBER | inf | nan | true | false; is_int tells whether it was written as an integer. */
static void parse_scalar(Parser *p, double *f, int64_t *i, bool *is_int) {
    bool neg = accept(p, '-');
    Tok *t = next(p);
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
                    fatal(p, t, "integer %s%s is out of range", neg ? "-" : "", t->val);
                v = (long long)u; /* u64 bit pattern */
            }
            *i = neg ? -(int64_t)v : (int64_t)v;
        } else {
            *i = (int64_t)*f;
        }
    } else if (is_kw(t, "inf") || is_kw(t, "nan")) {
        *is_int = false;
        *f = is_kw(t, "inf") ? INFINITY : NAN;
        *i = 0;
    } else if (!neg && (is_kw(t, "true") || is_kw(t, "false"))) {
        *is_int = true;
        *i = is_kw(t, "true");
        *f = (double)*i;
        return;
    } else {
        fatal(p, t, "expected a number, found %s", tok_desc(p, t));
    }
    if (neg)
        *f = -*f;
}

static void lit_level(Parser *p, LitBuf *b, int depth, int64_t *dims, int *rank, bool *seen) {
    Tok *t = peek(p);
    if (is_punct(t, '[')) {
        if (depth >= DLCC_MAX_RANK)
            fatal(p, t, "literal nests deeper than %d levels", DLCC_MAX_RANK);
        next(p);
        int64_t count = 0;
        if (!is_punct(peek(p), ']')) {
            do {
                lit_level(p, b, depth + 1, dims, rank, seen);
                count++;
            } while (accept(p, ','));
        } else if (*rank < 0) {
            *rank = depth + 1;
        } else if (*rank != depth + 1) {
            fatal(p, t, "ragged literal: the nested lists differ in depth");
        }
        expect(p, ']', "to close the literal");
        if (seen[depth] && dims[depth] != count)
            fatal(p, t, "ragged literal: lists of %lld and %lld elements at the same depth", (long long)dims[depth],
                  (long long)count);
        seen[depth] = true;
        dims[depth] = count;
        return;
    }
    if (*rank < 0)
        *rank = depth;
    else if (*rank != depth)
        fatal(p, t, "ragged literal: the nested lists differ in depth");
    if (t->kind == TK_STRING) {
        next(p);
        b->any_str = true;
        litbuf_push(p, b, 0, 0, t->val, t->val_len);
    } else {
        double f;
        int64_t i;
        bool is_int;
        if (!at_scalar(p))
            fatal(p, t, "expected a number in the literal, found %s", tok_desc(p, t));
        parse_scalar(p, &f, &i, &is_int);
        b->any_num = true;
        if (!is_int)
            b->all_int = false;
        litbuf_push(p, b, f, i, NULL, 0);
    }
    if (b->any_str && b->any_num)
        fatal(p, t, "a literal mixes strings and numbers");
}

/* literal := '[' ... ']' | scalar | STRING */
static Lit *parse_literal(Parser *p) {
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
static bool lit_fill(Parser *p, const Lit *l, DType dt, void *data, int64_t n, Loc loc) {
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
    Value *v = graph_add_const(p->sc->g, fresh_name(p, "c"), dt, l->rank, l->dims, NULL);
    size_t bytes = dt == DT_STRING ? sizeof(char *) * (size_t)l->n : value_bytes(v);
    void *data = arena_alloc(p->c->arena, bytes ? bytes : 1);
    lit_fill(p, l, dt, data, l->n, o->loc);
    v->data = data;
    v->loc = o->loc;
    temp_register(p, v, dt);
    o->v = v;
    o->lit = NULL;
    return v;
}

Value *dsl_const_scalar(Parser *p, DType dt, double x) {
    if (dt == DT_UNDEF)
        dt = DT_F32;
    Value *v = graph_add_const(p->sc->g, fresh_name(p, "c"), dt, 0, NULL, NULL);
    void *data = arena_alloc(p->c->arena, dtype_size(dt) ? dtype_size(dt) : 1);
    data_set_f64(dt, data, 0, x);
    v->data = data;
    temp_register(p, v, dt);
    return v;
}

Value *dsl_const_i64s(Parser *p, const int64_t *vals, int n) {
    int64_t dim = n;
    Value *v = graph_add_const(p->sc->g, fresh_name(p, "c"), DT_I64, 1, &dim,
                               arena_memdup(p->c->arena, vals, sizeof(int64_t) * (size_t)(n ? n : 1)));
    temp_register(p, v, DT_I64);
    return v;
}

/* ---------------------------------------------------------------- types */

typedef struct Type {
    DType dtype;
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    const char *sym[DLCC_MAX_RANK];
    Loc loc;
} Type;

/* type := DTYPE '[' (dim (',' dim)*)? ']';  dim := INTEGER | NAME | '?' */
static Type parse_type(Parser *p) {
    Type ty = {0};
    Tok *t = peek(p);
    ty.loc = dsl_loc(p, t);
    if (t->kind != TK_NAME || (ty.dtype = dtype_from_name(t->val)) == DT_UNDEF)
        fatal(p, t, "expected a type (f32, i64, ...), found %s", tok_desc(p, t));
    next(p);
    expect(p, '[', "after the element type (f32[] is a scalar)");
    if (!is_punct(peek(p), ']')) {
        do {
            Tok *d = next(p);
            if (ty.rank == DLCC_MAX_RANK)
                fatal(p, d, "more than %d dimensions", DLCC_MAX_RANK);
            if (d->kind == TK_NUMBER && d->is_int) {
                ty.dims[ty.rank] = strtoll(d->val, NULL, 10);
            } else if (is_name(d)) {
                ty.dims[ty.rank] = -1;
                ty.sym[ty.rank] = d->val;
            } else if (is_punct(d, '?')) {
                ty.dims[ty.rank] = -1;
            } else {
                fatal(p, d, "expected a dimension (an integer or a name), found %s", tok_desc(p, d));
            }
            ty.rank++;
        } while (accept(p, ','));
    }
    expect(p, ']', "to close the shape");
    return ty;
}

static Value *value_of_type(Parser *p, const char *name, ValueKind kind, const Type *ty) {
    Value *v = graph_add_value(p->sc->g, name, kind, ty->dtype, ty->rank, ty->dims);
    for (int i = 0; i < ty->rank; i++)
        v->sym[i] = ty->sym[i];
    return v;
}

static bool type_concrete(const Type *ty) {
    for (int i = 0; i < ty->rank; i++)
        if (ty->dims[i] < 0)
            return false;
    return true;
}

static void annot_add(Parser *p, const char *name, const Type *ty) {
    if (p->sc->g != p->g)
        return; /* subgraph annotations are not checked */
    if (p->n_annots == p->cap_annots) {
        int cap = p->cap_annots ? p->cap_annots * 2 : 32;
        Annot *a = ARENA_ARRAY(p->c->arena, Annot, cap);
        if (p->n_annots)
            memcpy(a, p->annots, sizeof(Annot) * (size_t)p->n_annots);
        p->annots = a;
        p->cap_annots = cap;
    }
    Annot *a = &p->annots[p->n_annots++];
    a->name = name;
    a->dtype = ty->dtype;
    a->rank = ty->rank;
    memcpy(a->dims, ty->dims, sizeof a->dims);
    memcpy(a->sym, ty->sym, sizeof a->sym);
    a->loc = ty->loc;
}

/* ---------------------------------------------------------------- nodes */

static Value *placeholder(Parser *p) {
    Value *v = graph_add_value(p->sc->g, fresh_name(p, "t"), VK_NODE, DT_UNDEF, -1, NULL);
    temp_register(p, v, DT_UNDEF);
    return v;
}

/* The dtype output k of n will have, as far as the parser can tell. */
static DType guess_output(Parser *p, const Node *n, int k) {
    const char *op = op_table[n->op].name;
    DType in0 = n->n_in > 0 ? dsl_guess(p, n->in[0]) : DT_UNDEF;
    static const char *const i64_ops[] = {"Shape", "Size", "ArgMax", "ArgMin", "NonZero", "NonMaxSuppression"};
    static const char *const bool_ops[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not",
                                           "And", "Or", "Xor", "IsNaN", "IsInf"};
    for (size_t i = 0; i < sizeof i64_ops / sizeof *i64_ops; i++)
        if (!strcmp(op, i64_ops[i]))
            return DT_I64;
    for (size_t i = 0; i < sizeof bool_ops / sizeof *bool_ops; i++)
        if (!strcmp(op, bool_ops[i]))
            return DT_BOOL;
    if (k > 0 && (!strcmp(op, "TopK") || !strcmp(op, "MaxPool") || !strcmp(op, "Unique")))
        return DT_I64;
    if (!strcmp(op, "Cast"))
        return (DType)attr_int(n, "to", DT_UNDEF);
    if (!strcmp(op, "CastLike"))
        return n->n_in > 1 ? dsl_guess(p, n->in[1]) : DT_UNDEF;
    if (!strcmp(op, "Where"))
        return n->n_in > 1 ? dsl_guess(p, n->in[1]) : DT_UNDEF;
    if (!strcmp(op, "DequantizeLinear"))
        return DT_F32;
    if (!strcmp(op, "QuantizeLinear"))
        return n->n_in > 2 && n->in[2] ? dsl_guess(p, n->in[2]) : DT_U8;
    if (!strcmp(op, "ConstantOfShape") || !strcmp(op, "Constant")) {
        const Attr *a = node_attr(n, "value");
        if (a && a->kind == AT_TENSOR && a->t)
            return a->t->dtype;
        if (node_attr(n, "value_int") || node_attr(n, "value_ints"))
            return DT_I64;
        return DT_F32;
    }
    if (node_attr(n, "dtype"))
        return (DType)attr_int(n, "dtype", DT_F32);
    if (!strncmp(op, "Random", 6) && n->n_in == 0)
        return DT_F32;
    return in0;
}

static Node *add_node(Parser *p, OpKind op, Loc loc, Value *const *in, int n_in, int n_out, Attr *attrs,
                      int n_attrs) {
    Graph *g = p->sc->g;
    Node *n = graph_add_node(g, op, in, n_in, n_out);
    n->loc = loc;
    n->domain = op_table[op].domain;
    n->opset = n->domain[0] ? 1 : g->opset;
    n->attrs = attrs;
    n->n_attrs = n_attrs;
    for (int i = 0; i < n_out; i++) {
        n->out[i]->loc = loc;
        temp_register(p, n->out[i], DT_UNDEF);
    }
    for (int i = 0; i < n_out; i++)
        dsl_sym_find(p->sc, n->out[i]->name)->guess = guess_output(p, n, i);
    return n;
}

Value *dsl_add_op(Parser *p, const char *name, Loc loc, Value *const *in, int n_in) {
    OpKind op = op_lookup("", name);
    p->last = NULL;
    if (op == OP_INVALID) {
        diag_error(p->c, loc, "operator %s is needed here but dlcc does not support it", name);
        return placeholder(p);
    }
    int n_out = op_table[op].min_out > 1 ? op_table[op].min_out : 1;
    p->last = add_node(p, op, loc, in, n_in, n_out, NULL, 0);
    return p->last->out[0];
}

Node *dsl_last_node(Parser *p) { return p->last; }

/* ---------------------------------------------------------------- expressions */

static Operand parse_expr(Parser *p);
static Operand parse_call(Parser *p, int n_targets, Node **node_out);
static void parse_stmts(Parser *p, int mode);

static Operand binary(Parser *p, const char *op, Operand l, Operand r, const Tok *t) {
    DType lw = l.lit ? dsl_guess(p, r.v) : DT_UNDEF, rw = r.lit ? dsl_guess(p, l.v) : DT_UNDEF;
    Value *in[2] = {dsl_operand_value(p, &l, lw), dsl_operand_value(p, &r, rw)};
    Operand o = {.v = dsl_add_op(p, op, dsl_loc(p, t), in, 2), .loc = dsl_loc(p, t)};
    return o;
}

static Operand parse_primary(Parser *p) {
    Tok *t = peek(p);
    Operand o = {.loc = dsl_loc(p, t)};
    if (accept(p, '(')) {
        o = parse_expr(p);
        expect(p, ')', "to close '('");
        return o;
    }
    if (is_punct(t, '[') || t->kind == TK_NUMBER || t->kind == TK_STRING) {
        o.lit = parse_literal(p);
        return o;
    }
    if (t->kind == TK_NAME && (is_punct(peek_at(p, 1), '(') || is_punct(peek_at(p, 1), '.')))
        return parse_call(p, 0, NULL);
    if (is_name(t)) {
        next(p);
        Sym *s = scope_lookup(p->sc, t->val);
        if (!s || !s->user) {
            diag_error(p->c, o.loc, "undefined name '%s'", t->val);
            o.v = placeholder(p);
            bind_temp(p, t->val, o.loc, o.v); /* report it once */
            return o;
        }
        o.v = s->v;
        return o;
    }
    fatal(p, t, "expected an expression, found %s", tok_desc(p, t));
}

/* unary := '-' unary | primary */
static Operand parse_unary(Parser *p) {
    Tok *t = peek(p);
    if (!accept(p, '-'))
        return parse_primary(p);
    Operand x = parse_unary(p);
    if (x.lit && !x.lit->is_str) {
        Lit *l = ARENA_NEW(p->c->arena, Lit);
        *l = *x.lit;
        l->f = ARENA_ARRAY(p->c->arena, double, l->n ? l->n : 1);
        l->i = ARENA_ARRAY(p->c->arena, int64_t, l->n ? l->n : 1);
        for (int64_t k = 0; k < l->n; k++) {
            l->f[k] = -x.lit->f[k];
            l->i[k] = -x.lit->i[k];
        }
        x.lit = l;
        x.loc = dsl_loc(p, t);
        return x;
    }
    Value *in = dsl_operand_value(p, &x, DT_UNDEF);
    Operand o = {.v = dsl_add_op(p, "Neg", dsl_loc(p, t), &in, 1), .loc = dsl_loc(p, t)};
    return o;
}

static Operand parse_matmul(Parser *p) {
    Operand l = parse_unary(p);
    while (is_punct(peek(p), '@')) {
        Tok *t = next(p);
        l = binary(p, "MatMul", l, parse_unary(p), t);
    }
    return l;
}

static Operand parse_mul(Parser *p) {
    Operand l = parse_matmul(p);
    while (is_punct(peek(p), '*') || is_punct(peek(p), '/')) {
        Tok *t = next(p);
        l = binary(p, t->punct == '*' ? "Mul" : "Div", l, parse_matmul(p), t);
    }
    return l;
}

static Operand parse_expr(Parser *p) {
    Operand l = parse_mul(p);
    while (is_punct(peek(p), '+') || is_punct(peek(p), '-')) {
        Tok *t = next(p);
        l = binary(p, t->punct == '+' ? "Add" : "Sub", l, parse_mul(p), t);
    }
    return l;
}

/* ---------------------------------------------------------------- attribute values */

static bool parse_attr_value(Parser *p, Attr *a, const char *attr_name);

/* tensor '(' type ',' literal ')' : a constant Value outside the graph */
static Value *parse_tensor_value(Parser *p, const char *name) {
    next(p);
    expect(p, '(', "after 'tensor'");
    Type ty = parse_type(p);
    expect(p, ',', "after the tensor type");
    Tok *lt = peek(p);
    Lit *l = parse_literal(p);
    expect(p, ')', "to close tensor(...)");
    if (!type_concrete(&ty))
        fatal(p, lt, "a tensor attribute needs concrete dimensions");
    Value *v = ARENA_NEW(p->c->arena, Value);
    v->name = arena_strdup(p->c->arena, name);
    v->kind = VK_CONST;
    v->dtype = ty.dtype;
    v->rank = ty.rank;
    v->offset = -1;
    memcpy(v->dims, ty.dims, sizeof v->dims);
    v->loc = ty.loc;
    int64_t n = value_numel(v);
    size_t bytes = ty.dtype == DT_STRING ? sizeof(char *) * (size_t)n : value_bytes(v);
    void *data = arena_alloc(p->c->arena, bytes ? bytes : 1);
    lit_fill(p, l, ty.dtype, data, n, dsl_loc(p, lt));
    v->data = data;
    return v;
}

/* graph '{' stmt* '}' : a subgraph whose scope nests in the current one */
static Graph *parse_graph_value(Parser *p, const char *name) {
    next(p);
    expect(p, '{', "after 'graph'");
    Graph *sub = graph_new(p->c->arena, name);
    sub->parent = p->sc->g;
    sub->opset = p->g->opset;
    Scope *saved = p->sc;
    p->sc = scope_new(p->c->arena, sub, saved);
    parse_stmts(p, 2);
    p->sc = saved;
    expect(p, '}', "to close the graph");
    return sub;
}

static bool is_dtype_attr(const char *name) { return !strcmp(name, "to") || !strcmp(name, "dtype"); }

/* value := NUMBER | STRING | NAME | '[' value (',' value)* ']' | tensor(...) | graph {...} */
static bool parse_attr_value(Parser *p, Attr *a, const char *attr_name) {
    Tok *t = peek(p);
    if (at_scalar(p)) {
        double f;
        int64_t i;
        bool is_int;
        parse_scalar(p, &f, &i, &is_int);
        a->kind = is_int ? AT_INT : AT_FLOAT;
        a->i = i;
        a->f = f;
    } else if (t->kind == TK_STRING) {
        next(p);
        a->kind = AT_STRING;
        a->s = t->val;
        a->s_len = t->val_len;
    } else if (is_kw(t, "tensor") && is_punct(peek_at(p, 1), '(')) {
        a->kind = AT_TENSOR;
        a->t = parse_tensor_value(p, attr_name);
    } else if (is_kw(t, "graph") && is_punct(peek_at(p, 1), '{')) {
        a->kind = AT_GRAPH;
        a->g = parse_graph_value(p, attr_name);
    } else if (t->kind == TK_NAME && is_dtype_attr(attr_name) && dtype_from_name(t->val) != DT_UNDEF) {
        next(p);
        a->kind = AT_INT;
        a->i = dtype_from_name(t->val);
        a->f = (double)a->i;
    } else if (is_name(t)) {
        next(p);
        a->kind = AT_STRING;
        a->s = t->val;
        a->s_len = t->val_len;
    } else if (accept(p, '[')) {
        Attr *el = NULL;
        int n = 0, cap = 0;
        AttrKind kind = AT_UNDEF;
        if (!is_punct(peek(p), ']')) {
            do {
                if (n == cap) {
                    cap = cap ? cap * 2 : 8;
                    Attr *ne = ARENA_ARRAY(p->c->arena, Attr, cap);
                    if (n)
                        memcpy(ne, el, sizeof(Attr) * (size_t)n);
                    el = ne;
                }
                Tok *et = peek(p);
                if (is_punct(et, '['))
                    fatal(p, et, "attribute lists do not nest");
                parse_attr_value(p, &el[n], attr_name);
                AttrKind k = el[n].kind;
                n++;
                if (kind == AT_UNDEF || kind == k)
                    kind = k;
                else if ((kind == AT_INT && k == AT_FLOAT) || (kind == AT_FLOAT && k == AT_INT))
                    kind = AT_FLOAT;
                else
                    fatal(p, et, "an attribute list mixes kinds of values");
            } while (accept(p, ','));
        }
        expect(p, ']', "to close the list");
        a->n = n;
        switch (kind) {
        case AT_UNDEF:
        case AT_INT:
            a->kind = AT_INTS;
            a->ints = ARENA_ARRAY(p->c->arena, int64_t, n ? n : 1);
            for (int k = 0; k < n; k++)
                a->ints[k] = el[k].i;
            break;
        case AT_FLOAT:
            a->kind = AT_FLOATS;
            a->floats = ARENA_ARRAY(p->c->arena, double, n ? n : 1);
            for (int k = 0; k < n; k++)
                a->floats[k] = el[k].kind == AT_INT ? (double)el[k].i : el[k].f;
            break;
        case AT_STRING:
            a->kind = AT_STRINGS;
            a->strings = ARENA_ARRAY(p->c->arena, const char *, n);
            for (int k = 0; k < n; k++)
                a->strings[k] = el[k].s;
            break;
        case AT_TENSOR:
            a->kind = AT_TENSORS;
            a->ts = ARENA_ARRAY(p->c->arena, Value *, n);
            for (int k = 0; k < n; k++)
                a->ts[k] = el[k].t;
            break;
        case AT_GRAPH:
            a->kind = AT_GRAPHS;
            a->gs = ARENA_ARRAY(p->c->arena, Graph *, n);
            for (int k = 0; k < n; k++)
                a->gs[k] = el[k].g;
            break;
        default:
            fatal(p, t, "unsupported attribute list");
        }
    } else {
        fatal(p, t, "expected an attribute value, found %s", tok_desc(p, t));
    }
    return true;
}

/* ---------------------------------------------------------------- calls */

/* Ops whose inputs share one dtype, so a literal argument takes the others'. */
static bool op_adapts_literals(OpKind op) {
    static const char *const names[] = {"Clip", "Max", "Min", "Sum", "Mean", "Where", "Pow", "PRelu", "Mod"};
    if (op_table[op].flags & OPF_ELEMWISE)
        return true;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(op_table[op].name, names[i]))
            return true;
    return false;
}

/* call := OP '(' (expr (',' expr)*)? (',' NAME '=' value)* ')'
 * n_targets: names bound to the outputs (0 in an expression). */
static Operand parse_call(Parser *p, int n_targets, Node **node_out) {
    Tok *first = next(p);
    Loc loc = dsl_loc(p, first);
    Buf full = {0};
    buf_puts(&full, first->val);
    const char *opname = first->val;
    while (accept(p, '.')) {
        Tok *t = peek(p);
        if (t->kind != TK_NAME)
            fatal(p, t, "expected an operator name after '.', found %s", tok_desc(p, t));
        next(p);
        buf_printf(&full, ".%s", t->val);
        opname = t->val;
    }
    size_t dom_len = full.len - strlen(opname);
    const char *domain = dom_len ? arena_strndup(p->c->arena, full.data, dom_len - 1) : "";
    const char *fullname = arena_strdup(p->c->arena, full.data);
    buf_free(&full);
    expect(p, '(', "after the operator name");

    Operand *args = NULL;
    Attr *attrs = NULL;
    int n_args = 0, cap_args = 0, n_attrs = 0, cap_attrs = 0;
    if (!is_punct(peek(p), ')')) {
        do {
            Tok *t = peek(p);
            if (t->kind == TK_NAME && is_punct(peek_at(p, 1), '=')) {
                next(p);
                next(p);
                for (int k = 0; k < n_attrs; k++)
                    if (!strcmp(attrs[k].name, t->val))
                        diag_error(p->c, dsl_loc(p, t), "attribute '%s' is given twice", t->val);
                if (n_attrs == cap_attrs) {
                    cap_attrs = cap_attrs ? cap_attrs * 2 : 4;
                    Attr *na = ARENA_ARRAY(p->c->arena, Attr, cap_attrs);
                    if (n_attrs)
                        memcpy(na, attrs, sizeof(Attr) * (size_t)n_attrs);
                    attrs = na;
                }
                Attr *a = &attrs[n_attrs++];
                a->name = t->val;
                parse_attr_value(p, a, t->val);
                continue;
            }
            if (n_attrs)
                fatal(p, t, "positional argument after keyword arguments");
            if (n_args == cap_args) {
                cap_args = cap_args ? cap_args * 2 : 4;
                Operand *na = ARENA_ARRAY(p->c->arena, Operand, cap_args);
                if (n_args)
                    memcpy(na, args, sizeof(Operand) * (size_t)n_args);
                args = na;
            }
            if (is_kw(t, "_") && (is_punct(peek_at(p, 1), ',') || is_punct(peek_at(p, 1), ')'))) {
                next(p);
                args[n_args] = (Operand){.loc = dsl_loc(p, t)};
            } else {
                args[n_args] = parse_expr(p);
            }
            n_args++;
        } while (accept(p, ','));
    }
    expect(p, ')', "to close the argument list");

    Operand res = {.loc = loc};
    if (!domain[0] && dsl_is_helper(opname)) {
        if (n_attrs)
            diag_error(p->c, loc, "%s takes no keyword arguments", opname);
        for (int k = 0; k < n_args; k++)
            if (!args[k].v && !args[k].lit) {
                diag_error(p->c, args[k].loc, "%s: '_' is only for optional operator inputs", opname);
                return (Operand){.v = placeholder(p), .loc = loc};
            }
        if (n_targets > 1)
            diag_error(p->c, loc, "%s has one output, not %d", opname, n_targets);
        return dsl_helper(p, opname, loc, args, n_args);
    }
    OpKind op = op_lookup(domain, opname);
    if (op == OP_INVALID) {
        diag_error(p->c, loc, "unknown operator '%s'", fullname);
        res.v = placeholder(p);
        return res;
    }
    const OpInfo *info = &op_table[op];
    if (n_args < info->min_in || n_args > info->max_in) {
        if (info->min_in == info->max_in)
            diag_error(p->c, loc, "%s takes %d input%s, not %d", info->name, info->min_in,
                       info->min_in == 1 ? "" : "s", n_args);
        else
            diag_error(p->c, loc, "%s takes %d to %d inputs, not %d", info->name, info->min_in, info->max_in, n_args);
        res.v = placeholder(p);
        return res;
    }
    int n_out = info->min_out > 1 ? info->min_out : 1;
    if (n_targets > info->max_out) {
        diag_error(p->c, loc, "%s has at most %d output%s, not %d", info->name, info->max_out,
                   info->max_out == 1 ? "" : "s", n_targets);
        res.v = placeholder(p);
        return res;
    }
    if (n_targets > n_out)
        n_out = n_targets;
    DType want = DT_UNDEF;
    if (op_adapts_literals(op))
        for (int k = 0; k < n_args && want == DT_UNDEF; k++)
            if (args[k].v && !args[k].lit) {
                DType g = dsl_guess(p, args[k].v);
                if (g != DT_BOOL)
                    want = g;
            }
    Value **in = ARENA_ARRAY(p->c->arena, Value *, n_args ? n_args : 1);
    for (int k = 0; k < n_args; k++)
        in[k] = dsl_operand_value(p, &args[k], want);
    Node *n = add_node(p, op, loc, in, n_args, n_out, attrs, n_attrs);
    if (node_out)
        *node_out = n;
    res.v = n->out[0];
    return res;
}

/* ---------------------------------------------------------------- statements */

enum { MODE_MODEL = 0, MODE_TRAIN = 1, MODE_GRAPH = 2 };

/* Binds `name` to the result of an expression (renaming a fresh value, else
 * through an Identity node). */
static Value *bind_operand(Parser *p, const char *name, Loc loc, Operand o, DType want) {
    Value *v = dsl_operand_value(p, &o, want);
    Sym *s = dsl_sym_find(p->sc, v->name);
    if (!s || s->v != v || s->user) {
        Value *in = v;
        v = dsl_add_op(p, "Identity", loc, &in, 1);
    }
    bind_temp(p, name, loc, v);
    return v;
}

typedef struct Target {
    const char *name; /* NULL for '_' */
    Loc loc;
    bool typed;
    Type type;
} Target;

/* targets '=' expr */
static void parse_binding(Parser *p, Value **out) {
    Target tg[64];
    int k = 0;
    do {
        Tok *t = peek(p);
        if (k == 64)
            fatal(p, t, "too many binding targets");
        if (!is_name(t))
            fatal(p, t, "expected a statement, found %s", tok_desc(p, t));
        next(p);
        tg[k].name = is_kw(t, "_") ? NULL : t->val;
        tg[k].loc = dsl_loc(p, t);
        tg[k].typed = accept(p, ':');
        if (tg[k].typed)
            tg[k].type = parse_type(p);
        k++;
    } while (accept(p, ','));
    Tok *eq = peek(p);
    if (!is_punct(eq, '='))
        fatal(p, eq, "expected '=' after %s, found %s", k > 1 ? "the names" : "the name", tok_desc(p, eq));
    next(p);
    for (int i = 0; i < k; i++)
        if (tg[i].name && tg[i].typed)
            annot_add(p, tg[i].name, &tg[i].type);
    if (k == 1) {
        Operand o = parse_expr(p);
        Value *v = tg[0].name ? bind_operand(p, tg[0].name, tg[0].loc, o, tg[0].typed ? tg[0].type.dtype : DT_UNDEF)
                              : dsl_operand_value(p, &o, DT_UNDEF);
        if (out)
            *out = v;
        return;
    }
    Tok *t = peek(p);
    if (t->kind != TK_NAME || !(is_punct(peek_at(p, 1), '(') || is_punct(peek_at(p, 1), '.')))
        fatal(p, t, "several names need an operator call with several outputs");
    Node *n = NULL;
    parse_call(p, k, &n);
    if (!n)
        return;
    for (int i = 0; i < k; i++)
        if (tg[i].name)
            bind_temp(p, tg[i].name, tg[i].loc, n->out[i]);
}

static double parse_number(Parser *p) {
    double f;
    int64_t i;
    bool is_int;
    if (!at_scalar(p))
        fatal(p, peek(p), "expected a number, found %s", tok_desc(p, peek(p)));
    parse_scalar(p, &f, &i, &is_int);
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
static void parse_init(Parser *p, Value *v, const Type *ty) {
    Tok *t = peek(p);
    Loc loc = dsl_loc(p, t);
    if (is_punct(t, '[') || at_scalar(p) || t->kind == TK_STRING) {
        Lit *l = parse_literal(p);
        if (!type_concrete(ty)) {
            diag_error(p->c, loc, "bad initializer: a literal needs concrete dimensions");
            return;
        }
        int64_t n = value_numel(v);
        size_t bytes = v->dtype == DT_STRING ? sizeof(char *) * (size_t)n : value_bytes(v);
        void *data = arena_alloc(p->c->arena, bytes ? bytes : 1);
        if (lit_fill(p, l, v->dtype, data, n, loc))
            v->data = data;
        v->init.kind = INIT_DATA;
        return;
    }
    InitKind kind = INIT_DATA;
    for (size_t i = 0; i < sizeof init_calls / sizeof *init_calls; i++)
        if (is_kw(t, init_calls[i].name))
            kind = init_calls[i].kind;
    if (kind == INIT_DATA)
        fatal(p, t, "bad initializer %s: expected zeros, ones, a literal, uniform, normal, xavier_uniform, "
                    "xavier_normal, he_uniform, he_normal, orthogonal or file(\"...\")",
              tok_desc(p, t));
    next(p);
    Init in = {.kind = kind};
    if (kind == INIT_NORMAL)
        in.b = 1;
    if (kind == INIT_UNIFORM)
        in.b = 1;
    if (accept(p, '(')) {
        int n_pos = 0;
        if (!is_punct(peek(p), ')')) {
            do {
                Tok *a = peek(p);
                if (kind == INIT_FILE && a->kind == TK_STRING && n_pos == 0) {
                    next(p);
                    in.path = a->val;
                    n_pos++;
                    continue;
                }
                if (a->kind == TK_NAME && is_punct(peek_at(p, 1), '=')) {
                    next(p);
                    next(p);
                    Tok *vt = peek(p);
                    double x = parse_number(p);
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
                Tok *vt = peek(p);
                double x = parse_number(p);
                if ((kind == INIT_UNIFORM || kind == INIT_NORMAL) && n_pos < 2)
                    *(n_pos == 0 ? &in.a : &in.b) = x;
                else
                    diag_error(p->c, dsl_loc(p, vt), "bad initializer: too many arguments for %s", t->val);
                n_pos++;
            } while (accept(p, ','));
        }
        expect(p, ')', "to close the initializer");
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

/* The shortest text that reads back as exactly x, always with a '.' or 'e'. */
static void shortest_double(char *out, size_t size, double x) {
    if (isnan(x) || isinf(x)) {
        snprintf(out, size, "%s", isnan(x) ? "nan" : x < 0 ? "-inf" : "inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, size, "%.*g", prec, x);
        if (strtod(out, NULL) == x)
            break;
    }
    if (!strpbrk(out, ".e"))
        strncat(out, ".0", size - strlen(out) - 1);
}

/* Canonical text of an optimizer call: `adam(lr=0.001, betas=[0.9, 0.999])`. */
static const char *parse_optimizer(Parser *p) {
    static const char *const names[] = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam",
                                        "adamw"};
    Tok *t = peek(p);
    if (t->kind != TK_NAME)
        fatal(p, t, "expected an optimizer (sgd, adam, ...), found %s", tok_desc(p, t));
    next(p);
    bool known = false;
    Buf b = {0};
    for (const char *s = t->val; *s; s++)
        buf_printf(&b, "%c", (*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        known |= !strcmp(b.data, names[i]);
    if (!known)
        diag_error(p->c, dsl_loc(p, t),
                   "unknown optimizer '%s' (sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw)", t->val);
    buf_puts(&b, "(");
    if (accept(p, '(')) {
        int k = 0;
        if (!is_punct(peek(p), ')')) {
            do {
                Tok *a = peek(p);
                const char *key = "lr";
                if (a->kind == TK_NAME && is_punct(peek_at(p, 1), '=')) {
                    next(p);
                    next(p);
                    key = a->val;
                } else if (k > 0) {
                    fatal(p, a, "optimizer arguments after the first are written NAME=VALUE");
                }
                Attr v = {0};
                parse_attr_value(p, &v, key);
                buf_printf(&b, "%s%s=", k ? ", " : "", key);
                if (v.kind == AT_INT) {
                    buf_printf(&b, "%lld", (long long)v.i);
                } else if (v.kind == AT_FLOAT) {
                    char tmp[48];
                    shortest_double(tmp, sizeof tmp, v.f);
                    buf_puts(&b, tmp);
                } else if (v.kind == AT_STRING) {
                    buf_puts(&b, v.s);
                } else if (v.kind == AT_INTS || v.kind == AT_FLOATS) {
                    buf_puts(&b, "[");
                    for (int i = 0; i < v.n; i++) {
                        if (v.kind == AT_INTS)
                            buf_printf(&b, "%s%lld", i ? ", " : "", (long long)v.ints[i]);
                        else
                        {
                            char tmp[48];
                            shortest_double(tmp, sizeof tmp, v.floats[i]);
                            buf_printf(&b, "%s%s", i ? ", " : "", tmp);
                        }
                    }
                    buf_puts(&b, "]");
                } else {
                    fatal(p, a, "unsupported optimizer argument");
                }
                k++;
            } while (accept(p, ','));
        }
        expect(p, ')', "to close the optimizer call");
    }
    buf_puts(&b, ")");
    const char *s = arena_strdup(p->c->arena, b.data);
    buf_free(&b);
    return s;
}

static bool stmt_end(Parser *p) { return is_punct(peek(p), '}') || peek(p)->kind == TK_EOF; }

/* stmt*, up to the closing '}' (not consumed). */
static void parse_stmts(Parser *p, int mode) {
    Graph *g = p->sc->g;
    while (!stmt_end(p)) {
        if (accept(p, ';'))
            continue;
        Tok *t = peek(p);
        Loc loc = dsl_loc(p, t);
        if (is_kw(t, "input") || is_kw(t, "param") || is_kw(t, "const")) {
            next(p);
            Tok *nt = expect_name(p, arena_printf(p->c->arena, "after '%s'", t->val));
            expect(p, ':', "and a type after the name");
            Type ty = parse_type(p);
            bool ok = declare_check(p, nt->val, dsl_loc(p, nt));
            ValueKind kind = is_kw(t, "input") ? (mode == MODE_TRAIN ? VK_TARGET : VK_INPUT)
                             : is_kw(t, "param") ? VK_PARAM
                                                 : VK_CONST;
            if (kind == VK_PARAM && mode == MODE_GRAPH)
                diag_error(p->c, loc, "a subgraph cannot declare parameters");
            Value *v = value_of_type(p, nt->val, kind, &ty);
            v->loc = dsl_loc(p, nt);
            if (kind == VK_PARAM || kind == VK_CONST) {
                expect(p, '=', "and an initializer after the type");
                parse_init(p, v, &ty);
            }
            if (ok)
                scope_put(p->c->arena, p->sc, v, true, ty.dtype);
            else {
                v->name = fresh_name(p, "t");
                scope_put(p->c->arena, p->sc, v, false, ty.dtype);
            }
            continue;
        }
        if (is_kw(t, "output")) {
            next(p);
            Tok *nt = expect_name(p, "after 'output'");
            Loc nloc = dsl_loc(p, nt);
            Type ty;
            bool typed = accept(p, ':');
            if (typed)
                ty = parse_type(p);
            Value *v = NULL;
            if (typed)
                annot_add(p, nt->val, &ty);
            if (accept(p, '=')) {
                v = bind_operand(p, nt->val, nloc, parse_expr(p), typed ? ty.dtype : DT_UNDEF);
            } else {
                Sym *s = scope_lookup(p->sc, nt->val);
                if (!s || !s->user)
                    diag_error(p->c, nloc, "undefined name '%s'", nt->val);
                else
                    v = s->v;
            }
            if (v)
                graph_add_output(g, v);
            continue;
        }
        if (is_kw(t, "opset") && mode != MODE_TRAIN && peek_at(p, 1)->kind == TK_NUMBER) {
            next(p);
            g->opset = (int)strtol(next(p)->val, NULL, 10);
            continue;
        }
        if (mode == MODE_TRAIN && is_kw(t, "loss") && is_punct(peek_at(p, 1), '=')) {
            next(p);
            next(p);
            p->loss_loc = dsl_loc(p, peek(p));
            Operand o = parse_expr(p);
            g->loss = dsl_operand_value(p, &o, DT_F32);
            continue;
        }
        if (mode == MODE_TRAIN && is_kw(t, "optimizer") && is_punct(peek_at(p, 1), '=')) {
            next(p);
            next(p);
            g->optimizer = parse_optimizer(p);
            continue;
        }
        if (mode == MODE_TRAIN && is_kw(t, "clip_grad_norm") && is_punct(peek_at(p, 1), '=')) {
            next(p);
            next(p);
            Tok *vt = peek(p);
            g->clip_grad_norm = parse_number(p);
            if (!(g->clip_grad_norm >= 0))
                diag_error(p->c, dsl_loc(p, vt), "clip_grad_norm must be positive");
            continue;
        }
        if (is_kw(t, "model") || is_kw(t, "train"))
            fatal(p, t, "expected '}' before '%s'", t->val);
        parse_binding(p, NULL);
    }
}

/* file := (model | train)* */
static void parse_file(Parser *p) {
    while (peek(p)->kind != TK_EOF) {
        Tok *t = next(p);
        if (is_kw(t, "model")) {
            Tok *nt = expect_name(p, "after 'model'");
            if (p->g)
                fatal(p, t, "a file holds one model ('%s' is already defined)", p->g->name);
            p->g = graph_new(p->c->arena, nt->val);
            p->sc = scope_new(p->c->arena, p->g, NULL);
            expect(p, '{', "after the model name");
            parse_stmts(p, MODE_MODEL);
            expect(p, '}', "to close the model");
        } else if (is_kw(t, "train")) {
            Tok *nt = expect_name(p, "after 'train'");
            if (!p->g || strcmp(p->g->name, nt->val))
                fatal(p, nt, "train block for '%s', but no model of that name precedes it", nt->val);
            expect(p, '{', "after the model name");
            p->c->train = true;
            parse_stmts(p, MODE_TRAIN);
            expect(p, '}', "to close the train block");
        } else {
            fatal(p, t, "expected 'model' or 'train', found %s", tok_desc(p, t));
        }
    }
    if (!p->g) {
        Loc loc = {.file = p->path, .line = 1, .col = 1};
        diag_error(p->c, loc, "no model in the file");
    }
}

Graph *dsl_parse_internal(Ctx *c, const char *path, const char *text, Parser *p) {
    memset(p, 0, sizeof *p);
    int errors = c->n_errors;
    p->c = c;
    p->path = arena_strdup(c->arena, path ? path : "<input>");
    c->source_file = p->path;
    c->source_text = arena_strdup(c->arena, text);
    if (!dsl_lex(c, p->path, c->source_text, &p->t, &p->n))
        return NULL;
    if (setjmp(p->fail))
        return NULL;
    parse_file(p);
    return c->n_errors > errors ? NULL : p->g;
}

Graph *dsl_parse(Ctx *c, const char *path, const char *text) {
    Parser p;
    Graph *g = dsl_parse_internal(c, path, text, &p);
    if (!g || !init_materialize(g, c, NULL))
        return NULL;
    return g;
}

Graph *dsl_load(Ctx *c, const char *path) {
    FILE *f = fopen(path, "rb");
    Loc loc = {.file = path};
    if (!f) {
        diag_error(c, loc, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    Buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_write(&b, chunk, n);
    bool err = ferror(f);
    fclose(f);
    if (err) {
        buf_free(&b);
        diag_error(c, loc, "cannot read '%s'", path);
        return NULL;
    }
    if (b.len && memchr(b.data, 0, b.len)) {
        buf_free(&b);
        diag_error(c, loc, "'%s' is not a text file", path);
        return NULL;
    }
    Graph *g = dsl_parse(c, path, b.data ? b.data : "");
    buf_free(&b);
    return g;
}
