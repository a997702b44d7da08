// Ports: identity of this node's and other nodes' ports and their order.
#include <cstdint>
#include <functional>

#include <gtest/gtest.h>

#include <beam/port.hpp>

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

}  // namespace
