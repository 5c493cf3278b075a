/*
 * mt19937.h: numpy's legacy generator, for the seeded ONNX random operators.
 *
 * ONNX leaves the generator of RandomUniform, RandomNormal, Bernoulli and
 * training-mode Dropout open; its reference implementation (and so the
 * expected data of the backend tests) draws from numpy's
 * RandomState(seed).  When such a node has a `seed` attribute, generated
 * code reproduces that stream bit for bit: Mersenne Twister MT19937 seeded
 * with init_genrand(seed), doubles from two words as (a >> 5, b >> 6)
 * (random_sample), normals by the legacy polar method that keeps the
 * second value (randn), binomial(1, p) by numpy's inversion algorithm.
 * The state (about 2.5 KB) lives in the kernel's scratch, so every call of
 * net_run starts the stream again from the seed, as the reference does.
 * Bit-exact needs no fused multiply-add where numpy has none: clang is told
 * so below and kernels scale in separate statements; gcc contracts only in
 * its GNU modes (-std=gnu11), not with -std=c11.
 */
#include <math.h>
#include <stdint.h>

#ifndef DLCC_RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define DLCC_RT_FN static __attribute__((unused))
#else
#define DLCC_RT_FN static inline
#endif
#endif

typedef struct {
    uint32_t key[624];
    int pos;
    int has_gauss;
    double gauss;
} dlcc_mt19937;

DLCC_RT_FN void dlcc_mt_seed(dlcc_mt19937 *s, uint32_t seed) {
    for (int i = 0; i < 624; i++) {
        s->key[i] = seed;
        seed = 1812433253u * (seed ^ (seed >> 30)) + (uint32_t)i + 1u;
    }
    s->pos = 624;
    s->has_gauss = 0;
    s->gauss = 0.0;
}

DLCC_RT_FN uint32_t dlcc_mt_next(dlcc_mt19937 *s) {
    if (s->pos == 624) {
        for (int i = 0; i < 624; i++) {
            uint32_t y = (s->key[i] & 0x80000000u) | (s->key[(i + 1) % 624] & 0x7fffffffu);
            s->key[i] = s->key[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        }
        s->pos = 0;
    }
    uint32_t y = s->key[s->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

/* A double in [0, 1) with 53 random bits. */
DLCC_RT_FN double dlcc_mt_double(dlcc_mt19937 *s) {
    uint32_t a = dlcc_mt_next(s) >> 5, b = dlcc_mt_next(s) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

/* A standard normal value (numpy's legacy_gauss). */
DLCC_RT_FN double dlcc_mt_gauss(dlcc_mt19937 *s) {
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif
    if (s->has_gauss) {
        s->has_gauss = 0;
        return s->gauss;
    }
    double x1, x2, r2;
    do {
        x1 = 2.0 * dlcc_mt_double(s) - 1.0;
        x2 = 2.0 * dlcc_mt_double(s) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    s->gauss = f * x1;
    s->has_gauss = 1;
    return f * x2;
}

/* binomial(1, p) (numpy's legacy_random_binomial with n = 1, inversion);
 * p must be in [0, 1]. */
DLCC_RT_FN int dlcc_mt_bernoulli(dlcc_mt19937 *s, double p) {
    int flip = p > 0.5;
    if (flip)
        p = 1.0 - p;
    /* numpy's bound min(n, np + 10 sqrt(npq + 1)) is n = 1 here. */
    const int64_t bound = 1;
    double q = 1.0 - p, qn = exp(log(q)), px = qn, u = dlcc_mt_double(s);
    int64_t x = 0;
    while (u > px) {
        x++;
        if (x > bound) {
            x = 0;
            px = qn;
            u = dlcc_mt_double(s);
        } else {
            u -= px;
            px = ((double)(1 - x + 1) * p * px) / ((double)x * q);
        }
    }
    return flip ? 1 - (int)x : (int)x;
}
