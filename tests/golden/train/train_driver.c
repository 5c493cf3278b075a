/*
 * train_driver.c: a training run through the generated API only, for
 * train_roundtrip.py (the training program and its printed IR must train
 * the same).
 *
 * Built against one generated net.c/net.h (prefix `net`).  Fills every input
 * and target with deterministic values (floats in [-1, 1), float targets in
 * [0, 1), integers alternating 0 and 1, so class labels are valid for any
 * classifier), runs three net_train_step calls, then net_run, and prints the
 * losses, every parameter and every output as exact hexadecimal floats (f32
 * and f64; other types as integers), one value a line.  Two builds train
 * identically when their outputs are equal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static size_t dtype_bytes(int dt) {
    switch (dt) {
    case 2: case 3: case 9: return 1;         /* u8 i8 bool */
    case 4: case 5: case 10: case 16: return 2; /* u16 i16 f16 bf16 */
    case 7: case 11: case 13: return 8;       /* i64 f64 u64 */
    default: return 4;                        /* f32 i32 u32 */
    }
}

static size_t desc_numel(const dlcc_tensor_desc *d) {
    size_t n = 1;
    for (int i = 0; i < d->rank; i++)
        n *= (size_t)d->dims[i];
    return n;
}

static uint32_t rng_state = 12345u;
static double rng_next(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return (double)(rng_state >> 8) / 16777216.0;
}

static void *tensor_fill(const dlcc_tensor_desc *d, int target) {
    size_t n = desc_numel(d), b = dtype_bytes(d->dtype);
    unsigned char *p = calloc(n ? n : 1, b);
    if (!p)
        exit(2);
    for (size_t i = 0; i < n; i++) {
        double x = target ? rng_next() : 2.0 * rng_next() - 1.0;
        switch (d->dtype) {
        case 1: ((float *)p)[i] = (float)x; break;
        case 11: ((double *)p)[i] = x; break;
        case 7: ((int64_t *)p)[i] = (int64_t)(i % 2); break;
        case 6: ((int32_t *)p)[i] = (int32_t)(i % 2); break;
        default: p[i * b] = (unsigned char)(i % 2); break;
        }
    }
    return p;
}

static void tensor_print(const char *what, const dlcc_tensor_desc *d, const void *data) {
    size_t n = desc_numel(d);
    printf("%s %s\n", what, d->name);
    for (size_t i = 0; i < n; i++) {
        if (d->dtype == 1)
            printf("%a\n", (double)((const float *)data)[i]);
        else if (d->dtype == 11)
            printf("%a\n", ((const double *)data)[i]);
        else if (d->dtype == 7)
            printf("%lld\n", (long long)((const int64_t *)data)[i]);
        else
            printf("%u\n", (unsigned)((const unsigned char *)data)[i * dtype_bytes(d->dtype)]);
    }
}

int main(void) {
    size_t bytes = ((size_t)NET_STATE_SIZE + 63) / 64 * 64;
    void *state = aligned_alloc(64, bytes ? bytes : 64);
    if (!state || net_init(state) != 0)
        return 1;
    const void *inputs[NET_NUM_INPUTS + 1];
    const void *targets[NET_NUM_TARGETS + 1];
    void *outputs[NET_NUM_OUTPUTS + 1];
    for (int i = 0; i < NET_NUM_INPUTS; i++)
        inputs[i] = tensor_fill(&net_inputs[i], 0);
    for (int i = 0; i < NET_NUM_TARGETS; i++)
        targets[i] = tensor_fill(&net_targets[i], 1);
    for (int i = 0; i < NET_NUM_OUTPUTS; i++)
        outputs[i] = calloc(desc_numel(&net_outputs[i]) + 1, dtype_bytes(net_outputs[i].dtype));
    printf("state %zu params %d targets %d\n", (size_t)NET_STATE_SIZE, NET_NUM_PARAMS, NET_NUM_TARGETS);
    for (int step = 0; step < 3; step++) {
        float loss = 0;
        int rc = net_train_step(state, inputs, targets, &loss);
        printf("step %d rc %d loss %a\n", step, rc, (double)loss);
    }
    for (int i = 0; i < NET_NUM_PARAMS; i++)
        tensor_print("param", &net_params[i], net_param(state, i));
    printf("run rc %d\n", net_run(state, inputs, outputs));
    for (int i = 0; i < NET_NUM_OUTPUTS; i++)
        tensor_print("output", &net_outputs[i], outputs[i]);
    return 0;
}
