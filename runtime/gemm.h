/*
 * gemm.h: single-precision matrix multiply for generated code.
 *
 *   dlcc_sgemm(M, N, K, alpha, A, rsa, csa, B, rsb, csb, beta, C, ldc, pack)
 *
 * computes C = alpha * A * B + beta * C, where element (i, k) of A is
 * A[i*rsa + k*csa] and element (k, j) of B is B[k*rsb + j*csb], so
 * transposed operands cost nothing.  beta == 0 overwrites C without
 * reading it.  `pack` is scratch of DLCC_SGEMM_PACK_FLOATS(M, N, K) floats
 * (64-byte aligned), from the kernel's ws.  Matrix-vector shapes (M or N
 * equal to 1) skip packing.
 *
 * The structure is the usual Goto/BLIS one: B is packed in KC x NC blocks
 * into panels NR columns wide, A in MC x KC blocks into panels MR rows
 * tall, and a register-tiled MR x NR micro-kernel multiplies one A panel
 * by one B panel.  The micro-kernel is written with GCC/clang vector
 * extensions, so the same source gives AVX-512, AVX2, SSE or NEON code;
 * the vector width follows the predefined target macros, and compilers
 * without vector extensions get a scalar loop.
 */
#include <stdint.h>
#include <string.h>

#ifndef DLCC_RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define DLCC_RT_FN static __attribute__((unused))
#else
#define DLCC_RT_FN static inline
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#if defined(__AVX512F__)
#define DLCC_VBYTES 64
#define DLCC_GEMM_MR 8
#define DLCC_GEMM_NV 2
#elif defined(__AVX__)
#define DLCC_VBYTES 32
#define DLCC_GEMM_MR 6
#define DLCC_GEMM_NV 2
#else
#define DLCC_VBYTES 16
#define DLCC_GEMM_MR 6
#define DLCC_GEMM_NV 2
#endif
#define DLCC_VL (DLCC_VBYTES / 4)
typedef float dlcc_vf __attribute__((vector_size(DLCC_VBYTES)));
typedef float dlcc_vfu __attribute__((vector_size(DLCC_VBYTES), aligned(4)));
#define DLCC_VLOADU(p) (*(const dlcc_vfu *)(const void *)(p))
#define DLCC_VSTOREU(p, v) (*(dlcc_vfu *)(void *)(p) = (v))
/* DLCC_VSPLAT: a broadcast.  The portable `(dlcc_vf){0} + x` costs a real
 * add per splat (0 + -0.0 is +0.0, so compilers keep it), which in the
 * micro-kernel's inner loop competes with the FMAs: intrinsics where there
 * are some. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define DLCC_VFMA(c, a, b) ((dlcc_vf)_mm512_fmadd_ps((__m512)(a), (__m512)(b), (__m512)(c)))
#define DLCC_VSPLAT(x) ((dlcc_vf)_mm512_set1_ps((float)(x)))
#elif defined(__AVX__)
#include <immintrin.h>
#if defined(__FMA__)
#define DLCC_VFMA(c, a, b) ((dlcc_vf)_mm256_fmadd_ps((__m256)(a), (__m256)(b), (__m256)(c)))
#else
#define DLCC_VFMA(c, a, b) ((c) + (a) * (b))
#endif
#define DLCC_VSPLAT(x) ((dlcc_vf)_mm256_set1_ps((float)(x)))
#elif defined(__SSE__)
#include <immintrin.h>
#define DLCC_VFMA(c, a, b) ((c) + (a) * (b))
#define DLCC_VSPLAT(x) ((dlcc_vf)_mm_set1_ps((float)(x)))
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define DLCC_VFMA(c, a, b) ((dlcc_vf)vfmaq_f32((float32x4_t)(c), (float32x4_t)(a), (float32x4_t)(b)))
#define DLCC_VSPLAT(x) ((dlcc_vf)vdupq_n_f32((float)(x)))
#else
#define DLCC_VFMA(c, a, b) ((c) + (a) * (b))
#define DLCC_VSPLAT(x) ((dlcc_vf){0} + (float)(x))
#endif
#else /* no vector extensions: one float per "vector" */
#define DLCC_VL 1
#define DLCC_GEMM_MR 4
#define DLCC_GEMM_NV 4
typedef float dlcc_vf;
#define DLCC_VSPLAT(x) ((float)(x))
#define DLCC_VLOADU(p) (*(const float *)(p))
#define DLCC_VSTOREU(p, v) (*(float *)(p) = (v))
#define DLCC_VFMA(c, a, b) ((c) + (a) * (b))
#endif

#define DLCC_GEMM_NR (DLCC_GEMM_NV * DLCC_VL)
/* Full unrolling keeps the accumulators in registers (GCC does not do it at -O2). */
#if defined(__GNUC__) || defined(__clang__)
#define DLCC_UNROLL _Pragma("GCC unroll 16")
#else
#define DLCC_UNROLL
#endif
#define DLCC_GEMM_KC 256
#define DLCC_GEMM_MC (DLCC_GEMM_MR * 8)
#define DLCC_GEMM_NC (DLCC_GEMM_NR * 32)
/* Pack space for an M x N x K product: an A block, then a B block.  The
 * bounds hold for every target (MR <= 8, MC <= 64, NR <= 32, NC <= 1024);
 * codegen/emit_nn.c computes the same formula to size the scratch. */
#define DLCC_GEMM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define DLCC_SGEMM_PACK_A(M, K) \
    ((DLCC_GEMM_MIN((M) + 7, 64) * DLCC_GEMM_MIN((K), DLCC_GEMM_KC) + 15) / 16 * 16)
#define DLCC_SGEMM_PACK_FLOATS(M, N, K) \
    (DLCC_SGEMM_PACK_A(M, K) + DLCC_GEMM_MIN((K), DLCC_GEMM_KC) * DLCC_GEMM_MIN((N) + 31, 1024))

/* Packs rows [i0, i0+mc) x cols [k0, k0+kc) of A into MR-row panels. */
DLCC_RT_FN void dlcc_sgemm_pack_a(int64_t mc, int64_t kc, const float *A, int64_t rsa, int64_t csa, float *restrict pa) {
    for (int64_t i = 0; i < mc; i += DLCC_GEMM_MR) {
        int64_t mr = mc - i < DLCC_GEMM_MR ? mc - i : DLCC_GEMM_MR;
        const float *a = A + i * rsa;
        if (csa == 1 && mr == DLCC_GEMM_MR) {
            /* k outer: contiguous stores (compilers vectorise the other
             * order into scatters, which are slow on x86) */
            for (int64_t k = 0; k < kc; k++) {
                DLCC_UNROLL
                for (int r = 0; r < DLCC_GEMM_MR; r++)
                    pa[k * DLCC_GEMM_MR + r] = a[r * rsa + k];
            }
        } else if (csa == 1) {
            for (int64_t r = 0; r < mr; r++)
                for (int64_t k = 0; k < kc; k++)
                    pa[k * DLCC_GEMM_MR + r] = a[r * rsa + k];
        } else {
            for (int64_t k = 0; k < kc; k++)
                for (int64_t r = 0; r < mr; r++)
                    pa[k * DLCC_GEMM_MR + r] = a[r * rsa + k * csa];
        }
        for (int64_t r = mr; r < DLCC_GEMM_MR; r++)
            for (int64_t k = 0; k < kc; k++)
                pa[k * DLCC_GEMM_MR + r] = 0.0f;
        pa += DLCC_GEMM_MR * kc;
    }
}

/* Packs a kc x nc block of B into NR-column panels. */
DLCC_RT_FN void dlcc_sgemm_pack_b(int64_t kc, int64_t nc, const float *B, int64_t rsb, int64_t csb, float *restrict pb) {
    for (int64_t j = 0; j < nc; j += DLCC_GEMM_NR) {
        int64_t nr = nc - j < DLCC_GEMM_NR ? nc - j : DLCC_GEMM_NR;
        const float *b = B + j * csb;
        if (csb == 1 && nr == DLCC_GEMM_NR) {
            for (int64_t k = 0; k < kc; k++)
                memcpy(pb + k * DLCC_GEMM_NR, b + k * rsb, sizeof(float) * DLCC_GEMM_NR);
        } else if (csb == 1) {
            for (int64_t k = 0; k < kc; k++) {
                int64_t c = 0;
                for (; c < nr; c++)
                    pb[k * DLCC_GEMM_NR + c] = b[k * rsb + c];
                for (; c < DLCC_GEMM_NR; c++)
                    pb[k * DLCC_GEMM_NR + c] = 0.0f;
            }
        } else if (nr == DLCC_GEMM_NR) {
            /* k outer, so that the stores are contiguous (see pack_a) */
            for (int64_t k = 0; k < kc; k++) {
                DLCC_UNROLL
                for (int c = 0; c < DLCC_GEMM_NR; c++)
                    pb[k * DLCC_GEMM_NR + c] = b[k * rsb + c * csb];
            }
        } else {
            for (int64_t k = 0; k < kc; k++) {
                int64_t c = 0;
                for (; c < nr; c++)
                    pb[k * DLCC_GEMM_NR + c] = b[k * rsb + c * csb];
                for (; c < DLCC_GEMM_NR; c++)
                    pb[k * DLCC_GEMM_NR + c] = 0.0f;
            }
        }
        pb += DLCC_GEMM_NR * kc;
    }
}

/* C[0:mr, 0:nr] = alpha * pa * pb + beta * C (beta == 0: C not read). */
DLCC_RT_FN void dlcc_sgemm_micro(int64_t kc, const float *restrict pa, const float *restrict pb, float *restrict C,
                             int64_t ldc, int64_t mr, int64_t nr, float alpha, float beta) {
    dlcc_vf acc[DLCC_GEMM_MR][DLCC_GEMM_NV];
    DLCC_UNROLL
    for (int i = 0; i < DLCC_GEMM_MR; i++)
        DLCC_UNROLL
        for (int j = 0; j < DLCC_GEMM_NV; j++)
            acc[i][j] = DLCC_VSPLAT(0.0f);
    for (int64_t k = 0; k < kc; k++) {
        dlcc_vf b[DLCC_GEMM_NV];
        DLCC_UNROLL
        for (int j = 0; j < DLCC_GEMM_NV; j++)
            b[j] = DLCC_VLOADU(pb + j * DLCC_VL);
        DLCC_UNROLL
        for (int i = 0; i < DLCC_GEMM_MR; i++) {
            dlcc_vf a = DLCC_VSPLAT(pa[i]);
            DLCC_UNROLL
            for (int j = 0; j < DLCC_GEMM_NV; j++)
                acc[i][j] = DLCC_VFMA(acc[i][j], a, b[j]);
        }
        pa += DLCC_GEMM_MR;
        pb += DLCC_GEMM_NR;
    }
    dlcc_vf va = DLCC_VSPLAT(alpha), vb = DLCC_VSPLAT(beta);
    if (mr == DLCC_GEMM_MR && nr == DLCC_GEMM_NR) {
        for (int i = 0; i < DLCC_GEMM_MR; i++)
            for (int j = 0; j < DLCC_GEMM_NV; j++) {
                float *c = C + i * ldc + j * DLCC_VL;
                dlcc_vf r = acc[i][j] * va;
                if (beta != 0.0f)
                    r += vb * DLCC_VLOADU(c);
                DLCC_VSTOREU(c, r);
            }
        return;
    }
    float tile[DLCC_GEMM_MR][DLCC_GEMM_NR];
    for (int i = 0; i < DLCC_GEMM_MR; i++)
        for (int j = 0; j < DLCC_GEMM_NV; j++)
            DLCC_VSTOREU(&tile[i][j * DLCC_VL], acc[i][j]);
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nr; j++) {
            float r = alpha * tile[i][j];
            if (beta != 0.0f)
                r += beta * C[i * ldc + j];
            C[i * ldc + j] = r;
        }
}

/* Dot product of two contiguous vectors. */
DLCC_RT_FN float dlcc_sdot(const float *a, const float *b, int64_t n) {
    dlcc_vf s0 = DLCC_VSPLAT(0.0f), s1 = s0, s2 = s0, s3 = s0;
    int64_t k = 0;
    for (; k + 4 * DLCC_VL <= n; k += 4 * DLCC_VL) {
        s0 = DLCC_VFMA(s0, DLCC_VLOADU(a + k), DLCC_VLOADU(b + k));
        s1 = DLCC_VFMA(s1, DLCC_VLOADU(a + k + DLCC_VL), DLCC_VLOADU(b + k + DLCC_VL));
        s2 = DLCC_VFMA(s2, DLCC_VLOADU(a + k + 2 * DLCC_VL), DLCC_VLOADU(b + k + 2 * DLCC_VL));
        s3 = DLCC_VFMA(s3, DLCC_VLOADU(a + k + 3 * DLCC_VL), DLCC_VLOADU(b + k + 3 * DLCC_VL));
    }
    for (; k + DLCC_VL <= n; k += DLCC_VL)
        s0 = DLCC_VFMA(s0, DLCC_VLOADU(a + k), DLCC_VLOADU(b + k));
    s0 = (s0 + s1) + (s2 + s3);
    float lanes[DLCC_VL], r = 0.0f;
    memcpy(lanes, &s0, sizeof lanes);
    for (int i = 0; i < DLCC_VL; i++)
        r += lanes[i];
    for (; k < n; k++)
        r += a[k] * b[k];
    return r;
}

/* y[j*incy] = alpha * sum_k x[k*incx] * B[k*rsb + j] + beta * y[j*incy]
 * for a B whose rows are contiguous: accumulate whole rows, a chunk at a time. */
DLCC_RT_FN void dlcc_sgemv_rows(int64_t N, int64_t K, float alpha, const float *x, int64_t incx, const float *B,
                            int64_t rsb, float beta, float *y, int64_t incy) {
    float acc[512];
    for (int64_t j0 = 0; j0 < N; j0 += 512) {
        int64_t nc = N - j0 < 512 ? N - j0 : 512;
        for (int64_t j = 0; j < nc; j++)
            acc[j] = 0.0f;
        for (int64_t k = 0; k < K; k++) {
            float a = x[k * incx];
            const float *b = B + k * rsb + j0;
            for (int64_t j = 0; j < nc; j++)
                acc[j] += a * b[j];
        }
        for (int64_t j = 0; j < nc; j++) {
            float r = alpha * acc[j];
            if (beta != 0.0f)
                r += beta * y[(j0 + j) * incy];
            y[(j0 + j) * incy] = r;
        }
    }
}

DLCC_RT_FN void dlcc_sgemm(int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t rsa, int64_t csa,
                       const float *B, int64_t rsb, int64_t csb, float beta, float *C, int64_t ldc, float *pack) {
    float *pa = pack, *pb = pack + DLCC_SGEMM_PACK_A(M, K);
    if (K <= 0) {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++)
                C[i * ldc + j] = beta != 0.0f ? beta * C[i * ldc + j] : 0.0f;
        return;
    }
    /* Matrix-vector products: no packing, one pass over the matrix. */
    if (M == 1 && csb == 1) {
        dlcc_sgemv_rows(N, K, alpha, A, csa, B, rsb, beta, C, 1);
        return;
    }
    /* A few rows (a recurrent step, a small batch) times B^T with B's
     * columns contiguous: dot products, no packing; each column of B is
     * read once and used for every row while it is in L1. */
    if (M <= 4 && rsb == 1 && csa == 1) {
        for (int64_t j = 0; j < N; j++)
            for (int64_t i = 0; i < M; i++)
                C[i * ldc + j] = alpha * dlcc_sdot(A + i * rsa, B + j * csb, K) +
                                 (beta != 0.0f ? beta * C[i * ldc + j] : 0.0f);
        return;
    }
    if (N == 1 && csa == 1 && rsb == 1) {
        for (int64_t i = 0; i < M; i++)
            C[i * ldc] = alpha * dlcc_sdot(A + i * rsa, B, K) + (beta != 0.0f ? beta * C[i * ldc] : 0.0f);
        return;
    }
    if (N == 1 && rsa == 1) {
        dlcc_sgemv_rows(M, K, alpha, B, rsb, A, csa, beta, C, ldc);
        return;
    }
    for (int64_t jc = 0; jc < N; jc += DLCC_GEMM_NC) {
        int64_t nc = N - jc < DLCC_GEMM_NC ? N - jc : DLCC_GEMM_NC;
        for (int64_t pc = 0; pc < K; pc += DLCC_GEMM_KC) {
            int64_t kc = K - pc < DLCC_GEMM_KC ? K - pc : DLCC_GEMM_KC;
            float bet = pc == 0 ? beta : 1.0f;
            dlcc_sgemm_pack_b(kc, nc, B + pc * rsb + jc * csb, rsb, csb, pb);
            for (int64_t ic = 0; ic < M; ic += DLCC_GEMM_MC) {
                int64_t mc = M - ic < DLCC_GEMM_MC ? M - ic : DLCC_GEMM_MC;
                dlcc_sgemm_pack_a(mc, kc, A + ic * rsa + pc * csa, rsa, csa, pa);
                for (int64_t jr = 0; jr < nc; jr += DLCC_GEMM_NR) {
                    int64_t nr = nc - jr < DLCC_GEMM_NR ? nc - jr : DLCC_GEMM_NR;
                    for (int64_t ir = 0; ir < mc; ir += DLCC_GEMM_MR) {
                        int64_t mr = mc - ir < DLCC_GEMM_MR ? mc - ir : DLCC_GEMM_MR;
                        dlcc_sgemm_micro(kc, pa + ir * kc, pb + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc, mr, nr,
                                         alpha, bet);
                    }
                }
            }
        }
    }
}
