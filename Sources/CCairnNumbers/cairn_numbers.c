#include "cairn_numbers.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAIRN_MAX_NUMBER_CHARS 5120

int cairn_parse_double(const char *s, size_t len, double *out) {
    char buf[CAIRN_MAX_NUMBER_CHARS];
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (isspace((unsigned char)buf[0]) || (size_t)(end - buf) != len ||
        (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO)) ||
        isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* strtod over a NUL-terminated copy of `s` (on the heap past the stack buffer): 1 with
   *out when it read the whole string and the value is not NaN, nor out of range when
   `refuse_range` (errno ERANGE). */
static int parse_whole_strtod(const char *s, size_t len, double *out, int refuse_range) {
    char small[CAIRN_MAX_NUMBER_CHARS];
    char *buf = len < sizeof(small) ? small : malloc(len + 1);
    if (!buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    int ok = end[0] == '\0' && !isnan(v) && !(refuse_range && errno == ERANGE);
    if (buf != small) free(buf);
    if (!ok) return 0;
    *out = v;
    return 1;
}

int cairn_parse_double_strtod(const char *s, size_t len, double *out) {
    if (len >= CAIRN_MAX_NUMBER_CHARS) return 0;
    return parse_whole_strtod(s, len, out, 0);
}

int cairn_parse_double_sort(const char *s, size_t len, double *out) {
    return parse_whole_strtod(s, len, out, 1);
}

int cairn_parse_long_double(const char *s, size_t len, long double *out) {
    char buf[CAIRN_MAX_NUMBER_CHARS];
    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || (size_t)(end - buf) != len ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        errno == EINVAL || isnan(v))
        return 0;
    *out = v;
    return 1;
}

size_t cairn_format_double_g17(char *buf, size_t len, double value) {
    int n = snprintf(buf, len, "%.17g", value);
    return n < 0 ? 0 : (size_t)n;
}

size_t cairn_format_double_d2string(char *buf, size_t len, double value) {
    int n;
    if (isnan(value)) n = snprintf(buf, len, "nan");
    else if (isinf(value)) n = snprintf(buf, len, value < 0 ? "-inf" : "inf");
    else if (value == 0) n = snprintf(buf, len, (1.0 / value < 0) ? "-0" : "0");
    else if (value > -4503599627370495.0 && value < 4503599627370496.0 &&
             value == (double)(long long)value)
        n = snprintf(buf, len, "%lld", (long long)value);
    else n = snprintf(buf, len, "%.17g", value);
    return n < 0 ? 0 : (size_t)n;
}

size_t cairn_format_long_double_human(char *buf, size_t len, long double value) {
    size_t l;
    if (isinf(value)) {
        if (len < 5) return 0;
        if (value > 0) { memcpy(buf, "inf", 3); l = 3; } else { memcpy(buf, "-inf", 4); l = 4; }
        buf[l] = '\0';
        return l;
    }
    int n = snprintf(buf, len, "%.17Lf", value);
    if (n < 0 || (size_t)n + 1 > len) return 0;
    l = (size_t)n;
    if (strchr(buf, '.') != NULL) {
        char *p = buf + l - 1;
        while (*p == '0') { p--; l--; }
        if (*p == '.') l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') { buf[0] = '0'; l = 1; }
    buf[l] = '\0';
    return l;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("popcnt")))
#endif
static size_t popcount_hardware(const unsigned char *p, size_t len) {
    size_t n = 0, i = 0;
    for (; i + 8 <= len; i += 8) {
        unsigned long long w;
        memcpy(&w, p + i, 8);
        n += (size_t)__builtin_popcountll(w);
    }
    for (; i < len; i++) n += (size_t)__builtin_popcount(p[i]);
    return n;
}

static size_t popcount_portable(const unsigned char *p, size_t len) {
    size_t n = 0, i = 0;
    for (; i + 8 <= len; i += 8) {
        unsigned long long w;
        memcpy(&w, p + i, 8);
        w = w - ((w >> 1) & 0x5555555555555555ULL);
        w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
        w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
        n += (size_t)((w * 0x0101010101010101ULL) >> 56);
    }
    for (; i < len; i++) n += (size_t)__builtin_popcount(p[i]);
    return n;
}

size_t cairn_popcount(const unsigned char *p, size_t len) {
    static int hardware = -1;
    if (hardware < 0) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        hardware = __builtin_cpu_supports("popcnt") ? 1 : 0;
#else
        hardware = 0;
#endif
    }
    return hardware ? popcount_hardware(p, len) : popcount_portable(p, len);
}
