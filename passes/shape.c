/*
 * shape.c: shape inference, the driver around the ops' shape functions.
 *
 * Nodes are visited in topological order.  For each one the driver checks
 * the arity against the op's ops.def row and that every input it reads has
 * a known shape, then calls the row's shape function, which sets each
 * output's dtype and dims (or reports a located error).  Then it tries to
 * fold the node (passes/fold.c): when every input is constant, or the op is
 * Shape/Size, the outputs get their data at once, so shape functions further
 * down (Reshape's shape input, Slice's starts) can read it.  The pass stops
 * at the first failing node, since every later shape may depend on it.
 * It can be run again after a pass adds nodes: it recomputes every shape.
 */
#include "passes.h"

/* "expects 2 to 3 inputs, got 1" */
static bool check_arity(const Node *n, Ctx *c, int have, int lo, int hi, const char *what) {
    if (have >= lo && have <= hi)
        return true;
    if (lo == hi)
        return node_error(c, n, "expects %d %s%s, got %d", lo, what, lo == 1 ? "" : "s", have);
    if (hi >= 64) /* variadic */
        return have < lo ? node_error(c, n, "expects at least %d %s%s, got %d", lo, what, lo == 1 ? "" : "s", have)
                         : node_error(c, n, "expects at most %d %ss, got %d", hi, what, have);
    return node_error(c, n, "expects %d to %d %ss, got %d", lo, hi, what, have);
}

/* Inputs below min_in are required, except in the backward kernels of the
 * recurrent ops: they take the forward op's optional inputs (B,
 * sequence_lens, initial states, P) and the output gradients in place, so
 * only X, W, R and the saved steps S must be there. */
static bool input_required(const Node *n, const OpInfo *info, int i) {
    switch (n->op) {
    case OP_RNNGRAD:
    case OP_GRUGRAD:
        return i <= 2 || i == 6;
    case OP_LSTMGRAD:
        return i <= 2 || i == 8;
    default:
        return i < info->min_in;
    }
}

static bool shape_node(Graph *g, Node *n, Ctx *c) {
    if (n->op <= OP_INVALID || n->op >= OP_COUNT)
        return diag_error(c, n->loc, "internal error: node '%s' has no operator", n->name ? n->name : "?");
    const OpInfo *info = node_info(n);
    if (!check_arity(n, c, n->n_in, info->min_in, info->max_in, "input") ||
        !check_arity(n, c, n->n_out, info->min_out, info->max_out, "output"))
        return false;
    for (int i = 0; i < n->n_in; i++) {
        const Value *x = n->in[i];
        if (!x) {
            if (input_required(n, info, i))
                return node_error(c, n, "input %d is required", i);
            continue;
        }
        if (x->rank < 0 || x->dtype == DT_UNDEF)
            return node_error(c, n, "input %d ('%s') has no known type and shape", i, x->name ? x->name : "?");
    }
    if (!info->shape)
        return node_error(c, n, "no shape function");
    int errors = c->n_errors;
    if (!info->shape(n, c)) {
        if (c->n_errors == errors)
            node_error(c, n, "shape inference failed");
        return false;
    }
    for (int i = 0; i < n->n_out; i++) {
        const Value *y = n->out[i];
        if (y->rank < 0 || y->rank > DLCC_MAX_RANK || y->dtype == DT_UNDEF)
            return node_error(c, n, "internal error: the shape function left output %d without a type", i);
        for (int d = 0; d < y->rank; d++)
            if (y->dims[d] < 0)
                return node_error(c, n, "internal error: output %d has a negative dimension", i);
    }
    fold_node(g, n, c); /* only folds when the inputs are constant */
    return true;
}

bool pass_shape(Graph *g, Ctx *c) {
    g->shapes_known = false;
    bool expanded = false;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i]->op == OP_SEQUENCEMAP) { /* replaced by nodes from i on: shape those */
            if (!subgraph_expand_sequence_map(g, i, c))
                return false;
            expanded = true;
        } else if (subgraph_if_gives_sequence(g->nodes[i], c)) {
            if (!subgraph_inline_if(g, i, c))
                return false;
            expanded = true;
        } else if (subgraph_loop_carries_sequence(g->nodes[i])) {
            if (!subgraph_unroll_sequence_loop(g, i, c))
                return false;
            expanded = true;
        }
        if (g->nodes[i]->op == OP_INVALID)
            continue;
        if (!shape_node(g, g->nodes[i], c))
            return false;
    }
    if (expanded)
        graph_compact(g);
    for (int i = 0; i < g->n_outputs; i++) {
        const Value *v = g->outputs[i];
        if (v->rank < 0 || v->dtype == DT_UNDEF)
            return diag_error(c, v->loc, "output '%s' is never computed", v->name ? v->name : "?");
    }
    g->shapes_known = true;
    return !ctx_failed(c);
}
