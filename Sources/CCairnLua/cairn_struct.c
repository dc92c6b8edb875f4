/* struct as Redis's scripts have it (Roberto Ierusalimschy's struct library, 0.2):
 * pack(fmt, ...), unpack(fmt, s [, pos]), size(fmt). Debian has no package of it; this is
 * written from its documented behaviour and checked against redis-server's output
 * (DifferentialScripts.scriptLibraries).
 *
 * Format: > big endian, < little endian, ![n] alignment (default 8), x padding byte,
 * b/B char, h/H short, l/L long, T size_t, i/I[n] integer of n bytes (default 4, at most
 * 32), c[n] n chars (c0: the whole string when packing, the previous number read as the
 * length when unpacking), s zero-terminated string, f float, d double, ' ' ignored. */
#include "cairn_lua_libraries.h"
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#define INT_SIZE_MAX 32
#define ALIGN_MAX 8

typedef struct header {
    int big_endian;
    int align;
} header;

static void default_header(header *h) {
    h->big_endian = 0; /* x86_64: native is little endian */
    h->align = 1;
}

static size_t read_number(lua_State *L, const char **fmt, size_t otherwise) {
    if (!isdigit((unsigned char)**fmt)) return otherwise;
    size_t a = 0;
    do {
        if (a > (INT_MAX / 10) || a * 10 > (size_t)(INT_MAX - (**fmt - '0'))) luaL_error(L, "integral size overflow");
        a = a * 10 + (size_t)(*((*fmt)++) - '0');
    } while (isdigit((unsigned char)**fmt));
    return a;
}

/* The size of option `opt` (reading its number from *fmt); 0 for those without one. */
static size_t option_size(lua_State *L, char opt, const char **fmt) {
    switch (opt) {
    case 'B': case 'b': return 1;
    case 'H': case 'h': return 2;
    case 'L': case 'l': case 'T': return 8;
    case 'f': return 4;
    case 'd': return 8;
    case 'x': return 1;
    case 'c': return read_number(L, fmt, 1);
    case 'i': case 'I': {
        size_t size = read_number(L, fmt, 4);
        if (size > INT_SIZE_MAX) luaL_error(L, "integral size %d is larger than limit of %d", (int)size, INT_SIZE_MAX);
        return size;
    }
    default: return 0;
    }
}

static size_t padding(size_t at, const header *h, char opt, size_t size) {
    if (size == 0 || opt == 'c') return 0;
    if (size > (size_t)h->align) size = (size_t)h->align;
    return (size - (at & (size - 1))) & (size - 1);
}

/* ' ', '>', '<' and '!': anything else is not an option. */
static void control_option(lua_State *L, char opt, const char **fmt, header *h) {
    switch (opt) {
    case ' ': return;
    case '>': h->big_endian = 1; return;
    case '<': h->big_endian = 0; return;
    case '!': {
        size_t a = read_number(L, fmt, ALIGN_MAX);
        if (a == 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", (int)a);
        h->align = (int)a;
        return;
    }
    default: {
        const char *message = lua_pushfstring(L, "invalid format option '%c'", opt);
        luaL_argerror(L, 1, message);
    }
    }
}

static void put_integer(lua_State *L, luaL_Buffer *b, int arg, int big_endian, size_t size) {
    lua_Number n = luaL_checknumber(L, arg);
    uint64_t value = n < 0 ? (uint64_t)(int64_t)n : (uint64_t)n;
    char bytes[INT_SIZE_MAX];
    for (size_t i = 0; i < size; i++) {
        bytes[big_endian ? size - 1 - i : i] = (char)(value & 0xff);
        value >>= 8;
    }
    luaL_addlstring(b, bytes, size);
}

/* The value as the library reads it on x86_64: the last eight bytes matter, and the sign
 * bit is found with the shift count taken modulo 64. */
static lua_Number get_integer(const unsigned char *p, int big_endian, int is_signed, size_t size) {
    uint64_t v = 0;
    for (size_t i = 0; i < size; i++) v = (v << 8) | p[big_endian ? i : size - 1 - i];
    if (!is_signed) return (lua_Number)v;
    uint64_t mask = ~(uint64_t)0 << ((size * 8 - 1) & 63);
    if (v & mask) v |= mask;
    return (lua_Number)(int64_t)v;
}

/* The bytes of a float or double in the order asked for. */
static void put_reversed_if(luaL_Buffer *b, const void *value, size_t size, int reverse) {
    const unsigned char *p = value;
    for (size_t i = 0; i < size; i++) luaL_addchar(b, (char)p[reverse ? size - 1 - i : i]);
}

static void get_reversed_if(void *value, const unsigned char *p, size_t size, int reverse) {
    unsigned char *out = value;
    for (size_t i = 0; i < size; i++) out[i] = p[reverse ? size - 1 - i : i];
}

static int struct_pack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    header h;
    default_header(&h);
    int arg = 2;
    size_t total = 0;
    luaL_Buffer b;
    lua_pushnil(L); /* separates the arguments from the buffer's pieces */
    luaL_buffinit(L, &b);
    while (*fmt != '\0') {
        char opt = *fmt++;
        size_t size = option_size(L, opt, &fmt);
        size_t pad = padding(total, &h, opt, size);
        total += pad;
        while (pad-- > 0) luaL_addchar(&b, '\0');
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
            put_integer(L, &b, arg++, h.big_endian, size);
            break;
        case 'x': luaL_addchar(&b, '\0'); break;
        case 'f': {
            float f = (float)luaL_checknumber(L, arg++);
            put_reversed_if(&b, &f, 4, h.big_endian);
            break;
        }
        case 'd': {
            double d = luaL_checknumber(L, arg++);
            put_reversed_if(&b, &d, 8, h.big_endian);
            break;
        }
        case 'c': case 's': {
            size_t len;
            const char *s = luaL_checklstring(L, arg++, &len);
            if (size == 0) size = len;
            luaL_argcheck(L, len >= size, arg, "string too short");
            luaL_addlstring(&b, s, size);
            if (opt == 's') {
                luaL_addchar(&b, '\0');
                size++;
            }
            break;
        }
        default: control_option(L, opt, &fmt, &h);
        }
        total += size;
    }
    luaL_pushresult(&b);
    return 1;
}

static int struct_unpack(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    size_t len;
    const unsigned char *data = (const unsigned char *)luaL_checklstring(L, 2, &len);
    lua_Integer start = luaL_optinteger(L, 3, 1);
    luaL_argcheck(L, start >= 1, 3, "offset must be 1 or greater");
    size_t pos = (size_t)start - 1;
    header h;
    default_header(&h);
    int results = 0;
    lua_settop(L, 2);
    while (*fmt) {
        char opt = *fmt++;
        size_t size = option_size(L, opt, &fmt);
        pos += padding(pos, &h, opt, size);
        luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
        luaL_checkstack(L, 2, "too many results");
        switch (opt) {
        case 'b': case 'B': case 'h': case 'H': case 'l': case 'L': case 'T': case 'i': case 'I':
            lua_pushnumber(L, get_integer(data + pos, h.big_endian, islower((unsigned char)opt), size));
            results++;
            break;
        case 'x': break;
        case 'f': {
            float f;
            get_reversed_if(&f, data + pos, 4, h.big_endian);
            lua_pushnumber(L, f);
            results++;
            break;
        }
        case 'd': {
            double d;
            get_reversed_if(&d, data + pos, 8, h.big_endian);
            lua_pushnumber(L, d);
            results++;
            break;
        }
        case 'c':
            if (size == 0) {
                if (results == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
                size = (size_t)lua_tonumber(L, -1);
                lua_pop(L, 1);
                results--;
                luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
            }
            lua_pushlstring(L, (const char *)data + pos, size);
            results++;
            break;
        case 's': {
            const unsigned char *end = memchr(data + pos, '\0', len - pos);
            if (end == NULL) luaL_error(L, "unfinished string in data");
            size = (size_t)(end - (data + pos)) + 1;
            lua_pushlstring(L, (const char *)data + pos, size - 1);
            results++;
            break;
        }
        default: control_option(L, opt, &fmt, &h);
        }
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos + 1);
    return results + 1;
}

static int struct_size(lua_State *L) {
    const char *fmt = luaL_checkstring(L, 1);
    header h;
    default_header(&h);
    size_t pos = 0;
    while (*fmt) {
        char opt = *fmt++;
        size_t size = option_size(L, opt, &fmt);
        pos += padding(pos, &h, opt, size);
        if (opt == 's') luaL_argerror(L, 1, "option 's' has no fixed size");
        else if (opt == 'c' && size == 0) luaL_argerror(L, 1, "option 'c0' has no fixed size");
        if (!isalnum((unsigned char)opt)) control_option(L, opt, &fmt, &h);
        pos += size;
    }
    lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

int cairn_luaopen_struct(lua_State *L) {
    lua_newtable(L);
    lua_pushcfunction(L, struct_pack);
    lua_setfield(L, -2, "pack");
    lua_pushcfunction(L, struct_unpack);
    lua_setfield(L, -2, "unpack");
    lua_pushcfunction(L, struct_size);
    lua_setfield(L, -2, "size");
    return 1;
}
