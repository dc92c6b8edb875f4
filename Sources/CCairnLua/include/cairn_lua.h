#ifndef CAIRN_LUA_H
#define CAIRN_LUA_H

/* Debian's Lua 5.1 (liblua5.1-0-dev), and the parts of hosting it that are C macros or
 * must raise Lua errors (a Lua error is a longjmp, which must never cross a Swift frame:
 * the functions the host implements in Swift return a status, and C raises the error). */
#include <lua5.1/lua.h>
#include <lua5.1/lauxlib.h>
#include <lua5.1/lualib.h>
#include <stddef.h>

/* What a Lua state may allocate. While `host` is set (Swift code is pushing values)
 * nothing is refused, so that no allocation failure raises an error into Swift; the
 * limit holds again once Lua runs. */
typedef struct cairn_lua_memory {
    size_t used;
    size_t limit;
    int host;
} cairn_lua_memory;

/* A function of the `redis` table implemented by the host: it gets the Lua stack as
 * called and returns how many results it pushed, or -1 with an error value (a string or
 * an error table) on top, which C then raises. */
typedef int (*cairn_lua_host_function)(lua_State *L, int which);

/* The `redis` functions the host implements, by `which`. */
enum {
    CAIRN_LUA_CALL = 0, CAIRN_LUA_PCALL, CAIRN_LUA_SETRESP, CAIRN_LUA_LOG, CAIRN_LUA_SET_REPL,
    CAIRN_LUA_REPLICATE_COMMANDS, CAIRN_LUA_SHA1HEX, CAIRN_LUA_BREAKPOINT
};

/* A sandboxed state: the safe libraries, `redis`, the deny list removed, globals and
 * library tables read-only, Redis's error handler. NULL when out of memory. */
lua_State *cairn_lua_open(cairn_lua_memory *memory, cairn_lua_host_function host,
                          const char *version, int version_number);

/* Compiles `body` (chunk name "@user_script") into the registry: 0 with its reference in
 * *reference, or 1 with the error message on the stack. */
int cairn_lua_compile(lua_State *L, const char *body, size_t len, int *reference);

/* Sets KEYS and ARGV (the `count` strings on top of the stack, keys first, are popped). */
void cairn_lua_set_arguments(lua_State *L, int keys, int argv);

/* The next run's terms: whether it may pause (past busy-reply-threshold), and from when
 * (CLOCK_MONOTONIC seconds; 0: never). */
void cairn_lua_prepare_run(int may_pause, double busy_at);

/* SCRIPT KILL, FUNCTION KILL: the running script fails at its next hook. */
void cairn_lua_kill(void);

enum { CAIRN_LUA_DONE = 0, CAIRN_LUA_FAILED = 1, CAIRN_LUA_PAUSED = 2 };

/* Runs the function below the `nargs` arguments on top as the script's coroutine:
 * CAIRN_LUA_DONE with its (first) result on the stack, CAIRN_LUA_FAILED with the error as
 * Redis's error handler makes it (a table with err, source, line), or CAIRN_LUA_PAUSED
 * with nothing pushed: cairn_lua_continue goes on from there. */
int cairn_lua_start(lua_State *L, int nargs);
int cairn_lua_continue(lua_State *L);

/* Replaces the `count` values on top with one array of them. */
void cairn_lua_push_array(lua_State *L, int count);

/* FUNCTION LOAD: compiles a library's code (chunk "@user_function") and runs it with only
 * the library API visible (redis.register_function, redis.log), for at most 500 ms.
 * 0 with the list of registered functions on the stack ({name, description, flags,
 * callback} each; flags bit i is the i-th of no-writes, allow-oom, allow-stale,
 * no-cluster, allow-cross-slot-keys); 1 with the compile error's message; 2 with the
 * run's error text (ERR ...). */
int cairn_lua_load_library(lua_State *L, const char *body, size_t len);

/* Pushes a RESP reply as redis.call returns it to a script (RESP2 or RESP3); returns 1,
 * or 0 if the bytes are not one whole reply. An error reply becomes an error table, and
 * *is_error tells the caller (redis.call raises it, redis.pcall returns it). */
int cairn_lua_push_reply(lua_State *L, const char *p, size_t len, int *is_error);

/* The error table {err = message} on the stack. */
void cairn_lua_push_error_table(lua_State *L, const char *message, size_t len);

/* Macros of lua.h, as functions Swift can call. */
static inline void cairn_lua_pop(lua_State *L, int n) { lua_settop(L, -(n) - 1); }
static inline int cairn_lua_isnil(lua_State *L, int i) { return lua_type(L, i) == LUA_TNIL; }

#endif
