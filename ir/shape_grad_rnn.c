/*
 * shape_grad_rnn.c: shape functions of the recurrent training forms and
 * backward kernels (ir/ops_grad_rnn.def).
 *
 * Both read the sizes off the operands the way ONNX defines them: X is
 * [T, N, I] (layout 0) or [N, T, I] (layout 1), W is [D, G*H, I] and R is
 * [D, G*H, H] with G = 1 (RNN), 4 (LSTM) or 3 (GRU) gates.  The training
 * form returns the ONNX outputs, all present, and the saved tensor S
 * [D, T, N, K]; the backward kernel returns one gradient per
 * differentiable operand, shaped like it (a skipped optional operand gets
 * the shape it would have had).
 */
#include "ir.h"

#include <string.h>

typedef struct RnnSizes {
    int64_t T, N, I, H, D, G, K;
    int layout;
} RnnSizes;

static bool rnn_sizes(Node *n, Ctx *c, int gates, int saved, RnnSizes *s) {
    const Value *x = n->in[0], *w = n->in[1], *r = n->in[2];
    if (x->rank != 3 || w->rank != 3 || r->rank != 3)
        return node_error(c, n, "X, W and R must have rank 3");
    s->layout = (int)attr_int(n, "layout", 0);
    if (s->layout != 0 && s->layout != 1)
        return node_error(c, n, "layout must be 0 or 1");
    s->T = s->layout ? x->dims[1] : x->dims[0];
    s->N = s->layout ? x->dims[0] : x->dims[1];
    s->I = x->dims[2];
    s->D = w->dims[0];
    s->G = gates;
    s->H = r->dims[2];
    s->K = saved * s->H;
    int64_t hs = attr_int(n, "hidden_size", s->H);
    const char *dir = attr_string(n, "direction", "forward");
    int64_t want_d = strcmp(dir, "bidirectional") == 0 ? 2 : 1;
    if (hs != s->H || w->dims[1] != gates * s->H || w->dims[2] != s->I || r->dims[0] != s->D ||
        r->dims[1] != gates * s->H)
        return node_error(c, n, "W %s and R %s do not fit X %s and hidden_size %lld",
                          value_type_str(c->arena, w), value_type_str(c->arena, r), value_type_str(c->arena, x),
                          (long long)hs);
    if (want_d != s->D)
        return node_error(c, n, "direction '%s' needs %lld weight sets, W has %lld", dir, (long long)want_d,
                          (long long)s->D);
    return true;
}

static int rnn_cell_gates(OpKind op, int *saved) {
    switch (op) {
    case OP_LSTMTRAIN:
    case OP_LSTMGRAD:
        *saved = 6;
        return 4;
    case OP_GRUTRAIN:
    case OP_GRUGRAD:
        *saved = 5;
        return 3;
    default:
        *saved = 1;
        return 1;
    }
}

static void rnn_state_dims(const RnnSizes *s, int64_t *dims) {
    if (s->layout) {
        dims[0] = s->N, dims[1] = s->D, dims[2] = s->H;
    } else {
        dims[0] = s->D, dims[1] = s->N, dims[2] = s->H;
    }
}

bool shape_rnn_train(Node *n, Ctx *c) {
    int saved, gates = rnn_cell_gates(n->op, &saved);
    RnnSizes s;
    if (!rnn_sizes(n, c, gates, saved, &s))
        return false;
    DType t = n->in[0]->dtype;
    int64_t y[4], st[3], sv[4] = {s.D, s.T, s.N, s.K};
    if (s.layout) {
        y[0] = s.N, y[1] = s.T, y[2] = s.D, y[3] = s.H;
    } else {
        y[0] = s.T, y[1] = s.D, y[2] = s.N, y[3] = s.H;
    }
    rnn_state_dims(&s, st);
    value_set_shape(n->out[0], t, 4, y);
    value_set_shape(n->out[1], t, 3, st);
    if (n->op == OP_LSTMTRAIN)
        value_set_shape(n->out[2], t, 3, st);
    value_set_shape(n->out[n->n_out - 1], t, 4, sv);
    return true;
}

bool shape_rnn_grad(Node *n, Ctx *c) {
    int saved, gates = rnn_cell_gates(n->op, &saved);
    RnnSizes s;
    if (!rnn_sizes(n, c, gates, saved, &s))
        return false;
    DType t = n->in[0]->dtype;
    int64_t b[2] = {s.D, 2 * s.G * s.H}, st[3], p[2] = {s.D, 3 * s.H};
    rnn_state_dims(&s, st);
    for (int i = 0; i < 3; i++)
        value_set_shape(n->out[i], t, n->in[i]->rank, n->in[i]->dims);
    value_set_shape(n->out[3], t, 2, b);
    value_set_shape(n->out[4], t, 3, st);
    if (n->op == OP_LSTMGRAD) {
        value_set_shape(n->out[5], t, 3, st);
        value_set_shape(n->out[6], t, 2, p);
    }
    return true;
}
