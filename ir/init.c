/*
 * init.c: parameter initializers and the counter-based random generator.
 *
 * A .dl parameter or constant may be declared with an initializer
 * (`zeros`, `he_normal(seed=1)`, `file("w.bin")` ...) instead of data; the
 * parser records it in Value.init and init_materialize turns it into element
 * data in storage format.  Every random initializer draws from Philox4x32-10
 * (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011),
 * keyed by the seed and counting by element index, so element i of a
 * parameter depends only on (seed, i): the values are identical on every
 * machine and in every build.  Normal deviates come from Box-Muller on one
 * Philox block per element.
 *
 * Fan-in and fan-out (xavier, he): for rank 2 the parameter is used as
 * `x @ w`, so w is [in, out]: fan_in = dims[0], fan_out = dims[1] (the
 * transpose of PyTorch's nn.Linear weight [out, in], which gives the same
 * numbers).  For rank >= 3 the PyTorch convolution layout [out, in, k...] is
 * assumed: fan_in = dims[1] * receptive field, fan_out = dims[0] * receptive
 * field.  he_* is PyTorch's kaiming_*_ with a = 0 (gain sqrt 2), mode fan_in.
 * orthogonal follows torch.nn.init.orthogonal_: a [dims[0], numel/dims[0]]
 * normal matrix made (semi-)orthogonal by QR with a non-negative R diagonal,
 * here computed by twice-repeated modified Gram-Schmidt.  For xavier and
 * orthogonal, Init.a is the gain (0 means 1).
 */
#include "ir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- Philox4x32-10 */

void philox4x32_10(const uint32_t key[2], const uint32_t ctr[4], uint32_t out[4]) {
    uint32_t k0 = key[0], k1 = key[1];
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    for (int r = 0; r < 10; r++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

static void rng_block(uint64_t seed, uint64_t i, uint32_t out[4]) {
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    uint32_t ctr[4] = {(uint32_t)i, (uint32_t)(i >> 32), 0, 0};
    philox4x32_10(key, ctr, out);
}

/* 53 random bits from two words, as a double in [0, 1). */
static double rng_unit(uint32_t hi, uint32_t lo) {
    uint64_t bits = ((uint64_t)hi << 21) ^ (lo >> 11);
    return (double)(bits & ((UINT64_C(1) << 53) - 1)) * (1.0 / 9007199254740992.0);
}

double rng_uniform(uint64_t seed, uint64_t i) {
    uint32_t w[4];
    rng_block(seed, i, w);
    return rng_unit(w[0], w[1]);
}

double rng_normal(uint64_t seed, uint64_t i) {
    uint32_t w[4];
    rng_block(seed, i, w);
    double u1 = 1.0 - rng_unit(w[0], w[1]); /* (0, 1] */
    double u2 = rng_unit(w[2], w[3]);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---------------------------------------------------------------- fans, orthogonal */

static bool init_fans(Ctx *c, const Value *v, const char *what, double *fan_in, double *fan_out) {
    if (v->rank < 2)
        return diag_error(c, v->loc, "%s: '%s' has rank %d; fan-in and fan-out need rank >= 2", what, v->name,
                          v->rank);
    if (v->rank == 2) {
        *fan_in = (double)v->dims[0];
        *fan_out = (double)v->dims[1];
        return true;
    }
    double rf = 1;
    for (int i = 2; i < v->rank; i++)
        rf *= (double)v->dims[i];
    *fan_in = (double)v->dims[1] * rf;
    *fan_out = (double)v->dims[0] * rf;
    return true;
}

/* Orthonormalises the columns of the m x n matrix a (row-major, m >= n). */
static void init_gram_schmidt(double *a, int64_t m, int64_t n) {
    for (int pass = 0; pass < 2; pass++)
        for (int64_t j = 0; j < n; j++) {
            for (int64_t k = 0; k < j; k++) {
                double dot = 0;
                for (int64_t i = 0; i < m; i++)
                    dot += a[i * n + k] * a[i * n + j];
                for (int64_t i = 0; i < m; i++)
                    a[i * n + j] -= dot * a[i * n + k];
            }
            double norm = 0;
            for (int64_t i = 0; i < m; i++)
                norm += a[i * n + j] * a[i * n + j];
            norm = sqrt(norm);
            for (int64_t i = 0; i < m; i++)
                a[i * n + j] = norm > 0 ? a[i * n + j] / norm : 0;
        }
}

static bool init_orthogonal(Ctx *c, const Value *v, void *data) {
    if (v->rank < 2)
        return diag_error(c, v->loc, "orthogonal: '%s' has rank %d; it needs rank >= 2", v->name, v->rank);
    int64_t rows = v->dims[0], cols = rows ? value_numel(v) / rows : 0;
    if (!rows || !cols)
        return true;
    bool flip = rows < cols; /* work on the tall matrix, then transpose back */
    int64_t m = flip ? cols : rows, n = flip ? rows : cols;
    double *a = malloc(sizeof(double) * (size_t)(m * n));
    if (!a)
        return diag_error(c, v->loc, "orthogonal: out of memory for '%s'", v->name);
    /* the normal matrix is drawn as [rows, cols], like PyTorch's flattened tensor */
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < cols; k++) {
            double z = rng_normal(v->init.seed, (uint64_t)(r * cols + k));
            if (flip)
                a[k * n + r] = z;
            else
                a[r * n + k] = z;
        }
    init_gram_schmidt(a, m, n);
    double gain = v->init.a != 0 ? v->init.a : 1.0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t k = 0; k < cols; k++)
            data_set_f64(v->dtype, data, r * cols + k, gain * (flip ? a[k * n + r] : a[r * n + k]));
    free(a);
    return true;
}

/* ---------------------------------------------------------------- files */

static bool init_file(Ctx *c, Value *v, const char *base_dir, void *data, size_t bytes) {
    const char *path = v->init.path;
    if (path[0] != '/' && base_dir && base_dir[0] && strcmp(base_dir, "."))
        path = arena_printf(c->arena, "%s/%s", base_dir, path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return diag_error(c, v->loc, "cannot open weight file '%s' for '%s'", path, v->name);
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    rewind(f);
    if (size < 0 || (size_t)size != bytes) {
        fclose(f);
        return diag_error(c, v->loc, "weight file '%s' has %ld bytes; '%s' (%s) needs %zu (%lld elements)", path, size,
                          v->name, value_type_str(c->arena, v), bytes, (long long)value_numel(v));
    }
    size_t got = bytes ? fread(data, 1, bytes, f) : 0;
    fclose(f);
    if (got != bytes)
        return diag_error(c, v->loc, "cannot read weight file '%s'", path);
    return true;
}

/* ---------------------------------------------------------------- materialise */

static bool init_value(Ctx *c, Arena *arena, Value *v, const char *base_dir) {
    const Init *in = &v->init;
    if (in->kind == INIT_DATA || v->data || v->rank < 0)
        return true;
    for (int i = 0; i < v->rank; i++)
        if (v->dims[i] < 0)
            return true; /* symbolic dimension not bound yet */
    if (v->dtype == DT_STRING)
        return diag_error(c, v->loc, "'%s': string tensors take a literal initializer", v->name);
    int64_t n = value_numel(v);
    size_t bytes = value_bytes(v);
    void *data = arena_alloc(arena, bytes ? bytes : 1);
    bool random = in->kind != INIT_ZEROS && in->kind != INIT_ONES && in->kind != INIT_FILE;
    if (random && !dtype_is_float(v->dtype))
        return diag_error(c, v->loc, "'%s': random initializers need a floating-point type, not %s", v->name,
                          dtype_name(v->dtype));
    double fan_in = 0, fan_out = 0, gain = in->a != 0 ? in->a : 1.0;
    switch (in->kind) {
    case INIT_DATA:
        return true;
    case INIT_ZEROS:
        break; /* the arena is zeroed */
    case INIT_ONES:
        for (int64_t i = 0; i < n; i++)
            data_set_f64(v->dtype, data, i, 1.0);
        break;
    case INIT_UNIFORM:
        for (int64_t i = 0; i < n; i++)
            data_set_f64(v->dtype, data, i, in->a + (in->b - in->a) * rng_uniform(in->seed, (uint64_t)i));
        break;
    case INIT_NORMAL:
        for (int64_t i = 0; i < n; i++)
            data_set_f64(v->dtype, data, i, in->a + in->b * rng_normal(in->seed, (uint64_t)i));
        break;
    case INIT_XAVIER_UNIFORM:
    case INIT_XAVIER_NORMAL:
    case INIT_HE_UNIFORM:
    case INIT_HE_NORMAL: {
        static const char *names[] = {[INIT_XAVIER_UNIFORM] = "xavier_uniform", [INIT_XAVIER_NORMAL] = "xavier_normal",
                                      [INIT_HE_UNIFORM] = "he_uniform", [INIT_HE_NORMAL] = "he_normal"};
        if (!init_fans(c, v, names[in->kind], &fan_in, &fan_out))
            return false;
        double std;
        if (in->kind == INIT_XAVIER_UNIFORM || in->kind == INIT_XAVIER_NORMAL)
            std = gain * sqrt(2.0 / (fan_in + fan_out));
        else
            std = sqrt(2.0 / fan_in);
        bool uniform = in->kind == INIT_XAVIER_UNIFORM || in->kind == INIT_HE_UNIFORM;
        double bound = sqrt(3.0) * std; /* U(-b, b) has standard deviation b / sqrt 3 */
        for (int64_t i = 0; i < n; i++) {
            double x = uniform ? bound * (2.0 * rng_uniform(in->seed, (uint64_t)i) - 1.0)
                               : std * rng_normal(in->seed, (uint64_t)i);
            data_set_f64(v->dtype, data, i, x);
        }
        break;
    }
    case INIT_ORTHOGONAL:
        if (!init_orthogonal(c, v, data))
            return false;
        break;
    case INIT_FILE:
        if (!init_file(c, v, base_dir, data, bytes))
            return false;
        break;
    }
    v->data = data;
    return true;
}

static bool init_graph(Graph *g, Ctx *c, const char *base_dir) {
    bool ok = true;
    for (int i = 0; i < g->n_values; i++) {
        Value *v = g->values[i];
        if (v->kind == VK_PARAM || v->kind == VK_CONST)
            ok &= init_value(c, g->arena, v, base_dir);
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i]->n_attrs; k++) {
            const Attr *a = &g->nodes[i]->attrs[k];
            if (a->kind == AT_GRAPH && a->g)
                ok &= init_graph(a->g, c, base_dir);
            for (int j = 0; a->kind == AT_GRAPHS && j < a->n; j++)
                ok &= init_graph(a->gs[j], c, base_dir);
        }
    return ok;
}

bool init_materialize(Graph *g, Ctx *c, const char *base_dir) {
    if (!base_dir && c->source_file) {
        const char *slash = strrchr(c->source_file, '/');
        base_dir = slash ? arena_strndup(c->arena, c->source_file, (size_t)(slash - c->source_file)) : ".";
        if (slash == c->source_file)
            base_dir = "/";
    }
    return init_graph(g, c, base_dir);
}
