/*
 * shape_common.c: helpers shared by the per-family shape functions
 * (ir/shape_*.c), and the two most common ones: shape_unary (output like
 * input 0) and shape_broadcast (ONNX multidirectional broadcasting).
 */
#include "ir.h"

#include <string.h>

void value_set_shape(Value *v, DType dt, int rank, const int64_t *dims) {
    DLCC_ASSERT(rank >= 0 && rank <= DLCC_MAX_RANK);
    v->dtype = dt;
    v->rank = rank;
    for (int i = 0; i < rank; i++) {
        v->dims[i] = dims[i];
        v->sym[i] = NULL;
    }
}

bool broadcast_dims(int ra, const int64_t *da, int rb, const int64_t *db, int *rank, int64_t *dims) {
    int r = ra > rb ? ra : rb;
    for (int i = 0; i < r; i++) {
        int64_t a = i - (r - ra) >= 0 ? da[i - (r - ra)] : 1;
        int64_t b = i - (r - rb) >= 0 ? db[i - (r - rb)] : 1;
        if (a != b && a != 1 && b != 1)
            return false;
        dims[i] = a == 1 ? b : a;
    }
    *rank = r;
    return true;
}

int norm_axis(int64_t axis, int rank) {
    if (axis < 0)
        axis += rank;
    return axis < 0 || axis >= (rank ? rank : 1) ? -1 : (int)axis;
}

bool node_inputs_known(const Node *n) {
    for (int i = 0; i < n->n_in; i++)
        if (n->in[i] && n->in[i]->rank < 0)
            return false;
    return true;
}

bool node_error(Ctx *c, const Node *n, const char *fmt, ...) {
    Buf b = {0};
    buf_printf(&b, "%s: ", op_table[n->op].name);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    diag_error(c, n->loc, "%s", b.data);
    buf_free(&b);
    return false;
}

bool shape_unary(Node *n, Ctx *c) {
    const Value *x = n->in[0];
    for (int i = 0; i < n->n_out; i++)
        value_set_shape(n->out[i], x->dtype, x->rank, x->dims);
    return true;
}

bool shape_broadcast(Node *n, Ctx *c) {
    int rank = n->in[0]->rank;
    int64_t dims[DLCC_MAX_RANK];
    memcpy(dims, n->in[0]->dims, sizeof(int64_t) * (size_t)rank);
    for (int i = 1; i < n->n_in; i++) {
        const Value *b = n->in[i];
        if (!b)
            continue;
        if (b->dtype != n->in[0]->dtype)
            return node_error(c, n, "operand types differ (%s vs %s)", dtype_name(n->in[0]->dtype), dtype_name(b->dtype));
        int64_t out[DLCC_MAX_RANK];
        if (!broadcast_dims(rank, dims, b->rank, b->dims, &rank, out))
            return node_error(c, n, "shapes %s and %s do not broadcast", value_type_str(c->arena, n->in[0]),
                              value_type_str(c->arena, b));
        memcpy(dims, out, sizeof dims);
    }
    value_set_shape(n->out[0], n->in[0]->dtype, rank, dims);
    return true;
}
