#pragma once
// loopback: the container's "lo" up on ADD (its addresses reported, or prevResult passed on),
// down on DEL; CHECK wants it up.

#include "cni-plugins/lib/skel.h"

namespace capstan::cni::loopback {

PluginFuncs LoopbackPlugin();

}  // namespace capstan::cni::loopback
