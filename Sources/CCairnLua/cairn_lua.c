#include "cairn_lua.h"
#include "cairn_lua_libraries.h"
#include <lua5.1/lua-bitop.h>
#include <lua5.1/lua-cjson.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- Memory ---- */

static void *allocate(void *ud, void *ptr, size_t osize, size_t nsize) {
    cairn_lua_memory *m = ud;
    if (nsize == 0) {
        free(ptr);
        m->used -= osize;
        return NULL;
    }
    if (m->limit && !m->host && nsize > osize && m->used - osize + nsize > m->limit) return NULL;
    void *p = realloc(ptr, nsize);
    if (p) m->used = m->used - osize + nsize;
    return p;
}

/* ---- Host functions ---- */

static int host_trampoline(lua_State *L) {
    cairn_lua_host_function host = (cairn_lua_host_function)lua_touserdata(L, lua_upvalueindex(1));
    int which = (int)lua_tointeger(L, lua_upvalueindex(2));
    cairn_lua_memory *m = lua_touserdata(L, lua_upvalueindex(3));
    m->host++;
    int n = host(L, which);
    m->host--;
    if (n < 0) return lua_error(L);
    return n;
}

static void add_host_function(lua_State *L, const char *name, int which, cairn_lua_host_function host,
                              cairn_lua_memory *m) {
    lua_pushlightuserdata(L, (void *)host);
    lua_pushinteger(L, which);
    lua_pushlightuserdata(L, m);
    lua_pushcclosure(L, host_trampoline, 3);
    lua_setfield(L, -2, name);
}

void cairn_lua_push_error_table(lua_State *L, const char *message, size_t len) {
    lua_createtable(L, 0, 1);
    lua_pushlstring(L, message, len);
    lua_setfield(L, -2, "err");
}

/* An error text as Redis's luaPushErrorBuff makes it: "-CODE msg" keeps its code,
 * anything else gets ERR; trailing CR and LF trimmed. */
static void push_error_reply(lua_State *L, const char *text) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const char *msg = text;
    if (text[0] == '-') {
        const char *space = strchr(text, ' ');
        if (space) {
            luaL_addlstring(&b, text + 1, (size_t)(space - text - 1));
            msg = space + 1;
        } else {
            luaL_addstring(&b, "ERR");
            msg = text + 1;
        }
    } else {
        luaL_addstring(&b, "ERR");
    }
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\r' || msg[n - 1] == '\n')) n--;
    luaL_addchar(&b, ' ');
    luaL_addlstring(&b, msg, n);
    luaL_pushresult(&b);
    lua_createtable(L, 0, 1);
    lua_insert(L, -2);
    lua_setfield(L, -2, "err");
}

static int error_reply(lua_State *L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        push_error_reply(L, "wrong number or type of arguments");
        return 1;
    }
    const char *err = lua_tostring(L, -1);
    if (err[0] == '-') {
        push_error_reply(L, err);
    } else {
        lua_pushfstring(L, "-%s", err);
        push_error_reply(L, lua_tostring(L, -1));
    }
    return 1;
}

static int status_reply(lua_State *L) {
    if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
        push_error_reply(L, "wrong number or type of arguments");
        return 1;
    }
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "ok");
    return 1;
}

/* ---- Deterministic math.random: Redis's lrand48, reseeded before every script ---- */

static uint64_t random_state = 0x330E;

static int32_t lrand48_next(void) {
    random_state = (0x5DEECE66DULL * random_state + 0xB) & ((1ULL << 48) - 1);
    return (int32_t)(random_state >> 17);
}

static int math_random(lua_State *L) {
    lua_Number r = (lua_Number)(lrand48_next() % INT32_MAX) / (lua_Number)INT32_MAX;
    switch (lua_gettop(L)) {
    case 0:
        lua_pushnumber(L, r);
        break;
    case 1: {
        int u = luaL_checkint(L, 1);
        luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua_pushnumber(L, floor(r * u) + 1);
        break;
    }
    case 2: {
        int l = luaL_checkint(L, 1);
        int u = luaL_checkint(L, 2);
        luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua_pushnumber(L, floor(r * (u - l + 1)) + l);
        break;
    }
    default:
        return luaL_error(L, "wrong number of arguments");
    }
    return 1;
}

static int math_randomseed(lua_State *L) {
    random_state = ((uint64_t)(int32_t)luaL_checkint(L, 1) << 16 | 0x330E) & ((1ULL << 48) - 1);
    return 0;
}

/* ---- The sandbox ---- */

/* "<source>:<line>: " of the Lua code that made the access (the metamethod's caller), as
 * the VM adds it to its own errors. */
static void push_where(lua_State *L) {
    luaL_where(L, 1);
}

static int readonly_error(lua_State *L) {
    push_where(L);
    lua_pushstring(L, "Attempt to modify a readonly table");
    lua_concat(L, 2);
    return lua_error(L);
}

/* The globals' __index for a name they lack (called with the real table and the name):
 * Redis's error. */
static int missing_global(lua_State *L) {
    push_where(L);
    lua_pushfstring(L, "Script attempted to access nonexistent global variable '%s'",
                    lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?");
    lua_concat(L, 2);
    return lua_error(L);
}

/* __index of the library API's globals (FUNCTION LOAD): the value in the table that is its
 * upvalue, or Redis's error for a name it lacks. */
static int global_index(lua_State *L) {
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    if (!lua_isnil(L, -1)) return 1;
    return missing_global(L);
}

/* A read-only view of `table` (on top), replacing it: reads go through, writes fail.
 * Reads find the real table as the view's __index, so the VM looks a name up without
 * calling a function (each `redis.call` and KEYS[1] of a script reads a global); with
 * `nonexistent_error`, the real table's own __index raises the error for a name it lacks. */
static void make_readonly_view(lua_State *L, int nonexistent_error) {
    int real = lua_gettop(L);
    if (nonexistent_error) {
        lua_newtable(L);
        lua_pushcfunction(L, missing_global);
        lua_setfield(L, -2, "__index");
        lua_setmetatable(L, real);
    }
    lua_newtable(L);                    /* the view */
    lua_newtable(L);                    /* its metatable */
    lua_pushvalue(L, real);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_error);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    /* Remember the view as protected (rawset and setmetatable refuse it). */
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_protected");
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_replace(L, real);
}

static int is_protected(lua_State *L, int index) {
    if (lua_type(L, index) != LUA_TTABLE) return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_protected");
    lua_pushvalue(L, index);
    lua_rawget(L, -2);
    int protected = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return protected;
}

/* Calls the function a wrapper stands for (its upvalue) with the wrapper's arguments. */
static int call_wrapped(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* rawset and setmetatable, refusing the protected tables with Redis's error. */
static int safe_rawset(lua_State *L) {
    if (is_protected(L, 1)) {
        lua_pushstring(L, "Attempt to modify a readonly table");
        return lua_error(L);
    }
    return call_wrapped(L);
}

/* Whether a chunk is compiled Lua (bytecode), which scripts may not load. */
static int is_bytecode(const char *s, size_t len) {
    return len > 0 && s[0] == LUA_SIGNATURE[0];
}

/* nil and the refusal, as loadstring and load return a failure. */
static int refuse_bytecode(lua_State *L) {
    lua_pushnil(L);
    lua_pushstring(L, "Bytecode is not allowed");
    return 2;
}

/* loadstring of text only. */
static int safe_loadstring(lua_State *L) {
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (is_bytecode(s, len)) return refuse_bytecode(L);
    return call_wrapped(L);
}

/* load(reader [, name]): the pieces are gathered first, so that a compiled chunk is
 * refused as loadstring refuses it. */
static int safe_load(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (;;) {
        lua_pushvalue(L, 1);
        lua_call(L, 0, 1);
        if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TSTRING && lua_objlen(L, -1) == 0)) {
            lua_pop(L, 1);
            break;
        }
        if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "reader function must return a string");
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (is_bytecode(s, len)) return refuse_bytecode(L);
    int status = luaL_loadbuffer(L, s, len, lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "=(load)");
    if (status == 0) return 1;
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
}

/* unpack with its element count computed without overflow: the stock 5.1.5 computes it
 * in an int, and the compiler drops its overflow check, so unpack(t, 0, 2^31 - 1) grew
 * the stack by a negative size and crashed the server (Redis's patched Lua refuses it). */
static int safe_unpack(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    int first = luaL_optint(L, 2, 1);
    int last = luaL_opt(L, luaL_checkint, 3, luaL_getn(L, 1));
    if (first > last) return 0;
    long long n = (long long)last - first + 1;
    if (n >= INT_MAX || !lua_checkstack(L, (int)n)) return luaL_error(L, "too many results to unpack");
    for (long long i = first; i <= last; i++) lua_rawgeti(L, 1, (int)i);
    return (int)n;
}

/* bit.tohex with a digit count of -2^31 (as lua-bitop reads it: the number modulo 2^32)
 * made 1 instead: lua-bitop negates the count for upper case, -2^31 stays negative, and
 * Debian's 1.0.2 then pushed a string of that length and crashed (Redis patched its copy
 * the same way). */
static int safe_tohex(lua_State *L) {
    if (lua_type(L, 2) == LUA_TNUMBER) {
        union { double d; uint64_t bits; } u;
        u.d = lua_tonumber(L, 2) + 6755399441055744.0;
        if ((int32_t)(uint32_t)u.bits == INT32_MIN) {
            lua_pushnumber(L, INT32_MIN + 1);
            lua_replace(L, 2);
        }
    }
    return call_wrapped(L);
}

static void wrap_global(lua_State *L, int globals, const char *name, lua_CFunction wrapper) {
    lua_getfield(L, globals, name);
    lua_pushcclosure(L, wrapper, 1);
    lua_setfield(L, globals, name);
}

/* library.name replaced by `wrapper`, which gets the original as its upvalue. */
static void wrap_library_function(lua_State *L, int globals, const char *library, const char *name, lua_CFunction wrapper) {
    lua_getfield(L, globals, library);
    wrap_global(L, lua_gettop(L), name, wrapper);
    lua_pop(L, 1);
}

static void open_library(lua_State *L, lua_CFunction open, const char *name) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
}

/* redis.LOG_* (and REPL_* with `replication`), REDIS_VERSION and REDIS_VERSION_NUM into
 * the table on top. */
static void set_constants(lua_State *L, int replication, const char *version, int version_number) {
    const struct { const char *name; int value; } constants[] = {
        {"LOG_DEBUG", 0}, {"LOG_VERBOSE", 1}, {"LOG_NOTICE", 2}, {"LOG_WARNING", 3},
        {"REPL_NONE", 0}, {"REPL_AOF", 1}, {"REPL_SLAVE", 2}, {"REPL_REPLICA", 2}, {"REPL_ALL", 3}, {NULL, 0}};
    for (int i = 0; constants[i].name; i++) {
        if (!replication && constants[i].name[0] == 'R') continue;
        lua_pushinteger(L, constants[i].value);
        lua_setfield(L, -2, constants[i].name);
    }
    lua_pushstring(L, version);
    lua_setfield(L, -2, "REDIS_VERSION");
    lua_pushinteger(L, version_number);
    lua_setfield(L, -2, "REDIS_VERSION_NUM");
}

static int register_function(lua_State *L);
static void check_layout(lua_State *L);
static void install_pause_aware_library(lua_State *L);

/* What a library's code sees while FUNCTION LOAD runs it: only a `redis` table with
 * register_function, log and the versions (Redis's library API). Pushes the __index
 * function of the globals for that time. */
static void push_library_api(lua_State *L, cairn_lua_host_function host, cairn_lua_memory *m,
                             const char *version, int version_number) {
    lua_newtable(L);
    lua_pushcfunction(L, register_function);
    lua_setfield(L, -2, "register_function");
    add_host_function(L, "log", CAIRN_LUA_LOG, host, m);
    set_constants(L, 0, version, version_number);
    make_readonly_view(L, 0);
    lua_newtable(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, "redis");
    lua_pushcclosure(L, global_index, 1);
}

static int open_sandbox(lua_State *L) {
    cairn_lua_memory *m = lua_touserdata(L, 1);
    cairn_lua_host_function host = (cairn_lua_host_function)lua_touserdata(L, 2);
    const char *version = lua_tostring(L, 3);
    int version_number = (int)lua_tointeger(L, 4);
    lua_settop(L, 0);
    open_library(L, luaopen_base, "");
    open_library(L, luaopen_table, LUA_TABLIBNAME);
    open_library(L, luaopen_string, LUA_STRLIBNAME);
    open_library(L, luaopen_math, LUA_MATHLIBNAME);
    /* Debian's lua-cjson and lua-bitop, and cmsgpack and struct written in the project, as
     * the globals Redis has. */
    const struct { const char *name; lua_CFunction open; } globals_libraries[] = {
        {"cjson", luaopen_cjson}, {"bit", luaopen_bit}, {"cmsgpack", cairn_luaopen_cmsgpack},
        {"struct", cairn_luaopen_struct}, {NULL, NULL}};
    for (int i = 0; globals_libraries[i].name; i++) {
        lua_pushcfunction(L, globals_libraries[i].open);
        lua_call(L, 0, 1);
        lua_setfield(L, LUA_GLOBALSINDEX, globals_libraries[i].name);
    }
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "cairn_protected");
    int globals = LUA_GLOBALSINDEX;

    check_layout(L);
    install_pause_aware_library(L);

    /* The deny list, and the deterministic random numbers. */
    const char *denied[] = {"dofile", "loadfile", "print", "getfenv", "setfenv", "newproxy", NULL};
    for (int i = 0; denied[i]; i++) {
        lua_pushnil(L);
        lua_setfield(L, globals, denied[i]);
    }
    lua_getfield(L, globals, "math");
    lua_pushcfunction(L, math_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, math_randomseed);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_pushcfunction(L, safe_unpack);
    lua_setfield(L, globals, "unpack");
    wrap_library_function(L, globals, "bit", "tohex", safe_tohex);
    wrap_library_function(L, globals, "cjson", "encode", cairn_cjson_encode_guard);
    wrap_global(L, globals, "rawset", safe_rawset);
    wrap_global(L, globals, "setmetatable", safe_rawset);
    wrap_global(L, globals, "loadstring", safe_loadstring);
    wrap_global(L, globals, "load", safe_load);

    /* The redis table. */
    lua_newtable(L);
    add_host_function(L, "call", CAIRN_LUA_CALL, host, m);
    add_host_function(L, "pcall", CAIRN_LUA_PCALL, host, m);
    add_host_function(L, "setresp", CAIRN_LUA_SETRESP, host, m);
    add_host_function(L, "log", CAIRN_LUA_LOG, host, m);
    add_host_function(L, "set_repl", CAIRN_LUA_SET_REPL, host, m);
    add_host_function(L, "replicate_commands", CAIRN_LUA_REPLICATE_COMMANDS, host, m);
    add_host_function(L, "sha1hex", CAIRN_LUA_SHA1HEX, host, m);
    add_host_function(L, "breakpoint", CAIRN_LUA_BREAKPOINT, host, m);
    lua_pushcfunction(L, error_reply);
    lua_setfield(L, -2, "error_reply");
    lua_pushcfunction(L, status_reply);
    lua_setfield(L, -2, "status_reply");
    set_constants(L, 1, version, version_number);
    lua_setfield(L, globals, "redis");
    push_library_api(L, host, m, version, version_number);
    lua_setfield(L, LUA_REGISTRYINDEX, "cairn_index_load");

    /* Library tables become read-only views; then the globals themselves. */
    const char *libraries[] = {"redis", "string", "math", "table", "coroutine", "cjson", "bit", "cmsgpack", "struct", NULL};
    for (int i = 0; libraries[i]; i++) {
        lua_getfield(L, globals, libraries[i]);
        make_readonly_view(L, 0);
        lua_setfield(L, globals, libraries[i]);
    }
    /* Strings' methods come from the read-only string view, and their metatable is hidden. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_getfield(L, globals, "string");
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
    lua_pushvalue(L, globals);
    lua_setfield(L, LUA_REGISTRYINDEX, "cairn_globals");
    lua_pushvalue(L, globals);
    make_readonly_view(L, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, globals, "_G");
    /* The view's metatable, whose __index FUNCTION LOAD switches to the library API. */
    lua_getmetatable(L, -1);
    lua_getfield(L, -1, "__index");
    lua_setfield(L, LUA_REGISTRYINDEX, "cairn_index_run");
    lua_setfield(L, LUA_REGISTRYINDEX, "cairn_globals_meta");
    lua_replace(L, globals);
    return 0;
}

/* ---- Function libraries (FUNCTION LOAD) ---- */

/* Raises {err = "ERR <message>"}, without a position, as Redis's luaPushError does here. */
static int raise_plain(lua_State *L, const char *message) {
    lua_pushfstring(L, "ERR %s", message);
    cairn_lua_push_error_table(L, lua_tostring(L, -1), lua_objlen(L, -1));
    return lua_error(L);
}

/* Letters, digits and underscores, at least one (Redis's functionsVerifyName). */
static int valid_name(const char *s, size_t len) {
    if (len == 0) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return 0;
    }
    return 1;
}

static const char *const flag_names[] = {"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys", NULL};

/* The flags table on top as a bit set (bit i: flag_names[i]), or -1 for an unknown flag. */
static int read_flags(lua_State *L) {
    int flags = 0;
    for (int j = 1;; j++) {
        lua_pushinteger(L, j);
        lua_gettable(L, -2);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            return flags;
        }
        if (!lua_isstring(L, -1)) return -1;
        const char *name = lua_tostring(L, -1);
        int found = -1;
        for (int i = 0; flag_names[i]; i++)
            if (strcasecmp(flag_names[i], name) == 0) found = i;
        lua_pop(L, 1);
        if (found < 0) return -1;
        flags |= 1 << found;
    }
}

/* register_function{function_name=..., callback=..., flags=..., description=...}: leaves
 * name, description (or nil), flags and callback at 2..5, or raises Redis's error. */
static void read_named_arguments(lua_State *L) {
    if (!lua_istable(L, 1))
        raise_plain(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
    lua_settop(L, 1);
    lua_pushnil(L);            /* 2: name */
    lua_pushnil(L);            /* 3: description */
    lua_pushinteger(L, 0);     /* 4: flags */
    lua_pushnil(L);            /* 5: callback */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (!lua_isstring(L, -2)) raise_plain(L, "named argument key given to redis.register_function is not a string");
        lua_pushvalue(L, -2);
        const char *key = lua_tostring(L, -1);
        if (strcasecmp(key, "function_name") == 0) {
            if (!lua_isstring(L, -2)) raise_plain(L, "function_name argument given to redis.register_function must be a string");
            lua_pushvalue(L, -2);
            lua_replace(L, 2);
        } else if (strcasecmp(key, "description") == 0) {
            if (!lua_isstring(L, -2)) raise_plain(L, "description argument given to redis.register_function must be a string");
            lua_pushvalue(L, -2);
            lua_replace(L, 3);
        } else if (strcasecmp(key, "callback") == 0) {
            if (!lua_isfunction(L, -2)) raise_plain(L, "callback argument given to redis.register_function must be a function");
            lua_pushvalue(L, -2);
            lua_replace(L, 5);
        } else if (strcasecmp(key, "flags") == 0) {
            if (!lua_istable(L, -2)) raise_plain(L, "flags argument to redis.register_function must be a table representing function flags");
            lua_pushvalue(L, -2);
            int flags = read_flags(L);
            if (flags < 0) raise_plain(L, "unknown flag given");
            lua_pop(L, 1);
            lua_pushinteger(L, flags);
            lua_replace(L, 4);
        } else {
            raise_plain(L, "unknown argument given to redis.register_function");
        }
        lua_pop(L, 2);
    }
    if (lua_isnil(L, 2)) raise_plain(L, "redis.register_function must get a function name argument");
    if (lua_isnil(L, 5)) raise_plain(L, "redis.register_function must get a callback argument");
}

/* redis.register_function, during FUNCTION LOAD: adds {name, description, flags,
 * callback} to the registry's list of the library being loaded. */
static int register_function(lua_State *L) {
    int argc = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_registered");
    int loading = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (!loading) raise_plain(L, "redis.register_function can only be called on FUNCTION LOAD command");
    if (argc < 1 || argc > 2) raise_plain(L, "wrong number of arguments to redis.register_function");
    if (argc == 1) {
        read_named_arguments(L);
        lua_remove(L, 1);
    } else {
        if (!lua_isstring(L, 1)) raise_plain(L, "first argument to redis.register_function must be a string");
        if (!lua_isfunction(L, 2)) raise_plain(L, "second argument to redis.register_function must be a function");
        lua_pushvalue(L, 1);
        lua_pushnil(L);
        lua_pushinteger(L, 0);
        lua_pushvalue(L, 2);
        lua_remove(L, 1);
        lua_remove(L, 1);
    }
    /* 1 name, 2 description, 3 flags, 4 callback */
    size_t len;
    const char *name = lua_tolstring(L, 1, &len);
    /* Redis 7.0's text, which names libraries here too. */
    if (!valid_name(name, len))
        raise_plain(L, "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long");
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_registered");
    int count = (int)lua_objlen(L, 5);
    for (int i = 1; i <= count; i++) {
        lua_rawgeti(L, 5, i);
        lua_getfield(L, -1, "name");
        if (strcmp(lua_tostring(L, -1), name) == 0) raise_plain(L, "Function already exists in the library");
        lua_pop(L, 2);
    }
    lua_createtable(L, 0, 4);
    const char *fields[] = {"name", "description", "flags", "callback"};
    for (int i = 0; i < 4; i++) {
        lua_pushvalue(L, i + 1);
        lua_setfield(L, -2, fields[i]);
    }
    lua_rawseti(L, 5, count + 1);
    return 0;
}

/* CLOCK_MONOTONIC in seconds (the host's monotonic clock too). */
static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* When the library being loaded must have finished (one engine thread, one load). */
static double load_deadline;

/* FUNCTION LOAD stops a library's code after 500 ms, as Redis does. */
static void load_timeout_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (monotonic_seconds() > load_deadline) {
        lua_sethook(L, load_timeout_hook, LUA_MASKLINE, 0);
        raise_plain(L, "FUNCTION LOAD timeout");
    }
}

static void set_global_lookup(lua_State *L, const char *index_function) {
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_globals_meta");
    lua_getfield(L, LUA_REGISTRYINDEX, index_function);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

int cairn_lua_load_library(lua_State *L, const char *body, size_t len) {
    if (luaL_loadbuffer(L, body, len, "@user_function")) return 1;
    cairn_lua_memory *m;
    lua_getallocf(L, (void **)&m);
    load_deadline = monotonic_seconds() + 0.5;
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "cairn_registered");
    set_global_lookup(L, "cairn_index_load");
    lua_sethook(L, load_timeout_hook, LUA_MASKCOUNT, 100000);
    int host = m->host;
    m->host = 0;
    int rc = lua_pcall(L, 0, 0, 0);
    m->host = host;
    lua_sethook(L, NULL, 0, 0);
    set_global_lookup(L, "cairn_index_run");
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_registered");
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "cairn_registered");
    if (rc == 0) return 0;
    lua_pop(L, 1);
    /* The error's text: a table's err, or "ERR " and a string (luaExtractErrorInformation). */
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "err");
        lua_remove(L, -2);
        if (!lua_isstring(L, -1)) {
            lua_pop(L, 1);
            lua_pushstring(L, "ERR unknown error");
        }
    } else {
        const char *msg = rc == LUA_ERRMEM ? "script ran out of memory (lua-memory-limit)" : lua_tostring(L, -1);
        lua_pushfstring(L, "ERR %s", msg ? msg : "unknown error");
        lua_remove(L, -2);
    }
    return 2;
}

lua_State *cairn_lua_open(cairn_lua_memory *memory, cairn_lua_host_function host,
                          const char *version, int version_number) {
    lua_State *L = lua_newstate(allocate, memory);
    if (!L) return NULL;
    lua_pushcfunction(L, open_sandbox);
    lua_pushlightuserdata(L, memory);
    lua_pushlightuserdata(L, (void *)host);
    lua_pushstring(L, version);
    lua_pushinteger(L, version_number);
    if (lua_pcall(L, 4, 0, 0) != 0) {
        lua_close(L);
        return NULL;
    }
    return L;
}

int cairn_lua_compile(lua_State *L, const char *body, size_t len, int *reference) {
    if (is_bytecode(body, len)) {
        lua_pushstring(L, "user_script: Bytecode is not allowed");
        return 1;
    }
    if (luaL_loadbuffer(L, body, len, "@user_script")) return 1;
    *reference = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* KEYS and ARGV are set in the real globals table, under the read-only view. Each is
 * one table filled again for every run: a new pair per run was a third of a short
 * script's garbage, and the collector's work follows the garbage. How many entries the
 * last run was given is kept in the registry ("cairn_arguments": {KEYS count, ARGV
 * count}); a table the script changed beyond those entries (a key past them, a field, a
 * metatable), or one much larger than this run needs, is replaced by a new one. */
/* table[1..count] = the `count` values from stack index `first` on. */
static void fill_array(lua_State *L, int table, int first, int count) {
    for (int i = 0; i < count; i++) {
        lua_pushvalue(L, first + i);
        lua_rawseti(L, table, i + 1);
    }
}

static int refill(lua_State *L, int table, int first, int count, int filled) {
    if (filled > 2 * count + 16) return 0;
    if (lua_getmetatable(L, table)) {
        lua_pop(L, 1);
        return 0;
    }
    fill_array(L, table, first, count);
    for (int i = count + 1; i <= filled; i++) {
        lua_pushnil(L);
        lua_rawseti(L, table, i);
    }
    /* Anything after the last entry set is the script's own. */
    if (count == 0) lua_pushnil(L); else lua_pushinteger(L, count);
    if (lua_next(L, table)) {
        lua_pop(L, 2);
        return 0;
    }
    return 1;
}

static void set_array(lua_State *L, int counts, int which, const char *name, int first, int count) {
    lua_rawgeti(L, counts, which);
    int filled = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_globals");
    lua_pushstring(L, name);
    lua_rawget(L, -2);
    if (!lua_istable(L, -1) || !refill(L, lua_gettop(L), first, count, filled)) {
        lua_pop(L, 1);
        lua_createtable(L, count, 0);
        fill_array(L, lua_gettop(L), first, count);
        lua_setfield(L, -2, name);
    } else {
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_pushinteger(L, count);
    lua_rawseti(L, counts, which);
}

void cairn_lua_set_arguments(lua_State *L, int keys, int argv) {
    int first = lua_gettop(L) - keys - argv + 1;
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_arguments");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_createtable(L, 2, 0);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "cairn_arguments");
    }
    int counts = lua_gettop(L);
    set_array(L, counts, 1, "KEYS", first, keys);
    set_array(L, counts, 2, "ARGV", first + keys, argv);
    lua_settop(L, first - 1);
}

void cairn_lua_push_array(lua_State *L, int count) {
    int first = lua_gettop(L) - count + 1;
    lua_createtable(L, count, 0);
    fill_array(L, lua_gettop(L), first, count);
    lua_replace(L, first);
    lua_settop(L, first);
}

/* ---- Running a script: a coroutine the hook can pause ---- */

/* How a script run goes on: set by the host before and during a run, read by the hook. */
typedef struct cairn_lua_control {
    /* CLOCK_MONOTONIC seconds from which the script may pause; 0: never. */
    double busy_at;
    /* Whether this run may pause at all (a client's own call, not one inside EXEC). */
    int may_pause;
    /* SCRIPT KILL or FUNCTION KILL: the script fails at its next hook. */
    int killed;
    /* When the current slice began (0 until its first hook), and the coroutine that paused. */
    double slice_started;
    lua_State *paused;
} cairn_lua_control;

static cairn_lua_control cairn_lua_run_control;

void cairn_lua_prepare_run(int may_pause, double busy_at) {
    cairn_lua_run_control.may_pause = may_pause;
    cairn_lua_run_control.busy_at = busy_at;
}

void cairn_lua_kill(void) { cairn_lua_run_control.killed = 1; }

/* Lua 5.1.5's lua_State (lstate.h) up to baseCcalls. Whether a hook may yield depends
 * on nCcalls and baseCcalls (no C call between the hook and the coroutine's resume),
 * which the API does not expose; the layout is checked against the API at open, and
 * scripts never pause if it does not match. */
struct lua51_state_head {
    void *next;
    unsigned char tt, marked, status;
    void *top, *base, *l_G, *ci;
    const void *savedpc;
    void *stack_last, *stack, *end_ci, *base_ci;
    int stacksize, size_ci;
    unsigned short nCcalls, baseCcalls;
};

static int layout_matches = 0;

/* Called inside a protected call on the main thread (nCcalls 1, baseCcalls 0). */
static void check_layout(lua_State *L) {
    const struct lua51_state_head *s = (const void *)L;
    int top = lua_gettop(L);
    lua_pushnil(L);
    lua_pushnil(L);
    long slots = ((const char *)s->top - (const char *)s->base) / 16;
    layout_matches = s->tt == LUA_TTHREAD && s->status == 0 && slots == lua_gettop(L)
                     && s->nCcalls >= 1 && s->baseCcalls == 0;
    lua_settop(L, top);
}

static int yieldable(lua_State *L) {
    const struct lua51_state_head *s = (const void *)L;
    return layout_matches && s->nCcalls <= s->baseCcalls;
}

/* Every 10,000 instructions (Redis's hook runs every 100,000, but a script's time goes
 * mostly into its redis.calls, outside Lua): a killed script fails here (and on every
 * line after, its own and its coroutine's, so that pcall cannot hold it); past the busy
 * threshold a script pauses every few milliseconds so that the server can answer others. */
static void script_hook(lua_State *L, lua_Debug *ar) {
    cairn_lua_control *c = &cairn_lua_run_control;
    /* Raised in the script's own code, as Redis's hook raises it in the only code there
     * is: not in the sandbox's pcall and coroutine wrappers. */
    if (c->killed && lua_getinfo(L, "S", ar) && strcmp(ar->source, "=sandbox") != 0) {
        lua_sethook(L, script_hook, LUA_MASKLINE, 0);
        lua_getfield(L, LUA_REGISTRYINDEX, "cairn_script_thread");
        if (lua_tothread(L, -1)) lua_sethook(lua_tothread(L, -1), script_hook, LUA_MASKLINE, 0);
        lua_pop(L, 1);
        cairn_lua_push_error_table(L, "ERR Script killed by user with SCRIPT KILL...", 45);
        lua_error(L);
    }
    if (!c->may_pause || c->busy_at <= 0) return;
    double now = monotonic_seconds();
    /* A slice is timed from its first hook: no clock read for scripts that end first. */
    if (c->slice_started == 0) c->slice_started = now;
    if (now < c->busy_at || now - c->slice_started < 0.002 || !yieldable(L)) return;
    c->paused = L;
    lua_yield(L, 0);
}

/* took_pause(co): whether co's last yield was a pause (and forgets it). */
static int took_pause(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    int paused = co != NULL && cairn_lua_run_control.paused == co;
    if (paused) cairn_lua_run_control.paused = NULL;
    lua_pushboolean(L, paused);
    return 1;
}

/* propagate_pause(): pauses the calling coroutine too when it can yield. */
static int propagate_pause(lua_State *L) {
    if (yieldable(L)) {
        cairn_lua_run_control.paused = L;
        return lua_yield(L, 0);
    }
    return 0;
}

static int is_c_function(lua_State *L) {
    lua_pushboolean(L, lua_iscfunction(L, 1));
    return 1;
}

/* pcall, xpcall and the coroutine functions, so that a pause deep inside them reaches the
 * script's coroutine (a C function in between would make it unable to yield): a Lua
 * function given to pcall runs as a coroutine, and a pause of any coroutine is passed
 * up by whoever resumed it. */
static const char *pause_aware_library =
    "local took_pause, propagate_pause, is_c_function, is_script_thread = ...\n"
    "local create, resume, status, running = coroutine.create, coroutine.resume, coroutine.status, coroutine.running\n"
    "local raw_pcall, raw_xpcall, type, error, select, unpack = pcall, xpcall, type, error, select, unpack\n"
    "local function pack(...) return {n = select('#', ...), ...} end\n"
    "local function continue(co, ok, ...)\n"
    "  if ok and took_pause(co) then propagate_pause() return continue(co, resume(co)) end\n"
    "  return ok, ...\n"
    "end\n"
    "local function protected(co, ok, ...)\n"
    "  if ok and status(co) == 'suspended' then\n"
    "    if took_pause(co) then propagate_pause() return protected(co, resume(co)) end\n"
    "    return false, 'attempt to yield across metamethod/C-call boundary'\n"
    "  end\n"
    "  return ok, ...\n"
    "end\n"
    "local function lua_function(f) return type(f) == 'function' and not is_c_function(f) end\n"
    "local function error_text(ok, ...)\n"
    "  if ok then return true, ... end\n"
    "  local e = ...\n"
    "  if type(e) == 'table' and type(e.err) == 'string' then return false, e.err end\n"
    "  return false, e\n"
    "end\n"
    "pcall = function(...)\n"
    "  if select('#', ...) == 0 then return false, 'attempt to call a boolean value' end\n"
    "  local f = ...\n"
    "  if not lua_function(f) then return error_text(raw_pcall(...)) end\n"
    "  local co = create(f)\n"
    "  return error_text(protected(co, resume(co, select(2, ...))))\n"
    "end\n"
    "local function handled(handler, ok, ...)\n"
    "  if ok then return true, ... end\n"
    "  local fine, result = raw_pcall(handler, (...))\n"
    "  if fine then return false, result end\n"
    "  return false, 'error in error handling'\n"
    "end\n"
    "xpcall = function(f, handler)\n"
    "  if not lua_function(f) then return raw_xpcall(f, handler) end\n"
    "  local co = create(f)\n"
    "  return handled(handler, protected(co, resume(co)))\n"
    "end\n"
    "coroutine.resume = function(co, ...)\n"
    "  if type(co) ~= 'thread' then error(\"bad argument #1 to 'resume' (coroutine expected)\", 2) end\n"
    "  return continue(co, resume(co, ...))\n"
    "end\n"
    "coroutine.wrap = function(f)\n"
    "  if not lua_function(f) then error(\"bad argument #1 to 'wrap' (Lua function expected)\", 2) end\n"
    "  local co = create(f)\n"
    "  return function(...)\n"
    "    local r = pack(continue(co, resume(co, ...)))\n"
    "    if r[1] then return unpack(r, 2, r.n) end\n"
    "    if type(r[2]) == 'string' then error(r[2], 2) end\n"
    "    error(r[2], 0)\n"
    "  end\n"
    "end\n"
    "coroutine.running = function()\n"
    "  local co = running()\n"
    "  if is_script_thread(co) then return nil end\n"
    "  return co\n"
    "end\n";

/* Whether a thread is the script's own (where Redis's scripts run: the main thread). */
static int is_script_thread(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_script_thread");
    lua_pushboolean(L, lua_tothread(L, 1) != NULL && lua_tothread(L, 1) == lua_tothread(L, -1));
    return 1;
}

static void install_pause_aware_library(lua_State *L) {
    luaL_loadbuffer(L, pause_aware_library, strlen(pause_aware_library), "=sandbox");
    lua_pushcfunction(L, took_pause);
    lua_pushcfunction(L, propagate_pause);
    lua_pushcfunction(L, is_c_function);
    lua_pushcfunction(L, is_script_thread);
    lua_call(L, 4, 0);
}

/* The error a dead coroutine holds, pushed on L as Redis's error handler makes it:
 * {err = "ERR ..."} for a string, with the source and line of the script code that
 * raised it (the function that failed, or its caller when that is C). */
static void push_script_error(lua_State *L, lua_State *co, int status) {
    lua_Debug ar;
    int have = 0;
    /* The innermost script code: C functions, tail-call marks and the sandbox's own Lua
     * are skipped. */
    for (int level = 0; !have && lua_getstack(co, level, &ar) && lua_getinfo(co, "Sl", &ar); level++) {
        have = strcmp(ar.what, "C") != 0 && strcmp(ar.what, "tail") != 0 && strcmp(ar.source, "=sandbox") != 0;
    }
    if (status == LUA_YIELD) {
        lua_pushstring(L, "attempt to yield across metamethod/C-call boundary");
    } else {
        lua_xmove(co, L, 1);
    }
    if (status == LUA_ERRMEM) {
        lua_pop(L, 1);
        cairn_lua_push_error_table(L, "ERR script ran out of memory (lua-memory-limit)", 47);
        return;
    }
    if (lua_type(L, -1) != LUA_TTABLE) {
        /* "ERR " .. tostring(err), as Redis's handler makes it. */
        int t = lua_type(L, -1);
        if (t == LUA_TSTRING || t == LUA_TNUMBER) {
            lua_pushfstring(L, "ERR %s", lua_tostring(L, -1));
        } else if (t == LUA_TNIL || t == LUA_TBOOLEAN) {
            lua_pushfstring(L, "ERR %s", t == LUA_TNIL ? "nil" : lua_toboolean(L, -1) ? "true" : "false");
        } else {
            lua_pushfstring(L, "ERR %s: %p", lua_typename(L, t), lua_topointer(L, -1));
        }
        lua_remove(L, -2);
        lua_createtable(L, 0, 3);
        lua_insert(L, -2);
        lua_setfield(L, -2, "err");
    }
    if (have) {
        lua_pushstring(L, ar.source);
        lua_setfield(L, -2, "source");
        lua_pushinteger(L, ar.currentline);
        lua_setfield(L, -2, "line");
    }
}

/* The script's coroutine, kept in the registry (one finished cleanly is used again). */
static lua_State *script_thread(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_script_thread");
    lua_State *co = lua_tothread(L, -1);
    lua_pop(L, 1);
    if (co && lua_status(co) == 0 && lua_gettop(co) == 0) return co;
    co = lua_newthread(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "cairn_script_thread");
    return co;
}

static int drive(lua_State *L, lua_State *co, int nargs) {
    cairn_lua_memory *m;
    lua_getallocf(L, (void **)&m);
    cairn_lua_run_control.paused = NULL;
    cairn_lua_run_control.slice_started = 0;
    int host = m->host;
    m->host = 0;
    int status = lua_resume(co, nargs);
    m->host = host;
    if (status == LUA_YIELD && cairn_lua_run_control.paused == co) {
        cairn_lua_run_control.paused = NULL;
        return CAIRN_LUA_PAUSED;
    }
    if (status == 0) {
        if (lua_gettop(co) == 0) lua_pushnil(co);
        lua_settop(co, 1);
        lua_xmove(co, L, 1);
        return CAIRN_LUA_DONE;
    }
    push_script_error(L, co, status);
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "cairn_script_thread");
    return CAIRN_LUA_FAILED;
}

int cairn_lua_start(lua_State *L, int nargs) {
    random_state = 0x330E;
    cairn_lua_run_control.killed = 0;
    lua_State *co = script_thread(L);
    lua_sethook(co, script_hook, LUA_MASKCOUNT, 10000);
    lua_xmove(L, co, nargs + 1);
    return drive(L, co, nargs);
}

int cairn_lua_continue(lua_State *L) {
    lua_getfield(L, LUA_REGISTRYINDEX, "cairn_script_thread");
    lua_State *co = lua_tothread(L, -1);
    lua_pop(L, 1);
    return drive(L, co, 0);
}

/* ---- RESP replies into Lua values ---- */

static const char *line_end(const char *p, const char *end) {
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n') return p;
    return NULL;
}

static const char *push_value(lua_State *L, const char *p, const char *end, int *is_error, int depth);

/* The integer of a header or ':' line the server wrote (an optional '-', then digits, up
 * to the line's end): strtoll's locale and base handling cost more than the command. */
static long long line_integer(const char *p, const char *eol) {
    int negative = p < eol && *p == '-';
    unsigned long long value = 0;
    for (p += negative; p < eol && *p >= '0' && *p <= '9'; p++) value = value * 10 + (unsigned long long)(*p - '0');
    return negative ? (long long)(0 - value) : (long long)value;
}

static const char *push_aggregate(lua_State *L, const char *p, const char *end, long long n, int kind, int depth) {
    /* kind: 0 array, 1 map, 2 set */
    int ignored;
    lua_createtable(L, kind == 0 ? (int)(n > 1024 ? 1024 : n) : 0, 0);
    for (long long i = 0; i < n; i++) {
        if (!(p = push_value(L, p, end, &ignored, depth + 1))) return NULL;
        if (kind == 0) {
            lua_rawseti(L, -2, (int)(i + 1));
        } else if (kind == 2) {
            lua_pushboolean(L, 1);
            lua_rawset(L, -3);
        } else {
            if (!(p = push_value(L, p, end, &ignored, depth + 1))) return NULL;
            if (lua_isnil(L, -2)) lua_pop(L, 2); else lua_rawset(L, -3);
        }
    }
    return p;
}

static void wrap_in_field(lua_State *L, const char *field) {
    lua_createtable(L, 0, 1);
    lua_insert(L, -2);
    lua_setfield(L, -2, field);
}

static const char *push_value(lua_State *L, const char *p, const char *end, int *is_error, int depth) {
    *is_error = 0;
    if (p >= end || depth > 1000 || !lua_checkstack(L, 4)) return NULL;
    const char *eol = line_end(p + 1, end);
    if (!eol) return NULL;
    char type = *p;
    const char *text = p + 1;
    size_t text_len = (size_t)(eol - text);
    const char *next = eol + 2;
    long long n = 0;
    switch (type) {
    case '+':
        lua_pushlstring(L, text, text_len);
        wrap_in_field(L, "ok");
        return next;
    case '-':
        lua_pushlstring(L, text, text_len);
        wrap_in_field(L, "err");
        *is_error = 1;
        return next;
    case ':':
        lua_pushnumber(L, (lua_Number)line_integer(text, eol));
        return next;
    case '$':
    case '=':
        n = line_integer(text, eol);
        if (n < 0) {
            lua_pushboolean(L, 0);
            return next;
        }
        if ((long long)(end - next) < n + 2) return NULL;
        if (type == '$') {
            lua_pushlstring(L, next, (size_t)n);
        } else {
            /* Verbatim: "txt:..." → {verbatim_string = {format = "txt", string = "..."}} */
            lua_createtable(L, 0, 2);
            lua_pushlstring(L, next, n >= 3 ? 3 : (size_t)n);
            lua_setfield(L, -2, "format");
            lua_pushlstring(L, n >= 4 ? next + 4 : next, n >= 4 ? (size_t)(n - 4) : 0);
            lua_setfield(L, -2, "string");
            wrap_in_field(L, "verbatim_string");
        }
        return next + n + 2;
    case '*':
    case '>':
        n = line_integer(text, eol);
        if (n < 0) {
            lua_pushboolean(L, 0);
            return next;
        }
        return push_aggregate(L, next, end, n, 0, depth);
    case '%':
        n = line_integer(text, eol);
        if (!(next = push_aggregate(L, next, end, n, 1, depth))) return NULL;
        wrap_in_field(L, "map");
        return next;
    case '~':
        n = line_integer(text, eol);
        if (!(next = push_aggregate(L, next, end, n, 2, depth))) return NULL;
        wrap_in_field(L, "set");
        return next;
    case '_':
        lua_pushnil(L);
        return next;
    case '#':
        lua_pushboolean(L, text_len > 0 && text[0] == 't');
        return next;
    case ',':
        lua_pushnumber(L, strtod(text, NULL));
        wrap_in_field(L, "double");
        return next;
    case '(':
        lua_pushlstring(L, text, text_len);
        wrap_in_field(L, "big_number");
        return next;
    default:
        return NULL;
    }
}

int cairn_lua_push_reply(lua_State *L, const char *p, size_t len, int *is_error) {
    return push_value(L, p, p + len, is_error, 0) != NULL;
}
