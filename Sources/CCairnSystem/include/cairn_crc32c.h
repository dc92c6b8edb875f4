#ifndef CAIRN_CRC32C_H
#define CAIRN_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/* CRC-32C (Castagnoli), as used by the log and snapshot formats. `crc` is the running
 * value (0 to start); hardware instructions when the CPU has SSE4.2, a table otherwise. */
uint32_t cairn_crc32c(uint32_t crc, const void *data, size_t length);

#endif
