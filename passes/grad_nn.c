/*
 * grad_nn.c: gradient rules of matrix products, softmax and the ONNX
 * losses (convolution, pooling, normalisation: grad_conv.c).
 *
 * MatMul and Gemm differentiate into matrix products: Gemm with transposed
 * operands for the 2-D case, Transpose + MatMul (then SumTo over broadcast
 * batch dimensions) otherwise; 1-D operands are viewed as a row or column
 * matrix.  Softmax, LogSoftmax and the two ONNX losses use dedicated dlcc
 * helper kernels (ir/ops_grad.def; the class weights' gradient of the
 * losses: ir/ops_grad_extra.def).
 */
#include "passes.h"

#include <string.h>

static Node *gemm_node(GradCtx *gc, Value *a, Value *b, int trans_a, int trans_b, double alpha) {
    Value *in[2] = {a, b};
    Node *n = grad_node(gc, OP_GEMM, in, 2, 1);
    if (trans_a)
        node_set_attr_int(gc->g, n, "transA", 1);
    if (trans_b)
        node_set_attr_int(gc->g, n, "transB", 1);
    if (alpha != 1.0)
        node_set_attr_float(gc->g, n, "alpha", alpha);
    return grad_infer(gc, n) ? n : NULL;
}

/* Swaps the last two axes. */
static Value *transpose_last2(GradCtx *gc, Value *x) {
    int64_t perm[DLCC_MAX_RANK];
    for (int i = 0; i < x->rank; i++)
        perm[i] = i;
    perm[x->rank - 2] = x->rank - 1;
    perm[x->rank - 1] = x->rank - 2;
    return grad_transpose(gc, x, perm, x->rank);
}

static Value *reshape_dims(GradCtx *gc, Value *x, int rank, const int64_t *dims) {
    Value like = {0};
    like.rank = rank;
    for (int i = 0; i < rank; i++)
        like.dims[i] = dims[i];
    return grad_reshape_to(gc, x, &like);
}

bool grad_matmul(GradCtx *gc) {
    Node *n = gc->node;
    Value *a = n->in[0], *b = n->in[1], *dy = gc->dy[0];
    /* View 1-D operands as [1, K] and [K, 1], and dy accordingly. */
    int64_t d[DLCC_MAX_RANK + 1];
    int r;
    if (a->rank == 1) {
        d[0] = 1, d[1] = a->dims[0];
        a = reshape_dims(gc, a, 2, d);
    }
    if (b->rank == 1) {
        d[0] = b->dims[0], d[1] = 1;
        b = reshape_dims(gc, b, 2, d);
    }
    if (n->in[0]->rank == 1 || n->in[1]->rank == 1) {
        r = dy->rank;
        memcpy(d, dy->dims, sizeof(int64_t) * (size_t)r);
        if (n->in[1]->rank == 1)
            d[r++] = 1;
        if (n->in[0]->rank == 1) {
            d[r] = d[r - 1];
            d[r - 1] = 1;
            r++;
        }
        dy = reshape_dims(gc, dy, r, d);
    }
    if (!a || !b || !dy)
        return false;
    if (a->rank == 2 && b->rank == 2) {
        if (grad_wants(gc, 0)) {
            Node *m = gemm_node(gc, dy, b, 0, 1, 1.0);
            if (!m)
                return false;
            grad_add(gc, 0, m->out[0]);
        }
        if (grad_wants(gc, 1)) {
            Node *m = gemm_node(gc, a, dy, 1, 0, 1.0);
            if (!m)
                return false;
            grad_add(gc, 1, m->out[0]);
        }
        return true;
    }
    if (grad_wants(gc, 0))
        grad_add(gc, 0, grad_op(gc, OP_MATMUL, dy, transpose_last2(gc, b)));
    if (grad_wants(gc, 1))
        grad_add(gc, 1, grad_op(gc, OP_MATMUL, transpose_last2(gc, a), dy));
    return true;
}

/* Y = alpha A' B' + beta C with A' = transA ? A^T : A, B' likewise. */
bool grad_gemm(GradCtx *gc) {
    Node *n = gc->node;
    Value *a = n->in[0], *b = n->in[1], *dy = gc->dy[0];
    int ta = (int)attr_int(n, "transA", 0), tb = (int)attr_int(n, "transB", 0);
    double alpha = attr_float(n, "alpha", 1.0), beta = attr_float(n, "beta", 1.0);
    if (grad_wants(gc, 0)) {
        Node *m = !ta ? gemm_node(gc, dy, b, 0, !tb, alpha) : gemm_node(gc, b, dy, tb, 1, alpha);
        if (!m)
            return false;
        grad_add(gc, 0, m->out[0]);
    }
    if (grad_wants(gc, 1)) {
        Node *m = !tb ? gemm_node(gc, a, dy, !ta, 0, alpha) : gemm_node(gc, dy, a, 1, ta, alpha);
        if (!m)
            return false;
        grad_add(gc, 1, m->out[0]);
    }
    if (grad_wants(gc, 2)) {
        Value *d = dy;
        if (beta != 1.0)
            d = grad_op(gc, OP_MUL, d, grad_const(gc, d->dtype, beta));
        grad_add(gc, 2, d);
    }
    return true;
}

/* Softmax / LogSoftmax.  Before opset 13 the input is coerced to 2-D at
 * `axis` (the softmax runs over all trailing axes); the helper kernel gets
 * the normalised axis and a `coerce2d` flag. */
bool grad_softmax(GradCtx *gc) {
    Node *n = gc->node;
    int rank = n->in[0]->rank;
    int64_t axis = attr_int(n, "axis", n->opset < 13 ? 1 : -1);
    int ax = norm_axis(axis, rank);
    if (ax < 0 && rank > 0)
        return node_error(gc->c, n, "axis %lld out of range", (long long)axis);
    Value *in[2] = {gc->dy[0], n->out[0]};
    Node *d = grad_node(gc, OP_SOFTMAXGRAD, in, 2, 1);
    node_set_attr_int(gc->g, d, "axis", ax < 0 ? 0 : ax);
    node_set_attr_int(gc->g, d, "log", n->op == OP_LOGSOFTMAX);
    if (n->opset < 13)
        node_set_attr_int(gc->g, d, "coerce2d", 1);
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

/* The two ONNX losses: dlcc.SoftmaxCrossEntropyLossGrad /
 * NegativeLogLikelihoodLossGrad give the scores' gradient (class weights,
 * ignore_index and the reduction included); dlcc.ClassLossWeightGrad the
 * class weights' gradient when they are trainable; the log_prob output of
 * SoftmaxCrossEntropyLoss (LogSoftmax over axis 1) goes back through
 * SoftmaxGrad. */
static bool loss_grad(GradCtx *gc, OpKind op) {
    Node *n = gc->node;
    Value *w = n->n_in > 2 ? n->in[2] : NULL;
    if (grad_wants(gc, 2) && gc->dy[0]) {
        Value *in[4] = {gc->dy[0], n->in[0], n->in[1], w};
        Node *d = grad_node(gc, OP_CLASSLOSSWEIGHTGRAD, in, 4, 1);
        for (int i = 0; i < n->n_attrs; i++)
            *node_set_attr(gc->g, d, n->attrs[i].name, n->attrs[i].kind) = n->attrs[i];
        node_set_attr_int(gc->g, d, "softmax", op == OP_SCELOSSGRAD);
        if (!grad_infer(gc, d))
            return false;
        grad_add(gc, 2, d->out[0]);
    }
    if (!grad_wants(gc, 0))
        return true;
    if (n->n_out > 1 && gc->dy[1]) {
        Value *in[2] = {gc->dy[1], n->out[1]};
        Node *d = grad_node(gc, OP_SOFTMAXGRAD, in, 2, 1);
        node_set_attr_int(gc->g, d, "axis", 1);
        node_set_attr_int(gc->g, d, "log", 1);
        if (!grad_infer(gc, d))
            return false;
        grad_add(gc, 0, d->out[0]);
    }
    if (!gc->dy[0])
        return true;
    Value *in[4] = {gc->dy[0], n->in[0], n->in[1], w};
    Node *d = grad_node(gc, op, in, w ? 4 : 3, 1);
    d->attrs = n->attrs;
    d->n_attrs = n->n_attrs;
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

/* Named in the loss rows of ops.def once they exist (declared here until
 * then, when the X-macro declares them too). */
bool grad_softmax_cross_entropy(GradCtx *gc);
bool grad_nll_loss(GradCtx *gc);
bool grad_softmax_cross_entropy(GradCtx *gc) { return loss_grad(gc, OP_SCELOSSGRAD); }
bool grad_nll_loss(GradCtx *gc) { return loss_grad(gc, OP_NLLLOSSGRAD); }
