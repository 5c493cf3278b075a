/*
 * dce.c: dead-code elimination.
 *
 * One backward sweep over the nodes (they are in topological order, so one
 * sweep reaches the fixed point): a value is needed when it is a graph
 * output, the loss, a value kept by the memory plan (plan_keep_persistent),
 * or an input of a live node.  A node is live when one of its outputs is
 * needed and not all of its outputs are constant (folded).  Folded nodes
 * are removed and their outputs become VK_CONST values, so codegen writes
 * them into the weights like any other constant.  Nondeterministic ops
 * (OPF_RANDOM) are dead too when nothing uses them: no op has side effects.
 *
 * At -O0 only the folded nodes are removed; unused nodes stay, which keeps
 * the generated code close to the model for debugging.
 */
#include "passes.h"

#include <stdlib.h>

static bool node_folded(const Node *n) {
    for (int i = 0; i < n->n_out; i++)
        if (!n->out[i]->data)
            return false;
    return n->n_out > 0;
}

bool pass_dce(Graph *g, Ctx *c) {
    bool *needed = calloc((size_t)g->n_values + 1, sizeof(bool));
    DLCC_ASSERT(needed);
    for (int i = 0; i < g->n_outputs; i++)
        needed[g->outputs[i]->id] = true;
    if (g->loss)
        needed[g->loss->id] = true;
    Plan *p = g->plan;
    for (int i = 0; p && i < p->n_persistent; i++)
        needed[p->persistent[i]->id] = true;
    bool keep_unused = c->opt_level == 0;
    int removed = 0;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        Node *n = g->nodes[i];
        bool live = keep_unused;
        for (int j = 0; j < n->n_out && !live; j++)
            live = needed[n->out[j]->id];
        if (live && node_folded(n))
            live = false;
        if (live) {
            for (int j = 0; j < n->n_in; j++)
                if (n->in[j])
                    needed[n->in[j]->id] = true;
            continue;
        }
        for (int j = 0; j < n->n_out; j++) {
            Value *v = n->out[j];
            if (v->data)
                v->kind = VK_CONST; /* stays referenced; otherwise an orphan */
            v->def = NULL;
            v->def_index = 0;
        }
        n->op = OP_INVALID;
        removed++;
    }
    free(needed);
    if (removed)
        graph_compact(g);
    graph_count_uses(g);
    return !ctx_failed(c);
}
