/* Debian's libzstd-dev (Tools/setup installs it). */
#include <zstd.h>
