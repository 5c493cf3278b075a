/*
 * verify.c: the IR verifier, run between passes with --verify-each.
 *
 * It checks the invariants every pass relies on: SSA (each value defined
 * by one node, node outputs point back at their node, every value used is
 * registered in g->values and defined before its use in node order),
 * required inputs present, graph outputs and the loss defined, and, once
 * shape inference has run (g->shapes_known), a dtype and a concrete shape
 * on every value that is used.  A broken invariant is a bug in dlcc, so
 * the messages say "internal error" and name the node.
 */
#include "ir.h"

#include <stdlib.h>

static const char *vname(const Value *v) { return v && v->name ? v->name : "?"; }
static const char *nname(const Node *n) { return n->name ? n->name : node_info(n)->name; }

static bool registered(const Graph *g, const Value *v) {
    return v->id >= 0 && v->id < g->n_values && g->values[v->id] == v;
}

/* Checks one used value: registered, defined before position `pos`, typed. */
static bool check_use(Graph *g, Ctx *c, const int *defpos, const Value *v, int pos, Loc loc, const char *what) {
    if (!registered(g, v))
        return diag_error(c, loc, "internal error: %s '%s' is not in the graph's value list", what, vname(v));
    if (v->kind == VK_NODE) {
        if (defpos[v->id] < 0)
            return diag_error(c, loc, "internal error: %s '%s' is not defined by any node", what, vname(v));
        if (defpos[v->id] >= pos)
            return diag_error(c, loc, "internal error: %s '%s' is used before its definition", what, vname(v));
    }
    if (v->kind == VK_CONST && !v->data && v->init.kind == INIT_DATA)
        return diag_error(c, loc, "internal error: constant '%s' has no data", vname(v));
    if (g->shapes_known) {
        if (v->rank < 0 || v->rank > DLCC_MAX_RANK || v->dtype == DT_UNDEF)
            return diag_error(c, loc, "internal error: %s '%s' has no type after shape inference", what, vname(v));
        for (int d = 0; d < v->rank; d++)
            if (v->dims[d] < 0)
                return diag_error(c, loc, "internal error: %s '%s' has a negative dimension", what, vname(v));
    }
    return true;
}

bool ir_verify(Graph *g, Ctx *c) {
    int errors = c->n_errors;
    Loc none = {0};
    none.file = c->source_file;
    for (int i = 0; i < g->n_values; i++)
        if (!g->values[i] || g->values[i]->id != i)
            return diag_error(c, none, "internal error: value %d has a wrong id", i);
    int *defpos = malloc(sizeof(int) * (size_t)(g->n_values + 1));
    DLCC_ASSERT(defpos);
    for (int i = 0; i < g->n_values; i++)
        defpos[i] = -1;
    for (int i = 0; i < g->n_nodes && c->n_errors == errors; i++) {
        Node *n = g->nodes[i];
        if (!n || n->op <= OP_INVALID || n->op >= OP_COUNT) {
            diag_error(c, n ? n->loc : none, "internal error: node %d has no operator", i);
            break;
        }
        for (int j = 0; j < n->n_out; j++) {
            Value *v = n->out[j];
            if (!v) {
                node_error(c, n, "internal error: output %d of node '%s' is missing", j, nname(n));
            } else if (!registered(g, v)) {
                node_error(c, n, "internal error: output '%s' is not in the graph's value list", vname(v));
            } else if (v->kind != VK_NODE || v->def != n || v->def_index != j) {
                node_error(c, n, "internal error: output '%s' does not point back at node '%s'", vname(v), nname(n));
            } else if (defpos[v->id] >= 0) {
                node_error(c, n, "internal error: value '%s' is defined twice", vname(v));
            } else {
                defpos[v->id] = i;
                continue;
            }
            break;
        }
    }
    for (int i = 0; i < g->n_nodes && c->n_errors == errors; i++) {
        Node *n = g->nodes[i];
        const OpInfo *info = node_info(n);
        for (int j = 0; j < n->n_in && c->n_errors == errors; j++) {
            const Value *x = n->in[j];
            if (!x) {
                if (j < info->min_in)
                    node_error(c, n, "internal error: required input %d of node '%s' is missing", j, nname(n));
                continue;
            }
            Buf b = {0};
            buf_printf(&b, "input %d", j);
            bool ok = check_use(g, c, defpos, x, i, n->loc, b.data);
            buf_free(&b);
            if (!ok)
                break;
        }
        for (int j = 0; j < n->n_out && c->n_errors == errors && g->shapes_known; j++)
            check_use(g, c, defpos, n->out[j], g->n_nodes, n->loc, "output");
    }
    for (int i = 0; i < g->n_outputs + 1 && c->n_errors == errors; i++) {
        const Value *v = i < g->n_outputs ? g->outputs[i] : g->loss;
        if (!v) {
            if (i < g->n_outputs)
                diag_error(c, none, "internal error: graph output %d is missing", i);
            continue;
        }
        check_use(g, c, defpos, v, g->n_nodes, v->loc, i < g->n_outputs ? "graph output" : "loss");
    }
    for (int i = 0; i < g->n_inputs && c->n_errors == errors; i++)
        if (!registered(g, g->inputs[i]) || g->inputs[i]->kind != VK_INPUT)
            diag_error(c, none, "internal error: graph input '%s' is not a registered input", vname(g->inputs[i]));
    for (int i = 0; i < g->n_params && c->n_errors == errors; i++)
        if (!registered(g, g->params[i]) || g->params[i]->kind != VK_PARAM)
            diag_error(c, none, "internal error: parameter '%s' is not a registered parameter", vname(g->params[i]));
    free(defpos);
    return c->n_errors == errors;
}
