/*
 * sequence_api_test.c: the generated C API of sequence and optional inputs
 * and outputs, driven through seqapi.h (run_sequence_api.sh builds it).
 *
 * A sequence slot's buffer is an array of item pointers; its net_inputs[]
 * entry has rank -1 and dims[0] = the item count, and seqapi_input_kinds[]
 * gives the kind, presence and each item's type.  An optional tensor that is
 * present is a plain tensor buffer; an absent optional (and an empty
 * sequence) is never read or written, so NULL is fine there.  The test
 * checks the tables, the values (one item pointer misaligned, so the
 * generated code stages it), that the inputs are not written, and that a
 * NULL item pointer is -DLCC_ERR_ARG.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seqapi.h"

static int failures;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            failures++;                                                             \
        }                                                                           \
    } while (0)

static void check_floats(const float *got, const float *want, int n, const char *what) {
    for (int i = 0; i < n; i++)
        if (got[i] != want[i]) {
            printf("%s[%d]: got %g, want %g\n", what, i, got[i], want[i]);
            failures++;
        }
}

int main(void) {
    /* the tables */
    CHECK(SEQAPI_NUM_INPUTS == 5);
    CHECK(SEQAPI_NUM_OUTPUTS == 3);
    CHECK(SEQAPI_HAS_IO_KINDS == 1);
    CHECK(!strcmp(seqapi_inputs[0].name, "x") && seqapi_inputs[0].rank == -1 && seqapi_inputs[0].dims[0] == 2);
    CHECK(seqapi_inputs[0].dtype == 1);
    CHECK(seqapi_input_kinds[0].kind == 1 && seqapi_input_kinds[0].present == 1);
    CHECK(seqapi_input_kinds[0].n_items == 2 && seqapi_input_kinds[0].items[1].rank == 1);
    CHECK(seqapi_input_kinds[0].items[0].dims[0] == 2 && seqapi_input_kinds[0].items[1].dims[0] == 3);
    CHECK(seqapi_input_kinds[1].kind == 0 && !strcmp(seqapi_inputs[1].name, "b") && seqapi_inputs[1].rank == 1);
    CHECK(seqapi_input_kinds[2].kind == 2 && seqapi_input_kinds[2].present == 1);
    CHECK(!strcmp(seqapi_inputs[2].name, "o") && seqapi_inputs[2].rank == 1 && seqapi_inputs[2].dims[0] == 2);
    CHECK(seqapi_input_kinds[3].kind == 2 && seqapi_input_kinds[3].present == 0 && seqapi_inputs[3].rank == -1);
    CHECK(seqapi_input_kinds[4].kind == 1 && seqapi_input_kinds[4].n_items == 0 && seqapi_inputs[4].dtype == 7);
    CHECK(seqapi_output_kinds[0].kind == 1 && seqapi_output_kinds[0].n_items == 3);
    CHECK(!strcmp(seqapi_outputs[0].name, "y") && seqapi_outputs[0].dims[0] == 3);
    CHECK(seqapi_output_kinds[0].items[1].dims[0] == 3 && seqapi_output_kinds[0].items[2].dims[0] == 2);
    CHECK(seqapi_output_kinds[1].kind == 0 && !strcmp(seqapi_outputs[1].name, "s"));
    CHECK(seqapi_output_kinds[2].kind == 3 && seqapi_output_kinds[2].present == 0);

    /* a run */
    static float x0[2] = {1, 2}, b[2] = {10, 20}, o0[2] = {5, 7};
    static union {
        unsigned char bytes[4 * 3 + 1];
        float align;
    } x1buf;
    float x1v[3] = {3, 4, 5};
    memcpy(x1buf.bytes + 1, x1v, sizeof x1v); /* a misaligned item */
    const void *x_items[2] = {x0, x1buf.bytes + 1};
    const void *inputs[5] = {x_items, b, o0, NULL, NULL};
    float y0[2], y1[3], y2[2], s[2];
    void *y_items[3] = {y0, y1, y2};
    void *outputs[3] = {y_items, s, NULL};
    void *state = aligned_alloc(64, (SEQAPI_STATE_SIZE + 63) / 64 * 64);
    CHECK(state && seqapi_init(state) == 0);
    for (int run = 0; run < 2; run++) {
        memset(y0, 0xff, sizeof y0);
        memset(y1, 0xff, sizeof y1);
        memset(y2, 0xff, sizeof y2);
        memset(s, 0xff, sizeof s);
        CHECK(seqapi_run(state, inputs, outputs) == 0);
        check_floats(y0, (const float[]){11, 22}, 2, "y[0]");
        check_floats(y1, (const float[]){6, 8, 10}, 3, "y[1]");
        check_floats(y2, (const float[]){1, 2}, 2, "y[2]");
        check_floats(s, (const float[]){-5, -13}, 2, "s");
    }
    check_floats(x0, (const float[]){1, 2}, 2, "x[0] after the run");
    float x1after[3];
    memcpy(x1after, x1buf.bytes + 1, sizeof x1after);
    check_floats(x1after, x1v, 3, "x[1] after the run");

    /* a NULL item pointer, and a NULL item array */
    x_items[1] = NULL;
    CHECK(seqapi_run(state, inputs, outputs) == -1);
    x_items[1] = x1buf.bytes + 1;
    y_items[2] = NULL;
    CHECK(seqapi_run(state, inputs, outputs) == -1);
    outputs[0] = NULL;
    CHECK(seqapi_run(state, inputs, outputs) == -1);
    free(state);

    if (failures) {
        printf("sequence-api: %d check(s) failed\n", failures);
        return 1;
    }
    printf("sequence-api: all checks passed\n");
    return 0;
}
