/*
 * train_step.c: times net_train_step of a generated training build
 * (--name net) on random inputs and labels, through the API only.
 *
 *   train_step [RUNS]      prints the median, min and max ms per step
 *
 * Three warm-up steps, then RUNS (default 50) timed steps, each timed on
 * its own, in wall-clock time (CLOCK_MONOTONIC) and in the thread's CPU
 * time (CLOCK_THREAD_CPUTIME_ID), which a busy machine disturbs less.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"

static size_t numel(const dlcc_tensor_desc *d) {
    size_t n = 1;
    for (int i = 0; i < d->rank; i++)
        n *= (size_t)d->dims[i];
    return n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int runs = argc > 1 ? atoi(argv[1]) : 50;
    if (runs < 1)
        runs = 1;
    void *state = aligned_alloc(64, (NET_STATE_SIZE + 63) / 64 * 64);
    if (!state || net_init(state) != 0)
        return 3;
    const void *in[NET_NUM_INPUTS + 1], *tg[NET_NUM_TARGETS + 1];
    uint32_t r = 12345;
    for (int i = 0; i < NET_NUM_INPUTS; i++) {
        size_t n = numel(&net_inputs[i]);
        float *p = malloc(n * sizeof(float) + 1);
        for (size_t k = 0; k < n; k++) {
            r = r * 1664525u + 1013904223u;
            p[k] = (float)(r >> 8) / 16777216.0f;
        }
        in[i] = p;
    }
    for (int i = 0; i < NET_NUM_TARGETS; i++) {
        size_t n = numel(&net_targets[i]);
        int64_t *p = malloc(n * sizeof(int64_t) + 1);
        for (size_t k = 0; k < n; k++) {
            r = r * 1664525u + 1013904223u;
            p[k] = (int64_t)((r >> 8) % 10);
        }
        tg[i] = p;
    }
    double *ms = malloc(sizeof(double) * (size_t)runs), *cpu = malloc(sizeof(double) * (size_t)runs);
    float loss = 0;
    for (int s = 0; s < 3 + runs; s++) {
        struct timespec a, b, ca, cb;
        clock_gettime(CLOCK_MONOTONIC, &a);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ca);
        if (net_train_step(state, in, tg, &loss) != 0)
            return 4;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cb);
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (s >= 3) {
            ms[s - 3] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
            cpu[s - 3] = (double)(cb.tv_sec - ca.tv_sec) * 1e3 + (double)(cb.tv_nsec - ca.tv_nsec) / 1e6;
        }
    }
    qsort(ms, (size_t)runs, sizeof(double), cmp_double);
    qsort(cpu, (size_t)runs, sizeof(double), cmp_double);
    printf("%.2f ms/step median wall (min %.2f, max %.2f), %.2f ms/step median CPU (min %.2f); %d runs, "
           "final loss %.4f\n", ms[runs / 2], ms[0], ms[runs - 1], cpu[runs / 2], cpu[0], runs, loss);
    return 0;
}
