/*
 * sequence.c: pass_sequence rewrites the compile-time sequence and optional
 * operators (ir/shape_sequence.c) into ordinary tensor ops, right after
 * shape inference.
 *
 * Shape inference has left every sequence value's contents in a SeqList.
 * Walking the nodes in order: SplitToSequence becomes a Split (plus a
 * Reshape per element when keepdims=0 drops the axis) whose outputs replace
 * the placeholder elements; SequenceAt and OptionalGetElement become an
 * Identity of the chosen element; SequenceLength and OptionalHasElement an
 * Identity of a constant; ConcatFromSequence a Concat of the elements (each
 * reshaped first when new_axis=1).  The pure producers (Construct, Empty,
 * Insert, Erase, Optional, and Identity / OptionalGetElement passing a
 * sequence on) are then dropped, and shape inference runs again on the
 * rewritten graph.  In the root graph a sequence or optional output becomes
 * an API slot (IoSlot) whose items, the element tensors, are the graph
 * outputs; sequence and optional inputs were made slots by the frontend.
 * (pass_shape has already expanded SequenceMap, unrolled Loops that carry
 * a sequence and inlined constant Ifs that give one: passes/subgraph.c.)
 */
#include "passes.h"

#include "../ir/shape_sequence.h"

#include <string.h>

typedef struct SeqMap {
    Value **from, **to;
    int n, cap;
} SeqMap;

static Value *seq_resolve(const SeqMap *m, Value *v) {
    for (int i = 0; i < m->n; i++)
        if (m->from[i] == v)
            return m->to[i];
    return v;
}

static void seq_map_add(Graph *g, SeqMap *m, Value *from, Value *to) {
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 16;
        Value **f = ARENA_ARRAY(g->arena, Value *, cap), **t = ARENA_ARRAY(g->arena, Value *, cap);
        if (m->n) {
            memcpy(f, m->from, sizeof(Value *) * (size_t)m->n);
            memcpy(t, m->to, sizeof(Value *) * (size_t)m->n);
        }
        m->from = f, m->to = t, m->cap = cap;
    }
    m->from[m->n] = from;
    m->to[m->n++] = to;
}

/* Inserts Reshape(x, dims) before position *pos; returns its output. */
static Value *seq_reshape(Graph *g, Node *at, int *pos, Value *x, int rank, const int64_t *dims) {
    Value *in[2] = {x, graph_const_i64s(g, dims, rank)};
    Node *r = graph_insert_node(g, (*pos)++, OP_RESHAPE, in, 2, 1);
    r->loc = at->loc;
    r->opset = at->opset;
    return r->out[0];
}

static void seq_become(Graph *g, Node *n, OpKind op, Value *const *in, int n_in) {
    n->op = op;
    n->in = ARENA_ARRAY(g->arena, Value *, n_in > 0 ? n_in : 1);
    memcpy(n->in, in, sizeof(Value *) * (size_t)n_in);
    n->n_in = n_in;
    n->aux = NULL;
}

static bool seq_split(Graph *g, Ctx *c, SeqMap *m, Node *n, int *pos) {
    SeqList *s = n->aux;
    if (!s || !s->known || s->n == 0)
        return true; /* only its length is used, or nothing */
    if (s->n > 64)
        return node_error(c, n, "more than 64 elements are not supported");
    int64_t sizes[64];
    for (int i = 0; i < s->n; i++)
        sizes[i] = s->split_squeeze ? 1 : s->elem[i]->dims[s->split_axis];
    Value *in[2] = {s->split_src, graph_const_i64s(g, sizes, s->n)};
    Node *sp = graph_insert_node(g, (*pos)++, OP_SPLIT, in, 2, s->n);
    sp->loc = n->loc;
    sp->opset = n->opset > 13 ? n->opset : 13;
    node_set_attr_int(g, sp, "axis", s->split_axis);
    for (int i = 0; i < s->n; i++) {
        Value *e = s->elem[i], *v = sp->out[i];
        if (s->split_squeeze)
            v = seq_reshape(g, n, pos, v, e->rank, e->dims);
        seq_map_add(g, m, e, v);
    }
    return true;
}

static bool seq_rewrite(Graph *g, Ctx *c, SeqMap *m, Node *n, int *pos) {
    switch (n->op) {
    case OP_SPLITTOSEQUENCE:
        return seq_split(g, c, m, n, pos);
    case OP_SEQUENCEAT: {
        SeqList *s = seq_list_of(n->in[0]);
        int64_t p = n->n_in > 1 && n->in[1] ? data_get_i64(n->in[1]->dtype, n->in[1]->data, 0) : 0;
        if (p < 0)
            p += s->n;
        Value *e = seq_resolve(m, s->elem[p]);
        seq_become(g, n, OP_IDENTITY, &e, 1);
        return true;
    }
    case OP_OPTIONALGETELEMENT: {
        if (seq_list_of(n->out[0]))
            return true; /* a sequence passes through; dropped with the producers */
        SeqList *s = seq_list_of(n->in[0]);
        Value *e = s ? seq_resolve(m, s->elem[0]) : n->in[0];
        seq_become(g, n, OP_IDENTITY, &e, 1);
        return true;
    }
    case OP_SEQUENCELENGTH:
    case OP_OPTIONALHASELEMENT: {
        Value *y = n->out[0];
        Value *k = graph_add_const(g, graph_unique_name(g, "seq_const"), y->dtype, 0, NULL,
                                   arena_memdup(g->arena, y->data, dtype_size(y->dtype)));
        seq_become(g, n, OP_IDENTITY, &k, 1);
        return true;
    }
    case OP_CONCATFROMSEQUENCE: {
        SeqList *s = seq_list_of(n->in[0]);
        bool new_axis = attr_int(n, "new_axis", 0) != 0;
        const Value *y = n->out[0];
        int axis = norm_axis(attr_int(n, "axis", 0), y->rank);
        Value **in = ARENA_ARRAY(g->arena, Value *, s->n);
        for (int i = 0; i < s->n; i++) {
            Value *e = seq_resolve(m, s->elem[i]);
            if (new_axis) {
                int64_t d[DLCC_MAX_RANK];
                const Value *pe = s->elem[i];
                for (int k = 0, j = 0; k < y->rank; k++)
                    d[k] = k == axis ? 1 : pe->dims[j++];
                e = seq_reshape(g, n, pos, e, y->rank, d);
            }
            in[i] = e;
        }
        if (s->n > 64)
            return node_error(c, n, "more than 64 elements are not supported");
        seq_become(g, n, OP_CONCAT, in, s->n);
        node_set_attr_int(g, n, "axis", axis);
        return true;
    }
    default:
        return true;
    }
}

static bool seq_op_uses_sequence(OpKind op) {
    return seq_op_is_producer(op) || op == OP_SEQUENCEAT || op == OP_SEQUENCELENGTH || op == OP_CONCATFROMSEQUENCE ||
           op == OP_OPTIONALHASELEMENT || op == OP_OPTIONALGETELEMENT;
}

/* A node whose output is a sequence or optional (a producer, or an
 * Identity / OptionalGetElement passing one on): dropped by the pass. */
static bool seq_node_is_dead(const Node *n) {
    return seq_op_is_producer(n->op) || ((n->op == OP_IDENTITY || n->op == OP_OPTIONALGETELEMENT) && n->n_out == 1 &&
                                         seq_list_of(n->out[0]));
}

/* The root graph's sequence and optional outputs become API slots whose
 * items (the elements, as tensors) are the graph outputs. */
static bool seq_flatten_outputs(Graph *g, Ctx *c, const SeqMap *m) {
    bool any = false;
    for (int i = 0; i < g->n_outputs; i++)
        any = any || seq_list_of(g->outputs[i]);
    if (!any)
        return true;
    Value **old = g->outputs;
    int n_old = g->n_outputs;
    g->outputs = NULL;
    g->n_outputs = 0;
    g->out_slots = NULL;
    g->n_out_slots = 0;
    for (int i = 0; i < n_old; i++) {
        Value *v = old[i];
        const char *name = v->name ? v->name : "?";
        SeqList *s = seq_list_of(v);
        IoSlot slot = {.name = name, .kind = IO_TENSOR, .present = true, .dtype = v->dtype};
        if (s && s->optional) {
            SeqList *inner = s->n ? seq_list_of(s->elem[0]) : NULL;
            slot.kind = inner ? IO_OPTIONAL_SEQUENCE : IO_OPTIONAL;
            slot.present = s->n > 0;
            slot.dtype = s->dtype;
            s = inner ? inner : s;
        } else if (s) {
            slot.kind = IO_SEQUENCE;
            slot.dtype = s->dtype;
        }
        if (s && !s->known)
            return diag_error(c, v->loc,
                              "output '%s': the sequence's shapes depend on data that is not a compile-time constant",
                              name);
        int n = s ? s->n : 1;
        Value **items = ARENA_ARRAY(g->arena, Value *, n > 0 ? n : 1);
        for (int k = 0; k < n; k++) {
            items[k] = s ? seq_resolve(m, s->elem[k]) : v;
            if (seq_list_of(items[k]))
                return diag_error(c, v->loc, "output '%s': sequences of sequences are not supported", name);
            graph_add_output(g, items[k]);
        }
        slot.n = n;
        slot.items = items;
        graph_add_slot(g, true, &slot);
    }
    graph_finish_slots(g);
    return true;
}

bool pass_sequence(Graph *g, Ctx *c) {
    bool any = false;
    for (int i = 0; i < g->n_nodes; i++)
        if (seq_op_uses_sequence(g->nodes[i]->op))
            any = true;
    if (!any)
        return true;
    for (int i = 0; g->parent && i < g->n_outputs; i++)
        if (seq_list_of(g->outputs[i]))
            return diag_error(c, g->outputs[i]->loc,
                              "output '%s': a subgraph's sequence and optional outputs are not supported",
                              g->outputs[i]->name ? g->outputs[i]->name : "?");
    for (int i = 0; i < g->n_nodes; i++) {
        Node *n = g->nodes[i];
        if (seq_op_uses_sequence(n->op) || n->op == OP_IDENTITY)
            continue;
        for (int k = 0; k < n->n_in; k++)
            if (seq_list_of(n->in[k]))
                return node_error(c, n, "input %d is a sequence or optional; only sequence operators may use it", k);
    }
    SeqMap m = {0};
    /* rewrite consumers first-to-last; producers are dropped afterwards
     * (their lists stay reachable through aux until then) */
    Node **dead = ARENA_ARRAY(g->arena, Node *, g->n_nodes);
    int n_dead = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        Node *n = g->nodes[i];
        if (seq_node_is_dead(n))
            dead[n_dead++] = n;
        int pos = i;
        if (!seq_rewrite(g, c, &m, n, &pos))
            return false;
        i += pos - i;
    }
    if (!g->parent && !seq_flatten_outputs(g, c, &m))
        return false;
    for (int i = 0; i < n_dead; i++)
        dead[i]->op = OP_INVALID;
    graph_compact(g);
    return pass_shape(g, c);
}

bool emit_sequence(Emit *e) {
    (void)e;
    return false; /* pass_sequence removes every sequence op before codegen */
}
