/*
 * base.h: the runtime piece every generated file carries first.
 *
 * Error codes returned (negated) by kernels and the API functions, a few
 * macros kernels use, and portability shims.  Everything here is a macro or
 * a static function, so two generated files linked into one program never
 * clash.  Pasted verbatim into net.c by codegen (runtime_piece("base")).
 */
#ifndef DLCC_ERR_ARG
#define DLCC_ERR_ARG 1   /* NULL pointer, misaligned state, bad argument */
#define DLCC_ERR_INDEX 2 /* index out of range (Gather, ...) */
#define DLCC_ERR_SHAPE 3 /* data-dependent shape exceeds its bound */
#endif
#ifndef DLCC_ERR_STRING
#define DLCC_ERR_STRING 4 /* the string arena (--string-bytes) is full */
#endif

/* A string tensor element: a NUL-terminated UTF-8 string (dtype 8). */
typedef const char *dlcc_str;

#if defined(_MSC_VER) && !defined(__clang__)
#define DLCC_INLINE static __inline
#define DLCC_LIKELY(x) (x)
#define DLCC_UNLIKELY(x) (x)
#define DLCC_ASSUME_ALIGNED(p, n) (p)
#define DLCC_UNUSED
#else
#define DLCC_INLINE static inline
#define DLCC_LIKELY(x) __builtin_expect(!!(x), 1)
#define DLCC_UNLIKELY(x) __builtin_expect(!!(x), 0)
/* For pointers into the state arena only: inputs and outputs of the caller
 * carry no alignment promise beyond their element type. */
#define DLCC_ASSUME_ALIGNED(p, n) __builtin_assume_aligned((p), (n))
#define DLCC_UNUSED __attribute__((unused))
#endif

/* Before a loop whose iterations do not depend on each other through
 * memory (its pointers address disjoint regions the compiler cannot tell
 * apart): lets it vectorise. */
#if defined(__clang__)
#define DLCC_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define DLCC_IVDEP _Pragma("GCC ivdep")
#else
#define DLCC_IVDEP
#endif

#define DLCC_MIN(a, b) ((a) < (b) ? (a) : (b))
#define DLCC_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Weights are stored as little-endian bytes. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "dlcc: this generated file assumes a little-endian target"
#endif
