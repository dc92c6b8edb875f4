/* Debian's liblz4-dev (Tools/setup installs it). */
#include <lz4.h>
