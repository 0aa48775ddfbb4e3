// The parsers on the kernel's exact text (copied from v1 and v2 hosts).
#include "cadvisor-lite/parsers.h"

#include <gtest/gtest.h>

namespace capstan::cadvisor {
namespace {

TEST(ParseFlatKeyed, ReadsKeyValueLinesAndSkipsMalformedOnes) {
  auto m = ParseFlatKeyed(
      "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\nbroken\nnr_periods x\n"
      "throttled_usec 7");
  EXPECT_EQ(m.size(), 4u);
  EXPECT_EQ(m["usage_usec"], 1234u);
  EXPECT_EQ(m["throttled_usec"], 7u);
  EXPECT_EQ(m.count("nr_periods"), 0u);
}

TEST(ParseSingleValue, NumbersMaxAndGarbage) {
  EXPECT_EQ(ParseSingleValue("104857600\n"), 104857600u);
  EXPECT_EQ(ParseSingleValue("max\n"), std::nullopt);
  EXPECT_EQ(ParseSingleValue(""), std::nullopt);
  EXPECT_EQ(ParseSingleValue("12ab"), std::nullopt);
}

TEST(ParseMemInfo, MultipliesKilobytes) {
  auto m = ParseMemInfo(
      "MemTotal:       24596748 kB\nMemFree:        20000000 kB\n"
      "MemAvailable:   22000000 kB\nBuffers:          100000 kB\nCached:          1000000 kB\n"
      "Active(file):     200000 kB\nInactive(file):   300000 kB\nSwapTotal:             0 kB\n"
      "HugePages_Total:       0\n");
  EXPECT_EQ(m.total, 24596748ull * 1024);
  EXPECT_EQ(m.free, 20000000ull * 1024);
  EXPECT_EQ(m.available, 22000000ull * 1024);
  EXPECT_EQ(m.inactive_file, 300000ull * 1024);
  EXPECT_EQ(m.swap_total, 0u);
}

TEST(ParseProcStatCpu, ReadsTheAggregateLine) {
  auto c = ParseProcStatCpu(
      "cpu  6197990 400 1278759 7198264 26037 0 20799 0 0 0\n"
      "cpu0 3056444 186 617583 3669283 7558 0 9775 0 0 0\nintr 1 2 3\n");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, 6197990u);
  EXPECT_EQ(c->idle, 7198264u);
  EXPECT_EQ(c->Busy(), 6197990u + 400 + 1278759 + 0 + 20799 + 0);
  EXPECT_FALSE(ParseProcStatCpu("cpu0 1 2 3 4\n"));
}

TEST(ParseLoadAvg, ReadsLoadsAndThreads) {
  auto l = ParseLoadAvg("0.05 0.69 1.69 1/85 21128\n");
  ASSERT_TRUE(l);
  EXPECT_DOUBLE_EQ(l->five, 0.69);
  EXPECT_EQ(l->running, 1u);
  EXPECT_EQ(l->total_threads, 85u);
  EXPECT_FALSE(ParseLoadAvg("garbage"));
}

TEST(ParseNetDev, SkipsHeadersAndReadsCounters) {
  auto ifs = ParseNetDev(
      "Inter-|   Receive                                                |  Transmit\n"
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
      "drop fifo colls carrier compressed\n"
      "    lo:     100       2    0    0    0     0          0         0      100       2    0 "
      "   0    0     0       0          0\n"
      "  eth0: 5000000   4000    3    0    0     0          0         0   700000    600    1 "
      "   0    0     0       0          0\n");
  ASSERT_EQ(ifs.size(), 2u);
  EXPECT_EQ(ifs[1].name, "eth0");
  EXPECT_EQ(ifs[1].rx_bytes, 5000000u);
  EXPECT_EQ(ifs[1].rx_errors, 3u);
  EXPECT_EQ(ifs[1].tx_bytes, 700000u);
  EXPECT_EQ(ifs[1].tx_errors, 1u);
}

TEST(ParseIo, SumsDevicesOnBothVersions) {
  auto v2 = ParseIoStatV2(
      "8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n"
      "8:16 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n");
  EXPECT_EQ(v2.read, 1010u);
  EXPECT_EQ(v2.write, 2020u);
  auto v1 = ParseBlkioServiceBytesV1(
      "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Async 12288\n8:0 Discard 0\n"
      "8:0 Total 12288\nTotal 12288\n");
  EXPECT_EQ(v1.read, 4096u);
  EXPECT_EQ(v1.write, 8192u);
}

TEST(HugetlbPageSize, NamesOnlyUsageFiles) {
  EXPECT_EQ(HugetlbPageSize("hugetlb.2MB.usage_in_bytes"), "2MB");
  EXPECT_EQ(HugetlbPageSize("hugetlb.1GB.current"), "1GB");
  EXPECT_EQ(HugetlbPageSize("hugetlb.2MB.rsvd.current"), std::nullopt);
  EXPECT_EQ(HugetlbPageSize("hugetlb.2MB.limit_in_bytes"), std::nullopt);
  EXPECT_EQ(HugetlbPageSize("memory.current"), std::nullopt);
}

}  // namespace
}  // namespace capstan::cadvisor
