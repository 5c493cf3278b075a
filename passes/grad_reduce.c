/*
 * grad_reduce.c: gradient rules of the reductions.
 *
 * The output gradient is first given the keepdims shape (a Reshape when the
 * reduced axes were dropped), then broadcast back over the reduced axes
 * with dlcc.ExpandTo, scaled by 1/count for ReduceMean.  Reductions with a
 * nonlinear finalisation multiply by their local derivative afterwards.
 * ReduceMax / ReduceMin split dy evenly among tied extrema (torch.amax);
 * ReduceProd multiplies by the product of the other elements, counting
 * zeros so that no 0 / 0 arises (both from plain ops: Equal, Cast, Where,
 * ReduceSum / ReduceProd with keepdims, broadcasting Mul / Div).
 */
#include "passes.h"

#include <string.h>

/* The keepdims shape of the reduction's output into `kd`; false on error. */
static bool reduce_keep_shape(GradCtx *gc, Value *kd) {
    Node *n = gc->node;
    const Value *x = n->in[0];
    int64_t axes[DLCC_MAX_RANK];
    int na = -1;
    if (n->n_in > 1 && n->in[1]) {
        const Value *a = n->in[1];
        if (!a->data)
            return node_error(gc->c, n, "training needs constant reduction axes");
        na = (int)value_numel(a);
        for (int i = 0; i < na && i < DLCC_MAX_RANK; i++)
            axes[i] = data_get_i64(a->dtype, a->data, i);
    } else {
        na = attr_ints(n, "axes", axes, DLCC_MAX_RANK);
    }
    bool reduce[DLCC_MAX_RANK] = {0};
    if (na <= 0) {
        bool noop = attr_int(n, "noop_with_empty_axes", 0) != 0;
        for (int i = 0; i < x->rank; i++)
            reduce[i] = !noop;
    } else {
        for (int i = 0; i < na; i++) {
            int ax = norm_axis(axes[i], x->rank);
            if (ax < 0)
                return node_error(gc->c, n, "axis %lld out of range", (long long)axes[i]);
            reduce[ax] = true;
        }
    }
    memset(kd, 0, sizeof *kd);
    kd->dtype = x->dtype;
    kd->rank = x->rank;
    for (int i = 0; i < x->rank; i++)
        kd->dims[i] = reduce[i] ? 1 : x->dims[i];
    return true;
}

/* dy broadcast back to x's shape, times scale. */
static Value *reduce_spread(GradCtx *gc, double scale) {
    Value kd;
    if (!reduce_keep_shape(gc, &kd))
        return NULL;
    Value *d = grad_reshape_to(gc, gc->dy[0], &kd);
    return grad_expand_to(gc, d, gc->node->in[0], scale);
}

static Value *reduce_spread_value(GradCtx *gc, Value *v) {
    Value kd;
    if (!reduce_keep_shape(gc, &kd))
        return NULL;
    return grad_expand_to(gc, grad_reshape_to(gc, v, &kd), gc->node->in[0], 1.0);
}

bool grad_reduce_sum(GradCtx *gc) {
    grad_add(gc, 0, reduce_spread(gc, 1.0));
    return true;
}

bool grad_reduce_mean(GradCtx *gc) {
    int64_t nx = value_numel(gc->node->in[0]), ny = value_numel(gc->node->out[0]);
    grad_add(gc, 0, reduce_spread(gc, ny ? (double)ny / (double)nx : 1.0));
    return true;
}

/* ReduceSumSquare: 2 x dy. */
bool grad_reduce_sum_square(GradCtx *gc) {
    Value *d = reduce_spread(gc, 2.0);
    grad_add(gc, 0, grad_op(gc, OP_MUL, d, gc->node->in[0]));
    return true;
}

/* ReduceL2: x / y dy.  ReduceLogSumExp: exp(x - y) dy.  ReduceLogSum: dy / sum.
 * ReduceL1: sign(x) dy, through UnaryGrad's Abs. */
bool grad_reduce_nonlinear(GradCtx *gc) {
    Node *n = gc->node;
    Value *x = n->in[0], *y = n->out[0], *dy = gc->dy[0];
    Value *d = NULL;
    switch (n->op) {
    case OP_REDUCEL2:
        d = grad_op(gc, OP_MUL, x, reduce_spread_value(gc, grad_op(gc, OP_DIV, dy, y)));
        break;
    case OP_REDUCELOGSUMEXP:
        d = grad_op(gc, OP_MUL, grad_op(gc, OP_EXP, grad_op(gc, OP_SUB, x, reduce_spread_value(gc, y)), NULL),
                    reduce_spread(gc, 1.0));
        break;
    case OP_REDUCELOGSUM:
        d = reduce_spread_value(gc, grad_op(gc, OP_DIV, dy, grad_op(gc, OP_EXP, y, NULL)));
        break;
    case OP_REDUCEL1: {
        Value *in[3] = {reduce_spread(gc, 1.0), x, NULL};
        Node *u = grad_node(gc, OP_UNARYGRAD, in, 2, 1);
        node_set_attr_string(gc->g, u, "op", "Abs");
        d = grad_infer(gc, u) ? u->out[0] : NULL;
        break;
    }
    default:
        return node_error(gc->c, n, "no gradient rule");
    }
    if (!d)
        return false;
    grad_add(gc, 0, d);
    return true;
}

/* v reduced with op (ReduceSum or ReduceProd) over the axes the forward
 * reduction reduces, keepdims: shaped like the keepdims output.  Axes of
 * size 1 need no reduction; with none left, v itself. */
static Value *reduce_keep(GradCtx *gc, OpKind op, Value *v) {
    Value kd;
    if (!v || !reduce_keep_shape(gc, &kd))
        return NULL;
    int64_t axes[DLCC_MAX_RANK];
    int na = 0;
    for (int i = 0; i < kd.rank; i++)
        if (kd.dims[i] == 1 && v->dims[i] != 1)
            axes[na++] = i;
    if (!na)
        return v;
    Value *in[2] = {v, graph_const_i64s(gc->g, axes, na)};
    Node *r = grad_node(gc, op, in, 2, 1);
    r->opset = op == OP_REDUCESUM ? 13 : 18;
    node_set_attr_int(gc->g, r, "keepdims", 1);
    return grad_infer(gc, r) ? r->out[0] : NULL;
}

static Value *cast_to(GradCtx *gc, Value *v, DType dt) {
    if (!v)
        return NULL;
    Node *n = grad_node(gc, OP_CAST, &v, 1, 1);
    node_set_attr_int(gc->g, n, "to", dt);
    return grad_infer(gc, n) ? n->out[0] : NULL;
}

static Value *where_of(GradCtx *gc, Value *cond, Value *a, Value *b) {
    if (!cond || !a || !b)
        return NULL;
    Value *in[3] = {cond, a, b};
    Node *w = grad_node(gc, OP_WHERE, in, 3, 1);
    return grad_infer(gc, w) ? w->out[0] : NULL;
}

/* ReduceMax / ReduceMin: dy is shared evenly by the elements equal to the
 * result, as torch.amax / amin do: dx = [x == y] dy / count(x == y). */
bool grad_reduce_minmax(GradCtx *gc) {
    Node *n = gc->node;
    Value *x = n->in[0];
    if (!grad_wants(gc, 0))
        return true;
    Value kd;
    if (!reduce_keep_shape(gc, &kd))
        return false;
    Value *yk = grad_reshape_to(gc, n->out[0], &kd), *dk = grad_reshape_to(gc, gc->dy[0], &kd);
    Value *eqf = cast_to(gc, grad_op(gc, OP_EQUAL, x, yk), x->dtype);
    Value *cnt = reduce_keep(gc, OP_REDUCESUM, eqf);
    Value *d = grad_op(gc, OP_MUL, eqf, grad_op(gc, OP_DIV, dk, cnt));
    if (!d)
        return false;
    grad_add(gc, 0, d);
    return true;
}

/* ReduceProd: each element gets dy times the product of the other elements
 * of its group.  With z the group's zero count and p the product of its
 * nonzero elements, that is p / x where the other elements hold no zero
 * (z == [x == 0]; x taken as 1 where it is 0), and 0 elsewhere: exact with
 * zeros, never 0 / 0. */
bool grad_reduce_prod(GradCtx *gc) {
    Node *n = gc->node;
    Value *x = n->in[0];
    if (!grad_wants(gc, 0))
        return true;
    DType dt = x->dtype;
    Value kd;
    if (!reduce_keep_shape(gc, &kd))
        return false;
    Value *dk = grad_reshape_to(gc, gc->dy[0], &kd);
    Value *zero = grad_const(gc, dt, 0.0), *one = grad_const(gc, dt, 1.0);
    Value *isz = grad_op(gc, OP_EQUAL, x, zero);
    Value *zf = cast_to(gc, isz, dt);
    Value *xnz = where_of(gc, isz, one, x);
    Value *cnt = reduce_keep(gc, OP_REDUCESUM, zf);
    Value *p = reduce_keep(gc, OP_REDUCEPROD, xnz);
    Value *others = grad_op(gc, OP_DIV, grad_op(gc, OP_MUL, dk, p), xnz);
    Value *d = where_of(gc, grad_op(gc, OP_EQUAL, zf, cnt), others, zero);
    if (!d)
        return false;
    grad_add(gc, 0, d);
    return true;
}
