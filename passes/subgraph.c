/*
 * subgraph.c: control flow with subgraphs (If, Loop, Scan), the passes side.
 *
 * The bodies of control-flow nodes are Graphs held in GRAPH attributes
 * (Graph.parent is the enclosing graph).  The ONNX frontend lets a body's
 * nodes read values of enclosing graphs directly.  To compile a body like
 * any other graph, three steps make it self-contained and static:
 *
 *   0. pass_capture first unrolls, in each graph, the Loops whose body
 *      reads the iteration number and that run a small constant number of
 *      times to the end (see "unrolling" below): such a body may have no
 *      single static typing (a Slice at [i, i + 1)).
 *   1. pass_capture (before shape inference), top-down: every value of an
 *      enclosing graph that a body (or a body nested in it) reads becomes a
 *      "captured" input.  The node gets the outer value as an extra input,
 *      appended after its ONNX inputs (attribute "__captured" counts them),
 *      and every body of the node gets a matching input appended after its
 *      formal ONNX inputs, in the same order, which replaces the outer value
 *      inside the body.  So DCE, liveness and the memory plan of the outer
 *      graph see the reads, and nested bodies only read their parent.
 *   2. shape inference: the op's shape function (ir/shape_control.c) gives
 *      the body inputs the types and shapes of the node's inputs
 *      (subgraph_bind) and runs pass_shape on the body.  A captured input
 *      whose outer value is a compile-time constant becomes a constant of
 *      the body, so folding goes on inside the body.
 *   3. pass_subgraphs (after shape inference): an If whose condition is a
 *      compile-time constant is replaced by a copy of the taken branch's
 *      nodes; then, bottom-up, every body is folded, cleaned by DCE, its
 *      unused captured inputs are dropped from the node, and it is planned
 *      with pass_plan.  Its arena lives in the scratch of its node, which
 *      the emitters (codegen/emit_control.c) size with subgraph_arena_bytes.
 */
#include "passes.h"

#include "../ir/shape_sequence.h"

#include <stdlib.h>
#include <string.h>

#define CAPTURED_ATTR "__captured"

/* ---------------------------------------------------------------- helpers */

static bool graph_owns(const Graph *g, const Value *v) {
    return v && v->id >= 0 && v->id < g->n_values && g->values[v->id] == v;
}

bool node_has_subgraphs(const Node *n) {
    for (int i = 0; i < n->n_attrs; i++)
        if ((n->attrs[i].kind == AT_GRAPH && n->attrs[i].g) || (n->attrs[i].kind == AT_GRAPHS && n->attrs[i].n > 0))
            return true;
    return false;
}

int subgraph_n_captured(const Node *n) {
    const Attr *a = node_attr(n, CAPTURED_ATTR);
    return a && a->kind == AT_INT ? (int)a->i : 0;
}

/* Every body of n, in attribute order; returns the count. */
static int node_bodies(const Node *n, Graph **out, int max) {
    int k = 0;
    for (int i = 0; i < n->n_attrs; i++) {
        const Attr *a = &n->attrs[i];
        if (a->kind == AT_GRAPH && a->g && k < max)
            out[k++] = a->g;
        for (int j = 0; a->kind == AT_GRAPHS && j < a->n && k < max; j++)
            out[k++] = a->gs[j];
    }
    return k;
}

#define MAX_BODIES 16

int64_t subgraph_arena_bytes(const Graph *body) {
    const Plan *p = plan_of(body);
    int64_t end = p ? p->arena_bytes : 0;
    for (int i = 0; i < body->n_values; i++) {
        const Value *v = body->values[i];
        if (v->offset >= 0 && v->offset + (int64_t)value_bytes(v) > end)
            end = v->offset + (int64_t)value_bytes(v);
    }
    for (int i = 0; p && p->scratch_off && i < p->n_nodes; i++)
        if (p->scratch_off[i] >= 0 && p->scratch_off[i] + (int64_t)p->scratch_bytes[i] > end)
            end = p->scratch_off[i] + (int64_t)p->scratch_bytes[i];
    return (end + 63) & ~(int64_t)63;
}

void subgraph_bind(Graph *body, int first, Value *const *outer, int n, const Ctx *c) {
    for (int k = 0; k < n; k++) {
        Value *b = body->inputs[first + k], *x = outer[k];
        value_set_shape(b, x->dtype, x->rank, x->dims);
        if (x->data && fold_value_is_const(x, c)) {
            b->kind = VK_CONST;
            b->data = x->data;
        } else {
            b->kind = VK_INPUT;
            b->data = NULL;
        }
    }
}

/* ---------------------------------------------------------------- capture */

typedef struct ValueList {
    Value **v;
    int n, cap;
} ValueList;

static void list_add(Arena *a, ValueList *l, Value *v) {
    for (int i = 0; i < l->n; i++)
        if (l->v[i] == v)
            return;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        Value **p = ARENA_ARRAY(a, Value *, l->cap);
        if (l->n)
            memcpy(p, l->v, sizeof *p * (size_t)l->n);
        l->v = p;
    }
    l->v[l->n++] = v;
}

/* v belongs to a proper ancestor of body. */
static bool is_outer(const Graph *body, const Value *v) {
    for (const Graph *g = body->parent; g; g = g->parent)
        if (graph_owns(g, v))
            return true;
    return false;
}

/* The outer values (of body's ancestors) read anywhere in tree t. */
static void collect_free(Arena *a, const Graph *body, const Graph *t, ValueList *l) {
    for (int i = 0; i < t->n_nodes; i++) {
        const Node *n = t->nodes[i];
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] && is_outer(body, n->in[j]))
                list_add(a, l, n->in[j]);
        Graph *sub[MAX_BODIES];
        int ns = node_bodies(n, sub, MAX_BODIES);
        for (int k = 0; k < ns; k++)
            collect_free(a, body, sub[k], l);
    }
    for (int i = 0; i < t->n_outputs; i++)
        if (is_outer(body, t->outputs[i]))
            list_add(a, l, t->outputs[i]);
}

static void replace_in_tree(Graph *t, Value *from, Value *to) {
    graph_replace_uses(t, from, to);
    for (int i = 0; i < t->n_nodes; i++) {
        Graph *sub[MAX_BODIES];
        int ns = node_bodies(t->nodes[i], sub, MAX_BODIES);
        for (int k = 0; k < ns; k++)
            replace_in_tree(sub[k], from, to);
    }
}

/* ---------------------------------------------------------------- unrolling */

/* A Loop body whose shapes depend on the iteration number (a Slice at
 * [i, i + 1), say) has no single static typing.  When the trip count M is a
 * small constant, the loop runs to the end (cond is a constant true and the
 * body passes its condition through unchanged) and the body reads the
 * iteration number, the Loop is replaced, before capture and shape
 * inference, by M copies of its body in which the iteration number is a
 * constant; the copies' loop-carried values chain, and each scan output is
 * the Concat of the M per-iteration values, each Unsqueezed on axis 0. */
#define UNROLL_MAX_TRIPS 64
#define UNROLL_MAX_NODES 512

static const Value *through_identity(const Value *v) {
    while (v && v->kind == VK_NODE && v->def && v->def->op == OP_IDENTITY && v->def->n_in == 1)
        v = v->def->in[0];
    return v;
}

static bool const_scalar(const Value *v) { return v && v->kind == VK_CONST && v->data && value_numel(v) == 1; }

static Graph *loop_unrollable(const Node *n, int64_t *trips) {
    const Attr *a = node_attr(n, "body");
    if (n->op != OP_LOOP || node_attr(n, CAPTURED_ATTR) || !a || a->kind != AT_GRAPH || !a->g || n->n_in < 1)
        return NULL;
    Graph *b = a->g;
    const Value *m = n->in[0], *cond = n->n_in > 1 ? n->in[1] : NULL;
    if (!const_scalar(m) || !dtype_is_int(m->dtype))
        return NULL;
    if (cond && (!const_scalar(cond) || data_get_f64(cond->dtype, cond->data, 0) == 0))
        return NULL;
    int N = n->n_in > 2 ? n->n_in - 2 : 0, K = b->n_outputs - 1 - N;
    if (b->n_inputs != 2 + N || K < 0 || n->n_out != N + K)
        return NULL;
    for (int k = 0; k < N; k++)
        if (!n->in[2 + k])
            return NULL;
    int64_t t = data_get_i64(m->dtype, m->data, 0);
    if (t < 1 || t > UNROLL_MAX_TRIPS || t * b->n_nodes > UNROLL_MAX_NODES)
        return NULL;
    if (through_identity(b->outputs[0]) != b->inputs[1])
        return NULL;
    bool reads_iter = false;
    for (int i = 0; i < b->n_nodes; i++) {
        const Node *x = b->nodes[i];
        if (node_has_subgraphs(x))
            return NULL;
        for (int j = 0; j < x->n_in; j++)
            reads_iter = reads_iter || x->in[j] == b->inputs[0];
    }
    if (!reads_iter)
        return NULL;
    *trips = t;
    return b;
}

/* The outer value that body value v stands for in the current copy. */
static Value *unroll_value(Graph *g, Graph *b, Value **map, Value **cmap, Value *v) {
    if (!v || !graph_owns(b, v))
        return v; /* a value of an enclosing graph */
    if (map[v->id])
        return map[v->id];
    if (value_is_const(v)) { /* body constants are shared by the copies */
        if (!cmap[v->id]) {
            const char *name = graph_find_value(g, v->name) ? graph_unique_name(g, v->name) : v->name;
            cmap[v->id] = graph_add_const(g, name, v->dtype, v->rank, v->dims, v->data);
            cmap[v->id]->loc = v->loc;
        }
        return cmap[v->id];
    }
    return v;
}

/* Inserts a copy of every node of body b at pos.., reading the values map
 * gives for b's values (unroll_value); returns the number inserted. */
static int copy_body(Graph *g, int pos, Graph *b, Value **map, Value **cmap, Ctx *c) {
    for (int i = 0; i < b->n_nodes; i++) {
        Node *x = b->nodes[i];
        Value **xin = ARENA_ARRAY(c->arena, Value *, x->n_in + 1);
        for (int j = 0; j < x->n_in; j++)
            xin[j] = unroll_value(g, b, map, cmap, x->in[j]);
        Node *y = graph_insert_node(g, pos + i, x->op, xin, x->n_in, x->n_out);
        y->name = graph_unique_name(g, x->name ? x->name : "t");
        y->loc = x->loc;
        y->opset = x->opset;
        y->domain = x->domain;
        y->attrs = x->attrs;
        y->n_attrs = x->n_attrs;
        for (int j = 0; j < x->n_out; j++) {
            Value *xv = x->out[j], *yv = y->out[j];
            yv->name = graph_unique_name(g, xv->name ? xv->name : "t");
            yv->loc = xv->loc;
            map[xv->id] = yv;
        }
    }
    return b->n_nodes;
}

/* Inserts a node at pos whose single output is the existing value out. */
static Node *insert_into(Graph *g, int pos, OpKind op, Value *const *in, int n_in, Value *out, const Node *like) {
    Node *y = graph_insert_node(g, pos, op, in, n_in, 0);
    y->out = ARENA_ARRAY(g->arena, Value *, 1);
    y->out[0] = out;
    y->n_out = 1;
    out->def = y;
    out->def_index = 0;
    y->name = graph_unique_name(g, like->name ? like->name : "loop");
    y->loc = like->loc;
    y->opset = 13; /* Unsqueeze's axes as an input */
    y->domain = "";
    return y;
}

/* Replaces the Loop at g->nodes[pos] by trips copies of body b (inserted
 * before it) and marks it dead; returns the nodes inserted. */
static int unroll_loop(Graph *g, int pos, Graph *b, int64_t trips, Ctx *c) {
    Node *n = g->nodes[pos];
    int ncap = subgraph_n_captured(n), nexp = n->n_in - ncap; /* captured inputs: after pass_capture */
    int N = nexp > 2 ? nexp - 2 : 0, K = b->n_outputs - 1 - N;
    Value **map = ARENA_ARRAY(c->arena, Value *, b->n_values + 1);
    Value **cmap = ARENA_ARRAY(c->arena, Value *, b->n_values + 1);
    Value **carried = ARENA_ARRAY(c->arena, Value *, N + 1);
    Value **scans = ARENA_ARRAY(c->arena, Value *, (size_t)K * (size_t)trips + 1);
    for (int k = 0; k < N; k++)
        carried[k] = n->in[2 + k];
    int added = 0;
    for (int64_t it = 0; it < trips; it++) {
        memset(map, 0, sizeof *map * (size_t)(b->n_values + 1));
        int64_t one = 1;
        const Value *bi = b->inputs[0], *bc = b->inputs[1];
        uint8_t yes = 1;
        map[bi->id] = graph_add_const(g, graph_unique_name(g, "iter"), DT_I64, bi->rank == 1 ? 1 : 0, &one,
                                      arena_memdup(g->arena, &it, sizeof it));
        map[bc->id] = graph_add_const(g, graph_unique_name(g, "cond"), DT_BOOL, bc->rank == 1 ? 1 : 0, &one,
                                      arena_memdup(g->arena, &yes, 1));
        for (int k = 0; k < N; k++)
            map[b->inputs[2 + k]->id] = carried[k];
        for (int k = 0; k < ncap && 2 + N + k < b->n_inputs; k++)
            map[b->inputs[2 + N + k]->id] = n->in[nexp + k];
        added += copy_body(g, pos + added, b, map, cmap, c);
        for (int k = 0; k < N; k++)
            carried[k] = unroll_value(g, b, map, cmap, b->outputs[1 + k]);
        for (int j = 0; j < K; j++)
            scans[(size_t)j * (size_t)trips + (size_t)it] = unroll_value(g, b, map, cmap, b->outputs[1 + N + j]);
    }
    for (int k = 0; k < N; k++) {
        insert_into(g, pos + added, OP_IDENTITY, &carried[k], 1, n->out[k], n);
        added++;
    }
    int64_t zero = 0;
    for (int j = 0; j < K; j++) {
        Value **parts = ARENA_ARRAY(c->arena, Value *, trips);
        for (int64_t it = 0; it < trips; it++) {
            Value *in[2] = {scans[(size_t)j * (size_t)trips + (size_t)it], graph_const_i64s(g, &zero, 1)};
            Node *u = graph_insert_node(g, pos + added, OP_UNSQUEEZE, in, 2, 1);
            added++;
            u->name = graph_unique_name(g, n->name ? n->name : "loop");
            u->loc = n->loc;
            u->opset = 13;
            u->domain = "";
            parts[it] = u->out[0];
        }
        Node *cat = insert_into(g, pos + added, OP_CONCAT, parts, (int)trips, n->out[N + j], n);
        node_set_attr_int(g, cat, "axis", 0);
        added++;
    }
    n->op = OP_INVALID;
    return added;
}

static bool capture_graph(Graph *g, Ctx *c) {
    bool unrolled = false;
    for (int i = 0; i < g->n_nodes; i++) {
        int64_t trips = 0;
        Graph *b = loop_unrollable(g->nodes[i], &trips);
        if (b) {
            i += unroll_loop(g, i, b, trips, c);
            unrolled = true;
        }
    }
    if (unrolled)
        graph_compact(g);
    for (int i = 0; i < g->n_nodes; i++) {
        Node *n = g->nodes[i];
        if (!node_has_subgraphs(n) || node_attr(n, CAPTURED_ATTR))
            continue;
        Graph *bodies[MAX_BODIES];
        int nb = node_bodies(n, bodies, MAX_BODIES);
        if (nb == MAX_BODIES)
            return node_error(c, n, "too many subgraphs");
        if (n->op == OP_LOOP && n->n_in < 2) { /* "M, cond" with trailing empty names dropped */
            Value **in = ARENA_ARRAY(g->arena, Value *, 2);
            for (int j = 0; j < n->n_in; j++)
                in[j] = n->in[j];
            n->in = in;
            n->n_in = 2;
        }
        ValueList free_vals = {0};
        for (int k = 0; k < nb; k++)
            collect_free(c->arena, bodies[k], bodies[k], &free_vals);
        for (int k = 0; k < nb; k++)
            for (int j = 0; j < free_vals.n; j++) {
                Value *x = free_vals.v[j];
                const char *name = graph_find_value(bodies[k], x->name) ? graph_unique_name(bodies[k], x->name) : x->name;
                Value *b = graph_add_input(bodies[k], name, x->dtype, -1, NULL);
                b->loc = x->loc;
                replace_in_tree(bodies[k], x, b);
            }
        if (free_vals.n) {
            Value **in = ARENA_ARRAY(g->arena, Value *, n->n_in + free_vals.n);
            if (n->n_in)
                memcpy(in, n->in, sizeof *in * (size_t)n->n_in);
            memcpy(in + n->n_in, free_vals.v, sizeof *in * (size_t)free_vals.n);
            n->in = in;
            n->n_in += free_vals.n;
        }
        node_set_attr_int(g, n, CAPTURED_ATTR, free_vals.n);
        for (int k = 0; k < nb; k++)
            if (!capture_graph(bodies[k], c))
                return false;
    }
    return !ctx_failed(c);
}

bool pass_capture(Graph *g, Ctx *c) { return capture_graph(g, c); }

/* ---------------------------------------------------------------- If on a constant condition */

typedef struct Inliner {
    Graph *g, *b;
    Value **map; /* by body value id */
} Inliner;

static Value *inline_value(Inliner *in, Value *v) {
    if (!v)
        return NULL;
    if (!graph_owns(in->b, v))
        return v; /* not expected after capture; kept as is */
    if (!in->map[v->id] && value_is_const(v)) {
        const char *name = graph_find_value(in->g, v->name) ? graph_unique_name(in->g, v->name) : v->name;
        in->map[v->id] = graph_add_const(in->g, name, v->dtype, v->rank, v->dims, v->data);
        in->map[v->id]->loc = v->loc;
    }
    return in->map[v->id];
}

/* Replaces the If at g->nodes[pos] by the nodes of its taken branch
 * (inserted before it) and marks it dead; returns the nodes inserted. */
static int inline_if(Graph *g, int pos, Ctx *c) {
    Node *n = g->nodes[pos];
    const Value *cond = n->in[0];
    bool taken = data_get_f64(cond->dtype, cond->data, 0) != 0;
    const Attr *a = node_attr(n, taken ? "then_branch" : "else_branch");
    Graph *b = a->g;
    int ncap = subgraph_n_captured(n), nexp = n->n_in - ncap;
    Inliner in = {g, b, ARENA_ARRAY(c->arena, Value *, b->n_values + 1)};
    for (int k = 0; k < b->n_inputs && k < ncap; k++)
        in.map[b->inputs[k]->id] = n->in[nexp + k];
    int added = 0;
    for (int i = 0; i < b->n_nodes; i++) {
        Node *x = b->nodes[i];
        Value **xin = ARENA_ARRAY(c->arena, Value *, x->n_in + 1);
        for (int j = 0; j < x->n_in; j++)
            xin[j] = inline_value(&in, x->in[j]);
        Node *y = graph_insert_node(g, pos + added, x->op, xin, x->n_in, x->n_out);
        added++;
        y->name = x->name;
        y->loc = x->loc;
        y->opset = x->opset;
        y->domain = x->domain;
        y->attrs = x->attrs;
        y->n_attrs = x->n_attrs;
        Graph *sub[MAX_BODIES];
        int ns = node_bodies(y, sub, MAX_BODIES);
        for (int k = 0; k < ns; k++)
            sub[k]->parent = g;
        for (int j = 0; j < x->n_out; j++) {
            Value *xv = x->out[j], *yv = y->out[j];
            if (xv->name && !graph_find_value(g, xv->name))
                yv->name = xv->name;
            else
                yv->name = graph_unique_name(g, xv->name ? xv->name : "t");
            yv->dtype = xv->dtype;
            yv->rank = xv->rank;
            memcpy(yv->dims, xv->dims, sizeof yv->dims);
            yv->data = xv->data;
            yv->loc = xv->loc;
            in.map[xv->id] = yv;
        }
    }
    for (int k = 0; k < n->n_out && k < b->n_outputs; k++) {
        Value *from = n->out[k], *to = inline_value(&in, b->outputs[k]);
        if (!to)
            continue;
        /* A graph output keeps its name: the name is the API (net_outputs).
         * The branch's value takes it when it is a node output that is not
         * an output already; otherwise an Identity carries it. */
        bool is_out = false, to_out = false;
        for (int i = 0; i < g->n_outputs; i++) {
            is_out |= g->outputs[i] == from;
            to_out |= g->outputs[i] == to;
        }
        if (is_out && to->kind == VK_NODE && !to_out) {
            const char *nm = from->name;
            from->name = graph_unique_name(g, nm);
            to->name = nm;
        } else if (is_out) {
            Node *id = graph_insert_node(g, pos + added, OP_IDENTITY, &to, 1, 1);
            added++;
            id->loc = n->loc;
            id->opset = g->opset;
            if (!op_table[OP_IDENTITY].shape(id, c))
                return -1;
            const char *nm = from->name;
            from->name = graph_unique_name(g, nm);
            id->out[0]->name = nm;
            to = id->out[0];
        }
        graph_replace_uses(g, from, to);
    }
    n->op = OP_INVALID;
    return added;
}

/* ---------------------------------------------------------------- bodies */

/* Drops captured inputs that no body reads (or that became constants of
 * every body) from the node and from its bodies. */
static void prune_captured(Graph *g, Node *n, Graph **bodies, int nb) {
    int ncap = subgraph_n_captured(n), nexp = n->n_in - ncap;
    if (ncap <= 0)
        return;
    for (int k = 0; k < nb; k++)
        graph_count_uses(bodies[k]);
    int keep = 0;
    for (int j = 0; j < ncap; j++) {
        bool needed = false;
        for (int k = 0; k < nb; k++) {
            Graph *b = bodies[k];
            Value *v = b->inputs[b->n_inputs - ncap + j];
            needed = needed || (v->kind == VK_INPUT && v->n_uses > 0);
        }
        if (!needed)
            continue;
        n->in[nexp + keep] = n->in[nexp + j];
        for (int k = 0; k < nb; k++) {
            Graph *b = bodies[k];
            int first = b->n_inputs - ncap;
            b->inputs[first + keep] = b->inputs[first + j];
        }
        keep++;
    }
    n->n_in = nexp + keep;
    for (int k = 0; k < nb; k++)
        bodies[k]->n_inputs -= ncap - keep;
    node_set_attr_int(g, n, CAPTURED_ATTR, keep);
}

static bool lower_graph(Graph *g, Ctx *c) {
    bool inlined = false;
    for (int i = 0; i < g->n_nodes; i++) {
        Node *n = g->nodes[i];
        if (n->op == OP_IF && n->n_in > 0 && n->in[0] && n->in[0]->data && fold_value_is_const(n->in[0], c) &&
            value_numel(n->in[0]) == 1) {
            /* revisit the inserted nodes: the branch may hold an If on a
             * constant condition too */
            if (inline_if(g, i, c) < 0)
                return false;
            i--;
            inlined = true;
        }
    }
    if (inlined)
        graph_compact(g);
    for (int i = 0; i < g->n_nodes; i++) {
        Node *n = g->nodes[i];
        if (!node_has_subgraphs(n))
            continue;
        Graph *bodies[MAX_BODIES];
        int nb = node_bodies(n, bodies, MAX_BODIES);
        for (int k = 0; k < nb; k++) {
            Graph *b = bodies[k];
            if (!lower_graph(b, c))
                return false;
            if (c->opt_level >= 1 && !pass_fold(b, c))
                return false;
            if (!pass_dce(b, c))
                return false;
        }
        prune_captured(g, n, bodies, nb);
        for (int k = 0; k < nb; k++)
            if (!pass_plan(bodies[k], c))
                return false;
    }
    return !ctx_failed(c);
}

bool pass_subgraphs(Graph *g, Ctx *c) { return lower_graph(g, c); }

bool subgraph_inline_if(Graph *g, int pos, Ctx *c) { return inline_if(g, pos, c) >= 0; }

/* An If on a compile-time constant condition whose taken branch may give a
 * sequence or optional (it holds a sequence op, or the node reads one):
 * pass_shape inlines it when it reaches it, so the sequence is built in
 * the graph that uses it (pass_subgraphs inlines the other constant Ifs). */
bool subgraph_if_gives_sequence(const Node *n, Ctx *c) {
    if (n->op != OP_IF || n->n_in < 1 || !n->in[0] || !n->in[0]->data || value_numel(n->in[0]) != 1 ||
        !fold_value_is_const(n->in[0], c))
        return false;
    for (int k = 1; k < n->n_in; k++)
        if (n->in[k] && seq_list_of(n->in[k]))
            return true;
    bool taken = data_get_f64(n->in[0]->dtype, n->in[0]->data, 0) != 0;
    const Attr *a = node_attr(n, taken ? "then_branch" : "else_branch");
    for (int i = 0; a && a->kind == AT_GRAPH && a->g && i < a->g->n_nodes; i++) {
        OpKind op = a->g->nodes[i]->op;
        if (seq_op_is_producer(op) || op == OP_OPTIONALGETELEMENT || op == OP_SEQUENCEMAP)
            return true;
    }
    return false;
}

/* A Loop that carries a sequence or optional (after pass_capture, its
 * inputs shaped): such a value has no runtime form, so the loop is unrolled
 * here, which needs a constant trip count and a constant true condition
 * that the body passes on unchanged. */
bool subgraph_loop_carries_sequence(const Node *n) {
    if (n->op != OP_LOOP)
        return false;
    int nexp = n->n_in - subgraph_n_captured(n);
    for (int k = 2; k < nexp; k++)
        if (n->in[k] && seq_list_of(n->in[k]))
            return true;
    return false;
}

bool subgraph_unroll_sequence_loop(Graph *g, int pos, Ctx *c) {
    Node *n = g->nodes[pos];
    const Attr *a = node_attr(n, "body");
    if (!a || a->kind != AT_GRAPH || !a->g)
        return node_error(c, n, "needs a 'body' graph");
    Graph *b = a->g;
    const Value *m = n->in[0], *cond = n->n_in > 1 ? n->in[1] : NULL;
    if (!m || !m->data || value_numel(m) != 1 || !dtype_is_int(m->dtype))
        return node_error(c, n, "it carries a sequence, so its trip count must be a compile-time constant");
    if (cond && (!cond->data || value_numel(cond) != 1 || data_get_f64(cond->dtype, cond->data, 0) == 0))
        return node_error(c, n, "it carries a sequence, so its condition must be a compile-time constant true");
    if (through_identity(b->outputs[0]) != b->inputs[1])
        return node_error(c, n, "it carries a sequence, so its body must pass the condition on unchanged");
    int nexp = n->n_in - subgraph_n_captured(n), N = nexp - 2;
    int64_t t = data_get_i64(m->dtype, m->data, 0);
    if (t < 0 || t > 1024 || (t == 0 && b->n_outputs - 1 - N > 0))
        return node_error(c, n, "it carries a sequence; %lld iterations cannot be unrolled", (long long)t);
    return unroll_loop(g, pos, b, t, c) >= 0;
}

/* ---------------------------------------------------------------- SequenceMap */

/* SequenceMap at g->nodes[pos], its inputs shaped: one copy of the body per
 * element of input 0 is inserted before it, each reading element i of
 * every sequence input (a SequenceAt) and the tensor inputs as they are;
 * output k becomes a SequenceConstruct of the copies' outputs k, and the
 * node is marked dead (OP_INVALID).  Like Loop unrolling, a body with
 * subgraphs of its own is not expanded. */
bool subgraph_expand_sequence_map(Graph *g, int pos, Ctx *c) {
    Node *n = g->nodes[pos];
    const Attr *a = node_attr(n, "body");
    if (!a || a->kind != AT_GRAPH || !a->g)
        return node_error(c, n, "needs a 'body' graph");
    Graph *b = a->g;
    if (b->n_inputs != n->n_in || b->n_outputs != n->n_out)
        return node_error(c, n, "the body has %d inputs and %d outputs, the node %d and %d", b->n_inputs,
                          b->n_outputs, n->n_in, n->n_out);
    int nexp = n->n_in - subgraph_n_captured(n);
    SeqList *s0 = seq_list_of(n->in[0]);
    if (!s0)
        return node_error(c, n, "input 0 must be a sequence built in this graph");
    int K = s0->n;
    for (int j = 0; j < nexp; j++) {
        SeqList *sj = seq_list_of(n->in[j]);
        if (sj && sj->n != K)
            return node_error(c, n, "input %d has %d elements, input 0 has %d", j, sj->n, K);
    }
    for (int i = 0; i < b->n_nodes; i++)
        if (node_has_subgraphs(b->nodes[i]))
            return node_error(c, n, "a body with If, Loop or Scan inside is not supported");
    Value **map = ARENA_ARRAY(c->arena, Value *, b->n_values + 1);
    Value **cmap = ARENA_ARRAY(c->arena, Value *, b->n_values + 1);
    Value **outs = ARENA_ARRAY(c->arena, Value *, (size_t)n->n_out * (size_t)(K > 0 ? K : 1));
    int added = 0;
    for (int it = 0; it < K; it++) {
        memset(map, 0, sizeof *map * (size_t)(b->n_values + 1));
        int64_t at = it;
        for (int j = 0; j < n->n_in; j++) {
            Value *x = n->in[j];
            if (j < nexp && seq_list_of(x)) {
                Value *in[2] = {x, graph_add_const(g, graph_unique_name(g, "seq_pos"), DT_I64, 0, NULL,
                                                   arena_memdup(g->arena, &at, sizeof at))};
                Node *e = graph_insert_node(g, pos + added++, OP_SEQUENCEAT, in, 2, 1);
                e->name = graph_unique_name(g, n->name ? n->name : "seqmap");
                e->loc = n->loc;
                e->opset = n->opset;
                e->domain = "";
                e->out[0]->name = graph_unique_name(g, b->inputs[j]->name ? b->inputs[j]->name : "elem");
                x = e->out[0];
            }
            map[b->inputs[j]->id] = x;
        }
        added += copy_body(g, pos + added, b, map, cmap, c);
        for (int k = 0; k < n->n_out; k++)
            outs[(size_t)k * (size_t)K + (size_t)it] = unroll_value(g, b, map, cmap, b->outputs[k]);
    }
    for (int k = 0; k < n->n_out; k++) {
        Node *y = insert_into(g, pos + added++, K ? OP_SEQUENCECONSTRUCT : OP_SEQUENCEEMPTY,
                              outs + (size_t)k * (size_t)K, K, n->out[k], n);
        if (!K)
            node_set_attr_int(g, y, "dtype", s0->dtype);
    }
    n->op = OP_INVALID;
    return true;
}
