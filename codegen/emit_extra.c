/*
 * emit_extra.c: kernels of the random-number operators (ops_extra.def).
 *
 * Without a `seed` attribute, every random value comes from the
 * counter-based Philox4x32-10 generator of runtime/philox.h, keyed with the
 * node id (Multinomial: its seed's double bits when it has one) and counted
 * with (element index, node id),
 * so a kernel is a pure function of its position: the same model gives the
 * same numbers on every run and on every machine.  Uniform values take the
 * top 24 bits of a word scaled to [0, 1) (double: 53 bits of two words);
 * normal values use Box-Muller on two words.  Multinomial draws one uniform
 * per sample and walks the cumulative softmax of the row's logits; Bernoulli
 * compares one uniform with each probability.
 *
 * A node with a `seed` attribute draws instead from numpy's RandomState(seed)
 * stream (runtime/mt19937.h), the generator of the ONNX reference
 * implementation, so RandomUniform(Like), RandomNormal(Like) and Bernoulli
 * give exactly onnx.reference's values; the stream restarts at every run.
 * Multinomial keeps Philox (numpy's multinomial sampler is not reproduced).
 */
#include "codegen.h"

#include <string.h>

#define LL(x) ((long long)(x))

/* Emits `uint32_t k0 = ..., k1 = ...;` from the node's seed. */
static void extra_emit_key(Emit *e) {
    const Node *n = e->node;
    uint64_t key = (uint64_t)(uint32_t)n->id * 0x9E3779B97F4A7C15ull;
    if (node_attr(n, "seed")) {
        double s = attr_float(n, "seed", 0.0);
        memcpy(&key, &s, sizeof key);
    }
    emit_use_runtime(e, "philox");
    emitf(e, "const uint32_t k0 = %uu, k1 = %uu;\n", (unsigned)(uint32_t)key, (unsigned)(uint32_t)(key >> 32));
}

/* Emits `double u = <uniform in [0, 1)>` (and `double u2`) for element expression idx. */
static void extra_emit_uniform(Emit *e, const char *idx) {
    emitf(e, "    uint32_t w[4];\n");
    emitf(e, "    dlcc_philox4x32_10(k0, k1, (uint32_t)(%s), (uint32_t)((uint64_t)(%s) >> 32), %uu, 0x52414E44u, w);\n", idx, idx,
          (unsigned)e->node->id);
    emitf(e, "    const double u = ((double)(w[0] >> 5) * 67108864.0 + (double)(w[1] >> 6)) * (1.0 / 9007199254740992.0);\n");
    emitf(e, "    const double u2 = ((double)(w[2] >> 5) * 67108864.0 + (double)(w[3] >> 6)) * (1.0 / 9007199254740992.0);\n");
    emitf(e, "    (void)u2;\n");
}

/* Emits `dlcc_mt19937 *rng`, in scratch, seeded like numpy's
 * RandomState(int(seed)) (seeds outside [0, 2^32) wrap). */
void emit_mt19937_seeded(Emit *e, int64_t seed) {
    emit_use_runtime(e, "mt19937");
    const char *ws = emit_scratch(e, sizeof(uint32_t) * 624 + 64);
    emit_code(e, "dlcc_mt19937 *rng = (dlcc_mt19937 *)%s;", ws);
    emit_code(e, "dlcc_mt_seed(rng, %uu);", (unsigned)(uint32_t)seed);
}

static int64_t extra_seed(const Node *n) { return (int64_t)attr_float(n, "seed", 0.0); }

/* The seeded form: y = low + u * (high - low) (RandomState.rand), or
 * mean + scale * randn, with the arithmetic of the reference: the draw is
 * rounded to the output type first, then scaled and shifted in it. */
static bool extra_emit_random_numpy(Emit *e, bool normal, double a, double b) {
    const Node *n = e->node;
    const Value *y = n->out[0];
    const char *T = dtype_ctype_compute(y->dtype);
    emit_mt19937_seeded(e, extra_seed(n));
    emitf(e, "for (int64_t i = 0; i < %lldLL; i++) {\n", LL(value_numel(y)));
    emitf(e, "    const %s d = (%s)%s;\n", T, T, normal ? "dlcc_mt_gauss(rng)" : "dlcc_mt_double(rng)");
    emitf(e, "    %s r = d * (%s)%.17g;\n", T, T, normal ? b : b - a);
    emitf(e, "    r = r + (%s)%.17g; /* a separate statement: no fused multiply-add */\n", T, a);
    e->indent = 1;
    emit_store(e, y->dtype, "y0", "i", "r");
    e->indent = 0;
    emitf(e, "}\n");
    return true;
}

static bool extra_emit_random(Emit *e, bool normal) {
    const Node *n = e->node;
    const Value *y = n->out[0];
    int64_t cnt = value_numel(y);
    if (cnt == 0)
        return true;
    double a = normal ? attr_float(n, "mean", 0.0) : attr_float(n, "low", 0.0);
    double b = normal ? attr_float(n, "scale", 1.0) : attr_float(n, "high", 1.0);
    if (node_attr(n, "seed"))
        return extra_emit_random_numpy(e, normal, a, b);
    extra_emit_key(e);
    emitf(e, "for (int64_t i = 0; i < %lldLL; i++) {\n", LL(cnt));
    extra_emit_uniform(e, "i");
    if (normal)
        emitf(e, "    const double r = %.17g + %.17g * sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * u2);\n", a, b);
    else
        emitf(e, "    const double r = %.17g + %.17g * u;\n", a, b - a);
    e->indent = 1;
    emit_store(e, y->dtype, "y0", "i", arena_printf(e->ctx->arena, "(%s)r", dtype_ctype_compute(y->dtype)));
    e->indent = 0;
    emitf(e, "}\n");
    return true;
}

bool emit_random_uniform(Emit *e) { return extra_emit_random(e, false); }

bool emit_random_normal(Emit *e) { return extra_emit_random(e, true); }

bool emit_multinomial(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    int64_t bs = x->dims[0], nc = x->dims[1], ns = y->dims[1];
    if (value_numel(y) == 0)
        return true;
    if (nc == 0)
        return emit_error(e, "Multinomial needs at least one class");
    extra_emit_key(e);
    emitf(e, "for (int64_t b = 0; b < %lldLL; b++) {\n", LL(bs));
    emitf(e, "    double mx = -INFINITY, tot = 0.0;\n");
    emitf(e, "    for (int64_t c = 0; c < %lldLL; c++) {\n", LL(nc));
    emitf(e, "        const int64_t xi = b * %lldLL + c;\n", LL(nc));
    emitf(e, "        const double v = (double)%s;\n", emit_load(e, x->dtype, "x0", "xi"));
    emitf(e, "        if (v > mx) mx = v;\n    }\n");
    emitf(e, "    for (int64_t c = 0; c < %lldLL; c++) {\n", LL(nc));
    emitf(e, "        const int64_t xi = b * %lldLL + c;\n", LL(nc));
    emitf(e, "        tot += exp((double)%s - mx);\n    }\n", emit_load(e, x->dtype, "x0", "xi"));
    emitf(e, "    for (int64_t s = 0; s < %lldLL; s++) {\n", LL(ns));
    e->indent = 1;
    extra_emit_uniform(e, arena_printf(e->ctx->arena, "b * %lldLL + s", LL(ns)));
    e->indent = 0;
    emitf(e, "        const double target = u * tot;\n");
    emitf(e, "        double acc = 0.0;\n        int64_t pick = %lldLL;\n", LL(nc - 1));
    emitf(e, "        for (int64_t c = 0; c < %lldLL; c++) {\n", LL(nc));
    emitf(e, "            const int64_t xi = b * %lldLL + c;\n", LL(nc));
    emitf(e, "            acc += exp((double)%s - mx);\n", emit_load(e, x->dtype, "x0", "xi"));
    emitf(e, "            if (target < acc) { pick = c; break; }\n        }\n");
    emitf(e, "        y0[b * %lldLL + s] = (%s)pick;\n", LL(ns), dtype_ctype(y->dtype));
    emitf(e, "    }\n}\n");
    return true;
}

bool emit_bernoulli(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    int64_t cnt = value_numel(y);
    if (cnt == 0)
        return true;
    if (node_attr(n, "seed")) {
        emit_mt19937_seeded(e, extra_seed(n));
        emitf(e, "for (int64_t i = 0; i < %lldLL; i++) {\n", LL(cnt));
        emitf(e, "    const double p = (double)%s;\n", emit_load(e, x->dtype, "x0", "i"));
        emitf(e, "    if (!(p >= 0.0 && p <= 1.0))\n        return -DLCC_ERR_ARG;\n");
        emitf(e, "    const int hit = dlcc_mt_bernoulli(rng, p);\n");
    } else {
        extra_emit_key(e);
        emitf(e, "for (int64_t i = 0; i < %lldLL; i++) {\n", LL(cnt));
        extra_emit_uniform(e, "i");
        emitf(e, "    const int hit = u < (double)%s;\n", emit_load(e, x->dtype, "x0", "i"));
    }
    e->indent = 1;
    emit_store(e, y->dtype, "y0", "i", arena_printf(e->ctx->arena, "(%s)hit", dtype_ctype_compute(y->dtype)));
    e->indent = 0;
    emitf(e, "}\n");
    return true;
}

/* MaxUnpool: zero the output, then scatter every X element to its flat
 * index in I, which counts in the default output shape (ir/shape_extra.c):
 * when output_shape differs, the index is split into coordinates of the
 * default shape and rebuilt in the output's (checked against it). */
bool max_unpool_default_dims(const Node *n, int64_t *dims, Ctx *c);

bool emit_max_unpool(Emit *e) {
    const Node *n = e->node;
    const Value *x = n->in[0], *y = n->out[0];
    int64_t ny = value_numel(y), nx = value_numel(x), def[DLCC_MAX_RANK], ndef = 1;
    if (ny == 0)
        return true;
    if (!max_unpool_default_dims(n, def, e->ctx))
        return false;
    bool same = true;
    for (int i = 0; i < y->rank; i++) {
        same = same && def[i] == y->dims[i];
        ndef *= def[i];
    }
    emitf(e, "for (int64_t i = 0; i < %lldLL; i++)\n    y0[i] = 0;\n", LL(ny));
    emitf(e, "for (int64_t i = 0; i < %lldLL; i++) {\n", LL(nx));
    emitf(e, "    int64_t k = (int64_t)x1[i];\n");
    emitf(e, "    if (k < 0 || k >= %lldLL) return -%d; /* DLCC_ERR_INDEX */\n", LL(same ? ny : ndef), DLCC_ERR_INDEX);
    if (!same) {
        emitf(e, "    int64_t o = 0, r = k, m = 1;\n");
        for (int d = y->rank - 1; d >= 0; d--) {
            emitf(e, "    { const int64_t cd = r %% %lldLL; r /= %lldLL;\n", LL(def[d]), LL(def[d]));
            emitf(e, "      if (cd >= %lldLL) continue;\n", LL(y->dims[d]));
            emitf(e, "      o += cd * m; m *= %lldLL; }\n", LL(y->dims[d]));
        }
        emitf(e, "    k = o;\n");
    }
    emitf(e, "    y0[k] = x0[i];\n}\n");
    return true;
}
