// This hax instance's HA cookie (motr-ha-wire.md §4.4): a peer that comes
// back with cookie_expected == ours, but no link, was disconnected by us.
#pragma once
#include "wire_types.h"

namespace hax {

// pid, CLOCK_REALTIME ns, uptime UINT64_MAX (M0_TIME_NEVER), random uuid.
HaCookie make_cookie();

} // namespace hax
