/*
 * emit_grad_rnn.c: kernels of the recurrent training forms and of
 * backpropagation through time (ir/ops_grad_rnn.def).
 *
 * Both kernels walk one direction at a time (the emitter unrolls the
 * directions, so each gets its own activation functions written inline) and
 * one batch row at a time, since a row's sequence length decides its steps:
 * a reverse direction starts at step len-1 of its row, steps at or after len
 * leave the state alone and give Y zeros.  Gate pre-activations are plain
 * dot products with the rows of W and R (clang vectorizes them).
 *
 * The training forward stores, per direction, time index and row, what the
 * backward needs (S of ops_grad_rnn.def): the activated gates, the cell
 * state and the hidden state; the state before a step is found in the slot
 * of the previous step (or the initial state).  Activation derivatives are
 * written in terms of the activation's output, so the pre-activations need
 * not be kept.  The backward kernel runs the steps of each row in reverse,
 * carrying dH (and dC) from step to step, accumulating dW, dR, dB (and dP)
 * over rows and steps, and leaves the carried values in d_initial_h/c.
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "codegen.h"

typedef enum Cell { CELL_RNN, CELL_LSTM, CELL_GRU } Cell;

typedef struct Act {
    const char *name; /* lower case */
    double alpha, beta;
} Act;

typedef struct Rnn {
    Cell cell;
    int64_t T, N, I, H, D, G, K;
    int layout;
    bool lbr;         /* GRU linear_before_reset */
    int n_act;        /* activations per direction: 1, 3, 2 */
    Act act[2][3];    /* [direction][f, g, h] */
    const char *ct;   /* C type */
} Rnn;

static bool act_known(const char *s) {
    static const char *const names[] = {"sigmoid", "tanh",  "relu",     "leakyrelu", "thresholdedrelu", "hardsigmoid",
                                        "affine",  "scaledtanh", "elu", "softsign",  "softplus"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0)
            return true;
    return false;
}

/* Alpha/beta defaults; which activations consume an alpha (and a beta) from
 * activation_alpha/_beta, in order (onnxruntime's reading of the spec). */
static void act_defaults(Act *a, bool *uses_alpha, bool *uses_beta) {
    const char *s = a->name;
    *uses_alpha = *uses_beta = false;
    a->alpha = 1.0, a->beta = 0.0;
    if (strcmp(s, "leakyrelu") == 0)
        a->alpha = 0.01, *uses_alpha = true;
    else if (strcmp(s, "thresholdedrelu") == 0 || strcmp(s, "elu") == 0)
        *uses_alpha = true;
    else if (strcmp(s, "hardsigmoid") == 0)
        a->alpha = 0.2, a->beta = 0.5, *uses_alpha = *uses_beta = true;
    else if (strcmp(s, "affine") == 0)
        *uses_alpha = *uses_beta = true;
    else if (strcmp(s, "scaledtanh") == 0)
        a->beta = 1.0, *uses_alpha = *uses_beta = true;
}

static bool rnn_resolve(Emit *e, Rnn *r) {
    const Node *n = e->node;
    switch (n->op) {
    case OP_LSTMTRAIN:
    case OP_LSTMGRAD:
        r->cell = CELL_LSTM, r->G = 4, r->K = 6, r->n_act = 3;
        break;
    case OP_GRUTRAIN:
    case OP_GRUGRAD:
        r->cell = CELL_GRU, r->G = 3, r->K = 5, r->n_act = 2;
        break;
    default:
        r->cell = CELL_RNN, r->G = 1, r->K = 1, r->n_act = 1;
        break;
    }
    const Value *x = n->in[0];
    if (x->dtype != DT_F32 && x->dtype != DT_F64)
        return emit_error(e, "training in %s is not supported (f32 and f64 are)", dtype_name(x->dtype));
    r->ct = dtype_ctype(x->dtype);
    r->layout = (int)attr_int(n, "layout", 0);
    r->T = r->layout ? x->dims[1] : x->dims[0];
    r->N = r->layout ? x->dims[0] : x->dims[1];
    r->I = x->dims[2];
    r->D = n->in[1]->dims[0];
    r->H = n->in[2]->dims[2];
    r->K *= r->H;
    r->lbr = attr_int(n, "linear_before_reset", 0) != 0;
    if (node_attr(n, "clip"))
        return emit_error(e, "training a recurrent operator with 'clip' is not supported");
    if (attr_int(n, "input_forget", 0) != 0)
        return emit_error(e, "training an LSTM with input_forget=1 is not supported");
    static const char *const defaults[3][3] = {{"tanh"}, {"sigmoid", "tanh", "tanh"}, {"sigmoid", "tanh"}};
    const Attr *acts = node_attr(n, "activations");
    const Attr *al = node_attr(n, "activation_alpha"), *be = node_attr(n, "activation_beta");
    int n_given = acts && acts->kind == AT_STRINGS ? acts->n : 0;
    if (n_given && n_given != r->n_act && n_given != r->n_act * r->D)
        return emit_error(e, "expected %d or %d activations, got %d", r->n_act, (int)(r->n_act * r->D), n_given);
    int ia = 0, ib = 0;
    for (int d = 0; d < r->D; d++)
        for (int k = 0; k < r->n_act; k++) {
            Act *a = &r->act[d][k];
            const char *s = defaults[r->cell][k];
            if (n_given)
                s = acts->strings[(d * r->n_act + k) % n_given];
            char *low = arena_strdup(e->ctx->arena, s);
            for (char *p = low; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            if (!act_known(low))
                return emit_error(e, "activation '%s' is not supported in training", s);
            a->name = low;
            bool ua, ub;
            act_defaults(a, &ua, &ub);
            if (ua && al && ia < al->n)
                a->alpha = al->floats[ia++];
            if (ub && be && ib < be->n)
                a->beta = be->floats[ib++];
        }
    return true;
}

/* C expression of activation a applied to the expression x. */
static const char *act_apply(Emit *e, const Rnn *r, const Act *a, const char *x) {
    Arena *ar = e->ctx->arena;
    DType t = e->node->in[0]->dtype;
    const char *A = emit_literal(e, t, a->alpha), *B = emit_literal(e, t, a->beta);
    const char *one = emit_literal(e, t, 1.0), *zero = emit_literal(e, t, 0.0);
    const char *s = a->name;
    (void)r;
    if (strcmp(s, "sigmoid") == 0)
        return arena_printf(ar, "(%s / (%s + exp(-(%s))))", one, one, x);
    if (strcmp(s, "tanh") == 0)
        return arena_printf(ar, "tanh(%s)", x);
    if (strcmp(s, "relu") == 0)
        return arena_printf(ar, "((%s) > %s ? (%s) : %s)", x, zero, x, zero);
    if (strcmp(s, "leakyrelu") == 0)
        return arena_printf(ar, "((%s) >= %s ? (%s) : %s * (%s))", x, zero, x, A, x);
    if (strcmp(s, "thresholdedrelu") == 0)
        return arena_printf(ar, "((%s) > %s ? (%s) : %s)", x, A, x, zero);
    if (strcmp(s, "hardsigmoid") == 0)
        return arena_printf(ar, "fmax(%s, fmin(%s, %s * (%s) + %s))", zero, one, A, x, B);
    if (strcmp(s, "affine") == 0)
        return arena_printf(ar, "(%s * (%s) + %s)", A, x, B);
    if (strcmp(s, "scaledtanh") == 0)
        return arena_printf(ar, "(%s * tanh(%s * (%s)))", A, B, x);
    if (strcmp(s, "elu") == 0)
        return arena_printf(ar, "((%s) >= %s ? (%s) : %s * (exp(%s) - %s))", x, zero, x, A, x, one);
    if (strcmp(s, "softsign") == 0)
        return arena_printf(ar, "((%s) / (%s + fabs(%s)))", x, one, x);
    return arena_printf(ar, "log(%s + exp(%s))", one, x); /* softplus */
}

/* C expression of the derivative of activation a, from its output y. */
static const char *act_deriv(Emit *e, const Act *a, const char *y) {
    Arena *ar = e->ctx->arena;
    DType t = e->node->in[0]->dtype;
    const char *A = emit_literal(e, t, a->alpha), *B = emit_literal(e, t, a->beta);
    const char *one = emit_literal(e, t, 1.0), *zero = emit_literal(e, t, 0.0);
    const char *s = a->name;
    if (strcmp(s, "sigmoid") == 0)
        return arena_printf(ar, "((%s) * (%s - (%s)))", y, one, y);
    if (strcmp(s, "tanh") == 0)
        return arena_printf(ar, "(%s - (%s) * (%s))", one, y, y);
    if (strcmp(s, "relu") == 0 || strcmp(s, "thresholdedrelu") == 0)
        return arena_printf(ar, "((%s) > %s ? %s : %s)", y, zero, one, zero);
    if (strcmp(s, "leakyrelu") == 0)
        return arena_printf(ar, "((%s) >= %s ? %s : %s)", y, zero, one, A);
    if (strcmp(s, "hardsigmoid") == 0)
        return arena_printf(ar, "((%s) > %s && (%s) < %s ? %s : %s)", y, zero, y, one, A, zero);
    if (strcmp(s, "affine") == 0)
        return A;
    if (strcmp(s, "scaledtanh") == 0)
        return arena_printf(ar, "(%s * %s * (%s - ((%s) / %s) * ((%s) / %s)))", A, B, one, y, A, y, A);
    if (strcmp(s, "elu") == 0)
        return arena_printf(ar, "((%s) >= %s ? %s : (%s) + %s)", y, zero, one, y, A);
    if (strcmp(s, "softsign") == 0)
        return arena_printf(ar, "((%s - fabs(%s)) * (%s - fabs(%s)))", one, y, one, y);
    return arena_printf(ar, "(%s - exp(-(%s)))", one, y); /* softplus */
}

/* Offsets (C expressions of t, b) of X[t, b, :], Y[t, d, b, :], the state
 * [d, b, :] and S[d, t, b, :]. */
static const char *idx_x(Emit *e, const Rnn *r, const char *t) {
    if (r->layout)
        return arena_printf(e->ctx->arena, "(b * %lld + %s) * %lld", (long long)r->T, t, (long long)r->I);
    return arena_printf(e->ctx->arena, "(%s * %lld + b) * %lld", t, (long long)r->N, (long long)r->I);
}

static const char *idx_y(Emit *e, const Rnn *r, int d, const char *t) {
    if (r->layout)
        return arena_printf(e->ctx->arena, "((b * %lld + %s) * %lld + %d) * %lld", (long long)r->T, t, (long long)r->D,
                            d, (long long)r->H);
    return arena_printf(e->ctx->arena, "((%s * %lld + %d) * %lld + b) * %lld", t, (long long)r->D, d, (long long)r->N,
                        (long long)r->H);
}

static const char *idx_state(Emit *e, const Rnn *r, int d) {
    if (r->layout)
        return arena_printf(e->ctx->arena, "(b * %lld + %d) * %lld", (long long)r->D, d, (long long)r->H);
    return arena_printf(e->ctx->arena, "(%lld + b) * %lld", (long long)(d * r->N), (long long)r->H);
}

static const char *idx_s(Emit *e, const Rnn *r, int d, const char *t) {
    return arena_printf(e->ctx->arena, "((%lld + %s) * %lld + b) * %lld", (long long)(d * r->T), t, (long long)r->N,
                        (long long)r->K);
}

/* The row's length and the loop header over its steps; `t` is the time
 * index of step s, `tp` the previous step's (valid when s > 0). */
static void emit_row_len(Emit *e, const Rnn *r, bool has_lens) {
    if (has_lens)
        emitf(e, "            int64_t len = (int64_t)x4[b];\n            if (len < 0) len = 0;\n"
                 "            if (len > %lld) len = %lld;\n",
              (long long)r->T, (long long)r->T);
    else
        emitf(e, "            const int64_t len = %lld;\n", (long long)r->T);
}

static void emit_step_index(Emit *e, bool reverse) {
    if (reverse)
        emitf(e, "                const int64_t t = len - 1 - s, tp = t + 1;\n");
    else
        emitf(e, "                const int64_t t = s, tp = t - 1;\n");
    emitf(e, "                (void)tp;\n");
}

/* ---------------------------------------------------------------- training forward */

bool emit_rnn_train(Emit *e) {
    const Node *n = e->node;
    Rnn r;
    if (!rnn_resolve(e, &r))
        return false;
    const char *T = r.ct;
    long long H = r.H, G = r.G, I = r.I, GH = r.G * r.H;
    const char *ws = emit_scratch(e, (size_t)(GH + 3 * H) * dtype_size(n->in[0]->dtype));
    bool has_b = n->n_in > 3 && n->in[3], has_lens = n->n_in > 4 && n->in[4];
    bool has_h0 = n->n_in > 5 && n->in[5], has_c0 = r.cell == CELL_LSTM && n->n_in > 6 && n->in[6];
    bool has_p = r.cell == CELL_LSTM && n->n_in > 7 && n->in[7];
    int yc = r.cell == CELL_LSTM ? 2 : -1, ys = n->n_out - 1;
    emitf(e, "    %s *a = (%s *)%s, *h = a + %lld, *c = h + %lld, *q = c + %lld;\n", T, T, ws, GH, H, H);
    emitf(e, "    (void)c; (void)q;\n");
    emitf(e, "    memset(y0, 0, %zu);\n", value_bytes(n->out[0]));
    for (int d = 0; d < r.D; d++) {
        bool reverse = d == 1 || strcmp(attr_string(n, "direction", "forward"), "reverse") == 0;
        const Act *f = &r.act[d][0], *g = &r.act[d][r.n_act > 1 ? 1 : 0], *hh = &r.act[d][r.n_act > 2 ? 2 : 0];
        emitf(e, "    {\n        const %s *W = x1 + %lld, *R = x2 + %lld;\n", T, (long long)d * GH * I,
              (long long)d * GH * H);
        if (has_b)
            emitf(e, "        const %s *Wb = x3 + %lld, *Rb = Wb + %lld;\n", T, (long long)d * 2 * GH, GH);
        if (has_p)
            emitf(e, "        const %s *P = x7 + %lld;\n", T, (long long)d * 3 * H);
        emitf(e, "        for (int64_t b = 0; b < %lld; b++) {\n", (long long)r.N);
        emit_row_len(e, &r, has_lens);
        if (has_h0)
            emitf(e, "            for (int64_t j = 0; j < %lld; j++) h[j] = x5[%s + j];\n", H, idx_state(e, &r, d));
        else
            emitf(e, "            memset(h, 0, %lld * sizeof(%s));\n", H, T);
        if (has_c0)
            emitf(e, "            for (int64_t j = 0; j < %lld; j++) c[j] = x6[%s + j];\n", H, idx_state(e, &r, d));
        else
            emitf(e, "            memset(c, 0, %lld * sizeof(%s));\n", H, T);
        emitf(e, "            for (int64_t s = 0; s < len; s++) {\n");
        emit_step_index(e, reverse);
        emitf(e, "                const %s *xt = x0 + %s;\n", T, idx_x(e, &r, "t"));
        emitf(e, "                %s *sv = y%d + %s;\n", T, ys, idx_s(e, &r, d, "t"));
        /* pre-activations: W x + Wb (+ R h + Rb, except GRU's h gate) */
        emitf(e, "                for (int64_t k = 0; k < %lld; k++) {\n", GH);
        emitf(e, "                    %s acc = %s;\n", T, has_b ? "Wb[k]" : "0");
        emitf(e, "                    for (int64_t i = 0; i < %lld; i++) acc += W[k * %lld + i] * xt[i];\n", I, I);
        if (r.cell == CELL_GRU)
            emitf(e, "                    if (k < %lld) {\n", 2 * H);
        else
            emitf(e, "                    {\n");
        if (has_b)
            emitf(e, "                        acc += Rb[k];\n");
        emitf(e, "                        for (int64_t i = 0; i < %lld; i++) acc += R[k * %lld + i] * h[i];\n", H, H);
        emitf(e, "                    }\n                    a[k] = acc;\n                }\n");
        if (r.cell == CELL_RNN) {
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", H);
            emitf(e, "                    h[j] = %s;\n", act_apply(e, &r, f, "a[j]"));
            emitf(e, "                    sv[j] = h[j];\n                }\n");
        } else if (r.cell == CELL_LSTM) {
            const char *pi = has_p ? " + P[j] * c[j]" : "", *pf = has_p ? " + P[2 * H_ + j] * c[j]" : "";
            const char *po = has_p ? " + P[H_ + j] * cn" : "";
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", H);
            emitf(e, "                    const int64_t H_ = %lld; (void)H_;\n", H);
            emitf(e, "                    %s ig = %s;\n", T, act_apply(e, &r, f, arena_printf(e->ctx->arena, "a[j]%s", pi)));
            emitf(e, "                    %s fg = %s;\n", T,
                  act_apply(e, &r, f, arena_printf(e->ctx->arena, "a[2 * H_ + j]%s", pf)));
            emitf(e, "                    %s cg = %s;\n", T, act_apply(e, &r, g, "a[3 * H_ + j]"));
            emitf(e, "                    %s cn = fg * c[j] + ig * cg;\n", T);
            emitf(e, "                    %s og = %s;\n", T,
                  act_apply(e, &r, f, arena_printf(e->ctx->arena, "a[H_ + j]%s", po)));
            emitf(e, "                    c[j] = cn;\n");
            emitf(e, "                    h[j] = og * %s;\n", act_apply(e, &r, hh, "cn"));
            emitf(e, "                    sv[j] = ig; sv[H_ + j] = og; sv[2 * H_ + j] = fg; sv[3 * H_ + j] = cg;\n");
            emitf(e, "                    sv[4 * H_ + j] = cn; sv[5 * H_ + j] = h[j];\n                }\n");
        } else {
            /* z, r; then the h gate's recurrent term: R_h (r . h) + Rb_h, or
             * r . (R_h h + Rb_h) with linear_before_reset */
            emitf(e, "                for (int64_t k = 0; k < %lld; k++) a[k] = %s;\n", 2 * H,
                  act_apply(e, &r, f, "a[k]"));
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", H);
            emitf(e, "                    %s acc = %s;\n", T, has_b ? arena_printf(e->ctx->arena, "Rb[%lld + j]", 2 * H) : "0");
            if (r.lbr) {
                emitf(e, "                    for (int64_t i = 0; i < %lld; i++) acc += R[(%lld + j) * %lld + i] * h[i];\n",
                      H, 2 * H, H);
                emitf(e, "                    q[j] = acc;\n");
            } else {
                emitf(e, "                    for (int64_t i = 0; i < %lld; i++) acc += R[(%lld + j) * %lld + i] * (a[%lld + i] * h[i]);\n",
                      H, 2 * H, H, H);
                emitf(e, "                    q[j] = acc;\n");
            }
            emitf(e, "                }\n");
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", H);
            emitf(e, "                    %s z = a[j], rr = a[%lld + j];\n", T, H);
            emitf(e, "                    %s hc = %s;\n", T,
                  act_apply(e, &r, g, arena_printf(e->ctx->arena, r.lbr ? "a[%lld + j] + rr * q[j]" : "a[%lld + j] + q[j]",
                                                   2 * H)));
            emitf(e, "                    sv[j] = z; sv[%lld + j] = rr; sv[%lld + j] = hc; sv[%lld + j] = q[j];\n", H,
                  2 * H, 4 * H);
            emitf(e, "                    sv[%lld + j] = (1 - z) * hc + z * h[j];\n                }\n", 3 * H);
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) h[j] = sv[%lld + j];\n", H, 3 * H);
            (void)hh;
        }
        emitf(e, "                for (int64_t j = 0; j < %lld; j++) y0[%s + j] = h[j];\n", H, idx_y(e, &r, d, "t"));
        emitf(e, "            }\n");
        emitf(e, "            for (int64_t j = 0; j < %lld; j++) y1[%s + j] = h[j];\n", H, idx_state(e, &r, d));
        if (yc >= 0)
            emitf(e, "            for (int64_t j = 0; j < %lld; j++) y%d[%s + j] = c[j];\n", H, yc, idx_state(e, &r, d));
        emitf(e, "        }\n    }\n");
    }
    (void)G;
    return true;
}

/* ---------------------------------------------------------------- backward */

bool emit_rnn_grad(Emit *e) {
    const Node *n = e->node;
    Rnn r;
    if (!rnn_resolve(e, &r))
        return false;
    const char *T = r.ct;
    long long H = r.H, I = r.I, GH = r.G * r.H, K = r.K;
    bool lstm = r.cell == CELL_LSTM;
    /* operand positions */
    int iS = lstm ? 8 : 6, idY = iS + 1, idYh = iS + 2, idYc = lstm ? iS + 3 : -1;
    bool has_b = n->in[3] != NULL, has_lens = n->in[4] != NULL, has_h0 = n->in[5] != NULL;
    bool has_c0 = lstm && n->in[6], has_p = lstm && n->in[7];
    bool has_dy = n->in[idY] != NULL, has_dyh = n->in[idYh] != NULL, has_dyc = lstm && n->in[idYc];
    const char *ws = emit_scratch(e, (size_t)(2 * GH + 6 * H) * dtype_size(n->in[0]->dtype));
    emitf(e, "    %s *da = (%s *)%s, *dq = da + %lld, *dh = dq + %lld, *dc = dh + %lld, *zero = dc + %lld;\n", T, T, ws,
          GH, GH, H, H);
    emitf(e, "    %s *tmp = zero + %lld, *c0 = tmp + %lld;\n", T, H, H);
    emitf(e, "    (void)dq; (void)dc; (void)tmp; (void)c0;\n");
    emitf(e, "    memset(zero, 0, %lld * sizeof(%s));\n", H, T);
    for (int k = 0; k < n->n_out; k++)
        emitf(e, "    memset(y%d, 0, %zu);\n", k, value_bytes(n->out[k]));
    for (int d = 0; d < r.D; d++) {
        bool reverse = d == 1 || strcmp(attr_string(n, "direction", "forward"), "reverse") == 0;
        const Act *f = &r.act[d][0], *g = &r.act[d][r.n_act > 1 ? 1 : 0], *hh = &r.act[d][r.n_act > 2 ? 2 : 0];
        emitf(e, "    {\n        const %s *W = x1 + %lld, *R = x2 + %lld;\n", T, (long long)d * GH * I,
              (long long)d * GH * H);
        emitf(e, "        %s *dW = y1 + %lld, *dR = y2 + %lld, *dWb = y3 + %lld, *dRb = dWb + %lld;\n", T,
              (long long)d * GH * I, (long long)d * GH * H, (long long)d * 2 * GH, GH);
        if (has_p)
            emitf(e, "        const %s *P = x7 + %lld;\n", T, (long long)d * 3 * H);
        if (lstm)
            emitf(e, "        %s *dP = y6 + %lld;\n", T, (long long)d * 3 * H);
        emitf(e, "        for (int64_t b = 0; b < %lld; b++) {\n", (long long)r.N);
        emit_row_len(e, &r, has_lens);
        const char *st = idx_state(e, &r, d);
        if (has_dyh)
            emitf(e, "            for (int64_t j = 0; j < %lld; j++) dh[j] = x%d[%s + j];\n", H, idYh, st);
        else
            emitf(e, "            memset(dh, 0, %lld * sizeof(%s));\n", H, T);
        if (lstm) {
            if (has_dyc)
                emitf(e, "            for (int64_t j = 0; j < %lld; j++) dc[j] = x%d[%s + j];\n", H, idYc, st);
            else
                emitf(e, "            memset(dc, 0, %lld * sizeof(%s));\n", H, T);
            if (has_c0)
                emitf(e, "            for (int64_t j = 0; j < %lld; j++) c0[j] = x6[%s + j];\n", H, st);
            else
                emitf(e, "            memset(c0, 0, %lld * sizeof(%s));\n", H, T);
        }
        emitf(e, "            for (int64_t s = len - 1; s >= 0; s--) {\n");
        emit_step_index(e, reverse);
        emitf(e, "                const %s *xt = x0 + %s;\n", T, idx_x(e, &r, "t"));
        emitf(e, "                %s *dxt = y0 + %s;\n", T, idx_x(e, &r, "t"));
        emitf(e, "                const %s *sv = x%d + %s;\n", T, iS, idx_s(e, &r, d, "t"));
        /* hidden (and cell) state before the step */
        emitf(e, "                const %s *hp = s > 0 ? x%d + %s + %lld : %s;\n", T, iS, idx_s(e, &r, d, "tp"),
              lstm ? 5 * H : r.cell == CELL_GRU ? 3 * H : 0,
              has_h0 ? arena_printf(e->ctx->arena, "x5 + %s", st) : "zero");
        if (lstm)
            emitf(e, "                const %s *cp = s > 0 ? x%d + %s + %lld : c0;\n", T, iS, idx_s(e, &r, d, "tp"),
                  4 * H);
        if (has_dy)
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) dh[j] += x%d[%s + j];\n", H, idY,
                  idx_y(e, &r, d, "t"));
        /* da: gradient of the gate pre-activations; dq: what multiplies the
         * rows of R when it differs from da (GRU h gate) */
        if (r.cell == CELL_RNN) {
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) da[j] = dh[j] * %s;\n", H,
                  act_deriv(e, f, "sv[j]"));
        } else if (lstm) {
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", H);
            emitf(e, "                    const int64_t H_ = %lld;\n", H);
            emitf(e, "                    %s ig = sv[j], og = sv[H_ + j], fg = sv[2 * H_ + j], cg = sv[3 * H_ + j];\n", T);
            emitf(e, "                    %s cn = sv[4 * H_ + j], hc = %s;\n", T, act_apply(e, &r, hh, "cn"));
            emitf(e, "                    %s dao = dh[j] * hc * %s;\n", T, act_deriv(e, f, "og"));
            emitf(e, "                    %s dC = dc[j] + dh[j] * og * %s%s;\n", T, act_deriv(e, hh, "hc"),
                  has_p ? " + dao * P[H_ + j]" : "");
            emitf(e, "                    %s dai = dC * cg * %s;\n", T, act_deriv(e, f, "ig"));
            emitf(e, "                    %s daf = dC * cp[j] * %s;\n", T, act_deriv(e, f, "fg"));
            emitf(e, "                    %s dac = dC * ig * %s;\n", T, act_deriv(e, g, "cg"));
            emitf(e, "                    dc[j] = dC * fg%s;\n", has_p ? " + dai * P[j] + daf * P[2 * H_ + j]" : "");
            emitf(e, "                    da[j] = dai; da[H_ + j] = dao; da[2 * H_ + j] = daf; da[3 * H_ + j] = dac;\n");
            emitf(e, "                    dP[j] += dai * cp[j]; dP[H_ + j] += dao * cn; dP[2 * H_ + j] += daf * cp[j];\n");
            emitf(e, "                }\n");
        } else {
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", H);
            emitf(e, "                    %s z = sv[j], rr = sv[%lld + j], hc = sv[%lld + j];\n", T, H, 2 * H);
            emitf(e, "                    (void)rr;\n");
            emitf(e, "                    da[j] = dh[j] * (hp[j] - hc) * %s;\n", act_deriv(e, f, "z"));
            emitf(e, "                    da[%lld + j] = dh[j] * (1 - z) * %s;\n", 2 * H, act_deriv(e, g, "hc"));
            emitf(e, "                    tmp[j] = dh[j] * z;\n");
            if (r.lbr) {
                emitf(e, "                    da[%lld + j] = da[%lld + j] * sv[%lld + j] * %s;\n", H, 2 * H, 4 * H,
                      act_deriv(e, f, "rr"));
                emitf(e, "                    dq[%lld + j] = da[%lld + j] * rr;\n", 2 * H, 2 * H);
            }
            emitf(e, "                }\n");
            if (!r.lbr) {
                /* d(r . h) = R_h^T da_h */
                emitf(e, "                for (int64_t i = 0; i < %lld; i++) dq[i] = 0;\n", H);
                emitf(e, "                for (int64_t j = 0; j < %lld; j++)\n", H);
                emitf(e, "                    for (int64_t i = 0; i < %lld; i++) dq[i] += R[(%lld + j) * %lld + i] * da[%lld + j];\n",
                      H, 2 * H, H, 2 * H);
                emitf(e, "                for (int64_t i = 0; i < %lld; i++) {\n", H);
                emitf(e, "                    %s rr = sv[%lld + i];\n", T, H);
                emitf(e, "                    da[%lld + i] = dq[i] * hp[i] * %s;\n", H, act_deriv(e, f, "rr"));
                emitf(e, "                    tmp[i] += dq[i] * rr;\n                }\n");
            }
        }
        /* parameter gradients: dW += da x^T, dWb += da, dR/dRb likewise */
        emitf(e, "                for (int64_t k = 0; k < %lld; k++) {\n", GH);
        emitf(e, "                    %s g = da[k];\n", T);
        emitf(e, "                    dWb[k] += g;\n");
        emitf(e, "                    for (int64_t i = 0; i < %lld; i++) dW[k * %lld + i] += g * xt[i];\n", I, I);
        emitf(e, "                    for (int64_t i = 0; i < %lld; i++) dxt[i] += g * W[k * %lld + i];\n", I, I);
        if (r.cell == CELL_GRU) {
            emitf(e, "                    if (k < %lld) {\n", 2 * H);
            emitf(e, "                        dRb[k] += g;\n");
            emitf(e, "                        for (int64_t i = 0; i < %lld; i++) dR[k * %lld + i] += g * hp[i];\n", H, H);
            emitf(e, "                    } else {\n");
            if (r.lbr) {
                emitf(e, "                        %s gq = dq[k];\n", T);
                emitf(e, "                        dRb[k] += gq;\n");
                emitf(e, "                        for (int64_t i = 0; i < %lld; i++) dR[k * %lld + i] += gq * hp[i];\n", H, H);
            } else {
                emitf(e, "                        dRb[k] += g;\n");
                emitf(e, "                        for (int64_t i = 0; i < %lld; i++) dR[k * %lld + i] += g * (sv[%lld + i] * hp[i]);\n",
                      H, H, H);
            }
            emitf(e, "                    }\n");
        } else {
            emitf(e, "                    dRb[k] += g;\n");
            emitf(e, "                    for (int64_t i = 0; i < %lld; i++) dR[k * %lld + i] += g * hp[i];\n", H, H);
        }
        emitf(e, "                }\n");
        /* dH of the previous step */
        if (r.cell == CELL_GRU) {
            emitf(e, "                for (int64_t i = 0; i < %lld; i++) dh[i] = tmp[i];\n", H);
            emitf(e, "                for (int64_t k = 0; k < %lld; k++)\n", r.lbr ? GH : 2 * H);
            emitf(e, "                    for (int64_t i = 0; i < %lld; i++) dh[i] += R[k * %lld + i] * %s;\n", H, H,
                  r.lbr ? arena_printf(e->ctx->arena, "(k < %lld ? da[k] : dq[k])", 2 * H) : "da[k]");
        } else {
            emitf(e, "                for (int64_t i = 0; i < %lld; i++) dh[i] = 0;\n", H);
            emitf(e, "                for (int64_t k = 0; k < %lld; k++)\n", GH);
            emitf(e, "                    for (int64_t i = 0; i < %lld; i++) dh[i] += R[k * %lld + i] * da[k];\n", H, H);
        }
        emitf(e, "            }\n");
        emitf(e, "            for (int64_t j = 0; j < %lld; j++) y4[%s + j] = dh[j];\n", H, st);
        if (lstm)
            emitf(e, "            for (int64_t j = 0; j < %lld; j++) y5[%s + j] = dc[j];\n", H, st);
        emitf(e, "        }\n    }\n");
    }
    (void)K;
    (void)has_b;
    return true;
}
