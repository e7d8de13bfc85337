/*
 * Linked into the test programs only by scripts/sanitizers.sh, for the ThreadSanitizer run.
 *
 * A libavikit built with a nightly rustc and -Zsanitizer=thread comes from a newer LLVM than
 * gcc's libtsan: LLVM's ThreadSanitizer turns memcpy/memmove/memset in instrumented code into
 * calls to __tsan_memcpy/__tsan_memmove/__tsan_memset, which gcc 12's libtsan does not export
 * (it intercepts memcpy/memmove/memset themselves instead). These forward to those intercepted
 * functions, which check the same byte ranges, so the library's copies stay checked.
 */
#include <stddef.h>
#include <string.h>

void *__tsan_memcpy(void *dst, const void *src, size_t n);
void *__tsan_memmove(void *dst, const void *src, size_t n);
void *__tsan_memset(void *dst, int c, size_t n);

void *__tsan_memcpy(void *dst, const void *src, size_t n) {
    return memcpy(dst, src, n);
}

void *__tsan_memmove(void *dst, const void *src, size_t n) {
    return memmove(dst, src, n);
}

void *__tsan_memset(void *dst, int c, size_t n) {
    return memset(dst, c, n);
}
