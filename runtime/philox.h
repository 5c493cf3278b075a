/*
 * philox.h: the counter-based generator of generated code (dropout masks).
 *
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
 * 3"), the same function as ir/init.c's philox4x32_10: four 32-bit words
 * from a 64-bit key and a 128-bit counter, so any element of a stream can
 * be computed on its own.  Dropout keys it with the node's seed and counts
 * with (element / 4, step, node id): the backward recomputes the forward's
 * mask instead of storing it.
 */
#include <stdint.h>

#ifndef DLCC_RT_FN
#if defined(__GNUC__) || defined(__clang__)
#define DLCC_RT_FN static __attribute__((unused))
#else
#define DLCC_RT_FN static inline
#endif
#endif

DLCC_RT_FN void dlcc_philox4x32_10(uint32_t k0, uint32_t k1, uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3,
                                   uint32_t out[4]) {
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

/* Keep bits of elements [4 * blk, 4 * blk + 4) of dropout node `id` at
 * training step `step`: element j is kept when its word is >= thr
 * (thr = ratio * 2^32). */
DLCC_RT_FN void dlcc_dropout_block(uint64_t seed, uint32_t id, uint64_t step, uint64_t blk, uint32_t thr,
                                   unsigned char keep[4]) {
    uint32_t w[4];
    dlcc_philox4x32_10((uint32_t)seed, (uint32_t)(seed >> 32), (uint32_t)blk, (uint32_t)(blk >> 32), (uint32_t)step,
                       id ^ ((uint32_t)(step >> 32) << 16), w);
    for (int j = 0; j < 4; j++)
        keep[j] = w[j] >= thr;
}
