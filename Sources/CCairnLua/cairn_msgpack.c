/* cmsgpack as Redis's scripts have it (lua-cmsgpack 0.4): pack(...), unpack(s),
 * unpack_one(s [, offset]), unpack_limit(s, limit [, offset]). Debian has no package of
 * it; this is written from its documented behaviour and checked against redis-server's
 * output (DifferentialScripts.scriptLibraries). */
#include "cairn_lua_libraries.h"
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Tables nested deeper than this are packed as nil (cycles end there). */
#define NESTING_MAX 16

/* ---- Packing ---- */

/* The packed bytes grow in a userdata at a fixed stack slot (replaced by a bigger one when
 * full): allocated by Lua, so lua-memory-limit holds, and collected whatever happens. */
typedef struct packer {
    lua_State *L;
    int slot;
    unsigned char *data;
    size_t len, cap;
} packer;

static void reserve(packer *p, size_t more) {
    if (p->len + more <= p->cap) return;
    size_t cap = p->cap * 2 > p->len + more ? p->cap * 2 : p->len + more;
    unsigned char *bigger = lua_newuserdata(p->L, cap);
    memcpy(bigger, p->data, p->len);
    lua_replace(p->L, p->slot);
    p->data = bigger;
    p->cap = cap;
}

static void put_bytes(packer *p, const void *bytes, size_t n) {
    reserve(p, n);
    memcpy(p->data + p->len, bytes, n);
    p->len += n;
}

static void put_byte(packer *p, unsigned char c) { put_bytes(p, &c, 1); }

/* A tag, then `bytes` bytes of v, most significant first. */
static void put_header(packer *p, unsigned char tag, uint64_t v, int bytes) {
    unsigned char b[9];
    b[0] = tag;
    for (int i = 0; i < bytes; i++) b[1 + i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    put_bytes(p, b, 1 + (size_t)bytes);
}

static void pack_integer(packer *p, int64_t n) {
    if (n >= 0) {
        if (n <= 127) put_byte(p, (unsigned char)n);
        else if (n <= 0xff) put_header(p, 0xcc, (uint64_t)n, 1);
        else if (n <= 0xffff) put_header(p, 0xcd, (uint64_t)n, 2);
        else if (n <= 0xffffffffLL) put_header(p, 0xce, (uint64_t)n, 4);
        else put_header(p, 0xcf, (uint64_t)n, 8);
    } else {
        if (n >= -32) put_byte(p, (unsigned char)(signed char)n);
        else if (n >= -128) put_header(p, 0xd0, (uint64_t)n, 1);
        else if (n >= -32768) put_header(p, 0xd1, (uint64_t)n, 2);
        else if (n >= -2147483648LL) put_header(p, 0xd2, (uint64_t)n, 4);
        else put_header(p, 0xd3, (uint64_t)n, 8);
    }
}

/* A whole number that fits int64 as an integer; anything else as a float when that is
 * exact, else as a double. */
static void pack_number(packer *p, lua_Number n) {
    if (!isinf(n) && !isnan(n) && n >= -9223372036854775808.0 && n < 9223372036854775808.0 && (lua_Number)(int64_t)n == n) {
        pack_integer(p, (int64_t)n);
        return;
    }
    float f = (float)n;
    if ((double)f == n) {
        uint32_t bits;
        memcpy(&bits, &f, 4);
        put_header(p, 0xca, bits, 4);
    } else {
        uint64_t bits;
        memcpy(&bits, &n, 8);
        put_header(p, 0xcb, bits, 8);
    }
}

static void pack_string(packer *p, const char *s, size_t len) {
    if (len < 32) put_byte(p, (unsigned char)(0xa0 | len));
    else if (len <= 0xff) put_header(p, 0xd9, len, 1);
    else if (len <= 0xffff) put_header(p, 0xda, len, 2);
    else put_header(p, 0xdb, len, 4);
    put_bytes(p, s, len);
}

static void pack_length(packer *p, size_t n, unsigned char fix, unsigned char tag16, unsigned char tag32) {
    if (n <= 15) put_byte(p, (unsigned char)(fix | n));
    else if (n <= 0xffff) put_header(p, tag16, n, 2);
    else put_header(p, tag32, n, 4);
}

/* Whether the table at `index` has exactly the keys 1..n. */
static int is_array(lua_State *L, int index) {
    lua_Number max = 0, count = 0;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pop(L, 1);
        lua_Number k;
        if (lua_type(L, -1) != LUA_TNUMBER || (k = lua_tonumber(L, -1)) <= 0 || k != (lua_Number)(int)k) {
            lua_pop(L, 1);
            return 0;
        }
        if (k > max) max = k;
        count++;
    }
    return max == count;
}

static void pack_value(packer *p, int level);

/* An array when the keys are 1..n, else a map. */
static void pack_table(packer *p, int level) {
    lua_State *L = p->L;
    int t = lua_gettop(L);
    if (is_array(L, t)) {
        size_t n = lua_objlen(L, t);
        pack_length(p, n, 0x90, 0xdc, 0xdd);
        for (size_t j = 1; j <= n; j++) {
            lua_pushnumber(L, (lua_Number)j);
            lua_gettable(L, t);
            pack_value(p, level + 1);
        }
        return;
    }
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        n++;
    }
    pack_length(p, n, 0x80, 0xde, 0xdf);
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pushvalue(L, -2);
        pack_value(p, level + 1); /* the key */
        pack_value(p, level + 1); /* the value */
    }
}

/* Packs the value on top and pops it. */
static void pack_value(packer *p, int level) {
    lua_State *L = p->L;
    luaL_checkstack(L, 4, "in function pack");
    int t = lua_type(L, -1);
    if (t == LUA_TTABLE && level == NESTING_MAX) t = LUA_TNIL;
    switch (t) {
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        pack_string(p, s, len);
        break;
    }
    case LUA_TBOOLEAN: put_byte(p, lua_toboolean(L, -1) ? 0xc3 : 0xc2); break;
    case LUA_TNUMBER: pack_number(p, lua_tonumber(L, -1)); break;
    case LUA_TTABLE: pack_table(p, level); break;
    default: put_byte(p, 0xc0); break;
    }
    lua_pop(L, 1);
}

/* Every argument, one after the other (a stream unpack reads back). */
static int mp_pack(lua_State *L) {
    int n = lua_gettop(L);
    if (n == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
    luaL_checkstack(L, 8, "Too many arguments for MessagePack pack.");
    packer p = {L, n + 1, lua_newuserdata(L, 64), 0, 64};
    for (int i = 1; i <= n; i++) {
        lua_pushvalue(L, i);
        pack_value(&p, 0);
    }
    lua_pushlstring(L, (const char *)p.data, p.len);
    return 1;
}

/* ---- Unpacking ---- */

typedef struct cursor {
    const unsigned char *p;
    size_t left;
    int error; /* 1: missing bytes, 2: bad format */
} cursor;

static uint64_t take_big_endian(const unsigned char *p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | p[i];
    return v;
}

#define NEED(c, n)                \
    do {                          \
        if ((c)->left < (n)) {    \
            (c)->error = 1;       \
            return;               \
        }                         \
    } while (0)

static void unpack_value(lua_State *L, cursor *c);

static void unpack_aggregate(lua_State *L, cursor *c, size_t n, int map) {
    lua_newtable(L);
    for (size_t i = 1; i <= n; i++) {
        if (!map) lua_pushnumber(L, (lua_Number)i);
        else {
            unpack_value(L, c);
            if (c->error) return;
        }
        unpack_value(L, c);
        if (c->error) return;
        lua_settable(L, -3);
    }
}

static void unpack_string(lua_State *L, cursor *c, int header_bytes) {
    NEED(c, (size_t)(1 + header_bytes));
    size_t len = header_bytes == 0 ? (size_t)(c->p[0] & 0x1f) : (size_t)take_big_endian(c->p + 1, header_bytes);
    NEED(c, 1 + header_bytes + len);
    lua_pushlstring(L, (const char *)c->p + 1 + header_bytes, len);
    c->p += 1 + header_bytes + len;
    c->left -= 1 + header_bytes + len;
}

static void unpack_fixed(lua_State *L, cursor *c, int bytes, int is_signed) {
    NEED(c, (size_t)(1 + bytes));
    uint64_t v = take_big_endian(c->p + 1, bytes);
    if (is_signed && bytes < 8 && (v >> (8 * bytes - 1)) & 1) v |= ~(uint64_t)0 << (8 * bytes);
    lua_pushnumber(L, is_signed ? (lua_Number)(int64_t)v : (lua_Number)v);
    c->p += 1 + bytes;
    c->left -= 1 + bytes;
}

static void unpack_container(lua_State *L, cursor *c, int header_bytes, int map) {
    NEED(c, (size_t)(1 + header_bytes));
    size_t n = (size_t)take_big_endian(c->p + 1, header_bytes);
    c->p += 1 + header_bytes;
    c->left -= 1 + header_bytes;
    unpack_aggregate(L, c, n, map);
}

static void unpack_value(lua_State *L, cursor *c) {
    NEED(c, 1);
    luaL_checkstack(L, 2, "too many return values at once; use unpack_one or unpack_limit instead.");
    unsigned char tag = c->p[0];
    switch (tag) {
    case 0xcc: unpack_fixed(L, c, 1, 0); return;
    case 0xcd: unpack_fixed(L, c, 2, 0); return;
    case 0xce: unpack_fixed(L, c, 4, 0); return;
    case 0xcf: unpack_fixed(L, c, 8, 0); return;
    case 0xd0: unpack_fixed(L, c, 1, 1); return;
    case 0xd1: unpack_fixed(L, c, 2, 1); return;
    case 0xd2: unpack_fixed(L, c, 4, 1); return;
    case 0xd3: unpack_fixed(L, c, 8, 1); return;
    case 0xc0: lua_pushnil(L); break;
    case 0xc2: lua_pushboolean(L, 0); break;
    case 0xc3: lua_pushboolean(L, 1); break;
    case 0xca: {
        NEED(c, 5);
        uint32_t bits = (uint32_t)take_big_endian(c->p + 1, 4);
        float f;
        memcpy(&f, &bits, 4);
        lua_pushnumber(L, f);
        c->p += 5;
        c->left -= 5;
        return;
    }
    case 0xcb: {
        NEED(c, 9);
        uint64_t bits = take_big_endian(c->p + 1, 8);
        double d;
        memcpy(&d, &bits, 8);
        lua_pushnumber(L, d);
        c->p += 9;
        c->left -= 9;
        return;
    }
    case 0xd9: unpack_string(L, c, 1); return;
    case 0xda: unpack_string(L, c, 2); return;
    case 0xdb: unpack_string(L, c, 4); return;
    case 0xdc: unpack_container(L, c, 2, 0); return;
    case 0xdd: unpack_container(L, c, 4, 0); return;
    case 0xde: unpack_container(L, c, 2, 1); return;
    case 0xdf: unpack_container(L, c, 4, 1); return;
    default:
        if ((tag & 0x80) == 0) lua_pushnumber(L, tag);
        else if ((tag & 0xe0) == 0xe0) lua_pushnumber(L, (signed char)tag);
        else if ((tag & 0xe0) == 0xa0) {
            unpack_string(L, c, 0);
            return;
        } else if ((tag & 0xf0) == 0x90 || (tag & 0xf0) == 0x80) {
            c->p++;
            c->left--;
            unpack_aggregate(L, c, tag & 0xf, (tag & 0xf0) == 0x80);
            return;
        } else {
            c->error = 2;
            return;
        }
    }
    c->p++;
    c->left--;
}

/* Up to `limit` values from `offset` (all of them when both are 0); with a limit or an
 * offset, the next offset (-1 at the end) comes first. */
static int unpack_from(lua_State *L, lua_Integer limit, lua_Integer offset) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    int all = limit == 0 && offset == 0;
    if (offset < 0 || limit < 0)
        return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", (int)offset, (int)len);
    if ((size_t)offset > len) return luaL_error(L, "Start offset %d greater than input length %d.", (int)offset, (int)len);
    if (all) limit = INT_MAX;
    cursor c = {(const unsigned char *)s + offset, len - (size_t)offset, 0};
    int count = 0;
    for (; c.left > 0 && count < limit; count++) {
        unpack_value(L, &c);
        if (c.error == 1) return luaL_error(L, "Missing bytes in input.");
        if (c.error == 2) return luaL_error(L, "Bad data format in input.");
    }
    if (all) return count;
    luaL_checkstack(L, 1, "in function unpack");
    lua_pushinteger(L, c.left == 0 ? -1 : (lua_Integer)(len - c.left));
    lua_insert(L, 2);
    return count + 1;
}

static int mp_unpack(lua_State *L) { return unpack_from(L, 0, 0); }

static int mp_unpack_one(lua_State *L) {
    lua_Integer offset = luaL_optinteger(L, 2, 0);
    lua_settop(L, 1);
    return unpack_from(L, 1, offset);
}

static int mp_unpack_limit(lua_State *L) {
    lua_Integer limit = luaL_checkinteger(L, 2);
    lua_Integer offset = luaL_optinteger(L, 3, 0);
    lua_settop(L, 1);
    return unpack_from(L, limit, offset);
}

int cairn_luaopen_cmsgpack(lua_State *L) {
    lua_newtable(L);
    const luaL_Reg functions[] = {{"pack", mp_pack}, {"unpack", mp_unpack}, {"unpack_one", mp_unpack_one},
                                  {"unpack_limit", mp_unpack_limit}, {NULL, NULL}};
    for (int i = 0; functions[i].name; i++) {
        lua_pushcfunction(L, functions[i].func);
        lua_setfield(L, -2, functions[i].name);
    }
    const char *fields[][2] = {{"_NAME", "cmsgpack"}, {"_VERSION", "lua-cmsgpack 0.4.0"},
                               {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
                               {"_DESCRIPTION", "MessagePack C implementation for Lua"}};
    for (int i = 0; i < 4; i++) {
        lua_pushstring(L, fields[i][1]);
        lua_setfield(L, -2, fields[i][0]);
    }
    return 1;
}
