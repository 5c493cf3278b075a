/*
 * test_init.c: parameter initializers and the Philox generator.
 *
 * Known-answer vectors of Philox4x32-10 (Random123), moments of the random
 * initializers over 10^5 samples, orthogonality, determinism, and the size
 * check of file("...") weights.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "frontend/frontend.h"

static void test_philox_kat(void **state) {
    (void)state;
    static const uint32_t key[3][2] = {{0, 0}, {0xffffffff, 0xffffffff}, {0xa4093822, 0x299f31d0}};
    static const uint32_t ctr[3][4] = {
        {0, 0, 0, 0}, {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}};
    static const uint32_t want[3][4] = {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
                                        {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                                        {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}};
    for (int k = 0; k < 3; k++) {
        uint32_t out[4];
        philox4x32_10(key[k], ctr[k], out);
        for (int i = 0; i < 4; i++)
            assert_int_equal(out[i], want[k][i]);
    }
}

/* Parses a one-param model and returns the parameter (materialised). */
static Value *param(Ctx *c, const char *decl) {
    char text[256];
    snprintf(text, sizeof text, "model m {\n param w: %s\n}\n", decl);
    ctx_init(c);
    Graph *g = dsl_parse(c, "t.dl", text);
    if (!g)
        diag_print(c, stderr);
    assert_non_null(g);
    assert_non_null(g->params[0]->data);
    return g->params[0];
}

static void moments(const Value *v, double *mean, double *var, double *lo, double *hi) {
    int64_t n = value_numel(v);
    double s = 0, s2 = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        double x = data_get_f64(v->dtype, v->data, i);
        s += x;
        s2 += x * x;
        *lo = fmin(*lo, x);
        *hi = fmax(*hi, x);
    }
    *mean = s / (double)n;
    *var = s2 / (double)n - *mean * *mean;
}

static void check(const char *decl, double mean, double std, double bound) {
    Ctx c;
    Value *v = param(&c, decl);
    double m, var, lo, hi;
    moments(v, &m, &var, &lo, &hi);
    double sd = sqrt(var);
    /* 10^5 samples: the mean is within ~5 standard errors, the std within 2% */
    assert_true(fabs(m - mean) < 5 * std / sqrt((double)value_numel(v)) + 1e-12);
    assert_true(fabs(sd - std) < 0.02 * std);
    if (bound > 0) {
        assert_true(lo >= -bound - 1e-7 && hi <= bound + 1e-7);
        assert_true(hi > 0.99 * bound);
    }
    ctx_free(&c);
}

static void test_distributions(void **state) {
    (void)state;
    check("f32[100000] = uniform(-1, 3, seed=7)", 1.0, 4 / sqrt(12.0), 0);
    check("f64[100000] = normal(0.5, 2, seed=8)", 0.5, 2.0, 0);
    /* [in, out] = [250, 400] for x @ w */
    check("f32[250, 400] = xavier_uniform(seed=1)", 0, sqrt(2.0 / 650), sqrt(6.0 / 650));
    check("f32[250, 400] = xavier_normal(seed=2)", 0, sqrt(2.0 / 650), 0);
    check("f32[250, 400] = he_uniform(seed=3)", 0, sqrt(2.0 / 250), sqrt(6.0 / 250));
    check("f32[250, 400] = he_normal(seed=4)", 0, sqrt(2.0 / 250), 0);
    /* conv [out, in, kh, kw]: fan_in = in * 9 */
    check("f32[64, 32, 7, 7] = he_normal(seed=5)", 0, sqrt(2.0 / (32 * 49)), 0);
    check("f32[64, 32, 7, 7] = xavier_uniform(seed=6, gain=2)", 0, 2 * sqrt(2.0 / (96 * 49)),
          2 * sqrt(6.0 / (96 * 49)));
    Ctx c;
    Value *v = param(&c, "f16[300, 300] = ones");
    assert_true(data_get_f64(v->dtype, v->data, 89999) == 1.0);
    ctx_free(&c);
}

static void test_determinism(void **state) {
    (void)state;
    Ctx a, b, d, e;
    Value *x = param(&a, "f32[1000] = normal(0, 1, seed=42)");
    Value *y = param(&b, "f32[1000] = normal(0, 1, seed=42)");
    Value *z = param(&d, "f32[1000] = normal(0, 1, seed=43)");
    assert_memory_equal(x->data, y->data, 4000);
    assert_memory_not_equal(x->data, z->data, 4000);
    /* element i depends only on (seed, i), not on the tensor's size */
    Value *s = param(&e, "f32[10] = normal(0, 1, seed=42)");
    assert_memory_equal(x->data, s->data, 40);
    assert_true(fabs(rng_normal(42, 3) - ((const float *)x->data)[3]) < 1e-6);
    ctx_free(&a);
    ctx_free(&b);
    ctx_free(&d);
    ctx_free(&e);
}

static void check_orthogonal(const char *decl, int64_t rows, int64_t cols) {
    Ctx c;
    Value *v = param(&c, decl);
    const double *w = v->data;
    /* the smaller side has orthonormal vectors */
    bool by_rows = rows <= cols;
    int64_t n = by_rows ? rows : cols, len = by_rows ? cols : rows;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j <= i; j++) {
            double dot = 0;
            for (int64_t k = 0; k < len; k++)
                dot += by_rows ? w[i * cols + k] * w[j * cols + k] : w[k * cols + i] * w[k * cols + j];
            assert_true(fabs(dot - (i == j)) < 1e-5);
        }
    ctx_free(&c);
}

static void test_orthogonal(void **state) {
    (void)state;
    check_orthogonal("f64[64, 64] = orthogonal(seed=1)", 64, 64);
    check_orthogonal("f64[100, 30] = orthogonal(seed=2)", 100, 30);
    check_orthogonal("f64[20, 3, 3, 3] = orthogonal(seed=3)", 20, 27);
}

static void test_file(void **state) {
    (void)state;
    const char *path = "/tmp/dlcc_test_init.bin";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    int64_t data[4] = {1, -2, 3, 1LL << 40};
    fwrite(data, sizeof data, 1, f);
    fclose(f);
    Ctx c;
    Value *v = param(&c, "i64[2, 2] = file(\"/tmp/dlcc_test_init.bin\")");
    assert_memory_equal(v->data, data, sizeof data);
    ctx_free(&c);

    ctx_init(&c);
    Graph *g = dsl_parse(&c, "t.dl", "model m {\n param w: f32[3] = file(\"/tmp/dlcc_test_init.bin\")\n}\n");
    assert_null(g);
    assert_non_null(c.diags);
    assert_int_equal(c.diags->loc.line, 2);
    assert_non_null(strstr(c.diags->msg, "has 32 bytes; 'w' (f32[3]) needs 12"));
    ctx_free(&c);

    ctx_init(&c);
    g = dsl_parse(&c, "t.dl", "model m {\n param w: f32[3] = file(\"/nonexistent/w.bin\")\n}\n");
    assert_null(g);
    assert_non_null(strstr(c.diags->msg, "cannot open weight file"));
    ctx_free(&c);
    remove(path);
}

static void test_rank_errors(void **state) {
    (void)state;
    Ctx c;
    ctx_init(&c);
    assert_null(dsl_parse(&c, "t.dl", "model m {\n param b: f32[10] = he_normal(seed=1)\n}\n"));
    assert_non_null(strstr(c.diags->msg, "fan-in and fan-out need rank >= 2"));
    ctx_free(&c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_kat), cmocka_unit_test(test_distributions), cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_orthogonal), cmocka_unit_test(test_file),          cmocka_unit_test(test_rank_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
