#ifndef CAIRN_LUA_LIBRARIES_H
#define CAIRN_LUA_LIBRARIES_H

/* The libraries Redis's scripts have that Debian does not package: written here. */
#include <lua5.1/lauxlib.h>
#include <lua5.1/lua.h>

/* Each pushes its library table. */
int cairn_luaopen_cmsgpack(lua_State *L);
int cairn_luaopen_struct(lua_State *L);

/* cjson.encode with the encoder (its upvalue) behind a size check. */
int cairn_cjson_encode_guard(lua_State *L);

#endif
