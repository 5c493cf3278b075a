/*
 * main.c: the dlcc command line (shared/API.md).
 *
 *   dlcc [options] MODEL -o OUT.c
 *   dlcc run [options] MODEL [--input NAME=FILE.pb ...] [--output-dir DIR]
 *
 * A compilation is load (frontend) -> pipeline_run (passes) -> codegen_emit
 * (or the IR printer / Graphviz writer for --emit=ir|dot).  After each stage
 * a failed Ctx is turned into diagnostics on stderr and exit status 1; a bad
 * command line is status 2.  Output files are written to OUT.tmpXXXXXX in
 * the same folder and renamed into place only when everything succeeded, so
 * a failure never leaves a partial file.
 *
 * `dlcc run` compiles into a fresh temporary folder together with a small
 * driver program, converts the input .pb tensors to raw bytes (dlcc reads
 * protobuf, the driver does not), builds with clang (or cc), runs it, and
 * converts the raw outputs it wrote back to output_K.pb files.
 */
#define _XOPEN_SOURCE 700
#include "codegen/codegen.h"
#include "frontend/frontend.h"
#include "ir/ir.h"
#include "passes/passes.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

enum { EXIT_MODEL = 1, EXIT_USAGE = 2 };

typedef enum Emit_kind { EMIT_C, EMIT_IR, EMIT_DOT } EmitKind;

typedef struct RunInput {
    const char *name; /* NULL: match by the tensor's own name, else by position */
    const char *path;
} RunInput;

typedef struct Options {
    bool run;
    const char *model;
    const char *out;
    const char *name;
    EmitKind emit;
    RunInput *inputs;
    int n_inputs;
    RunInput *consts;       /* --const-input NAME=FILE.pb */
    int n_consts;
    const char *output_dir;
} Options;

static const char usage_text[] =
    "usage: dlcc [options] MODEL -o OUT.c     compile MODEL (.onnx or .dl) to OUT.c and OUT.h\n"
    "       dlcc run [options] MODEL [--input NAME=FILE.pb ...] [--output-dir DIR]\n"
    "                                         compile, build with clang, run once, write output_K.pb\n"
    "       dlcc --help | --version\n"
    "\n"
    "options:\n"
    "  -o FILE                  output C file (header beside it, .h); '-' writes the C to stdout\n"
    "  --name NAME              prefix of every generated symbol (default: output file stem)\n"
    "  --emit=c|ir|dot          C (default), the IR as .dl text, or a Graphviz graph\n"
    "  --dim SYM=N              bind a symbolic dimension (repeatable)\n"
    "  -O0 | -O1 | -O2          optimisation level (default -O2)\n"
    "  --train                  training build\n"
    "  --loss KIND              cross_entropy, mse, mae, bce, bce_with_logits, nll (ONNX --train)\n"
    "  --optimizer NAME[:k=v,...]  sgd, momentum, nesterov, adagrad, rmsprop, adadelta, adam, adamw\n"
    "  --freeze NAME,...        initializers that stay constant in a training build\n"
    "  --print-after=PASS       dump the IR after PASS to stderr\n"
    "  --print-after-all        dump the IR after every pass\n"
    "  --verify-each            run the IR verifier after every pass\n"
    "  --sequence NAME=SHAPE,...  a sequence input's items (2x3,4,() ...; NAME= for none)\n"
    "  --absent NAME            compile optional input NAME as empty\n"
    "  --string-bytes N         bytes of the string arena in the state (default 65536)\n"
    "  --const-input NAME=FILE.pb  specialise: input NAME is the constant in FILE.pb\n"
    "                           (it keeps its API slot; the value passed at run time is not read)\n"
    "  --input NAME=FILE.pb     (run) an input tensor; NAME= may be left out\n"
    "  --output-dir DIR         (run) where output_K.pb go (default .)\n";

static int usage_error(const char *fmt, const char *arg) {
    fputs("dlcc: error: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(see dlcc --help)\n", stderr);
    return EXIT_USAGE;
}

static bool has_suffix(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* ---------------------------------------------------------------- temporary files */

/* Files being written: renamed into place by commit_outputs, removed by
 * discard_outputs. */
static struct {
    char *tmp, *final;
} pending[8];
static int n_pending;

static void run_remove_files(void);
static bool keep_temps; /* DLCC_KEEP_TEMPS set: dlcc run keeps its folder */

/* Ctrl-C or kill while writing: remove the temporaries, then die of the signal. */
static void on_signal(int sig) {
    for (int i = 0; i < n_pending; i++)
        unlink(pending[i].tmp);
    if (!keep_temps)
        run_remove_files();
    signal(sig, SIG_DFL);
    raise(sig);
}

static FILE *open_output(const char *final) {
    DLCC_ASSERT(n_pending < (int)(sizeof pending / sizeof pending[0]));
    size_t n = strlen(final) + 16;
    char *tmp = malloc(n);
    DLCC_ASSERT(tmp);
    snprintf(tmp, n, "%s.tmpXXXXXX", final);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "dlcc: error: cannot write '%s': %s\n", final, strerror(errno));
        free(tmp);
        return NULL;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    FILE *f = fdopen(fd, "wb");
    DLCC_ASSERT(f);
    pending[n_pending].tmp = tmp;
    pending[n_pending].final = strdup(final);
    n_pending++;
    return f;
}

static bool close_output(FILE *f, const char *final) {
    bool ok = !ferror(f);
    if (fclose(f) != 0)
        ok = false;
    if (!ok)
        fprintf(stderr, "dlcc: error: cannot write '%s'\n", final);
    return ok;
}

static void discard_outputs(void) {
    for (int i = 0; i < n_pending; i++) {
        unlink(pending[i].tmp);
        free(pending[i].tmp);
        free(pending[i].final);
    }
    n_pending = 0;
}

static bool commit_outputs(void) {
    for (int i = 0; i < n_pending; i++)
        if (rename(pending[i].tmp, pending[i].final) != 0) {
            fprintf(stderr, "dlcc: error: cannot write '%s': %s\n", pending[i].final, strerror(errno));
            discard_outputs();
            return false;
        }
    for (int i = 0; i < n_pending; i++) {
        free(pending[i].tmp);
        free(pending[i].final);
    }
    n_pending = 0;
    return true;
}

static bool write_file(const char *path, const void *data, size_t n) {
    FILE *f = open_output(path);
    if (!f)
        return false;
    if (n)
        fwrite(data, 1, n, f);
    return close_output(f, path);
}

/* ---------------------------------------------------------------- options */

/* The value of an option given as `--opt=V` or `--opt V`; NULL when it does
 * not match. */
static const char *option_value(int argc, char **argv, int *i, const char *opt, bool *missing) {
    size_t n = strlen(opt);
    const char *a = argv[*i];
    if (strncmp(a, opt, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != 0)
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

static bool is_identifier(const char *s) {
    if (!*s || isdigit((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

/* The file stem of path made a C identifier. */
static char *stem_identifier(Arena *a, const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    char *s = arena_alloc(a, n + 3);
    size_t k = 0;
    if (n == 0 || isdigit((unsigned char)base[0]))
        s[k++] = 'm';
    for (size_t i = 0; i < n; i++)
        s[k++] = isalnum((unsigned char)base[i]) ? base[i] : '_';
    s[k] = 0;
    return s;
}

static const char *const loss_kinds[] = {"cross_entropy", "mse", "mae", "bce", "bce_with_logits", "nll", NULL};
static const char *const optimizers[] = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop",
                                         "adadelta", "adam", "adamw", NULL};

static bool in_list(const char *const *list, const char *s, size_t n) {
    for (; *list; list++)
        if (strlen(*list) == n && !strncmp(*list, s, n))
            return true;
    return false;
}

/* Returns -1 to go on, else the exit status. */
static void add_seq_binding(Ctx *c, SeqBinding b) {
    SeqBinding *grown = ARENA_ARRAY(c->arena, SeqBinding, c->n_seqs + 1);
    if (c->n_seqs)
        memcpy(grown, c->seqs, sizeof(SeqBinding) * (size_t)c->n_seqs);
    grown[c->n_seqs++] = b;
    c->seqs = grown;
}

/* --sequence NAME=SHAPE,SHAPE,...: SHAPE is 2x3, 4, or () for a scalar;
 * nothing after '=' is an empty sequence. */
static bool parse_sequence_option(Ctx *c, const char *v) {
    const char *eq = strrchr(v, '=');
    if (!eq || eq == v)
        return false;
    SeqBinding b = {.name = arena_strndup(c->arena, v, (size_t)(eq - v))};
    const char *p = eq + 1;
    int cap = 1;
    for (const char *q = p; *q; q++)
        cap += *q == ',';
    b.rank = ARENA_ARRAY(c->arena, int, cap);
    b.dims = (int64_t(*)[8])arena_alloc(c->arena, sizeof(int64_t[8]) * (size_t)cap);
    while (*p) {
        int r = 0;
        if (!strncmp(p, "()", 2)) {
            p += 2;
        } else {
            for (;;) {
                char *end;
                errno = 0;
                long long d = strtoll(p, &end, 10);
                if (errno || end == p || d < 0 || r == DLCC_MAX_RANK)
                    return false;
                b.dims[b.n][r++] = d;
                p = end;
                if (*p != 'x')
                    break;
                p++;
            }
        }
        b.rank[b.n++] = r;
        if (*p == ',' && p[1])
            p++;
        else if (*p)
            return false;
    }
    add_seq_binding(c, b);
    return true;
}

static int parse_args(int argc, char **argv, Options *o, Ctx *c) {
    memset(o, 0, sizeof *o);
    Arena *a = c->arena;
    int i = 1;
    if (argc > 1 && !strcmp(argv[1], "run")) {
        o->run = true;
        i = 2;
    }
    o->inputs = ARENA_ARRAY(a, RunInput, argc);
    o->consts = ARENA_ARRAY(a, RunInput, argc);
    c->dims = ARENA_ARRAY(a, DimBinding, argc);
    for (; i < argc; i++) {
        const char *arg = argv[i], *v;
        bool missing = false;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(arg, "--version")) {
            printf("dlcc %s\n", DLCC_VERSION);
            return 0;
        } else if (!strcmp(arg, "-o")) {
            if (i + 1 >= argc)
                return usage_error("%s needs a file name", arg);
            o->out = argv[++i];
        } else if (!strncmp(arg, "-o", 2) && arg[2] != '-' && strncmp(arg, "-O", 2)) {
            o->out = arg + 2;
        } else if (!strcmp(arg, "-O0") || !strcmp(arg, "-O1") || !strcmp(arg, "-O2") || !strcmp(arg, "-O3")) {
            c->opt_level = arg[2] == '3' ? 2 : arg[2] - '0';
        } else if (!strcmp(arg, "--train")) {
            c->train = true;
        } else if (!strcmp(arg, "--print-after-all")) {
            c->print_after_all = true;
        } else if (!strcmp(arg, "--verify-each")) {
            c->verify_each = true;
        } else if ((v = option_value(argc, argv, &i, "--name", &missing))) {
            if (!is_identifier(v))
                return usage_error("--name '%s' is not a C identifier", v);
            o->name = v;
        } else if ((v = option_value(argc, argv, &i, "--emit", &missing))) {
            if (!strcmp(v, "c"))
                o->emit = EMIT_C;
            else if (!strcmp(v, "ir"))
                o->emit = EMIT_IR;
            else if (!strcmp(v, "dot"))
                o->emit = EMIT_DOT;
            else
                return usage_error("--emit=%s: expected c, ir or dot", v);
        } else if ((v = option_value(argc, argv, &i, "--dim", &missing))) {
            const char *eq = strchr(v, '=');
            char *end;
            if (!eq || eq == v)
                return usage_error("--dim %s: expected SYM=N", v);
            errno = 0;
            long long n = strtoll(eq + 1, &end, 10);
            if (errno || *end || end == eq + 1 || n < 0)
                return usage_error("--dim %s: N must be a non-negative integer", v);
            c->dims[c->n_dims].name = arena_strndup(a, v, (size_t)(eq - v));
            c->dims[c->n_dims].value = n;
            c->n_dims++;
        } else if ((v = option_value(argc, argv, &i, "--sequence", &missing))) {
            if (!parse_sequence_option(c, v))
                return usage_error("--sequence %s: expected NAME=SHAPE,SHAPE,... (SHAPE: 2x3, 4 or () for a "
                                   "scalar; NAME= for an empty sequence)",
                                   v);
        } else if ((v = option_value(argc, argv, &i, "--absent", &missing))) {
            add_seq_binding(c, (SeqBinding){.name = v, .n = -1});
        } else if ((v = option_value(argc, argv, &i, "--string-bytes", &missing))) {
            char *end;
            errno = 0;
            long long n = strtoll(v, &end, 10);
            if (errno || *end || end == v || n < 1)
                return usage_error("--string-bytes %s: N must be a positive integer", v);
            c->string_bytes = n;
        } else if ((v = option_value(argc, argv, &i, "--loss", &missing))) {
            if (!in_list(loss_kinds, v, strlen(v)))
                return usage_error("--loss %s: expected cross_entropy, mse, mae, bce, bce_with_logits or nll", v);
            c->loss_kind = v;
        } else if ((v = option_value(argc, argv, &i, "--optimizer", &missing))) {
            const char *colon = strchr(v, ':');
            if (!in_list(optimizers, v, colon ? (size_t)(colon - v) : strlen(v)))
                return usage_error("--optimizer %s: expected sgd, momentum, nesterov, adagrad, rmsprop, adadelta, "
                                   "adam or adamw",
                                   v);
            c->optimizer = v;
        } else if ((v = option_value(argc, argv, &i, "--freeze", &missing))) {
            for (const char *p = v; *p;) {
                const char *e = strchr(p, ',');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                if (n) {
                    const char **f = ARENA_ARRAY(a, const char *, c->n_freeze + 1);
                    if (c->n_freeze)
                        memcpy(f, c->freeze, sizeof(char *) * (size_t)c->n_freeze);
                    f[c->n_freeze++] = arena_strndup(a, p, n);
                    c->freeze = f;
                }
                p += n + (e ? 1 : 0);
            }
        } else if ((v = option_value(argc, argv, &i, "--print-after", &missing))) {
            c->print_after = v;
        } else if ((v = option_value(argc, argv, &i, "--const-input", &missing))) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || !eq[1])
                return usage_error("--const-input %s: expected NAME=FILE.pb", v);
            RunInput *in = &o->consts[o->n_consts++];
            in->name = arena_strndup(a, v, (size_t)(eq - v));
            in->path = eq + 1;
        } else if (o->run && (v = option_value(argc, argv, &i, "--input", &missing))) {
            const char *eq = strchr(v, '=');
            RunInput *in = &o->inputs[o->n_inputs++];
            in->name = eq ? arena_strndup(a, v, (size_t)(eq - v)) : NULL;
            in->path = eq ? eq + 1 : v;
        } else if (o->run && (v = option_value(argc, argv, &i, "--output-dir", &missing))) {
            o->output_dir = v;
        } else if (missing) {
            return usage_error("%s needs a value", arg);
        } else if (arg[0] == '-' && arg[1] != 0) {
            return usage_error("unknown option '%s'", arg);
        } else if (o->model) {
            return usage_error("more than one model file ('%s')", arg);
        } else {
            o->model = arg;
        }
        if (missing)
            return usage_error("%s needs a value", arg);
    }
    if (!o->model)
        return usage_error("%s", "no model file given");
    if (!has_suffix(o->model, ".onnx") && !has_suffix(o->model, ".dl"))
        return usage_error("'%s': the model file must end in .onnx or .dl", o->model);
    if (!o->run && !o->out && o->emit == EMIT_C)
        return usage_error("%s", "no output file given (-o OUT.c, or -o - for stdout)");
    if (o->run && o->out)
        return usage_error("%s", "dlcc run writes no C file; -o is not allowed (see --output-dir)");
    if (o->run && o->emit != EMIT_C)
        return usage_error("%s", "dlcc run compiles to C; --emit is not allowed");
    return -1;
}

/* ---------------------------------------------------------------- compilation */

static int fail(Ctx *c) {
    diag_print(c, stderr);
    if (!ctx_failed(c))
        fputs("dlcc: error: compilation failed\n", stderr);
    discard_outputs();
    return EXIT_MODEL;
}

/* --const-input: every use of the input becomes a constant read from the
 * .pb file, so shapes that depend on its value (Reshape's shape, Resize's
 * scales, TopK's k...) are known at compile time.  The input keeps its slot
 * in the generated API so callers keep their input order. */
static bool specialise_inputs(Ctx *c, Graph *g, const Options *o) {
    Loc loc = {o->model, 0, 0, NULL, NULL};
    for (int k = 0; k < o->n_consts; k++) {
        const RunInput *ci = &o->consts[k];
        Value *in = NULL;
        for (int i = 0; i < g->n_inputs; i++)
            if (!strcmp(g->inputs[i]->name, ci->name))
                in = g->inputs[i];
        if (!in)
            return diag_error(c, loc, "--const-input %s: the model has no input of that name", ci->name);
        Value *t = onnx_load_tensor_pb(c, g, ci->path);
        if (!t)
            return false;
        bool same = t->dtype == in->dtype && t->rank == in->rank;
        for (int d = 0; same && d < in->rank; d++)
            same = in->sym[d] || in->dims[d] < 0 || in->dims[d] == t->dims[d];
        if (!same)
            return diag_error(c, loc, "--const-input %s: %s does not fit the input's type %s", ci->name,
                              value_type_str(c->arena, t), value_type_str(c->arena, in));
        for (int d = 0; d < in->rank; d++) { /* the input's own dims follow the constant */
            in->dims[d] = t->dims[d];
            in->sym[d] = NULL;
        }
        in->pinned = t->data;
        graph_replace_uses(g, in, t);
    }
    return true;
}

/* Loads and compiles the model through the pass pipeline. */
static Graph *compile_graph(Ctx *c, const Options *o) {
    c->source_file = o->model;
    Graph *g = has_suffix(o->model, ".dl") ? dsl_load(c, o->model) : onnx_load(c, o->model);
    if (!g || ctx_failed(c))
        return NULL;
    if (!specialise_inputs(c, g, o) || !pipeline_run(g, c) || ctx_failed(c))
        return NULL;
    return g;
}

/* OUT.c -> OUT.h (or OUT + ".h"). */
static char *header_path(Arena *a, const char *out) {
    if (has_suffix(out, ".c"))
        return arena_printf(a, "%.*s.h", (int)(strlen(out) - 2), out);
    return arena_printf(a, "%s.h", out);
}

static int compile_c(Ctx *c, Graph *g, const Options *o, const char *prefix) {
    Buf cb = {0}, hb = {0};
    if (!codegen_emit(g, c, prefix, &cb, &hb) || ctx_failed(c)) {
        buf_free(&cb);
        buf_free(&hb);
        return fail(c);
    }
    bool ok;
    if (!strcmp(o->out, "-")) {
        ok = fwrite(cb.data ? cb.data : "", 1, cb.len, stdout) == cb.len && fflush(stdout) == 0;
    } else {
        ok = write_file(o->out, cb.data, cb.len) && write_file(header_path(c->arena, o->out), hb.data, hb.len) &&
             commit_outputs();
    }
    buf_free(&cb);
    buf_free(&hb);
    if (!ok) {
        discard_outputs();
        diag_print(c, stderr);
        return EXIT_MODEL;
    }
    return 0;
}

static int compile_text(Ctx *c, Graph *g, const Options *o) {
    bool to_stdout = !o->out || !strcmp(o->out, "-");
    FILE *f = to_stdout ? stdout : open_output(o->out);
    if (!f)
        return fail(c);
    bool ok;
    if (o->emit == EMIT_IR) {
        const char *wdir = NULL;
        if (!to_stdout) {
            const char *dot = strrchr(o->out, '.'), *slash = strrchr(o->out, '/');
            size_t n = dot && (!slash || dot > slash) ? (size_t)(dot - o->out) : strlen(o->out);
            wdir = arena_printf(c->arena, "%.*s.weights", (int)n, o->out);
            c->weights_dir = wdir;
        }
        ok = ir_print(g, c, f, wdir, 64);
    } else {
        ok = dot_print(g, c, f);
    }
    if (to_stdout)
        ok = fflush(stdout) == 0 && ok;
    else
        ok = close_output(f, o->out) && ok;
    if (!ok || ctx_failed(c))
        return fail(c);
    if (!to_stdout && !commit_outputs())
        return fail(c);
    return 0;
}

static int cmd_compile(Ctx *c, const Options *o) {
    Graph *g = compile_graph(c, o);
    if (!g)
        return fail(c);
    const char *prefix = o->name;
    if (!prefix)
        prefix = stem_identifier(c->arena, o->out && strcmp(o->out, "-") ? o->out : o->model);
    int status = o->emit == EMIT_C ? compile_c(c, g, o, prefix) : compile_text(c, g, o);
    if (status == 0)
        diag_print(c, stderr); /* warnings */
    return status;
}

/* ---------------------------------------------------------------- dlcc run */

/* The temporary folder of `dlcc run` and every file that may appear in it,
 * listed up front so that a signal handler can remove them too. */
static char *run_dir;
static char **run_files;
static int n_run_files;

static void run_list_files(int n_in, int n_out) {
    static const char *const fixed[] = {"net.c", "net.h", "driver.c", "prog", "meta.txt"};
    int n = 5 + n_in + n_out;
    run_files = calloc((size_t)n, sizeof(char *));
    DLCC_ASSERT(run_files);
    size_t len = strlen(run_dir) + 32;
    for (int i = 0; i < n; i++) {
        run_files[i] = malloc(len);
        DLCC_ASSERT(run_files[i]);
        if (i < 5)
            snprintf(run_files[i], len, "%s/%s", run_dir, fixed[i]);
        else if (i < 5 + n_in)
            snprintf(run_files[i], len, "%s/in_%d.bin", run_dir, i - 5);
        else
            snprintf(run_files[i], len, "%s/out_%d.bin", run_dir, i - 5 - n_in);
    }
    n_run_files = n;
}

/* Async-signal-safe part of the cleanup. */
static void run_remove_files(void) {
    if (!run_dir)
        return;
    for (int i = 0; i < n_run_files; i++)
        unlink(run_files[i]);
    rmdir(run_dir);
}

static void run_cleanup(void) {
    if (!run_dir)
        return;
    if (keep_temps)
        fprintf(stderr, "dlcc: kept temporary folder %s\n", run_dir);
    else
        run_remove_files();
    for (int i = 0; i < n_run_files; i++)
        free(run_files[i]);
    free(run_files);
    run_files = NULL;
    n_run_files = 0;
    free(run_dir);
    run_dir = NULL;
}

/* Reads a whole file into a malloc'd buffer; NULL on failure. */
static uint8_t *read_whole(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    Buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_write(&b, chunk, n);
    bool ok = !ferror(f);
    fclose(f);
    if (!ok) {
        buf_free(&b);
        return NULL;
    }
    *len = b.len;
    return b.data ? (uint8_t *)b.data : calloc(1, 1);
}

/* Runs argv; returns the exit status, 128+signal when killed, -1 when it
 * could not be started (127 from the child). */
static int spawn_wait(char *const argv[]) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execvp(argv[0], argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool write_plain(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    bool ok = f && (n == 0 || fwrite(data, 1, n, f) == n);
    if (f && fclose(f) != 0)
        ok = false;
    return ok;
}

static const char driver_text[] =
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "\n"
    "static size_t elem_size(int dt) {\n"
    "    switch (dt) {\n"
    "    case 1: case 6: case 12: return 4;\n"
    "    case 7: case 11: case 13: case 14: return 8;\n"
    "    case 4: case 5: case 10: case 16: return 2;\n"
    "    case 15: return 16;\n"
    "    case 8: return sizeof(char *);\n"
    "    default: return 1;\n"
    "    }\n"
    "}\n"
    "\n"
    "static size_t desc_bytes(const dlcc_tensor_desc *d) {\n"
    "    size_t n = elem_size(d->dtype);\n"
    "    for (int i = 0; i < d->rank; i++)\n"
    "        n *= (size_t)d->dims[i];\n"
    "    return n;\n"
    "}\n"
    "\n"
    "static char path[8192];\n"
    "\n"
    "int main(int argc, char **argv) {\n"
    "    if (argc < 2)\n"
    "        return 2;\n"
    "    const char *dir = argv[1];\n"
    "    size_t state_bytes = ((size_t)NET_STATE_SIZE + 63) / 64 * 64;\n"
    "    void *state = aligned_alloc(64, state_bytes ? state_bytes : 64);\n"
    "    if (!state) { fprintf(stderr, \"out of memory\\n\"); return 3; }\n"
    "    int rc = net_init(state);\n"
    "    if (rc != 0) { fprintf(stderr, \"net_init returned %d\\n\", rc); return 4; }\n"
    "    const void *inputs[NET_NUM_INPUTS + 1];\n"
    "    void *outputs[NET_NUM_OUTPUTS + 1];\n"
    "    for (int i = 0; i < NET_NUM_INPUTS; i++) {\n"
    "        size_t n = desc_bytes(&net_inputs[i]);\n"
    "        void *p = malloc(n ? n : 1);\n"
    "        snprintf(path, sizeof path, \"%s/in_%d.bin\", dir, i);\n"
    "        FILE *f = fopen(path, \"rb\");\n"
    "        if (p && f && net_inputs[i].dtype == 8) { /* strings: each one NUL-terminated */\n"
    "            fseek(f, 0, SEEK_END);\n"
    "            long m = ftell(f);\n"
    "            fseek(f, 0, SEEK_SET);\n"
    "            char *text = malloc(m > 0 ? (size_t)m : 1);\n"
    "            if (!text || m < 0 || fread(text, 1, (size_t)m, f) != (size_t)m) return 3;\n"
    "            fclose(f);\n"
    "            for (size_t k = 0, at = 0; k < n / sizeof(char *); k++) {\n"
    "                if (at >= (size_t)m) return 3;\n"
    "                ((char **)p)[k] = text + at;\n"
    "                at += strlen(text + at) + 1;\n"
    "            }\n"
    "            inputs[i] = p;\n"
    "            continue;\n"
    "        }\n"
    "        if (!p || !f || fread(p, 1, n, f) != n) { fprintf(stderr, \"cannot read %s\\n\", path); return 3; }\n"
    "        fclose(f);\n"
    "        inputs[i] = p;\n"
    "    }\n"
    "    for (int i = 0; i < NET_NUM_OUTPUTS; i++) {\n"
    "        size_t n = desc_bytes(&net_outputs[i]);\n"
    "        outputs[i] = calloc(n ? n : 1, 1);\n"
    "        if (!outputs[i]) { fprintf(stderr, \"out of memory\\n\"); return 3; }\n"
    "    }\n"
    "    rc = net_run(state, inputs, outputs);\n"
    "    if (rc != 0) { fprintf(stderr, \"net_run returned %d\\n\", rc); return 5; }\n"
    "    snprintf(path, sizeof path, \"%s/meta.txt\", dir);\n"
    "    FILE *meta = fopen(path, \"w\");\n"
    "    if (!meta) return 3;\n"
    "    for (int i = 0; i < NET_NUM_OUTPUTS; i++) {\n"
    "        const dlcc_tensor_desc *d = &net_outputs[i];\n"
    "        size_t n = desc_bytes(d);\n"
    "        snprintf(path, sizeof path, \"%s/out_%d.bin\", dir, i);\n"
    "        FILE *f = fopen(path, \"wb\");\n"
    "        if (f && d->dtype == 8) {\n"
    "            for (size_t k = 0; k < n / sizeof(char *); k++) {\n"
    "                const char *s = ((const char *const *)outputs[i])[k];\n"
    "                if (fwrite(s, 1, strlen(s) + 1, f) != strlen(s) + 1) return 3;\n"
    "            }\n"
    "            n = 0;\n"
    "        }\n"
    "        if (!f || fwrite(outputs[i], 1, n, f) != n || fclose(f) != 0) return 3;\n"
    "        fprintf(meta, \"%d %d\", d->dtype, d->rank);\n"
    "        for (int k = 0; k < d->rank; k++)\n"
    "            fprintf(meta, \" %lld\", (long long)d->dims[k]);\n"
    "        fprintf(meta, \" %s\\n\", d->name);\n"
    "    }\n"
    "    return fclose(meta) != 0 ? 3 : 0;\n"
    "}\n";

/* Assigns the given .pb tensors to graph inputs (by NAME=, by the tensor's
 * own name, else by position).  Returns -1 to go on, else the exit status. */
static int run_match_inputs(Ctx *c, const Options *o, Graph *g, Graph *tg, Value **given) {
    for (int k = 0; k < o->n_inputs; k++) {
        const RunInput *ri = &o->inputs[k];
        Value *t = onnx_load_tensor_pb(c, tg, ri->path);
        if (!t)
            return fail(c);
        int idx = -1;
        const char *want = ri->name ? ri->name : t->name;
        for (int i = 0; i < g->n_inputs; i++)
            if (!strcmp(g->inputs[i]->name, want))
                idx = i;
        if (idx < 0 && ri->name) {
            fprintf(stderr, "dlcc: error: --input %s: the model has no input '%s'\n", ri->path, ri->name);
            return EXIT_USAGE;
        }
        if (idx < 0 || given[idx])
            for (int i = 0; i < g->n_inputs && idx < 0; i++)
                if (!given[i])
                    idx = i;
        if (idx < 0) {
            fprintf(stderr, "dlcc: error: --input %s: more inputs than the model has\n", ri->path);
            return EXIT_USAGE;
        }
        if (given[idx]) {
            fprintf(stderr, "dlcc: error: input '%s' given twice\n", g->inputs[idx]->name);
            return EXIT_USAGE;
        }
        given[idx] = t;
    }
    Buf missing = {0};
    for (int i = 0; i < g->n_inputs; i++)
        if (!given[i])
            buf_printf(&missing, "%s'%s'", missing.len ? ", " : "", g->inputs[i]->name);
    if (missing.len) {
        fprintf(stderr, "dlcc: error: no --input given for %s\n", missing.data);
        buf_free(&missing);
        return EXIT_USAGE;
    }
    return -1;
}

/* Binds the symbolic dims of the inputs from the given tensors' shapes,
 * unless --dim bound them already. */
static void run_bind_dims(Ctx *c, Graph *g, Value **given) {
    DimBinding *d = ARENA_ARRAY(c->arena, DimBinding, c->n_dims + DLCC_MAX_RANK * g->n_inputs + 1);
    memcpy(d, c->dims, sizeof(DimBinding) * (size_t)c->n_dims);
    int n = c->n_dims;
    for (int i = 0; i < g->n_inputs; i++) {
        const Value *v = g->inputs[i];
        for (int k = 0; k < v->rank && k < given[i]->rank && v->rank == given[i]->rank; k++) {
            if (!v->sym[k])
                continue;
            bool bound = false;
            for (int j = 0; j < n; j++)
                bound |= !strcmp(d[j].name, v->sym[k]);
            if (!bound)
                d[n++] = (DimBinding){v->sym[k], given[i]->dims[k]};
        }
    }
    c->dims = d;
    c->n_dims = n;
}

static int cmd_run(Ctx *c, const Options *o) {
    c->source_file = o->model;
    Graph *g = has_suffix(o->model, ".dl") ? dsl_load(c, o->model) : onnx_load(c, o->model);
    if (!g || ctx_failed(c))
        return fail(c);
    if (g->in_slots || g->out_slots) {
        Loc loc = {o->model, 0, 0, NULL, NULL};
        diag_error(c, loc, "dlcc run does not take sequence or optional inputs or outputs yet; compile the model "
                           "and call the generated API");
        return fail(c);
    }
    Graph *tg = graph_new(c->arena, "inputs");
    Value **given = ARENA_ARRAY(c->arena, Value *, g->n_inputs + 1);
    int status = run_match_inputs(c, o, g, tg, given);
    if (status >= 0)
        return status;
    run_bind_dims(c, g, given);
    if (!specialise_inputs(c, g, o) || !pipeline_run(g, c) || ctx_failed(c))
        return fail(c);
    for (int i = 0; i < g->n_inputs; i++) {
        const Value *v = g->inputs[i], *t = given[i];
        if (v->dtype != t->dtype || !value_same_shape(v, t)) {
            fprintf(stderr, "dlcc: error: input '%s': the model wants %s, the file has %s\n", v->name,
                    value_type_str(c->arena, v), value_type_str(c->arena, t));
            diag_print(c, stderr);
            return EXIT_MODEL;
        }
    }
    const char *prefix = o->name ? o->name : "net";
    Buf cb = {0}, hb = {0};
    if (!codegen_emit(g, c, prefix, &cb, &hb) || ctx_failed(c)) {
        buf_free(&cb);
        buf_free(&hb);
        return fail(c);
    }

    const char *tmpdir = getenv("TMPDIR");
    char templ[4096];
    snprintf(templ, sizeof templ, "%s/dlcc-run-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(templ)) {
        fprintf(stderr, "dlcc: error: cannot create a temporary folder: %s\n", strerror(errno));
        buf_free(&cb);
        buf_free(&hb);
        return EXIT_MODEL;
    }
    run_dir = strdup(templ);
    run_list_files(g->n_inputs, g->n_outputs);
    Arena *a = c->arena;
    /* The driver is written against the prefix "net"; map it when --name differs. */
    Buf drv = {0};
    buf_puts(&drv, "#include \"net.h\"\n");
    if (strcmp(prefix, "net")) {
        char *up = arena_strdup(a, prefix);
        for (char *p = up; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        buf_printf(&drv,
                   "#define NET_NUM_INPUTS %s_NUM_INPUTS\n#define NET_NUM_OUTPUTS %s_NUM_OUTPUTS\n"
                   "#define NET_STATE_SIZE %s_STATE_SIZE\n#define net_init %s_init\n#define net_run %s_run\n"
                   "#define net_inputs %s_inputs\n#define net_outputs %s_outputs\n",
                   up, up, up, prefix, prefix, prefix, prefix);
    }
    buf_puts(&drv, driver_text);
    bool ok = write_plain(arena_printf(a, "%s/net.c", run_dir), cb.data, cb.len) &&
              write_plain(arena_printf(a, "%s/net.h", run_dir), hb.data, hb.len) &&
              write_plain(arena_printf(a, "%s/driver.c", run_dir), drv.data, drv.len);
    buf_free(&cb);
    buf_free(&hb);
    buf_free(&drv);
    for (int i = 0; ok && i < g->n_inputs; i++) {
        if (given[i]->dtype == DT_STRING) { /* the strings, each NUL-terminated */
            Buf sb = {0};
            const char *const *strs = given[i]->data;
            for (int64_t k = 0; k < value_numel(given[i]); k++)
                buf_write(&sb, strs && strs[k] ? strs[k] : "", strlen(strs && strs[k] ? strs[k] : "") + 1);
            ok = write_plain(arena_printf(a, "%s/in_%d.bin", run_dir, i), sb.data ? sb.data : "", sb.len);
            buf_free(&sb);
            continue;
        }
        ok = write_plain(arena_printf(a, "%s/in_%d.bin", run_dir, i), given[i]->data, value_bytes(given[i]));
    }
    if (!ok) {
        fprintf(stderr, "dlcc: error: cannot write into %s\n", run_dir);
        run_cleanup();
        return EXIT_MODEL;
    }

    char *prog = arena_printf(a, "%s/prog", run_dir);
    char *drv_c = arena_printf(a, "%s/driver.c", run_dir), *net_c = arena_printf(a, "%s/net.c", run_dir);
    char *cc_argv[] = {"clang", "-std=c11", "-O2", "-march=native", "-o", prog, drv_c, net_c, "-lm", "-lpthread",
                       NULL};
    int st = spawn_wait(cc_argv);
    if (st == 127) {
        cc_argv[0] = "cc";
        st = spawn_wait(cc_argv);
    }
    if (st != 0) {
        fprintf(stderr, "dlcc: error: the generated C did not compile (%s exited with %d)\n", cc_argv[0], st);
        run_cleanup();
        return EXIT_MODEL;
    }
    char *run_argv[] = {prog, run_dir, NULL};
    st = spawn_wait(run_argv);
    if (st != 0) {
        if (st > 128)
            fprintf(stderr, "dlcc: error: the generated program was killed by signal %d\n", st - 128);
        else
            fprintf(stderr, "dlcc: error: the generated program failed (exit status %d)\n", st);
        run_cleanup();
        return EXIT_MODEL;
    }

    /* outputs */
    const char *odir = o->output_dir ? o->output_dir : ".";
    if (mkdir(odir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "dlcc: error: cannot create '%s': %s\n", odir, strerror(errno));
        run_cleanup();
        return EXIT_MODEL;
    }
    FILE *meta = fopen(arena_printf(a, "%s/meta.txt", run_dir), "r");
    if (!meta) {
        fprintf(stderr, "dlcc: error: the generated program wrote no outputs\n");
        run_cleanup();
        return EXIT_MODEL;
    }
    char line[8192];
    for (int k = 0; fgets(line, sizeof line, meta); k++) {
        int dt, rank, used;
        int64_t dims[DLCC_MAX_RANK];
        char *p = line;
        ok = sscanf(p, "%d %d%n", &dt, &rank, &used) == 2 && rank >= 0 && rank <= DLCC_MAX_RANK;
        p += ok ? used : 0;
        for (int i = 0; ok && i < rank; i++) {
            long long d;
            ok = sscanf(p, " %lld%n", &d, &used) == 1;
            dims[i] = d;
            p += used;
        }
        if (*p == ' ')
            p++;
        p[strcspn(p, "\n")] = 0;
        size_t len = 0;
        uint8_t *data = NULL;
        bool owned = true; /* data from read_whole (strings: an arena array) */
        if (ok) {
            size_t got = 0;
            data = read_whole(arena_printf(a, "%s/out_%d.bin", run_dir, k), &got);
            Value tmp = {.dtype = (DType)dt, .rank = rank};
            memcpy(tmp.dims, dims, sizeof(int64_t) * (size_t)rank);
            len = value_bytes(&tmp);
            ok = data && (got == len || dt == DT_STRING);
            if (ok && dt == DT_STRING) { /* NUL-terminated strings -> pointers */
                int64_t count = value_numel(&tmp);
                const char **strs = ARENA_ARRAY(a, const char *, count + 1);
                size_t at = 0;
                for (int64_t j = 0; ok && j < count; j++) {
                    ok = at < got;
                    strs[j] = ok ? arena_strdup(a, (const char *)data + at) : "";
                    at += ok ? strlen(strs[j]) + 1 : 0;
                }
                free(data);
                data = (uint8_t *)strs;
                owned = false;
            }
        }
        const char *opath = arena_printf(a, "%s/output_%d.pb", odir, k);
        ok = ok && onnx_write_tensor_pb(opath, p, (DType)dt, rank, dims, data);
        if (owned)
            free(data);
        if (!ok) {
            fclose(meta);
            fprintf(stderr, "dlcc: error: cannot write output %d to '%s'\n", k, opath);
            run_cleanup();
            return EXIT_MODEL;
        }
    }
    fclose(meta);
    run_cleanup();
    diag_print(c, stderr); /* warnings */
    return 0;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv) {
    keep_temps = getenv("DLCC_KEEP_TEMPS") != NULL;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    Ctx c;
    ctx_init(&c);
    Options o;
    int status = parse_args(argc, argv, &o, &c);
    if (status < 0)
        status = o.run ? cmd_run(&c, &o) : cmd_compile(&c, &o);
    ctx_free(&c);
    return status;
}
