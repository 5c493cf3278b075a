/*
 * emit_grad.c: kernels of the backward helper operators (ir/ops_grad.def).
 *
 * They run in f32 or f64 (training in other float types is refused).
 * Broadcasting kernels (SumTo, ExpandTo, BinaryGrad) recognise the two
 * common layouts, broadcast over leading axes (bias gradients) and over
 * trailing axes, and otherwise compute the broadcast operand's offset from
 * the linear index with constant divisions.  UnaryGrad and BinaryGrad hold
 * the table of derivatives, keyed by the forward op's ONNX name.  Optimizer
 * updates follow torch.optim's single-tensor code (torch 1.13) operation by
 * operation, so that trajectories agree to rounding.  The ONNX training
 * operators (Adagrad, Momentum, Adam of ai.onnx.preview.training) follow
 * the ONNX operator documents, scalars computed in double.  SliceGrad and
 * PadGrad (edge / reflect / wrap) scatter dy back with the forward's index
 * arithmetic.  Convolution, pooling, normalisation, dropout and Resize
 * helpers are in emit_grad_nn.c.
 */
#include <math.h>
#include <string.h>

#include "codegen.h"

static bool grad_dtype_ok(Emit *e, DType t) {
    if (t == DT_F32 || t == DT_F64)
        return true;
    return emit_error(e, "training in %s is not supported (f32 and f64 are)", dtype_name(t));
}

static const char *lit(Emit *e, DType t, double x) { return emit_literal(e, t, x); }

/* Right-aligns small (rank sr) to big (rank br): s[k] is 1 for missing axes. */
static void pad_dims(int br, int sr, const int64_t *sd, int64_t *s) {
    for (int k = 0; k < br; k++)
        s[k] = k - (br - sr) >= 0 ? sd[k - (br - sr)] : 1;
}

typedef enum Layout { LAY_SAME, LAY_SCALAR, LAY_LEAD, LAY_TRAIL, LAY_GENERAL } Layout;

/* How small broadcasts to big: equal, one element, over leading axes (small
 * equals big's trailing axes), over trailing axes, or anything else.  *inner
 * receives the size of the kept trailing block (LAY_LEAD) or of the
 * broadcast trailing block (LAY_TRAIL). */
static Layout bcast_layout(int br, const int64_t *bd, int sr, const int64_t *sd, int64_t *inner) {
    int64_t s[DLCC_MAX_RANK], nb = 1, ns = 1;
    pad_dims(br, sr, sd, s);
    for (int k = 0; k < br; k++)
        nb *= bd[k], ns *= s[k];
    *inner = 1;
    if (ns == nb)
        return LAY_SAME;
    if (ns == 1)
        return LAY_SCALAR;
    int p = 0;
    while (p < br && s[p] == 1)
        p++;
    bool lead = true;
    for (int k = p; k < br; k++)
        lead = lead && s[k] == bd[k];
    if (lead) {
        *inner = ns;
        return LAY_LEAD;
    }
    p = br;
    while (p > 0 && s[p - 1] == 1)
        p--;
    bool trail = true;
    for (int k = 0; k < p; k++)
        trail = trail && s[k] == bd[k];
    if (trail) {
        *inner = nb / ns;
        return LAY_TRAIL;
    }
    return LAY_GENERAL;
}

/* Emits `int64_t var = ...;`: the offset in small of big's linear index idx. */
static void emit_bcast_offset(Emit *e, const char *var, const char *idx, int br, const int64_t *bd, int sr,
                              const int64_t *sd) {
    int64_t s[DLCC_MAX_RANK], inner;
    pad_dims(br, sr, sd, s);
    Layout lay = bcast_layout(br, bd, sr, sd, &inner);
    if (lay == LAY_SAME) {
        emitf(e, "        int64_t %s = %s;\n", var, idx);
        return;
    }
    if (lay == LAY_SCALAR) {
        emitf(e, "        int64_t %s = 0;\n", var);
        return;
    }
    if (lay == LAY_LEAD) {
        emitf(e, "        int64_t %s = %s %% %lld;\n", var, idx, (long long)inner);
        return;
    }
    if (lay == LAY_TRAIL) {
        emitf(e, "        int64_t %s = %s / %lld;\n", var, idx, (long long)inner);
        return;
    }
    emitf(e, "        int64_t %s = 0, %s_r = %s;\n", var, var, idx);
    int64_t stride = 1;
    for (int k = br - 1; k >= 0; k--) {
        if (s[k] != 1)
            emitf(e, "        %s += (%s_r %% %lld) * %lld;\n", var, var, (long long)bd[k], (long long)stride);
        if (k > 0)
            emitf(e, "        %s_r /= %lld;\n", var, (long long)bd[k]);
        stride *= s[k];
    }
    emitf(e, "        (void)%s_r;\n", var);
}

/* ---------------------------------------------------------------- SumTo, ExpandTo */

bool emit_sum_to(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    if (!grad_dtype_ok(e, x->dtype))
        return false;
    const char *T = dtype_ctype(x->dtype);
    int64_t nx = value_numel(x), ny = value_numel(y), inner;
    Layout lay = bcast_layout(x->rank, x->dims, y->rank, y->dims, &inner);
    if (lay == LAY_SAME) {
        emitf(e, "    memcpy(y0, x0, %zu);\n", value_bytes(y));
    } else if (lay == LAY_LEAD) {
        emitf(e, "    for (int64_t k = 0; k < %lld; k++)\n        y0[k] = x0[k];\n", (long long)inner);
        emitf(e, "    for (int64_t m = 1; m < %lld; m++)\n", (long long)(nx / inner));
        emitf(e, "        for (int64_t k = 0; k < %lld; k++)\n            y0[k] += x0[m * %lld + k];\n",
              (long long)inner, (long long)inner);
    } else if (lay == LAY_TRAIL || lay == LAY_SCALAR) {
        int64_t k_n = lay == LAY_SCALAR ? nx : inner;
        emitf(e, "    for (int64_t m = 0; m < %lld; m++) {\n        %s acc = 0;\n", (long long)ny, T);
        emitf(e, "        for (int64_t k = 0; k < %lld; k++)\n            acc += x0[m * %lld + k];\n",
              (long long)k_n, (long long)k_n);
        emitf(e, "        y0[m] = acc;\n    }\n");
    } else {
        emitf(e, "    for (int64_t i = 0; i < %lld; i++)\n        y0[i] = 0;\n", (long long)ny);
        emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)nx);
        emit_bcast_offset(e, "o", "i", x->rank, x->dims, y->rank, y->dims);
        emitf(e, "        y0[o] += x0[i];\n    }\n");
    }
    return true;
}

bool emit_expand_to(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    if (!grad_dtype_ok(e, x->dtype))
        return false;
    double scale = attr_float(n, "scale", 1.0);
    const char *s = scale == 1.0 ? "" : arena_printf(e->ctx->arena, "%s * ", lit(e, x->dtype, scale));
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)value_numel(y));
    emit_bcast_offset(e, "o", "i", y->rank, y->dims, x->rank, x->dims);
    emitf(e, "        y0[i] = %sx0[o];\n    }\n", s);
    return true;
}

/* ---------------------------------------------------------------- elementwise derivatives */

typedef struct Deriv {
    const char *op;
    const char *pre;  /* statements before the expression, or NULL */
    const char *expr; /* in g (dy), x, y; for BinaryGrad a, b, y */
} Deriv;

static const Deriv unary_derivs[] = {
    {"Relu", NULL, "x > 0 ? g : (T)0"},
    {"LeakyRelu", NULL, "x > 0 ? g : alpha * g"},
    {"Sigmoid", NULL, "g * y * ((T)1 - y)"},
    {"Tanh", NULL, "g * ((T)1 - y * y)"},
    {"Exp", NULL, "g * y"},
    {"Log", NULL, "g / x"},
    {"Sqrt", NULL, "g * (T)0.5 / y"},
    {"Abs", NULL, "x > 0 ? g : (x < 0 ? -g : (T)0)"},
    {"Elu", NULL, "x > 0 ? g : g * (y + alpha)"},
    {"Selu", NULL, "x > 0 ? g * gamma : g * (y + gamma * alpha)"},
    {"Celu", NULL, "x > 0 ? g : g * exp(x / alpha)"},
    {"Softplus", NULL, "g / ((T)1 + exp(-x))"},
    {"Softsign", NULL, "g / (((T)1 + fabs(x)) * ((T)1 + fabs(x)))"},
    {"HardSigmoid", NULL, "(alpha * x + beta > 0 && alpha * x + beta < 1) ? g * alpha : (T)0"},
    {"HardSwish", NULL, "x < -3 ? (T)0 : (x <= 3 ? g * (x / (T)3 + (T)0.5) : g)"},
    {"Mish", "T sp = x > 30 ? x : log1p(exp(x)); T th = tanh(sp);",
     "g * (th + x * ((T)1 - th * th) / ((T)1 + exp(-x)))"},
    {"ThresholdedRelu", NULL, "x > alpha ? g : (T)0"},
    {"Shrink", NULL, "(x < -lambd || x > lambd) ? g : (T)0"},
    {"Erf", NULL, "g * (T)1.12837916709551257390 * exp(-x * x)"},
    {"Sin", NULL, "g * cos(x)"},
    {"Cos", NULL, "-g * sin(x)"},
    {"Tan", NULL, "g * ((T)1 + y * y)"},
    {"Asin", NULL, "g / sqrt((T)1 - x * x)"},
    {"Acos", NULL, "-g / sqrt((T)1 - x * x)"},
    {"Atan", NULL, "g / ((T)1 + x * x)"},
    {"Sinh", NULL, "g * cosh(x)"},
    {"Cosh", NULL, "g * sinh(x)"},
    {"Asinh", NULL, "g / sqrt(x * x + (T)1)"},
    {"Acosh", NULL, "g / sqrt(x * x - (T)1)"},
    {"Atanh", NULL, "g / ((T)1 - x * x)"},
    {"Reciprocal", NULL, "-g * y * y"},
    {"Clip", NULL, "x == y ? g : (T)0"},
    {"Gelu", NULL, "g * ((T)0.5 * ((T)1 + erf(x * (T)0.70710678118654752440)) + x * exp((T)-0.5 * x * x) * (T)0.39894228040143267794)"},
};

static const Deriv gelu_tanh = {
    "Gelu", "T u = (T)0.79788456080286535588 * (x + (T)0.044715 * x * x * x); T th = tanh(u);",
    "g * ((T)0.5 * ((T)1 + th) + (T)0.5 * x * ((T)1 - th * th) * (T)0.79788456080286535588 * ((T)1 + (T)0.134145 * x * x))"};

/* Binary derivatives: [0] with respect to a, [1] to b. */
static const struct {
    const char *op;
    const char *expr[2];
} binary_derivs[] = {
    {"Pow", {"g * b * pow(a, b - (T)1)", "(a == 0 && b >= 0) ? (T)0 : g * y * log(a)"}},
    {"PRelu", {"a > 0 ? g : g * b", "a > 0 ? (T)0 : g * a"}},
    {"Max", {"a > b ? g : (a == b ? g * (T)0.5 : (T)0)", "b > a ? g : (a == b ? g * (T)0.5 : (T)0)"}},
    {"Min", {"a < b ? g : (a == b ? g * (T)0.5 : (T)0)", "b < a ? g : (a == b ? g * (T)0.5 : (T)0)"}},
};

/* Float attributes an expression may use, with ONNX defaults by op. */
static void emit_deriv_attrs(Emit *e, const char *op, DType t) {
    const Node *n = e->node;
    double alpha = 0.01, beta = 0.5, gamma = 1.05070102214813232421875, lambd = 0.5;
    if (!strcmp(op, "Elu") || !strcmp(op, "Celu") || !strcmp(op, "ThresholdedRelu"))
        alpha = 1.0;
    if (!strcmp(op, "Selu"))
        alpha = 1.67326319217681884765625;
    if (!strcmp(op, "HardSigmoid"))
        alpha = 0.2;
    alpha = attr_float(n, "alpha", alpha);
    beta = attr_float(n, "beta", beta);
    gamma = attr_float(n, "gamma", gamma);
    lambd = attr_float(n, "lambd", lambd);
    const char *T = dtype_ctype(t);
    emitf(e, "    const %s alpha = %s, beta = %s, gamma = %s, lambd = %s;\n", T, lit(e, t, alpha), lit(e, t, beta),
          lit(e, t, gamma), lit(e, t, lambd));
    emitf(e, "    (void)alpha;\n    (void)beta;\n    (void)gamma;\n    (void)lambd;\n");
}

/* Text of expr with every standalone T replaced by the C type. */
static const char *subst_type(Emit *e, const char *expr, const char *T) {
    Buf b = {0};
    for (const char *p = expr; *p; p++) {
        bool word_start = p == expr || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z'));
        bool word_end = !(p[1] == '_' || (p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z'));
        if (*p == 'T' && word_start && word_end)
            buf_puts(&b, T);
        else
            buf_write(&b, p, 1);
    }
    const char *s = arena_strdup(e->ctx->arena, b.data ? b.data : "");
    buf_free(&b);
    return s;
}

bool emit_unary_grad(Emit *e) {
    const Node *n = e->node;
    const char *op = attr_string(n, "op", "");
    DType t = n->out[0]->dtype;
    if (!grad_dtype_ok(e, t))
        return false;
    const Deriv *d = NULL;
    for (size_t i = 0; i < sizeof unary_derivs / sizeof *unary_derivs; i++)
        if (!strcmp(unary_derivs[i].op, op))
            d = &unary_derivs[i];
    if (!strcmp(op, "Gelu") && !strcmp(attr_string(n, "approximate", "none"), "tanh"))
        d = &gelu_tanh;
    if (!d)
        return emit_error(e, "no derivative of %s", op);
    const char *T = dtype_ctype(t);
    bool has_y = n->n_in > 2 && n->in[2];
    emit_deriv_attrs(e, op, t);
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)value_numel(n->out[0]));
    emitf(e, "        const %s g = x0[i], x = x1[i], y = %s;\n        (void)x;\n        (void)y;\n", T,
          has_y ? "x2[i]" : "0");
    if (d->pre)
        emitf(e, "        %s\n", subst_type(e, d->pre, T));
    emitf(e, "        y0[i] = (%s)(%s);\n    }\n", T, subst_type(e, d->expr, T));
    return true;
}

bool emit_binary_grad(Emit *e) {
    const Node *n = e->node;
    const char *op = attr_string(n, "op", "");
    int wrt = (int)attr_int(n, "wrt", 0);
    DType t = n->out[0]->dtype;
    if (!grad_dtype_ok(e, t))
        return false;
    const char *expr = NULL;
    for (size_t i = 0; i < sizeof binary_derivs / sizeof *binary_derivs; i++)
        if (!strcmp(binary_derivs[i].op, op))
            expr = binary_derivs[i].expr[wrt != 0];
    if (!expr)
        return emit_error(e, "no derivative of %s", op);
    const char *T = dtype_ctype(t);
    const Value *dy = n->in[0], *a = n->in[1], *b = n->in[2];
    bool has_y = n->n_in > 3 && n->in[3];
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)value_numel(dy));
    emit_bcast_offset(e, "ia", "i", dy->rank, dy->dims, a->rank, a->dims);
    emit_bcast_offset(e, "ib", "i", dy->rank, dy->dims, b->rank, b->dims);
    emitf(e, "        const %s g = x0[i], a = x1[ia], b = x2[ib], y = %s;\n        (void)a;\n        (void)b;\n"
             "        (void)y;\n",
          T, has_y ? "x3[i]" : "0");
    emitf(e, "        y0[i] = (%s)(%s);\n    }\n", T, subst_type(e, expr, T));
    return true;
}

/* ---------------------------------------------------------------- softmax and losses */

bool emit_softmax_grad(Emit *e) {
    const Node *n = e->node;
    const Value *y = n->in[1];
    DType t = y->dtype;
    if (!grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    int axis = (int)attr_int(n, "axis", y->rank - 1);
    bool lg = attr_int(n, "log", 0) != 0, coerce = attr_int(n, "coerce2d", 0) != 0;
    int64_t outer = 1, len = 1, inner = 1;
    for (int k = 0; k < y->rank; k++) {
        if (k < axis)
            outer *= y->dims[k];
        else if (k == axis || coerce)
            len *= y->dims[k];
        else
            inner *= y->dims[k];
    }
    emitf(e, "    for (int64_t o = 0; o < %lld; o++)\n", (long long)outer);
    emitf(e, "        for (int64_t i = 0; i < %lld; i++) {\n", (long long)inner);
    emitf(e, "            const int64_t base = o * %lld + i;\n            %s s = 0;\n",
          (long long)(len * inner), T);
    emitf(e, "            for (int64_t j = 0; j < %lld; j++)\n", (long long)len);
    if (lg)
        emitf(e, "                s += x0[base + j * %lld];\n", (long long)inner);
    else
        emitf(e, "                s += x0[base + j * %lld] * x1[base + j * %lld];\n", (long long)inner,
              (long long)inner);
    emitf(e, "            for (int64_t j = 0; j < %lld; j++) {\n", (long long)len);
    emitf(e, "                const int64_t k = base + j * %lld;\n", (long long)inner);
    if (lg)
        emitf(e, "                y0[k] = x0[k] - exp(x1[k]) * s;\n");
    else
        emitf(e, "                y0[k] = x1[k] * (x0[k] - s);\n");
    emitf(e, "            }\n        }\n");
    return true;
}

/* Shared by the two ONNX losses: scores/input [N, C, D...], labels [N, D...]. */
static bool emit_class_loss_grad(Emit *e, bool softmax) {
    const Node *n = e->node;
    const Value *x = n->in[1];
    const Value *w = n->n_in > 3 ? n->in[3] : NULL;
    DType t = x->dtype;
    if (!grad_dtype_ok(e, t))
        return false;
    if (x->rank < 2)
        return emit_error(e, "scores must have rank 2 or more");
    const char *T = dtype_ctype(t);
    const char *red = attr_string(n, "reduction", "mean");
    const Attr *ig = node_attr(n, "ignore_index");
    int64_t N = x->dims[0], C = x->dims[1], D = value_numel(x) / (N * C != 0 ? N * C : 1);
    emitf(e, "    const int64_t N = %lld, C = %lld, D = %lld;\n", (long long)N, (long long)C, (long long)D);
    emitf(e, "    %s denom = 0;\n", T);
    emitf(e, "    for (int64_t r = 0; r < N * D; r++) {\n        const int64_t l = (int64_t)x2[r];\n");
    if (ig)
        emitf(e, "        if (l == %lld)\n            continue;\n", (long long)ig->i);
    emitf(e, "        if (l < 0 || l >= C)\n            return -DLCC_ERR_INDEX;\n");
    emitf(e, "        denom += %s;\n    }\n", w ? "x3[l]" : "1");
    emitf(e, "    (void)denom;\n");
    emitf(e, "    for (int64_t nn = 0; nn < N; nn++)\n        for (int64_t d = 0; d < D; d++) {\n");
    emitf(e, "            const int64_t r = nn * D + d, l = (int64_t)x2[r];\n");
    emitf(e, "            %s *dx = y0 + nn * C * D + d;\n", T);
    emitf(e, "            const %s *s = x1 + nn * C * D + d;\n            (void)s;\n", T);
    if (ig)
        emitf(e, "            if (l == %lld) {\n                for (int64_t c = 0; c < C; c++)\n"
                 "                    dx[c * D] = 0;\n                continue;\n            }\n",
              (long long)ig->i);
    if (!strcmp(red, "none"))
        emitf(e, "            const %s coef = x0[r]%s;\n", T, w ? " * x3[l]" : "");
    else if (!strcmp(red, "sum"))
        emitf(e, "            const %s coef = x0[0]%s;\n", T, w ? " * x3[l]" : "");
    else
        emitf(e, "            const %s coef = x0[0]%s / denom;\n", T, w ? " * x3[l]" : "");
    if (softmax) {
        emitf(e, "            %s mx = s[0], sum = 0;\n", T);
        emitf(e, "            for (int64_t c = 1; c < C; c++)\n                mx = s[c * D] > mx ? s[c * D] : mx;\n");
        emitf(e, "            for (int64_t c = 0; c < C; c++)\n                sum += exp(s[c * D] - mx);\n");
        emitf(e, "            for (int64_t c = 0; c < C; c++)\n"
                 "                dx[c * D] = coef * (exp(s[c * D] - mx) / sum - (c == l ? (%s)1 : (%s)0));\n",
              T, T);
    } else {
        emitf(e, "            for (int64_t c = 0; c < C; c++)\n                dx[c * D] = c == l ? -coef : (%s)0;\n", T);
    }
    emitf(e, "        }\n");
    return true;
}

bool emit_sce_loss_grad(Emit *e) { return emit_class_loss_grad(e, true); }
bool emit_nll_loss_grad(Emit *e) { return emit_class_loss_grad(e, false); }

bool emit_clip_coef(Emit *e) {
    const Node *n = e->node;
    DType t = n->out[0]->dtype;
    if (!grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    emitf(e, "    const %s c = %s / (sqrt(x0[0]) + %s);\n", T, lit(e, t, attr_float(n, "max_norm", 1.0)),
          lit(e, t, 1e-6));
    emitf(e, "    y0[0] = c < (%s)1 ? c : (%s)1;\n", T, T);
    return true;
}

/* ---------------------------------------------------------------- optimizer updates
 * Operands: x0 param, x1 grad, x2 step (int64, 1 in the first step), x3...
 * moments; results: y0 param, y1... moments in operand order. */

static void emit_update_grad(Emit *e, const char *T) {
    const Node *n = e->node;
    DType t = n->out[0]->dtype;
    emitf(e, "        %s gr = x1[i], p = x0[i];\n        (void)p;\n", T);
    if (attr_int(n, "maximize", 0))
        emitf(e, "        gr = -gr;\n");
    double wd = attr_float(n, "weight_decay", 0.0);
    if (wd != 0 && !attr_int(n, "decoupled", 0))
        emitf(e, "        gr = gr + %s * p;\n", lit(e, t, wd));
}

bool emit_sgd_update(Emit *e) {
    const Node *n = e->node;
    DType t = n->out[0]->dtype;
    if (!grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    double lr = attr_float(n, "lr", 0.01), mom = attr_float(n, "momentum", 0), damp = attr_float(n, "dampening", 0);
    bool nesterov = attr_int(n, "nesterov", 0) != 0;
    bool has_buf = n->n_in > 3 && n->in[3];
    if (has_buf)
        emitf(e, "    const int first = x2[0] <= 1;\n");
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)value_numel(n->out[0]));
    emit_update_grad(e, T);
    if (has_buf) {
        emitf(e, "        const %s b = first ? gr : x3[i] * %s + gr * %s;\n", T, lit(e, t, mom), lit(e, t, 1 - damp));
        emitf(e, "        y1[i] = b;\n");
        if (nesterov)
            emitf(e, "        gr = gr + b * %s;\n", lit(e, t, mom));
        else
            emitf(e, "        gr = b;\n");
    }
    emitf(e, "        y0[i] = p + gr * %s;\n    }\n", lit(e, t, -lr));
    return true;
}

bool emit_adam_update(Emit *e) {
    const Node *n = e->node;
    DType t = n->out[0]->dtype;
    if (!grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    double lr = attr_float(n, "lr", 1e-3), b1 = attr_float(n, "beta1", 0.9), b2 = attr_float(n, "beta2", 0.999);
    double eps = attr_float(n, "eps", 1e-8), wd = attr_float(n, "weight_decay", 0);
    bool ams = attr_int(n, "amsgrad", 0) != 0, decoupled = attr_int(n, "decoupled", 0) != 0;
    emitf(e, "    const double t = (double)x2[0];\n");
    emitf(e, "    const double bc1 = 1.0 - pow(%.17g, t), bc2 = 1.0 - pow(%.17g, t);\n", b1, b2);
    emitf(e, "    const %s step_size = (%s)(%.17g / bc1), bc2_sqrt = (%s)sqrt(bc2);\n", T, T, lr, T);
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)value_numel(n->out[0]));
    emit_update_grad(e, T);
    if (decoupled && wd != 0)
        emitf(e, "        p = p * %s;\n", lit(e, t, 1 - lr * wd));
    emitf(e, "        const %s m = x3[i] * %s + gr * %s;\n", T, lit(e, t, b1), lit(e, t, 1 - b1));
    emitf(e, "        const %s v = x4[i] * %s + gr * gr * %s;\n", T, lit(e, t, b2), lit(e, t, 1 - b2));
    if (ams) {
        emitf(e, "        const %s vm = x5[i] > v ? x5[i] : v;\n        y3[i] = vm;\n", T);
        emitf(e, "        const %s denom = sqrt(vm) / bc2_sqrt + %s;\n", T, lit(e, t, eps));
    } else {
        emitf(e, "        const %s denom = sqrt(v) / bc2_sqrt + %s;\n", T, lit(e, t, eps));
    }
    emitf(e, "        y0[i] = p + (m / denom) * -step_size;\n        y1[i] = m;\n        y2[i] = v;\n    }\n");
    return true;
}

bool emit_adagrad_update(Emit *e) {
    const Node *n = e->node;
    DType t = n->out[0]->dtype;
    if (!grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    double lr = attr_float(n, "lr", 0.01), decay = attr_float(n, "lr_decay", 0), eps = attr_float(n, "eps", 1e-10);
    emitf(e, "    const %s clr = (%s)(%.17g / (1.0 + ((double)x2[0] - 1.0) * %.17g));\n", T, T, lr, decay);
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)value_numel(n->out[0]));
    emit_update_grad(e, T);
    emitf(e, "        const %s s = x3[i] + gr * gr;\n        y1[i] = s;\n", T);
    emitf(e, "        y0[i] = p + (gr / (sqrt(s) + %s)) * -clr;\n    }\n", lit(e, t, eps));
    return true;
}

bool emit_rmsprop_update(Emit *e) {
    const Node *n = e->node;
    DType t = n->out[0]->dtype;
    if (!grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    double lr = attr_float(n, "lr", 0.01), alpha = attr_float(n, "alpha", 0.99), eps = attr_float(n, "eps", 1e-8);
    double mom = attr_float(n, "momentum", 0);
    bool has_buf = n->n_in > 4 && n->in[4], centered = n->n_in > 5 && n->in[5];
    int yb = 2, yg = has_buf ? 3 : 2;
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)value_numel(n->out[0]));
    emit_update_grad(e, T);
    emitf(e, "        const %s sq = x3[i] * %s + gr * gr * %s;\n        y1[i] = sq;\n", T, lit(e, t, alpha),
          lit(e, t, 1 - alpha));
    if (centered) {
        emitf(e, "        const %s ga = x5[i] * %s + gr * %s;\n        y%d[i] = ga;\n", T, lit(e, t, alpha),
              lit(e, t, 1 - alpha), yg);
        emitf(e, "        const %s avg = sqrt(sq - ga * ga) + %s;\n", T, lit(e, t, eps));
    } else {
        emitf(e, "        const %s avg = sqrt(sq) + %s;\n", T, lit(e, t, eps));
    }
    if (has_buf) {
        emitf(e, "        const %s b = x4[i] * %s + gr / avg;\n        y%d[i] = b;\n", T, lit(e, t, mom), yb);
        emitf(e, "        y0[i] = p + b * %s;\n    }\n", lit(e, t, -lr));
    } else {
        emitf(e, "        y0[i] = p + (gr / avg) * %s;\n    }\n", lit(e, t, -lr));
    }
    return true;
}

bool emit_adadelta_update(Emit *e) {
    const Node *n = e->node;
    DType t = n->out[0]->dtype;
    if (!grad_dtype_ok(e, t))
        return false;
    const char *T = dtype_ctype(t);
    double lr = attr_float(n, "lr", 1.0), rho = attr_float(n, "rho", 0.9), eps = attr_float(n, "eps", 1e-6);
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)value_numel(n->out[0]));
    emit_update_grad(e, T);
    emitf(e, "        const %s sq = x3[i] * %s + gr * gr * %s;\n        y1[i] = sq;\n", T, lit(e, t, rho),
          lit(e, t, 1 - rho));
    emitf(e, "        const %s std = sqrt(sq + %s);\n", T, lit(e, t, eps));
    emitf(e, "        const %s delta = sqrt(x4[i] + %s) / std * gr;\n", T, lit(e, t, eps));
    emitf(e, "        y2[i] = x4[i] * %s + delta * delta * %s;\n", lit(e, t, rho), lit(e, t, 1 - rho));
    emitf(e, "        y0[i] = p + delta * %s;\n    }\n", lit(e, t, -lr));
    return true;
}

/* ---------------------------------------------------------------- gather backward */

/* y0 (data shape) = 0; y0[..., idx, ...] += dy.  x0 dy, x1 indices. */
bool emit_scatter_add_elements(Emit *e) {
    const Node *n = e->node;
    const Value *dy = n->in[0], *y = n->out[0];
    if (!grad_dtype_ok(e, y->dtype))
        return false;
    int ax = (int)attr_int(n, "axis", 0);
    /* index shape == dy shape; strides of y and dy. */
    int64_t ystr[DLCC_MAX_RANK], s = 1;
    for (int k = y->rank - 1; k >= 0; k--)
        ystr[k] = s, s *= y->dims[k];
    emitf(e, "    memset(y0, 0, %zu);\n", value_bytes(y));
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)value_numel(dy));
    emitf(e, "        int64_t r = i, o = 0, c;\n");
    for (int k = dy->rank - 1; k >= 0; k--) {
        emitf(e, "        c = r %% %lld;\n        r /= %lld;\n", (long long)dy->dims[k], (long long)dy->dims[k]);
        if (k == ax) {
            emitf(e, "        c = (int64_t)x1[i];\n        if (c < 0)\n            c += %lld;\n", (long long)y->dims[k]);
            emitf(e, "        if (c < 0 || c >= %lld)\n            return -DLCC_ERR_INDEX;\n", (long long)y->dims[k]);
        }
        emitf(e, "        o += c * %lld;\n", (long long)ystr[k]);
    }
    emitf(e, "        (void)r;\n        y0[o] += x0[i];\n    }\n");
    return true;
}

/* Gather(data, indices, axis) backward: y0 [outer, D, inner] = 0;
 * y0[o, idx[j], i] += dy[o, j, i]. */
bool emit_gather_grad(Emit *e) {
    const Node *n = e->node;
    const Value *idx = n->in[1], *y = n->out[0];
    if (!grad_dtype_ok(e, y->dtype))
        return false;
    int ax = (int)attr_int(n, "axis", 0);
    int64_t outer = 1, inner = 1, D = y->dims[ax], J = value_numel(idx);
    for (int k = 0; k < y->rank; k++) {
        if (k < ax)
            outer *= y->dims[k];
        else if (k > ax)
            inner *= y->dims[k];
    }
    emitf(e, "    memset(y0, 0, %zu);\n", value_bytes(y));
    emitf(e, "    for (int64_t o = 0; o < %lld; o++)\n        for (int64_t j = 0; j < %lld; j++) {\n",
          (long long)outer, (long long)J);
    emitf(e, "            int64_t c = (int64_t)x1[j];\n            if (c < 0)\n                c += %lld;\n", (long long)D);
    emitf(e, "            if (c < 0 || c >= %lld)\n                return -DLCC_ERR_INDEX;\n", (long long)D);
    emitf(e, "            for (int64_t i = 0; i < %lld; i++)\n", (long long)inner);
    emitf(e, "                y0[(o * %lld + c) * %lld + i] += x0[(o * %lld + j) * %lld + i];\n        }\n",
          (long long)D, (long long)inner, (long long)J, (long long)inner);
    return true;
}

/* ---------------------------------------------------------------- slice backward */

/* y0 (shape) = 0; y0[starts + i * steps] = dy[i], as nested loops. */
bool emit_slice_grad(Emit *e) {
    const Node *n = e->node;
    const Value *dy = n->in[0], *y = n->out[0];
    if (!grad_dtype_ok(e, y->dtype))
        return false;
    int64_t start[DLCC_MAX_RANK], step[DLCC_MAX_RANK], ystr[DLCC_MAX_RANK], s = 1;
    int r = y->rank;
    if (attr_ints(n, "starts", start, DLCC_MAX_RANK) != r || attr_ints(n, "steps", step, DLCC_MAX_RANK) != r ||
        dy->rank != r)
        return emit_error(e, "bad starts/steps");
    for (int k = r - 1; k >= 0; k--)
        ystr[k] = s, s *= y->dims[k];
    emitf(e, "    memset(y0, 0, %zu);\n", value_bytes(y));
    if (value_numel(dy) == 0)
        return true;
    emitf(e, "    int64_t i = 0;\n");
    for (int k = 0; k < r; k++)
        emitf(e, "%*sfor (int64_t j%d = 0; j%d < %lld; j%d++)\n", 4 + 4 * k, "", k, k, (long long)dy->dims[k], k);
    emitf(e, "%*sy0[0", 4 + 4 * r, "");
    for (int k = 0; k < r; k++)
        emitf(e, " + (%lld + j%d * %lld) * %lld", (long long)start[k], k, (long long)step[k], (long long)ystr[k]);
    emitf(e, "] = x0[i++];\n");
    return true;
}

/* PadGrad(dy; mode, pads, shape): zeros shaped `shape` with every dy
 * element added at the input index the forward Pad read it from (edge:
 * clamped, reflect: mirrored without repeating the border, wrap: modulo),
 * the same index arithmetic as emit_pad (codegen/emit_tensor.c). */
bool emit_pad_grad(Emit *e) {
    const Node *n = e->node;
    const Value *dy = n->in[0], *y = n->out[0];
    if (!grad_dtype_ok(e, y->dtype))
        return false;
    int r = y->rank;
    int64_t pads[2 * DLCC_MAX_RANK], ystr[DLCC_MAX_RANK], s = 1;
    if (attr_ints(n, "pads", pads, 2 * DLCC_MAX_RANK) != 2 * r || dy->rank != r)
        return emit_error(e, "bad pads");
    const char *mode = attr_string(n, "mode", "edge");
    for (int k = r - 1; k >= 0; k--)
        ystr[k] = s, s *= y->dims[k];
    emitf(e, "    memset(y0, 0, %zu);\n", value_bytes(y));
    if (value_numel(dy) == 0 || value_numel(y) == 0)
        return true;
    emitf(e, "    int64_t o = 0;\n");
    const char *idx = "0";
    for (int d = 0; d < r; d++) {
        long long D = (long long)y->dims[d];
        emitf(e, "    for (int64_t i%d = 0; i%d < %lld; i%d++) {\n", d, d, (long long)dy->dims[d], d);
        emitf(e, "    int64_t s%d = i%d - %lld;\n", d, d, (long long)pads[d]);
        if (!strcmp(mode, "edge")) {
            emitf(e, "    s%d = s%d < 0 ? 0 : s%d >= %lld ? %lld : s%d;\n", d, d, d, D, D - 1, d);
        } else if (!strcmp(mode, "wrap")) {
            emitf(e, "    s%d = ((s%d %% %lld) + %lld) %% %lld;\n", d, d, D, D, D);
        } else if (D == 1) {
            emitf(e, "    s%d = 0;\n", d);
        } else {
            emitf(e, "    while (s%d < 0 || s%d >= %lld) {\n", d, d, D);
            emitf(e, "        if (s%d < 0) s%d = -s%d;\n", d, d, d);
            emitf(e, "        if (s%d >= %lld) s%d = %lld - s%d;\n", d, D, d, 2 * (D - 1), d);
            emitf(e, "    }\n");
        }
        idx = arena_printf(e->ctx->arena, "%s + s%d * %lld", idx, d, (long long)ystr[d]);
    }
    emitf(e, "    y0[%s] += x0[o++];\n", idx);
    for (int d = 0; d < r; d++)
        emitf(e, "    }\n");
    return true;
}

/* ---------------------------------------------------------------- ONNX training operators
 * x0 R (scalar), x1 T (int64 scalar), x2.. the groups; y0.. the results. */

/* The operands of tensor j: "x<i>" names for each group g (0: X, 1: G, ...). */
static int onnx_opt_count(const Node *n, int groups) { return (n->n_in - 2) / groups; }

static void onnx_opt_loop(Emit *e, int j, int k, const char *body) {
    const Node *n = e->node;
    const Value *x = n->in[2 + j];
    const char *T = dtype_ctype(x->dtype);
    emitf(e, "    for (int64_t i = 0; i < %lld; i++) {\n", (long long)value_numel(x));
    emitf(e, "        const %s x = x%d[i], g = x%d[i];\n", T, 2 + j, 2 + k + j);
    emitf(e, "        const %s gr = (%s)(norm * x) + g;\n", T, T);
    emitf(e, "%s", subst_type(e, body, T));
    emitf(e, "    }\n");
}

bool emit_onnx_adagrad(Emit *e) {
    const Node *n = e->node;
    int k = onnx_opt_count(n, 3);
    emitf(e, "    const double norm = %.17g, eps = %.17g;\n", attr_float(n, "norm_coefficient", 0),
          attr_float(n, "epsilon", 0));
    emitf(e, "    const double r = (double)x0[0] / (1.0 + (double)x1[0] * %.17g);\n", attr_float(n, "decay_factor", 0));
    for (int j = 0; j < k; j++) {
        char body[512];
        snprintf(body, sizeof body,
                 "        const T h = x%d[i] + gr * gr;\n"
                 "        y%d[i] = h;\n"
                 "        y%d[i] = (T)(x - r * gr / (sqrt(h) + eps));\n",
                 2 + 2 * k + j, k + j, j);
        onnx_opt_loop(e, j, k, body);
    }
    emitf(e, "    (void)eps;\n");
    return true;
}

bool emit_onnx_momentum(Emit *e) {
    const Node *n = e->node;
    int k = onnx_opt_count(n, 3);
    bool nesterov = !strcmp(attr_string(n, "mode", "standard"), "nesterov");
    emitf(e, "    const double norm = %.17g, alpha = %.17g;\n", attr_float(n, "norm_coefficient", 0),
          attr_float(n, "alpha", 0));
    emitf(e, "    const double beta = x1[0] > 0 ? %.17g : 1.0, r = (double)x0[0];\n", attr_float(n, "beta", 0));
    for (int j = 0; j < k; j++) {
        char body[512];
        snprintf(body, sizeof body,
                 "        const T v = (T)(alpha * x%d[i] + beta * gr);\n"
                 "        y%d[i] = v;\n"
                 "        y%d[i] = (T)(x - r * %s);\n",
                 2 + 2 * k + j, k + j, j, nesterov ? "(gr + alpha * v)" : "v");
        onnx_opt_loop(e, j, k, body);
    }
    emitf(e, "    (void)alpha;\n");
    return true;
}

bool emit_onnx_adam(Emit *e) {
    const Node *n = e->node;
    int k = onnx_opt_count(n, 4);
    double alpha = attr_float(n, "alpha", 0.9), beta = attr_float(n, "beta", 0.999);
    emitf(e, "    const double norm = %.17g, eps = %.17g, post = %.17g;\n", attr_float(n, "norm_coefficient", 0),
          attr_float(n, "epsilon", 1e-6), attr_float(n, "norm_coefficient_post", 0));
    emitf(e, "    const double t = (double)x1[0], alpha = %.17g, beta = %.17g;\n", alpha, beta);
    emitf(e, "    const double r = t > 0 ? (double)x0[0] * sqrt(1.0 - pow(beta, t)) / (1.0 - pow(alpha, t)) : "
             "(double)x0[0];\n");
    for (int j = 0; j < k; j++) {
        char body[640];
        snprintf(body, sizeof body,
                 "        const T v = (T)(alpha * x%d[i] + (1.0 - alpha) * gr);\n"
                 "        const T h = (T)(beta * x%d[i] + (1.0 - beta) * gr * gr);\n"
                 "        y%d[i] = v;\n"
                 "        y%d[i] = h;\n"
                 "        y%d[i] = (T)((1.0 - post) * (x - r * (v / (sqrt(h) + eps))));\n",
                 2 + 2 * k + j, 2 + 3 * k + j, k + j, 2 * k + j, j);
        onnx_opt_loop(e, j, k, body);
    }
    return true;
}

bool emit_onnx_gradient(Emit *e) { return emit_error(e, "internal error: Gradient was not expanded by autodiff"); }
