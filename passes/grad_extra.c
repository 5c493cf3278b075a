/*
 * grad_extra.c: gradient rules of CumSum, Upsample, GroupNormalization and
 * Einsum.
 *
 * CumSum's gradient is the cumulative sum of dy in the other direction
 * (reverse flipped, exclusive kept).  Upsample is Resize of opset 10
 * (asymmetric coordinates, floor rounding), so its gradient is
 * dlcc.ResizeGrad with opset 10 and the scales in input 1 (a constant made
 * from the attribute before opset 9).  GroupNormalization views x as
 * [N, G, C/G * spatial], where it is InstanceNormalization over G
 * channels: dlcc.InstanceNormGrad gives dx, and with per-group scale
 * (opset 18) dscale and dbias too; with per-channel scale (opset 21) dy is
 * scaled per channel before and the parameter gradients are reductions of
 * dy * xhat and dy, xhat recomputed by GroupNormalization with unit scale.
 *
 * Einsum: the gradient of operand k is an Einsum of dy (output term) and
 * the other operands (their terms) to operand k's term.  Every axis gets
 * an explicit label: ellipsis axes get letters unused by the equation,
 * and an ellipsis axis an operand broadcasts (size 1 against a larger
 * size) gets a label of its own, which is exact since the operand does not
 * vary along it.  In operand k's term a repeated label (a diagonal) is
 * replaced by a fresh one tied to the first by an identity-matrix operand,
 * and a label found in no other operand (summed by the forward) by a
 * ones-vector operand, so that the output term names each label once and
 * every label appears in an input.  Running out of letters or operands is
 * a located error.
 */
#include "ir/einsum.h"
#include "passes.h"

#include <string.h>

/* ---------------------------------------------------------------- CumSum */

bool grad_cumsum(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    Value *in[2] = {gc->dy[0], n->in[1]};
    Node *d = grad_node(gc, OP_CUMSUM, in, 2, 1);
    node_set_attr_int(gc->g, d, "exclusive", attr_int(n, "exclusive", 0) != 0);
    node_set_attr_int(gc->g, d, "reverse", attr_int(n, "reverse", 0) == 0);
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

/* ---------------------------------------------------------------- Upsample */

bool grad_upsample(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    Value *x = n->in[0];
    Value *scales = n->n_in > 1 ? n->in[1] : NULL;
    if (n->opset < 9) {
        const Attr *at = node_attr(n, "scales");
        if (!at || at->kind != AT_FLOATS || at->n != x->rank)
            return node_error(gc->c, n, "scales must have %d values", x->rank);
        float *f = ARENA_ARRAY(gc->g->arena, float, x->rank + 1);
        for (int i = 0; i < x->rank; i++)
            f[i] = (float)at->floats[i];
        int64_t r = x->rank;
        scales = graph_add_const(gc->g, NULL, DT_F32, 1, &r, f);
    }
    if (!scales)
        return node_error(gc->c, n, "needs scales");
    Value *in[5] = {x, scales, NULL, NULL, gc->dy[0]};
    Node *d = grad_node(gc, OP_RESIZEGRAD, in, 5, 1);
    d->opset = 10;
    node_set_attr_string(gc->g, d, "mode", attr_string(n, "mode", "nearest"));
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

/* ---------------------------------------------------------------- GroupNormalization */

static Value *const_filled(GradCtx *gc, DType dt, int64_t len, double v) {
    void *p = arena_alloc(gc->g->arena, (size_t)(len + 1) * 8);
    for (int64_t i = 0; i < len; i++)
        data_set_f64(dt, p, i, v);
    return graph_add_const(gc->g, NULL, dt, 1, &len, p);
}

static Value *reshape_to_dims(GradCtx *gc, Value *v, int rank, const int64_t *dims) {
    Value like = {0};
    like.rank = rank;
    memcpy(like.dims, dims, sizeof(int64_t) * (size_t)rank);
    return grad_reshape_to(gc, v, &like);
}

/* Sum of v over axis 0 and axes 2.. (to [C]). */
static Value *sum_but_channel(GradCtx *gc, Value *v) {
    if (!v)
        return NULL;
    int64_t axes[DLCC_MAX_RANK];
    int na = 0;
    for (int i = 0; i < v->rank; i++)
        if (i != 1)
            axes[na++] = i;
    Value *in[2] = {v, graph_const_i64s(gc->g, axes, na)};
    Node *r = grad_node(gc, OP_REDUCESUM, in, 2, 1);
    r->opset = 13;
    node_set_attr_int(gc->g, r, "keepdims", 0);
    return grad_infer(gc, r) ? r->out[0] : NULL;
}

bool grad_groupnorm(GradCtx *gc) {
    Node *n = gc->node;
    Value *x = n->in[0], *sc = n->in[1], *dy = gc->dy[0];
    if (!grad_wants(gc, 0) && !grad_wants(gc, 1) && !grad_wants(gc, 2))
        return true;
    if (x->rank < 2)
        return node_error(gc->c, n, "input must have rank >= 2");
    int64_t N = x->dims[0], C = x->dims[1], S = 1, G = attr_int(n, "num_groups", 1);
    for (int i = 2; i < x->rank; i++)
        S *= x->dims[i];
    if (G <= 0 || C % G)
        return node_error(gc->c, n, "num_groups %lld does not divide the %lld channels", (long long)G, (long long)C);
    bool per_channel = value_numel(sc) == C && C != G;
    if (!per_channel && value_numel(sc) != G)
        return node_error(gc->c, n, "scale must have C or num_groups elements");
    double eps = attr_float(n, "epsilon", 1e-5);
    int64_t gd[3] = {N, G, C / G * S}, gl = G;
    Value *xr = reshape_to_dims(gc, x, 3, gd);
    if (!per_channel) {
        Value *in[3] = {reshape_to_dims(gc, dy, 3, gd), xr, reshape_to_dims(gc, sc, 1, &gl)};
        if (!in[0] || !in[1] || !in[2])
            return false;
        Node *d = grad_node(gc, OP_INSTANCENORMGRAD, in, 3, 3);
        node_set_attr_float(gc->g, d, "epsilon", eps);
        if (!grad_infer(gc, d))
            return false;
        for (int i = 0; i < 3; i++)
            if (grad_wants(gc, i))
                grad_add(gc, i, grad_reshape_to(gc, d->out[i], n->in[i]));
        return true;
    }
    if (grad_wants(gc, 0)) {
        int64_t sd[DLCC_MAX_RANK];
        for (int i = 0; i < x->rank; i++)
            sd[i] = i == 1 ? C : 1;
        Value *dys = grad_op(gc, OP_MUL, dy, reshape_to_dims(gc, sc, x->rank, sd));
        Value *in[3] = {reshape_to_dims(gc, dys, 3, gd), xr, const_filled(gc, x->dtype, G, 1.0)};
        if (!in[0] || !in[1])
            return false;
        Node *d = grad_node(gc, OP_INSTANCENORMGRAD, in, 3, 3);
        node_set_attr_float(gc->g, d, "epsilon", eps);
        if (!grad_infer(gc, d))
            return false;
        grad_add(gc, 0, grad_reshape_to(gc, d->out[0], x));
    }
    if (grad_wants(gc, 1)) {
        Value *in[3] = {x, const_filled(gc, x->dtype, C, 1.0), const_filled(gc, x->dtype, C, 0.0)};
        Node *h = grad_node(gc, OP_GROUPNORMALIZATION, in, 3, 1);
        node_set_attr_int(gc->g, h, "num_groups", G);
        node_set_attr_float(gc->g, h, "epsilon", eps);
        if (!grad_infer(gc, h))
            return false;
        grad_add(gc, 1, grad_reshape_to(gc, sum_but_channel(gc, grad_op(gc, OP_MUL, dy, h->out[0])), sc));
    }
    if (grad_wants(gc, 2))
        grad_add(gc, 2, grad_reshape_to(gc, sum_but_channel(gc, dy), n->in[2]));
    return true;
}

/* ---------------------------------------------------------------- Einsum */

#define EG_ELL 52       /* label ids 52..63: ellipsis axes, from the right */
#define EG_FRESH 64     /* ids 64..: labels made here */
#define EG_MAX_IDS 192
#define EG_MAX_AXES (DLCC_MAX_RANK + 16)

typedef struct EinTerm {
    int n;
    int id[EG_MAX_AXES];
} EinTerm;

typedef struct EinGrad {
    GradCtx *gc;
    int n_ids;
    int64_t size[EG_MAX_IDS];
    bool used_letter[52];
} EinGrad;

static int eg_letter(char ch) { return ch >= 'a' && ch <= 'z' ? ch - 'a' : ch >= 'A' && ch <= 'Z' ? 26 + ch - 'A' : -1; }

static char eg_char(int l) { return (char)(l < 26 ? 'a' + l : 'A' + l - 26); }

static int eg_fresh(EinGrad *eg, int64_t size) {
    if (eg->n_ids >= EG_MAX_IDS)
        return -1;
    eg->size[eg->n_ids] = size;
    return eg->n_ids++;
}

/* Parses one term of `len` chars; rank -1 for the output (n_ell axes of ellipsis). */
static bool eg_term(const char *s, size_t len, int rank, int n_ell, EinTerm *t) {
    int letters = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '.' && eg_letter(s[i]) < 0)
            return false;
        else if (s[i] != '.')
            letters++;
    t->n = 0;
    bool ell = false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (ell || i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.')
                return false;
            ell = true;
            int ne = rank >= 0 ? rank - letters : n_ell;
            if (ne < 0 || ne > 12 || t->n + ne > EG_MAX_AXES)
                return false;
            for (int j = 0; j < ne; j++)
                t->id[t->n++] = EG_ELL + (ne - 1 - j);
            i += 2;
        } else {
            if (t->n >= EG_MAX_AXES)
                return false;
            t->id[t->n++] = eg_letter(s[i]);
        }
    }
    return true;
}

static bool term_has(const EinTerm *t, int id) {
    for (int a = 0; a < t->n; a++)
        if (t->id[a] == id)
            return true;
    return false;
}

/* Writes the equation of terms[0..n) -> out, labels mapped to letters
 * (letters themselves, the others to letters the equation does not use). */
static const char *eg_equation(EinGrad *eg, EinTerm *terms, int n, const EinTerm *out) {
    char map[EG_MAX_IDS];
    memset(map, 0, sizeof map);
    bool taken[52];
    memcpy(taken, eg->used_letter, sizeof taken);
    int next = 0;
    Buf b = {0};
    for (int k = 0; k <= n; k++) {
        const EinTerm *t = k < n ? &terms[k] : out;
        if (k == n)
            buf_puts(&b, "->");
        else if (k)
            buf_puts(&b, ",");
        for (int a = 0; a < t->n; a++) {
            int id = t->id[a];
            if (!map[id]) {
                if (id < 52) {
                    map[id] = eg_char(id);
                } else {
                    while (next < 52 && taken[next])
                        next++;
                    if (next >= 52) {
                        buf_free(&b);
                        return NULL;
                    }
                    taken[next] = true;
                    map[id] = eg_char(next);
                }
            }
            char s[2] = {map[id], 0};
            buf_puts(&b, s);
        }
    }
    const char *eq = arena_strdup(eg->gc->g->arena, b.data ? b.data : "");
    buf_free(&b);
    return eq;
}

bool grad_einsum(GradCtx *gc) {
    Node *n = gc->node;
    char eq[512];
    if (!einsum_equation(n, eq, sizeof eq))
        return node_error(gc->c, n, "missing attribute 'equation'");
    const char *eq0 = attr_string(n, "equation", ""); /* as written, for messages */
    size_t m = strlen(eq);
    EinGrad eg;
    memset(&eg, 0, sizeof eg);
    eg.gc = gc;
    eg.n_ids = EG_FRESH;
    for (int i = 0; i < EG_FRESH; i++)
        eg.size[i] = -1;
    for (size_t i = 0; i < m; i++)
        if (eg_letter(eq[i]) >= 0)
            eg.used_letter[eg_letter(eq[i])] = true;
    const char *arrow = strstr(eq, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : m;
    EinTerm *terms = ARENA_ARRAY(gc->g->arena, EinTerm, n->n_in + 4);
    int count[EG_FRESH] = {0}, n_ell = 0;
    size_t pos = 0;
    for (int k = 0; k < n->n_in; k++) {
        size_t end = pos;
        while (end < lhs_len && eq[end] != ',')
            end++;
        const Value *v = n->in[k];
        if (!eg_term(eq + pos, end - pos, v->rank, 0, &terms[k]) || terms[k].n != v->rank)
            return node_error(gc->c, n, "cannot parse term %d of '%s'", k, eq0);
        for (int a = 0; a < v->rank; a++) {
            int l = terms[k].id[a];
            if (l >= EG_ELL && l - EG_ELL + 1 > n_ell)
                n_ell = l - EG_ELL + 1;
            if (eg.size[l] < 0 || eg.size[l] == 1)
                eg.size[l] = v->dims[a];
            count[l]++;
        }
        pos = end + 1;
    }
    EinTerm out;
    if (arrow) {
        if (!eg_term(arrow + 2, strlen(arrow + 2), -1, n_ell, &out))
            return node_error(gc->c, n, "cannot parse the output term of '%s'", eq0);
    } else {
        out.n = 0;
        for (int j = n_ell - 1; j >= 0; j--)
            out.id[out.n++] = EG_ELL + j;
        for (int l = 0; l < 52; l++)
            if (count[l] == 1)
                out.id[out.n++] = l;
    }
    if (out.n != gc->dy[0]->rank)
        return node_error(gc->c, n, "internal error: Einsum output term does not match its gradient");
    /* an operand's broadcast ellipsis axis gets a label of its own, of size 1 */
    for (int k = 0; k < n->n_in; k++)
        for (int a = 0; a < terms[k].n; a++) {
            int l = terms[k].id[a];
            if (l >= EG_ELL && n->in[k]->dims[a] == 1 && eg.size[l] != 1) {
                int f = eg_fresh(&eg, 1);
                if (f < 0)
                    return node_error(gc->c, n, "the gradient of Einsum '%s' needs too many labels", eq0);
                terms[k].id[a] = f;
            }
        }
    int base_ids = eg.n_ids;
    for (int k = 0; k < n->n_in; k++) {
        if (!grad_wants(gc, k))
            continue;
        eg.n_ids = base_ids;
        Value *x = n->in[k];
        DType dt = x->dtype;
        Value **ops = ARENA_ARRAY(gc->g->arena, Value *, EINSUM_MAX_OPS + 2 * EG_MAX_AXES + 2);
        EinTerm *ts = ARENA_ARRAY(gc->g->arena, EinTerm, EINSUM_MAX_OPS + 2 * EG_MAX_AXES + 2);
        int no = 0;
        ops[no] = gc->dy[0];
        ts[no++] = out;
        for (int j = 0; j < n->n_in; j++)
            if (j != k) {
                ops[no] = n->in[j];
                ts[no++] = terms[j];
            }
        EinTerm res = {0};
        for (int a = 0; a < terms[k].n; a++) {
            int l = terms[k].id[a];
            bool repeated = false;
            for (int b = 0; b < a; b++)
                repeated |= terms[k].id[b] == l;
            if (!repeated) {
                res.id[res.n++] = l;
                continue;
            }
            /* a diagonal: a fresh label f and the identity operand [l, f] */
            int64_t s = eg.size[l];
            int f = eg_fresh(&eg, s);
            if (f < 0)
                return node_error(gc->c, n, "the gradient of Einsum '%s' needs too many labels", eq0);
            res.id[res.n++] = f;
            int64_t dims[2] = {s, s};
            void *p = arena_alloc(gc->g->arena, (size_t)(s * s + 1) * 8);
            for (int64_t i = 0; i < s; i++)
                data_set_f64(dt, p, i * s + i, 1.0);
            ops[no] = graph_add_const(gc->g, NULL, dt, 2, dims, p);
            ts[no].n = 2;
            ts[no].id[0] = l;
            ts[no++].id[1] = f;
        }
        /* labels summed by the forward that only operand k has: ones */
        for (int a = 0; a < res.n; a++) {
            int l = res.id[a];
            bool found = false;
            for (int j = 0; j < no && !found; j++)
                found = term_has(&ts[j], l);
            if (found)
                continue;
            ops[no] = const_filled(gc, dt, eg.size[l], 1.0);
            ts[no].n = 1;
            ts[no++].id[0] = l;
        }
        if (no > EINSUM_MAX_OPS)
            return node_error(gc->c, n, "the gradient of Einsum '%s' needs more than %d operands", eq0,
                              EINSUM_MAX_OPS);
        const char *geq = eg_equation(&eg, ts, no, &res);
        if (!geq)
            return node_error(gc->c, n, "the gradient of Einsum '%s' needs more than 52 labels", eq0);
        Node *d = grad_node(gc, OP_EINSUM, ops, no, 1);
        node_set_attr_string(gc->g, d, "equation", geq);
        if (!grad_infer(gc, d))
            return false;
        if (!value_same_shape(d->out[0], x))
            return node_error(gc->c, n, "internal error: the gradient of Einsum '%s' (%s) is not shaped like operand %d",
                              eq0, geq, k);
        grad_add(gc, k, d->out[0]);
    }
    return true;
}
