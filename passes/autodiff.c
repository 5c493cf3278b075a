/*
 * autodiff.c: reverse-mode automatic differentiation on the SSA graph.
 *
 * pass_autodiff turns an inference graph with a loss into the joint training
 * graph, in four steps:
 *
 *  1. Training forward.  Nodes whose training semantics differ (Dropout,
 *     BatchNormalization) are cloned in their training form, and so is
 *     everything downstream of them; other nodes are shared with the
 *     inference forward, which keeps computing the graph outputs.
 *  2. Backward.  Values that depend on a trainable parameter are marked;
 *     then the nodes are walked in reverse order and each node's gradient
 *     rule (the grad column of its ops.def row, passes/grad_*.c) emits the
 *     gradients of its inputs from those of its outputs.  Contributions of
 *     a value used several times are summed with Add.  A node on the path
 *     from a parameter to the loss whose op has no rule (grad_none) is a
 *     located error naming the node; all such nodes are reported at once.
 *  3. Update.  passes/optim.c emits gradient clipping and the optimizer
 *     update, whose results become graph outputs recorded in the TrainInfo
 *     so that codegen/train.c stores them back into the state.
 *  4. Nodes no graph output needs (the inference-mode loss) are dropped.
 *
 * A graph that already has its TrainInfo (the printed IR of a training
 * build, read back with its `update`/`state`/`step` statements) is the
 * joint graph already and is left alone.
 *
 * New nodes are appended at the end of the graph (so the order stays
 * topological) and get their shapes at once from their shape functions.
 * grad_none is the rule of operators that are not differentiable.
 */
#include "passes.h"

#include <string.h>

bool grad_none(GradCtx *g) {
    (void)g;
    return false;
}

/* Rule of operators whose derivative is zero almost everywhere (Floor,
 * Sign...): no gradient flows, on purpose. */
bool grad_zero(GradCtx *g) {
    (void)g;
    return true;
}

TrainInfo *train_info_of(const Graph *g) { return g ? (TrainInfo *)g->train : NULL; }

/* ---------------------------------------------------------------- builder helpers */

bool grad_wants(const GradCtx *gc, int i) {
    return i >= 0 && i < gc->node->n_in && gc->node->in[i] && gc->wants[i];
}

Node *grad_node(GradCtx *gc, OpKind op, Value *const *in, int n_in, int n_out) {
    Node *n = graph_add_node(gc->g, op, in, n_in, n_out);
    n->loc = gc->node->loc;
    n->domain = op_table[op].domain;
    if (op_table[op].domain[0] == 0)
        n->opset = gc->g->opset;
    else
        n->opset = 1;
    return n;
}

bool grad_infer(GradCtx *gc, Node *n) {
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i] && n->in[i]->rank < 0)
            return node_error(gc->c, gc->node, "internal error: gradient input without a shape");
    ShapeFn f = op_table[n->op].shape;
    if (!f || !f(n, gc->c))
        return false;
    return true;
}

Value *grad_op(GradCtx *gc, OpKind op, Value *a, Value *b) {
    if (!a)
        return NULL;
    Value *in[2] = {a, b};
    Node *n = grad_node(gc, op, in, b ? 2 : 1, 1);
    return grad_infer(gc, n) ? n->out[0] : NULL;
}

Value *grad_const(GradCtx *gc, DType dt, double x) {
    void *p = arena_alloc(gc->g->arena, 8);
    data_set_f64(dt, p, 0, x);
    return graph_add_const(gc->g, NULL, dt, 0, NULL, p);
}

Value *grad_sum_to(GradCtx *gc, Value *d, const Value *like) {
    if (!d)
        return NULL;
    if (value_same_shape(d, like))
        return d;
    if (value_numel(d) == value_numel(like))
        return grad_reshape_to(gc, d, like);
    Node *n = grad_node(gc, OP_SUMTO, &d, 1, 1);
    node_set_attr_ints(gc->g, n, "shape", like->dims, like->rank);
    return grad_infer(gc, n) ? n->out[0] : NULL;
}

Value *grad_expand_to(GradCtx *gc, Value *d, const Value *like, double scale) {
    if (!d)
        return NULL;
    Node *n = grad_node(gc, OP_EXPANDTO, &d, 1, 1);
    node_set_attr_ints(gc->g, n, "shape", like->dims, like->rank);
    if (scale != 1.0)
        node_set_attr_float(gc->g, n, "scale", scale);
    return grad_infer(gc, n) ? n->out[0] : NULL;
}

Value *grad_reshape_to(GradCtx *gc, Value *d, const Value *like) {
    if (!d)
        return NULL;
    if (value_same_shape(d, like))
        return d;
    Value *in[2] = {d, graph_const_i64s(gc->g, like->dims, like->rank)};
    Node *n = grad_node(gc, OP_RESHAPE, in, 2, 1);
    return grad_infer(gc, n) ? n->out[0] : NULL;
}

Value *grad_transpose(GradCtx *gc, Value *d, const int64_t *perm, int rank) {
    if (!d)
        return NULL;
    Node *n = grad_node(gc, OP_TRANSPOSE, &d, 1, 1);
    node_set_attr_ints(gc->g, n, "perm", perm, rank);
    return grad_infer(gc, n) ? n->out[0] : NULL;
}

void grad_add(GradCtx *gc, int i, Value *dx) {
    if (!dx || !grad_wants(gc, i))
        return;
    Value *x = gc->node->in[i];
    if (!value_same_shape(dx, x))
        dx = grad_sum_to(gc, dx, x);
    if (!dx)
        return;
    gc->dx[i] = gc->dx[i] ? grad_op(gc, OP_ADD, gc->dx[i], dx) : dx;
}

/* ---------------------------------------------------------------- the pass */

typedef struct AD {
    Graph *g;
    Ctx *c;
    int n_ids;          /* values with ids below this are tracked */
    Value **grad;       /* accumulated gradient by value id */
    bool *needs;        /* value depends on a trainable param */
    bool *useful;       /* the loss depends on the value */
} AD;

static bool value_trainable(const Value *v) {
    return v->kind == VK_PARAM && !v->frozen && dtype_is_float(v->dtype);
}

/* The op of a node's training form differs from its inference form. */
static bool node_train_differs(const Node *n) {
    if (n->op == OP_DROPOUT)
        return true;
    if (n->op == OP_BATCHNORMALIZATION)
        return true;
    return false;
}

/* Step 1: clone nodes whose training form differs, and their downstream,
 * for the values the loss needs.  Returns false on error. */
static bool autodiff_training_forward(Graph *g, Ctx *c, TrainInfo *ti) {
    int n_fwd = g->n_nodes;
    Value **map = ARENA_ARRAY(g->arena, Value *, g->n_values + 1);
    int n_map = g->n_values;
    bool any = false;
    for (int k = 0; k < n_fwd; k++) {
        Node *n = g->nodes[k];
        bool remap = node_train_differs(n);
        for (int i = 0; i < n->n_in && !remap; i++)
            if (n->in[i] && n->in[i]->id < n_map && map[n->in[i]->id])
                remap = true;
        if (!remap)
            continue;
        any = true;
        Value **in = ARENA_ARRAY(g->arena, Value *, n->n_in + 1);
        for (int i = 0; i < n->n_in; i++)
            in[i] = n->in[i] && n->in[i]->id < n_map && map[n->in[i]->id] ? map[n->in[i]->id] : n->in[i];
        Node *t;
        if (node_train_differs(n)) {
            t = train_form_node(g, c, ti, n, in);
        } else {
            t = graph_add_node(g, n->op, in, n->n_in, n->n_out);
            t->attrs = n->attrs;
            t->n_attrs = n->n_attrs;
            t->loc = n->loc;
            t->opset = n->opset;
            t->domain = n->domain;
            t->name = n->name;
            if (t && !op_table[t->op].shape(t, c))
                t = NULL;
        }
        if (!t)
            return false;
        for (int j = 0; j < n->n_out && j < t->n_out; j++)
            map[n->out[j]->id] = t->out[j];
    }
    if (any && g->loss && g->loss->id < n_map && map[g->loss->id])
        g->loss = map[g->loss->id];
    return true;
}

/* Marks values that depend on a trainable param (forward sweep) and values
 * the loss depends on (backward sweep). */
static void autodiff_mark(AD *ad, int n_fwd, Value *root, Value *const *wrt, int n_wrt) {
    Graph *g = ad->g;
    for (int i = 0; i < ad->n_ids; i++)
        ad->needs[i] = !wrt && value_trainable(g->values[i]);
    for (int i = 0; i < n_wrt; i++)
        ad->needs[wrt[i]->id] = dtype_is_float(wrt[i]->dtype);
    for (int k = 0; k < n_fwd; k++) {
        Node *n = g->nodes[k];
        bool any = false;
        for (int i = 0; i < n->n_in; i++)
            if (n->in[i] && ad->needs[n->in[i]->id])
                any = true;
        for (int j = 0; j < n->n_out; j++)
            ad->needs[n->out[j]->id] = any && dtype_is_float(n->out[j]->dtype);
    }
    ad->useful[root->id] = true;
    for (int k = n_fwd - 1; k >= 0; k--) {
        Node *n = g->nodes[k];
        bool any = false;
        for (int j = 0; j < n->n_out; j++)
            if (ad->useful[n->out[j]->id])
                any = true;
        if (!any)
            continue;
        for (int i = 0; i < n->n_in; i++)
            if (n->in[i])
                ad->useful[n->in[i]->id] = true;
    }
}

static const char *value_unique_name(Graph *g, const char *base) {
    return graph_find_value(g, base) ? graph_unique_name(g, arena_printf(g->arena, "%s_", base)) : base;
}

/* Step 2: the backward sweep over nodes [0, n_fwd), from d loss = 1 (or,
 * for an ONNX Gradient node, from d y = ones shaped like y). */
static bool autodiff_backward(AD *ad, int n_fwd, Value *loss, bool scalar) {
    Graph *g = ad->g;
    Ctx *c = ad->c;
    if (scalar && loss->rank > 0 && value_numel(loss) != 1)
        return diag_error(c, loss->loc, "the loss '%s' must be a scalar (it is %s)", loss->name,
                          value_type_str(g->arena, loss));
    void *one = arena_alloc(g->arena, value_bytes(loss) + 8);
    for (int64_t i = 0; i < value_numel(loss); i++)
        data_set_f64(loss->dtype, one, i, 1.0);
    ad->grad[loss->id] = graph_add_const(g, value_unique_name(g, arena_printf(g->arena, "d_%s", scalar ? "loss" : loss->name)),
                                         loss->dtype, loss->rank, loss->dims, one);
    bool ok = true;
    for (int k = n_fwd - 1; k >= 0; k--) {
        Node *n = g->nodes[k];
        GradCtx gc = {g, c, n, NULL, NULL, NULL};
        gc.dy = ARENA_ARRAY(g->arena, Value *, n->n_out + 1);
        gc.wants = ARENA_ARRAY(g->arena, bool, n->n_in + 1);
        gc.dx = ARENA_ARRAY(g->arena, Value *, n->n_in + 1);
        bool any_dy = false, any_want = false;
        for (int j = 0; j < n->n_out; j++) {
            gc.dy[j] = ad->grad[n->out[j]->id];
            any_dy |= gc.dy[j] != NULL;
        }
        for (int i = 0; i < n->n_in; i++) {
            gc.wants[i] = n->in[i] && ad->needs[n->in[i]->id] && dtype_is_float(n->in[i]->dtype);
            any_want |= gc.wants[i];
        }
        if (!any_dy || !any_want)
            continue;
        GradFn rule = op_table[n->op].grad;
        if (rule == grad_none) {
            const char *what = n->name && n->name[0] ? arena_printf(g->arena, " '%s'", n->name) : "";
            node_error(c, n, "no gradient rule for %s%s, which lies between a trainable parameter and the loss",
                       op_table[n->op].name, what);
            ok = false;
            continue;
        }
        int before = c->n_errors;
        if (!rule(&gc) || c->n_errors > before) {
            if (c->n_errors == before)
                node_error(c, n, "cannot differentiate this node");
            ok = false;
            continue;
        }
        for (int i = 0; i < n->n_in; i++) {
            if (!gc.dx[i])
                continue;
            Value *x = n->in[i];
            Value *prev = ad->grad[x->id];
            if (prev) {
                gc.node = n;
                ad->grad[x->id] = grad_op(&gc, OP_ADD, prev, gc.dx[i]);
            } else {
                ad->grad[x->id] = gc.dx[i];
            }
        }
    }
    return ok;
}

/* Step 4: drops nodes that no graph output needs. */
static void autodiff_prune(Graph *g) {
    bool *live = ARENA_ARRAY(g->arena, bool, g->n_values + 1);
    for (int i = 0; i < g->n_outputs; i++)
        live[g->outputs[i]->id] = true;
    for (int k = g->n_nodes - 1; k >= 0; k--) {
        Node *n = g->nodes[k];
        bool any = false;
        for (int j = 0; j < n->n_out; j++)
            any |= live[n->out[j]->id];
        if (!any) {
            n->op = OP_INVALID;
            continue;
        }
        for (int i = 0; i < n->n_in; i++)
            if (n->in[i])
                live[n->in[i]->id] = true;
    }
    graph_compact(g);
}

/* ONNX Gradient(xs...; xs, y) nodes: the gradients of y (seeded with
 * ones) with respect to the values named in xs, built by the same backward
 * sweep over the nodes before the Gradient node; its outputs are replaced
 * by them and it is dropped.  The outputs may only be graph outputs (the
 * new nodes are appended at the end). */
bool pass_gradient_ops(Graph *g, Ctx *c) {
    bool any = false;
    for (int k = 0; k < g->n_nodes; k++) {
        Node *n = g->nodes[k];
        if (n->op != OP_ONNX_GRADIENT)
            continue;
        const Attr *xs = node_attr(n, "xs");
        Value *y = graph_find_value(g, attr_string(n, "y", ""));
        if (!xs || xs->kind != AT_STRINGS || xs->n != n->n_out || !y)
            return node_error(c, n, "Gradient needs attributes xs (one name per output) and y naming values");
        Value **wrt = ARENA_ARRAY(g->arena, Value *, xs->n + 1);
        for (int i = 0; i < xs->n; i++)
            if (!(wrt[i] = graph_find_value(g, xs->strings[i])))
                return node_error(c, n, "xs names '%s', which is not a value of the graph", xs->strings[i]);
        for (int k2 = k + 1; k2 < g->n_nodes; k2++)
            for (int i = 0; i < g->nodes[k2]->n_in; i++)
                for (int j = 0; j < n->n_out; j++)
                    if (g->nodes[k2]->in[i] == n->out[j])
                        return node_error(c, n, "Gradient outputs used by other nodes are not supported");
        AD ad = {g, c, g->n_values, NULL, NULL, NULL};
        ad.grad = ARENA_ARRAY(g->arena, Value *, ad.n_ids + 1);
        ad.needs = ARENA_ARRAY(g->arena, bool, ad.n_ids + 1);
        ad.useful = ARENA_ARRAY(g->arena, bool, ad.n_ids + 1);
        autodiff_mark(&ad, k, y, wrt, xs->n);
        if (!autodiff_backward(&ad, k, y, false))
            return false;
        for (int j = 0; j < n->n_out; j++) {
            Value *d = ad.grad[wrt[j]->id];
            if (!d) {
                void *zeros = arena_alloc(g->arena, value_bytes(wrt[j]) + 8);
                d = graph_add_const(g, NULL, wrt[j]->dtype, wrt[j]->rank, wrt[j]->dims, zeros);
            }
            /* An Identity per output keeps the output's name (two outputs
             * may share one gradient value). */
            Node *id = graph_add_node(g, OP_IDENTITY, &d, 1, 1);
            id->loc = n->loc;
            id->opset = g->opset;
            if (!op_table[OP_IDENTITY].shape(id, c))
                return false;
            const char *nm = n->out[j]->name;
            n->out[j]->name = arena_printf(g->arena, "%s_replaced", nm);
            id->out[0]->name = nm;
            graph_replace_uses(g, n->out[j], id->out[0]);
        }
        n->op = OP_INVALID;
        any = true;
    }
    if (any)
        graph_compact(g);
    return !ctx_failed(c);
}

bool pass_autodiff(Graph *g, Ctx *c) {
    if (!pass_gradient_ops(g, c))
        return false;
    if (!c->train && !g->loss)
        return true;
    if (g->train) {
        /* already the joint graph: the IR text of a training build, whose
         * state statements gave the TrainInfo (frontend/dsl_parse.c) */
        if (c->optimizer || c->loss_kind)
            diag_warning(c, (Loc){c->source_file, 0, 0, NULL, NULL},
                         "the model is already a joint training graph: %s ignored",
                         c->optimizer && c->loss_kind ? "--optimizer and --loss are"
                         : c->optimizer               ? "--optimizer is"
                                                      : "--loss is");
        return true;
    }
    TrainInfo *ti = ARENA_NEW(g->arena, TrainInfo);
    ti->n_user_outputs = g->n_outputs;
    if (!g->loss) {
        if (!c->loss_kind || !g->n_outputs)
            return diag_error(c, (Loc){c->source_file, 0, 0, NULL, NULL},
                              "a training build needs a loss: a train block with `loss = ...`, or --loss KIND");
        Value *target = train_add_target(g, c, c->loss_kind, g->outputs[0]);
        if (!target)
            return false;
        g->loss = train_build_loss(g, c, c->loss_kind, g->outputs[0], target, g->outputs[0]->loc);
        if (!g->loss)
            return false;
    }
    if (!dtype_is_float(g->loss->dtype))
        return diag_error(c, g->loss->loc, "the loss '%s' must be a float scalar", g->loss->name);
    train_prepare_running_stats(g, false, ti);
    /* The trainable params come first in the state, in declaration order. */
    for (int i = 0; i < g->n_params; i++)
        if (value_trainable(g->params[i])) {
            train_add_state(g, ti, NULL, DT_UNDEF, 0, NULL);
            ti->state[ti->n_state - 1] = g->params[i];
            ti->n_trainable++;
        }
    int64_t none = 0;
    ti->step = train_add_state(g, ti, "train_step_count", DT_I64, 0, &none);
    train_prepare_running_stats(g, true, ti);
    /* The loss is graph output n_user_outputs (the training forward may
     * replace it, and adds the running-statistic outputs after it). */
    graph_add_output(g, g->loss);
    if (!autodiff_training_forward(g, c, ti))
        return false;
    g->outputs[ti->n_user_outputs] = g->loss;
    int n_fwd = g->n_nodes;
    AD ad = {g, c, g->n_values, NULL, NULL, NULL};
    ad.grad = ARENA_ARRAY(g->arena, Value *, ad.n_ids + 1);
    ad.needs = ARENA_ARRAY(g->arena, bool, ad.n_ids + 1);
    ad.useful = ARENA_ARRAY(g->arena, bool, ad.n_ids + 1);
    autodiff_mark(&ad, n_fwd, g->loss, NULL, 0);
    if (!autodiff_backward(&ad, n_fwd, g->loss, true))
        return false;
    Value **grads = ARENA_ARRAY(g->arena, Value *, ti->n_trainable + 1);
    for (int i = 0; i < ti->n_trainable; i++) {
        Value *p = ti->state[i];
        Value *d = ad.grad[p->id];
        if (d && d->kind == VK_NODE && !graph_find_value(g, arena_printf(g->arena, "d_%s", p->name)))
            d->name = arena_printf(g->arena, "d_%s", p->name);
        grads[i] = d;
    }
    if (!train_emit_update(g, c, ti, grads))
        return false;
    g->train = ti;
    autodiff_prune(g);
    return !ctx_failed(c);
}
