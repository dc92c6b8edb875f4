/* cjson.encode behind a size check. Debian's lua-cjson 2.1.0 keeps its output buffer's
 * sizes in ints: an output near 1 GB (the buffer doubles) or a string whose worst-case
 * escaping passes 2 GB made it abort the whole server ("BUG: Invalid strbuf length
 * requested"), from a script of a few lines. Redis's patched copy uses size_t. The value
 * is walked first, its escaped size counted exactly, and an output that the buffer could
 * not hold is refused with an error; anything else goes to the real encoder, which makes
 * its own errors (nesting, unsupported types, cycles). */
#include "cairn_lua_libraries.h"
#include <string.h>

#define OUTPUT_MAX ((size_t)1 << 30)
#define DEPTH_MAX 1000

typedef struct estimate {
    size_t total;   /* the output's size, counted as cjson writes it */
    size_t reserve; /* the most one string asks the buffer for at once (6 bytes a byte) */
    int stop;       /* past the limit, or too deep: cjson decides */
} estimate;

static size_t escaped_length(const unsigned char *s, size_t len) {
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\' || c == '/' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') n += 2;
        else if (c < 0x20 || c == 0x7f) n += 6;
        else n += 1;
    }
    return n;
}

static void add_string(lua_State *L, int index, estimate *e) {
    size_t len;
    const char *s = lua_tolstring(L, index, &len);
    e->total += escaped_length((const unsigned char *)s, len) + 2;
    if (len * 6 + 2 > e->reserve) e->reserve = len * 6 + 2;
}

static void walk(lua_State *L, int index, int depth, estimate *e) {
    if (e->stop || e->total + e->reserve > OUTPUT_MAX) {
        e->stop = 1;
        return;
    }
    switch (lua_type(L, index)) {
    case LUA_TSTRING: add_string(L, index, e); return;
    case LUA_TNUMBER: e->total += 32; return;
    case LUA_TBOOLEAN: case LUA_TNIL: case LUA_TLIGHTUSERDATA: e->total += 5; return;
    case LUA_TTABLE: break;
    default: return;
    }
    if (depth > DEPTH_MAX || !lua_checkstack(L, 4)) {
        e->stop = 1;
        return;
    }
    e->total += 2;
    lua_pushnil(L);
    while (!e->stop && lua_next(L, index)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            lua_pushvalue(L, -2); /* a copy: lua_tolstring must not touch lua_next's key */
            add_string(L, lua_gettop(L), e);
            lua_pop(L, 1);
        } else {
            e->total += 32;
        }
        e->total += 2;
        walk(L, lua_gettop(L), depth + 1, e);
        lua_pop(L, 1);
    }
    if (e->stop) lua_settop(L, index);
}

int cairn_cjson_encode_guard(lua_State *L) {
    if (lua_gettop(L) >= 1) {
        estimate e = {0, 0, 0};
        int top = lua_gettop(L);
        walk(L, 1, 0, &e);
        lua_settop(L, top);
        if (e.total + e.reserve > OUTPUT_MAX) return luaL_error(L, "Cannot serialise: the output would pass 1 GB");
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    if (lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0) != 0) {
        /* Its errors as the script would have seen them calling it directly: with the
         * script's position, and the function's name in argument errors. */
        if (lua_type(L, -1) == LUA_TSTRING) {
            const char *message = lua_tostring(L, -1);
            const char *unnamed = strstr(message, " to '?' (");
            luaL_where(L, 1);
            if (unnamed) {
                lua_pushlstring(L, message, (size_t)(unnamed - message));
                lua_pushstring(L, " to 'encode' (");
                lua_pushstring(L, unnamed + 9);
                lua_concat(L, 4);
            } else {
                lua_pushvalue(L, -2);
                lua_concat(L, 2);
            }
        }
        return lua_error(L);
    }
    return lua_gettop(L);
}
