/*
 * test_gemm.c: the runtime's single-precision GEMM (runtime/gemm.h, pasted
 * into generated code) against a naive double-precision product.
 *
 * The runtime pieces are headers meant for generated C, so this file
 * includes base.h and gemm.h directly and is built for the host's default
 * target (the unit tests' flags).  It covers every path of dlcc_sgemm:
 * matrix-vector, the dot-product path for a few rows, the packed blocked
 * path with full and partial micro-tiles, K above one KC block, N above one
 * NC block, every combination of transposed A and B strides, alpha, and
 * beta 0 (C not read: it starts as NaN) or 1 (C accumulated).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../runtime/base.h"
#include "../../runtime/gemm.h"

static void check_one(int64_t M, int64_t N, int64_t K, int ta, int tb, float beta) {
    float *A = malloc(sizeof(float) * (size_t)(M * K + 1)), *B = malloc(sizeof(float) * (size_t)(K * N + 1));
    float *C = malloc(sizeof(float) * (size_t)(M * N + 1)), *R = malloc(sizeof(float) * (size_t)(M * N + 1));
    float *pack = malloc(sizeof(float) * (size_t)(DLCC_SGEMM_PACK_FLOATS(M, N, K) + 1));
    assert_non_null(A);
    assert_non_null(B);
    assert_non_null(C);
    assert_non_null(R);
    assert_non_null(pack);
    for (int64_t i = 0; i < M * K; i++)
        A[i] = (float)((i * 7) % 13) - 6.0f;
    for (int64_t i = 0; i < K * N; i++)
        B[i] = (float)((i * 5) % 11) - 5.0f;
    int64_t rsa = ta ? 1 : K, csa = ta ? M : 1, rsb = tb ? 1 : N, csb = tb ? K : 1;
    const float alpha = 0.5f;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++)
                s += (double)A[i * rsa + k * csa] * B[k * rsb + j * csb];
            float c0 = (float)((i + j) % 3);
            R[i * N + j] = (float)(alpha * s + (beta != 0.0f ? beta * c0 : 0.0));
            C[i * N + j] = beta != 0.0f ? c0 : NAN;
        }
    dlcc_sgemm(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, N, pack);
    for (int64_t i = 0; i < M * N; i++)
        if (!(fabsf(C[i] - R[i]) <= 1e-4f * (1.0f + fabsf(R[i]))))
            fail_msg("M=%lld N=%lld K=%lld ta=%d tb=%d beta=%g: element %lld is %g, want %g", (long long)M,
                     (long long)N, (long long)K, ta, tb, (double)beta, (long long)i, (double)C[i], (double)R[i]);
    free(A);
    free(B);
    free(C);
    free(R);
    free(pack);
}

static void test_sgemm_shapes(void **state) {
    (void)state;
    static const int64_t Ms[] = {1, 2, 4, 5, 8, 9, 17, 49, 100};
    static const int64_t Ns[] = {1, 3, 16, 31, 32, 33, 49, 1100};
    static const int64_t Ks[] = {1, 5, 64, 257};
    for (size_t a = 0; a < sizeof Ms / sizeof Ms[0]; a++)
        for (size_t b = 0; b < sizeof Ns / sizeof Ns[0]; b++)
            for (size_t c = 0; c < sizeof Ks / sizeof Ks[0]; c++)
                for (int t = 0; t < 4; t++) {
                    check_one(Ms[a], Ns[b], Ks[c], t & 1, t >> 1, 0.0f);
                    check_one(Ms[a], Ns[b], Ks[c], t & 1, t >> 1, 1.0f);
                }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgemm_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
