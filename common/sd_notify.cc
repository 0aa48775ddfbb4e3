#include "common/sd_notify.h"

#include <systemd/sd-daemon.h>

#include <string>

#include "common/log.h"

namespace capstan {

namespace {

const log::Logger kLog("systemd");

bool Send(const std::string& state) {
  // unset_environment = 0: children (hooks, plugins) never see NOTIFY_SOCKET anyway, as the
  // daemons give them explicit environments.
  int r = ::sd_notify(0, state.c_str());
  if (r < 0) {
    kLog.Warn("sd_notify failed", {{"state", state}, {"errno", std::to_string(-r)}});
    return false;
  }
  return true;
}

}  // namespace

bool NotifyReady(std::string_view status) { return Send("READY=1\nSTATUS=" + std::string(status)); }

bool NotifyStatus(std::string_view status) { return Send("STATUS=" + std::string(status)); }

bool NotifyStopping() { return Send("STOPPING=1"); }

}  // namespace capstan
