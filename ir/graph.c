/*
 * graph.c: the op table, Graph/Node/Value builders and attribute access.
 *
 * op_table is expanded from ops.def.  Graphs grow by appending nodes in
 * topological order; passes that delete nodes mark them OP_INVALID and call
 * graph_compact.  Values are registered in graph->values so that every value
 * has a stable id.
 */
#include "ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const OpInfo op_table[OP_COUNT] = {
    [OP_INVALID] = {"INVALID", "<invalid>", "", 0, 0, 0, 0, NULL, NULL, NULL, 0, NULL},
#define OP(id, onnx, dom, mi, xi, mo, xo, shape, emit, grad, flags, expr) \
    [OP_##id] = {#id, onnx, dom, mi, xi, mo, xo, shape, emit, grad, flags, expr},
#include "ops.def"
#undef OP
};

static bool domain_eq(const char *a, const char *b) {
    if (!a || !strcmp(a, "ai.onnx"))
        a = "";
    if (!b || !strcmp(b, "ai.onnx"))
        b = "";
    return !strcasecmp(a, b);
}

OpKind op_lookup(const char *domain, const char *name) {
    for (int i = 1; i < OP_COUNT; i++)
        if (!strcasecmp(op_table[i].name, name) && domain_eq(op_table[i].domain, domain))
            return (OpKind)i;
    return OP_INVALID;
}

/* ---------------------------------------------------------------- values */

int64_t value_numel(const Value *v) {
    int64_t n = 1;
    for (int i = 0; i < v->rank; i++)
        n *= v->dims[i];
    return n;
}

size_t value_bytes(const Value *v) {
    if (v->dtype == DT_U4 || v->dtype == DT_I4 || v->dtype == DT_F4E2M1)
        return (size_t)value_numel(v); /* unpacked: one element per byte */
    return (size_t)value_numel(v) * dtype_size(v->dtype);
}

bool value_is_const(const Value *v) { return v && (v->kind == VK_CONST || (v->kind == VK_NODE && v->data)); }

bool value_same_shape(const Value *a, const Value *b) {
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

const char *value_type_str(Arena *a, const Value *v) {
    Buf b = {0};
    buf_printf(&b, "%s[", dtype_name(v->dtype));
    for (int i = 0; i < v->rank; i++) {
        if (i)
            buf_puts(&b, ", ");
        if (v->sym[i])
            buf_puts(&b, v->sym[i]);
        else
            buf_printf(&b, "%lld", (long long)v->dims[i]);
    }
    buf_puts(&b, "]");
    char *s = arena_strdup(a, b.data);
    buf_free(&b);
    return s;
}

/* ---------------------------------------------------------------- graphs */

Graph *graph_new(Arena *a, const char *name) {
    Graph *g = ARENA_NEW(a, Graph);
    g->arena = a;
    g->name = arena_strdup(a, name ? name : "model");
    g->opset = 17;
    return g;
}

#define GROW(arr, n, cap)                                                        \
    do {                                                                         \
        if ((n) >= (cap)) {                                                      \
            int nc = (cap) ? (cap) * 2 : 16;                                     \
            void *p = arena_alloc(g->arena, sizeof(*(arr)) * (size_t)nc);        \
            if (n)                                                               \
                memcpy(p, (arr), sizeof(*(arr)) * (size_t)(n));                  \
            (arr) = p;                                                           \
            (cap) = nc;                                                          \
        }                                                                        \
    } while (0)

static void append_value(Graph *g, Value ***arr, int *n, Value *v) {
    Value **p = arena_alloc(g->arena, sizeof(Value *) * (size_t)(*n + 1));
    if (*n)
        memcpy(p, *arr, sizeof(Value *) * (size_t)*n);
    p[(*n)++] = v;
    *arr = p;
}

Value *graph_add_value(Graph *g, const char *name, ValueKind kind, DType dt, int rank, const int64_t *dims) {
    Value *v = ARENA_NEW(g->arena, Value);
    v->name = arena_strdup(g->arena, name ? name : graph_unique_name(g, "t"));
    v->kind = kind;
    v->dtype = dt;
    v->rank = rank;
    v->offset = -1;
    for (int i = 0; i < rank && i < DLCC_MAX_RANK; i++)
        v->dims[i] = dims ? dims[i] : 0;
    GROW(g->values, g->n_values, g->cap_values);
    v->id = g->n_values;
    g->values[g->n_values++] = v;
    switch (kind) {
    case VK_INPUT: append_value(g, &g->inputs, &g->n_inputs, v); break;
    case VK_PARAM: append_value(g, &g->params, &g->n_params, v); break;
    case VK_TARGET: append_value(g, &g->targets, &g->n_targets, v); break;
    default: break;
    }
    return v;
}

Value *graph_add_input(Graph *g, const char *name, DType dt, int rank, const int64_t *dims) {
    return graph_add_value(g, name, VK_INPUT, dt, rank, dims);
}

Value *graph_add_const(Graph *g, const char *name, DType dt, int rank, const int64_t *dims, const void *data) {
    Value *v = graph_add_value(g, name ? name : graph_unique_name(g, "c"), VK_CONST, dt, rank, dims);
    v->data = data;
    return v;
}

Value *graph_add_param(Graph *g, const char *name, DType dt, int rank, const int64_t *dims, const void *data) {
    Value *v = graph_add_value(g, name, VK_PARAM, dt, rank, dims);
    v->data = data;
    return v;
}

Value *graph_const_scalar_f32(Graph *g, float x) {
    float *p = ARENA_NEW(g->arena, float);
    *p = x;
    return graph_add_const(g, NULL, DT_F32, 0, NULL, p);
}

Value *graph_const_i64s(Graph *g, const int64_t *v, int n) {
    int64_t dim = n;
    return graph_add_const(g, NULL, DT_I64, 1, &dim, arena_memdup(g->arena, v, sizeof(int64_t) * (size_t)n));
}

void graph_add_output(Graph *g, Value *v) { append_value(g, &g->outputs, &g->n_outputs, v); }

void graph_add_slot(Graph *g, bool output, const IoSlot *s) {
    IoSlot **list = output ? &g->out_slots : &g->in_slots;
    int *n = output ? &g->n_out_slots : &g->n_in_slots;
    IoSlot *grown = ARENA_ARRAY(g->arena, IoSlot, *n + 1);
    if (*n)
        memcpy(grown, *list, sizeof(IoSlot) * (size_t)*n);
    grown[*n] = *s;
    grown[*n].items = ARENA_ARRAY(g->arena, Value *, s->n > 0 ? s->n : 1);
    if (s->n)
        memcpy(grown[*n].items, s->items, sizeof(Value *) * (size_t)s->n);
    *list = grown;
    (*n)++;
}

static bool slots_plain(const IoSlot *s, int n) {
    for (int i = 0; i < n; i++)
        if (s[i].kind != IO_TENSOR)
            return false;
    return true;
}

void graph_finish_slots(Graph *g) {
    if (slots_plain(g->in_slots, g->n_in_slots)) {
        g->in_slots = NULL;
        g->n_in_slots = 0;
    }
    if (slots_plain(g->out_slots, g->n_out_slots)) {
        g->out_slots = NULL;
        g->n_out_slots = 0;
    }
}

const char *io_kind_name(IoKind k) {
    switch (k) {
    case IO_SEQUENCE: return "sequence";
    case IO_OPTIONAL: return "optional";
    case IO_OPTIONAL_SEQUENCE: return "optional_sequence";
    case IO_TENSOR: break;
    }
    return "tensor";
}

static Node *new_node(Graph *g, OpKind op, Value *const *in, int n_in, int n_out) {
    Node *n = ARENA_NEW(g->arena, Node);
    n->op = op;
    n->n_in = n_in;
    n->in = ARENA_ARRAY(g->arena, Value *, n_in > 0 ? n_in : 1);
    for (int i = 0; i < n_in; i++)
        n->in[i] = in ? in[i] : NULL;
    n->n_out = n_out;
    n->out = ARENA_ARRAY(g->arena, Value *, n_out > 0 ? n_out : 1);
    for (int i = 0; i < n_out; i++) {
        Value *v = graph_add_value(g, NULL, VK_NODE, DT_UNDEF, -1, NULL);
        v->def = n;
        v->def_index = i;
        n->out[i] = v;
    }
    n->opset = g->opset;
    n->domain = "";
    return n;
}

Node *graph_add_node(Graph *g, OpKind op, Value *const *in, int n_in, int n_out) {
    Node *n = new_node(g, op, in, n_in, n_out);
    GROW(g->nodes, g->n_nodes, g->cap_nodes);
    n->id = g->n_nodes;
    g->nodes[g->n_nodes++] = n;
    return n;
}

Node *graph_insert_node(Graph *g, int pos, OpKind op, Value *const *in, int n_in, int n_out) {
    Node *n = new_node(g, op, in, n_in, n_out);
    GROW(g->nodes, g->n_nodes, g->cap_nodes);
    memmove(g->nodes + pos + 1, g->nodes + pos, sizeof(Node *) * (size_t)(g->n_nodes - pos));
    g->nodes[pos] = n;
    g->n_nodes++;
    for (int i = 0; i < g->n_nodes; i++)
        g->nodes[i]->id = i;
    return n;
}

const char *graph_unique_name(Graph *g, const char *base) {
    for (int k = g->n_values;; k++) {
        char *s = arena_printf(g->arena, "%s%d", base, k);
        if (!graph_find_value(g, s))
            return s;
    }
}

Value *graph_find_value(const Graph *g, const char *name) {
    for (int i = g->n_values - 1; i >= 0; i--)
        if (g->values[i]->name && !strcmp(g->values[i]->name, name))
            return g->values[i];
    return NULL;
}

void graph_count_uses(Graph *g) {
    for (int i = 0; i < g->n_values; i++)
        g->values[i]->n_uses = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i]->n_in; j++)
            if (g->nodes[i]->in[j])
                g->nodes[i]->in[j]->n_uses++;
    for (int i = 0; i < g->n_outputs; i++)
        g->outputs[i]->n_uses++;
}

void graph_replace_uses(Graph *g, Value *from, Value *to) {
    for (int i = 0; i < g->n_nodes; i++) {
        Node *n = g->nodes[i];
        for (int j = 0; j < n->n_in; j++)
            if (n->in[j] == from)
                n->in[j] = to;
        /* bodies of If/Loop/Scan read outer values directly until
         * pass_capture turns those reads into inputs */
        for (int k = 0; k < n->n_attrs; k++) {
            const Attr *a = &n->attrs[k];
            if (a->kind == AT_GRAPH && a->g)
                graph_replace_uses(a->g, from, to);
            for (int b = 0; a->kind == AT_GRAPHS && b < a->n; b++)
                if (a->gs[b])
                    graph_replace_uses(a->gs[b], from, to);
        }
    }
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == from)
            g->outputs[i] = to;
    if (g->loss == from)
        g->loss = to;
}

void graph_compact(Graph *g) {
    int k = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i]->op != OP_INVALID)
            g->nodes[k++] = g->nodes[i];
    g->n_nodes = k;
    for (int i = 0; i < k; i++)
        g->nodes[i]->id = i;
}

/* ---------------------------------------------------------------- attributes */

const Attr *node_attr(const Node *n, const char *name) {
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name))
            return &n->attrs[i];
    return NULL;
}

int64_t attr_int(const Node *n, const char *name, int64_t dflt) {
    const Attr *a = node_attr(n, name);
    if (!a)
        return dflt;
    return a->kind == AT_FLOAT ? (int64_t)a->f : a->i;
}

double attr_float(const Node *n, const char *name, double dflt) {
    const Attr *a = node_attr(n, name);
    if (!a)
        return dflt;
    return a->kind == AT_INT ? (double)a->i : a->f;
}

const char *attr_string(const Node *n, const char *name, const char *dflt) {
    const Attr *a = node_attr(n, name);
    return a && a->kind == AT_STRING ? a->s : dflt;
}

int attr_ints(const Node *n, const char *name, int64_t *out, int max) {
    const Attr *a = node_attr(n, name);
    if (!a)
        return -1;
    if (a->kind == AT_INT) {
        if (max > 0)
            out[0] = a->i;
        return 1;
    }
    for (int i = 0; i < a->n && i < max; i++)
        out[i] = a->ints[i];
    return a->n;
}

Attr *node_set_attr(Graph *g, Node *n, const char *name, AttrKind kind) {
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) {
            memset(&n->attrs[i], 0, sizeof(Attr));
            n->attrs[i].name = arena_strdup(g->arena, name);
            n->attrs[i].kind = kind;
            return &n->attrs[i];
        }
    Attr *a = ARENA_ARRAY(g->arena, Attr, n->n_attrs + 1);
    if (n->n_attrs)
        memcpy(a, n->attrs, sizeof(Attr) * (size_t)n->n_attrs);
    n->attrs = a;
    Attr *r = &a[n->n_attrs++];
    r->name = arena_strdup(g->arena, name);
    r->kind = kind;
    return r;
}

void node_set_attr_int(Graph *g, Node *n, const char *name, int64_t v) { node_set_attr(g, n, name, AT_INT)->i = v; }
void node_set_attr_float(Graph *g, Node *n, const char *name, double v) { node_set_attr(g, n, name, AT_FLOAT)->f = v; }

void node_set_attr_string(Graph *g, Node *n, const char *name, const char *s) {
    Attr *a = node_set_attr(g, n, name, AT_STRING);
    a->s = arena_strdup(g->arena, s);
    a->s_len = strlen(s);
}

void node_set_attr_ints(Graph *g, Node *n, const char *name, const int64_t *v, int count) {
    Attr *a = node_set_attr(g, n, name, AT_INTS);
    a->n = count;
    a->ints = arena_memdup(g->arena, v, sizeof(int64_t) * (size_t)count);
}

void node_set_attr_floats(Graph *g, Node *n, const char *name, const double *v, int count) {
    Attr *a = node_set_attr(g, n, name, AT_FLOATS);
    a->n = count;
    a->floats = arena_memdup(g->arena, v, sizeof(double) * (size_t)count);
}

/* The declared shape of output k, the internal attribute "__dims<k>" that
 * the ONNX reader writes for the data-dependent outputs of StringSplit,
 * StringNormalizer and ImageDecoder ("2,6", "N,3": symbolic names are looked
 * up in the --dim bindings): false when the model declares none or names a dimension that no --dim binds (when fill is
 * given, such a dimension takes fill[d] if fill[d] >= 0). */
bool node_declared_dims(const Node *n, const Ctx *c, int k, int *rank, int64_t *dims, const int64_t *fill,
                          int fill_rank) {
    char name[32];
    snprintf(name, sizeof name, "__dims%d", k);
    const char *s = attr_string(n, name, NULL);
    if (!s)
        return false;
    *rank = 0;
    while (*s && *rank < DLCC_MAX_RANK) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        int d = *rank;
        if (len > 0 && s[0] >= '0' && s[0] <= '9') {
            dims[d] = strtoll(s, NULL, 10);
        } else {
            dims[d] = -1;
            for (int i = 0; i < c->n_dims; i++)
                if (strlen(c->dims[i].name) == len && !strncmp(c->dims[i].name, s, len))
                    dims[d] = c->dims[i].value;
            if (dims[d] < 0 && fill && d < fill_rank)
                dims[d] = fill[d];
            if (dims[d] < 0)
                return false;
        }
        (*rank)++;
        s = e ? e + 1 : s + len;
    }
    return true;
}
