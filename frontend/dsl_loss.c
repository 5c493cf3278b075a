/*
 * dsl_loss.c: the .dl loss helpers and the check of type annotations.
 *
 * Each helper is its PyTorch namesake with mean reduction, built from ONNX
 * operators when the parser meets the call:
 *
 *   cross_entropy(z, y)   integer y: SoftmaxCrossEntropyLoss(z, y, reduction="mean")
 *                         (or LogSoftmax + nll when that op is missing);
 *                         float y (probabilities): -mean_n sum_c y * LogSoftmax(z, axis=1)
 *   nll(lp, y)            NegativeLogLikelihoodLoss(lp, y, reduction="mean"), or
 *                         -mean(GatherElements(lp, Unsqueeze(y, 1), axis=1))
 *   mse(a, b)             ReduceMean((a - b)^2), all elements
 *   mae(a, b)             ReduceMean(|a - b|)
 *   bce(p, y)             -mean(y * max(log p, -100) + (1 - y) * max(log(1 - p), -100))
 *   bce_with_logits(z, y) mean(relu(z) - z * y + log(1 + exp(-|z|)))
 *   kl_div(lq, p)         mean(p * log p - p * lq), 0 where p == 0 (log of p
 *                         clipped below at the smallest positive float)
 *
 * Type annotations (`h: f32[1, 128] = ...`) can only be checked once shapes
 * are inferred, by dsl_check_annotations: it parses the source text kept in
 * the Ctx again to collect the annotations, so the Graph needs no extra
 * field, and compares them with the values of the same names.
 */
#include "dsl_internal.h"

#include <string.h>
#include <strings.h>

static const char *const helpers[] = {"cross_entropy", "nll", "mse", "mae", "bce", "bce_with_logits", "kl_div"};

bool dsl_is_helper(const char *name) {
    for (size_t i = 0; i < sizeof helpers / sizeof *helpers; i++)
        if (!strcasecmp(name, helpers[i]))
            return true;
    return false;
}

typedef struct LossB {
    Parser *p;
    Loc loc;
    DType dt; /* float dtype of the computation */
} LossB;

static Value *op1(LossB *b, const char *op, Value *x) { return dsl_add_op(b->p, op, b->loc, &x, 1); }
static Value *op2(LossB *b, const char *op, Value *x, Value *y) {
    Value *in[2] = {x, y};
    return dsl_add_op(b->p, op, b->loc, in, 2);
}
static Value *scalar(LossB *b, double x) { return dsl_const_scalar(b->p, b->dt, x); }

static void set_int(LossB *b, const char *name, int64_t v) {
    Node *n = dsl_last_node(b->p);
    if (n)
        node_set_attr_int(b->p->sc->g, n, name, v);
}

static void set_string(LossB *b, const char *name, const char *s) {
    Node *n = dsl_last_node(b->p);
    if (n)
        node_set_attr_string(b->p->sc->g, n, name, s);
}

/* ReduceMean over every element, to a scalar. */
static Value *mean_all(LossB *b, Value *x) {
    Value *m = op1(b, "ReduceMean", x);
    set_int(b, "keepdims", 0);
    return m;
}

static bool have_op(const char *name) { return op_lookup("", name) != OP_INVALID; }

/* -mean(lp[n, y[n], ...]) over the batch (and spatial dims). */
static Value *nll_of(LossB *b, Value *lp, Value *y) {
    if (have_op("NegativeLogLikelihoodLoss")) {
        Value *l = op2(b, "NegativeLogLikelihoodLoss", lp, y);
        set_string(b, "reduction", "mean");
        return l;
    }
    int64_t one = 1;
    Value *idx = op2(b, "Unsqueeze", y, dsl_const_i64s(b->p, &one, 1));
    Value *picked = op2(b, "GatherElements", lp, idx);
    set_int(b, "axis", 1);
    return op1(b, "Neg", mean_all(b, picked));
}

Operand dsl_helper(Parser *p, const char *name, Loc loc, Operand *args, int n_args) {
    Operand res = {.loc = loc};
    char lname[32];
    size_t k = 0;
    for (; name[k] && k < sizeof lname - 1; k++)
        lname[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] - 'A' + 'a' : name[k]);
    lname[k] = 0;
    if (n_args != 2) {
        diag_error(p->c, loc, "%s takes 2 arguments, not %d", lname, n_args);
        res.v = dsl_const_scalar(p, DT_F32, 0);
        return res;
    }
    /* the first argument fixes the float type; a literal target takes it */
    Value *a = dsl_operand_value(p, &args[0], DT_UNDEF);
    DType dt = dsl_guess(p, a);
    if (!dtype_is_float(dt))
        dt = DT_F32;
    bool class_labels = !strcmp(lname, "cross_entropy") || !strcmp(lname, "nll");
    Value *y = dsl_operand_value(p, &args[1], class_labels ? DT_UNDEF : dt);
    LossB b = {p, loc, dt};
    Value *r;
    if (!strcmp(lname, "mse")) {
        Value *d = op2(&b, "Sub", a, y);
        r = mean_all(&b, op2(&b, "Mul", d, d));
    } else if (!strcmp(lname, "mae")) {
        r = mean_all(&b, op1(&b, "Abs", op2(&b, "Sub", a, y)));
    } else if (!strcmp(lname, "bce")) {
        Value *lo = scalar(&b, -100.0);
        Value *lp = op2(&b, "Clip", op1(&b, "Log", a), lo);
        Value *lq = op2(&b, "Clip", op1(&b, "Log", op2(&b, "Sub", scalar(&b, 1.0), a)), lo);
        Value *s = op2(&b, "Add", op2(&b, "Mul", y, lp), op2(&b, "Mul", op2(&b, "Sub", scalar(&b, 1.0), y), lq));
        r = op1(&b, "Neg", mean_all(&b, s));
    } else if (!strcmp(lname, "bce_with_logits")) {
        Value *soft = op1(&b, "Log", op2(&b, "Add", scalar(&b, 1.0), op1(&b, "Exp", op1(&b, "Neg", op1(&b, "Abs", a)))));
        Value *s = op2(&b, "Add", op2(&b, "Sub", op1(&b, "Relu", a), op2(&b, "Mul", a, y)), soft);
        r = mean_all(&b, s);
    } else if (!strcmp(lname, "kl_div")) {
        /* a = log q (input), y = p (target) */
        Value *logp = op1(&b, "Log", op2(&b, "Clip", y, scalar(&b, 1.40129846e-45)));
        r = mean_all(&b, op2(&b, "Sub", op2(&b, "Mul", y, logp), op2(&b, "Mul", y, a)));
    } else if (!strcmp(lname, "nll")) {
        r = nll_of(&b, a, y);
    } else { /* cross_entropy */
        DType yt = dsl_guess(p, y);
        if (dtype_is_float(yt)) {
            Value *ls = op1(&b, "LogSoftmax", a);
            set_int(&b, "axis", 1);
            int64_t one = 1;
            Value *s = op2(&b, "ReduceSum", op2(&b, "Mul", y, ls), dsl_const_i64s(p, &one, 1));
            set_int(&b, "keepdims", 0);
            r = op1(&b, "Neg", mean_all(&b, s));
        } else if (have_op("SoftmaxCrossEntropyLoss")) {
            r = op2(&b, "SoftmaxCrossEntropyLoss", a, y);
            set_string(&b, "reduction", "mean");
        } else {
            Value *ls = op1(&b, "LogSoftmax", a);
            set_int(&b, "axis", 1);
            r = nll_of(&b, ls, y);
        }
    }
    res.v = r;
    return res;
}

/* ---------------------------------------------------------------- annotations */

static bool dim_bound(const Ctx *c, const char *sym, int64_t *value) {
    for (int i = c->n_dims - 1; i >= 0; i--)
        if (c->dims[i].name && !strcmp(c->dims[i].name, sym)) {
            *value = c->dims[i].value;
            return true;
        }
    return false;
}

static const char *annot_str(Arena *a, const Annot *an) {
    Buf b = {0};
    buf_printf(&b, "%s[", dtype_name(an->dtype));
    for (int i = 0; i < an->rank; i++) {
        if (i)
            buf_puts(&b, ", ");
        if (an->sym[i])
            buf_puts(&b, an->sym[i]);
        else if (an->dims[i] < 0)
            buf_puts(&b, "?");
        else
            buf_printf(&b, "%lld", (long long)an->dims[i]);
    }
    buf_puts(&b, "]");
    char *s = arena_strdup(a, b.data);
    buf_free(&b);
    return s;
}

bool dsl_check_annotations(Graph *g, Ctx *c) {
    if (!c->source_text || !c->source_file)
        return true;
    Ctx tmp;
    ctx_init(&tmp);
    Parser p;
    Graph *g2 = dsl_parse_internal(&tmp, c->source_file, c->source_text, &p);
    bool ok = true;
    if (g2) {
        /* name -> value of g, through a scope map */
        Scope *sc = ARENA_NEW(tmp.arena, Scope);
        sc->g = g;
        sc->cap = 64;
        while (sc->cap < 2 * g->n_values + 2)
            sc->cap *= 2;
        sc->slots = ARENA_ARRAY(tmp.arena, Sym *, sc->cap);
        for (int i = 0; i < g->n_values; i++) {
            Value *v = g->values[i];
            if (!v->name || dsl_sym_find(sc, v->name))
                continue;
            Sym *s = ARENA_NEW(tmp.arena, Sym);
            s->name = v->name;
            s->v = v;
            uint64_t h = 1469598103934665603u;
            for (const char *q = v->name; *q; q++)
                h = (h ^ (unsigned char)*q) * 1099511628211u;
            for (uint64_t k = h & (uint64_t)(sc->cap - 1);; k = (k + 1) & (uint64_t)(sc->cap - 1))
                if (!sc->slots[k]) {
                    sc->slots[k] = s;
                    sc->used++;
                    break;
                }
        }
        for (int i = 0; i < p.n_annots; i++) {
            const Annot *an = &p.annots[i];
            Sym *s = dsl_sym_find(sc, an->name);
            if (!s || s->v->rank < 0 || s->v->dtype == DT_UNDEF)
                continue;
            const Value *v = s->v;
            bool match = v->dtype == an->dtype && v->rank == an->rank;
            for (int d = 0; match && d < an->rank; d++) {
                int64_t want = an->dims[d];
                if (an->sym[d] && !dim_bound(c, an->sym[d], &want))
                    continue;
                if (want >= 0 && want != v->dims[d])
                    match = false;
            }
            if (!match) {
                Loc loc = an->loc;
                loc.file = c->source_file;
                ok = diag_error(c, loc, "'%s' is declared %s but its type is %s", an->name, annot_str(c->arena, an),
                                value_type_str(c->arena, v));
            }
        }
        if (g->loss && p.loss_loc.line > 0 && g->loss->rank >= 0 &&
            ((g->loss->dtype != DT_F32 && g->loss->dtype != DT_F64) || value_numel(g->loss) != 1 || g->loss->rank > 1)) {
            Loc loc = p.loss_loc;
            loc.file = c->source_file;
            ok = diag_error(c, loc, "the loss must be a scalar f32 (or f64), not %s", value_type_str(c->arena, g->loss));
        }
    }
    ctx_free(&tmp);
    return ok;
}
