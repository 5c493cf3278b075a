/*
 * infer_time.c: times net_run of one dlcc-generated model (bench/vs_ort.sh).
 *
 *   infer_time RUNS IN.pb ...      (linked with net.c built with --name net)
 *
 * Reads the inputs with tests/onnx/tensor_io.c, runs net_run 3 times to warm
 * up, then RUNS times, and prints one line "median_ms MEDIAN min_ms MIN"
 * of wall-clock milliseconds per run (CLOCK_MONOTONIC; one thread).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"
#include "tensor_io.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc < 2 + NET_NUM_INPUTS) {
        fprintf(stderr, "usage: %s RUNS IN.pb ... (%d inputs)\n", argv[0], NET_NUM_INPUTS);
        return 2;
    }
    int runs = atoi(argv[1]);
    if (runs < 1)
        runs = 1;
    const void *inputs[NET_NUM_INPUTS + 1];
    TioTensor t[NET_NUM_INPUTS + 1];
    char err[512];
    for (int i = 0; i < NET_NUM_INPUTS; i++) {
        if (tio_read_pb(argv[2 + i], &t[i], err, sizeof err) != 0) {
            fprintf(stderr, "%s: %s\n", argv[2 + i], err);
            return 2;
        }
        inputs[i] = t[i].data;
    }
    void *outputs[NET_NUM_OUTPUTS + 1];
    for (int k = 0; k < NET_NUM_OUTPUTS; k++) {
        size_t n = tio_dtype_size(net_outputs[k].dtype);
        for (int d = 0; d < net_outputs[k].rank; d++)
            n *= (size_t)net_outputs[k].dims[d];
        outputs[k] = malloc(n ? n : 1);
    }
    void *state = aligned_alloc(64, (NET_STATE_SIZE + 63) / 64 * 64 + 64);
    if (!state || net_init(state) != 0)
        return 3;
    double *ms = malloc(sizeof *ms * (size_t)runs);
    for (int r = 0; r < 3; r++)
        if (net_run(state, inputs, outputs) != 0)
            return 3;
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        net_run(state, inputs, outputs);
        ms[r] = now_ms() - t0;
    }
    qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
    printf("median_ms %.4f min_ms %.4f\n", ms[runs / 2], ms[0]);
    return 0;
}
