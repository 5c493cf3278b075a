/*
 * emit_rnn.c: kernels of the recurrent operators RNN, LSTM and GRU
 * (ir/ops_rnn.def), inference form.
 *
 * The emitter unrolls the directions, so each direction gets its own
 * activation functions written inline.  For one direction the kernel first
 * computes the input projection of every time step at once, XW = X W^T
 * (one [T*N, G*H] x [G*H, I]^T product with dlcc_sgemm from
 * runtime/gemm.h), and adds the biases that do not depend on the state
 * (Wb + Rb, except GRU's Rb_h under linear_before_reset).  Then each step
 * multiplies the state of all batch rows by R^T (one [N, H] x [H, G*H]
 * product) and applies the cell's gate arithmetic row by row.  A row's
 * sequence length decides its steps: a reverse direction starts at time
 * len-1 of its row, rows whose length is used up keep their state, and Y
 * is zero at t >= len.  GRU without linear_before_reset needs a second
 * product per step, (r . H) R_h^T, once the reset gate is known.
 *
 * Semantics follow emit_grad_rnn.c (the training form that the gradient
 * rule substitutes), which follows onnxruntime: clip bounds each gate's
 * pre-activation, input_forget makes f = 1 - i, the peepholes P = [Pi, Po,
 * Pf] add to the gates' pre-activations, activation_alpha/_beta are
 * consumed in order by the activations that take them.  f32 runs on the
 * GEMM; f64 uses plain loops.
 */
#include <ctype.h>
#include <string.h>

#include "emit_nn.h"

typedef enum RnnCell { RNN_CELL_RNN, RNN_CELL_LSTM, RNN_CELL_GRU } RnnCell;

typedef struct RnnAct {
    const char *name; /* lower case */
    double alpha, beta;
} RnnAct;

typedef struct RnnInfo {
    RnnCell cell;
    int64_t T, N, I, H, D, G, GH;
    int layout;
    bool lbr;          /* GRU linear_before_reset */
    bool has_clip;
    double clip;
    bool input_forget;
    int n_act;         /* activations per direction: 1, 3, 2 */
    RnnAct act[2][3];  /* [direction][f, g, h] */
    DType t;
    const char *ct;    /* C type */
    bool f32;
} RnnInfo;

static bool rnn_act_known(const char *s) {
    static const char *const names[] = {"sigmoid", "tanh",   "relu",       "leakyrelu", "thresholdedrelu", "hardsigmoid",
                                        "affine",  "scaledtanh", "elu", "softsign",  "softplus"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i]) == 0)
            return true;
    return false;
}

/* Default alpha/beta, and whether the activation consumes an entry of
 * activation_alpha / activation_beta. */
static void rnn_act_defaults(RnnAct *a, bool *uses_alpha, bool *uses_beta) {
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

static bool rnn_resolve_info(Emit *e, RnnInfo *r) {
    const Node *n = e->node;
    memset(r, 0, sizeof *r);
    switch (n->op) {
    case OP_LSTM:
        r->cell = RNN_CELL_LSTM, r->G = 4, r->n_act = 3;
        break;
    case OP_GRU:
        r->cell = RNN_CELL_GRU, r->G = 3, r->n_act = 2;
        break;
    default:
        r->cell = RNN_CELL_RNN, r->G = 1, r->n_act = 1;
        break;
    }
    const Value *x = n->in[0];
    r->t = x->dtype;
    if (r->t != DT_F32 && r->t != DT_F64)
        return emit_error(e, "%s in %s is not supported (f32 and f64 are)", node_info(n)->name, dtype_name(r->t));
    r->f32 = r->t == DT_F32;
    r->ct = dtype_ctype(r->t);
    r->layout = (int)attr_int(n, "layout", 0);
    r->T = r->layout ? x->dims[1] : x->dims[0];
    r->N = r->layout ? x->dims[0] : x->dims[1];
    r->I = x->dims[2];
    r->D = n->in[1]->dims[0];
    r->H = n->in[2]->dims[2];
    r->GH = r->G * r->H;
    r->lbr = r->cell == RNN_CELL_GRU && attr_int(n, "linear_before_reset", 0) != 0;
    r->has_clip = node_attr(n, "clip") != NULL;
    r->clip = attr_float(n, "clip", 0.0);
    r->input_forget = r->cell == RNN_CELL_LSTM && attr_int(n, "input_forget", 0) != 0;
    static const char *const defaults[3][3] = {{"tanh"}, {"sigmoid", "tanh", "tanh"}, {"sigmoid", "tanh"}};
    const Attr *acts = node_attr(n, "activations");
    const Attr *al = node_attr(n, "activation_alpha"), *be = node_attr(n, "activation_beta");
    int n_given = acts && acts->kind == AT_STRINGS ? acts->n : 0;
    if (n_given && n_given != r->n_act && n_given != r->n_act * r->D)
        return emit_error(e, "expected %d or %d activations, got %d", r->n_act, (int)(r->n_act * r->D), n_given);
    int ia = 0, ib = 0;
    for (int d = 0; d < r->D; d++)
        for (int k = 0; k < r->n_act; k++) {
            RnnAct *a = &r->act[d][k];
            const char *s = defaults[r->cell][k];
            if (n_given)
                s = acts->strings[(d * r->n_act + k) % n_given];
            char *low = arena_strdup(e->ctx->arena, s);
            for (char *p = low; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            if (!rnn_act_known(low))
                return emit_error(e, "unknown activation '%s'", s);
            a->name = low;
            bool ua, ub;
            rnn_act_defaults(a, &ua, &ub);
            if (ua && al && ia < al->n)
                a->alpha = al->floats[ia++];
            if (ub && be && ib < be->n)
                a->beta = be->floats[ib++];
        }
    return true;
}

/* C expression of activation a applied to the variable (or simple
 * expression) v. */
static const char *rnn_act_expr(Emit *e, const RnnInfo *r, const RnnAct *a, const char *v) {
    Arena *ar = e->ctx->arena;
    const char *A = emit_literal(e, r->t, a->alpha), *B = emit_literal(e, r->t, a->beta);
    const char *one = emit_literal(e, r->t, 1.0), *zero = emit_literal(e, r->t, 0.0);
    const char *s = a->name;
    /* the inline exp and tanh of runtime/math.h: gate loops vectorise */
    const char *ex = "DLCC_EXP", *th = "DLCC_TANH";
    if (strcmp(s, "sigmoid") == 0)
        return arena_printf(ar, "(%s / (%s + %s(-(%s))))", one, one, ex, v);
    if (strcmp(s, "tanh") == 0)
        return arena_printf(ar, "%s(%s)", th, v);
    if (strcmp(s, "relu") == 0)
        return arena_printf(ar, "((%s) > %s ? (%s) : %s)", v, zero, v, zero);
    if (strcmp(s, "leakyrelu") == 0)
        return arena_printf(ar, "((%s) >= %s ? (%s) : %s * (%s))", v, zero, v, A, v);
    if (strcmp(s, "thresholdedrelu") == 0)
        return arena_printf(ar, "((%s) > %s ? (%s) : %s)", v, A, v, zero);
    if (strcmp(s, "hardsigmoid") == 0)
        return arena_printf(ar, "%s(%s, %s(%s, %s * (%s) + %s))", nn_math_fn(e, r->t, "fmax"), zero,
                            nn_math_fn(e, r->t, "fmin"), one, A, v, B);
    if (strcmp(s, "affine") == 0)
        return arena_printf(ar, "(%s * (%s) + %s)", A, v, B);
    if (strcmp(s, "scaledtanh") == 0)
        return arena_printf(ar, "(%s * %s(%s * (%s)))", A, th, B, v);
    if (strcmp(s, "elu") == 0)
        return arena_printf(ar, "((%s) >= %s ? (%s) : %s * (%s(%s) - %s))", v, zero, v, A, ex, v, one);
    if (strcmp(s, "softsign") == 0)
        return arena_printf(ar, "((%s) / (%s + %s(%s)))", v, one, nn_math_fn(e, r->t, "fabs"), v);
    return arena_printf(ar, "%s(%s + %s(%s))", nn_math_fn(e, r->t, "log"), one, ex, v); /* softplus */
}

/* `v = clip(v)` when the clip attribute is set (empty otherwise). */
static const char *rnn_clip_stmt(Emit *e, const RnnInfo *r, const char *v) {
    if (!r->has_clip)
        return "";
    const char *c = emit_literal(e, r->t, r->clip), *nc = emit_literal(e, r->t, -r->clip);
    return arena_printf(e->ctx->arena, " %s = %s < %s ? %s : %s > %s ? %s : %s;", v, v, nc, nc, v, c, c, v);
}

/* C = A B^T for A [M, K] (row stride lda) and B [Nc, K] (row stride ldb),
 * C [M, Nc] (row stride ldc): dlcc_sgemm for f32, loops otherwise. */
static void rnn_emit_mm(Emit *e, const RnnInfo *r, const char *ind, int64_t M, int64_t Nc, int64_t K, const char *A,
                        int64_t lda, const char *B, int64_t ldb, const char *C, int64_t ldc) {
    if (r->f32) {
        emitf(e, "%sdlcc_sgemm(%lld, %lld, %lld, 1.0f, %s, %lld, 1, %s, 1, %lld, 0.0f, %s, %lld, pk);\n", ind, LL(M),
              LL(Nc), LL(K), A, LL(lda), B, LL(ldb), C, LL(ldc));
        return;
    }
    emitf(e, "%sfor (int64_t m_ = 0; m_ < %lld; m_++)\n", ind, LL(M));
    emitf(e, "%s    for (int64_t n_ = 0; n_ < %lld; n_++) {\n", ind, LL(Nc));
    emitf(e, "%s        %s acc_ = 0;\n", ind, r->ct);
    emitf(e, "%s        for (int64_t k_ = 0; k_ < %lld; k_++) acc_ += (%s)[m_ * %lld + k_] * (%s)[n_ * %lld + k_];\n",
          ind, LL(K), A, LL(lda), B, LL(ldb));
    emitf(e, "%s        (%s)[m_ * %lld + n_] = acc_;\n", ind, C, LL(ldc));
    emitf(e, "%s    }\n", ind);
}

static int64_t rnn_max3(int64_t a, int64_t b, int64_t c) {
    int64_t m = a > b ? a : b;
    return m > c ? m : c;
}

bool emit_rnn(Emit *e) {
    const Node *n = e->node;
    RnnInfo r;
    if (!rnn_resolve_info(e, &r))
        return false;
    Arena *ar = e->ctx->arena;
    const char *T = r.ct;
    int64_t N = r.N, H = r.H, I = r.I, GH = r.GH, TT = r.T, D = r.D;
    bool has_b = n->n_in > 3 && n->in[3], has_lens = n->n_in > 4 && n->in[4];
    bool has_h0 = n->n_in > 5 && n->in[5];
    bool lstm = r.cell == RNN_CELL_LSTM, gru = r.cell == RNN_CELL_GRU;
    bool has_c0 = lstm && n->n_in > 6 && n->in[6], has_p = lstm && n->n_in > 7 && n->in[7];
    bool has_y = n->n_out > 0 && n->out[0], has_yh = n->n_out > 1 && n->out[1];
    bool has_yc = lstm && n->n_out > 2 && n->out[2];
    if (!has_y && !has_yh && !has_yc)
        return true;
    /* scratch, in elements of T: xw [T*N, GH], hr [N, GH], h [N, H], c [N, H],
     * q [N, H] (GRU), rh [N, H] (GRU), bias [GH], then the GEMM packing space */
    size_t es = dtype_size(r.t);
    int64_t n_xw = TT * N * GH, n_hr = N * GH, n_st = N * H;
    int64_t elems = n_xw + n_hr + 4 * n_st + GH;
    elems = (elems + 15) / 16 * 16;
    size_t pack = r.f32 ? (size_t)rnn_max3((int64_t)nn_sgemm_pack_bytes(TT * N, GH, I),
                                           (int64_t)nn_sgemm_pack_bytes(N, GH, H), (int64_t)nn_sgemm_pack_bytes(N, H, H))
                        : 0;
    const char *ws = emit_scratch(e, (size_t)elems * es + pack);
    emit_use_runtime(e, "math"); /* DLCC_EXP, DLCC_TANH (rnn_act_expr) */
    if (r.f32)
        emit_use_runtime(e, "gemm");
    emitf(e, "    %s *xw = (%s *)%s, *hr = xw + %lld, *h = hr + %lld, *c = h + %lld, *q = c + %lld, *rh = q + %lld, "
             "*bs = rh + %lld;\n",
          T, T, ws, LL(n_xw), LL(n_hr), LL(n_st), LL(n_st), LL(n_st), LL(n_st));
    emitf(e, "    (void)c; (void)q; (void)rh; (void)bs;\n");
    if (r.f32)
        emitf(e, "    float *pk = (float *)((char *)%s + %zu);\n", ws, (size_t)elems * es);
    if (has_y && (has_lens || TT * N == 0))
        emitf(e, "    memset(y0, 0, %zu);\n", value_bytes(n->out[0]));
    /* lengths */
    if (has_lens) {
        emitf(e, "    int64_t lens[%lld];\n", LL(N ? N : 1));
        emitf(e, "    for (int64_t b = 0; b < %lld; b++) {\n", LL(N));
        emitf(e, "        int64_t l = (int64_t)x4[b];\n");
        emitf(e, "        lens[b] = l < 0 ? 0 : l > %lld ? %lld : l;\n    }\n", LL(TT), LL(TT));
    }
    const char *dir = attr_string(n, "direction", "forward");
    for (int d = 0; d < D; d++) {
        bool reverse = d == 1 || strcmp(dir, "reverse") == 0;
        const RnnAct *f = &r.act[d][0], *g = &r.act[d][r.n_act > 1 ? 1 : 0], *hh = &r.act[d][r.n_act > 2 ? 2 : 0];
        emitf(e, "    {\n        const %s *W = x1 + %lld, *R = x2 + %lld;\n", T, LL(d * GH * I), LL(d * GH * H));
        emitf(e, "        (void)W; (void)R;\n");
        /* input projection of all steps and the constant biases */
        if (TT * N > 0)
            rnn_emit_mm(e, &r, "        ", TT * N, GH, I, "x0", I, "W", I, "xw", GH);
        if (has_b) {
            emitf(e, "        const %s *Wb = x3 + %lld, *Rb = Wb + %lld;\n", T, LL(d * 2 * GH), LL(GH));
            if (r.lbr)
                emitf(e, "        for (int64_t k = 0; k < %lld; k++) bs[k] = Wb[k] + (k < %lld ? Rb[k] : 0);\n",
                      LL(GH), LL(2 * H));
            else
                emitf(e, "        for (int64_t k = 0; k < %lld; k++) bs[k] = Wb[k] + Rb[k];\n", LL(GH));
            emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n", LL(TT * N));
            emitf(e, "            for (int64_t k = 0; k < %lld; k++) xw[i * %lld + k] += bs[k];\n", LL(GH), LL(GH));
        }
        if (has_p)
            emitf(e, "        const %s *P = x7 + %lld;\n", T, LL(d * 3 * H));
        /* initial states */
        const char *st_idx = r.layout ? arena_printf(ar, "(b * %lld + %d) * %lld", LL(D), d, LL(H))
                                      : arena_printf(ar, "(%lld + b) * %lld", LL(d * N), LL(H));
        emitf(e, "        for (int64_t b = 0; b < %lld; b++)\n", LL(N));
        emitf(e, "            for (int64_t j = 0; j < %lld; j++) {\n", LL(H));
        emitf(e, "                h[b * %lld + j] = %s;\n", LL(H), has_h0 ? arena_printf(ar, "x5[%s + j]", st_idx) : "0");
        if (lstm)
            emitf(e, "                c[b * %lld + j] = %s;\n", LL(H), has_c0 ? arena_printf(ar, "x6[%s + j]", st_idx) : "0");
        emitf(e, "            }\n");
        /* the steps */
        const char *row = r.layout ? arena_printf(ar, "b * %lld + t", LL(TT)) : arena_printf(ar, "t * %lld + b", LL(N));
        const char *yi = r.layout ? arena_printf(ar, "((b * %lld + t) * %lld + %d) * %lld", LL(TT), LL(D), d, LL(H))
                                  : arena_printf(ar, "((t * %lld + %d) * %lld + b) * %lld", LL(D), d, LL(N), LL(H));
        const char *len = has_lens ? "lens[b]" : arena_printf(ar, "(int64_t)%lld", LL(TT));
        emitf(e, "        for (int64_t s = 0; s < %lld; s++) {\n", LL(TT));
        /* recurrent product: all gates (GRU without linear_before_reset: z, r only) */
        int64_t nrec = gru && !r.lbr ? 2 * H : GH;
        rnn_emit_mm(e, &r, "            ", N, nrec, H, "h", H, "R", H, "hr", GH);
        /* a, g, hb (and cb) point into the distinct xw, hr, h (and c)
         * regions of the scratch, which the gate loops reach through them
         * only: restrict lets those loops vectorise */
        const char *loop_head = arena_printf(ar,
                                             "            for (int64_t b = 0; b < %lld; b++) {\n"
                                             "                if (s >= %s) continue;\n"
                                             "                const int64_t t = %s;\n"
                                             "                const %s *restrict a = xw + (%s) * %lld;\n"
                                             "                %s *restrict g = hr + b * %lld, *restrict hb = h + b * %lld;\n"
                                             "                (void)a; (void)g; (void)hb;\n",
                                             LL(N), len, reverse ? arena_printf(ar, "%s - 1 - s", len) : "s", T, row,
                                             LL(GH), T, LL(GH), LL(H));
        emitf(e, "%s", loop_head);
        if (r.cell == RNN_CELL_RNN) {
            emitf(e, "                DLCC_IVDEP\n");
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", LL(H));
            emitf(e, "                    %s v = a[j] + g[j];%s\n", T, rnn_clip_stmt(e, &r, "v"));
            emitf(e, "                    hb[j] = %s;\n                }\n", rnn_act_expr(e, &r, f, "v"));
        } else if (lstm) {
            emitf(e, "                %s *restrict cb = c + b * %lld;\n", T, LL(H));
            emitf(e, "                DLCC_IVDEP\n");
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", LL(H));
            emitf(e, "                    const %s cp = cb[j];\n", T);
            emitf(e, "                    %s vi = a[j] + g[j]%s;%s\n", T, has_p ? " + P[j] * cp" : "",
                  rnn_clip_stmt(e, &r, "vi"));
            emitf(e, "                    const %s ig = %s;\n", T, rnn_act_expr(e, &r, f, "vi"));
            if (r.input_forget) {
                emitf(e, "                    const %s fg = 1 - ig;\n", T);
            } else {
                emitf(e, "                    %s vf = a[%lld + j] + g[%lld + j]%s;%s\n", T, LL(2 * H), LL(2 * H),
                      has_p ? arena_printf(ar, " + P[%lld + j] * cp", LL(2 * H)) : "", rnn_clip_stmt(e, &r, "vf"));
                emitf(e, "                    const %s fg = %s;\n", T, rnn_act_expr(e, &r, f, "vf"));
            }
            emitf(e, "                    %s vc = a[%lld + j] + g[%lld + j];%s\n", T, LL(3 * H), LL(3 * H),
                  rnn_clip_stmt(e, &r, "vc"));
            emitf(e, "                    const %s cn = fg * cp + ig * %s;\n", T, rnn_act_expr(e, &r, g, "vc"));
            emitf(e, "                    %s vo = a[%lld + j] + g[%lld + j]%s;%s\n", T, LL(H), LL(H),
                  has_p ? arena_printf(ar, " + P[%lld + j] * cn", LL(H)) : "", rnn_clip_stmt(e, &r, "vo"));
            emitf(e, "                    const %s og = %s;\n", T, rnn_act_expr(e, &r, f, "vo"));
            emitf(e, "                    cb[j] = cn;\n");
            emitf(e, "                    hb[j] = og * %s;\n                }\n", rnn_act_expr(e, &r, hh, "cn"));
        } else {
            /* z and r, activated in place in g */
            emitf(e, "                DLCC_IVDEP\n");
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", LL(2 * H));
            emitf(e, "                    %s v = a[j] + g[j];%s\n", T, rnn_clip_stmt(e, &r, "v"));
            emitf(e, "                    g[j] = %s;\n                }\n", rnn_act_expr(e, &r, f, "v"));
            if (r.lbr) {
                const char *rbh = has_b ? arena_printf(ar, " + Rb[%lld + j]", LL(2 * H)) : "";
                emitf(e, "                DLCC_IVDEP\n");
                emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", LL(H));
                emitf(e, "                    %s v = a[%lld + j] + g[%lld + j] * (g[%lld + j]%s);%s\n", T, LL(2 * H),
                      LL(H), LL(2 * H), rbh, rnn_clip_stmt(e, &r, "v"));
                emitf(e, "                    const %s hc = %s, z = g[j];\n", T, rnn_act_expr(e, &r, g, "v"));
                emitf(e, "                    hb[j] = (1 - z) * hc + z * hb[j];\n                }\n");
            } else {
                emitf(e, "                for (int64_t j = 0; j < %lld; j++) rh[b * %lld + j] = g[%lld + j] * hb[j];\n",
                      LL(H), LL(H), LL(H));
            }
        }
        if (!(gru && !r.lbr) && has_y)
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) y0[%s + j] = hb[j];\n", LL(H), yi);
        emitf(e, "            }\n");
        if (gru && !r.lbr) {
            /* h gate: (r . h) R_h^T, then the update of the active rows */
            rnn_emit_mm(e, &r, "            ", N, H, H, "rh", H, arena_printf(ar, "R + %lld", LL(2 * H * H)), H, "q", H);
            emitf(e, "%s", loop_head);
            emitf(e, "                DLCC_IVDEP\n");
            emitf(e, "                for (int64_t j = 0; j < %lld; j++) {\n", LL(H));
            emitf(e, "                    %s v = a[%lld + j] + q[b * %lld + j];%s\n", T, LL(2 * H), LL(H),
                  rnn_clip_stmt(e, &r, "v"));
            emitf(e, "                    const %s hc = %s, z = g[j];\n", T, rnn_act_expr(e, &r, g, "v"));
            emitf(e, "                    hb[j] = (1 - z) * hc + z * hb[j];\n                }\n");
            if (has_y)
                emitf(e, "                for (int64_t j = 0; j < %lld; j++) y0[%s + j] = hb[j];\n", LL(H), yi);
            emitf(e, "            }\n");
        }
        emitf(e, "        }\n");
        (void)hh;
        /* final states */
        emitf(e, "        for (int64_t b = 0; b < %lld; b++)\n", LL(N));
        emitf(e, "            for (int64_t j = 0; j < %lld; j++) {\n", LL(H));
        if (has_yh)
            emitf(e, "                y1[%s + j] = h[b * %lld + j];\n", st_idx, LL(H));
        if (has_yc)
            emitf(e, "                y2[%s + j] = c[b * %lld + j];\n", st_idx, LL(H));
        emitf(e, "            }\n");
        emitf(e, "    }\n");
    }
    return true;
}
