//go:build linux && cgo

package timerslack

// The constructor lives in this file's preamble: an //export here would copy the preamble into a
// second C file, and with it a second constructor. Keep Go functions exported to C elsewhere.

/*
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

static long long hotline_slack_ns;
static int hotline_slack_state;
static char hotline_slack_value[64];

// Parses "N", "Nns", "Nus", "Nms" (N a whole number); -1 when not valid or over 100 ms.
static long long hotline_parse_slack(const char *v) {
	char *end;
	if (*v < '0' || *v > '9') return -1;
	unsigned long long n = strtoull(v, &end, 10);
	if (n > 100000000ULL) return -1;
	unsigned long long unit = 1;
	if (strcmp(end, "") == 0 || strcmp(end, "ns") == 0) unit = 1;
	else if (strcmp(end, "us") == 0 || strcmp(end, "\xc2\xb5s") == 0 || strcmp(end, "\xce\xbcs") == 0) unit = 1000;
	else if (strcmp(end, "ms") == 0) unit = 1000000;
	else return -1;
	if (n * unit > 100000000ULL) return -1;
	return (long long)(n * unit);
}

// Runs when the program is loaded, before the Go runtime starts any thread: the main thread's
// slack is inherited by every thread created after it.
__attribute__((constructor)) static void hotline_set_timer_slack(void) {
	long long ns = 1000000;
	const char *v = getenv("HOTLINE_TIMER_SLACK");
	if (v != NULL && *v != 0) {
		strncpy(hotline_slack_value, v, sizeof hotline_slack_value - 1);
		ns = hotline_parse_slack(v);
		if (ns < 0) {
			hotline_slack_state = 3;
			return;
		}
	}
	hotline_slack_ns = ns;
	if (ns == 0) {
		hotline_slack_state = 2;
		return;
	}
	hotline_slack_state = prctl(PR_SET_TIMERSLACK, (unsigned long)ns, 0UL, 0UL, 0UL) == 0 ? 1 : 4;
}

static long long hotline_timer_slack_ns(void) { return hotline_slack_ns; }
static int hotline_timer_slack_state(void) { return hotline_slack_state; }
static const char *hotline_timer_slack_value(void) { return hotline_slack_value; }
static long long hotline_thread_slack_ns(void) { return (long long)prctl(PR_GET_TIMERSLACK, 0UL, 0UL, 0UL, 0UL); }
*/
import "C"

// threadSlack is the calling thread's own timer slack (needs no privilege).
func threadSlack() int64 { return int64(C.hotline_thread_slack_ns()) }

func applied() (ns int64, state int, value string) {
	return int64(C.hotline_timer_slack_ns()), int(C.hotline_timer_slack_state()), C.GoString(C.hotline_timer_slack_value())
}
