/*
 * string_api_test.c: the generated C API of string tensors (dtype 8), driven
 * through s.h, t.h and p.h (run_string_api.sh builds them).
 *
 * A string tensor is an array of `const char *`.  The test checks that the
 * descriptors say dtype 8; that outputs point into the caller's inputs
 * (Identity, StringNormalizer without a case change), into static data (a
 * constant) or into the string arena inside the state (StringConcat, case
 * changes, Cast to string); that the arena is reset by every net_run (same
 * addresses on a second run); that inputs are never written; that a full
 * arena (--string-bytes 16) is -DLCC_ERR_STRING (4); and that StringSplit
 * pads with "" up to the declared width and returns -DLCC_ERR_SHAPE (3) when
 * a string has more pieces.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p.h"
#include "s.h"
#include "t.h"

static int failures;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);        \
            failures++;                                                             \
        }                                                                           \
    } while (0)

static void check_str(const char *got, const char *want, const char *what, int i) {
    if (!got || strcmp(got, want)) {
        printf("%s[%d]: got \"%s\", want \"%s\"\n", what, i, got ? got : "(null)", want);
        failures++;
    }
}

static int in_range(const void *p, const void *lo, size_t n) {
    return (const char *)p >= (const char *)lo && (const char *)p < (const char *)lo + n;
}

int main(void) {
    static const char *const x[4] = {"hello", "World", "drop", "MiXed"};
    static const char *const y[1] = {"!"};
    const char *x_copy[4], *y_copy[1];
    memcpy(x_copy, x, sizeof x);
    memcpy(y_copy, y, sizeof y);

    CHECK(S_NUM_INPUTS == 2 && S_NUM_OUTPUTS == 7);
    CHECK(s_inputs[0].dtype == 8 && s_inputs[0].rank == 1 && s_inputs[0].dims[0] == 4);
    CHECK(s_outputs[1].dtype == 8 && s_outputs[2].dtype == 9);

    void *state = aligned_alloc(64, (S_STATE_SIZE + 63) / 64 * 64);
    CHECK(state && s_init(state) == 0);
    const char *o_i[4], *o_cat[4], *o_up[4], *o_kept[3], *o_k[2], *o_fs[4], *first_cat[4];
    uint8_t o_eq[4];
    const void *in[2] = {x, y};
    void *out[7] = {o_i, o_cat, o_eq, o_up, o_kept, o_k, o_fs};
    for (int run = 0; run < 2; run++) {
        memset(o_cat, 0xff, sizeof o_cat);
        int rc = s_run(state, in, out);
        CHECK(rc == 0);
        if (rc)
            break;
        static const char *const cat[4] = {"hello!", "World!", "drop!", "MiXed!"};
        static const char *const up[4] = {"HELLO", "WORLD", "DROP", "MIXED"};
        static const char *const fs[4] = {"0.1", "1.5", "1e+20", "-2.5e-07"};
        for (int i = 0; i < 4; i++) {
            CHECK(o_i[i] == x[i]); /* Identity: the caller's strings */
            check_str(o_cat[i], cat[i], "cat", i);
            CHECK(in_range(o_cat[i], state, S_STATE_SIZE)); /* the string arena */
            CHECK(o_eq[i] == 0);
            check_str(o_up[i], up[i], "up", i);
            CHECK(in_range(o_up[i], state, S_STATE_SIZE));
            check_str(o_fs[i], fs[i], "fs", i);
            if (run == 0)
                first_cat[i] = o_cat[i];
            else
                CHECK(o_cat[i] == first_cat[i]); /* the arena starts over every run */
        }
        CHECK(o_kept[0] == x[0] && o_kept[1] == x[1] && o_kept[2] == x[3]); /* stopword "drop" removed */
        check_str(o_k[0], "const", "k", 0);
        check_str(o_k[1], "caf\xc3\xa9", "k", 1);
        CHECK(!in_range(o_k[0], state, S_STATE_SIZE)); /* static data of s.c */
    }
    CHECK(!memcmp(x_copy, x, sizeof x) && !memcmp(y_copy, y, sizeof y));

    /* equal on one matching element, broadcast against y */
    static const char *const x2[4] = {"a", "!", "drop", "!"};
    const void *in2[2] = {x2, y};
    CHECK(s_run(state, in2, out) == 0);
    CHECK(o_eq[0] == 0 && o_eq[1] == 1 && o_eq[2] == 0 && o_eq[3] == 1);
    /* no stopword: 4 strings left where the model declares 3 */
    static const char *const x3[4] = {"a", "b", "c", "d"};
    const void *in4[2] = {x3, y};
    CHECK(s_run(state, in4, out) == -3);

    /* t: the same model with a 16-byte string arena: StringConcat needs 26 */
    void *tstate = aligned_alloc(64, (T_STATE_SIZE + 63) / 64 * 64);
    CHECK(tstate && t_init(tstate) == 0);
    CHECK(T_STATE_SIZE < S_STATE_SIZE);
    CHECK(t_run(tstate, in, out) == -4);
    static const char *const tiny[4] = {"a", "b", "c", "d"}; /* concat 12 bytes, then UPPER 8: full */
    const void *in3[2] = {tiny, y};
    CHECK(t_run(tstate, in3, out) == -4);

    /* p: StringSplit with a declared width of 2 */
    void *pstate = aligned_alloc(64, (P_STATE_SIZE + 63) / 64 * 64);
    CHECK(pstate && p_init(pstate) == 0);
    static const char *const sx[2] = {"a,b", "c"};
    const char *parts[4];
    int64_t n[2];
    const void *pin[1] = {sx};
    void *pout[2] = {parts, n};
    CHECK(p_run(pstate, pin, pout) == 0);
    check_str(parts[0], "a", "parts", 0);
    check_str(parts[1], "b", "parts", 1);
    check_str(parts[2], "c", "parts", 2);
    check_str(parts[3], "", "parts", 3);
    CHECK(n[0] == 2 && n[1] == 1);
    static const char *const sx2[2] = {"a,b,c", "c"};
    pin[0] = sx2;
    CHECK(p_run(pstate, pin, pout) == -3);

    free(state);
    free(tstate);
    free(pstate);
    if (failures) {
        printf("%d checks failed\n", failures);
        return 1;
    }
    printf("ok: string API\n");
    return 0;
}
