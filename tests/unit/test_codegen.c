/*
 * test_codegen.c: the codegen driver, the emitter helpers and the runtime
 * conversions, checked by compiling what they write.
 *
 * Graphs are built by hand with shapes and arena offsets set directly (no
 * passes), using only ops whose emitters live in emit_common.c (Identity,
 * Reshape, Constant).  Generated files are written to a fresh /tmp folder
 * and built with clang and gcc at -std=c11 -Wall -Wextra -Wpedantic
 * -Werror, then run; a compiler that is not installed is skipped.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "codegen/codegen.h"

static const char *compilers[] = {"clang", "gcc"};
#define CFLAGS "-std=c11 -O1 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror"

static char tmpdir[256];

static int group_setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dlcc_test_codegen_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    char cmd[512];
    if (getenv("DLCC_KEEP_TMP")) /* keep the generated files for reading */
        return 0;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static bool have_compiler(const char *cc) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", cc);
    return system(cmd) == 0;
}

static void write_file(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* Builds sources (space-separated, in tmpdir) with cc into exe and runs it;
 * returns the exit status. */
static int build_and_run(const char *cc, const char *sources, const char *exe) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s " CFLAGS " -o %s %s -lm", tmpdir, cc, exe, sources);
    int rc = system(cmd);
    if (rc != 0) {
        print_error("build failed: %s\n", cmd);
        return -1;
    }
    snprintf(cmd, sizeof cmd, "cd '%s' && ./%s > %s.out", tmpdir, exe, exe);
    return system(cmd);
}

/* ---------------------------------------------------------------- weights blob */

static void blob_roundtrip(const unsigned char *data, size_t len) {
    Buf src = {0};
    buf_puts(&src, "#include <stdio.h>\n");
    codegen_write_blob(&src, "blob", data, len, len);
    buf_printf(&src, "int main(void) {\n"
                     "    if (sizeof blob < %zu || ((size_t)blob & 63) != 0)\n        return 3;\n"
                     "    return fwrite(blob, 1, %zu, stdout) == %zu ? 0 : 2;\n}\n",
               len, len, len);
    char path[512];
    snprintf(path, sizeof path, "%s/blob.c", tmpdir);
    write_file(path, src.data, src.len);
    buf_free(&src);
    for (size_t i = 0; i < sizeof compilers / sizeof *compilers; i++) {
        if (!have_compiler(compilers[i]))
            continue;
        assert_int_equal(build_and_run(compilers[i], "blob.c", "blob"), 0);
        snprintf(path, sizeof path, "%s/blob.out", tmpdir);
        size_t n;
        char *out = read_file(path, &n);
        assert_int_equal(n, len);
        assert_memory_equal(out, data, len);
        free(out);
    }
}

static void test_blob_bytes(void **state) {
    (void)state;
    /* every ordered pair of bytes, so each escape meets each following byte */
    size_t len = 2 * 256 * 256 + 64;
    unsigned char *d = malloc(len);
    size_t n = 0;
    for (int a = 0; a < 256; a++)
        for (int b = 0; b < 256; b++) {
            d[n++] = (unsigned char)a;
            d[n++] = (unsigned char)b;
        }
    static const char tricky[] = "\?\?=\?\?/\?\?'\?\?(\?\?)\?\?!\?\?<\?\?>\?\?-\?\"\\\1" "7\0" "0\377" "8\12" "3\?\?";
    memcpy(d + n, tricky, sizeof tricky - 1);
    n += sizeof tricky - 1;
    while (n < len)
        d[n++] = 0; /* trailing zeros come from the zero fill */
    blob_roundtrip(d, len);
    /* descending order, then a pseudo-random walk */
    for (size_t i = 0; i < len; i++)
        d[i] = (unsigned char)(255 - i % 256);
    blob_roundtrip(d, 4096);
    uint32_t x = 12345;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        d[i] = (unsigned char)(x >> 24);
    }
    blob_roundtrip(d, len);
    free(d);
}

static void test_blob_edges(void **state) {
    (void)state;
    unsigned char zeros[100] = {0};
    blob_roundtrip(zeros, sizeof zeros);
    unsigned char one[1] = {'7'};
    blob_roundtrip(one, 1);
    unsigned char q[300];
    memset(q, '?', sizeof q);
    blob_roundtrip(q, sizeof q);
    unsigned char esc[240];
    for (size_t i = 0; i < sizeof esc; i++)
        esc[i] = i % 2 ? (unsigned char)('0' + i % 8) : (unsigned char)(i % 7);
    blob_roundtrip(esc, sizeof esc);
}

/* ---------------------------------------------------------------- literals and loads */

typedef struct T {
    Ctx c;
    Graph *g;
} T;

static int setup(void **state) {
    T *t = calloc(1, sizeof *t);
    ctx_init(&t->c);
    t->g = graph_new(t->c.arena, "test");
    *state = t;
    return 0;
}

static int teardown(void **state) {
    T *t = *state;
    ctx_free(&t->c);
    free(t);
    return 0;
}

static void test_literals(void **state) {
    T *t = *state;
    Emit e = {.ctx = &t->c, .graph = t->g, .measure = true};
    assert_string_equal(emit_literal(&e, DT_F32, 1.5), "1.5f");
    assert_string_equal(emit_literal(&e, DT_F32, 2), "2.0f");
    assert_string_equal(emit_literal(&e, DT_F32, -0.25), "(-0.25f)");
    assert_string_equal(emit_literal(&e, DT_F32, 0.1), "0.100000001f");
    assert_string_equal(emit_literal(&e, DT_F32, 1e30), "1.00000002e+30f");
    assert_string_equal(emit_literal(&e, DT_F16, 3), "3.0f");
    assert_string_equal(emit_literal(&e, DT_F64, 0.1), "0.10000000000000001");
    assert_string_equal(emit_literal(&e, DT_F64, 1.0 / 0.0), "INFINITY");
    assert_string_equal(emit_literal(&e, DT_F32, -1.0 / 0.0), "(-INFINITY)");
    assert_string_equal(emit_literal(&e, DT_F32, 0.0 / 0.0), "NAN");
    assert_string_equal(emit_literal(&e, DT_I32, 3), "3");
    assert_string_equal(emit_literal(&e, DT_I32, -3), "(-3)");
    assert_string_equal(emit_literal(&e, DT_I64, 5e9), "5000000000LL");
    assert_string_equal(emit_literal(&e, DT_I64, -9223372036854775808.0), "(-9223372036854775807LL - 1)");
    assert_string_equal(emit_literal(&e, DT_U64, 1e19), "10000000000000000000ULL");
    assert_string_equal(emit_literal(&e, DT_BOOL, 2), "1");
    assert_false(ctx_failed(&t->c));
}

static void test_load_store(void **state) {
    T *t = *state;
    Buf b = {0};
    Emit e = {.ctx = &t->c, .graph = t->g, .buf = &b, .indent = 1};
    assert_string_equal(emit_load(&e, DT_F32, "x0", "i"), "x0[i]");
    assert_string_equal(emit_load(&e, DT_F16, "x0", "i + 1"), "dlcc_f16_to_f32(x0[i + 1])");
    assert_string_equal(emit_load(&e, DT_BF16, "x0 + 4", "i"), "dlcc_bf16_to_f32((x0 + 4)[i])");
    assert_string_equal(emit_load(&e, DT_F8E5M2, "p", "0"), "dlcc_f8e5m2_decode(p[0])");
    emit_store(&e, DT_F16, "y0", "i", "v");
    emit_store(&e, DT_I64, "y0", "i", "v");
    assert_string_equal(b.data, "    y0[i] = dlcc_f32_to_f16(v);\n    y0[i] = v;\n");
    /* measuring: nothing written, scratch counted in 64-byte steps */
    e.measure = true;
    emitf(&e, "junk");
    assert_string_equal(emit_scratch(&e, 10), "ws");
    assert_string_equal(emit_scratch(&e, 100), "((char *)ws + 64)");
    assert_int_equal(e.scratch, 64 + 128);
    assert_int_equal(b.len, strlen("    y0[i] = dlcc_f32_to_f16(v);\n    y0[i] = v;\n"));
    buf_free(&b);
    assert_false(ctx_failed(&t->c));
}

/* ---------------------------------------------------------------- runtime conversions */

static void test_half_runtime(void **state) {
    (void)state;
    const char *half = runtime_piece("half");
    assert_non_null(half);
    assert_non_null(runtime_piece("base"));
    /* reference table from the compiler's own conversions */
    Buf src = {0};
    buf_puts(&src, "#include <stdio.h>\n#include <math.h>\n");
    buf_puts(&src, half);
    buf_puts(&src, "static const float f2h_in[] = {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 65520.0f, 1e-8f, 3e-8f,"
                   " 6.1e-5f, 5.96e-8f, 1.0009765625f, 1.00048828125f, 1.00146484375f, 3.14159265f, 1e10f,"
                   " 0.333333f, -7e-6f};\n");
    int n_ref = 17;
    float f2h_in[] = {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 65520.0f, 1e-8f, 3e-8f, 6.1e-5f, 5.96e-8f,
                      1.0009765625f, 1.00048828125f, 1.00146484375f, 3.14159265f, 1e10f, 0.333333f, -7e-6f};
    buf_puts(&src, "static const unsigned short f2h_ref[] = {");
    for (int i = 0; i < n_ref; i++)
        buf_printf(&src, "%u, ", float_to_half(f2h_in[i]));
    buf_puts(&src, "};\nstatic const unsigned short f2b_ref[] = {");
    for (int i = 0; i < n_ref; i++)
        buf_printf(&src, "%u, ", float_to_bf16(f2h_in[i]));
    buf_puts(&src, "};\nstatic const unsigned h2f_ref[65536] = {");
    for (unsigned h = 0; h < 65536; h++) {
        float f = half_to_float((uint16_t)h);
        uint32_t u;
        memcpy(&u, &f, 4);
        buf_printf(&src, "%uu,%s", u, h % 16 == 15 ? "\n" : "");
    }
    buf_puts(&src,
             "};\n"
             "int main(void) {\n"
             "    int bad = 0;\n"
             "    for (unsigned h = 0; h < 65536; h++) {\n"
             "        float f = dlcc_f16_to_f32((uint16_t)h), r = dlcc_bits_to_f32(h2f_ref[h]);\n"
             "        if (isnan(r) ? !isnan(f) : dlcc_f32_to_bits(f) != h2f_ref[h]) bad++;\n"
             "        if (!isnan(f) && dlcc_f32_to_f16(f) != h) bad++;\n"
             "        if (dlcc_f32_to_bits(dlcc_bf16_to_f32((uint16_t)h)) != h << 16) bad++;\n"
             "    }\n"
             "    for (unsigned i = 0; i < sizeof f2h_in / sizeof *f2h_in; i++) {\n"
             "        if (dlcc_f32_to_f16(f2h_in[i]) != f2h_ref[i]) { printf(\"f16 %g\\n\", f2h_in[i]); bad++; }\n"
             "        if (dlcc_f32_to_bf16(f2h_in[i]) != f2b_ref[i]) { printf(\"bf16 %g\\n\", f2h_in[i]); bad++; }\n"
             "    }\n"
             "    /* float8: every finite code round-trips; the extremes saturate */\n"
             "    for (int kind = 0; kind < 4; kind++) {\n"
             "        float prev = -INFINITY;\n"
             "        for (unsigned v = 0; v < 256; v++) {\n"
             "            float f = dlcc_f8_decode((uint8_t)v, kind);\n"
             "            if (isnan(f) || isinf(f)) continue;\n"
             "            unsigned back = dlcc_f8_encode(f, kind, 1);\n"
             "            if (back != v && !(f == 0 && (kind & 1))) { printf(\"f8 %d %u %g %u\\n\", kind, v, f, back); bad++; }\n"
             "            if (v < 128 && f < prev) bad++;\n"
             "            if (v < 128) prev = f;\n"
             "        }\n"
             "    }\n"
             "    if (dlcc_f8e4m3fn_decode(0x7e) != 448.0f || dlcc_f8e4m3fn_encode(1e9f) != 0x7e) bad++;\n"
             "    if (dlcc_f8e5m2_decode(0x7b) != 57344.0f || dlcc_f8_encode(1e9f, 2, 0) != 0x7c) bad++;\n"
             "    if (dlcc_f8e4m3fnuz_decode(0x7f) != 240.0f || !isnan(dlcc_f8e4m3fnuz_decode(0x80))) bad++;\n"
             "    if (dlcc_f8e4m3fn_encode(0.5f * 0.001953125f) != 0 || dlcc_f8e4m3fn_encode(0.001953125f) != 1) bad++;\n"
             "    if (dlcc_f8e4m3fn_encode(1.0625f) != 0x38 || dlcc_f8e4m3fn_encode(1.1875f) != 0x3a) bad++; /* ties to even */\n"
             "    printf(\"bad %d\\n\", bad);\n"
             "    return bad != 0;\n"
             "}\n");
    char path[512];
    snprintf(path, sizeof path, "%s/half.c", tmpdir);
    write_file(path, src.data, src.len);
    buf_free(&src);
    for (size_t i = 0; i < sizeof compilers / sizeof *compilers; i++)
        if (have_compiler(compilers[i]))
            assert_int_equal(build_and_run(compilers[i], "half.c", "half"), 0);
}

/* ---------------------------------------------------------------- whole files */

static const char *driver_src =
    "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"net.h\"\n"
    "int main(void) {\n"
    "    _Alignas(64) static unsigned char state[NET_STATE_SIZE];\n"
    "    static unsigned char inbuf[64], outbuf[4][256];\n"
    "    float x[6] = {1, -2, 3.5f, 4, 5, 6};\n"
    "    float *xin = (float *)(void *)(inbuf + 1); /* misaligned on purpose */\n"
    "    memcpy(xin, x, sizeof x);\n"
    "    const void *inputs[NET_NUM_INPUTS] = {xin};\n"
    "    void *outputs[NET_NUM_OUTPUTS] = {outbuf[0] + 3, outbuf[1] + 1, outbuf[2], outbuf[3] + 5};\n"
    "    if (net_state_size() != NET_STATE_SIZE || NET_STATE_SIZE < 64) return 10;\n"
    "    if (net_run(NULL, inputs, outputs) != -1) return 11;\n"
    "    if (net_run(state + 1, inputs, outputs) != -1) return 12;\n"
    "    if (net_run(state, NULL, outputs) != -1) return 13;\n"
    "    if (net_init(state) != 0) return 14;\n"
    "    for (int rep = 0; rep < 2; rep++)\n"
    "        if (net_run(state, inputs, outputs) != 0) return 15;\n"
    "    float y[6], k[6] = {0.5f, 0.25f, -1, 2, 1e-3f, 7};\n"
    "    memcpy(y, outputs[0], sizeof y);\n"
    "    if (memcmp(y, x, sizeof x)) return 20;\n"
    "    memcpy(y, outputs[1], sizeof y);\n"
    "    if (memcmp(y, x, sizeof x)) return 21;\n"
    "    memcpy(y, outputs[2], sizeof y);\n"
    "    if (memcmp(y, k, sizeof k)) return 22;\n"
    "    memcpy(y, outputs[3], sizeof y);\n"
    "    if (memcmp(y, x, sizeof x)) return 23;\n"
    "    if (NET_NUM_INPUTS != 1 || NET_NUM_OUTPUTS != 4) return 30;\n"
    "    if (strcmp(net_inputs[0].name, \"in \\\"x\\\"?\") || net_inputs[0].dtype != 1 || net_inputs[0].rank != 2\n"
    "        || net_inputs[0].dims[0] != 2 || net_inputs[0].dims[1] != 3) return 31;\n"
    "    if (net_outputs[3].rank != 1 || net_outputs[3].dims[0] != 6 || strcmp(net_outputs[2].name, \"k\")) return 32;\n"
    "    return 0;\n"
    "}\n";

static void test_identity_net(void **state) {
    T *t = *state;
    Graph *g = t->g;
    int64_t d23[2] = {2, 3}, d6[1] = {6}, shape6[1] = {6};
    Value *x = graph_add_input(g, "in \"x\"?", DT_F32, 2, d23);
    /* y = Identity(x); z = Identity(y) (shares y's bytes); r = Reshape(z, [6]) */
    Node *n1 = graph_add_node(g, OP_IDENTITY, &x, 1, 1);
    value_set_shape(n1->out[0], DT_F32, 2, d23);
    n1->out[0]->offset = 0;
    Node *n2 = graph_add_node(g, OP_IDENTITY, &n1->out[0], 1, 1);
    value_set_shape(n2->out[0], DT_F32, 2, d23);
    n2->out[0]->alias = n1->out[0];
    Value *shape = graph_const_i64s(g, shape6, 1);
    Value *rin[2] = {n2->out[0], shape};
    Node *n3 = graph_add_node(g, OP_RESHAPE, rin, 2, 1);
    value_set_shape(n3->out[0], DT_F32, 1, d6);
    n3->out[0]->offset = 64;
    float kdata[6] = {0.5f, 0.25f, -1, 2, 1e-3f, 7};
    Value *k = graph_add_const(g, "kdata", DT_F32, 2, d23, kdata);
    /* a Constant op's output without folded data: copied from the weights */
    Node *n4 = graph_add_node(g, OP_CONSTANT, NULL, 0, 1);
    Attr *a = node_set_attr(g, n4, "value", AT_TENSOR);
    a->t = k;
    value_set_shape(n4->out[0], DT_F32, 2, d23);
    n4->out[0]->offset = 128;
    n4->out[0]->name = "k";
    graph_add_output(g, n2->out[0]);
    graph_add_output(g, x);
    graph_add_output(g, n4->out[0]);
    graph_add_output(g, n3->out[0]);

    size_t scratch[8];
    assert_true(codegen_measure_scratch(g, &t->c, scratch));
    for (int i = 0; i < g->n_nodes; i++)
        assert_int_equal(scratch[i], 0);

    Buf c = {0}, h = {0};
    bool ok = codegen_emit(g, &t->c, "net", &c, &h);
    if (!ok)
        diag_print(&t->c, stderr);
    assert_true(ok);
    assert_non_null(strstr(h.data, "#define NET_NUM_INPUTS 1\n"));
    assert_non_null(strstr(h.data, "#define NET_NUM_OUTPUTS 4\n"));
    assert_non_null(strstr(h.data, "int    net_run(void *state, const void *const inputs[], void *const outputs[]);"));
    assert_non_null(strstr(h.data, "extern \"C\""));
    assert_null(strstr(c.data, "#include \"net.h\""));
    assert_non_null(strstr(c.data, "static int net_k0("));
    assert_null(strstr(c.data, "net_k1(")); /* aliased Identity: no kernel */
    char path[512];
    snprintf(path, sizeof path, "%s/net.c", tmpdir);
    write_file(path, c.data, c.len);
    snprintf(path, sizeof path, "%s/net.h", tmpdir);
    write_file(path, h.data, h.len);
    snprintf(path, sizeof path, "%s/main.c", tmpdir);
    write_file(path, driver_src, strlen(driver_src));
    buf_free(&c);
    buf_free(&h);
    for (size_t i = 0; i < sizeof compilers / sizeof *compilers; i++)
        if (have_compiler(compilers[i]))
            assert_int_equal(build_and_run(compilers[i], "net.c main.c", "net"), 0);
}

/* Two models in one program: every external symbol carries the prefix. */
static void test_two_prefixes(void **state) {
    T *t = *state;
    Graph *g = t->g;
    int64_t d[1] = {4};
    Value *x = graph_add_input(g, "x", DT_I64, 1, d);
    Node *n = graph_add_node(g, OP_IDENTITY, &x, 1, 1);
    value_set_shape(n->out[0], DT_I64, 1, d);
    n->out[0]->offset = 0;
    graph_add_output(g, n->out[0]);
    const char *prefixes[2] = {"m_a", "Mb"};
    char path[512];
    for (int i = 0; i < 2; i++) {
        Buf c = {0}, h = {0};
        assert_true(codegen_emit(g, &t->c, prefixes[i], &c, &h));
        snprintf(path, sizeof path, "%s/%s.c", tmpdir, prefixes[i]);
        write_file(path, c.data, c.len);
        snprintf(path, sizeof path, "%s/%s.h", tmpdir, prefixes[i]);
        write_file(path, h.data, h.len);
        buf_free(&c);
        buf_free(&h);
    }
    const char *main2 = "#include \"m_a.h\"\n#include \"Mb.h\"\n"
                        "int main(void) {\n"
                        "    _Alignas(64) static char s1[M_A_STATE_SIZE], s2[MB_STATE_SIZE];\n"
                        "    int64_t x[4] = {1, 2, 3, -4}, y[4] = {0}, z[4] = {0};\n"
                        "    const void *in[1] = {x};\n    void *o1[1] = {y}, *o2[1] = {z};\n"
                        "    if (m_a_init(s1) || Mb_init(s2) || m_a_run(s1, in, o1) || Mb_run(s2, in, o2)) return 1;\n"
                        "    return y[3] != -4 || z[2] != 3 || m_a_outputs[0].dtype != 7;\n"
                        "}\n";
    snprintf(path, sizeof path, "%s/main2.c", tmpdir);
    write_file(path, main2, strlen(main2));
    for (size_t i = 0; i < sizeof compilers / sizeof *compilers; i++)
        if (have_compiler(compilers[i]))
            assert_int_equal(build_and_run(compilers[i], "m_a.c Mb.c main2.c", "two"), 0);
    Buf c = {0}, h = {0};
    assert_false(codegen_emit(g, &t->c, "9bad", &c, &h));
    buf_free(&c);
    buf_free(&h);
}

/* A value without storage is an internal error, not a crash or bad C. */
static void test_unplanned(void **state) {
    T *t = *state;
    Graph *g = t->g;
    int64_t d[1] = {4};
    Value *x = graph_add_input(g, "x", DT_F32, 1, d);
    Node *n = graph_add_node(g, OP_IDENTITY, &x, 1, 1);
    value_set_shape(n->out[0], DT_F32, 1, d);
    Node *m = graph_add_node(g, OP_IDENTITY, &n->out[0], 1, 1);
    value_set_shape(m->out[0], DT_F32, 1, d);
    m->out[0]->offset = 0;
    graph_add_output(g, m->out[0]);
    Buf c = {0}, h = {0};
    assert_false(codegen_emit(g, &t->c, "net", &c, &h));
    assert_true(ctx_failed(&t->c));
    assert_non_null(strstr(t->c.diags->msg, "no storage"));
    buf_free(&c);
    buf_free(&h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blob_bytes),
        cmocka_unit_test(test_blob_edges),
        cmocka_unit_test_setup_teardown(test_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_store, setup, teardown),
        cmocka_unit_test(test_half_runtime),
        cmocka_unit_test_setup_teardown(test_identity_net, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_prefixes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unplanned, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
