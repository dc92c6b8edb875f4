#include "cairn_system.h"
#include "cairn_crc32c.h"
