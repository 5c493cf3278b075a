/*
 * grad_tensor.c: gradient rules of the tensor-manipulation operators.
 *
 * Ops that only reinterpret the bytes (Reshape, Flatten, Squeeze,
 * Unsqueeze) reshape the gradient back; Transpose applies the inverse
 * permutation; Concat slices the gradient per operand; Split concatenates
 * the output gradients (zeros where none flows); Expand sums back.
 */
#include "passes.h"

#include <string.h>

bool grad_reshape(GradCtx *gc) {
    grad_add(gc, 0, grad_reshape_to(gc, gc->dy[0], gc->node->in[0]));
    return true;
}

bool grad_transpose_op(GradCtx *gc) {
    Node *n = gc->node;
    int r = n->in[0]->rank;
    int64_t perm[DLCC_MAX_RANK], inv[DLCC_MAX_RANK];
    if (attr_ints(n, "perm", perm, DLCC_MAX_RANK) != r)
        for (int i = 0; i < r; i++)
            perm[i] = r - 1 - i;
    for (int i = 0; i < r; i++)
        inv[perm[i]] = i;
    grad_add(gc, 0, grad_transpose(gc, gc->dy[0], inv, r));
    return true;
}

bool grad_expand(GradCtx *gc) {
    grad_add(gc, 0, gc->dy[0]); /* grad_add sums over the broadcast axes */
    return true;
}

static Value *slice_axis(GradCtx *gc, Value *d, int axis, int64_t start, int64_t end) {
    int64_t s = start, e = end, a = axis;
    Value *in[4] = {d, graph_const_i64s(gc->g, &s, 1), graph_const_i64s(gc->g, &e, 1), graph_const_i64s(gc->g, &a, 1)};
    Node *n = grad_node(gc, OP_SLICE, in, 4, 1);
    if (n->opset < 10)
        n->opset = 13;
    return grad_infer(gc, n) ? n->out[0] : NULL;
}

bool grad_concat(GradCtx *gc) {
    Node *n = gc->node;
    int ax = norm_axis(attr_int(n, "axis", 0), n->out[0]->rank);
    if (ax < 0)
        return node_error(gc->c, n, "bad axis");
    int64_t off = 0;
    for (int i = 0; i < n->n_in; i++) {
        int64_t len = n->in[i]->dims[ax];
        if (grad_wants(gc, i))
            grad_add(gc, i, slice_axis(gc, gc->dy[0], ax, off, off + len));
        off += len;
    }
    return true;
}

bool grad_split(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    int ax = norm_axis(attr_int(n, "axis", 0), n->in[0]->rank);
    if (ax < 0)
        return node_error(gc->c, n, "bad axis");
    Value **parts = ARENA_ARRAY(gc->g->arena, Value *, n->n_out);
    for (int j = 0; j < n->n_out; j++) {
        parts[j] = gc->dy[j];
        if (!parts[j]) {
            Value *o = n->out[j];
            void *zeros = arena_alloc(gc->g->arena, value_bytes(o) + 8);
            parts[j] = graph_add_const(gc->g, NULL, o->dtype, o->rank, o->dims, zeros);
        }
    }
    if (n->n_out == 1) {
        grad_add(gc, 0, parts[0]);
        return true;
    }
    Node *cat = grad_node(gc, OP_CONCAT, parts, n->n_out, 1);
    node_set_attr_int(gc->g, cat, "axis", ax);
    if (!grad_infer(gc, cat))
        return false;
    grad_add(gc, 0, cat->out[0]);
    return true;
}

/* GatherElements / Gather: scatter-add dy into zeros shaped like the data. */
static bool gather_grad(GradCtx *gc, OpKind op) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    const Value *x = n->in[0];
    int ax = norm_axis(attr_int(n, "axis", 0), x->rank);
    if (ax < 0)
        return node_error(gc->c, n, "bad axis");
    Value *in[2] = {gc->dy[0], n->in[1]};
    Node *d = grad_node(gc, op, in, 2, 1);
    node_set_attr_int(gc->g, d, "axis", ax);
    node_set_attr_ints(gc->g, d, "shape", x->dims, x->rank);
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

bool grad_gather_elements(GradCtx *gc) { return gather_grad(gc, OP_SCATTERADDELEMENTS); }
bool grad_gather(GradCtx *gc) { return gather_grad(gc, OP_GATHERGRAD); }
