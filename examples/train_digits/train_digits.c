/*
 * train_digits.c: trains the CNN of digits.dl on the scikit-learn digits,
 * in generated C, through the training API only (net_init, net_train_step,
 * net_run).
 *
 *   dlcc digits.dl --dim N=32 -o digits_net.c --name digits
 *   cc -std=c11 -O2 train_digits.c digits_net.c -lm -o train_digits
 *   ./train_digits digits.bin [EPOCHS] [MIN_ACCURACY]
 *
 * digits.bin comes from scripts/export_digits.py (a fixed 80/20 split).
 * Each epoch shuffles the training images (a fixed-seed xorshift) and runs
 * one train step per mini-batch of DIGITS_BATCH images (a last partial
 * batch is dropped); the test accuracy is measured with net_run, which uses
 * the running batch-norm statistics and no dropout.  Exit status 1 when the
 * final test accuracy is below MIN_ACCURACY (default 0.97).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digits_net.h"

#define DIGITS_BATCH (int)(digits_inputs[0].dims[0])
#define PIXELS 64

typedef struct Split {
    uint32_t n;
    float *x;   /* n x 64 */
    uint8_t *y; /* n */
} Split;

static int read_split(FILE *f, Split *s, uint32_t n) {
    s->n = n;
    s->x = malloc(sizeof(float) * PIXELS * n + 1);
    s->y = malloc(n + 1);
    if (!s->x || !s->y)
        return -1;
    if (fread(s->x, sizeof(float) * PIXELS, n, f) != n || fread(s->y, 1, n, f) != n)
        return -1;
    return 0;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rng_next(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* Fraction of split s classified correctly by net_run, a batch at a time
 * (the last batch is padded by repeating its first image). */
static double evaluate(void *state, const Split *s) {
    int B = DIGITS_BATCH, correct = 0;
    float *x = malloc(sizeof(float) * PIXELS * (size_t)B);
    float *logits = malloc(sizeof(float) * 10 * (size_t)B);
    for (uint32_t start = 0; start < s->n; start += (uint32_t)B) {
        int m = s->n - start < (uint32_t)B ? (int)(s->n - start) : B;
        for (int i = 0; i < B; i++)
            memcpy(x + i * PIXELS, s->x + (size_t)(start + (i < m ? i : 0)) * PIXELS, sizeof(float) * PIXELS);
        const void *in[1] = {x};
        void *out[1] = {logits};
        if (digits_run(state, in, out) != 0) {
            fprintf(stderr, "digits_run failed\n");
            exit(3);
        }
        for (int i = 0; i < m; i++) {
            int best = 0;
            for (int k = 1; k < 10; k++)
                if (logits[i * 10 + k] > logits[i * 10 + best])
                    best = k;
            correct += best == s->y[start + i];
        }
    }
    free(x);
    free(logits);
    return (double)correct / (double)s->n;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s digits.bin [EPOCHS] [MIN_ACCURACY]\n", argv[0]);
        return 2;
    }
    int epochs = argc > 2 ? atoi(argv[2]) : 30;
    double min_acc = argc > 3 ? atof(argv[3]) : 0.97;
    FILE *f = fopen(argv[1], "rb");
    char magic[4];
    uint32_t n[2];
    Split train, test;
    if (!f || fread(magic, 1, 4, f) != 4 || memcmp(magic, "DGTS", 4) || fread(n, 4, 2, f) != 2 ||
        read_split(f, &train, n[0]) || read_split(f, &test, n[1])) {
        fprintf(stderr, "%s: cannot read the digits file (scripts/export_digits.py writes it)\n", argv[1]);
        return 2;
    }
    fclose(f);

    void *state = aligned_alloc(64, (DIGITS_STATE_SIZE + 63) / 64 * 64);
    if (!state || digits_init(state) != 0)
        return 3;
    int B = DIGITS_BATCH;
    float *bx = malloc(sizeof(float) * PIXELS * (size_t)B);
    int64_t *by = malloc(sizeof(int64_t) * (size_t)B);
    uint32_t *order = malloc(sizeof(uint32_t) * train.n);
    for (uint32_t i = 0; i < train.n; i++)
        order[i] = i;
    printf("digits: %u train, %u test images, batch %d, %d epochs, state %zu bytes\n", train.n, test.n, B, epochs,
           (size_t)DIGITS_STATE_SIZE);
    clock_t t0 = clock();
    for (int ep = 0; ep < epochs; ep++) {
        for (uint32_t i = train.n - 1; i > 0; i--) {
            uint32_t j = rng_next() % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double sum = 0;
        int steps = 0;
        for (uint32_t start = 0; start + (uint32_t)B <= train.n; start += (uint32_t)B) {
            for (int i = 0; i < B; i++) {
                uint32_t k = order[start + (uint32_t)i];
                memcpy(bx + i * PIXELS, train.x + (size_t)k * PIXELS, sizeof(float) * PIXELS);
                by[i] = train.y[k];
            }
            const void *in[1] = {bx}, *tg[1] = {by};
            float loss;
            if (digits_train_step(state, in, tg, &loss) != 0) {
                fprintf(stderr, "digits_train_step failed\n");
                return 3;
            }
            sum += loss;
            steps++;
        }
        if (ep % 5 == 4 || ep == epochs - 1)
            printf("epoch %2d  loss %.4f  test accuracy %.4f\n", ep + 1, sum / steps, evaluate(state, &test));
    }
    double acc = evaluate(state, &test);
    printf("digits: test accuracy %.2f%% (%d/%u) after %d epochs, %.1f s of training\n", 100 * acc,
           (int)(acc * test.n + 0.5), test.n, epochs, (double)(clock() - t0) / CLOCKS_PER_SEC);
    free(state);
    free(bx);
    free(by);
    free(order);
    if (acc < min_acc) {
        printf("digits: FAIL, below %.2f%%\n", 100 * min_acc);
        return 1;
    }
    return 0;
}
