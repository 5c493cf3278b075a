/*
 * shape_rnn.c: shape function of the recurrent operators RNN, LSTM and GRU
 * (ir/ops_rnn.def).
 *
 * The sizes come from the operands as ONNX defines them: X is [T, N, I]
 * (layout 0) or [N, T, I] (layout 1), W is [D, G*H, I], R is [D, G*H, H]
 * with G = 1 (RNN), 4 (LSTM) or 3 (GRU) gates and D = 2 for a
 * bidirectional operator.  The outputs, each optional, are Y [T, D, N, H]
 * (layout 1: [N, T, D, H]) and Y_h (and LSTM's Y_c) [D, N, H] (layout 1:
 * [N, D, H]).  The optional operands are checked against those sizes.
 */
#include "ir.h"

#include <string.h>

static int rnn_gates(OpKind op) { return op == OP_LSTM ? 4 : op == OP_GRU ? 3 : 1; }

static bool rnn_check_operand(Node *n, Ctx *c, int i, const char *what, int rank, const int64_t *dims) {
    const Value *v = i < n->n_in ? n->in[i] : NULL;
    if (!v)
        return true;
    bool ok = v->rank == rank;
    for (int k = 0; ok && k < rank; k++)
        ok = v->dims[k] == dims[k];
    if (!ok) {
        char want[96] = "[";
        for (int k = 0; k < rank; k++) {
            size_t l = strlen(want);
            snprintf(want + l, sizeof want - l, "%s%lld", k ? ", " : "", (long long)dims[k]);
        }
        strcat(want, "]");
        return node_error(c, n, "%s is %s, expected shape %s", what, value_type_str(c->arena, v), want);
    }
    return true;
}

bool shape_rnn(Node *n, Ctx *c) {
    const Value *x = n->in[0], *w = n->in[1], *r = n->in[2];
    int G = rnn_gates(n->op);
    if (x->rank != 3 || w->rank != 3 || r->rank != 3)
        return node_error(c, n, "X, W and R must have rank 3 (got %s, %s, %s)", value_type_str(c->arena, x),
                          value_type_str(c->arena, w), value_type_str(c->arena, r));
    if (!dtype_is_float(x->dtype) || w->dtype != x->dtype || r->dtype != x->dtype)
        return node_error(c, n, "X, W and R must have the same float type");
    int64_t layout = attr_int(n, "layout", 0);
    if (layout != 0 && layout != 1)
        return node_error(c, n, "layout must be 0 or 1, got %lld", (long long)layout);
    int64_t T = layout ? x->dims[1] : x->dims[0], N = layout ? x->dims[0] : x->dims[1], I = x->dims[2];
    int64_t D = w->dims[0], H = r->dims[2];
    int64_t hs = attr_int(n, "hidden_size", H);
    const char *dir = attr_string(n, "direction", "forward");
    int64_t want_d = strcmp(dir, "bidirectional") == 0 ? 2 : 1;
    if (strcmp(dir, "forward") && strcmp(dir, "reverse") && strcmp(dir, "bidirectional"))
        return node_error(c, n, "unknown direction '%s'", dir);
    if (want_d != D)
        return node_error(c, n, "direction '%s' needs %lld weight sets, W has %lld", dir, (long long)want_d,
                          (long long)D);
    if (hs != H || w->dims[1] != G * H || w->dims[2] != I || r->dims[0] != D || r->dims[1] != G * H)
        return node_error(c, n, "W %s and R %s do not fit X %s and hidden_size %lld", value_type_str(c->arena, w),
                          value_type_str(c->arena, r), value_type_str(c->arena, x), (long long)hs);
    int64_t bd[2] = {D, 2 * G * H}, ld[1] = {N}, st[3], pd[2] = {D, 3 * H};
    if (layout)
        st[0] = N, st[1] = D, st[2] = H;
    else
        st[0] = D, st[1] = N, st[2] = H;
    if (!rnn_check_operand(n, c, 3, "B", 2, bd) || !rnn_check_operand(n, c, 4, "sequence_lens", 1, ld) ||
        !rnn_check_operand(n, c, 5, "initial_h", 3, st))
        return false;
    if (n->op == OP_LSTM && (!rnn_check_operand(n, c, 6, "initial_c", 3, st) || !rnn_check_operand(n, c, 7, "P", 2, pd)))
        return false;
    if (n->n_in > 4 && n->in[4] && n->in[4]->dtype != DT_I32 && n->in[4]->dtype != DT_I64)
        return node_error(c, n, "sequence_lens must be int32");
    for (int i = 3; i < n->n_in; i++)
        if (i != 4 && n->in[i] && n->in[i]->dtype != x->dtype)
            return node_error(c, n, "operand %d must have X's type %s", i, dtype_name(x->dtype));
    int64_t y[4];
    if (layout)
        y[0] = N, y[1] = T, y[2] = D, y[3] = H;
    else
        y[0] = T, y[1] = D, y[2] = N, y[3] = H;
    for (int k = 0; k < n->n_out; k++)
        if (n->out[k]) {
            if (k == 0)
                value_set_shape(n->out[k], x->dtype, 4, y);
            else
                value_set_shape(n->out[k], x->dtype, 3, st);
        }
    return true;
}
