/* Calendar dates as the lab writes them (cd.h). */
#include "cd.h"

#include <time.h>

int cd_today(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
        return -1;
    return 0;
}
