#ifndef CAIRN_SYSTEM_H
#define CAIRN_SYSTEM_H
#include <stddef.h>

/* Bytes currently allocated through malloc (glibc mallinfo2: arena bytes in use plus mmapped). */
size_t cairn_malloc_used_bytes(void);

#endif
