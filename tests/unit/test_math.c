/*
 * test_math.c: the inline float exp, tanh and erf of runtime/math.h (pasted
 * into generated code: Sigmoid, Exp, Swish, Tanh, Erf, Gelu, RNN gates) against
 * libm's double-precision results, on a dense sample of floats plus the
 * special values.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../runtime/math.h"

/* Every float of [lo, hi] whose bit pattern is a multiple of `step` away. */
static double worst_rel(float (*f)(float), double (*ref)(double), float lo, float hi, uint32_t step) {
    double worst = 0;
    for (float x = lo; x < hi;) {
        double want = ref((double)x), got = f(x);
        if (want != 0 && isfinite(want) && fabsf(x) > 1e-30f) { /* erf of a subnormal loses bits */
            double rel = fabs(got - want) / fabs(want);
            if (rel > worst)
                worst = rel;
        }
        uint32_t b;
        memcpy(&b, &x, sizeof b);
        b = x < 0 ? (b - step > 0x80000000u ? b - step : 0) : b + step;
        memcpy(&x, &b, sizeof x);
        if (b == 0) /* crossed zero from below */
            x = 1e-30f;
    }
    return worst;
}

static void test_tanh(void **state) {
    (void)state;
    assert_true(worst_rel(dlcc_tanhf, tanh, -20.0f, 20.0f, 97) < 3e-7);
    assert_true(dlcc_tanhf(1e-20f) == 1e-20f);
    assert_true(dlcc_tanhf(INFINITY) == 1.0f && dlcc_tanhf(-INFINITY) == -1.0f);
    assert_true(dlcc_tanhf(100.0f) == 1.0f && dlcc_tanhf(-100.0f) == -1.0f);
    assert_true(isnan(dlcc_tanhf(NAN)));
    assert_true(DLCC_TANH(0.5) == tanh(0.5)); /* double: libm */
}

static void test_erf(void **state) {
    (void)state;
    assert_true(worst_rel(dlcc_erff, erf, -10.0f, 10.0f, 97) < 3e-7);
    assert_true(dlcc_erff(INFINITY) == 1.0f && dlcc_erff(-INFINITY) == -1.0f);
    assert_true(dlcc_erff(6.0f) == 1.0f && dlcc_erff(-6.0f) == -1.0f);
    assert_true(isnan(dlcc_erff(NAN)));
    assert_true(DLCC_ERF(0.5) == erf(0.5)); /* double: libm */
}

static void test_exp(void **state) {
    (void)state;
    assert_true(worst_rel(dlcc_expf, exp, -87.0f, 88.0f, 97) < 2.5e-7);
    assert_true(dlcc_expf(0.0f) == 1.0f);
    assert_true(isinf(dlcc_expf(100.0f)) && dlcc_expf(-200.0f) == 0.0f);
    assert_true(isnan(dlcc_expf(NAN)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tanh),
        cmocka_unit_test(test_erf),
        cmocka_unit_test(test_exp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
