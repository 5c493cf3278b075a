/*
 * onnx.c: reads an ONNX ModelProto into a Graph.
 *
 * The file is unpacked with protobuf-c, then the graph is walked once in
 * ONNX order.  Each GraphProto (the main graph and every subgraph held by a
 * GRAPH/GRAPHS attribute) gets a Scope: a hash map from ONNX names to
 * Values, chained to the enclosing scope so that subgraph nodes can use
 * outer-scope names.  Per graph:
 *
 *   1. graph inputs without an initializer become VK_INPUT values (graph
 *      order); dim_param gives a symbolic dim, a dim with neither value nor
 *      param gets a fresh symbol "unk__N"; a subgraph input may leave its
 *      type out, and gets it from its If/Loop/Scan node (ir/shape_control.c);
 *   2. initializers become VK_CONST values, or VK_PARAM for float tensors of
 *      the main graph when training (unless listed in --freeze);
 *   3. nodes are appended in order.  `Constant` nodes become VK_CONST values
 *      at once.  Other ops are looked up in the op table; unknown ones are
 *      all reported (one diagnostic each) before the load fails;
 *   4. graph outputs are resolved by name.
 *
 * Value names are the ONNX names; an output left unnamed ("") gets a fresh
 * name that no ONNX name in the model uses.  Errors are located at the node
 * (file, node name, op type) where there is one.
 */
#include "onnx_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- name maps */

typedef struct NameMap {
    const char **keys;
    void **vals;
    size_t cap, len;
} NameMap;

static uint64_t name_hash(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void *map_get(const NameMap *m, const char *key) {
    if (!m->cap)
        return NULL;
    for (size_t i = name_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i])
            return NULL;
        if (!strcmp(m->keys[i], key))
            return m->vals[i];
    }
}

static void map_put(Arena *a, NameMap *m, const char *key, void *val) {
    if (2 * (m->len + 1) > m->cap) {
        NameMap n = {0};
        n.cap = m->cap ? 2 * m->cap : 64;
        n.keys = ARENA_ARRAY(a, const char *, n.cap);
        n.vals = ARENA_ARRAY(a, void *, n.cap);
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i])
                map_put(a, &n, m->keys[i], m->vals[i]);
        *m = n;
    }
    size_t i = name_hash(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key))
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->len++;
    m->keys[i] = key;
    m->vals[i] = val;
}

/* ---------------------------------------------------------------- loader state */

typedef struct Scope {
    struct Scope *parent;
    Graph *g;
    NameMap values;
} Scope;

typedef struct Loader {
    Ctx *c;
    Arena *a;
    const char *path;
    const char *base_dir;
    const Onnx__ModelProto *model;
    NameMap all_names; /* every name the model uses, to keep generated names apart */
    int n_unk;         /* counter for unnamed dims */
    int n_fresh;       /* counter for unnamed outputs */
} Loader;

static Loc file_loc(const Loader *L) { return (Loc){L->path, 0, 0, NULL, NULL}; }

static bool is_default_domain(const char *d) { return !d || !*d || !strcmp(d, "ai.onnx"); }

static int64_t opset_of(const Loader *L, const char *domain) {
    for (size_t i = 0; i < L->model->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = L->model->opset_import[i];
        bool same = is_default_domain(domain) ? is_default_domain(o->domain) : o->domain && !strcmp(o->domain, domain);
        if (same)
            return o->has_version ? o->version : 1;
    }
    return is_default_domain(domain) && !L->model->n_opset_import ? 1 : 0;
}

static Value *scope_find(const Scope *s, const char *name) {
    for (; s; s = s->parent) {
        Value *v = map_get(&s->values, name);
        if (v)
            return v;
    }
    return NULL;
}

static bool scope_define(Loader *L, Scope *s, Value *v, Loc loc) {
    if (map_get(&s->values, v->name))
        return diag_error(L->c, loc, "value '%s' is defined more than once", v->name);
    map_put(L->a, &s->values, v->name, v);
    return true;
}

/* After an error: a value under `name`, so that its uses do not cascade
 * into more errors (the load fails anyway). */
static void define_placeholder(Loader *L, Scope *s, const char *name) {
    if (map_get(&s->values, name))
        return;
    Value *v = graph_add_value(s->g, name, VK_NODE, DT_UNDEF, -1, NULL);
    map_put(L->a, &s->values, v->name, v);
}

/* Records every name a graph (and its subgraphs) uses. */
static void collect_names(Loader *L, const Onnx__GraphProto *gp) {
    for (size_t i = 0; i < gp->n_input; i++)
        if (gp->input[i]->name)
            map_put(L->a, &L->all_names, gp->input[i]->name, L);
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (gp->initializer[i]->name)
            map_put(L->a, &L->all_names, gp->initializer[i]->name, L);
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        for (size_t j = 0; j < np->n_output; j++)
            if (np->output[j] && *np->output[j])
                map_put(L->a, &L->all_names, np->output[j], L);
        for (size_t j = 0; j < np->n_attribute; j++) {
            const Onnx__AttributeProto *ap = np->attribute[j];
            if (ap->g)
                collect_names(L, ap->g);
            for (size_t k = 0; k < ap->n_graphs; k++)
                collect_names(L, ap->graphs[k]);
        }
    }
}

static const char *fresh_name(Loader *L, const char *base) {
    for (;;) {
        char *s = arena_printf(L->a, "%s__%d", base, L->n_fresh++);
        if (!map_get(&L->all_names, s)) {
            map_put(L->a, &L->all_names, s, L);
            return s;
        }
    }
}

/* A constant Value that belongs to no graph (attribute tensors). */
static Value *detached_const(Loader *L, const OnnxTensor *t, const char *name, Loc loc) {
    Value *v = ARENA_NEW(L->a, Value);
    v->name = arena_strdup(L->a, name);
    v->kind = VK_CONST;
    v->dtype = t->dtype;
    v->rank = t->rank;
    memcpy(v->dims, t->dims, sizeof v->dims);
    v->data = t->data;
    v->offset = -1;
    v->id = -1;
    v->loc = loc;
    return v;
}

/* ---------------------------------------------------------------- types */

static bool dtype_ok(int32_t t) { return t > 0 && t < DT_COUNT && strcmp(dtype_name((DType)t), "?") != 0; }

/* Fills dtype and shape from a ValueInfoProto.  A missing shape gives rank
 * -1 (allowed only where require_shape is false). */
static bool read_value_info(Loader *L, const Onnx__ValueInfoProto *vi, bool require_shape, DType *dt, int *rank,
                            int64_t *dims, const char **sym) {
    Loc loc = file_loc(L);
    const char *name = vi->name ? vi->name : "";
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return diag_error(L->c, loc, "graph input '%s': only tensor inputs are supported (not sequences, maps or optionals)",
                          name);
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (!tt->has_elem_type || !dtype_ok(tt->elem_type))
        return diag_error(L->c, loc, "graph input '%s': element type %d is not supported", name, (int)tt->elem_type);
    *dt = (DType)tt->elem_type;
    if (!tt->shape) {
        if (require_shape)
            return diag_error(L->c, loc, "graph input '%s' has no shape", name);
        *rank = -1;
        return true;
    }
    if (tt->shape->n_dim > DLCC_MAX_RANK)
        return diag_error(L->c, loc, "graph input '%s': rank %zu is above the maximum of %d", name, tt->shape->n_dim,
                          DLCC_MAX_RANK);
    *rank = (int)tt->shape->n_dim;
    for (int i = 0; i < *rank; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        sym[i] = NULL;
        if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (d->dim_value < 0)
                return diag_error(L->c, loc, "graph input '%s': negative dimension %lld", name, (long long)d->dim_value);
            dims[i] = d->dim_value;
        } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param &&
                   *d->dim_param) {
            dims[i] = -1;
            sym[i] = arena_strdup(L->a, d->dim_param);
        } else {
            dims[i] = -1;
            sym[i] = arena_printf(L->a, "unk__%d", L->n_unk++);
        }
    }
    return true;
}

/* Ops whose output shape depends on the data (StringSplit's width,
 * StringNormalizer's length, ImageDecoder's image) take the declared shape
 * of the output (graph output or value_info): it becomes the node's internal
 * attribute "__dims<K>", "2,6" or "N,3" (node_declared_dims reads it; the IR
 * text keeps it). */
static void note_declared_dims(Loader *L, Graph *g, Value *v, const Onnx__ValueInfoProto *vi) {
    if (v->kind != VK_NODE || !v->def ||
        (v->def->op != OP_STRINGSPLIT && v->def->op != OP_STRINGNORMALIZER && v->def->op != OP_IMAGEDECODER))
        return;
    DType dt;
    int rank;
    int64_t dims[DLCC_MAX_RANK];
    const char *sym[DLCC_MAX_RANK];
    const Onnx__TypeProto *tp = vi->type; /* an undeclared shape is no error here */
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type ||
        !tp->tensor_type->has_elem_type || !tp->tensor_type->shape || !dtype_ok(tp->tensor_type->elem_type) ||
        !read_value_info(L, vi, false, &dt, &rank, dims, sym) || rank < 0)
        return;
    Buf b = {0};
    for (int i = 0; i < rank; i++)
        if (dims[i] >= 0)
            buf_printf(&b, "%s%lld", i ? "," : "", (long long)dims[i]);
        else
            buf_printf(&b, "%s%s", i ? "," : "", sym[i]);
    char name[32];
    snprintf(name, sizeof name, "__dims%d", v->def_index);
    node_set_attr_string(g, v->def, name, b.data ? b.data : "");
    buf_free(&b);
}

/* ---------------------------------------------------------------- sequence and optional inputs */

static const SeqBinding *seq_binding(const Ctx *c, const char *name) {
    for (int i = c->n_seqs - 1; i >= 0; i--)
        if (!strcmp(c->seqs[i].name, name))
            return &c->seqs[i];
    return NULL;
}

/* The tensor element type of a sequence type (false when it is not a
 * sequence of tensors). */
static bool seq_elem_dtype(const Onnx__TypeProto *tp, DType *dt) {
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE || !tp->sequence_type)
        return false;
    const Onnx__TypeProto *e = tp->sequence_type->elem_type;
    if (!e || e->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !e->tensor_type)
        return false;
    *dt = e->tensor_type->has_elem_type && dtype_ok(e->tensor_type->elem_type) ? (DType)e->tensor_type->elem_type
                                                                              : DT_F32;
    return true;
}

/* A top-level graph input of sequence or optional type becomes an API slot
 * (IoSlot) whose items are ordinary tensor inputs named NAME[i], and the
 * value NAME is built from them (SequenceConstruct / SequenceEmpty /
 * Optional), so the sequence machinery sees a sequence built in the graph.
 * The count and shapes come from --sequence (an optional tensor takes its
 * declared shape); --absent compiles an optional as empty. */
static bool load_slot_input(Loader *L, Scope *s, const Onnx__ValueInfoProto *vi) {
    Graph *g = s->g;
    Ctx *c = L->c;
    Loc loc = file_loc(L);
    const char *name = vi->name;
    const Onnx__TypeProto *tp = vi->type;
    IoSlot slot = {.name = arena_strdup(L->a, name), .present = true};
    const Onnx__TypeProto *inner = tp;
    if (tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE) {
        inner = tp->optional_type ? tp->optional_type->elem_type : NULL;
        if (inner && inner->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
            slot.kind = IO_OPTIONAL;
        else if (inner && inner->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE)
            slot.kind = IO_OPTIONAL_SEQUENCE;
        else
            return diag_error(c, loc, "graph input '%s': only optional tensors and sequences are supported", name);
    } else {
        slot.kind = IO_SEQUENCE;
    }
    const SeqBinding *b = seq_binding(c, name);
    if (b && b->n < 0) {
        if (slot.kind == IO_SEQUENCE)
            return diag_error(c, loc, "--absent %s: the input is a sequence, not an optional", name);
        slot.present = false;
    }
    Value *items[64];
    if (slot.kind == IO_OPTIONAL) {
        /* the declared tensor type, as for a tensor input */
        Onnx__ValueInfoProto tv = *vi;
        tv.type = (Onnx__TypeProto *)inner;
        int rank;
        int64_t dims[DLCC_MAX_RANK] = {0};
        const char *sym[DLCC_MAX_RANK] = {0};
        if (!read_value_info(L, &tv, true, &slot.dtype, &rank, dims, sym))
            return false;
        if (slot.present) {
            Value *v = graph_add_input(g, arena_printf(L->a, "%s[0]", name), slot.dtype, rank, dims);
            for (int k = 0; k < rank; k++)
                v->sym[k] = sym[k];
            v->loc = loc;
            items[slot.n++] = v;
        }
    } else {
        if (!seq_elem_dtype(inner, &slot.dtype))
            return diag_error(c, loc, "graph input '%s': only sequences of tensors are supported", name);
        if (slot.present && !b)
            return diag_error(c, loc,
                              "graph input '%s' is a sequence: give its length and item shapes with "
                              "--sequence %s=SHAPE,SHAPE,... (e.g. 2x3,4,() with () a scalar; %s= for an empty one)",
                              name, name, name);
        if (slot.present && b->n > 64)
            return diag_error(c, loc, "--sequence %s: more than 64 items are not supported", name);
        for (int i = 0; slot.present && i < b->n; i++) {
            Value *v = graph_add_input(g, arena_printf(L->a, "%s[%d]", name, i), slot.dtype, b->rank[i], b->dims[i]);
            v->loc = loc;
            items[slot.n++] = v;
        }
    }
    for (int i = 0; i < slot.n; i++)
        if (map_get(&L->all_names, items[i]->name))
            return diag_error(c, loc, "graph input '%s': its item name '%s' is taken", name, items[i]->name);
    slot.items = items;
    graph_add_slot(g, false, &slot);

    /* the value NAME */
    Value *seq = NULL;
    if (slot.kind != IO_OPTIONAL && (slot.kind == IO_SEQUENCE || slot.present)) {
        Node *n = graph_add_node(g, slot.n ? OP_SEQUENCECONSTRUCT : OP_SEQUENCEEMPTY, items, slot.n, 1);
        if (!slot.n)
            node_set_attr_int(g, n, "dtype", slot.dtype);
        n->loc = loc;
        n->opset = g->opset;
        seq = n->out[0];
    }
    if (slot.kind == IO_SEQUENCE) {
        seq->name = slot.name;
    } else {
        Value *x = slot.kind == IO_OPTIONAL ? (slot.present ? items[0] : NULL) : seq;
        Node *n = graph_add_node(g, OP_OPTIONAL, &x, x ? 1 : 0, 1);
        n->loc = loc;
        n->opset = g->opset;
        if (!x)
            node_set_attr_int(g, n, "__dtype", slot.dtype);
        seq = n->out[0];
        seq->name = slot.name;
    }
    seq->loc = loc;
    return scope_define(L, s, seq, loc);
}

/* ---------------------------------------------------------------- attributes */

static Graph *load_graph(Loader *L, const Onnx__GraphProto *gp, Scope *parent, bool top);

static AttrKind attr_kind_of(const Onnx__AttributeProto *ap) {
    if (ap->has_type) {
        switch (ap->type) {
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return AT_FLOAT;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return AT_INT;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return AT_STRING;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return AT_TENSOR;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return AT_GRAPH;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return AT_FLOATS;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return AT_INTS;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return AT_STRINGS;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS: return AT_TENSORS;
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: return AT_GRAPHS;
        default: return AT_UNDEF;
        }
    }
    /* Very old files leave the type out: go by the field that is set. */
    if (ap->has_f) return AT_FLOAT;
    if (ap->has_i) return AT_INT;
    if (ap->has_s) return AT_STRING;
    if (ap->t) return AT_TENSOR;
    if (ap->g) return AT_GRAPH;
    if (ap->n_floats) return AT_FLOATS;
    if (ap->n_ints) return AT_INTS;
    if (ap->n_strings) return AT_STRINGS;
    if (ap->n_tensors) return AT_TENSORS;
    if (ap->n_graphs) return AT_GRAPHS;
    return AT_UNDEF;
}

static bool load_attr(Loader *L, Scope *s, Loc loc, const Onnx__AttributeProto *ap, Attr *at) {
    Arena *a = L->a;
    if (ap->has_type && ap->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO && ap->tp) {
        /* Optional's 'type': only its tensor element type matters (an empty
         * optional's dtype), kept as the internal attribute __dtype */
        const Onnx__TypeProto *tp = ap->tp;
        DType dt = DT_F32;
        if (tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE && tp->optional_type)
            tp = tp->optional_type->elem_type;
        if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type &&
            tp->tensor_type->has_elem_type && dtype_ok(tp->tensor_type->elem_type))
            dt = (DType)tp->tensor_type->elem_type;
        else if (tp)
            seq_elem_dtype(tp, &dt);
        at->name = "__dtype";
        at->kind = AT_INT;
        at->i = dt;
        return true;
    }
    at->name = arena_strdup(a, ap->name ? ap->name : "");
    at->kind = attr_kind_of(ap);
    const char *what = arena_printf(a, "attribute '%s'", at->name);
    switch (at->kind) {
    case AT_FLOAT:
        at->f = ap->f;
        return true;
    case AT_INT:
        at->i = ap->i;
        return true;
    case AT_STRING:
        at->s = onnx_bytes_str(a, ap->s);
        at->s_len = ap->s.len;
        return true;
    case AT_TENSOR: {
        OnnxTensor t;
        if (!ap->t)
            return diag_error(L->c, loc, "%s has no tensor", what);
        if (!onnx_tensor_decode(L->c, a, loc, L->base_dir, what, ap->t, &t))
            return false;
        at->t = detached_const(L, &t, t.name[0] ? t.name : at->name, loc);
        return true;
    }
    case AT_GRAPH:
        if (!ap->g)
            return diag_error(L->c, loc, "%s has no graph", what);
        at->g = load_graph(L, ap->g, s, false);
        return at->g != NULL;
    case AT_FLOATS:
        at->n = (int)ap->n_floats;
        at->floats = ARENA_ARRAY(a, double, at->n);
        for (int i = 0; i < at->n; i++)
            at->floats[i] = ap->floats[i];
        return true;
    case AT_INTS:
        at->n = (int)ap->n_ints;
        at->ints = arena_memdup(a, ap->ints, sizeof(int64_t) * ap->n_ints);
        return true;
    case AT_STRINGS:
        at->n = (int)ap->n_strings;
        at->strings = ARENA_ARRAY(a, const char *, at->n);
        for (int i = 0; i < at->n; i++)
            at->strings[i] = onnx_bytes_str(a, ap->strings[i]);
        return true;
    case AT_TENSORS:
        at->n = (int)ap->n_tensors;
        at->ts = ARENA_ARRAY(a, Value *, at->n);
        for (int i = 0; i < at->n; i++) {
            OnnxTensor t;
            if (!onnx_tensor_decode(L->c, a, loc, L->base_dir, what, ap->tensors[i], &t))
                return false;
            at->ts[i] = detached_const(L, &t, t.name[0] ? t.name : arena_printf(a, "%s_%d", at->name, i), loc);
        }
        return true;
    case AT_GRAPHS:
        at->n = (int)ap->n_graphs;
        at->gs = ARENA_ARRAY(a, Graph *, at->n);
        for (int i = 0; i < at->n; i++)
            if (!(at->gs[i] = load_graph(L, ap->graphs[i], s, false)))
                return false;
        return true;
    case AT_UNDEF:
        break;
    }
    return diag_error(L->c, loc, "%s: attribute type %d is not supported (sparse tensors and type protos are not)",
                      what, (int)ap->type);
}

/* ---------------------------------------------------------------- Constant nodes */

/* Decodes a Constant node's single attribute into t. */
static bool constant_tensor(Loader *L, Loc loc, const Onnx__NodeProto *np, OnnxTensor *t) {
    Arena *a = L->a;
    if (np->n_attribute != 1)
        return diag_error(L->c, loc, "Constant needs exactly one attribute, has %zu", np->n_attribute);
    const Onnx__AttributeProto *ap = np->attribute[0];
    const char *an = ap->name ? ap->name : "";
    memset(t, 0, sizeof *t);
    if (!strcmp(an, "value")) {
        if (!ap->t)
            return diag_error(L->c, loc, "Constant: attribute 'value' has no tensor");
        return onnx_tensor_decode(L->c, a, loc, L->base_dir, "attribute 'value'", ap->t, t);
    }
    if (!strcmp(an, "value_float")) {
        t->dtype = DT_F32;
        t->data = arena_memdup(a, &ap->f, sizeof(float));
    } else if (!strcmp(an, "value_int")) {
        t->dtype = DT_I64;
        t->data = arena_memdup(a, &ap->i, sizeof(int64_t));
    } else if (!strcmp(an, "value_string")) {
        const char **p = ARENA_NEW(a, const char *);
        *p = onnx_bytes_str(a, ap->s);
        t->dtype = DT_STRING;
        t->data = p;
    } else if (!strcmp(an, "value_floats")) {
        t->dtype = DT_F32;
        t->rank = 1;
        t->dims[0] = (int64_t)ap->n_floats;
        t->data = arena_memdup(a, ap->floats, sizeof(float) * ap->n_floats);
    } else if (!strcmp(an, "value_ints")) {
        t->dtype = DT_I64;
        t->rank = 1;
        t->dims[0] = (int64_t)ap->n_ints;
        t->data = arena_memdup(a, ap->ints, sizeof(int64_t) * ap->n_ints);
    } else if (!strcmp(an, "value_strings")) {
        const char **p = ARENA_ARRAY(a, const char *, ap->n_strings);
        for (size_t i = 0; i < ap->n_strings; i++)
            p[i] = onnx_bytes_str(a, ap->strings[i]);
        t->dtype = DT_STRING;
        t->rank = 1;
        t->dims[0] = (int64_t)ap->n_strings;
        t->data = p;
    } else if (!strcmp(an, "sparse_value")) {
        return diag_error(L->c, loc, "sparse constants are not supported");
    } else {
        return diag_error(L->c, loc, "Constant: unknown attribute '%s'", an);
    }
    return true;
}

/* ---------------------------------------------------------------- nodes */

static void load_node(Loader *L, Scope *s, const Onnx__NodeProto *np, int index) {
    Graph *g = s->g;
    Arena *a = L->a;
    const char *op_type = np->op_type ? np->op_type : "";
    const char *domain = np->domain ? np->domain : "";
    const char *name = np->name && *np->name ? arena_strdup(a, np->name) : arena_printf(a, "%s_%d", op_type, index);
    Loc loc = {L->path, 0, 0, name, arena_strdup(a, op_type)};

    if (is_default_domain(domain) && !strcmp(op_type, "Constant")) {
        OnnxTensor t;
        if (np->n_output != 1 || !np->output[0] || !*np->output[0]) {
            diag_error(L->c, loc, "Constant needs exactly one named output");
            return;
        }
        if (!constant_tensor(L, loc, np, &t))
            return;
        if (map_get(&s->values, np->output[0])) {
            diag_error(L->c, loc, "value '%s' is defined more than once", np->output[0]);
            return;
        }
        Value *v = graph_add_const(g, np->output[0], t.dtype, t.rank, t.dims, t.data);
        v->loc = loc;
        scope_define(L, s, v, loc);
        return;
    }

    /* Inputs: "" is a skipped optional input; trailing ones are dropped. */
    int n_in = (int)np->n_input;
    while (n_in > 0 && (!np->input[n_in - 1] || !*np->input[n_in - 1]))
        n_in--;
    Value **in = ARENA_ARRAY(a, Value *, n_in > 0 ? n_in : 1);
    bool ok = true;
    for (int i = 0; i < n_in; i++) {
        const char *iname = np->input[i];
        if (!iname || !*iname)
            continue;
        in[i] = scope_find(s, iname);
        if (!in[i])
            ok = diag_error(L->c, loc, "input '%s' is not defined%s", iname,
                            map_get(&L->all_names, iname) ? " before this node (nodes must be in topological order)"
                                                          : "");
    }

    OpKind op = op_lookup(domain, op_type);
    if (op == OP_INVALID) {
        if (is_default_domain(domain))
            diag_error(L->c, loc, "unsupported operator");
        else
            diag_error(L->c, loc, "unsupported operator (domain '%s')", domain);
        ok = false;
    } else {
        const OpInfo *info = &op_table[op];
        if (n_in < info->min_in || n_in > info->max_in)
            ok = diag_error(L->c, loc, "expects %d to %d inputs, has %d", info->min_in, info->max_in, n_in);
        if ((int)np->n_output < info->min_out || (int)np->n_output > info->max_out)
            ok = diag_error(L->c, loc, "expects %d to %d outputs, has %zu", info->min_out, info->max_out,
                            np->n_output);
    }

    int n_out = (int)np->n_output;
    Node *n = NULL;
    if (ok) {
        n = graph_add_node(g, op, in, n_in, 0);
        n->name = name;
        n->loc = loc;
        n->domain = arena_strdup(a, domain);
        int64_t opset = opset_of(L, domain);
        n->opset = opset > 0 ? (int)opset : g->opset;
        n->n_out = n_out;
        n->out = ARENA_ARRAY(a, Value *, n_out > 0 ? n_out : 1);
        n->n_attrs = (int)np->n_attribute;
        n->attrs = ARENA_ARRAY(a, Attr, n->n_attrs > 0 ? n->n_attrs : 1);
        for (int i = 0; i < n->n_attrs; i++) {
            load_attr(L, s, loc, np->attribute[i], &n->attrs[i]);
            /* ONNX's checker rejects an attribute the operator does not
             * have; dlcc warns (and ignores it), so that a model from a
             * lenient exporter still compiles.  In .dl it is an error. */
            const char *msg = op_attr_check(a, op, n->attrs[i].name, n->attrs[i].kind);
            if (msg)
                diag_warning(L->c, loc, "%s", msg);
        }
    }
    /* Outputs get values even when the node failed, so that later nodes
     * resolve and every unsupported operator is reported. */
    for (int i = 0; i < n_out; i++) {
        const char *oname = np->output[i] && *np->output[i] ? np->output[i] : fresh_name(L, name);
        if (map_get(&s->values, oname)) {
            diag_error(L->c, loc, "value '%s' is defined more than once", oname);
            continue;
        }
        Value *v = graph_add_value(g, oname, VK_NODE, DT_UNDEF, -1, NULL);
        v->loc = loc;
        if (n) {
            v->def = n;
            v->def_index = i;
            n->out[i] = v;
        }
        scope_define(L, s, v, loc);
    }
}

/* ---------------------------------------------------------------- graphs */

static bool is_frozen(const Ctx *c, const char *name) {
    for (int i = 0; i < c->n_freeze; i++)
        if (!strcmp(c->freeze[i], name))
            return true;
    return false;
}

static bool trainable_dtype(DType t) { return t == DT_F32 || t == DT_F64 || t == DT_F16 || t == DT_BF16; }

/* A subgraph input may leave its type out (function bodies expanded into
 * Loop/Scan bodies do), or give a tensor type without an element type.  A
 * sequence or optional body input is typed by what the node feeds it too
 * (a Loop carrying a sequence is unrolled: subgraph_unroll_sequence_loop). */
static bool untyped_body_input(const Onnx__ValueInfoProto *vi) {
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET ||
        tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ||
        tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE)
        return true;
    return tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
           (!tp->tensor_type || !tp->tensor_type->has_elem_type || tp->tensor_type->elem_type == 0);
}

static Graph *load_graph(Loader *L, const Onnx__GraphProto *gp, Scope *parent, bool top) {
    Ctx *c = L->c;
    Loc loc = file_loc(L);
    Graph *g = graph_new(L->a, gp->name && *gp->name ? gp->name : "graph");
    Scope *s = ARENA_NEW(L->a, Scope);
    s->parent = parent;
    s->g = g;
    if (parent) {
        g->parent = parent->g;
        g->opset = parent->g->opset;
    } else {
        int64_t v = opset_of(L, "");
        if (v > 0)
            g->opset = (int)v;
    }
    int errors_before = c->n_errors;

    NameMap inits = {0};
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (gp->initializer[i]->name)
            map_put(L->a, &inits, gp->initializer[i]->name, gp->initializer[i]);
    if (gp->n_sparse_initializer)
        diag_error(c, loc, "sparse initializers are not supported");

    /* 1. inputs without an initializer, in graph order */
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        if (!vi->name || !*vi->name) {
            diag_error(c, loc, "graph input %zu has no name", i);
            continue;
        }
        if (map_get(&inits, vi->name))
            continue; /* an overridable default: treated as a constant */
        DType dt = DT_UNDEF;
        int rank = 0;
        int64_t dims[DLCC_MAX_RANK] = {0};
        const char *sym[DLCC_MAX_RANK] = {0};
        if (!top && untyped_body_input(vi)) {
            /* the If/Loop/Scan shape function gives it the type the node feeds it */
            Value *v = graph_add_input(g, vi->name, DT_UNDEF, -1, NULL);
            v->loc = loc;
            scope_define(L, s, v, loc);
            continue;
        }
        if (top && vi->type &&
            (vi->type->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ||
             vi->type->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE)) {
            if (!load_slot_input(L, s, vi))
                define_placeholder(L, s, vi->name);
            continue;
        }
        if (!read_value_info(L, vi, top, &dt, &rank, dims, sym)) {
            define_placeholder(L, s, vi->name);
            continue;
        }
        Value *v = graph_add_input(g, vi->name, dt, rank < 0 ? 0 : rank, dims);
        v->rank = rank;
        for (int k = 0; k < rank; k++)
            v->sym[k] = sym[k];
        v->loc = loc;
        scope_define(L, s, v, loc);
        if (top)
            graph_add_slot(g, false, &(IoSlot){.name = v->name, .kind = IO_TENSOR, .present = true, .dtype = dt,
                                               .n = 1, .items = &v});
    }
    if (top) {
        graph_finish_slots(g);
        for (int i = 0; i < c->n_seqs; i++) {
            bool found = false;
            for (int k = 0; k < g->n_in_slots; k++)
                found = found || (g->in_slots[k].kind != IO_TENSOR && !strcmp(g->in_slots[k].name, c->seqs[i].name));
            if (!found)
                diag_warning(c, loc, "%s %s: the model has no sequence or optional input of that name",
                             c->seqs[i].n < 0 ? "--absent" : "--sequence", c->seqs[i].name);
        }
    }

    /* 2. initializers */
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        if (!tp->name || !*tp->name) {
            diag_error(c, loc, "initializer %zu has no name", i);
            continue;
        }
        OnnxTensor t;
        if (!onnx_tensor_decode(c, L->a, loc, L->base_dir, arena_printf(L->a, "initializer '%s'", tp->name), tp, &t)) {
            define_placeholder(L, s, tp->name);
            continue;
        }
        bool param = top && c->train && trainable_dtype(t.dtype) && !is_frozen(c, tp->name);
        Value *v = param ? graph_add_param(g, tp->name, t.dtype, t.rank, t.dims, t.data)
                         : graph_add_const(g, tp->name, t.dtype, t.rank, t.dims, t.data);
        v->frozen = top && c->train && is_frozen(c, tp->name);
        v->loc = loc;
        scope_define(L, s, v, loc);
    }

    /* 3. nodes */
    for (size_t i = 0; i < gp->n_node; i++)
        load_node(L, s, gp->node[i], (int)i);

    /* 4. outputs */
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *name = gp->output[i]->name;
        Value *v = name ? scope_find(s, name) : NULL;
        if (!v) {
            diag_error(c, loc, "graph output '%s' is not defined", name ? name : "");
            continue;
        }
        graph_add_output(g, v);
        note_declared_dims(L, g, v, gp->output[i]);
    }
    for (size_t i = 0; i < gp->n_value_info; i++) {
        const char *name = gp->value_info[i]->name;
        Value *v = name ? scope_find(s, name) : NULL;
        if (v)
            note_declared_dims(L, g, v, gp->value_info[i]);
    }
    if (top && gp->n_output == 0)
        diag_error(c, loc, "the graph has no outputs");
    return c->n_errors > errors_before ? NULL : g;
}

/* ---------------------------------------------------------------- entry points */

Graph *onnx_load_buffer(Ctx *c, const char *path, const uint8_t *data, size_t len) {
    if (!path)
        path = "model.onnx";
    Loc loc = {path, 0, 0, NULL, NULL};
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, data);
    if (!m || !m->graph) {
        if (m)
            onnx__model_proto__free_unpacked(m, NULL);
        diag_error(c, loc, "not a valid ONNX model");
        return NULL;
    }
    Loader L = {0};
    L.c = c;
    L.a = c->arena;
    L.path = arena_strdup(c->arena, path);
    L.base_dir = onnx_dirname(c->arena, path);
    L.model = m;
    collect_names(&L, m->graph);
    if (c->train)
        for (int i = 0; i < c->n_freeze; i++)
            if (!map_get(&L.all_names, c->freeze[i]))
                diag_warning(c, loc, "--freeze: the model has no initializer '%s'", c->freeze[i]);
    int errors_before = c->n_errors;
    Graph *g = load_graph(&L, m->graph, NULL, true);
    onnx__model_proto__free_unpacked(m, NULL);
    return g && c->n_errors == errors_before ? g : NULL;
}

Graph *onnx_load(Ctx *c, const char *path) {
    size_t len;
    uint8_t *buf = onnx_read_file(c, path, &len);
    if (!buf)
        return NULL;
    Graph *g = onnx_load_buffer(c, path, buf, len);
    free(buf);
    return g;
}
