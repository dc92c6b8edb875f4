#include "cairn_system.h"
#include <malloc.h>

size_t cairn_malloc_used_bytes(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}
