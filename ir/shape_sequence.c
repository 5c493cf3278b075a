/*
 * shape_sequence.c: shape functions of the sequence and optional operators
 * (SequenceConstruct ... ConcatFromSequence, Optional*), for sequences whose
 * length and positions are known at compile time.
 *
 * A sequence value gets a placeholder type (its element dtype, rank 0) so
 * that the shape driver accepts it; its real contents, the list of tensor
 * Values it holds, are a SeqList stored in the producing node's aux.  Each
 * producer builds a new list from its inputs' lists (insert, erase) so
 * positions resolve here, and consumers (SequenceAt, ConcatFromSequence,
 * SequenceLength) take their shapes from the elements.  SplitToSequence's
 * elements are placeholder Values outside the graph until pass_sequence
 * (passes/sequence.c) materialises them with a Split; that pass then rewrites
 * every sequence op into ordinary ops (Identity, Split, Reshape, Concat).
 */
#include "shape_sequence.h"

#include <string.h>

bool seq_op_is_producer(OpKind op) {
    return op == OP_SEQUENCECONSTRUCT || op == OP_SEQUENCEEMPTY || op == OP_SEQUENCEINSERT ||
           op == OP_SEQUENCEERASE || op == OP_SPLITTOSEQUENCE || op == OP_OPTIONAL;
}

SeqList *seq_list_of(const Value *v) {
    for (int depth = 0; v && v->kind == VK_NODE && v->def && depth < 256; depth++) {
        const Node *d = v->def;
        if (seq_op_is_producer(d->op))
            return (SeqList *)d->aux;
        if ((d->op != OP_IDENTITY && d->op != OP_OPTIONALGETELEMENT) || d->n_in < 1)
            return NULL;
        if (d->op == OP_OPTIONALGETELEMENT) {
            SeqList *s = seq_list_of(d->in[0]);
            if (!s || !s->optional)
                return s; /* a sequence passes through */
            if (s->n == 0)
                return NULL;
            v = s->elem[0];
            continue;
        }
        v = d->in[0];
    }
    return NULL;
}

static SeqList *seq_new(Ctx *c, int n, DType dt) {
    SeqList *s = ARENA_NEW(c->arena, SeqList);
    s->n = n;
    s->elem = ARENA_ARRAY(c->arena, Value *, n > 0 ? n : 1);
    s->known = true;
    s->dtype = dt;
    return s;
}

static bool seq_set_output(Node *n, SeqList *s) {
    n->aux = s;
    value_set_shape(n->out[0], s->dtype != DT_UNDEF ? s->dtype : DT_F32, 0, NULL);
    return true;
}

static SeqList *seq_input(Node *n, Ctx *c, int i) {
    SeqList *s = i < n->n_in ? seq_list_of(n->in[i]) : NULL;
    if (!s)
        node_error(c, n, "input %d must be a sequence built in this graph", i);
    return s;
}

/* Constant scalar position input i, or dflt when absent; false when not constant. */
static bool seq_position(Node *n, Ctx *c, int i, int64_t dflt, int64_t *pos) {
    if (i >= n->n_in || !n->in[i]) {
        *pos = dflt;
        return true;
    }
    const Value *p = n->in[i];
    if (!p->data || value_numel(p) != 1)
        return node_error(c, n, "position must be a compile-time constant scalar");
    *pos = data_get_i64(p->dtype, p->data, 0);
    return true;
}

bool shape_sequence_construct(Node *n, Ctx *c) {
    SeqList *s = seq_new(c, n->n_in, n->in[0]->dtype);
    for (int i = 0; i < n->n_in; i++) {
        if (n->in[i]->dtype != s->dtype)
            return node_error(c, n, "elements must all have the same type");
        s->elem[i] = n->in[i];
    }
    return seq_set_output(n, s);
}

bool shape_sequence_empty(Node *n, Ctx *c) {
    DType dt = (DType)attr_int(n, "dtype", DT_F32);
    return seq_set_output(n, seq_new(c, 0, dt));
}

bool shape_sequence_insert(Node *n, Ctx *c) {
    SeqList *in = seq_input(n, c, 0);
    if (!in)
        return false;
    int64_t pos;
    if (!seq_position(n, c, 2, in->n, &pos))
        return false;
    if (pos < 0)
        pos += in->n;
    if (pos < 0 || pos > in->n)
        return node_error(c, n, "position %lld is out of range for a sequence of %d", (long long)pos, in->n);
    SeqList *s = seq_new(c, in->n + 1, in->n ? in->dtype : n->in[1]->dtype);
    *s = *in;
    s->n = in->n + 1;
    s->elem = ARENA_ARRAY(c->arena, Value *, s->n);
    s->split_src = NULL;
    s->dtype = in->n ? in->dtype : n->in[1]->dtype;
    for (int i = 0, k = 0; i < s->n; i++)
        s->elem[i] = i == pos ? n->in[1] : in->elem[k++];
    return seq_set_output(n, s);
}

bool shape_sequence_erase(Node *n, Ctx *c) {
    SeqList *in = seq_input(n, c, 0);
    if (!in)
        return false;
    int64_t pos;
    if (!seq_position(n, c, 1, in->n - 1, &pos))
        return false;
    if (pos < 0)
        pos += in->n;
    if (pos < 0 || pos >= in->n)
        return node_error(c, n, "position %lld is out of range for a sequence of %d", (long long)pos, in->n);
    SeqList *s = ARENA_NEW(c->arena, SeqList);
    *s = *in;
    s->split_src = NULL;
    s->n = in->n - 1;
    s->elem = ARENA_ARRAY(c->arena, Value *, s->n > 0 ? s->n : 1);
    for (int i = 0, k = 0; i < in->n; i++)
        if (i != pos)
            s->elem[k++] = in->elem[i];
    return seq_set_output(n, s);
}

bool shape_sequence_at(Node *n, Ctx *c) {
    SeqList *in = seq_input(n, c, 0);
    if (!in)
        return false;
    int64_t pos;
    if (!seq_position(n, c, 1, 0, &pos))
        return false;
    if (pos < 0)
        pos += in->n;
    if (pos < 0 || pos >= in->n)
        return node_error(c, n, "position %lld is out of range for a sequence of %d", (long long)pos, in->n);
    if (!in->known)
        return node_error(c, n, "the sequence's element shapes are not known at compile time");
    const Value *e = in->elem[pos];
    value_set_shape(n->out[0], e->dtype, e->rank, e->dims);
    return true;
}

static bool seq_set_const_output(Node *n, Ctx *c, DType dt, int64_t x) {
    value_set_shape(n->out[0], dt, 0, NULL);
    void *d = arena_alloc(c->arena, 8);
    data_set_f64(dt, d, 0, (double)x);
    n->out[0]->data = d;
    return true;
}

bool shape_sequence_length(Node *n, Ctx *c) {
    SeqList *in = seq_input(n, c, 0);
    return in && seq_set_const_output(n, c, DT_I64, in->n);
}

bool shape_split_to_sequence(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    int axis = norm_axis(attr_int(n, "axis", 0), x->rank);
    if (axis < 0)
        return node_error(c, n, "bad axis");
    int64_t D = x->dims[axis];
    bool keep = attr_int(n, "keepdims", 1) != 0;
    const Value *sp = n->n_in > 1 ? n->in[1] : NULL;
    int count;
    int64_t sizes[1024];
    bool known = true, squeeze = false;
    if (!sp) {
        if (D > 1024)
            return node_error(c, n, "too many elements (%lld)", (long long)D);
        count = (int)D;
        for (int i = 0; i < count; i++)
            sizes[i] = 1;
        squeeze = !keep;
    } else if (sp->rank == 0) {
        if (!sp->data)
            return node_error(c, n, "a scalar split must be a compile-time constant");
        int64_t s = data_get_i64(sp->dtype, sp->data, 0);
        if (s <= 0)
            return node_error(c, n, "split must be positive");
        count = (int)((D + s - 1) / s);
        if (count > 1024)
            return node_error(c, n, "too many elements");
        for (int i = 0; i < count; i++)
            sizes[i] = D - s * i < s ? D - s * i : s;
    } else {
        if (sp->dims[0] > 1024)
            return node_error(c, n, "too many elements");
        count = (int)sp->dims[0];
        int64_t total = 0;
        for (int i = 0; i < count; i++)
            total += sizes[i] = sp->data ? data_get_i64(sp->dtype, sp->data, i) : 0;
        known = sp->data && total == D; /* the length is known either way */
    }
    SeqList *s = seq_new(c, count, x->dtype);
    s->known = known;
    s->split_src = n->in[0];
    s->split_axis = axis;
    s->split_squeeze = squeeze;
    for (int i = 0; known && i < count; i++) {
        Value *e = ARENA_NEW(c->arena, Value);
        e->name = arena_printf(c->arena, "%s_%d", n->out[0]->name ? n->out[0]->name : "seq", i);
        e->kind = VK_NODE;
        e->offset = -1;
        e->id = -1;
        int64_t d[DLCC_MAX_RANK];
        int r = 0;
        for (int k = 0; k < x->rank; k++) {
            if (k == axis && squeeze)
                continue;
            d[r++] = k == axis ? sizes[i] : x->dims[k];
        }
        value_set_shape(e, x->dtype, r, d);
        s->elem[i] = e;
    }
    return seq_set_output(n, s);
}

bool shape_concat_from_sequence(Node *n, Ctx *c) {
    SeqList *in = seq_input(n, c, 0);
    if (!in)
        return false;
    if (!in->known || in->n == 0)
        return node_error(c, n, "the sequence must be non-empty with element shapes known at compile time");
    bool new_axis = attr_int(n, "new_axis", 0) != 0;
    const Value *e0 = in->elem[0];
    int r = e0->rank + (new_axis ? 1 : 0);
    int axis = norm_axis(attr_int(n, "axis", 0), r);
    if (axis < 0 || r > DLCC_MAX_RANK)
        return node_error(c, n, "bad axis");
    int64_t d[DLCC_MAX_RANK];
    for (int k = 0, j = 0; k < r; k++)
        d[k] = new_axis && k == axis ? 1 : e0->dims[j++];
    d[axis] = 0;
    for (int i = 0; i < in->n; i++) {
        const Value *e = in->elem[i];
        if (e->rank != e0->rank || e->dtype != e0->dtype)
            return node_error(c, n, "elements differ in rank or type");
        for (int k = 0, j = 0; k < r; k++) {
            if (new_axis && k == axis) {
                d[k] += 1;
                continue;
            }
            if (k == axis)
                d[k] += e->dims[j];
            else if (e->dims[j] != e0->dims[j])
                return node_error(c, n, "elements differ in dimension %d", j);
            j++;
        }
    }
    value_set_shape(n->out[0], e0->dtype, r, d);
    return true;
}

bool shape_optional(Node *n, Ctx *c) {
    bool has = n->n_in > 0 && n->in[0];
    SeqList *inner = has ? seq_list_of(n->in[0]) : NULL;
    DType dt = has ? (inner ? inner->dtype : n->in[0]->dtype) : (DType)attr_int(n, "__dtype", DT_F32);
    SeqList *s = seq_new(c, has ? 1 : 0, dt);
    s->optional = true;
    if (has)
        s->elem[0] = n->in[0];
    return seq_set_output(n, s);
}

bool shape_optional_has_element(Node *n, Ctx *c) {
    bool has = n->n_in > 0 && n->in[0];
    if (has) {
        SeqList *s = seq_list_of(n->in[0]);
        if (s && s->optional)
            has = s->n > 0;
    }
    return seq_set_const_output(n, c, DT_BOOL, has);
}

bool shape_optional_get_element(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    SeqList *s = seq_list_of(x);
    if (s && s->optional) {
        if (s->n == 0)
            return node_error(c, n, "the optional is empty");
        x = s->elem[0];
    }
    /* a sequence (or an optional's sequence) passes through: seq_list_of
     * looks through this node; the output gets the placeholder type */
    value_set_shape(n->out[0], x->dtype, x->rank, x->dims);
    return true;
}

bool shape_sequence_map(Node *n, Ctx *c) {
    return node_error(c, n, "internal error: SequenceMap was not expanded before shape inference");
}
