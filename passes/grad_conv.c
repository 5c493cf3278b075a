/*
 * grad_conv.c: gradient rules of convolution, pooling, normalisation and
 * dropout, and the training forms of BatchNormalization and Dropout.
 *
 * Conv differentiates into two dlcc helpers that carry the forward node's
 * attributes: ConvGradInput(dy, w) and ConvGradWeight(dy, x), plus a
 * ReduceSum of dy over the batch and spatial axes for the bias.  Windowed
 * pools use PoolGrad(dy, x), which recomputes the forward window;
 * GlobalAveragePool spreads dy evenly with ExpandTo and GlobalMaxPool is a
 * PoolGrad whose window is the whole image.
 *
 * Training forms (pass_autodiff step 1): BatchNormalization becomes
 * dlcc.BatchNormTrain, on batch statistics, whose running-statistic
 * results are stored back into the state each step (the running mean and
 * variance were made non-trainable state by train_prepare_running_stats);
 * Dropout with a nonzero ratio becomes dlcc.DropoutTrain keyed by the step
 * counter, so its backward recomputes the mask instead of storing it.
 */
#include "passes.h"

#include "../ir/shape_nn.h"

#include <string.h>

static void copy_attrs(GradCtx *gc, Node *d) {
    const Node *n = gc->node;
    for (int i = 0; i < n->n_attrs; i++)
        *node_set_attr(gc->g, d, n->attrs[i].name, n->attrs[i].kind) = n->attrs[i];
}

/* ReduceSum of d over every axis but 1, keepdims 0: a bias gradient. */
static Value *sum_but_channel(GradCtx *gc, Value *d) {
    int64_t axes[DLCC_MAX_RANK];
    int k = 0;
    for (int i = 0; i < d->rank; i++)
        if (i != 1)
            axes[k++] = i;
    Value *in[2] = {d, graph_const_i64s(gc->g, axes, k)};
    Node *r = grad_node(gc, OP_REDUCESUM, in, 2, 1);
    r->opset = 13;
    node_set_attr_int(gc->g, r, "keepdims", 0);
    return grad_infer(gc, r) ? r->out[0] : NULL;
}

/* ---------------------------------------------------------------- Conv */

static Value *conv_helper(GradCtx *gc, OpKind op, Value *other, const Value *like) {
    Value *in[2] = {gc->dy[0], other};
    Node *d = grad_node(gc, op, in, 2, 1);
    copy_attrs(gc, d);
    node_set_attr_ints(gc->g, d, "shape", like->dims, like->rank);
    return grad_infer(gc, d) ? d->out[0] : NULL;
}

bool grad_conv(GradCtx *gc) {
    Node *n = gc->node;
    Value *x = n->in[0], *w = n->in[1];
    if (x->rank < 3)
        return node_error(gc->c, n, "gradient of a convolution needs an input [N, C, spatial...]");
    if (node_attr(n, "__act")) /* passes/fuse.c runs in inference builds only */
        return node_error(gc->c, n, "no gradient for a Conv with a fused activation (__act); train the unfused graph");
    if (grad_wants(gc, 0)) {
        Value *d = conv_helper(gc, OP_CONVGRADINPUT, w, x);
        if (!d)
            return false;
        grad_add(gc, 0, d);
    }
    if (grad_wants(gc, 1)) {
        Value *d = conv_helper(gc, OP_CONVGRADWEIGHT, x, w);
        if (!d)
            return false;
        grad_add(gc, 1, d);
    }
    if (grad_wants(gc, 2)) {
        Value *d = sum_but_channel(gc, gc->dy[0]);
        if (!d)
            return false;
        grad_add(gc, 2, d);
    }
    return true;
}

/* ConvTranspose is the adjoint of Conv with the same geometry (Conv's
 * input is ConvTranspose's output): dx = Conv(dy, W) and dW is
 * ConvGradWeight with the roles of x and dy exchanged, all with explicit
 * pads from nn_convtranspose_window. */
bool grad_convtranspose(GradCtx *gc) {
    Node *n = gc->node;
    Value *x = n->in[0], *w = n->in[1], *dy = gc->dy[0];
    NNWindow win;
    if (!nn_convtranspose_window(n, x, w, &win, gc->c))
        return false;
    int nsp = win.nsp;
    int64_t pads[2 * NN_MAX_SPATIAL];
    for (int i = 0; i < nsp; i++) {
        int64_t dk = (win.k[i] - 1) * win.d[i] + 1;
        int64_t span = dy->dims[i + 2] + win.pb[i] + win.pe[i] - dk;
        if (span < 0 || span / win.s[i] + 1 != x->dims[i + 2])
            return node_error(gc->c, n, "the gradient of this ConvTranspose geometry is not supported");
        pads[i] = win.pb[i];
        pads[nsp + i] = win.pe[i];
    }
    Value *in[2] = {dy, NULL};
    for (int wrt = 0; wrt < 3; wrt++) {
        if (!grad_wants(gc, wrt))
            continue;
        if (wrt == 2) {
            grad_add(gc, 2, sum_but_channel(gc, dy));
            continue;
        }
        Node *d;
        if (wrt == 0) {
            in[0] = dy, in[1] = w;
            d = grad_node(gc, OP_CONV, in, 2, 1);
        } else {
            in[0] = x, in[1] = dy;
            d = grad_node(gc, OP_CONVGRADWEIGHT, in, 2, 1);
            node_set_attr_ints(gc->g, d, "shape", w->dims, w->rank);
        }
        node_set_attr_ints(gc->g, d, "strides", win.s, nsp);
        node_set_attr_ints(gc->g, d, "dilations", win.d, nsp);
        node_set_attr_ints(gc->g, d, "pads", pads, 2 * nsp);
        node_set_attr_int(gc->g, d, "group", attr_int(n, "group", 1));
        if (!grad_infer(gc, d))
            return false;
        grad_add(gc, wrt, d->out[0]);
    }
    return true;
}

/* ---------------------------------------------------------------- pools */

static bool pool_grad(GradCtx *gc, const char *mode, bool global) {
    Node *n = gc->node;
    Value *x = n->in[0];
    if (!grad_wants(gc, 0) || !gc->dy[0])
        return true;
    Value *in[2] = {gc->dy[0], x};
    Node *d = grad_node(gc, OP_POOLGRAD, in, 2, 1);
    if (global) {
        if (x->rank < 3)
            return node_error(gc->c, n, "input must be [N, C, spatial...]");
        node_set_attr_ints(gc->g, d, "kernel_shape", x->dims + 2, x->rank - 2);
    } else {
        copy_attrs(gc, d);
    }
    node_set_attr_string(gc->g, d, "mode", mode);
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

bool grad_maxpool(GradCtx *gc) { return pool_grad(gc, "max", false); }
bool grad_avgpool(GradCtx *gc) { return pool_grad(gc, "avg", false); }
bool grad_global_maxpool(GradCtx *gc) { return pool_grad(gc, "max", true); }

bool grad_global_avgpool(GradCtx *gc) {
    Value *x = gc->node->in[0];
    int64_t s = 1;
    for (int i = 2; i < x->rank; i++)
        s *= x->dims[i];
    grad_add(gc, 0, grad_expand_to(gc, gc->dy[0], x, s ? 1.0 / (double)s : 1.0));
    return true;
}

/* ---------------------------------------------------------------- normalisation */

bool grad_batchnorm_train(GradCtx *gc) {
    Node *n = gc->node;
    if (!gc->dy[0])
        return true;
    Value *in[5] = {gc->dy[0], n->in[0], n->in[1], n->out[1], n->out[2]};
    Node *d = grad_node(gc, OP_BATCHNORMGRAD, in, 5, 3);
    if (!grad_infer(gc, d))
        return false;
    for (int i = 0; i < 3; i++)
        grad_add(gc, i, d->out[i]);
    return true;
}

Node *grad_norm_node(GradCtx *gc, OpKind op, int n_out) {
    Node *n = gc->node;
    Value *x = n->in[0];
    int axis = norm_axis(attr_int(n, "axis", -1), x->rank);
    if (axis < 0) {
        node_error(gc->c, n, "axis out of range");
        return NULL;
    }
    Value *in[3] = {gc->dy[0], x, n->in[1]};
    Node *d = grad_node(gc, op, in, 3, n_out);
    node_set_attr_int(gc->g, d, "axis", axis);
    node_set_attr_float(gc->g, d, "epsilon", attr_float(n, "epsilon", 1e-5));
    return grad_infer(gc, d) ? d : NULL;
}

bool grad_layernorm(GradCtx *gc) {
    Node *n = gc->node;
    if ((n->n_out > 1 && gc->dy[1]) || (n->n_out > 2 && gc->dy[2]))
        return node_error(gc->c, n, "the gradient of the Mean and InvStdDev outputs is not supported");
    if (!gc->dy[0])
        return true;
    Node *d = grad_norm_node(gc, OP_LAYERNORMGRAD, 3);
    if (!d)
        return false;
    grad_add(gc, 0, d->out[0]);
    for (int i = 1; i < 3 && i < n->n_in; i++)
        if (grad_wants(gc, i))
            grad_add(gc, i, grad_reshape_to(gc, d->out[i], n->in[i]));
    return true;
}

/* ---------------------------------------------------------------- dropout */

bool grad_dropout_train(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0) || !gc->dy[0])
        return true;
    Value *in[2] = {gc->dy[0], n->in[1]};
    Node *d = grad_node(gc, OP_DROPOUTGRAD, in, 2, 1);
    copy_attrs(gc, d);
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}

/* ---------------------------------------------------------------- training forms */

static bool state_holds(const TrainInfo *ti, const Value *v) {
    for (int i = 0; i < ti->n_state; i++)
        if (ti->state[i] == v)
            return true;
    return false;
}

static void params_append(Graph *g, Value *v) {
    Value **p = ARENA_ARRAY(g->arena, Value *, g->n_params + 1);
    if (g->n_params)
        memcpy(p, g->params, sizeof(Value *) * (size_t)g->n_params);
    p[g->n_params++] = v;
    g->params = p;
}

void train_prepare_running_stats(Graph *g, bool add_state, TrainInfo *ti) {
    for (int k = 0; k < g->n_nodes; k++) {
        Node *n = g->nodes[k];
        if (n->op != OP_BATCHNORMALIZATION)
            continue;
        for (int i = 3; i < 5 && i < n->n_in; i++) {
            Value *v = n->in[i];
            if (!v || !dtype_is_float(v->dtype))
                continue;
            if (!add_state) {
                if (v->kind == VK_CONST) {
                    v->kind = VK_PARAM;
                    params_append(g, v);
                }
                if (v->kind == VK_PARAM)
                    v->frozen = true;
            } else if (v->kind == VK_PARAM && !state_holds(ti, v)) {
                train_add_state(g, ti, NULL, DT_UNDEF, 0, NULL);
                ti->state[ti->n_state - 1] = v;
            }
        }
    }
}

static Node *train_clone(Graph *g, Ctx *c, Node *n, OpKind op, Value **in, int n_in, int n_out) {
    Node *t = graph_add_node(g, op, in, n_in, n_out);
    t->loc = n->loc;
    t->name = n->name;
    t->domain = op_table[op].domain;
    t->opset = op_table[op].domain[0] ? 1 : n->opset;
    return t;
}

static Node *train_form_batchnorm(Graph *g, Ctx *c, TrainInfo *ti, Node *n, Value **in) {
    for (int i = 0; i < 5; i++)
        if (!in[i]) {
            node_error(c, n, "BatchNormalization needs all five inputs");
            return NULL;
        }
    Node *t = train_clone(g, c, n, OP_BATCHNORMTRAIN, in, 5, 5);
    node_set_attr_float(g, t, "epsilon", attr_float(n, "epsilon", 1e-5));
    node_set_attr_float(g, t, "momentum", attr_float(n, "momentum", 0.9));
    if (!op_table[t->op].shape(t, c))
        return NULL;
    for (int i = 3; i < 5; i++)
        if (state_holds(ti, in[i])) {
            t->out[i]->name = graph_unique_name(g, arena_printf(g->arena, "%s_next", in[i]->name));
            train_set_next(g, ti, in[i], t->out[i]);
        }
    return t;
}

static Node *train_form_dropout(Graph *g, Ctx *c, TrainInfo *ti, Node *n, Value **in) {
    double ratio = attr_float(n, "ratio", 0.5);
    if (n->n_in > 1 && in[1]) {
        if (!in[1]->data) {
            node_error(c, n, "training needs a constant dropout ratio");
            return NULL;
        }
        ratio = data_get_f64(in[1]->dtype, in[1]->data, 0);
    }
    if (ratio < 0 || ratio >= 1) {
        node_error(c, n, "dropout ratio %g is outside [0, 1)", ratio);
        return NULL;
    }
    Node *t;
    if (ratio == 0.0) {
        t = train_clone(g, c, n, n->op, in, n->n_in, n->n_out);
        t->attrs = n->attrs;
        t->n_attrs = n->n_attrs;
    } else {
        int id = 0;
        for (int k = 0; k < g->n_nodes; k++)
            id += g->nodes[k]->op == OP_DROPOUTTRAIN;
        Value *tin[2] = {in[0], ti->step};
        t = train_clone(g, c, n, OP_DROPOUTTRAIN, tin, 2, n->n_out > 1 ? 2 : 1);
        node_set_attr_float(g, t, "ratio", ratio);
        node_set_attr_int(g, t, "seed", attr_int(n, "seed", 0));
        node_set_attr_int(g, t, "id", id);
    }
    return op_table[t->op].shape(t, c) ? t : NULL;
}

Node *train_form_node(Graph *g, Ctx *c, TrainInfo *ti, Node *n, Value **in) {
    if (n->op == OP_DROPOUT)
        return train_form_dropout(g, c, ti, n, in);
    if (n->op == OP_BATCHNORMALIZATION)
        return train_form_batchnorm(g, c, ti, n, in);
    node_error(c, n, "the training form of %s is not supported", op_table[n->op].name);
    return NULL;
}

/* ---------------------------------------------------------------- InstanceNormalization, LRN */

bool grad_instancenorm(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0) && !grad_wants(gc, 1) && !grad_wants(gc, 2))
        return true;
    Value *in[3] = {gc->dy[0], n->in[0], n->in[1]};
    Node *d = grad_node(gc, OP_INSTANCENORMGRAD, in, 3, 3);
    node_set_attr_float(gc->g, d, "epsilon", attr_float(n, "epsilon", 1e-5));
    if (!grad_infer(gc, d))
        return false;
    for (int i = 0; i < 3; i++)
        if (grad_wants(gc, i))
            grad_add(gc, i, d->out[i]);
    return true;
}

bool grad_lrn(GradCtx *gc) {
    Node *n = gc->node;
    if (!grad_wants(gc, 0))
        return true;
    Value *in[2] = {gc->dy[0], n->in[0]};
    Node *d = grad_node(gc, OP_LRNGRAD, in, 2, 1);
    copy_attrs(gc, d);
    if (!grad_infer(gc, d))
        return false;
    grad_add(gc, 0, d->out[0]);
    return true;
}
