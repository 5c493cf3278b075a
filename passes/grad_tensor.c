/*
 * grad_tensor.c: gradient rules of the tensor-manipulation operators.
 *
 * Ops that only reinterpret the bytes (Reshape, Flatten, Squeeze,
 * Unsqueeze) reshape the gradient back; Transpose applies the inverse
 * permutation; Concat slices the gradient per operand; Split concatenates
 * the output gradients (zeros where none flows); Expand sums back.
 * Slice scatters dy into zeros (dlcc.SliceGrad); constant Pad slices the
 * padding off again, edge / reflect / wrap Pad adds every dy element back
 * where the forward read it (dlcc.PadGrad); Resize scatters with the
 * forward's taps (dlcc.ResizeGrad); Tile sums the tiles (Reshape to [r0, d0, r1, d1...]
 * and ReduceSum over the r axes); Cast casts the gradient back.
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

/* ---------------------------------------------------------------- Slice, Pad, Tile, Cast */

bool grad_slice(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    const Value *x = n->in[0];
    int64_t start[DLCC_MAX_RANK], step[DLCC_MAX_RANK], cnt[DLCC_MAX_RANK];
    if (!slice_resolve(n, gc->c, start, step, cnt))
        return false;
    Node *d = grad_node(gc, OP_SLICEGRAD, &gc->dy[0], 1, 1);
    node_set_attr_ints(gc->g, d, "starts", start, x->rank);
    node_set_attr_ints(gc->g, d, "steps", step, x->rank);
    node_set_attr_ints(gc->g, d, "shape", x->dims, x->rank);
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

bool grad_pad(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    const Value *x = n->in[0];
    int r = x->rank;
    int64_t pads[2 * DLCC_MAX_RANK], starts[DLCC_MAX_RANK], ends[DLCC_MAX_RANK], axes[DLCC_MAX_RANK];
    if (!pad_resolve(n, gc->c, pads))
        return false;
    const char *mode = attr_string(n, "mode", "constant");
    if (strcmp(mode, "constant")) {
        if (strcmp(mode, "edge") && strcmp(mode, "reflect") && strcmp(mode, "wrap"))
            return node_error(gc->c, n, "the gradient of Pad in mode '%s' is not supported", mode);
        Node *d = grad_node(gc, OP_PADGRAD, &gc->dy[0], 1, 1);
        node_set_attr_string(gc->g, d, "mode", mode);
        node_set_attr_ints(gc->g, d, "pads", pads, 2 * r);
        node_set_attr_ints(gc->g, d, "shape", x->dims, r);
        if (!grad_infer(gc, d))
            return false;
        grad_add(gc, 0, d->out[0]);
        return true;
    }
    for (int i = 0; i < r; i++) {
        if (pads[i] < 0 || pads[r + i] < 0)
            return node_error(gc->c, n, "the gradient of Pad with negative pads is not supported");
        starts[i] = pads[i];
        ends[i] = pads[i] + x->dims[i];
        axes[i] = i;
    }
    Value *in[4] = {gc->dy[0], graph_const_i64s(gc->g, starts, r), graph_const_i64s(gc->g, ends, r),
                    graph_const_i64s(gc->g, axes, r)};
    Node *s = grad_node(gc, OP_SLICE, in, 4, 1);
    if (s->opset < 10)
        s->opset = 13;
    if (!grad_infer(gc, s))
        return false;
    grad_add(gc, 0, s->out[0]);
    return true;
}

bool grad_tile(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    const Value *x = n->in[0];
    int r = x->rank;
    if (2 * r > DLCC_MAX_RANK)
        return node_error(gc->c, n, "the gradient of Tile of rank %d is not supported (at most %d)", r,
                          DLCC_MAX_RANK / 2);
    Value split = {0};
    split.rank = 2 * r;
    int64_t axes[DLCC_MAX_RANK];
    for (int i = 0; i < r; i++) {
        split.dims[2 * i] = x->dims[i] ? gc->dy[0]->dims[i] / x->dims[i] : 0;
        split.dims[2 * i + 1] = x->dims[i];
        axes[i] = 2 * i;
    }
    Value *d = grad_reshape_to(gc, gc->dy[0], &split);
    if (!d)
        return false;
    Value *in[2] = {d, graph_const_i64s(gc->g, axes, r)};
    Node *s = grad_node(gc, OP_REDUCESUM, in, 2, 1);
    s->opset = 13;
    node_set_attr_int(gc->g, s, "keepdims", 0);
    if (!grad_infer(gc, s))
        return false;
    grad_add(gc, 0, s->out[0]);
    return true;
}

bool grad_cast(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    Node *d = grad_node(gc, OP_CAST, &gc->dy[0], 1, 1);
    node_set_attr_int(gc->g, d, "to", n->in[0]->dtype);
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

/* Resize: dlcc.ResizeGrad(x, roi, scales, sizes, dy) scatters dy back onto
 * x's shape with the forward's taps; the forward's inputs keep their
 * positions and its attributes and opset are copied, so the helper's
 * kernel rebuilds the same plan.  roi, scales and sizes carry no gradient. */
bool grad_resize(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    Value *in[5] = {n->in[0], NULL, NULL, NULL, gc->dy[0]};
    for (int i = 1; i < 4 && i < n->n_in; i++)
        in[i] = n->in[i];
    Node *d = grad_node(gc, OP_RESIZEGRAD, in, 5, 1);
    d->opset = n->opset;
    for (int i = 0; i < n->n_attrs; i++)
        *node_set_attr(gc->g, d, n->attrs[i].name, n->attrs[i].kind) = n->attrs[i];
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}
