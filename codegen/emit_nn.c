/*
 * emit_nn.c: kernels of the matrix products (MatMul, Gemm), softmax family
 * and BatchNormalization.
 *
 * f32 products call dlcc_sgemm from runtime/gemm.h (packed, register-tiled,
 * vector-extension micro-kernel) with the operands described by row and
 * column strides, so transposes are free; batched MatMul either folds the
 * batch into M (when B is shared and A is contiguous) or loops over the
 * batch with offsets computed from the broadcast strides.  Other dtypes
 * (f64, integers, f16 through emit_load) get plain loops in their compute
 * type.  Softmax-family kernels view the input as [outer, D, inner] and
 * reduce along D; BatchNormalization folds the statistics into one scale
 * and shift per channel.
 */
#include "emit_nn.h"

#include <string.h>

size_t nn_sgemm_pack_bytes(int64_t m, int64_t n, int64_t k) {
    int64_t kc = k < 256 ? k : 256;
    int64_t rows = m + 7 < 64 ? m + 7 : 64;
    int64_t cols = n + 31 < 1024 ? n + 31 : 1024;
    int64_t pa = (rows * kc + 15) / 16 * 16;
    return (size_t)(pa + kc * cols) * sizeof(float);
}

const char *nn_math_fn(Emit *e, DType t, const char *fn) {
    if (!strcmp(dtype_ctype_compute(t), "double"))
        return fn;
    return arena_printf(e->ctx->arena, "%sf", fn);
}

int64_t nn_prod(const int64_t *dims, int from, int to) {
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= dims[i];
    return p;
}

/* ---------------------------------------------------------------- MatMul */

/* Writes `int64_t oa = ..., ob = ...;` for batch index `b` of an output
 * batch shape bd[0..nb) with per-dim operand strides sa, sb. */
static void emit_batch_offsets(Emit *e, int nb, const int64_t *bd, const int64_t *sa, const int64_t *sb) {
    emitf(e, "        int64_t r = b, oa = 0, ob = 0;\n");
    for (int d = nb - 1; d >= 0; d--) {
        if (bd[d] == 1)
            continue;
        emitf(e, "        { int64_t i = r %% %lld; r /= %lld; oa += i * %lld; ob += i * %lld; }\n", LL(bd[d]),
              LL(bd[d]), LL(sa[d]), LL(sb[d]));
    }
    emitf(e, "        (void)r;\n");
}

bool emit_matmul(Emit *e) {
    const Node *n = e->node;
    const Value *a = n->in[0], *b = n->in[1], *y = n->out[0];
    DType t = y->dtype;
    int64_t M = a->rank >= 2 ? a->dims[a->rank - 2] : 1;
    int64_t K = a->dims[a->rank - 1];
    int64_t N = b->rank >= 2 ? b->dims[b->rank - 1] : 1;
    int nb = y->rank - (a->rank >= 2) - (b->rank >= 2);
    int64_t bd[DLCC_MAX_RANK], sa[DLCC_MAX_RANK], sb[DLCC_MAX_RANK];
    int rab = a->rank > 2 ? a->rank - 2 : 0, rbb = b->rank > 2 ? b->rank - 2 : 0;
    int64_t stra = M * K, strb = K * N;
    bool a_full = rab == nb;
    for (int d = nb - 1; d >= 0; d--) {
        bd[d] = y->dims[d];
        int da = d - (nb - rab), db = d - (nb - rbb);
        sa[d] = da >= 0 && a->dims[da] != 1 ? stra : 0;
        sb[d] = db >= 0 && b->dims[db] != 1 ? strb : 0;
        if (da >= 0)
            stra *= a->dims[da];
        if (db >= 0)
            strb *= b->dims[db];
        if (da < 0 || a->dims[da] != bd[d])
            a_full = false;
    }
    int64_t NB = nn_prod(bd, 0, nb);
    bool b_shared = true;
    for (int d = 0; d < nb; d++)
        if (sb[d] && bd[d] != 1)
            b_shared = false;
    if (value_numel(y) == 0)
        return true;

    if (t == DT_F32) {
        emit_use_runtime(e, "gemm");
        int64_t MM = (NB > 1 && b_shared && a_full) ? M * NB : M;
        const char *ws = emit_scratch(e, nn_sgemm_pack_bytes(MM, N, K));
        if (NB == 1 || MM != M) {
            emitf(e, "    dlcc_sgemm(%lld, %lld, %lld, 1.0f, x0, %lld, 1, x1, %lld, 1, 0.0f, y0, %lld, (float *)%s);\n",
                  LL(MM), LL(N), LL(K), LL(K), LL(N), LL(N), ws);
            return true;
        }
        emitf(e, "    for (int64_t b = 0; b < %lld; b++) {\n", LL(NB));
        emit_batch_offsets(e, nb, bd, sa, sb);
        emitf(e,
              "        dlcc_sgemm(%lld, %lld, %lld, 1.0f, x0 + oa, %lld, 1, x1 + ob, %lld, 1, 0.0f, y0 + b * %lld, "
              "%lld, (float *)%s);\n",
              LL(M), LL(N), LL(K), LL(K), LL(N), LL(M * N), LL(N), ws);
        emitf(e, "    }\n");
        return true;
    }
    const char *T = dtype_ctype_compute(t);
    emitf(e, "    for (int64_t b = 0; b < %lld; b++) {\n", LL(NB));
    emit_batch_offsets(e, nb, bd, sa, sb);
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n", LL(M));
    emitf(e, "            for (int64_t j = 0; j < %lld; j++) {\n", LL(N));
    emitf(e, "                %s acc = 0;\n", T);
    emitf(e, "                for (int64_t k = 0; k < %lld; k++)\n", LL(K));
    emitf(e, "                    acc += (%s)%s * (%s)%s;\n", T,
          emit_load(e, t, "x0", arena_printf(e->ctx->arena, "oa + i * %lld + k", LL(K))), T,
          emit_load(e, t, "x1", arena_printf(e->ctx->arena, "ob + k * %lld + j", LL(N))));
    e->indent = 4;
    emit_store(e, t, "y0", arena_printf(e->ctx->arena, "b * %lld + i * %lld + j", LL(M * N), LL(N)), "acc");
    e->indent = 1;
    emitf(e, "            }\n    }\n");
    return true;
}

/* ---------------------------------------------------------------- Gemm */

bool emit_gemm(Emit *e) {
    const Node *n = e->node;
    const Value *a = n->in[0], *c = n->n_in > 2 ? n->in[2] : NULL, *y = n->out[0];
    DType t = y->dtype;
    Arena *ar = e->ctx->arena;
    bool ta = attr_int(n, "transA", 0) != 0, tb = attr_int(n, "transB", 0) != 0;
    double alpha = attr_float(n, "alpha", 1.0), beta = attr_float(n, "beta", 1.0);
    int64_t M = y->dims[0], N = y->dims[1], K = a->dims[ta ? 0 : 1];
    int64_t rsa = ta ? 1 : K, csa = ta ? M : 1, rsb = tb ? 1 : N, csb = tb ? K : 1;
    if (M * N == 0)
        return true;
    bool use_c = c && beta != 0.0;
    int64_t ci = 0, cj = 0;
    if (use_c) {
        int64_t cm = c->rank == 2 ? c->dims[0] : 1, cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
        ci = cm == 1 ? 0 : cn;
        cj = cn == 1 ? 0 : 1;
    }
    const char *T = dtype_ctype_compute(t);
    if (use_c) {
        emitf(e, "    for (int64_t i = 0; i < %lld; i++)\n        for (int64_t j = 0; j < %lld; j++) {\n", LL(M),
              LL(N));
        e->indent = 3;
        emit_store(e, t, "y0", arena_printf(ar, "i * %lld + j", LL(N)),
                   arena_printf(ar, "(%s)(%s * (%s)%s)", T, emit_literal(e, t, beta), T,
                                emit_load(e, c->dtype, "x2", arena_printf(ar, "i * %lld + j * %lld", LL(ci), LL(cj)))));
        e->indent = 1;
        emitf(e, "        }\n");
    }
    if (t == DT_F32) {
        emit_use_runtime(e, "gemm");
        const char *ws = emit_scratch(e, nn_sgemm_pack_bytes(M, N, K));
        emitf(e, "    dlcc_sgemm(%lld, %lld, %lld, %s, x0, %lld, %lld, x1, %lld, %lld, %s, y0, %lld, (float *)%s);\n",
              LL(M), LL(N), LL(K), emit_literal(e, t, alpha), LL(rsa), LL(csa), LL(rsb), LL(csb),
              use_c ? "1.0f" : "0.0f", LL(N), ws);
        return true;
    }
    emitf(e, "    for (int64_t i = 0; i < %lld; i++)\n        for (int64_t j = 0; j < %lld; j++) {\n", LL(M), LL(N));
    emitf(e, "            %s acc = 0;\n", T);
    emitf(e, "            for (int64_t k = 0; k < %lld; k++)\n", LL(K));
    emitf(e, "                acc += (%s)%s * (%s)%s;\n", T,
          emit_load(e, t, "x0", arena_printf(ar, "i * %lld + k * %lld", LL(rsa), LL(csa))), T,
          emit_load(e, t, "x1", arena_printf(ar, "k * %lld + j * %lld", LL(rsb), LL(csb))));
    const char *res = arena_printf(ar, "(%s)(%s * acc)", T, emit_literal(e, t, alpha));
    if (use_c)
        res = arena_printf(ar, "(%s)(%s + (%s)%s)", T, res, T,
                           emit_load(e, t, "y0", arena_printf(ar, "i * %lld + j", LL(N))));
    e->indent = 3;
    emit_store(e, t, "y0", arena_printf(ar, "i * %lld + j", LL(N)), res);
    e->indent = 1;
    emitf(e, "        }\n");
    return true;
}

/* ---------------------------------------------------------------- Softmax, LogSoftmax */

static bool emit_softmax_common(Emit *e, bool log) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    if (!dtype_is_float(t))
        return emit_error(e, "unsupported element type %s", dtype_name(t));
    int r = x->rank;
    int64_t outer, D, inner;
    if (n->opset > 0 && n->opset < 13) {
        int axis = norm_axis(attr_int(n, "axis", 1), r);
        if (axis < 0 && !(r == 0))
            return emit_error(e, "axis out of range");
        if (axis < 0)
            axis = 0;
        outer = nn_prod(x->dims, 0, axis);
        D = nn_prod(x->dims, axis, r);
        inner = 1;
    } else {
        int axis = norm_axis(attr_int(n, "axis", -1), r);
        if (r == 0) {
            outer = D = inner = 1;
        } else {
            if (axis < 0)
                return emit_error(e, "axis out of range");
            outer = nn_prod(x->dims, 0, axis);
            D = x->dims[axis];
            inner = nn_prod(x->dims, axis + 1, r);
        }
    }
    if (outer * D * inner == 0)
        return true;
    emit_use_runtime(e, "nn");
    const char *T = dtype_ctype_compute(t);
    const char *EXP = nn_math_fn(e, t, "exp"), *LOG = nn_math_fn(e, t, "log");
    const char *idx = arena_printf(ar, "base + d * %lld", LL(inner));
    const char *xv = emit_load(e, t, "x0", idx);
    emitf(e, "    for (int64_t o = 0; o < %lld; o++)\n", LL(outer));
    emitf(e, "        for (int64_t i = 0; i < %lld; i++) {\n", LL(inner));
    emitf(e, "            const int64_t base = o * %lld + i;\n", LL(D * inner));
    emitf(e, "            %s m = -INFINITY, s = 0;\n", T);
    emitf(e, "            for (int64_t d = 0; d < %lld; d++) {\n", LL(D));
    emitf(e, "                %s v = %s;\n", T, xv);
    emitf(e, "                if (v > m)\n                    m = v;\n");
    emitf(e, "            }\n");
    emitf(e, "            for (int64_t d = 0; d < %lld; d++)\n", LL(D));
    emitf(e, "                s += %s(%s - m);\n", EXP, xv);
    if (log)
        emitf(e, "            const %s ls = m + %s(s);\n", T, LOG);
    else
        emitf(e, "            const %s inv = (%s)1 / s;\n", T, T);
    emitf(e, "            for (int64_t d = 0; d < %lld; d++) {\n", LL(D));
    e->indent = 4;
    emit_store(e, t, "y0", idx,
               log ? arena_printf(ar, "%s - ls", xv) : arena_printf(ar, "%s(%s - m) * inv", EXP, xv));
    e->indent = 1;
    emitf(e, "            }\n        }\n");
    return true;
}

bool emit_softmax(Emit *e) { return emit_softmax_common(e, false); }
bool emit_logsoftmax(Emit *e) { return emit_softmax_common(e, true); }

/* ---------------------------------------------------------------- BatchNormalization */

/* Training mode (training_mode=1, or the extra outputs of opset < 14):
 * normalise with the batch mean and biased batch variance of each channel,
 * accumulated in double, as the ONNX reference does (np.var); outputs 1 and
 * 2 are the running mean and variance, running * momentum + batch *
 * (1 - momentum); the legacy outputs 3 and 4 get the batch mean and
 * variance. */
static bool emit_batchnorm_training(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    int64_t N = x->rank > 0 ? x->dims[0] : 1, C = x->rank > 1 ? x->dims[1] : 1;
    int64_t S = nn_prod(x->dims, 2, x->rank);
    double eps = attr_float(n, "epsilon", 1e-5), mom = attr_float(n, "momentum", 0.9);
    emit_use_runtime(e, "nn");
    const char *T = dtype_ctype_compute(t);
    const char *idx = arena_printf(ar, "(i * %lld + c) * %lld + s", LL(C), LL(S));
    const char *xv = emit_load(e, t, "x0", idx);
    emitf(e, "    for (int64_t c = 0; c < %lld; c++) {\n", LL(C));
    emitf(e, "        double sum = 0, sq = 0;\n");
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n", LL(N));
    emitf(e, "            for (int64_t s = 0; s < %lld; s++)\n", LL(S));
    emitf(e, "                sum += (double)%s;\n", xv);
    emitf(e, "        const double mean = %s;\n", N * S > 0 ? arena_printf(ar, "sum / %lld.0", LL(N * S)) : "0.0");
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n", LL(N));
    emitf(e, "            for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    emitf(e, "                const double d = (double)%s - mean;\n", xv);
    emitf(e, "                sq += d * d;\n");
    emitf(e, "            }\n");
    emitf(e, "        const double var = %s;\n", N * S > 0 ? arena_printf(ar, "sq / %lld.0", LL(N * S)) : "0.0");
    emitf(e, "        const double a = (double)%s / sqrt(var + %.17g);\n", emit_load(e, n->in[1]->dtype, "x1", "c"),
          eps);
    emitf(e, "        const double b = (double)%s - mean * a;\n", emit_load(e, n->in[2]->dtype, "x2", "c"));
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n", LL(N));
    emitf(e, "            for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    e->indent = 4;
    emit_store(e, t, "y0", idx, arena_printf(ar, "(%s)((double)%s * a + b)", T, xv));
    e->indent = 1;
    emitf(e, "            }\n");
    const char *stat[4] = {"mean", "var", "mean", "var"};
    for (int k = 1; k < n->n_out && k <= 4; k++) {
        const Value *o = n->out[k];
        if (!o)
            continue;
        const char *yk = arena_printf(ar, "y%d", k);
        const char *val;
        if (k <= 2)
            val = arena_printf(ar, "(%s)((double)%s * %.17g + %s * %.17g)", dtype_ctype_compute(o->dtype),
                               emit_load(e, n->in[2 + k]->dtype, arena_printf(ar, "x%d", 2 + k), "c"), mom,
                               stat[k - 1], 1.0 - mom);
        else
            val = arena_printf(ar, "(%s)%s", dtype_ctype_compute(o->dtype), stat[k - 1]);
        e->indent = 2;
        emit_store(e, o->dtype, yk, "c", val);
        e->indent = 1;
    }
    emitf(e, "    }\n");
    return true;
}

bool emit_batchnorm(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0];
    DType t = x->dtype;
    Arena *ar = e->ctx->arena;
    if (attr_int(n, "training_mode", 0) != 0 || n->n_out > 1)
        return emit_batchnorm_training(e);
    int64_t N = x->rank > 0 ? x->dims[0] : 1, C = x->rank > 1 ? x->dims[1] : 1;
    int64_t S = nn_prod(x->dims, 2, x->rank);
    if (N * C * S == 0)
        return true;
    emit_use_runtime(e, "nn");
    const char *T = dtype_ctype_compute(t);
    double eps = attr_float(n, "epsilon", 1e-5);
    emitf(e, "    for (int64_t c = 0; c < %lld; c++) {\n", LL(C));
    emitf(e, "        const %s a = (%s)%s / %s((%s)%s + %s);\n", T, T, emit_load(e, n->in[1]->dtype, "x1", "c"),
          nn_math_fn(e, t, "sqrt"), T, emit_load(e, n->in[4]->dtype, "x4", "c"), emit_literal(e, t, eps));
    emitf(e, "        const %s b = (%s)%s - (%s)%s * a;\n", T, T, emit_load(e, n->in[2]->dtype, "x2", "c"), T,
          emit_load(e, n->in[3]->dtype, "x3", "c"));
    emitf(e, "        for (int64_t i = 0; i < %lld; i++)\n", LL(N));
    emitf(e, "            for (int64_t s = 0; s < %lld; s++) {\n", LL(S));
    const char *idx = arena_printf(ar, "(i * %lld + c) * %lld + s", LL(C), LL(S));
    e->indent = 4;
    emit_store(e, t, "y0", idx, arena_printf(ar, "%s * a + b", emit_load(e, t, "x0", idx)));
    e->indent = 1;
    emitf(e, "            }\n    }\n");
    return true;
}
