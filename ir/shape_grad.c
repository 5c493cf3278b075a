/*
 * shape_grad.c: shape functions of the backward helper operators
 * (ir/ops_grad.def).  Most produce the shape of their first non-gradient
 * operand; SumTo and ExpandTo take the target shape from their `shape`
 * attribute; optimizer updates return the shapes of the param and of each
 * state operand present, in order.
 */
#include "ir.h"

static bool shape_from_attr(Node *n, Ctx *c) {
    int64_t dims[DLCC_MAX_RANK];
    int r = attr_ints(n, "shape", dims, DLCC_MAX_RANK);
    if (r < 0 || r > DLCC_MAX_RANK)
        return node_error(c, n, "missing or bad 'shape' attribute");
    value_set_shape(n->out[0], n->in[0]->dtype, r, dims);
    return true;
}

bool shape_sum_to(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t dims[DLCC_MAX_RANK];
    int r = attr_ints(n, "shape", dims, DLCC_MAX_RANK);
    if (r < 0 || r > x->rank)
        return node_error(c, n, "bad 'shape' attribute");
    for (int i = 0; i < r; i++) {
        int64_t xd = x->dims[x->rank - r + i];
        if (dims[i] != xd && dims[i] != 1)
            return node_error(c, n, "cannot sum %s down to dimension %lld", value_type_str(c->arena, x),
                              (long long)dims[i]);
    }
    return shape_from_attr(n, c);
}

bool shape_expand_to(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int64_t dims[DLCC_MAX_RANK];
    int r = attr_ints(n, "shape", dims, DLCC_MAX_RANK);
    if (r < 0 || r < x->rank)
        return node_error(c, n, "bad 'shape' attribute");
    for (int i = 0; i < x->rank; i++) {
        int64_t xd = x->dims[i];
        if (xd != dims[r - x->rank + i] && xd != 1)
            return node_error(c, n, "cannot broadcast %s", value_type_str(c->arena, x));
    }
    return shape_from_attr(n, c);
}

/* The gradient of an operand has the operand's shape: dy's for elementwise
 * grads (BinaryGrad's result is reduced afterwards by SumTo). */
bool shape_unary_grad(Node *n, Ctx *c) {
    const Value *dy = n->in[0];
    value_set_shape(n->out[0], dy->dtype, dy->rank, dy->dims);
    return true;
}

/* Loss grads: the gradient of the scores/input operand (in[1]). */
bool shape_loss_grad(Node *n, Ctx *c) {
    const Value *x = n->in[1];
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    return true;
}

bool shape_clip_coef(Node *n, Ctx *c) {
    value_set_shape(n->out[0], n->in[0]->dtype, 0, NULL);
    return true;
}

bool shape_optim_update(Node *n, Ctx *c) {
    const Value *p = n->in[0], *g = n->in[1];
    if (!g || !value_same_shape(p, g))
        return node_error(c, n, "gradient shape differs from the parameter's");
    value_set_shape(n->out[0], p->dtype, p->rank, p->dims);
    int k = 1;
    for (int i = 3; i < n->n_in; i++) {
        if (!n->in[i])
            continue;
        if (k >= n->n_out)
            return node_error(c, n, "more state operands than results");
        value_set_shape(n->out[k++], n->in[i]->dtype, n->in[i]->rank, n->in[i]->dims);
    }
    if (k != n->n_out)
        return node_error(c, n, "state operands and results differ in number");
    return true;
}

/* Gather backward: the data operand's shape, from the `shape` attribute. */
bool shape_scatter_grad(Node *n, Ctx *c) { return shape_from_attr(n, c); }

/* BatchNormTrain: y like x; the four statistics [C] in x's type. */
bool shape_batchnorm_train(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    if (x->rank < 2)
        return node_error(c, n, "training needs an input [N, C, ...], not %s", value_type_str(c->arena, x));
    int64_t ch = x->dims[1];
    for (int i = 1; i < 5; i++)
        if (!n->in[i] || n->in[i]->rank != 1 || n->in[i]->dims[0] != ch)
            return node_error(c, n, "input %d must be [%lld]", i, (long long)ch);
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    for (int i = 1; i < 5; i++)
        value_set_shape(n->out[i], x->dtype, 1, &ch);
    return true;
}

/* BatchNormGrad: dx like x, dscale and dbias like scale. */
bool shape_batchnorm_grad(Node *n, Ctx *c) {
    const Value *x = n->in[1], *s = n->in[2];
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    value_set_shape(n->out[1], x->dtype, s->rank, s->dims);
    value_set_shape(n->out[2], x->dtype, s->rank, s->dims);
    return true;
}

/* LayerNormGrad: dx like x; dscale, dbias [prod(x.dims[axis:])]. */
bool shape_layernorm_grad(Node *n, Ctx *c) {
    const Value *x = n->in[1];
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    if (axis < 0)
        return node_error(c, n, "axis out of range");
    int64_t inner = 1;
    for (int i = axis; i < x->rank; i++)
        inner *= x->dims[i];
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    value_set_shape(n->out[1], x->dtype, 1, &inner);
    value_set_shape(n->out[2], x->dtype, 1, &inner);
    return true;
}

/* DropoutTrain: y like x, the optional mask bool like x. */
bool shape_dropout_train(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    (void)c;
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    if (n->n_out > 1)
        value_set_shape(n->out[1], DT_BOOL, x->rank, x->dims);
    return true;
}

/* ONNX Adagrad/Momentum (X, G, state: 3 groups) and Adam (4 groups): n =
 * (inputs - 2) / groups tensors; outputs X_new[0..n), then each state
 * group, shaped like the matching X. */
bool shape_onnx_optimizer(Node *n, Ctx *c) {
    int groups = n->op == OP_ONNX_ADAM ? 4 : 3;
    int k = (n->n_in - 2) / groups;
    if (k < 1 || n->n_in != 2 + groups * k || n->n_out != (groups - 1) * k)
        return node_error(c, n, "expected R, T and %d groups of tensors, and %d groups of outputs", groups, groups - 1);
    for (int i = 2; i < n->n_in; i++)
        if (!n->in[i] || !value_same_shape(n->in[i], n->in[2 + (i - 2) % k]) ||
            (n->in[i]->dtype != DT_F32 && n->in[i]->dtype != DT_F64))
            return node_error(c, n, "input %d must be a float tensor shaped like its X", i);
    for (int j = 0; j < n->n_out; j++) {
        const Value *x = n->in[2 + j % k];
        value_set_shape(n->out[j], x->dtype, x->rank, x->dims);
    }
    return true;
}

/* ONNX Gradient: output j like input j (the j-th xs value). */
bool shape_onnx_gradient(Node *n, Ctx *c) {
    if (n->n_out > n->n_in)
        return node_error(c, n, "Gradient has more outputs than xs inputs");
    for (int j = 0; j < n->n_out; j++)
        value_set_shape(n->out[j], n->in[j]->dtype, n->in[j]->rank, n->in[j]->dims);
    return true;
}

/* ResizeGrad(x, roi, scales, sizes, dy): dx shaped like x (the forward's
 * inputs keep their positions so resize_plan() reads them unchanged). */
bool shape_resize_grad(Node *n, Ctx *c) {
    const Value *x = n->in[0], *dy = n->in[4];
    if (!x || !dy)
        return node_error(c, n, "needs x and dy");
    value_set_shape(n->out[0], dy->dtype, x->rank, x->dims);
    return true;
}
