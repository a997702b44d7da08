// The port term kind: identity of this node's and other nodes' ports, term order, hashing, both printed
// syntaxes, conversion, and the _port capture in match and receive. The external term format of ports is in
// etf_test.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "support/runtime_fixture.hpp"

using namespace beam::literals;
using beam::term;

namespace {

const beam::node_id other_node{beam::atom("a@b.c"), 7};

// --- the identifier ---

TEST(Port, APortOfThisNodeNamedByItsNodeIsTheLocalPort) {
  const beam::port named(beam::this_node(), 5);
  EXPECT_TRUE(named.is_local());
  EXPECT_EQ(named, beam::port(5));
  EXPECT_EQ(named.node(), beam::this_node());
  EXPECT_EQ(named.number(), 5u);
  EXPECT_EQ(std::hash<beam::port>{}(named), std::hash<beam::port>{}(beam::port(5)));
}

TEST(Port, APortOfAnotherNodeKeepsItsNodeAndCreation) {
  const beam::port remote(other_node, 9);
  EXPECT_FALSE(remote.is_local());
  EXPECT_EQ(remote.node(), other_node);
  EXPECT_EQ(remote.number(), 9u);
  EXPECT_NE(remote, beam::port(9));
  // The same name with another creation is another node (a restarted one).
  EXPECT_NE(remote, beam::port(beam::node_id{other_node.name, 8}, 9));
}

// The order below is what OTP 25's lists:sort/1 gives these ports.
TEST(Port, PortsOrderByNodeNameThenCreationThenNumber) {
  // a@b.c < nonode@nohost < z@b < zz@b by name, whatever the numbers.
  const beam::port local_big(1000);
  const beam::port z1(beam::node_id{beam::atom("z@b"), 1}, 1);
  const beam::port z1_more(beam::node_id{beam::atom("z@b"), 1}, 2);
  const beam::port z2(beam::node_id{beam::atom("z@b"), 2}, 1);
  const beam::port zz(beam::node_id{beam::atom("zz@b"), 0}, 0);
  EXPECT_TRUE(beam::port(other_node, 1'000'000) < beam::port(1));
  EXPECT_TRUE(beam::port(1) < local_big);
  EXPECT_TRUE(local_big < z1);
  EXPECT_TRUE(z1 < z1_more);
  EXPECT_TRUE(z1_more < z2);
  EXPECT_TRUE(z2 < zz);
  EXPECT_TRUE((beam::port(beam::this_node(), 3) <=> beam::port(3)) == 0);
}

// --- the term ---

TEST(PortTerm, ReadsBackAsItsKindAndOnlyAsItsKind) {
  const term local = beam::port(5);
  EXPECT_TRUE(local.is_port());
  EXPECT_FALSE(local.is_pid());
  EXPECT_EQ(local.kind(), beam::term_kind::port);
  EXPECT_EQ(beam::to_string(local.kind()), "port");
  EXPECT_EQ(local.as_port(), beam::port(5));
  const std::uint64_t big = std::uint64_t{1} << 40;  // a local port is an immediate of 64 bits
  EXPECT_EQ(term(beam::port(big)).as_port().number(), big);
  const term remote = beam::port(other_node, 9);
  EXPECT_TRUE(remote.is_port());
  EXPECT_EQ(remote.as_port(), beam::port(other_node, 9));
  EXPECT_FALSE(term(beam::pid(5, 0)).is_port());
  try {
    (void)term(beam::pid(5, 0)).as_port();
    FAIL() << "as_port on a pid must throw";
  } catch (const beam::bad_term_access& e) {
    EXPECT_EQ(std::string(e.what()), "bad term access: expected a port, got pid");
  }
  EXPECT_THROW((void)local.as_pid(), beam::bad_term_access);
}

TEST(PortTerm, EqualPortsAreEqualTermsWithEqualHashes) {
  EXPECT_EQ(term(beam::port(5)), term(beam::port(beam::this_node(), 5)));
  EXPECT_EQ(term(beam::port(5)).hash(), term(beam::port(beam::this_node(), 5)).hash());
  EXPECT_NE(term(beam::port(5)), term(beam::port(6)));
  EXPECT_EQ(term(beam::port(other_node, 9)), term(beam::port(other_node, 9)));
  EXPECT_EQ(term(beam::port(other_node, 9)).hash(), term(beam::port(other_node, 9)).hash());
  EXPECT_NE(term(beam::port(other_node, 9)), term(beam::port(9)));
  // Not the pid or the integer with the same number.
  EXPECT_NE(term(beam::port(5)), term(beam::pid(5, 0)));
  EXPECT_NE(term(beam::port(5)), term(5));
  std::unordered_set<std::size_t> hashes;
  for (std::uint64_t n = 0; n < 100; ++n) hashes.insert(term(beam::port(n)).hash());
  EXPECT_EQ(hashes.size(), 100u);
}

TEST(PortTerm, PortsSitBetweenFunsAndPidsInTermOrder) {
  const std::vector<term> ascending = {
      1,
      "a"_a,
      beam::reference::make(),
      beam::export_fun{"lists"_a, "map"_a, 2},
      beam::port(1),
      beam::port(1'000'000),
      beam::port(beam::node_id{beam::atom("z@b"), 1}, 0),  // z@b sorts after nonode@nohost
      beam::pid(0, 0),
      beam::tuple(),
      beam::map({}),
      term(),
      beam::list(1),
      "",
  };
  for (std::size_t i = 0; i + 1 < ascending.size(); ++i) {
    EXPECT_TRUE(ascending[i] < ascending[i + 1]) << i;
    EXPECT_TRUE(ascending[i + 1] > ascending[i]) << i;
  }
  EXPECT_TRUE((term(beam::port(3)) <=> term(beam::port(3))) == 0);
  // Inside containers too.
  EXPECT_TRUE(beam::tuple(beam::port(1), 2) < beam::tuple(beam::port(2), 1));
}

TEST(PortTerm, ASharedRemotePortOutlivesTheTermThatMadeIt) {
  term copy;
  {
    const term original = beam::port(other_node, 9);
    copy = beam::tuple(original, original);
  }
  EXPECT_EQ(copy.as_tuple()[0].as_port(), beam::port(other_node, 9));
  EXPECT_EQ(copy.as_tuple()[1], copy.as_tuple()[0]);
}

// --- printing ---

TEST(PortTerm, PrintsAsHashPortInElixirAndErlang) {
  EXPECT_EQ(beam::inspect(beam::port(5)), "#Port<0.5>");
  EXPECT_EQ(beam::format_erlang(beam::port(5)), "#Port<0.5>");
  EXPECT_EQ(beam::inspect(beam::list(beam::port(0), beam::port(12))), "[#Port<0.0>, #Port<0.12>]");
  EXPECT_EQ(beam::format_erlang(beam::list(beam::port(0), beam::port(12))), "[#Port<0.0>,#Port<0.12>]");
  EXPECT_EQ(fmt::format("{}", beam::port(7)), "#Port<0.7>");
}

TEST(PortTerm, APortOfAnotherNodePrintsItsNodeAsARemotePidDoes) {
  // The first field is the node name's atom index, as for a pid of that node.
  const auto index = other_node.name.index();
  EXPECT_EQ(beam::inspect(beam::port(other_node, 9)), fmt::format("#Port<{}.9>", index));
  EXPECT_EQ(beam::format_erlang(beam::port(other_node, 9)), fmt::format("#Port<{}.9>", index));
  EXPECT_EQ(beam::inspect(beam::pid(other_node, 9, 0)), fmt::format("#PID<{}.9.0>", index));
}

// --- conversion and patterns ---

TEST(PortConversion, APortIsItself) {
  EXPECT_EQ(beam::to_term(beam::port(5)), term(beam::port(5)));
  EXPECT_EQ(beam::from_term<beam::port>(term(beam::port(other_node, 9))), beam::port(other_node, 9));
  EXPECT_EQ(beam::convert<beam::port>::name(), "beam::port");
  try {
    (void)beam::from_term<beam::port>(term(beam::pid(5, 0)));
    FAIL() << "a pid converted to a port";
  } catch (const beam::bad_term_access& e) {
    EXPECT_EQ(std::string(e.what()), "bad term access: expected a port for beam::port, got pid");
  }
  EXPECT_EQ(beam::from_term<std::vector<beam::port>>(beam::list(beam::port(1), beam::port(2))),
            (std::vector<beam::port>{beam::port(1), beam::port(2)}));
}

TEST(PortMatch, ThePortCaptureTakesPortsOnly) {
  const auto m = beam::match(beam::tuple("tcp"_a, beam::port(5), "data"),
                             beam::tuple("tcp"_a, beam::_port, beam::_binary));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::get<0>(*m), beam::port(5));
  EXPECT_FALSE(beam::match(term(beam::pid(5, 0)), beam::_port).has_value());
  EXPECT_FALSE(beam::match(term(5), beam::_port).has_value());
  EXPECT_FALSE(beam::match(term(beam::port(5)), beam::_pid).has_value());
}

class PortReceiveTest : public beam::testing::RuntimeTest {};

TEST_P(PortReceiveTest, ReceiveCapturesAPortAndSkipsAPidInItsPlace) {
  beam::runtime rt(options());
  beam::port got(0);
  term left;
  rt.run([&]() -> beam::process {
    beam::send(beam::self(), beam::tuple("tcp"_a, beam::self(), "first"));
    beam::send(beam::self(), beam::tuple("tcp"_a, beam::port(42), "second"));
    co_await beam::receive(beam::on(beam::tuple("tcp"_a, beam::_port, beam::_binary),
                                    [&](beam::port p, const term&) { got = p; }));
    left = co_await beam::receive();
  });
  EXPECT_EQ(got, beam::port(42));
  EXPECT_EQ(left.as_tuple()[2], term("first"));
}

BEAM_SCHEDULER_COUNTS(PortReceiveTest);

}  // namespace
