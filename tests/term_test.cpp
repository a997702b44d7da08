// The term model: construction, access, wrong-kind errors, equality, term order, hashing, sharing across
// threads.
#include <thread>
#include <unordered_set>

#include <gtest/gtest.h>

#include <beam/beam.hpp>

#include "term/this_node.hpp"

using namespace beam::literals;
using beam::term;

TEST(Term, IsSixteenBytesAndCopiesShareTheNode) {
  static_assert(sizeof(term) <= 16);
  term t = beam::tuple("hello3"_a, 42);
  term copy = t;
  EXPECT_EQ(copy.as_tuple().data(), t.as_tuple().data());
  EXPECT_EQ(copy, t);
}

TEST(Term, AssigningAPartOfATermToItKeepsThePart) {
  term t = beam::tuple("outer"_a, beam::tuple("inner"_a, beam::list(1, 2)));
  t = t.as_tuple()[1];  // the only reference to the outer tuple goes away during the assignment
  EXPECT_EQ(t, beam::tuple("inner"_a, beam::list(1, 2)));
  term self = beam::tuple(1, 2);
  term& same = self;
  self = same;
  EXPECT_EQ(self, beam::tuple(1, 2));
}

TEST(Term, DefaultIsTheEmptyList) {
  term t;
  EXPECT_TRUE(t.is_nil());
  EXPECT_TRUE(t.is_proper_list());
  EXPECT_TRUE(t.as_list().empty());
}

TEST(Term, ImmediatesReadBack) {
  EXPECT_EQ(term(42).as_int(), 42);
  EXPECT_EQ(term(-7LL).as_int(), -7);
  EXPECT_EQ(term(1.5).as_float(), 1.5);
  EXPECT_EQ(term("ok"_a).as_atom(), "ok"_a);
  EXPECT_TRUE(term(true).as_bool());
  EXPECT_TRUE(term(true).is_atom(beam::atom("true")));
  EXPECT_FALSE(term(false).as_bool());
  EXPECT_EQ(term(beam::pid(109, 0)).as_pid(), beam::pid(109, 0));
}

TEST(Term, WrongKindAccessNamesExpectedAndActualKind) {
  term t = "hello"_a;
  try {
    (void)t.as_tuple();
    FAIL() << "as_tuple on an atom must throw";
  } catch (const beam::bad_term_access& e) {
    EXPECT_EQ(e.actual(), beam::term_kind::atom);
    EXPECT_EQ(std::string(e.what()), "bad term access: expected a tuple, got atom");
  }
  EXPECT_THROW((void)term(1).as_atom(), beam::bad_term_access);
  EXPECT_THROW((void)term().head(), beam::bad_term_access);
  EXPECT_THROW((void)beam::integer_from_string("123456789012345678901234567890").as_int(),
               beam::bad_term_access);
}

TEST(Term, IndexingPastTheEndOfATupleOrListIsABadTermAccess) {
  const term t = beam::tuple(1, 2, 3);
  EXPECT_EQ(t.as_tuple()[2], term(3));
  try {
    (void)t.as_tuple()[3];
    FAIL() << "index 3 of a 3-tuple must throw";
  } catch (const beam::bad_term_access& e) {
    EXPECT_EQ(e.actual(), beam::term_kind::tuple);
    EXPECT_EQ(std::string(e.what()), "bad term access: expected an index below 3 (not 3), got tuple");
  }
  EXPECT_THROW((void)beam::list(1, 2).as_list()[2], beam::bad_term_access);
  EXPECT_THROW((void)term().as_list()[0], beam::bad_term_access);
  const std::span<const term> unchecked = t.as_tuple();  // still a std::span where one is wanted
  EXPECT_EQ(unchecked.size(), 3u);
}

TEST(Term, UnsignedBeyondInt64IsABigInteger) {
  term t = std::uint64_t{18446744073709551615ULL};
  EXPECT_TRUE(t.is_integer());
  EXPECT_FALSE(t.is_small_integer());
  EXPECT_EQ(beam::integer_to_string(t), "18446744073709551615");
}

TEST(Term, BigIntegersRoundTripThroughDecimalText) {
  for (const char* text : {"0", "-1", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                           "-9223372036854775809", "123456789012345678901234567890123456789",
                           "-1000000000000000000000000000000000000000000000000"}) {
    EXPECT_EQ(beam::integer_to_string(beam::integer_from_string(text)), text);
  }
  EXPECT_TRUE(beam::integer_from_string("-9223372036854775808").is_small_integer());
  EXPECT_FALSE(beam::integer_from_string("9223372036854775808").is_small_integer());
  EXPECT_THROW(beam::integer_from_string("12a"), std::invalid_argument);
  EXPECT_THROW(beam::integer_from_string(""), std::invalid_argument);
}

TEST(Term, ListsAreProperOrImproperAndTailIsConstantTime) {
  term l = beam::list(1, 2, 3);
  EXPECT_EQ(l.as_list().size(), 3u);
  EXPECT_EQ(l.head(), term(1));
  term t = l.tail();
  EXPECT_EQ(t.as_list().data(), l.as_list().data() + 1);
  EXPECT_EQ(t, beam::list(2, 3));
  EXPECT_TRUE(t.tail().tail().is_nil());
  term improper = beam::make_list(std::vector<term>{1, 2}, term(3));
  EXPECT_FALSE(improper.is_proper_list());
  EXPECT_EQ(improper.list_tail(), term(3));
  EXPECT_EQ(beam::cons(0, l), beam::list(0, 1, 2, 3));
  EXPECT_EQ(beam::make_list(std::vector<term>{0}, l).as_list().size(), 4u);
  EXPECT_EQ(beam::charlist("be"), beam::list('b' + 0, 'e' + 0));
}

TEST(Term, MapsSortKeysAndKeepTheLastDuplicate) {
  term m = beam::map({{"b"_a, 1}, {"a"_a, 2}, {"b"_a, 3}});
  ASSERT_EQ(m.as_map().size(), 2u);
  EXPECT_EQ(m.as_map()[0].first, term("a"_a));
  EXPECT_EQ(*m.map_find("b"_a), term(3));
  EXPECT_EQ(m.map_find("c"_a), nullptr);
  // Map key order: integers before floats, whatever their values (as OTP sorts #{1 => a, 0.5 => b}).
  term nums = beam::map({{0.5, "b"_a}, {1, "a"_a}, {1.0, "x"_a}});
  ASSERT_EQ(nums.as_map().size(), 3u);
  EXPECT_EQ(nums.as_map()[0].first, term(1));
  EXPECT_EQ(nums.as_map()[1].first, term(0.5));
}

TEST(Term, ExactEqualityTellsIntegersFromFloats) {
  EXPECT_NE(term(1), term(1.0));
  EXPECT_TRUE((term(1) <=> term(1.0)) == 0);
  EXPECT_EQ(term(0.0), term(-0.0));  // OTP 25: 0.0 =:= -0.0
  EXPECT_EQ(term(0.0).hash(), term(-0.0).hash());
}

TEST(Term, TermOrderFollowsErlang) {
  const term pid = beam::pid(1, 0);
  const term ref = beam::reference::make();
  const term fun = beam::export_fun{"lists"_a, "map"_a, 2};
  std::vector<term> ascending = {-1,
                                 1.5,
                                 2,
                                 "a"_a,
                                 "b"_a,
                                 ref,
                                 fun,
                                 pid,
                                 beam::tuple(),
                                 beam::tuple(1),
                                 beam::tuple(0, 0),
                                 beam::map({}),
                                 beam::map({{1, 1}}),
                                 term(),
                                 beam::list(1),
                                 beam::list(1, 2),
                                 "",
                                 "a",
                                 "ab"};
  for (std::size_t i = 0; i + 1 < ascending.size(); ++i) {
    EXPECT_TRUE(ascending[i] < ascending[i + 1]) << i;
    EXPECT_TRUE(ascending[i + 1] > ascending[i]) << i;
  }
}

// The order OTP 25 gave to lists:sort of these pids, made with binary_to_term of NEW_PID_EXT bytes (node,
// number, serial, creation): serial first, then number, then node name, then creation; local pids
// (nonode@nohost) among them by the same rule.
TEST(Term, PidsOrderBySerialThenNumberThenNodeAsOtp25) {
  auto remote = [](const char* node, std::uint32_t number, std::uint32_t serial, std::uint32_t creation) {
    return beam::pid(beam::node_id{beam::atom(node), creation}, number, serial);
  };
  const std::vector<beam::pid> sorted = {
      remote("zz@h", 0, 0, 3), remote("a@h", 1, 0, 6), remote("a@h", 1, 0, 7),
      remote("b@h", 1, 0, 5),  remote("c@h", 1, 0, 1), remote("a@h", 2, 0, 5),
      beam::pid(5, 0),         beam::pid(9, 0),        remote("a@h", 1, 1, 5)};
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    for (std::size_t j = 0; j < sorted.size(); ++j) {
      EXPECT_EQ(sorted[i] <=> sorted[j], i <=> j) << i << " vs " << j;
      EXPECT_EQ(term(sorted[i]) < term(sorted[j]), i < j) << i << " vs " << j;
    }
  }
}

TEST(Term, PidsOfTwoCreationsOfOneNodeDiffer) {
  const beam::pid old_one(beam::node_id{beam::atom("a@h"), 6}, 1, 0);
  const beam::pid new_one(beam::node_id{beam::atom("a@h"), 7}, 1, 0);
  EXPECT_NE(old_one, new_one);
  EXPECT_NE(term(old_one), term(new_one));
  EXPECT_NE(std::hash<beam::pid>{}(old_one), std::hash<beam::pid>{}(new_one));
  // This node's name with a creation other than its own (0 without distribution) is another incarnation.
  const beam::pid other_incarnation(beam::node_id{beam::this_node().name, 1}, 1, 0);
  EXPECT_FALSE(other_incarnation.is_local());
  EXPECT_NE(other_incarnation, beam::pid(1, 0));
  EXPECT_TRUE(beam::pid(beam::this_node(), 1, 0).is_local());
}

// Distribution starting or stopping renames this node (term/this_node.hpp); its pids and ports stay its own,
// and so must their hashes: a hash container erases by the hash a key has then, and one that changed sends
// the erase to the wrong bucket and corrupts the container (seen as a crash in a dist test under ASan).
TEST(Term, LocalIdentifiersKeepTheirHashesWhenThisNodeIsRenamed) {
  const beam::node_id before = beam::this_node();
  std::unordered_set<beam::pid> pids;
  std::unordered_set<beam::port> ports;
  std::unordered_set<term> terms;
  for (std::uint32_t n = 0; n < 64; ++n) {
    pids.insert(beam::pid(n, 0));
    ports.insert(beam::port(n));
    terms.insert(term(beam::pid(n, 0)));
  }
  const std::size_t pid_hash = std::hash<beam::pid>{}(beam::pid(1, 0));
  const std::size_t port_hash = std::hash<beam::port>{}(beam::port(1));
  beam::detail::set_this_node(beam::node_id{beam::atom("renamed@host"), 9});
  EXPECT_EQ(std::hash<beam::pid>{}(beam::pid(1, 0)), pid_hash);
  EXPECT_EQ(std::hash<beam::port>{}(beam::port(1)), port_hash);
  for (std::uint32_t n = 0; n < 64; ++n) {
    EXPECT_EQ(pids.erase(beam::pid(n, 0)), 1u) << n;
    EXPECT_EQ(ports.erase(beam::port(n)), 1u) << n;
    EXPECT_EQ(terms.erase(term(beam::pid(n, 0))), 1u) << n;
  }
  beam::detail::set_this_node(before);
  EXPECT_TRUE(pids.empty() && ports.empty() && terms.empty());
}

TEST(Term, NumbersCompareByValueAcrossIntegerAndFloat) {
  EXPECT_TRUE(term(1) < term(1.5));
  EXPECT_TRUE(term(2) > term(1.5));
  EXPECT_TRUE(beam::integer_from_string("100000000000000000000") > term(9.9e19));
  EXPECT_TRUE(beam::integer_from_string("100000000000000000000") < term(1.1e20));
  EXPECT_TRUE((beam::integer_from_string("100000000000000000000") <=> term(1e20)) == 0);
  EXPECT_TRUE(beam::integer_from_string("-100000000000000000000") < term(-1.0));
  EXPECT_TRUE(term(INT64_MAX) < beam::integer_from_string("9223372036854775808"));
  EXPECT_TRUE(term(INT64_MIN) > beam::integer_from_string("-9223372036854775809"));
  EXPECT_TRUE(term(INT64_MAX) < term(9223372036854775808.0));
}

TEST(Term, ImproperTailsCompareAfterTheCommonPrefix) {
  term improper = beam::make_list(std::vector<term>{1}, term(2));  // [1 | 2]
  EXPECT_TRUE(improper < beam::list(1, 2));                        // 2 (number) < [2] (list)
  term bit_tail = beam::make_list(std::vector<term>{1}, term("x"));
  EXPECT_TRUE(bit_tail > beam::list(1, 2));  // <<"x">> (bitstring) > [2]
}

TEST(Term, BitstringsKeepTheirBitSize) {
  const std::uint8_t bytes[] = {0xFF};
  term b = beam::bitstring(bytes, 3);
  EXPECT_FALSE(b.is_binary());
  EXPECT_TRUE(b.is_bitstring());
  EXPECT_EQ(b.bit_size(), 3u);
  EXPECT_EQ(b.bitstring_bytes()[0], 0xE0);
  EXPECT_THROW((void)b.as_binary(), beam::bad_term_access);
  EXPECT_EQ(term("abc").as_string_view(), "abc");
}

TEST(Term, EqualTermsHashEqual) {
  std::unordered_set<term> set;
  set.insert(beam::tuple("a"_a, beam::list(1, 2), beam::map({{"k", 1}})));
  EXPECT_TRUE(set.contains(beam::tuple("a"_a, beam::list(1, 2), beam::map({{"k", 1}}))));
  EXPECT_FALSE(set.contains(beam::tuple("a"_a, beam::list(1, 2), beam::map({{"k", 2}}))));
}

// reference::make's references live in the term itself, others in a node (beam/term.hpp): the two forms
// must read back, compare, order and hash as the one kind they are.
TEST(Term, ReferencesReadBackEqualAndOrderedWhateverTheirForm) {
  const beam::node_id here = beam::this_node();
  const beam::reference made = beam::reference::make();
  const term a(made);
  const term rebuilt(beam::reference(here, made.words()));
  EXPECT_EQ(a.as_reference(), made);
  EXPECT_EQ(a, rebuilt);
  EXPECT_EQ(a.hash(), rebuilt.hash());
  EXPECT_EQ(a.kind(), beam::term_kind::reference);

  const std::uint32_t small_words[] = {5, 7, 1};
  const std::uint32_t wide_first[] = {1U << 18, 7, 1};  // too wide a first word to be packed
  const std::uint32_t wide_last[] = {0, 0, 1U << 14};   // too wide a last word
  const std::uint32_t four_words[] = {5, 7, 1, 0};
  const term packed(beam::reference(here, small_words));
  const term wide(beam::reference(here, wide_first));
  const term widest(beam::reference(here, wide_last));
  const term longer(beam::reference(here, four_words));
  for (const term* t : {&packed, &wide, &widest, &longer}) {
    EXPECT_TRUE(t->is_reference());
    EXPECT_EQ(term(t->as_reference()), *t);
    EXPECT_EQ(term(t->as_reference()).hash(), t->hash());
  }
  EXPECT_EQ(packed.as_reference().words()[2], 1U);
  EXPECT_NE(packed, wide);
  EXPECT_TRUE(packed < wide);  // the words compare from the last: 1 = 1, 7 = 7, then 5 < 2^18
  EXPECT_TRUE(wide < widest);
  EXPECT_TRUE(packed < longer);
  EXPECT_TRUE(packed == term(beam::reference(here, small_words)));
  EXPECT_EQ(beam::inspect(packed), "#Reference<0.1.7.5>");
}

TEST(Term, DeeplyNestedTermsAreFreedWithoutRecursion) {
  term t;
  for (int i = 0; i < 1'000'000; ++i) t = beam::tuple(t);
  t = term();  // would overflow the stack if destruction recursed
  SUCCEED();
}

TEST(Term, SharedTermsAreSafeAcrossThreads) {
  term shared = beam::tuple("payload"_a, beam::list(1, 2, 3), "bytes");
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([shared] {
      for (int j = 0; j < 100'000; ++j) {
        term copy = shared;
        ASSERT_EQ(copy.as_tuple().size(), 3u);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(shared.as_tuple()[2].as_string_view(), "bytes");
}

TEST(Atom, InterningIsIdempotentAndExistingDoesNotCreate) {
  EXPECT_EQ(beam::atom("hello"), "hello"_a);
  EXPECT_EQ(beam::atom("hello").text(), "hello");
  EXPECT_FALSE(beam::atom::existing("surely_not_an_atom_yet_42"));
  EXPECT_TRUE(beam::atom::existing("hello"));
  EXPECT_TRUE(beam::atom("héllo").is_latin1());
  EXPECT_FALSE(beam::atom("привет").is_latin1());
  EXPECT_THROW(beam::atom(std::string("\xFF")), std::invalid_argument);
  EXPECT_THROW(beam::atom(std::string(256, 'a')), beam::error);
}

TEST(Atom, ConcurrentInterningGivesOneIndexPerText) {
  std::vector<std::vector<std::uint32_t>> seen(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &seen] {
      for (int i = 0; i < 5000; ++i) seen[t].push_back(beam::atom("concurrent_" + std::to_string(i)).index());
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(seen[t], seen[0]);
}

TEST(Atom, TableFullIsASystemLimitError) {
  const auto stats = beam::atom_table_stats();
  EXPECT_THROW(beam::set_atom_limit(stats.count - 1), std::invalid_argument);
  beam::set_atom_limit(stats.count + 2);
  (void)beam::atom("fill_one_" + std::to_string(stats.count));
  (void)beam::atom("fill_two_" + std::to_string(stats.count));
  try {
    (void)beam::atom("one_too_many");
    FAIL() << "the table is full";
  } catch (const beam::error& e) {
    EXPECT_EQ(e.reason(), term("system_limit"_a));
    EXPECT_NE(std::string(e.what()).find("atom table full"), std::string::npos);
  }
  EXPECT_EQ(beam::atom("ok"), "ok"_a);  // existing atoms still resolve
  beam::set_atom_limit(beam::default_atom_limit);
  EXPECT_NO_THROW((void)beam::atom("one_too_many"));
}

TEST(Term, BigIntegersConvertToTheNearestDouble) {
  // 833077639700066664296055 lies nearer to 8.3307763970006673e+23 than to its
  // neighbour 8.330776397000666e+23.
  EXPECT_EQ(beam::integer_from_string("833077639700066664296055").as_number(), 8.3307763970006673e+23);
  EXPECT_EQ(beam::integer_from_string("-18446744073709551616").as_number(), -18446744073709551616.0);
  EXPECT_EQ(term(1.5).as_number(), 1.5);
  EXPECT_THROW((void)term("a"_a).as_number(), beam::bad_term_access);
}
